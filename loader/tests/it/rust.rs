//! Step 7: a `#![no_std]` Rust PIC side module.

use crate::common::*;
use wasmvm_loader::{LoadOptions, SpaceConfig, Symbol};

#[test]
fn no_std_rust_side_module() {
    guest_logs();
    let (space, _) = space(SpaceConfig::default());
    let mut t = space.thread().unwrap();
    t.load_with("main.wasm", &LoadOptions { needed: vec!["libmid.so".into()], ..Default::default() }).unwrap();
    t.load("librust.so").unwrap();
    // RUST_OP is a function pointer to libbase's base_add, set by a data relocation.
    assert_eq!(t.call::<i32, i32>("rust_compute", 5).unwrap(), 15 + 10 + 1);
    assert_eq!(t.call::<i32, i32>("rust_compute", 5).unwrap(), 15 + 10 + 2);
    let Symbol::Data { addr } = t.symbol(None, "RUST_OP").unwrap() else { panic!() };
    let Symbol::Func { table_index } = t.symbol(None, "base_add").unwrap() else { panic!() };
    assert_eq!(t.read(addr, 4).unwrap(), table_index.to_le_bytes());
    // The loader's allocator and log, from another thread too.
    assert_eq!(t.call::<i32, i32>("rust_heap", 100).unwrap(), 4950);
    let r = space.spawn_thread(|t| t.call::<i32, i32>("rust_heap", 10).unwrap()).unwrap().join().unwrap();
    assert_eq!(r, 45);
    assert_eq!(
        guest_lines("INFO librust.so"),
        ["INFO librust.so: hello from rust", "INFO librust.so: hello from rust"]
    );
}
