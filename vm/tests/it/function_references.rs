//! Typed function references (`call_ref`, `return_call_ref`, `br_on_null`, `br_on_non_null`,
//! `ref.as_non_null`, `(ref $t)` in signatures and globals) and wide arithmetic, through the API.

use wasmvm::{Engine, Global, GlobalType, Linker, Module, Store, TrapCode, Val, ValType};

fn instance(wat: &str) -> (Store<()>, wasmvm::Instance) {
    let engine = Engine::default();
    let module = Module::new(&engine, &wat::parse_str(wat).unwrap()).unwrap();
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
    (store, inst)
}

fn trap_code(e: &wasmvm::Error) -> Option<TrapCode> {
    e.as_trap().and_then(|t| t.code())
}

/// Mutual recursion through typed references: `even` and `odd` call each other through globals of type
/// `(ref $t)`.
const EVEN_ODD: &str = r#"(module
  (type $t (func (param i64) (result i32)))
  (global $even_ref (ref $t) (ref.func $even))
  (global $odd_ref (ref $t) (ref.func $odd))
  (elem declare func $even $odd)
  (func $even (export "even") (type $t)
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 1))
      (else (return_call_ref $t (i64.sub (local.get 0) (i64.const 1)) (global.get $odd_ref)))))
  (func $odd (type $t)
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 0))
      (else (return_call_ref $t (i64.sub (local.get 0) (i64.const 1)) (global.get $even_ref)))))
  ;; Not a tail call: the frames pile up.
  (func $even_call (export "even_call") (type $t)
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 1))
      (else (i32.eqz (call_ref $t (i64.sub (local.get 0) (i64.const 1)) (ref.func $even_call))))))
  (elem declare func $even_call))"#;

#[test]
fn a_million_deep_tail_recursion_through_references_runs_and_the_plain_one_exhausts_the_stack() {
    let (mut store, inst) = instance(EVEN_ODD);
    let even = inst.get_func(&store, "even").unwrap().typed::<i64, i32>(&store).unwrap();
    assert_eq!(even.call(&mut store, 1_000_000).unwrap(), 1);
    assert_eq!(even.call(&mut store, 999_999).unwrap(), 0);
    let even_call = inst.get_func(&store, "even_call").unwrap().typed::<i64, i32>(&store).unwrap();
    assert_eq!(even_call.call(&mut store, 1000).unwrap(), 1);
    let e = even_call.call(&mut store, 1_000_000).unwrap_err();
    assert_eq!(trap_code(&e), Some(TrapCode::StackExhausted), "{e}");
}

const NULLS: &str = r#"(module
  (type $t (func (param i32) (result i32)))
  (func $inc (type $t) (i32.add (local.get 0) (i32.const 1)))
  (elem declare func $inc)
  (func (export "call_null") (result i32) (call_ref $t (i32.const 1) (ref.null $t)))
  (func (export "as_non_null") (param funcref) (result i32)
    (drop (ref.as_non_null (local.get 0))) (i32.const 7))
  ;; br_on_null: 100 + x for null, f(100 + x) otherwise (the reference stays on the stack).
  (func (export "on_null") (param $x i32) (param $null i32) (result i32)
    (local $f (ref null $t))
    (if (i32.eqz (local.get $null)) (then (local.set $f (ref.func $inc))))
    (block $l (result i32)
      (i32.add (local.get $x) (i32.const 100))
      (br_on_null $l (local.get $f))
      (call_ref $t)
      (return)))
  ;; br_on_non_null: f(x) when the reference is not null (it goes to the label), -1 for null.
  (func (export "on_non_null") (param $x i32) (param $null i32) (result i32)
    (local $f (ref null $t))
    (if (i32.eqz (local.get $null)) (then (local.set $f (ref.func $inc))))
    (local.get $x)
    (block $l (param i32) (result i32 (ref $t))
      (br_on_non_null $l (local.get $f))
      (drop)
      (return (i32.const -1)))
    (call_ref $t)))"#;

