//! The path sandbox under attack (issue 11): a host thread swapping a directory and a symlink to
//! the outside while the guest opens through it, the metadata leak through a trailing slash, and
//! symlinks the guest makes itself.

use crate::common;

use std::ffi::CString;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, symlink};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::guest::*;
use wasmvm_runtime::wasi::{Errno, WasiCtx};

const FD_READ: i64 = 1 << 1;
const FD_WRITE: i64 = 1 << 6;
const CREAT: i64 = 1;
const FOLLOW: i64 = 1;

/// A guest with `dir` preopened as `/d` (fd 3).
fn guest(dir: &Path) -> Guest {
    Guest::with_memory(WasiCtx::builder().arg("p").preopened_dir(dir, "/d").unwrap().build())
}

/// `path_open(3, follow, path, oflags, rights)`, path at 1000, new fd at 16.
fn open(g: &mut Guest, follow: i64, path: &[u8], oflags: i64, rights: i64) -> Result<i64, i32> {
    g.write(1000, path);
    match g.call("path_open", &[3, follow, 1000, path.len() as i64, oflags, rights, 0, 0, 16]) {
        0 => Ok(i64::from(g.u32_at(16))),
        e => Err(e),
    }
}

/// Read up to 64 bytes from `fd` (buffer at 2000).
fn read(g: &mut Guest, fd: i64) -> Vec<u8> {
    g.iovec(100, 2000, 64);
    assert_eq!(g.call("fd_read", &[fd, 100, 1, 120]), 0);
    let n = g.u32_at(120) as usize;
    g.read(2000, n)
}

/// `root/` (the sandbox) with `d/f` = "inside" and `l -> ../outside`, next to `outside/f` =
/// "SECRET".
fn sandbox() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    fs::create_dir_all(root.join("d")).unwrap();
    fs::write(root.join("d/f"), "inside").unwrap();
    fs::create_dir(tmp.path().join("outside")).unwrap();
    fs::write(tmp.path().join("outside/f"), "SECRET").unwrap();
    symlink("../outside", root.join("l")).unwrap();
    (tmp, root)
}

fn cpath(p: &Path) -> CString {
    CString::new(p.as_os_str().as_bytes()).unwrap()
}

/// A host thread swaps `d` (a directory) and `l` (a symlink to the outside) with
/// `renameat2(RENAME_EXCHANGE)` as fast as it can while the guest opens and reads `d/f`. Every
/// open must give the inside file or fail; none may give the outside one. (Before issue 11 the
/// check-then-open sandbox let about 1 in 600 opens through, in every run.)
#[test]
fn a_racing_swap_never_lets_an_open_out() {
    const OPENS: usize = 40_000;
    let (_tmp, root) = sandbox();
    let mut g = guest(&root);
    let stop = Arc::new(AtomicBool::new(false));
    let (d, l) = (cpath(&root.join("d")), cpath(&root.join("l")));
    let swapper = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut swaps = 0u64;
            while !stop.load(Ordering::Relaxed) {
                // SAFETY: two live NUL-terminated paths.
                let r = unsafe {
                    libc::renameat2(libc::AT_FDCWD, d.as_ptr(), libc::AT_FDCWD, l.as_ptr(), libc::RENAME_EXCHANGE)
                };
                assert_eq!(r, 0, "renameat2: {}", std::io::Error::last_os_error());
                swaps += 1;
            }
            swaps
        })
    };
    let (mut inside, mut refused, mut escaped) = (0, 0, 0);
    for _ in 0..OPENS {
        match open(&mut g, FOLLOW, b"d/f", 0, FD_READ) {
            Ok(fd) => {
                match read(&mut g, fd).as_slice() {
                    b"inside" => inside += 1,
                    b"SECRET" => escaped += 1,
                    other => panic!("read {other:?}"),
                }
                assert_eq!(g.call("fd_close", &[fd]), 0);
            }
            Err(_) => refused += 1,
        }
    }
    stop.store(true, Ordering::Relaxed);
    let swaps = swapper.join().unwrap();
    eprintln!("{OPENS} opens: {inside} inside, {refused} refused, {escaped} escaped; {swaps} swaps");
    assert_eq!(escaped, 0, "opens that read the outside file");
    assert!(swaps > 1000 && inside > 0 && refused > 0, "the race did not happen: {swaps} swaps");
}

