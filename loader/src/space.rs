//! The address space: one memory and one indirect function table shared by every module and every thread.
//!
//! An [`AddressSpace`] is what a process is to `ld.so`: the memory (a [`SharedMemory`] when threads are on,
//! which they must be for modules built with `-matomics -mbulk-memory --shared-memory`), the table
//! (`__indirect_function_table`, a [`SharedTable`] whose function references every thread resolves to its
//! own instance of the same module), the [layout](crate::layout) of both, and the modules loaded into it.
//! It is `Send + Sync` and cheap to clone; threads each have their own store ([`Thread`](crate::Thread)).
//!
//! This is the facade: the state itself ([`SpaceInner`], its memory and table primitives) is in the
//! bottom layer, [`state`](crate::state); the operations that load and link modules are in between.
//!
//! A single-threaded mode with a non-shared memory ([`SpaceConfig::shared`] = false) serves modules built
//! without `--shared-memory` (e.g. Debian's non-PIC wasi-libc programs). Its memory lives in the one
//! thread's store, so memory operations take that store.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64};
use std::sync::{Arc, Mutex, RwLock};

use wasmvm::{Engine, InterruptHandle, Linker, PAGE_SIZE, SharedMemory, SharedTable, TableType, ValType};

use crate::layout::{Ranges, Region, RegionKind};
use crate::registry::{Kind, READY, Registry};
use crate::state::{AddressSpace, LoadLock, SpaceConfig, SpaceInner, SpaceMemory, ThreadCtx, lock, read_reg};
use crate::thread::Thread;

/// A loaded module, as [`AddressSpace::modules`] describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleInfo {
    /// The handle to use with [`Thread`](crate::Thread)'s methods.
    pub id: crate::thread::ModuleId,
    /// The name it was loaded by (a library's file name, or the path given for the main program).
    pub name: String,
    /// The address of its data (`__memory_base`).
    pub memory_base: u32,
    /// The size of its data in bytes (`dylink.0`'s memory size; for a non-PIC program, its fixed region).
    pub mem_size: u32,
    /// The first of its function table slots (`__table_base`).
    pub table_base: u32,
    /// How many table slots it has (0 for none).
    pub table_size: u32,
    /// Position-independent (`dylink.0`); `false` for a non-PIC main program or a relocated module.
    pub pic: bool,
    /// A non-PIC module the loader moved by its relocations (`wasm-ld --emit-relocs`).
    pub relocated: bool,
    /// Bytes of each thread's TLS block (`__tls_size`; 0 without wasm-ld thread-local storage).
    pub tls_size: u32,
    /// Alignment of the TLS block (`__tls_align`; 1 without thread-local storage).
    pub tls_align: u32,
}

impl AddressSpace {
    /// A new, empty address space. The memory starts with 0 pages; the table with one (null) slot, index 0.
    pub fn new(engine: &Engine, config: SpaceConfig) -> crate::error::Result<Self> {
        Self::with_host(engine, config, Linker::new(engine))
    }

    /// A new address space whose modules may also import the host functions defined in `host` (WASI, ...).
    /// They are looked up before the loader's built-ins.
    pub fn with_host(engine: &Engine, config: SpaceConfig, host: Linker<ThreadCtx>) -> crate::error::Result<Self> {
        let max_pages = config.max_memory_pages.min(wasmvm::MAX_PAGES);
        let memory = if config.shared {
            SpaceMemory::Shared(
                SharedMemory::new(0, max_pages)
                    .map_err(|e| crate::error::Error::api(format!("cannot create memory: {e}")))?,
            )
        } else {
            SpaceMemory::Private(Mutex::new(None))
        };
        let table = SharedTable::new(TableType::new(ValType::FuncRef, 1, Some(config.max_table_size)))
            .map_err(|e| crate::error::Error::api(format!("cannot create table: {e}")))?;
        let inner = SpaceInner {
            engine: engine.clone(),
            mem_layout: Mutex::new(Ranges::new(max_pages * PAGE_SIZE as u64)),
            // Slot 0 is the null function pointer.
            quarantine: Mutex::default(),
            table_layout: Mutex::new(
                Ranges::with_initial(config.max_table_size as u64, 1, RegionKind::NullGuard).of_slots(),
            ),
            config,
            memory,
            table,
            reg: RwLock::new(Registry::default()),
            load_lock: LoadLock::default(),
            host,
            libraries: Mutex::new(HashMap::new()),
            next_tid: AtomicU32::new(1),
            retire_epoch: AtomicU64::new(0),
            heap: crate::alloc::Heap::default(),
            builtins: crate::builtins::make,
            tags: Mutex::new(HashMap::new()),
            interrupt: InterruptHandle::new(),
        };
        Ok(Self { inner: Arc::new(inner) })
    }

    /// The engine modules are compiled with.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The configuration.
    pub fn config(&self) -> &SpaceConfig {
        &self.inner.config
    }

    /// The shared memory (`None` in single-threaded mode, where the memory belongs to the thread's store).
    pub fn shared_memory(&self) -> Option<SharedMemory> {
        match &self.inner.memory {
            SpaceMemory::Shared(m) => Some(m.clone()),
            SpaceMemory::Private(_) => None,
        }
    }

