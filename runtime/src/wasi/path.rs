//! Sandboxed path resolution: every guest path is resolved beneath the directory descriptor it is
//! relative to, race-free.
//!
//! WASI has no ambient file system: every path a program names is relative to a directory
//! descriptor (a preopen, or a directory opened through one), and must not reach anything outside
//! that directory. The rules:
//!
//! 1. **Syntax** ([`parse`]). The path must be UTF-8 (`EILSEQ`), free of NUL bytes (`EINVAL`),
//!    non-empty (`ENOENT`), at most [`MAX_PATH`] bytes (`ENAMETOOLONG`) and relative: an absolute
//!    path is `ENOTCAPABLE`. A `..` that climbs above the directory on the face of the path
//!    (`../x`, `a/../../x`) is `ENOTCAPABLE` before anything is looked up.
//! 2. **Resolution beneath a descriptor.** The path is handed, as written, to `cap-std`'s
//!    [`Dir`](cap_std::fs::Dir), which holds the directory's host descriptor. On Linux it resolves
//!    with `openat2(RESOLVE_BENEATH)`, where the kernel itself walks the path and refuses any step
//!    (`..`, an absolute symlink, a symlink whose target climbs out) that would leave the
//!    directory; where `openat2` is missing, `cap-std` walks component by component with
//!    `openat(O_NOFOLLOW)` on descriptors, reading each symlink and continuing the walk from a
//!    descriptor, never by re-walking a name. Either way a component is checked and used in the
//!    same system call, so no check can be raced: a host process (or another guest thread) that
//!    swaps a directory for a symlink to the outside between two opens gets the open refused, not
//!    redirected (the `sandbox_race` test swaps with `renameat2(RENAME_EXCHANGE)` while opening).
//!    An escape is `ENOTCAPABLE`.
//! 3. **Symlinks.** Symlinks inside the sandbox work, relative ones and chains of them (up to
//!    the kernel's 40, then `ELOOP`), as long as every step stays beneath the directory. The last
//!    component is followed only when asked (`lookupflags::symlink_follow`); otherwise the call
//!    works on the link itself (`path_open` of a link without following is `ELOOP`). A trailing
//!    slash asks for a directory and therefore follows the last link, under the same rule, so
//!    `path_filestat_get("link_to_outside/")` is `ENOTCAPABLE`, never the outside directory's stat.
//!    Symlinks the program makes (`path_symlink`) may hold any target text; they resolve under
//!    the same rules, so one pointing outside (or absolute) cannot be followed.
//!
//! Why `cap-std` rather than a hand-written walk: it is what wasmtime's WASI uses for exactly this
//! job, it already has the `openat2` fast path and the portable fallback, and it carries the
//! operations (`symlink`, hard links, `set_times`, no-follow opens via `cap-fs-ext`) with the same
//! resolution, so no operation has its own, weaker walk.

use std::path::PathBuf;

use super::Errno;

/// Longest guest path accepted (longer ones are `ENAMETOOLONG`, as they would be on the host).
pub(crate) const MAX_PATH: u32 = 4096;

/// A guest path, checked and ready to resolve beneath a directory.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct GuestPath {
    /// The path as the program wrote it (relative; trailing slash kept).
    pub path: PathBuf,
    /// The path names the directory itself (e.g. `.` or `a/..`): it cannot be removed or renamed.
    pub is_root: bool,
}

/// Check guest path `guest` (rule 1 of the module docs).
pub(crate) fn parse(guest: &[u8]) -> Result<GuestPath, Errno> {
    if guest.len() > MAX_PATH as usize {
        return Err(Errno::NAMETOOLONG);
    }
    let text = std::str::from_utf8(guest).map_err(|_| Errno::ILSEQ)?;
    if text.contains('\0') {
        return Err(Errno::INVAL);
    }
    if text.is_empty() {
        return Err(Errno::NOENT);
    }
    if text.starts_with('/') {
        return Err(Errno::NOTCAPABLE);
    }
    let mut depth = 0usize;
    for c in text.split('/') {
        match c {
            "" | "." => {}
            ".." => depth = depth.checked_sub(1).ok_or(Errno::NOTCAPABLE)?,
            _ => depth += 1,
        }
    }
    Ok(GuestPath { path: PathBuf::from(text), is_root: depth == 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax() {
        assert_eq!(parse(b"a/\xff"), Err(Errno::ILSEQ));
        assert_eq!(parse(b"a\0b"), Err(Errno::INVAL));
        assert_eq!(parse(b""), Err(Errno::NOENT));
        assert_eq!(parse(&[b'a'; 5000]), Err(Errno::NAMETOOLONG));
        for p in ["..", "../x", "a/../../x", "/etc/passwd", "/"] {
            assert_eq!(parse(p.as_bytes()), Err(Errno::NOTCAPABLE), "{p}");
        }
        assert!(parse(b".").unwrap().is_root);
        assert!(parse(b"a/..").unwrap().is_root);
        assert!(parse(b"./a//..").unwrap().is_root);
        let p = parse(b"a/b/").unwrap();
        assert!(!p.is_root);
        assert_eq!(p.path, PathBuf::from("a/b/"));
    }
}
