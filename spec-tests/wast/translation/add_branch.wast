;; Three additions of constants in a row are one `add3` (they run in order, so a later one may read an
;; earlier one's result), and an `add2` or `add3` followed by a branch on its last sum is one `add2_br` /
;; `add3_br` (`br_if` on the sum, on its `eqz`, or an `if`). These check loop counts, the values of every
;; local stepped, chained sums, and sums kept only as temporaries.
(module
  (memory 1)
  (data (i32.const 0) "abcdefgh")
  (data (i32.const 100) "abcdeXgh")
  ;; memcmp: p, q and n stepped together, n counted down to zero.
  (func (export "memcmp") (param $p i32) (param $q i32) (param $n i32) (result i32)
    (if (i32.eqz (local.get $n)) (then (return (i32.const 0))))
    (loop $l
      (if (i32.ne (i32.load8_u (local.get $p)) (i32.load8_u (local.get $q)))
        (then (return (i32.sub (i32.load8_u (local.get $p)) (i32.load8_u (local.get $q))))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br_if $l (local.tee $n (i32.add (local.get $n) (i32.const -1)))))
    (i32.const 0))
  ;; A pointer stepped by 4 and a count down: returns the sum of the words and the final pointer.
  (func (export "sum") (param $p i32) (param $n i32) (result i32 i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $s) (local.get $p))
  ;; Branch when the sum is zero (`eqz`), and an `if` on it.
  (func (export "until_zero") (param $a i32) (param $b i32) (result i32) (local $k i32)
    (block $out
      (loop $l
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (local.set $a (i32.add (local.get $a) (i32.const 2)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br_if $out (i32.eqz (local.get $b)))
        (br $l)))
    (i32.add (i32.mul (local.get $k) (i32.const 1000)) (local.get $a)))
  (func (export "if_sum") (param $a i32) (param $b i32) (result i32)
    (local.set $a (i32.add (local.get $a) (i32.const 10)))
    (if (result i32) (local.tee $b (i32.add (local.get $b) (i32.const -5)))
      (then (i32.add (local.get $a) (local.get $b))) (else (i32.sub (local.get $a) (i32.const 1)))))
  ;; Chained: each addition reads the one before it.
  (func (export "chain") (param $x i32) (result i32) (local $a i32) (local $b i32) (local $c i32)
    (local.set $a (i32.add (local.get $x) (i32.const 1)))
    (local.set $b (i32.add (local.get $a) (i32.const 10)))
    (local.set $c (i32.add (local.get $b) (i32.const 100)))
    (i32.add (i32.mul (local.get $a) (i32.const 65536)) (i32.add (i32.mul (local.get $b) (i32.const 256)) (local.get $c))))
  ;; Sums only as temporaries (arguments of a call).
  (func $three (param i32 i32 i32) (result i32)
    (i32.add (i32.mul (local.get 0) (i32.const 10000)) (i32.add (i32.mul (local.get 1) (i32.const 100)) (local.get 2))))
  (func (export "temps") (param $x i32) (result i32)
    (call $three (i32.add (local.get $x) (i32.const 1)) (i32.add (local.get $x) (i32.const 2)) (i32.add (local.get $x) (i32.const 3))))
)
(assert_return (invoke "memcmp" (i32.const 0) (i32.const 100) (i32.const 8)) (i32.const 14))
(assert_return (invoke "memcmp" (i32.const 0) (i32.const 100) (i32.const 5)) (i32.const 0))
(assert_return (invoke "memcmp" (i32.const 0) (i32.const 0) (i32.const 8)) (i32.const 0))
(assert_return (invoke "memcmp" (i32.const 0) (i32.const 100) (i32.const 0)) (i32.const 0))
(assert_return (invoke "sum" (i32.const 0) (i32.const 3)) (i32.const 294) (i32.const 3))
(assert_return (invoke "sum" (i32.const 1) (i32.const 1)) (i32.const 98) (i32.const 2))
(assert_return (invoke "until_zero" (i32.const 0) (i32.const -3)) (i32.const 3006))
(assert_return (invoke "until_zero" (i32.const 7) (i32.const -1)) (i32.const 1009))
(assert_return (invoke "if_sum" (i32.const 1) (i32.const 5)) (i32.const 10))
(assert_return (invoke "if_sum" (i32.const 1) (i32.const 7)) (i32.const 13))
(assert_return (invoke "chain" (i32.const 0)) (i32.const 68463))
(assert_return (invoke "temps" (i32.const 0)) (i32.const 10203))
