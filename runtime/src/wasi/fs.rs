//! Files and directories: preopens, `path_*` functions and the descriptor functions that only make
//! sense on files and directories (positioned I/O, seeking, listing, sizes, syncing, renumbering).
//!
//! Every path goes through [`path::resolve`], which keeps it inside the
//! directory descriptor it is relative to (see `path.rs` for the sandboxing rules); host results
//! become WASI errnos through the OS error number. What is not done:
//!
//! - rights are not enforced beyond the open mode: `path_open` opens for reading if the requested
//!   base rights include `fd_read`, for writing if they include `fd_write` (both if neither: the
//!   descriptor then allows neither), and a directory passes every right on;
//! - `path_link`, `path_symlink`, `path_readlink`, `*_set_times`, `fd_advise` and `fd_allocate`
//!   stay `ENOSYS`; `fd_readdir`'s `..` entry has inode 0 (it may lie outside the sandbox);
//! - `fd_readdir` lists the directory when asked from cookie 0 and serves later cookies from that
//!   listing (`.` and `..` first, then the entries sorted by name), so a program paging through a
//!   directory sees one consistent snapshot.

use std::fs::{self, FileType, Metadata, OpenOptions};
use std::io::{Seek, SeekFrom};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirEntryExt, FileExt, FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::ctx::{FdEntry, Handle, OpenDir, OpenFile, lock};
use super::fd::{FDFLAGS_ALL, FDFLAGS_APPEND, FILETYPE_DIRECTORY, MAX_READ, RIGHT_FD_READ, RIGHT_FD_WRITE};
use super::fd::{checked_iovecs, gather, scatter};
use super::mem::{Env, at};
use super::path::{self, MAX_PATH, Resolved};
use super::{Errno, WasiResult};

const FILETYPE_UNKNOWN: u8 = 0;
const FILETYPE_BLOCK_DEVICE: u8 = 1;
const FILETYPE_CHARACTER_DEVICE: u8 = 2;
const FILETYPE_REGULAR_FILE: u8 = 4;
const FILETYPE_SOCKET_STREAM: u8 = 6;
const FILETYPE_SYMBOLIC_LINK: u8 = 7;

/// `lookupflags::symlink_follow`.
const LOOKUP_SYMLINK_FOLLOW: u32 = 1;
// `oflags`.
const OFLAGS_CREAT: u32 = 1;
const OFLAGS_DIRECTORY: u32 = 2;
const OFLAGS_EXCL: u32 = 4;
const OFLAGS_TRUNC: u32 = 8;
// `fdflags` other than append.
const FDFLAGS_DSYNC: u32 = 2;
const FDFLAGS_RSYNC: u32 = 8;
const FDFLAGS_SYNC: u32 = 16;
// `whence`.
const WHENCE_SET: u32 = 0;
const WHENCE_CUR: u32 = 1;
const WHENCE_END: u32 = 2;

/// One entry of a directory listing.
#[derive(Debug, Clone)]
pub(crate) struct DirEntry {
    name: Vec<u8>,
    ino: u64,
    filetype: u8,
}

