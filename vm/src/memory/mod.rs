//! Linear memories.
//!
//! Every memory reserves the address space of its maximum size up front (`PROT_NONE`, no swap reserved) and
//! commits pages as it grows, so **its base address never moves**: the interpreter keeps `base` in a register,
//! other threads keep using a shared memory while it grows, and no lock is taken on a load or store. The
//! current length is an atomic; a shared memory's length only increases, and `memory.grow` on it is
//! serialised by a mutex and published with a sequentially consistent store.
//!
//! Accesses to a *shared* memory may race with other threads, which Rust would call undefined behaviour if
//! done with ordinary loads and stores. They go through [`racy`] instead (see its docs for why that is
//! sound). A non-shared memory belongs to a single store and is never touched by two threads, so the
//! interpreter reads it with plain unaligned loads and pays nothing for thread support.
//!
//! **Memory64.** A 64-bit memory cannot reserve its maximum (up to 2^64 bytes), and it must not move
//! either. It reserves `min(maximum, MEMORY64_RESERVATION)` bytes (16 GiB) up front, and `memory.grow`
//! beyond the reservation returns -1, as the spec allows any grow to fail. Bounds checks are explicit (no
//! guard pages are relied on), so the reservation is only a size limit.
//!
//! **Page sizes.** A memory's page size is 64 KiB or, with the custom-page-sizes proposal, 1 byte. Lengths
//! are kept in bytes; the OS protections are changed in whole OS pages, rounded up (the bytes between the
//! length and the next OS page are accessible to the host but every wasm access is bounds-checked against
//! the exact length).

mod api;
pub(crate) mod atomic;
mod pool;
pub(crate) mod racy;

pub use api::{Memory, SharedMemory};

use std::ptr::NonNull;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, Result};
use crate::types::MemoryType;

/// Bytes in a wasm page.
pub const PAGE_SIZE: usize = 65536;
/// The most pages a 32-bit memory can have.
pub const MAX_PAGES: u64 = 65536;
/// Address space reserved at most for one memory64 memory (see the module docs): it never grows beyond.
pub const MEMORY64_RESERVATION: u64 = 16 << 30;

/// The OS page size (the granularity of `mprotect`).
fn os_page() -> usize {
    static PAGE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    // SAFETY: sysconf has no preconditions.
    *PAGE.get_or_init(|| unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as usize)
}

/// `n` rounded up to a whole number of OS pages.
fn round_up(n: usize) -> usize {
    n.next_multiple_of(os_page())
}

/// A linear memory: a reservation that never moves, committed up to `len`.
pub(crate) struct LinearMemory {
    base: NonNull<u8>,
    /// Bytes reserved (mapped `PROT_NONE` beyond `len`).
    reserved: usize,
    len: AtomicUsize,
    /// Bytes at the start known to be mapped already (a reused mapping's kept pages): no need to prefault.
    resident: usize,
    ty: MemoryType,
    grow_lock: Mutex<()>,
    /// Waiters of `memory.atomic.wait` (used only by shared memories).
    pub(crate) waiters: crate::memory::racy::WaitTable,
}

// SAFETY: the memory is only reached through raw pointers. Non-shared memories are owned by one store (which is
// not `Sync`); shared ones are accessed with the racy/atomic primitives, and growth is serialised.
unsafe impl Send for LinearMemory {}
unsafe impl Sync for LinearMemory {}

