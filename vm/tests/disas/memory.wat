;; Memory addressing fusions on a private memory.
(module
  (memory 1)
  ;; `base + index` and `base + (index << 2)` fused into the access; `base + constant` as an immediate;
  ;; a constant address as an absolute one.
  (func $loads (param $base i32) (param $i i32) (result i32)
    (i32.add
      (i32.add (i32.load (i32.add (local.get $base) (local.get $i)))
               (i32.load offset=4 (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2)))))
      (i32.add (i32.load8_u (i32.add (local.get $base) (i32.const 16)))
               (i32.load16_s (i32.const 1024)))))
  ;; Two loads in a row: one load_pair (pointer chasing: the second reads the first's result, `dep=true`).
  (func $chase (param $p i32) (result i32)
    (i32.load offset=8 (i32.load offset=4 (local.get $p))))
  ;; A load feeding a branch: load_br / load_br_ss.
  (func $load_branch (param $p i32) (param $i i32) (result i32)
    (block $out
      (br_if $out (i32.load (local.get $p)))
      (br_if $out (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $i)))))
      (br_if $out (i32.load16_u offset=2 (i32.add (local.get $p) (local.get $i))))
      (return (i32.const 1)))
    (i32.const 0))
  ;; Stores: fused addresses with slot and immediate values, absolute addresses, and an address computed
  ;; just before the value.
  (func $stores (param $base i32) (param $i i32) (param $v i64)
    (i64.store (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 3))) (local.get $v))
    (i32.store (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2))) (i32.const 7))
    (i32.store8 (i32.add (local.get $base) (i32.const 3)) (local.get $i))
    (i32.store16 (i32.add (local.get $base) (i32.const 5)) (i32.const 9))
    (i32.store (i32.const 64) (local.get $i))
    (i32.store (i32.const 68) (i32.const 1))
    (i32.store (local.get $base) (i32.const 2))
    (i32.store (i32.add (local.get $base) (local.get $i)) (i32.mul (local.get $i) (local.get $i))))
  (func $bulk (param i32 i32 i32) (result i32)
    (memory.copy (local.get 0) (local.get 1) (local.get 2))
    (memory.fill (local.get 0) (i32.const 0) (local.get 2))
    (drop (memory.grow (i32.const 1)))
    (memory.size))
  ;; Two loads compared for equality and branched on: one `load_pair_br` (which still writes both values).
  (func $compare_bytes (param i32 i32) (result i32)
    (block $differ
      (br_if $differ (i32.ne (i32.load8_u (local.get 0)) (i32.load8_u (local.get 1))))
      (return (i32.const 1)))
    (i32.const 0))
;; A 32-bit load compared and branched on: one `load_br_cmp`, with the value on either side (`k > load`
  ;; is `load < k`) and against a constant; a load through a base and index is not fused.
  (func $load_compare (param i32 i32) (result i32)
    (block $out
      (br_if $out (i32.lt_u (i32.load offset=8 (local.get 0)) (local.get 1)))
      (br_if $out (i32.gt_s (local.get 1) (i32.load (local.get 0))))
      (br_if $out (i32.ne (i32.load (local.get 1)) (i32.const 7)))
      (br_if $out (i32.eq (i32.load (i32.add (local.get 0) (local.get 1))) (local.get 1)))
      (return (i32.const 1)))
    (i32.const 0))
  ;; A loaded value stored with the same width (nothing else reads it) is one `load_store`; two stores of
  ;; one width in a row are one `store_pair`; a value kept in a local is loaded and stored apart.
  (func $moves (param $to i32) (param $from i32) (param $x i32) (local $v i64)
    (i64.store (local.get $to) (i64.load (local.get $from)))
    (i32.store offset=8 (local.get $to) (local.get $x))
    (i32.store offset=12 (local.get $to) (local.get $from))
    (i64.store offset=16 (local.get $to) (local.tee $v (i64.load offset=16 (local.get $from))))
    (i64.store8 offset=24 (local.get $to) (local.get $v))
    ;; The load's address computed just before it: handed over in the accumulator.
    (i64.store offset=32 (local.get $to) (i64.load (i32.add (i32.shl (local.get $x) (i32.const 4)) (local.get $from)))))
  ;; A `switch` on a byte loaded from a table indexed just before, minus 1: load, addition and table are
  ;; one `load_br_table` (its address in the accumulator).
  (func $table_loaded (param i32) (result i32)
    (block $c (block $b (block $a
      (br_table $a $b $c (i32.add (i32.load8_u offset=16 (i32.shl (local.get 0) (i32.const 1))) (i32.const -1))))
      (return (i32.const 10)))
      (return (i32.const 20)))
    (i32.const 30))
  ;; A bytecode loop whose cases jump back to its `load_br_table`: the first jump stays a `br`, the second
  ;; is a copy of the loop head (the opcode fetch and the table).
  (func $interp (param $pc i32) (param $acc i32) (result i32)
    (block $halt
      (loop $next
        (block $sub (block $add
          (br_table $halt $add $sub $halt (i32.load8_u (local.get $pc))))
          (local.set $acc (i32.add (local.get $acc) (i32.const 1)))
          (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
          (br $next))
        (local.set $acc (i32.sub (local.get $acc) (i32.const 1)))
        (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
        (br $next)))
    (local.get $acc))
  ;; Counters updated in place: `*p += 1`, `p[i] |= m` with the address computed just before (in the
  ;; accumulator), a byte: each one `load_op_store`.
  (func $update (param $p i32) (param $i i32) (local $a i32)
    (i32.store (local.get $p) (i32.add (i32.load (local.get $p)) (i32.const 1)))
    (i32.store
      (local.tee $a (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2))))
      (i32.or (i32.load (local.get $a)) (local.get $i)))
    (i32.store8 offset=8 (local.get $p) (i32.sub (i32.load8_u offset=8 (local.get $p)) (i32.const 1))))
  ;; Two independent loads in a row: one load_pair (`dep=false`).
  (func $load_pair_independent (param i32 i32) (result i32)
    (i32.sub (i32.load (local.get 0)) (i32.load offset=4 (local.get 1))))
)
