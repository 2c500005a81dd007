//! Unloading recycles: a module's id (its funcref slot in every thread's store) is given to a new module
//! once every thread that had an instance of the old one has vacated the slot, and each thread's TLS block
//! of an unloaded module is freed. So a program may load and unload plugins forever.

use std::sync::mpsc;

use crate::common::*;
use wasmvm_loader::dl::{RTLD_GLOBAL, RTLD_NOW};
use wasmvm_loader::{LoadOptions, RegionKind, SpaceConfig};

fn load_main(t: &mut wasmvm_loader::Thread) {
    let opts = LoadOptions { needed: vec!["libmid.so".into()], ..Default::default() };
    t.load_with("main.wasm", &opts).unwrap();
}

fn plugin_tls_blocks(space: &wasmvm_loader::AddressSpace) -> usize {
    space
        .regions()
        .iter()
        .filter(|r| matches!(&r.kind, RegionKind::Tls { module, .. } if module == "libplugin.so"))
        .count()
}

/// Far more load/unload cycles than module slots, with a second thread using every generation of the
/// plugin (so it has an instance and a TLS block of each).
#[test]
fn load_and_unload_forever_with_few_slots() {
    let (space, _) = space(SpaceConfig { module_slots: 8, ..SpaceConfig::default() });
    let mut t = space.thread().unwrap();
    load_main(&mut t);
    let (go_tx, go_rx) = mpsc::channel::<bool>();
    let (done_tx, done_rx) = mpsc::channel::<i32>();
    let worker = space
        .spawn_thread(move |w| {
            while go_rx.recv().unwrap() {
                done_tx.send(w.call::<i32, i32>("plugin_op", 3).unwrap()).unwrap();
            }
        })
        .unwrap();
    for round in 0..100 {
        let plugin = t.dlopen("libplugin.so", RTLD_NOW | RTLD_GLOBAL).unwrap();
        assert_eq!(t.call::<i32, i32>("plugin_op", 1).unwrap(), 1101, "round {round}");
        go_tx.send(true).unwrap();
        // plugin_op(x) = base_add(x) * 100 + calls on this thread (thread-local): the worker's TLS block of
        // each generation is a fresh one (its first call), and those of earlier generations were freed.
        assert_eq!(done_rx.recv().unwrap(), 1301, "round {round}");
        assert_eq!(plugin_tls_blocks(&space), 1, "round {round}");
        t.dlclose(plugin).unwrap();
    }
    go_tx.send(false).unwrap();
    worker.join().unwrap();
    assert_eq!(plugin_tls_blocks(&space), 0);
}

/// A slot that another thread still has an instance in is not given to a new module until that thread
/// vacates it (here: at its next call through the loader).
#[test]
fn a_slot_is_recycled_only_when_every_thread_has_vacated_it() {
    let (space, _) = space(SpaceConfig::default());
    let mut t = space.thread().unwrap();
    load_main(&mut t);
    let first = t.dlopen("libplugin.so", RTLD_NOW | RTLD_GLOBAL).unwrap();

    let (go_tx, go_rx) = mpsc::channel::<bool>();
    let (done_tx, done_rx) = mpsc::channel::<i32>();
    let worker = space
        .spawn_thread(move |w| {
            while go_rx.recv().unwrap() {
                done_tx.send(w.call::<i32, i32>("plugin_op", 2).unwrap()).unwrap();
            }
        })
        .unwrap();
    go_tx.send(true).unwrap();
    assert_eq!(done_rx.recv().unwrap(), 1201); // the worker has an instance of `first`

    t.dlclose(first).unwrap();
    let second = t.dlopen("libplugin.so", RTLD_NOW | RTLD_GLOBAL).unwrap();
    assert_ne!(second, first, "the worker still has an instance in the first slot");

    // The worker's next call vacates the first slot, and it instantiates the second module (with a fresh
    // thread-local call count).
    go_tx.send(true).unwrap();
    assert_eq!(done_rx.recv().unwrap(), 1201);
    t.dlclose(second).unwrap();
    let third = t.dlopen("libplugin.so", RTLD_NOW | RTLD_GLOBAL).unwrap();
    assert_eq!(third, first, "every thread vacated the first slot: it is recycled");
    assert_eq!(t.call::<i32, i32>("plugin_op", 1).unwrap(), 1101);

    // The worker ends without vacating the second slot: its end releases it.
    go_tx.send(false).unwrap();
    worker.join().unwrap();
    t.dlclose(third).unwrap();
    let fourth = t.dlopen("libplugin.so", RTLD_NOW | RTLD_GLOBAL).unwrap();
    assert!(fourth == first || fourth == second, "a recycled slot, not a new one");
}

