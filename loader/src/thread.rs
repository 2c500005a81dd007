//! Threads: one store per thread, each with its own instance of every module it runs.
//!
//! A [`Thread`] owns a `Store<ThreadCtx>`. Its funcref slots `0..module_slots` are reserved for modules
//! (module number k → slot k in every store), so a function pointer in the shared table means the same
//! function on every thread, each thread calling its own instance. Host functions take slots above.
//!
//! **Instances are created lazily.** A thread instantiates a module the first time it needs it: when a
//! module it instantiates imports from it, when the host asks for one of its functions, or when wasm calls
//! through a function pointer into it — the store's slot resolver then instantiates the module on the spot
//! (without re-initialising memory, which the loading thread did) and sets up this thread's TLS block for
//! it, and the call proceeds. Starting a thread costs nothing per loaded module; a thread pays only for
//! the modules it uses; and a module `dlopen`ed by one thread is immediately callable from all of them.
//! (Eager instantiation at thread start would cost O(modules) per thread and still need the resolver for
//! modules loaded later.)
//!
//! Each thread also has its own C stack (`env.__stack_pointer`, allocated on first use) and, for each
//! module with thread-local storage, its own TLS block initialised with `__wasm_init_tls(block)`.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;

use wasmvm::{AsContextMut, Caller, Func, Global, Instance, Store, Trap, Val, WasmParams, WasmResults};

use crate::error::{Error, Result};
use crate::link;
use crate::space::{AddressSpace, SpaceInner};
use crate::symbols::{Def, ModId};

/// A thread's progress in instantiating one module.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) enum InstState {
    #[default]
    None,
    /// Being instantiated (its imports are being built): a cycle of function imports ends here.
    InProgress,
    Ready(Instance),
}

/// The loader's per-thread state: the user data of every thread's store.
pub struct ThreadCtx {
    pub(crate) space: Arc<SpaceInner>,
    pub(crate) tid: u32,
    pub(crate) instances: Vec<InstState>,
    /// `env.__stack_pointer` of this thread (created on first use).
    pub(crate) sp: Option<Global>,
    /// This thread's TLS block of each module with thread-local storage.
    pub(crate) tls: HashMap<ModId, u32>,
    /// Host functions created in this store, per importing module.
    pub(crate) host: HashMap<(ModId, String, String), Func>,
    /// Memory regions this thread owns (stacks, TLS blocks), freed when it ends.
    pub(crate) owned: Vec<u32>,
    /// The last loader error, for `dlerror`, and where `dlerror` writes it in wasm memory.
    pub(crate) dlerror: Option<String>,
    pub(crate) dlerror_buf: Option<u32>,
    /// This thread's cache of the built-in allocator.
    pub(crate) heap: crate::alloc::ThreadCache,
    /// The space's `retire_epoch` when this thread last vacated retired slots.
    pub(crate) seen_epoch: u64,
    user: Option<Box<dyn Any + Send>>,
}

impl ThreadCtx {
    /// The thread's number (1 for the first thread of a space).
    pub fn tid(&self) -> u32 {
        self.tid
    }
    /// The address space.
    pub fn space(&self) -> AddressSpace {
        AddressSpace { inner: self.space.clone() }
    }
    /// The embedder's data for this thread, if it is a `U`.
    pub fn user<U: 'static>(&self) -> Option<&U> {
        self.user.as_ref()?.downcast_ref()
    }
    /// The embedder's data for this thread, mutably.
    pub fn user_mut<U: 'static>(&mut self) -> Option<&mut U> {
        self.user.as_mut()?.downcast_mut()
    }
    /// Replace the embedder's data.
    pub fn set_user(&mut self, user: impl Any + Send) {
        self.user = Some(Box::new(user));
    }

    pub(crate) fn instance_state(&self, id: ModId) -> InstState {
        self.instances.get(id as usize).copied().unwrap_or_default()
    }

    pub(crate) fn set_instance_state(&mut self, id: ModId, s: InstState) {
        let i = id as usize;
        if self.instances.len() <= i {
            self.instances.resize(i + 1, InstState::None);
        }
        self.instances[i] = s;
    }
}

