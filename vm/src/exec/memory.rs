//! Memory instructions: loads and stores (plain, and racy-safe for shared memories), `memory.size`,
//! `memory.grow`, and the bulk operations.
//!
//! Accesses check `address + offset + width <= len` against the length held in a register. A shared memory
//! may have been grown by another thread since `len` was loaded, so before trapping, the shared variants
//! re-read the current length.

use super::{Ctx, Exit, Fp, Ip, Mem, after, dispatch, get, mem0, operands, set, trap};
use crate::error::TrapCode;
use crate::ir::Slot;
use crate::ir::ops::{LoadOp, LoadVisitor, StoreOp, StoreVisitor};
use crate::memory::{PAGE_SIZE, racy};

/// `dst = load(fp[addr] + offset)`.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct Load {
    pub dst: Slot,
    pub addr: Slot,
    pub offset: u32,
}

/// A load from a constant effective address.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct LoadAbs {
    pub dst: Slot,
    pub ea: u64,
}

/// `store(fp[addr] + offset, fp[value])`.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct Store {
    pub addr: Slot,
    pub offset: u32,
    pub value: Slot,
}

/// `store(fp[addr] + offset, imm)`.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct StoreImm {
    pub addr: Slot,
    pub offset: u32,
    pub value: u64,
}

/// `store(ea, fp[value])` at a constant effective address.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct StoreAbs {
    pub ea: u64,
    pub value: Slot,
}

#[inline(always)]
unsafe fn read<const SHARED: bool>(p: *const u8, size: usize) -> u64 {
    if SHARED {
        match size {
            1 => racy::load::<1>(p),
            2 => racy::load::<2>(p),
            4 => racy::load::<4>(p),
            _ => racy::load::<8>(p),
        }
    } else {
        match size {
            1 => *p as u64,
            2 => p.cast::<u16>().read_unaligned() as u64,
            4 => p.cast::<u32>().read_unaligned() as u64,
            _ => p.cast::<u64>().read_unaligned(),
        }
    }
}

#[inline(always)]
unsafe fn write<const SHARED: bool>(p: *mut u8, size: usize, v: u64) {
    if SHARED {
        match size {
            1 => racy::store::<1>(p, v),
            2 => racy::store::<2>(p, v),
            4 => racy::store::<4>(p, v),
            _ => racy::store::<8>(p, v),
        }
    } else {
        match size {
            1 => *p = v as u8,
            2 => p.cast::<u16>().write_unaligned(v as u16),
            4 => p.cast::<u32>().write_unaligned(v as u32),
            _ => p.cast::<u64>().write_unaligned(v),
        }
    }
}

/// The current length of a shared memory 0 (it may have grown on another thread).
#[cold]
#[inline(never)]
pub(crate) unsafe fn fresh_len(ctx: &Ctx) -> usize {
    mem0(ctx.instance).1
}

/// Bounds check: `Ok(len)` (possibly refreshed) if `[ea, ea + size)` is inside the memory.
macro_rules! check {
    ($ctx:expr, $shared:expr, $ea:expr, $size:expr, $len:ident) => {
        if $ea + $size > $len {
            if $shared && $ea + $size <= fresh_len($ctx) {
                $len = fresh_len($ctx);
            } else {
                return trap($ctx, TrapCode::MemoryOutOfBounds);
            }
        }
    };
}

