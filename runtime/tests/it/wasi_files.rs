//! WASI files and directories under `--dir` preopens: the C fixture `files.wasm` (wasi-libc's
//! stdio, `stat`, `opendir`, `rename`, ... and sandbox escapes) through the library and the binary,
//! with the host files checked afterwards; single functions from wasm (preopens, `fd_readdir`
//! paging, symlinks, bad pointers, descriptors shared between clones); `--dir` errors.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};

use common::guest::{BADF, FAULT, Guest};
use common::{text, wasmvm_in};
use wasmvm::Engine;
use wasmvm_runtime::run;
use wasmvm_runtime::wasi::{Errno, OutputPipe, WasiCtx};

/// What `files.wasm /sandbox` prints.
const EXPECTED: &str = "\
read: line 1
read: line 2
read: line 3
after seek 7: line 2
tell: 21
last: line 4
size: 28 regular: 1
dir is dir: 1
excl on existing: EEXIST
read on write-only: EBADF
pread: 2AB5 pos: 10
fstat size: 6
mkdir again: EEXIST
list: . .. hello.txt keep sub
list: . .. inner.txt
rmdir non-empty: ENOTEMPTY
unlink dir: EISDIR
stat old name: ENOENT
unlink missing: ENOENT
list: . .. keep renamed.txt
open /sandbox/../outside: ENOTCAPABLE
open /sandbox/keep/../../outside: ENOTCAPABLE
open /etc/passwd: ENOTCAPABLE
open /sandbox/keep/../renamed.txt: ok
done
";

/// A temp dir holding an empty `sandbox/` (to preopen) and a file `outside` next to it.
fn setup() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let sandbox = tmp.path().join("sandbox");
    fs::create_dir(&sandbox).unwrap();
    fs::write(tmp.path().join("outside"), "untouched").unwrap();
    (tmp, sandbox)
}

/// The sandbox and its neighbour after a successful run of `files.wasm`.
fn check_host_files(tmp: &Path, sandbox: &Path) {
    let mut names: Vec<String> =
        fs::read_dir(sandbox).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["keep", "renamed.txt"]);
    assert_eq!(fs::read_to_string(sandbox.join("renamed.txt")).unwrap(), "line 1\nline 2\nline 3\nline 4\n");
    assert_eq!(fs::read(sandbox.join("keep/data.bin")).unwrap(), b"012AB5");
    assert_eq!(fs::read_to_string(tmp.join("outside")).unwrap(), "untouched");
}

#[test]
fn files_fixture_through_the_library() {
    let (tmp, sandbox) = setup();
    let engine = Engine::default();
    let module = run::load_module(&engine, &common::fixtures().join("files.wasm")).unwrap();
    let out = OutputPipe::new();
    let ctx = WasiCtx::builder()
        .args(["files.wasm", "/sandbox"])
        .preopened_dir(&sandbox, "/sandbox")
        .unwrap()
        .stdout(out.clone())
        .build();
    assert_eq!(run::run_command(&module, ctx).unwrap(), 0, "stdout: {}", text(&out.contents()));
    assert_eq!(text(&out.contents()), EXPECTED);
    check_host_files(tmp.path(), &sandbox);
}

#[test]
fn files_fixture_through_the_binary() {
    let (tmp, sandbox) = setup();
    let wasm = common::fixtures().join("files.wasm");
    let wasm = wasm.to_str().unwrap();
    // `--dir` right after MODULE, relative to the working directory.
    let out = wasmvm_in(tmp.path(), &["run", wasm, "--dir", "sandbox::/sandbox", "/sandbox"]);
    assert_eq!((out.status.code(), text(&out.stderr)), (Some(0), String::new()));
    assert_eq!(text(&out.stdout), EXPECTED);
    check_host_files(tmp.path(), &sandbox);

    // The guest path defaults to HOST_DIR as written; other preopens come first (fd 3, 4).
    let (tmp, sandbox) = setup();
    fs::create_dir(tmp.path().join("other")).unwrap();
    let host = sandbox.to_str().unwrap();
    let out = wasmvm_in(tmp.path(), &["run", "--dir", "other::/other", "--dir", host, wasm, host]);
    assert_eq!((out.status.code(), text(&out.stderr)), (Some(0), String::new()));
    assert_eq!(text(&out.stdout), EXPECTED.replace("/sandbox", host));
    check_host_files(tmp.path(), &sandbox);
}

