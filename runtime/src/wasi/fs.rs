//! Files and directories: preopens, the `path_*` functions, and listing directories.
//!
//! Every path is checked by [`path::parse`] and resolved beneath its directory descriptor by
//! `cap-std` (see `path.rs` for the sandboxing rules); host results become WASI errnos through the
//! OS error number, and `cap-std`'s refusal of an escape becomes `ENOTCAPABLE`. Each call needs
//! the matching right on its directory descriptor (`ENOTCAPABLE` otherwise, see `rights.rs`).
//! Descriptor-level file operations (positioned I/O, seeking, sizes, times): `file.rs`.
//!
//! - `path_open` opens for reading if the requested base rights include `fd_read`, for writing if
//!   they include `fd_write` (read-only on the host if neither: the descriptor then allows
//!   neither); the new descriptor's rights are those asked for, within the directory's inheriting
//!   rights and what the object can do.
//! - `path_link` links a symlink itself unless asked to follow it (`lookupflags::symlink_follow`,
//!   as `linkat(AT_SYMLINK_FOLLOW)`; Rust's `std::fs::hard_link` asks, wasi-libc's `link` does not).
//! - `fd_readdir` lists the directory when asked from cookie 0 and serves later cookies from that
//!   listing (`.` and `..` first, then the entries sorted by name), so a program paging through a
//!   directory sees one consistent snapshot; `..` has inode 0 (it may lie outside the sandbox).

use std::ffi::OsStr;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;

use cap_fs_ext::{DirExt, FollowSymlinks, OpenOptionsFollowExt, OpenOptionsMaybeDirExt};
use cap_std::fs::{Dir, OpenOptions, OpenOptionsExt};
use std::os::unix::fs::DirEntryExt;

use super::ctx::{FdEntry, Handle, OpenDir, OpenFile};
use super::fd::{FDFLAGS_ALL, FDFLAGS_APPEND, FILETYPE_DIRECTORY};
use super::file::{filetype_of, fstat, meta_stat, stat_bytes, time_specs};
use super::mem::{Env, at};
use super::path::{self, GuestPath, MAX_PATH};
use super::rights::{self, *};
use super::{Errno, WasiResult};

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

