//! Link errors say everything at once: every missing import with the type the module expects, and for a
//! function of the wrong signature, both signatures.

use wasmvm::{Caller, Engine, Linker, Module, Store};

#[test]
fn all_missing_imports_are_listed_with_their_types() {
    let engine = Engine::default();
    let wat = r#"(module
      (import "env" "present" (func (param i32)))
      (import "env" "f" (func (param i32 i64) (result f32)))
      (import "env" "mem" (memory 1))
      (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32))))"#;
    let module = Module::new(&engine, wat.as_bytes()).unwrap();
    let mut linker = Linker::new(&engine);
    linker.func_wrap("env", "present", |_: Caller<'_, ()>, _: i32| {}).unwrap();
    let mut store = Store::new(&engine, ());
    let e = linker.instantiate(&mut store, &module).unwrap_err().to_string();
    assert!(e.contains("3 unknown imports are not defined"), "{e}");
    for name in ["env.f (func", "env.mem (memory", "wasi_snapshot_preview1.fd_write (func"] {
        assert!(e.contains(name), "{name} missing from: {e}");
    }
    assert!(!e.contains("env.present"), "{e}");
}

#[test]
fn a_wrong_signature_shows_expected_and_found() {
    let engine = Engine::default();
    let module =
        Module::new(&engine, br#"(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i64))))"#).unwrap();
    let mut linker = Linker::new(&engine);
    linker.func_wrap("wasi_snapshot_preview1", "proc_exit", |_: Caller<'_, ()>, _: i32| {}).unwrap();
    let mut store = Store::new(&engine, ());
    let e = linker.instantiate(&mut store, &module).unwrap_err().to_string();
    assert!(e.contains("wasi_snapshot_preview1.proc_exit"), "{e}");
    assert!(e.contains("expects (func (param i64)") && e.contains("found (func (param i32)"), "{e}");
}
