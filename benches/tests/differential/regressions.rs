//! Hand-written regression tests for the translator's fusions, each against an independent expectation.

use crate::observe::{Outcome, TrapKind, Ty, V};
use crate::runtimes::{Engines, NAMES};

/// Call `func` with `args` in fresh instances of `wat`, expecting `expected`: from wasmvm, and from wasmi unless
/// tinywasm confirms the expectation where wasmi differs (a wasmi bug, reported on stderr).
fn expect_both(wat: &str, func: &str, args: &[V], expected: &[V]) {
    expect_outcome(wat, func, args, expected.len(), Outcome::Values(expected.to_vec()));
}

/// [`expect_both`] for any outcome (e.g. a trap).
fn expect_outcome(wat: &str, func: &str, args: &[V], nresults: usize, want: Outcome) {
    let wasm = wat::parse_str(wat).expect("valid wat");
    let engines = Engines::new();
    let ty = |v: &V| match v {
        V::I32(_) => Ty::I32,
        V::I64(_) => Ty::I64,
        V::F32(_) => Ty::F32,
        V::F64(_) => Ty::F64,
        V::V128(_) => Ty::V128,
        V::Ref(_) => Ty::ExternRef,
    };
    let params: Vec<Ty> = args.iter().map(ty).collect();
    let run = |r: usize| {
        let name = NAMES[r];
        let compiled = engines.compile(r, &wasm).unwrap_or_else(|e| panic!("{name} rejects the module: {e}"));
        let mut inst = compiled.instantiate().unwrap_or_else(|e| panic!("{name} fails to instantiate: {e:?}"));
        inst.call(func, args, &params, nresults)
    };
    assert_eq!(run(0), want, "wasmvm: {func}{args:?}");
    let wasmi = run(1);
    if wasmi != want {
        assert_eq!(run(2), want, "wasmi {wasmi:?} and tinywasm both differ from the expectation: {func}{args:?}");
        eprintln!("wasmi bug: {func}{args:?} gives {wasmi:?}, expected (and tinywasm) {want:?}");
    }
}

fn i32s(args: &[i32]) -> Vec<V> {
    args.iter().map(|&x| V::I32(x)).collect()
}

/// Interesting i32 inputs.
const I32_INPUTS: [i32; 10] = [0, 1, 2, 3, 7, 100, -1, -8, i32::MAX, i32::MIN];

#[test]
fn fused_store_const_value_at_temp_plus_const() {
    // The address is `x + 8` where `x` (= p * 4) is a temporary, the value a constant: the store fuses the
    // add and must keep the base intact while materialising the addend.
    let wat = r#"(module (memory 1)
      (func (export "f") (param i32) (result i32)
        (i32.store offset=4 (i32.add (i32.mul (local.get 0) (i32.const 4)) (i32.const 8)) (i32.const 0x11223344))
        (i64.store8 offset=1 (i32.add (i32.and (local.get 0) (i32.const 7)) (i32.const 100)) (i64.const 0x1ff))
        (i32.add
          (i32.load offset=12 (i32.mul (local.get 0) (i32.const 4)))
          (i32.load8_u offset=101 (i32.and (local.get 0) (i32.const 7))))))"#;
    for p in [0, 1, 2, 5, 100, 1000] {
        expect_both(wat, "f", &i32s(&[p]), &i32s(&[0x11223344 + 0xff]));
    }
}

#[test]
fn fused_load_base_is_destination() {
    // `x + k` computed in the temporary that also receives the loaded value.
    let wat = r#"(module (memory 1) (data (i32.const 16) "\01\02\03\04\05\06\07\08")
      (func (export "f") (param i32) (result i32)
        (i32.load8_u (i32.add (i32.and (local.get 0) (i32.const 7)) (i32.const 16))))
      (func (export "g") (param i32) (result i32)
        (i32.load8_u offset=1 (i32.add (i32.const 15) (i32.and (local.get 0) (i32.const 7))))))"#;
    for p in I32_INPUTS {
        let want = (p & 7) + 1;
        expect_both(wat, "f", &i32s(&[p]), &i32s(&[want]));
        expect_both(wat, "g", &i32s(&[p]), &i32s(&[want]));
    }
}

