//! Issue 10, finding 4 (function pointers): a call through a table slot of an unloaded module traps naming
//! the module, and such slots are quarantined: reused only when no free slot is left, oldest first. (Before:
//! slots were nulled, "uninitialized element", and reused at once by the next module, so a stale pointer
//! silently called the new occupant.)

use std::sync::Arc;

use crate::common::*;
use wasmvm_loader::{LoadOptions, ModuleId, Source, SpaceConfig, Thread};

/// A library with two functions in its own table slots: slot 0 returns `tag + x`, slot 1 likewise.
fn lib(name: &str, tag: i32) -> Source {
    let wat = format!(
        r#"(module (@dylink.0 (mem-info (table 2 0)))
            (import "env" "__indirect_function_table" (table 0 funcref))
            (import "env" "__memory_base" (global i32))
            (import "env" "__table_base" (global $tb i32))
            (elem (global.get $tb) func $f $f)
            (func $f (param i32) (result i32) local.get 0 i32.const {tag} i32.add))"#
    );
    Source::Bytes { name: name.into(), bytes: Arc::from(wat::parse_str(wat).unwrap()) }
}

fn table_base(t: &Thread, id: ModuleId) -> u32 {
    t.space().modules().into_iter().find(|m| m.id == id).unwrap().table_base
}

fn call(t: &mut Thread, slot: u32) -> Result<i32, String> {
    t.call::<(i32, i32), i32>("call_ptr", (slot as i32, 1)).map_err(|e| e.to_string())
}

#[test]
fn stale_pointers_trap_and_slots_are_reused_oldest_first() {
    // The program uses some table slots; leave room for exactly three 2-slot libraries.
    let (probe, _) = space(SpaceConfig::default());
    let mut t = probe.thread().unwrap();
    let opts = LoadOptions { needed: vec!["libmid.so".into()], ..Default::default() };
    t.load_with("main.wasm", &opts).unwrap();
    let used = probe.table_regions().iter().map(|r| r.end).max().unwrap() as u32;
    drop(t);

    let (space, _) = space(SpaceConfig { max_table_size: used + 6, ..SpaceConfig::default() });
    let mut t = space.thread().unwrap();
    t.load_with("main.wasm", &opts).unwrap();
    let a = t.load(lib("liba.so", 100)).unwrap();
    let b = t.load(lib("libb.so", 200)).unwrap();
    let c = t.load(lib("libc.so", 300)).unwrap();
    let (ta, tb, tc) = (table_base(&t, a), table_base(&t, b), table_base(&t, c));
    assert_eq!((call(&mut t, ta + 1), call(&mut t, tb), call(&mut t, tc)), (Ok(101), Ok(201), Ok(301)));
    t.dlclose(a).unwrap();
    t.dlclose(b).unwrap();
    assert_eq!(call(&mut t, ta + 1).unwrap_err(), "call_ptr: trap: call to a function of unloaded module liba.so");
    assert_eq!(call(&mut t, tb).unwrap_err(), "call_ptr: trap: call to a function of unloaded module libb.so");
    // No free slot is left: the oldest quarantined region (liba's) is reused, libb's still traps.
    let d = t.load(lib("libd.so", 400)).unwrap();
    assert_eq!(table_base(&t, d), ta);
    assert_eq!(call(&mut t, ta), Ok(401));
    assert_eq!(call(&mut t, tb).unwrap_err(), "call_ptr: trap: call to a function of unloaded module libb.so");
    assert_eq!(call(&mut t, tc), Ok(301));
    // Then libb's.
    let e = t.load(lib("libe.so", 500)).unwrap();
    assert_eq!(table_base(&t, e), tb);
    assert_eq!(call(&mut t, tb + 1), Ok(501));
    // And nothing is left at all: a clear error.
    let err = t.load(lib("libf.so", 600)).unwrap_err().to_string();
    assert!(err.starts_with("libf.so: cannot place module: table: 2 slots aligned to 1 do not fit"), "{err}");
}

