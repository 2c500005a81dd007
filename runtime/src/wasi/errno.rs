//! WASI preview1 error numbers (`errno`) and the result type the host functions use internally.
//!
//! Every preview1 function returns an `errno` as an `i32`; the implementations return
//! `Result<(), Errno>` and the registration glue turns that into the wasm return value. Only the
//! numbers this host actually produces are named here (values from `wasi/api.h`); host I/O errors
//! are translated by their OS error number.

use std::fmt;
use std::io;

/// A WASI preview1 error number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Errno(pub u16);

impl Errno {
    /// No error: the call did what was asked.
    pub const SUCCESS: Errno = Errno(0);
    /// Permission denied by the host's file system.
    pub const ACCES: Errno = Errno(2);
    /// Nothing to read or no room to write now (non-blocking descriptor); retry later.
    pub const AGAIN: Errno = Errno(6);
    /// The descriptor is not open, or not of a kind the call works on.
    pub const BADF: Errno = Errno(8);
    /// The resource is in use (e.g. removing a mount point).
    pub const BUSY: Errno = Errno(10);
    /// The user's disk quota is exhausted.
    pub const DQUOT: Errno = Errno(19);
    /// The path already exists (e.g. `O_EXCL`, `mkdir`).
    pub const EXIST: Errno = Errno(20);
    /// A pointer or buffer given by the program lies outside its memory.
    pub const FAULT: Errno = Errno(21);
    /// The file would grow beyond the largest size allowed.
    pub const FBIG: Errno = Errno(22);
    /// A path is not valid UTF-8, which preview1 requires.
    pub const ILSEQ: Errno = Errno(25);
    /// The call was interrupted (the program is ending).
    pub const INTR: Errno = Errno(27);
    /// An argument is out of range or makes no sense for this call.
    pub const INVAL: Errno = Errno(28);
    /// The host reported an I/O error it has no better number for.
    pub const IO: Errno = Errno(29);
    /// The path is a directory where a file was needed.
    pub const ISDIR: Errno = Errno(31);
    /// Too many symbolic links, or a link where none may be followed.
    pub const LOOP: Errno = Errno(32);
    /// The program has as many descriptors open as it may.
    pub const MFILE: Errno = Errno(33);
    /// The file has as many hard links as it may.
    pub const MLINK: Errno = Errno(34);
    /// A path or one of its components is too long.
    pub const NAMETOOLONG: Errno = Errno(37);
    /// The host has as many files open as it may.
    pub const NFILE: Errno = Errno(41);
    /// No such device.
    pub const NODEV: Errno = Errno(43);
    /// No such file or directory.
    pub const NOENT: Errno = Errno(44);
    /// The host could not allocate memory for the call.
    pub const NOMEM: Errno = Errno(48);
    /// No space left on the device.
    pub const NOSPC: Errno = Errno(51);
    /// The function is not implemented by this host.
    pub const NOSYS: Errno = Errno(52);
    /// A path component, or the descriptor, is not a directory where one was needed.
    pub const NOTDIR: Errno = Errno(54);
    /// The directory is not empty (`rmdir`, or renaming over it).
    pub const NOTEMPTY: Errno = Errno(55);
    /// The descriptor is not a socket.
    pub const NOTSOCK: Errno = Errno(57);
    /// The operation is not supported on this descriptor or by this host.
    pub const NOTSUP: Errno = Errno(58);
    /// No such device or address.
    pub const NXIO: Errno = Errno(60);
    /// A value does not fit the type it is returned in (e.g. a seek past `i64::MAX`).
    pub const OVERFLOW: Errno = Errno(61);
    /// The operation is not permitted, whatever the permissions.
    pub const PERM: Errno = Errno(63);
    /// Writing to a pipe or socket whose reading end is closed.
    pub const PIPE: Errno = Errno(64);
    /// The file system is read-only.
    pub const ROFS: Errno = Errno(69);
    /// Seeking on a pipe, socket or terminal.
    pub const SPIPE: Errno = Errno(70);
    /// The file is being executed and cannot be written.
    pub const TXTBSY: Errno = Errno(74);
    /// A link or rename across file systems (or preopened directories).
    pub const XDEV: Errno = Errno(75);
    /// The descriptor lacks the rights the call needs, or the path escapes its preopened directory.
    pub const NOTCAPABLE: Errno = Errno(76);

