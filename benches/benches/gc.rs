//! GC allocation and collection: binary-trees (`workloads/gc/binary_trees.wat`), the Benchmarks Game's
//! allocation benchmark written with GC structs. wasmi 2.0 has no GC, so wasmvm runs alone here; the
//! README compares it with wasmtime 49 (Cranelift and Pulley) on the command line.
//!
//! `binary_trees/16`: trees of depth 4..=16 (15 million structs of two references, nearly all garbage
//! soon after they are made), plus a long-lived tree; each iteration runs in a fresh store, so the collector works
//! from an empty heap every time.

#[allow(dead_code)] // the workload half of `common` is for the other bench
mod common;

use std::hint::black_box;

use common::configure;
use criterion::{Criterion, criterion_group, criterion_main};

const TREES: &str = include_str!("../workloads/gc/binary_trees.wat");
const DEPTH: i32 = 16;
/// `run(16)`'s checksum: every tree's node count, summed (see the module).
const CHECKSUM: i32 = 14_985_902;

fn bench(c: &mut Criterion) {
    let wasm = wat::parse_str(TREES).expect("binary_trees module");
    let engine = wasmvm::Engine::default();
    let module = wasmvm::Module::new(&engine, &wasm).expect("wasmvm compile");
    let run = |depth: i32| {
        let mut store = wasmvm::Store::new(&engine, ());
        let instance = wasmvm::Linker::new(&engine).instantiate(&mut store, &module).expect("instantiate");
        let f = instance.get_typed_func::<i32, i32>(&store, "run").expect("export");
        f.call(&mut store, depth).expect("run")
    };
    assert_eq!(run(DEPTH), CHECKSUM);
    let mut g = c.benchmark_group("gc");
    configure(&mut g, false);
    g.bench_function(format!("binary_trees/{DEPTH}/wasmvm"), |b| b.iter(|| run(black_box(DEPTH))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
