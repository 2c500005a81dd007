//! Memory instructions that find their memory by index: accesses to memories other than 0 (multi-memory),
//! every access to a memory64 memory, and `memory.size/grow/fill/copy/init` of any memory but a plain
//! memory 0.
//!
//! Why separate handlers: memory 0 of a 32-bit memory keeps its base and length in the handlers' `mem`/`len`
//! registers, and its handlers (`exec/memory.rs`) must pay nothing for other memories or for 64-bit
//! addresses. So the variants here are their own families, selected by the translator, with compile-time
//! flags:
//! - `M64`: the address is an i64 and `address + offset + size` may exceed 2^64 (computed in 128 bits, so
//!   an overflow traps instead of wrapping); otherwise the address is an i32 and the offset below 2^32.
//! - `REG`: the memory is memory 0, whose base and length are in the registers (a memory64 memory 0); else
//!   the memory is looked up in the instance (`InstanceEntity::memories`) and its length read fresh.
//! - `SHARED`: race-safe accesses, as in `exec/memory.rs`.
//!
//! The bulk instructions and `memory.size/grow` here check the memory's index type at run time: they are
//! not on any hot path, and one handler serves a copy between a 32-bit and a 64-bit memory.

use super::memory::{out_of_bounds, read, write};
use super::{Activation, Exit, Fp, Ip, Mem, dispatch, get, mem0, next, set, trap};
use crate::error::TrapCode;
use crate::ir::isa::*;
use crate::ir::ops::{LoadOp, StoreOp};
use crate::memory::{LinearMemory, racy};

/// Memory `index` of the running instance.
#[inline(always)]
pub(crate) unsafe fn memory<'a>(ctx: &Activation, index: u32) -> &'a LinearMemory {
    &**(*ctx.instance).memories.as_ptr().add(index as usize)
}

/// Base and length of the memory an access names: the registers' memory 0 (`REG`), or memory `index`.
#[inline(always)]
pub(crate) unsafe fn target<const REG: bool>(ctx: &Activation, mem: Mem, len: usize, index: u32) -> (Mem, usize) {
    if REG {
        (mem, len)
    } else {
        let m = memory(ctx, index);
        (m.base(), m.byte_len())
    }
}

/// The effective address of a `size`-byte access at `addr + offset` in a memory of `len` bytes, or `None`
/// if any byte is out of bounds. With `M64` the sum is taken in 128 bits (no wrap-around past 2^64);
/// otherwise `addr` is an i32 and `offset` is below 2^32, so the sum fits in 64 bits.
#[inline(always)]
pub(crate) fn effective<const M64: bool>(addr: u64, offset: u64, size: usize, len: usize) -> Option<usize> {
    if M64 {
        let end = addr as u128 + offset as u128 + size as u128;
        if end > len as u128 { None } else { Some(addr.wrapping_add(offset) as usize) }
    } else {
        let ea = addr as u32 as usize + offset as usize;
        if ea + size > len { None } else { Some(ea) }
    }
}

/// An access failed its bounds check: memory 0 may be shared and grown since `len` was loaded (retry with
/// the fresh length, as `exec/memory.rs` does); a memory looked up by index was read fresh, so trap.
#[cold]
#[inline(never)]
pub(crate) unsafe fn fail<const SHARED: bool, const REG: bool>(
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    if REG { out_of_bounds::<SHARED>(ip, fp, mem, len, ctx, 0) } else { trap(ctx, ip, TrapCode::MemoryOutOfBounds) }
}

/// The host address of a `size`-byte access of an `_m` instruction `p` (memory `p.mem`, address in slot
/// `p.addr`, plus `p.offset`), after its bounds check; on failure, returns from the handler with the trap.
/// Uses the handler's `SHARED`, `M64` and `REG` flags.
macro_rules! address_m {
    ($p:ident, $ip:ident, $fp:ident, $mem:ident, $len:ident, $ctx:ident, $size:expr) => {{
        let (base, size) = $crate::exec::memory_any::target::<REG>($ctx, $mem, $len, $p.mem);
        match $crate::exec::memory_any::effective::<M64>($crate::exec::get($fp, $p.addr), $p.offset, $size, size) {
            Some(ea) => base.add(ea),
            None => return $crate::exec::memory_any::fail::<SHARED, REG>($ip, $fp, $mem, $len, $ctx),
        }
    }};
}
pub(crate) use address_m;

