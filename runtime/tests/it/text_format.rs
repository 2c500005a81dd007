//! `wasmvm run` on modules in the text format, like `wasmtime run x.wat`.

use std::process::Command;

#[test]
fn run_and_invoke_text_modules() {
    let dir = tempfile::tempdir().unwrap();
    let wat = dir.path().join("m.wat");
    std::fs::write(
        &wat,
        r#"(module
             (func (export "seven") (result i32) i32.const 7)
             (func $boom unreachable)
             (func (export "_start") (call $boom)))"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_wasmvm")).args(["run", "--invoke", "seven"]).arg(&wat).output().unwrap();
    assert_eq!((out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned()), (Some(0), "7\n".into()));
    let out = Command::new(env!("CARGO_BIN_EXE_wasmvm")).arg("run").arg(&wat).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(134));
    assert!(stderr.starts_with("error: wasm trap: unreachable\nwasm backtrace:\n"), "{stderr}");
    assert!(stderr.contains("!boom"), "{stderr}");
    // A text module with a syntax error: one error line naming the problem.
    std::fs::write(&wat, "(module (func").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_wasmvm")).arg("run").arg(&wat).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.starts_with("error: ") && stderr.contains("text format"), "{stderr}");
}
