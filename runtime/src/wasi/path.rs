//! Sandboxed path resolution: turning a guest path relative to a directory descriptor into a host
//! path that is guaranteed (up to the race noted below) to lie inside that directory.
//!
//! WASI has no ambient file system: every path a program names is relative to a directory
//! descriptor (a preopen, or a directory opened through one), and must not reach anything outside
//! that directory. [`resolve`] enforces this in three steps:
//!
//! 1. **Syntax.** The path must be UTF-8 (`EILSEQ`), free of NUL bytes (`EINVAL`), non-empty
//!    (`ENOENT`) and relative: an absolute path is `ENOTCAPABLE`. (wasi-libc already turns `/dir/x`
//!    into `x` relative to the preopen named `/dir`, so only a hostile or confused program sends one.)
//! 2. **Lexical `..`.** Components are walked left to right; `.` and empty components vanish and
//!    `..` removes the previous component. A `..` with nothing left to remove would climb above the
//!    directory: `ENOTCAPABLE`. So `a/../b` is `b`, while `../x` and `a/../../x` are refused.
//! 3. **Symlinks.** Everything but the last component is canonicalized on the host (which follows
//!    its symlinks) and must still lie under the directory's canonical path, else `ENOTCAPABLE`; so a
//!    symlink `link -> /etc` cannot be used as `link/passwd`. The last component is followed only when
//!    asked (`LOOKUPFLAGS_SYMLINK_FOLLOW`): its target is resolved the same way (parent canonicalized
//!    and checked, up to 40 links, then `ELOOP`), so a link to an outside file is refused too, even a
//!    dangling one that `O_CREAT` would create. When not following, the operation works on the link
//!    itself (and `path_open` passes `O_NOFOLLOW`, so opening a symlink fails with `ELOOP`).
//!
//! The returned host path therefore has a symlink-free parent inside the sandbox and a last
//! component that is either not a symlink or is not followed. The check is path-based, not
//! descriptor-based (no `openat2(RESOLVE_BENEATH)`): a host process, or a concurrent rename by the
//! program itself of a symlink that already points outside, can swap a checked directory for a
//! symlink between the check and the use. Programs cannot create symlinks (`path_symlink` is
//! `ENOSYS`), so this needs an outside-pointing link the host put inside the sandbox.

use std::ffi::OsStr;
use std::fs;
use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};

use super::Errno;

/// Longest guest path accepted (longer ones are `ENAMETOOLONG`, as they would be on the host).
pub(crate) const MAX_PATH: u32 = 4096;

/// How many symlinks one resolution follows before giving up with `ELOOP` (Linux's limit).
const MAX_LINKS: usize = 40;

/// A guest path resolved against a directory.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Resolved {
    /// The host path to operate on.
    pub host: PathBuf,
    /// The path names the directory itself (e.g. `.` or `a/..`): it cannot be removed or renamed.
    pub is_root: bool,
}

/// Resolve guest path `guest` relative to the directory whose canonical host path is `root`;
/// `follow` says whether a symlink in the last component is followed. See the module docs.
pub(crate) fn resolve(root: &Path, guest: &[u8], follow: bool) -> Result<Resolved, Errno> {
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
    let mut parts: Vec<&str> = Vec::new();
    for c in text.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop().ok_or(Errno::NOTCAPABLE)?;
            }
            name => parts.push(name),
        }
    }
    let Some((last, dirs)) = parts.split_last() else {
        return Ok(Resolved { host: root.to_path_buf(), is_root: true });
    };
    let parent = within(root, &dirs.iter().fold(root.to_path_buf(), |p, d| p.join(d)))?;
    let mut host = parent.join(last);
    if follow {
        host = follow_links(root, host)?;
    }
    // A trailing slash (`dir/`) asks the host to insist on a directory.
    if text.ends_with('/') {
        host.push("");
    }
    Ok(Resolved { host, is_root: false })
}

/// The canonical form of the existing directory `dir`, if it lies under `root`.
fn within(root: &Path, dir: &Path) -> Result<PathBuf, Errno> {
    let canonical = fs::canonicalize(dir)?;
    if !canonical.starts_with(root) {
        return Err(Errno::NOTCAPABLE);
    }
    if !canonical.is_dir() {
        return Err(Errno::NOTDIR);
    }
    Ok(canonical)
}

