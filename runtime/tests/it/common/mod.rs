//! Shared by the integration tests: the fixture folder and the cases of `expected/cases.tsv`.

#![allow(dead_code)]

pub mod guest;

use std::path::PathBuf;

/// `runtime/tests/fixtures`.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// One invocation of `hello.wasm` and what it must do.
#[derive(Debug)]
pub struct Case {
    pub name: String,
    pub exit: i32,
    pub env: Vec<(String, String)>,
    /// Standard input contents (empty when the column is `-`).
    pub stdin: Vec<u8>,
    /// Arguments after argv[0].
    pub args: Vec<String>,
    /// Exact expected stdout.
    pub stdout: Vec<u8>,
}

/// What `hello.wasm` always prints on stderr.
pub const HELLO_STDERR: &str = "hello: stderr line\n";

/// Every case of `expected/cases.tsv` with its expected stdout.
pub fn cases() -> Vec<Case> {
    let dir = fixtures();
    let tsv = std::fs::read_to_string(dir.join("expected/cases.tsv")).expect("read cases.tsv");
    let cases: Vec<Case> = tsv
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            assert!(cols.len() >= 4, "bad cases.tsv line: {line:?}");
            let name = cols[0].to_string();
            let env = match cols[2] {
                "-" => Vec::new(),
                s => s
                    .split(' ')
                    .map(|kv| {
                        let (k, v) = kv.split_once('=').expect("K=V");
                        (k.to_string(), v.to_string())
                    })
                    .collect(),
            };
            let stdin = match cols[3] {
                "-" => Vec::new(),
                f => std::fs::read(dir.join(f)).expect("read stdin file"),
            };
            let args = cols
                .get(4)
                .map(|s| s.split(' ').filter(|a| !a.is_empty()).map(String::from).collect())
                .unwrap_or_default();
            let stdout = std::fs::read(dir.join(format!("expected/{name}.stdout"))).expect("read .stdout");
            Case { exit: cols[1].parse().expect("exit code"), name, env, stdin, args, stdout }
        })
        .collect();
    assert!(cases.len() >= 5, "cases.tsv lists too few cases");
    cases
}

/// Compile a `.wat` text and write it as `name` in `dir`.
pub fn write_wat(dir: &std::path::Path, name: &str, wat: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, wat::parse_str(wat).expect("valid wat")).expect("write .wasm");
    path
}

/// Run `wasmvm ARGS` in `dir` with empty stdin and no logging; the binary is killed after `limit`
/// (a hung run fails the test instead of blocking the suite).
pub fn wasmvm_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    wasmvm_stdin(dir, args, false)
}

/// [`wasmvm_in`], with stdin a pipe that stays open (nothing is ever written to it) until wasmvm
/// has ended, when `open_stdin`.
pub fn wasmvm_stdin(dir: &std::path::Path, args: &[&str], open_stdin: bool) -> std::process::Output {
    use std::process::Stdio;
    wasmvm_with(dir, args, if open_stdin { Stdio::piped() } else { Stdio::null() }, Stdio::piped())
}

/// [`wasmvm_in`] with the given stdin and stdout (a piped stdin stays open until wasmvm has ended).
pub fn wasmvm_with(
    dir: &std::path::Path,
    args: &[&str],
    stdin: std::process::Stdio,
    stdout: std::process::Stdio,
) -> std::process::Output {
    use std::process::{Command, Stdio};
    let limit = std::time::Duration::from_secs(120);
    let mut child = Command::new(env!("CARGO_BIN_EXE_wasmvm"))
        .args(args)
        .current_dir(dir)
        .env_remove("WASMVM_LOG")
        .stdin(stdin)
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn wasmvm");
    let _stdin = child.stdin.take();
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        if rx.recv_timeout(limit).is_err() {
            // Still running: kill this one child (by its own pid) so that wait_with_output returns.
            // SAFETY: kill(2) has no memory-safety preconditions.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        }
    });
    let out = child.wait_with_output().expect("wait for wasmvm");
    let _ = tx.send(());
    assert!(out.status.code().is_some(), "wasmvm {args:?} was killed after {limit:?} (hung?)");
    out
}

/// Text of captured output.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
