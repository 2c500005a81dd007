//! Step 7: Emscripten side modules (`emcc -sSIDE_MODULE=1`, Debian's 3.1.6) load unchanged, including weak
//! undefined symbols and, with `-pthread`, Emscripten's TLS convention.

use crate::common::*;
use wasmvm_loader::{LoadOptions, Source, SpaceConfig, Symbol};

#[test]
fn pthread_side_module_in_a_shared_space() {
    let (space, _) = space(SpaceConfig::default());
    let mut t = space.thread().unwrap();
    t.load_with("main.wasm", &LoadOptions { needed: vec!["libmid.so".into()], ..Default::default() }).unwrap();
    let em = t.load("em_side_pthread.wasm").unwrap();
    // base_add(5) + base_value + counter (its constructor's base_add(1)) + em_value; weak symbols are null.
    assert_eq!(t.call::<i32, i32>("em_compute", 5).unwrap(), 15 + 10 + 11 + 7);
    // Function pointers agree with everyone else's.
    let Symbol::Func { table_index } = t.symbol(None, "base_add").unwrap() else { panic!() };
    assert_eq!(t.call::<(), i32>("em_get_fn", ()).unwrap(), table_index as i32);
    // Thread-local through GOT.mem: each thread has its own copy, initialised from the image.
    assert_eq!(t.call::<(), i32>("em_tls_bump", ()).unwrap(), 6);
    assert_eq!(t.call::<(), i32>("em_tls_bump", ()).unwrap(), 7);
    let Symbol::Data { addr: mine } = t.symbol(Some(em), "em_tls").unwrap() else { panic!() };
    assert_eq!(t.read(mine, 4).unwrap(), 7i32.to_le_bytes());
    let other = space
        .spawn_thread(move |t| {
            let a = t.call::<(), i32>("em_tls_bump", ()).unwrap();
            let Symbol::Data { addr } = t.symbol(Some(em), "em_tls").unwrap() else { panic!() };
            (a, addr, t.call::<i32, i32>("em_compute", 1).unwrap())
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!((other.0, other.2), (6, 11 + 10 + 11 + 7));
    assert_ne!(other.1, mine);
}

#[test]
fn side_module_in_a_single_threaded_space() {
    let (space, _) = space(SpaceConfig { shared: false, ..Default::default() });
    let mut t = space.thread().unwrap();
    // A PIC provider of the symbols the side module needs, with a non-shared memory like it.
    let base = wat::parse_str(
        r#"(module (@dylink.0 (mem-info (memory 4 2)))
        (import "env" "memory" (memory 1))
        (import "env" "__memory_base" (global $mb i32))
        (data (global.get $mb) "\0a\00\00\00")
        (global (export "base_value") i32 (i32.const 0))
        (func (export "base_add") (param i32) (result i32) local.get 0 global.get $mb i32.load i32.add))"#,
    )
    .unwrap();
    t.load_with(Source::Bytes { name: "base.so".into(), bytes: base.into() }, &Default::default()).unwrap();
    t.load("em_side.wasm").unwrap();
    assert_eq!(t.call::<i32, i32>("em_compute", 5).unwrap(), 15 + 10 + 11 + 7);
    let Symbol::Func { table_index } = t.symbol(None, "base_add").unwrap() else { panic!() };
    assert_eq!(t.call::<(), i32>("em_get_fn", ()).unwrap(), table_index as i32);
}
