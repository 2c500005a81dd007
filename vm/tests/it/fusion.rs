//! Regression tests for the translator's fusions (each was a real bug): the expected values are computed by
//! hand from the wasm semantics.

use wasmvm::{Engine, Linker, Module, Store, Val};

fn call(wat: &str, args: &[Val]) -> Vec<Val> {
    let engine = Engine::default();
    let module = Module::new(&engine, &wat::parse_str(wat).unwrap()).unwrap();
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
    let f = inst.get_func(&store, "f").unwrap();
    let mut out: Vec<Val> = f.ty(&store).unwrap().results().iter().map(|t| Val::default_of(*t)).collect();
    f.call(&mut store, args, &mut out).unwrap();
    out
}

#[test]
fn store_address_constant_first_plus_computed_value() {
    // `64 + (x << 4)` fused into the store's addressing; the constant addend must not clobber `x << 4`.
    let wat = r#"(module (memory 1)
      (func (export "f") (param i32) (result i32)
        (i32.store (i32.add (i32.const 64) (i32.shl (local.get 0) (i32.const 4))) (i32.const 7))
        (i32.load (i32.const 80))))"#;
    assert_eq!(call(wat, &[Val::I32(1)]), vec![Val::I32(7)]);
}

#[test]
fn store_of_constant_at_temporary_plus_constant() {
    // The base of the fused address is itself a temporary that the constant addend must not overwrite.
    let wat = r#"(module (memory 1)
      (func (export "f") (param i32) (result i32)
        (i32.store16 (i32.add (i32.add (i32.load (i32.const 0)) (i32.mul (local.get 0) (i32.const 20))) (i32.const -18))
                     (i32.const 1))
        (i32.load16_u (i32.const 22))))"#;
    // load(0) = 0, 2 * 20 - 18 = 22.
    assert_eq!(call(wat, &[Val::I32(2)]), vec![Val::I32(1)]);
}

#[test]
fn block_with_params_in_unreachable_code_keeps_outer_operands() {
    let wat = r#"(module
      (func (export "f") (result i32)
        i32.const 7
        i32.const 42
        block
          br 0
          loop (param i64)
            drop
          end
        end
        i32.add))"#;
    assert_eq!(call(wat, &[]), vec![Val::I32(49)]);
}

#[test]
fn increment_branch_compares_after_the_increment() {
    // `x = x + 1; if x < x + ...`: the comparison reads the incremented value, even as its own rhs.
    let wat = r#"(module
      (func (export "f") (param i32) (result i32) (local $n i32)
        (loop $l
          (local.set $n (i32.add (local.get $n) (i32.const 1)))
          (br_if $l (i32.lt_u (local.tee 0 (i32.add (local.get 0) (i32.const 1))) (i32.const 10))))
        (local.get $n)))"#;
    assert_eq!(call(wat, &[Val::I32(0)]), vec![Val::I32(10)]);
}

#[test]
fn select_fused_with_its_comparison() {
    let wat = r#"(module
      (func (export "f") (param i32 i32) (result i32)
        (select (local.get 0) (local.get 1) (i32.lt_s (local.get 0) (local.get 1)))))"#;
    assert_eq!(call(wat, &[Val::I32(-3), Val::I32(5)]), vec![Val::I32(-3)]);
    assert_eq!(call(wat, &[Val::I32(9), Val::I32(5)]), vec![Val::I32(5)]);
}

#[test]
fn load_fused_with_branch() {
    let wat = r#"(module (memory 1) (data (i32.const 8) "\00\05")
      (func (export "f") (param i32) (result i32)
        (block $z (br_if $z (i32.load8_u (local.get 0))) (return (i32.const 100)))
        (i32.const 200)))"#;
    assert_eq!(call(wat, &[Val::I32(8)]), vec![Val::I32(100)]);
    assert_eq!(call(wat, &[Val::I32(9)]), vec![Val::I32(200)]);
}

#[test]
fn scaled_index_addressing() {
    // `base + (i << 2)` fused into one add and then into the load/store addressing.
    let wat = r#"(module (memory 1)
      (func (export "f") (param $base i32) (param $i i32) (result i32)
        (i32.store (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2))) (i32.const 77))
        (i32.store offset=4 (i32.add (i32.shl (local.get $i) (i32.const 3)) (local.get $base)) (local.get $i))
        (i32.add
          (i32.load (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2))))
          (i32.add (i32.load (i32.const 124))
                   (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 33)))))))"#;
    // store 77 at 100 + 12 = 112; store 3 at 100 + 24 + 4 = 128; load(112) = 77; load(124) = 0;
    // 100 + (3 << (33 & 31)) = 106.
    assert_eq!(call(wat, &[Val::I32(100), Val::I32(3)]), vec![Val::I32(77 + 106)]);
}