#[test]
fn null_references_trap_with_their_messages_and_branch_on_null() {
    let (mut store, inst) = instance(NULLS);
    let call_null = inst.get_func(&store, "call_null").unwrap().typed::<(), i32>(&store).unwrap();
    let e = call_null.call(&mut store, ()).unwrap_err();
    assert_eq!(trap_code(&e), Some(TrapCode::NullFunctionReference));
    assert!(e.to_string().contains("null function reference"), "{e}");

    let as_non_null = inst.get_func(&store, "as_non_null").unwrap();
    let mut out = [Val::I32(0)];
    let e = as_non_null.call(&mut store, &[Val::FuncRef(None)], &mut out).unwrap_err();
    assert_eq!(trap_code(&e), Some(TrapCode::NullReference));
    assert!(e.to_string().contains("null reference"), "{e}");
    as_non_null.call(&mut store, &[Val::FuncRef(Some(as_non_null))], &mut out).unwrap();
    assert_eq!(out[0].i32(), Some(7));

    let on_null = inst.get_func(&store, "on_null").unwrap().typed::<(i32, i32), i32>(&store).unwrap();
    assert_eq!(on_null.call(&mut store, (5, 1)).unwrap(), 105);
    assert_eq!(on_null.call(&mut store, (5, 0)).unwrap(), 106);
    let on_non_null = inst.get_func(&store, "on_non_null").unwrap().typed::<(i32, i32), i32>(&store).unwrap();
    assert_eq!(on_non_null.call(&mut store, (5, 1)).unwrap(), -1);
    assert_eq!(on_non_null.call(&mut store, (5, 0)).unwrap(), 6);
}

#[test]
fn host_values_for_typed_references_are_checked() {
    let wat = r#"(module
      (type $t (func (param i32) (result i32)))
      (type $u (func (result i64)))
      (func $u (type $u) (i64.const 1))
      (export "u" (func $u))
      (func (export "apply") (param (ref $t)) (param i32) (result i32)
        (call_ref $t (local.get 1) (local.get 0))))"#;
    let (mut store, inst) = instance(wat);
    let apply = inst.get_func(&store, "apply").unwrap();
    let mut out = [Val::I32(0)];
    // Null where the type is non-nullable: refused before the call.
    let e = apply.call(&mut store, &[Val::FuncRef(None), Val::I32(1)], &mut out).unwrap_err();
    assert!(e.as_trap().is_none(), "an API error, not a trap: {e}");
    // An extern reference where a function reference is due: refused.
    assert!(apply.call(&mut store, &[Val::ExternRef(None), Val::I32(1)], &mut out).is_err());
    // A function of another type: refused before the call (it would run with the wrong frame).
    let u = inst.get_func(&store, "u").unwrap();
    let e = apply.call(&mut store, &[Val::FuncRef(Some(u)), Val::I32(1)], &mut out).unwrap_err();
    assert!(e.to_string().contains("wrong argument types"), "{e}");
}

