//! Reading a file *beneath* a directory, race-free: the primitive of the library search policy
//! ([`search`](crate::search)).
//!
//! A name a guest asks for (`dlopen`, `NEEDED`, a runtime path) must never reach a file outside the
//! directories the host trusts, whatever `..`, absolute paths or symlinks it contains, and even if the
//! directory changes while it is resolved. Checking a path and then opening it leaves a window (a
//! directory swapped for a symlink in between), so the name is resolved relative to the directory's
//! descriptor by `cap-std` (the same crate the WASI layer uses for `--dir`): Linux's
//! `openat2(RESOLVE_BENEATH)`, which fails as soon as any step — `..`, an absolute path, an absolute or
//! escaping symlink — would leave the directory, or where that is missing a walk that checks every
//! component and symlink against the directory.
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

/// Open `rel` beneath `root` with `cap-std` (as the WASI layer does): on Linux one
/// `openat2(RESOLVE_BENEATH)`, elsewhere or without it a component-by-component walk that keeps every step,
/// symlinks included, beneath the directory.
fn open_beneath(root: &Path, rel: &str) -> Option<File> {
    use cap_std::fs::{Dir, OpenOptions};
    let dir = Dir::open_ambient_dir(root, cap_std::ambient_authority()).ok()?;
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    cap_std::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK | libc::O_NOCTTY);
    dir.open_with(rel, &options).ok().map(cap_std::fs::File::into_std)
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
