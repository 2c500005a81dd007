//! Step 4: threads — each with its own store, stack and TLS blocks, instances created lazily, modules
//! loaded by one thread callable through function pointers from all.

use std::collections::BTreeMap;
use std::sync::{Arc, Barrier, mpsc};

use crate::common::*;
use wasmvm_loader::{LoadOptions, RegionKind, SpaceConfig, Symbol};

fn load_main(t: &mut wasmvm_loader::Thread) {
    let opts = LoadOptions { needed: vec!["libmid.so".into()], ..Default::default() };
    t.load_with("main.wasm", &opts).unwrap();
}

/// Per thread, the kinds of regions it owns.
fn thread_regions(space: &wasmvm_loader::AddressSpace) -> BTreeMap<u32, Vec<String>> {
    let mut m: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for r in space.regions() {
        match &r.kind {
            RegionKind::Stack { thread } => m.entry(*thread).or_default().push("stack".into()),
            RegionKind::Tls { thread, module } => m.entry(*thread).or_default().push(format!("tls {module}")),
            _ => {}
        }
    }
    for v in m.values_mut() {
        v.sort();
    }
    m
}

#[test]
fn four_threads() {
    let (space, out) = space(SpaceConfig::default());
    let mut main = space.thread().unwrap();
    load_main(&mut main);
    assert_eq!(main.call::<i32, i32>("worker", 0).unwrap(), 101);
    let barrier = Arc::new(Barrier::new(5));
    let handles: Vec<_> = (1..=4)
        .map(|id| {
            let barrier = barrier.clone();
            space
                .spawn_thread(move |t| {
                    let r = t.call::<i32, i32>("worker", id).unwrap();
                    let tls = t.call::<(), i32>("base_tls_addr", ()).unwrap();
                    barrier.wait(); // all four alive: their regions are visible
                    barrier.wait();
                    (t.id(), r, tls)
                })
                .unwrap()
        })
        .collect();
    barrier.wait();
    let during = thread_regions(&space);
    barrier.wait();
    let results: Vec<(u32, i32, i32)> = handles.into_iter().map(|h| h.join().unwrap()).collect();

    // Exact results: each thread's TLS counters started from the initial image.
    let mut by_id: Vec<(i32, i32)> = results.iter().map(|&(tid, r, _)| (tid as i32, r)).collect();
    by_id.sort();
    assert_eq!(by_id, [(2, 3101), (3, 6101), (4, 9101), (5, 12101)]);
    // Four different TLS blocks of libbase, none the loading thread's static one.
    let mut blocks: Vec<i32> = results.iter().map(|r| r.2).collect();
    blocks.push(main.call::<(), i32>("base_tls_addr", ()).unwrap());
    blocks.sort();
    blocks.dedup();
    assert_eq!(blocks.len(), 5);
    // Each thread had two stacks (the program's own and the libraries' __stack_pointer) and a TLS block
    // of each module with thread-local storage; all were released when it ended.
    let per_thread =
        vec!["stack".to_string(), "stack".to_string(), "tls libbase.so".to_string(), "tls main.wasm".to_string()];
    let expected: BTreeMap<u32, Vec<String>> =
        [(1, vec!["stack".to_string()])].into_iter().chain((2..=5).map(|t| (t, per_thread.clone()))).collect();
    assert_eq!(during, expected);
    assert_eq!(thread_regions(&space), BTreeMap::from([(1, vec!["stack".to_string()])]));
    // The main thread's counters are untouched by the others.
    assert_eq!(main.call::<i32, i32>("base_tls_bump", 0).unwrap(), 100);
    assert_eq!(out.text(), "ctor libbase: base_value=10\nctor libmid: base_name=base base_ctor_runs=1\n");
}

