;; wait/notify across threads: a waiter blocks until notified; notify returns how many it woke; a wait whose
;; expected value differs returns 1 at once; a wait that nobody notifies times out with 2.
(module $Mem (memory (export "shared") 1 1 shared))

(thread $Waiter (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 1 shared)
    (func (export "wait") (result i32)
      (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1))))
  (assert_return (invoke "wait") (i32.const 0)))

(register "mem" $Mem)
(module
  (memory (import "mem" "shared") 1 1 shared)
  ;; Notify until the waiter has been woken (it may not be waiting yet when we start).
  (func (export "wake") (result i32)
    (local $woken i32)
    (loop $again
      (local.set $woken (memory.atomic.notify (i32.const 0) (i32.const 1)))
      (br_if $again (i32.eqz (local.get $woken))))
    (local.get $woken))
  (func (export "not_equal") (result i32)
    (memory.atomic.wait32 (i32.const 0) (i32.const 7) (i64.const -1)))
  (func (export "timeout") (result i32)
    (memory.atomic.wait64 (i32.const 8) (i64.const 0) (i64.const 1000000)))
  (func (export "notify_none") (result i32)
    (memory.atomic.notify (i32.const 16) (i32.const 3))))

(assert_return (invoke "wake") (i32.const 1))
(wait $Waiter)
(assert_return (invoke "not_equal") (i32.const 1))
(assert_return (invoke "timeout") (i32.const 2))
(assert_return (invoke "notify_none") (i32.const 0))

;; Waiting on an unshared memory traps; notifying on one returns 0.
(module
  (memory 1 1)
  (func (export "wait") (result i32) (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const 0)))
  (func (export "notify") (result i32) (memory.atomic.notify (i32.const 0) (i32.const 1)))
  (func (export "unaligned") (result i32) (memory.atomic.notify (i32.const 1) (i32.const 1))))
(assert_trap (invoke "wait") "expected shared memory")
(assert_return (invoke "notify") (i32.const 0))
(assert_trap (invoke "unaligned") "unaligned atomic")
