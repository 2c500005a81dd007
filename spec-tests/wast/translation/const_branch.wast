;; A constant stored into a local (or a temporary) joins the instruction after it: a second constant
;; (`constant2`), an unconditional branch (`const_br`) or a `br_if` on a slot, also through an `i32.eqz`
;; (`const_br_if`). C sets a default before a test (`x = k; if (c) goto`), Rust an `Ordering` before each
;; comparison, and both set locals in runs before loops and calls. These check that the constant is
;; stored on every path, before the condition is read, and that nothing joins across a label.
(module
  ;; `x = 7; if (c) goto out; x = 9`: the store happens whether or not the branch is taken.
  (func (export "default_nez") (param $c i32) (result i32) (local $x i32)
    (block $out
      (local.set $x (i32.const 7))
      (br_if $out (local.get $c))
      (local.set $x (i32.add (local.get $x) (i32.const 2))))
    (local.get $x))
  ;; The same, branching when the condition is zero (`i32.eqz` fused into the branch).
  (func (export "default_eqz") (param $c i32) (result i32) (local $x i32)
    (block $out
      (local.set $x (i32.const -1))
      (br_if $out (i32.eqz (local.get $c)))
      (local.set $x (i32.const 100)))
    (local.get $x))
  ;; A 64-bit constant, the condition a computed value (the constant is not the last result).
  (func (export "wide") (param $c i32) (result i64) (local $x i64)
    (block $out
      (local.set $x (i64.const 0x1234_5678_9abc_def0))
      (br_if $out (i32.eqz (local.get $c)))
      (local.set $x (i64.const -2)))
    (local.get $x))
  ;; The condition is the local just set: it must be read after the store (0 falls through, 5 branches).
  (func (export "self") (param $k i32) (result i32) (local $x i32)
    (local.set $x (local.get $k))
    (block $out
      (local.set $x (i32.const 0))
      (br_if $out (local.get $x))
      (local.set $x (i32.const 11)))
    (block $out2
      (local.set $x (i32.add (local.get $x) (i32.const 5)))
      (local.set $x (i32.const 5))
      (br_if $out2 (local.get $x))
      (local.set $x (i32.const 12)))
    (local.get $x))
  (func (export "self_eqz") (result i32) (local $x i32)
    (block $out
      (local.set $x (i32.const 0))
      (br_if $out (i32.eqz (local.get $x)))
      (local.set $x (i32.const 13)))
    (local.get $x))
  ;; A `br_if` whose target takes a value (the branch goes through a side path that moves it).
  (func (export "with_value") (param $c i32) (param $v i32) (result i32) (local $x i32)
    (i32.add
      (block $b (result i32)
        (local.set $x (i32.const 40))
        (drop (br_if $b (local.get $v) (local.get $c)))
        (local.set $x (i32.const 50))
        (i32.const 1))
      (local.get $x)))
  ;; A constant right before a jump: an `if` arm's result, and a flag set on a path that joins.
  (func (export "arm") (param $c i32) (result i32)
    (if (result i32) (local.get $c) (then (i32.const 3)) (else (i32.const 4))))
  (func (export "flag") (param $c i32) (result i32) (local $f i32)
    (block $join
      (block $no
        (br_if $no (i32.eqz (local.get $c)))
        (local.set $f (i32.const 1))
        (br $join))
      (local.set $f (i32.const 2)))
    (local.get $f))
  ;; Runs of constants: pairs, an odd one out, the same local twice (the second wins), floats.
  (func (export "run3") (result i32) (local $a i32) (local $b i32) (local $c i32)
    (local.set $a (i32.const 1))
    (local.set $b (i32.const 20))
    (local.set $c (i32.const 300))
    (i32.add (local.get $a) (i32.add (local.get $b) (local.get $c))))
  (func (export "twice") (result i32) (local $a i32)
    (local.set $a (i32.const 1))
    (local.set $a (i32.const 2))
    (local.get $a))
  (func (export "floats") (result f64) (local $a f64) (local $b f32)
    (local.set $a (f64.const 1.5))
    (local.set $b (f32.const -0.25))
    (f64.add (local.get $a) (f64.promote_f32 (local.get $b))))
  ;; Constants as call arguments (materialised in a row into the callee's frame).
  (func $sub3 (param i32 i32 i32) (result i32)
    (i32.sub (i32.sub (local.get 0) (local.get 1)) (local.get 2)))
  (func (export "args") (result i32) (call $sub3 (i32.const 100) (i32.const 30) (i32.const 7)))
  ;; A label between two constants, and between a constant and a branch: nothing joins across it (a
  ;; jump to the label must not run the first constant).
  (func (export "label_between") (param $c i32) (result i32) (local $a i32) (local $b i32)
    (local.set $a (i32.const 5))
    (block $skip
      (br_if $skip (local.get $c))
      (local.set $a (i32.const 6)))
    (local.set $b (i32.const 10))
    (i32.add (local.get $a) (local.get $b)))
  (func (export "loop_label") (param $n i32) (result i32) (local $s i32) (local $k i32)
    (local.set $s (i32.const 0))
    (loop $l
      (local.set $k (i32.const 1))
      (local.set $s (i32.add (local.get $s) (local.get $k)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (local.set $k (i32.const 1000))
      (br_if $l (local.get $n)))
    (i32.add (local.get $s) (local.get $k)))
  ;; Rust's `partial_cmp` of two floats: an `Ordering` set before each comparison (-1, 0, 1; 2 for NaN).
  (func (export "cmp") (param $a f64) (param $b f64) (result i32) (local $o i32)
    (block $done
      (local.set $o (i32.const 0))
      (br_if $done (f64.eq (local.get $a) (local.get $b)))
      (local.set $o (i32.const -1))
      (br_if $done (f64.lt (local.get $a) (local.get $b)))
      (local.set $o (i32.const 1))
      (br_if $done (f64.gt (local.get $a) (local.get $b)))
      (local.set $o (i32.const 2)))
    (local.get $o))
  ;; An interpreter-like loop: a state set before each test, counted over many iterations.
  (func (export "states") (param $n i32) (result i32) (local $st i32) (local $sum i32) (local $i i32)
    (loop $l
      (block $next
        (local.set $st (i32.const 1))
        (br_if $next (i32.and (local.get $i) (i32.const 1)))
        (local.set $st (i32.const 2))
        (br_if $next (i32.eqz (i32.and (local.get $i) (i32.const 2))))
        (local.set $st (i32.const 4)))
      (local.set $sum (i32.add (local.get $sum) (local.get $st)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $sum))
)
(assert_return (invoke "default_nez" (i32.const 0)) (i32.const 9))
(assert_return (invoke "default_nez" (i32.const 1)) (i32.const 7))
(assert_return (invoke "default_nez" (i32.const -8)) (i32.const 7))
(assert_return (invoke "default_eqz" (i32.const 0)) (i32.const -1))
(assert_return (invoke "default_eqz" (i32.const 3)) (i32.const 100))
(assert_return (invoke "wide" (i32.const 0)) (i64.const 0x1234_5678_9abc_def0))
(assert_return (invoke "wide" (i32.const 1)) (i64.const -2))
(assert_return (invoke "self" (i32.const 99)) (i32.const 5))
(assert_return (invoke "self_eqz") (i32.const 0))
(assert_return (invoke "with_value" (i32.const 1) (i32.const 2)) (i32.const 42))
(assert_return (invoke "with_value" (i32.const 0) (i32.const 2)) (i32.const 51))
(assert_return (invoke "arm" (i32.const 1)) (i32.const 3))
(assert_return (invoke "arm" (i32.const 0)) (i32.const 4))
(assert_return (invoke "flag" (i32.const 1)) (i32.const 1))
(assert_return (invoke "flag" (i32.const 0)) (i32.const 2))
(assert_return (invoke "run3") (i32.const 321))
(assert_return (invoke "twice") (i32.const 2))
(assert_return (invoke "floats") (f64.const 1.25))
(assert_return (invoke "args") (i32.const 63))
(assert_return (invoke "label_between" (i32.const 0)) (i32.const 16))
(assert_return (invoke "label_between" (i32.const 1)) (i32.const 15))
(assert_return (invoke "loop_label" (i32.const 3)) (i32.const 1003))
(assert_return (invoke "cmp" (f64.const 1) (f64.const 1)) (i32.const 0))
(assert_return (invoke "cmp" (f64.const 1) (f64.const 2)) (i32.const -1))
(assert_return (invoke "cmp" (f64.const 3) (f64.const 2)) (i32.const 1))
(assert_return (invoke "cmp" (f64.const nan) (f64.const 2)) (i32.const 2))
;; i & 1: 1; else i & 2 == 0: 2; else 4. Over 0..9: i=0:2 1:1 2:4 3:1 4:2 5:1 6:4 7:1 8:2 9:1 = 19.
(assert_return (invoke "states" (i32.const 10)) (i32.const 19))
(assert_return (invoke "states" (i32.const 1000)) (i32.const 2000))