/// Finding 4 (memory): a library that closes itself and goes on running keeps its memory until it
/// returns; the library loaded meanwhile gets other memory, and its data is not overwritten. (Before:
/// the region was freed at `dlclose`, the next library was placed there, and the write below landed in
/// its data.)
#[test]
fn memory_of_a_closed_module_is_kept_while_its_code_runs() {
    let (space, _) = space(SpaceConfig::default());
    space.add_library(
        "libnext.so",
        wat::parse_str(
            r#"(module (@dylink.0 (mem-info (memory 16 2)))
            (import "env" "memory" (memory 1 65536 shared))
            (import "env" "__memory_base" (global $base i32))
            (data (global.get $base) "BBBBBBBBBBBBBBBB")
            (func (export "next_get") (result i32) global.get $base i32.const 8 i32.add i32.load))"#,
        )
        .unwrap(),
    );
    let closer = r#"(module (@dylink.0 (mem-info (memory 16 2)))
        (import "env" "memory" (memory 1 65536 shared))
        (import "env" "__memory_base" (global $base i32))
        (import "wasmvm" "dlopen" (func $dlopen (param i32 i32) (result i32)))
        (import "wasmvm" "dlclose" (func $dlclose (param i32) (result i32)))
        (data (global.get $base) "libnext.so\00")
        (func (export "close_self_then_load") (param $self i32) (result i32) (local $next i32)
            local.get $self call $dlclose drop
            global.get $base i32.const 0x102 call $dlopen local.set $next
            ;; still running in the closed module: it writes into its own data
            global.get $base i32.const 8 i32.add i32.const 0x0badf00d i32.store
            local.get $next))"#;
    let mut t = space.thread().unwrap();
    let id = t.load(Source::Bytes { name: "libcloser.so".into(), bytes: Arc::from(wat::parse_str(closer).unwrap()) });
    let id = id.unwrap();
    let closer_base = t.space().modules().iter().find(|m| m.id == id).unwrap().memory_base;
    let next = t.call::<i32, i32>("close_self_then_load", id.slot() as i32 + 1).unwrap();
    assert!(next > 0);
    let next_base = space.modules().iter().find(|m| m.name == "libnext.so").unwrap().memory_base;
    assert_ne!(next_base, closer_base, "placed over the memory of a module still running");
    assert_eq!(t.call::<(), i32>("next_get", ()).unwrap(), 0x4242_4242);
    // Back in the host, the closed module's memory is reclaimed at the thread's next loader call.
    assert!(
        space
            .regions()
            .iter()
            .all(|r| r.kind != wasmvm_loader::RegionKind::Module("libnext.so".into()) || r.start != closer_base as u64)
    );
    t.dlopen("libnext.so", wasmvm_loader::dl::RTLD_NOW).unwrap();
    assert!(space.regions().iter().all(|r| r.kind != wasmvm_loader::RegionKind::Module("libcloser.so".into())));
}

/// Finding 3 (host memory under churn): loading and unloading a library over and over on one thread keeps
/// the thread's store flat. Each instantiation needs globals (`__memory_base`, a `GOT.mem` entry), a
/// built-in host function made for it (`malloc`), a late-bound import of its own export and a missing weak
/// function; all of them are released with the instance and reused by the next one. (Before: every cycle
/// added a global cell per global import and a function slot per host, late-bound or missing import, about
/// 54 bytes per cycle in the churn benchmark.)
#[test]
fn load_unload_churn_keeps_the_store_flat() {
    const CHURN: &str = r#"(module (@dylink.0 (mem-info (memory 16 2)) (import-info "env" "gone" binding-weak))
        (import "env" "memory" (memory 1 65536 shared))
        (import "env" "__memory_base" (global $base i32))
        (import "GOT.mem" "churn_data" (global $data (mut i32)))
        (import "env" "malloc" (func $malloc (param i32) (result i32)))
        (import "env" "churn_twice" (func $twice (param i32) (result i32)))
        (import "env" "gone" (func $gone))
        (global $own (mut i32) (i32.const 5))
        (data (global.get $base) "\2a\00\00\00")
        (func (export "churn_twice") (param i32) (result i32) local.get 0 i32.const 2 i32.mul)
        (func (export "churn_get") (param i32) (result i32)
            (drop (call $malloc (i32.const 16)))
            global.get $data i32.load local.get 0 i32.add call $twice global.get $own i32.add)
        (export "churn_data" (global $cd))
        (global $cd i32 (i32.const 0)))"#;
    let (space, _) = space(SpaceConfig::default());
    space.add_library("libchurn.so", wat::parse_str(CHURN).unwrap());
    let mut t = space.thread().unwrap();
    let cycle = |t: &mut Thread| {
        let h = t.dlopen("libchurn.so", wasmvm_loader::dl::RTLD_NOW | wasmvm_loader::dl::RTLD_GLOBAL).unwrap();
        assert_eq!(t.call::<i32, i32>("churn_get", 1).unwrap(), (42 + 1) * 2 + 5);
        t.dlclose(h).unwrap();
    };
    for _ in 0..20 {
        cycle(&mut t);
    }
    let before = t.store().footprint();
    for _ in 0..300 {
        cycle(&mut t);
    }
    let after = t.store().footprint();
    assert_eq!((after.slots, after.globals), (before.slots, before.globals), "{before:?} -> {after:?}");
}
