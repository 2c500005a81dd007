//! Racy-but-sound access to shared memories, and the wait/notify table.
//!
//! # Why this is sound
//! WebAssembly lets threads race on plain loads and stores of a shared memory (the result is merely
//! unspecified: torn or stale values). Rust's memory model instead says that a data race involving a
//! non-atomic access is undefined behaviour, so the interpreter must never touch shared memory with ordinary
//! Rust loads/stores or through a `&[u8]`. Relaxed `Atomic*` accesses avoid data races only between accesses
//! of the same size and alignment, but wasm code may legally mix an i32 store with an i8 load of the same
//! bytes, which Rust also leaves undefined.
//!
//! So on x86-64 and AArch64 every plain access to shared memory is a single machine load or store written in
//! inline assembly. The compiler treats an `asm!` block as an opaque operation on memory it does not own:
//! it cannot assume anything about the bytes, cannot tear, merge, or re-read them, and the hardware
//! semantics of a `mov`/`ldr` on racing memory are well defined (they are exactly the semantics wasm asks for).
//! This is the approach SpiderMonkey takes (`AtomicOperations.h`, "SafeWhenRacy"). The memory itself is an
//! anonymous mapping outside any Rust allocation. Sequentially consistent wasm atomics use Rust's atomics on
//! the same addresses (aligned, same-size per instruction); those instructions are the same `lock`-prefixed
//! or exclusive instructions the hardware provides.
//!
//! On other targets the fallback performs every plain access byte by byte with relaxed `AtomicU8`
//! operations, which is sound (byte-sized atomics never partially overlap) if slower.
//!
//! Non-shared memories never come here: they have one owner thread and use plain `read_unaligned`.

#![allow(unsafe_op_in_unsafe_fn)] // thin primitives: every function is one documented unsafe operation

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use hashbrown::HashMap;

/// Load `N` bytes (1, 2, 4 or 8) little-endian from a possibly racing, possibly unaligned address.
///
/// # Safety
/// `p .. p + N` must be mapped readable memory.
#[inline(always)]
pub(crate) unsafe fn load<const N: usize>(p: *const u8) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        let v: u64;
        match N {
            1 => std::arch::asm!("movzx {v:e}, byte ptr [{p}]", p = in(reg) p, v = out(reg) v,
                options(nostack, readonly, preserves_flags)),
            2 => std::arch::asm!("movzx {v:e}, word ptr [{p}]", p = in(reg) p, v = out(reg) v,
                options(nostack, readonly, preserves_flags)),
            4 => std::arch::asm!("mov {v:e}, dword ptr [{p}]", p = in(reg) p, v = out(reg) v,
                options(nostack, readonly, preserves_flags)),
            _ => std::arch::asm!("mov {v}, qword ptr [{p}]", p = in(reg) p, v = out(reg) v,
                options(nostack, readonly, preserves_flags)),
        }
        v
    }
    #[cfg(target_arch = "aarch64")]
    {
        let v: u64;
        match N {
            1 => std::arch::asm!("ldrb {v:w}, [{p}]", p = in(reg) p, v = out(reg) v,
                options(nostack, readonly, preserves_flags)),
            2 => std::arch::asm!("ldrh {v:w}, [{p}]", p = in(reg) p, v = out(reg) v,
                options(nostack, readonly, preserves_flags)),
            4 => std::arch::asm!("ldr {v:w}, [{p}]", p = in(reg) p, v = out(reg) v,
                options(nostack, readonly, preserves_flags)),
            _ => std::arch::asm!("ldr {v}, [{p}]", p = in(reg) p, v = out(reg) v,
                options(nostack, readonly, preserves_flags)),
        }
        v
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        let mut v = 0u64;
        for i in 0..N {
            let b = std::sync::atomic::AtomicU8::from_ptr(p.add(i) as *mut u8).load(Ordering::Relaxed);
            v |= (b as u64) << (8 * i);
        }
        v
    }
}