/// A scalar load from a memory found by index or a memory64 memory 0.
#[inline(always)]
pub(crate) unsafe fn load<Op: LoadOp, const SHARED: bool, const M64: bool, const REG: bool>(
    p: LoadM,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let at = address_m!(p, ip, fp, mem, len, ctx, Op::SIZE);
    set(fp, p.dst, Op::extend(read::<SHARED>(at, Op::SIZE)));
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

/// A scalar store to a memory found by index or a memory64 memory 0.
#[inline(always)]
pub(crate) unsafe fn store<Op: StoreOp, const SHARED: bool, const M64: bool, const REG: bool>(
    p: StoreM,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let at = address_m!(p, ip, fp, mem, len, ctx, Op::SIZE);
    write::<SHARED>(at, Op::SIZE, get(fp, p.value));
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

/// An address, length or page count operand of a memory's index type (an i32 is zero-extended).
#[inline(always)]
unsafe fn operand(m: &LinearMemory, fp: Fp, slot: u32) -> u64 {
    let v = get(fp, slot);
    if m.is_64() { v } else { v as u32 as u64 }
}

/// Checked range `[at, at + n)` of `m` (no wrap-around past 2^64).
#[inline(always)]
fn range(m: &LinearMemory, at: u64, n: u64) -> Result<usize, TrapCode> {
    match at.checked_add(n) {
        Some(end) if end <= m.byte_len() as u64 => Ok(at as usize),
        _ => Err(TrapCode::MemoryOutOfBounds),
    }
}

#[inline(always)]
pub(crate) unsafe fn memory_size(p: MemSizeM, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    set(fp, p.dst, memory(ctx, p.mem).pages());
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn memory_grow(p: MemGrowM, ip: Ip, fp: Fp, _mem: Mem, _len: usize, ctx: &mut Activation) -> Exit {
    let m = memory(ctx, p.mem);
    let failed = if m.is_64() { u64::MAX } else { u32::MAX as u64 };
    let r = m.grow(operand(m, fp, p.delta)).unwrap_or(failed);
    set(fp, p.dst, r);
    // Memory 0 may be the one that grew: reload the registers.
    let (mem, len) = mem0(ctx.instance);
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(never)]
unsafe fn fill(ctx: &Activation, p: &MemFillM, fp: Fp) -> Result<(), TrapCode> {
    let m = memory(ctx, p.mem);
    let n = operand(m, fp, p.len);
    let at = range(m, operand(m, fp, p.dst), n)?;
    racy::fill(m.base().add(at), get(fp, p.value) as u8, n as usize, m.is_shared());
    Ok(())
}

#[inline(never)]
unsafe fn copy(ctx: &Activation, p: &MemCopyM, fp: Fp) -> Result<(), TrapCode> {
    let (dm, sm) = (memory(ctx, p.dst_mem), memory(ctx, p.src_mem));
    // The length is an i64 only if both memories are 64-bit.
    let n = if dm.is_64() && sm.is_64() { get(fp, p.len) } else { get(fp, p.len) as u32 as u64 };
    let d = range(dm, operand(dm, fp, p.dst), n)?;
    let s = range(sm, operand(sm, fp, p.src), n)?;
    racy::copy_within(dm.base().add(d), sm.base().add(s), n as usize, dm.is_shared() || sm.is_shared());
    Ok(())
}

#[inline(never)]
unsafe fn init(ctx: &Activation, p: &MemInitM, fp: Fp) -> Result<(), TrapCode> {
    let inst = &*ctx.instance;
    let m = memory(ctx, p.mem);
    let bytes: &[u8] = inst.datas[p.segment as usize].as_deref().unwrap_or(&[]);
    // The segment offset and length are i32s whatever the memory.
    let (src, n) = (get(fp, p.src) as u32 as u64, get(fp, p.len) as u32 as u64);
    if src + n > bytes.len() as u64 {
        return Err(TrapCode::MemoryOutOfBounds);
    }
    let d = range(m, operand(m, fp, p.dst), n)?;
    racy::copy_in(m.base().add(d), bytes.as_ptr().add(src as usize), n as usize, m.is_shared());
    Ok(())
}

#[inline(always)]
pub(crate) unsafe fn memory_fill(p: MemFillM, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    if let Err(code) = fill(ctx, &p, fp) {
        return trap(ctx, ip, code);
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn memory_copy(p: MemCopyM, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    if let Err(code) = copy(ctx, &p, fp) {
        return trap(ctx, ip, code);
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn memory_init(p: MemInitM, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    if let Err(code) = init(ctx, &p, fp) {
        return trap(ctx, ip, code);
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}
