//! What a tail call costs next to a call (issue: "a tail call costs no more than a call"), in wasmvm and in
//! wasmi 2.0 on the same module.
//!
//! - `call_loop(n)`: a loop making n calls to a one-instruction function (call + return per iteration).
//! - `tail_chain(n)`: n functions deep of `return_call` (each step tail-calls the next with n − 1): a tail
//!   call per iteration, no frames pile up.
//!
//! Both do the same arithmetic per iteration (a decrement, a test, an add); the difference is the call
//! mechanism. Times are for n = 1,000,000 (per-call cost = time / 10⁶). The `tailcall` workload in
//! `workloads.rs` is the realistic counterpart (a musttail-threaded interpreter built by clang).

#[allow(dead_code)] // the workload half of `common` is for the other bench
mod common;

use std::hint::black_box;

use common::configure;
use criterion::{Criterion, criterion_group, criterion_main};

const CALLS: &str = r#"(module
  (func $step (param i32) (result i32) (i32.add (local.get 0) (i32.const 3)))
  (func (export "call_loop") (param $n i32) (result i32) (local $acc i32)
    (loop $l
      (local.set $acc (call $step (local.get $acc)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $acc))
  (func $chain (param $n i32) (param $acc i32) (result i32)
    (if (i32.eqz (local.get $n)) (then (return (local.get $acc))))
    (return_call $chain (i32.sub (local.get $n) (i32.const 1)) (i32.add (local.get $acc) (i32.const 3))))
  (func (export "tail_chain") (param $n i32) (result i32) (call $chain (local.get $n) (i32.const 0))))"#;

const N: i32 = 1_000_000;

fn bench(c: &mut Criterion) {
    let wasm = wat::parse_str(CALLS).expect("calls module");
    let mut g = c.benchmark_group("call_vs_tail_call");
    configure(&mut g, false);
    for name in ["call_loop", "tail_chain"] {
        let engine = wasmvm::Engine::default();
        let module = wasmvm::Module::new(&engine, &wasm).expect("wasmvm compile");
        let mut store = wasmvm::Store::new(&engine, ());
        let instance = wasmvm::Linker::new(&engine).instantiate(&mut store, &module).expect("wasmvm instantiate");
        let f = instance.get_typed_func::<i32, i32>(&store, name).expect("wasmvm export");
        assert_eq!(f.call(&mut store, N).expect("wasmvm run"), 3 * N, "wasmvm {name}");
        g.bench_function(format!("{name}/wasmvm"), |b| b.iter(|| f.call(&mut store, black_box(N)).unwrap()));

        let engine = wasmi::Engine::default();
        let module = wasmi::Module::new(&engine, &wasm).expect("wasmi compile");
        let mut store = wasmi::Store::new(&engine, ());
        let instance =
            wasmi::Linker::new(&engine).instantiate_and_start(&mut store, &module).expect("wasmi instantiate");
        let f = instance.get_typed_func::<i32, i32>(&store, name).expect("wasmi export");
        assert_eq!(f.call(&mut store, N).expect("wasmi run"), 3 * N, "wasmi {name}");
        g.bench_function(format!("{name}/wasmi"), |b| b.iter(|| f.call(&mut store, black_box(N)).unwrap()));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
