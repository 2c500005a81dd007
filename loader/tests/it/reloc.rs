//! Issue 16: ordinary (non-PIC) modules linked with `--emit-relocs`, moved by their relocations to a base
//! the loader chooses. Fixtures: `fixtures/src/librelo.c` (a library with data, function pointers, a
//! constructor, TLS and wasi-libc's malloc) and `relo_main.c` (a program built the ordinary way, with its
//! own memory and table, crt1 and malloc), built by `fixtures/build.sh`.

use std::sync::Arc;

use crate::common::*;
use proptest::prelude::*;
use wasmvm_loader::{AddressSpace, Error, LoadOptions, Source, SpaceConfig, Symbol, Thread};

/// How every refusal of a module that cannot be relocated ends.
pub const REBUILD: &str = "link with -Wl,--emit-relocs and without -O at link time (the clang driver then runs \
                           wasm-opt, which drops the linking and reloc.* sections), or build it \
                           position-independent (-fPIC, wasm-ld -shared)";

/// What `relo_main.wasm` prints (it loads `librelo.wasm` and, under a second name, a copy).
const MAIN_OUTPUT: &str = "main: argc=0 twice(21)=42\n\
                           a: bump 12 13, b: bump 12\n\
                           shared a=7 b=8, distinct=1\n\
                           op(0)(5)=6 op(1)(5)=15 apply_b(1,7)=21\n\
                           relocated from main: counter=13 shared=7\n\
                           relocated from main: counter=12 shared=8\n\
                           freed by main\n";

fn lib(name: &str) -> Source {
    Source::Bytes { name: name.into(), bytes: Arc::from(fixture("librelo.wasm")) }
}

/// Everything a failed load must leave as it was.
fn snapshot(space: &AddressSpace) -> String {
    format!("{:?}\n{:?}\n{:?}", space.modules(), space.regions(), space.table_regions())
}

/// Issue 16's finding "wasmvm refuses every ordinary module": an ordinary C program (crt1, its own memory
/// and table, wasi-libc's malloc) runs, and loads an ordinary C library twice, each copy at its own base
/// with its own data; function pointers and the heap are shared.
#[test]
fn ordinary_program_loads_an_ordinary_library_twice() {
    let guard = tempfile::tempdir().unwrap();
    let tmp = guard.path().to_path_buf();
    std::fs::write(tmp.join("librelo_copy.wasm"), fixture("librelo.wasm")).unwrap();
    let engine = wasmvm::Engine::default();
    let out = Output::default();
    let config = SpaceConfig { search_path: vec![fixtures(), tmp], ..Default::default() };
    let space = AddressSpace::with_host(&engine, config, wasi(&engine, &out)).unwrap();
    let mut t = space.thread().unwrap();
    t.load("relo_main.wasm").unwrap();
    // crt1's `_start` returns when `main` returns 0.
    t.call::<(), ()>("_start", ()).unwrap();
    assert_eq!(out.text(), MAIN_OUTPUT);
    let modules = space.modules();
    let names: Vec<(&str, bool, bool)> = modules.iter().map(|m| (m.name.as_str(), m.pic, m.relocated)).collect();
    assert_eq!(
        names,
        [("relo_main.wasm", false, true), ("librelo.wasm", false, true), ("librelo_copy.wasm", false, true)]
    );
    // Three regions and three table ranges, none overlapping.
    for (i, a) in modules.iter().enumerate() {
        for b in &modules[i + 1..] {
            assert!(a.memory_base + a.mem_size <= b.memory_base || b.memory_base + b.mem_size <= a.memory_base);
            assert!(a.table_base + a.table_size <= b.table_base || b.table_base + b.table_size <= a.table_base);
        }
    }
}

fn call_in(t: &mut Thread, m: wasmvm_loader::ModuleId, name: &str) -> i32 {
    let f = t.func(Some(m), name).unwrap();
    let f = f.typed::<(), i32>(t.store()).unwrap();
    f.call(t.store(), ()).unwrap()
}

