;; Numeric translation: operands in place, immediates, folding, result retargeting and fused pairs.
(module
  ;; `local.get` emits nothing; the result goes straight into the local (retargeted by `local.set`).
  (func $add_into_local (param i32 i32) (result i32) (local i32)
    (local.set 2 (i32.add (local.get 0) (local.get 1)))
    (local.get 2))
  ;; Constants become immediates (slot-immediate, and immediate-slot for a non-commutative op); constant
  ;; operands fold.
  (func $immediates (param i32) (result i32)
    (i32.sub (i32.const 100) (i32.mul (local.get 0) (i32.add (i32.const 2) (i32.const 3)))))
  ;; A division by a constant zero cannot fold: it is evaluated at run time (and traps).
  (func $no_fold_trap (result i32)
    (i32.div_u (i32.const 1) (i32.const 0)))
  ;; `a + (b << 2)`: one add_shl.
  (func $add_shl (param i32 i32) (result i32)
    (i32.add (local.get 0) (i32.shl (local.get 1) (i32.const 2))))
  ;; `(a * b) + c` and `c - (a ^ 7)`: two operations in one bin2 (plain and swapped, immediate b).
  (func $pairs (param i32 i32 i32) (result i32)
    (i32.sub (local.get 2)
      (i32.xor (i32.add (i32.mul (local.get 0) (local.get 1)) (local.get 2)) (i32.const 7))))
  ;; Unary operations and conversions.
  (func $unary (param i64) (result f64)
    (f64.convert_i64_s (i64.popcnt (local.get 0))))
  ;; Two copies in a row become one copy2 (a swap through a temporary).
  (func $swap (param i32 i32) (result i32) (local i32)
    (local.set 2 (local.get 0))
    (local.set 0 (local.get 1))
    (local.set 1 (local.get 2))
    (i32.sub (local.get 0) (local.get 1)))
  (func $multi (param i32 i32) (result i32 i32)
    (local.get 1) (local.get 0))
  (func $const (result i64) (i64.const -1))
  (func $select (param i32 i32 i32) (result i32)
    (select (local.get 0) (local.get 1) (local.get 2)))
  ;; `select` on a comparison computed last: one select_cmp (immediate, then slot right-hand side).
  (func $select_cmp (param i32 i32 i32) (result i32)
    (i32.add
      (select (i32.add (local.get 0) (local.get 1)) (i32.sub (local.get 0) (local.get 1))
              (i32.lt_s (local.get 2) (i32.const 10)))
      (select (i32.add (local.get 0) (local.get 1)) (i32.sub (local.get 0) (local.get 1))
              (i32.ge_u (local.get 2) (local.get 0)))))
  ;; With locals as the selected values: they are read in place, so nothing comes between the comparison
  ;; and the select, which fuse.
  (func $select_cmp_locals (param i32 i32 i32) (result i32)
    (i32.add
      (select (local.get 0) (local.get 1) (i32.lt_s (local.get 2) (i32.const 10)))
      (select (local.get 0) (local.get 1) (i32.ge_u (local.get 2) (local.get 0)))))
  ;; `select` with a constant value: `select_imm` (the first or the second an immediate; with both
  ;; constant, the first is materialised); a comparison just computed comes in the accumulator.
  (func $select_imm (param i32 i32 i32) (result i32)
    (i32.add
      (i32.add (select (local.get 0) (i32.const 0) (local.get 2))
               (select (i32.const -1) (local.get 1) (local.get 2)))
      (select (i32.const 5) (i32.const 7) (i32.lt_s (local.get 0) (local.get 1)))))
  ;; Additions of constants one after the other: independent ones are one `add2`; `(x + 8) + 16` is
  ;; `x + 24`.
  (func $add_imm (param i32 i32) (result i32)
    (i32.add
      (i32.add (i32.add (local.get 0) (i32.const 4)) (i32.add (local.get 1) (i32.const 8)))
      (i32.add (i32.add (local.get 0) (i32.const 8)) (i32.const 16))))
  ;; `i64.extend_i32_u` emits nothing (an i32 in a slot is zero-extended): the shift reads the parameter
  ;; in place. `i32.wrap_i64` is an instruction where its result is passed on as it is (extended again).
  (func $extend_u (param i32 i64) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get 0)) (i64.const 32))
            (i64.extend_i32_u (i32.wrap_i64 (local.get 1)))))
  ;; ... but not where an i32 operation consumes it (they read only the low half of a slot): the rotate
  ;; reads the local, the add the shift's result, the comparison (fused into the branch) the local.
  (func $wrap_consumed (param i64 i32) (result i32)
    (block
      (br_if 0 (i32.lt_u (i32.wrap_i64 (local.get 0)) (local.get 1)))
      (local.set 1 (i32.rotl (i32.wrap_i64 (local.get 0)) (i32.const 16))))
    (i32.add (local.get 1) (i32.wrap_i64 (i64.shr_u (local.get 0) (i64.const 32)))))
  ;; A shift or rotation by a constant of an inner result: one bin2 (`rotr` by k is `rotl` by 32 - k; counts
  ;; masked); a left shift by 2 stays apart when an addition makes it an index (add_shl).
  (func $shift_pairs (param i32 i32) (result i32)
    (i32.add
      (i32.rotl (i32.xor (local.get 0) (local.get 1)) (i32.const 16))
      (i32.rotr (i32.add (local.get 0) (i32.const 5)) (i32.const 39))))
  (func $shift_index (param i32 i32) (result i32)
    (i32.add (local.get 0) (i32.shl (i32.and (local.get 1) (i32.const 255)) (i32.const 2))))
)
