//! Stores: the owners of runtime state.
//!
//! A [`Store`] owns instances, host functions, globals, tables, non-shared memories and the execution
//! stack of one thread of wasm. It is `Send` but not `Sync`: one thread at a time runs wasm in it, so its
//! state needs no locks. Threads get one store each and share only what is meant to be shared: compiled
//! [`Module`](crate::Module)s, [`SharedMemory`](crate::SharedMemory)s and shared tables.
//!
//! Handles ([`Func`], [`Global`], [`Memory`], [`Table`], [`Instance`], [`ExternRef`]) are small `Copy` values
//! naming an entity of one store; using one with another store is an error, never undefined behaviour.
//!
//! A function reference is a 64-bit value `(instance slot + 1) << 32 | function index` into the store's slot
//! table, with 0 meaning null. It contains no pointer, so a table shared between stores on different threads
//! (the loader's indirect function table) holds references that every thread resolves to its own instance
//! of the same module, provided the stores give that module the same slot.

mod exception;
mod func;
mod global;
mod instance;
mod linker;
mod stack;
mod table;
mod typed;

use std::any::Any;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub use exception::{Exception, ExnRef, Tag};
pub(crate) use exception::{ExnHeap, ExnObject};
pub use func::{Caller, Func};
pub(crate) use func::{FuncEntry, HostFuncEntity, RawHostFn};
pub use global::Global;
pub(crate) use global::GlobalCell;
pub(crate) use instance::InstanceEntity;
pub use instance::{Instance, InstanceOptions};
pub use linker::Linker;
pub(crate) use stack::ExecStack;
pub(crate) use table::TableInner;
pub use table::{SharedTable, Table};
pub use typed::{IntoFunc, TypedFunc, WasmParams, WasmResults, WasmTy};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::memory::LinearMemory;
pub use crate::memory::{Memory, SharedMemory};

/// Unique id of a store, carried by every handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct StoreId(u64);

impl StoreId {
    fn fresh() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        StoreId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// What a funcref slot holds.
pub(crate) enum SlotEntity {
    Instance(Box<InstanceEntity>),
    Host(Box<HostFuncEntity>),
    /// A late-bound function (see `Func::late_bound`).
    Forward(Box<FuncEntry>),
    /// Reserved (e.g. by the loader for a module not yet instantiated in this store).
    Empty,
}

/// Entry of the slot table: where the functions of a slot are.
pub(crate) struct SlotRec {
    pub funcs: *const FuncEntry,
    pub len: u32,
    pub entity: SlotEntity,
}

/// Globals and function slots waiting to be released (see [`StoreInner::retire_externs`]).
#[derive(Default)]
pub(crate) struct Retiring {
    pub globals: Vec<u32>,
    pub slots: Vec<u32>,
}

impl Retiring {
    fn is_empty(&self) -> bool {
        self.globals.is_empty() && self.slots.is_empty()
    }
}

/// What a store has allocated (see [`StoreInner::footprint`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreFootprint {
    /// Function slots (instances, host and late-bound functions, reserved ones), free ones included.
    pub slots: usize,
    /// Slots released for reuse.
    pub free_slots: usize,
    /// Global cells, free ones included.
    pub globals: usize,
    /// Global cells released for reuse.
    pub free_globals: usize,
}

