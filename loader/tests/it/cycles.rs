//! Imports that cannot be bound at instantiation — a cycle between modules loaded together, a PIC module's
//! import of its own export — are late-bound functions: a call through one is a single wasm call (no stub
//! frame, no host recursion), bound on first call through the slot resolver.

use std::sync::Arc;

use wasmvm::{Config, Engine};
use wasmvm_loader::{AddressSpace, Source, SpaceConfig};

/// liba.so needs libb.so; `is_even` calls libb's `is_odd`, which calls back into liba (the cycle);
/// `sum` recurses through liba's import of its own export.
const LIBA: &str = r#"(module
  (@dylink.0 (mem-info) (needed "libb.so"))
  (import "env" "memory" (memory 1 65536 shared))
  (import "env" "__memory_base" (global i32))
  (import "env" "is_odd" (func $is_odd (param i32) (result i32)))
  (import "env" "sum" (func $sum_import (param i64) (result i64)))
  (func (export "is_even") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 1))
      (else (call $is_odd (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "sum") (param $n i64) (result i64)
    (if (result i64) (i64.eqz (local.get $n))
      (then (i64.const 0))
      (else (i64.add (local.get $n) (call $sum_import (i64.sub (local.get $n) (i64.const 1))))))))"#;

/// libb.so: `is_odd` calls liba's `is_even` (the import that closes the cycle).
const LIBB: &str = r#"(module
  (@dylink.0 (mem-info))
  (import "env" "memory" (memory 1 65536 shared))
  (import "env" "__memory_base" (global i32))
  (import "env" "is_even" (func $is_even (param i32) (result i32)))
  (func (export "is_odd") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (call $is_even (i32.sub (local.get $n) (i32.const 1)))))))"#;

/// Wasm call depth limit of the engine: recursing `DEPTH` calls deep fits only if every cross-module call
/// (and every call through the self-import) takes one wasm frame.
const MAX_CALL_DEPTH: usize = 1 << 16;
const DEPTH: i32 = 64_000;

fn space() -> AddressSpace {
    let engine = Engine::new(Config { max_call_depth: MAX_CALL_DEPTH, ..Config::default() });
    let space = AddressSpace::new(&engine, SpaceConfig::default()).unwrap();
    space.add_library("libb.so", wat::parse_str(LIBB).unwrap());
    space
}

/// Run `f` on an OS thread with a 256 KiB stack: deep wasm recursion must not grow the host stack.
fn on_small_stack<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new().stack_size(256 * 1024).spawn(f).unwrap().join().unwrap()
}

#[test]
fn mutual_recursion_between_modules_loaded_together_is_a_direct_call() {
    let space = space();
    on_small_stack(move || {
        let mut t = space.thread().unwrap();
        t.load(Source::Bytes { name: "liba.so".into(), bytes: Arc::from(wat::parse_str(LIBA).unwrap()) }).unwrap();
        // DEPTH alternating calls liba → libb → liba → ...: half of them through the late-bound import.
        assert_eq!(t.call::<i32, i32>("is_even", DEPTH).unwrap(), 1);
        assert_eq!(t.call::<i32, i32>("is_even", DEPTH - 1).unwrap(), 0);
        assert_eq!(t.call::<i32, i32>("is_odd", DEPTH - 1).unwrap(), 1);
        // A PIC module's calls to its own export through its import.
        let n = DEPTH as i64;
        assert_eq!(t.call::<i64, i64>("sum", n).unwrap(), n * (n + 1) / 2);
        // Much deeper, the engine's call-depth limit stops it with a trap (not a host stack overflow).
        let e = t.call::<i32, i32>("is_even", 4 * MAX_CALL_DEPTH as i32).unwrap_err().to_string();
        assert!(e.contains("call stack exhausted"), "{e}");
    });
}

/// Another thread reaches libb first: its late-bound import of liba's `is_even` binds on the first call,
/// which instantiates liba on that thread through the slot resolver.
#[test]
fn late_bound_import_instantiates_its_target_on_first_call() {
    let space = space();
    let mut t = space.thread().unwrap();
    t.load(Source::Bytes { name: "liba.so".into(), bytes: Arc::from(wat::parse_str(LIBA).unwrap()) }).unwrap();
    let libb = space.modules().iter().find(|m| m.name == "libb.so").unwrap().id;
    let space2 = space.clone();
    let r = on_small_stack(move || {
        let mut t = space2.thread().unwrap();
        // libb alone: instantiating it does not instantiate liba.
        let is_odd = t.instance(libb).unwrap().get_func(t.store(), "is_odd").unwrap();
        let is_odd = is_odd.typed::<i32, i32>(t.store()).unwrap();
        (is_odd.call(t.store(), 0).unwrap(), is_odd.call(t.store(), DEPTH - 1).unwrap())
    });
    assert_eq!(r, (0, 1));
}