impl LinearMemory {
    /// Create a memory of type `ty` with its minimum size committed and zeroed.
    pub(crate) fn new(ty: MemoryType) -> Result<Self> {
        let limit = ty.max_pages_by_index();
        let max_pages = ty.max.unwrap_or(limit).min(limit);
        if ty.min > max_pages {
            return Err(Error::Resource(format!("memory minimum {} pages exceeds its maximum", ty.min)));
        }
        let max_bytes = max_pages << ty.page_size_log2;
        let max_bytes = if ty.memory64 { max_bytes.min(MEMORY64_RESERVATION) } else { max_bytes };
        let reserved = round_up(max_bytes as usize);
        let min_len = match ty.min.checked_mul(ty.page_size()) {
            Some(n) if n <= max_bytes => n as usize,
            _ => {
                return Err(Error::Resource(format!(
                    "memory minimum of {} pages exceeds the {} MiB reserved for a memory",
                    ty.min,
                    max_bytes >> 20
                )));
            }
        };
        let (base, committed) = if reserved == 0 {
            (NonNull::dangling(), 0)
        } else if let Some(m) = pool::take(reserved) {
            (m.base, m.committed)
        } else {
            let base = map_anonymous(reserved, false).ok_or_else(|| {
                Error::Resource(format!("cannot reserve {} MiB of address space for a memory", reserved >> 20))
            })?;
            (base, 0)
        };
        let mem = Self {
            base,
            reserved,
            len: AtomicUsize::new(committed),
            resident: committed,
            ty,
            grow_lock: Mutex::new(()),
            waiters: Default::default(),
        };
        // A reused mapping may be accessible beyond this memory's size: close that part again (dropping `mem`
        // on failure hands the mapping back, accessible up to `len`).
        mem.commit(committed, min_len)?;
        mem.decommit(min_len, committed)?;
        mem.len.store(min_len, Ordering::SeqCst);
        Ok(mem)
    }

    /// Make `from..to` inaccessible (its bytes are zero: it was a pooled mapping's kept part), in whole OS
    /// pages: the page holding `from` stays accessible.
    fn decommit(&self, from: usize, to: usize) -> Result<()> {
        let (from, to) = (round_up(from), round_up(to));
        if to <= from {
            return Ok(());
        }
        // SAFETY: `from..to` lies inside the reservation and nothing can refer to it yet.
        let r = unsafe { libc::mprotect(self.base.as_ptr().add(from).cast(), to - from, libc::PROT_NONE) };
        if r != 0 {
            return Err(Error::Resource("cannot decommit memory pages".into()));
        }
        Ok(())
    }

    /// Make `from..to` accessible, in whole OS pages.
    fn commit(&self, from: usize, to: usize) -> Result<()> {
        let (from, to) = (from / os_page() * os_page(), round_up(to));
        if to <= from {
            return Ok(());
        }
        // SAFETY: `from..to` lies inside the reservation (callers check against `reserved`).
        let r = unsafe {
            libc::mprotect(self.base.as_ptr().add(from).cast(), to - from, libc::PROT_READ | libc::PROT_WRITE)
        };
        if r != 0 {
            return Err(Error::Resource("cannot commit memory pages".into()));
        }
        Ok(())
    }

    /// The memory's type, with its current size as minimum.
    pub(crate) fn ty(&self) -> MemoryType {
        MemoryType { min: self.pages(), ..self.ty }
    }

    #[inline(always)]
    pub(crate) fn base(&self) -> *mut u8 {
        self.base.as_ptr()
    }

    /// Current length in bytes.
    #[inline(always)]
    pub(crate) fn byte_len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    /// Current size in pages.
    pub(crate) fn pages(&self) -> u64 {
        (self.len.load(Ordering::SeqCst) >> self.ty.page_size_log2) as u64
    }

    pub(crate) fn is_shared(&self) -> bool {
        self.ty.shared
    }

    /// Is this a memory64 memory (addresses, sizes and lengths are i64)?
    #[inline(always)]
    pub(crate) fn is_64(&self) -> bool {
        self.ty.memory64
    }