    /// The raw number, as returned to wasm.
    pub fn raw(self) -> i32 {
        i32::from(self.0)
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "errno {}", self.0)
    }
}

impl From<io::Error> for Errno {
    /// The host's OS error number when there is one (translated: WASI numbers differ from Linux's),
    /// else the error's kind. A permission error without an OS number is `cap-std` refusing a path
    /// that leads out of its directory: `ENOTCAPABLE`.
    fn from(e: io::Error) -> Self {
        if let Some(raw) = e.raw_os_error()
            && let Some(errno) = from_os(raw)
        {
            return errno;
        }
        match e.kind() {
            io::ErrorKind::BrokenPipe => Errno::PIPE,
            io::ErrorKind::WouldBlock => Errno::AGAIN,
            io::ErrorKind::Interrupted => Errno::INTR,
            io::ErrorKind::InvalidInput => Errno::INVAL,
            io::ErrorKind::NotFound => Errno::NOENT,
            io::ErrorKind::PermissionDenied => Errno::NOTCAPABLE,
            io::ErrorKind::AlreadyExists => Errno::EXIST,
            io::ErrorKind::NotADirectory => Errno::NOTDIR,
            io::ErrorKind::IsADirectory => Errno::ISDIR,
            io::ErrorKind::DirectoryNotEmpty => Errno::NOTEMPTY,
            io::ErrorKind::InvalidFilename => Errno::NAMETOOLONG,
            io::ErrorKind::Unsupported => Errno::NOTSUP,
            _ => Errno::IO,
        }
    }
}

/// The WASI number of a host `errno` that file operations produce.
fn from_os(raw: i32) -> Option<Errno> {
    Some(match raw {
        libc::EPERM => Errno::PERM,
        libc::ENOENT => Errno::NOENT,
        libc::EINTR => Errno::INTR,
        libc::EIO => Errno::IO,
        libc::ENXIO => Errno::NXIO,
        libc::EBADF => Errno::BADF,
        libc::EAGAIN => Errno::AGAIN,
        libc::ENOMEM => Errno::NOMEM,
        libc::EACCES => Errno::ACCES,
        libc::EFAULT => Errno::FAULT,
        libc::EBUSY => Errno::BUSY,
        libc::EEXIST => Errno::EXIST,
        libc::EXDEV => Errno::XDEV,
        libc::ENODEV => Errno::NODEV,
        libc::ENOTDIR => Errno::NOTDIR,
        libc::EISDIR => Errno::ISDIR,
        libc::EINVAL => Errno::INVAL,
        libc::ENFILE => Errno::NFILE,
        libc::EMFILE => Errno::MFILE,
        libc::ETXTBSY => Errno::TXTBSY,
        libc::EFBIG => Errno::FBIG,
        libc::ENOSPC => Errno::NOSPC,
        libc::ESPIPE => Errno::SPIPE,
        libc::EROFS => Errno::ROFS,
        libc::EMLINK => Errno::MLINK,
        libc::EPIPE => Errno::PIPE,
        libc::ENAMETOOLONG => Errno::NAMETOOLONG,
        libc::ENOTEMPTY => Errno::NOTEMPTY,
        libc::ELOOP => Errno::LOOP,
        libc::EOVERFLOW => Errno::OVERFLOW,
        libc::EILSEQ => Errno::ILSEQ,
        libc::EDQUOT => Errno::DQUOT,
        libc::EOPNOTSUPP => Errno::NOTSUP,
        libc::ENOTSOCK => Errno::NOTSOCK,
        _ => return None,
    })
}

/// What the implementation of a WASI function returns.
pub type WasiResult = Result<(), Errno>;

/// The wasm return value of a WASI function.
pub(crate) fn to_wasm(r: WasiResult) -> i32 {
    match r {
        Ok(()) => Errno::SUCCESS.raw(),
        Err(e) => e.raw(),
    }
}