#[test]
fn fused_integer_pairs() {
    // (x >> 3) & 7, c - (x ^ y), (x rotl 5) ^ (x rotl 11) ^ y, a + b + c, (x * 3) - 1, 100 - (x << 2)
    let wat = r#"(module
      (func (export "f") (param $x i32) (param $y i32) (result i32)
        (i32.add
          (i32.add
            (i32.and (i32.shr_u (local.get $x) (i32.const 3)) (i32.const 7))
            (i32.sub (i32.const 1000) (i32.xor (local.get $x) (local.get $y))))
          (i32.add
            (i32.xor (i32.xor (i32.rotl (local.get $x) (i32.const 5)) (i32.rotl (local.get $x) (i32.const 11))) (local.get $y))
            (i32.add
              (i32.add (i32.add (local.get $x) (local.get $y)) (local.get $x))
              (i32.add (i32.sub (i32.mul (local.get $x) (i32.const 3)) (i32.const 1))
                       (i32.sub (i32.const 100) (i32.shl (local.get $x) (i32.const 2)))))))))"#;
    let (x, y) = (0x1234_5678u32, 0x0f0f_0f0fu32);
    let expect = ((x >> 3) & 7)
        .wrapping_add(1000u32.wrapping_sub(x ^ y))
        .wrapping_add((x.rotate_left(5) ^ x.rotate_left(11)) ^ y)
        .wrapping_add(x.wrapping_add(y).wrapping_add(x))
        .wrapping_add(x.wrapping_mul(3).wrapping_sub(1))
        .wrapping_add(100u32.wrapping_sub(x << 2));
    assert_eq!(call(wat, &[Val::I32(x as i32), Val::I32(y as i32)]), vec![Val::I32(expect as i32)]);
}

#[test]
fn conditional_return_does_not_materialise_operands_for_the_fallthrough() {
    // `br_if` to the function (a conditional return of two constants) must leave the constants usable on
    // the path where the branch is not taken. (Found by differential fuzzing.)
    let wat = r#"(module
      (func (export "f") (param i32) (result i32 i32)
        i32.const 1
        i32.const 84
        i32.const 2
        local.get 0
        br_if 0
        i32.div_s))"#;
    assert_eq!(call(wat, &[Val::I32(0)]), vec![Val::I32(1), Val::I32(42)]);
    assert_eq!(call(wat, &[Val::I32(1)]), vec![Val::I32(84), Val::I32(2)]);
}

#[test]
fn br_table_trampolines_do_not_leak_materialisations() {
    // A br_table with a return target and a block-result target: each path moves its own values.
    let wat = r#"(module
      (func (export "f") (param i32) (result i32)
        (block (result i32)
          i32.const 7
          local.get 0
          br_table 0 1 0)
        i32.const 1
        i32.add))"#;
    assert_eq!(call(wat, &[Val::I32(0)]), vec![Val::I32(8)]);
    assert_eq!(call(wat, &[Val::I32(1)]), vec![Val::I32(7)]);
}

#[test]
fn store_of_computed_value_at_computed_address() {
    // `a[i] = x + 1` with the address computed before the value; and a value computed from the address's
    // own operand temporary (must not be reordered).
    let wat = r#"(module (memory 1)
      (func (export "f") (param $i i32) (param $x i32) (result i32)
        (i32.store8 (i32.add (local.get $i) (i32.const 100)) (i32.add (local.get $x) (i32.const 1)))
        (i32.store offset=4 (i32.add (local.get $i) (i32.shl (local.get $x) (i32.const 2)))
                            (i32.mul (local.get $x) (local.get $i)))
        (i32.store offset=200 (i32.add (i32.load8_u (i32.const 103)) (i32.load8_u (i32.const 103)))
                              (i32.load8_u (i32.const 103)))
        (i32.add (i32.add (i32.load8_u (i32.const 103)) (i32.load (i32.const 27)))
                 (i32.load (i32.const 212)))))"#;
    // 103 <- 6; 3 + 20 + 4 = 27 <- 15; 12 + 200 = 212 <- 6.
    assert_eq!(call(wat, &[Val::I32(3), Val::I32(5)]), vec![Val::I32(6 + 15 + 6)]);
}

#[test]
fn store_of_teed_value_at_computed_address() {
    // The value is computed after the address and teed into a local that the address also reads.
    let wat = r#"(module (memory 1)
      (func (export "f") (param $i i32) (param $x i32) (result i32)
        (i32.store8 (i32.add (local.get $x) (i32.const 100)) (local.tee $x (i32.add (local.get $i) (i32.const 1))))
        (i32.store8 (i32.add (local.get $i) (i32.const 50)) (local.tee $x (i32.add (local.get $x) (i32.const 7))))
        (i32.add (i32.load8_u (i32.const 105)) (i32.load8_u (i32.const 53)))))"#;
    // x = 5: store8 105 <- 4 (x = 4); store8 53 <- 11.
    assert_eq!(call(wat, &[Val::I32(3), Val::I32(5)]), vec![Val::I32(4 + 11)]);
}

