;; GC arrays as the compilers of GC languages use them: a byte array (a sieve), an int array (a scan that
;; reads and writes neighbours), and UTF-16 strings built by concatenation (`array.new_data`, `array.copy`
;; into a new array). `run(n)` returns a checksum that `benches/benches/gc.rs` recomputes in Rust.
(module
  (type $bytes (array (mut i8)))
  (type $ints (array (mut i32)))
  (type $str (array (mut i16)))
  (data $hello "h\00e\00l\00l\00o\00,\00 \00w\00o\00r\00l\00d\00")

  ;; The number of primes below $n.
  (func $sieve (param $n i32) (result i32)
    (local $a (ref $bytes)) (local $i i32) (local $j i32) (local $count i32)
    (local.set $a (array.new_default $bytes (local.get $n)))
    (local.set $i (i32.const 2))
    (block $done (loop $outer
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (if (i32.eqz (array.get_u $bytes (local.get $a) (local.get $i)))
        (then
          (local.set $count (i32.add (local.get $count) (i32.const 1)))
          (local.set $j (i32.mul (local.get $i) (local.get $i)))
          (block $marked (loop $mark
            ;; i * i overflows for large i: stop at n or on wrap-around.
            (br_if $marked (i32.ge_u (local.get $j) (local.get $n)))
            (br_if $marked (i32.lt_u (local.get $j) (local.get $i)))
            (array.set $bytes (local.get $a) (local.get $j) (i32.const 1))
            (local.set $j (i32.add (local.get $j) (local.get $i)))
            (br $mark)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $outer)))
    (local.get $count))

  ;; b[i] = i * 2654435761 >> 7, then four rounds of b[i] ^= b[i - 1] + i; returns b[n - 1].
  (func $scan (param $n i32) (result i32)
    (local $b (ref $ints)) (local $i i32) (local $round i32)
    (local.set $b (array.new_default $ints (local.get $n)))
    (block $filled (loop $fill
      (br_if $filled (i32.ge_u (local.get $i) (local.get $n)))
      (array.set $ints (local.get $b) (local.get $i)
        (i32.shr_u (i32.mul (local.get $i) (i32.const 2654435761)) (i32.const 7)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $fill)))
    (block $rounds (loop $round_loop
      (br_if $rounds (i32.ge_u (local.get $round) (i32.const 4)))
      (local.set $i (i32.const 1))
      (block $swept (loop $sweep
        (br_if $swept (i32.ge_u (local.get $i) (local.get $n)))
        (array.set $ints (local.get $b) (local.get $i)
          (i32.xor (array.get $ints (local.get $b) (local.get $i))
            (i32.add (array.get $ints (local.get $b) (i32.sub (local.get $i) (i32.const 1))) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $sweep)))
      (local.set $round (i32.add (local.get $round) (i32.const 1)))
      (br $round_loop)))
    (array.get $ints (local.get $b) (i32.sub (local.get $n) (i32.const 1))))

  ;; $m concatenations of "hello, world" onto a string, starting again from it once 4096 characters are
  ;; reached; returns the sum of the lengths made plus the last string's last character.
  (func $strings (param $m i32) (result i32)
    (local $base (ref $str)) (local $s (ref $str)) (local $t (ref $str)) (local $i i32) (local $sum i32)
    (local.set $base (array.new_data $str $hello (i32.const 0) (i32.const 12)))
    (local.set $s (local.get $base))
    (block $done (loop $concat
      (br_if $done (i32.ge_u (local.get $i) (local.get $m)))
      (local.set $t (array.new_default $str (i32.add (array.len (local.get $s)) (i32.const 12))))
      (array.copy $str $str (local.get $t) (i32.const 0) (local.get $s) (i32.const 0) (array.len (local.get $s)))
      (array.copy $str $str (local.get $t) (array.len (local.get $s)) (local.get $base) (i32.const 0) (i32.const 12))
      (local.set $sum (i32.add (local.get $sum) (array.len (local.get $t))))
      (local.set $s (local.get $t))
      (if (i32.ge_u (array.len (local.get $s)) (i32.const 4096)) (then (local.set $s (local.get $base))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $concat)))
    (i32.add (local.get $sum)
      (array.get_u $str (local.get $s) (i32.sub (array.len (local.get $s)) (i32.const 1)))))

  (func (export "run") (param $n i32) (result i32)
    (i32.add (call $sieve (local.get $n))
      (i32.add (call $scan (local.get $n)) (call $strings (i32.shr_u (local.get $n) (i32.const 8)))))))
