//! Exceptions across the modules of one address space: tags imported from `env` (C++'s
//! `__cpp_exception`, setjmp's `__c_longjmp`) are one tag per name for the whole space, so a side module's
//! `throw` is caught by the main program's `try_table`, on every thread.

use std::sync::Arc;

use wasmvm::{Config, Engine};
use wasmvm_loader::{AddressSpace, Source, SpaceConfig};

/// Throws `__cpp_exception` with its argument when it is above 10.
const LIBTHROW: &str = r#"(module
  (@dylink.0 (mem-info))
  (import "env" "memory" (memory 1 65536 shared))
  (import "env" "__memory_base" (global i32))
  (import "env" "__cpp_exception" (tag $e (param i32)))
  (func (export "thrower") (param i32) (result i32)
    (if (i32.gt_s (local.get 0) (i32.const 10)) (then (throw $e (local.get 0))))
    (local.get 0)))"#;

/// Calls libthrow's `thrower` and catches `__cpp_exception`: 1000 + the thrown value.
const MAIN: &str = r#"(module
  (@dylink.0 (mem-info) (needed "libthrow.so"))
  (import "env" "memory" (memory 1 65536 shared))
  (import "env" "__memory_base" (global i32))
  (import "env" "__cpp_exception" (tag $e (param i32)))
  (import "env" "thrower" (func $thrower (param i32) (result i32)))
  (func (export "catcher") (param i32) (result i32)
    (block $h (result i32)
      (try_table (result i32) (catch $e $h)
        (call $thrower (local.get 0)))
      (return))
    (i32.add (i32.const 1000))))"#;

/// Imports the same tag name with another type.
const LIBBAD: &str = r#"(module
  (@dylink.0 (mem-info))
  (import "env" "memory" (memory 1 65536 shared))
  (import "env" "__memory_base" (global i32))
  (import "env" "__cpp_exception" (tag $e (param i64))))"#;

fn space() -> AddressSpace {
    let space = AddressSpace::new(&Engine::new(Config::default()), SpaceConfig::default()).unwrap();
    space.add_library("libthrow.so", wat::parse_str(LIBTHROW).unwrap());
    space
}

fn bytes(name: &str, wat: &str) -> Source {
    Source::Bytes { name: name.into(), bytes: Arc::from(wat::parse_str(wat).unwrap()) }
}

#[test]
fn a_side_module_throws_and_the_main_program_catches_on_every_thread() {
    let space = space();
    let mut t = space.thread().unwrap();
    t.load(bytes("main.so", MAIN)).unwrap();
    assert_eq!(t.call::<i32, i32>("catcher", 5).unwrap(), 5);
    assert_eq!(t.call::<i32, i32>("catcher", 42).unwrap(), 1042);
    // Uncaught, the exception reaches the host naming its tag.
    let e = t.call::<i32, i32>("thrower", 42).unwrap_err().to_string();
    assert!(e.contains("__cpp_exception"), "{e}");
    let workers: Vec<_> = (0..2)
        .map(|k| {
            let space = space.clone();
            std::thread::spawn(move || {
                let mut t = space.thread().unwrap();
                (0..1000).map(|i| t.call::<i32, i32>("catcher", i + k).unwrap() as i64).sum::<i64>()
            })
        })
        .collect();
    for (k, w) in workers.into_iter().enumerate() {
        let k = k as i32;
        let want: i64 = (0..1000).map(|i| i + k).map(|v| if v > 10 { 1000 + v } else { v } as i64).sum();
        assert_eq!(w.join().unwrap(), want);
    }
}

#[test]
fn a_tag_imported_with_another_type_is_refused() {
    let space = space();
    let mut t = space.thread().unwrap();
    t.load(bytes("main.so", MAIN)).unwrap();
    let e = t.load(bytes("libbad.so", LIBBAD)).unwrap_err().to_string();
    assert!(e.contains("__cpp_exception") && e.contains("another type"), "{e}");
    // The program still works.
    assert_eq!(t.call::<i32, i32>("catcher", 42).unwrap(), 1042);
}
