//! Embedding API: late-bound functions, functions in chosen slots, the calling instance, slot resolvers.

use wasmvm::{Caller, Engine, Extern, Func, FuncType, Instance, InstanceOptions, Linker, Module, Store, Val, ValType};

fn module(engine: &Engine, wat: &str) -> Module {
    Module::new(engine, &wat::parse_str(wat).unwrap()).unwrap()
}

#[test]
fn late_bound_import_resolves_at_call_time_through_the_slot_resolver() {
    let engine = Engine::default();
    // `user` imports `f` before the module defining it exists in the store.
    let user = module(
        &engine,
        r#"(module (import "m" "f" (func $f (param i32) (result i32)))
        (func (export "go") (param i32) (result i32) (call $f (local.get 0))))"#,
    );
    let lib = module(
        &engine,
        r#"(module (func (export "f") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3))))"#,
    );
    let mut store = Store::new(&engine, ());
    store.reserve_slots(16);
    // The library will live in slot 5; its function 0 is `f`.
    let raw = 6u64 << 32; // slot 5 (slots are stored +1), function 0
    let ty = FuncType::new([ValType::I32], [ValType::I32]);
    let f = Func::late_bound(&mut store, raw, &ty);
    let inst = Instance::new(&mut store, &user, &[Extern::Func(f)]).unwrap();
    let go = inst.get_func(&store, "go").unwrap().typed::<i32, i32>(&store).unwrap();
    // Nothing in slot 5 and no resolver: the call traps.
    assert_eq!(go.call(&mut store, 7).unwrap_err().to_string(), "trap: uninitialized element");
    // With a resolver that instantiates the library in slot 5, the call goes through.
    let lib2 = lib.clone();
    store.set_slot_resolver(move |store, slot| {
        assert_eq!(slot, 5);
        let opts = InstanceOptions { slot: Some(slot), ..InstanceOptions::default() };
        Instance::new_with(store, &lib2, &[], opts).map(|_| ()).map_err(|e| wasmvm::Trap::host(e.to_string()))
    });
    assert_eq!(go.call(&mut store, 7).unwrap(), 21);
    // Calling the late-bound handle directly from the host works too.
    let mut out = [Val::I32(0)];
    f.call(&mut store, &[Val::I32(5)], &mut out).unwrap();
    assert_eq!(out[0], Val::I32(15));
}

#[test]
fn late_bound_signature_mismatch_traps() {
    let engine = Engine::default();
    let user = module(
        &engine,
        r#"(module (import "m" "f" (func $f (result i32))) (func (export "go") (result i32) (call $f)))"#,
    );
    let lib = module(&engine, r#"(module (func (export "f") (param i32) (result i32) (local.get 0)))"#);
    let mut store = Store::new(&engine, ());
    let lib_inst = Instance::new(&mut store, &lib, &[]).unwrap();
    let target = lib_inst.get_func(&store, "f").unwrap().to_raw();
    let f = Func::late_bound(&mut store, target, &FuncType::new([], [ValType::I32]));
    let inst = Instance::new(&mut store, &user, &[Extern::Func(f)]).unwrap();
    let go = inst.get_func(&store, "go").unwrap().typed::<(), i32>(&store).unwrap();
    assert_eq!(go.call(&mut store, ()).unwrap_err().to_string(), "trap: indirect call type mismatch");
    // A failed resolution binds nothing: the next call checks (and traps) again.
    assert_eq!(go.call(&mut store, ()).unwrap_err().to_string(), "trap: indirect call type mismatch");
}

/// After its first call, a late-bound import is bound in the importing instance: later calls go straight
/// to the target (a deep recursion through it behaves like one through a direct import), and the import
/// keeps its identity (`ref.func` of it is still the reference it forwards to).
#[test]
fn late_bound_import_is_bound_by_its_first_call() {
    let engine = Engine::default();
    let m = module(
        &engine,
        r#"(module
          (import "m" "self" (func $self (param i64) (result i64)))
          (elem declare func $self)
          (func $sum (export "sum") (param i64) (result i64)
            (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 0))
              (else (i64.add (local.get 0) (call $self (i64.sub (local.get 0) (i64.const 1)))))))
          (func (export "self_ref") (result funcref) (ref.func $self)))"#,
    );
    let mut store = Store::new(&engine, ());
    store.reserve_slots(4);
    // The module imports its own export `sum` (function 1 of the instance in slot 2).
    let raw = (3u64 << 32) | 1;
    let f = Func::late_bound(&mut store, raw, &FuncType::new([ValType::I64], [ValType::I64]));
    let opts = InstanceOptions { slot: Some(2), ..InstanceOptions::default() };
    let inst = Instance::new_with(&mut store, &m, &[Extern::Func(f)], opts).unwrap();
    let sum = inst.get_func(&store, "sum").unwrap().typed::<i64, i64>(&store).unwrap();
    for n in [0i64, 1, 10, 20_000, 20_000] {
        assert_eq!(sum.call(&mut store, n).unwrap(), n * (n + 1) / 2);
    }
    let self_ref = inst.get_func(&store, "self_ref").unwrap();
    let mut out = [Val::I32(0)];
    self_ref.call(&mut store, &[], &mut out).unwrap();
    let Val::FuncRef(Some(r)) = out[0] else { panic!("expected a funcref, got {:?}", out[0]) };
    assert_eq!(r.to_raw(), raw);
}