fn filetype(t: FileType) -> u8 {
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

/// Nanoseconds since the epoch (0 before it).
fn nanos(secs: i64, nsecs: i64) -> u64 {
    u64::try_from(i128::from(secs) * 1_000_000_000 + i128::from(nsecs)).unwrap_or(0)
}

/// A 64-byte `filestat`: dev, ino, filetype, nlink, size, atim, mtim, ctim.
pub(crate) fn filestat(m: &Metadata) -> [u8; 64] {
    let mut s = [0u8; 64];
    s[0..8].copy_from_slice(&m.dev().to_le_bytes());
    s[8..16].copy_from_slice(&m.ino().to_le_bytes());
    s[16] = filetype(m.file_type());
    s[24..32].copy_from_slice(&m.nlink().to_le_bytes());
    s[32..40].copy_from_slice(&m.size().to_le_bytes());
    s[40..48].copy_from_slice(&nanos(m.atime(), m.atime_nsec()).to_le_bytes());
    s[48..56].copy_from_slice(&nanos(m.mtime(), m.mtime_nsec()).to_le_bytes());
    s[56..64].copy_from_slice(&nanos(m.ctime(), m.ctime_nsec()).to_le_bytes());
    s
}

/// The guest name of preopened directory `fd` (`EBADF` for any other descriptor, which ends
/// wasi-libc's scan of the preopens at startup).
fn preopen_name(env: &mut dyn Env, fd: u32) -> Result<String, Errno> {
    env.ctx().with_fd(fd, |e| match &e.handle {
        Handle::Dir(OpenDir { preopen: Some(name), .. }) => Ok(name.clone()),
        _ => Err(Errno::BADF),
    })
}

/// `fd_prestat_get(fd, prestat_ptr)`: tag 0 (directory) and the length of its name.
pub(crate) fn prestat_get(env: &mut dyn Env, fd: u32, ptr: u32) -> WasiResult {
    let name = preopen_name(env, fd)?;
    let mut prestat = [0u8; 8];
    prestat[4..8].copy_from_slice(&(name.len() as u32).to_le_bytes());
    env.write(at(ptr, 0), &prestat)
}

/// `fd_prestat_dir_name(fd, path, path_len)`: the name, without a terminating NUL.
pub(crate) fn prestat_dir_name(env: &mut dyn Env, fd: u32, ptr: u32, len: u32) -> WasiResult {
    let name = preopen_name(env, fd)?;
    if (len as usize) < name.len() {
        return Err(Errno::NAMETOOLONG);
    }
    env.write(at(ptr, 0), name.as_bytes())
}

/// The canonical host path of directory descriptor `fd` (`ENOTDIR` for other descriptors).
fn dir_of(env: &mut dyn Env, fd: u32) -> Result<PathBuf, Errno> {
    env.ctx().with_fd(fd, |e| match &e.handle {
        Handle::Dir(d) => Ok(d.host.clone()),
        _ => Err(Errno::NOTDIR),
    })
}

/// Resolve the guest path at `ptr` (`len` bytes) relative to directory descriptor `fd`.
fn resolve_at(env: &mut dyn Env, fd: u32, ptr: u32, len: u32, follow: bool) -> Result<Resolved, Errno> {
    let root = dir_of(env, fd)?;
    if len > MAX_PATH {
        return Err(Errno::NAMETOOLONG);
    }
    let guest = env.read_bytes(at(ptr, 0), len)?;
    path::resolve(&root, &guest, follow)
}

/// `path_open(fd, dirflags, path, path_len, oflags, rights_base, rights_inheriting, fdflags,
/// opened_fd_ptr)`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn path_open(
    env: &mut dyn Env,
    fd: u32,
    dirflags: u32,
    ptr: u32,
    len: u32,
    oflags: u32,
    rights: u64,
    fdflags: u32,
    opened: u32,
) -> WasiResult {
    if oflags & !(OFLAGS_CREAT | OFLAGS_DIRECTORY | OFLAGS_EXCL | OFLAGS_TRUNC) != 0 || fdflags & !FDFLAGS_ALL != 0 {
        return Err(Errno::INVAL);
    }
    env.check(at(opened, 0), 4)?;
    let (creat, excl) = (oflags & OFLAGS_CREAT != 0, oflags & OFLAGS_EXCL != 0);
    // `O_CREAT | O_EXCL` never follows a final symlink.
    let follow = dirflags & LOOKUP_SYMLINK_FOLLOW != 0 && !(creat && excl);
    let Resolved { host, .. } = resolve_at(env, fd, ptr, len, follow)?;
    let (read, write) = (rights & RIGHT_FD_READ != 0, rights & RIGHT_FD_WRITE != 0);

    let existing = fs::symlink_metadata(&host).ok();
    let is_dir = existing.as_ref().is_some_and(Metadata::is_dir);
    if creat && excl && existing.is_some() {
        return Err(Errno::EXIST);
    }
    if oflags & OFLAGS_DIRECTORY != 0 || is_dir {
        match &existing {
            None => return Err(Errno::NOENT),
            Some(m) if m.file_type().is_symlink() => return Err(Errno::LOOP),
            Some(m) if !m.is_dir() => return Err(Errno::NOTDIR),
            Some(_) if write || oflags & OFLAGS_TRUNC != 0 => return Err(Errno::ISDIR),
            Some(_) => {}
        }
        let host = fs::canonicalize(&host)?;
        let dir = OpenDir { host, preopen: None, listing: None };
        let fd = env.ctx().insert_fd(FdEntry { handle: Handle::Dir(dir), flags: fdflags as u16 })?;
        return env.write_u32(at(opened, 0), fd);
    }

    let mut flags = libc::O_NOFOLLOW;
    for (bit, flag) in [(OFLAGS_CREAT, libc::O_CREAT), (OFLAGS_EXCL, libc::O_EXCL), (OFLAGS_TRUNC, libc::O_TRUNC)] {
        if oflags & bit != 0 {
            flags |= flag;
        }
    }
    for (bit, flag) in [(FDFLAGS_DSYNC, libc::O_DSYNC), (FDFLAGS_RSYNC, libc::O_RSYNC), (FDFLAGS_SYNC, libc::O_SYNC)] {
        if fdflags & bit != 0 {
            flags |= flag;
        }
    }
    let append = fdflags as u16 & FDFLAGS_APPEND != 0;
    // The host needs some access mode: read-only when the program asked for neither.
    let file = OpenOptions::new()
        .read(read || !write)
        .write(write)
        .append(write && append)
        .custom_flags(flags)
        .mode(0o666)
        .open(&host)?;
    let entry = FdEntry { handle: Handle::File(OpenFile { file, read, write }), flags: fdflags as u16 };
    let fd = env.ctx().insert_fd(entry)?;
    env.write_u32(at(opened, 0), fd)
}

