;; A shared memory: the race-safe access handlers (shared=true), no load pairs or load-and-branch, and the
;; atomic instructions.
(module
  (memory 1 1 shared)
  (func $plain (param $p i32) (param $i i32) (result i32)
    (i32.store (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2))) (local.get $i))
    (block $out
      (br_if $out (i32.load (local.get $p)))
      (return (i32.load offset=8 (i32.load offset=4 (local.get $p)))))
    (i32.const 0))
  (func $atomics (param $p i32) (result i32)
    (i32.atomic.store (local.get $p) (i32.const 1))
    (drop (i32.atomic.rmw.add (local.get $p) (i32.const 2)))
    (drop (i64.atomic.rmw8.xchg_u (local.get $p) (i64.const 3)))
    (drop (i32.atomic.rmw.cmpxchg (local.get $p) (i32.const 1) (i32.const 2)))
    (drop (memory.atomic.wait32 (local.get $p) (i32.const 0) (i64.const 0)))
    (drop (memory.atomic.notify (local.get $p) (i32.const 1)))
    (atomic.fence)
    (i32.atomic.load16_u (local.get $p)))
)
