//! A dropped memory's mapping is reused by the next memory of the same reserved size (see
//! `vm/src/memory/pool.rs`), and the reused memory is indistinguishable from a fresh one: every byte zero,
//! its own size, out-of-bounds accesses trapping, growth zeroed.
//!
//! Its own test binary, so that no other test takes the pooled mapping in between.

use wasmvm::{Engine, Instance, Linker, Memory, Module, Store};

/// A memory of `min` pages with a maximum (37 pages) that no other memory in this process uses, so the reuse
/// of its reservation is observable by its base address.
fn wat(min: u32) -> String {
    format!(
        r#"(module (memory (export "mem") {min} 37)
          (func (export "fill") (param i32) (memory.fill (i32.const 0) (local.get 0) (i32.mul (memory.size) (i32.const 65536))))
          (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0))))"#
    )
}

fn instance(engine: &Engine, min: u32) -> (Store<()>, Instance, Memory) {
    let module = Module::new(engine, &wat::parse_str(wat(min)).unwrap()).unwrap();
    let mut store = Store::new(engine, ());
    let inst = Linker::new(engine).instantiate(&mut store, &module).unwrap();
    let mem = inst.get_memory(&store, "mem").unwrap();
    (store, inst, mem)
}

/// Grow the memory to at least 20 pages (1.25 MiB: beyond the part kept resident) and write 0xab to every
/// byte.
fn dirty(store: &mut Store<()>, inst: &Instance, mem: &Memory) -> usize {
    let pages = mem.size(&*store).unwrap();
    mem.grow(&mut *store, 20u64.saturating_sub(pages)).unwrap();
    let fill = inst.get_func(&*store, "fill").unwrap().typed::<i32, ()>(&*store).unwrap();
    fill.call(&mut *store, 0xab).unwrap();
    let data = mem.data(&*store).unwrap();
    assert!(data.iter().all(|&b| b == 0xab));
    data.as_ptr() as usize
}

fn assert_fresh(store: &mut Store<()>, inst: &Instance, mem: &Memory, pages: u64) {
    assert_eq!(mem.size(&*store).unwrap(), pages);
    assert!(mem.data(&*store).unwrap().iter().all(|&b| b == 0), "a reused memory reads as zero");
    let peek = inst.get_func(&*store, "peek").unwrap().typed::<i32, i32>(&*store).unwrap();
    let end = (pages * 65536) as i32;
    assert_eq!(peek.call(&mut *store, end - 1).unwrap(), 0);
    assert_eq!(peek.call(&mut *store, end).unwrap_err().to_string(), "trap: out of bounds memory access");
    mem.grow(&mut *store, 37 - pages).unwrap();
    assert!(mem.data(&*store).unwrap().iter().all(|&b| b == 0), "its growth reads as zero");
    assert_eq!(peek.call(&mut *store, 37 * 65536 - 1).unwrap(), 0);
}

#[test]
fn a_dropped_memory_is_reused_zeroed_with_its_new_size() {
    let engine = Engine::default();
    let (mut store, inst, mem) = instance(&engine, 2);
    let base = dirty(&mut store, &inst, &mem);
    drop(store);

    // Same reservation size, smaller minimum than what the old one had mapped.
    let (mut store, inst, mem) = instance(&engine, 1);
    assert_eq!(mem.data(&store).unwrap().as_ptr() as usize, base, "the mapping was reused");
    assert_fresh(&mut store, &inst, &mem, 1);
    dirty(&mut store, &inst, &mem);
    drop(store);

    // Larger minimum than the part kept resident.
    let (mut store, inst, mem) = instance(&engine, 18);
    assert_eq!(mem.data(&store).unwrap().as_ptr() as usize, base, "the mapping was reused again");
    assert_fresh(&mut store, &inst, &mem, 18);
}
