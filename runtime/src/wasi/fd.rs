//! Descriptor operations that work on every kind of descriptor: reading, writing, closing, and
//! asking what a descriptor is (`fd_fdstat_get`, `fd_filestat_get`).
//!
//! `fd_write` and `fd_read` move bytes between guest `iovec`s and the context's writers and reader,
//! or an open file (at its current position). The standard streams present themselves as character
//! devices (so wasi-libc's `isatty` is true and stdout is line-buffered, as on a terminal) that
//! cannot seek; files are regular files with the rights their open mode allows; directories have
//! every path right and pass all rights on to what is opened through them. Reading a file opened
//! without read access, or writing one without write access, is `EBADF` (as `read(2)` on an
//! `O_WRONLY` descriptor); reading a directory is `EISDIR`. Files and directories: [`fs`](super::fs).

use std::io::{ErrorKind, Read, Write};

use super::ctx::{FdEntry, Handle, lock};
use super::fs::filestat;
use super::mem::{Env, at};
use super::{Errno, WasiResult};

/// `filetype::character_device`.
pub(crate) const FILETYPE_CHARACTER_DEVICE: u8 = 2;
/// `filetype::directory`.
pub(crate) const FILETYPE_DIRECTORY: u8 = 3;
/// All `fdflags` bits: append, dsync, nonblock, rsync, sync.
pub(crate) const FDFLAGS_ALL: u32 = 0x1f;
/// `fdflags::append`.
pub(crate) const FDFLAGS_APPEND: u16 = 1;

// `rights` bits.
const RIGHT_FD_DATASYNC: u64 = 1 << 0;
pub(crate) const RIGHT_FD_READ: u64 = 1 << 1;
const RIGHT_FD_SEEK: u64 = 1 << 2;
const RIGHT_FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
const RIGHT_FD_SYNC: u64 = 1 << 4;
const RIGHT_FD_TELL: u64 = 1 << 5;
pub(crate) const RIGHT_FD_WRITE: u64 = 1 << 6;
const RIGHT_FD_ADVISE: u64 = 1 << 7;
const RIGHT_FD_ALLOCATE: u64 = 1 << 8;
const RIGHT_FD_FILESTAT_GET: u64 = 1 << 21;
const RIGHT_FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
const RIGHT_FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
const RIGHT_POLL_FD_READWRITE: u64 = 1 << 27;
/// Every right (bits 0 to 29).
const RIGHTS_ALL: u64 = (1 << 30) - 1;

/// Largest single host read for `fd_read`.
pub(crate) const MAX_READ: usize = 1 << 20;

/// The `(buf, len)` pairs of an `iovec` array, checked to lie in memory, and their total length.
pub(crate) fn checked_iovecs(env: &dyn Env, iovs: u32, n: u32) -> Result<(Vec<(u32, u32)>, u64), Errno> {
    let iovecs = env.iovecs(iovs, n)?;
    let mut total = 0u64;
    for &(buf, len) in &iovecs {
        env.check(at(buf, 0), u64::from(len))?;
        total += u64::from(len);
    }
    Ok((iovecs, total))
}

/// The guest bytes of a `ciovec` array, concatenated.
pub(crate) fn gather(env: &dyn Env, iovs: u32, n: u32) -> Result<Vec<u8>, Errno> {
    let (iovecs, total) = checked_iovecs(env, iovs, n)?;
    let total = u32::try_from(total).map_err(|_| Errno::INVAL)?;
    let mut bytes = Vec::with_capacity(total as usize);
    for &(buf, len) in &iovecs {
        bytes.extend_from_slice(&env.read_bytes(at(buf, 0), len)?);
    }
    Ok(bytes)
}

/// Write `data` over the buffers of an `iovec` array, in order (like `readv`).
pub(crate) fn scatter(env: &mut dyn Env, iovecs: &[(u32, u32)], data: &[u8]) -> WasiResult {
    let mut rest = data;
    for &(buf, len) in iovecs {
        if rest.is_empty() {
            break;
        }
        let k = rest.len().min(len as usize);
        env.write(at(buf, 0), &rest[..k])?;
        rest = &rest[k..];
    }
    Ok(())
}

/// `EBADF` unless `fd` may be written (`EBADF` for directories too, as `write(2)` says).
fn check_writable(e: &FdEntry) -> WasiResult {
    match &e.handle {
        Handle::Out(_) => Ok(()),
        Handle::File(f) if f.write => Ok(()),
        _ => Err(Errno::BADF),
    }
}

/// `EBADF` unless `fd` may be read; `EISDIR` for a directory.
fn check_readable(e: &FdEntry) -> WasiResult {
    match &e.handle {
        Handle::In(_) => Ok(()),
        Handle::File(f) if f.read => Ok(()),
        Handle::Dir(_) => Err(Errno::ISDIR),
        _ => Err(Errno::BADF),
    }
}

/// `fd_write(fd, iovs, iovs_len, nwritten_ptr)`.
pub(crate) fn write(env: &mut dyn Env, fd: u32, iovs: u32, n: u32, nwritten: u32) -> WasiResult {
    env.ctx().with_fd(fd, |e| check_writable(e))?;
    let bytes = gather(env, iovs, n)?;
    env.check(at(nwritten, 0), 4)?;
    env.ctx().with_fd(fd, |e| {
        match &mut e.handle {
            Handle::Out(w) => {
                w.write_all(&bytes)?;
                w.flush()?;
            }
            Handle::File(f) if f.write => f.file.write_all(&bytes)?,
            _ => return Err(Errno::BADF),
        }
        Ok(())
    })?;
    env.write_u32(at(nwritten, 0), bytes.len() as u32)
}

