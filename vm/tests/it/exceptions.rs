//! Exception handling: throw and catch across deep wasm call chains without host recursion, rethrow
//! through `catch_ref`/`throw_ref`, payloads of every width, exceptions thrown by host functions and
//! escaping to the host, exceptions on two threads at once, and traps that `catch_all` must not catch.

use wasmvm::{Caller, Engine, FuncType, Linker, Module, Store, Tag, Trap, Val, ValType};

fn instance(wat: &str) -> (Store<()>, wasmvm::Instance) {
    let engine = Engine::default();
    let module = Module::new(&engine, &wat::parse_str(wat).unwrap()).unwrap();
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
    (store, inst)
}

/// `$down(n)` recurses `n` frames deep, then throws `$e` carrying `n0 * 2`; `run` catches it.
const DEEP: &str = r#"
(module
  (tag $e (export "e") (param i32))
  (global $start (mut i32) (i32.const 0))
  (func $down (param $n i32) (result i32)
    (if (i32.eqz (local.get $n))
      (then (throw $e (i32.mul (global.get $start) (i32.const 2)))))
    (i32.add (call $down (i32.sub (local.get $n) (i32.const 1))) (i32.const 1)))
  (func (export "run") (param $n i32) (result i32)
    (global.set $start (local.get $n))
    (block $h (result i32)
      (try_table (result i32) (catch $e $h)
        (call $down (local.get $n)))
      (return))
    (i32.add (i32.const 1)))
  (func (export "escape") (param $n i32) (result i32)
    (global.set $start (local.get $n))
    (call $down (local.get $n))))
"#;

/// Unwinding through 1000 and then 40,000 wasm frames, 2,000 times, on a 256 KiB host stack: the unwinder
/// is a loop over the frame stack, so neither depth nor repetition grows the host stack.
#[test]
fn throw_across_deep_call_chains_on_a_small_host_stack() {
    std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(|| {
            let (mut store, inst) = instance(DEEP);
            let run = inst.get_typed_func::<i32, i32>(&store, "run").unwrap();
            for _ in 0..2_000 {
                assert_eq!(run.call(&mut store, 1000).unwrap(), 2001);
            }
            assert_eq!(run.call(&mut store, 40_000).unwrap(), 80_001);
            // Uncaught: the exception leaves wasm as an error naming its tag; the store stays usable.
            let escape = inst.get_typed_func::<i32, i32>(&store, "escape").unwrap();
            let err = escape.call(&mut store, 1000).unwrap_err();
            assert!(err.to_string().contains("uncaught wasm exception: tag \"e\""), "{err}");
            assert_eq!(run.call(&mut store, 3).unwrap(), 7);
        })
        .unwrap()
        .join()
        .unwrap();
}

/// `catch_ref` keeps the exception as an `exnref`; `throw_ref` rethrows the same exception (tag and values)
/// to an outer handler, in the same function and across a call.
#[test]
fn catch_ref_and_throw_ref_rethrow() {
    let (mut store, inst) = instance(
        r#"(module
          (tag $e (param i32 i64))
          (func $inner (param i32)
            (block $h (result i32 i64 exnref)
              (try_table (catch_ref $e $h)
                (throw $e (local.get 0) (i64.const 100)))
              (unreachable))
            (throw_ref))
          (func (export "rethrow") (param i32) (result i64) (local $x i64)
            (block $h (result i32 i64)
              (try_table (catch $e $h) (call $inner (local.get 0)))
              (unreachable))
            (local.set $x)
            (i64.add (i64.extend_i32_u) (local.get $x)))
          (func (export "held") (result exnref)
            (block $h (result exnref)
              (try_table (catch_all_ref $h) (throw $e (i32.const 1) (i64.const 2)))
              (unreachable)))
          (func (export "throw_held") (param exnref) (result i64) (local $x i64)
            (block $h (result i32 i64)
              (try_table (catch $e $h) (throw_ref (local.get 0)))
              (unreachable))
            (local.set $x)
            (i64.add (i64.extend_i32_u) (local.get $x)))
          (func (export "null") (throw_ref (ref.null exn))))"#,
    );
    let rethrow = inst.get_typed_func::<i32, i64>(&store, "rethrow").unwrap();
    assert_eq!(rethrow.call(&mut store, 5).unwrap(), 105);
    // An exnref handed to the host and back: still the same exception.
    let held = inst.get_func(&store, "held").unwrap();
    let mut out = [Val::I32(0)];
    held.call(&mut store, &[], &mut out).unwrap();
    let Val::ExnRef(Some(exn)) = out[0] else { panic!("expected an exnref, got {:?}", out[0]) };
    let e = exn.exception(&store).unwrap();
    assert_eq!(e.values(&store), vec![Val::I32(1), Val::I64(2)]);
    let throw_held = inst.get_func(&store, "throw_held").unwrap();
    let mut r = [Val::I64(0)];
    throw_held.call(&mut store, &out, &mut r).unwrap();
    assert_eq!(r[0], Val::I64(3));
    let null = inst.get_func(&store, "null").unwrap();
    assert_eq!(null.call(&mut store, &[], &mut []).unwrap_err().to_string(), "trap: null exception reference");
}

