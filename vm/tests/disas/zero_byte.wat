;; The zero-byte test as `zero_byte` / `br_zero_byte` (vm/src/translate/zero_byte.rs); the functions of
;; spec-tests/wast/translation/zero_byte.wast, which checks their results.
(module
  (memory 1)
  (data (i32.const 0) "hello, world\00")
  (data (i32.const 32) "abcdefg\00")
  (data (i32.const 48) "abcdefgh\00")
  (data (i32.const 64) "\80\ff\80\ff\80\ff\80\ff\01\7f\00")
  (data (i32.const 96) "\00")
  (data (i32.const 128) "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxy\00")

  ;; The value, `xor` first (musl's spelling), then `add` first, then with `i32.sub`.
  (func (export "not_first") (param $x i32) (result i32)
    (i32.and (i32.and (i32.xor (local.get $x) (i32.const -1)) (i32.add (local.get $x) (i32.const -16843009)))
      (i32.const 0x80808080)))
  (func (export "add_first") (param $x i32) (result i32)
    (i32.and (i32.const 0x80808080)
      (i32.and (i32.add (local.get $x) (i32.const -16843009)) (i32.xor (local.get $x) (i32.const -1)))))
  (func (export "sub") (param $x i32) (result i32)
    (i32.and (i32.and (i32.sub (local.get $x) (i32.const 0x01010101)) (i32.xor (local.get $x) (i32.const -1)))
      (i32.const 0x80808080)))
  ;; 16-bit lanes; no mask; the mask in two steps.
  (func (export "lanes16") (param $x i32) (result i32)
    (i32.and (i32.and (i32.xor (local.get $x) (i32.const -1)) (i32.add (local.get $x) (i32.const -65537)))
      (i32.const 0x80008000)))
  (func (export "no_mask") (param $x i32) (result i32)
    (i32.and (i32.xor (local.get $x) (i32.const -1)) (i32.add (local.get $x) (i32.const -16843009))))
  (func (export "two_masks") (param $x i32) (result i32)
    (i32.and (i32.and (i32.and (i32.xor (local.get $x) (i32.const -1)) (i32.add (local.get $x) (i32.const -16843009)))
      (i32.const 0x80808080)) (i32.const 0xffff0000)))

  ;; Not the test: `x ^ -2`; `~x & (y + k)` of two words; `~x` kept in a local and read again.
  (func (export "xor_other") (param $x i32) (result i32)
    (i32.and (i32.and (i32.xor (local.get $x) (i32.const -2)) (i32.add (local.get $x) (i32.const -16843009)))
      (i32.const 0x80808080)))
  (func (export "two_words") (param $x i32) (param $y i32) (result i32)
    (i32.and (i32.and (i32.xor (local.get $x) (i32.const -1)) (i32.add (local.get $y) (i32.const -16843009)))
      (i32.const 0x80808080)))
  (func (export "not_kept") (param $x i32) (result i32) (local $n i32)
    (i32.xor
      (i32.and (i32.and (local.tee $n (i32.xor (local.get $x) (i32.const -1)))
        (i32.add (local.get $x) (i32.const -16843009))) (i32.const 0x80808080))
      (local.get $n)))

  ;; Branches: out on a zero byte (`br_if` on the test), on no zero byte (`br_if` on its `eqz`), and an `if`.
  (func (export "br_if_zero") (param $x i32) (result i32)
    (block $z
      (br_if $z (i32.and (i32.and (i32.xor (local.get $x) (i32.const -1)) (i32.add (local.get $x) (i32.const -16843009)))
        (i32.const 0x80808080)))
      (return (i32.const 0)))
    (i32.const 1))
  (func (export "br_if_none") (param $x i32) (result i32)
    (block $n
      (br_if $n (i32.eqz (i32.and (i32.and (i32.xor (local.get $x) (i32.const -1))
        (i32.add (local.get $x) (i32.const -16843009))) (i32.const 0x80808080))))
      (return (i32.const 1)))
    (i32.const 0))
  (func (export "if_zero") (param $x i32) (result i32)
    (if (result i32) (i32.and (i32.and (i32.add (local.get $x) (i32.const -16843009)) (i32.xor (local.get $x) (i32.const -1)))
        (i32.const 0x80808080))
      (then (i32.const 1)) (else (i32.const 0))))

  ;; A comparison of the test with 0 (`!= 0`, `== 0`), and with something else (not fused).
  (func (export "cmp_ne0") (param $x i32) (result i32)
    (block $z
      (br_if $z (i32.ne (i32.and (i32.and (i32.xor (local.get $x) (i32.const -1)) (i32.add (local.get $x) (i32.const -16843009)))
        (i32.const 0x80808080)) (i32.const 0)))
      (return (i32.const 0)))
    (i32.const 1))
  (func (export "cmp_eq0") (param $x i32) (result i32)
    (block $n
      (br_if $n (i32.eq (i32.and (i32.and (i32.xor (local.get $x) (i32.const -1)) (i32.add (local.get $x) (i32.const -16843009)))
        (i32.const 0x80808080)) (i32.const 0)))
      (return (i32.const 1)))
    (i32.const 0))
  (func (export "cmp_other") (param $x i32) (result i32)
    (block $n
      (br_if $n (i32.eq (i32.and (i32.and (i32.xor (local.get $x) (i32.const -1)) (i32.add (local.get $x) (i32.const -16843009)))
        (i32.const 0x80808080)) (i32.const 0x80)))
      (return (i32.const 1)))
    (i32.const 0))

  ;; The complement (Rust's `memchr` through LLVM): the value, either operand order of the `or`, a different
  ;; word in the `or` (not fused), and the branch on `== mask` and `!= mask` (and on another constant: not).
  (func (export "rust_value") (param $x i32) (result i32)
    (i32.and (i32.or (i32.sub (i32.const 0x01010100) (local.get $x)) (local.get $x)) (i32.const 0x80808080)))
  (func (export "rust_swapped") (param $x i32) (result i32)
    (i32.and (i32.const 0x80808080) (i32.or (local.get $x) (i32.sub (i32.const 0x01010100) (local.get $x)))))
  (func (export "rust_two_words") (param $x i32) (param $y i32) (result i32)
    (i32.and (i32.or (i32.sub (i32.const 0x01010100) (local.get $y)) (local.get $x)) (i32.const 0x80808080)))
  (func (export "rust_none_eq") (param $x i32) (result i32)
    (block $n
      (br_if $n (i32.eq (i32.and (i32.or (i32.sub (i32.const 0x01010100) (local.get $x)) (local.get $x))
        (i32.const 0x80808080)) (i32.const 0x80808080)))
      (return (i32.const 1)))
    (i32.const 0))
  (func (export "rust_zero_ne") (param $x i32) (result i32)
    (block $z
      (br_if $z (i32.ne (i32.and (i32.or (i32.sub (i32.const 0x01010100) (local.get $x)) (local.get $x))
        (i32.const 0x80808080)) (i32.const 0x80808080)))
      (return (i32.const 0)))
    (i32.const 1))
  (func (export "rust_cmp_other") (param $x i32) (result i32)
    (block $n
      (br_if $n (i32.eq (i32.and (i32.or (i32.sub (i32.const 0x01010100) (local.get $x)) (local.get $x))
        (i32.const 0x80808080)) (i32.const 0)))
      (return (i32.const 1)))
    (i32.const 0))
  ;; core::slice::memchr's loop as LLVM writes it: two words per step, stop at the first pair holding `c`.
  (func (export "rust_memchr") (param $p i32) (param $n i32) (param $c i32) (result i32) (local $a i32) (local $b i32)
    (local.set $c (i32.mul (i32.and (local.get $c) (i32.const 255)) (i32.const 0x01010101)))
    (block $found
      (loop $l
        (br_if $found (i32.lt_u (local.get $n) (i32.const 8)))
        (local.set $a (i32.xor (i32.load (local.get $p)) (local.get $c)))
        (local.set $b (i32.xor (i32.load offset=4 (local.get $p)) (local.get $c)))
        (br_if $found (i32.ne (i32.and (i32.or (i32.sub (i32.const 0x01010100) (local.get $a)) (local.get $a))
          (i32.const 0x80808080)) (i32.const 0x80808080)))
        (br_if $found (i32.ne (i32.and (i32.or (i32.sub (i32.const 0x01010100) (local.get $b)) (local.get $b))
          (i32.const 0x80808080)) (i32.const 0x80808080)))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (local.set $n (i32.sub (local.get $n) (i32.const 8)))
        (br $l)))
    (local.get $p))

  ;; musl's strlen, as clang-19 -O2 compiles it for wasm32-wasi: bytes up to alignment, then words.
  (func (export "strlen") (param $s i32) (result i32) (local $p i32) (local $w i32)
    (local.set $p (local.get $s))
    (block $done
      (block $aligned
        (br_if $aligned (i32.eqz (i32.and (local.get $s) (i32.const 3))))
        (loop $bytes
          (br_if $done (i32.eqz (i32.load8_u (local.get $p))))
          (br_if $bytes (i32.and (local.tee $p (i32.add (local.get $p) (i32.const 1))) (i32.const 3)))))
      (local.set $p (i32.add (local.get $p) (i32.const -4)))
      (loop $words
        (br_if $words (i32.eqz (i32.and (i32.and (i32.xor (local.tee $w (i32.load (local.tee $p (i32.add (local.get $p) (i32.const 4)))))
          (i32.const -1)) (i32.add (local.get $w) (i32.const -16843009))) (i32.const -2139062144)))))
      (br_if $done (i32.eqz (i32.and (local.get $w) (i32.const 255))))
      (loop $tail
        (br_if $tail (i32.load8_u (local.tee $p (i32.add (local.get $p) (i32.const 1)))))))
    (i32.sub (local.get $p) (local.get $s)))

  ;; memchr's word loop (aligned `p`, `n` a multiple of 4): the first word holding byte `c`, or -1.
  (func (export "memchr_word") (param $p i32) (param $n i32) (param $c i32) (result i32) (local $x i32)
    (local.set $c (i32.mul (i32.and (local.get $c) (i32.const 255)) (i32.const 0x01010101)))
    (block $none
      (loop $l
        (br_if $none (i32.eqz (local.get $n)))
        (local.set $x (i32.xor (i32.load (local.get $p)) (local.get $c)))
        (if (i32.and (i32.and (i32.xor (local.get $x) (i32.const -1)) (i32.add (local.get $x) (i32.const -16843009)))
            (i32.const 0x80808080))
          (then (return (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $n (i32.sub (local.get $n) (i32.const 4)))
        (br $l)))
    (i32.const -1))
)
