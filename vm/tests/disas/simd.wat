;; SIMD translation: a v128 takes two slots (locals, parameters and temporaries are laid out by width),
;; results retarget into locals, constant splats fold into v128 constants, shifts by constants take an
;; immediate, and vector accesses pick the shared-memory handlers when memory 0 is shared.
(module
  (memory 1)
  ;; Slots: $a s0-s1, $n s2, $b s3-s4, $t s5-s6; the add writes $t directly.
  (func $layout (param $a v128) (param $n i32) (param $b v128) (result v128) (local $t v128)
    (local.set $t (i32x4.add (local.get $a) (local.get $b)))
    (i32x4.shl (local.get $t) (local.get $n)))
  ;; A splat of a constant is a v128 constant; a shift by a constant takes it as an immediate.
  (func $consts (param v128) (result v128)
    (i16x8.shr_u (i16x8.add (local.get 0) (i16x8.splat (i32.const 3))) (i32.const 1)))
  ;; Lanes: extract to a scalar slot, replace from one; a shuffle carries its sixteen indices.
  (func $lanes (param v128 v128 f32) (result f32 v128)
    (f32x4.extract_lane 2 (local.get 0))
    (i8x16.shuffle 0 17 2 19 4 21 6 23 8 25 10 27 12 29 14 31
      (f32x4.replace_lane 1 (local.get 1) (local.get 2)) (local.get 0)))
  ;; Whole-vector, converting and lane memory accesses; a select of vectors; a test feeding a branch.
  (func $memory (param i32 v128) (result i32)
    (v128.store offset=16 (local.get 0)
      (select (v128.load (local.get 0)) (v128.load8x8_s offset=8 (local.get 0)) (local.get 0)))
    (v128.store32_lane 3 (local.get 0) (v128.load64_lane 1 (local.get 0) (local.get 1)))
    (if (result i32) (v128.any_true (local.get 1)) (then (i8x16.bitmask (local.get 1))) (else (i32.const -1))))
  ;; An address computed just before a vector access is fused into it (base + index << shift, base + imm).
  (func $fused (param $p i32) (param $i i32) (param $v v128)
    (v128.store (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 3)))
      (v128.load (i32.add (local.get $p) (local.get $i))))
    (v128.store (i32.add (local.get $p) (i32.const 64)) (local.get $v)))
  ;; A lane-wise add of a product just computed is one multiply-add (two roundings, as the two instructions).
  (func $mul_add (param v128 v128 v128) (result v128)
    (f32x4.add (local.get 2) (f32x4.mul (local.get 0) (local.get 1))))
  ;; The relaxed instructions have their own handlers (see ir::simd for the deterministic choices).
  (func $relaxed (param v128 v128 v128) (result v128)
    (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2))))
