//! Real SIMD programs through the `wasmvm` binary (fixtures in `fixtures/simd/`, see its README): a C
//! program (clang-19, auto-vectorised loops and `wasm_simd128.h` code) and a Rust std program
//! (wasm32-wasip1: iterators, sorting, a HashMap, string search, a few `std::arch::wasm32` kernels),
//! each built with and without SIMD. Every build must print exactly the committed expected output,
//! which is what node and native builds of the same sources print.

use crate::common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use common::{text, wasmvm_in};

fn simd_dir() -> PathBuf {
    common::fixtures().join("simd")
}

/// The distinct SIMD operators (by name) in the code section of a module.
fn simd_operators(wasm: &[u8]) -> BTreeSet<String> {
    const PREFIXES: [&str; 7] = ["V128", "I8x16", "I16x8", "I32x4", "I64x2", "F32x4", "F64x2"];
    let mut found = BTreeSet::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::CodeSectionEntry(body) = payload.expect("parse") {
            let mut ops = body.get_operators_reader().expect("operators");
            while !ops.eof() {
                let name = format!("{:?}", ops.read().expect("operator"));
                let name = name.split([' ', '{']).next().unwrap_or_default().to_string();
                if PREFIXES.iter().any(|p| name.starts_with(p)) {
                    found.insert(name);
                }
            }
        }
    }
    found
}

/// Run `fixtures/simd/<wasm>` and compare its stdout with `expected/<expected>.stdout`.
fn run_and_compare(wasm: &str, expected: &str) {
    let dir = simd_dir();
    let want = std::fs::read_to_string(dir.join("expected").join(format!("{expected}.stdout"))).unwrap();
    let out = wasmvm_in(&dir, &["run", wasm]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{wasm}: stderr: {stderr}");
    assert_eq!(stderr, "", "{wasm}");
    let got = text(&out.stdout);
    if got != want {
        let first = got.lines().zip(want.lines()).position(|(g, w)| g != w);
        let line = first.unwrap_or(got.lines().count().min(want.lines().count()));
        panic!(
            "{wasm}: stdout differs from expected/{expected}.stdout at line {}:\n got: {:?}\nwant: {:?}",
            line + 1,
            got.lines().nth(line),
            want.lines().nth(line)
        );
    }
}

/// The SIMD builds really use many SIMD instructions; the scalar builds none.
#[test]
fn fixtures_are_what_they_claim() {
    for (name, min) in [("simd_c", 80), ("simd_rust", 45)] {
        let simd = simd_operators(&std::fs::read(simd_dir().join(format!("{name}_simd.wasm"))).unwrap());
        assert!(simd.len() >= min, "{name}_simd.wasm has only {} SIMD operators: {simd:?}", simd.len());
        let scalar = simd_operators(&std::fs::read(simd_dir().join(format!("{name}_scalar.wasm"))).unwrap());
        assert!(scalar.is_empty(), "{name}_scalar.wasm uses SIMD: {scalar:?}");
    }
    // A few that the programs are written to reach.
    let c = simd_operators(&std::fs::read(simd_dir().join("simd_c_simd.wasm")).unwrap());
    for op in ["I8x16Swizzle", "I8x16Shuffle", "I32x4DotI16x8S", "I16x8Q15MulrSatS", "F32x4Nearest", "I8x16Bitmask"] {
        assert!(c.contains(op), "simd_c_simd.wasm lacks {op}");
    }
}

#[test]
fn c_simd_build() {
    run_and_compare("simd_c_simd.wasm", "simd_c");
}

#[test]
fn c_scalar_build() {
    run_and_compare("simd_c_scalar.wasm", "simd_c");
}

#[test]
fn rust_simd_build() {
    run_and_compare("simd_rust_simd.wasm", "simd_rust");
}

#[test]
fn rust_scalar_build() {
    run_and_compare("simd_rust_scalar.wasm", "simd_rust");
}
