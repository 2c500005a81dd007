;; Addresses computed just before the access, read from the accumulator: a load or store of base plus
;; scaled index (`load_ss`, `store_ss`) whose base or index was the last instruction's result, of base plus
;; constant (`load_si`, `store_si`) or to an address in a slot (`store`) whose base was, and an `i32.add` of
;; a shifted index kept for later (`add_shl`). And the pairings undone when a later fusion removes the access (`vm/tests/disas/accumulator.wat` shows the
;; translations).
(module
  (memory 1)
  ;; i32 table at 0: 16, 32, 48, 64; bytes 1..16 at 64; u16 chain table at 128; i64s at 256.
  (data (i32.const 0) "\10\00\00\00\20\00\00\00\30\00\00\00\40\00\00\00")
  (data (i32.const 64) "\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10")
  (data (i32.const 128) "\05\00\03\00\01\00\06\00\02\00\00\00\07\00\04\00")
  (data (i32.const 256) "\01\00\00\00\00\00\00\80\02\00\00\00\00\00\00\00")
  ;; Pointers to scratch space at 32 and 36: 1024, 2048.
  (data (i32.const 32) "\00\04\00\00\00\08\00\00")
  ;; zlib's hash chain: `cur = prev[cur & mask]`, the masked index handed to the load (shift 1).
  (func (export "chain16") (param $cur i32) (param $n i32) (result i32) (local $sum i32) (local $mask i32) (local $base i32)
    (local.set $mask (i32.const 7))
    (local.set $base (i32.const 128))
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $cur
          (i32.load16_u (i32.add (local.get $base) (i32.shl (i32.and (local.get $cur) (local.get $mask)) (i32.const 1)))))
        (local.set $sum (i32.add (local.get $sum) (local.get $cur)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $sum))
  ;; The base from the accumulator (a pointer just loaded), the index from a slot, shift 2.
  (func (export "base_loaded") (param $pp i32) (param $i i32) (result i32)
    (i32.load (i32.add (i32.load (local.get $pp)) (i32.shl (local.get $i) (i32.const 2)))))
  ;; The index from the accumulator, shifts 0, 2 and 3 (an i64 load), and base + index with no shift.
  (func (export "index_and0") (param $base i32) (param $i i32) (param $m i32) (result i32)
    (i32.load8_u (i32.add (local.get $base) (i32.and (local.get $i) (local.get $m)))))
  (func (export "index_and2") (param $base i32) (param $i i32) (result i32)
    (i32.load (i32.add (local.get $base) (i32.shl (i32.and (local.get $i) (i32.const 3)) (i32.const 2)))))
  (func (export "index_i64") (param $i i32) (param $x i32) (result i64)
    (i64.load offset=256 (i32.add (i32.const 0) (i32.shl (i32.xor (local.get $i) (local.get $x)) (i32.const 3)))))
  (func (export "index_signed") (param $base i32) (param $i i32) (result i32)
    (i32.load8_s (i32.add (local.get $base) (i32.add (local.get $i) (i32.const 8)))))
  ;; The index wraps: base + (index << k) is a 32-bit sum.
  (func (export "index_wraps") (param $i i32) (result i32)
    (i32.load8_u (i32.add (i32.const 76) (i32.shl (i32.or (local.get $i) (i32.const 0)) (i32.const 2)))))
  ;; A local written just before (`local.tee`), read again afterwards: its slot is written too.
  (func (export "index_tee") (param $base i32) (param $i i32) (result i32) (local $j i32)
    (i32.add
      (i32.load (i32.add (local.get $base) (i32.shl (local.tee $j (i32.and (local.get $i) (i32.const 3))) (i32.const 2))))
      (local.get $j)))
  ;; Base plus a constant (`load_si`, 32-bit wrap), the base just loaded.
  (func (export "base_minus") (param $pp i32) (result i32)
    (i32.load (i32.add (i32.load (local.get $pp)) (i32.const -60))))
  ;; `add_shl` kept in a local (read twice), its base or its index from the accumulator.
  (func (export "add_shl_base") (param $pp i32) (param $i i32) (result i32) (local $p i32)
    (local.set $p (i32.add (i32.load (local.get $pp)) (i32.shl (local.get $i) (i32.const 3))))
    (i32.add (local.get $p) (i32.load8_u (local.get $p))))
  (func (export "add_shl_index") (param $base i32) (param $i i32) (param $x i32) (result i32) (local $p i32)
    (local.set $p (i32.add (local.get $base) (i32.shl (i32.xor (local.get $i) (local.get $x)) (i32.const 1))))
    (i32.mul (local.get $p) (i32.const 3)))
  ;; Undone: a branch on the loaded byte takes the load (`load_br_ss` reads the index's slot again), and a
  ;; store whose value is computed after its address takes the address (`store_ss`).
  (func (export "branch_on_byte") (param $base i32) (param $p i32) (result i32)
    (block (br_if 0 (i32.load8_u (i32.add (local.get $base) (i32.load8_u (local.get $p)))))
      (return (i32.const -1)))
    (i32.const 1))
  (func (export "store_under_value") (param $pp i32) (param $i i32) (param $v i32) (result i32)
    (i32.store
      (i32.add (i32.load (local.get $pp)) (i32.shl (local.get $i) (i32.const 2)))
      (i32.mul (local.get $v) (local.get $v)))
    (i32.load (i32.add (i32.load (local.get $pp)) (i32.shl (local.get $i) (i32.const 2)))))
  ;; The index just loaded, shift 0.
  (func (export "index_loaded") (param $base i32) (param $p i32) (result i32)
    (i32.load8_u (i32.add (local.get $base) (i32.load8_u (local.get $p)))))
  ;; Stores: the base (just loaded) of base + index, the index (masked and scaled), the whole address, the
  ;; base of base + constant; a store paired with the next one (`store_pair` reads the address's slot).
  (func (export "store_at_loaded_base") (param $pp i32) (param $i i32) (param $v i32) (result i32)
    (i32.store8 (i32.add (i32.load (local.get $pp)) (local.get $i)) (local.get $v))
    (i32.load8_u (i32.add (i32.const 1024) (local.get $i))))
  (func (export "store_index") (param $base i32) (param $i i32) (param $v i32) (result i32)
    (i32.store (i32.add (local.get $base) (i32.shl (i32.and (local.get $i) (i32.const 3)) (i32.const 2))) (local.get $v))
    (i32.load (i32.add (local.get $base) (i32.mul (i32.and (local.get $i) (i32.const 3)) (i32.const 4)))))
  (func (export "store_at_loaded") (param $pp i32) (param $v i32) (result i32)
    (i32.store offset=4 (i32.load (local.get $pp)) (local.get $v))
    (i32.load (i32.add (i32.load (local.get $pp)) (i32.const 4))))
  (func (export "store_below_loaded") (param $pp i32) (param $v i32) (result i32)
    (i32.store16 (i32.add (i32.load (local.get $pp)) (i32.const -2)) (local.get $v))
    (i32.load16_u (i32.sub (i32.load (local.get $pp)) (i32.const 2))))
  (func (export "store_two") (param $pp i32) (param $v i32) (param $q i32) (param $w i32) (result i32)
    (i32.store (i32.load (local.get $pp)) (local.get $v))
    (i32.store (local.get $q) (local.get $w))
    (i32.add (i32.load (i32.load (local.get $pp))) (i32.load (local.get $q))))
  ;; Out of bounds with the index from the accumulator.
  (func (export "index_oob") (param $i i32) (result i32)
    (i32.load (i32.add (i32.const 65532) (i32.shl (i32.and (local.get $i) (i32.const 0xff)) (i32.const 2)))))
)

(assert_return (invoke "chain16" (i32.const 1) (i32.const 5)) (i32.const 22))
(assert_return (invoke "chain16" (i32.const 9) (i32.const 5)) (i32.const 22))
(assert_return (invoke "chain16" (i32.const 5) (i32.const 3)) (i32.const 5))
(assert_return (invoke "chain16" (i32.const 1) (i32.const 0)) (i32.const 0))
(assert_return (invoke "base_loaded" (i32.const 12) (i32.const 0)) (i32.const 0x04030201))
(assert_return (invoke "base_loaded" (i32.const 12) (i32.const 2)) (i32.const 0x0c0b0a09))
(assert_return (invoke "index_and0" (i32.const 64) (i32.const 0x1f) (i32.const 0x0f)) (i32.const 16))
(assert_return (invoke "index_and0" (i32.const 64) (i32.const 0x13) (i32.const 0x0e)) (i32.const 3))
(assert_return (invoke "index_and2" (i32.const 0) (i32.const 6)) (i32.const 48))
(assert_return (invoke "index_and2" (i32.const 64) (i32.const 7)) (i32.const 0x100f0e0d))
(assert_return (invoke "index_i64" (i32.const 0) (i32.const 0)) (i64.const 0x8000000000000001))
(assert_return (invoke "index_i64" (i32.const 3) (i32.const 2)) (i64.const 2))
(assert_return (invoke "index_signed" (i32.const 64) (i32.const 7)) (i32.const 16))
(assert_return (invoke "index_signed" (i32.const 0) (i32.const -8)) (i32.const 16))
(assert_return (invoke "index_wraps" (i32.const 0x40000000)) (i32.const 0x0d))
(assert_return (invoke "index_wraps" (i32.const 0x3ffffff0)) (i32.const 0x40))
(assert_return (invoke "index_tee" (i32.const 0) (i32.const 6)) (i32.const 50))
(assert_return (invoke "index_tee" (i32.const 0) (i32.const 3)) (i32.const 67))
(assert_return (invoke "base_minus" (i32.const 12)) (i32.const 32))
(assert_trap (invoke "base_minus" (i32.const 0)) "out of bounds memory access")
(assert_return (invoke "add_shl_base" (i32.const 12) (i32.const 1)) (i32.const 81))
(assert_return (invoke "add_shl_base" (i32.const 0) (i32.const 6)) (i32.const 65))
(assert_return (invoke "add_shl_index" (i32.const 100) (i32.const 5) (i32.const 3)) (i32.const 336))
(assert_return (invoke "add_shl_index" (i32.const 0) (i32.const -1) (i32.const 0)) (i32.const -6))
(assert_return (invoke "branch_on_byte" (i32.const 63) (i32.const 64)) (i32.const 1))
(assert_return (invoke "branch_on_byte" (i32.const 62) (i32.const 66)) (i32.const 1))
(assert_return (invoke "branch_on_byte" (i32.const 200) (i32.const 64)) (i32.const -1))
(assert_return (invoke "store_under_value" (i32.const 12) (i32.const 120) (i32.const 7)) (i32.const 49))
(assert_return (invoke "store_under_value" (i32.const 12) (i32.const 121) (i32.const -3)) (i32.const 9))
(assert_return (invoke "index_loaded" (i32.const 63) (i32.const 64)) (i32.const 1))
(assert_return (invoke "index_loaded" (i32.const 62) (i32.const 66)) (i32.const 2))
(assert_return (invoke "index_loaded" (i32.const 64) (i32.const 79)) (i32.const 0))
(assert_return (invoke "index_oob" (i32.const 0x100)) (i32.const 0))
(assert_trap (invoke "index_oob" (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "index_oob" (i32.const 0x1ff)) "out of bounds memory access")
(assert_return (invoke "store_at_loaded_base" (i32.const 32) (i32.const 5) (i32.const 0x1ff)) (i32.const 0xff))
(assert_return (invoke "store_at_loaded_base" (i32.const 32) (i32.const 6) (i32.const 7)) (i32.const 7))
(assert_return (invoke "store_index" (i32.const 1100) (i32.const 7) (i32.const -5)) (i32.const -5))
(assert_return (invoke "store_index" (i32.const 1100) (i32.const 4) (i32.const 99)) (i32.const 99))
(assert_return (invoke "store_at_loaded" (i32.const 36) (i32.const 123456)) (i32.const 123456))
(assert_return (invoke "store_below_loaded" (i32.const 36) (i32.const 0x12345)) (i32.const 0x2345))
(assert_trap (invoke "store_below_loaded" (i32.const 40) (i32.const 1)) "out of bounds memory access")
(assert_return (invoke "store_two" (i32.const 32) (i32.const 11) (i32.const 1500) (i32.const 22)) (i32.const 33))
(assert_return (invoke "store_two" (i32.const 36) (i32.const -1) (i32.const 2048) (i32.const 5)) (i32.const 10))
