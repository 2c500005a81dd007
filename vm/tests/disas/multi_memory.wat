;; Multi-memory: memory 0 (a 32-bit memory) keeps its register families and fusions; an access to another
;; memory is one `_m` instruction naming the memory (looked up in the instance), shared or private as that
;; memory is, with no address fusion. Bulk operations name their memories; a copy between two memories is
;; one `memory_copy_m`.
(module
  (memory $a 1)
  (memory $b 1 4 shared)
  (memory $c 0 100 (pagesize 1))
  (data $d "hello")
  ;; Memory 0: the fused base + index load as before; memory 1: a plain `load_m` (shared variant).
  (func $loads (param $p i32) (param $i i32) (result i32)
    (i32.add (i32.load $a (i32.add (local.get $p) (local.get $i)))
             (i32.load $b offset=8 (i32.add (local.get $p) (local.get $i)))))
  ;; Stores of every kind to memory 2 (private); a constant value is materialised.
  (func $stores (param $p i32) (param $x i64) (param $f f64)
    (i64.store $c offset=4 (local.get $p) (local.get $x))
    (f64.store $c (local.get $p) (local.get $f))
    (i32.store8 $c (local.get $p) (i32.const 7)))
  ;; Sizes in each memory's pages; grow; fill; copy between two memories; init.
  (func $bulk (param $n i32) (result i32)
    (drop (memory.grow $b (local.get $n)))
    (memory.fill $c (i32.const 0) (i32.const 1) (local.get $n))
    (memory.copy $a $b (i32.const 0) (i32.const 16) (local.get $n))
    (memory.init $c $d (i32.const 0) (i32.const 0) (i32.const 5))
    (i32.add (memory.size $a) (memory.size $c)))
  ;; Atomics and vector accesses on memory 1.
  (func $atomics (param $p i32) (result i32)
    (i32.atomic.store $b (local.get $p) (i32.const 1))
    (drop (i32.atomic.rmw.add $b (local.get $p) (i32.const 2)))
    (drop (memory.atomic.notify $b (local.get $p) (i32.const 1)))
    (v128.store $b offset=16 (local.get $p) (v128.load $b (local.get $p)))
    (i32.atomic.rmw.cmpxchg $b (local.get $p) (i32.const 3) (i32.const 4)))
)