/// The embedding API: the same library under two names, into a space with a PIC program loaded first.
#[test]
fn same_library_twice_through_the_api() {
    let (space, _) = space(SpaceConfig::default());
    let mut t = space.thread().unwrap();
    t.load("pie_main.wasm").unwrap();
    let a = t.load_with(lib("liba.wasm"), &LoadOptions { global: false, ..Default::default() }).unwrap();
    let b = t.load_with(lib("libb.wasm"), &LoadOptions { global: false, ..Default::default() }).unwrap();
    // The constructor ran once in each copy (1 + 10), and each copy counts on its own.
    assert_eq!(
        (call_in(&mut t, a, "relo_bump"), call_in(&mut t, a, "relo_bump"), call_in(&mut t, b, "relo_bump")),
        (12, 13, 12)
    );
    let info = |name: &str| space.modules().into_iter().find(|m| m.name == name).unwrap();
    let (ia, ib) = (info("liba.wasm"), info("libb.wasm"));
    assert!(ia.relocated && ib.relocated && ia.memory_base != ib.memory_base && ia.table_base != ib.table_base);
    // Exported data are inside each copy's region; their values are the copy's own.
    for (m, i) in [(a, &ia), (b, &ib)] {
        let Symbol::Data { addr } = t.symbol(Some(m), "relo_shared").unwrap() else { panic!("data") };
        assert!(addr >= i.memory_base && addr < i.memory_base + i.mem_size);
        assert_eq!(t.read(addr, 4).unwrap(), 7u32.to_le_bytes());
        // `relo_counter()` returns the address of the copy's static counter (a relocated i32.const).
        let counter = call_in(&mut t, m, "relo_counter") as u32;
        assert!(counter >= i.memory_base && counter < i.memory_base + i.mem_size);
    }
    // A function pointer a copy hands out is a slot of that copy's table range (relo_main.c calls them).
    let op = t.func(Some(b), "relo_op").unwrap().typed::<i32, i32>(t.store()).unwrap();
    let ptr = op.call(t.store(), 1).unwrap() as u32;
    assert!(ptr >= ib.table_base && ptr < ib.table_base + ib.table_size);
    assert!(space.table().get_raw(ptr).is_some_and(|raw| raw != 0));
    let apply = t.func(Some(b), "relo_apply").unwrap().typed::<(i32, i32), i32>(t.store()).unwrap();
    assert_eq!(apply.call(t.store(), (1, 5)).unwrap(), 15);
}

/// Every thread gets its own stack and TLS block for a relocated module (`_Thread_local int relo_tls = 100`).
#[test]
fn threads_get_their_own_tls_block() {
    let (space, _) = space(SpaceConfig::default());
    let mut t = space.thread().unwrap();
    t.load(lib("librelo.wasm")).unwrap();
    let run = |t: &mut Thread| (0..3).map(|_| t.call::<(), i32>("relo_tls_next", ()).unwrap()).collect::<Vec<_>>();
    assert_eq!(run(&mut t), [100, 101, 102]);
    let handles: Vec<_> = (0..4).map(|_| space.spawn_thread(move |t| run(t)).unwrap()).collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), [100, 101, 102]);
    }
    assert_eq!(run(&mut t), [103, 104, 105]);
    let tls: Vec<_> =
        space.regions().into_iter().filter(|r| r.kind.to_string().starts_with("TLS of librelo")).collect();
    assert_eq!(tls.len(), 1, "the four threads' blocks are freed when they end: {tls:?}");
}

