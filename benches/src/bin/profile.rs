//! The dispatch profile of workloads (`benches/DISPATCH.md`): how many wasmvm instructions run per wasm
//! operator, which ones, and which pairs and triples follow each other. Needs the instrumented build:
//!
//! ```text
//! cargo run --release -p wasmvm-benches --features profile --bin profile -- [NAME[=N]]...
//! ```
//!
//! With no names, every workload at its smallest `n` above 1 (from `expected.txt`); `NAME=N` picks `n`. A
//! NAME ending in `.wasm` is a path: any module exporting `run(i32) -> i32` (unchecked; `n` defaults to 1).
//! Each workload runs `run(n)` once to warm up, then once counted; the checksum is checked. `PROFILE_TOP=N`
//! prints N rows per table instead of 25.

use wasmvm::{Config, Engine, Module};
use wasmvm_benches::vm::VmWorkload;
use wasmvm_benches::workloads;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let picks: Vec<(String, Option<i32>)> = if args.is_empty() {
        workloads::WORKLOADS.iter().map(|w| (w.to_string(), None)).collect()
    } else {
        args.iter()
            .map(|a| match a.split_once('=') {
                Some((name, n)) => (name.to_string(), Some(n.parse().expect("N must be a number"))),
                None => (a.clone(), None),
            })
            .collect()
    };
    // `PROFILE_TOP=N`: rows per table (25 by default).
    let top: usize = std::env::var("PROFILE_TOP").ok().and_then(|v| v.parse().ok()).unwrap_or(25);
    let engine = Engine::new(Config { disassembly: true, ..Config::default() });
    for (name, n) in picks {
        let path = name.ends_with(".wasm");
        let expected = if path { Vec::new() } else { workloads::expected_for(&name) };
        let e = match n {
            Some(n) => expected.iter().find(|e| e.n == n).cloned(),
            None => expected.iter().find(|e| e.n > 1).or(expected.first()).cloned(),
        };
        let wasm =
            if path { std::fs::read(&name).unwrap_or_else(|e| panic!("{name}: {e}")) } else { workloads::wasm(&name) };
        let module = Module::new(&engine, &wasm).expect("compile");
        let mut w = VmWorkload::from_module(&engine, &module).expect("instantiate");
        let n = e.as_ref().map_or_else(|| n.unwrap_or(1), |e| e.n);
        w.run(n).expect("warm-up run");
        wasmvm::profile::reset();
        let got = w.run(n).expect("run");
        if let Some(e) = &e {
            assert_eq!(got, e.checksum, "{name} run({n})");
        }
        let report = wasmvm::profile::report(&module, &wasm).expect("report");
        println!("## {name} run({n})\n\n{report:.top$}");
    }
}