/// The store state that does not depend on the user data type.
pub struct StoreInner {
    pub(crate) id: StoreId,
    pub(crate) engine: Engine,
    pub(crate) slots: Vec<SlotRec>,
    /// Entities of vacated slots (see [`StoreInner::vacate_slot`]), kept until no wasm runs in the store.
    pub(crate) vacated: Vec<SlotEntity>,
    /// Globals and function slots retired with a vacated instance ([`StoreInner::retire_externs`]), released
    /// with the vacated entities.
    pub(crate) retiring: Retiring,
    /// Released global cells and function slots, reused by the next global / host or late-bound function.
    pub(crate) free_globals: Vec<u32>,
    pub(crate) free_slots: Vec<u32>,
    pub(crate) memories: Vec<Arc<LinearMemory>>,
    pub(crate) tables: Vec<Arc<TableInner>>,
    /// Boxed: instances keep pointers to the cells while this vector grows.
    #[allow(clippy::vec_box)]
    pub(crate) globals: Vec<Box<GlobalCell>>,
    pub(crate) externs: Vec<Arc<dyn Any + Send + Sync>>,
    pub(crate) stack: ExecStack,
    /// Called when a funcref names an empty slot of this store (see [`Store::set_slot_resolver`]).
    pub(crate) slot_resolver: Option<SlotResolver>,
    /// Set to stop running wasm (checked when the engine is `interruptible`).
    pub(crate) interrupt: InterruptHandle,
    /// Remaining fuel (when the engine meters fuel), possibly shared with other stores.
    pub(crate) fuel: FuelTank,
    /// Exceptions thrown in this store (see `store/exception.rs`).
    pub(crate) exns: ExnHeap,
    /// Structs and arrays made in this store (see `gc`).
    pub(crate) gc: crate::gc::GcHeap,
}

/// A store's remaining fuel (see [`Config::consume_fuel`](crate::Config::consume_fuel)). Stores that share one
/// tank (e.g. all threads of a program, through [`Store::set_fuel_tank`]) draw from one budget.
#[derive(Debug, Clone, Default)]
pub struct FuelTank {
    pub(crate) remaining: Arc<std::sync::atomic::AtomicI64>,
}

impl FuelTank {
    /// A tank holding `fuel` units.
    pub fn new(fuel: u64) -> Self {
        let tank = Self::default();
        tank.set(fuel);
        tank
    }
    /// Refill the tank to `fuel` units (for every store sharing it).
    pub fn set(&self, fuel: u64) {
        self.remaining.store(fuel.min(i64::MAX as u64) as i64, std::sync::atomic::Ordering::Relaxed);
    }
    /// The fuel left (0 once it ran out).
    pub fn get(&self) -> u64 {
        self.remaining.load(std::sync::atomic::Ordering::Relaxed).max(0) as u64
    }
}

/// Stops wasm running in the stores that share it, from any thread: the running code traps with
/// "interrupted" at its next loop iteration or call (requires [`Config::interruptible`](crate::Config)).
#[derive(Debug, Clone, Default)]
pub struct InterruptHandle {
    pub(crate) flag: Arc<std::sync::atomic::AtomicBool>,
}

impl InterruptHandle {
    /// A new, unset handle.
    pub fn new() -> Self {
        Self::default()
    }
    /// Ask wasm to stop; stays set (later calls trap too) until [`InterruptHandle::reset`].
    pub fn interrupt(&self) {
        self.flag.store(true, Ordering::SeqCst);
    }
    /// Clear the request.
    pub fn reset(&self) {
        self.flag.store(false, Ordering::SeqCst);
    }
    /// Has an interrupt been requested?
    pub fn is_interrupted(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}

/// Fills an empty funcref slot on demand: the loader instantiates, in the calling thread's store, a module
/// that another thread loaded.
pub(crate) type SlotResolver = Arc<dyn Fn(*mut StoreInner, u32) -> Result<(), crate::Trap> + Send + Sync>;

// SAFETY: the raw pointers in a store point into boxes owned by the same store (or shared, `Sync` entities);
// a store is used by one thread at a time.
unsafe impl Send for StoreInner {}

/// Owner of instances and runtime state for one thread of wasm, with user data `T` for host functions.
#[repr(C)]
pub struct Store<T> {
    pub(crate) inner: StoreInner,
    data: T,
}

impl<T> Store<T> {
    /// A new, empty store.
    pub fn new(engine: &Engine, data: T) -> Self {
        Self {
            inner: StoreInner {
                id: StoreId::fresh(),
                engine: engine.clone(),
                slots: Vec::new(),
                vacated: Vec::new(),
                retiring: Retiring::default(),
                free_globals: Vec::new(),
                free_slots: Vec::new(),
                memories: Vec::new(),
                tables: Vec::new(),
                globals: Vec::new(),
                externs: Vec::new(),
                stack: ExecStack::new(engine.config()),
                slot_resolver: None,
                interrupt: InterruptHandle::default(),
                fuel: FuelTank::default(),
                exns: ExnHeap::default(),
                gc: crate::gc::GcHeap::new(engine.config().gc_threshold),
            },
            data,
        }
    }