/// `fd_read(fd, iovs, iovs_len, nread_ptr)`: one read from the host stream or file, scattered over
/// the buffers (like `readv`).
pub(crate) fn read(env: &mut dyn Env, fd: u32, iovs: u32, n: u32, nread: u32) -> WasiResult {
    env.ctx().with_fd(fd, |e| check_readable(e))?;
    let (iovecs, total) = checked_iovecs(env, iovs, n)?;
    env.check(at(nread, 0), 4)?;
    let mut data = vec![0; (total as usize).min(MAX_READ)];
    let got = env.ctx().with_fd(fd, |e| {
        let r: &mut dyn Read = match &mut e.handle {
            Handle::In(r) => r,
            Handle::File(f) if f.read => &mut f.file,
            _ => return Err(Errno::BADF),
        };
        loop {
            match r.read(&mut data) {
                Ok(k) => return Ok(k),
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            }
        }
    })?;
    scatter(env, &iovecs, &data[..got])?;
    env.write_u32(at(nread, 0), got as u32)
}

/// `fd_close(fd)`: preopened directories can be closed too.
pub(crate) fn close(env: &mut dyn Env, fd: u32) -> WasiResult {
    let entry = env.ctx().take_fd(fd)?;
    if let Handle::Out(w) = &mut lock(&entry).handle {
        let _ = w.flush();
    }
    Ok(())
}

/// `fd_fdstat_get(fd, stat_ptr)`: a 24-byte `fdstat`.
pub(crate) fn fdstat_get(env: &mut dyn Env, fd: u32, ptr: u32) -> WasiResult {
    env.check(at(ptr, 0), 24)?;
    let (filetype, flags, base, inheriting) = env.ctx().with_fd(fd, |e| {
        let common = RIGHT_FD_FDSTAT_SET_FLAGS | RIGHT_FD_FILESTAT_GET | RIGHT_POLL_FD_READWRITE;
        Ok(match &e.handle {
            Handle::In(_) => (FILETYPE_CHARACTER_DEVICE, e.flags, common | RIGHT_FD_READ, 0),
            Handle::Out(_) => (FILETYPE_CHARACTER_DEVICE, e.flags, common | RIGHT_FD_WRITE, 0),
            Handle::File(f) => {
                let mut rights = common
                    | RIGHT_FD_SEEK
                    | RIGHT_FD_TELL
                    | RIGHT_FD_SYNC
                    | RIGHT_FD_DATASYNC
                    | RIGHT_FD_ADVISE
                    | RIGHT_FD_ALLOCATE
                    | RIGHT_FD_FILESTAT_SET_SIZE
                    | RIGHT_FD_FILESTAT_SET_TIMES;
                if f.read {
                    rights |= RIGHT_FD_READ;
                }
                if f.write {
                    rights |= RIGHT_FD_WRITE;
                }
                (filestat(&f.file.metadata()?)[16], e.flags, rights, 0)
            }
            Handle::Dir(_) => {
                let not_for_dirs = RIGHT_FD_READ | RIGHT_FD_WRITE | RIGHT_FD_SEEK | RIGHT_FD_TELL;
                (FILETYPE_DIRECTORY, e.flags, RIGHTS_ALL & !not_for_dirs, RIGHTS_ALL)
            }
        })
    })?;
    let mut stat = [0u8; 24];
    stat[0] = filetype;
    stat[2..4].copy_from_slice(&flags.to_le_bytes());
    stat[8..16].copy_from_slice(&base.to_le_bytes());
    stat[16..24].copy_from_slice(&inheriting.to_le_bytes());
    env.write(at(ptr, 0), &stat)
}

/// `fd_fdstat_set_flags(fd, flags)`: remembered, not acted upon (writes are blocking and complete),
/// except that a file's `append` mode cannot be changed after opening (`ENOTSUP`).
pub(crate) fn fdstat_set_flags(env: &mut dyn Env, fd: u32, flags: u32) -> WasiResult {
    env.ctx().with_fd(fd, |entry| {
        if flags & !FDFLAGS_ALL != 0 {
            return Err(Errno::INVAL);
        }
        let flags = flags as u16;
        if matches!(entry.handle, Handle::File(_)) && (flags ^ entry.flags) & FDFLAGS_APPEND != 0 {
            return Err(Errno::NOTSUP);
        }
        entry.flags = flags;
        Ok(())
    })
}

/// `fd_filestat_get(fd, stat_ptr)`: a 64-byte `filestat`; the standard streams' is all zero but
/// the file type.
pub(crate) fn filestat_get(env: &mut dyn Env, fd: u32, ptr: u32) -> WasiResult {
    env.check(at(ptr, 0), 64)?;
    let stat = env.ctx().with_fd(fd, |e| {
        Ok(match &e.handle {
            Handle::In(_) | Handle::Out(_) => {
                let mut stat = [0u8; 64];
                stat[16] = FILETYPE_CHARACTER_DEVICE;
                stat
            }
            Handle::File(f) => filestat(&f.file.metadata()?),
            Handle::Dir(d) => filestat(&std::fs::metadata(&d.host)?),
        })
    })?;
    env.write(at(ptr, 0), &stat)
}