    /// `memory.grow`: add `delta` pages; returns the old size in pages, or `None` if it cannot grow.
    pub(crate) fn grow(&self, delta: u64) -> Option<u64> {
        let _guard = self.grow_lock.lock().unwrap_or_else(|e| e.into_inner());
        let old_len = self.len.load(Ordering::SeqCst);
        let log2 = self.ty.page_size_log2;
        let old = (old_len >> log2) as u64;
        let new = old.checked_add(delta)?;
        let limit = self.ty.max_pages_by_index();
        if new > self.ty.max.unwrap_or(limit).min(limit) || (new << log2) > self.reserved as u64 {
            return None;
        }
        let new_len = (new << log2) as usize;
        self.commit(old_len, new_len).ok()?;
        self.len.store(new_len, Ordering::SeqCst);
        Some(old)
    }

    /// Is `[addr, addr + n)` inside the memory?
    pub(crate) fn in_bounds(&self, addr: u64, n: u64) -> bool {
        addr.checked_add(n).is_some_and(|end| end <= self.byte_len() as u64)
    }

    /// Copy bytes out of the memory (racy-safe for shared memories).
    pub(crate) fn read(&self, addr: u64, buf: &mut [u8]) -> bool {
        if !self.in_bounds(addr, buf.len() as u64) {
            return false;
        }
        // SAFETY: bounds checked; the destination is a Rust buffer we own.
        unsafe { racy::copy_out(buf.as_mut_ptr(), self.base().add(addr as usize), buf.len(), self.ty.shared) };
        true
    }

    /// Copy bytes into the memory (racy-safe for shared memories).
    pub(crate) fn write(&self, addr: u64, data: &[u8]) -> bool {
        if !self.in_bounds(addr, data.len() as u64) {
            return false;
        }
        self.prefault(addr as usize, data.len());
        // SAFETY: bounds checked.
        unsafe { racy::copy_in(self.base().add(addr as usize), data.as_ptr(), data.len(), self.ty.shared) };
        true
    }

    /// Before a large copy into fresh pages (a module's data segments at instantiation): map the pages in
    /// one system call rather than one page fault each, which costs microseconds apiece in a virtual
    /// machine. An optimisation only; old kernels without `MADV_POPULATE_WRITE` just fault as before.
    fn prefault(&self, addr: usize, len: usize) {
        #[cfg(target_os = "linux")]
        if len >= 4 * 4096 {
            const MADV_POPULATE_WRITE: libc::c_int = 23;
            let start = (addr & !4095).max(self.resident);
            let end = (addr + len).next_multiple_of(4096).min(self.len.load(Ordering::Acquire));
            if end <= start {
                return;
            }
            // SAFETY: `start..end` lies inside the committed, writable part of this memory's mapping;
            // populating pages does not change their contents.
            unsafe { libc::madvise(self.base.as_ptr().add(start).cast(), end - start, MADV_POPULATE_WRITE) };
        }
    }
}

impl Drop for LinearMemory {
    fn drop(&mut self) {
        if self.reserved != 0 {
            // SAFETY: this is the mapping created in `new`, accessible up to `len`, and nothing refers to it
            // any more.
            unsafe { pool::give(self.base, self.reserved, round_up(*self.len.get_mut())) };
        }
    }
}

/// A private anonymous mapping of `bytes` (non-zero) that reserves no swap: readable and writable, its
/// pages zeroed by the OS when first touched, or (`writable = false`) inaccessible until committed with
/// `mprotect`. `None` if the OS refuses.
pub(crate) fn map_anonymous(bytes: usize, writable: bool) -> Option<NonNull<u8>> {
    let prot = if writable { libc::PROT_READ | libc::PROT_WRITE } else { libc::PROT_NONE };
    // SAFETY: an anonymous private mapping with no address hint.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            bytes,
            prot,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED { None } else { NonNull::new(p.cast()) }
}

/// Undo [`map_anonymous`].
///
/// # Safety
/// `base` and `bytes` must be a mapping made by [`map_anonymous`], which nothing uses any more.
pub(crate) unsafe fn unmap(base: NonNull<u8>, bytes: usize) {
    // SAFETY: as the caller promises.
    unsafe { libc::munmap(base.as_ptr().cast(), bytes) };
}
