//! wasi-threads in `wasmvm run`: `fixtures/threads/threads.wasm` (C, clang-19, see its build.sh)
//! through the binary — exact results of atomics and a futex mutex, thread-local storage, thread ids,
//! and how a thread ends the program (proc_exit, trap, several at once) — plus spawn failures and
//! WASI from spawned threads through the library.

use crate::common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::{text, wasmvm_in};
use wasmvm::{Engine, Module};
use wasmvm_runtime::run;
use wasmvm_runtime::threads::{SPAWN_FAILED, ThreadGroup};
use wasmvm_runtime::wasi::{OutputPipe, WasiCtx};

fn threads_dir() -> std::path::PathBuf {
    common::fixtures().join("threads")
}

/// Run threads.wasm with `args`; returns (status, stdout, stderr).
fn threads(args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["run", "threads.wasm"];
    all.extend_from_slice(args);
    let out = wasmvm_in(&threads_dir(), &all);
    (out.status.code().unwrap(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn atomic_increments_from_many_threads() {
    assert_eq!(
        threads(&["counter", "4", "10000"]),
        (0, "counter: 4 threads x 10000 increments = 40000\n".into(), "".into())
    );
    assert_eq!(
        threads(&["counter", "16", "500"]),
        (0, "counter: 16 threads x 500 increments = 8000\n".into(), "".into())
    );
}

#[test]
fn mutex_with_wait_and_notify() {
    // (Without the lock, the same loop loses updates: checked by hand with lock/unlock emptied.)
    assert_eq!(
        threads(&["mutex", "4", "25000"]),
        (0, "mutex: 4 threads x 25000 increments = 100000\n".into(), "".into())
    );
    assert_eq!(
        threads(&["mutex", "2", "100000"]),
        (0, "mutex: 2 threads x 100000 increments = 200000\n".into(), "".into())
    );
}

#[test]
fn each_thread_has_its_own_thread_locals() {
    let want =
        "tls: thread 0 ok\ntls: thread 1 ok\ntls: thread 2 ok\ntls: thread 3 ok\ntls: thread 4 ok\ntls: main ok\n";
    assert_eq!(threads(&["tls", "5"]), (0, want.into(), "".into()));
}

#[test]
fn thread_ids_are_distinct_and_in_range() {
    let want = "tids: 16 threads, distinct yes, in [1, 2^29) yes\n";
    assert_eq!(threads(&["tids", "16"]), (0, want.into(), "".into()));
}

#[test]
fn proc_exit_in_a_thread_ends_the_program() {
    assert_eq!(threads(&["exit"]), (7, "exit: main waiting\n".into(), "".into()));
}

#[test]
fn trap_in_a_thread_ends_the_program() {
    let (status, stdout, stderr) = threads(&["trap"]);
    assert_eq!((status, stdout.as_str()), (134, "trap: main waiting\n"));
    assert!(stderr.starts_with("error: wasm trap: unreachable\nwasm backtrace:\n"), "{stderr}");
}

#[test]
fn main_returning_or_exiting_abandons_spinning_threads() {
    assert_eq!(threads(&["return"]), (0, "return: main done\n".into(), "".into()));
    assert_eq!(threads(&["main-exit"]), (3, "main-exit: main done\n".into(), "".into()));
}

/// Threads released at the same moment all call proc_exit (and, with race-trap, the odd ones trap):
/// exactly one ending wins, with its status and at most its one error line.
#[test]
fn racing_exits_have_one_winner() {
    let mut seen = BTreeSet::new();
    for _ in 0..10 {
        let (status, stdout, stderr) = threads(&["race", "4"]);
        assert!((10..14).contains(&status), "status {status}");
        assert_eq!((stdout.as_str(), stderr.as_str()), ("", ""));
        seen.insert(status);
    }
    for _ in 0..10 {
        let (status, stdout, stderr) = threads(&["race-trap", "4"]);
        assert_eq!(stdout, "");
        match status {
            134 => assert!(stderr.starts_with("error: wasm trap: unreachable\nwasm backtrace:\n"), "{stderr}"),
            10 | 12 => assert_eq!(stderr, ""),
            s => panic!("status {s}, stderr {stderr:?}"),
        }
    }
    eprintln!("statuses seen: {seen:?}");
}

/// `thread-spawn` fails with a negative value, and the program goes on, when the new instance cannot
/// start: no `wasi_thread_start`, or a memory that is not shared.
#[test]
fn spawn_failures_are_negative() {
    let tmp = tempfile::tempdir().unwrap();
    let module = |memory: &str, start: &str| {
        format!(
            r#"(module
                 (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
                 {memory}
                 {start}
                 (func (export "spawn") (result i32) (call $spawn (i32.const 0))))"#
        )
    };
    let shared = r#"(import "env" "memory" (memory 1 1 shared))"#;
    common::write_wat(tmp.path(), "nostart.wasm", &module(shared, ""));
    common::write_wat(
        tmp.path(),
        "private.wasm",
        &module("(memory 1)", r#"(func (export "wasi_thread_start") (param i32 i32))"#),
    );
    common::write_wat(tmp.path(), "ok.wasm", &module(shared, r#"(func (export "wasi_thread_start") (param i32 i32))"#));
    for name in ["nostart.wasm", "private.wasm"] {
        let out = wasmvm_in(tmp.path(), &["run", "--invoke", "spawn", name]);
        assert_eq!((out.status.code(), text(&out.stdout)), (Some(0), format!("{SPAWN_FAILED}\n")), "{name}");
    }
    let out = wasmvm_in(tmp.path(), &["run", "--invoke", "spawn", "ok.wasm"]);
    assert_eq!((out.status.code(), text(&out.stdout)), (Some(0), "1\n".into()));
}

/// Through the library: every thread's WASI context shares the program's stdout, and the main
/// thread's status is the program's when no thread ended it.
#[test]
fn spawned_threads_write_to_the_shared_stdout() {
    // Each of 3 threads writes "thread\n" with fd_write, then counts itself done; main waits for all.
    let wasm = wat::parse_str(
        r#"(module
             (import "env" "memory" (memory 1 1 shared))
             (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
             (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
             (data (i32.const 16) "thread\n")
             (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
               ;; iovec at 64 + 16 * tid: { 16, 7 }, nwritten after it
               (i32.store (i32.add (i32.shl (local.get $tid) (i32.const 4)) (i32.const 64)) (i32.const 16))
               (i32.store (i32.add (i32.shl (local.get $tid) (i32.const 4)) (i32.const 68)) (i32.const 7))
               (drop (call $write (i32.const 1) (i32.add (i32.shl (local.get $tid) (i32.const 4)) (i32.const 64))
                               (i32.const 1) (i32.add (i32.shl (local.get $tid) (i32.const 4)) (i32.const 72))))
               (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
               (drop (memory.atomic.notify (i32.const 0) (i32.const 1))))
             (func (export "_start") (local $n i32)
               (drop (call $spawn (i32.const 0)))
               (drop (call $spawn (i32.const 0)))
               (drop (call $spawn (i32.const 0)))
               (loop $wait
                 (local.set $n (i32.atomic.load (i32.const 0)))
                 (if (i32.lt_u (local.get $n) (i32.const 3))
                   (then (drop (memory.atomic.wait32 (i32.const 0) (local.get $n) (i64.const -1))) (br $wait))))))"#,
    )
    .unwrap();
    let module = Module::new(&Engine::default(), &wasm).unwrap();
    let out = OutputPipe::new();
    let ctx = WasiCtx::builder().arg("t").stdout(out.clone()).build();
    let group = Arc::new(ThreadGroup::new());
    assert_eq!(run::run_command_with(&module, ctx, group.clone()).unwrap(), 0);
    assert_eq!(text(&out.contents()), "thread\n".repeat(3));
    assert_eq!(group.outcome().unwrap().unwrap(), 0);
}
