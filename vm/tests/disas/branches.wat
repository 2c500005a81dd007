;; Control flow: compare-and-branch fusion, increment-compare-branch loops, tables.
(module
  ;; `br_if` on a comparison: one br_cmp (slot-slot, then slot-immediate with the operands swapped).
  (func $cmp_branch (param i32 i32) (result i32)
    (block $out
      (br_if $out (i32.lt_u (local.get 0) (local.get 1)))
      (br_if $out (i32.gt_s (i32.const 5) (local.get 0)))
      (return (i32.const 1)))
    (i32.const 0))
  ;; `if` branches over its body when the condition is false.
  (func $if_else (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0))
      (then (i32.const 1))
      (else (i32.const 2))))
  ;; `i32.eqz` + `br_if`: the branch tests zero itself.
  (func $eqz_branch (param i32)
    (block $out (br_if $out (i32.eqz (local.get 0))) (unreachable)))
  ;; A counting loop: increment, compare and back-edge in one add_br_cmp (immediate step, slot bound).
  (func $count_up (param $n i32) (result i32) (local $i i32) (local $sum i32)
    (loop $l
      (local.set $sum (i32.add (local.get $sum) (local.get $i)))
      (br_if $l (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $sum))
  ;; Counting down to zero: increment and `!= 0` test in one add_br_cmp.
  (func $count_down (param $n i32) (result i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.xor (local.get $acc) (local.get $n)))
      (br_if $l (local.tee $n (i32.add (local.get $n) (i32.const -1)))))
    (local.get $acc))
  ;; Increment by a slot, then `== 0`.
  (func $step_eqz (param $x i32) (param $step i32) (result i32)
    (block $out
      (loop $l
        (br_if $out (i32.eqz (local.tee $x (i32.add (local.get $x) (local.get $step)))))
        (br $l)))
    (local.get $x))
  (func $table (param i32) (result i32)
    (block $c (block $b (block $a
      (br_table $a $b $c (local.get 0)))
      (return (i32.const 10)))
      (return (i32.const 20)))
    (i32.const 30))
  ;; A `switch` whose cases start at 3: the subtraction joins the table (`br_table_add`).
  (func $table_biased (param i32) (result i32)
    (block $c (block $b (block $a
      (br_table $a $b $c (i32.sub (local.get 0) (i32.const 3))))
      (return (i32.const 10)))
      (return (i32.const 20)))
    (i32.const 30))
;; A bit test fused into its branch: `if (x & 4)` and `if !(x & 8)` (br_cmp_si<I32Test>), `br_if` on
  ;; `x & y` (br_cmp_ss<I32Test>); an `and` kept in a local (`local.tee`) is not fused away.
  (func $bit_test (param $x i32) (param $y i32) (result i32) (local $t i32)
    (if (i32.and (local.get $x) (i32.const 4)) (then (return (i32.const 1))))
    (if (i32.eqz (i32.and (local.get $x) (i32.const 8))) (then (return (i32.const 2))))
    (block $b (br_if $b (i32.and (local.get $x) (local.get $y))) (return (i32.const 3)))
    (if (local.tee $t (i32.and (local.get $x) (i32.const 3))) (then (return (local.get $t))))
    (i32.const 0))
  ;; A copy right before an unconditional branch is one `copy_br`: a loop-carried value before the jump
  ;; back, an `if` arm's result before the jump to the end.
  (func $copy_jump (param $n i32) (param $c i32) (result i32) (local $a i32) (local $b i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $b (i32.add (local.get $a) (local.get $b)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (local.set $a (local.get $b))
        (br $l)))
    (if (result i32) (local.get $c) (then (local.get $a)) (else (local.get $b))))
  ;; Pointers stepped and a count down to zero: `add3_br` (memcmp's loop), `add2_br` on the `eqz` of the
  ;; count, and three additions feeding a call (`add3`).
  (func $step (param $p i32) (param $q i32) (param $n i32) (result i32)
    (loop $l
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (block $out
      (loop $m
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br_if $out (i32.eqz (local.tee $n (i32.add (local.get $n) (i32.const 1)))))
        (br $m)))
    (call $step (i32.add (local.get $p) (i32.const 1)) (i32.add (local.get $q) (i32.const 2)) (i32.sub (local.get $n) (i32.const 3))))
  ;; Constants joined to what follows: a default set before a test (`const_br_if`, also through an `eqz`),
  ;; two in a row (`constant2`), one before a jump (`const_br`); none across a label.
  (func $const_join (param $c i32) (result i32) (local $x i32) (local $y i32)
    (block $out
      (local.set $x (i32.const 7))
      (br_if $out (local.get $c))
      (local.set $x (i32.const -1))
      (br_if $out (i32.eqz (local.get $c)))
      (local.set $x (i32.const 1))
      (local.set $y (i32.const 2)))
    (local.set $y (i32.const 3))
    (if (result i32) (local.get $c) (then (i32.const 4)) (else (local.get $y))))
)
