//! Descriptor-level operations on open files (and directories where they make sense): positioned
//! I/O, seeking, sizes, space and access hints, times, syncing, `filestat`s; and the socket calls
//! (on a socket the host handed over: sockets are bidirectional, so they need no read/write right).
//!
//! A standard stream given as an in-memory reader or writer cannot seek (`ESPIPE`); a directory is
//! `EISDIR` (`EBADF` for `fd_allocate`/`fd_advise`, as `posix_fallocate(3)` on a descriptor not
//! open for writing). Each call needs its right (`ENOTCAPABLE`, see `rights.rs`). A `filestat` is
//! built from the host's `fstat`/`stat` (file type, device, inode, links, size, times).

use std::io::{Seek, SeekFrom};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::os::unix::fs::FileExt;
use std::time::{Duration, UNIX_EPOCH};

use cap_fs_ext::SystemTimeSpec;
use cap_std::fs::MetadataExt;

use super::ctx::{Handle, OpenFile, lock};
use super::fd::{MAX_READ, checked_iovecs, gather, scatter};
use super::mem::{Env, at};
use super::rights::*;
use super::{Errno, WasiResult};

const FILETYPE_UNKNOWN: u8 = 0;
const FILETYPE_BLOCK_DEVICE: u8 = 1;
const FILETYPE_CHARACTER_DEVICE: u8 = 2;
const FILETYPE_DIRECTORY: u8 = 3;
const FILETYPE_REGULAR_FILE: u8 = 4;
const FILETYPE_SOCKET_STREAM: u8 = 6;
const FILETYPE_SYMBOLIC_LINK: u8 = 7;

// `whence`.
const WHENCE_SET: u32 = 0;
const WHENCE_CUR: u32 = 1;
const WHENCE_END: u32 = 2;

// `fstflags`.
const FSTFLAGS_ATIM: u32 = 1;
const FSTFLAGS_ATIM_NOW: u32 = 2;
const FSTFLAGS_MTIM: u32 = 4;
const FSTFLAGS_MTIM_NOW: u32 = 8;

/// The last `advice` (`noreuse`); 0 is `normal`.
const ADVICE_LAST: u32 = 5;

/// What a `filestat` holds.
pub(crate) struct Stat {
    pub dev: u64,
    pub ino: u64,
    pub filetype: u8,
    pub nlink: u64,
    pub size: u64,
    pub atim: u64,
    pub mtim: u64,
    pub ctim: u64,
}

/// Nanoseconds since the epoch (0 before it).
fn nanos(secs: i64, nsecs: i64) -> u64 {
    u64::try_from(i128::from(secs) * 1_000_000_000 + i128::from(nsecs)).unwrap_or(0)
}

/// The WASI file type of a host `st_mode`.
fn filetype_of_mode(mode: u32) -> u8 {
    match mode & libc::S_IFMT {
        libc::S_IFDIR => FILETYPE_DIRECTORY,
        libc::S_IFREG => FILETYPE_REGULAR_FILE,
        libc::S_IFLNK => FILETYPE_SYMBOLIC_LINK,
        libc::S_IFBLK => FILETYPE_BLOCK_DEVICE,
        libc::S_IFCHR => FILETYPE_CHARACTER_DEVICE,
        libc::S_IFSOCK => FILETYPE_SOCKET_STREAM,
        _ => FILETYPE_UNKNOWN,
    }
}

/// The WASI file type of a directory entry's type.
pub(crate) fn filetype_of(t: &cap_std::fs::FileType) -> u8 {
    use cap_std::fs::FileTypeExt;
    if t.is_dir() {
        FILETYPE_DIRECTORY
    } else if t.is_file() {
        FILETYPE_REGULAR_FILE
    } else if t.is_symlink() {
        FILETYPE_SYMBOLIC_LINK
    } else if t.is_block_device() {
        FILETYPE_BLOCK_DEVICE
    } else if t.is_char_device() {
        FILETYPE_CHARACTER_DEVICE
    } else if t.is_socket() {
        FILETYPE_SOCKET_STREAM
    } else {
        FILETYPE_UNKNOWN
    }
}

