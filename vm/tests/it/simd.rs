//! `v128` across the embedding API and the machine's boundaries: dynamic and typed calls, host functions
//! taking and returning vectors, globals, tables of functions with vector signatures, shared memories, and
//! vectors mixed with scalars in frames (the frame layout gives a `v128` two slots).

use wasmvm::{Caller, Engine, Linker, Module, Store, Val};

fn instance_with(wat: &str, engine: &Engine, linker: &Linker<()>) -> (Store<()>, wasmvm::Instance) {
    let module = Module::new(engine, wat.as_bytes()).unwrap();
    let mut store = Store::new(engine, ());
    let inst = linker.instantiate(&mut store, &module).unwrap();
    (store, inst)
}

fn instance(wat: &str) -> (Store<()>, wasmvm::Instance) {
    let engine = Engine::default();
    instance_with(wat, &engine, &Linker::new(&engine))
}

const LANES: u128 = 0x0f0e0d0c_0b0a0908_07060504_03020100;

#[test]
fn vectors_pass_through_dynamic_and_typed_calls_beside_scalars() {
    let (mut store, inst) = instance(
        r#"(module
          ;; Scalars around the vectors, so a wrong slot count shifts them.
          (func (export "mix") (param i32 v128 i64 v128 f32) (result f64 v128 i32)
            (f64.convert_i64_s (local.get 2))
            (i32x4.add (local.get 1) (local.get 3))
            (i32.add (local.get 0) (i32.trunc_f32_s (local.get 4)))))"#,
    );
    let f = inst.get_func(&store, "mix").unwrap();
    let mut out = [Val::I32(0), Val::I32(0), Val::I32(0)];
    let args = [Val::I32(5), Val::V128(LANES), Val::I64(-7), Val::V128(0x01_00000001_00000001_00000001), Val::f32(2.5)];
    f.call(&mut store, &args, &mut out).unwrap();
    assert_eq!(out[0], Val::f64(-7.0));
    assert_eq!(out[1], Val::V128(LANES + 0x01_00000001_00000001_00000001));
    assert_eq!(out[2], Val::I32(7));

    let typed = f.typed::<(i32, u128, i64, u128, f32), (f64, u128, i32)>(&store).unwrap();
    let (a, v, c) = typed.call(&mut store, (1, 1, 2, u128::MAX, 1.0)).unwrap();
    assert_eq!((a, v, c), (2.0, u128::MAX << 32, 2));
}

#[test]
fn host_functions_take_and_return_vectors() {
    let engine = Engine::default();
    let mut linker = Linker::new(&engine);
    // Typed: swap the halves of a vector, and add a scalar to the low lane.
    linker
        .func_wrap("host", "swap", |_: Caller<'_, ()>, k: i32, v: u128| -> (u128, i32) {
            (v.rotate_left(64) + k as u128, k * 2)
        })
        .unwrap();
    let (mut store, inst) = instance_with(
        r#"(module
          (import "host" "swap" (func $swap (param i32 v128) (result v128 i32)))
          (func (export "f") (param v128) (result v128 i32)
            (call $swap (i32.const 3) (local.get 0))))"#,
        &engine,
        &linker,
    );
    let f = inst.get_typed_func::<u128, (u128, i32)>(&store, "f").unwrap();
    let (v, k) = f.call(&mut store, LANES).unwrap();
    assert_eq!(v, LANES.rotate_left(64) + 3);
    assert_eq!(k, 6);
}

#[test]
fn vector_globals_are_initialised_read_and_written() {
    let (mut store, inst) = instance(
        r#"(module
          (global $c v128 (v128.const i64x2 1 2))
          (global $g (export "g") (mut v128) (v128.const i32x4 0 0 0 0))
          (func (export "bump") (result v128)
            (global.set $g (i64x2.add (global.get $g) (global.get $c)))
            (global.get $g)))"#,
    );
    let bump = inst.get_typed_func::<(), u128>(&store, "bump").unwrap();
    assert_eq!(bump.call(&mut store, ()).unwrap(), 1 | 2 << 64);
    assert_eq!(bump.call(&mut store, ()).unwrap(), 2 | 4 << 64);
    let g = inst.get_global(&store, "g").unwrap();
    assert_eq!(g.get(&store).unwrap(), Val::V128(2 | 4 << 64));
    g.set(&mut store, Val::V128(u128::MAX)).unwrap();
    assert_eq!(bump.call(&mut store, ()).unwrap(), 1 << 64);
}

