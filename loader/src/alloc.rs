//! The built-in allocator: `malloc` and friends as host functions, thread-safe and scalable, with all its
//! metadata in host memory — a wasm program that scribbles over its heap cannot corrupt the allocator,
//! and a double free or a pointer that was never allocated is detected exactly and reported as a trap
//! naming the module that made the call.
//!
//! Design (a small cousin of mimalloc/tcmalloc):
//! - **Size classes** of 16..256 bytes in steps of 16, then four classes per power of two up to 32 KiB.
//!   Small objects live in 64 KiB **spans** (one wasm page, 64 KiB aligned), each holding slots of one
//!   class; spans are carved from 1 MiB **arenas** the [layout](crate::layout) hands out as
//!   [`RegionKind::Heap`](crate::layout::RegionKind::Heap) regions (growing the memory like `sbrk`).
//! - A **directory** indexed by `address >> 16` finds the span of any pointer without a lock; each span
//!   has an atomic bitmap of allocated slots, which is what makes double-free detection exact.
//! - Each thread keeps a **cache** of free slots per class (no lock on the fast path); it refills from,
//!   and overflows to, a per-class central list.
//! - Objects above 32 KiB get their own region (64 KiB granular), returned to the layout when freed.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

/// What the heap needs from the thread calling it: that thread's cache of free slots, and regions of the
/// address space's memory (growing it like `sbrk`). The [state](crate::state) layer implements it for
/// every loader thread ([`Ctx`](crate::Ctx)); the heap itself knows nothing of address spaces.
pub(crate) trait HeapCtx {
    /// The calling thread's cache.
    fn cache(&mut self) -> &mut ThreadCache;
    /// A new heap region of `size` bytes aligned to `align`.
    fn alloc_heap_region(&mut self, size: u64, align: u64) -> Result<u32, String>;
    /// Give back the heap region at `start`.
    fn free_heap_region(&mut self, start: u32);
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

const SPAN: u32 = 1 << 16;
const ARENA: u64 = 1 << 20;
const MAX_SMALL: u32 = 32 * 1024;
/// Slots per span at most (16-byte class), in bitmap words.
const WORDS: usize = (SPAN / 16 / 64) as usize;
/// Slots moved between a thread's cache and the central list at once.
const BATCH: usize = 32;
const SPANS_PER_CHUNK: usize = 1024;
const MAX_CHUNKS: usize = 65536 / SPANS_PER_CHUNK * 2;

/// The size classes.
fn classes() -> &'static [u32] {
    static CLASSES: OnceLock<Vec<u32>> = OnceLock::new();
    CLASSES.get_or_init(|| {
        let mut v: Vec<u32> = (1..=16).map(|i| i * 16).collect();
        let mut p = 256;
        while p < MAX_SMALL {
            for k in [5, 6, 7, 8] {
                v.push(p * k / 4);
            }
            p *= 2;
        }
        v
    })
}

/// The class for `size` bytes aligned to `align` (a power of two), or `None` for a large object.
fn class_of(size: u32, align: u32) -> Option<usize> {
    let size = size.max(1);
    if align <= 16 {
        return classes().iter().position(|&c| c >= size);
    }
    // Power-of-two classes are multiples of every smaller power of two, and spans are 64 KiB aligned.
    let want = size.max(align).checked_next_power_of_two()?;
    classes().iter().position(|&c| c == want)
}

/// Number of size classes (the length of a thread cache).
pub(crate) fn class_count() -> usize {
    classes().len()
}

/// Per-thread free slots, by class.
pub(crate) type ThreadCache = Vec<Vec<u32>>;

/// A span: a page of small slots of one class, or one large object.
struct Span {
    /// This descriptor's index.
    index: u32,
    base: AtomicU32,
    /// Slot size for a small span; 0 for a large object.
    slot: AtomicU32,
    class: AtomicU32,
    /// A large object's size as requested, its alignment, and its region's size.
    large_size: AtomicU32,
    large_align: AtomicU32,
    large_len: AtomicU32,
    large_live: AtomicBool,
    bits: [AtomicU64; WORDS],
}

