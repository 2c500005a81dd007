//! `hello.wasm` (a wasi-libc C program) through the library API, output captured in memory: every
//! case of `fixtures/expected/cases.tsv` must produce exactly the expected stdout and exit status.

use crate::common;

use wasmvm::{Engine, Module};
use wasmvm_runtime::run;
use wasmvm_runtime::wasi::{OutputPipe, WasiCtx};

#[test]
fn hello_cases_via_library() {
    let engine = Engine::default();
    let bytes = std::fs::read(common::fixtures().join("hello.wasm")).unwrap();
    let module = Module::new(&engine, &bytes).unwrap();
    let mut failures = Vec::new();
    for case in common::cases() {
        let (out, err) = (OutputPipe::new(), OutputPipe::new());
        let mut b = WasiCtx::builder()
            .arg("hello.wasm")
            .args(case.args.iter().map(String::as_str))
            .stdin(std::io::Cursor::new(case.stdin.clone()))
            .stdout(out.clone())
            .stderr(err.clone());
        for (k, v) in &case.env {
            b = b.env(k, v);
        }
        let status = run::run_command(&module, b.build());
        let stdout = out.contents();
        if status.as_ref().ok() != Some(&case.exit) || stdout != case.stdout {
            failures.push(format!(
                "{}: status {status:?} (want {}), stdout:\n{}\nwant:\n{}",
                case.name,
                case.exit,
                String::from_utf8_lossy(&stdout),
                String::from_utf8_lossy(&case.stdout)
            ));
        }
        assert_eq!(String::from_utf8_lossy(&err.contents()), common::HELLO_STDERR, "{}", case.name);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The same module instantiated twice in one process gives independent runs.
#[test]
fn hello_runs_twice_in_one_engine() {
    let engine = Engine::default();
    let bytes = std::fs::read(common::fixtures().join("hello.wasm")).unwrap();
    let module = Module::new(&engine, &bytes).unwrap();
    for _ in 0..2 {
        let out = OutputPipe::new();
        let ctx = WasiCtx::builder().arg("hello.wasm").arg("5").stdout(out.clone()).build();
        assert_eq!(run::run_command(&module, ctx).unwrap(), 5);
        assert!(out.contents().starts_with(b"Hello, world!\narg[0]=hello.wasm\narg[1]=5\n"));
    }
}