impl Drop for ThreadCtx {
    fn drop(&mut self) {
        self.space.heap.flush(&mut self.heap);
        for start in self.owned.drain(..) {
            self.space.free_region(start);
        }
        // The store goes with this thread: it holds up no retired slot, and it is no module's user any more.
        let mut reg = link::write_reg(&self.space);
        for m in reg.modules.iter().flatten() {
            m.users.lock().unwrap_or_else(|e| e.into_inner()).retain(|&t| t != self.tid);
        }
        let retired: Vec<ModId> = reg.retired.keys().copied().collect();
        let reclaim: Vec<u32> = retired.into_iter().filter_map(|id| reg.release(id, self.tid)).collect();
        drop(reg);
        for r in reclaim {
            self.space.free_region(r);
        }
    }
}

/// Vacate, in this thread's store, the slots of unloaded modules it had instantiated (see
/// [`dl`](crate::dl)): the slot is emptied, this thread's TLS block of the module freed, its per-thread
/// state forgotten; the last thread to do so lets the id be recycled. One atomic load when nothing was
/// unloaded since the last time.
pub(crate) fn vacate_retired<C: Ctx>(cx: &mut C) {
    // Instances vacated earlier are freed once no wasm runs on this thread (a call from the host).
    cx.inner_mut().release_vacated();
    let epoch = cx.thread().space.retire_epoch.load(std::sync::atomic::Ordering::Acquire);
    if epoch == cx.thread().seen_epoch {
        return;
    }
    let space = cx.thread().space.clone();
    let tid = cx.thread().tid;
    let ids: Vec<(ModId, bool)> = {
        let reg = link::read_reg(&space);
        let emscripten =
            |id: ModId| reg.get(id).is_some_and(|m| m.module.exports().any(|e| e.name == "emscripten_tls_init"));
        reg.retired.iter().filter(|(_, users)| users.contains(&tid)).map(|(&id, _)| (id, emscripten(id))).collect()
    };
    // A module this thread is still executing in (a caller frame in its code, or the instance calling the
    // loader now) is left for a later call: its slot, TLS block and memory stay until the thread leaves it.
    let running = cx.executing_slot();
    let before = ids.len();
    let ids: Vec<(ModId, bool)> =
        ids.into_iter().filter(|&(id, _)| Some(id) != running && !cx.inner_mut().slot_on_stack(id)).collect();
    let deferred = ids.len() < before;
    for &(id, emscripten) in &ids {
        cx.inner_mut().vacate_slot(id);
        let t = cx.thread_mut();
        t.set_instance_state(id, InstState::None);
        t.host.retain(|k, _| k.0 != id);
        let Some(block) = t.tls.remove(&id) else { continue };
        if let Some(i) = t.owned.iter().position(|&b| b == block) {
            // A wasm-ld module's block, from the layout.
            t.owned.swap_remove(i);
            space.free_region(block);
        } else if emscripten {
            // `emscripten_tls_init` took it from `emscripten_builtin_memalign`: the built-in heap, unless
            // a module defined its own allocator (then the heap refuses the address, and it stays).
            let _ = space.heap.free(cx, block);
        }
    }
    if !ids.is_empty() {
        let mut reg = link::write_reg(&space);
        let reclaim: Vec<u32> = ids.iter().filter_map(|&(id, _)| reg.release(id, tid)).collect();
        drop(reg);
        for r in reclaim {
            space.free_region(r);
        }
    }
    cx.inner_mut().release_vacated();
    if !deferred {
        cx.thread_mut().seen_epoch = epoch;
    }
}

/// A store of this crate's thread type: `Store<ThreadCtx>` or a `Caller` of one (in host functions).
pub trait Ctx: AsContextMut<Data = ThreadCtx> {
    /// The loader's thread state.
    fn thread(&self) -> &ThreadCtx;
    /// The loader's thread state, mutably.
    fn thread_mut(&mut self) -> &mut ThreadCtx;
    /// The funcref slot of the instance whose code is calling the loader now (a host function's caller).
    fn executing_slot(&self) -> Option<u32> {
        None
    }
}

impl Ctx for Store<ThreadCtx> {
    fn thread(&self) -> &ThreadCtx {
        self.data()
    }
    fn thread_mut(&mut self) -> &mut ThreadCtx {
        self.data_mut()
    }
}

impl Ctx for Caller<'_, ThreadCtx> {
    fn thread(&self) -> &ThreadCtx {
        self.data()
    }
    fn thread_mut(&mut self) -> &mut ThreadCtx {
        self.data_mut()
    }
    fn executing_slot(&self) -> Option<u32> {
        self.instance().map(|i| i.slot())
    }
}

