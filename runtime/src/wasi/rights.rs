//! Rights (`rights` in the preview1 spec): what each descriptor may be used for.
//!
//! Each descriptor has base rights (what it may do) and inheriting rights (the most a descriptor
//! opened through it may have). A descriptor starts with the rights its kind of object really has
//! ([`of`]): a regular file can seek, be resized and have its times set, but cannot list entries;
//! a directory has the `path_*` rights and `fd_readdir` but no `fd_read`, `fd_seek` or
//! `fd_filestat_set_size`; a terminal cannot seek or tell (which is how wasi-libc's `isatty`
//! tells a terminal from a file or pipe). `fd_fdstat_set_rights` can only drop rights; a call that
//! needs a right the descriptor lacks fails with `ENOTCAPABLE`. `path_open` gives the new
//! descriptor what was asked for, limited to the directory's inheriting rights and to what the
//! opened object can do.

use std::os::fd::AsRawFd;

use super::ctx::{Handle, OpenFile};

pub(crate) const FD_DATASYNC: u64 = 1 << 0;
pub(crate) const FD_READ: u64 = 1 << 1;
pub(crate) const FD_SEEK: u64 = 1 << 2;
pub(crate) const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
pub(crate) const FD_SYNC: u64 = 1 << 4;
pub(crate) const FD_TELL: u64 = 1 << 5;
pub(crate) const FD_WRITE: u64 = 1 << 6;
pub(crate) const FD_ADVISE: u64 = 1 << 7;
pub(crate) const FD_ALLOCATE: u64 = 1 << 8;
pub(crate) const PATH_CREATE_DIRECTORY: u64 = 1 << 9;
pub(crate) const PATH_CREATE_FILE: u64 = 1 << 10;
pub(crate) const PATH_LINK_SOURCE: u64 = 1 << 11;
pub(crate) const PATH_LINK_TARGET: u64 = 1 << 12;
pub(crate) const PATH_OPEN: u64 = 1 << 13;
pub(crate) const FD_READDIR: u64 = 1 << 14;
pub(crate) const PATH_READLINK: u64 = 1 << 15;
pub(crate) const PATH_RENAME_SOURCE: u64 = 1 << 16;
pub(crate) const PATH_RENAME_TARGET: u64 = 1 << 17;
pub(crate) const PATH_FILESTAT_GET: u64 = 1 << 18;
pub(crate) const PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
pub(crate) const PATH_FILESTAT_SET_TIMES: u64 = 1 << 20;
pub(crate) const FD_FILESTAT_GET: u64 = 1 << 21;
pub(crate) const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
pub(crate) const FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
pub(crate) const PATH_SYMLINK: u64 = 1 << 24;
pub(crate) const PATH_REMOVE_DIRECTORY: u64 = 1 << 25;
pub(crate) const PATH_UNLINK_FILE: u64 = 1 << 26;
pub(crate) const POLL_FD_READWRITE: u64 = 1 << 27;

/// What every descriptor may do.
const COMMON: u64 = FD_FDSTAT_SET_FLAGS | FD_FILESTAT_GET | POLL_FD_READWRITE;

/// A regular file's rights, reading and writing aside.
pub(crate) const FILE: u64 = COMMON
    | FD_DATASYNC
    | FD_SEEK
    | FD_SYNC
    | FD_TELL
    | FD_ADVISE
    | FD_ALLOCATE
    | FD_FILESTAT_SET_SIZE
    | FD_FILESTAT_SET_TIMES;

/// A directory's rights.
pub(crate) const DIRECTORY: u64 = COMMON
    | FD_DATASYNC
    | FD_SYNC
    | PATH_CREATE_DIRECTORY
    | PATH_CREATE_FILE
    | PATH_LINK_SOURCE
    | PATH_LINK_TARGET
    | PATH_OPEN
    | FD_READDIR
    | PATH_READLINK
    | PATH_RENAME_SOURCE
    | PATH_RENAME_TARGET
    | PATH_FILESTAT_GET
    | PATH_FILESTAT_SET_SIZE
    | PATH_FILESTAT_SET_TIMES
    | FD_FILESTAT_SET_TIMES
    | PATH_SYMLINK
    | PATH_REMOVE_DIRECTORY
    | PATH_UNLINK_FILE;

/// What may be inherited through a directory: anything a file or directory below it can have.
pub(crate) const INHERITABLE: u64 = FILE | DIRECTORY | FD_READ | FD_WRITE;

/// The rights an open file has: a terminal or pipe cannot seek, tell, be resized or allocated.
pub(crate) fn of_file(f: &OpenFile) -> u64 {
    let mut rights = if f.stream {
        // SAFETY: isatty only inspects the descriptor.
        let tty = unsafe { libc::isatty(f.file.as_raw_fd()) } == 1;
        let mut r = COMMON | FD_DATASYNC | FD_SYNC | FD_FILESTAT_SET_TIMES | FD_ADVISE;
        if !tty {
            // A pipe or device that is not a terminal: wasi-libc must not take it for one.
            r |= FD_SEEK | FD_TELL;
        }
        r
    } else {
        FILE
    };
    if f.read {
        rights |= FD_READ;
    }
    if f.write {
        rights |= FD_WRITE;
    }
    rights
}

/// The rights (base, inheriting) a new descriptor for `handle` has.
pub(crate) fn of(handle: &Handle) -> (u64, u64) {
    match handle {
        Handle::In(_) => (COMMON | FD_READ, 0),
        Handle::Out(_) => (COMMON | FD_WRITE, 0),
        Handle::File(f) => (of_file(f), 0),
        Handle::Dir(_) => (DIRECTORY, INHERITABLE),
    }
}
