//! A small process-wide cache of released linear-memory mappings.
//!
//! Creating a memory is cheap for the CPU but expensive for the kernel: reserving its address space, then a
//! page fault (or a populate) for every page the instance touches, and at the end unmapping them all. For
//! small, short-lived instances (a spec test, a plugin call in a fresh store, an embedder's request
//! handler) that is most of the cost of instantiation. So a dropped memory's mapping is kept here instead,
//! with its first [`KEEP_RESIDENT`] bytes zeroed *in place* (pages stay mapped, so the next instance touches
//! them without faults) and the rest returned to the OS; the next memory that needs a reservation of the same
//! size takes it. This is what wasmtime's pooling allocator calls keeping memory resident.
//!
//! A pooled mapping keeps the invariant of a fresh one: every byte is zero, and the part beyond the
//! accessible prefix (`committed`) is `PROT_NONE`. At most [`MAX_POOLED`] mappings are kept (the most recently
//! released ones), so at most `MAX_POOLED * KEEP_RESIDENT` bytes of memory stay resident for reuse.

use std::ptr::NonNull;
use std::sync::Mutex;

/// Mappings kept at most.
pub(crate) const MAX_POOLED: usize = 8;
/// Bytes at the start of a released memory that are zeroed and kept mapped (beyond: given back to the OS).
pub(crate) const KEEP_RESIDENT: usize = 1 << 20;

/// A reservation of `reserved` bytes whose first `committed` bytes are readable, writable, zero and resident.
pub(crate) struct Mapping {
    pub base: NonNull<u8>,
    pub reserved: usize,
    pub committed: usize,
}

// SAFETY: a pooled mapping is owned by nobody; the pointer is only an address to hand out again.
unsafe impl Send for Mapping {}

static POOL: Mutex<Vec<Mapping>> = Mutex::new(Vec::new());

/// A pooled mapping of exactly `reserved` bytes, if one is free.
pub(crate) fn take(reserved: usize) -> Option<Mapping> {
    let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
    let i = pool.iter().position(|m| m.reserved == reserved)?;
    Some(pool.swap_remove(i))
}

/// Release a memory's mapping whose first `len` bytes are accessible (and maybe dirty): keep it for reuse,
/// or unmap it if the pool is full or the mapping cannot be reset.
///
/// # Safety
/// `base..base + reserved` must be a mapping made by [`super::map_anonymous`] that nothing uses any more,
/// accessible exactly up to `len` (a multiple of the OS page size).
pub(crate) unsafe fn give(base: NonNull<u8>, reserved: usize, len: usize) {
    // SAFETY: as the caller promises.
    if !unsafe { reset(base, len) } {
        unsafe { super::unmap(base, reserved) };
        return;
    }
    let mapping = Mapping { base, reserved, committed: len.min(KEEP_RESIDENT) };
    let evicted = {
        let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
        let evicted = if pool.len() >= MAX_POOLED { Some(pool.remove(0)) } else { None };
        pool.push(mapping);
        evicted
    };
    // The oldest mapping makes room: it was in nobody's use.
    if let Some(old) = evicted {
        unsafe { super::unmap(old.base, old.reserved) };
    }
}

/// Zero the kept prefix in place; give the pages beyond it back (they read as zero when next mapped) and make
/// them inaccessible again.
unsafe fn reset(base: NonNull<u8>, len: usize) -> bool {
    let keep = len.min(KEEP_RESIDENT);
    // SAFETY: `base..base + len` is accessible and unused (the caller's promise).
    unsafe {
        std::ptr::write_bytes(base.as_ptr(), 0, keep);
        if len > keep {
            let rest = base.as_ptr().add(keep).cast();
            if libc::madvise(rest, len - keep, libc::MADV_DONTNEED) != 0
                || libc::mprotect(rest, len - keep, libc::PROT_NONE) != 0
            {
                return false;
            }
        }
    }
    true
}
