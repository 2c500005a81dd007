//! Every workload at its small n(s) in wasmvm, checked against `workloads/expected.txt`: the
//! interpreter's results on real clang output. Needs no wasmi.
//!
//! The bench-n cases (what the benches verify at setup) are `#[ignore]`d, being slow in debug builds:
//! `cargo test --release -p wasmvm-benches -- --ignored`.

use wasmvm_benches::{vm, workloads};

/// Run every small-n case of `name` in one instance (as the benches do: `run` is repeatable).
fn check(name: &str) {
    let engine = wasmvm::Engine::default();
    let wasm = workloads::wasm(name);
    let cases = workloads::small_cases(name);
    let mut w = vm::setup_checked(&engine, &wasm, &cases[0]).unwrap_or_else(|e| panic!("{e}"));
    for case in &cases[1..] {
        w.check(case).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// The SIMD workloads' scalar builds compute the same checksums.
#[test]
fn scalar_builds_of_simd_workloads_agree() {
    let engine = wasmvm::Engine::default();
    let mut n = 0;
    for name in workloads::WORKLOADS.iter().filter(|w| workloads::is_simd(w)) {
        let wasm = workloads::scalar_wasm(name).unwrap_or_else(|| panic!("{name}.scalar.wasm is missing"));
        let cases = workloads::small_cases(name);
        let mut w = vm::setup_checked(&engine, &wasm, &cases[0]).unwrap_or_else(|e| panic!("{name} scalar: {e}"));
        for case in &cases[1..] {
            w.check(case).unwrap_or_else(|e| panic!("{name} scalar: {e}"));
        }
        n += 1;
    }
    assert_eq!(n, 5);
}

/// Run the bench-n case of `name`.
fn check_bench_n(name: &str) {
    let engine = wasmvm::Engine::default();
    let case = workloads::expected_for(name).pop().unwrap();
    vm::setup_checked(&engine, &workloads::wasm(name), &case).unwrap_or_else(|e| panic!("{e}"));
}

macro_rules! workload_tests {
    ($($name:ident)*) => {
        $(#[test] fn $name() { check(stringify!($name)); })*

        mod bench_n {
            $(#[test] #[ignore = "slow in debug builds"] fn $name() {
                super::check_bench_n(stringify!($name));
            })*
        }

        #[test]
        fn every_workload_is_tested() {
            assert_eq!(workloads::WORKLOADS, [$(stringify!($name)),*]);
        }
    };
}

workload_tests!(fib sieve matmul sha256 switch indirect bulkmem malloc sqlite simd_blur simd_matmul simd_hash simd_search simd_rust tailcall
    zlib bzip2 zstd lz4 libdeflate brotli_c lua lua_str regex serde_json pulldown_cmark miniz_oxide sha2 blake3
    aho_corasick rand_chacha toml png lz4_flex csv sqlparser num_bigint petgraph libm ruzstd unicode_norm snap nom);
