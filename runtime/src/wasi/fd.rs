//! Descriptor operations that work on every kind of descriptor: reading, writing, closing, and
//! asking what a descriptor is (`fd_fdstat_get`, `fd_filestat_get`).
//!
//! `fd_write` and `fd_read` move bytes between guest `iovec`s and the context's writers and reader,
//! or an open host descriptor (at its current position). Standard streams given as host
//! descriptors (the CLI's) are what they are on the host: a file, a pipe or a terminal, with its
//! file type and rights (a terminal cannot seek, so wasi-libc's `isatty` is true only for one);
//! in-memory streams (a [`Reader`](super::Reader) or [`Writer`](super::Writer)) are character
//! devices. Rights: [`rights`](super::rights). Reading a file opened without read access, or
//! writing one without write access, is `EBADF` (as `read(2)` on an `O_WRONLY` descriptor);
//! reading a directory is `EISDIR`; a right dropped with `fd_fdstat_set_rights` is `ENOTCAPABLE`.
//! A read from a host stream first waits in `poll(2)`, so the end of the program can wake it
//! ([`WasiCtx::shutdown`](super::WasiCtx::shutdown)). Files and directories: [`fs`](super::fs).

use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsFd, AsRawFd};

use super::ctx::{FdEntry, Handle, lock};
use super::file::{fstat, stat_bytes};
use super::mem::{Env, at};
use super::rights;
use super::{Errno, WasiResult};

/// `filetype::character_device`.
pub(crate) const FILETYPE_CHARACTER_DEVICE: u8 = 2;
/// `filetype::directory`.
pub(crate) const FILETYPE_DIRECTORY: u8 = 3;
/// All `fdflags` bits: append, dsync, nonblock, rsync, sync.
pub(crate) const FDFLAGS_ALL: u32 = 0x1f;
/// `fdflags::append`.
pub(crate) const FDFLAGS_APPEND: u16 = 1;

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
        Handle::Out(_) => e.require(rights::FD_WRITE),
        Handle::File(f) if f.write => e.require(rights::FD_WRITE),
        _ => Err(Errno::BADF),
    }
}

/// `EBADF` unless `fd` may be read; `EISDIR` for a directory.
fn check_readable(e: &FdEntry) -> WasiResult {
    match &e.handle {
        Handle::In(_) => e.require(rights::FD_READ),
        Handle::File(f) if f.read => e.require(rights::FD_READ),
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
    let ctx = env.ctx().clone();
    let got = env.ctx().with_fd(fd, |e| {
        if let Handle::File(f) = &e.handle
            && f.stream
            && !data.is_empty()
        {
            ctx.wait(Some(f.file.as_fd()), libc::POLLIN, None)?;
        }
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

/// `fd_fdstat_get(fd, stat_ptr)`: a 24-byte `fdstat` (file type, flags, rights).
pub(crate) fn fdstat_get(env: &mut dyn Env, fd: u32, ptr: u32) -> WasiResult {
    env.check(at(ptr, 0), 24)?;
    let (filetype, flags, base, inheriting) = env.ctx().with_fd(fd, |e| {
        let filetype = match &e.handle {
            Handle::In(_) | Handle::Out(_) => FILETYPE_CHARACTER_DEVICE,
            Handle::File(f) => stat_bytes(&fstat(f.file.as_fd())?)[16],
            Handle::Dir(_) => FILETYPE_DIRECTORY,
        };
        Ok((filetype, e.flags, e.base, e.inheriting))
    })?;
    let mut stat = [0u8; 24];
    stat[0] = filetype;
    stat[2..4].copy_from_slice(&flags.to_le_bytes());
    stat[8..16].copy_from_slice(&base.to_le_bytes());
    stat[16..24].copy_from_slice(&inheriting.to_le_bytes());
    env.write(at(ptr, 0), &stat)
}

/// `fd_fdstat_set_flags(fd, flags)`: `append` is set or cleared on the host descriptor (with
/// `fcntl(F_SETFL)`); the others are remembered (writes are blocking and complete, and the sync
/// flags only matter when opening).
pub(crate) fn fdstat_set_flags(env: &mut dyn Env, fd: u32, flags: u32) -> WasiResult {
    env.ctx().with_fd(fd, |entry| {
        if flags & !FDFLAGS_ALL != 0 {
            return Err(Errno::INVAL);
        }
        entry.require(rights::FD_FDSTAT_SET_FLAGS)?;
        let flags = flags as u16;
        if (flags ^ entry.flags) & FDFLAGS_APPEND != 0
            && let Handle::File(f) = &entry.handle
        {
            let raw = f.file.as_raw_fd();
            // SAFETY: fcntl on a descriptor we own.
            let old = unsafe { libc::fcntl(raw, libc::F_GETFL) };
            let new = if flags & FDFLAGS_APPEND != 0 { old | libc::O_APPEND } else { old & !libc::O_APPEND };
            if old < 0 || unsafe { libc::fcntl(raw, libc::F_SETFL, new) } < 0 {
                return Err(std::io::Error::last_os_error().into());
            }
        }
        entry.flags = flags;
        Ok(())
    })
}

/// `fd_fdstat_set_rights(fd, base, inheriting)`: rights can only be dropped (`ENOTCAPABLE` when
/// asking for one the descriptor lacks).
pub(crate) fn fdstat_set_rights(env: &mut dyn Env, fd: u32, base: u64, inheriting: u64) -> WasiResult {
    env.ctx().with_fd(fd, |e| {
        if base & !e.base != 0 || inheriting & !e.inheriting != 0 {
            return Err(Errno::NOTCAPABLE);
        }
        e.base = base;
        e.inheriting = inheriting;
        Ok(())
    })
}

/// `fd_filestat_get(fd, stat_ptr)`: a 64-byte `filestat` of the host descriptor; an in-memory
/// stream's is all zero but the file type.
pub(crate) fn filestat_get(env: &mut dyn Env, fd: u32, ptr: u32) -> WasiResult {
    env.check(at(ptr, 0), 64)?;
    let stat = env.ctx().with_fd(fd, |e| {
        e.require(rights::FD_FILESTAT_GET)?;
        Ok(match &e.handle {
            Handle::In(_) | Handle::Out(_) => {
                let mut stat = [0u8; 64];
                stat[16] = FILETYPE_CHARACTER_DEVICE;
                stat
            }
            Handle::File(f) => stat_bytes(&fstat(f.file.as_fd())?),
            Handle::Dir(d) => stat_bytes(&fstat(d.dir.as_fd())?),
        })
    })?;
    env.write(at(ptr, 0), &stat)
}