/// `fstat(2)` of a host descriptor.
pub(crate) fn fstat(fd: BorrowedFd<'_>) -> Result<Stat, Errno> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::zeroed();
    // SAFETY: `st` is a live, writable stat buffer.
    if unsafe { libc::fstat(fd.as_raw_fd(), st.as_mut_ptr()) } < 0 {
        return Err(std::io::Error::last_os_error().into());
    }
    // SAFETY: fstat succeeded, so it filled `st`.
    let st = unsafe { st.assume_init() };
    Ok(Stat {
        dev: st.st_dev,
        ino: st.st_ino,
        filetype: filetype_of_mode(st.st_mode),
        nlink: st.st_nlink,
        size: st.st_size as u64,
        atim: nanos(st.st_atime, st.st_atime_nsec),
        mtim: nanos(st.st_mtime, st.st_mtime_nsec),
        ctim: nanos(st.st_ctime, st.st_ctime_nsec),
    })
}

/// The [`Stat`] of `cap-std` metadata.
pub(crate) fn meta_stat(m: &cap_std::fs::Metadata) -> Stat {
    Stat {
        dev: m.dev(),
        ino: m.ino(),
        filetype: filetype_of_mode(m.mode()),
        nlink: m.nlink(),
        size: m.size(),
        atim: nanos(m.atime(), m.atime_nsec()),
        mtim: nanos(m.mtime(), m.mtime_nsec()),
        ctim: nanos(m.ctime(), m.ctime_nsec()),
    }
}

/// A 64-byte `filestat`: dev, ino, filetype, nlink, size, atim, mtim, ctim.
pub(crate) fn stat_bytes(st: &Stat) -> [u8; 64] {
    let mut s = [0u8; 64];
    s[0..8].copy_from_slice(&st.dev.to_le_bytes());
    s[8..16].copy_from_slice(&st.ino.to_le_bytes());
    s[16] = st.filetype;
    s[24..32].copy_from_slice(&st.nlink.to_le_bytes());
    s[32..40].copy_from_slice(&st.size.to_le_bytes());
    s[40..48].copy_from_slice(&st.atim.to_le_bytes());
    s[48..56].copy_from_slice(&st.mtim.to_le_bytes());
    s[56..64].copy_from_slice(&st.ctim.to_le_bytes());
    s
}

/// One timestamp to set: leave it, now, or this many nanoseconds since the epoch.
#[derive(Clone, Copy)]
enum TimeSet {
    Omit,
    Now,
    At(u64),
}

/// The access and modification times `fst_flags` asks for (`EINVAL` for both a time and "now").
fn time_sets(atim: u64, mtim: u64, fst: u32) -> Result<[TimeSet; 2], Errno> {
    if fst & !(FSTFLAGS_ATIM | FSTFLAGS_ATIM_NOW | FSTFLAGS_MTIM | FSTFLAGS_MTIM_NOW) != 0 {
        return Err(Errno::INVAL);
    }
    let one = |t: u64, set: u32, now: u32| match (fst & set != 0, fst & now != 0) {
        (true, true) => Err(Errno::INVAL),
        (true, false) => Ok(TimeSet::At(t)),
        (false, true) => Ok(TimeSet::Now),
        (false, false) => Ok(TimeSet::Omit),
    };
    Ok([one(atim, FSTFLAGS_ATIM, FSTFLAGS_ATIM_NOW)?, one(mtim, FSTFLAGS_MTIM, FSTFLAGS_MTIM_NOW)?])
}

/// [`time_sets`] for `cap-fs-ext`'s `set_times`.
pub(crate) fn time_specs(atim: u64, mtim: u64, fst: u32) -> Result<[Option<SystemTimeSpec>; 2], Errno> {
    Ok(time_sets(atim, mtim, fst)?.map(|t| match t {
        TimeSet::Omit => None,
        TimeSet::Now => Some(SystemTimeSpec::SymbolicNow),
        TimeSet::At(n) => {
            Some(SystemTimeSpec::Absolute(cap_std::time::SystemTime::from_std(UNIX_EPOCH + Duration::from_nanos(n))))
        }
    }))
}

