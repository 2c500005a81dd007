//! The `wasmvm` binary end to end: the `hello.wasm` cases, error reporting (one `error:` line and
//! a non-zero status), traps, reactors, `--invoke`, `--version` and `wast`.

use crate::common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Run `wasmvm ARGS` in `dir` with `stdin`.
fn wasmvm(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wasmvm"))
        .args(args)
        .current_dir(dir)
        .env_remove("WASMVM_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn wasmvm");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Asserts that the run failed with `status` and exactly one `error:` line mentioning `needle`.
fn assert_error(out: &Output, status: i32, needle: &str) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(status), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "want one line, got: {stderr:?}");
    assert!(stderr.starts_with("error: "), "{stderr:?}");
    assert!(stderr.contains(needle), "{stderr:?} should mention {needle:?}");
}

#[test]
fn hello_cases_via_binary() {
    let dir = common::fixtures();
    for case in common::cases() {
        let mut args = vec!["run".to_string()];
        for (k, v) in &case.env {
            args.push("--env".into());
            args.push(format!("{k}={v}"));
        }
        args.push("hello.wasm".into());
        args.extend(case.args.iter().cloned());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = wasmvm(&dir, &args, &case.stdin);
        assert_eq!(text(&out.stdout), text(&case.stdout), "stdout of case {}", case.name);
        assert_eq!(text(&out.stderr), common::HELLO_STDERR, "stderr of case {}", case.name);
        assert_eq!(out.status.code(), Some(case.exit), "exit status of case {}", case.name);
    }
}

#[test]
fn missing_file() {
    let tmp = tempfile::tempdir().unwrap();
    assert_error(&wasmvm(tmp.path(), &["run", "nope.wasm"], b""), 1, "nope.wasm");
}

#[test]
fn garbage_file() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("junk.wasm"), b"\x7fELF this is not wasm\n\n").unwrap();
    assert_error(&wasmvm(tmp.path(), &["run", "junk.wasm"], b""), 1, "junk.wasm");
}

#[test]
fn unknown_import() {
    let tmp = tempfile::tempdir().unwrap();
    common::write_wat(tmp.path(), "imp.wasm", r#"(module (import "env" "mystery" (func)) (func (export "_start")))"#);
    assert_error(&wasmvm(tmp.path(), &["run", "imp.wasm"], b""), 1, "env.mystery");
    // Also with --invoke.
    assert_error(&wasmvm(tmp.path(), &["run", "--invoke", "_start", "imp.wasm"], b""), 1, "env.mystery");
}

#[test]
fn unknown_wasi_function_is_a_link_error() {
    let tmp = tempfile::tempdir().unwrap();
    common::write_wat(
        tmp.path(),
        "w.wasm",
        r#"(module (import "wasi_snapshot_preview1" "no_such_call" (func)) (func (export "_start")))"#,
    );
    assert_error(&wasmvm(tmp.path(), &["run", "w.wasm"], b""), 1, "no_such_call");
}

#[test]
fn no_entry_point() {
    let tmp = tempfile::tempdir().unwrap();
    common::write_wat(tmp.path(), "lib.wasm", r#"(module (func (export "f")))"#);
    assert_error(&wasmvm(tmp.path(), &["run", "lib.wasm"], b""), 1, "_start");
}

#[test]
fn trap_exits_134_with_its_backtrace() {
    let tmp = tempfile::tempdir().unwrap();
    common::write_wat(
        tmp.path(),
        "trap.wasm",
        r#"(module
             (func $boom unreachable)
             (func (export "_start") (call $boom))
             (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1))))"#,
    );
    let out = wasmvm(tmp.path(), &["run", "trap.wasm"], b"");
    assert_eq!(out.status.code(), Some(134));
    // The error line, then the wasm backtrace (innermost first, names from the name section).
    let stderr = text(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines[0], "error: wasm trap: unreachable", "{stderr}");
    assert_eq!(lines[1], "wasm backtrace:", "{stderr}");
    assert!(lines[2].trim_start().starts_with("0: 0x") && lines[2].ends_with(" - <module>!boom"), "{stderr}");
    assert!(lines[3].trim_start().starts_with("1: 0x") && lines[3].ends_with("!<wasm function 1>"), "{stderr}");
    assert_eq!(lines.len(), 4, "{stderr}");
    let out = wasmvm(tmp.path(), &["run", "--invoke", "div", "trap.wasm", "1", "0"], b"");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(134));
    assert_eq!(stderr.lines().next(), Some("error: wasm trap: integer divide by zero"), "{stderr}");
    assert!(stderr.contains("wasm backtrace:\n") && stderr.contains("!<wasm function 2>"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn proc_exit_and_reactor() {
    let tmp = tempfile::tempdir().unwrap();
    let wasi = r#"
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
        (memory (export "memory") 1)
        (data (i32.const 100) "init\n")
        (func $say (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
        (func $setup (i32.store (i32.const 0) (i32.const 100)) (i32.store (i32.const 4) (i32.const 5)))"#;
    common::write_wat(
        tmp.path(),
        "exit.wasm",
        &format!(r#"(module {wasi} (func (export "_start") (call $exit (i32.const 3)) unreachable))"#),
    );
    let out = wasmvm(tmp.path(), &["run", "exit.wasm"], b"");
    assert_eq!(out.status.code(), Some(3));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));

    // A reactor: `run` calls `_initialize` only; `--invoke` calls it before the export.
    common::write_wat(
        tmp.path(),
        "reactor.wasm",
        &format!(
            r#"(module {wasi}
                 (global $ready (mut i32) (i32.const 0))
                 (func (export "_initialize") (call $setup) (call $say) (global.set $ready (i32.const 1)))
                 (func (export "ready") (result i32) (global.get $ready))
                 (func (export "quit") (param i32) (call $exit (local.get 0))))"#
        ),
    );
    let out = wasmvm(tmp.path(), &["run", "reactor.wasm"], b"");
    assert_eq!((out.status.code(), text(&out.stdout)), (Some(0), "init\n".into()));
    let out = wasmvm(tmp.path(), &["run", "--invoke", "ready", "reactor.wasm"], b"");
    assert_eq!((out.status.code(), text(&out.stdout)), (Some(0), "init\n1\n".into()));
    let out = wasmvm(tmp.path(), &["run", "--invoke", "quit", "reactor.wasm", "9"], b"");
    assert_eq!((out.status.code(), text(&out.stdout)), (Some(9), "init\n".into()));
}

const CALC: &str = r#"
(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "mul64") (param i64 i64) (result i64) (i64.mul (local.get 0) (local.get 1)))
  (func (export "half") (param f32) (result f32) (f32.mul (local.get 0) (f32.const 0.5)))
  (func (export "div") (param f64 f64) (result f64) (f64.div (local.get 0) (local.get 1)))
  (func (export "swap") (param i32 f64) (result f64 i32) (local.get 1) (local.get 0))
  (func (export "id64") (param f64) (result f64) (local.get 0))
  (func (export "nothing")))
