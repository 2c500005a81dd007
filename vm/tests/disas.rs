//! Translation snapshot tests: each `disas/NAME.wat` is compiled and its wasmvm code printed by the
//! disassembler; the result must equal `disas/NAME.disas`. A fusion that stops firing, or an instruction that
//! changes its operands, shows up as a diff. `WASMVM_BLESS=1 cargo test -p wasmvm --test disas` rewrites
//! the expected files (review the diff before committing).

use std::path::Path;

use wasmvm::{Config, Engine, Module};

fn disassemble(wasm: &[u8]) -> String {
    let engine = Engine::new(Config { disassembly: true, ..Config::default() });
    let module = Module::new(&engine, wasm).expect("snapshot modules compile");
    wasmvm::disas::print(&module, wasm, |_, _| true).expect("disassembles")
}

#[test]
fn translations_match_snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/disas");
    let bless = std::env::var_os("WASMVM_BLESS").is_some();
    let mut failures = Vec::new();
    let mut count = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for wat_path in entries.into_iter().filter(|p| p.extension().is_some_and(|e| e == "wat")) {
        count += 1;
        let wasm = wat::parse_file(&wat_path).unwrap();
        let actual = disassemble(&wasm);
        assert!(
            !actual.contains("<bad length") && !actual.contains("<truncated>"),
            "{}: an instruction's encoded length disagrees with the table:\n{actual}",
            wat_path.display()
        );
        let expected_path = wat_path.with_extension("disas");
        if bless {
            std::fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            failures.push(format!("{}:\n--- expected\n{expected}\n+++ actual\n{actual}", wat_path.display()));
        }
    }
    assert!(count >= 5, "snapshot inputs missing from {}", dir.display());
    assert!(failures.is_empty(), "translations changed (WASMVM_BLESS=1 to accept):\n{}", failures.join("\n"));
}

/// Without `Config::disassembly` nothing is recorded (translation pays nothing for the disassembler).
#[test]
fn disassembly_is_off_by_default() {
    let wasm = wat::parse_str(r#"(module (func (export "f") (param i32) (result i32) local.get 0))"#).unwrap();
    let module = Module::new(&Engine::default(), &wasm).unwrap();
    assert!(module.disassemble(0).is_none());
    let engine = Engine::new(Config { disassembly: true, ..Config::default() });
    let module = Module::new(&engine, &wasm).unwrap();
    let code = module.disassemble(0).unwrap();
    assert_eq!(code[0].name, "enter");
    assert_eq!(code.last().unwrap().name, "return1");
    assert_eq!(code.last().unwrap().operands, "src=s0");
}