/// A module loaded into an address space (the handle `dlopen` returns, minus one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ModuleId(pub(crate) ModId);

impl ModuleId {
    /// The module's funcref slot (the same in every thread's store).
    pub fn slot(self) -> u32 {
        self.0
    }
}

/// A resolved symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symbol {
    /// A function: its table index (a C function pointer) and its funcref slot's module.
    Func {
        /// The function's index in the shared table: the value of a C function pointer to it.
        table_index: u32,
    },
    /// Data at this address (for a thread-local symbol, the calling thread's copy).
    Data {
        /// The address in the shared memory.
        addr: u32,
    },
}

/// A thread started by [`AddressSpace::spawn_thread`]: join it for its closure's result.
pub struct ThreadHandle<R> {
    tid: u32,
    handle: std::thread::JoinHandle<R>,
}

impl<R> ThreadHandle<R> {
    /// The wasm thread's number.
    pub fn id(&self) -> u32 {
        self.tid
    }

    /// Wait for the thread; a panic in it becomes an error.
    pub fn join(self) -> Result<R> {
        self.handle.join().map_err(|p| {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Error::api(format!("thread {} panicked: {msg}", self.tid))
        })
    }

    /// Has the thread finished?
    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }
}

impl AddressSpace {
    /// Start an OS thread running `f` with a new wasm thread of this space: its own store (module slots
    /// reserved, slot resolver installed), its own stack and, as it first runs each module's code, its own
    /// instances and TLS blocks. Modules loaded later by any thread are callable from it at once.
    pub fn spawn_thread<F, R>(&self, f: F) -> Result<ThreadHandle<R>>
    where
        F: FnOnce(&mut Thread) -> R + Send + 'static,
        R: Send + 'static,
    {
        self.spawn(Thread::new(self, None)?, f)
    }

    /// [`spawn_thread`](Self::spawn_thread) with embedder data for the new thread.
    pub fn spawn_thread_with<F, R>(&self, user: impl Any + Send, f: F) -> Result<ThreadHandle<R>>
    where
        F: FnOnce(&mut Thread) -> R + Send + 'static,
        R: Send + 'static,
    {
        self.spawn(Thread::new(self, Some(Box::new(user)))?, f)
    }

    fn spawn<F, R>(&self, mut thread: Thread, f: F) -> Result<ThreadHandle<R>>
    where
        F: FnOnce(&mut Thread) -> R + Send + 'static,
        R: Send + 'static,
    {
        let tid = thread.id();
        let handle = std::thread::Builder::new()
            .name(format!("wasm-{tid}"))
            .spawn(move || f(&mut thread))
            .map_err(|e| Error::api(format!("cannot start thread {tid}: {e}")))?;
        Ok(ThreadHandle { tid, handle })
    }
}

/// One thread of wasm in an address space: a store, and the loader's state for it.
pub struct Thread {
    pub(crate) store: Store<ThreadCtx>,
}

impl std::fmt::Debug for Thread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Thread").field("tid", &self.store.data().tid).finish_non_exhaustive()
    }
}

impl Thread {
    pub(crate) fn new(space: &AddressSpace, user: Option<Box<dyn Any + Send>>) -> Result<Thread> {
        let inner = space.inner.clone();
        let tid = inner.next_tid.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let ctx = ThreadCtx {
            space: inner.clone(),
            tid,
            instances: Vec::new(),
            sp: None,
            tls: HashMap::new(),
            host: HashMap::new(),
            owned: Vec::new(),
            dlerror: None,
            dlerror_buf: None,
            heap: Vec::new(),
            seen_epoch: 0,
            user,
        };
        let mut store = Store::new(&inner.engine, ctx);
        store.inner_mut().reserve_slots(inner.config.module_slots);
        store.set_interrupt_handle(inner.interrupt.clone());
        inner.attach_private_memory(&mut store)?;
        store.set_slot_resolver(|store: &mut Store<ThreadCtx>, slot: u32| {
            if slot >= crate::space::TOMBSTONE_SLOTS {
                let space = store.data().space.clone();
                let name = space.unloaded_module(slot);
                let name = name.as_deref().unwrap_or("(unknown)");
                return Err(Trap::host(format!("call to a function of unloaded module {name}")));
            }
            vacate_retired(store);
            crate::instance::ensure_instance(store, slot).map(|_| ()).map_err(|e| Trap::host(e.to_string()))
        });
        Ok(Thread { store })
    }

