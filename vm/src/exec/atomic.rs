//! Atomic instructions of the threads proposal: loads, stores, read-modify-writes, compare-exchange,
//! `memory.atomic.wait32/64`, `memory.atomic.notify` and `atomic.fence`.
//!
//! The effective address must be naturally aligned ("unaligned atomic") and in bounds. They work on shared
//! and non-shared memories alike; `wait` traps on a non-shared memory and `notify` returns 0 there.
//! The `_m` variants at the end serve every memory but a 32-bit memory 0 (multi-memory, memory64): they
//! look the memory up by index, as `exec/memory_any.rs` explains.

use std::time::Duration;

use super::memory::fresh_len;
use super::memory_any::{effective, memory};
use super::{Activation, Exit, Fp, Ip, Mem, dispatch, get, next, set, trap};
use crate::error::TrapCode;
use crate::ir::Slot;
use crate::ir::isa::*;
use crate::memory::LinearMemory;
use crate::memory::atomic::{self, RmwOp};
use crate::memory::racy::WaitResult;

/// Check alignment and bounds of an `n`-byte atomic access; returns the effective address.
#[inline(always)]
unsafe fn address(ctx: &Activation, fp: Fp, addr: Slot, offset: u32, n: usize, len: usize) -> Result<usize, TrapCode> {
    let ea = get(fp, addr) as u32 as usize + offset as usize;
    if ea + n > len && ea + n > fresh_len(ctx) {
        return Err(TrapCode::MemoryOutOfBounds);
    }
    if !ea.is_multiple_of(n) {
        return Err(TrapCode::UnalignedAtomic);
    }
    Ok(ea)
}

macro_rules! width {
    ($n:expr, $f:ident, $($args:expr),*) => {
        match $n {
            1 => atomic::$f::<1>($($args),*),
            2 => atomic::$f::<2>($($args),*),
            4 => atomic::$f::<4>($($args),*),
            _ => atomic::$f::<8>($($args),*),
        }
    };
}

