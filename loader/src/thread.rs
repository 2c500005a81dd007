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

use wasmvm::{AsContextMut, Func, Instance, Store, Trap, Val, WasmParams, WasmResults};

use crate::dl::{self, Symbol};
use crate::error::{Error, Result};
use crate::link;
use crate::retire::vacate_retired;
use crate::state::{AddressSpace, ThreadCtx, read_cstr};
use crate::symbols::{Def, ModId};

/// A module loaded into an address space (the handle `dlopen` returns, minus one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ModuleId(pub(crate) ModId);

impl ModuleId {
    /// The module's funcref slot (the same in every thread's store).
    pub fn slot(self) -> u32 {
        self.0
    }
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
        let ctx = ThreadCtx::new(inner.clone(), tid, user);
        let mut store = Store::new(&inner.engine, ctx);
        store.inner_mut().reserve_slots(inner.config.module_slots);
        store.set_interrupt_handle(inner.interrupt.clone());
        inner.attach_private_memory(&mut store)?;
        store.set_slot_resolver(|store: &mut Store<ThreadCtx>, slot: u32| {
            if slot >= crate::state::TOMBSTONE_SLOTS {
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
    pub fn load(&mut self, source: impl Into<crate::search::Source>) -> Result<ModuleId> {
        self.load_with(source, &link::LoadOptions::default())
    }

    /// Load a module with options.
    pub fn load_with(
        &mut self,
        source: impl Into<crate::search::Source>,
        options: &link::LoadOptions,
    ) -> Result<ModuleId> {
        link::load(&mut self.store, source.into(), options, None, crate::search::Requester::Host).map(ModuleId)
    }

    /// `dlopen(name, flags)` with `RTLD_*` flags ([`dl`](crate::dl)).
    pub fn dlopen(&mut self, name: &str, flags: i32) -> Result<ModuleId> {
        dl::dlopen(&mut self.store, None, crate::search::Requester::Host, name, flags).map(ModuleId)
    }

    /// `dlclose`: drop one reference; unload what is no longer used.
    pub fn dlclose(&mut self, module: ModuleId) -> Result<()> {
        dl::dlclose(&mut self.store, module.0)
    }

    /// This thread's instance of a module (instantiating it if needed).
    pub fn instance(&mut self, module: ModuleId) -> Result<Instance> {
        crate::instance::ensure_instance(&mut self.store, module.0)
    }

    /// Look a symbol up in the global scope (or in `module` and its dependencies).
    pub fn symbol(&mut self, module: Option<ModuleId>, name: &str) -> Result<Symbol> {
        dl::dlsym(&mut self.store, module.map(|m| m.0), name)
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
        read_cstr(&self.store, addr).ok_or_else(|| Error::api(format!("no string at {addr:#x}")))
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