#[test]
fn increment_fused_into_a_branch_on_its_result() {
    // `local.tee` + `br_if` on an increment (count towards zero), `i32.eqz` + `br_if`, and `if` on an
    // increment: the fused instruction must still write the local, and branch on the new value.
    let wat = r#"(module
      (func (export "f") (param $n i32) (param $step i32) (result i32) (local $i i32) (local $acc i32)
        ;; i = -n; do { acc += i; i += 1 } while (i != 0)   -> acc = -(n(n+1)/2) + n
        (local.set $i (i32.sub (i32.const 0) (local.get $n)))
        (loop $l
          (local.set $acc (i32.add (local.get $acc) (local.get $i)))
          (br_if $l (local.tee $i (i32.add (local.get $i) (i32.const 1)))))
        ;; j = n; do { acc += 1000; j -= 1 } while (!(j == 0) ) written as eqz + br_if out of a block
        (local.set $i (local.get $n))
        (block $done
          (loop $m
            (local.set $acc (i32.add (local.get $acc) (i32.const 1000)))
            (br_if $done (i32.eqz (local.tee $i (i32.sub (local.get $i) (i32.const 1)))))
            (br $m)))
        ;; an `if` on an increment by a slot: acc += 7 when n + step != 0; i must hold n + step after
        (if (local.tee $i (i32.add (local.get $n) (local.get $step)))
          (then (local.set $acc (i32.add (local.get $acc) (i32.const 7)))))
        (i32.add (local.get $acc) (i32.mul (local.get $i) (i32.const 100000)))))"#;
    for (n, step) in [(1i32, 0i32), (5, 3), (10, -10), (3, -4)] {
        let first: i32 = (-n..0).sum();
        let second = 1000 * n;
        let third = if n + step != 0 { 7 } else { 0 };
        let expected = first + second + third + (n + step) * 100_000;
        assert_eq!(call(wat, &[Val::I32(n), Val::I32(step)]), vec![Val::I32(expected)], "n = {n}, step = {step}");
    }
}

/// Two loads in a row are one instruction (`load_pair`): the first completes before the second, so the second
/// may load through the first's result (pointer chasing), the first's result may have gone to a local, and
/// a trap in the second load is still a trap.
#[test]
fn load_pairs_chase_pointers_keep_locals_and_trap() {
    let wat = r#"(module (memory 1)
      (data (i32.const 16) "\20\00\00\00")   ;; [16] = 32
      (data (i32.const 32) "\2a\00\00\00")   ;; [32] = 42
      (func (export "f") (param $p i32) (result i32) (local $a i32) (local $b i32)
        ;; a = [p]; b = [a] (the second load's address is the first's result)
        (local.set $a (i32.load (local.get $p)))
        (local.set $b (i32.load (local.get $a)))
        (i32.add (i32.mul (local.get $a) (i32.const 1000)) (local.get $b))))"#;
    assert_eq!(call(wat, &[Val::I32(16)]), vec![Val::I32(32 * 1000 + 42)]);
    // Both results as operands: [p] + [p + 16] (the second load's operand stays a temporary).
    let wat = r#"(module (memory 1)
      (data (i32.const 16) "\20\00\00\00")
      (data (i32.const 32) "\2a\00\00\00")
      (func (export "f") (param $p i32) (result i32)
        (i32.sub (i32.load (local.get $p)) (i32.load offset=16 (local.get $p)))))"#;
    assert_eq!(call(wat, &[Val::I32(16)]), vec![Val::I32(32 - 42)]);
    // The second load out of bounds traps.
    let wat = r#"(module (memory 1)
      (func (export "f") (param $p i32) (result i32)
        (i32.add (i32.load (local.get $p)) (i32.load offset=65533 (local.get $p)))))"#;
    let engine = Engine::default();
    let module = Module::new(&engine, &wat::parse_str(wat).unwrap()).unwrap();
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
    let f = inst.get_func(&store, "f").unwrap().typed::<i32, i32>(&store).unwrap();
    assert_eq!(f.call(&mut store, 0).unwrap_err().to_string(), "trap: out of bounds memory access");
}