#[inline(always)]
pub(crate) unsafe fn atomic_load<const N: usize>(
    p: AtomicLoad,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    match address(ctx, fp, p.addr, p.offset, N, len) {
        Ok(ea) => set(fp, p.dst, width!(N, load, mem.add(ea))),
        Err(code) => return trap(ctx, ip, code),
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn atomic_store<const N: usize>(
    p: AtomicStore,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    match address(ctx, fp, p.addr, p.offset, N, len) {
        Ok(ea) => width!(N, store, mem.add(ea), get(fp, p.value)),
        Err(code) => return trap(ctx, ip, code),
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn atomic_rmw<const N: usize, const OP: u8>(
    p: AtomicRmw,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    match address(ctx, fp, p.addr, p.offset, N, len) {
        Ok(ea) => set(fp, p.dst, width!(N, rmw, mem.add(ea), RmwOp::from_u8(OP), get(fp, p.value))),
        Err(code) => return trap(ctx, ip, code),
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn atomic_cmpxchg<const N: usize>(
    p: AtomicCmpxchg,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    match address(ctx, fp, p.addr, p.offset, N, len) {
        Ok(ea) => {
            let old = width!(N, cmpxchg, mem.add(ea), get(fp, p.expected), get(fp, p.replacement));
            set(fp, p.dst, old)
        }
        Err(code) => return trap(ctx, ip, code),
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(never)]
unsafe fn wait(ctx: &Activation, _mem: Mem, ea: usize, expected: u64, timeout: i64, n: usize) -> Result<u32, TrapCode> {
    wait_on(ctx, &*(*ctx.instance).mem0, ea, expected, timeout, n)
}

/// `memory.atomic.wait32/64` at `ea` of memory `m` (checked): 0 woken, 1 not equal, 2 timed out.
#[inline(never)]
unsafe fn wait_on(
    ctx: &Activation,
    m: &LinearMemory,
    ea: usize,
    expected: u64,
    timeout: i64,
    n: usize,
) -> Result<u32, TrapCode> {
    if !m.is_shared() {
        return Err(TrapCode::ExpectedSharedMemory);
    }
    let p = m.base().add(ea);
    let timeout = (timeout >= 0).then(|| Duration::from_nanos(timeout as u64));
    let still =
        || if n == 4 { atomic::load::<4>(p) == expected & 0xffff_ffff } else { atomic::load::<8>(p) == expected };
    Ok(match m.waiters.wait(ea as u64, still, timeout, &*ctx.interrupt) {
        WaitResult::Ok => 0,
        WaitResult::NotEqual => 1,
        WaitResult::TimedOut => 2,
        WaitResult::Interrupted => return Err(TrapCode::Interrupted),
    })
}

#[inline(always)]
pub(crate) unsafe fn atomic_wait<const N: usize>(
    p: AtomicWait,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let r = address(ctx, fp, p.addr, p.offset, N, len)
        .and_then(|ea| wait(ctx, mem, ea, get(fp, p.expected), get(fp, p.timeout) as i64, N));
    match r {
        Ok(v) => set(fp, p.dst, v as u64),
        Err(code) => return trap(ctx, ip, code),
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn atomic_notify(
    p: AtomicNotify,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    match address(ctx, fp, p.addr, p.offset, 4, len) {
        Ok(ea) => {
            let m = &*(*ctx.instance).mem0;
            let woken = if m.is_shared() { m.waiters.notify(ea as u64, get(fp, p.count) as u32) } else { 0 };
            set(fp, p.dst, woken as u64);
        }
        Err(code) => return trap(ctx, ip, code),
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn atomic_fence(_p: Nothing, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    atomic::fence();
    dispatch!(next(&_p, ip), fp, mem, len, ctx)
}

// ----- atomics on a memory found by index (any memory but a 32-bit memory 0; see `exec/memory_any.rs`) -----

/// Memory `p.mem`, and the checked, aligned effective address of an `n`-byte atomic access in it.
#[inline(always)]
unsafe fn address_m<'a, const M64: bool>(
    ctx: &Activation,
    fp: Fp,
    p: &AtomicM,
    n: usize,
) -> Result<(&'a LinearMemory, usize), TrapCode> {
    let m = memory(ctx, p.mem);
    let ea = effective::<M64>(get(fp, p.addr), p.offset, n, m.byte_len()).ok_or(TrapCode::MemoryOutOfBounds)?;
    if !ea.is_multiple_of(n) {
        return Err(TrapCode::UnalignedAtomic);
    }
    Ok((m, ea))
}

/// Defines an atomic handler on [`AtomicM`] operands: `$body` computes the value for `dst` (or `None`)
/// from the memory, the effective address and the operands.
macro_rules! atomic_m {
    ($name:ident [$($g:tt)*] |$ctx:ident, $m:ident, $ea:ident, $p:ident, $fp:ident| $body:expr) => {
        #[inline(always)]
        pub(crate) unsafe fn $name<$($g)*>(
            $p: AtomicM,
            ip: Ip,
            $fp: Fp,
            mem: Mem,
            len: usize,
            $ctx: &mut Activation,
        ) -> Exit {
            let r: Result<Option<u64>, TrapCode> = match address_m::<M64>($ctx, $fp, &$p, N) {
                Ok(($m, $ea)) => {
                    let _ = &$m;
                    $body
                }
                Err(code) => Err(code),
            };
            match r {
                Ok(Some(v)) => set($fp, $p.dst, v),
                Ok(None) => {}
                Err(code) => return trap($ctx, ip, code),
            }
            dispatch!(next(&$p, ip), $fp, mem, len, $ctx)
        }
    };
}

atomic_m!(load_m [const N: usize, const M64: bool] |ctx, m, ea, p, fp| Ok(Some(width!(N, load, m.base().add(ea)))));
atomic_m!(store_m [const N: usize, const M64: bool] |ctx, m, ea, p, fp| {
    width!(N, store, m.base().add(ea), get(fp, p.a));
    Ok(None)
});
atomic_m!(rmw_m [const N: usize, const OP: u8, const M64: bool] |ctx, m, ea, p, fp| {
    Ok(Some(width!(N, rmw, m.base().add(ea), RmwOp::from_u8(OP), get(fp, p.a))))
});
atomic_m!(cmpxchg_m [const N: usize, const M64: bool] |ctx, m, ea, p, fp| {
    Ok(Some(width!(N, cmpxchg, m.base().add(ea), get(fp, p.a), get(fp, p.b))))
});
atomic_m!(wait_m [const N: usize, const M64: bool] |ctx, m, ea, p, fp| {
    wait_on(ctx, m, ea, get(fp, p.a), get(fp, p.b) as i64, N).map(|v| Some(v as u64))
});

/// `memory.atomic.notify` on a memory found by index.
#[inline(always)]
pub(crate) unsafe fn notify_m<const M64: bool>(
    p: AtomicM,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    match address_m::<M64>(ctx, fp, &p, 4) {
        Ok((m, ea)) => {
            let woken = if m.is_shared() { m.waiters.notify(ea as u64, get(fp, p.a) as u32) } else { 0 };
            set(fp, p.dst, woken as u64);
        }
        Err(code) => return trap(ctx, ip, code),
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}
