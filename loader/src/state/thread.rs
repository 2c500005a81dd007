//! One thread's state: [`ThreadCtx`], the user data of its store, and [`Ctx`], how operations reach it.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;

use wasmvm::{AsContextMut, Caller, Func, Global, Instance, Store};

use super::space::{AddressSpace, SpaceInner};
use super::sync::write_reg;
use crate::symbols::ModId;

/// A thread's progress in instantiating one module.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) enum InstState {
    #[default]
    None,
    /// Being instantiated (its imports are being built): a cycle of function imports ends here.
    InProgress,
    Ready(Instance),
}

/// What the loader created in a thread's store for the imports of one module's instance.
#[derive(Debug, Default)]
pub(crate) struct Made {
    pub(crate) globals: Vec<Global>,
    pub(crate) funcs: Vec<Func>,
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
    /// Globals and functions created in this store for one module's imports (`__memory_base`, `GOT.mem`
    /// entries, late-bound and missing-weak functions): retired with its instance (see `retire`).
    pub(crate) made: HashMap<ModId, Made>,
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
    /// The state of a new thread `tid` of `space`, with the embedder's data.
    pub(crate) fn new(space: Arc<SpaceInner>, tid: u32, user: Option<Box<dyn Any + Send>>) -> ThreadCtx {
        ThreadCtx {
            space,
            tid,
            instances: Vec::new(),
            sp: None,
            tls: HashMap::new(),
            host: HashMap::new(),
            made: HashMap::new(),
            owned: Vec::new(),
            dlerror: None,
            dlerror_buf: None,
            heap: Vec::new(),
            seen_epoch: 0,
            user,
        }
    }

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
        let mut reg = write_reg(&self.space);
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

impl<C: Ctx> crate::alloc::HeapCtx for C {
    fn cache(&mut self) -> &mut crate::alloc::ThreadCache {
        &mut self.thread_mut().heap
    }
    fn alloc_heap_region(&mut self, size: u64, align: u64) -> Result<u32, String> {
        let space = self.thread().space.clone();
        space.alloc_region(self, size, align, crate::layout::RegionKind::Heap)
    }
    fn free_heap_region(&mut self, start: u32) {
        self.thread().space.free_region(start);
    }
}
