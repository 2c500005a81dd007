//! Issue 10, finding 5: the loader's messages say what they mean, and the module limit is a setting.

use std::sync::Arc;

use crate::common::*;
use wasmvm_loader::{LoadOptions, Source, SpaceConfig};

fn bytes(name: &str, wat: &str) -> Source {
    Source::Bytes { name: name.into(), bytes: Arc::from(wat::parse_str(wat).unwrap()) }
}

/// A mismatch with a module of the group being loaded names it (was "defined by module #1").
#[test]
fn mismatch_names_the_defining_module_of_the_group() {
    let (space, _) = space(SpaceConfig::default());
    space.add_library(
        "libdef.so",
        wat::parse_str(
            r#"(module (@dylink.0 (mem-info)) (import "env" "__memory_base" (global i32))
                (func (export "f")))"#,
        )
        .unwrap(),
    );
    let mut t = space.thread().unwrap();
    let user = r#"(module (@dylink.0 (mem-info) (needed "libdef.so")) (import "env" "__memory_base" (global i32))
        (import "env" "f" (func (param i32) (result i32))))"#;
    let e = t.load(bytes("libuser.so", user)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "libuser.so: symbol f: imported as (func (param i32) (result i32)) but defined by libdef.so as (func (param ) \
         (result ))"
    );
}

/// Table space is counted in slots (was "table: 1048576 bytes").
#[test]
fn table_sizes_are_slots() {
    let (space, _) = space(SpaceConfig { max_table_size: 64, ..SpaceConfig::default() });
    let mut t = space.thread().unwrap();
    let lib = r#"(module (@dylink.0 (mem-info (table 100 0)))
        (import "env" "__indirect_function_table" (table 0 funcref))
        (import "env" "__memory_base" (global i32)) (import "env" "__table_base" (global i32)))"#;
    let e = t.load(bytes("big.so", lib)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "big.so: cannot place module: table: 100 slots aligned to 1 do not fit in the table (below 64)"
    );
}

/// A library the embedder (or --preload) asks for is not "needed by" the program.
#[test]
fn missing_extra_library_is_not_needed_by_the_program() {
    let (space, _) = space(SpaceConfig::default());
    let mut t = space.thread().unwrap();
    let opts = LoadOptions { needed: vec!["libnothere.so".into()], ..Default::default() };
    let e = t.load_with("main.wasm", &opts).unwrap_err();
    let dir = fixtures().display().to_string();
    assert_eq!(e.to_string(), format!("libnothere.so: cannot open shared object: not found in {dir}"));
}

/// A program without any memory is told so (was "defines its own memory").
#[test]
fn program_without_memory() {
    let (space, _) = space(SpaceConfig::default());
    let mut t = space.thread().unwrap();
    let prog = r#"(module (import "env" "__indirect_function_table" (table 1 funcref)) (func (export "_start")))"#;
    let e = t.load(bytes("nomem.wasm", prog)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "nomem.wasm: cannot place module: has no memory; a program run by the loader must import env.memory \
         (--import-memory)"
    );
}

/// The module limit is `SpaceConfig::module_slots`: the error says how to raise it, and raising it works.
#[test]
fn module_limit_is_a_setting() {
    let lib = |i: usize| {
        bytes(
            &format!("lib{i}.so"),
            r#"(module (@dylink.0 (mem-info (memory 4 2))) (import "env" "__memory_base" (global i32)))"#,
        )
    };
    let (small, _) = space(SpaceConfig { module_slots: 3, ..SpaceConfig::default() });
    let mut t = small.thread().unwrap();
    for i in 0..3 {
        t.load(lib(i)).unwrap();
    }
    let e = t.load(lib(3)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "lib3.so: cannot place module: all 3 module slots are used (unloaded modules' slots are recycled once every \
         thread has left them; raise the limit with SpaceConfig::module_slots, or wasmvm run --max-modules)"
    );
    let (big, _) = space(SpaceConfig { module_slots: 5000, ..SpaceConfig::default() });
    let mut t = big.thread().unwrap();
    for i in 0..4500 {
        t.load(lib(i)).unwrap();
    }
    assert_eq!(big.modules().len(), 4500);
}
