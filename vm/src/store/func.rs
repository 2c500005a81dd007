//! Functions: wasm functions of instances and host functions, callable from both sides.

use std::sync::Arc;

use super::{AsContext, AsContextMut, Extern, InstanceEntity, SlotEntity, Store, StoreId, StoreInner, func_ref};
use crate::engine::TypeId;
use crate::error::{Error, Result, Trap};
use crate::exec;
use crate::types::FuncType;
use crate::value::Val;

/// How the machine calls a function: resolved once at instantiation, read on every call.
#[derive(Clone, Copy)]
pub(crate) struct FuncEntry {
    pub type_id: TypeId,
    /// Entry of the translated code; null for host functions.
    pub code: *const u8,
    /// The instance a wasm function belongs to.
    pub instance: *mut InstanceEntity,
    /// The host function, when `code` is null.
    pub host: *const HostFuncEntity,
    /// Canonical function reference of this function.
    pub raw: u64,
    /// A late-bound function (`code` and `host` null): the function reference it forwards to, resolved when
    /// called (see [`Func::late_bound`]). An importing instance's copy is bound by its first call (`code`
    /// and `instance` set to the target's), so it stays set here only for `ref.func` and the host.
    pub forward: u64,
}

/// A host function as the machine sees it: arguments in, results out, in the same slots.
pub(crate) type RawHostFn = dyn Fn(*mut StoreInner, *mut InstanceEntity, &mut [u64]) -> Result<(), Trap> + Send + Sync;

pub(crate) struct HostFuncEntity {
    pub ty: FuncType,
    pub func: Arc<RawHostFn>,
    pub entry: FuncEntry,
}

/// A function handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Func {
    pub(crate) store: StoreId,
    pub(crate) raw: u64,
}

/// The context a host function runs in: the store (with its data) and the calling instance.
pub struct Caller<'a, T> {
    pub(crate) store: &'a mut Store<T>,
    pub(crate) instance: *mut InstanceEntity,
}

impl<T> Caller<'_, T> {
    /// The store's user data.
    pub fn data(&self) -> &T {
        self.store.data()
    }
    /// The store's user data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        self.store.data_mut()
    }
    /// An export of the calling instance (e.g. its `memory`), if called from wasm.
    pub fn get_export(&self, name: &str) -> Option<Extern> {
        if self.instance.is_null() {
            return None;
        }
        // SAFETY: the caller instance is alive in this store while its code runs.
        let inst = unsafe { &*self.instance };
        inst.export(&self.store.inner, name)
    }
    /// A wasm exception of `tag` carrying `values`, for the host function to return (`Err(caller.throw(..))`):
    /// its wasm caller can catch it with `try_table`. Values that do not match the tag's type give a plain
    /// trap saying so.
    pub fn throw(&self, tag: &super::Tag, values: &[Val]) -> Trap {
        tag.exception(&*self.store, values).unwrap_or_else(|e| Trap::host(e.to_string()))
    }
    /// The calling instance (when called from wasm).
    pub fn instance(&self) -> Option<crate::Instance> {
        if self.instance.is_null() {
            return None;
        }
        // SAFETY: the caller instance is alive in this store while its code runs.
        let slot = unsafe { (*self.instance).slot };
        Some(crate::Instance { store: self.store.inner.id, slot })
    }

    /// The calling instance's memory 0, if any (whether exported or not).
    pub fn memory(&self) -> Option<crate::Memory> {
        if self.instance.is_null() {
            return None;
        }
        // SAFETY: as above.
        let inst = unsafe { &*self.instance };
        inst.memory_ids.first().map(|&index| crate::Memory { store: self.store.inner.id, index })
    }
}

impl<T> AsContext for Caller<'_, T> {
    type Data = T;
    fn inner(&self) -> &StoreInner {
        &self.store.inner
    }
}

impl<T> AsContextMut for Caller<'_, T> {
    fn inner_mut(&mut self) -> &mut StoreInner {
        &mut self.store.inner
    }
}