#[test]
fn tee_of_sum_as_address_and_value() {
    let wat = r#"(module (memory 1)
      ;; mem[p + 16] = p + 16, through a tee of the sum used as address and value
      (func (export "f") (param i32) (result i32) (local i32)
        (i32.store (local.tee 1 (i32.add (local.get 0) (i32.const 16))) (local.get 1))
        (i32.load (i32.add (local.get 0) (i32.const 16))))
      ;; the address is the old value of local 0, the value the new one (tee overwrites the local)
      (func (export "g") (param i32) (result i32)
        (i32.store (local.get 0) (local.tee 0 (i32.add (local.get 0) (i32.const 4))))
        (i32.load (i32.sub (local.get 0) (i32.const 4))))
      ;; the tee'd sum is the address, the value computed from the original local
      (func (export "h") (param i32) (result i32) (local i32)
        (i32.store offset=8 (local.tee 1 (i32.add (local.get 0) (i32.const 32))) (i32.mul (local.get 0) (i32.const 3)))
        (i32.add (i32.load offset=40 (local.get 0)) (local.get 1))))"#;
    for p in [0, 4, 8, 100, 4096] {
        expect_both(wat, "f", &i32s(&[p]), &i32s(&[p + 16]));
        expect_both(wat, "g", &i32s(&[p]), &i32s(&[p + 4]));
        expect_both(wat, "h", &i32s(&[p]), &i32s(&[p * 3 + p + 32]));
    }
}

#[test]
fn increment_compare_branch_rhs_is_incremented_local() {
    let wat = r#"(module
      ;; x = x + 1; branch if x <= x (always taken): the comparison must see the new x on both sides
      (func (export "le_self") (param i32) (result i32)
        (block (result i32)
          (i32.const 1)
          (local.set 0 (i32.add (local.get 0) (i32.const 1)))
          (br_if 0 (i32.le_s (local.get 0) (local.get 0)))
          (drop)
          (i32.const 0)))
      ;; y = x + 1 with the comparison against x (the increment's source)
      (func (export "gt_src") (param i32) (result i32) (local i32)
        (block (result i32)
          (i32.const 1)
          (local.set 1 (i32.add (local.get 0) (i32.const 1)))
          (br_if 0 (i32.gt_s (local.get 1) (local.get 0)))
          (drop)
          (i32.const 0)))
      ;; counting loop whose back-edge compares the incremented counter with itself-derived bound
      (func (export "count") (param i32) (result i32) (local i32 i32)
        (local.set 2 (i32.and (local.get 0) (i32.const 15)))
        (loop
          (local.set 1 (i32.add (local.get 1) (i32.const 1)))
          (br_if 0 (i32.lt_u (local.get 1) (local.get 2))))
        (local.get 1))
      ;; increment by a slot, compared with the increment itself
      (func (export "inc_slot") (param i32) (result i32) (local i32)
        (local.set 1 (i32.const 3))
        (block
          (local.set 1 (i32.add (local.get 1) (local.get 0)))
          (br_if 0 (i32.eq (local.get 1) (local.get 0)))
          (local.set 1 (i32.const -1)))
        (local.get 1)))"#;
    for p in I32_INPUTS {
        expect_both(wat, "le_self", &i32s(&[p]), &i32s(&[1]));
        expect_both(wat, "gt_src", &i32s(&[p]), &i32s(&[(p.wrapping_add(1) > p) as i32]));
        expect_both(wat, "count", &i32s(&[p]), &i32s(&[(p & 15).max(1)]));
        let s = 3i32.wrapping_add(p);
        expect_both(wat, "inc_slot", &i32s(&[p]), &i32s(&[if s == p { s } else { -1 }]));
    }
}

