//! `wasmvm explore`: the disassembler from the command line (text and binary modules, `--func` by name
//! and index, errors).

use std::process::Command;

fn explore(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wasmvm")).arg("explore").args(args).output().expect("spawn wasmvm");
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

const WAT: &str = r#"(module
  (func $inc (export "inc") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func $loop (param $n i32) (local $i i32)
    (loop $l (br_if $l (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))))"#;

#[test]
fn prints_each_function_with_its_wasm_operators() {
    let dir = tempfile::tempdir().unwrap();
    let wat = dir.path().join("m.wat");
    std::fs::write(&wat, WAT).unwrap();
    let (status, out, err) = explore(&[wat.to_str().unwrap()]);
    assert_eq!(status, Some(0), "{err}");
    assert!(out.contains("func 0 (inc):"), "{out}");
    assert!(out.contains("binary_si<I32Add") && out.contains("dst=s1 a=s0 imm=1") && out.contains("i32.add"), "{out}");
    // The loop's increment, compare and back-edge are one instruction, shown against the `br_if`.
    let line = out.lines().find(|l| l.contains("add_br_cmp<I32LtS")).expect(&out);
    assert!(line.contains("br_if 0"), "{line}");

    // A binary module works too, and --func selects by index or name.
    let wasm = dir.path().join("m.wasm");
    std::fs::write(&wasm, wat::parse_str(WAT).unwrap()).unwrap();
    let (status, out, _) = explore(&[wasm.to_str().unwrap(), "--func", "1"]);
    assert_eq!(status, Some(0));
    assert!(out.contains("func 1 (loop):") && !out.contains("func 0"), "{out}");
    let (_, out, _) = explore(&[wasm.to_str().unwrap(), "--func", "inc"]);
    assert!(out.contains("func 0 (inc):") && !out.contains("func 1"), "{out}");
}

#[test]
fn unknown_function_and_bad_module_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let wat = dir.path().join("m.wat");
    std::fs::write(&wat, WAT).unwrap();
    let (status, _, err) = explore(&[wat.to_str().unwrap(), "--func", "nope"]);
    assert_eq!(status, Some(1));
    assert_eq!(err.trim(), format!("error: {}: no defined function matches nope", wat.display()));
    let bad = dir.path().join("bad.wasm");
    std::fs::write(&bad, b"\0asm\x01\0\0\0\x01").unwrap();
    let (status, _, err) = explore(&[bad.to_str().unwrap()]);
    assert_eq!(status, Some(1));
    assert!(err.starts_with("error: ") && err.lines().count() == 1, "{err}");
}
