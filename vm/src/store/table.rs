//! Tables of references.
//!
//! Elements are stored as `AtomicU64` raw references and accessed with relaxed atomics (a plain `mov` on
//! x86-64 and AArch64), so the same type serves a store-private table and a [`SharedTable`] that the loader
//! shares between the stores of many threads. A shared table reserves its maximum capacity at creation and
//! never reallocates; a private table may reallocate when it grows, which is safe because only its owning
//! store's thread touches it.

use std::cell::UnsafeCell;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use super::{AsContext, AsContextMut, StoreId, StoreInner};
use crate::error::{Error, Result, TrapCode};
use crate::types::TableType;
use crate::value::Val;

pub(crate) struct TableInner {
    elems: UnsafeCell<Vec<AtomicU64>>,
    len: AtomicU32,
    ty: TableType,
    shared: bool,
    grow_lock: Mutex<()>,
}

// SAFETY: elements are atomics; the vector itself is only reallocated for non-shared tables, which are
// confined to one store (one thread at a time). Shared tables never reallocate (capacity reserved up front).
unsafe impl Send for TableInner {}
unsafe impl Sync for TableInner {}

/// Largest table a private table may grow to (elements), to bound host memory.
pub(crate) const MAX_TABLE_ELEMS: u32 = 10_000_000;

impl TableInner {
    pub(crate) fn new(ty: TableType, init: u64, shared: bool) -> Result<Self> {
        let max = ty.max.unwrap_or(u32::MAX).min(MAX_TABLE_ELEMS);
        if ty.min > max {
            return Err(Error::Resource(format!("table of {} elements is too large", ty.min)));
        }
        let cap = if shared { max } else { ty.min };
        let mut v = Vec::with_capacity(cap as usize);
        v.resize_with(ty.min as usize, || AtomicU64::new(init));
        Ok(Self { elems: UnsafeCell::new(v), len: AtomicU32::new(ty.min), ty, shared, grow_lock: Mutex::new(()) })
    }

    #[inline(always)]
    pub(crate) fn size(&self) -> u32 {
        self.len.load(Ordering::Acquire)
    }

    #[inline(always)]
    fn elems(&self) -> *const AtomicU64 {
        // SAFETY: reading the vector's pointer; see the `Sync` argument above.
        unsafe { (*self.elems.get()).as_ptr() }
    }

    pub(crate) fn ty(&self) -> TableType {
        TableType { min: self.size(), ..self.ty }
    }

    pub(crate) fn declared_type(&self) -> TableType {
        self.ty
    }

    #[inline(always)]
    pub(crate) fn get(&self, i: u32) -> Option<u64> {
        if i < self.size() {
            // SAFETY: `i` is below the length.
            Some(unsafe { (*self.elems().add(i as usize)).load(Ordering::Relaxed) })
        } else {
            None
        }
    }

    #[inline(always)]
    pub(crate) fn set(&self, i: u32, v: u64) -> bool {
        if i < self.size() {
            // SAFETY: `i` is below the length.
            unsafe { (*self.elems().add(i as usize)).store(v, Ordering::Relaxed) };
            true
        } else {
            false
        }
    }

    /// `table.grow`: returns the old size, or `None` on failure.
    pub(crate) fn grow(&self, delta: u32, init: u64) -> Option<u32> {
        let _g = self.grow_lock.lock().unwrap_or_else(|e| e.into_inner());
        let old = self.size();
        let new = old.checked_add(delta)?;
        if new > self.ty.max.unwrap_or(u32::MAX) || new > MAX_TABLE_ELEMS {
            return None;
        }
        // SAFETY: for shared tables the capacity was reserved, so `push` never reallocates; private tables
        // are only reached from their store's thread.
        let v = unsafe { &mut *self.elems.get() };
        if self.shared && new as usize > v.capacity() {
            return None;
        }
        v.reserve(delta as usize);
        for _ in 0..delta {
            v.push(AtomicU64::new(init));
        }
        self.len.store(new, Ordering::Release);
        Some(old)
    }

    /// `table.fill`.
    pub(crate) fn fill(&self, start: u32, v: u64, n: u32) -> Result<(), TrapCode> {
        let end = start.checked_add(n).ok_or(TrapCode::TableOutOfBounds)?;
        if end > self.size() {
            return Err(TrapCode::TableOutOfBounds);
        }
        for i in start..end {
            self.set(i, v);
        }
        Ok(())
    }

    /// `table.copy` from `src` (possibly the same table).
    pub(crate) fn copy_from(&self, dst: u32, src: &TableInner, src_at: u32, n: u32) -> Result<(), TrapCode> {
        let (dend, send) = (dst.checked_add(n), src_at.checked_add(n));
        match (dend, send) {
            (Some(d), Some(s)) if d <= self.size() && s <= src.size() => {}
            _ => return Err(TrapCode::TableOutOfBounds),
        }
        if dst <= src_at {
            for i in 0..n {
                self.set(dst + i, src.get(src_at + i).unwrap_or(0));
            }
        } else {
            for i in (0..n).rev() {
                self.set(dst + i, src.get(src_at + i).unwrap_or(0));
            }
        }
        Ok(())
    }

