//! Real programs using wasm exceptions, through the `wasmvm` binary (fixtures in
//! `fixtures/exceptions/`, rebuilt by its `build.sh`): C `setjmp`/`longjmp` built by clang-19 with
//! LLVM's wasm setjmp/longjmp lowering and translated to the standard encoding (try_table, exnref) by
//! binaryen, and C++ `throw`/`catch` built by clang++-19 with `-fwasm-exceptions` and LLVM's libc++abi
//! exception runtime (see the fixtures' README). The output must be exactly the committed expected output, which wasmtime 49 prints too.
//! Also: an exception escaping to the command line names its tag, and `--invoke` shows an exnref.

use crate::common;

use std::path::PathBuf;

use common::{text, wasmvm_in};

fn dir() -> PathBuf {
    common::fixtures().join("exceptions")
}

/// The exception operators in a module's code, and whether it uses the legacy ones.
fn exception_operators(wasm: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::CodeSectionEntry(body) = payload.expect("parse") {
            let mut ops = body.get_operators_reader().expect("operators");
            while !ops.eof() {
                let name = format!("{:?}", ops.read().expect("operator"));
                let name = name.split([' ', '{', '(']).next().unwrap_or_default().to_string();
                if ["TryTable", "Throw", "ThrowRef", "Try", "Catch", "CatchAll", "Delegate", "Rethrow"]
                    .contains(&name.as_str())
                    && !found.contains(&name)
                {
                    found.push(name);
                }
            }
        }
    }
    found.sort();
    found
}

#[test]
fn setjmp_longjmp_program() {
    let wasm = std::fs::read(dir().join("sjlj.wasm")).unwrap();
    // Standard exception handling only (binaryen rewrote clang's legacy try/catch).
    assert_eq!(exception_operators(&wasm), ["Throw", "ThrowRef", "TryTable"]);
    let want = std::fs::read_to_string(dir().join("expected/sjlj.stdout")).unwrap();
    let out = wasmvm_in(&dir(), &["run", "sjlj.wasm"]);
    assert_eq!(text(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), want);
}

#[test]
fn cpp_throw_catch_program() {
    let wasm = std::fs::read(dir().join("except.wasm")).unwrap();
    assert_eq!(exception_operators(&wasm), ["Throw", "ThrowRef", "TryTable"]);
    let want = std::fs::read_to_string(dir().join("expected/except.stdout")).unwrap();
    let out = wasmvm_in(&dir(), &["run", "except.wasm"]);
    assert_eq!(text(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), want);
}

#[test]
fn uncaught_exception_and_exnref_on_the_command_line() {
    let guard = tempfile::tempdir().unwrap();
    let tmp = guard.path();
    std::fs::write(
        tmp.join("thr.wat"),
        r#"(module
          (tag $oops (export "oops") (param i32))
          (func (export "boom") (param i32) (result i32) (throw $oops (local.get 0)))
          (func (export "held") (result exnref)
            (block $h (result exnref) (try_table (catch_all_ref $h) (throw $oops (i32.const 1))) (unreachable)))
          (func (export "none") (result exnref) (ref.null exn)))"#,
    )
    .unwrap();
    let out = wasmvm_in(tmp, &["run", "--invoke", "boom", "thr.wat", "7"]);
    assert_eq!(out.status.code(), Some(134));
    assert!(text(&out.stderr).contains("uncaught wasm exception: tag \"oops\""), "{}", text(&out.stderr));
    let out = wasmvm_in(tmp, &["run", "--invoke", "held", "thr.wat"]);
    assert_eq!((out.status.code(), text(&out.stdout)), (Some(0), "exnref\n".to_string()));
    let out = wasmvm_in(tmp, &["run", "--invoke", "none", "thr.wat"]);
    assert_eq!((out.status.code(), text(&out.stdout)), (Some(0), "ref.null exn\n".to_string()));
}
