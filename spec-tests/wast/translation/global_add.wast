;; `global.set` of `x ± k` is one `global_add`, which also removes a `global.get` of the same global just
;; before (the shadow stack pointer's prologue `sp -= k` and epilogue `sp = x + k`). These check the
;; global and the local it is kept in, wrapping in 32 bits, and the cases that must not fuse the read.
(module
  (global $sp (mut i32) (i32.const 1024))
  (global $other (mut i32) (i32.const 7))
  (global $wide (mut i64) (i64.const 0))
  (func (export "sp") (result i32) (global.get $sp))
  (func (export "other") (result i32) (global.get $other))
  (func (export "set_sp") (param i32) (global.set $sp (local.get 0)))
  ;; Prologue and epilogue around a use of the frame: returns the frame's address.
  (func (export "frame") (param i32) (result i32) (local i32)
    (global.set $sp (local.tee 1 (i32.sub (global.get $sp) (i32.const 16))))
    (local.set 0 (i32.add (local.get 0) (local.get 1)))
    (global.set $sp (i32.add (local.get 1) (i32.const 16)))
    (local.get 0))
  ;; Only the prologue (the caller sees sp moved down).
  (func (export "push") (param i32) (result i32) (local i32)
    (global.set $sp (local.tee 1 (i32.sub (global.get $sp) (local.get 0))))
    (global.set $sp (local.tee 1 (i32.sub (global.get $sp) (i32.const 32))))
    (local.get 1))
  ;; The read kept in a local by `local.tee`: the local must hold the old value.
  (func (export "tee_get") (result i32) (local i32)
    (global.set $sp (i32.sub (local.tee 0 (global.get $sp)) (i32.const 8)))
    (i32.sub (local.get 0) (global.get $sp)))
  ;; A read of another global: not removed.
  (func (export "cross") (result i32)
    (global.set $other (i32.add (global.get $sp) (i32.const 3)))
    (global.get $other))
  ;; Wrapping: 0 - 16 is 0xfffffff0, and the result is an i32 (zero-extended in its slot).
  (func (export "wrap") (result i64)
    (global.set $sp (i32.const 0))
    (global.set $sp (i32.sub (global.get $sp) (i32.const 16)))
    (i64.extend_i32_u (global.get $sp)))
  ;; The new value goes on to the next instruction (the accumulator).
  (func (export "chained") (result i32) (local i32)
    (global.set $sp (local.tee 0 (i32.add (global.get $sp) (i32.const 100))))
    (i32.mul (local.get 0) (i32.const 2)))
  ;; i64 globals are left alone.
  (func (export "wide") (result i64)
    (global.set $wide (i64.sub (global.get $wide) (i64.const 16)))
    (global.get $wide))
)
(assert_return (invoke "frame" (i32.const 0)) (i32.const 1008))
(assert_return (invoke "sp") (i32.const 1024))
(assert_return (invoke "push" (i32.const 100)) (i32.const 892))
(assert_return (invoke "sp") (i32.const 892))
(invoke "set_sp" (i32.const 1024))
(assert_return (invoke "tee_get") (i32.const 8))
(assert_return (invoke "sp") (i32.const 1016))
(assert_return (invoke "cross") (i32.const 1019))
(assert_return (invoke "sp") (i32.const 1016))
(assert_return (invoke "wrap") (i64.const 0xfffffff0))
(invoke "set_sp" (i32.const 50))
(assert_return (invoke "chained") (i32.const 300))
(assert_return (invoke "sp") (i32.const 150))
(assert_return (invoke "wide") (i64.const -16))
