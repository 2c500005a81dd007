//! # wasmvm — the machine
//!
//! A WebAssembly interpreter built for many modules in one address space and many threads at once.
//!
//! - [`Module`]: decoded and validated by `wasmparser`, each function translated to wasmvm's own
//!   register-style bytecode (the private modules `ir` and `translate`). Compiled code is immutable and
//!   shared (`Send + Sync`).
//! - [`Store`]: the runtime state of one thread of wasm (instances, globals, tables, memories, and the
//!   execution stack). Interpreted by the private module `exec` with threaded dispatch; wasm calls never recurse on
//!   the host stack.
//! - [`SharedMemory`]: a memory that never moves, shared by stores on many threads, accessed without data
//!   races in Rust's sense (see `memory::racy`).
//! - [`Linker`] and host functions ([`Func::wrap`], [`Linker::func_wrap`]) to connect wasm to Rust.
//!
//! ```
//! use wasmvm::{Engine, Linker, Module, Store};
//! let engine = Engine::default();
//! let wasm = wat::parse_str(r#"
//!     (module
//!       (import "host" "double" (func $double (param i32) (result i32)))
//!       (func (export "run") (param i32) (result i32)
//!         (call $double (i32.add (local.get 0) (i32.const 1)))))
//! "#).unwrap();
//! let module = Module::new(&engine, &wasm).unwrap();
//! let mut linker = Linker::<()>::new(&engine);
//! linker.func_wrap("host", "double", |_caller: wasmvm::Caller<'_, ()>, x: i32| x * 2).unwrap();
//! let mut store = Store::new(&engine, ());
//! let instance = linker.instantiate(&mut store, &module).unwrap();
//! let run = instance.get_func(&store, "run").unwrap().typed::<i32, i32>(&store).unwrap();
//! assert_eq!(run.call(&mut store, 20).unwrap(), 42);
//! ```

#![deny(missing_docs)]

#[cfg(not(target_pointer_width = "64"))]
compile_error!("wasmvm requires a 64-bit host");

mod engine;
mod error;
mod exec;
mod gc;
mod ir;
mod loader_api;
mod memory;
mod module;
#[cfg(feature = "profile")]
pub mod profile;
mod store;
pub mod thread;
mod translate;
mod types;
mod value;

/// The disassembler's view of translated code (see [`Module::disassemble`]).
pub mod disas {
    pub use crate::ir::disas::{Instruction, print};
}

pub use engine::{Config, Engine, Features};
pub use error::{Error, FrameInfo, Result, Trap, TrapCode, TrapKind, demangle};
pub use loader_api::{ExportIndex, raw_funcref};
pub use memory::{MAX_PAGES, MEMORY64_RESERVATION, Memory, PAGE_SIZE, SharedMemory};
pub use module::{ExportType, ImportType, Module};
pub use store::{
    AnyRef, AnyRefKind, AsContext, AsContextMut, Caller, Exception, ExnRef, Extern, ExternRef, FuelTank, Func, Global,
    Instance, InstanceOptions, InterruptHandle, IntoFunc, Linker, SharedTable, Store, StoreFootprint, StoreInner,
    Table, Tag, TypedFunc, WasmParams, WasmResults, WasmTy,
};
pub use types::{ExternType, FuncType, GlobalType, HeapType, MemoryType, RefType, TableType, ValType};
pub use value::Val;