#[test]
fn vectors_flow_through_blocks_selects_and_indirect_calls() {
    let (mut store, inst) = instance(
        r#"(module
          (type $vv (func (param v128) (result v128)))
          (table funcref (elem $neg $not))
          (func $neg (type $vv) (i8x16.neg (local.get 0)))
          (func $not (type $vv) (v128.not (local.get 0)))
          (func (export "f") (param i32 v128) (result v128)
            (local $t v128)
            ;; A block with a scalar and a vector result, a select on vectors, and a call through the table.
            (block (result i32 v128)
              (i32.const 7)
              (local.get 1)
              (br_if 0 (i32.eqz (local.get 0)))
              (drop)
              (i8x16.splat (local.get 0)))
            (local.set $t)
            (drop)
            (select (local.get $t) (local.get 1) (local.get 0))
            (call_indirect (type $vv) (i32.and (local.get 0) (i32.const 1)))))"#,
    );
    let f = inst.get_typed_func::<(i32, u128), u128>(&store, "f").unwrap();
    // Condition 0: the block returns the argument; select picks the argument; $neg.
    let neg = |v: u128| u128::from_le_bytes(v.to_le_bytes().map(|b| b.wrapping_neg()));
    assert_eq!(f.call(&mut store, (0, LANES)).unwrap(), neg(LANES));
    // Condition 3: the block returns splat(3); select picks it; $not.
    assert_eq!(f.call(&mut store, (3, LANES)).unwrap(), !u128::from_le_bytes([3; 16]));
}

#[test]
fn vector_accesses_to_a_shared_memory_and_bounds() {
    let (mut store, inst) = instance(
        r#"(module
          (memory 1 1 shared)
          (func (export "copy") (param i32 i32)
            (v128.store (local.get 1) (v128.load (local.get 0))))
          (func (export "lane") (param i32) (result i64)
            (i64x2.extract_lane 1 (v128.load64_splat (local.get 0))))
          (func (export "put") (param i32 v128) (v128.store (local.get 0) (local.get 1)))
          (func (export "get") (param i32) (result v128) (v128.load (local.get 0))))"#,
    );
    let put = inst.get_typed_func::<(i32, u128), ()>(&store, "put").unwrap();
    let get = inst.get_typed_func::<i32, u128>(&store, "get").unwrap();
    let copy = inst.get_typed_func::<(i32, i32), ()>(&store, "copy").unwrap();
    let lane = inst.get_typed_func::<i32, i64>(&store, "lane").unwrap();
    put.call(&mut store, (3, LANES)).unwrap();
    copy.call(&mut store, (3, 100)).unwrap();
    assert_eq!(get.call(&mut store, 100).unwrap(), LANES);
    assert_eq!(lane.call(&mut store, 11).unwrap(), 0x0f0e_0d0c_0b0a_0908);
    // The last 16 bytes are in bounds; one more is not.
    put.call(&mut store, (65536 - 16, 1)).unwrap();
    let e = put.call(&mut store, (65536 - 15, 1)).unwrap_err();
    assert!(e.to_string().contains("out of bounds"), "{e}");
}