#[test]
fn copy_chains_swapping_locals() {
    let wat = r#"(module
      ;; swap through the operand stack
      (func (export "swap") (param i32 i32) (result i32)
        (local.get 0) (local.get 1) (local.set 0) (local.set 1)
        (i32.sub (i32.mul (local.get 0) (i32.const 1000)) (local.get 1)))
      ;; a = b; b = a (b unchanged), via tee
      (func (export "tee_back") (param i32 i32) (result i32)
        (local.set 1 (local.tee 0 (local.get 1)))
        (i32.sub (i32.mul (local.get 0) (i32.const 1000)) (local.get 1)))
      ;; three-way rotation with a temporary local
      (func (export "rotate") (param i32 i32 i32) (result i32) (local i32)
        (local.set 3 (local.get 0))
        (local.set 0 (local.get 1))
        (local.set 1 (local.get 2))
        (local.set 2 (local.get 3))
        (i32.add (i32.add (i32.mul (local.get 0) (i32.const 100)) (i32.mul (local.get 1) (i32.const 10))) (local.get 2)))
      ;; the old value of a local kept on the stack across two overwrites
      (func (export "keep") (param i32 i32) (result i32)
        (local.get 0)
        (local.set 0 (local.get 1))
        (local.set 1 (local.get 0))
        (local.tee 0 (i32.const 7))
        (i32.add)
        (i32.mul (i32.const 1000))
        (i32.add (i32.mul (local.get 0) (i32.const 10)))
        (i32.add (local.get 1))))"#;
    for (a, b) in [(1, 2), (5, -3), (0, 9), (7, 7)] {
        expect_both(wat, "swap", &i32s(&[a, b]), &i32s(&[b * 1000 - a]));
        expect_both(wat, "tee_back", &i32s(&[a, b]), &i32s(&[b * 1000 - b]));
        expect_both(wat, "rotate", &i32s(&[a, b, 3]), &i32s(&[b * 100 + 3 * 10 + a]));
        expect_both(wat, "keep", &i32s(&[a, b]), &i32s(&[(a + 7) * 1000 + 70 + b]));
    }
}

