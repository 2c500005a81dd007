//! GC (Wasm 3.0): structs, arrays, `i31`s, casts and subtypes, through wasm code and the embedding API.

use wasmvm::{
    AnyRef, AnyRefKind, Engine, ExternRef, Global, GlobalType, Linker, Module, Store, TrapCode, Val, ValType,
};

fn instance(engine: &Engine, store: &mut Store<()>, wat: &str) -> wasmvm::Instance {
    let module = Module::new(engine, &wat::parse_str(wat).unwrap()).unwrap();
    Linker::new(engine).instantiate(store, &module).unwrap()
}

/// An instance of `wat` in a new store of a new default engine.
fn fresh(wat: &str) -> (Engine, Store<()>, wasmvm::Instance) {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instance(&engine, &mut store, wat);
    (engine, store, inst)
}

fn call(store: &mut Store<()>, inst: &wasmvm::Instance, name: &str, args: &[Val]) -> wasmvm::Result<Val> {
    let f = inst.get_func(&mut *store, name).unwrap();
    let mut out = [Val::I32(0)];
    let n = f.ty(&mut *store).unwrap().results().len();
    f.call(&mut *store, args, &mut out[..n]).map(|()| out[0])
}

fn trap_code(e: &wasmvm::Error) -> Option<TrapCode> {
    e.as_trap().and_then(|t| t.code())
}