    /// Reserve funcref slots `0..n` for [`InstanceOptions::slot`] / [`Func::wrap_at`] placements, so that
    /// functions added without a chosen slot never take them.
    pub fn reserve_slots(&mut self, n: u32) {
        self.inner.reserve_slots(n);
    }

    /// How many function slots and global cells the store has allocated (see [`StoreInner::footprint`]).
    pub fn footprint(&self) -> StoreFootprint {
        self.inner.footprint()
    }

    /// The handle that interrupts wasm running in this store.
    pub fn interrupt_handle(&self) -> InterruptHandle {
        self.inner.interrupt.clone()
    }

    /// How many thrown exceptions the store holds (caught with `catch_ref`/`catch_all_ref`, or in
    /// flight); they are collected when many accumulate. For tests and diagnostics.
    pub fn live_exceptions(&self) -> usize {
        self.inner.exns.live()
    }

    /// How many GC objects (structs and arrays) the store holds; those no value can reach are collected
    /// once enough have been made. For tests and diagnostics.
    pub fn live_gc_objects(&self) -> usize {
        self.inner.gc.live()
    }

    /// Set the fuel left for wasm running in this store (and the stores sharing its tank). Fails unless the
    /// engine meters fuel ([`Config::consume_fuel`](crate::Config::consume_fuel)).
    pub fn set_fuel(&mut self, fuel: u64) -> crate::Result<()> {
        self.check_fuel()?;
        self.inner.fuel.set(fuel);
        Ok(())
    }

    /// The fuel left (0 once it ran out). Fails unless the engine meters fuel.
    pub fn get_fuel(&self) -> crate::Result<u64> {
        self.check_fuel()?;
        Ok(self.inner.fuel.get())
    }

    /// This store's fuel tank, to share with other stores ([`Store::set_fuel_tank`]).
    pub fn fuel_tank(&self) -> FuelTank {
        self.inner.fuel.clone()
    }

    /// Draw fuel from `tank` (shared with the stores it came from).
    pub fn set_fuel_tank(&mut self, tank: FuelTank) {
        self.inner.fuel = tank;
    }

    fn check_fuel(&self) -> crate::Result<()> {
        if self.inner.engine.config().consume_fuel {
            Ok(())
        } else {
            Err(crate::Error::Api("fuel is not enabled (Config::consume_fuel)".into()))
        }
    }

    /// Share `handle` with this store (e.g. one handle for all threads of a program).
    pub fn set_interrupt_handle(&mut self, handle: InterruptHandle) {
        self.inner.interrupt = handle;
    }

    /// Install a callback that fills empty funcref slots on demand. When wasm calls through a function
    /// reference whose slot is empty in this store (a module loaded by another thread), `f` is called with
    /// the slot and may instantiate the module there (e.g. with [`Instance::new_with`]); the call then
    /// proceeds.
    pub fn set_slot_resolver(
        &mut self,
        f: impl Fn(&mut Store<T>, u32) -> Result<(), crate::Trap> + Send + Sync + 'static,
    ) where
        T: 'static,
    {
        self.inner.slot_resolver = Some(Arc::new(move |store: *mut StoreInner, slot: u32| {
            // SAFETY: the resolver of a `Store<T>` is only called with that store (`repr(C)`, inner first).
            let store = unsafe { &mut *store.cast::<Store<T>>() };
            f(store, slot)
        }));
    }
    /// The engine of this store.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }
    /// The user data.
    pub fn data(&self) -> &T {
        &self.data
    }
    /// The user data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.data
    }
    /// Consume the store, returning the user data.
    pub fn into_data(self) -> T {
        self.data
    }
}