    /// The handle every thread's store shares: [`interrupt`](InterruptHandle::interrupt) stops wasm on all
    /// threads of the space (at their next loop iteration or call; the engine must be
    /// [`interruptible`](wasmvm::Config)), e.g. when one thread exits the program.
    pub fn interrupt_handle(&self) -> InterruptHandle {
        self.inner.interrupt.clone()
    }

    /// The indirect function table (`__indirect_function_table`).
    pub fn table(&self) -> SharedTable {
        self.inner.table.clone()
    }

    /// A new wasm thread of this space, run by the calling OS thread: its own store, with module slots
    /// reserved and the slot resolver installed. In single-threaded mode there can be only one.
    pub fn thread(&self) -> crate::error::Result<Thread> {
        Thread::new(self, None)
    }

    /// A new wasm thread with embedder data (reachable from host functions as [`ThreadCtx::user`]).
    pub fn thread_with(&self, user: impl std::any::Any + Send) -> crate::error::Result<Thread> {
        Thread::new(self, Some(Box::new(user)))
    }

    /// Make a library available by name (found before the search path).
    pub fn add_library(&self, name: &str, bytes: impl Into<Arc<[u8]>>) {
        lock(&self.inner.libraries).insert(name.to_string(), bytes.into());
    }

    /// The loaded modules: name, memory base and size, table base and size, TLS block size, in load order.
    pub fn modules(&self) -> Vec<ModuleInfo> {
        let reg = read_reg(&self.inner);
        reg.order
            .iter()
            .filter_map(|&id| reg.get(id))
            .filter(|m| m.state() == READY && matches!(m.kind, Kind::Pic | Kind::PlainMain | Kind::Relocated))
            .map(|m| ModuleInfo {
                id: crate::thread::ModuleId(m.id),
                name: m.name.clone(),
                memory_base: m.memory_base,
                mem_size: m.mem_size,
                table_base: m.table_base,
                table_size: m.table_size,
                pic: m.kind == Kind::Pic,
                relocated: m.kind == Kind::Relocated,
                tls_size: m.tls.map_or(0, |t| t.size),
                tls_align: m.tls.map_or(1, |t| t.align),
            })
            .collect()
    }

    /// The memory regions, in address order: who owns which bytes.
    pub fn regions(&self) -> Vec<Region> {
        lock(&self.inner.mem_layout).regions()
    }

    /// The table regions, in index order.
    pub fn table_regions(&self) -> Vec<Region> {
        lock(&self.inner.table_layout).regions()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmvm::Store;

    #[test]
    fn regions_are_distinct_and_visible() {
        let engine = Engine::default();
        let space = AddressSpace::new(&engine, SpaceConfig::default()).unwrap();
        let mut store = Store::new(&engine, ());
        let s = &space.inner;
        let a = s.alloc_region(&mut store, 100, 16, RegionKind::Module("liba.so".into())).unwrap();
        let stack = s.alloc_region(&mut store, 65536, 16, RegionKind::Stack { thread: 1 }).unwrap();
        let heap = s.alloc_region(&mut store, 65536, 65536, RegionKind::Heap).unwrap();
        assert_eq!((a, stack, heap), (1024, 1136, 131072));
        assert_eq!(space.shared_memory().unwrap().data_size(), 3 * 65536);
        let e = s.place_region(&mut store, 1000, 100, RegionKind::Module("libb.so".into())).unwrap_err();
        assert_eq!(e, "[0x3e8, 0x44c) overlaps [0x0, 0x400) null guard");
        let e = s.place_region(&mut store, 0x1000, 0x100, RegionKind::Module("libb.so".into())).unwrap_err();
        assert_eq!(e, "[0x1000, 0x1100) overlaps [0x470, 0x10470) stack of thread 1");
        s.place_region(&mut store, 0x10470, 0x100, RegionKind::Module("libb.so".into())).unwrap();
        let listing: Vec<String> = space.regions().iter().map(|r| r.to_string()).collect();
        assert_eq!(
            listing,
            [
                "[0x0, 0x400) null guard",
                "[0x400, 0x464) module liba.so",
                "[0x470, 0x10470) stack of thread 1",
                "[0x10470, 0x10570) module libb.so",
                "[0x20000, 0x30000) heap",
            ]
        );
        let t = s.alloc_table(3, 4, RegionKind::Module("liba.so".into())).unwrap();
        assert_eq!(t, 4);
        assert_eq!(space.table().size(), 7);
    }

    #[test]
    fn private_memory_lives_in_the_store() {
        let engine = Engine::default();
        let space = AddressSpace::new(&engine, SpaceConfig { shared: false, ..Default::default() }).unwrap();
        let mut store = Store::new(&engine, ());
        space.inner.attach_private_memory(&mut store).unwrap();
        assert!(space.inner.attach_private_memory(&mut store).is_err());
        let a = space.inner.alloc_region(&mut store, 10, 1, RegionKind::Heap).unwrap();
        assert_eq!(a, 1024);
        assert!(space.inner.write(&mut store, 1024, b"hi"));
        let mut buf = [0u8; 2];
        assert!(space.inner.read(&store, 1024, &mut buf));
        assert_eq!(&buf, b"hi");
        assert_eq!(space.inner.mem_len(&store), 65536);
        assert!(space.shared_memory().is_none());
    }
}
