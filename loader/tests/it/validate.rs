//! Issue 10, finding 2: `dylink.0` is checked against the module before anything is placed. A side module
//! whose declared memory (or table, or TLS) is smaller than what its data and initialisation code use is
//! refused with an error naming the module and the field, and the address space — its regions and every
//! byte of its memory — is left exactly as it was. (Before: placed as declared, its data overwrote the
//! next module's, and the program went on.)

use std::sync::Arc;

use crate::common::*;
use wasmvm_loader::{AddressSpace, LoadOptions, Source, SpaceConfig, Thread};

/// Every region and every byte in them.
fn snapshot(space: &AddressSpace, t: &Thread) -> Vec<(wasmvm_loader::Region, Vec<u8>)> {
    space
        .regions()
        .into_iter()
        .map(|r| {
            let bytes = t.read(r.start as u32, (r.end - r.start) as usize).unwrap();
            (r, bytes)
        })
        .collect()
}

fn program() -> (AddressSpace, Thread) {
    let (space, _) = space(SpaceConfig::default());
    let mut t = space.thread().unwrap();
    let opts = LoadOptions { needed: vec!["libmid.so".into()], ..Default::default() };
    t.load_with("main.wasm", &opts).unwrap();
    (space, t)
}

/// Load `bytes` as `bad.so` into the C program: it must fail with `error`, leaving everything unchanged.
fn refused(bytes: Vec<u8>, error: &str) {
    let (space, mut t) = program();
    let before = snapshot(&space, &t);
    let modules = space.modules().len();
    let e = t.load(Source::Bytes { name: "bad.so".into(), bytes: Arc::from(bytes) }).unwrap_err();
    assert_eq!(e.to_string(), error);
    assert_eq!(snapshot(&space, &t), before);
    assert_eq!(space.modules().len(), modules);
    assert_eq!(t.call::<i32, i32>("base_add", 1).unwrap(), 11);
}

#[test]
fn memory_size_smaller_than_the_data() {
    // libbase.so: data segments of 4 + 34 + 8 bytes at 0, 4 and 40, a 4-byte .bss at 48, an init flag at 52.
    let base = fixture("libbase.so");
    for size in [0, 8] {
        refused(
            with_mem_info(&base, size, 2, 0, 0),
            &format!(
                "bad.so: bad dylink.0 section: mem-info: memory size {size} is smaller than the module's data \
                 segments ({} bytes or more, through segment {})",
                if size == 0 { 4 } else { 38 },
                if size == 0 { 0 } else { 1 }
            ),
        );
    }
    refused(
        with_mem_info(&base, 50, 2, 0, 0),
        "bad.so: bad dylink.0 section: mem-info: memory size 50 does not cover the initialisation code's \
         memory.fill at __memory_base+48 (4 bytes) (function 5)",
    );
    // As declared by wasm-ld, it loads.
    let (_space, mut t) = program();
    t.load(Source::Bytes { name: "good.so".into(), bytes: Arc::from(with_mem_info(&base, 56, 2, 0, 0)) }).unwrap();
}

fn wat(text: &str) -> Vec<u8> {
    wat::parse_str(text).unwrap()
}

#[test]
fn segments_tls_alignment_and_names() {
    refused(
        wat(r#"(module (@dylink.0 (mem-info (memory 4 2)))
            (import "env" "memory" (memory 1 65536 shared))
            (import "env" "__memory_base" (global $b i32))
            (data (global.get $b) "12345678"))"#),
        "bad.so: bad dylink.0 section: mem-info: memory size 4 is smaller than the module's data segments (8 \
         bytes or more, through segment 0)",
    );
    refused(
        wat(r#"(module (@dylink.0 (mem-info (memory 16 2)))
            (import "env" "memory" (memory 1 65536 shared))
            (import "env" "__memory_base" (global $b i32))
            (data (i32.const 1024) "1234"))"#),
        "bad.so: bad dylink.0 section: data segment 0 is not placed relative to env.__memory_base (not position \
         independent)",
    );
    refused(
        wat(r#"(module (@dylink.0 (mem-info (memory 0 0) (table 1 0)))
            (import "env" "__indirect_function_table" (table 1 funcref))
            (import "env" "__memory_base" (global $b i32))
            (import "env" "__table_base" (global $t i32))
            (elem (global.get $t) func $f $f)
            (func $f))"#),
        "bad.so: bad dylink.0 section: mem-info: table size 1 does not cover element segment 0 at __table_base+0 \
         (2 slots)",
    );
    refused(
        wat(r#"(module (@dylink.0 (mem-info (memory 16 2)))
            (import "env" "memory" (memory 1 65536 shared))
            (import "env" "__memory_base" (global $b i32))
            (global (export "__tls_size") i32 (i32.const 4))
            (global (export "__tls_align") i32 (i32.const 4))
            (data $tdata "12345678")
            (func (export "__wasm_init_tls") (param i32)
                local.get 0 i32.const 0 i32.const 8 memory.init $tdata))"#),
        "bad.so: bad dylink.0 section: __tls_size 4 does not cover __wasm_init_tls's memory.init at the block+0 \
         (8 bytes) (function 0)",
    );
    refused(
        wat(r#"(module (@dylink.0 (mem-info (memory 16 2)))
            (import "env" "memory" (memory 1 65536 shared))
            (import "env" "__memory_base" (global $b i32))
            (global (export "__tls_align") i32 (i32.const 12)))"#),
        "bad.so: bad dylink.0 section: __tls_align 12 is not a power of two up to 2^16 (or 0)",
    );
    refused(
        wat(r#"(module (@dylink.0 (mem-info (memory 16 17)))
            (import "env" "__memory_base" (global $b i32)))"#),
        "bad.so: bad dylink.0 section: mem-info: memory alignment 2^17 is above 2^16",
    );
    refused(
        wat(r#"(module (@dylink.0 (mem-info) (needed "libbase.so" ""))
            (import "env" "__memory_base" (global $b i32)))"#),
        "bad.so: bad dylink.0 section: needed: entry 1 is an empty name",
    );
    refused(
        wat(r#"(module (@dylink.0 (mem-info (memory 8 2)))
            (import "env" "memory" (memory 1 65536 shared))
            (import "env" "__memory_base" (global $b i32))
            (func (export "__wasm_apply_data_relocs")
                global.get $b i32.const 8 i32.add i32.const 7 i32.store))"#),
        "bad.so: bad dylink.0 section: mem-info: memory size 8 does not cover the initialisation code's store at \
         __memory_base+8 (4 bytes) (function 0)",
    );
}