/// Access to a store's untyped state; implemented by `Store<T>` and `Caller<'_, T>`.
pub trait AsContext {
    /// The embedder's data type `T` of the `Store<T>`, so host code reached through a context gets it typed.
    type Data;
    #[doc(hidden)]
    fn inner(&self) -> &StoreInner;
}

/// Mutable access to a store; implemented by `Store<T>` and `Caller<'_, T>`.
pub trait AsContextMut: AsContext {
    #[doc(hidden)]
    fn inner_mut(&mut self) -> &mut StoreInner;
    #[doc(hidden)]
    fn store_ptr(&mut self) -> *mut StoreInner {
        self.inner_mut()
    }
}

impl<T> AsContext for Store<T> {
    type Data = T;
    fn inner(&self) -> &StoreInner {
        &self.inner
    }
}

impl<T> AsContextMut for Store<T> {
    fn inner_mut(&mut self) -> &mut StoreInner {
        &mut self.inner
    }
}

impl<S: AsContext + ?Sized> AsContext for &S {
    type Data = S::Data;
    fn inner(&self) -> &StoreInner {
        (**self).inner()
    }
}

impl<S: AsContext + ?Sized> AsContext for &mut S {
    type Data = S::Data;
    fn inner(&self) -> &StoreInner {
        (**self).inner()
    }
}

impl<S: AsContextMut + ?Sized> AsContextMut for &mut S {
    fn inner_mut(&mut self) -> &mut StoreInner {
        (**self).inner_mut()
    }
}

impl StoreInner {
    pub(crate) fn check(&self, id: StoreId, what: &str) -> Result<()> {
        if self.id == id { Ok(()) } else { Err(Error::api(format!("{what} belongs to a different store"))) }
    }

    /// Add a slot holding `entity` (a released one if there is one); returns its index.
    pub(crate) fn push_slot(&mut self, entity: SlotEntity) -> u32 {
        let idx = self.alloc_slot();
        self.fill_slot(idx, entity);
        idx
    }

    /// An empty slot for a new entity: a released one, or a new one at the end.
    pub(crate) fn alloc_slot(&mut self) -> u32 {
        if let Some(idx) = self.free_slots.pop() {
            return idx;
        }
        self.slots.push(SlotRec { funcs: std::ptr::null(), len: 0, entity: SlotEntity::Empty });
        self.slots.len() as u32 - 1
    }

    /// Put `entity` into slot `idx` (which must be empty or new).
    pub(crate) fn fill_slot(&mut self, idx: u32, entity: SlotEntity) {
        let rec = &mut self.slots[idx as usize];
        rec.entity = entity;
        let (funcs, len) = match &rec.entity {
            SlotEntity::Instance(i) => (i.funcs.as_ptr(), i.funcs.len() as u32),
            SlotEntity::Host(h) => (&h.entry as *const FuncEntry, 1),
            SlotEntity::Forward(f) => (&**f as *const FuncEntry, 1),
            SlotEntity::Empty => (std::ptr::null(), 0),
        };
        rec.funcs = funcs;
        rec.len = len;
    }

    /// Reserve empty slots up to (not including) index `upto`.
    pub fn reserve_slots(&mut self, upto: u32) {
        while (self.slots.len() as u32) < upto {
            self.slots.push(SlotRec { funcs: std::ptr::null(), len: 0, entity: SlotEntity::Empty });
        }
    }

