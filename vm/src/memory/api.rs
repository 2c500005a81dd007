//! The embedding API of memories: [`Memory`] (a handle into a store) and [`SharedMemory`] (shareable across
//! threads and stores).

use std::sync::Arc;

use super::LinearMemory;
use crate::error::{Error, Result, TrapCode};
use crate::store::{AsContext, AsContextMut, StoreId, StoreInner};
use crate::types::MemoryType;

/// A memory handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Memory {
    pub(crate) store: StoreId,
    pub(crate) index: u32,
}

impl Memory {
    /// Create a memory in `store`.
    pub fn new(mut store: impl AsContextMut, ty: MemoryType) -> Result<Memory> {
        let s = store.inner_mut();
        Ok(s.push_memory(Arc::new(LinearMemory::new(ty)?)))
    }

    fn mem<'a>(&self, s: &'a StoreInner) -> Result<&'a Arc<LinearMemory>> {
        s.check(self.store, "memory")?;
        Ok(&s.memories[self.index as usize])
    }

    /// The memory's type, with its current size as minimum.
    pub fn ty(&self, store: impl AsContext) -> Result<MemoryType> {
        Ok(self.mem(store.inner())?.ty())
    }

    /// Current size in pages.
    pub fn size(&self, store: impl AsContext) -> Result<u64> {
        Ok(self.mem(store.inner())?.pages())
    }

    /// Current size in bytes.
    pub fn data_size(&self, store: impl AsContext) -> Result<usize> {
        Ok(self.mem(store.inner())?.byte_len())
    }

    /// Grow by `delta` pages; returns the old size in pages.
    pub fn grow(&self, mut store: impl AsContextMut, delta: u64) -> Result<u64> {
        self.mem(store.inner_mut())?.grow(delta).ok_or_else(|| Error::api("memory cannot grow"))
    }

    /// Read bytes at `offset`.
    pub fn read(&self, store: impl AsContext, offset: u64, buf: &mut [u8]) -> Result<()> {
        if self.mem(store.inner())?.read(offset, buf) { Ok(()) } else { Err(TrapCode::MemoryOutOfBounds.into()) }
    }

    /// Write bytes at `offset`.
    pub fn write(&self, mut store: impl AsContextMut, offset: u64, data: &[u8]) -> Result<()> {
        if self.mem(store.inner_mut())?.write(offset, data) { Ok(()) } else { Err(TrapCode::MemoryOutOfBounds.into()) }
    }

    /// The contents of a non-shared memory (`None` for a shared one: other threads may be writing to it;
    /// use [`Memory::read`]/[`Memory::write`] instead).
    pub fn data<'a>(&self, store: &'a impl AsContext) -> Option<&'a [u8]> {
        let m = self.mem(store.inner()).ok()?;
        if m.is_shared() {
            return None;
        }
        // SAFETY: a non-shared memory is only accessed by its store's thread; the borrow of the store
        // prevents wasm from running (and growing or writing it) while the slice lives.
        Some(unsafe { std::slice::from_raw_parts(m.base(), m.byte_len()) })
    }

    /// The contents of a non-shared memory, mutably (`None` for a shared one).
    pub fn data_mut<'a>(&self, store: &'a mut impl AsContextMut) -> Option<&'a mut [u8]> {
        let m = self.mem(store.inner_mut()).ok()?;
        if m.is_shared() {
            return None;
        }
        // SAFETY: as in `data`, with the store borrowed mutably.
        Some(unsafe { std::slice::from_raw_parts_mut(m.base(), m.byte_len()) })
    }

    /// This memory as a [`SharedMemory`], if it is shared.
    pub fn as_shared(&self, store: impl AsContext) -> Option<SharedMemory> {
        let m = self.mem(store.inner()).ok()?;
        m.is_shared().then(|| SharedMemory { inner: m.clone() })
    }
}

/// A shared linear memory: `Send + Sync`, importable into stores on any thread.
#[derive(Clone)]
pub struct SharedMemory {
    pub(crate) inner: Arc<LinearMemory>,
}

impl std::fmt::Debug for SharedMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedMemory").field("pages", &self.inner.pages()).finish()
    }
}

impl SharedMemory {
    /// A new shared memory of `min` pages that may grow to `max` pages (reserved up front).
    pub fn new(min: u64, max: u64) -> Result<Self> {
        Self::with_type(MemoryType::shared(min, max))
    }
    /// A new shared memory of type `ty` (e.g. a shared memory64, or one with one-byte pages); `ty.shared`
    /// must be set and a maximum given.
    pub fn with_type(ty: MemoryType) -> Result<Self> {
        if !ty.shared || ty.max.is_none() {
            return Err(Error::api("a shared memory type must be shared and have a maximum"));
        }
        Ok(Self { inner: Arc::new(LinearMemory::new(ty)?) })
    }
    /// The memory's type.
    pub fn ty(&self) -> MemoryType {
        self.inner.ty()
    }
    /// Current size in pages.
    pub fn size(&self) -> u64 {
        self.inner.pages()
    }
    /// Current size in bytes.
    pub fn data_size(&self) -> usize {
        self.inner.byte_len()
    }
    /// Grow by `delta` pages; returns the old size.
    pub fn grow(&self, delta: u64) -> Option<u64> {
        self.inner.grow(delta)
    }
    /// Read bytes (racy-safe).
    pub fn read(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        if self.inner.read(offset, buf) { Ok(()) } else { Err(TrapCode::MemoryOutOfBounds.into()) }
    }
    /// Write bytes (racy-safe).
    pub fn write(&self, offset: u64, data: &[u8]) -> Result<()> {
        if self.inner.write(offset, data) { Ok(()) } else { Err(TrapCode::MemoryOutOfBounds.into()) }
    }
    /// How many threads are blocked in `memory.atomic.wait` on the byte address `addr` right now.
    ///
    /// A snapshot for diagnostics and tests (e.g. "is the worker parked yet?"): it may change as soon as it
    /// is returned.
    pub fn waiters(&self, addr: u64) -> usize {
        self.inner.waiters.queued(addr)
    }
    /// Do both handles denote the same memory?
    pub fn same(&self, other: &SharedMemory) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}
