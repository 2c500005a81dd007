;; Exception handling: `try_table` emits no code (its range and clauses are the handler table printed
;; after each function); `throw` passes its values in consecutive slots like call arguments; catch clauses
;; deliver values where a `br` to their label would (a v128 takes two slots); a clause targeting the
;; function returns through a landing pad after the function's code.
(module
  (tag $e0)
  (tag $e1 (param i32 i64))
  (tag $ev (param v128 f64))
  (import "host" "f" (func $f (param i32)))

  (func (export "throw_values") (param i32 i64)
    (throw $e1 (local.get 0) (local.get 1)))

  (func (export "catch_values") (param i32) (result i32 i64)
    (block $h (result i32 i64)
      (try_table (catch $e1 $h)
        (call $f (local.get 0))
        (throw $e1 (i32.const 1) (i64.const 2)))
      (unreachable)))

  (func (export "nested") (param i32) (result i32)
    (block $outer
      (block $inner (result exnref)
        (try_table (catch_ref $e0 $inner) (catch_all $outer)
          (try_table (catch $e0 $outer)
            (call $f (local.get 0)))
          (call $f (i32.const 7)))
        (return (i32.const 0)))
      (throw_ref))
    (i32.const 1))

  (func (export "v128_payload") (result v128 f64)
    (block $h (result v128 f64)
      (try_table (catch $ev $h)
        (throw $ev (v128.const i64x2 1 2) (f64.const 3)))
      (unreachable)))

  (func (export "to_function") (result i32 i64)
    (try_table (catch $e1 0)
      (call $f (i32.const 3)))
    (i32.const 0) (i64.const 0))

  (func (export "catch_all_ref") (result exnref)
    (block $h (result exnref)
      (try_table (catch_all_ref $h)
        (call $f (i32.const 4)))
      (ref.null exn))))