/// The module's own malloc (wasi-libc's dlmalloc) is replaced by the built-in allocator: its blocks come
/// from the shared heap, the program frees them, and nothing grows memory behind the loader's back.
#[test]
fn malloc_is_interposed() {
    let (space, _) = space(SpaceConfig::default());
    let mut t = space.thread().unwrap();
    t.load(lib("librelo.wasm")).unwrap();
    let dup = t.func(None, "relo_dup").unwrap().typed::<i32, i32>(t.store()).unwrap();
    let Symbol::Data { addr: greeting } = t.symbol(None, "relo_greeting").unwrap() else { panic!("data") };
    let s = u32::from_le_bytes(t.read(greeting, 4).unwrap().try_into().unwrap());
    assert_eq!(t.read_cstr(s).unwrap(), "relocated");
    let p = dup.call(t.store(), s as i32).unwrap() as u32;
    assert_eq!(t.read_cstr(p).unwrap(), "relocated");
    let heap = space.regions().into_iter().find(|r| p as u64 >= r.start && (p as u64) < r.end).unwrap();
    assert_eq!(heap.kind.to_string(), "heap");
    assert!(space.regions().iter().all(|r| r.kind.to_string() != "memory grown by wasm code"));
}

/// Issue 16's "clear refusals": without relocation sections the module is refused, naming it, saying what
/// is missing and how to rebuild; nothing is placed.
#[test]
fn refused_without_relocations_and_nothing_placed() {
    let (space, _) = space(SpaceConfig::default());
    let mut t = space.thread().unwrap();
    t.load("pie_main.wasm").unwrap();
    let before = snapshot(&space);
    let e = t.load("librelo_norelocs.wasm").unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "librelo_norelocs.wasm: cannot relocate: not position independent (no dylink.0) and no linking \
             section to relocate it with: it can only be loaded first, into an empty address space; to load it \
             anywhere, {REBUILD}"
        )
    );
    assert_eq!(snapshot(&space), before);
}

/// The byte range of the payload of custom section `name`.
fn custom(wasm: &[u8], name: &str) -> std::ops::Range<usize> {
    for p in wasmparser::Parser::new(0).parse_all(wasm) {
        if let Ok(wasmparser::Payload::CustomSection(c)) = p
            && c.name() == name
        {
            let at = c.data_offset() as usize;
            return at..at + c.data().len();
        }
    }
    panic!("no {name} section")
}

/// A relocation type the loader does not handle (here a memory64 one put in place of the first of
/// `reloc.CODE`) is refused before anything is placed, naming the type.
#[test]
fn unhandled_relocation_type_is_refused() {
    let mut wasm = fixture("librelo.wasm");
    let r = custom(&wasm, "reloc.CODE");
    // section index (1 byte), count (2 bytes LEB), then the first entry's type byte.
    let at = r.start + 1 + 2;
    assert_eq!(wasm[at], 0, "the first relocation is R_WASM_FUNCTION_INDEX_LEB");
    wasm[at] = 14; // R_WASM_MEMORY_ADDR_LEB64
    let (space, _) = space(SpaceConfig::default());
    let mut t = space.thread().unwrap();
    t.load("pie_main.wasm").unwrap();
    let before = snapshot(&space);
    let e = t.load(Source::Bytes { name: "lib64.wasm".into(), bytes: wasm.into() }).unwrap_err();
    assert_eq!(
        e.to_string(),
        "lib64.wasm: cannot relocate: reloc.CODE: relocation type MemoryAddrLeb64 is a memory64 relocation (only \
         wasm32 modules are relocated)"
    );
    assert_eq!(snapshot(&space), before);
    // A relocation section taken away: the other one is there, this one is missing.
    let mut wasm = fixture("librelo.wasm");
    let r = custom(&wasm, "reloc.DATA");
    let name_at = r.start - "reloc.DATA".len();
    wasm[name_at..r.start].copy_from_slice(b"reloc.XXXX");
    let e = t.load(Source::Bytes { name: "nodata.wasm".into(), bytes: wasm.into() }).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("nodata.wasm: cannot relocate: has a linking section but no reloc.DATA section; {REBUILD}")
    );
    assert_eq!(snapshot(&space), before);
}