/// Store the low `N` bytes of `v` little-endian to a possibly racing, possibly unaligned address.
///
/// # Safety
/// `p .. p + N` must be mapped writable memory.
#[inline(always)]
pub(crate) unsafe fn store<const N: usize>(p: *mut u8, v: u64) {
    #[cfg(target_arch = "x86_64")]
    {
        match N {
            1 => std::arch::asm!("mov byte ptr [{p}], {v:l}", p = in(reg) p, v = in(reg) v,
                options(nostack, preserves_flags)),
            2 => std::arch::asm!("mov word ptr [{p}], {v:x}", p = in(reg) p, v = in(reg) v,
                options(nostack, preserves_flags)),
            4 => std::arch::asm!("mov dword ptr [{p}], {v:e}", p = in(reg) p, v = in(reg) v,
                options(nostack, preserves_flags)),
            _ => std::arch::asm!("mov qword ptr [{p}], {v}", p = in(reg) p, v = in(reg) v,
                options(nostack, preserves_flags)),
        }
    }
    #[cfg(target_arch = "aarch64")]
    {
        match N {
            1 => std::arch::asm!("strb {v:w}, [{p}]", p = in(reg) p, v = in(reg) v,
                options(nostack, preserves_flags)),
            2 => std::arch::asm!("strh {v:w}, [{p}]", p = in(reg) p, v = in(reg) v,
                options(nostack, preserves_flags)),
            4 => std::arch::asm!("str {v:w}, [{p}]", p = in(reg) p, v = in(reg) v,
                options(nostack, preserves_flags)),
            _ => std::arch::asm!("str {v}, [{p}]", p = in(reg) p, v = in(reg) v,
                options(nostack, preserves_flags)),
        }
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        for i in 0..N {
            std::sync::atomic::AtomicU8::from_ptr(p.add(i)).store((v >> (8 * i)) as u8, Ordering::Relaxed);
        }
    }
}

/// Copy `n` bytes from shared memory into a private buffer.
///
/// # Safety
/// Both ranges must be valid; `dst` must not be shared memory.
pub(crate) unsafe fn copy_out(dst: *mut u8, src: *const u8, n: usize, shared: bool) {
    if !shared {
        std::ptr::copy(src, dst, n);
        return;
    }
    let mut i = 0;
    while i + 8 <= n {
        dst.add(i).cast::<u64>().write_unaligned(load::<8>(src.add(i)).to_le());
        i += 8;
    }
    while i < n {
        *dst.add(i) = load::<1>(src.add(i)) as u8;
        i += 1;
    }
}

/// Copy `n` bytes from a private buffer into shared memory.
///
/// # Safety
/// Both ranges must be valid; `src` must not be shared memory.
pub(crate) unsafe fn copy_in(dst: *mut u8, src: *const u8, n: usize, shared: bool) {
    if !shared {
        std::ptr::copy(src, dst, n);
        return;
    }
    let mut i = 0;
    while i + 8 <= n {
        store::<8>(dst.add(i), src.add(i).cast::<u64>().read_unaligned());
        i += 8;
    }
    while i < n {
        store::<1>(dst.add(i), *src.add(i) as u64);
        i += 1;
    }
}

/// `memory.copy` inside one memory (overlapping ranges allowed), racy-safe when `shared`.
///
/// # Safety
/// Both ranges must lie inside the memory.
pub(crate) unsafe fn copy_within(dst: *mut u8, src: *const u8, n: usize, shared: bool) {
    if !shared {
        std::ptr::copy(src, dst, n);
        return;
    }
    if (dst as usize) <= (src as usize) {
        let mut i = 0;
        while i + 8 <= n {
            store::<8>(dst.add(i), load::<8>(src.add(i)));
            i += 8;
        }
        while i < n {
            store::<1>(dst.add(i), load::<1>(src.add(i)));
            i += 1;
        }
    } else {
        let mut i = n;
        while i >= 8 {
            i -= 8;
            store::<8>(dst.add(i), load::<8>(src.add(i)));
        }
        while i > 0 {
            i -= 1;
            store::<1>(dst.add(i), load::<1>(src.add(i)));
        }
    }
}