    /// Empty slot `idx` so that funcrefs naming it no longer reach its entity and it can be filled again (the
    /// loader does this when the module in that slot was unloaded). The entity itself stays alive, unreachable
    /// through the slot, until the store is dropped: frames suspended in its code, handles and other
    /// instances' imports may still point into it.
    pub fn vacate_slot(&mut self, idx: u32) {
        let Some(rec) = self.slots.get_mut(idx as usize) else { return };
        let old = std::mem::replace(&mut rec.entity, SlotEntity::Empty);
        rec.funcs = std::ptr::null();
        rec.len = 0;
        if !matches!(old, SlotEntity::Empty) {
            self.vacated.push(old);
        }
    }

    /// Drop the entities of vacated slots (instances of unloaded modules, with their function entries and
    /// their reference to the compiled module) if no wasm is running in this store: with no activation on
    /// the execution stack, no frame can be suspended in their code. The caller (the loader) guarantees that
    /// no live instance of the store imports from them and that it holds no handle to them. Returns how many
    /// were dropped (0 while wasm runs; they are then kept for a later call).
    pub fn release_vacated(&mut self) -> usize {
        let idle = self.stack.depth == 0 && self.stack.frames_top == 0;
        if !idle || (self.vacated.is_empty() && self.retiring.is_empty()) {
            return 0;
        }
        let vacated = std::mem::take(&mut self.vacated);
        let n = vacated.len();
        for entity in vacated {
            // An unloaded instance's own globals go with it (no live instance imports them).
            if let SlotEntity::Instance(e) = entity {
                let imported = e.module.inner.num_imported_globals as usize;
                e.global_ids[imported..].iter().for_each(|&g| self.free_global(g));
            }
        }
        let Retiring { globals, slots } = std::mem::take(&mut self.retiring);
        globals.into_iter().for_each(|g| self.free_global(g));
        for slot in slots {
            self.fill_slot(slot, SlotEntity::Empty);
            self.free_slots.push(slot);
        }
        n
    }

    /// Retire globals and host or late-bound functions that only the instance of a slot being vacated used
    /// (the loader made them for its imports): they are released with the vacated entities, when no wasm runs
    /// in the store ([`release_vacated`](Self::release_vacated)), and their storage is reused by later
    /// globals and functions, so that loading and unloading modules over and over keeps the store's size
    /// flat. A handle to a released global is refused ("global was released"); a [`Func`] handle or
    /// funcref to a released function may name a later function: the caller guarantees that none is used
    /// (no live instance imports them, no table holds them). Handles of another store, and functions that
    /// are instances' own, are ignored.
    pub fn retire_externs(&mut self, globals: &[Global], funcs: &[Func]) {
        for g in globals.iter().filter(|g| g.store == self.id) {
            if self.global_cell(g.index, g.generation).is_ok() && !self.retiring.globals.contains(&g.index) {
                self.retiring.globals.push(g.index);
            }
        }
        for f in funcs.iter().filter(|f| f.store == self.id) {
            let Some(slot) = (f.raw >> 32).checked_sub(1).map(|s| s as u32) else { continue };
            let retirable = matches!(
                self.slots.get(slot as usize).map(|r| &r.entity),
                Some(SlotEntity::Host(_) | SlotEntity::Forward(_))
            );
            if retirable && !self.retiring.slots.contains(&slot) {
                self.retiring.slots.push(slot);
            }
        }
    }

    /// How many function slots and global cells the store has allocated, live or released for reuse (for
    /// diagnostics and leak tests: under load/unload churn these stay flat).
    pub fn footprint(&self) -> StoreFootprint {
        StoreFootprint {
            slots: self.slots.len(),
            free_slots: self.free_slots.len(),
            globals: self.globals.len(),
            free_globals: self.free_globals.len(),
        }
    }

