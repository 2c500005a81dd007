;; A loop that dispatches on a `br_table` at its head (a bytecode interpreter) and whose cases jump back to
;; it: from the second jump back on, each jump is replaced by a copy of the loop head's instructions and the
;; table (`Translator::copy_table_at`). These run small programs through such loops: the table's targets
;; forward (not yet translated when a case is) and out of the loop, a loop head that counts and biases the
;; opcode, a loop carrying a value (its cases' jumps move it first; the table's exit carries it through a
;; trampoline), traps in a copied load (the program runs off the end of memory, or jumps below address 0),
;; and a function with an exception handler, where nothing is copied.
(module
  (memory 1)
  ;; Opcodes: 0 halt, 1 add imm, 2 sub imm, 3 mul imm, 4 jnz (back by imm while acc != 0), other: halt.
  (data (i32.const 0) "\01\05\03\03\02\01\00")
  (data (i32.const 16) "\02\01\04\02\00")
  (data (i32.const 32) "\05\01\01")
  ;; The same programs with opcodes biased by 10.
  (data (i32.const 48) "\0b\05\0d\03\0c\01\0a")
  (data (i32.const 64) "\0c\01\0e\02\0a")
  (data (i32.const 80) "\0b\01\0e\ff")
  (data (i32.const 96) "\01\01\04\ff")
  (data (i32.const 65530) "\01\01\01\01\01\01")
  (tag $stop (param i32))

  (func (export "run") (param $pc i32) (param $acc i32) (result i32)
    (block $halt
      (loop $next
        (block $jnz (block $mul (block $sub (block $add
          (br_table $halt $add $sub $mul $jnz $halt (i32.load8_u (local.get $pc))))
          (local.set $acc (i32.add (local.get $acc) (i32.load8_u offset=1 (local.get $pc))))
          (local.set $pc (i32.add (local.get $pc) (i32.const 2)))
          (br $next))
          (local.set $acc (i32.sub (local.get $acc) (i32.load8_u offset=1 (local.get $pc))))
          (local.set $pc (i32.add (local.get $pc) (i32.const 2)))
          (br $next))
          (local.set $acc (i32.mul (local.get $acc) (i32.load8_u offset=1 (local.get $pc))))
          (local.set $pc (i32.add (local.get $pc) (i32.const 2)))
          (br $next))
        (local.set $pc
          (select
            (i32.sub (local.get $pc) (i32.load8_u offset=1 (local.get $pc)))
            (i32.add (local.get $pc) (i32.const 2))
            (local.get $acc)))
        (br $next)))
    (local.get $acc))

  ;; The loop head counts the instructions run and biases the opcode (`x - 10`): both are copied.
  (func (export "run_counted") (param $pc i32) (param $acc i32) (result i32) (local $count i32)
    (block $halt
      (loop $next
        (local.set $count (i32.add (local.get $count) (i32.const 1)))
        (block $jnz (block $mul (block $sub (block $add
          (br_table $halt $add $sub $mul $jnz $halt (i32.sub (i32.load8_u (local.get $pc)) (i32.const 10))))
          (local.set $acc (i32.add (local.get $acc) (i32.load8_u offset=1 (local.get $pc))))
          (local.set $pc (i32.add (local.get $pc) (i32.const 2)))
          (br $next))
          (local.set $acc (i32.sub (local.get $acc) (i32.load8_u offset=1 (local.get $pc))))
          (local.set $pc (i32.add (local.get $pc) (i32.const 2)))
          (br $next))
          (local.set $acc (i32.mul (local.get $acc) (i32.load8_u offset=1 (local.get $pc))))
          (local.set $pc (i32.add (local.get $pc) (i32.const 2)))
          (br $next))
        (if (local.get $acc)
          (then (local.set $pc (i32.sub (local.get $pc) (i32.load8_u offset=1 (local.get $pc)))))
          (else (local.set $pc (i32.add (local.get $pc) (i32.const 2)))))
        (br $next)))
    (i32.add (local.get $acc) (i32.mul (local.get $count) (i32.const 1000))))

  ;; The accumulator carried by the loop as its parameter, and out through the table's exit.
  (func (export "run_carried") (param $pc i32) (param $acc i32) (result i32)
    (local.get $acc)
    (block $halt (param i32) (result i32)
      (loop $next (param i32) (result i32)
        (block $mul (param i32) (result i32)
          (block $sub (param i32) (result i32)
            (block $add (param i32) (result i32)
              (br_table $halt $add $sub $mul $halt (i32.load8_u (local.get $pc))))
            (i32.add (i32.load8_u offset=1 (local.get $pc)))
            (local.set $pc (i32.add (local.get $pc) (i32.const 2)))
            (br $next))
          (i32.load8_u offset=1 (local.get $pc))
          (i32.sub)
          (local.set $pc (i32.add (local.get $pc) (i32.const 2)))
          (br $next))
        (i32.mul (i32.load8_u offset=1 (local.get $pc)))
        (local.set $pc (i32.add (local.get $pc) (i32.const 2)))
        (br $next))))

  ;; With an exception handler in the function (nothing is copied): opcode 5 throws the accumulator.
  (func (export "run_try") (param $pc i32) (param $acc i32) (result i32)
    (block $caught (result i32)
      (try_table (catch $stop $caught)
        (block $halt
          (loop $next
            (block $throw (block $sub (block $add
              (br_table $halt $add $sub $halt $halt $throw (i32.load8_u (local.get $pc))))
              (local.set $acc (i32.add (local.get $acc) (i32.load8_u offset=1 (local.get $pc))))
              (local.set $pc (i32.add (local.get $pc) (i32.const 2)))
              (br $next))
              (local.set $acc (i32.sub (local.get $acc) (i32.load8_u offset=1 (local.get $pc))))
              (local.set $pc (i32.add (local.get $pc) (i32.const 2)))
              (br $next))
            (throw $stop (i32.add (local.get $acc) (i32.const 100))))))
      (return (local.get $acc)))
    (i32.const 1000)
    (i32.add))
)

