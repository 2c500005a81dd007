//! Atomic instructions of the threads proposal: loads, stores, read-modify-writes, compare-exchange,
//! `memory.atomic.wait32/64`, `memory.atomic.notify` and `atomic.fence`.
//!
//! The effective address must be naturally aligned ("unaligned atomic") and in bounds. They work on shared
//! and non-shared memories alike; `wait` traps on a non-shared memory and `notify` returns 0 there.

use std::time::Duration;

use super::memory::fresh_len;
use super::{Ctx, Exit, Fp, Ip, Mem, after, dispatch, get, operands, set, trap};
use crate::error::TrapCode;
use crate::ir::Slot;
use crate::memory::atomic::{self, RmwOp};
use crate::memory::racy::WaitResult;

/// Atomic load: `dst = load(fp[addr] + offset)`.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct AtomicLoad {
    pub dst: Slot,
    pub addr: Slot,
    pub offset: u32,
}

/// Atomic store.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct AtomicStore {
    pub addr: Slot,
    pub offset: u32,
    pub value: Slot,
}

/// Read-modify-write: `dst = old value`.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct AtomicRmw {
    pub dst: Slot,
    pub addr: Slot,
    pub offset: u32,
    pub value: Slot,
}

#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct AtomicCmpxchg {
    pub dst: Slot,
    pub addr: Slot,
    pub offset: u32,
    pub expected: Slot,
    pub replacement: Slot,
}

#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct AtomicWait {
    pub dst: Slot,
    pub addr: Slot,
    pub offset: u32,
    pub expected: Slot,
    pub timeout: Slot,
}

#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct AtomicNotify {
    pub dst: Slot,
    pub addr: Slot,
    pub offset: u32,
    pub count: Slot,
}

/// Check alignment and bounds of an `n`-byte atomic access; returns the effective address.
#[inline(always)]
unsafe fn address(ctx: &Ctx, fp: Fp, addr: Slot, offset: u32, n: usize, len: usize) -> Result<usize, TrapCode> {
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

#[inline(never)]
pub(crate) unsafe fn atomic_load<const N: usize>(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: AtomicLoad = operands(ip);
    match address(ctx, fp, p.addr, p.offset, N, len) {
        Ok(ea) => set(fp, p.dst, width!(N, load, mem.add(ea))),
        Err(code) => return trap(ctx, code),
    }
    dispatch!(after::<AtomicLoad>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn atomic_store<const N: usize>(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: AtomicStore = operands(ip);
    match address(ctx, fp, p.addr, p.offset, N, len) {
        Ok(ea) => width!(N, store, mem.add(ea), get(fp, p.value)),
        Err(code) => return trap(ctx, code),
    }
    dispatch!(after::<AtomicStore>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn atomic_rmw<const N: usize, const OP: u8>(
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Ctx,
) -> Exit {
    let p: AtomicRmw = operands(ip);
    match address(ctx, fp, p.addr, p.offset, N, len) {
        Ok(ea) => set(fp, p.dst, width!(N, rmw, mem.add(ea), RmwOp::from_u8(OP), get(fp, p.value))),
        Err(code) => return trap(ctx, code),
    }
    dispatch!(after::<AtomicRmw>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn atomic_cmpxchg<const N: usize>(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: AtomicCmpxchg = operands(ip);
    match address(ctx, fp, p.addr, p.offset, N, len) {
        Ok(ea) => {
            let old = width!(N, cmpxchg, mem.add(ea), get(fp, p.expected), get(fp, p.replacement));
            set(fp, p.dst, old)
        }
        Err(code) => return trap(ctx, code),
    }
    dispatch!(after::<AtomicCmpxchg>(ip), fp, mem, len, ctx)
}

/// The handlers of the read-modify-write family, by width (1, 2, 4, 8 bytes) and operation.
pub(crate) fn rmw_handler(width: usize, op: RmwOp) -> super::Handler {
    macro_rules! by_op {
        ($n:literal) => {
            match op {
                RmwOp::Add => atomic_rmw::<$n, 0>,
                RmwOp::Sub => atomic_rmw::<$n, 1>,
                RmwOp::And => atomic_rmw::<$n, 2>,
                RmwOp::Or => atomic_rmw::<$n, 3>,
                RmwOp::Xor => atomic_rmw::<$n, 4>,
                RmwOp::Xchg => atomic_rmw::<$n, 5>,
            }
        };
    }
    match width {
        1 => by_op!(1),
        2 => by_op!(2),
        4 => by_op!(4),
        _ => by_op!(8),
    }
}

/// `[load, store, cmpxchg]` handlers by width.
pub(crate) fn width_handlers(width: usize) -> [super::Handler; 3] {
    match width {
        1 => [atomic_load::<1>, atomic_store::<1>, atomic_cmpxchg::<1>],
        2 => [atomic_load::<2>, atomic_store::<2>, atomic_cmpxchg::<2>],
        4 => [atomic_load::<4>, atomic_store::<4>, atomic_cmpxchg::<4>],
        _ => [atomic_load::<8>, atomic_store::<8>, atomic_cmpxchg::<8>],
    }
}

#[inline(never)]
unsafe fn wait(ctx: &Ctx, mem: Mem, ea: usize, expected: u64, timeout: i64, n: usize) -> Result<u32, TrapCode> {
    let m = &*(*ctx.instance).mem0;
    if !m.is_shared() {
        return Err(TrapCode::ExpectedSharedMemory);
    }
    let p = mem.add(ea);
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

#[inline(never)]
pub(crate) unsafe fn atomic_wait<const N: usize>(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: AtomicWait = operands(ip);
    let r = address(ctx, fp, p.addr, p.offset, N, len)
        .and_then(|ea| wait(ctx, mem, ea, get(fp, p.expected), get(fp, p.timeout) as i64, N));
    match r {
        Ok(v) => set(fp, p.dst, v as u64),
        Err(code) => return trap(ctx, code),
    }
    dispatch!(after::<AtomicWait>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn atomic_notify(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: AtomicNotify = operands(ip);
    match address(ctx, fp, p.addr, p.offset, 4, len) {
        Ok(ea) => {
            let m = &*(*ctx.instance).mem0;
            let woken = if m.is_shared() { m.waiters.notify(ea as u64, get(fp, p.count) as u32) } else { 0 };
            set(fp, p.dst, woken as u64);
        }
        Err(code) => return trap(ctx, code),
    }
    dispatch!(after::<AtomicNotify>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn atomic_fence(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    atomic::fence();
    dispatch!(after::<()>(ip), fp, mem, len, ctx)
}