/// Run `f` on the file open at `fd` after checking `right`: `ESPIPE` for an in-memory stream,
/// `EISDIR` for a directory.
fn with_file<R>(
    env: &mut dyn Env,
    fd: u32,
    right: u64,
    f: impl FnOnce(&mut OpenFile) -> Result<R, Errno>,
) -> Result<R, Errno> {
    env.ctx().with_fd(fd, |e| {
        let base = e.base;
        match &mut e.handle {
            Handle::File(file) if base & right == right => f(file),
            Handle::File(_) => Err(Errno::NOTCAPABLE),
            Handle::Dir(_) => Err(Errno::ISDIR),
            Handle::In(_) | Handle::Out(_) => Err(Errno::SPIPE),
        }
    })
}

/// `fd_pread(fd, iovs, iovs_len, offset, nread_ptr)`: the file position does not change.
pub(crate) fn pread(env: &mut dyn Env, fd: u32, iovs: u32, n: u32, offset: u64, nread: u32) -> WasiResult {
    with_file(env, fd, 0, |f| if f.read { Ok(()) } else { Err(Errno::BADF) })?;
    let (iovecs, total) = checked_iovecs(env, iovs, n)?;
    env.check(at(nread, 0), 4)?;
    let mut data = vec![0; (total as usize).min(MAX_READ)];
    let got = with_file(env, fd, FD_READ | FD_SEEK, |f| Ok(f.file.read_at(&mut data, offset)?))?;
    scatter(env, &iovecs, &data[..got])?;
    env.write_u32(at(nread, 0), got as u32)
}

/// `fd_pwrite(fd, iovs, iovs_len, offset, nwritten_ptr)`: the file position does not change.
pub(crate) fn pwrite(env: &mut dyn Env, fd: u32, iovs: u32, n: u32, offset: u64, nwritten: u32) -> WasiResult {
    with_file(env, fd, 0, |f| if f.write { Ok(()) } else { Err(Errno::BADF) })?;
    let bytes = gather(env, iovs, n)?;
    env.check(at(nwritten, 0), 4)?;
    with_file(env, fd, FD_WRITE | FD_SEEK, |f| Ok(f.file.write_all_at(&bytes, offset)?))?;
    env.write_u32(at(nwritten, 0), bytes.len() as u32)
}

/// `fd_seek(fd, offset, whence, newoffset_ptr)`; streams cannot seek (`ESPIPE`). Asking only for
/// the position (`0`, `cur`) needs `fd_tell`, anything else `fd_seek`.
pub(crate) fn seek(env: &mut dyn Env, fd: u32, offset: i64, whence: u32, newoffset: u32) -> WasiResult {
    let to = match whence {
        WHENCE_SET => SeekFrom::Start(u64::try_from(offset).map_err(|_| Errno::INVAL)?),
        WHENCE_CUR => SeekFrom::Current(offset),
        WHENCE_END => SeekFrom::End(offset),
        _ => return Err(Errno::INVAL),
    };
    env.ctx().with_fd(fd, |_| Ok(()))?;
    env.check(at(newoffset, 0), 8)?;
    let right = if to == SeekFrom::Current(0) { FD_TELL } else { FD_SEEK };
    let pos = with_file(env, fd, right, |f| Ok(f.file.seek(to)?))?;
    env.write_u64(at(newoffset, 0), pos)
}

/// `fd_tell(fd, offset_ptr)`.
pub(crate) fn tell(env: &mut dyn Env, fd: u32, offset: u32) -> WasiResult {
    seek(env, fd, 0, WHENCE_CUR, offset)
}

/// `fd_filestat_set_size(fd, size)`: truncate or extend (`EINVAL` unless open for writing).
pub(crate) fn filestat_set_size(env: &mut dyn Env, fd: u32, size: u64) -> WasiResult {
    with_file(env, fd, FD_FILESTAT_SET_SIZE, |f| if f.write { Ok(f.file.set_len(size)?) } else { Err(Errno::INVAL) })
        .map_err(|e| if e == Errno::SPIPE { Errno::INVAL } else { e })
}

