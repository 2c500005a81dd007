//! The registry of loaded modules, shared by all threads of an address space.
//!
//! A module is loaded once (by one thread, which places it, resolves its imports and initialises its memory)
//! and then instantiated by each thread that runs its code. The registry keeps what every thread needs for
//! that: the compiled module, its placement, and the *import plan* — how each import is satisfied,
//! expressed without reference to any store, so any thread can build the imports in its own store.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use wasmvm::Module;

use crate::dylink::Dylink;
use crate::meta::Meta;
use crate::symbols::{Def, ModId, Scope};

/// How one import of a module is satisfied (the same on every thread, built into each thread's store).
#[derive(Debug, Clone)]
pub(crate) enum Plan {
    /// `env.memory`: the space's memory.
    Memory,
    /// `env.__indirect_function_table`: the space's table.
    Table,
    /// A global with a fixed value: `__memory_base`, `__table_base`, `GOT.mem.*`, `GOT.func.*`, weak data.
    I32(i32),
    /// `GOT.mem.*` of a thread-local symbol: the address of this thread's copy.
    Tls { module: ModId, offset: u32 },
    /// `env.__stack_pointer`: this thread's stack pointer.
    StackPointer,
    /// A function exported by another module, instantiated in the same store.
    Func { module: ModId, name: String },
    /// A function of the group's import cycle (or the module's own export), named by its pointer-free
    /// funcref: a [`wasmvm::Func::late_bound`] import, bound when first called, not when instantiated.
    LateBound { raw: u64, ty: wasmvm::FuncType },
    /// A global exported by another module.
    Global { module: ModId, name: String },
    /// A host function (the loader's built-ins or the embedder's linker).
    Host { module: String, name: String },
    /// A weak function nobody defines: calling it traps.
    Missing { symbol: String },
    /// An exception tag imported from `env`: the space's tag of that name ([`SpaceInner::tag`]).
    Tag(wasmvm::Tag),
}

/// What kind of module this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Position-independent, with `dylink.0`.
    Pic,
    /// A non-PIC main program at fixed addresses from 0.
    PlainMain,
    /// A non-PIC module moved by its relocations (`wasm-ld --emit-relocs`) to a base the loader chose; its
    /// compiled module is the rewritten one ([`reloc`](crate::reloc)).
    Relocated,
    /// A generated module that only re-exports a host function, so that it can have a table slot that
    /// means the same thing on every thread.
    Trampoline,
}

pub(crate) const LINKING: u8 = 0;
pub(crate) const READY: u8 = 1;
pub(crate) const CLOSED: u8 = 2;

/// Thread-local storage needs of a module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TlsInfo {
    pub size: u32,
    pub align: u32,
}

/// A module loaded into the address space.
pub(crate) struct Loaded {
    pub id: ModId,
    pub name: String,
    pub path: Option<PathBuf>,
    pub module: Module,
    pub meta: Meta,
    pub dylink: Option<Dylink>,
    pub kind: Kind,
    pub memory_base: u32,
    pub mem_size: u32,
    pub table_base: u32,
    pub table_size: u32,
    pub symbols: Vec<(String, Def)>,
    pub plan: Vec<Plan>,
    /// Resolved `NEEDED` libraries (constructor order).
    pub needed: Vec<ModId>,
    /// Every module this one uses: `NEEDED` and the definers of its imports. A module stays loaded while a
    /// module that uses it does.
    pub deps: Vec<ModId>,
    pub tls: Option<TlsInfo>,
    /// A relocated module's view of `memory.size`, in pages: the end of its last `memory.grow` grant, at
    /// first the page boundary after its data ([`reloc`](crate::reloc)); 0 for other modules.
    pub brk: AtomicU32,
    /// The thread that loaded it (whose instance initialised memory and owns the static TLS block).
    pub loader_tid: u32,
    /// Symbols visible in the global scope (`RTLD_GLOBAL`).
    pub global: AtomicBool,
    pub state: AtomicU8,
    /// `dlopen` reference count (modules loaded only as dependencies have 0, and live while a user does).
    pub refs: AtomicU32,
    /// Never unloaded (`RTLD_NODELETE`, the main program).
    pub nodelete: AtomicBool,
    /// Threads that have (or are making) an instance of it in their store's slot. Read when it is
    /// unloaded: those threads must vacate the slot before the id can be given to another module.
    pub users: Mutex<Vec<u32>>,
}

