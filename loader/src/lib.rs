//! # wasmvm-loader — the dynamic loader of wasmvm
//!
//! The loader is wasmvm's `ld.so`: it runs many separately built WebAssembly modules in **one shared address
//! space** (one linear memory, one indirect function table) on **many threads**, with the dynamic-linking
//! ABI of the WebAssembly tool conventions that `wasm-ld -shared`/`-pie`, Emscripten's `-sSIDE_MODULE` and
//! `rustc -C relocation-model=pic` produce.
//!
//! - [`AddressSpace`]: the shared memory (a `SharedMemory`; or a private one in single-threaded mode) and
//!   table, the [`layout`] of both (who owns which bytes: module data, stacks, TLS blocks, heap, the
//!   program's own `sbrk` growth), and the loaded modules. `Send + Sync`, cheap to clone.
//! - [`Thread`]: one thread of wasm: its own store, with funcref slots `0..module_slots` reserved so that
//!   module *k* is in slot *k* on every thread, and a slot resolver that instantiates on demand a module
//!   the thread reaches through a function pointer. [`AddressSpace::spawn_thread`] starts one on a new OS
//!   thread. Instances are per thread (own globals, `__stack_pointer`, TLS blocks), created lazily.
//! - Loading ([`Thread::load`], `dlopen`): [`dylink`] reads `dylink.0`; the loader finds `NEEDED`
//!   libraries, places each module's data and table slots, resolves imports (`env.memory`,
//!   `env.__indirect_function_table`, `env.__memory_base`, `env.__table_base`, `env.__stack_pointer`,
//!   `GOT.mem.*`, `GOT.func.*`, functions and globals of other modules, host functions; first definition
//!   wins, weak undefined symbols become 0/null), instantiates, applies data relocations and runs
//!   constructors once, dependencies first. The main program may be PIC (`-pie`) or a plain module that
//!   imports its memory and table (Debian's non-PIC wasi-libc), loaded first at its fixed addresses.
//! - [`dl`]: `dlopen`/`dlsym`/`dlclose`/`dlerror`, from Rust and as host functions for wasm (C header
//!   `include/wasmvm.h`), plus the built-in thread-safe allocator (`malloc` & co. under `env` and
//!   `wasmvm`, metadata in host memory, bad frees trap naming the module) and `wasmvm.log`.
//!
//! ```
//! use std::sync::Arc;
//! use wasmvm::Engine;
//! use wasmvm_loader::{AddressSpace, Source, SpaceConfig};
//!
//! // A position-independent module: 4 bytes of data at __memory_base, a data symbol and a function.
//! let lib = wat::parse_str(r#"(module
//!     (@dylink.0 (mem-info (memory 4 2)))
//!     (import "env" "memory" (memory 1 65536 shared))
//!     (import "env" "__memory_base" (global $base i32))
//!     (data (global.get $base) "\2a\00\00\00")
//!     (global (export "answer") i32 (i32.const 0))
//!     (func (export "get_answer") (result i32) global.get $base i32.load))"#).unwrap();
//!
//! let space = AddressSpace::new(&Engine::default(), SpaceConfig::default()).unwrap();
//! let mut main = space.thread().unwrap();
//! main.load(Source::Bytes { name: "libanswer.so".into(), bytes: Arc::from(lib) }).unwrap();
//! assert_eq!(main.call::<(), i32>("get_answer", ()).unwrap(), 42);
//!
//! // Another thread: its own store and instance, the same memory.
//! let other = space.spawn_thread(|t| t.call::<(), i32>("get_answer", ()).unwrap()).unwrap();
//! assert_eq!(other.join().unwrap(), 42);
//! ```
//!
//! # Layers
//!
//! The crate is layered: a module uses only modules of the layers below it, and within its layer only the
//! ones its arrows point to (ARCHITECTURE.md has the same diagram).
//!
//! ```text
//!  facades     lib.rs (re-exports)  space (AddressSpace)  thread (Thread, spawn_thread)  builtins  dl
//!                  │                  space → thread → dl,  space → builtins → dl
//!  operations  link  unload  plan  instance  tls  host  retire  search  check  reloc
//!                  │                  link → {check, instance, plan, reloc, retire, search, unload};
//!                  │                  unload → instance → {host, tls};  plan → {host, search}
//!  state       state/ (space: SpaceInner, SpaceConfig, the AddressSpace handle;
//!                  │   sync: registry guards, load lock;  thread: ThreadCtx, Ctx)
//!  base        registry → symbols → meta;  alloc  layout  dylink  wasmgen  beneath  error
//! ```
//!
//! - **base**: data and formats, no address space (loaded-module records and import plans, symbol scopes,
//!   what the linker reads from a compiled module, the heap's data structure, range maps, [`dylink`]).
//! - **state**: the shared state of an address space and of each thread in it, with the primitives that
//!   only read or update it; it uses nothing of the loader but the base.
//! - **operations**: loading, linking, relocation, instantiation, TLS, unloading, the library sandbox.
//! - **facades**: the public API ([`AddressSpace`], [`Thread`], [`dl`]) and the built-in host functions.
//!
//! Two calls go upwards at run time, and are inverted so that no module names one above it: a module's
//! imports of the built-ins (whose `dlopen` loads modules) are created by `host` through the function the
//! facade gave the address space (`SpaceInner::builtins`, set to `builtins::make`); and the heap (`alloc`)
//! gets memory through a trait (`alloc::HeapCtx`) that the state implements for every thread.

#![deny(missing_docs)]

// Base: data and formats, no address-space state.
mod alloc;
mod beneath;
pub mod dylink;
mod error;
pub mod layout;
mod meta;
mod registry;
mod symbols;
mod wasmgen;

// State: the shared state of a space and of its threads.
mod state;

// Operations.
mod check;
mod host;
mod instance;
mod link;
mod plan;
mod reloc;
mod retire;
mod search;
mod tls;
mod unload;

// Facades.
mod builtins;
pub mod dl;
mod space;
mod thread;

pub use dl::Symbol;
pub use dylink::{Dylink, SymFlags};
pub use error::{Error, Result};
pub use layout::{Region, RegionKind};
pub use link::{BeforeConstructors, LoadOptions};
pub use search::Source;
pub use space::ModuleInfo;
pub use state::{AddressSpace, Ctx, SpaceConfig, ThreadCtx};
pub use thread::{ModuleId, Thread, ThreadHandle};
