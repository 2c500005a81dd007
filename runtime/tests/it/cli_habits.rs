//! wasmtime's command-line habits: `wasmvm MODULE` without `run`, `--env NAME` inheriting the host's value,
//! wasmtime's `--preload NAME=MODULE` refused with a hint instead of misread as a path, and `exit(300)`
//! handled as wasmtime 49 handles it.

use crate::common;

use std::process::{Command, Output};

fn wasmvm(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wasmvm"));
    cmd.args(args).current_dir(common::fixtures()).env_remove("WASMVM_LOG").env_remove("WASMVM_TEST");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn module_without_run_runs_it() {
    let with = wasmvm(&["run", "hello.wasm", "7"], &[]);
    let without = wasmvm(&["hello.wasm", "7"], &[]);
    assert_eq!(without.status.code(), with.status.code());
    assert_eq!(stdout(&without), stdout(&with));
    assert!(stdout(&without).contains("hello"), "{}", stdout(&without));
    // Options before the module too.
    let opts = wasmvm(&["--env", "WASMVM_TEST=1", "hello.wasm"], &[]);
    assert!(stdout(&opts).contains("WASMVM_TEST=1\n"), "{}", stdout(&opts));
    // The subcommands and --version keep their meaning.
    assert!(stdout(&wasmvm(&["--version"], &[])).starts_with("wasmvm "));
}

#[test]
fn env_name_alone_inherits_the_host_value() {
    let out = wasmvm(&["run", "--env", "WASMVM_TEST", "hello.wasm"], &[("WASMVM_TEST", "from-host")]);
    assert!(stdout(&out).contains("WASMVM_TEST=from-host\n"), "{}", stdout(&out));
    // Not set on the host: not set for the program.
    let out = wasmvm(&["run", "--env", "WASMVM_TEST", "hello.wasm"], &[]);
    assert!(!stdout(&out).contains("WASMVM_TEST"), "{}", stdout(&out));
    // The host's environment is not passed otherwise.
    let out = wasmvm(&["run", "hello.wasm"], &[("WASMVM_TEST", "from-host")]);
    assert!(!stdout(&out).contains("WASMVM_TEST"), "{}", stdout(&out));
}

#[test]
fn wasmtime_preload_syntax_is_refused_with_a_hint() {
    let out = wasmvm(&["run", "--preload", "env=lib.wasm", "hello.wasm"], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("error: --preload env=lib.wasm: ") && stderr.contains("NAME=MODULE form is not supported"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

/// wasmtime 49 (`wasmtime run` on a C program calling `exit(N)`): N in 0..126 is the exit status; any other N
/// (126..=255, 300, -1) makes `proc_exit` fail with "exit with invalid exit status outside of [0..126)",
/// reported with the wasm backtrace, and the process exits with status 1. Before this, wasmvm passed 300 to
/// the host, which truncated it to 44.
#[test]
fn exit_status_out_of_range_is_an_error_as_in_wasmtime() {
    for (code, status) in [("125", 125), ("126", 1), ("255", 1), ("300", 1), ("-1", 1)] {
        let out = wasmvm(&["run", "hello.wasm", "--exit", code], &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(status), "exit({code}): {stderr}");
        // The program ran up to its exit call in every case.
        assert!(stdout(&out).contains("random ok\n"), "exit({code}): {}", stdout(&out));
        if status == 1 {
            let lines: Vec<&str> = stderr.lines().collect();
            assert_eq!(lines[1], "error: wasm trap: exit with invalid exit status outside of [0..126)", "{stderr}");
            assert_eq!(lines[2], "wasm backtrace:", "{stderr}");
            assert!(lines[3].ends_with("!__wasi_proc_exit"), "{stderr}");
            assert!(lines.iter().any(|l| l.ends_with("!main")), "{stderr}");
        } else {
            assert!(!stderr.contains("error:"), "{stderr}");
        }
    }
}
