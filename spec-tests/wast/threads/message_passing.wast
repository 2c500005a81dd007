;; Message passing: a plain store of data, then an atomic store of a flag. A reader that sees the flag set
;; (atomic load) must then see the data (the atomics are sequentially consistent).
(module $Mem (memory (export "shared") 1 1 shared))

(thread $Writer (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 1 shared)
    (func (export "run")
      (i32.store (i32.const 0) (i32.const 42))
      (i32.atomic.store (i32.const 4) (i32.const 1))))
  (invoke "run"))

(thread $Reader (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 1 shared)
    (func (export "run") (result i32)
      (loop $spin (br_if $spin (i32.eqz (i32.atomic.load (i32.const 4)))))
      (i32.load (i32.const 0))))
  (assert_return (invoke "run") (i32.const 42)))

(wait $Writer)
(wait $Reader)
