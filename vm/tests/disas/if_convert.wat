;; `if (a OP b) x = y;`: a conditional branch over one copy to the label right after it is one `select_cmp`,
;; or a `select` on a condition in a slot (vm/src/translate/if_convert.rs); of two branches to the label, the
;; last one joins the copy. spec-tests/wast/translation/if_convert.wast checks the results.
(module
  (func (export "f64_lt_blk") (param $a f64) (param $b f64) (param $x i32) (param $y i32) (result i32)
    (block $s (br_if $s (f64.lt (local.get $a) (local.get $b))) (local.set $x (local.get $y)))
    (local.get $x))
  (func (export "i32_gt_u_if_imm") (param $a i32) (param $x i32) (param $y i32) (result i32)
    (if (i32.gt_u (local.get $a) (i32.const 7)) (then (local.set $x (local.get $y))))
    (local.get $x))
  (func (export "cond_if") (param $c i32) (param $x i32) (param $y i32) (result i32)
    (if (local.get $c) (then (local.set $x (local.get $y))))
    (local.get $x))
  (func (export "two_branches") (param $a i32) (param $b i32) (param $x i32) (param $y i32) (result i32)
    (block $s
      (br_if $s (i32.lt_s (local.get $a) (local.get $b)))
      (br_if $s (i32.eq (local.get $a) (i32.const 100)))
      (local.set $x (local.get $y)))
    (local.get $x)))