const LIST: &str = r#"(module
  (type $node (struct (field $v i32) (field $next (mut (ref null $node)))))
  (type $bytes (array (mut i8)))
  (type $vecs (struct (field (mut v128)) (field i64)))
  (data $hello "hello")
  ;; The list n, n-1, ..., 1, summed by walking it.
  (func $build (export "build") (param $n i32) (result (ref null $node))
    (local $l (ref null $node))
    (block $done (loop $more
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $l (struct.new $node (local.get $n) (local.get $l)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $more)))
    (local.get $l))
  (func $sum (export "sum") (param $l (ref null $node)) (result i32)
    (local $s i32)
    (block $done (loop $more
      (br_if $done (ref.is_null (local.get $l)))
      (local.set $s (i32.add (local.get $s) (struct.get $node $v (local.get $l))))
      (local.set $l (struct.get $node $next (local.get $l)))
      (br $more)))
    (local.get $s))
  (func (export "sum_built") (param i32) (result i32) (call $sum (call $build (local.get 0))))
  ;; Packed elements: 200 stored in an i8 reads back as -56 signed, 200 unsigned.
  (func (export "packed") (result i32)
    (local $a (ref $bytes))
    (local.set $a (array.new $bytes (i32.const 456) (i32.const 3)))
    (i32.add (i32.mul (array.get_s $bytes (local.get $a) (i32.const 1)) (i32.const 1000))
             (array.get_u $bytes (local.get $a) (i32.const 2))))
  ;; "hello" from the data segment; copy "ll" over "he" (overlapping copy within one array), fill the last.
  (func (export "bytes") (result i64)
    (local $a (ref $bytes)) (local $r i64) (local $i i32)
    (local.set $a (array.new_data $bytes $hello (i32.const 0) (i32.const 5)))
    (array.copy $bytes $bytes (local.get $a) (i32.const 0) (local.get $a) (i32.const 2) (i32.const 3))
    (array.fill $bytes (local.get $a) (i32.const 4) (i32.const 33) (i32.const 1))
    (block $done (loop $more
      (br_if $done (i32.ge_u (local.get $i) (array.len (local.get $a))))
      (local.set $r (i64.or (i64.shl (local.get $r) (i64.const 8))
                            (i64.extend_i32_u (array.get_u $bytes (local.get $a) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $more)))
    (local.get $r))
  ;; A v128 field between writes, and the i64 field after it.
  (func (export "vec_field") (result i64)
    (local $s (ref $vecs))
    (local.set $s (struct.new $vecs (v128.const i64x2 1 2) (i64.const 3)))
    (struct.set $vecs 0 (local.get $s) (v128.const i64x2 40 50))
    (i64.add (i64.add (i64x2.extract_lane 0 (struct.get $vecs 0 (local.get $s)))
                      (i64x2.extract_lane 1 (struct.get $vecs 0 (local.get $s))))
             (struct.get $vecs 1 (local.get $s))))
  (func (export "get_v") (param (ref $node)) (result i32) (struct.get $node $v (local.get 0)))
  (func (export "i31") (param i31ref) (result i32) (i31.get_s (local.get 0)))
  (func (export "make_i31") (param i32) (result i31ref) (ref.i31 (local.get 0)))
  (func (export "internalize") (param externref) (result anyref) (any.convert_extern (local.get 0)))
  (func (export "externalize") (param anyref) (result externref) (extern.convert_any (local.get 0)))
  (func (export "null_field") (result i32) (struct.get $node $v (ref.null $node)))
  (func (export "out_of_bounds") (result i32) (array.get_u $bytes (array.new_default $bytes (i32.const 2)) (i32.const 2)))
  (func (export "huge") (result i32) (array.len (array.new_default $bytes (i32.const -1)))))"#;

#[test]
fn structs_and_arrays_are_made_read_and_written() {
    let (_engine, mut store, inst) = fresh(LIST);
    assert_eq!(call(&mut store, &inst, "sum_built", &[Val::I32(100)]).unwrap(), Val::I32(5050));
    assert_eq!(call(&mut store, &inst, "packed", &[]).unwrap(), Val::I32(-56 * 1000 + 200));
    // "llo" copied to the front of "hello": "llolo", then the last byte set to '!'.
    assert_eq!(call(&mut store, &inst, "bytes", &[]).unwrap(), Val::I64(i64::from_be_bytes(*b"\0\0\0llol!")));
    assert_eq!(call(&mut store, &inst, "vec_field", &[]).unwrap(), Val::I64(93));
}

#[test]
fn gc_values_cross_the_api() {
    let (engine, mut store, inst) = fresh(LIST);
    // A list made by wasm comes out as a struct reference and goes back in.
    let Val::AnyRef(Some(list)) = call(&mut store, &inst, "build", &[Val::I32(3)]).unwrap() else { panic!("a list") };
    assert_eq!(list.kind(&store), Some(AnyRefKind::Struct));
    assert_eq!(call(&mut store, &inst, "sum", &[Val::AnyRef(Some(list))]).unwrap(), Val::I32(6));
    assert_eq!(call(&mut store, &inst, "get_v", &[Val::AnyRef(Some(list))]).unwrap(), Val::I32(1));
    // i31s: made by the host or by wasm, 31 bits with the sign in bit 30.
    let minus5 = Val::AnyRef(Some(AnyRef::i31(&store, -5)));
    assert_eq!(call(&mut store, &inst, "i31", &[minus5]).unwrap(), Val::I32(-5));
    let Val::AnyRef(Some(made)) = call(&mut store, &inst, "make_i31", &[Val::I32(0x4000_0001)]).unwrap() else {
        panic!("an i31")
    };
    assert_eq!((made.kind(&store), made.as_i31()), (Some(AnyRefKind::I31), Some(-0x3fff_ffff)));
    // A host value made internal and external again keeps its data.
    let host = ExternRef::new(&mut store, 77u32);
    let Val::AnyRef(Some(inner)) = call(&mut store, &inst, "internalize", &[Val::ExternRef(Some(host))]).unwrap()
    else {
        panic!("an anyref")
    };
    assert_eq!(inner.kind(&store), Some(AnyRefKind::Host));
    assert_eq!(inner.to_extern().data(&store).and_then(|d| d.downcast_ref::<u32>()), Some(&77));
    // A struct made external is an externref without host data, and comes back as the same struct.
    let Val::ExternRef(Some(outer)) = call(&mut store, &inst, "externalize", &[Val::AnyRef(Some(list))]).unwrap()
    else {
        panic!("an externref")
    };
    assert!(outer.data(&store).is_none());
    assert_eq!(AnyRef::from_extern(outer), list);
    // Another store's object is refused.
    let mut other = Store::new(&engine, ());
    let inst2 = instance(&engine, &mut other, LIST);
    let err = call(&mut other, &inst2, "sum", &[Val::AnyRef(Some(list))]).unwrap_err().to_string();
    assert!(err.contains("different store"), "{err}");
}

#[test]
fn references_passed_in_must_name_a_value_of_the_declared_type() {
    let (engine, mut store, inst) = fresh(LIST);
    // `get_v` takes a `(ref $node)`: an i31 or another type's object does not fit (it would be read as a
    // node otherwise), and neither does null.
    let i31 = Val::AnyRef(Some(AnyRef::i31(&store, 1)));
    let err = call(&mut store, &inst, "get_v", &[i31]).unwrap_err().to_string();
    assert!(err.contains("wrong argument types"), "{err}");
    let other = instance(
        &engine,
        &mut store,
        r#"(module (type $t (struct (field i64)))
      (func (export "make") (result anyref) (struct.new $t (i64.const 1))))"#,
    );
    let obj = call(&mut store, &other, "make", &[]).unwrap();
    assert!(call(&mut store, &inst, "get_v", &[obj]).is_err());
    assert!(call(&mut store, &inst, "get_v", &[Val::AnyRef(None)]).is_err());
    // A global of type `i31ref` takes i31s only.
    let g = Global::new(
        &mut store,
        GlobalType {
            content: ValType::Ref(wasmvm::RefType { nullable: true, heap: wasmvm::HeapType::I31 }),
            mutable: true,
        },
        Val::AnyRef(None),
    )
    .unwrap();
    assert!(g.set(&mut store, obj).is_err());
    g.set(&mut store, i31).unwrap();
}

#[test]
fn casts_and_indirect_calls_follow_declared_subtypes() {
    let (_engine, mut store, inst) = fresh(
        r#"(module
          (type $shape (sub (struct (field i32))))
          (type $circle (sub $shape (struct (field i32) (field f64))))
          (type $square (sub final $shape (struct (field i32) (field i64))))
          (type $f (sub (func (result i32))))
          (type $g (sub $f (func (result i32))))
          (func $seven (type $g) (i32.const 7))
          (table funcref (elem $seven))
          ;; 1 per test passed: circle is a shape, a circle, not a square; an i31 is eq but no struct.
          (func (export "tests") (result i32)
            (local $c anyref)
            (local.set $c (struct.new $circle (i32.const 1) (f64.const 2)))
            (i32.add (i32.add (ref.test (ref $shape) (local.get $c)) (ref.test (ref $circle) (local.get $c)))
              (i32.add (i32.add (i32.eqz (ref.test (ref $square) (local.get $c)))
                                (ref.test (ref eq) (ref.i31 (i32.const 0))))
                       (i32.eqz (ref.test (ref struct) (ref.i31 (i32.const 0)))))))
          ;; br_on_cast picks the branch by the object's type: a square gives 2, a circle 1.
          (func $which (param anyref) (result i32)
            (block $sq (result (ref $square))
              (br_on_cast $sq anyref (ref $square) (local.get 0))
              (drop) (return (i32.const 1)))
            (drop) (i32.const 2))
          (func (export "which") (result i32)
            (i32.add (i32.mul (call $which (struct.new $square (i32.const 0) (i64.const 0))) (i32.const 10))
                     (call $which (struct.new $circle (i32.const 0) (f64.const 0)))))
          (func (export "bad_cast") (result i32)
            (struct.get $square 0 (ref.cast (ref $square) (struct.new $circle (i32.const 1) (f64.const 0)))))
          ;; A function of type $g called through its supertype $f.
          (func (export "indirect") (result i32) (call_indirect (type $f) (i32.const 0))))"#,
    );
    assert_eq!(call(&mut store, &inst, "tests", &[]).unwrap(), Val::I32(5));
    assert_eq!(call(&mut store, &inst, "which", &[]).unwrap(), Val::I32(21));
    let err = call(&mut store, &inst, "bad_cast", &[]).unwrap_err();
    assert_eq!(trap_code(&err), Some(TrapCode::CastFailure));
    assert_eq!(call(&mut store, &inst, "indirect", &[]).unwrap(), Val::I32(7));
}