/// `fd_allocate(fd, offset, len)`: make sure the range has storage (`posix_fallocate`); the file
/// grows if the range ends past it. `EBADF` unless open for writing, `EINVAL` for an empty or
/// overflowing range, `ESPIPE` for a stream.
pub(crate) fn allocate(env: &mut dyn Env, fd: u32, offset: u64, len: u64) -> WasiResult {
    let (Ok(off), Ok(n)) = (i64::try_from(offset), i64::try_from(len)) else { return Err(Errno::INVAL) };
    if n == 0 || off.checked_add(n).is_none() {
        return Err(Errno::INVAL);
    }
    // Not open for writing is `EBADF` whatever the rights (as `posix_fallocate(3)`).
    with_file(env, fd, 0, |f| match (f.write, f.stream) {
        (false, _) => Err(Errno::BADF),
        (_, true) => Err(Errno::SPIPE),
        _ => Ok(()),
    })
    .map_err(|e| if e == Errno::ISDIR { Errno::BADF } else { e })?;
    with_file(env, fd, FD_ALLOCATE, |f| {
        // SAFETY: posix_fallocate on a descriptor we own.
        match unsafe { libc::posix_fallocate(f.file.as_raw_fd(), off, n) } {
            0 => Ok(()),
            e => Err(std::io::Error::from_raw_os_error(e).into()),
        }
    })
    .map_err(|e| if e == Errno::ISDIR { Errno::BADF } else { e })
}

/// `fd_advise(fd, offset, len, advice)`: passed to `posix_fadvise`. `EINVAL` for an unknown
/// advice, `ESPIPE` for a stream, `EBADF` for a directory.
pub(crate) fn advise(env: &mut dyn Env, fd: u32, offset: u64, len: u64, advice: u32) -> WasiResult {
    if advice > ADVICE_LAST {
        return Err(Errno::INVAL);
    }
    let (Ok(off), Ok(n)) = (i64::try_from(offset), i64::try_from(len)) else { return Err(Errno::INVAL) };
    // preview1's advice numbers are POSIX's order: normal, sequential, random, willneed,
    // dontneed, noreuse.
    let host = [
        libc::POSIX_FADV_NORMAL,
        libc::POSIX_FADV_SEQUENTIAL,
        libc::POSIX_FADV_RANDOM,
        libc::POSIX_FADV_WILLNEED,
        libc::POSIX_FADV_DONTNEED,
        libc::POSIX_FADV_NOREUSE,
    ][advice as usize];
    with_file(env, fd, FD_ADVISE, |f| {
        if f.stream {
            return Err(Errno::SPIPE);
        }
        // SAFETY: posix_fadvise on a descriptor we own.
        match unsafe { libc::posix_fadvise(f.file.as_raw_fd(), off, n, host) } {
            0 => Ok(()),
            e => Err(std::io::Error::from_raw_os_error(e).into()),
        }
    })
    .map_err(|e| if e == Errno::ISDIR { Errno::BADF } else { e })
}

/// `fd_filestat_set_times(fd, atim, mtim, fst_flags)`: `futimens` on a file or directory.
pub(crate) fn filestat_set_times(env: &mut dyn Env, fd: u32, atim: u64, mtim: u64, fst: u32) -> WasiResult {
    let sets = time_sets(atim, mtim, fst)?;
    let ts = sets.map(|t| match t {
        TimeSet::Omit => libc::timespec { tv_sec: 0, tv_nsec: libc::UTIME_OMIT },
        TimeSet::Now => libc::timespec { tv_sec: 0, tv_nsec: libc::UTIME_NOW },
        TimeSet::At(n) => libc::timespec { tv_sec: (n / 1_000_000_000) as _, tv_nsec: (n % 1_000_000_000) as _ },
    });
    env.ctx().with_fd(fd, |e| {
        e.require(FD_FILESTAT_SET_TIMES)?;
        let raw = match &e.handle {
            Handle::File(f) => f.file.as_raw_fd(),
            Handle::Dir(d) => d.dir.as_fd().as_raw_fd(),
            Handle::In(_) | Handle::Out(_) => return Err(Errno::BADF),
        };
        // SAFETY: futimens on a descriptor we own, with two live timespecs.
        if unsafe { libc::futimens(raw, ts.as_ptr()) } < 0 {
            return Err(std::io::Error::last_os_error().into());
        }
        Ok(())
    })
}