    /// Does a caller frame on this store's execution stack run code of the instance in funcref slot `slot`
    /// (the loader must not reclaim an unloaded module's memory while so)? The function running now, if it
    /// is calling the host, is the host function's caller ([`Caller::instance`](crate::Caller::instance)).
    pub fn slot_on_stack(&mut self, slot: u32) -> bool {
        let Some(SlotRec { entity: SlotEntity::Instance(e), .. }) = self.slots.get(slot as usize) else { return false };
        let ptr = &**e as *const InstanceEntity as *mut InstanceEntity;
        let top = self.stack.frames_top.min(self.stack.frames_len());
        let frames = self.stack.frames_ptr();
        // SAFETY: frames below `frames_top` were written by calls still active (synchronised before any host call).
        (0..top).any(|i| unsafe { (*frames.add(i)).instance == ptr })
    }

    /// Is this raw funcref's slot empty (so a slot resolver could fill it)?
    pub(crate) fn needs_resolver(&self, raw: u64) -> Option<u32> {
        let slot = (raw >> 32).checked_sub(1)? as u32;
        let empty = match self.slots.get(slot as usize) {
            Some(rec) => matches!(rec.entity, SlotEntity::Empty),
            None => true,
        };
        (empty && self.slot_resolver.is_some()).then_some(slot)
    }

    /// Resolve a raw funcref to its function entry.
    #[inline]
    pub(crate) fn resolve(&self, raw: u64) -> Option<&FuncEntry> {
        let slot = (raw >> 32).checked_sub(1)? as usize;
        let rec = self.slots.get(slot)?;
        let idx = raw as u32;
        if idx >= rec.len {
            return None;
        }
        // SAFETY: `funcs` points to `len` entries owned by the slot's entity.
        Some(unsafe { &*rec.funcs.add(idx as usize) })
    }

    pub(crate) fn instance(&self, slot: u32) -> Option<&InstanceEntity> {
        match &self.slots.get(slot as usize)?.entity {
            SlotEntity::Instance(i) => Some(i),
            _ => None,
        }
    }

    /// Number of funcref slots in use (the loader keeps slots equal across threads' stores).
    pub fn slot_count(&self) -> u32 {
        self.slots.len() as u32
    }
}

/// Encode a funcref from slot and function index.
pub(crate) fn func_ref(slot: u32, index: u32) -> u64 {
    ((slot as u64 + 1) << 32) | index as u64
}

/// An opaque host reference (`externref`), owned by a store. Besides host values, an `externref` may
/// hold a GC value that wasm made external (`extern.convert_any`); [`AnyRef::from_extern`] gives it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExternRef {
    store: StoreId,
    /// The slot value (see `gc`'s module docs): `index + 1` for a host value.
    raw: u64,
}

impl ExternRef {
    /// Wrap a host value as an externref.
    pub fn new(mut store: impl AsContextMut, value: impl Any + Send + Sync) -> Self {
        let inner = store.inner_mut();
        inner.externs.push(Arc::new(value));
        ExternRef { store: inner.id, raw: inner.externs.len() as u64 }
    }
    /// The wrapped host value (`None` for another store's reference, or a GC value made external).
    pub fn data<'a>(&self, store: &'a impl AsContext) -> Option<&'a (dyn Any + Send + Sync)> {
        let inner = store.inner();
        if inner.id != self.store || crate::gc::kind_of(self.raw) != crate::gc::RefKind::Host {
            return None;
        }
        inner.externs.get(self.raw as usize - 1).map(|a| &**a)
    }
    pub(crate) fn to_raw(self) -> u64 {
        self.raw
    }
    pub(crate) fn store_id(self) -> StoreId {
        self.store
    }
    pub(crate) fn from_raw(store: &StoreInner, raw: u64) -> Option<Self> {
        if raw == 0 { None } else { Some(ExternRef { store: store.id, raw }) }
    }
}

/// A reference of the `any` hierarchy (GC): a struct, an array, an `i31`, or a host value made internal
/// (`any.convert_extern`). Owned by a store, except `i31`s, which are values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AnyRef {
    store: StoreId,
    /// The slot value (see `gc`'s module docs).
    raw: u64,
}