"#;

#[test]
fn invoke_prints_results() {
    let tmp = tempfile::tempdir().unwrap();
    common::write_wat(tmp.path(), "calc.wasm", CALC);
    let cases: &[(&[&str], &str)] = &[
        (&["add", "40", "2"], "42\n"),
        (&["add", "0xffffffff", "0"], "-1\n"),
        (&["add", "-5", "0x3"], "-2\n"),
        (&["mul64", "4294967296", "-3"], "-12884901888\n"),
        (&["half", "3"], "1.5\n"),
        (&["half", "inf"], "inf\n"),
        (&["id64", "-nan"], "-nan\n"),
        (&["div", "1", "3"], "0.3333333333333333\n"),
        (&["div", "1e300", "1e-10"], "inf\n"),
        (&["div", "-1", "0"], "-inf\n"),
        (&["id64", "nan:0x1234"], "nan:0x1234\n"),
        (&["swap", "7", "2.5"], "2.5\n7\n"),
        (&["nothing"], ""),
    ];
    for (args, want) in cases {
        let mut argv = vec!["run", "--invoke", args[0], "calc.wasm"];
        argv.extend(&args[1..]);
        let out = wasmvm(tmp.path(), &argv, b"");
        assert_eq!(text(&out.stdout), *want, "{args:?}; stderr: {}", text(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "{args:?}");
    }
}

#[test]
fn invoke_argument_errors() {
    let tmp = tempfile::tempdir().unwrap();
    common::write_wat(tmp.path(), "calc.wasm", CALC);
    let run = |args: &[&str]| {
        let mut argv = vec!["run", "--invoke", args[0], "calc.wasm"];
        argv.extend(&args[1..]);
        wasmvm(tmp.path(), &argv, b"")
    };
    assert_error(&run(&["add", "1"]), 1, "argument");
    assert_error(&run(&["add", "1", "x"]), 1, "'x'");
    assert_error(&run(&["add", "1", "4294967296"]), 1, "out of range");
    assert_error(&run(&["half", "0x1p3"]), 1, "f32");
    assert_error(&run(&["missing"]), 1, "missing");
}

#[test]
fn usage_errors_and_version() {
    let tmp = tempfile::tempdir().unwrap();
    let out = wasmvm(tmp.path(), &["--version"], b"");
    assert_eq!(out.status.code(), Some(0));
    let version = text(&out.stdout);
    assert!(version.starts_with(&format!("wasmvm {} (commit ", env!("CARGO_PKG_VERSION"))), "{version}");
    // The commit is the checkout's (hex digits), or "unknown" outside git.
    let commit = version.trim_end().trim_end_matches(')').rsplit(' ').next().unwrap().trim_end_matches("-modified");
    assert!(commit == "unknown" || (commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit())), "{version}");
    let out = wasmvm(tmp.path(), &["run"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("error: "));
    let out = wasmvm(tmp.path(), &["run", "--bogus", "x.wasm"], b"");
    assert_eq!(out.status.code(), Some(2));
    let out = wasmvm(tmp.path(), &["run", "--env", "=x", "x.wasm"], b"");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn wast_subcommand() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good.wast");
    std::fs::write(
        &good,
        r#"(module (func (export "f") (result i32) (i32.const 7)))
           (assert_return (invoke "f") (i32.const 7))"#,
    )
    .unwrap();
    let bad = tmp.path().join("bad.wast");
    std::fs::write(
        &bad,
        r#"(module (func (export "f") (result i32) (i32.const 7)))
           (assert_return (invoke "f") (i32.const 8))"#,
    )
    .unwrap();
    assert_eq!(wasmvm(tmp.path(), &["wast", "good.wast"], b"").status.code(), Some(0));
    assert_eq!(wasmvm(tmp.path(), &["wast", "good.wast", "bad.wast"], b"").status.code(), Some(1));
}