#[test]
fn host_function_in_a_chosen_slot_and_the_calling_instance() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, Vec::<u32>::new());
    let f = Func::wrap_at(&mut store, 3, |mut c: Caller<'_, Vec<u32>>, x: i32| {
        let slot = c.instance().map(|i| i.slot()).unwrap_or(u32::MAX);
        c.data_mut().push(slot);
        x + 1
    })
    .unwrap();
    assert_eq!(f.to_raw(), 4u64 << 32);
    assert!(Func::wrap_at(&mut store, 3, |_: Caller<'_, Vec<u32>>| {}).is_err(), "slot 3 is taken");
    let user = module(
        &engine,
        r#"(module (import "h" "f" (func $f (param i32) (result i32)))
        (func (export "go") (result i32) (call $f (i32.const 41))))"#,
    );
    let mut linker = Linker::new(&engine);
    linker.define("h", "f", f).unwrap();
    let inst = linker.instantiate(&mut store, &user).unwrap();
    let go = inst.get_func(&store, "go").unwrap().typed::<(), i32>(&store).unwrap();
    assert_eq!(go.call(&mut store, ()).unwrap(), 42);
    assert_eq!(store.data(), &vec![inst.slot()]);
}

/// A raw host function's i32 result is its slot's low 32 bits, even if it wrote garbage above them: the
/// interpreter keeps 32-bit values zero-extended in slots, and `i64.extend_i32_u` relies on it.
#[test]
fn raw_host_i32_results_are_zero_extended() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let m = module(
        &engine,
        r#"(module (import "h" "neg" (func $neg (result i32 f32 i64)))
        (func (export "go") (result i64 i64 i64) (local f32) (local i64)
          (call $neg)
          (local.set 1)
          (local.set 0)
          (i64.extend_i32_u)
          (i64.extend_i32_u (i32.reinterpret_f32 (local.get 0)))
          (local.get 1)))"#,
    );
    let mut linker = Linker::new(&engine);
    let ty = FuncType::new([], [ValType::I32, ValType::F32, ValType::I64]);
    linker
        .func_raw("h", "neg", ty, |_, slots| {
            slots[0] = u64::MAX; // i32 -1, sign-extended: not the slot form
            slots[1] = 0xdead_beef_3f80_0000; // f32 1.0 with garbage above
            slots[2] = u64::MAX; // i64 -1
            Ok(())
        })
        .unwrap();
    let inst = linker.instantiate(&mut store, &m).unwrap();
    let go = inst.get_func(&store, "go").unwrap().typed::<(), (i64, i64, i64)>(&store).unwrap();
    assert_eq!(go.call(&mut store, ()).unwrap(), (0xffff_ffff, 0x3f80_0000, -1));
}

/// `func_wrap` and `Func::wrap` take closures without a `Caller` too, as wasmtime's do: plain `Fn(A, B) -> R`,
/// with or without a `Result<_, Trap>`, next to the `Fn(Caller<T>, A, B) -> R` form.
#[test]
fn host_functions_without_caller() {
    let engine = Engine::default();
    let m = module(
        &engine,
        r#"(module
             (import "m" "inc" (func $inc (param i32) (result i32)))
             (import "m" "add" (func $add (param i64 i64) (result i64)))
             (import "m" "scaled" (func $scaled (param i32) (result i32)))
             (import "m" "check" (func $check (param i32)))
             (import "m" "seven" (func $seven (result i32)))
             (func (export "go") (param i32) (result i32)
               (call $check (local.get 0))
               (i32.add (call $scaled (call $inc (local.get 0))) (call $seven)))
             (func (export "wide") (param i64) (result i64) (call $add (local.get 0) (i64.const 40))))"#,
    );
    let mut linker = Linker::<i32>::new(&engine);
    linker.func_wrap("m", "inc", |x: i32| x + 1).unwrap();
    linker.func_wrap("m", "add", |a: i64, b: i64| a + b).unwrap();
    // The Caller form still works beside the new one.
    linker.func_wrap("m", "scaled", |caller: Caller<'_, i32>, x: i32| x * *caller.data()).unwrap();
    linker.func_wrap("m", "check", |x: i32| if x < 0 { Err(wasmvm::Trap::host("negative")) } else { Ok(()) }).unwrap();
    let mut store = Store::new(&engine, 10);
    let seven = Func::wrap(&mut store, || 7i32);
    linker.define("m", "seven", seven).unwrap();
    let inst = linker.instantiate(&mut store, &m).unwrap();
    let go = inst.get_func(&store, "go").unwrap().typed::<i32, i32>(&store).unwrap();
    assert_eq!(go.call(&mut store, 4).unwrap(), (4 + 1) * 10 + 7);
    assert_eq!(go.call(&mut store, -1).unwrap_err().to_string(), "trap: negative");
    let wide = inst.get_func(&store, "wide").unwrap().typed::<i64, i64>(&store).unwrap();
    assert_eq!(wide.call(&mut store, 2).unwrap(), 42);
}