#[test]
fn loops_decrementing_counter_compared_with_zero() {
    let wat = r#"(module
      ;; do { acc += n } while (--n != 0), n >= 1
      (func (export "ne") (param i32) (result i32) (local i32)
        (loop
          (local.set 1 (i32.add (local.get 1) (local.get 0)))
          (br_if 0 (i32.ne (local.tee 0 (i32.sub (local.get 0) (i32.const 1))) (i32.const 0))))
        (local.get 1))
      ;; do { acc += n } while (--n > 0): stops at once for n <= 1
      (func (export "gt") (param i32) (result i32) (local i32)
        (loop
          (local.set 1 (i32.add (local.get 1) (local.get 0)))
          (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
          (br_if 0 (i32.gt_s (local.get 0) (i32.const 0))))
        (local.get 1))
      ;; while (0 < --n) with the constant on the left
      (func (export "lt_left") (param i32) (result i32) (local i32)
        (loop
          (local.set 1 (i32.add (local.get 1) (i32.const 1)))
          (local.set 0 (i32.add (local.get 0) (i32.const -1)))
          (br_if 0 (i32.lt_s (i32.const 0) (local.get 0))))
        (local.get 1))
      ;; eqz of the decremented counter as the exit condition
      (func (export "eqz") (param i32) (result i32) (local i32)
        (block
          (loop
            (local.set 1 (i32.add (local.get 1) (i32.const 2)))
            (br_if 1 (i32.eqz (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
            (br 0)))
        (local.get 1)))"#;
    for n in [1, 2, 3, 10, 100] {
        expect_both(wat, "ne", &i32s(&[n]), &i32s(&[n * (n + 1) / 2]));
        expect_both(wat, "gt", &i32s(&[n]), &i32s(&[n * (n + 1) / 2]));
        expect_both(wat, "lt_left", &i32s(&[n]), &i32s(&[n]));
        expect_both(wat, "eqz", &i32s(&[n]), &i32s(&[2 * n]));
    }
    for n in [0, -1, -5] {
        expect_both(wat, "gt", &i32s(&[n]), &i32s(&[n]));
        expect_both(wat, "lt_left", &i32s(&[n]), &i32s(&[1]));
    }
}

#[test]
fn select_with_constant_operands() {
    let wat = r#"(module
      (func (export "cc") (param i32) (result i32) (select (i32.const 10) (i32.const 20) (local.get 0)))
      (func (export "cl") (param i32) (result i32) (select (i32.const 10) (local.get 0) (local.get 0)))
      (func (export "lc") (param i32) (result i32) (select (local.get 0) (i32.const 20) (local.get 0)))
      (func (export "const_cond0") (param i32) (result i32) (select (local.get 0) (i32.const 20) (i32.const 0)))
      (func (export "const_cond1") (param i32) (result i32) (select (local.get 0) (i32.const 20) (i32.const 1)))
      ;; constant condition choosing a temporary, then the chosen local overwritten
      (func (export "const_cond_tmp") (param i32) (result i32)
        (select (i32.const 5) (i32.add (local.get 0) (i32.const 1)) (i32.const 0))
        (local.set 0 (i32.const 100))
        (i32.add (local.get 0)))
      (func (export "const_cond_local") (param i32) (result i32) (local i32)
        (select (i32.const 5) (local.get 0) (i32.const 0))
        (local.set 0 (i32.const 100))
        (i32.add (local.get 0)))
      ;; the guard wasm-smith emits before divisions: 1 if x == 0 else x
      (func (export "guard") (param i32) (result i32)
        (i32.div_s (i32.const 1000) (select (i32.const 1) (local.get 0) (i32.eqz (local.get 0)))))
      (func (export "i64") (param i32) (result i64) (select (i64.const -1) (i64.const 2) (local.get 0)))
      (func (export "f64") (param i32) (result f64) (select (f64.const 1.5) (f64.const -0.0) (local.get 0))))"#;
    for p in I32_INPUTS {
        let t = p != 0;
        expect_both(wat, "cc", &i32s(&[p]), &i32s(&[if t { 10 } else { 20 }]));
        expect_both(wat, "cl", &i32s(&[p]), &i32s(&[if t { 10 } else { p }]));
        expect_both(wat, "lc", &i32s(&[p]), &i32s(&[if t { p } else { 20 }]));
        expect_both(wat, "const_cond0", &i32s(&[p]), &i32s(&[20]));
        expect_both(wat, "const_cond1", &i32s(&[p]), &i32s(&[p]));
        expect_both(wat, "const_cond_tmp", &i32s(&[p]), &i32s(&[p.wrapping_add(1).wrapping_add(100)]));
        expect_both(wat, "const_cond_local", &i32s(&[p]), &i32s(&[p.wrapping_add(100)]));
        let d = if p == 0 { 1 } else { p };
        expect_both(wat, "guard", &i32s(&[p]), &i32s(&[1000i32.wrapping_div(d)]));
        expect_both(wat, "i64", &i32s(&[p]), &[V::I64(if t { -1 } else { 2 })]);
        expect_both(wat, "f64", &i32s(&[p]), &[V::F64(if t { 1.5f64 } else { -0.0f64 }.to_bits())]);
    }
}

#[test]
fn br_table_with_block_results() {
    let wat = r#"(module
      (func (export "f") (param i32 i32) (result i32)
        (i32.add (i32.const 1000)
          (block (result i32)
            (i32.add (i32.const 100)
              (block (result i32)
                (i32.add (i32.const 10)
                  (block (result i32)
                    (local.get 1)
                    (br_table 0 1 2 1 (local.get 0)))))))))
      ;; the value is a constant, and a computed temporary
      (func (export "g") (param i32) (result i32)
        (i32.add (i32.const 1000)
          (block (result i32)
            (i32.add (i32.const 100)
              (block (result i32)
                (i32.const 7)
                (br_table 0 1 (local.get 0)))))))
      (func (export "h") (param i32 i32) (result i32)
        (i32.add (i32.const 1000)
          (block (result i32)
            (i32.add (i32.const 100)
              (block (result i32)
                (i32.mul (local.get 1) (i32.const 3))
                (br_table 1 0 (local.get 0)))))))
      ;; two results through a multi-value block
      (func (export "mv") (param i32 i32) (result i32)
        (block (result i32 i32)
          (local.get 1) (i32.const 5)
          (br_table 0 0 (local.get 0)))
        (i32.sub)))"#;
    for (i, v) in [(0, 5), (1, 5), (2, 5), (3, 5), (4, 5), (-1, 9)] {
        // Targets 0, 1, 2 for indices 0..3, the default (1) otherwise.
        let f = match i {
            0 => v + 10 + 100 + 1000,
            2 => v + 1000,
            _ => v + 100 + 1000,
        };
        expect_both(wat, "f", &i32s(&[i, v]), &i32s(&[f]));
        expect_both(wat, "g", &i32s(&[i]), &i32s(&[if i == 0 { 1107 } else { 1007 }]));
        expect_both(wat, "h", &i32s(&[i, v]), &i32s(&[if i == 0 { 1000 + 3 * v } else { 1100 + 3 * v }]));
        expect_both(wat, "mv", &i32s(&[i, v]), &i32s(&[v - 5]));
    }
}

#[test]
fn comparisons_with_constant_on_the_left() {
    let wat = r#"(module
      (func (export "lt_s") (param i32) (result i32) (i32.lt_s (i32.const 5) (local.get 0)))
      (func (export "ge_u") (param i32) (result i32) (i32.ge_u (i32.const 5) (local.get 0)))
      (func (export "sub") (param i32) (result i32) (i32.sub (i32.const 5) (local.get 0)))
      (func (export "br_lt_s") (param i32) (result i32)
        (block (result i32) (i32.const 1) (br_if 0 (i32.lt_s (i32.const 5) (local.get 0))) (drop) (i32.const 0)))
      (func (export "if_gt_u") (param i32) (result i32)
        (if (result i32) (i32.gt_u (i32.const 5) (local.get 0)) (then (i32.const 1)) (else (i32.const 0))))
      (func (export "i64_le_s") (param i32) (result i32) (i64.le_s (i64.const 5) (i64.extend_i32_s (local.get 0))))
      (func (export "f32_lt") (param i32) (result i32) (f32.lt (f32.const 5) (f32.convert_i32_s (local.get 0))))
      ;; increment fused into the branch, with the comparison's constant on the left
      (func (export "inc_lt") (param i32) (result i32)
        (block (result i32)
          (i32.const 1)
          (local.set 0 (i32.add (local.get 0) (i32.const 1)))
          (br_if 0 (i32.lt_s (i32.const 5) (local.get 0)))
          (drop) (i32.const 0))))"#;
    for p in I32_INPUTS.into_iter().chain([4, 5, 6]) {
        expect_both(wat, "lt_s", &i32s(&[p]), &i32s(&[(5 < p) as i32]));
        expect_both(wat, "ge_u", &i32s(&[p]), &i32s(&[(5 >= p as u32) as i32]));
        expect_both(wat, "sub", &i32s(&[p]), &i32s(&[5i32.wrapping_sub(p)]));
        expect_both(wat, "br_lt_s", &i32s(&[p]), &i32s(&[(5 < p) as i32]));
        expect_both(wat, "if_gt_u", &i32s(&[p]), &i32s(&[(5 > p as u32) as i32]));
        expect_both(wat, "i64_le_s", &i32s(&[p]), &i32s(&[(5 <= p as i64) as i32]));
        expect_both(wat, "f32_lt", &i32s(&[p]), &i32s(&[(5.0 < p as f32) as i32]));
        expect_both(wat, "inc_lt", &i32s(&[p]), &i32s(&[(5 < p.wrapping_add(1)) as i32]));
    }
}