/// `fd_sync(fd)` and `fd_datasync(fd)`: flush a file or directory to storage.
pub(crate) fn sync(env: &mut dyn Env, fd: u32, data_only: bool) -> WasiResult {
    env.ctx().with_fd(fd, |e| {
        e.require(if data_only { FD_DATASYNC } else { FD_SYNC })?;
        let raw = match &e.handle {
            Handle::File(f) => f.file.as_raw_fd(),
            Handle::Dir(d) => d.dir.as_fd().as_raw_fd(),
            Handle::In(_) | Handle::Out(_) => return Err(Errno::INVAL),
        };
        // SAFETY: fsync/fdatasync on a descriptor we own.
        let r = unsafe { if data_only { libc::fdatasync(raw) } else { libc::fsync(raw) } };
        if r < 0 {
            return Err(std::io::Error::last_os_error().into());
        }
        Ok(())
    })
}

/// `fd_renumber(from, to)`: both must be open; `to` is closed and `from` takes its number.
pub(crate) fn renumber(env: &mut dyn Env, from: u32, to: u32) -> WasiResult {
    if let Some(old) = env.ctx().renumber(from, to)?
        && let Handle::Out(w) = &mut lock(&old).handle
    {
        let _ = std::io::Write::flush(w);
    }
    Ok(())
}

/// The host descriptor of `fd` if it is a socket: `EBADF` if `fd` is not open, `ENOTSOCK` if it
/// is not a socket. (Preview1 cannot open sockets; a host may hand one over as a descriptor.)
pub(crate) fn socket_fd(env: &mut dyn Env, fd: u32) -> Result<std::os::fd::OwnedFd, Errno> {
    env.ctx().with_fd(fd, |e| match &e.handle {
        Handle::File(f) if fstat(f.file.as_fd())?.filetype == FILETYPE_SOCKET_STREAM => {
            Ok(f.file.as_fd().try_clone_to_owned()?)
        }
        _ => Err(Errno::NOTSOCK),
    })
}

/// `sock_shutdown(fd, how)`: `how` is `sdflags` (1 read, 2 write, 3 both).
pub(crate) fn sock_shutdown(env: &mut dyn Env, fd: u32, how: u32) -> WasiResult {
    let sock = socket_fd(env, fd)?;
    let how = match how {
        1 => libc::SHUT_RD,
        2 => libc::SHUT_WR,
        3 => libc::SHUT_RDWR,
        _ => return Err(Errno::INVAL),
    };
    // SAFETY: shutdown on a descriptor we own.
    if unsafe { libc::shutdown(sock.as_raw_fd(), how) } < 0 {
        return Err(std::io::Error::last_os_error().into());
    }
    Ok(())
}

/// Wait (wakeably) until socket `sock` is ready for `events`, unless it is non-blocking.
fn wait_socket(env: &mut dyn Env, sock: &std::os::fd::OwnedFd, events: i16) -> WasiResult {
    // SAFETY: fcntl on a descriptor we own.
    let fl = unsafe { libc::fcntl(sock.as_raw_fd(), libc::F_GETFL) };
    if fl >= 0 && fl & libc::O_NONBLOCK == 0 {
        env.ctx().wait(Some(sock.as_fd()), events, None)?;
    }
    Ok(())
}