/// Retired globals and host functions (what the loader made for an unloaded module's imports) are released
/// when no wasm runs, reused by the next ones, and a handle to a released global is refused; an instance's
/// own globals go with its vacated slot. (Before: every such global and function stayed allocated until the
/// store was dropped: the loader's dlopen/dlclose churn grew the store by each instantiation's imports.)
#[test]
fn retired_globals_and_functions_are_released_and_reused() {
    use wasmvm::{AsContextMut, Global, GlobalType};
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let ty = GlobalType { content: ValType::I32, mutable: true };
    let g = Global::new(&mut store, ty, Val::I32(7)).unwrap();
    let f = Func::wrap(&mut store, |_: Caller<'_, ()>| 1i32);
    let m = module(&engine, r#"(module (global (export "own") (mut i32) (i32.const 9)))"#);
    let opts = InstanceOptions { slot: Some(store.footprint().slots as u32), ..Default::default() };
    let inst = Instance::new_with(&mut store, &m, &[], opts).unwrap();
    let own = inst.get_global(&store, "own").unwrap();
    let full = store.footprint();

    store.inner_mut().retire_externs(&[g], &[f]);
    store.inner_mut().vacate_slot(opts.slot.unwrap());
    assert_eq!(g.get(&store).unwrap().i32(), Some(7), "released only at the next release point");
    store.inner_mut().release_vacated();
    assert_eq!(g.get(&store).unwrap_err().to_string(), "global was released (its instance was unloaded)");
    assert!(own.set(&mut store, Val::I32(1)).is_err());
    assert_eq!((store.footprint().free_globals, store.footprint().free_slots), (2, 1));

    // The next global and host function take the released storage.
    let g2 = Global::new(&mut store, ty, Val::I32(8)).unwrap();
    let g3 = Global::new(&mut store, ty, Val::I32(10)).unwrap();
    let f2 = Func::wrap(&mut store, |_: Caller<'_, ()>| 2i32);
    assert_eq!((store.footprint().slots, store.footprint().globals), (full.slots, full.globals));
    assert_eq!((g2.get(&store).unwrap().i32(), g3.get(&store).unwrap().i32()), (Some(8), Some(10)));
    assert_eq!(f2.typed::<(), i32>(&store).unwrap().call(&mut store, ()).unwrap(), 2);
    assert!(g.get(&store).is_err(), "the stale handle stays refused after reuse");
}

/// A host function's single result is handed to the instruction after the call in the accumulator, as a
/// wasm callee's return does (`translate` `push_results`): after a call, after a tail call that fell back
/// to an ordinary call (the host callee), and as a branch condition.
#[test]
fn host_call_results_reach_the_next_instruction() {
    let engine = Engine::default();
    let m = module(
        &engine,
        r#"(module
             (import "m" "inc" (func $inc (param i32) (result i32)))
             (func $tail (param i32) (result i32) (return_call $inc (local.get 0)))
             (func (export "go") (param i32) (result i32)
               (i32.mul (call $tail (local.get 0)) (i32.const 3)))
             (func (export "direct") (param i32) (result i32)
               (i32.sub (i32.const 100) (call $inc (local.get 0))))
             (func (export "branch") (param i32) (result i32)
               (block (br_if 0 (call $inc (local.get 0))) (return (i32.const 1))) (i32.const 0)))"#,
    );
    let mut linker = Linker::<()>::new(&engine);
    linker.func_wrap("m", "inc", |x: i32| x + 1).unwrap();
    let mut store = Store::new(&engine, ());
    let inst = linker.instantiate(&mut store, &m).unwrap();
    let f = |name: &str| inst.get_func(&store, name).unwrap().typed::<i32, i32>(&store).unwrap();
    let (go, direct, branch) = (f("go"), f("direct"), f("branch"));
    assert_eq!(go.call(&mut store, 4).unwrap(), 15);
    assert_eq!(direct.call(&mut store, 9).unwrap(), 90);
    assert_eq!(branch.call(&mut store, -1).unwrap(), 1);
    assert_eq!(branch.call(&mut store, 0).unwrap(), 0);
}