/// Values of every width travel with the exception (a v128 in two slots), through a call.
#[test]
fn payloads_of_every_type() {
    let (mut store, inst) = instance(
        r#"(module
          (tag $e (param i32 i64 f64 v128 f32))
          (func $thrower (param i32 i64 f64 v128 f32)
            (throw $e (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)))
          (func (export "go") (param i32 i64 f64 v128 f32) (result i32 i64 f64 v128 f32)
            (block $h (result i32 i64 f64 v128 f32)
              (try_table (catch $e $h)
                (call $thrower (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)))
              (unreachable))))"#,
    );
    let go = inst.get_func(&store, "go").unwrap();
    let v = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210u128;
    let args = [Val::I32(-7), Val::I64(1 << 40), Val::f64(2.5), Val::V128(v), Val::f32(-1.5)];
    let mut out = [Val::I32(0), Val::I64(0), Val::F64(0), Val::V128(0), Val::F32(0)];
    go.call(&mut store, &args, &mut out).unwrap();
    assert_eq!(out, args);
}

/// A host function throws a wasm exception its wasm caller catches; one thrown by wasm through a host
/// function (wasm → host → wasm) unwinds the host frame and is caught by the outer wasm.
#[test]
fn exceptions_cross_host_functions() {
    let engine = Engine::default();
    let tag = Tag::new("host_error", FuncType::new([ValType::I32], [])).unwrap();
    let mut linker = Linker::<()>::new(&engine);
    linker.define("host", "error", tag.clone()).unwrap();
    let t = tag.clone();
    linker
        .func_wrap("host", "fail", move |caller: Caller<'_, ()>, code: i32| -> Result<i32, Trap> {
            Err(caller.throw(&t, &[Val::I32(code)]))
        })
        .unwrap();
    linker
        .func_wrap("host", "reenter", |mut caller: Caller<'_, ()>, x: i32| -> Result<i32, Trap> {
            let f = caller.get_export("thrower").unwrap().into_func().unwrap();
            let mut out = [Val::I32(0)];
            f.call(&mut caller, &[Val::I32(x)], &mut out).map_err(|e| match e {
                wasmvm::Error::Trap(t) => t,
                other => Trap::host(other.to_string()),
            })?;
            Ok(out[0].i32().unwrap())
        })
        .unwrap();
    let module = Module::new(
        &engine,
        &wat::parse_str(
            r#"(module
              (import "host" "error" (tag $err (param i32)))
              (import "host" "fail" (func $fail (param i32) (result i32)))
              (import "host" "reenter" (func $reenter (param i32) (result i32)))
              (tag $mine (export "mine") (param i32))
              (func (export "thrower") (param i32) (result i32) (throw $mine (local.get 0)))
              (func (export "catch_host") (param i32) (result i32)
                (block $h (result i32)
                  (try_table (result i32) (catch $err $h) (call $fail (local.get 0)))
                  (return))
                (i32.add (i32.const 1000)))
              (func (export "through_host") (param i32) (result i32)
                (block $h (result i32)
                  (try_table (result i32) (catch $mine $h) (call $reenter (local.get 0)))
                  (return))
                (i32.add (i32.const 2000)))
              (func (export "uncaught") (param i32) (result i32) (call $fail (local.get 0))))"#,
        )
        .unwrap(),
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let inst = linker.instantiate(&mut store, &module).unwrap();
    assert_eq!(inst.get_typed_func::<i32, i32>(&store, "catch_host").unwrap().call(&mut store, 5).unwrap(), 1005);
    assert_eq!(inst.get_typed_func::<i32, i32>(&store, "through_host").unwrap().call(&mut store, 6).unwrap(), 2006);
    let err = inst.get_typed_func::<i32, i32>(&store, "uncaught").unwrap().call(&mut store, 9).unwrap_err();
    assert!(err.to_string().contains("uncaught wasm exception: tag host_error"), "{err}");
    let exn = err.as_trap().and_then(|t| t.exception()).expect("an exception");
    assert_eq!(*exn.tag(), tag);
    assert_eq!(exn.values(&store), vec![Val::I32(9)]);
    // The module's own tag, exported: the same identity as the one in the error.
    let err = inst.get_typed_func::<i32, i32>(&store, "thrower").unwrap().call(&mut store, 4).unwrap_err();
    let exn = err.as_trap().and_then(|t| t.exception()).expect("an exception");
    assert_eq!(*exn.tag(), inst.get_tag(&store, "mine").unwrap());
    assert!(err.to_string().contains("tag \"mine\""), "{err}");
    // A host function giving the wrong values for its tag is a plain trap, not an exception.
    assert!(tag.exception(&store, &[Val::I64(1)]).is_err());
}