/// Run `f` on the file open at `fd`: `ESPIPE` for a standard stream, `EISDIR` for a directory.
fn with_file<R>(env: &mut dyn Env, fd: u32, f: impl FnOnce(&mut OpenFile) -> Result<R, Errno>) -> Result<R, Errno> {
    env.ctx().with_fd(fd, |e| match &mut e.handle {
        Handle::File(file) => f(file),
        Handle::Dir(_) => Err(Errno::ISDIR),
        Handle::In(_) | Handle::Out(_) => Err(Errno::SPIPE),
    })
}

/// `fd_pread(fd, iovs, iovs_len, offset, nread_ptr)`: the file position does not change.
pub(crate) fn pread(env: &mut dyn Env, fd: u32, iovs: u32, n: u32, offset: u64, nread: u32) -> WasiResult {
    with_file(env, fd, |f| if f.read { Ok(()) } else { Err(Errno::BADF) })?;
    let (iovecs, total) = checked_iovecs(env, iovs, n)?;
    env.check(at(nread, 0), 4)?;
    let mut data = vec![0; (total as usize).min(MAX_READ)];
    let got = with_file(env, fd, |f| Ok(f.file.read_at(&mut data, offset)?))?;
    scatter(env, &iovecs, &data[..got])?;
    env.write_u32(at(nread, 0), got as u32)
}

/// `fd_pwrite(fd, iovs, iovs_len, offset, nwritten_ptr)`: the file position does not change.
pub(crate) fn pwrite(env: &mut dyn Env, fd: u32, iovs: u32, n: u32, offset: u64, nwritten: u32) -> WasiResult {
    with_file(env, fd, |f| if f.write { Ok(()) } else { Err(Errno::BADF) })?;
    let bytes = gather(env, iovs, n)?;
    env.check(at(nwritten, 0), 4)?;
    with_file(env, fd, |f| Ok(f.file.write_all_at(&bytes, offset)?))?;
    env.write_u32(at(nwritten, 0), bytes.len() as u32)
}