/// `path_filestat_get` without `SYMLINK_FOLLOW` of `lnk_dir/` (a symlink to an outside directory,
/// with a trailing slash) must not return the outside directory's stat. (Before: it did.)
#[test]
fn a_trailing_slash_does_not_leak_outside_metadata() {
    let (tmp, root) = sandbox();
    let outside_ino = fs::metadata(tmp.path().join("outside")).unwrap().ino();
    let mut g = guest(&root);
    for (path, flags) in [(&b"l/"[..], 0), (b"l/", FOLLOW), (b"l/.", 0), (b"l", FOLLOW)] {
        g.write(1000, path);
        let r = g.call("path_filestat_get", &[3, flags, 1000, path.len() as i64, 64]);
        assert_eq!(r, NOTCAPABLE, "{:?} flags {flags}", String::from_utf8_lossy(path));
    }
    // Without the slash and without following, it is the link's own stat (file type symlink).
    g.write(1000, b"l");
    assert_eq!(g.call("path_filestat_get", &[3, 0, 1000, 1, 64]), 0);
    assert_eq!(g.read(64 + 16, 1)[0], 7);
    assert_ne!(g.u64_at(64 + 8), outside_ino);
}

/// Symlinks the guest makes resolve under the same rules: inside ones work, ones that point out
/// (relative or absolute) cannot be followed; `path_readlink` reads them back.
#[test]
fn guest_symlinks_follow_the_same_rules() {
    let (_tmp, root) = sandbox();
    let mut g = guest(&root);
    let symlink = |g: &mut Guest, target: &[u8], link: &[u8]| {
        g.write(3000, target);
        g.write(3500, link);
        g.call("path_symlink", &[3000, target.len() as i64, 3, 3500, link.len() as i64])
    };
    assert_eq!(symlink(&mut g, b"d", b"in"), 0);
    assert_eq!(symlink(&mut g, b"../outside", b"up"), 0);
    assert_eq!(symlink(&mut g, b"/etc", b"abs"), 0);
    assert_eq!(symlink(&mut g, b"d", b"in"), Errno::EXIST.0 as i32);
    assert_eq!(symlink(&mut g, b"d", b"../x"), NOTCAPABLE);
    assert_eq!(fs::read_link(root.join("up")).unwrap(), Path::new("../outside"));

    let fd = open(&mut g, FOLLOW, b"in/f", 0, FD_READ).unwrap();
    assert_eq!(read(&mut g, fd), b"inside");
    assert_eq!(open(&mut g, FOLLOW, b"up/f", 0, FD_READ), Err(NOTCAPABLE));
    assert_eq!(open(&mut g, FOLLOW, b"abs/passwd", 0, FD_READ), Err(NOTCAPABLE));
    assert_eq!(open(&mut g, FOLLOW, b"up/new", CREAT, FD_WRITE), Err(NOTCAPABLE));
    assert!(!root.parent().unwrap().join("outside/new").exists());

    // path_readlink: the target text, cut off at the buffer's size.
    g.write(1000, b"up");
    assert_eq!(g.call("path_readlink", &[3, 1000, 2, 4000, 100, 24]), 0);
    assert_eq!((g.u32_at(24), g.read(4000, 10)), (10, b"../outside".to_vec()));
    assert_eq!(g.call("path_readlink", &[3, 1000, 2, 4000, 4, 24]), 0);
    assert_eq!((g.u32_at(24), g.read(4000, 4)), (4, b"../o".to_vec()));
    g.write(1000, b"d");
    assert_eq!(g.call("path_readlink", &[3, 1000, 1, 4000, 100, 24]), INVAL);
}

