;; Two loads of one width in a row are one `load_pair`; when the second reads through the value the first
;; loaded (a pointer chase: `p->next->val`), it takes the address from the first value itself instead of
;; reading it back from the slot just written (`dep=true`). These check chains of two and three, a list
;; walked in a loop, narrow and signed loads as addresses, the pointer kept in a local, and traps in either
;; load (a bad pointer loaded by the first).
(module
  (memory 1)
  ;; nodes { next, val } at 0x100 -> 0x200 -> 0x300 -> 0; a bad pointer at 0x400; bytes at 0x500
  (data (i32.const 0x100) "\00\02\00\00\0b\00\00\00")
  (data (i32.const 0x200) "\00\03\00\00\16\00\00\00")
  (data (i32.const 0x300) "\00\00\00\00\21\00\00\00")
  (data (i32.const 0x400) "\f0\ff\ff\ff")
  (data (i32.const 0x500) "\10\ff")
  (data (i32.const 0x10) "\7f")
  (func (export "next_val") (param i32) (result i32)
    (i32.load offset=4 (i32.load (local.get 0))))
  (func (export "next_next") (param i32) (result i32)
    (i32.load offset=4 (i32.load (i32.load (local.get 0)))))
  (func (export "sum_list") (param $p i32) (result i32) (local $sum i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $p)))
        (local.set $sum (i32.add (local.get $sum) (i32.load offset=4 (local.get $p))))
        (local.set $p (i32.load (local.get $p)))
        (br $l)))
    (local.get $sum))
  (func (export "byte_chase") (param i32) (result i32)
    (i32.load8_u (i32.load8_u (local.get 0))))
  (func (export "byte_chase_s") (param i32) (result i32)
    (i32.load8_s (i32.load8_s (local.get 0))))
  (func (export "kept") (param $p i32) (result i32) (local $q i32)
    (local.set $q (i32.load (local.get $p)))
    (i32.add (local.get $q) (i32.load offset=4 (local.get $q))))
  (func (export "independent") (param $p i32) (param $q i32) (result i32)
    (i32.sub (i32.load (local.get $p)) (i32.load offset=4 (local.get $q))))
)

(assert_return (invoke "next_val" (i32.const 0x100)) (i32.const 22))
(assert_return (invoke "next_val" (i32.const 0x200)) (i32.const 33))
(assert_return (invoke "next_val" (i32.const 0x300)) (i32.const 0))
(assert_return (invoke "next_next" (i32.const 0x100)) (i32.const 33))
(assert_return (invoke "next_next" (i32.const 0x200)) (i32.const 0))
(assert_return (invoke "sum_list" (i32.const 0x100)) (i32.const 66))
(assert_return (invoke "sum_list" (i32.const 0x300)) (i32.const 33))
(assert_return (invoke "sum_list" (i32.const 0)) (i32.const 0))
(assert_return (invoke "byte_chase" (i32.const 0x500)) (i32.const 0x7f))
(assert_return (invoke "byte_chase" (i32.const 0x501)) (i32.const 0))
(assert_return (invoke "byte_chase_s" (i32.const 0x500)) (i32.const 0x7f))
(assert_trap (invoke "byte_chase_s" (i32.const 0x501)) "out of bounds memory access")
(assert_return (invoke "kept" (i32.const 0x100)) (i32.const 534))
(assert_return (invoke "independent" (i32.const 0x100) (i32.const 0x200)) (i32.const 490))
(assert_trap (invoke "next_val" (i32.const 0x400)) "out of bounds memory access")
(assert_trap (invoke "next_val" (i32.const 65533)) "out of bounds memory access")
(assert_trap (invoke "next_next" (i32.const 0x400)) "out of bounds memory access")