impl Span {
    fn new(index: u32) -> Self {
        Span {
            index,
            base: AtomicU32::new(0),
            slot: AtomicU32::new(0),
            class: AtomicU32::new(0),
            large_size: AtomicU32::new(0),
            large_align: AtomicU32::new(0),
            large_len: AtomicU32::new(0),
            large_live: AtomicBool::new(false),
            bits: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

/// What is wrong with a pointer given to `free`/`realloc`/...
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeapError {
    DoubleFree,
    NotAllocated,
    SizeMismatch { usable: u32 },
    OutOfMemory(String),
}

impl std::fmt::Display for HeapError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeapError::DoubleFree => f.write_str("double free"),
            HeapError::NotAllocated => f.write_str("pointer was not allocated by malloc"),
            HeapError::SizeMismatch { usable } => {
                write!(f, "size does not match the allocation (usable size {usable})")
            }
            HeapError::OutOfMemory(e) => write!(f, "out of memory: {e}"),
        }
    }
}

/// The heap of one address space.
pub(crate) struct Heap {
    /// `address >> 16` → span index + 1.
    dir: Box<[AtomicU32]>,
    /// Span descriptors, in chunks that are never freed (so a lookup racing a free is memory safe).
    chunks: Box<[OnceLock<Box<[Span]>>]>,
    next_span: AtomicU32,
    /// Free slots of each class, shared by all threads.
    central: Box<[Mutex<Vec<u32>>]>,
    /// The current arena: next free span address and end.
    arena: Mutex<(u64, u64)>,
    /// Recycled descriptors of freed large objects.
    large_free: Mutex<Vec<u32>>,
}

impl Default for Heap {
    fn default() -> Self {
        Heap {
            dir: (0..65536).map(|_| AtomicU32::new(0)).collect(),
            chunks: (0..MAX_CHUNKS).map(|_| OnceLock::new()).collect(),
            next_span: AtomicU32::new(0),
            central: (0..class_count()).map(|_| Mutex::new(Vec::new())).collect(),
            arena: Mutex::new((0, 0)),
            large_free: Mutex::new(Vec::new()),
        }
    }
}

impl Heap {
    fn span(&self, index: u32) -> &Span {
        let c = index as usize / SPANS_PER_CHUNK;
        let chunk = self.chunks[c]
            .get_or_init(|| (0..SPANS_PER_CHUNK).map(|i| Span::new((c * SPANS_PER_CHUNK + i) as u32)).collect());
        &chunk[index as usize % SPANS_PER_CHUNK]
    }

    fn new_span_index(&self) -> Result<u32, HeapError> {
        let i = self.next_span.fetch_add(1, Ordering::Relaxed);
        if i as usize >= MAX_CHUNKS * SPANS_PER_CHUNK {
            return Err(HeapError::OutOfMemory("too many spans".into()));
        }
        Ok(i)
    }

    /// The span holding `addr`, if the heap owns it.
    fn lookup(&self, addr: u32) -> Option<&Span> {
        let i = self.dir[(addr >> 16) as usize].load(Ordering::Acquire);
        (i != 0).then(|| self.span(i - 1))
    }

    /// Allocate `size` bytes aligned to `align` (a power of two).
    pub(crate) fn malloc<C: HeapCtx>(&self, cx: &mut C, size: u32, align: u32) -> Result<u32, HeapError> {
        let Some(class) = class_of(size, align) else { return self.malloc_large(cx, size, align) };
        let addr = match cx.cache().get_mut(class).and_then(Vec::pop) {
            Some(a) => a,
            None => self.refill(cx, class)?,
        };
        let span = self.lookup(addr).expect("cached slots belong to spans");
        let slot = (addr - span.base.load(Ordering::Relaxed)) / span.slot.load(Ordering::Relaxed);
        let bit = 1u64 << (slot % 64);
        let was = span.bits[slot as usize / 64].fetch_or(bit, Ordering::AcqRel);
        assert!(was & bit == 0, "wasmvm-loader heap: free slot {addr:#x} was marked allocated");
        Ok(addr)
    }

