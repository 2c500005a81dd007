;; binary-trees (the Benchmarks Game's allocation benchmark) with GC structs: build and walk complete
;; binary trees of depth 4..=max, many short-lived ones and one long-lived; returns a checksum.
(module
  (type $tree (struct (field $l (ref null $tree)) (field $r (ref null $tree))))
  (func $make (param $d i32) (result (ref $tree))
    (if (result (ref $tree)) (i32.eqz (local.get $d))
      (then (struct.new $tree (ref.null $tree) (ref.null $tree)))
      (else
        (local.set $d (i32.sub (local.get $d) (i32.const 1)))
        (struct.new $tree (call $make (local.get $d)) (call $make (local.get $d))))))
  (func $check (param $t (ref $tree)) (result i32)
    (local $l (ref null $tree))
    (local.set $l (struct.get $tree $l (local.get $t)))
    (if (result i32) (ref.is_null (local.get $l))
      (then (i32.const 1))
      (else (i32.add (i32.const 1)
        (i32.add (call $check (ref.as_non_null (local.get $l)))
                 (call $check (ref.as_non_null (struct.get $tree $r (local.get $t)))))))))
  (func (export "run") (param $max i32) (result i32)
    (local $sum i32) (local $long (ref $tree)) (local $d i32) (local $iters i32) (local $i i32)
    (local.set $sum (call $check (call $make (i32.add (local.get $max) (i32.const 1)))))
    (local.set $long (call $make (local.get $max)))
    (local.set $d (i32.const 4))
    (block $done (loop $depths
      (br_if $done (i32.gt_u (local.get $d) (local.get $max)))
      (local.set $iters (i32.shl (i32.const 1) (i32.add (i32.sub (local.get $max) (local.get $d)) (i32.const 4))))
      (local.set $i (i32.const 0))
      (loop $trees
        (local.set $sum (i32.add (local.get $sum) (call $check (call $make (local.get $d)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $trees (i32.lt_u (local.get $i) (local.get $iters))))
      (local.set $d (i32.add (local.get $d) (i32.const 2)))
      (br $depths)))
    (i32.add (local.get $sum) (call $check (local.get $long)))))
