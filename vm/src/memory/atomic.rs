//! Sequentially consistent atomic read-modify-write primitives on wasm memory.
//!
//! Like the plain racy accesses in [`racy`](super::racy), wasm atomics may overlap accesses of other sizes to
//! the same bytes (an `i32.atomic.rmw.add` racing an `i32.atomic.load8_u`), which Rust's atomics leave
//! undefined. On x86-64 every primitive is therefore a single locked instruction in inline assembly
//! (`lock xadd`, `xchg`, `lock cmpxchg`; SeqCst loads are plain `mov`s because stores use `xchg`), which is
//! exactly the hardware's defined behaviour. Elsewhere the primitives use Rust's `Atomic*` types with SeqCst
//! ordering (same-size accesses are then sound; mixed-size atomics rely on the hardware, as in every other
//! runtime).
//!
//! All functions require `p` to be aligned to `N` and to point into a live mapping; callers check both.
#![allow(unsafe_op_in_unsafe_fn)] // each function is one documented unsafe primitive

/// Read-modify-write operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum RmwOp {
    Add = 0,
    Sub = 1,
    And = 2,
    Or = 3,
    Xor = 4,
    Xchg = 5,
}

impl RmwOp {
    pub(crate) const fn from_u8(v: u8) -> RmwOp {
        match v {
            0 => RmwOp::Add,
            1 => RmwOp::Sub,
            2 => RmwOp::And,
            3 => RmwOp::Or,
            4 => RmwOp::Xor,
            _ => RmwOp::Xchg,
        }
    }
    #[inline(always)]
    fn apply(self, old: u64, v: u64) -> u64 {
        match self {
            RmwOp::Add => old.wrapping_add(v),
            RmwOp::Sub => old.wrapping_sub(v),
            RmwOp::And => old & v,
            RmwOp::Or => old | v,
            RmwOp::Xor => old ^ v,
            RmwOp::Xchg => v,
        }
    }
}

#[inline(always)]
const fn mask(n: usize) -> u64 {
    if n >= 8 { u64::MAX } else { (1u64 << (8 * n)) - 1 }
}

/// SeqCst load of `N` bytes.
#[inline(always)]
pub(crate) unsafe fn load<const N: usize>(p: *const u8) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        // x86-64 loads are SeqCst given that SeqCst stores are locked (`xchg`).
        super::racy::load::<N>(p)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        use std::sync::atomic::*;
        match N {
            1 => AtomicU8::from_ptr(p as *mut u8).load(Ordering::SeqCst) as u64,
            2 => AtomicU16::from_ptr(p as *mut u16).load(Ordering::SeqCst) as u64,
            4 => AtomicU32::from_ptr(p as *mut u32).load(Ordering::SeqCst) as u64,
            _ => AtomicU64::from_ptr(p as *mut u64).load(Ordering::SeqCst),
        }
    }
}

/// SeqCst store of the low `N` bytes of `v`.
#[inline(always)]
pub(crate) unsafe fn store<const N: usize>(p: *mut u8, v: u64) {
    swap::<N>(p, v);
}

/// Atomically replace with `v`, returning the old value.
#[inline(always)]
pub(crate) unsafe fn swap<const N: usize>(p: *mut u8, v: u64) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        let mut r = v;
        match N {
            1 => {
                std::arch::asm!("xchg byte ptr [{p}], {r:l}", p = in(reg) p, r = inout(reg) r, options(nostack, preserves_flags))
            }
            2 => {
                std::arch::asm!("xchg word ptr [{p}], {r:x}", p = in(reg) p, r = inout(reg) r, options(nostack, preserves_flags))
            }
            4 => {
                std::arch::asm!("xchg dword ptr [{p}], {r:e}", p = in(reg) p, r = inout(reg) r, options(nostack, preserves_flags))
            }
            _ => {
                std::arch::asm!("xchg qword ptr [{p}], {r}", p = in(reg) p, r = inout(reg) r, options(nostack, preserves_flags))
            }
        }
        r & mask(N)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        use std::sync::atomic::*;
        match N {
            1 => AtomicU8::from_ptr(p).swap(v as u8, Ordering::SeqCst) as u64,
            2 => AtomicU16::from_ptr(p as *mut u16).swap(v as u16, Ordering::SeqCst) as u64,
            4 => AtomicU32::from_ptr(p as *mut u32).swap(v as u32, Ordering::SeqCst) as u64,
            _ => AtomicU64::from_ptr(p as *mut u64).swap(v, Ordering::SeqCst),
        }
    }
}