    /// Move slots of `class` into this thread's cache (from the central list, or a new span); returns one.
    fn refill<C: HeapCtx>(&self, cx: &mut C, class: usize) -> Result<u32, HeapError> {
        let mut got: Vec<u32> = {
            let mut central = lock(&self.central[class]);
            let n = central.len().min(BATCH);
            let at = central.len() - n;
            central.split_off(at)
        };
        if got.is_empty() {
            got = self.new_span(cx, class)?;
            // Keep a batch (the lowest addresses, handed out first); the rest go to the central list.
            if got.len() > BATCH {
                let keep = got.split_off(got.len() - BATCH);
                lock(&self.central[class]).append(&mut got);
                got = keep;
            }
        }
        let first = got.pop().expect("a span has at least one slot");
        let cache = &mut cx.cache();
        cache.resize_with(class_count(), Vec::new);
        cache[class].extend(got);
        Ok(first)
    }

    /// A new span of `class`; returns its slots (highest address first, so they are handed out in order).
    fn new_span<C: HeapCtx>(&self, cx: &mut C, class: usize) -> Result<Vec<u32>, HeapError> {
        let base = {
            let mut arena = lock(&self.arena);
            if arena.0 >= arena.1 {
                let at = cx.alloc_heap_region(ARENA, SPAN as u64).map_err(HeapError::OutOfMemory)? as u64;
                *arena = (at, at + ARENA);
            }
            let base = arena.0 as u32;
            arena.0 += SPAN as u64;
            base
        };
        let slot = classes()[class];
        let index = self.new_span_index()?;
        let span = self.span(index);
        span.base.store(base, Ordering::Relaxed);
        span.slot.store(slot, Ordering::Relaxed);
        span.class.store(class as u32, Ordering::Relaxed);
        for w in &span.bits {
            w.store(0, Ordering::Relaxed);
        }
        self.dir[(base >> 16) as usize].store(index + 1, Ordering::Release);
        let n = SPAN / slot;
        Ok((0..n).rev().map(|i| base + i * slot).collect())
    }

    fn malloc_large<C: HeapCtx>(&self, cx: &mut C, size: u32, align: u32) -> Result<u32, HeapError> {
        let len = (size as u64).max(1).div_ceil(SPAN as u64) * SPAN as u64;
        let base = cx.alloc_heap_region(len, (align as u64).max(SPAN as u64)).map_err(HeapError::OutOfMemory)?;
        let index = match lock(&self.large_free).pop() {
            Some(i) => i,
            None => self.new_span_index()?,
        };
        let span = self.span(index);
        span.base.store(base, Ordering::Relaxed);
        span.slot.store(0, Ordering::Relaxed);
        span.large_size.store(size, Ordering::Relaxed);
        span.large_align.store(align, Ordering::Relaxed);
        span.large_len.store(len as u32, Ordering::Relaxed);
        span.large_live.store(true, Ordering::Release);
        for page in 0..(len >> 16) as u32 {
            self.dir[((base >> 16) + page) as usize].store(index + 1, Ordering::Release);
        }
        Ok(base)
    }

    /// Check `addr` is a live allocation; returns its span and slot index (`None` for a large object).
    fn find(&self, addr: u32) -> Result<(&Span, Option<u32>), HeapError> {
        let span = self.lookup(addr).ok_or(HeapError::NotAllocated)?;
        let base = span.base.load(Ordering::Relaxed);
        let slot = span.slot.load(Ordering::Relaxed);
        if slot == 0 {
            if addr != base {
                return Err(HeapError::NotAllocated);
            }
            if !span.large_live.load(Ordering::Acquire) {
                return Err(HeapError::DoubleFree);
            }
            return Ok((span, None));
        }
        let off = addr.wrapping_sub(base);
        if off % slot != 0 || off / slot >= SPAN / slot {
            return Err(HeapError::NotAllocated);
        }
        let i = off / slot;
        if span.bits[i as usize / 64].load(Ordering::Acquire) & (1 << (i % 64)) == 0 {
            return Err(HeapError::DoubleFree);
        }
        Ok((span, Some(i)))
    }