#[test]
fn bad_accesses_trap_with_their_messages() {
    let (_engine, mut store, inst) = fresh(LIST);
    for (name, code, message) in [
        ("null_field", TrapCode::NullStructureReference, "null structure reference"),
        ("out_of_bounds", TrapCode::ArrayOutOfBounds, "out of bounds array access"),
        // 2^32 - 1 elements: refused before anything is allocated, not an abort.
        ("huge", TrapCode::AllocationTooLarge, "allocation too large"),
    ] {
        let err = call(&mut store, &inst, name, &[]).unwrap_err();
        assert_eq!(trap_code(&err), Some(code), "{name}");
        assert!(err.to_string().contains(message), "{name}: {err}");
    }
    // The store stays usable.
    assert_eq!(call(&mut store, &inst, "sum_built", &[Val::I32(4)]).unwrap(), Val::I32(10));
}

/// Array elements are stored at their width: a byte array of 2^29 elements takes 512 MiB, where 8-byte
/// elements (4 GiB) were over the store's limit (2^28 cells of 8 bytes) and trapped "allocation too large".
/// Each width reads back what was written, sign- or zero-extended, next to its neighbours, from code and
/// from constant expressions, through `new_data`, `fill`, `copy` (overlapping) and `init_data`.
#[test]
fn array_elements_are_stored_at_their_width() {
    let (_engine, mut store, inst) = fresh(
        r#"(module
          (type $b (array (mut i8)))
          (type $h (array (mut i16)))
          (type $w (array (mut i32)))
          (type $f (array (mut f32)))
          (data $d "\01\82\03\84\05\86\07\88")
          (global $g (ref $h) (array.new $h (i32.const 3) (i32.const 0x1fffe)))
          (func (export "big") (result i32)
            (local $a (ref $b))
            (local.set $a (array.new_default $b (i32.const 0x20000000)))
            (array.set $b (local.get $a) (i32.const 0x1fffffff) (i32.const 0x1ff))
            (array.fill $b (local.get $a) (i32.const 0x1ffffff0) (i32.const -2) (i32.const 4))
            ;; 0xfe at [..ff0, ..ff4), 0 at [..ff4, ..fff), 0xff at the last (0x1ff truncated)
            (i32.add (array.len (local.get $a))
              (i32.add (array.get_s $b (local.get $a) (i32.const 0x1fffffff))
                (i32.add (array.get_u $b (local.get $a) (i32.const 0x1ffffff3))
                  (array.get_u $b (local.get $a) (i32.const 0x1ffffff4))))))
          (func (export "widths") (result i32)
            (local $b (ref $b)) (local $h (ref $h)) (local $w (ref $w)) (local $f (ref $f))
            (local.set $b (array.new_data $b $d (i32.const 0) (i32.const 8)))
            (local.set $h (array.new_data $h $d (i32.const 0) (i32.const 4)))
            (local.set $w (array.new_data $w $d (i32.const 0) (i32.const 2)))
            (local.set $f (array.new $f (f32.const 1.5) (i32.const 3)))
            ;; An overlapping copy within one array, then init_data over two elements of another.
            (array.copy $b $b (local.get $b) (i32.const 1) (local.get $b) (i32.const 0) (i32.const 7))
            (array.init_data $w $d (local.get $w) (i32.const 1) (i32.const 4) (i32.const 1))
            (array.set $h (local.get $h) (i32.const 1) (i32.const 0x12345))
            (i32.xor
              (i32.xor
                (i32.xor (array.get_s $b (local.get $b) (i32.const 2)) (i32.shl (array.get_u $b (local.get $b) (i32.const 7)) (i32.const 8)))
                (i32.xor (i32.shl (array.get_s $h (local.get $h) (i32.const 0)) (i32.const 4))
                         (array.get_u $h (local.get $h) (i32.const 1))))
              (i32.xor
                (i32.xor (array.get $w (local.get $w) (i32.const 0)) (array.get $w (local.get $w) (i32.const 1)))
                (i32.xor (i32.trunc_f32_s (f32.mul (array.get $f (local.get $f) (i32.const 2)) (f32.const 2)))
                  (i32.add (array.get_s $h (global.get $g) (i32.const 0x1fffd)) (array.len (global.get $g)))))))
        )"#,
    );
    // 2^29 + (-1) + 0xfe + 0
    assert_eq!(call(&mut store, &inst, "big", &[]).unwrap(), Val::I32(0x2000_0000 - 1 + 0xfe));
    // b after the copy: 01 01 82 03 84 05 86 07: get_s [2] = -126, get_u [7] = 7.
    // h: [0] = 0x8201 (get_s: -32255), [1] = 0x2345 after the truncating set.
    // w: [0] = 0x84038201, [1] = 0x88078605 re-initialised from offset 4.
    // f: 1.5 * 2 = 3; g: 3 (i16 of 3) + 0x1fffe elements.
    let expected = (-126 ^ (7 << 8))
        ^ ((-32255 << 4) ^ 0x2345)
        ^ (0x8403_8201u32 as i32 ^ 0x8807_8605u32 as i32)
        ^ (3 ^ (3 + 0x1fffe));
    assert_eq!(call(&mut store, &inst, "widths", &[]).unwrap(), Val::I32(expected));
}

