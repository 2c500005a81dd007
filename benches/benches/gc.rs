//! GC allocation and collection: binary-trees (`workloads/gc/binary_trees.wat`), the Benchmarks Game's
//! allocation benchmark written with GC structs. wasmi 2.0 has no GC, so wasmvm runs alone here; the
//! README compares it with wasmtime 49 (Cranelift and Pulley) on the command line.
//!
//! - `binary_trees/16`: trees of depth 4..=16 (15 million structs of two references, nearly all garbage
//!   soon after they are made), plus a long-lived tree; each iteration runs in a fresh store, so the collector
//!   works from an empty heap every time.
//! - `arrays/2000000` (`workloads/gc/arrays.wat`): a sieve on an `(array i8)`, a scan of an `(array i32)`,
//!   and UTF-16 strings (`(array i16)`) built by concatenation; its checksum is recomputed here in Rust.

#[allow(dead_code)] // the workload half of `common` is for the other bench
mod common;

use std::hint::black_box;

use common::configure;
use criterion::{Criterion, criterion_group, criterion_main};

const TREES: &str = include_str!("../workloads/gc/binary_trees.wat");
const ARRAYS: &str = include_str!("../workloads/gc/arrays.wat");
const ARRAYS_N: i32 = 2_000_000;
const DEPTH: i32 = 16;
/// `run(16)`'s checksum: every tree's node count, summed (see the module).
const CHECKSUM: i32 = 14_985_902;

/// What `arrays.wat`'s `run(n)` computes, step for step.
fn arrays_checksum(n: u32) -> i32 {
    let mut composite = vec![false; n as usize];
    let mut primes = 0u32;
    for i in 2..n {
        if !composite[i as usize] {
            primes += 1;
            let mut j = i.wrapping_mul(i);
            while j < n && j >= i {
                composite[j as usize] = true;
                j = j.wrapping_add(i);
            }
        }
    }
    let mut b: Vec<u32> = (0..n).map(|i| i.wrapping_mul(2_654_435_761) >> 7).collect();
    for _ in 0..4 {
        for i in 1..n as usize {
            b[i] ^= b[i - 1].wrapping_add(i as u32);
        }
    }
    let (mut len, mut lengths) = (12u32, 0u32);
    for _ in 0..n >> 8 {
        len += 12;
        lengths = lengths.wrapping_add(len);
        if len >= 4096 {
            len = 12;
        }
    }
    // The last string ends with "hello, world"'s 'd'.
    primes.wrapping_add(b[n as usize - 1]).wrapping_add(lengths).wrapping_add(u32::from(b'd')) as i32
}

fn bench(c: &mut Criterion) {
    let engine = wasmvm::Engine::default();
    let load = |wat: &str| wasmvm::Module::new(&engine, &wat::parse_str(wat).expect("wat")).expect("wasmvm compile");
    let (trees, arrays) = (load(TREES), load(ARRAYS));
    let run = |module: &wasmvm::Module, n: i32| {
        let mut store = wasmvm::Store::new(&engine, ());
        let instance = wasmvm::Linker::new(&engine).instantiate(&mut store, module).expect("instantiate");
        let f = instance.get_typed_func::<i32, i32>(&store, "run").expect("export");
        f.call(&mut store, n).expect("run")
    };
    assert_eq!(run(&trees, DEPTH), CHECKSUM);
    assert_eq!(run(&arrays, ARRAYS_N), arrays_checksum(ARRAYS_N as u32));
    let mut g = c.benchmark_group("gc");
    configure(&mut g, false);
    g.bench_function(format!("binary_trees/{DEPTH}/wasmvm"), |b| b.iter(|| run(&trees, black_box(DEPTH))));
    g.bench_function(format!("arrays/{ARRAYS_N}/wasmvm"), |b| b.iter(|| run(&arrays, black_box(ARRAYS_N))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
