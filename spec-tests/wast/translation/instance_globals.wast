;; A global is read through the running instance's globals array, which the machine keeps beside the
;; running instance and changes with it: on a call into another instance (direct, through a table, a
;; tail call, a call_ref), on the return, and where a thrown exception is caught in another instance.
;; Each module's global 0 holds a different value, so reading the wrong instance's array shows.
(module $B
  (global $g (export "g") (mut i32) (i32.const 2000))
  (global $h (mut i32) (i32.const 3000))
  (tag $oops (export "oops") (param i32))
  (table $t (export "t") 2 funcref)
  (elem (table $t) (i32.const 0) func $get $bump)
  (func $get (export "get") (result i32) (i32.add (global.get $g) (global.get $h)))
  ;; The shadow-stack pattern (`global_add`) on B's own global.
  (func $bump (export "bump") (result i32)
    (global.set $g (i32.sub (global.get $g) (i32.const 16)))
    (global.set $g (i32.add (global.get $g) (i32.const 17)))
    (global.get $g))
  ;; Writes B's global, then throws to whoever called.
  (func (export "throw") (param i32)
    (global.set $h (i32.add (global.get $h) (local.get 0)))
    (throw $oops (global.get $h)))
  ;; Calls back into the instance that called it.
  (type $thunk (func (result i32)))
  (func (export "back") (param (ref $thunk)) (result i32)
    (i32.add (global.get $h) (call_ref $thunk (local.get 0))))
)
(register "B" $B)

(module $A
  (type $thunk (func (result i32)))
  (import "B" "get" (func $b_get (result i32)))
  (import "B" "bump" (func $b_bump (result i32)))
  (import "B" "throw" (func $b_throw (param i32)))
  (import "B" "back" (func $b_back (param (ref $thunk)) (result i32)))
  (import "B" "oops" (tag $oops (param i32)))
  (import "B" "t" (table $bt 2 funcref))
  (global $a (mut i32) (i32.const 1))
  (global $k (mut i32) (i32.const 10))
  (func $mine (result i32) (i32.add (global.get $a) (global.get $k)))
  (elem declare func $mine)
  ;; Direct call into B, then A's own globals after the return.
  (func (export "direct") (result i32)
    (i32.add (i32.mul (call $b_get) (i32.const 10)) (call $mine)))
  ;; B's shadow-stack update, then A's own (A's `$a` must not take B's value).
  (func (export "bump_both") (result i32)
    (global.set $a (i32.sub (global.get $a) (i32.const 1)))
    (global.set $a (i32.add (global.get $a) (i32.const 5)))
    (i32.add (i32.mul (call $b_bump) (i32.const 100)) (global.get $a)))
  ;; Through B's table (call_indirect into another instance).
  (func (export "indirect") (param i32) (result i32)
    (i32.add (i32.mul (call_indirect $bt (type $thunk) (local.get 0)) (i32.const 10)) (global.get $k)))
  ;; A tail call into B: the result is B's.
  (func (export "tail") (result i32)
    (global.set $k (i32.add (global.get $k) (i32.const 1)))
    (return_call $b_get))
  (func (export "tail_indirect") (param i32) (result i32)
    (return_call_indirect $bt (type $thunk) (local.get 0)))
  ;; B throws; A catches and reads its own globals.
  (func (export "catch") (param i32) (result i32)
    (block $h (result i32)
      (try_table (catch $oops $h) (call $b_throw (local.get 0)))
      (i32.const -1))
    (i32.add (i32.mul (global.get $k) (i32.const 100000))))
  ;; A → B → A (call_ref) → back in B → back in A.
  (func (export "round_trip") (result i32)
    (i32.add (i32.mul (call $b_back (ref.func $mine)) (i32.const 10)) (global.get $a)))
  (func (export "a") (result i32) (global.get $a))
  (func (export "k") (result i32) (global.get $k))
)

;; B's globals 2000 and 3000, A's 1 and 10.
(assert_return (invoke $A "direct") (i32.const 50011))
(assert_return (invoke $A "indirect" (i32.const 0)) (i32.const 50010))
(assert_return (invoke $B "get") (i32.const 5000))
;; B: 2000 - 16 + 17 = 2001; A: 1 - 1 + 5 = 5.
(assert_return (invoke $A "bump_both") (i32.const 200105))
(assert_return (invoke $A "a") (i32.const 5))
(assert_return (invoke $A "indirect" (i32.const 1)) (i32.const 20030))
(assert_return (invoke $B "get") (i32.const 5002))
(assert_return (invoke $A "tail") (i32.const 5002))
(assert_return (invoke $A "k") (i32.const 11))
(assert_return (invoke $A "tail_indirect" (i32.const 0)) (i32.const 5002))
(assert_return (invoke $A "tail_indirect" (i32.const 1)) (i32.const 2003))
;; B's $h: 3000 + 7 = 3007 is thrown; A adds its $k (11) times 100000.
(assert_return (invoke $A "catch" (i32.const 7)) (i32.const 1103007))
(assert_return (invoke $A "k") (i32.const 11))
;; B's $h is 3007, A's $mine is 5 + 11 = 16: (3007 + 16) * 10 + 5.
(assert_return (invoke $A "round_trip") (i32.const 30235))
(assert_return (invoke $B "get") (i32.const 5010))