#[test]
fn i64_increment_fused_into_a_compare_and_branch() {
    // `x = x + k; if x OP rhs` in i64: a negative immediate is sign-extended, a carry passes bit 31, the
    // right-hand side may be a slot, and the incremented local is written.
    let down = r#"(module
      (func (export "f") (param i64) (result i64) (local $n i64)
        (loop $l
          (local.set $n (i64.add (local.get $n) (i64.const 1)))
          (br_if $l (i64.gt_s (local.tee 0 (i64.sub (local.get 0) (i64.const 3))) (i64.const -5))))
        (i64.add (i64.mul (local.get $n) (i64.const 1000)) (local.get 0))))"#;
    // 10 -> 7, 4, 1, -2, -5: five iterations, x ends at -5.
    assert_eq!(call(down, &[Val::I64(10)]), vec![Val::I64(5 * 1000 - 5)]);
    let carry = r#"(module
      (func (export "f") (param i64 i64) (result i64) (local $n i64)
        (loop $l
          (local.set $n (i64.add (local.get $n) (i64.const 1)))
          (br_if $l (i64.lt_u (local.tee 0 (i64.add (local.get 0) (i64.const 0x40000000))) (local.get 1))))
        (i64.add (i64.mul (local.get $n) (i64.const 0x100000000)) (local.get 0))))"#;
    // From 0xffff_0000 by 2^30 up to 2^33: the sums pass 2^32 (no 32-bit wrap-around).
    let (start, end) = (0xffff_0000i64, 1i64 << 33);
    let mut x = start;
    let mut n = 0;
    loop {
        n += 1;
        x += 0x4000_0000;
        if x >= end {
            break;
        }
    }
    assert_eq!(call(carry, &[Val::I64(start), Val::I64(end)]), vec![Val::I64(n * 0x1_0000_0000 + x)]);
}

#[test]
fn bit_test_fused_into_its_branch() {
    // `if (x & m)`, `if !(x & m)` (i32.eqz), `br_if` on `x & y` (both slots), an increment then a bit test,
    // and an `and` result kept in a local (not fused away): each branch taken exactly when the bits say.
    let wat = r#"(module
      (func (export "f") (param $x i32) (param $y i32) (result i32) (local $t i32) (local $r i32)
        (if (i32.and (local.get $x) (i32.const 4)) (then (local.set $r (i32.const 1))))
        (if (i32.eqz (i32.and (local.get $x) (i32.const 8))) (then (local.set $r (i32.or (local.get $r) (i32.const 2)))))
        (block $b (br_if $b (i32.and (local.get $x) (local.get $y)))
          (local.set $r (i32.or (local.get $r) (i32.const 4))))
        (block $c (br_if $c (i32.eqz (i32.and (local.get $y) (i32.const -2147483648))))
          (local.set $r (i32.or (local.get $r) (i32.const 8))))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (if (i32.and (local.get $x) (i32.const 1)) (then (local.set $r (i32.or (local.get $r) (i32.const 16)))))
        (if (local.tee $t (i32.and (local.get $x) (i32.const 3))) (then (local.set $r (i32.or (local.get $r) (i32.const 32)))))
        (i32.add (local.get $r) (i32.shl (local.get $t) (i32.const 8)))))"#;
    let expect = |x: i32, y: i32| {
        let mut r = 0;
        r |= if x & 4 != 0 { 1 } else { 0 };
        r |= if x & 8 == 0 { 2 } else { 0 };
        r |= if x & y == 0 { 4 } else { 0 };
        r |= if y & i32::MIN != 0 { 8 } else { 0 };
        let x1 = x.wrapping_add(1);
        r |= if x1 & 1 != 0 { 16 } else { 0 };
        let t = x1 & 3;
        r |= if t != 0 { 32 } else { 0 };
        r + (t << 8)
    };
    for x in [0, 1, 3, 4, 7, 8, 12, 15, -1, i32::MIN, i32::MAX] {
        for y in [0, 1, 4, 8, -1, i32::MIN] {
            assert_eq!(call(wat, &[Val::I32(x), Val::I32(y)]), vec![Val::I32(expect(x, y))], "x={x} y={y}");
        }
    }
    // And it is one instruction: the `and` and its branch fuse.
    let engine = Engine::new(wasmvm::Config { disassembly: true, ..Default::default() });
    let module = Module::new(&engine, &wat::parse_str(wat).unwrap()).unwrap();
    let names: Vec<String> = module.disassemble(0).unwrap().into_iter().map(|i| i.name).collect();
    assert_eq!(names.iter().filter(|n| n.starts_with("br_cmp_si<I32Test")).count(), 3, "{names:?}");
    assert_eq!(names.iter().filter(|n| n.starts_with("br_cmp_ss<I32Test")).count(), 1, "{names:?}");
    assert_eq!(names.iter().filter(|n| n.starts_with("add_br_cmp<I32Test")).count(), 1, "{names:?}");
}
