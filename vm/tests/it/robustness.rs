//! Bad input never panics and never takes the host down: deep recursion, host re-entry, runaway loops,
//! small host stacks, and random or mutated module bytes.

use std::time::Duration;

use proptest::prelude::*;
use wasmvm::{
    Caller, Config, Engine, Extern, Func, Global, Instance, Linker, Memory, Module, SharedMemory, Store, Table, Val,
};

fn on_small_stack<R: Send + 'static>(stack: usize, f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new().stack_size(stack).spawn(f).unwrap().join().expect("thread crashed")
}

fn call(engine: &Engine, wat: &str, func: &str, args: &[Val]) -> wasmvm::Result<Vec<Val>> {
    let module = Module::new(engine, &wat::parse_str(wat).unwrap())?;
    let mut store = Store::new(engine, ());
    let inst = Linker::new(engine).instantiate(&mut store, &module)?;
    let f = inst.get_func(&store, func).unwrap();
    let mut out: Vec<Val> = f.ty(&store)?.results().iter().map(|t| Val::default_of(*t)).collect();
    f.call(&mut store, args, &mut out)?;
    Ok(out)
}

#[test]
fn unbounded_recursion_traps_on_a_small_host_stack() {
    let r = on_small_stack(64 * 1024, || {
        call(
            &Engine::default(),
            r#"(module (func $f (export "f") (param i32) (call $f (local.get 0))))"#,
            "f",
            &[Val::I32(1)],
        )
    });
    assert_eq!(r.unwrap_err().to_string(), "trap: call stack exhausted");
}

#[test]
fn long_loops_and_deep_calls_run_in_constant_host_stack() {
    // A million iterations and 10,000-deep recursion on a 64 KiB host stack: handlers must not nest.
    let wat = r#"(module
      (func $down (param i32) (result i32)
        (if (result i32) (local.get 0)
          (then (i32.add (i32.const 1) (call $down (i32.sub (local.get 0) (i32.const 1)))))
          (else (i32.const 0))))
      (func (export "f") (param $n i32) (result i32) (local $acc i32)
        (loop $l
          (local.set $acc (i32.add (local.get $acc) (local.get $n)))
          (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
        (i32.add (local.get $acc) (call $down (i32.const 10000)))))"#;
    let r = on_small_stack(64 * 1024, move || call(&Engine::default(), wat, "f", &[Val::I32(1_000_000)]));
    assert_eq!(r.unwrap(), vec![Val::I32(1_784_293_664u32.wrapping_add(10000) as i32)]);
}

#[test]
fn an_execution_stack_that_cannot_be_mapped_traps() {
    // 2^60 value slots (8 EiB) cannot be mapped: the call traps instead of aborting the process.
    let engine = Engine::new(Config { max_stack_slots: 1 << 60, ..Config::default() });
    let wat = r#"(module (func (export "f") (result i32) (i32.const 1)))"#;
    let e = call(&engine, wat, "f", &[]).unwrap_err().to_string();
    assert!(e.contains("call stack exhausted"), "{e}");
    // A sane configuration runs the same function.
    assert_eq!(call(&Engine::default(), wat, "f", &[]).unwrap(), vec![Val::I32(1)]);
}

#[test]
fn host_reentry_is_bounded() {
    // wasm -> host -> wasm -> host ... forever: must trap, not overflow the host stack.
    let r = on_small_stack(512 * 1024, || {
        let engine = Engine::default();
        let wat = r#"(module (import "h" "back" (func $back)) (func (export "f") (call $back)))"#;
        let module = Module::new(&engine, &wat::parse_str(wat).unwrap()).unwrap();
        let mut store = Store::new(&engine, ());
        let mut linker = Linker::new(&engine);
        linker
            .func_wrap("h", "back", |mut caller: Caller<'_, ()>| -> Result<(), wasmvm::Trap> {
                let f = caller.get_export("f").unwrap().into_func().unwrap();
                f.call(&mut caller, &[], &mut []).map_err(|e| match e {
                    wasmvm::Error::Trap(t) => t,
                    other => wasmvm::Trap::host(other.to_string()),
                })
            })
            .unwrap();
        let inst = linker.instantiate(&mut store, &module).unwrap();
        let f = inst.get_func(&store, "f").unwrap();
        f.call(&mut store, &[], &mut []).map_err(|e| e.to_string())
    });
    assert_eq!(r.unwrap_err(), "trap: call stack exhausted");
}

#[test]
fn interrupt_stops_a_runaway_loop() {
    let engine = Engine::new(Config { interruptible: true, ..Config::default() });
    let module =
        Module::new(&engine, &wat::parse_str(r#"(module (func (export "spin") (loop $l (br $l))))"#).unwrap()).unwrap();
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
    let handle = store.interrupt_handle();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        handle.interrupt();
    });
    let f = inst.get_func(&store, "spin").unwrap();
    assert_eq!(f.call(&mut store, &[], &mut []).unwrap_err().to_string(), "trap: interrupted");
}

