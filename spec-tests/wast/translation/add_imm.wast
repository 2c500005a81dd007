;; Two additions of constants in a row (i32): independent ones run as one `add2` (first, then second),
;; and `(x + j) + k` is folded to `x + (j + k)` when `x + j` is a temporary. These check both results, 32-bit
;; wrapping, the first addition's operand in the accumulator, results kept in locals, and sequences the
;; fusion must leave alone (the second reading the first's local).
(module
  (memory 1)
  (data (i32.const 0) "\10\00\00\00")
  (func (export "pair") (param i32 i32) (result i32)
    (i32.sub (i32.add (local.get 0) (i32.const 1000)) (i32.add (local.get 1) (i32.const 7))))
  (func (export "fold") (param i32) (result i32)
    (i32.add (i32.add (local.get 0) (i32.const 88)) (i32.const 16)))
  (func (export "fold_wrap") (param i32) (result i64)
    (i64.extend_i32_u (i32.add (i32.add (local.get 0) (i32.const -1)) (i32.const -1))))
  (func (export "pair_wrap") (param i32 i32) (result i64)
    (i64.add
      (i64.extend_i32_u (i32.add (local.get 0) (i32.const 0x7fffffff)))
      (i64.extend_i32_u (i32.add (local.get 1) (i32.const -2)))))
  ;; The first addition's operand loaded just before (accumulator).
  (func (export "after_load") (param i32) (result i32)
    (i32.mul (i32.add (i32.load (local.get 0)) (i32.const 1)) (i32.add (local.get 0) (i32.const 2))))
  ;; Both results kept in locals (pointers stepped together), read after.
  (func (export "locals") (param i32 i32) (result i32)
    (local.set 0 (i32.add (local.get 0) (i32.const 4)))
    (local.set 1 (i32.add (local.get 1) (i32.const 8)))
    (i32.sub (local.get 1) (local.get 0)))
  ;; The second reads the local the first wrote: a chain, not a pair.
  (func (export "chain_local") (param i32) (result i32)
    (local.set 0 (i32.add (local.get 0) (i32.const 4)))
    (local.set 0 (i32.add (local.get 0) (i32.const 8)))
    (local.get 0))
  ;; The second's operand is the first's operand, written by the first (in place).
  (func (export "in_place") (param i32) (result i32) (local i32)
    (local.set 0 (i32.add (local.get 0) (i32.const 3)))
    (local.set 1 (i32.add (local.get 0) (i32.const 5)))
    (i32.add (i32.mul (local.get 0) (i32.const 100)) (local.get 1)))
  ;; Three in a row: a pair and a single one; the last result goes on (accumulator).
  (func (export "three") (param i32 i32 i32) (result i32)
    (i32.add
      (i32.add (i32.add (local.get 0) (i32.const 1)) (i32.add (local.get 1) (i32.const 2)))
      (i32.add (local.get 2) (i32.const 3))))
  ;; A loop stepping two pointers and a counter.
  (func (export "loop") (param i32) (result i32) (local i32 i32)
    (loop $l
      (local.set 1 (i32.add (local.get 1) (i32.const 3)))
      (local.set 2 (i32.add (local.get 2) (i32.const 5)))
      (br_if $l (local.tee 0 (i32.add (local.get 0) (i32.const -1)))))
    (i32.add (i32.mul (local.get 1) (i32.const 1000)) (local.get 2)))
)
(assert_return (invoke "pair" (i32.const 5) (i32.const 3)) (i32.const 995))
(assert_return (invoke "fold" (i32.const 1)) (i32.const 105))
(assert_return (invoke "fold_wrap" (i32.const 1)) (i64.const 0xffffffff))
(assert_return (invoke "pair_wrap" (i32.const 2) (i32.const 1)) (i64.const 0x180000000))
(assert_return (invoke "after_load" (i32.const 0)) (i32.const 34))
(assert_return (invoke "locals" (i32.const 10) (i32.const 100)) (i32.const 94))
(assert_return (invoke "chain_local" (i32.const 1)) (i32.const 13))
(assert_return (invoke "in_place" (i32.const 1)) (i32.const 409))
(assert_return (invoke "three" (i32.const 10) (i32.const 20) (i32.const 30)) (i32.const 66))
(assert_return (invoke "loop" (i32.const 4)) (i32.const 12020))
