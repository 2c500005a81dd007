//! File descriptors: the standard streams 0, 1, 2 and nothing else.
//!
//! `fd_write` and `fd_read` move bytes between guest `iovec`s and the context's writers and reader;
//! the standard streams present themselves as character devices (so wasi-libc's `isatty` is true
//! and stdout is line-buffered, as on a terminal) that cannot seek. There are no preopened
//! directories: `fd_prestat_get` answers `EBADF` for every descriptor, which ends wasi-libc's
//! preopen scan at startup. Other descriptors are `EBADF` everywhere.

use std::io::ErrorKind;

use super::ctx::{FdEntry, Stdio};
use super::mem::{Env, at};
use super::{Errno, WasiResult};

/// `filetype::character_device`.
const FILETYPE_CHARACTER_DEVICE: u8 = 2;
/// All `fdflags` bits: append, dsync, nonblock, rsync, sync.
const FDFLAGS_ALL: u32 = 0x1f;

// `rights` bits.
const RIGHT_FD_READ: u64 = 1 << 1;
const RIGHT_FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
const RIGHT_FD_WRITE: u64 = 1 << 6;
const RIGHT_FD_FILESTAT_GET: u64 = 1 << 21;
const RIGHT_POLL_FD_READWRITE: u64 = 1 << 27;

/// Largest single host read for `fd_read`.
const MAX_READ: usize = 1 << 20;

/// `fd_write(fd, iovs, iovs_len, nwritten_ptr)`.
pub(crate) fn write(env: &mut dyn Env, fd: u32, iovs: u32, n: u32, nwritten: u32) -> WasiResult {
    if !env.ctx().with_fd(fd, |e| Ok(matches!(e.stream, Stdio::Out(_))))? {
        return Err(Errno::BADF);
    }
    let iovecs = env.iovecs(iovs, n)?;
    let mut total: u32 = 0;
    for &(buf, len) in &iovecs {
        env.check(at(buf, 0), u64::from(len))?;
        total = total.checked_add(len).ok_or(Errno::INVAL)?;
    }
    let mut bytes = Vec::with_capacity(total as usize);
    for &(buf, len) in &iovecs {
        bytes.extend_from_slice(&env.read_bytes(at(buf, 0), len)?);
    }
    env.ctx().with_fd(fd, |e| {
        let Stdio::Out(w) = &mut e.stream else { return Err(Errno::BADF) };
        w.write_all(&bytes)?;
        Ok(w.flush()?)
    })?;
    env.write_u32(at(nwritten, 0), total)
}

/// `fd_read(fd, iovs, iovs_len, nread_ptr)`: one read from the host stream, scattered over the
/// buffers (like `readv`).
pub(crate) fn read(env: &mut dyn Env, fd: u32, iovs: u32, n: u32, nread: u32) -> WasiResult {
    if !env.ctx().with_fd(fd, |e| Ok(matches!(e.stream, Stdio::In(_))))? {
        return Err(Errno::BADF);
    }
    let iovecs = env.iovecs(iovs, n)?;
    let mut total: u64 = 0;
    for &(buf, len) in &iovecs {
        env.check(at(buf, 0), u64::from(len))?;
        total += u64::from(len);
    }
    env.check(at(nread, 0), 4)?;
    let mut data = vec![0; (total as usize).min(MAX_READ)];
    let got = env.ctx().with_fd(fd, |e| {
        let Stdio::In(r) = &mut e.stream else { return Err(Errno::BADF) };
        loop {
            match r.read(&mut data) {
                Ok(k) => return Ok(k),
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            }
        }
    })?;
    let mut rest = &data[..got];
    for &(buf, len) in &iovecs {
        if rest.is_empty() {
            break;
        }
        let k = rest.len().min(len as usize);
        env.write(at(buf, 0), &rest[..k])?;
        rest = &rest[k..];
    }
    env.write_u32(at(nread, 0), got as u32)
}

/// `fd_close(fd)`.
pub(crate) fn close(env: &mut dyn Env, fd: u32) -> WasiResult {
    match env.ctx().take_fd(fd) {
        Some(FdEntry { stream: Stdio::Out(mut w), .. }) => {
            let _ = w.flush();
            Ok(())
        }
        Some(_) => Ok(()),
        None => Err(Errno::BADF),
    }
}

/// `fd_seek(fd, offset, whence, newoffset_ptr)` and `fd_tell(fd, offset_ptr)`: streams cannot seek.
pub(crate) fn seek(env: &mut dyn Env, fd: u32) -> WasiResult {
    env.ctx().with_fd(fd, |_| Ok(()))?;
    Err(Errno::SPIPE)
}

/// `fd_fdstat_get(fd, stat_ptr)`: a 24-byte `fdstat`.
pub(crate) fn fdstat_get(env: &mut dyn Env, fd: u32, ptr: u32) -> WasiResult {
    let (is_input, flags) = env.ctx().with_fd(fd, |e| Ok((matches!(e.stream, Stdio::In(_)), e.flags)))?;
    let common = RIGHT_FD_FDSTAT_SET_FLAGS | RIGHT_FD_FILESTAT_GET | RIGHT_POLL_FD_READWRITE;
    let rights = if is_input { common | RIGHT_FD_READ } else { common | RIGHT_FD_WRITE };
    let mut stat = [0u8; 24];
    stat[0] = FILETYPE_CHARACTER_DEVICE;
    stat[2..4].copy_from_slice(&flags.to_le_bytes());
    stat[8..16].copy_from_slice(&rights.to_le_bytes());
    env.write(at(ptr, 0), &stat)
}

/// `fd_fdstat_set_flags(fd, flags)`: remembered, not acted upon (writes are blocking and complete).
pub(crate) fn fdstat_set_flags(env: &mut dyn Env, fd: u32, flags: u32) -> WasiResult {
    env.ctx().with_fd(fd, |entry| {
        if flags & !FDFLAGS_ALL != 0 {
            return Err(Errno::INVAL);
        }
        entry.flags = flags as u16;
        Ok(())
    })
}

/// `fd_filestat_get(fd, stat_ptr)`: a 64-byte `filestat`, all zero but the file type.
pub(crate) fn filestat_get(env: &mut dyn Env, fd: u32, ptr: u32) -> WasiResult {
    env.ctx().with_fd(fd, |_| Ok(()))?;
    let mut stat = [0u8; 64];
    stat[16] = FILETYPE_CHARACTER_DEVICE;
    env.write(at(ptr, 0), &stat)
}

/// `fd_prestat_get(fd, prestat_ptr)` and `fd_prestat_dir_name(fd, path, len)`: no preopens.
pub(crate) fn prestat(_env: &mut dyn Env, _fd: u32) -> WasiResult {
    Err(Errno::BADF)
}