#[test]
fn simd_is_rejected_with_a_named_feature_when_disabled() {
    let wat = r#"(module (func (result v128) (v128.const i64x2 0 0)))"#;
    assert!(Module::new(&Engine::default(), &wat::parse_str(wat).unwrap()).is_ok());
    let features = wasmvm::Features { simd: false, relaxed_simd: false, ..Default::default() };
    let engine = Engine::new(Config { features, ..Config::default() });
    let err = Module::new(&engine, &wat::parse_str(wat).unwrap()).unwrap_err();
    assert!(matches!(err, wasmvm::Error::Unsupported(_)), "{err:?}");
    assert!(err.to_string().contains("SIMD"), "{err}");
}

/// Instantiate with placeholder imports and call every export with default arguments, interrupting
/// anything that runs longer than a few milliseconds. Whatever happens must be an `Ok` or an `Err`.
fn exercise(bytes: &[u8]) {
    let engine = Engine::new(Config { interruptible: true, max_stack_slots: 1 << 16, ..Config::default() });
    let Ok(module) = Module::new(&engine, bytes) else { return };
    let mut store = Store::new(&engine, ());
    let mut imports = Vec::new();
    for imp in module.imports() {
        let ext = match imp.ty {
            wasmvm::ExternType::Func(ty) => {
                let results = ty.results().to_vec();
                Extern::Func(Func::new(&mut store, ty, move |_, _, out| {
                    for (o, t) in out.iter_mut().zip(&results) {
                        *o = Val::default_of(*t);
                    }
                    Ok(())
                }))
            }
            wasmvm::ExternType::Global(g) => match Global::new(&mut store, g, Val::default_of(g.content)) {
                Ok(g) => Extern::Global(g),
                Err(_) => return,
            },
            wasmvm::ExternType::Memory(m) if m.shared => match SharedMemory::new(m.min, m.max.unwrap_or(m.min)) {
                Ok(s) => Extern::SharedMemory(s),
                Err(_) => return,
            },
            wasmvm::ExternType::Memory(m) => match Memory::new(&mut store, m) {
                Ok(m) => Extern::Memory(m),
                Err(_) => return,
            },
            wasmvm::ExternType::Tag(ty) => match wasmvm::Tag::new("import", ty) {
                Ok(t) => Extern::Tag(t),
                Err(_) => return,
            },
            wasmvm::ExternType::Table(t) => match Table::new(&mut store, t, Val::default_of(t.element)) {
                Ok(t) => Extern::Table(t),
                Err(_) => return,
            },
        };
        imports.push(ext);
    }
    let handle = store.interrupt_handle();
    let watchdog = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        handle.interrupt();
    });
    if let Ok(inst) = Instance::new(&mut store, &module, &imports) {
        for (_, ext) in inst.exports(&store) {
            if let Extern::Func(f) = ext {
                let ty = f.ty(&store).unwrap();
                let args: Vec<Val> = ty.params().iter().map(|t| Val::default_of(*t)).collect();
                let mut out: Vec<Val> = ty.results().iter().map(|t| Val::default_of(*t)).collect();
                let _ = f.call(&mut store, &args, &mut out);
            }
        }
    }
    let _ = watchdog.join();
}

const SEEDS: &[&str] = &[
    r#"(module (memory 1) (table 4 funcref) (global $g (mut i32) (i32.const 7))
        (elem (i32.const 0) $a $b)
        (func $a (result i32) (i32.load (i32.const 8)))
        (func $b (param i32) (result i32) (call_indirect (result i32) (local.get 0)))
        (func (export "run") (param i32) (result i32) (local i64)
          (block (loop
            (br_if 1 (i32.eqz (local.get 0)))
            (i32.store (local.get 0) (global.get $g))
            (global.set $g (i32.add (global.get $g) (call $b (i32.const 0))))
            (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
            (br 0)))
          (memory.fill (i32.const 0) (i32.const 1) (i32.const 100))
          (br_table 0 0 (global.get $g))
          (global.get $g)))"#,
    r#"(module (func $fib (export "fib") (param i64) (result i64)
        (if (result i64) (i64.lt_u (local.get 0) (i64.const 2)) (then (local.get 0))
          (else (i64.add (call $fib (i64.sub (local.get 0) (i64.const 1)))
                         (call $fib (i64.sub (local.get 0) (i64.const 2))))))))"#,
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let mut with_header = b"\0asm\x01\0\0\0".to_vec();
        with_header.extend_from_slice(&bytes);
        exercise(&bytes);
        exercise(&with_header);
    }

    #[test]
    fn mutated_modules_never_panic(
        seed in 0..SEEDS.len(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..3), 1..6),
    ) {
        let mut bytes = wat::parse_str(SEEDS[seed]).unwrap();
        for (pos, byte, kind) in edits {
            if bytes.is_empty() { break; }
            let at = pos % bytes.len();
            match kind {
                0 => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                _ => { bytes.truncate(at.max(8)); }
            }
        }
        exercise(&bytes);
    }
}