/// One entry of a directory listing.
#[derive(Debug, Clone)]
pub(crate) struct DirEntry {
    name: Vec<u8>,
    ino: u64,
    filetype: u8,
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

/// A directory descriptor `fd` with `right`: its (duplicated) host directory and its inheriting
/// rights. `ENOTDIR` for other descriptors, `ENOTCAPABLE` without the right.
fn dir_of(env: &mut dyn Env, fd: u32, right: u64) -> Result<(Dir, u64), Errno> {
    env.ctx().with_fd(fd, |e| match &e.handle {
        Handle::Dir(d) => {
            e.require(right)?;
            Ok((d.dir.try_clone()?, e.inheriting))
        }
        _ => Err(Errno::NOTDIR),
    })
}

/// Read and check the guest path at `ptr` (`len` bytes).
fn guest_path(env: &mut dyn Env, ptr: u32, len: u32) -> Result<GuestPath, Errno> {
    if len > MAX_PATH {
        return Err(Errno::NAMETOOLONG);
    }
    path::parse(&env.read_bytes(at(ptr, 0), len)?)
}

/// Directory descriptor `fd` (which must have `right`) and the guest path at `ptr`.
fn resolve_at(env: &mut dyn Env, fd: u32, right: u64, ptr: u32, len: u32) -> Result<(Dir, GuestPath), Errno> {
    let (dir, _) = dir_of(env, fd, right)?;
    Ok((dir, guest_path(env, ptr, len)?))
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
    base: u64,
    inheriting: u64,
    fdflags: u32,
    opened: u32,
) -> WasiResult {
    if oflags & !(OFLAGS_CREAT | OFLAGS_DIRECTORY | OFLAGS_EXCL | OFLAGS_TRUNC) != 0 || fdflags & !FDFLAGS_ALL != 0 {
        return Err(Errno::INVAL);
    }
    env.check(at(opened, 0), 4)?;
    let (creat, excl, trunc) = (oflags & OFLAGS_CREAT != 0, oflags & OFLAGS_EXCL != 0, oflags & OFLAGS_TRUNC != 0);
    let mut needed = PATH_OPEN;
    if creat {
        needed |= PATH_CREATE_FILE;
    }
    if trunc {
        needed |= PATH_FILESTAT_SET_SIZE;
    }
    let (dir, dir_inheriting) = dir_of(env, fd, needed)?;
    let p = guest_path(env, ptr, len)?;
    let (read, write) = (base & FD_READ != 0, base & FD_WRITE != 0);
    if (read && dir_inheriting & FD_READ == 0) || (write && dir_inheriting & FD_WRITE == 0) {
        return Err(Errno::NOTCAPABLE);
    }
    // `O_CREAT | O_EXCL` never follows a final symlink.
    let follow = dirflags & LOOKUP_SYMLINK_FOLLOW != 0 && !(creat && excl);
    let follow = if follow { FollowSymlinks::Yes } else { FollowSymlinks::No };

    let handle = if oflags & OFLAGS_DIRECTORY != 0 {
        if write || trunc || creat {
            return Err(if creat { Errno::INVAL } else { Errno::ISDIR });
        }
        let d = if follow == FollowSymlinks::Yes { dir.open_dir(&p.path)? } else { dir.open_dir_nofollow(&p.path)? };
        Handle::Dir(OpenDir { dir: d, preopen: None, listing: None })
    } else {
        let mut flags = 0;
        for (bit, flag) in
            [(FDFLAGS_DSYNC, libc::O_DSYNC), (FDFLAGS_RSYNC, libc::O_RSYNC), (FDFLAGS_SYNC, libc::O_SYNC)]
        {
            if fdflags & bit != 0 {
                flags |= flag;
            }
        }
        let append = fdflags as u16 & FDFLAGS_APPEND != 0;
        let mut o = OpenOptions::new();
        // The host needs some access mode: read-only when the program asked for neither.
        o.read(read || !write)
            .write(write)
            .append(write && append)
            .create(creat)
            .create_new(creat && excl)
            .truncate(trunc)
            .custom_flags(flags)
            .mode(0o666);
        o.follow(follow).maybe_dir(!write && !trunc);
        let file = dir.open_with(&p.path, &o)?.into_std();
        if file.metadata()?.is_dir() {
            Handle::Dir(OpenDir { dir: Dir::from_std_file(file), preopen: None, listing: None })
        } else {
            let stream = !file.metadata()?.is_file();
            Handle::File(OpenFile { file, read, write, stream })
        }
    };
    let mut entry = FdEntry::new(handle);
    entry.flags = fdflags as u16;
    entry.base &= base & dir_inheriting;
    entry.inheriting &= inheriting & dir_inheriting;
    let fd = env.ctx().insert_fd(entry)?;
    env.write_u32(at(opened, 0), fd)
}

/// `path_filestat_get(fd, flags, path, path_len, stat_ptr)`.
pub(crate) fn path_filestat_get(env: &mut dyn Env, fd: u32, flags: u32, ptr: u32, len: u32, out: u32) -> WasiResult {
    let (dir, p) = resolve_at(env, fd, PATH_FILESTAT_GET, ptr, len)?;
    env.check(at(out, 0), 64)?;
    // A trailing slash (or `/.`) asks for a directory, so a final symlink is followed (as
    // `lstat("link/")` does on the host), beneath the directory like any other.
    let bytes = p.path.as_os_str().as_bytes();
    let follow = flags & LOOKUP_SYMLINK_FOLLOW != 0 || bytes.ends_with(b"/") || bytes.ends_with(b"/.");
    let m = if follow { dir.metadata(&p.path)? } else { dir.symlink_metadata(&p.path)? };
    env.write(at(out, 0), &stat_bytes(&meta_stat(&m)))
}

/// `path_filestat_set_times(fd, flags, path, path_len, atim, mtim, fst_flags)`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn path_filestat_set_times(
    env: &mut dyn Env,
    fd: u32,
    flags: u32,
    ptr: u32,
    len: u32,
    atim: u64,
    mtim: u64,
    fst: u32,
) -> WasiResult {
    let (dir, p) = resolve_at(env, fd, PATH_FILESTAT_SET_TIMES, ptr, len)?;
    let [a, m] = time_specs(atim, mtim, fst)?;
    if flags & LOOKUP_SYMLINK_FOLLOW != 0 {
        dir.set_times(&p.path, a, m)?;
    } else {
        dir.set_symlink_times(&p.path, a, m)?;
    }
    Ok(())
}

/// `path_create_directory(fd, path, path_len)`.
pub(crate) fn create_directory(env: &mut dyn Env, fd: u32, ptr: u32, len: u32) -> WasiResult {
    let (dir, p) = resolve_at(env, fd, PATH_CREATE_DIRECTORY, ptr, len)?;
    if p.is_root {
        return Err(Errno::EXIST);
    }
    Ok(dir.create_dir(&p.path)?)
}

/// `path_remove_directory(fd, path, path_len)`: only an empty directory (`ENOTEMPTY`).
pub(crate) fn remove_directory(env: &mut dyn Env, fd: u32, ptr: u32, len: u32) -> WasiResult {
    let (dir, p) = resolve_at(env, fd, PATH_REMOVE_DIRECTORY, ptr, len)?;
    if p.is_root {
        return Err(Errno::BUSY);
    }
    Ok(dir.remove_dir(&p.path)?)
}

