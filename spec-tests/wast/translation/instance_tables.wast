;; `call_indirect`, `return_call_indirect` and the table instructions read the running instance's tables
;; array, which the machine keeps beside the running instance and changes with it (on a call into another
;; instance, the return, a tail call, a `call_ref`, a caught exception). Each module's table 0 is its own,
;; with different functions and sizes, so using the wrong instance's array shows (a wrong value, or a trap
;; missing or misplaced).
(module $B
  (type $thunk (func (result i32)))
  (table $t 3 funcref)
  (elem (table $t) (i32.const 0) func $b0 $b1 $b2)
  (func $b0 (result i32) (i32.const 100))
  (func $b1 (result i32) (i32.const 101))
  (func $b2 (result i32) (table.size $t))
  (func (export "via_b") (param i32) (result i32) (call_indirect $t (type $thunk) (local.get 0)))
  (func (export "size_b") (result i32) (table.size $t))
  ;; Calls back into the caller's function, then uses its own table.
  (func (export "back") (param (ref $thunk)) (result i32)
    (i32.add
      (i32.mul (call_ref $thunk (local.get 0)) (i32.const 1000))
      (call_indirect $t (type $thunk) (i32.const 1))))
  (tag $oops (export "oops") (param i32))
  (func (export "throw") (param i32) (throw $oops (call_indirect $t (type $thunk) (local.get 0))))
  (func (export "tail_b") (param i32) (result i32) (return_call_indirect $t (type $thunk) (local.get 0)))
)
(register "B" $B)

(module $A
  (type $thunk (func (result i32)))
  (import "B" "via_b" (func $via_b (param i32) (result i32)))
  (import "B" "size_b" (func $size_b (result i32)))
  (import "B" "back" (func $back (param (ref $thunk)) (result i32)))
  (import "B" "throw" (func $throw (param i32)))
  (import "B" "tail_b" (func $tail_b (param i32) (result i32)))
  (import "B" "oops" (tag $oops (param i32)))
  (table $t 5 funcref)
  (elem (table $t) (i32.const 0) func $a0 $a1 $a2 $a3 $a4)
  (func $a0 (result i32) (i32.const 7))
  (func $a1 (result i32) (i32.const 8))
  (func $a2 (result i32) (table.size $t))
  (func $a3 (result i32) (i32.const 9))
  (func $a4 (result i32) (i32.const 10))
  ;; B's entry i through B's table, then A's entry i through A's after the return.
  (func (export "after_direct") (param i32) (result i32)
    (i32.add
      (i32.mul (call $via_b (local.get 0)) (i32.const 100))
      (call_indirect $t (type $thunk) (local.get 0))))
  ;; A call into B, then an index only A's table has.
  (func (export "after_b_last") (result i32)
    (drop (call $via_b (i32.const 0)))
    (call_indirect $t (type $thunk) (i32.const 4)))
  (func (export "sizes") (result i32)
    (i32.add (i32.mul (call $size_b) (i32.const 10)) (table.size $t)))
  ;; A → B → A (call_ref, using A's table) → B's table → A's table.
  (func $mine (result i32) (call_indirect $t (type $thunk) (i32.const 1)))
  (elem declare func $mine)
  (func (export "round_trip") (result i32)
    (i32.add
      (i32.mul (call $back (ref.func $mine)) (i32.const 10))
      (call_indirect $t (type $thunk) (i32.const 0))))
  ;; B throws a value from its table; A catches it and uses its own.
  (func (export "catch") (param i32) (result i32)
    (block $h (result i32)
      (try_table (catch $oops $h) (call $throw (local.get 0)))
      (i32.const -1))
    (i32.add (i32.mul (i32.const 1000)) (call_indirect $t (type $thunk) (i32.const 3))))
  ;; A tail call into B, whose tail call through its table ends the chain.
  (func (export "tail") (param i32) (result i32) (return_call $tail_b (local.get 0)))
  (func (export "mine") (param i32) (result i32) (call_indirect $t (type $thunk) (local.get 0)))
)

;; A's table: 7 8 size=5 9 10; B's: 100 101 size=3.
(assert_return (invoke $A "after_direct" (i32.const 0)) (i32.const 10007))
(assert_return (invoke $A "after_direct" (i32.const 1)) (i32.const 10108))
(assert_return (invoke $A "after_direct" (i32.const 2)) (i32.const 305))
(assert_trap (invoke $A "after_direct" (i32.const 3)) "undefined element")
(assert_return (invoke $A "after_b_last") (i32.const 10))
(assert_return (invoke $A "sizes") (i32.const 35))
(assert_return (invoke $A "round_trip") (i32.const 81017))
(assert_return (invoke $A "catch" (i32.const 0)) (i32.const 100009))
(assert_return (invoke $A "catch" (i32.const 2)) (i32.const 3009))
(assert_return (invoke $A "tail" (i32.const 1)) (i32.const 101))
(assert_return (invoke $A "tail" (i32.const 2)) (i32.const 3))
(assert_trap (invoke $A "tail" (i32.const 4)) "undefined element")
(assert_return (invoke $A "mine" (i32.const 4)) (i32.const 10))
(assert_return (invoke $B "via_b" (i32.const 2)) (i32.const 3))
(assert_trap (invoke $B "via_b" (i32.const 4)) "undefined element")