/// Exceptions are per thread: two threads throw and catch at the same time, each in its own store, with
/// a tag shared through one linker.
#[test]
fn exceptions_on_two_threads_at_once() {
    let engine = Engine::default();
    let module = Module::new(&engine, &wat::parse_str(DEEP).unwrap()).unwrap();
    let handles: Vec<_> = (0..2)
        .map(|k| {
            let (engine, module) = (engine.clone(), module.clone());
            std::thread::spawn(move || {
                let mut store = Store::new(&engine, ());
                let inst = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
                let run = inst.get_typed_func::<i32, i32>(&store, "run").unwrap();
                for i in 0..3_000 {
                    let n = 10 + (i + k * 7) % 300;
                    assert_eq!(run.call(&mut store, n).unwrap(), 2 * n + 1);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

/// Traps are not exceptions: `catch_all` does not catch `unreachable` or a trap in a callee.
#[test]
fn traps_are_not_caught() {
    let (mut store, inst) = instance(
        r#"(module
          (func $div (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
          (func (export "unreachable") (result i32)
            (block $h
              (try_table (catch_all $h) (unreachable)))
            (i32.const 1))
          (func (export "callee") (param i32) (result i32)
            (block $h
              (try_table (catch_all $h) (return (call $div (i32.const 10) (local.get 0)))))
            (i32.const -1)))"#,
    );
    let err = inst.get_typed_func::<(), i32>(&store, "unreachable").unwrap().call(&mut store, ()).unwrap_err();
    assert_eq!(err.to_string(), "trap: unreachable");
    let callee = inst.get_typed_func::<i32, i32>(&store, "callee").unwrap();
    assert_eq!(callee.call(&mut store, 5).unwrap(), 2);
    assert_eq!(callee.call(&mut store, 0).unwrap_err().to_string(), "trap: integer divide by zero");
}

/// Tags are checked at link time: an import of a tag of another type, or of a type from another
/// recursion group, is refused.
#[test]
fn tag_imports_are_type_checked() {
    let engine = Engine::default();
    let mut linker = Linker::<()>::new(&engine);
    linker.define("m", "t", Tag::new("t", FuncType::new([ValType::I64], [])).unwrap()).unwrap();
    let module =
        Module::new(&engine, &wat::parse_str(r#"(module (import "m" "t" (tag (param i32))))"#).unwrap()).unwrap();
    let mut store = Store::new(&engine, ());
    let err = linker.instantiate(&mut store, &module).unwrap_err();
    assert!(err.to_string().contains("incompatible import type"), "{err}");
    assert!(Tag::new("bad", FuncType::new([], [ValType::I32])).is_err());
}

/// With `Features::exceptions` off, exception handling is refused with a named feature.
#[test]
fn refused_when_the_feature_is_off() {
    let engine = wasmvm::Engine::new(wasmvm::Config {
        features: wasmvm::Features { exceptions: false, ..wasmvm::Features::default() },
        ..wasmvm::Config::default()
    });
    for wat in [
        r#"(module (tag))"#,
        r#"(module (func (block (try_table (catch_all 0)))))"#,
        r#"(module (func (param exnref)))"#,
    ] {
        let err = Module::new(&engine, &wat::parse_str(wat).unwrap()).unwrap_err().to_string();
        assert!(err.contains("unsupported feature") && err.contains("exception"), "{wat}: {err}");
    }
}

/// Exceptions caught with `catch_ref` (as C++ code translated from the legacy encoding catches every
/// exception) are collected when many accumulate, so a long-running thrower stays bounded; those still
/// reachable from a global, a table, a local or another exception's payload survive and rethrow intact.
#[test]
fn referenced_exceptions_are_collected_unless_reachable() {
    let (mut store, inst) = instance(
        r#"(module
          (tag $e (param i32))
          (tag $box (param exnref))
          (global $g (mut exnref) (ref.null exn))
          (table $t 2 exnref)
          (func $catch_ref (param i32) (result exnref)
            (block $h (result i32 exnref)
              (try_table (catch_ref $e $h) (throw $e (local.get 0)))
              (unreachable))
            (return (drop (local.get 0))))
          (func $boxed (param i32) (result exnref) (local $b exnref)
            (block $h (result exnref exnref)
              (try_table (catch_ref $box $h) (throw $box (call $catch_ref (local.get 0))))
              (unreachable))
            ;; Only the box is kept: its payload is the only reference to the inner exception.
            (local.set $b) (drop) (local.get $b))
          (func $value_of (param exnref) (result i32)
            (block $h (result i32)
              (try_table (catch $e $h) (throw_ref (local.get 0)))
              (unreachable)))
          (func (export "keep") (param i32)
            (global.set $g (call $catch_ref (local.get 0)))
            (table.set $t (i32.const 1) (call $catch_ref (i32.add (local.get 0) (i32.const 1)))))
          (func (export "churn") (param $n i32) (result i32) (local $keep exnref) (local $i i32)
            (local.set $keep (call $boxed (i32.const 77)))
            (loop $l
              (drop (call $catch_ref (local.get $i)))
              (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
            (block $h (result exnref)
              (try_table (catch $box $h) (throw_ref (local.get $keep)))
              (unreachable))
            (call $value_of))
          (func (export "kept") (result i32)
            (i32.add (i32.mul (call $value_of (global.get $g)) (i32.const 1000))
                     (call $value_of (table.get $t (i32.const 1))))))"#,
    );
    inst.get_typed_func::<i32, ()>(&store, "keep").unwrap().call(&mut store, 5).unwrap();
    let churn = inst.get_typed_func::<i32, i32>(&store, "churn").unwrap();
    for _ in 0..5 {
        assert_eq!(churn.call(&mut store, 100_000).unwrap(), 77);
        assert!(store.live_exceptions() < 20_000, "{} exceptions kept", store.live_exceptions());
    }
    assert_eq!(inst.get_typed_func::<(), i32>(&store, "kept").unwrap().call(&mut store, ()).unwrap(), 5006);
}

/// A tail call leaves the caller's `try_table`s: an exception thrown by a host function reached through
/// `return_call` or `return_call_indirect` inside a `try_table` is caught by the caller's caller, not there.
#[test]
fn tail_calls_to_host_functions_leave_the_try_table() {
    let engine = Engine::default();
    let tag = Tag::new("host_error", FuncType::new([ValType::I32], [])).unwrap();
    let mut linker = Linker::<()>::new(&engine);
    linker.define("host", "error", tag.clone()).unwrap();
    linker
        .func_wrap("host", "fail", move |caller: Caller<'_, ()>, code: i32| -> Result<i32, Trap> {
            Err(caller.throw(&tag, &[Val::I32(code)]))
        })
        .unwrap();
    let module = Module::new(
        &engine,
        &wat::parse_str(
            r#"(module
              (import "host" "error" (tag $t (param i32)))
              (import "host" "fail" (func $fail (param i32) (result i32)))
              (type $ft (func (param i32) (result i32)))
              (table funcref (elem $fail))
              (func $direct (param i32) (result i32)
                (block $h (result i32)
                  (try_table (result i32) (catch $t $h) (return_call $fail (local.get 0)))
                  (return))
                (drop) (i32.const -1))
              (func $indirect (param i32) (result i32)
                (block $h (result i32)
                  (try_table (result i32) (catch $t $h)
                    (return_call_indirect (type $ft) (local.get 0) (i32.const 0)))
                  (return))
                (drop) (i32.const -1))
              (func (export "go") (param i32) (result i32)
                (block $h (result i32)
                  (try_table (result i32) (catch $t $h)
                    (i32.add (call $direct (local.get 0)) (call $indirect (local.get 0))))
                  (return))
                (i32.add (i32.const 3000))))"#,
        )
        .unwrap(),
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let inst = linker.instantiate(&mut store, &module).unwrap();
    assert_eq!(inst.get_typed_func::<i32, i32>(&store, "go").unwrap().call(&mut store, 5).unwrap(), 3005);
}