/// `path_unlink_file(fd, path, path_len)`: a file or symlink (`EISDIR` for a directory).
pub(crate) fn unlink_file(env: &mut dyn Env, fd: u32, ptr: u32, len: u32) -> WasiResult {
    let (dir, p) = resolve_at(env, fd, PATH_UNLINK_FILE, ptr, len)?;
    if p.is_root {
        return Err(Errno::ISDIR);
    }
    // A trailing slash names a directory: `unlink("file/")` is ENOTDIR on the host already.
    Ok(dir.remove_file(&p.path)?)
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
    let (from_dir, from) = resolve_at(env, fd, PATH_RENAME_SOURCE, old, old_len)?;
    let (to_dir, to) = resolve_at(env, new_fd, PATH_RENAME_TARGET, new, new_len)?;
    if from.is_root || to.is_root {
        return Err(Errno::BUSY);
    }
    Ok(from_dir.rename(&from.path, &to_dir, &to.path)?)
}

/// `path_symlink(old_path, old_len, fd, new_path, new_len)`: a symlink at `new_path` whose target
/// is the text `old_path` (any text; it resolves under the sandbox rules when used).
pub(crate) fn symlink(env: &mut dyn Env, old: u32, old_len: u32, fd: u32, new: u32, new_len: u32) -> WasiResult {
    let (dir, link) = resolve_at(env, fd, PATH_SYMLINK, new, new_len)?;
    if old_len > MAX_PATH {
        return Err(Errno::NAMETOOLONG);
    }
    let target = env.read_bytes(at(old, 0), old_len)?;
    let target = std::str::from_utf8(&target).map_err(|_| Errno::ILSEQ)?;
    if target.contains('\0') {
        return Err(Errno::INVAL);
    }
    if target.is_empty() {
        return Err(Errno::NOENT);
    }
    if link.is_root {
        return Err(Errno::EXIST);
    }
    Ok(dir.symlink_contents(target, &link.path)?)
}

/// `path_readlink(fd, path, path_len, buf, buf_len, bufused_ptr)`: the link's target text, cut
/// off at `buf_len` bytes (as `readlink(2)`); `EINVAL` if it is not a symlink.
pub(crate) fn readlink(
    env: &mut dyn Env,
    fd: u32,
    ptr: u32,
    len: u32,
    buf: u32,
    buf_len: u32,
    used: u32,
) -> WasiResult {
    let (dir, p) = resolve_at(env, fd, PATH_READLINK, ptr, len)?;
    env.check(at(buf, 0), u64::from(buf_len))?;
    env.check(at(used, 0), 4)?;
    let target = dir.read_link_contents(&p.path)?;
    let bytes = target.as_os_str().as_bytes();
    let n = bytes.len().min(buf_len as usize);
    env.write(at(buf, 0), &bytes[..n])?;
    env.write_u32(at(used, 0), n as u32)
}

/// `path_link(old_fd, old_flags, old_path, old_len, new_fd, new_path, new_len)`: a hard link.
#[allow(clippy::too_many_arguments)]
pub(crate) fn link(
    env: &mut dyn Env,
    old_fd: u32,
    old_flags: u32,
    old: u32,
    old_len: u32,
    new_fd: u32,
    new: u32,
    new_len: u32,
) -> WasiResult {
    let (from_dir, from) = resolve_at(env, old_fd, PATH_LINK_SOURCE, old, old_len)?;
    let (to_dir, to) = resolve_at(env, new_fd, PATH_LINK_TARGET, new, new_len)?;
    if from.is_root {
        return Err(Errno::PERM);
    }
    if to.is_root {
        return Err(Errno::EXIST);
    }
    // Following a final symlink: link what it resolves to (resolved beneath the directory; the link
    // itself is made by name, beneath it too, so a race can only make it fail).
    let source = if old_flags & LOOKUP_SYMLINK_FOLLOW != 0 { from_dir.canonicalize(&from.path)? } else { from.path };
    Ok(from_dir.hard_link(&source, &to_dir, &to.path)?)
}

/// The entries of `dir`: `.`, `..`, then the rest sorted by name.
fn list(dir: &Dir) -> Result<Vec<DirEntry>, Errno> {
    let ino = fstat(dir.as_fd())?.ino;
    let mut entries = Vec::new();
    for e in dir.entries()? {
        let e = e?;
        let filetype = e.file_type().map_or(0, |t| filetype_of(&t));
        entries.push(DirEntry { name: OsStr::as_bytes(&e.file_name()).to_vec(), ino: e.ino(), filetype });
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
        if e.base & rights::FD_READDIR == 0 {
            return Err(Errno::NOTCAPABLE);
        }
        if cookie == 0 || d.listing.is_none() {
            d.listing = Some(list(&d.dir)?);
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