/// Every handler must end in a tail call to the next one; one that does not grows the host stack at each
/// execution (a shuffle did: its lane loop called a non-inlined function). A loop of each SIMD handler
/// family, and of the instructions with loops or tables in their semantics, runs 200,000 times on a thread
/// with a 256 KiB stack, which a handler leaking even one frame per execution would overflow (in release
/// builds, where dispatch is by tail call; debug builds dispatch from a loop).
#[test]
fn simd_handlers_do_not_grow_the_host_stack() {
    const BODIES: &[&str] = &[
        "(local.set $v (i8x16.shuffle 0 17 2 19 4 21 6 23 8 25 10 27 12 29 14 31 (local.get $v) (local.get $w)))",
        "(local.set $v (i8x16.swizzle (local.get $v) (local.get $w)))",
        "(local.set $v (i8x16.relaxed_swizzle (local.get $v) (local.get $w)))",
        "(local.set $v (i8x16.add (local.get $v) (local.get $w)))",
        "(local.set $v (i8x16.narrow_i16x8_s (local.get $v) (local.get $w)))",
        "(local.set $v (i16x8.extmul_low_i8x16_u (local.get $v) (local.get $w)))",
        "(local.set $v (i32x4.dot_i16x8_s (local.get $v) (local.get $w)))",
        "(local.set $v (i16x8.q15mulr_sat_s (local.get $v) (local.get $w)))",
        "(local.set $v (f32x4.min (local.get $v) (local.get $w)))",
        "(local.set $v (f64x2.nearest (local.get $v)))",
        "(local.set $v (f32x4.ceil (local.get $v)))",
        "(local.set $v (i8x16.popcnt (local.get $v)))",
        "(local.set $v (i32x4.trunc_sat_f32x4_s (local.get $v)))",
        "(local.set $v (f32x4.demote_f64x2_zero (local.get $v)))",
        "(local.set $v (i16x8.extadd_pairwise_i8x16_u (local.get $v)))",
        "(local.set $v (v128.bitselect (local.get $v) (local.get $w) (local.get $w)))",
        "(local.set $v (f32x4.relaxed_madd (local.get $v) (local.get $w) (local.get $w)))",
        "(local.set $v (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $v) (local.get $w) (local.get $v)))",
        "(local.set $v (i64x2.shr_s (local.get $v) (local.get $n)))",
        "(local.set $v (i16x8.shl (local.get $v) (i32.const 3)))",
        "(local.set $n (i32.add (local.get $n) (i8x16.bitmask (local.get $v))))",
        "(local.set $n (i32.add (local.get $n) (i32x4.all_true (local.get $v))))",
        "(local.set $n (i32.add (local.get $n) (i8x16.extract_lane_s 7 (local.get $v))))",
        "(local.set $v (i8x16.replace_lane 3 (local.get $v) (local.get $n)))",
        "(local.set $v (i16x8.splat (local.get $n)))",
        "(local.set $v (v128.const i32x4 1 2 3 4))",
        "(local.set $v (select (local.get $v) (local.get $w) (local.get $n)))",
        "(v128.store (i32.const 32) (v128.load (i32.const 16)))",
        "(local.set $v (v128.load8x8_s (local.get $i)))",
        "(local.set $v (v128.load16_lane 2 (local.get $i) (local.get $v)))",
        "(v128.store32_lane 1 (i32.const 64) (local.get $v))",
    ];
    let mut funcs = String::new();
    for (k, body) in BODIES.iter().enumerate() {
        funcs.push_str(&format!(
            r#"(func (export "f{k}") (param $count i32) (result i32)
                 (local $v v128) (local $w v128) (local $n i32) (local $i i32)
                 (local.set $w (v128.const i8x16 3 1 4 1 5 9 2 6 5 3 5 8 9 7 9 3))
                 (loop $l
                   {body}
                   (local.set $i (i32.and (i32.add (local.get $i) (i32.const 1)) (i32.const 255)))
                   (br_if $l (local.tee $count (i32.sub (local.get $count) (i32.const 1)))))
                 (local.get $n))
            "#
        ));
    }
    let wat = format!("(module (memory 1) {funcs})");
    std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(move || {
            let (mut store, inst) = instance(&wat);
            for (k, body) in BODIES.iter().enumerate() {
                let f = inst.get_typed_func::<i32, i32>(&store, &format!("f{k}")).unwrap();
                f.call(&mut store, 200_000).unwrap_or_else(|e| panic!("{body}: {e}"));
            }
        })
        .unwrap()
        .join()
        .unwrap();
}