/// `fd_seek(fd, offset, whence, newoffset_ptr)`; streams cannot seek (`ESPIPE`).
pub(crate) fn seek(env: &mut dyn Env, fd: u32, offset: i64, whence: u32, newoffset: u32) -> WasiResult {
    let to = match whence {
        WHENCE_SET => SeekFrom::Start(u64::try_from(offset).map_err(|_| Errno::INVAL)?),
        WHENCE_CUR => SeekFrom::Current(offset),
        WHENCE_END => SeekFrom::End(offset),
        _ => return Err(Errno::INVAL),
    };
    env.ctx().with_fd(fd, |_| Ok(()))?;
    env.check(at(newoffset, 0), 8)?;
    let pos = with_file(env, fd, |f| Ok(f.file.seek(to)?))?;
    env.write_u64(at(newoffset, 0), pos)
}

/// `fd_tell(fd, offset_ptr)`.
pub(crate) fn tell(env: &mut dyn Env, fd: u32, offset: u32) -> WasiResult {
    seek(env, fd, 0, WHENCE_CUR, offset)
}

/// `fd_filestat_set_size(fd, size)`: truncate or extend (`EINVAL` unless open for writing).
pub(crate) fn filestat_set_size(env: &mut dyn Env, fd: u32, size: u64) -> WasiResult {
    with_file(env, fd, |f| if f.write { Ok(f.file.set_len(size)?) } else { Err(Errno::INVAL) })
        .map_err(|e| if e == Errno::SPIPE { Errno::INVAL } else { e })
}

/// `fd_sync(fd)` and `fd_datasync(fd)`: flush a file or directory to storage.
pub(crate) fn sync(env: &mut dyn Env, fd: u32, data_only: bool) -> WasiResult {
    env.ctx().with_fd(fd, |e| {
        let dir;
        let file = match &e.handle {
            Handle::File(f) => &f.file,
            Handle::Dir(d) => {
                dir = fs::File::open(&d.host)?;
                &dir
            }
            Handle::In(_) | Handle::Out(_) => return Err(Errno::INVAL),
        };
        if data_only {
            file.sync_data()?
        } else {
            file.sync_all()?
        }
        Ok(())
    })
}

/// `fd_renumber(from, to)`: both must be open; `to` is closed and `from` takes its number.
pub(crate) fn renumber(env: &mut dyn Env, from: u32, to: u32) -> WasiResult {
    if let Some(old) = env.ctx().renumber(from, to)?
        && let Handle::Out(w) = &mut lock(&old).handle
    {
        let _ = w.flush();
    }
    Ok(())
}

