//! The `spectest` host module that the official scripts import: print functions, globals of each type, a
//! table, a memory and a shared memory.

use wasmvm::{
    Caller, Global, GlobalType, Linker, Memory, MemoryType, SharedMemory, Store, Table, TableType, Val, ValType,
};

/// Define `spectest.*` in `linker` (store-bound entities are created in `store`).
pub fn define(linker: &mut Linker<()>, store: &mut Store<()>) -> wasmvm::Result<()> {
    linker.func_wrap("spectest", "print", |_: Caller<'_, ()>| {})?;
    linker.func_wrap("spectest", "print_i32", |_: Caller<'_, ()>, _: i32| {})?;
    linker.func_wrap("spectest", "print_i64", |_: Caller<'_, ()>, _: i64| {})?;
    linker.func_wrap("spectest", "print_f32", |_: Caller<'_, ()>, _: f32| {})?;
    linker.func_wrap("spectest", "print_f64", |_: Caller<'_, ()>, _: f64| {})?;
    linker.func_wrap("spectest", "print_i32_f32", |_: Caller<'_, ()>, _: i32, _: f32| {})?;
    linker.func_wrap("spectest", "print_f64_f64", |_: Caller<'_, ()>, _: f64, _: f64| {})?;
    let global = |store: &mut Store<()>, content, v| Global::new(store, GlobalType { content, mutable: false }, v);
    linker.define("spectest", "global_i32", global(store, ValType::I32, Val::I32(666))?)?;
    linker.define("spectest", "global_i64", global(store, ValType::I64, Val::I64(666))?)?;
    linker.define("spectest", "global_f32", global(store, ValType::F32, Val::f32(666.6))?)?;
    linker.define("spectest", "global_f64", global(store, ValType::F64, Val::f64(666.6))?)?;
    let table = Table::new(&mut *store, TableType::new(ValType::FuncRef, 10, Some(20)), Val::FuncRef(None))?;
    linker.define("spectest", "table", table)?;
    linker.define("spectest", "memory", Memory::new(&mut *store, MemoryType::new(1, Some(2)))?)?;
    linker.define("spectest", "shared_memory", SharedMemory::new(1, 1)?)?;
    Ok(())
}
