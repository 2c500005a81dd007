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

/// `dst = load(fp[a] + fp[b] + offset)`: a load fused with the `i32.add` computing its address.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct LoadSS {
    pub dst: Slot,
    pub a: Slot,
    pub b: Slot,
    pub offset: u32,
}

/// `dst = load(fp[a] + imm + offset)`, the `i32.add` wrapping at 32 bits before the offset is added.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct LoadSI {
    pub dst: Slot,
    pub a: Slot,
    pub imm: u32,
    pub offset: u32,
}

/// `store(fp[a] + fp[b] + offset, fp[value])`.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct StoreSS {
    pub a: Slot,
    pub b: Slot,
    pub offset: u32,
    pub value: Slot,
}

/// `store(fp[a] + fp[b] + offset, imm)`.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct StoreSSImm {
    pub a: Slot,
    pub b: Slot,
    pub offset: u32,
    pub value: u64,
}

/// `store(fp[a] + imm + offset, fp[value])`.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct StoreSI {
    pub a: Slot,
    pub imm: u32,
    pub offset: u32,
    pub value: Slot,
}

/// `store(fp[a] + imm + offset, value)`: both the addend and the value immediate.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct StoreSIImm {
    pub a: Slot,
    pub imm: u32,
    pub offset: u32,
    pub value: u64,
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

/// Bounds check of `[ea, ea + size)`. On failure, leave through the cold [`out_of_bounds`] handler (a tail
/// call, so the fast path needs no stack frame).
macro_rules! check {
    ($ip:expr, $fp:expr, $mem:expr, $ctx:expr, $shared:expr, $ea:expr, $size:expr, $len:ident) => {
        if $ea + $size > $len {
            return out_of_bounds::<$shared>($ip, $fp, $mem, $len, $ctx);
        }
    };
}

/// An access failed the bounds check against `len`. A shared memory may have been grown by another thread
/// since `len` was loaded: then run the same instruction again with the current length. Otherwise trap.
#[cold]
#[inline(never)]
pub(crate) unsafe fn out_of_bounds<const SHARED: bool>(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    if SHARED {
        let fresh = fresh_len(ctx);
        if fresh > len {
            dispatch!(ip, fp, mem, fresh, ctx)
        }
    }
    trap(ctx, TrapCode::MemoryOutOfBounds)
}

/// Defines a load handler from its operand struct and effective-address expression.
macro_rules! load_handler {
    ($name:ident, $P:ty, [$($extra:tt)*], |$p:ident, $fp:ident| $ea:expr) => {
        #[inline(never)]
        pub(crate) unsafe fn $name<Op: LoadOp, const SHARED: bool $($extra)*>(
            ip: Ip,
            $fp: Fp,
            mem: Mem,
            len: usize,
            ctx: &mut Ctx,
        ) -> Exit {
            let $p: $P = operands(ip);
            let ea: usize = $ea;
            check!(ip, $fp, mem, ctx, SHARED, ea, Op::SIZE, len);
            set($fp, $p.dst, Op::extend(read::<SHARED>(mem.add(ea), Op::SIZE)));
            dispatch!(after::<$P>(ip), $fp, mem, len, ctx)
        }
    };
}

/// Defines a store handler from its operand struct, effective-address and value expressions.
macro_rules! store_handler {
    ($name:ident, $P:ty, [$($extra:tt)*], |$p:ident, $fp:ident| $ea:expr, $value:expr) => {
        #[inline(never)]
        pub(crate) unsafe fn $name<Op: StoreOp, const SHARED: bool $($extra)*>(
            ip: Ip,
            $fp: Fp,
            mem: Mem,
            len: usize,
            ctx: &mut Ctx,
        ) -> Exit {
            let $p: $P = operands(ip);
            let ea: usize = $ea;
            check!(ip, $fp, mem, ctx, SHARED, ea, Op::SIZE, len);
            write::<SHARED>(mem.add(ea), Op::SIZE, $value);
            dispatch!(after::<$P>(ip), $fp, mem, len, ctx)
        }
    };
}

/// A 32-bit address operand plus a static offset (no wrap-around: offsets make 33-bit addresses).
#[inline(always)]
fn ea(addr: u64, offset: u32) -> usize {
    addr as u32 as usize + offset as usize
}