/// An Emscripten module's TLS blocks come from the built-in heap (`emscripten_builtin_memalign`): a thread
/// vacating the module's slot frees its block, so reloading the module does not leak one per round.
#[test]
fn emscripten_tls_blocks_are_freed_with_the_slot() {
    let (space, _) = space(SpaceConfig::default());
    let mut t = space.thread().unwrap();
    load_main(&mut t);
    let (go_tx, go_rx) = mpsc::channel::<Option<wasmvm_loader::ModuleId>>();
    let (done_tx, done_rx) = mpsc::channel::<(i32, u32)>();
    let worker = space
        .spawn_thread(move |w| {
            while let Some(em) = go_rx.recv().unwrap() {
                let bumped = w.call::<(), i32>("em_tls_bump", ()).unwrap();
                let wasmvm_loader::Symbol::Data { addr } = w.symbol(Some(em), "em_tls").unwrap() else { panic!() };
                done_tx.send((bumped, addr)).unwrap();
            }
        })
        .unwrap();
    let mut addrs = std::collections::BTreeSet::new();
    for round in 0..20 {
        let em = t.dlopen("em_side_pthread.wasm", RTLD_NOW | RTLD_GLOBAL).unwrap();
        assert_eq!(t.call::<(), i32>("em_tls_bump", ()).unwrap(), 6, "round {round}: a fresh block");
        go_tx.send(Some(em)).unwrap();
        let (bumped, addr) = done_rx.recv().unwrap();
        assert_eq!(bumped, 6, "round {round}: a fresh block");
        addrs.insert(addr);
        t.dlclose(em).unwrap();
    }
    go_tx.send(None).unwrap();
    worker.join().unwrap();
    assert!(addrs.len() <= 2, "the worker's blocks are recycled, not leaked: {addrs:x?}");
}

/// A thread that never calls through the loader but allocates (here: wasm calling the built-in `malloc`,
/// reached through a function handle taken earlier) vacates retired slots too.
#[test]
fn a_thread_that_only_allocates_vacates_retired_slots() {
    let (space, _) = space(SpaceConfig::default());
    let mut t = space.thread().unwrap();
    load_main(&mut t);
    let allocator = wat::parse_str(
        r#"(module (@dylink.0 (mem-info))
        (import "env" "__memory_base" (global i32))
        (import "env" "malloc" (func $malloc (param i32) (result i32)))
        (func (export "grab") (param i32) (result i32) local.get 0 call $malloc))"#,
    )
    .unwrap();
    t.load(wasmvm_loader::Source::Bytes { name: "grab.so".into(), bytes: allocator.into() }).unwrap();
    let first = t.dlopen("libplugin.so", RTLD_NOW | RTLD_GLOBAL).unwrap();

    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let worker = space
        .spawn_thread(move |w| {
            assert_eq!(w.call::<i32, i32>("plugin_op", 2).unwrap(), 1201); // an instance of `first`
            let grab = w.func(None, "grab").unwrap().typed::<i32, i32>(w.store()).unwrap();
            done_tx.send(()).unwrap();
            go_rx.recv().unwrap();
            // Straight into wasm, not through the loader: only `malloc` can notice the unload.
            assert_ne!(grab.call(w.store(), 64).unwrap(), 0);
            done_tx.send(()).unwrap();
            go_rx.recv().unwrap();
        })
        .unwrap();
    done_rx.recv().unwrap();
    t.dlclose(first).unwrap();
    go_tx.send(()).unwrap();
    done_rx.recv().unwrap();
    let second = t.dlopen("libplugin.so", RTLD_NOW | RTLD_GLOBAL).unwrap();
    assert_eq!(second, first, "the worker vacated the slot in malloc: it is recycled");
    go_tx.send(()).unwrap();
    worker.join().unwrap();
}