impl Loaded {
    pub(crate) fn state(&self) -> u8 {
        self.state.load(Ordering::Acquire)
    }

    /// Record that thread `tid` is instantiating this module, unless it was unloaded. The check and the
    /// record are atomic with respect to [`Loaded::close`], so no thread instantiates a module whose id
    /// is being recycled without being waited for.
    pub(crate) fn add_user(&self, tid: u32) -> bool {
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        if self.state() == CLOSED {
            return false;
        }
        if !users.contains(&tid) {
            users.push(tid);
        }
        true
    }

    /// Mark the module unloaded; returns the threads that have an instance of it.
    pub(crate) fn close(&self) -> Vec<u32> {
        self.state.store(CLOSED, Ordering::Release);
        std::mem::take(&mut *self.users.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// A symbol this module defines.
    pub(crate) fn symbol(&self, name: &str) -> Option<&Def> {
        self.symbols.iter().find(|(n, _)| n == name).map(|(_, d)| d)
    }
}

/// All modules of an address space.
#[derive(Default)]
pub(crate) struct Registry {
    /// By id (= funcref slot); `None` for an id whose load failed. An unloaded module stays here, `CLOSED`,
    /// until its id is recycled.
    pub modules: Vec<Option<Arc<Loaded>>>,
    /// Load order of modules in the global scope.
    pub order: Vec<ModId>,
    /// The global scope.
    pub scope: Scope,
    pub by_name: HashMap<String, ModId>,
    /// Table slot of each function whose address was taken: `(module, function index)` → index.
    pub func_slots: HashMap<(ModId, u32), u32>,
    /// Trampolines of host functions: `(module, name)` → id.
    pub trampolines: HashMap<(String, String), ModId>,
    /// Ids of unloaded modules that some threads still have instances of (in their stores' slots), with
    /// those threads. A slot is recycled only when no store has anything in it, so a function pointer into
    /// a new module can never reach an old module's instance.
    pub retired: HashMap<ModId, Vec<u32>>,
    /// The memory region of each retired id's module: reclaimed with the id, so that no thread still
    /// executing in the module's code writes into the memory of a module loaded later.
    pub held_regions: HashMap<ModId, u32>,
    /// Ids ready to be given to new modules.
    pub free_ids: Vec<ModId>,
}

impl Registry {
    pub(crate) fn get(&self, id: ModId) -> Option<&Arc<Loaded>> {
        self.modules.get(id as usize)?.as_ref()
    }

    /// Allocate a module id: a recycled one if any, else a new one below `limit`.
    pub(crate) fn next_id(&mut self, limit: u32) -> Option<ModId> {
        if let Some(id) = self.free_ids.pop() {
            self.modules[id as usize] = None;
            return Some(id);
        }
        let id = self.modules.len() as u32;
        if id >= limit {
            return None;
        }
        self.modules.push(None);
        Some(id)
    }

    /// Retire the id of an unloaded module: it is recycled once every thread in `users` has vacated its
    /// slot ([`crate::retire::vacate_retired`]). The caller bumps the space's `retire_epoch` so that they
    /// notice.
    pub(crate) fn retire(&mut self, id: ModId, users: Vec<u32>, region: Option<u32>) -> Option<u32> {
        if users.is_empty() {
            self.free_ids.push(id);
            region
        } else {
            self.retired.insert(id, users);
            if let Some(r) = region {
                self.held_regions.insert(id, r);
            }
            None
        }
    }

    /// Thread `tid` no longer has an instance in slot `id` (it vacated it, or it ended). Returns the memory
    /// region to reclaim when it was the last.
    pub(crate) fn release(&mut self, id: ModId, tid: u32) -> Option<u32> {
        let users = self.retired.get_mut(&id)?;
        users.retain(|&t| t != tid);
        if !users.is_empty() {
            return None;
        }
        self.retired.remove(&id);
        self.free_ids.push(id);
        self.held_regions.remove(&id)
    }

    /// Rebuild the global scope from the modules in it, in load order (after a module left it).
    pub(crate) fn rebuild_scope(&mut self) {
        let mut scope = Scope::default();
        for id in &self.order {
            if let Some(m) = self.get(*id)
                && m.state() == READY
                && m.global.load(Ordering::Relaxed)
            {
                for (name, def) in &m.symbols {
                    scope.define(name, def);
                }
            }
        }
        self.scope = scope;
    }
}