/// `memory.fill`, racy-safe when `shared`.
///
/// # Safety
/// The range must lie inside the memory.
pub(crate) unsafe fn fill(dst: *mut u8, value: u8, n: usize, shared: bool) {
    if !shared {
        std::ptr::write_bytes(dst, value, n);
        return;
    }
    let word = u64::from_ne_bytes([value; 8]);
    let mut i = 0;
    while i + 8 <= n {
        store::<8>(dst.add(i), word);
        i += 8;
    }
    while i < n {
        store::<1>(dst.add(i), value as u64);
        i += 1;
    }
}

/// One thread blocked in `memory.atomic.wait`.
struct Waiter {
    woken: AtomicBool,
    lock: Mutex<()>,
    cond: Condvar,
}

/// Threads waiting on addresses of one shared memory, FIFO per address.
///
/// The compare-and-enqueue of `wait` happens under the table lock, and `notify` dequeues under the same lock,
/// so a notify that follows a store can never miss a waiter that saw the old value.
#[derive(Default)]
pub(crate) struct WaitTable {
    queues: Mutex<HashMap<u64, VecDeque<Arc<Waiter>>>>,
}

/// Outcome of `memory.atomic.wait`, as the wasm result value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WaitResult {
    Ok = 0,
    NotEqual = 1,
    TimedOut = 2,
    /// Not a wasm result: the store was interrupted while waiting.
    Interrupted = 3,
}

/// How often a blocked `wait` checks whether its store was interrupted.
pub(crate) const INTERRUPT_POLL: Duration = Duration::from_millis(20);

impl WaitTable {
    /// Block until notified or timed out, if `still_expected()` (evaluated under the lock) is true.
    ///
    /// `interrupted` is polled every [`INTERRUPT_POLL`] while blocked, so that an interrupted store (e.g. another
    /// thread ended the program) does not stay blocked forever.
    pub(crate) fn wait(
        &self,
        addr: u64,
        still_expected: impl FnOnce() -> bool,
        timeout: Option<Duration>,
        interrupted: &AtomicBool,
    ) -> WaitResult {
        let waiter = Arc::new(Waiter { woken: AtomicBool::new(false), lock: Mutex::new(()), cond: Condvar::new() });
        {
            let mut queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
            if !still_expected() {
                return WaitResult::NotEqual;
            }
            queues.entry(addr).or_default().push_back(waiter.clone());
        }
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut guard = waiter.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut result = WaitResult::TimedOut;
        loop {
            if waiter.woken.load(Ordering::SeqCst) {
                return WaitResult::Ok;
            }
            if interrupted.load(Ordering::Relaxed) {
                result = WaitResult::Interrupted;
                break;
            }
            let slice = match deadline {
                None => INTERRUPT_POLL,
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        break;
                    }
                    (d - now).min(INTERRUPT_POLL)
                }
            };
            guard = waiter.cond.wait_timeout(guard, slice).unwrap_or_else(|e| e.into_inner()).0;
        }
        drop(guard);
        // Timed out or interrupted: leave the queue, unless a notify dequeued us in the meantime (then we were
        // woken).
        let mut queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
        if waiter.woken.load(Ordering::SeqCst) {
            return WaitResult::Ok;
        }
        if let Some(q) = queues.get_mut(&addr) {
            q.retain(|w| !Arc::ptr_eq(w, &waiter));
            if q.is_empty() {
                queues.remove(&addr);
            }
        }
        result
    }

    /// How many threads are queued on `addr` (blocked, not yet woken or timed out).
    pub(crate) fn queued(&self, addr: u64) -> usize {
        let queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
        queues.get(&addr).map_or(0, VecDeque::len)
    }

    /// Wake up to `count` waiters on `addr` in FIFO order; returns how many were woken.
    pub(crate) fn notify(&self, addr: u64, count: u32) -> u32 {
        let mut queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
        let Some(q) = queues.get_mut(&addr) else {
            return 0;
        };
        let mut woken = 0;
        while woken < count {
            let Some(w) = q.pop_front() else { break };
            let _g = w.lock.lock().unwrap_or_else(|e| e.into_inner());
            w.woken.store(true, Ordering::SeqCst);
            w.cond.notify_one();
            woken += 1;
        }
        if q.is_empty() {
            queues.remove(&addr);
        }
        woken
    }
}
