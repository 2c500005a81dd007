;; Memory64: accesses to a 64-bit memory 0 use the `_m` families with `m64=true` and `reg=true` (the base
;; and length stay in the handlers' registers; the address is an i64 and the bounds check is done in 128
;; bits, so `address + offset` past 2^64 traps). Offsets are 64-bit; sizes and grow deltas are i64.
;; An i64 loop increment fuses with its compare and branch (`add_br_cmp64`).
(module
  (memory i64 1)
  (func $access (param $p i64) (param $v i32) (result i32)
    (i32.store offset=0x100000000 (local.get $p) (local.get $v))
    (i32.load16_u offset=2 (i64.add (local.get $p) (i64.const 8))))
  (func $sizes (param $n i64) (result i64)
    (drop (memory.grow (local.get $n)))
    (memory.fill (i64.const 0) (i32.const 0) (local.get $n))
    (memory.copy (i64.const 0) (i64.const 8) (local.get $n))
    (memory.size))
  (func $vectors (param $p i64) (param $v v128) (result v128)
    (v128.store8_lane 3 (local.get $p) (local.get $v))
    (v128.load32_splat (local.get $p)))
;; A loop counting in i64 (as memory64 code does): its increment fuses with the compare and branch.
  (func $loop (param $p i64) (param $n i64) (result i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (local.get $acc) (i32.load (local.get $p))))
      (br_if $l (i64.lt_u (local.tee $p (i64.add (local.get $p) (i64.const 4))) (local.get $n))))
    (local.get $acc))
  (func $atomics (param $p i64) (result i64)
    (i64.atomic.rmw.add (local.get $p) (i64.const 1)))
)