/// Follow symlinks in the last component of `path` (whose parent is canonical and inside `root`)
/// until it is not one, checking that each target's parent stays inside `root`.
fn follow_links(root: &Path, mut path: PathBuf) -> Result<PathBuf, Errno> {
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {}
            // Not a link, or nothing there yet (to be created): done.
            Ok(_) => return Ok(path),
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(path),
            Err(e) => return Err(e.into()),
        }
        let target = fs::read_link(&path)?;
        let base = path.parent().ok_or(Errno::NOTCAPABLE)?;
        // `base` is canonical, so lexical `..` on it is exact; an absolute target replaces it.
        let mut joined = PathBuf::new();
        for c in base.join(&target).components() {
            match c {
                Component::RootDir | Component::Prefix(_) => joined.push(c.as_os_str()),
                Component::CurDir => {}
                Component::ParentDir => {
                    joined.pop();
                }
                Component::Normal(n) => joined.push(n),
            }
        }
        let (Some(dir), Some(name)) = (joined.parent(), joined.file_name().map(OsStr::to_os_string)) else {
            // The target is `/` (or `..` up to it).
            return Err(Errno::NOTCAPABLE);
        };
        path = match within(root, dir) {
            Ok(dir) => dir.join(name),
            // A missing directory is reported as such only if it would have been inside.
            Err(e) if joined.starts_with(root) => return Err(e),
            Err(_) => return Err(Errno::NOTCAPABLE),
        };
    }
    Err(Errno::LOOP)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// A fresh sandbox `root` (canonical) next to an `outside` directory, in a temp dir.
    fn sandbox() -> (tempfile::TempDir, PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(tmp.path()).unwrap().join("root");
        fs::create_dir_all(root.join("a/b")).unwrap();
        fs::create_dir(root.parent().unwrap().join("outside")).unwrap();
        fs::write(root.parent().unwrap().join("outside/secret"), "s").unwrap();
        fs::write(root.join("a/file"), "f").unwrap();
        (tmp, root)
    }

    fn ok(root: &Path, guest: &str, follow: bool) -> PathBuf {
        resolve(root, guest.as_bytes(), follow).unwrap_or_else(|e| panic!("{guest}: {e}")).host
    }

    fn err(root: &Path, guest: &str, follow: bool) -> Errno {
        resolve(root, guest.as_bytes(), follow).expect_err(guest)
    }

    #[test]
    fn lexical_resolution_stays_inside() {
        let (_tmp, root) = sandbox();
        assert_eq!(ok(&root, "a/file", true), root.join("a/file"));
        assert_eq!(ok(&root, "./a//b/../file", true), root.join("a/file"));
        assert_eq!(ok(&root, "new", false), root.join("new"));
        let r = resolve(&root, b"a/..", true).unwrap();
        assert!(r.is_root);
        assert_eq!(r.host, root);
        assert!(resolve(&root, b".", false).unwrap().is_root);
        assert!(!resolve(&root, b"a", false).unwrap().is_root);
        assert_eq!(ok(&root, "a/b/", true), root.join("a/b/"));
    }

    #[test]
    fn escapes_are_refused() {
        let (_tmp, root) = sandbox();
        for p in ["..", "../x", "../outside/secret", "a/../../x", "a/b/../../../root/a", "/etc/passwd", "/"] {
            assert_eq!(err(&root, p, true), Errno::NOTCAPABLE, "{p}");
            assert_eq!(err(&root, p, false), Errno::NOTCAPABLE, "{p}");
        }
    }

    #[test]
    fn bad_syntax() {
        let (_tmp, root) = sandbox();
        assert_eq!(resolve(&root, b"a/\xff", true), Err(Errno::ILSEQ));
        assert_eq!(resolve(&root, b"a\0b", true), Err(Errno::INVAL));
        assert_eq!(resolve(&root, b"", true), Err(Errno::NOENT));
        // A missing or non-directory parent.
        assert_eq!(resolve(&root, b"nope/x", true), Err(Errno::NOENT));
        assert_eq!(resolve(&root, b"a/file/x", true), Err(Errno::NOTDIR));
    }

    #[test]
    fn symlinks_to_outside_are_refused() {
        let (_tmp, root) = sandbox();
        let outside = root.parent().unwrap().join("outside");
        symlink(&outside, root.join("out_dir")).unwrap();
        symlink(outside.join("secret"), root.join("out_file")).unwrap();
        symlink("../outside/new", root.join("out_dangling")).unwrap();
        symlink("/", root.join("slash")).unwrap();
        symlink("a/file", root.join("in_file")).unwrap();
        symlink("..", root.join("a/b/up")).unwrap();
        symlink("loop", root.join("loop")).unwrap();

        // Through a directory link, whether or not the last component is followed.
        assert_eq!(err(&root, "out_dir/secret", true), Errno::NOTCAPABLE);
        assert_eq!(err(&root, "out_dir/secret", false), Errno::NOTCAPABLE);
        assert_eq!(err(&root, "out_dir/", true), Errno::NOTCAPABLE);
        // As the last component: refused when followed, the link itself otherwise.
        assert_eq!(err(&root, "out_file", true), Errno::NOTCAPABLE);
        assert_eq!(err(&root, "out_dangling", true), Errno::NOTCAPABLE);
        assert_eq!(err(&root, "slash", true), Errno::NOTCAPABLE);
        assert_eq!(ok(&root, "out_file", false), root.join("out_file"));
        // Links that stay inside work.
        assert_eq!(ok(&root, "in_file", true), root.join("a/file"));
        assert_eq!(ok(&root, "a/b/up/file", true), root.join("a/file"));
        assert_eq!(ok(&root, "a/b/up", true), root.join("a"));
        assert_eq!(err(&root, "loop", true), Errno::LOOP);
        // The sandbox of a subdirectory is that subdirectory.
        let sub = root.join("a/b");
        assert_eq!(err(&sub, "up/file", true), Errno::NOTCAPABLE);
        assert_eq!(err(&sub, "..", true), Errno::NOTCAPABLE);
    }
}