#[inline(never)]
pub(crate) unsafe fn load<Op: LoadOp, const SHARED: bool>(
    ip: Ip,
    fp: Fp,
    mem: Mem,
    mut len: usize,
    ctx: &mut Ctx,
) -> Exit {
    let p: Load = operands(ip);
    let ea = get(fp, p.addr) as u32 as usize + p.offset as usize;
    check!(ctx, SHARED, ea, Op::SIZE, len);
    set(fp, p.dst, Op::extend(read::<SHARED>(mem.add(ea), Op::SIZE)));
    dispatch!(after::<Load>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn load_abs<Op: LoadOp, const SHARED: bool>(
    ip: Ip,
    fp: Fp,
    mem: Mem,
    mut len: usize,
    ctx: &mut Ctx,
) -> Exit {
    let p: LoadAbs = operands(ip);
    let ea = p.ea as usize;
    check!(ctx, SHARED, ea, Op::SIZE, len);
    set(fp, p.dst, Op::extend(read::<SHARED>(mem.add(ea), Op::SIZE)));
    dispatch!(after::<LoadAbs>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn store<Op: StoreOp, const SHARED: bool>(
    ip: Ip,
    fp: Fp,
    mem: Mem,
    mut len: usize,
    ctx: &mut Ctx,
) -> Exit {
    let p: Store = operands(ip);
    let ea = get(fp, p.addr) as u32 as usize + p.offset as usize;
    check!(ctx, SHARED, ea, Op::SIZE, len);
    write::<SHARED>(mem.add(ea), Op::SIZE, get(fp, p.value));
    dispatch!(after::<Store>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn store_imm<Op: StoreOp, const SHARED: bool>(
    ip: Ip,
    fp: Fp,
    mem: Mem,
    mut len: usize,
    ctx: &mut Ctx,
) -> Exit {
    let p: StoreImm = operands(ip);
    let ea = get(fp, p.addr) as u32 as usize + p.offset as usize;
    check!(ctx, SHARED, ea, Op::SIZE, len);
    write::<SHARED>(mem.add(ea), Op::SIZE, p.value);
    dispatch!(after::<StoreImm>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn store_abs<Op: StoreOp, const SHARED: bool>(
    ip: Ip,
    fp: Fp,
    mem: Mem,
    mut len: usize,
    ctx: &mut Ctx,
) -> Exit {
    let p: StoreAbs = operands(ip);
    let ea = p.ea as usize;
    check!(ctx, SHARED, ea, Op::SIZE, len);
    write::<SHARED>(mem.add(ea), Op::SIZE, get(fp, p.value));
    dispatch!(after::<StoreAbs>(ip), fp, mem, len, ctx)
}

/// The load handlers of one access kind: `[slot-address, constant-address]`, each `[private, shared]`.
pub(crate) struct GetLoad;
impl LoadVisitor for GetLoad {
    type Output = [[super::Handler; 2]; 2];
    fn visit<Op: LoadOp + 'static>(self) -> Self::Output {
        [[load::<Op, false>, load::<Op, true>], [load_abs::<Op, false>, load_abs::<Op, true>]]
    }
}

/// The store handlers of one width: `[value slot, value immediate, constant address]`, each
/// `[private, shared]`.
pub(crate) struct GetStore;
impl StoreVisitor for GetStore {
    type Output = [[super::Handler; 2]; 3];
    fn visit<Op: StoreOp + 'static>(self) -> Self::Output {
        [
            [store::<Op, false>, store::<Op, true>],
            [store_imm::<Op, false>, store_imm::<Op, true>],
            [store_abs::<Op, false>, store_abs::<Op, true>],
        ]
    }
}

#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct MemSize {
    pub dst: Slot,
}

#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct MemGrow {
    pub dst: Slot,
    pub delta: Slot,
}

/// `memory.fill` / `memory.copy`: three slot operands.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct MemBulk {
    pub dst: Slot,
    pub src: Slot,
    pub len: Slot,
}

#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct MemInit {
    pub segment: u32,
    pub dst: Slot,
    pub src: Slot,
    pub len: Slot,
}

#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct DataDrop {
    pub segment: u32,
}

#[inline(never)]
pub(crate) unsafe fn memory_size(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: MemSize = operands(ip);
    set(fp, p.dst, (mem0(ctx.instance).1 / PAGE_SIZE) as u64);
    dispatch!(after::<MemSize>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn memory_grow(ip: Ip, fp: Fp, _mem: Mem, _len: usize, ctx: &mut Ctx) -> Exit {
    let p: MemGrow = operands(ip);
    let m = (*ctx.instance).mem0;
    let delta = get(fp, p.delta) as u32 as u64;
    let r = (*m).grow(delta).map_or(-1i32 as u32, |old| old as u32);
    set(fp, p.dst, r as u64);
    let (mem, len) = mem0(ctx.instance);
    dispatch!(after::<MemGrow>(ip), fp, mem, len, ctx)
}

/// Checked range `[at, at + n)` of a memory of `len` bytes. (Helpers return `Result<_, TrapCode>`, which
/// fits in registers, so that their handler's dispatch stays a tail call.)
#[inline(always)]
fn range(at: u64, n: u64, len: usize) -> Result<usize, TrapCode> {
    if at + n > len as u64 { Err(TrapCode::MemoryOutOfBounds) } else { Ok(at as usize) }
}

#[inline(never)]
unsafe fn fill(ctx: &Ctx, dst: u64, val: u8, n: u64) -> Result<(), TrapCode> {
    let m = &*(*ctx.instance).mem0;
    let at = range(dst, n, m.byte_len())?;
    racy::fill(m.base().add(at), val, n as usize, m.is_shared());
    Ok(())
}

#[inline(never)]
unsafe fn copy(ctx: &Ctx, dst: u64, src: u64, n: u64) -> Result<(), TrapCode> {
    let m = &*(*ctx.instance).mem0;
    let d = range(dst, n, m.byte_len())?;
    let s = range(src, n, m.byte_len())?;
    racy::copy_within(m.base().add(d), m.base().add(s), n as usize, m.is_shared());
    Ok(())
}

#[inline(never)]
unsafe fn init(ctx: &Ctx, segment: u32, dst: u64, src: u64, n: u64) -> Result<(), TrapCode> {
    let inst = &*ctx.instance;
    let m = &*inst.mem0;
    let bytes: &[u8] = inst.datas[segment as usize].as_deref().unwrap_or(&[]);
    if src + n > bytes.len() as u64 {
        return Err(TrapCode::MemoryOutOfBounds);
    }
    let d = range(dst, n, m.byte_len())?;
    racy::copy_in(m.base().add(d), bytes.as_ptr().add(src as usize), n as usize, m.is_shared());
    Ok(())
}

#[inline(never)]
pub(crate) unsafe fn memory_fill(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: MemBulk = operands(ip);
    let r = fill(ctx, get(fp, p.dst) as u32 as u64, get(fp, p.src) as u8, get(fp, p.len) as u32 as u64);
    if let Err(code) = r {
        return trap(ctx, code);
    }
    dispatch!(after::<MemBulk>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn memory_copy(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: MemBulk = operands(ip);
    let r = copy(ctx, get(fp, p.dst) as u32 as u64, get(fp, p.src) as u32 as u64, get(fp, p.len) as u32 as u64);
    if let Err(code) = r {
        return trap(ctx, code);
    }
    dispatch!(after::<MemBulk>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn memory_init(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: MemInit = operands(ip);
    let r =
        init(ctx, p.segment, get(fp, p.dst) as u32 as u64, get(fp, p.src) as u32 as u64, get(fp, p.len) as u32 as u64);
    if let Err(code) = r {
        return trap(ctx, code);
    }
    dispatch!(after::<MemInit>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn data_drop(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: DataDrop = operands(ip);
    (*ctx.instance).datas[p.segment as usize] = None;
    dispatch!(after::<DataDrop>(ip), fp, mem, len, ctx)
}