/// Load a mutated librelo.wasm after a PIC program: `Ok`, or an error naming it with the space unchanged.
fn mutated_load_survives(bytes: Vec<u8>) -> Result<(), TestCaseError> {
    let (space, _out) = space(SpaceConfig::default());
    let mut t = space.thread().unwrap();
    t.load("pie_main.wasm").unwrap();
    let before = snapshot(&space);
    match t.load(Source::Bytes { name: "mutant.wasm".into(), bytes: Arc::from(bytes) }) {
        Ok(_) => {}
        Err(e) => {
            let msg = e.to_string();
            prop_assert!(msg.contains("mutant.wasm"), "error does not name the module: {msg}");
            // Errors before its code ran (a trap in its constructor may have written memory) leave no trace.
            if !matches!(e, Error::Vm { error: wasmvm::Error::Trap(_), .. }) {
                prop_assert_eq!(snapshot(&space), before, "after the error: {}", msg);
            }
        }
    }
    // The space still loads a good copy.
    t.load(lib("good.wasm")).unwrap();
    Ok(())
}

fn sections() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("linking"), Just("reloc.CODE"), Just("reloc.DATA")]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(64),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Bad input never panics: flipped bytes in the linking and relocation sections.
    #[test]
    fn flipped_relocation_bytes(section in sections(), flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        let mut wasm = fixture("librelo.wasm");
        let r = custom(&wasm, section);
        for (i, b) in flips {
            let i = r.start + i.index(r.len());
            wasm[i] ^= b | 1;
        }
        mutated_load_survives(wasm)?;
    }

    /// ... and truncated ones (the section's size kept, its payload cut short and zero-padded).
    #[test]
    fn truncated_relocation_section(section in sections(), keep in any::<prop::sample::Index>()) {
        let mut wasm = fixture("librelo.wasm");
        let r = custom(&wasm, section);
        let cut = r.start + keep.index(r.len());
        wasm[cut..r.end].fill(0);
        mutated_load_survives(wasm)?;
    }
}

/// `memory.size` and `memory.grow` in a relocated module see only what it was given: `__heap_base` is the
/// page boundary after its data and `memory.size` starts there (an sbrk-style allocator finds no room it
/// could take from others); `memory.grow` hands out fresh pages of its own, wherever the layout has them.
#[test]
fn memory_size_and_grow_are_the_modules_own_view() {
    let (space, _) = space(SpaceConfig::default());
    let mut t = space.thread().unwrap();
    t.load("pie_main.wasm").unwrap();
    t.load(lib("librelo.wasm")).unwrap();
    let info = space.modules().into_iter().find(|m| m.name == "librelo.wasm").unwrap();
    let data_end = (info.memory_base + info.mem_size) as i64;
    assert_eq!(t.call::<(), i32>("relo_heap_room", ()).unwrap(), 0);
    let size = t.call::<(), i32>("relo_memory_size", ()).unwrap() as i64;
    assert_eq!(size, (data_end + 0xffff) / 0x10000);
    // Someone else takes memory after the module's data.
    t.load(lib("other.wasm")).unwrap();
    let page = t.call::<i32, i32>("relo_grow", 2).unwrap() as u64;
    let grown =
        space.regions().into_iter().find(|r| r.kind.to_string() == "memory grown by module librelo.wasm").unwrap();
    assert_eq!((grown.start, grown.end), (page * 0x10000, (page + 2) * 0x10000));
    assert_eq!(t.call::<(), i32>("relo_memory_size", ()).unwrap() as u64, page + 2);
    assert_eq!(t.call::<i32, i32>("relo_grow", 0).unwrap() as u64, page + 2);
    // Past the memory's maximum: -1, as memory.grow says.
    assert_eq!(t.call::<i32, i32>("relo_grow", 0x10000).unwrap(), -1);
}
