//! `--fuel` and `--timeout`: runaway programs stop, every thread of the program included.

use std::process::Command;
use std::time::{Duration, Instant};

/// `_start` spawns a thread; both spin forever (the thread after telling main it runs).
const SPIN: &str = r#"(module
  (import "env" "memory" (memory 1 1 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (func (export "wasi_thread_start") (param i32 i32)
    (i32.atomic.store (i32.const 0) (i32.const 1))
    (loop $l (br $l)))
  (func (export "_start")
    (drop (call $spawn (i32.const 0)))
    (loop $w (br_if $w (i32.eqz (i32.atomic.load (i32.const 0)))))
    (loop $l (br $l))))"#;

/// Counts to N, then exits 0.
const COUNT: &str = r#"(module
  (func (export "_start") (local $i i32)
    (loop $l (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 1000))))))"#;

fn run(args: &[&str], wat: &str) -> (Option<i32>, String, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.wat");
    std::fs::write(&path, wat).unwrap();
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_wasmvm")).arg("run").args(args).arg(&path).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned(), start.elapsed())
}

#[test]
fn timeout_stops_every_thread() {
    let (status, stderr, took) = run(&["--timeout", "300ms"], SPIN);
    assert_eq!(status, Some(134), "{stderr}");
    assert!(stderr.starts_with("error: wasm trap: interrupted\n"), "{stderr}");
    assert!(took < Duration::from_secs(20), "took {took:?}");
    // A program that ends in time is not affected.
    let (status, stderr, _) = run(&["--timeout", "1m"], COUNT);
    assert_eq!((status, stderr.as_str()), (Some(0), ""));
}

#[test]
fn fuel_is_one_budget_for_all_threads_and_deterministic() {
    let (status, stderr, _) = run(&["--fuel", "2000000"], SPIN);
    assert_eq!(status, Some(134), "{stderr}");
    assert!(stderr.starts_with("error: wasm trap: all fuel consumed\n"), "{stderr}");
    // The counting loop needs a fixed amount: plenty succeeds, too little fails, every time.
    assert_eq!(run(&["--fuel", "100000"], COUNT).0, Some(0));
    for _ in 0..3 {
        let (status, stderr, _) = run(&["--fuel", "1000"], COUNT);
        assert_eq!(status, Some(134), "{stderr}");
        assert!(stderr.contains("all fuel consumed"), "{stderr}");
    }
    // Bad values are usage errors.
    assert_eq!(run(&["--fuel", "lots"], COUNT).0, Some(2));
    assert_eq!(run(&["--timeout", "soon"], COUNT).0, Some(2));
}