#[test]
fn module_loaded_by_one_thread_is_called_by_another() {
    let (space, _) = space(SpaceConfig::default());
    let mut main = space.thread().unwrap();
    load_main(&mut main);
    let (to_worker, from_main) = mpsc::channel::<u32>();
    let (to_main, from_worker) = mpsc::channel::<()>();
    let worker = space
        .spawn_thread(move |t| {
            // Started before the plugin exists; runs program code first.
            assert_eq!(t.call::<i32, i32>("worker", 1).unwrap(), 3101);
            to_main.send(()).unwrap();
            let f = from_main.recv().unwrap();
            // Calling through the table into a module this thread has never seen: the slot resolver
            // instantiates it here and sets up its TLS block.
            let a = t.call::<(i32, i32), i32>("call_ptr", (f as i32, 5)).unwrap();
            let b = t.call::<(i32, i32), i32>("call_ptr", (f as i32, 5)).unwrap();
            (a, b, t.call::<(), i32>("plugin_calls_here", ()).unwrap())
        })
        .unwrap();
    from_worker.recv().unwrap();
    let plugin = main.load("libplugin.so").unwrap();
    let Symbol::Func { table_index } = main.symbol(Some(plugin), "plugin_op").unwrap() else { panic!() };
    to_worker.send(table_index).unwrap();
    assert_eq!(worker.join().unwrap(), (1501, 1502, 2));
    // This thread's plugin state is its own; the constructor ran once, here.
    assert_eq!(main.call::<i32, i32>("plugin_op", 5).unwrap(), 1501);
    let Symbol::Data { addr } = main.symbol(None, "plugin_ready").unwrap() else { panic!() };
    assert_eq!(main.read(addr, 4).unwrap(), 42i32.to_le_bytes());
}

#[test]
fn many_threads_share_modules_loaded_later() {
    let (space, _) = space(SpaceConfig::default());
    let mut main = space.thread().unwrap();
    load_main(&mut main);
    let handles: Vec<_> = (0..8)
        .map(|i| {
            space
                .spawn_thread(move |t| {
                    // Every thread loads the plugin; exactly one load happens, the rest share it.
                    let m = t.load("libplugin.so").unwrap();
                    let mut last = 0;
                    for _ in 0..100 {
                        last = t.call::<i32, i32>("plugin_op", i).unwrap();
                    }
                    (m, last)
                })
                .unwrap()
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let first = results[0].0;
    for (i, (m, last)) in results.iter().enumerate() {
        assert_eq!(*m, first);
        assert_eq!(*last, (i as i32 + 10) * 100 + 100);
    }
    assert_eq!(space.modules().iter().filter(|m| m.name == "libplugin.so").count(), 1);
}

#[test]
fn single_threaded_space_has_one_thread() {
    let (space, _) = space(SpaceConfig { shared: false, ..Default::default() });
    let _t = space.thread().unwrap();
    let e = space.spawn_thread(|_| ()).map(|_| ()).unwrap_err();
    assert_eq!(e.to_string(), "a single-threaded address space has only one thread");
}

#[test]
fn interrupting_the_space_stops_every_thread() {
    let engine = wasmvm::Engine::new(wasmvm::Config { interruptible: true, ..Default::default() });
    let space = wasmvm_loader::AddressSpace::new(&engine, SpaceConfig::default()).unwrap();
    let spin = wat::parse_str(
        r#"(module (@dylink.0 (mem-info))
        (import "env" "memory" (memory 1 65536 shared))
        (import "env" "__memory_base" (global i32))
        (func (export "spin") (loop br 0)))"#,
    )
    .unwrap();
    let mut t = space.thread().unwrap();
    t.load(wasmvm_loader::Source::Bytes { name: "spin.so".into(), bytes: spin.into() }).unwrap();
    let handles: Vec<_> = (0..3)
        .map(|_| space.spawn_thread(|t| t.call::<(), ()>("spin", ()).unwrap_err().to_string()).unwrap())
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(50));
    space.interrupt_handle().interrupt();
    for h in handles {
        assert_eq!(h.join().unwrap(), "spin: trap: interrupted");
    }
}