    /// `table.init` from a segment's values.
    pub(crate) fn init(&self, dst: u32, items: &[u64], src: u32, n: u32) -> Result<(), TrapCode> {
        let send = (src as u64) + n as u64;
        let dend = (dst as u64) + n as u64;
        if send > items.len() as u64 || dend > self.size() as u64 {
            return Err(TrapCode::TableOutOfBounds);
        }
        for i in 0..n {
            self.set(dst + i, items[(src + i) as usize]);
        }
        Ok(())
    }
}

/// A table handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Table {
    pub(crate) store: StoreId,
    pub(crate) index: u32,
}

impl Table {
    /// Create a table with every element set to `init`.
    pub fn new(mut store: impl AsContextMut, ty: TableType, init: Val) -> Result<Table> {
        let inner = store.inner_mut();
        if !inner.fits(&init, ty.element) {
            return Err(Error::api("table initial value has the wrong type"));
        }
        let raw = inner.val_to_raw(&init)?;
        let t = TableInner::new(ty, raw, false)?;
        Ok(inner.push_table(Arc::new(t)))
    }

    fn inner<'a>(&self, store: &'a StoreInner) -> Result<&'a Arc<TableInner>> {
        store.check(self.store, "table")?;
        Ok(&store.tables[self.index as usize])
    }

    /// The table's type (with its current size as minimum).
    pub fn ty(&self, store: impl AsContext) -> Result<TableType> {
        Ok(self.inner(store.inner())?.ty())
    }

    /// Current number of elements.
    pub fn size(&self, store: impl AsContext) -> Result<u32> {
        Ok(self.inner(store.inner())?.size())
    }

    /// Read an element.
    pub fn get(&self, store: impl AsContext, index: u32) -> Result<Option<Val>> {
        let s = store.inner();
        let t = self.inner(s)?;
        Ok(t.get(index).map(|raw| s.raw_to_val(raw, t.declared_type().element)))
    }

    /// Write an element.
    pub fn set(&self, mut store: impl AsContextMut, index: u32, value: Val) -> Result<()> {
        let s = store.inner_mut();
        let raw = s.val_to_raw(&value)?;
        let t = self.inner(s)?;
        if !s.fits(&value, t.declared_type().element) {
            return Err(Error::api("table element has the wrong type"));
        }
        if t.set(index, raw) { Ok(()) } else { Err(TrapCode::TableOutOfBounds.into()) }
    }

    /// Grow by `delta` elements set to `init`; returns the old size.
    pub fn grow(&self, mut store: impl AsContextMut, delta: u32, init: Val) -> Result<u32> {
        let s = store.inner_mut();
        let raw = s.val_to_raw(&init)?;
        self.inner(s)?.grow(delta, raw).ok_or_else(|| Error::api("table cannot grow"))
    }
}

impl StoreInner {
    pub(crate) fn push_table(&mut self, t: Arc<TableInner>) -> Table {
        if let Some(i) = self.tables.iter().position(|x| Arc::ptr_eq(x, &t)) {
            return Table { store: self.id, index: i as u32 };
        }
        self.tables.push(t);
        Table { store: self.id, index: self.tables.len() as u32 - 1 }
    }
}

/// A table that several stores (threads) can import at once: the loader's indirect function table.
///
/// Its references are `(slot, index)` pairs, so every store resolves them against its own instances; the
/// stores must agree on which module occupies which slot.
#[derive(Clone)]
pub struct SharedTable {
    pub(crate) inner: Arc<TableInner>,
}

impl std::fmt::Debug for SharedTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedTable").field("size", &self.inner.size()).finish()
    }
}

impl SharedTable {
    /// A shared funcref table; `ty.max` (or a default of 1,000,000) elements are reserved up front. Its
    /// elements must be function references: other references (host values, GC objects) belong to one
    /// store.
    pub fn new(ty: TableType) -> Result<Self> {
        if !ty.element.is_func_ref() {
            return Err(Error::api(format!("a shared table holds function references, not {}", ty.element)));
        }
        let ty = TableType { max: Some(ty.max.unwrap_or(1_000_000)), ..ty };
        Ok(Self { inner: Arc::new(TableInner::new(ty, 0, true)?) })
    }
    /// Current size.
    pub fn size(&self) -> u32 {
        self.inner.size()
    }
    /// Grow by `delta` null elements; returns the old size.
    pub fn grow(&self, delta: u32) -> Option<u32> {
        self.inner.grow(delta, 0)
    }
    /// Raw element (a funcref `(slot + 1) << 32 | index`, 0 for null).
    pub fn get_raw(&self, index: u32) -> Option<u64> {
        self.inner.get(index)
    }
    /// Set a raw element.
    pub fn set_raw(&self, index: u32, raw: u64) -> bool {
        self.inner.set(index, raw)
    }
}
