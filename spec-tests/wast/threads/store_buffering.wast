;; Store buffering: each thread stores 1 to its own variable, then loads the other one (all sequentially
;; consistent atomics). At least one thread must see the other's store: r1 = r2 = 0 is forbidden.
(module $Mem (memory (export "shared") 1 1 shared))

(thread $T1 (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 1 shared)
    (func (export "run")
      (i32.atomic.store (i32.const 0) (i32.const 1))
      (i32.atomic.store (i32.const 8) (i32.atomic.load (i32.const 4)))))
  (invoke "run"))

(thread $T2 (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 1 shared)
    (func (export "run")
      (i32.atomic.store (i32.const 4) (i32.const 1))
      (i32.atomic.store (i32.const 12) (i32.atomic.load (i32.const 0)))))
  (invoke "run"))

(wait $T1)
(wait $T2)

(register "mem" $Mem)
(module
  (memory (import "mem" "shared") 1 1 shared)
  ;; r1 + 2 * r2
  (func (export "outcome") (result i32)
    (i32.add (i32.load (i32.const 8)) (i32.mul (i32.const 2) (i32.load (i32.const 12))))))
(assert_return (invoke "outcome") (either (i32.const 1) (i32.const 2) (i32.const 3)))
