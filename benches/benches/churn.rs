//! Host memory under load/unload churn (a memory benchmark, not a timing): `cargo bench -p
//! wasmvm-benches --bench churn [-- N]` loads a library with `dlopen`, calls it and unloads it with
//! `dlclose`, N times (default 100000) on one thread, and prints the resident set size (RSS, from
//! /proc/self/statm) at checkpoints, so the growth per cycle can be read off. The figure is quoted in
//! README.md (the loader's section) and loader/README.md.

use wasmvm::Engine;
use wasmvm_loader::dl::{RTLD_GLOBAL, RTLD_NOW};
use wasmvm_loader::{AddressSpace, SpaceConfig};

fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    pages * 4
}

/// A library with data, a constructor and a thread-local-free function: what each cycle loads.
const LIB: &str = r#"(module (@dylink.0 (mem-info (memory 64 4)))
    (import "env" "memory" (memory 1 65536 shared))
    (import "env" "__memory_base" (global $base i32))
    (data (global.get $base) "\2a\00\00\00")
    (func (export "__wasm_call_ctors") global.get $base global.get $base i32.load i32.const 1 i32.add i32.store)
    (func (export "churn_get") (param i32) (result i32) global.get $base i32.load local.get 0 i32.add))"#;

fn main() {
    // `cargo bench` passes `--bench`; a number is N.
    let n: usize = std::env::args().skip(1).find_map(|s| s.parse().ok()).unwrap_or(100_000);
    let engine = Engine::default();
    let space = AddressSpace::new(&engine, SpaceConfig::default()).unwrap();
    space.add_library("libchurn.so", wat::parse_str(LIB).unwrap());
    let mut t = space.thread().unwrap();
    let mut checkpoints = vec![1000, n / 10, n / 2, n];
    checkpoints.dedup();
    let start = rss_kib();
    println!("cycles rss_kib growth_kib");
    for i in 1..=n {
        let h = t.dlopen("libchurn.so", RTLD_NOW | RTLD_GLOBAL).unwrap();
        assert_eq!(t.call::<i32, i32>("churn_get", 1).unwrap(), 44);
        t.dlclose(h).unwrap();
        if checkpoints.contains(&i) {
            let rss = rss_kib();
            println!("{i} {rss} {}", rss as i64 - start as i64);
        }
    }
}
