//! Memory64 and multi-memory: what a 64-bit memory and a second memory cost.
//!
//! One C-like kernel (`b[i] = a[i] * 3 + b[i]` over 256 Ki i32s, xor of the results; loads, stores and
//! address arithmetic, as a compiled loop looks), written once in wat and instantiated
//! - over a 32-bit memory (`mem32`: the register fast path with address fusion),
//! - over a memory64 memory, addresses and the loop index in i64 (`mem64`: memory 0 in registers, 64-bit
//!   bounds checks, no fusion),
//! - with `a` in memory 0 and `b` in memory 1 (`multi`: the second memory looked up by index),
//!
//! in wasmvm, and the `mem64` and `multi` variants also in wasmi 2.0 (memory64 and multi-memory on), on the
//! same bytes. Groups: `memories_mem64` (wasmvm mem32, wasmvm mem64, wasmi mem64) and `memories_multi`
//! (wasmvm, wasmi). The issue's target: memory64 within 10% of memory32.
//!
//! `WASMVM_BENCH_QUICK=1`: fewer rounds, short measurements.

#[allow(dead_code)] // the wasmi workload half of `common` is for the other benches
mod common;

use common::configure;
use criterion::{Criterion, criterion_group, criterion_main};
use wasmvm_benches::report::write_marker_with_load;
use wasmvm_benches::workloads::quick;

/// The kernel; `{AT}` is the address type (i32 or i64), `{IVAL}` the index as an i32, `{MEMS}` the memory
/// declarations, `{B}` the memory of array `b` (`0` or `1`) and `{BOFF}` its offset in that memory.
const KERNEL: &str = r#"(module
  {MEMS}
  (func (export "init")
    (local $i {AT})
    (loop $l
      (i32.store 0 ({AT}.shl (local.get $i) ({AT}.const 2)) {IVAL})
      (br_if $l ({AT}.lt_u (local.tee $i ({AT}.add (local.get $i) ({AT}.const 1))) ({AT}.const 262144)))))
  (func (export "run") (param $rounds i32) (result i32)
    (local $i {AT}) (local $addr {AT}) (local $v i32) (local $acc i32)
    (loop $round
      (local.set $i ({AT}.const 0))
      (loop $l
        (local.set $addr ({AT}.shl (local.get $i) ({AT}.const 2)))
        (local.set $v (i32.add (i32.mul (i32.load 0 (local.get $addr)) (i32.const 3))
                               (i32.load {B} offset={BOFF} (local.get $addr))))
        (i32.store {B} offset={BOFF} (local.get $addr) (local.get $v))
        (local.set $acc (i32.xor (local.get $acc) (local.get $v)))
        (br_if $l ({AT}.lt_u (local.tee $i ({AT}.add (local.get $i) ({AT}.const 1))) ({AT}.const 262144))))
      (br_if $round (local.tee $rounds (i32.sub (local.get $rounds) (i32.const 1)))))
    (local.get $acc)))"#;

/// The kernel's wasm for a variant.
fn kernel(variant: &str) -> Vec<u8> {
    let (at, mems, b, boff) = match variant {
        "mem32" => ("i32", "(memory 40)", "0", "1048576"),
        "mem64" => ("i64", "(memory i64 40)", "0", "1048576"),
        _ => ("i32", "(memory 20) (memory 20)", "1", "0"),
    };
    let text = KERNEL
        .replace("{MEMS}", mems)
        .replace("{IVAL}", if at == "i64" { "(i32.wrap_i64 (local.get $i))" } else { "(local.get $i)" })
        .replace("{AT}", at)
        .replace("{B}", b)
        .replace("{BOFF}", boff);
    wat::parse_str(text).expect("kernel assembles")
}

fn wasmvm_run(wasm: &[u8]) -> impl FnMut(i32) -> i32 {
    let engine = wasmvm::Engine::default();
    let module = wasmvm::Module::new(&engine, wasm).expect("wasmvm compiles the kernel");
    let mut store = wasmvm::Store::new(&engine, ());
    let inst = wasmvm::Linker::new(&engine).instantiate(&mut store, &module).unwrap();
    inst.get_typed_func::<(), ()>(&store, "init").unwrap().call(&mut store, ()).unwrap();
    let run = inst.get_typed_func::<i32, i32>(&store, "run").unwrap();
    move |n| run.call(&mut store, n).unwrap()
}

fn wasmi_run(wasm: &[u8]) -> impl FnMut(i32) -> i32 {
    let mut config = wasmi::Config::default();
    config.wasm_memory64(true).wasm_multi_memory(true);
    let engine = wasmi::Engine::new(&config);
    let module = wasmi::Module::new(&engine, wasm).expect("wasmi compiles the kernel");
    let mut store = wasmi::Store::new(&engine, ());
    let inst = wasmi::Linker::<()>::new(&engine).instantiate_and_start(&mut store, &module).unwrap();
    inst.get_typed_func::<(), ()>(&store, "init").unwrap().call(&mut store, ()).unwrap();
    let run = inst.get_typed_func::<i32, i32>(&store, "run").unwrap();
    move |n| run.call(&mut store, n).unwrap()
}

fn memories(c: &mut Criterion) {
    let n = if quick() { 2 } else { 10 };
    let (mem32, mem64, multi) = (kernel("mem32"), kernel("mem64"), kernel("multi"));
    // Every variant computes the same thing: check before timing.
    let expected = wasmvm_run(&mem32)(n);
    for (name, wasm) in [("mem64", &mem64), ("multi", &multi)] {
        assert_eq!(wasmvm_run(wasm)(n), expected, "wasmvm {name}");
        assert_eq!(wasmi_run(wasm)(n), expected, "wasmi {name}");
    }

    write_marker_with_load("memories_mem64", n);
    let mut g = c.benchmark_group("memories_mem64");
    configure(&mut g, false);
    let mut f = wasmvm_run(&mem32);
    g.bench_function("wasmvm_mem32", |b| b.iter(|| f(n)));
    let mut f = wasmvm_run(&mem64);
    g.bench_function("wasmvm_mem64", |b| b.iter(|| f(n)));
    let mut f = wasmi_run(&mem64);
    g.bench_function("wasmi_mem64", |b| b.iter(|| f(n)));
    g.finish();

    write_marker_with_load("memories_multi", n);
    let mut g = c.benchmark_group("memories_multi");
    configure(&mut g, false);
    let mut f = wasmvm_run(&multi);
    g.bench_function("wasmvm", |b| b.iter(|| f(n)));
    let mut f = wasmi_run(&multi);
    g.bench_function("wasmi", |b| b.iter(|| f(n)));
    g.finish();
}

criterion_group!(benches, memories);
criterion_main!(benches);