    /// The thread's number.
    pub fn id(&self) -> u32 {
        self.store.data().tid
    }

    /// The address space.
    pub fn space(&self) -> AddressSpace {
        self.store.data().space()
    }

    /// The thread's store.
    pub fn store(&mut self) -> &mut Store<ThreadCtx> {
        &mut self.store
    }

    /// Load a module with its `NEEDED` libraries (like `dlopen(name, RTLD_NOW | RTLD_GLOBAL)`), or return
    /// the already loaded one.
    pub fn load(&mut self, source: impl Into<crate::Source>) -> Result<ModuleId> {
        self.load_with(source, &crate::LoadOptions::default())
    }

    /// Load a module with options.
    pub fn load_with(&mut self, source: impl Into<crate::Source>, options: &crate::LoadOptions) -> Result<ModuleId> {
        link::load(&mut self.store, source.into(), options, None, crate::Requester::Host).map(ModuleId)
    }

    /// `dlopen(name, flags)` with `RTLD_*` flags ([`dl`](crate::dl)).
    pub fn dlopen(&mut self, name: &str, flags: i32) -> Result<ModuleId> {
        crate::dl::dlopen(&mut self.store, None, crate::Requester::Host, name, flags).map(ModuleId)
    }

    /// `dlclose`: drop one reference; unload what is no longer used.
    pub fn dlclose(&mut self, module: ModuleId) -> Result<()> {
        crate::dl::dlclose(&mut self.store, module.0)
    }

    /// This thread's instance of a module (instantiating it if needed).
    pub fn instance(&mut self, module: ModuleId) -> Result<Instance> {
        crate::instance::ensure_instance(&mut self.store, module.0)
    }

    /// Look a symbol up in the global scope (or in `module` and its dependencies).
    pub fn symbol(&mut self, module: Option<ModuleId>, name: &str) -> Result<Symbol> {
        link::dlsym(&mut self.store, module.map(|m| m.0), name)
    }

    /// A function symbol, as a function of this thread's store.
    pub fn func(&mut self, module: Option<ModuleId>, name: &str) -> Result<Func> {
        vacate_retired(&mut self.store);
        let def = link::lookup(&self.store, module.map(|m| m.0), name)?;
        match def {
            Def::Func { module, .. } => {
                let inst = crate::instance::ensure_instance(&mut self.store, module)?;
                inst.get_func(&self.store, name).ok_or_else(|| Error::api(format!("{name}: not a function")))
            }
            _ => Err(Error::api(format!("{name}: not a function"))),
        }
    }

    /// Call the function symbol `name` with typed parameters and results.
    pub fn call<P: WasmParams, R: WasmResults>(&mut self, name: &str, params: P) -> Result<R> {
        let f = self.func(None, name)?;
        let f = f.typed::<P, R>(&self.store).map_err(|e| Error::vm(name, e))?;
        f.call(&mut self.store, params).map_err(|e| Error::vm(name, e))
    }

    /// Call the function symbol `name` with dynamically typed values.
    pub fn call_dynamic(&mut self, name: &str, params: &[Val], results: &mut [Val]) -> Result<()> {
        let f = self.func(None, name)?;
        f.call(&mut self.store, params, results).map_err(|e| Error::vm(name, e))
    }

    /// Read `len` bytes of the shared memory at `addr`.
    pub fn read(&self, addr: u32, len: usize) -> Result<Vec<u8>> {
        let mut buf = vec![0; len];
        if self.store.data().space.read(&self.store, addr as u64, &mut buf) {
            Ok(buf)
        } else {
            Err(Error::api(format!("[{addr:#x}, +{len}) is out of bounds")))
        }
    }

    /// Read a NUL-terminated string at `addr`.
    pub fn read_cstr(&self, addr: u32) -> Result<String> {
        link::read_cstr(&self.store, addr).ok_or_else(|| Error::api(format!("no string at {addr:#x}")))
    }

    /// Write bytes to the shared memory at `addr`.
    pub fn write(&mut self, addr: u32, data: &[u8]) -> Result<()> {
        let space = self.store.data().space.clone();
        if space.write(&mut self.store, addr as u64, data) {
            Ok(())
        } else {
            Err(Error::api(format!("[{addr:#x}, +{}) is out of bounds", data.len())))
        }
    }
}