/// Atomically add `v`, returning the old value.
#[inline(always)]
unsafe fn fetch_add<const N: usize>(p: *mut u8, v: u64) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        let mut r = v;
        match N {
            1 => std::arch::asm!("lock xadd byte ptr [{p}], {r:l}", p = in(reg) p, r = inout(reg) r, options(nostack)),
            2 => std::arch::asm!("lock xadd word ptr [{p}], {r:x}", p = in(reg) p, r = inout(reg) r, options(nostack)),
            4 => std::arch::asm!("lock xadd dword ptr [{p}], {r:e}", p = in(reg) p, r = inout(reg) r, options(nostack)),
            _ => std::arch::asm!("lock xadd qword ptr [{p}], {r}", p = in(reg) p, r = inout(reg) r, options(nostack)),
        }
        r & mask(N)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        use std::sync::atomic::*;
        match N {
            1 => AtomicU8::from_ptr(p).fetch_add(v as u8, Ordering::SeqCst) as u64,
            2 => AtomicU16::from_ptr(p as *mut u16).fetch_add(v as u16, Ordering::SeqCst) as u64,
            4 => AtomicU32::from_ptr(p as *mut u32).fetch_add(v as u32, Ordering::SeqCst) as u64,
            _ => AtomicU64::from_ptr(p as *mut u64).fetch_add(v, Ordering::SeqCst),
        }
    }
}

/// Compare-and-exchange: if the value equals `expected` (low `N` bytes), store `new`. Returns the old value.
#[inline(always)]
pub(crate) unsafe fn cmpxchg<const N: usize>(p: *mut u8, expected: u64, new: u64) -> u64 {
    let expected = expected & mask(N);
    #[cfg(target_arch = "x86_64")]
    {
        let mut old = expected;
        match N {
            1 => std::arch::asm!("lock cmpxchg byte ptr [{p}], {n}", p = in(reg) p, n = in(reg_byte) new as u8,
                inout("rax") old, options(nostack)),
            2 => std::arch::asm!("lock cmpxchg word ptr [{p}], {n:x}", p = in(reg) p, n = in(reg) new,
                inout("rax") old, options(nostack)),
            4 => std::arch::asm!("lock cmpxchg dword ptr [{p}], {n:e}", p = in(reg) p, n = in(reg) new,
                inout("rax") old, options(nostack)),
            _ => std::arch::asm!("lock cmpxchg qword ptr [{p}], {n}", p = in(reg) p, n = in(reg) new,
                inout("rax") old, options(nostack)),
        }
        old & mask(N)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        use std::sync::atomic::*;
        let r = match N {
            1 => AtomicU8::from_ptr(p)
                .compare_exchange(expected as u8, new as u8, Ordering::SeqCst, Ordering::SeqCst)
                .map(|v| v as u64)
                .unwrap_or_else(|v| v as u64),
            2 => AtomicU16::from_ptr(p as *mut u16)
                .compare_exchange(expected as u16, new as u16, Ordering::SeqCst, Ordering::SeqCst)
                .map(|v| v as u64)
                .unwrap_or_else(|v| v as u64),
            4 => AtomicU32::from_ptr(p as *mut u32)
                .compare_exchange(expected as u32, new as u32, Ordering::SeqCst, Ordering::SeqCst)
                .map(|v| v as u64)
                .unwrap_or_else(|v| v as u64),
            _ => AtomicU64::from_ptr(p as *mut u64)
                .compare_exchange(expected, new, Ordering::SeqCst, Ordering::SeqCst)
                .unwrap_or_else(|v| v),
        };
        r
    }
}

/// Atomic read-modify-write; returns the old value (zero-extended).
#[inline(always)]
pub(crate) unsafe fn rmw<const N: usize>(p: *mut u8, op: RmwOp, v: u64) -> u64 {
    match op {
        RmwOp::Add => fetch_add::<N>(p, v),
        RmwOp::Sub => fetch_add::<N>(p, v.wrapping_neg()),
        RmwOp::Xchg => swap::<N>(p, v),
        _ => {
            let mut old = load::<N>(p);
            loop {
                let seen = cmpxchg::<N>(p, old, op.apply(old, v));
                if seen == old {
                    return old;
                }
                old = seen;
            }
        }
    }
}

/// `atomic.fence`.
#[inline(always)]
pub(crate) fn fence() {
    std::sync::atomic::fence(std::sync::atomic::Ordering::SeqCst);
}
