;; `i32.eqz` of a comparison feeding a branch: the comparison's branch, the other way (float comparisons keep
;; their `eqz` in wasm: `!(a < b)` is not `a >= b` with NaN). spec-tests/wast/translation/not_compare.wast checks
;; the results.
(module
  (func (export "f64_lt_br") (param $a f64) (param $b f64) (result i32)
    (block $n (br_if $n (i32.eqz (f64.lt (local.get $a) (local.get $b)))) (return (i32.const 0)))
    (i32.const 1))
  (func (export "f32_ge_if") (param $a f32) (param $b f32) (result i32)
    (if (result i32) (i32.eqz (f32.ge (local.get $a) (local.get $b))) (then (i32.const 1)) (else (i32.const 0))))
  (func (export "f64_le_imm_first") (param $a f64) (result i32)
    (block $n (br_if $n (i32.eqz (f64.le (f64.const 1.5) (local.get $a)))) (return (i32.const 0)))
    (i32.const 1))
  (func (export "i32_lt_s_br") (param $a i32) (param $b i32) (result i32)
    (block $n (br_if $n (i32.eqz (i32.lt_s (local.get $a) (local.get $b)))) (return (i32.const 0)))
    (i32.const 1)))