(assert_return (invoke "run" (i32.const 0) (i32.const 0)) (i32.const 14))
(assert_return (invoke "run" (i32.const 0) (i32.const 2)) (i32.const 20))
(assert_return (invoke "run" (i32.const 16) (i32.const 10)) (i32.const 0))
(assert_return (invoke "run" (i32.const 32) (i32.const 7)) (i32.const 7))
(assert_return (invoke "run" (i32.const 6) (i32.const 9)) (i32.const 9))
(assert_return (invoke "run_counted" (i32.const 48) (i32.const 0)) (i32.const 4014))
(assert_return (invoke "run_counted" (i32.const 64) (i32.const 10)) (i32.const 21000))
(assert_return (invoke "run_counted" (i32.const 0) (i32.const 3)) (i32.const 1003))
(assert_return (invoke "run_carried" (i32.const 0) (i32.const 0)) (i32.const 14))
(assert_return (invoke "run_carried" (i32.const 0) (i32.const 1)) (i32.const 17))
(assert_return (invoke "run_carried" (i32.const 32) (i32.const 5)) (i32.const 5))
(assert_return (invoke "run_try" (i32.const 0) (i32.const 4)) (i32.const 9))
(assert_return (invoke "run_try" (i32.const 32) (i32.const 4)) (i32.const 1104))
(assert_trap (invoke "run" (i32.const 65530) (i32.const 0)) "out of bounds memory access")
(assert_return (invoke "run_counted" (i32.const 65530) (i32.const 0)) (i32.const 1000))
(assert_trap (invoke "run_counted" (i32.const 80) (i32.const 0)) "out of bounds memory access")
(assert_trap (invoke "run" (i32.const 96) (i32.const 0)) "out of bounds memory access")
(assert_trap (invoke "run_carried" (i32.const 65530) (i32.const 0)) "out of bounds memory access")
