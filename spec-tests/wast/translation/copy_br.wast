;; A `copy` right before an unconditional branch is one `copy_br`: a loop-carried value moved before the
;; jump back, a block's or an `if` arm's result moved into place before the jump to the end. These check
;; that the value moves and the jump lands, on each path.
(module
  ;; Fibonacci by a loop that exits at the top and jumps back at the bottom.
  (func (export "fib") (param $n i32) (result i32) (local $a i32) (local $b i32) (local $t i32)
    (local.set $b (i32.const 1))
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $t (i32.add (local.get $a) (local.get $b)))
        (local.set $a (local.get $b))
        (local.set $b (local.get $t))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (local.set $a (local.get $a))
        (local.set $t (local.get $b))
        (br $l)))
    (local.get $a))
  ;; An `if` arm's result from a local.
  (func (export "pick") (param i32 i32 i32) (result i32)
    (if (result i32) (local.get 0) (then (local.get 1)) (else (local.get 2))))
  ;; A block's result from a local, carried by `br`.
  (func (export "early") (param i32 i64) (result i64)
    (block $b (result i64)
      (if (local.get 0) (then (br $b (local.get 1))))
      (i64.const -1)))
)
(assert_return (invoke "fib" (i32.const 0)) (i32.const 0))
(assert_return (invoke "fib" (i32.const 1)) (i32.const 1))
(assert_return (invoke "fib" (i32.const 10)) (i32.const 55))
(assert_return (invoke "fib" (i32.const 30)) (i32.const 832040))
(assert_return (invoke "pick" (i32.const 1) (i32.const 7) (i32.const 9)) (i32.const 7))
(assert_return (invoke "pick" (i32.const 0) (i32.const 7) (i32.const 9)) (i32.const 9))
(assert_return (invoke "early" (i32.const 1) (i64.const 0x123456789)) (i64.const 0x123456789))
(assert_return (invoke "early" (i32.const 0) (i64.const 5)) (i64.const -1))
