//! The preview1 calls issue 11 added, from real programs: `calls.wasm` (C through wasi-libc, see
//! `fixtures/calls.c`) and `rust_fs.wasm` (Rust `std::fs` for `wasm32-wasip1`, see
//! `fixtures/rust_fs`): symlinks, hard links, readlink, times, allocate, advise, `O_APPEND`,
//! rights, `sock_shutdown`; and the standard streams as they are on the host (a file, a pipe or a
//! terminal), which decides whether wasi-libc buffers stdout.
//!
//! (Before issue 11: `symlink`, `link`, `readlink`, `utimensat`, `futimens`, `posix_fallocate`,
//! `posix_fadvise`, `fd_fdstat_set_rights` and `sock_shutdown` were `ENOSYS`, clearing
//! `O_APPEND` was `ENOTSUP`, directories reported `FD_FILESTAT_SET_SIZE`, and every standard
//! stream was a terminal to `isatty`.)

use crate::common;

use std::fs;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::process::Stdio;

use common::{text, wasmvm_with};

fn fixture(name: &str) -> String {
    common::fixtures().join(name).to_str().unwrap().to_string()
}

/// Run `calls.wasm` on a fresh sandbox with the given stdout; returns (status, stderr, sandbox dir).
fn run_calls(stdout: Stdio) -> (Option<i32>, String, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir(tmp.path().join("sb")).unwrap();
    let out =
        wasmvm_with(tmp.path(), &["run", &fixture("calls.wasm"), "--dir", "sb::/sb", "/sb"], Stdio::null(), stdout);
    (out.status.code(), text(&out.stderr), tmp)
}

#[test]
fn c_program_uses_links_times_space_rights_and_sockets() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir(tmp.path().join("sb")).unwrap();
    let out = wasmvm_with(
        tmp.path(),
        &["run", &fixture("calls.wasm"), "--dir", "sb::/sb", "/sb"],
        Stdio::null(),
        Stdio::piped(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let want = fs::read_to_string(common::fixtures().join("expected/calls.stdout")).unwrap();
    assert_eq!(text(&out.stdout), want);
    // What the program did is on the host.
    let sb = tmp.path().join("sb");
    assert_eq!(fs::read_link(sb.join("sublink")).unwrap().to_str(), Some("sub"));
    assert_eq!(fs::read_link(sb.join("out")).unwrap().to_str(), Some("../.."));
    assert_eq!(fs::metadata(sb.join("hard")).unwrap().ino(), fs::metadata(sb.join("file.txt")).unwrap().ino());
    assert_eq!(fs::metadata(sb.join("file.txt")).unwrap().len(), 4096);
    assert_eq!(fs::read_to_string(sb.join("append.txt")).unwrap(), "BaaaC");
    assert_eq!(fs::read_to_string(sb.join("sub/inner.txt")).unwrap(), "inner");
    assert!(!sb.join("link").exists());
}

/// `fd N: isatty X KIND` for stdin, stdout, stderr, as `calls.wasm` prints them on stderr.
fn stdio_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.starts_with("fd ")).collect()
}

#[test]
fn stdio_is_what_the_host_descriptor_is() {
    // stdout a pipe (stdin /dev/null, stderr a pipe): nothing is a terminal. (Preview1 has no
    // file type for a pipe: `unknown`, which wasi-libc's `fstat` gives as no S_IF* type.)
    let (status, stderr, _tmp) = run_calls(Stdio::piped());
    assert_eq!(status, Some(0));
    assert_eq!(stdio_lines(&stderr), ["fd 0: isatty 0 chardev", "fd 1: isatty 0 other", "fd 2: isatty 0 other"]);

    // stdout a file.
    let dir = tempfile::tempdir().unwrap();
    let file = fs::File::create(dir.path().join("out.txt")).unwrap();
    let (status, stderr, _tmp) = run_calls(Stdio::from(file));
    assert_eq!(status, Some(0));
    assert_eq!(stdio_lines(&stderr)[1], "fd 1: isatty 0 file");
    assert!(fs::read_to_string(dir.path().join("out.txt")).unwrap().ends_with("done\n"));

    // stdout a terminal (a pseudo-terminal's slave side).
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two descriptors; the name, termios and winsize are not asked for.
    let r = unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), std::ptr::null()) };
    assert_eq!(r, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and are owned here.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    // Drain the terminal so the program never blocks writing to it.
    let drain = std::thread::spawn(move || {
        let mut m = fs::File::from(master);
        let mut sink = Vec::new();
        let _ = std::io::Read::read_to_end(&mut m, &mut sink);
    });
    let (status, stderr, _tmp) = run_calls(Stdio::from(slave));
    assert_eq!(status, Some(0));
    assert_eq!(stdio_lines(&stderr)[1], "fd 1: isatty 1 chardev");
    drop(drain);
}

#[test]
fn rust_std_fs_program() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir(tmp.path().join("sb")).unwrap();
    let out = wasmvm_with(
        tmp.path(),
        &["run", &fixture("rust_fs.wasm"), "--dir", "sb::/sb", "/sb"],
        Stdio::null(),
        Stdio::piped(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let want = fs::read_to_string(common::fixtures().join("expected/rust_fs.stdout")).unwrap();
    assert_eq!(text(&out.stdout), want);
    assert_eq!(text(&out.stderr), "stdout is terminal: false\n");
    // What is left: the symlink pointing out, untouched, and the hard link, extended to 10 bytes.
    let sb = tmp.path().join("sb");
    assert_eq!(fs::read_link(sb.join("escape")).unwrap().to_str(), Some("../../etc"));
    assert_eq!(fs::read(sb.join("hard")).unwrap(), b"hello\0\0\0\0\0");
}