    /// The usable size of the allocation at `addr`.
    pub(crate) fn usable_size(&self, addr: u32) -> Result<u32, HeapError> {
        let (span, slot) = self.find(addr)?;
        Ok(match slot {
            Some(_) => span.slot.load(Ordering::Relaxed),
            None => span.large_len.load(Ordering::Relaxed),
        })
    }

    /// Check that `size` (and `align`) describe the allocation at `addr` (for `free_sized`).
    pub(crate) fn check_size(&self, addr: u32, size: u32, align: u32) -> Result<(), HeapError> {
        let (span, slot) = self.find(addr)?;
        let ok = match slot {
            Some(_) => class_of(size, align) == Some(span.class.load(Ordering::Relaxed) as usize),
            None => {
                size == span.large_size.load(Ordering::Relaxed)
                    && align <= span.large_align.load(Ordering::Relaxed).max(16)
            }
        };
        if ok { Ok(()) } else { Err(HeapError::SizeMismatch { usable: self.usable_size(addr)? }) }
    }

    /// Free the allocation at `addr`.
    pub(crate) fn free<C: HeapCtx>(&self, cx: &mut C, addr: u32) -> Result<(), HeapError> {
        let span = self.lookup(addr).ok_or(HeapError::NotAllocated)?;
        let base = span.base.load(Ordering::Relaxed);
        let slot = span.slot.load(Ordering::Relaxed);
        if slot == 0 {
            if addr != base {
                return Err(HeapError::NotAllocated);
            }
            if !span.large_live.swap(false, Ordering::AcqRel) {
                return Err(HeapError::DoubleFree);
            }
            let len = span.large_len.load(Ordering::Relaxed);
            for page in 0..len >> 16 {
                self.dir[((base >> 16) + page) as usize].store(0, Ordering::Release);
            }
            cx.free_heap_region(base);
            lock(&self.large_free).push(span.index);
            return Ok(());
        }
        let off = addr.wrapping_sub(base);
        if off % slot != 0 || off / slot >= SPAN / slot {
            return Err(HeapError::NotAllocated);
        }
        let i = off / slot;
        let bit = 1u64 << (i % 64);
        if span.bits[i as usize / 64].fetch_and(!bit, Ordering::AcqRel) & bit == 0 {
            return Err(HeapError::DoubleFree);
        }
        let class = span.class.load(Ordering::Relaxed) as usize;
        let cache = &mut cx.cache();
        cache.resize_with(class_count(), Vec::new);
        cache[class].push(addr);
        if cache[class].len() > 2 * BATCH {
            // Spill the least recently freed; the hot end (last freed, first reused) stays.
            lock(&self.central[class]).extend(cache[class].drain(..BATCH));
        }
        Ok(())
    }

    /// Return a finished thread's cached slots to the central lists.
    pub(crate) fn flush(&self, cache: &mut ThreadCache) {
        for (class, slots) in cache.iter_mut().enumerate() {
            if !slots.is_empty() {
                lock(&self.central[class]).append(slots);
            }
        }
    }
}

/// `calloc`'s size, or `None` on overflow.
pub(crate) fn calloc_size(n: u32, size: u32) -> Option<u32> {
    n.checked_mul(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_cover_small_sizes() {
        let c = classes();
        assert_eq!(&c[..3], &[16, 32, 48]);
        assert_eq!(*c.last().unwrap(), MAX_SMALL);
        assert!(c.windows(2).all(|w| w[0] < w[1] && w[1] % 16 == 0));
        assert_eq!(classes()[class_of(0, 1).unwrap()], 16);
        assert_eq!(classes()[class_of(17, 8).unwrap()], 32);
        assert_eq!(classes()[class_of(300, 16).unwrap()], 320);
        assert_eq!(classes()[class_of(10, 64).unwrap()], 64);
        assert_eq!(classes()[class_of(100, 4096).unwrap()], 4096);
        assert_eq!(class_of(MAX_SMALL + 1, 1), None);
        assert_eq!(class_of(16, 65536), None);
    }
}