/// Links inside the sandbox that climb and come back work, chains too; `path_link` cannot reach
/// out either; a directory whose `path_open` right was dropped opens nothing.
#[test]
fn inside_links_work_and_rights_are_enforced() {
    let (_tmp, root) = sandbox();
    fs::create_dir(root.join("d/e")).unwrap();
    symlink("../../d/e/..", root.join("d/e/back")).unwrap();
    symlink("d/e/back", root.join("chain")).unwrap();
    let mut g = guest(&root);
    let fd = open(&mut g, FOLLOW, b"chain/f", 0, FD_READ).unwrap();
    assert_eq!(read(&mut g, fd), b"inside");
    let fd = open(&mut g, FOLLOW, b"d/e/back/e/back/f", 0, FD_READ).unwrap();
    assert_eq!(read(&mut g, fd), b"inside");

    // path_link(old_fd, flags, old, new_fd, new): out of the sandbox on either side is refused.
    g.write(3000, b"d/f");
    g.write(3500, b"../stolen");
    assert_eq!(g.call("path_link", &[3, 0, 3000, 3, 3, 3500, 9]), NOTCAPABLE);
    g.write(3000, b"l/f");
    g.write(3500, b"stolen");
    assert_eq!(g.call("path_link", &[3, 0, 3000, 3, 3, 3500, 6]), NOTCAPABLE);
    assert!(!root.join("stolen").exists());
    g.write(3000, b"d/f");
    assert_eq!(g.call("path_link", &[3, 0, 3000, 3, 3, 3500, 6]), 0);
    assert_eq!(fs::read(root.join("stolen")).unwrap(), b"inside");

    // Drop PATH_OPEN (bit 13) from the preopen: it can still be listed, but opens nothing.
    assert_eq!(g.call("fd_fdstat_get", &[3, 64]), 0);
    let (base, inheriting) = (g.u64_at(72), g.u64_at(80));
    assert_eq!(g.call("fd_fdstat_set_rights", &[3, (base & !(1 << 13)) as i64, inheriting as i64]), 0);
    assert_eq!(open(&mut g, FOLLOW, b"d/f", 0, FD_READ), Err(NOTCAPABLE));
    assert_eq!(g.call("fd_readdir", &[3, 4000, 200, 0, 24]), 0);
    assert_eq!(g.call("fd_fdstat_set_rights", &[3, base as i64, inheriting as i64]), NOTCAPABLE);
}

/// `path_link` of a symlink: the link itself, or (with `SYMLINK_FOLLOW`) what it points to, which
/// must be inside.
#[test]
fn path_link_follows_only_when_asked() {
    let (_tmp, root) = sandbox();
    symlink("d/f", root.join("lf")).unwrap();
    let mut g = guest(&root);
    g.write(3000, b"lf");
    g.write(3500, b"h1");
    assert_eq!(g.call("path_link", &[3, 0, 3000, 2, 3, 3500, 2]), 0);
    assert!(fs::symlink_metadata(root.join("h1")).unwrap().file_type().is_symlink());
    g.write(3500, b"h2");
    assert_eq!(g.call("path_link", &[3, FOLLOW, 3000, 2, 3, 3500, 2]), 0);
    assert_eq!(fs::metadata(root.join("h2")).unwrap().ino(), fs::metadata(root.join("d/f")).unwrap().ino());
    // A symlink to the outside cannot be followed into a hard link.
    symlink("../outside/f", root.join("lo")).unwrap();
    g.write(3000, b"lo");
    g.write(3500, b"h3");
    assert_eq!(g.call("path_link", &[3, FOLLOW, 3000, 2, 3, 3500, 2]), NOTCAPABLE);
    assert!(!root.join("h3").exists());
}