#[test]
fn select_on_a_comparison() {
    let wat = r#"(module
      (func (export "min") (param i32 i32) (result i32)
        (select (local.get 0) (local.get 1) (i32.lt_s (local.get 0) (local.get 1))))
      (func (export "max_u_const") (param i32) (result i32)
        (select (local.get 0) (i32.const 100) (i32.gt_u (local.get 0) (i32.const 100))))
      ;; constant on the left of the comparison (swapped), temporaries as operands
      (func (export "left") (param i32 i32) (result i32)
        (select (i32.add (local.get 0) (i32.const 5)) (i32.mul (local.get 1) (i32.const 2))
          (i32.le_s (i32.const 7) (i32.add (local.get 0) (local.get 1)))))
      ;; the compared temporary is also an operand
      (func (export "clamp") (param i32 i32) (result i32) (local i32)
        (select (local.tee 2 (i32.sub (local.get 0) (local.get 1))) (i32.const 0)
          (i32.ge_s (local.get 2) (i32.const 0))))
      (func (export "i64") (param i32 i32) (result i64)
        (select (i64.const 1) (i64.const -1)
          (i64.lt_u (i64.extend_i32_s (local.get 0)) (i64.extend_i32_u (local.get 1)))))
      ;; NaN compares false either way round
      (func (export "f64") (param i32) (result i32)
        (select (i32.const 1) (i32.const 0)
          (f64.lt (f64.const 1) (f64.div (f64.convert_i32_s (local.get 0)) (f64.convert_i32_s (local.get 0)))))))"#;
    for (a, b) in [(0, 0), (1, 2), (2, 1), (-5, 3), (i32::MIN, i32::MAX), (100, 101), (7, 0)] {
        expect_both(wat, "min", &i32s(&[a, b]), &i32s(&[a.min(b)]));
        expect_both(wat, "max_u_const", &i32s(&[a]), &i32s(&[if a as u32 > 100 { a } else { 100 }]));
        let left = if 7 <= a.wrapping_add(b) { a.wrapping_add(5) } else { b.wrapping_mul(2) };
        expect_both(wat, "left", &i32s(&[a, b]), &i32s(&[left]));
        let d = a.wrapping_sub(b);
        expect_both(wat, "clamp", &i32s(&[a, b]), &i32s(&[if d >= 0 { d } else { 0 }]));
        let lt = (a as i64 as u64) < (b as u32 as u64);
        expect_both(wat, "i64", &i32s(&[a, b]), &[V::I64(if lt { 1 } else { -1 })]);
        // x / x is 1 (not > 1), or NaN for 0.
        expect_both(wat, "f64", &i32s(&[a]), &i32s(&[0]));
    }
}