#[test]
fn constant_expressions_make_objects() {
    let (_engine, mut store, inst) = fresh(
        r#"(module
          (type $pt (struct (field i32) (field i32)))
          (type $arr (array i16))
          (global $p (ref $pt) (struct.new $pt (i32.const 3) (i32.const 4)))
          (global $a (ref $arr) (array.new_fixed $arr 3 (i32.const 1) (i32.const -1) (i32.const 70000)))
          (global $i i31ref (ref.i31 (i32.const -1)))
          (table $t 2 anyref (array.new_default $arr (i32.const 9)))
          (func (export "sum") (result i32)
            (i32.add (i32.add (struct.get $pt 0 (global.get $p)) (struct.get $pt 1 (global.get $p)))
              (i32.add (i32.add (array.get_s $arr (global.get $a) (i32.const 1)) (array.get_u $arr (global.get $a) (i32.const 2)))
                (i32.add (i31.get_u (global.get $i))
                         (array.len (ref.cast (ref $arr) (table.get $t (i32.const 1))))))))
          (export "p" (global $p)))"#,
    );
    // 3 + 4 + (-1) + (70000 mod 2^16 = 4464) + (2^31 - 1) + 9
    let expected = (3 + 4 - 1 + 4464 + 9 + 0x7fff_ffffi64) as i32;
    assert_eq!(call(&mut store, &inst, "sum", &[]).unwrap(), Val::I32(expected));
    let p = inst.get_global(&mut store, "p").unwrap().get(&mut store).unwrap();
    assert!(matches!(p, Val::AnyRef(Some(r)) if r.kind(&store) == Some(AnyRefKind::Struct)));
}