/// Every handler must end in a tail call: if one used a real call to reach the next instruction, each
/// execution of it would leak a host stack frame and this loop would overflow a 64 KiB stack.
#[test]
fn every_instruction_family_runs_in_constant_host_stack() {
    let wat = r#"(module
      (import "h" "f" (func $host (param i32) (result i32)))
      (import "env" "shared" (memory 1 1 shared))
      (table $t 4 funcref)
      (global $g (mut i32) (i32.const 0))
      (global $h (mut i64) (i64.const 0))
      (elem (i32.const 0) $two $three)
      (elem $e funcref (ref.func $two))
      (elem declare func $one)
      (data $d "abcd")
      (func $two (result i32 i32) (i32.const 1) (i32.const 2))
      (func $three (result i32 i32) (return (i32.const 3) (i32.const 4)))
      (func $one (param i32) (result i32) (return (local.get 0)))
      (func $imm (result i64) (i64.const 5))
      (func (export "run") (param $n i32) (result i32) (local $acc i32) (local $f f64) (local $x i64)
        (loop $l
          (local.set $acc (i32.add (local.get $acc) (i32.mul (local.get $n) (i32.const 3))))
          (local.set $acc (i32.sub (i32.const 7) (local.get $acc)))
          (local.set $acc (i32.div_u (local.get $acc) (i32.const 1)))
          (local.set $acc (i32.clz (local.get $acc)))
          (local.set $f (f64.sqrt (f64.convert_i32_u (local.get $n))))
          (local.set $x (i64.trunc_sat_f64_s (local.get $f)))
          (global.set $g (i32.add (global.get $g) (i32.const 1)))
          (global.set $h (i64.const 9))
          (i32.store (i32.const 16) (local.get $acc))
          (i32.store (local.get $acc) (i32.const 3))
          (i64.store8 offset=8 (i32.and (local.get $n) (i32.const 255)) (local.get $x))
          (local.set $acc (i32.add (local.get $acc) (i32.load (i32.const 16))))
          (local.set $acc (i32.add (local.get $acc) (i32.load8_s offset=3 (i32.and (local.get $n) (i32.const 1023)))))
          (drop (memory.grow (i32.const 0)))
          (drop (memory.size))
          (memory.fill (i32.const 100) (i32.const 1) (i32.const 4))
          (memory.copy (i32.const 200) (i32.const 100) (i32.const 4))
          (memory.init $d (i32.const 300) (i32.const 0) (i32.const 0))
          (table.set $t (i32.const 2) (table.get $t (i32.const 0)))
          (drop (table.size $t))
          (drop (ref.is_null (ref.func $one)))
          (table.init $t $e (i32.const 3) (i32.const 0) (i32.const 0))
          (drop (i32.atomic.rmw.add (i32.const 32) (i32.const 1)))
          (drop (i32.atomic.rmw.cmpxchg (i32.const 32) (i32.const 0) (i32.const 1)))
          (i64.atomic.store (i32.const 40) (i64.atomic.load (i32.const 40)))
          (drop (memory.atomic.notify (i32.const 32) (i32.const 1)))
          (atomic.fence)
          (local.set $acc (i32.add (local.get $acc) (call $host (local.get $n))))
          (local.set $acc (i32.add (local.get $acc) (call $one (local.get $n))))
          (drop (call $imm))
          (drop (drop (call $two)))
          (drop (drop (call_indirect (result i32 i32) (i32.and (local.get $n) (i32.const 1)))))
          (block $a (block $b (br_table $a $b $a (i32.and (local.get $n) (i32.const 3)))))
          (local.set $acc (select (local.get $acc) (i32.const 1) (local.get $n)))
          (if (i32.lt_s (local.get $n) (i32.const 0)) (then unreachable))
          (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
        (data.drop $d)
        (elem.drop $e)
        (local.get $acc)))"#;
    let r = on_small_stack(64 * 1024, move || {
        let engine = Engine::default();
        let module = Module::new(&engine, &wat::parse_str(wat).unwrap()).unwrap();
        let mut store = Store::new(&engine, ());
        let mut linker = Linker::new(&engine);
        linker.func_wrap("h", "f", |_: Caller<'_, ()>, x: i32| x & 1).unwrap();
        linker.define("env", "shared", SharedMemory::new(1, 1).unwrap()).unwrap();
        let inst = linker.instantiate(&mut store, &module).unwrap();
        let run = inst.get_func(&store, "run").unwrap().typed::<i32, i32>(&store).unwrap();
        run.call(&mut store, 200_000).map_err(|e| e.to_string())
    });
    r.unwrap();
}