/// What an [`AnyRef`] refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnyRefKind {
    /// An unboxed 31-bit integer.
    I31,
    /// A struct.
    Struct,
    /// An array.
    Array,
    /// A host value (an `externref` made internal).
    Host,
}

impl AnyRef {
    /// The `i31` holding the low 31 bits of `value` (`ref.i31`).
    pub fn i31(store: impl AsContext, value: i32) -> Self {
        AnyRef { store: store.inner().id, raw: crate::gc::I31_TAG | (value as u32 & 0x7fff_ffff) as u64 }
    }
    /// The value of an `i31`, sign-extended from 31 bits (`i31.get_s`); `None` for other references.
    pub fn as_i31(&self) -> Option<i32> {
        match crate::gc::kind_of(self.raw) {
            crate::gc::RefKind::I31(v) => Some(((v << 1) as i32) >> 1),
            _ => None,
        }
    }
    /// `any.convert_extern`: the reference as an `anyref` (a host value, or the GC value it was made from).
    pub fn from_extern(e: ExternRef) -> Self {
        AnyRef { store: e.store, raw: e.raw }
    }
    /// `extern.convert_any`: the reference as an `externref`.
    pub fn to_extern(self) -> ExternRef {
        ExternRef { store: self.store, raw: self.raw }
    }
    /// What the reference refers to (`None` for another store's reference).
    pub fn kind(&self, store: impl AsContext) -> Option<AnyRefKind> {
        let inner = store.inner();
        if inner.id != self.store {
            return None;
        }
        Some(match crate::gc::kind_of(self.raw) {
            crate::gc::RefKind::I31(_) => AnyRefKind::I31,
            crate::gc::RefKind::Host | crate::gc::RefKind::Null => AnyRefKind::Host,
            crate::gc::RefKind::Object(_) => {
                if inner.gc.get(self.raw)?.def.is_struct() {
                    AnyRefKind::Struct
                } else {
                    AnyRefKind::Array
                }
            }
        })
    }
    pub(crate) fn to_raw(self) -> u64 {
        self.raw
    }
    pub(crate) fn store_id(self) -> StoreId {
        self.store
    }
    pub(crate) fn from_raw(store: &StoreInner, raw: u64) -> Option<Self> {
        if raw == 0 { None } else { Some(AnyRef { store: store.id, raw }) }
    }
}

/// Anything an instance can import or export.
#[derive(Debug, Clone)]
pub enum Extern {
    /// A function of one store (wasm or host).
    Func(Func),
    /// A global of one store.
    Global(Global),
    /// A non-shared memory of one store.
    Memory(Memory),
    /// A non-shared table of one store.
    Table(Table),
    /// A shared memory, usable from any store.
    SharedMemory(SharedMemory),
    /// A shared table, usable from any store.
    SharedTable(SharedTable),
    /// An exception tag, usable from any store.
    Tag(Tag),
}

impl Extern {
    /// The function, if this is one (e.g. to pick a function out of an instance's exports).
    pub fn into_func(self) -> Option<Func> {
        if let Extern::Func(f) = self { Some(f) } else { None }
    }
    /// The global, if this is one.
    pub fn into_global(self) -> Option<Global> {
        if let Extern::Global(g) = self { Some(g) } else { None }
    }
    /// The memory, if this is a non-shared one (a shared memory is [`Extern::SharedMemory`]).
    pub fn into_memory(self) -> Option<Memory> {
        if let Extern::Memory(m) = self { Some(m) } else { None }
    }
    /// The tag, if this is one.
    pub fn into_tag(self) -> Option<Tag> {
        if let Extern::Tag(t) = self { Some(t) } else { None }
    }
    /// The table, if this is a non-shared one (a shared table is [`Extern::SharedTable`]).
    pub fn into_table(self) -> Option<Table> {
        if let Extern::Table(t) = self { Some(t) } else { None }
    }
}