#[test]
fn unreachable_objects_are_collected_and_stale_host_references_refused() {
    let (_engine, mut store, inst) = fresh(
        r#"(module
          (type $node (struct (field i32) (field (ref null $node))))
          (type $junk (array (mut i64)))
          (global $keep (mut (ref null $node)) (ref.null $node))
          ;; Keep a list of 1..=10 in a global and one in a local, and make n arrays of 8 i64s that
          ;; nothing keeps; sum both lists at the end.
          (func (export "churn") (param $n i32) (result i32)
            (local $i i32) (local $l (ref null $node))
            (loop $fill
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (global.set $keep (struct.new $node (local.get $i) (global.get $keep)))
              (local.set $l (struct.new $node (local.get $i) (local.get $l)))
              (br_if $fill (i32.lt_u (local.get $i) (i32.const 10))))
            (loop $junk
              (drop (array.new_default $junk (i32.const 8)))
              (local.set $n (i32.sub (local.get $n) (i32.const 1)))
              (br_if $junk (local.get $n)))
            (i32.add (call $sum (global.get $keep)) (call $sum (local.get $l))))
          (func $sum (param $l (ref null $node)) (result i32)
            (if (result i32) (ref.is_null (local.get $l)) (then (i32.const 0))
              (else (i32.add (struct.get $node 0 (local.get $l))
                             (call $sum (struct.get $node 1 (local.get $l)))))))
          (func (export "make") (result anyref) (struct.new $node (i32.const 5) (ref.null $node)))
          (func (export "get") (param (ref $node)) (result i32) (struct.get $node 0 (local.get 0))))"#,
    );
    let Val::AnyRef(Some(kept_by_host)) = call(&mut store, &inst, "make", &[]).unwrap() else { panic!() };
    // 3 million arrays of 8 cells: 24 million cells made, far beyond what the heap keeps at once.
    assert_eq!(call(&mut store, &inst, "churn", &[Val::I32(3_000_000)]).unwrap(), Val::I32(110));
    let live = store.live_gc_objects();
    assert!(live < 200_000, "{live} objects live after the churn");
    // The host's reference was not a root: its object was freed, and the stale reference is refused rather
    // than read as whatever object took its place.
    let err = call(&mut store, &inst, "get", &[Val::AnyRef(Some(kept_by_host))]).unwrap_err().to_string();
    assert!(err.contains("GC object that was collected"), "{err}");
}