#[test]
fn branch_on_a_loaded_value() {
    let wat = r#"(module (memory 1)
      (data (i32.const 0) "\00\01\80\00\00\00\00\80\00\00\01\00")
      (func (export "br8u") (param i32) (result i32)
        (block (result i32) (i32.const 1) (br_if 0 (i32.load8_u (local.get 0))) (drop) (i32.const 0)))
      (func (export "br8s_ss") (param i32 i32) (result i32)
        (block (result i32) (i32.const 1) (br_if 0 (i32.load8_s (i32.add (local.get 0) (local.get 1)))) (drop) (i32.const 0)))
      (func (export "if16u") (param i32) (result i32)
        (if (result i32) (i32.load16_u offset=1 (local.get 0)) (then (i32.const 1)) (else (i32.const 0))))
      (func (export "br32") (param i32) (result i32)
        (block (result i32) (i32.const 1) (br_if 0 (i32.load offset=2 (local.get 0))) (drop) (i32.const 0)))
      ;; a loop running while the loaded byte is non-zero
      (func (export "strlen") (param i32) (result i32) (local i32)
        (local.set 1 (local.get 0))
        (block (loop
          (br_if 1 (i32.eqz (i32.load8_u (local.get 1))))
          (local.set 1 (i32.add (local.get 1) (i32.const 1)))
          (br 0)))
        (i32.sub (local.get 1) (local.get 0))))"#;
    let mem: [u8; 12] = [0, 1, 0x80, 0, 0, 0, 0, 0x80, 0, 0, 1, 0];
    let byte = |i: usize| mem.get(i).copied().unwrap_or(0);
    for p in 0..12usize {
        let pi = p as i32;
        expect_both(wat, "br8u", &i32s(&[pi]), &i32s(&[(byte(p) != 0) as i32]));
        expect_both(wat, "br8s_ss", &i32s(&[1, pi - 1]), &i32s(&[(byte(p) != 0) as i32]));
        expect_both(wat, "if16u", &i32s(&[pi]), &i32s(&[(byte(p + 1) != 0 || byte(p + 2) != 0) as i32]));
        let w = (2..6).any(|k| byte(p + k) != 0);
        expect_both(wat, "br32", &i32s(&[pi]), &i32s(&[w as i32]));
        let len = (p..).take_while(|&i| byte(i) != 0).count() as i32;
        expect_both(wat, "strlen", &i32s(&[pi]), &i32s(&[len]));
    }
    // Out of bounds: the fused load still traps.
    for (f, args) in [("br8u", vec![65536]), ("br8s_ss", vec![65535, 1]), ("if16u", vec![65534]), ("br32", vec![-2])] {
        expect_outcome(wat, f, &i32s(&args), 1, Outcome::Trap(TrapKind::MemoryOutOfBounds));
    }
}