/// The entries of directory `host`: `.`, `..`, then the rest sorted by name.
fn list(host: &Path) -> Result<Vec<DirEntry>, Errno> {
    let ino = fs::metadata(host)?.ino();
    let mut entries = Vec::new();
    for e in fs::read_dir(host)? {
        let e = e?;
        let filetype = e.file_type().map_or(FILETYPE_UNKNOWN, filetype);
        entries.push(DirEntry { name: e.file_name().as_bytes().to_vec(), ino: e.ino(), filetype });
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    let dots = [(".", ino), ("..", 0)].map(|(n, ino)| DirEntry {
        name: n.as_bytes().to_vec(),
        ino,
        filetype: FILETYPE_DIRECTORY,
    });
    Ok(dots.into_iter().chain(entries).collect())
}

/// `fd_readdir(fd, buf, buf_len, cookie, bufused_ptr)`: `dirent`s (each followed by its name) from
/// entry number `cookie` on, cut off at `buf_len` bytes. A full buffer (`bufused == buf_len`)
/// means there may be more; wasi-libc then asks again from the `d_next` of the last whole entry.
pub(crate) fn readdir(env: &mut dyn Env, fd: u32, buf: u32, len: u32, cookie: u64, bufused: u32) -> WasiResult {
    env.check(at(buf, 0), u64::from(len))?;
    env.check(at(bufused, 0), 4)?;
    let bytes = env.ctx().with_fd(fd, |e| {
        let Handle::Dir(d) = &mut e.handle else { return Err(Errno::NOTDIR) };
        if cookie == 0 || d.listing.is_none() {
            d.listing = Some(list(&d.host)?);
        }
        let listing = d.listing.as_deref().unwrap_or_default();
        let mut out = Vec::new();
        let start = usize::try_from(cookie).unwrap_or(usize::MAX);
        for (i, entry) in listing.iter().enumerate().skip(start) {
            if out.len() >= len as usize {
                break;
            }
            // A 24-byte `dirent` (d_next, d_ino, d_namlen, d_type, padding), then the name.
            out.extend_from_slice(&(i as u64 + 1).to_le_bytes());
            out.extend_from_slice(&entry.ino.to_le_bytes());
            out.extend_from_slice(&(entry.name.len() as u32).to_le_bytes());
            out.extend_from_slice(&[entry.filetype, 0, 0, 0]);
            out.extend_from_slice(&entry.name);
        }
        out.truncate(len as usize);
        Ok(out)
    })?;
    env.write(at(buf, 0), &bytes)?;
    env.write_u32(at(bufused, 0), bytes.len() as u32)
}

/// `path_filestat_get(fd, flags, path, path_len, stat_ptr)`.
pub(crate) fn path_filestat_get(env: &mut dyn Env, fd: u32, flags: u32, ptr: u32, len: u32, out: u32) -> WasiResult {
    let follow = flags & LOOKUP_SYMLINK_FOLLOW != 0;
    let r = resolve_at(env, fd, ptr, len, follow)?;
    env.check(at(out, 0), 64)?;
    let m = if follow { fs::metadata(&r.host)? } else { fs::symlink_metadata(&r.host)? };
    env.write(at(out, 0), &filestat(&m))
}

/// `path_create_directory(fd, path, path_len)`.
pub(crate) fn create_directory(env: &mut dyn Env, fd: u32, ptr: u32, len: u32) -> WasiResult {
    let r = resolve_at(env, fd, ptr, len, false)?;
    if r.is_root {
        return Err(Errno::EXIST);
    }
    Ok(fs::create_dir(&r.host)?)
}

/// `path_remove_directory(fd, path, path_len)`: only an empty directory (`ENOTEMPTY`).
pub(crate) fn remove_directory(env: &mut dyn Env, fd: u32, ptr: u32, len: u32) -> WasiResult {
    let r = resolve_at(env, fd, ptr, len, false)?;
    if r.is_root {
        return Err(Errno::BUSY);
    }
    Ok(fs::remove_dir(&r.host)?)
}

/// `path_unlink_file(fd, path, path_len)`: a file or symlink (`EISDIR` for a directory).
pub(crate) fn unlink_file(env: &mut dyn Env, fd: u32, ptr: u32, len: u32) -> WasiResult {
    let r = resolve_at(env, fd, ptr, len, false)?;
    if r.is_root {
        return Err(Errno::ISDIR);
    }
    // A trailing slash names a directory: `unlink("file/")` is ENOTDIR on the host already.
    Ok(fs::remove_file(&r.host)?)
}

/// `path_rename(fd, old_path, old_len, new_fd, new_path, new_len)`.
pub(crate) fn rename(
    env: &mut dyn Env,
    fd: u32,
    old: u32,
    old_len: u32,
    new_fd: u32,
    new: u32,
    new_len: u32,
) -> WasiResult {
    let from = resolve_at(env, fd, old, old_len, false)?;
    let to = resolve_at(env, new_fd, new, new_len, false)?;
    if from.is_root || to.is_root {
        return Err(Errno::BUSY);
    }
    Ok(fs::rename(&from.host, &to.host)?)
}