/// `a + (b << SHIFT)` wrapping at 32 bits: base plus scaled index.
#[inline(always)]
unsafe fn scaled<const SHIFT: u32>(fp: Fp, a: Slot, b: Slot) -> u64 {
    get(fp, a).wrapping_add(get(fp, b) << SHIFT)
}

load_handler!(load, Load, [], |p, fp| ea(get(fp, p.addr), p.offset));
load_handler!(load_abs, LoadAbs, [], |p, fp| p.ea as usize);
load_handler!(load_ss, LoadSS, [, const SHIFT: u32], |p, fp| ea(scaled::<SHIFT>(fp, p.a, p.b), p.offset));
load_handler!(load_si, LoadSI, [], |p, fp| ea(get(fp, p.a).wrapping_add(p.imm as u64), p.offset));
store_handler!(store, Store, [], |p, fp| ea(get(fp, p.addr), p.offset), get(fp, p.value));
store_handler!(store_imm, StoreImm, [], |p, fp| ea(get(fp, p.addr), p.offset), p.value);
store_handler!(store_abs, StoreAbs, [], |p, fp| p.ea as usize, get(fp, p.value));
store_handler!(store_ss, StoreSS, [, const SHIFT: u32], |p, fp| ea(scaled::<SHIFT>(fp, p.a, p.b), p.offset), get(fp, p.value));
store_handler!(store_ss_imm, StoreSSImm, [, const SHIFT: u32], |p, fp| ea(scaled::<SHIFT>(fp, p.a, p.b), p.offset), p.value);
store_handler!(store_si_imm, StoreSIImm, [], |p, fp| ea(get(fp, p.a).wrapping_add(p.imm as u64), p.offset), p.value);
store_handler!(store_si, StoreSI, [], |p, fp| ea(get(fp, p.a).wrapping_add(p.imm as u64), p.offset), get(fp, p.value));

/// Two loads of the same kind from private memory in a row (`p->a` then `q->b`), one dispatch: the first
/// completes (it may produce the second's address) before the second starts. `dst` is the second's, first
/// like every result-producing instruction's, so a following `local.set` can retarget it.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct LoadPair {
    pub dst: Slot,
    pub addr: Slot,
    pub offset: u32,
    pub first: Load,
}

#[inline(never)]
pub(crate) unsafe fn load_pair<Op: LoadOp>(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: LoadPair = operands(ip);
    let first = p.first;
    let ea1 = ea(get(fp, first.addr), first.offset);
    check!(ip, fp, mem, ctx, false, ea1, Op::SIZE, len);
    set(fp, first.dst, Op::extend(read::<false>(mem.add(ea1), Op::SIZE)));
    let ea2 = ea(get(fp, p.addr), p.offset);
    check!(ip, fp, mem, ctx, false, ea2, Op::SIZE, len);
    set(fp, p.dst, Op::extend(read::<false>(mem.add(ea2), Op::SIZE)));
    dispatch!(after::<LoadPair>(ip), fp, mem, len, ctx)
}

/// Load and branch on the loaded value (non-zero when `WHEN`, zero otherwise): `if (p->field)`.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct LoadBr {
    pub addr: Slot,
    pub offset: u32,
    pub br: i32,
}

/// Load from `fp[a] + fp[b] + offset` and branch on the value.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct LoadBrSS {
    pub a: Slot,
    pub b: Slot,
    pub offset: u32,
    pub br: i32,
}

macro_rules! load_br_handler {
    ($name:ident, $P:ty, |$p:ident, $fp:ident| $ea:expr) => {
        #[inline(never)]
        pub(crate) unsafe fn $name<Op: LoadOp, const WHEN: bool>(
            ip: Ip,
            $fp: Fp,
            mem: Mem,
            len: usize,
            ctx: &mut Ctx,
        ) -> Exit {
            let $p: $P = operands(ip);
            let ea: usize = $ea;
            check!(ip, $fp, mem, ctx, false, ea, Op::SIZE, len);
            let v = Op::extend(read::<false>(mem.add(ea), Op::SIZE));
            let nonzero = if Op::SIZE == 8 { v != 0 } else { v as u32 != 0 };
            super::control::branch!(nonzero == WHEN, ip.offset($p.br as isize), after::<$P>(ip), $fp, mem, len, ctx)
        }
    };
}