/// `sock_recv(fd, ri_data, ri_data_len, ri_flags, ro_datalen_ptr, ro_flags_ptr)`: `recv(2)` into
/// the buffers; `ri_flags` may ask to peek (1) or wait for all (2).
pub(crate) fn sock_recv(
    env: &mut dyn Env,
    fd: u32,
    iovs: u32,
    n: u32,
    ri_flags: u32,
    datalen: u32,
    ro_flags: u32,
) -> WasiResult {
    let sock = socket_fd(env, fd)?;
    if ri_flags & !3 != 0 {
        return Err(Errno::INVAL);
    }
    let (iovecs, total) = checked_iovecs(env, iovs, n)?;
    env.check(at(datalen, 0), 4)?;
    env.check(at(ro_flags, 0), 2)?;
    let mut data = vec![0u8; (total as usize).min(MAX_READ)];
    let mut flags = 0;
    if ri_flags & 1 != 0 {
        flags |= libc::MSG_PEEK;
    }
    if ri_flags & 2 != 0 {
        flags |= libc::MSG_WAITALL;
    }
    wait_socket(env, &sock, libc::POLLIN)?;
    // SAFETY: recv into a live buffer of that length, on a descriptor we own.
    let got = unsafe { libc::recv(sock.as_raw_fd(), data.as_mut_ptr().cast(), data.len(), flags) };
    if got < 0 {
        return Err(std::io::Error::last_os_error().into());
    }
    scatter(env, &iovecs, &data[..got as usize])?;
    env.write_u32(at(datalen, 0), got as u32)?;
    env.write(at(ro_flags, 0), &0u16.to_le_bytes())
}

/// `sock_send(fd, si_data, si_data_len, si_flags, so_datalen_ptr)`: `send(2)` of the buffers (no
/// `SIGPIPE`: a closed peer is `EPIPE`).
pub(crate) fn sock_send(env: &mut dyn Env, fd: u32, iovs: u32, n: u32, si_flags: u32, datalen: u32) -> WasiResult {
    let sock = socket_fd(env, fd)?;
    if si_flags != 0 {
        return Err(Errno::INVAL);
    }
    let bytes = gather(env, iovs, n)?;
    env.check(at(datalen, 0), 4)?;
    wait_socket(env, &sock, libc::POLLOUT)?;
    // SAFETY: send from a live buffer of that length, on a descriptor we own.
    let sent = unsafe { libc::send(sock.as_raw_fd(), bytes.as_ptr().cast(), bytes.len(), libc::MSG_NOSIGNAL) };
    if sent < 0 {
        return Err(std::io::Error::last_os_error().into());
    }
    env.write_u32(at(datalen, 0), sent as u32)
}

/// `sock_accept(fd, flags, ro_fd_ptr)`: a connection on listening socket `fd` as a new descriptor
/// (`flags` may hold `fdflags::nonblock`; a non-listening socket is `EINVAL`, as `accept(2)`).
pub(crate) fn sock_accept(env: &mut dyn Env, fd: u32, flags: u32, out: u32) -> WasiResult {
    const FDFLAGS_NONBLOCK: u32 = 4;
    let sock = socket_fd(env, fd)?;
    if flags & !FDFLAGS_NONBLOCK != 0 {
        return Err(Errno::INVAL);
    }
    env.check(at(out, 0), 4)?;
    // A socket that is not listening would never become ready to accept: `EINVAL` at once.
    let mut listening: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt into a live int of the given length, on a descriptor we own.
    let r = unsafe {
        libc::getsockopt(sock.as_raw_fd(), libc::SOL_SOCKET, libc::SO_ACCEPTCONN, (&raw mut listening).cast(), &mut len)
    };
    if r < 0 || listening == 0 {
        return Err(Errno::INVAL);
    }
    wait_socket(env, &sock, libc::POLLIN)?;
    let mut how = libc::SOCK_CLOEXEC;
    if flags & FDFLAGS_NONBLOCK != 0 {
        how |= libc::SOCK_NONBLOCK;
    }
    // SAFETY: accept4 without an address buffer, on a descriptor we own.
    let raw = unsafe { libc::accept4(sock.as_raw_fd(), std::ptr::null_mut(), std::ptr::null_mut(), how) };
    if raw < 0 {
        return Err(std::io::Error::last_os_error().into());
    }
    // SAFETY: accept4 returned a new descriptor that nobody else owns.
    let file = std::fs::File::from(unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(raw) });
    let mut entry = super::ctx::FdEntry::new(Handle::File(OpenFile { file, read: true, write: true, stream: true }));
    entry.flags = flags as u16;
    let new = env.ctx().insert_fd(entry)?;
    env.write_u32(at(out, 0), new)
}