/// Wrap a typed-store host closure as a raw host function.
pub(crate) fn raw_host<T, F>(f: F) -> Arc<RawHostFn>
where
    F: Fn(Caller<'_, T>, &mut [u64]) -> Result<(), Trap> + Send + Sync + 'static,
{
    Arc::new(move |store: *mut StoreInner, instance: *mut InstanceEntity, slots: &mut [u64]| {
        // SAFETY: host functions of a `Store<T>` are only ever called with that store, and `Store<T>` is
        // `repr(C)` with `StoreInner` first.
        let store = unsafe { &mut *store.cast::<Store<T>>() };
        f(Caller { store, instance }, slots)
    })
}

impl StoreInner {
    /// Add a host function to the store (in a released slot if there is one).
    pub(crate) fn push_host(&mut self, ty: FuncType, func: Arc<RawHostFn>) -> Func {
        let slot = self.alloc_slot();
        self.host_in_slot(slot, ty, func)
    }

    /// Add a host function in a chosen (empty or new) slot.
    pub(crate) fn push_host_at(&mut self, slot: u32, ty: FuncType, func: Arc<RawHostFn>) -> Result<Func> {
        self.reserve_slots(slot + 1);
        if !matches!(self.slots[slot as usize].entity, SlotEntity::Empty) {
            return Err(Error::api(format!("slot {slot} is already in use")));
        }
        Ok(self.host_in_slot(slot, ty, func))
    }

    /// Fill the empty slot `slot` with a host function.
    fn host_in_slot(&mut self, slot: u32, ty: FuncType, func: Arc<RawHostFn>) -> Func {
        let type_id = self.engine.intern(&ty);
        let raw = func_ref(slot, 0);
        let mut entity = Box::new(HostFuncEntity {
            ty,
            func,
            entry: FuncEntry {
                type_id,
                code: std::ptr::null(),
                instance: std::ptr::null_mut(),
                host: std::ptr::null(),
                raw,
                forward: 0,
            },
        });
        entity.entry.host = &*entity;
        self.fill_slot(slot, SlotEntity::Host(entity));
        Func { store: self.id, raw }
    }

    /// The signature of a function entry.
    pub(crate) fn entry_type(&self, e: &FuncEntry) -> FuncType {
        self.engine.func_type(e.type_id)
    }
}

impl Func {
    /// A host function with a dynamic signature.
    pub fn new<T: 'static>(
        mut store: impl AsContextMut<Data = T>,
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Trap> + Send + Sync + 'static,
    ) -> Func {
        let raw = raw_host_dynamic(ty.clone(), f);
        store.inner_mut().push_host(ty, raw)
    }

    /// A host function from a Rust closure with typed parameters and results.
    pub fn wrap<T: 'static, Params, Results>(
        mut store: impl AsContextMut<Data = T>,
        f: impl super::IntoFunc<T, Params, Results>,
    ) -> Func {
        let super::typed::HostFuncDef(ty, raw) = f.into_raw();
        store.inner_mut().push_host(ty, raw)
    }

    /// Like [`Func::wrap`], in a chosen funcref slot (which must be empty), so that its function reference is
    /// the same in every store that does the same (e.g. the loader's stores on all threads).
    pub fn wrap_at<T: 'static, Params, Results>(
        mut store: impl AsContextMut<Data = T>,
        slot: u32,
        f: impl super::IntoFunc<T, Params, Results>,
    ) -> Result<Func> {
        let super::typed::HostFuncDef(ty, raw) = f.into_raw();
        store.inner_mut().push_host_at(slot, ty, raw)
    }

    /// A function of type `ty` that forwards every call to the function reference `raw`, resolved when
    /// called (filling an empty slot through the store's slot resolver if needed) and checked against `ty`
    /// (a mismatch traps with "indirect call type mismatch"). Importing it binds a module to a function
    /// that may not exist yet in this store — e.g. mutually dependent modules loaded together. The first
    /// call through the import that reaches a wasm function binds the importing instance to it for good
    /// (even if its slot is later vacated, the entity stays alive), so later calls cost what a direct import
    /// does. A
    /// `ref.func` of such an import yields `raw` itself.
    pub fn late_bound(mut store: impl AsContextMut, raw: u64, ty: &FuncType) -> Func {
        let s = store.inner_mut();
        let type_id = s.engine.intern(ty);
        let entry = FuncEntry {
            type_id,
            code: std::ptr::null(),
            instance: std::ptr::null_mut(),
            host: std::ptr::null(),
            raw,
            forward: raw,
        };
        let slot = s.push_slot(SlotEntity::Forward(Box::new(entry)));
        Func { store: s.id, raw: func_ref(slot, 0) }
    }

    pub(crate) fn entry<'a>(&self, store: &'a StoreInner) -> Result<&'a FuncEntry> {
        store.check(self.store, "function")?;
        store.resolve(self.raw).ok_or_else(|| Error::api("dangling function reference"))
    }

    /// The function's signature.
    pub fn ty(&self, store: impl AsContext) -> Result<FuncType> {
        let s = store.inner();
        Ok(s.entry_type(self.entry(s)?))
    }

    /// Call with dynamically typed arguments; `results` must have the callee's result count.
    pub fn call(&self, mut store: impl AsContextMut, params: &[Val], results: &mut [Val]) -> Result<()> {
        let s = store.inner_mut();
        let entry = *self.entry(s)?;
        let ty = s.entry_type(&entry);
        if params.len() != ty.params().len() || params.iter().zip(ty.params()).any(|(v, t)| !s.fits(v, *t)) {
            return Err(Error::api(format!("wrong argument types for function of type {ty}")));
        }
        if results.len() != ty.results().len() {
            return Err(Error::api(format!("expected {} result slots, got {}", ty.results().len(), results.len())));
        }
        let mut slots: smallvec::SmallVec<[u64; 8]> = smallvec::SmallVec::new();
        for p in params {
            s.push_slots(p, &mut slots)?;
        }
        slots.resize(ty.call_slots(), 0);
        let ptr: *mut StoreInner = s;
        // SAFETY: `entry` was resolved in this store, and the slots buffer has max(params, results) entries.
        unsafe { exec::call::invoke(ptr, &entry, &mut slots)? };
        let s = store.inner();
        for (r, v) in results.iter_mut().zip(s.vals_from_slots(&slots, ty.results())) {
            *r = v;
        }
        Ok(())
    }

    /// The raw funcref encoding (for the loader's shared tables).
    pub fn to_raw(&self) -> u64 {
        self.raw
    }

    /// A function handle from a raw funcref of this store.
    pub fn from_raw(store: impl AsContext, raw: u64) -> Option<Func> {
        let s = store.inner();
        s.resolve(raw)?;
        Some(Func { store: s.id, raw })
    }
}

pub(crate) fn raw_host_dynamic<T: 'static>(
    ty: FuncType,
    f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Trap> + Send + Sync + 'static,
) -> Arc<RawHostFn> {
    raw_host(move |caller: Caller<'_, T>, slots: &mut [u64]| {
        let Caller { store, instance } = caller;
        let params: smallvec::SmallVec<[Val; 8]> = store.inner.vals_from_slots(slots, ty.params()).collect();
        let mut results: smallvec::SmallVec<[Val; 4]> = ty.results().iter().map(|t| Val::default_of(*t)).collect();
        f(Caller { store: &mut *store, instance }, &params, &mut results)?;
        let mut out: smallvec::SmallVec<[u64; 8]> = smallvec::SmallVec::new();
        for (v, t) in results.iter().zip(ty.results()) {
            if !store.inner.fits(v, *t) {
                return Err(Trap::host(format!("host function returned a {} where {} was expected", v.ty(), t)));
            }
            store.inner.push_slots(v, &mut out).map_err(|e| Trap::host(e.to_string()))?;
        }
        slots[..out.len()].copy_from_slice(&out);
        Ok(())
    })
}
