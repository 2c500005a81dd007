;; The accumulator (`exec` module docs): a temporary read only by the next instruction is handed over in a
;; machine register (`acc_out=true` on the producer, `acc_in=K` on the consumer), not through its slot.
(module
  (memory 1)
  (global $g (mut i32) (i32.const 0))
  ;; A chain: each result feeds the next instruction.
  (func $chain (param i32 i32 i32) (result i32)
    (i32.shl (i32.popcnt (i32.add (local.get 0) (local.get 1))) (local.get 2)))
  ;; The second operand from the accumulator (non-commutative).
  (func $second (param i32 i32) (result i32)
    (i32.sub (local.get 0) (i32.clz (local.get 1))))
  ;; A result kept in a local is stored, and handed over too: the next instruction reads the local from the
  ;; accumulator (its producer is not changed).
  (func $local (param i32) (result i32) (local i32)
    (local.set 1 (i32.add (local.get 0) (i32.const 1)))
    (i32.mul (local.get 1) (local.get 1)))
  ;; Not at a loop head, which is reached from the back edge as well: the multiplication reads its slot; the
  ;; comparison after it reads the accumulator.
  (func $local_loop (param i32) (result i32) (local i32)
    (local.set 1 (i32.add (local.get 0) (i32.const 1)))
    (loop $l
      (local.set 1 (i32.mul (local.get 1) (i32.const 3)))
      (br_if $l (i32.lt_u (local.get 1) (i32.const 1000))))
    (local.get 1))
  ;; The add would read the first load's result from the accumulator, but the second load absorbs it
  ;; (base + immediate addressing): the first load writes its slot again.
  (func $undone_by_address (param i32) (result i32)
    (i32.load (i32.add (i32.load (local.get 0)) (i32.const 8))))
  ;; The same when the comparison fuses into the branch.
  (func $undone_by_branch (param i32) (result i32)
    (block (br_if 0 (i32.lt_u (i32.load (local.get 0)) (i32.const 10))) (return (i32.const 1)))
    (i32.const 0))
  ;; `br_table` on a masked load (a bytecode interpreter's dispatch), and a computed value stored.
  (func $switch (param i32) (result i32)
    (block (block (block
      (br_table 0 1 2 (i32.and (i32.load8_u (local.get 0)) (i32.const 3))))
      (return (i32.const 10)))
      (return (i32.const 20)))
    (i32.store (local.get 0) (i32.mul (local.get 0) (local.get 0)))
    (i32.const 30))
  ;; Consumers without a result: a branch on a computed condition (also through `i32.eqz`), a global and
  ;; stores with base + immediate / base + scaled index addressing take the value from the accumulator.
  (func $br_if_or (param i32 i32) (result i32)
    (block (br_if 0 (i32.or (i32.load (local.get 0)) (local.get 1))) (return (i32.const 1)))
    (i32.const 0))
  (func $br_if_eqz (param i32 i32) (result i32)
    (block (br_if 0 (i32.eqz (i32.shr_u (local.get 0) (local.get 1)))) (return (i32.const 1)))
    (i32.const 0))
  (func $global_set (param i32) (result i32)
    (global.set $g (i32.mul (local.get 0) (local.get 0)))
    (global.get $g))
  (func $store_si (param i32 i32) (result i32)
    (i32.store8 (i32.add (local.get 0) (i32.const 16)) (i32.mul (local.get 1) (local.get 1)))
    (i32.load8_u offset=16 (local.get 0)))
  (func $store_ss (param i32 i32 i32) (result i32)
    (i32.store (i32.add (local.get 0) (i32.shl (local.get 1) (i32.const 2))) (i32.xor (local.get 2) (i32.const 0xff)))
    (i32.load (i32.add (local.get 0) (i32.shl (local.get 1) (i32.const 2)))))
  ;; `select` with its condition, first or second value from the accumulator; its result goes on in it.
  (func $select_cond (param i32 i32 i32) (result i32)
    (i32.add (select (local.get 1) (local.get 2) (i32.rem_u (local.get 0) (i32.const 3))) (i32.const 1)))
  (func $select_a (param i32 i32 i32) (result i32)
    (select (i32.mul (local.get 0) (local.get 1)) (local.get 1) (local.get 2)))
  (func $select_b (param i32 i32 i32) (result i32)
    (select (local.get 1) (i32.mul (local.get 0) (local.get 1)) (local.get 2)))
  ;; A fused pair reads its first operand from the accumulator; `c - (x INNER y)` is `I32SubFrom`.
  (func $bin2_chain (param i32 i32) (result i32)
    (i32.sub (i32.const 100) (i32.xor (i32.add (i32.mul (local.get 0) (local.get 1)) (local.get 0)) (i32.const 7))))
  (func $bin2_load (param i32 i32) (result i32)
    (i32.sub (local.get 1) (i32.shl (i32.load (local.get 0)) (i32.const 2))))
  ;; A call's single result is read from the accumulator by the next instruction (its slot is written too).
  (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
  (func $call_result (param i32) (result i32)
    (i32.sub (call $sq (call $sq (local.get 0))) (i32.const 1)))
  ;; Addresses: the index of a base + scaled index load from the accumulator (zlib's `prev[cur & mask]`),
  ;; its base (a pointer just loaded), the base of a base + constant load, an `add_shl` kept in a local.
  (func $index_from_acc (param i32 i32 i32) (result i32)
    (i32.load16_u (i32.add (local.get 0) (i32.shl (i32.and (local.get 1) (local.get 2)) (i32.const 1)))))
  (func $base_from_acc (param i32 i32) (result i32)
    (i32.load (i32.add (i32.load (local.get 0)) (i32.shl (local.get 1) (i32.const 2)))))
  (func $base_minus (param i32) (result i32)
    (i32.load (i32.add (i32.load (local.get 0)) (i32.const -60))))
  (func $add_shl_index (param i32 i32 i32) (result i32) (local i32)
    (local.set 3 (i32.add (local.get 0) (i32.shl (i32.xor (local.get 1) (local.get 2)) (i32.const 1))))
    (i32.mul (local.get 3) (i32.const 3)))
  ;; Undone: the branch takes the load (the index's producer writes its slot again), the store takes the
  ;; address computed before its value.
  (func $branch_on_byte (param i32 i32) (result i32)
    (block (br_if 0 (i32.load8_u (i32.add (local.get 0) (i32.load8_u (local.get 1)))))
      (return (i32.const -1)))
    (i32.const 1))
  ;; Stores: the base of base + index, the index, the whole address, the base of base + constant from the
  ;; accumulator; the first of two stores joined (`store_pair` reads the address's slot).
  (func $store_at_loaded_base (param i32 i32 i32)
    (i32.store8 (i32.add (i32.load (local.get 0)) (local.get 1)) (local.get 2)))
  (func $store_index (param i32 i32 i32)
    (i32.store (i32.add (local.get 0) (i32.shl (i32.and (local.get 1) (i32.const 3)) (i32.const 2))) (local.get 2)))
  (func $store_at_loaded (param i32 i32)
    (i32.store offset=4 (i32.load (local.get 0)) (local.get 1)))
  (func $store_below_loaded (param i32 i32)
    (i32.store16 (i32.add (i32.load (local.get 0)) (i32.const -2)) (local.get 1)))
  (func $store_two (param i32 i32 i32 i32)
    (i32.store (i32.load (local.get 0)) (local.get 1))
    (i32.store (local.get 2) (local.get 3)))
  (func $store_under_value (param i32 i32 i32)
    (i32.store
      (i32.add (i32.load (local.get 0)) (i32.shl (local.get 1) (i32.const 2)))
      (i32.mul (local.get 2) (local.get 2))))
)
