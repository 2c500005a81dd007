//! Reading a file *beneath* a directory, race-free: the primitive of the library search policy
//! ([`search`](crate::search)).
//!
//! A name a guest asks for (`dlopen`, `NEEDED`, a runtime path) must never reach a file outside the
//! directories the host trusts, whatever `..`, absolute paths or symlinks it contains, and even if the
//! directory changes while it is resolved. Checking a path and then opening it leaves a window (a
//! directory swapped for a symlink in between), so the check and the open are one kernel operation:
//! Linux's `openat2(dirfd, name, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)`, which fails (`EXDEV`) as
//! soon as any step of the resolution — `..`, an absolute path, an absolute or escaping symlink —
//! would leave `dirfd`. Where `openat2` is missing (Linux before 5.6, a seccomp filter) the name is
//! walked one component at a time with `openat(O_NOFOLLOW)` and `..` refused: no symlink is followed
//! at all, which is stricter but equally race-free. Other systems get the portable check (lexical `..`
//! and canonicalised result under the canonical directory), which has the window described above.
//!
//! Only regular files are read (opened with `O_NONBLOCK`, so a FIFO cannot block the loader, then
//! checked with `fstat`), and at most [`MAX_FILE`] bytes. Every failure is `None`: callers report it
//! like a missing file, so a guest learns nothing about what exists outside.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

/// The largest library file read (a wasm module larger than this is refused like a missing one).
pub(crate) const MAX_FILE: u64 = 1 << 30;

/// Is `rel` acceptable at all as a name beneath a directory: non-empty, relative, no NUL byte?
fn plausible(rel: &str) -> bool {
    !rel.is_empty() && !rel.starts_with('/') && !rel.contains('\0') && rel.len() <= 4096
}

/// Read the regular file `rel` beneath the directory `root` (a trusted host path); `None` if it does not
/// exist, is not a regular file, or resolving it would leave `root`.
pub(crate) fn read_beneath(root: &Path, rel: &str) -> Option<Arc<[u8]>> {
    if !plausible(rel) {
        return None;
    }
    let file = open_beneath(root, rel)?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() > MAX_FILE {
        return None;
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE + 1).read_to_end(&mut bytes).ok()?;
    if bytes.len() as u64 > MAX_FILE {
        return None;
    }
    Some(Arc::from(bytes))
}

#[cfg(target_os = "linux")]
fn open_beneath(root: &Path, rel: &str) -> Option<File> {
    use std::ffi::CString;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::os::unix::ffi::OsStrExt;

    let root_c = CString::new(root.as_os_str().as_bytes()).ok()?;
    // SAFETY: a valid NUL-terminated path; the result is checked and owned below.
    let dir = unsafe { libc::open(root_c.as_ptr(), libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC) };
    if dir < 0 {
        return None;
    }
    // SAFETY: `dir` is a descriptor we just opened and own.
    let dir = unsafe { OwnedFd::from_raw_fd(dir) };
    let flags = libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NONBLOCK | libc::O_NOCTTY;
    let name = CString::new(rel).ok()?;
    // SAFETY: `open_how` is plain data; zeroed is a valid value (and required for its padding).
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    how.flags = flags as u64;
    how.resolve = libc::RESOLVE_BENEATH | libc::RESOLVE_NO_MAGICLINKS;
    // SAFETY: the arguments match openat2(2): a directory fd, a C string, a pointer to `open_how` and its size.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            dir.as_raw_fd(),
            name.as_ptr(),
            &how as *const libc::open_how,
            std::mem::size_of::<libc::open_how>(),
        )
    };
    if fd >= 0 {
        // SAFETY: openat2 returned a new descriptor that nothing else owns.
        return Some(unsafe { File::from_raw_fd(fd as i32) });
    }
    let err = std::io::Error::last_os_error().raw_os_error();
    if err != Some(libc::ENOSYS) && err != Some(libc::EPERM) {
        return None;
    }
    // No openat2: one component at a time, never following a symlink, never going up.
    let parts: Vec<&str> = rel.split('/').filter(|c| !c.is_empty() && *c != ".").collect();
    let (last, dirs) = parts.split_last()?;
    if parts.contains(&"..") {
        return None;
    }
    let mut cur = dir;
    for c in dirs {
        let c = CString::new(*c).ok()?;
        // SAFETY: a directory fd we own and a C string.
        let fd = unsafe {
            libc::openat(
                cur.as_raw_fd(),
                c.as_ptr(),
                libc::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return None;
        }
        // SAFETY: a new descriptor that nothing else owns.
        cur = unsafe { OwnedFd::from_raw_fd(fd) };
    }
    let c = CString::new(*last).ok()?;
    // SAFETY: as above.
    let fd = unsafe { libc::openat(cur.as_raw_fd(), c.as_ptr(), flags | libc::O_NOFOLLOW) };
    // SAFETY: a new descriptor that nothing else owns.
    (fd >= 0).then(|| unsafe { File::from_raw_fd(fd) })
}

#[cfg(not(target_os = "linux"))]
fn open_beneath(root: &Path, rel: &str) -> Option<File> {
    let mut depth = 0usize;
    for c in rel.split('/') {
        match c {
            "" | "." => {}
            ".." => depth = depth.checked_sub(1)?,
            _ => depth += 1,
        }
    }
    let root = root.canonicalize().ok()?;
    let path = root.join(rel).canonicalize().ok()?;
    if !path.starts_with(&root) {
        return None;
    }
    File::open(path).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("wasmvm-beneath-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("lib/sub")).unwrap();
        d
    }

    #[test]
    fn stays_beneath_the_directory() {
        let d = tmp("rules");
        std::fs::write(d.join("secret"), b"outside").unwrap();
        std::fs::write(d.join("lib/a.so"), b"inside").unwrap();
        let lib = d.join("lib");
        assert_eq!(read_beneath(&lib, "a.so").as_deref(), Some(&b"inside"[..]));
        assert_eq!(read_beneath(&lib, "sub/../a.so").as_deref(), Some(&b"inside"[..]));
        assert_eq!(read_beneath(&lib, "./a.so").as_deref(), Some(&b"inside"[..]));
        for bad in ["../secret", "sub/../../secret", "", "/etc/passwd", "a.so\0x", "sub", "missing.so"] {
            assert_eq!(read_beneath(&lib, bad), None, "{bad:?}");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(d.join("secret"), lib.join("abs_link")).unwrap();
            std::os::unix::fs::symlink("../secret", lib.join("rel_link")).unwrap();
            std::os::unix::fs::symlink("/etc", lib.join("etc")).unwrap();
            std::os::unix::fs::symlink("a.so", lib.join("ok_link")).unwrap();
            for bad in ["abs_link", "rel_link", "etc/passwd"] {
                assert_eq!(read_beneath(&lib, bad), None, "{bad:?}");
            }
            assert_eq!(read_beneath(&lib, "ok_link").as_deref(), Some(&b"inside"[..]));
        }
        let _ = std::fs::remove_dir_all(&d);
    }
}