#[test]
fn dir_errors_are_one_line() {
    let (tmp, _sandbox) = setup();
    for (dir, needle) in [("missing", "missing"), ("outside", "not a directory"), ("sandbox::", "HOST_DIR")] {
        let out = wasmvm_in(tmp.path(), &["run", "--dir", dir, "x.wasm"]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
        assert!(stderr.starts_with("error: --dir") && stderr.contains(needle), "{stderr:?}");
    }
    let out = wasmvm_in(tmp.path(), &["run", "x.wasm", "--dir"]);
    assert_eq!((out.status.code(), text(&out.stderr)), (Some(1), "error: --dir needs a value\n".into()));
    assert!(WasiCtx::builder().preopened_dir(tmp.path().join("outside"), "/x").is_err());
    assert!(WasiCtx::builder().preopened_dir(tmp.path(), "").is_err());
}

const NOTCAPABLE: i32 = Errno::NOTCAPABLE.0 as i32;
const NOENT: i32 = Errno::NOENT.0 as i32;
const LOOP: i32 = Errno::LOOP.0 as i32;
const FD_READ: i64 = 1 << 1;
const FD_WRITE: i64 = 1 << 6;
const CREAT: i64 = 1;

/// A guest with `dir` preopened as `/d` (fd 3).
fn guest(dir: &Path) -> Guest {
    Guest::with_memory(WasiCtx::builder().arg("p").preopened_dir(dir, "/d").unwrap().build())
}

/// `path_open(fd, follow, path, oflags, rights)` with the path at 1000 and the new fd at 16.
fn open(g: &mut Guest, fd: i64, follow: i64, path: &[u8], oflags: i64, rights: i64) -> Result<i64, i32> {
    g.write(1000, path);
    match g.call("path_open", &[fd, follow, 1000, path.len() as i64, oflags, rights, 0, 0, 16]) {
        0 => Ok(i64::from(g.u32_at(16))),
        e => Err(e),
    }
}

#[test]
fn prestat_and_fdstat() {
    let tmp = tempfile::tempdir().unwrap();
    let mut g = guest(tmp.path());
    assert_eq!(g.call("fd_prestat_get", &[3, 64]), 0);
    assert_eq!((g.read(64, 1)[0], g.u32_at(68)), (0, 2));
    assert_eq!(g.call("fd_prestat_dir_name", &[3, 80, 1]), Errno::NAMETOOLONG.0 as i32);
    assert_eq!(g.call("fd_prestat_dir_name", &[3, 80, 2]), 0);
    assert_eq!(g.read(80, 2), b"/d");
    assert_eq!(g.call("fd_prestat_get", &[4, 64]), BADF);
    assert_eq!(g.call("fd_prestat_get", &[3, 65534]), FAULT);
    assert_eq!(g.call("fd_fdstat_get", &[3, 64]), 0);
    assert_eq!(g.read(64, 1)[0], 3, "directory");
    assert_eq!(g.u64_at(80), (1 << 28) - 1, "a directory passes every file and directory right on");
    // A directory has no file rights (before issue 11 it reported FD_FILESTAT_SET_SIZE and more).
    for bit in [1, 2, 5, 6, 7, 8, 22] {
        assert_eq!(g.u64_at(72) & (1 << bit), 0, "directory right bit {bit}");
    }
    for bit in [9, 10, 13, 14, 18, 21, 24, 25, 26] {
        assert_ne!(g.u64_at(72) & (1 << bit), 0, "directory right bit {bit}");
    }

    let fd = open(&mut g, 3, 1, b"f", CREAT, FD_READ | FD_WRITE).unwrap();
    assert_eq!(fd, 4);
    assert_eq!(g.call("fd_fdstat_get", &[fd, 64]), 0);
    assert_eq!(g.read(64, 1)[0], 4, "regular file");
    assert_eq!(g.u64_at(72) & (FD_READ | FD_WRITE) as u64, (FD_READ | FD_WRITE) as u64);
    // A file is not a directory to resolve paths in; closed descriptors are gone.
    assert_eq!(open(&mut g, fd, 1, b"x", 0, FD_READ), Err(Errno::NOTDIR.0 as i32));
    assert_eq!(g.call("fd_close", &[fd]), 0);
    assert_eq!(g.call("fd_close", &[fd]), BADF);
    assert_eq!(open(&mut g, 9, 1, b"f", 0, FD_READ), Err(BADF));
    // Closing the preopen removes it.
    assert_eq!(g.call("fd_close", &[3]), 0);
    assert_eq!(g.call("fd_prestat_get", &[3, 64]), BADF);
}

#[test]
fn bad_guest_input_is_an_errno() {
    let tmp = tempfile::tempdir().unwrap();
    let mut g = guest(tmp.path());
    assert_eq!(open(&mut g, 3, 1, b"a\xffb", CREAT, FD_WRITE), Err(Errno::ILSEQ.0 as i32));
    assert_eq!(open(&mut g, 3, 1, b"a\0b", CREAT, FD_WRITE), Err(Errno::INVAL.0 as i32));
    assert_eq!(open(&mut g, 3, 1, b"/etc/passwd", 0, FD_READ), Err(NOTCAPABLE));
    assert_eq!(open(&mut g, 3, 1, b"../x", CREAT, FD_WRITE), Err(NOTCAPABLE));
    assert_eq!(open(&mut g, 3, 1, b"", 0, FD_READ), Err(NOENT));
    assert_eq!(open(&mut g, 3, 1, b"f", 0x100, FD_READ), Err(Errno::INVAL.0 as i32));
    assert_eq!(g.call("path_open", &[3, 1, 65530, 100, CREAT, FD_WRITE, 0, 0, 16]), FAULT);
    assert_eq!(g.call("path_open", &[3, 1, 0, 1, CREAT, FD_WRITE, 0, 0, 65534]), FAULT);
    assert_eq!(g.call("path_create_directory", &[3, 0xffff_fff0, 0x20]), FAULT);
    assert_eq!(g.call("path_filestat_get", &[3, 1, 0, 0, 0]), NOENT);
    assert_eq!(g.call("fd_readdir", &[3, 65000, 1000, 0, 0]), FAULT);
    assert_eq!(g.call("fd_readdir", &[7, 0, 100, 0, 200]), BADF);
    assert_eq!(g.call("fd_seek", &[3, 0, 9, 0]), Errno::INVAL.0 as i32);
    assert_eq!(g.call("fd_renumber", &[3, 99]), BADF);
    // Nothing was created.
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn symlinks_out_of_the_sandbox_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let sandbox = tmp.path().join("sandbox");
    fs::create_dir(&sandbox).unwrap();
    fs::write(tmp.path().join("secret"), "s").unwrap();
    std::os::unix::fs::symlink(tmp.path(), sandbox.join("up")).unwrap();
    std::os::unix::fs::symlink(tmp.path().join("secret"), sandbox.join("s")).unwrap();
    std::os::unix::fs::symlink("inside", sandbox.join("in")).unwrap();
    let mut g = guest(&sandbox);
    assert_eq!(open(&mut g, 3, 1, b"up/secret", 0, FD_READ), Err(NOTCAPABLE));
    assert_eq!(open(&mut g, 3, 1, b"s", 0, FD_READ), Err(NOTCAPABLE));
    assert_eq!(open(&mut g, 3, 1, b"up/new", CREAT, FD_WRITE), Err(NOTCAPABLE));
    // Without SYMLINK_FOLLOW a symlink is not opened at all.
    assert_eq!(open(&mut g, 3, 0, b"s", 0, FD_READ), Err(LOOP));
    g.write(1000, b"up/secret");
    assert_eq!(g.call("path_filestat_get", &[3, 1, 1000, 9, 64]), NOTCAPABLE);
    assert_eq!(g.call("path_unlink_file", &[3, 1000, 9]), NOTCAPABLE);
    // A dangling link inside creates its target inside.
    let fd = open(&mut g, 3, 1, b"in", CREAT, FD_WRITE).unwrap();
    assert_eq!(g.call("fd_close", &[fd]), 0);
    assert!(sandbox.join("inside").is_file());
    assert_eq!(fs::read_to_string(tmp.path().join("secret")).unwrap(), "s");
}

/// The names in a `fd_readdir` buffer of `len` bytes at `buf`, and the last whole entry's `d_next`.
fn dirents(g: &Guest, buf: u64, len: usize) -> (Vec<String>, u64) {
    let (mut names, mut next, mut at) = (Vec::new(), 0, 0);
    while at + 24 <= len {
        let namlen = g.u32_at(buf + at as u64 + 16) as usize;
        if at + 24 + namlen > len {
            break;
        }
        next = g.u64_at(buf + at as u64);
        names.push(text(&g.read(buf + at as u64 + 24, namlen)));
        at += 24 + namlen;
    }
    (names, next)
}

#[test]
fn readdir_pages_with_cookies() {
    let tmp = tempfile::tempdir().unwrap();
    for n in ["b", "a", "ccc"] {
        fs::write(tmp.path().join(n), n).unwrap();
    }
    fs::create_dir(tmp.path().join("d")).unwrap();
    let mut g = guest(tmp.path());
    assert_eq!(g.call("fd_readdir", &[3, 2000, 4000, 0, 16]), 0);
    let used = g.u32_at(16) as usize;
    assert!(used < 4000);
    assert_eq!(dirents(&g, 2000, used).0, [".", "..", "a", "b", "ccc", "d"]);
    assert_eq!(g.read(2000 + 24 + 1 + 24 + 2 + 20, 1), [4], "a is a regular file");

    // Page through with a buffer that holds about two entries.
    let mut all = Vec::new();
    let mut cookie = 0;
    loop {
        assert_eq!(g.call("fd_readdir", &[3, 2000, 60, cookie, 16]), 0);
        let used = g.u32_at(16) as usize;
        let (names, next) = dirents(&g, 2000, used);
        all.extend(names);
        if used < 60 {
            break;
        }
        cookie = next as i64;
    }
    assert_eq!(all, [".", "..", "a", "b", "ccc", "d"]);
    // Past the end: nothing.
    assert_eq!(g.call("fd_readdir", &[3, 2000, 60, 100, 16]), 0);
    assert_eq!(g.u32_at(16), 0);
    // A file is not a directory.
    let fd = open(&mut g, 3, 1, b"a", 0, FD_READ).unwrap();
    assert_eq!(g.call("fd_readdir", &[fd, 2000, 60, 0, 16]), Errno::NOTDIR.0 as i32);
}

/// Clones of one context (the threads of one program) share one descriptor table.
#[test]
fn clones_share_descriptors() {
    let tmp = tempfile::tempdir().unwrap();
    let ctx = WasiCtx::builder().arg("p").preopened_dir(tmp.path(), "/d").unwrap().build();
    let mut a = Guest::with_memory(ctx.clone());
    let mut b = Guest::with_memory(ctx);
    let fd = open(&mut a, 3, 1, b"shared.txt", CREAT, FD_WRITE).unwrap();
    b.write(100, b"from b");
    b.iovec(0, 100, 6);
    assert_eq!(b.call("fd_write", &[fd, 0, 1, 8]), 0);
    assert_eq!(b.call("fd_renumber", &[fd, 3]), 0);
    assert_eq!(a.call("fd_close", &[fd]), BADF);
    assert_eq!(a.call("fd_close", &[3]), 0);
    assert_eq!(fs::read_to_string(tmp.path().join("shared.txt")).unwrap(), "from b");
    assert_eq!(b.call("fd_write", &[3, 0, 1, 8]), BADF);
}