load_br_handler!(load_br, LoadBr, |p, fp| ea(get(fp, p.addr), p.offset));
load_br_handler!(load_br_ss, LoadBrSS, |p, fp| ea(get(fp, p.a).wrapping_add(get(fp, p.b)), p.offset));

/// The handlers of one load kind by addressing form, each `[private, shared]`.
pub(crate) struct LoadHandlers {
    pub slot: [super::Handler; 2],
    pub abs: [super::Handler; 2],
    pub ss: [super::Handler; 2],
    pub si: [super::Handler; 2],
    /// Base plus scaled index, by shift (0..=3) then `[private, shared]`.
    pub ss_shift: [[super::Handler; 2]; 4],
    /// Load and branch (private memories only), `[when non-zero, when zero]`, by addressing form.
    pub br: [super::Handler; 2],
    pub br_ss: [super::Handler; 2],
    /// Two loads in a row (private memories only).
    pub pair: super::Handler,
}

pub(crate) struct GetLoad;
impl LoadVisitor for GetLoad {
    type Output = LoadHandlers;
    fn visit<Op: LoadOp + 'static>(self) -> LoadHandlers {
        LoadHandlers {
            slot: [load::<Op, false>, load::<Op, true>],
            abs: [load_abs::<Op, false>, load_abs::<Op, true>],
            ss: [load_ss::<Op, false, 0>, load_ss::<Op, true, 0>],
            ss_shift: [
                [load_ss::<Op, false, 0>, load_ss::<Op, true, 0>],
                [load_ss::<Op, false, 1>, load_ss::<Op, true, 1>],
                [load_ss::<Op, false, 2>, load_ss::<Op, true, 2>],
                [load_ss::<Op, false, 3>, load_ss::<Op, true, 3>],
            ],
            si: [load_si::<Op, false>, load_si::<Op, true>],
            br: [load_br::<Op, true>, load_br::<Op, false>],
            br_ss: [load_br_ss::<Op, true>, load_br_ss::<Op, false>],
            pair: load_pair::<Op>,
        }
    }
}

/// The handlers of one store width by addressing form and value kind, each `[private, shared]`.
pub(crate) struct StoreHandlers {
    pub slot: [super::Handler; 2],
    pub imm: [super::Handler; 2],
    pub abs: [super::Handler; 2],
    /// Base plus scaled index (value in a slot / immediate), by shift (0..=3) then `[private, shared]`.
    pub ss: [[super::Handler; 2]; 4],
    pub ss_imm: [[super::Handler; 2]; 4],
    pub si: [super::Handler; 2],
    pub si_imm: [super::Handler; 2],
}

pub(crate) struct GetStore;
impl StoreVisitor for GetStore {
    type Output = StoreHandlers;
    fn visit<Op: StoreOp + 'static>(self) -> StoreHandlers {
        StoreHandlers {
            slot: [store::<Op, false>, store::<Op, true>],
            imm: [store_imm::<Op, false>, store_imm::<Op, true>],
            abs: [store_abs::<Op, false>, store_abs::<Op, true>],
            ss: [
                [store_ss::<Op, false, 0>, store_ss::<Op, true, 0>],
                [store_ss::<Op, false, 1>, store_ss::<Op, true, 1>],
                [store_ss::<Op, false, 2>, store_ss::<Op, true, 2>],
                [store_ss::<Op, false, 3>, store_ss::<Op, true, 3>],
            ],
            ss_imm: [
                [store_ss_imm::<Op, false, 0>, store_ss_imm::<Op, true, 0>],
                [store_ss_imm::<Op, false, 1>, store_ss_imm::<Op, true, 1>],
                [store_ss_imm::<Op, false, 2>, store_ss_imm::<Op, true, 2>],
                [store_ss_imm::<Op, false, 3>, store_ss_imm::<Op, true, 3>],
            ],
            si: [store_si::<Op, false>, store_si::<Op, true>],
            si_imm: [store_si_imm::<Op, false>, store_si_imm::<Op, true>],
        }
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
