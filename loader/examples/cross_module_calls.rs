//! Time calls between modules of one address space, per kind of import binding (no criterion):
//!
//! - `local`: a call to a function of the same module (`call`), for reference;
//! - `direct`: an import bound to another module's export at instantiation (a DAG edge of the group);
//! - `cyclic`: an import closing a cycle between two modules loaded together (libb calls back into liba);
//! - `self`: a PIC module calling its own export through its import (interposable);
//! - `indirect`: `call_indirect` through a function pointer (`GOT.func`);
//! - `host`: the loader's built-in `free(NULL)` (a host call that returns at once).
//!
//! `cargo run --release -p wasmvm-loader --example cross_module_calls [calls]`; prints ns per call (the
//! best of several runs of a wasm loop making `calls` calls, loop overhead included).

use std::sync::Arc;
use std::time::Instant;

use wasmvm::Engine;
use wasmvm_loader::{AddressSpace, Source, SpaceConfig};

/// liba.so: needs libb.so; calls libb's `b_inc` (direct), its own `a_inc` through its import (self),
/// `b_inc` through a function pointer, and the built-in `free`.
const LIBA: &str = r#"(module
  (@dylink.0 (mem-info) (needed "libb.so"))
  (import "env" "memory" (memory 1 65536 shared))
  (import "env" "__indirect_function_table" (table 1 funcref))
  (import "env" "__memory_base" (global i32))
  (import "env" "b_inc" (func $b_inc (param i32) (result i32)))
  (import "env" "a_inc" (func $a_inc_import (param i32) (result i32)))
  (import "env" "free" (func $free (param i32)))
  (import "GOT.func" "b_inc" (global $b_inc_ptr (mut i32)))
  (type $inc (func (param i32) (result i32)))
  (func $a_inc (export "a_inc") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "bench_local") (param $n i32) (result i32) (local $acc i32)
    (block $done (loop $l (br_if $done (i32.eqz (local.get $n)))
      (local.set $acc (call $a_inc (local.get $acc)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br $l)))
    (local.get $acc))
  (func (export "bench_direct") (param $n i32) (result i32) (local $acc i32)
    (block $done (loop $l (br_if $done (i32.eqz (local.get $n)))
      (local.set $acc (call $b_inc (local.get $acc)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br $l)))
    (local.get $acc))
  (func (export "bench_self") (param $n i32) (result i32) (local $acc i32)
    (block $done (loop $l (br_if $done (i32.eqz (local.get $n)))
      (local.set $acc (call $a_inc_import (local.get $acc)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br $l)))
    (local.get $acc))
  (func (export "bench_indirect") (param $n i32) (result i32) (local $acc i32)
    (block $done (loop $l (br_if $done (i32.eqz (local.get $n)))
      (local.set $acc (call_indirect (type $inc) (local.get $acc) (global.get $b_inc_ptr)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br $l)))
    (local.get $acc))
  (func (export "bench_host") (param $n i32) (result i32) (local $acc i32)
    (block $done (loop $l (br_if $done (i32.eqz (local.get $n)))
      (call $free (i32.const 0))
      (local.set $acc (i32.add (local.get $acc) (i32.const 1)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br $l)))
    (local.get $acc)))"#;

/// libb.so: calls back into liba (`a_inc`): the import closes the cycle liba → libb → liba.
const LIBB: &str = r#"(module
  (@dylink.0 (mem-info))
  (import "env" "memory" (memory 1 65536 shared))
  (import "env" "__memory_base" (global i32))
  (import "env" "a_inc" (func $a_inc (param i32) (result i32)))
  (func (export "b_inc") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "bench_cyclic") (param $n i32) (result i32) (local $acc i32)
    (block $done (loop $l (br_if $done (i32.eqz (local.get $n)))
      (local.set $acc (call $a_inc (local.get $acc)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br $l)))
    (local.get $acc)))"#;

fn main() {
    let calls: i32 = std::env::args().nth(1).map_or(10_000_000, |s| s.parse().expect("calls: a number"));
    let space = AddressSpace::new(&Engine::default(), SpaceConfig::default()).expect("address space");
    space.add_library("libb.so", wat::parse_str(LIBB).expect("libb"));
    let mut t = space.thread().expect("thread");
    t.load(Source::Bytes { name: "liba.so".into(), bytes: Arc::from(wat::parse_str(LIBA).expect("liba")) })
        .expect("load liba.so");
    println!("{calls} calls each; ns per call (best of 7 runs)");
    for (label, export) in [
        ("local", "bench_local"),
        ("direct", "bench_direct"),
        ("cyclic", "bench_cyclic"),
        ("self", "bench_self"),
        ("indirect", "bench_indirect"),
        ("host", "bench_host"),
    ] {
        let f = t.func(None, export).expect(export).typed::<i32, i32>(t.store()).expect("i32 -> i32");
        let mut best = f64::MAX;
        for _ in 0..7 {
            let start = Instant::now();
            let r = f.call(t.store(), calls).expect(export);
            let ns = start.elapsed().as_nanos() as f64 / calls as f64;
            assert_eq!(r, calls, "{export}");
            best = best.min(ns);
        }
        println!("{label:>9}: {best:6.2} ns");
    }
}