#[test]
fn scaled_index_addressing() {
    let wat = r#"(module (memory 1)
      (func (export "load") (param i32 i32) (result i32)
        (i32.load offset=4 (i32.add (local.get 0) (i32.shl (local.get 1) (i32.const 2)))))
      (func (export "load_rev") (param i32 i32) (result i32)
        (i32.load8_u (i32.add (i32.shl (local.get 1) (i32.const 3)) (local.get 0))))
      (func (export "store") (param i32 i32 i32) (result i32)
        (i32.store (i32.add (local.get 0) (i32.shl (local.get 1) (i32.const 1))) (local.get 2))
        (i32.store16 offset=2 (i32.add (local.get 0) (i32.shl (local.get 1) (i32.const 1))) (i32.const 0x7777))
        (i32.load (i32.add (local.get 0) (i32.mul (local.get 1) (i32.const 2)))))
      ;; a shift count of 33 is 1
      (func (export "shift33") (param i32 i32) (result i32)
        (i32.add (local.get 0) (i32.shl (local.get 1) (i32.const 33))))
      ;; the scaled sum kept in a local, then used
      (func (export "value") (param i32 i32) (result i32) (local i32)
        (local.set 2 (i32.add (local.get 0) (i32.shl (local.get 1) (i32.const 3))))
        (local.get 2)))"#;
    for (base, idx) in [(0i32, 0i32), (16, 3), (-16, 4), (-4, 1), (100, 0x4000_0001), (0, 0x3fff), (65532, 0)] {
        let ea = base.wrapping_add(idx.wrapping_shl(2)) as u32 as u64 + 4;
        let want =
            if ea + 4 <= 65536 { Outcome::Values(i32s(&[0])) } else { Outcome::Trap(TrapKind::MemoryOutOfBounds) };
        expect_outcome(wat, "load", &i32s(&[base, idx]), 1, want);
        let ea = base.wrapping_add(idx.wrapping_shl(3)) as u32 as u64;
        let want = if ea < 65536 { Outcome::Values(i32s(&[0])) } else { Outcome::Trap(TrapKind::MemoryOutOfBounds) };
        expect_outcome(wat, "load_rev", &i32s(&[base, idx]), 1, want);
        let ea = base.wrapping_add(idx.wrapping_shl(1)) as u32 as u64;
        let want = if ea + 4 <= 65536 {
            Outcome::Values(i32s(&[(0x7777 << 16) | (0x1234 & 0xffff)]))
        } else {
            Outcome::Trap(TrapKind::MemoryOutOfBounds)
        };
        expect_outcome(wat, "store", &i32s(&[base, idx, 0x1234]), 1, want);
        expect_both(wat, "shift33", &i32s(&[base, idx]), &i32s(&[base.wrapping_add(idx.wrapping_shl(1))]));
        expect_both(wat, "value", &i32s(&[base, idx]), &i32s(&[base.wrapping_add(idx.wrapping_shl(3))]));
    }
}
