//! Step 6: the built-in allocator and log, as host functions of every module.

use crate::common::*;
use wasmvm_loader::{LoadOptions, RegionKind, SpaceConfig};

#[test]
fn malloc_family_and_log() {
    guest_logs();
    let (space, _) = space(SpaceConfig::default());
    let mut t = space.thread().unwrap();
    t.load("libheap.so").unwrap();
    t.call::<(), ()>("heap_demo", ()).unwrap();
    let lines = guest_lines("INFO libheap.so");
    assert_eq!(
        lines,
        [
            "INFO libheap.so: usable(malloc(10))=16",
            "INFO libheap.so: realloc keeps data=1",
            "INFO libheap.so: usable(realloc(100))=112",
            "INFO libheap.so: reused=1",
            "INFO libheap.so: calloc zeroed=1",
            "INFO libheap.so: aligned 4096=1",
            "INFO libheap.so: posix_memalign=0",
            "INFO libheap.so: aligned 256=1",
            "INFO libheap.so: posix_memalign bad=28",
            "INFO libheap.so: big usable=1048576",
            "INFO libheap.so: calloc overflow=1",
        ]
    );
    // The heap's arenas are regions of the layout; the large object's was returned.
    let heap: Vec<String> =
        space.regions().iter().filter(|r| r.kind == RegionKind::Heap).map(|r| r.to_string()).collect();
    assert_eq!(heap, ["[0x50000, 0x150000) heap"]);
}

#[test]
fn bad_frees_trap_naming_the_module() {
    let (space, _) = space(SpaceConfig::default());
    let mut t = space.thread().unwrap();
    t.load("libheap.so").unwrap();
    let p = t.call::<i32, i32>("heap_alloc", 40).unwrap();
    t.call::<i32, ()>("heap_free", p).unwrap();
    let e = t.call::<i32, ()>("heap_free", p).unwrap_err();
    assert_eq!(e.to_string(), format!("heap_free: trap: libheap.so: free({p:#x}): double free"));
    let e = t.call::<i32, ()>("heap_free", 0x1234).unwrap_err();
    assert_eq!(e.to_string(), "heap_free: trap: libheap.so: free(0x1234): pointer was not allocated by malloc");
    let q = t.call::<i32, i32>("heap_alloc", 40).unwrap();
    let e = t.call::<i32, ()>("heap_free", q + 8).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("heap_free: trap: libheap.so: free({:#x}): pointer was not allocated by malloc", q + 8)
    );
    let e = t.call::<(i32, i32), ()>("heap_free_sized", (q, 100)).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "heap_free_sized: trap: libheap.so: free_sized({q:#x}, 100): size does not match the allocation (usable size 48)"
        )
    );
    t.call::<(i32, i32), ()>("heap_free_sized", (q, 40)).unwrap();
    // Large objects too.
    let big = t.call::<i32, i32>("heap_alloc", 100_000).unwrap();
    t.call::<i32, ()>("heap_free", big).unwrap();
    let e = t.call::<i32, ()>("heap_free", big).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("heap_free: trap: libheap.so: free({big:#x}): pointer was not allocated by malloc")
    );
}

#[test]
fn threads_allocate_and_free_concurrently() {
    let (space, _) = space(SpaceConfig::default());
    let mut t = space.thread().unwrap();
    t.load("libheap.so").unwrap();
    let handles: Vec<_> = (0..4)
        .map(|i| space.spawn_thread(move |t| t.call::<(i32, i32), i32>("heap_stress", (3_000, i)).unwrap()).unwrap())
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 0, "corrupted allocations");
    }
    // Allocated on one thread, freed on another; then the slots are reused.
    t.call::<i32, ()>("heap_produce", 200).unwrap();
    space.spawn_thread(|t| t.call::<i32, ()>("heap_consume", 200).unwrap()).unwrap().join().unwrap();
    t.call::<i32, ()>("heap_produce", 200).unwrap();
    let e = space.spawn_thread(|t| t.call::<i32, ()>("heap_consume", 200)).unwrap().join().unwrap();
    e.unwrap();
    let e = t.call::<i32, ()>("heap_consume", 1).unwrap_err();
    assert!(e.to_string().ends_with("double free"), "{e}");
}

#[test]
fn main_program_uses_the_loader_allocator() {
    let (space, out) = space(SpaceConfig::default());
    let mut t = space.thread().unwrap();
    t.load_with("main.wasm", &LoadOptions { needed: vec!["libmid.so".into()], ..Default::default() }).unwrap();
    assert_eq!(exit_status(t.call::<(), ()>("_start", ())), 0);
    assert!(
        out.text().ends_with("main: memory.grow -> 0x70000\nmain: malloc -> 0x80000, usable 1024\n"),
        "{}",
        out.text()
    );
    let heap: Vec<String> =
        space.regions().iter().filter(|r| r.kind == RegionKind::Heap).map(|r| r.to_string()).collect();
    assert_eq!(heap, ["[0x80000, 0x180000) heap"]);
}

#[test]
fn warns_about_wasi_libc_dlmalloc_in_the_main_program() {
    guest_logs();
    let (space, _) = space(SpaceConfig::default());
    let mut t = space.thread().unwrap();
    t.load("dlmalloc_main.wasm").unwrap();
    assert_eq!(
        guest_lines("[wasmvm_loader::link] WARN dlmalloc_main.wasm"),
        ["[wasmvm_loader::link] WARN dlmalloc_main.wasm: links wasi-libc's dlmalloc, which (in wasi-libc before \
          2023) takes all memory from __heap_base up to memory.size at its first malloc, including what the loader \
          placed there; link include/wasmvm_malloc.c into it to use the loader's allocator instead"]
    );
    // main.wasm links include/wasmvm_malloc.c instead: no warning.
    let (space, _) = crate::common::space(SpaceConfig::default());
    space
        .thread()
        .unwrap()
        .load_with("main.wasm", &LoadOptions { needed: vec!["libmid.so".into()], ..Default::default() })
        .unwrap();
    assert!(guest_lines("[wasmvm_loader::link] WARN main.wasm").is_empty());
}