/// Imports of GC-typed globals match by type: a struct reference is not a function reference (a gap of the
/// engine before struct types had their own heap types), and an immutable import may be a supertype.
#[test]
fn imports_of_struct_references_match_by_type() {
    let (engine, mut store, exporter) = fresh(
        r#"(module (type $s (struct))
          (global (export "g") (ref null $s) (struct.new $s)))"#,
    );
    let mut linker = Linker::new(&engine);
    linker.instance(&store, "m", exporter).unwrap();
    for (wat, links) in [
        (r#"(module (import "m" "g" (global funcref)))"#, false),
        (r#"(module (import "m" "g" (global externref)))"#, false),
        (r#"(module (type $t (struct (field i32))) (import "m" "g" (global (ref null $t))))"#, false),
        (r#"(module (type $s (struct)) (import "m" "g" (global (ref null $s))))"#, true),
        (r#"(module (import "m" "g" (global structref)))"#, true),
        (r#"(module (import "m" "g" (global eqref)))"#, true),
        (r#"(module (import "m" "g" (global arrayref)))"#, false),
    ] {
        let module = Module::new(&engine, &wat::parse_str(wat).unwrap()).unwrap();
        let r = linker.instantiate(&mut store, &module);
        assert_eq!(r.is_ok(), links, "{wat}: {:?}", r.err());
    }
}

/// Every GC instruction, 200,000 times in a loop, on a 256 KiB host stack: in optimised builds each handler
/// must end in a tail call (an allocating handler whose locals escaped into a call did not, and overflowed
/// the host stack after about a hundred thousand allocations).
#[test]
fn gc_instructions_run_in_constant_host_stack() {
    const BODIES: &[&str] = &[
        "(drop (struct.get $s 0 (struct.new $s (local.get $n) (ref.null $s))))",
        "(struct.set $s 0 (local.get $keep) (local.get $n))",
        "(drop (struct.new_default $s))",
        "(drop (array.get $a (array.new $a (local.get $n) (i32.const 4)) (i32.const 3)))",
        "(array.set $a (local.get $arr) (i32.const 1) (local.get $n))",
        "(drop (array.len (array.new_fixed $a 2 (i32.const 1) (i32.const 2))))",
        "(drop (array.new_data $b $d (i32.const 0) (i32.const 3)))",
        "(drop (array.new_elem $r $e (i32.const 0) (i32.const 2)))",
        "(array.fill $a (local.get $arr) (i32.const 0) (local.get $n) (i32.const 8))",
        "(array.copy $a $a (local.get $arr) (i32.const 0) (local.get $arr) (i32.const 4) (i32.const 4))",
        "(array.init_data $b $d (local.get $bytes) (i32.const 0) (i32.const 1) (i32.const 3))",
        "(array.init_elem $r $e (local.get $refs) (i32.const 0) (i32.const 0) (i32.const 2))",
        "(drop (i31.get_s (ref.i31 (local.get $n))))",
        "(drop (ref.test (ref $s) (local.get $keep)))",
        "(drop (ref.cast (ref eq) (local.get $keep)))",
        "(drop (block $x (result anyref) (br_on_cast $x anyref (ref $s) (local.get $keep))))",
        "(drop (block $x (result anyref) (br_on_cast_fail $x anyref (ref $a) (local.get $keep))))",
        "(drop (ref.eq (local.get $keep) (ref.cast (ref eq) (any.convert_extern (extern.convert_any (local.get $keep))))))",
    ];
    let mut funcs = String::new();
    for (k, body) in BODIES.iter().enumerate() {
        funcs.push_str(&format!(
            r#"(func (export "f{k}") (param $n i32) (result i32)
                 (local $keep (ref null $s)) (local $arr (ref null $a)) (local $bytes (ref null $b))
                 (local $refs (ref null $r))
                 (local.set $keep (struct.new_default $s))
                 (local.set $arr (array.new_default $a (i32.const 8)))
                 (local.set $bytes (array.new_default $b (i32.const 8)))
                 (local.set $refs (array.new_default $r (i32.const 2)))
                 (loop $l
                   {body}
                   (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
                 (local.get $n))
            "#
        ));
    }
    let wat = format!(
        r#"(module
          (type $s (struct (field (mut i32)) (field (ref null $s))))
          (type $a (array (mut i32)))
          (type $b (array (mut i8)))
          (type $r (array (mut anyref)))
          (data $d "abcdef")
          (elem $e anyref (ref.i31 (i32.const 1)) (ref.null any))
          {funcs})"#
    );
    std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(move || {
            let engine = Engine::default();
            let mut store = Store::new(&engine, ());
            let inst = instance(&engine, &mut store, &wat);
            for (k, body) in BODIES.iter().enumerate() {
                let f = inst.get_typed_func::<i32, i32>(&store, &format!("f{k}")).unwrap();
                f.call(&mut store, 200_000).unwrap_or_else(|e| panic!("{body}: {e}"));
            }
        })
        .unwrap()
        .join()
        .unwrap();
}

/// One compiled module, four threads, each with its own store making and collecting objects at once:
/// the engine's type registry (casts, subtype checks) is shared, the heaps are not.
#[test]
fn threads_allocate_and_collect_in_their_own_stores_at_once() {
    let engine = Engine::new(wasmvm::Config { gc_threshold: 1 << 12, ..wasmvm::Config::default() });
    let wasm = wat::parse_str(
        r#"(module
          (type $tree (sub (struct (field (ref null $tree)) (field (ref null $tree)))))
          (type $leafy (sub final $tree (struct (field (ref null $tree)) (field (ref null $tree)) (field i32))))
          (func $make (param $d i32) (result (ref $tree))
            (if (result (ref $tree)) (i32.eqz (local.get $d))
              (then (struct.new $leafy (ref.null $tree) (ref.null $tree) (i32.const 1)))
              (else (struct.new $tree (call $make (i32.sub (local.get $d) (i32.const 1)))
                                      (call $make (i32.sub (local.get $d) (i32.const 1)))))))
          ;; Leaves counted through a cast to the subtype.
          (func $leaves (param $t (ref null $tree)) (result i32)
            (if (result i32) (ref.test (ref $leafy) (local.get $t))
              (then (struct.get $leafy 2 (ref.cast (ref $leafy) (local.get $t))))
              (else (i32.add (call $leaves (struct.get $tree 0 (local.get $t)))
                             (call $leaves (struct.get $tree 1 (local.get $t)))))))
          (func (export "run") (param $rounds i32) (result i32) (local $sum i32)
            (loop $l
              (local.set $sum (i32.add (local.get $sum) (call $leaves (call $make (i32.const 10)))))
              (br_if $l (local.tee $rounds (i32.sub (local.get $rounds) (i32.const 1)))))
            (local.get $sum)))"#,
    )
    .unwrap();
    let module = Module::new(&engine, &wasm).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (engine, module) = (engine.clone(), module.clone());
            std::thread::spawn(move || {
                let mut store = Store::new(&engine, ());
                let inst = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
                let run = inst.get_typed_func::<i32, i32>(&store, "run").unwrap();
                let sum = run.call(&mut store, 50).unwrap();
                (sum, store.live_gc_objects())
            })
        })
        .collect();
    for t in threads {
        let (sum, live) = t.join().unwrap();
        // 50 trees of 1,024 leaves each; 50 × 2,047 objects made, far fewer kept.
        assert_eq!(sum, 50 * 1024);
        assert!(live < 50 * 2047 / 2, "{live} objects live");
    }
}