#[test]
fn an_immutable_global_import_may_be_a_subtype_a_mutable_one_must_match() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let exporter = r#"(module
      (type $t (func))
      (func $f (type $t))
      (global (export "g") (ref $t) (ref.func $f))
      (global (export "m") (mut (ref null $t)) (ref.null $t)))"#;
    let module = Module::new(&engine, &wat::parse_str(exporter).unwrap()).unwrap();
    let mut linker = Linker::new(&engine);
    let inst = linker.instantiate(&mut store, &module).unwrap();
    linker.instance(&store, "a", inst).unwrap();
    let import = |ty: &str| format!(r#"(module (type $t (func)) (import "a" "{ty}))"#);
    for (decl, ok) in [
        (r#"g" (global (ref $t))"#, true),
        (r#"g" (global (ref null $t))"#, true),
        (r#"g" (global funcref)"#, true),
        (r#"g" (global (ref func))"#, true),
        (r#"g" (global externref)"#, false),
        (r#"m" (global (mut (ref null $t)))"#, true),
        (r#"m" (global (mut funcref))"#, false),
        (r#"m" (global (ref null $t))"#, false),
    ] {
        let module = Module::new(&engine, &wat::parse_str(import(decl)).unwrap()).unwrap();
        let r = linker.instantiate(&mut store, &module);
        assert_eq!(r.is_ok(), ok, "import {decl}: {:?}", r.err());
    }
    // The API: a typed global takes a function reference, not null.
    let ty = GlobalType { content: ValType::FuncRef, mutable: false };
    assert!(Global::new(&mut store, ty, Val::FuncRef(None)).is_ok());
    let f = inst.get_global(&store, "g").unwrap().get(&store).unwrap();
    assert!(matches!(f, Val::FuncRef(Some(_))));
    let non_null = match inst.get_global(&store, "g").unwrap().ty(&store).unwrap().content {
        t @ ValType::Ref(r) => {
            assert!(!r.nullable);
            t
        }
        t => panic!("expected a typed reference, got {t}"),
    };
    let ty = GlobalType { content: non_null, mutable: false };
    assert!(Global::new(&mut store, ty, Val::FuncRef(None)).is_err());
    assert!(Global::new(&mut store, ty, f).is_ok());
}

#[test]
fn call_ref_in_a_loop_does_not_grow_the_host_stack() {
    // Each handler ends in a tail call; one that called instead would overflow this small stack.
    let wat = r#"(module
      (type $t (func (param i32) (result i32)))
      (func $inc (type $t) (i32.add (local.get 0) (i32.const 1)))
      (elem declare func $inc)
      (func (export "run") (param $n i32) (result i32) (local $acc i32)
        (loop $l
          (local.set $acc (call_ref $t (local.get $acc) (ref.func $inc)))
          (local.set $acc (call $return_call_helper (local.get $acc)))
          (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
        (local.get $acc))
      (func $return_call_helper (param i32) (result i32)
        (return_call_ref $t (local.get 0) (ref.as_non_null (ref.func $inc)))))"#;
    let result = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let (mut store, inst) = instance(wat);
            let run = inst.get_func(&store, "run").unwrap().typed::<i32, i32>(&store).unwrap();
            run.call(&mut store, 200_000).unwrap()
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(result, 400_000);
}

#[test]
fn wide_arithmetic_matches_rust_u128() {
    let wat = r#"(module
      (func (export "add") (param i64 i64 i64 i64) (result i64 i64)
        (i64.add128 (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
      (func (export "sub") (param i64 i64 i64 i64) (result i64 i64)
        (i64.sub128 (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
      (func (export "mul_s") (param i64 i64) (result i64 i64) (i64.mul_wide_s (local.get 0) (local.get 1)))
      (func (export "mul_u") (param i64 i64) (result i64 i64) (i64.mul_wide_u (local.get 0) (local.get 1)))
      ;; Constant operands, and a result reused as an operand.
      (func (export "square_plus_one") (param i64) (result i64 i64)
        (i64.mul_wide_u (local.get 0) (local.get 0))
        (i64.const 1) (i64.const 0)
        (i64.add128)))"#;
    let (mut store, inst) = instance(wat);
    let add = inst.get_func(&store, "add").unwrap().typed::<(i64, i64, i64, i64), (i64, i64)>(&store).unwrap();
    let sub = inst.get_func(&store, "sub").unwrap().typed::<(i64, i64, i64, i64), (i64, i64)>(&store).unwrap();
    let mul_s = inst.get_func(&store, "mul_s").unwrap().typed::<(i64, i64), (i64, i64)>(&store).unwrap();
    let mul_u = inst.get_func(&store, "mul_u").unwrap().typed::<(i64, i64), (i64, i64)>(&store).unwrap();
    let sq = inst.get_func(&store, "square_plus_one").unwrap().typed::<i64, (i64, i64)>(&store).unwrap();
    let halves = |v: u128| (v as u64 as i64, (v >> 64) as u64 as i64);
    let edges = [0u128, 1, u64::MAX as u128, 1 << 64, u128::MAX, 0x8000_0000_0000_0000_0000_0000_0000_0000, 12345];
    for &a in &edges {
        for &b in &edges {
            let ((al, ah), (bl, bh)) = (halves(a), halves(b));
            assert_eq!(add.call(&mut store, (al, ah, bl, bh)).unwrap(), halves(a.wrapping_add(b)), "{a} + {b}");
            assert_eq!(sub.call(&mut store, (al, ah, bl, bh)).unwrap(), halves(a.wrapping_sub(b)), "{a} - {b}");
            let (x, y) = (a as u64, b as u64);
            assert_eq!(mul_u.call(&mut store, (x as i64, y as i64)).unwrap(), halves(x as u128 * y as u128));
            let p = (x as i64 as i128 * y as i64 as i128) as u128;
            assert_eq!(mul_s.call(&mut store, (x as i64, y as i64)).unwrap(), halves(p), "{x} *s {y}");
        }
    }
    assert_eq!(sq.call(&mut store, -1).unwrap(), halves((u64::MAX as u128).pow(2) + 1));
}

/// Struct and array types (GC) count in a recursion group's identity: a function type grouped with a struct
/// is a different type from the same signature grouped otherwise, across modules too (`call_indirect`,
/// imports). With GC off, they are refused with a clear error.
#[test]
fn gc_type_definitions_count_in_type_identity() {
    let engine = Engine::default();
    let exporter = r#"(module
      (rec (type $f (func (result i32))) (type (struct (field (mut i32)) (field (ref null $f)))))
      (type (array (mut i8)))
      (func (export "f") (type $f) (i32.const 7)))"#;
    let exporter = Module::new(&engine, &wat::parse_str(exporter).unwrap()).unwrap();
    let mut store = Store::new(&engine, ());
    let exp = Linker::new(&engine).instantiate(&mut store, &exporter).unwrap();
    let f = exp.get_func(&mut store, "f").unwrap();

    // The same group: the import links and `call_indirect` through the same group's type succeeds.
    let same = r#"(module
      (rec (type $g (func (result i32))) (type (struct (field (mut i32)) (field (ref null $g)))))
      (import "m" "f" (func $f (type $g)))
      (table funcref (elem $f))
      (func (export "run") (result i32) (call_indirect (type $g) (i32.const 0))))"#;
    let same = Module::new(&engine, &wat::parse_str(same).unwrap()).unwrap();
    let mut linker = Linker::new(&engine);
    linker.define("m", "f", f).unwrap();
    let inst = linker.instantiate(&mut store, &same).unwrap();
    let run = inst.get_typed_func::<(), i32>(&mut store, "run").unwrap();
    assert_eq!(run.call(&mut store, ()).unwrap(), 7);

    // A group whose struct differs (an immutable field): a different function type, so the import does not
    // link.
    let other = r#"(module
      (rec (type $g (func (result i32))) (type (struct (field i32) (field (ref null $g)))))
      (import "m" "f" (func $f (type $g))))"#;
    let other = Module::new(&engine, &wat::parse_str(other).unwrap()).unwrap();
    let err = linker.instantiate(&mut store, &other).unwrap_err().to_string();
    assert!(err.contains("incompatible import type for m.f"), "{err}");

    // `call_indirect` through the plain signature traps: the table holds the grouped type.
    let plain = r#"(module
      (rec (type $g (func (result i32))) (type (struct (field (mut i32)) (field (ref null $g)))))
      (type $p (func (result i32)))
      (import "m" "f" (func $f (type $g)))
      (table funcref (elem $f))
      (func (export "run") (result i32) (call_indirect (type $p) (i32.const 0))))"#;
    let plain = Module::new(&engine, &wat::parse_str(plain).unwrap()).unwrap();
    let inst = linker.instantiate(&mut store, &plain).unwrap();
    let run = inst.get_typed_func::<(), i32>(&mut store, "run").unwrap();
    assert_eq!(trap_code(&run.call(&mut store, ()).unwrap_err()), Some(TrapCode::IndirectCallTypeMismatch));

    // With GC off, struct types and GC instructions are refused, naming the proposal.
    let no_gc = Engine::new(wasmvm::Config {
        features: wasmvm::Features { gc: false, ..wasmvm::Features::default() },
        ..wasmvm::Config::default()
    });
    for wat in [
        r#"(module (type $s (struct (field i32))) (func (drop (struct.new $s (i32.const 1)))))"#,
        r#"(module (func (result i32) (i31.get_u (ref.i31 (i32.const 4)))))"#,
    ] {
        let err = Module::new(&no_gc, &wat::parse_str(wat).unwrap()).unwrap_err().to_string();
        assert!(err.contains("unsupported feature") && err.contains("gc"), "{wat}: {err}");
    }
}

/// Null references of the `any` hierarchy (`anyref`, `eqref`, `nullref`...) in results, parameters, globals
/// and tables, through the API as `Val::AnyRef(None)` (GC values themselves: `gc.rs`).
#[test]
fn any_hierarchy_null_references() {
    let (mut store, inst) = instance(
        r#"(module
          (global $g (mut anyref) (ref.null none))
          (table $t 2 eqref)
          (func (export "null_any") (result anyref) (ref.null any))
          (func (export "is_null") (param anyref) (result i32) (ref.is_null (local.get 0)))
          (func (export "from_table") (result eqref) (table.get $t (i32.const 1)))
          (func (export "set_global") (param nullref) (global.set $g (local.get 0)))
          (export "g" (global $g)))"#,
    );
    let call = |store: &mut Store<()>, name: &str, args: &[Val], results: usize| {
        let f = inst.get_func(&mut *store, name).unwrap();
        let mut out = vec![Val::I32(-1); results];
        f.call(&mut *store, args, &mut out).map(|()| out)
    };
    let out = call(&mut store, "null_any", &[], 1).unwrap();
    assert!(matches!(out[0], Val::AnyRef(None)), "{out:?}");
    assert_eq!(out[0].ty().to_string(), "(ref null any)");
    assert_eq!(call(&mut store, "is_null", &[Val::AnyRef(None)], 1).unwrap()[0].i32(), Some(1));
    assert!(matches!(call(&mut store, "from_table", &[], 1).unwrap()[0], Val::AnyRef(None)));
    call(&mut store, "set_global", &[Val::AnyRef(None)], 0).unwrap();
    let g = inst.get_global(&mut store, "g").unwrap();
    assert!(matches!(g.get(&mut store).unwrap(), Val::AnyRef(None)));
    // A value of another hierarchy does not fit an `anyref` parameter.
    assert!(call(&mut store, "is_null", &[Val::ExternRef(None)], 1).is_err());
}
