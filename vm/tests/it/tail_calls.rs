//! Tail calls (`return_call`, `return_call_indirect`): constant frame and host stack, across instances and
//! host functions.

use wasmvm::{Caller, Engine, Linker, Module, Store, TrapCode};

const EVEN_ODD: &str = r#"(module
  (type $t (func (param i64) (result i32)))
  (table funcref (elem $even_i $odd_i))
  (func $even (export "even") (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 1))
      (else (return_call $odd (i64.sub (local.get 0) (i64.const 1))))))
  (func $odd (export "odd") (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 0))
      (else (return_call $even (i64.sub (local.get 0) (i64.const 1))))))
  ;; The same through the table.
  (func $even_i (export "even_i") (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 1))
      (else (return_call_indirect (type $t) (i64.sub (local.get 0) (i64.const 1)) (i32.const 1)))))
  (func $odd_i (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 0))
      (else (return_call_indirect (type $t) (i64.sub (local.get 0) (i64.const 1)) (i32.const 0)))))
  ;; Not a tail call: the frames pile up.
  (func $even_call (export "even_call") (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 1))
      (else (i32.eqz (call $even_call (i64.sub (local.get 0) (i64.const 1))))))))"#;

fn instance(wat: &str) -> (Store<()>, wasmvm::Instance) {
    let engine = Engine::default();
    let module = Module::new(&engine, &wat::parse_str(wat).unwrap()).unwrap();
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
    (store, inst)
}

#[test]
fn a_million_deep_mutual_tail_recursion_runs() {
    let (mut store, inst) = instance(EVEN_ODD);
    for (name, n, want) in
        [("even", 1_000_000, 1), ("odd", 1_000_001, 1), ("even", 999_999, 0), ("even_i", 1_000_000, 1)]
    {
        let f = inst.get_func(&store, name).unwrap().typed::<i64, i32>(&store).unwrap();
        assert_eq!(f.call(&mut store, n).unwrap(), want, "{name}({n})");
    }
}

#[test]
fn the_same_recursion_without_tail_calls_exhausts_the_stack() {
    let (mut store, inst) = instance(EVEN_ODD);
    let f = inst.get_func(&store, "even_call").unwrap().typed::<i64, i32>(&store).unwrap();
    let e = f.call(&mut store, 1_000_000).unwrap_err();
    assert_eq!(e.as_trap().and_then(|t| t.code()), Some(TrapCode::StackExhausted), "{e}");
    // The store still works afterwards.
    assert_eq!(f.call(&mut store, 10).unwrap(), 1);
}

#[test]
fn tail_calls_alternate_between_instances_and_end_in_a_host_function() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    linker.func_wrap("host", "triple", |_: Caller<'_, ()>, x: i32| x * 3).unwrap();
    // `a` (slot 0, +1 per step) and `b` (slot 1, +2 per step) tail-call each other through a shared table.
    let a = r#"(module
      (type $t (func (param i32 i32) (result i32)))
      (table (export "t") 2 funcref)
      (elem (i32.const 0) $a)
      (func $a (export "a") (param i32 i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (local.get 1))
          (else (return_call_indirect (type $t)
            (i32.sub (local.get 0) (i32.const 1)) (i32.add (local.get 1) (i32.const 1)) (i32.const 1))))))"#;
    let b = r#"(module
      (type $t (func (param i32 i32) (result i32)))
      (import "host" "triple" (func $triple (param i32) (result i32)))
      (import "a" "t" (table 2 funcref))
      (elem (i32.const 1) $b)
      (func $b (param i32 i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (return_call $triple (local.get 1)))
          (else (return_call_indirect (type $t)
            (i32.sub (local.get 0) (i32.const 1)) (i32.add (local.get 1) (i32.const 2)) (i32.const 0))))))"#;
    let a = Module::new(&engine, &wat::parse_str(a).unwrap()).unwrap();
    let b = Module::new(&engine, &wat::parse_str(b).unwrap()).unwrap();
    let a_inst = linker.instantiate(&mut store, &a).unwrap();
    linker.instance(&store, "a", a_inst).unwrap();
    linker.instantiate(&mut store, &b).unwrap();
    let f = a_inst.get_func(&store, "a").unwrap().typed::<(i32, i32), i32>(&store).unwrap();
    // Ends in `a`: 500,000 steps of +1 and 500,000 of +2.
    assert_eq!(f.call(&mut store, (1_000_000, 0)).unwrap(), 1_500_000);
    // Ends in `b`, whose tail call to the host function returns its result: 3 * (500,001 + 1,000,000).
    assert_eq!(f.call(&mut store, (1_000_001, 0)).unwrap(), 4_500_003);
}

/// Tail calls with more argument slots than the handlers move inline (a `v128` takes two), direct and
/// through a table, a million deep.
#[test]
fn tail_calls_with_many_arguments_keep_every_argument() {
    let wat = r#"(module
      (type $t (func (param i64 i32 i64 f64 v128 i32) (result i64)))
      (table funcref (elem $step_i))
      (func $step (export "step") (type $t)
        (if (result i64) (i64.eqz (local.get 0))
          (then (i64.add (i64.add (i64.extend_i32_u (local.get 1)) (local.get 2))
                  (i64.add (i64.trunc_f64_s (local.get 3))
                    (i64.add (i64x2.extract_lane 1 (local.get 4)) (i64.extend_i32_u (local.get 5))))))
          (else (return_call $step (i64.sub (local.get 0) (i64.const 1)) (i32.add (local.get 1) (i32.const 1))
                  (i64.add (local.get 2) (i64.const 2)) (f64.add (local.get 3) (f64.const 3))
                  (i64x2.add (local.get 4) (v128.const i64x2 0 4)) (local.get 5)))))
      (func $step_i (export "step_i") (type $t)
        (if (result i64) (i64.eqz (local.get 0))
          (then (i64.add (i64.add (i64.extend_i32_u (local.get 1)) (local.get 2))
                  (i64.add (i64.trunc_f64_s (local.get 3))
                    (i64.add (i64x2.extract_lane 1 (local.get 4)) (i64.extend_i32_u (local.get 5))))))
          (else (return_call_indirect (type $t) (i64.sub (local.get 0) (i64.const 1))
                  (i32.add (local.get 1) (i32.const 1)) (i64.add (local.get 2) (i64.const 2))
                  (f64.add (local.get 3) (f64.const 3)) (i64x2.add (local.get 4) (v128.const i64x2 0 4))
                  (local.get 5) (i32.const 0)))))
      (func (export "run") (param i64) (result i64)
        (call $step (local.get 0) (i32.const 0) (i64.const 0) (f64.const 0) (v128.const i64x2 0 0) (i32.const 7)))
      (func (export "run_i") (param i64) (result i64)
        (call $step_i (local.get 0) (i32.const 0) (i64.const 0) (f64.const 0) (v128.const i64x2 0 0) (i32.const 7))))"#;
    let (mut store, inst) = instance(wat);
    for name in ["run", "run_i"] {
        let f = inst.get_func(&store, name).unwrap().typed::<i64, i64>(&store).unwrap();
        // n steps add 1 + 2 + 3 + 4 per step; the last argument (7) is passed through unchanged.
        assert_eq!(f.call(&mut store, 1_000_000).unwrap(), 10_000_000 + 7, "{name}");
        assert_eq!(f.call(&mut store, 0).unwrap(), 7, "{name}");
    }
}
