//! Memory instructions: loads and stores (plain, and racy-safe for shared memories), `memory.size`,
//! `memory.grow`, and the bulk operations.
//!
//! Accesses check `address + offset + width <= len` against the length held in a register. A shared memory
//! may have been grown by another thread since `len` was loaded, so before trapping, the shared variants
//! re-read the current length.

use super::{Activation, Exit, Fp, Ip, Mem, dispatch, get, mem0, next, set, trap};
use crate::error::TrapCode;
use crate::ir::Slot;
use crate::ir::isa::*;
use crate::ir::ops::{BinaryOp, LoadOp, SlotValue, StoreOp};
use crate::memory::{PAGE_SIZE, racy};

#[inline(always)]
pub(crate) unsafe fn read<const SHARED: bool>(p: *const u8, size: usize) -> u64 {
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
pub(crate) unsafe fn write<const SHARED: bool>(p: *mut u8, size: usize, v: u64) {
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
pub(crate) unsafe fn fresh_len(ctx: &Activation) -> usize {
    mem0(ctx.instance).1
}

/// Bounds check of `[ea, ea + size)`; evaluates to the host address of `ea`. On failure, leave through the
/// cold [`out_of_bounds`] handler (a tail call, so the fast path needs no stack frame).
///
/// The address is formed from the end of the access, `mem + (ea + size) - size`: the `- size` folds into the
/// load's or store's displacement, so the sum `ea + size` computed for the check is the only one. Written as
/// `mem + ea` (or with `end` visible to LLVM, which simplifies it back to that), the address and the end are
/// computed separately: one more add in every access.
macro_rules! check {
    ($ip:expr, $fp:expr, $mem:expr, $ctx:expr, $shared:expr, $ea:expr, $size:expr, $len:ident) => {
        check!($ip, $fp, $mem, $ctx, $shared, $ea, $size, $len; 0)
    };
    // `$acc`: the accumulator the instruction was given (it runs again if a shared memory grew).
    ($ip:expr, $fp:expr, $mem:expr, $ctx:expr, $shared:expr, $ea:expr, $size:expr, $len:ident; $acc:expr) => {{
        let end: usize = $crate::exec::opaque::<0>($ea + $size);
        if end > $len {
            return out_of_bounds::<$shared>($ip, $fp, $mem, $len, $ctx, $acc);
        }
        $mem.add(end).sub($size)
    }};
}
pub(crate) use check;

/// An access failed the bounds check against `len`. A shared memory may have been grown by another thread
/// since `len` was loaded: then run the same instruction again with the current length. Otherwise trap.
#[cold]
#[inline(never)]
pub(crate) unsafe fn out_of_bounds<const SHARED: bool>(
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
    acc: u64,
) -> Exit {
    if SHARED {
        let fresh = fresh_len(ctx);
        if fresh > len {
            dispatch!(ip, fp, mem, fresh, ctx; acc)
        }
    }
    trap(ctx, ip, TrapCode::MemoryOutOfBounds)
}

/// Defines a load handler from its operand struct and effective-address expression (`$acc` in scope: the
/// accumulator, which the expression may read as the address). The value goes to `dst` and the accumulator;
/// `ACC_OUT`: only to the accumulator.
macro_rules! load_handler {
    ($name:ident, $P:ty, [$($extra:tt)*], |$p:ident, $fp:ident, $acc:ident| $ea:expr) => {
        #[allow(clippy::too_many_arguments)]
        #[inline(always)]
        pub(crate) unsafe fn $name<Op: LoadOp, const SHARED: bool $($extra)*, const ACC_OUT: bool>(
            $p: $P,
            ip: Ip,
            $fp: Fp,
            mem: Mem,
            len: usize,
            ctx: &mut Activation,
            $acc: u64,
        ) -> Exit {
            let ea: usize = $ea;
            let at = check!(ip, $fp, mem, ctx, SHARED, ea, Op::SIZE, len; $acc);
            let v = Op::extend(read::<SHARED>(at, Op::SIZE));
            if ACC_OUT {
                dispatch!(next(&$p, ip), $fp, mem, len, ctx; v)
            }
            set($fp, $p.dst, v);
            dispatch!(next(&$p, ip), $fp, mem, len, ctx; v)
        }
    };
}

/// Defines a store handler from its operand struct, effective-address and value expressions (`$acc` in
/// scope: the accumulator, which the value expression may read).
macro_rules! store_handler {
    ($name:ident, $P:ty, [$($extra:tt)*], |$p:ident, $fp:ident, $acc:ident| $ea:expr, $value:expr) => {
        #[allow(clippy::too_many_arguments)]
        #[inline(always)]
        pub(crate) unsafe fn $name<Op: StoreOp, const SHARED: bool $($extra)*>(
            $p: $P,
            ip: Ip,
            $fp: Fp,
            mem: Mem,
            len: usize,
            ctx: &mut Activation,
            $acc: u64,
        ) -> Exit {
            let ea: usize = $ea;
            let at = check!(ip, $fp, mem, ctx, SHARED, ea, Op::SIZE, len; $acc);
            write::<SHARED>(at, Op::SIZE, $value);
            dispatch!(next(&$p, ip), $fp, mem, len, ctx)
        }
    };
}

/// A 32-bit address operand plus a static offset (no wrap-around: offsets make 33-bit addresses).
#[inline(always)]
pub(crate) fn ea(addr: u64, offset: u32) -> usize {
    addr as u32 as usize + offset as usize
}

/// Base plus scaled index, `a + (b << SHIFT)`, for the address operand of an access (`ea` keeps its low 32
/// bits: the wasm `i32.add`) and for `add_shl`.
#[inline(always)]
pub(crate) unsafe fn scaled<const SHIFT: u32>(fp: Fp, a: Slot, b: Slot) -> u64 {
    scaled_acc::<SHIFT>(fp, a, b, 0, 0)
}

/// [`scaled`] with the base (`acc_in == 1`) or the index (`acc_in == 2`) read from the accumulator (a
/// constant in every caller).
#[inline(always)]
pub(crate) unsafe fn scaled_acc<const SHIFT: u32>(fp: Fp, a: Slot, b: Slot, acc: u64, acc_in: u8) -> u64 {
    let a = if acc_in == 1 { acc } else { get(fp, a) };
    let b = if acc_in == 2 { acc } else { get(fp, b) };
    a.wrapping_add(b << SHIFT)
}

// `dst = load(fp[addr] + offset)`; `ACC_IN`: the address is the accumulator.
load_handler!(load, Load, [, const ACC_IN: bool], |p, fp, acc| ea(if ACC_IN { acc } else { get(fp, p.addr) }, p.offset));
load_handler!(load_abs, LoadAbs, [], |p, fp, acc| p.ea as usize);
// `ACC_IN`: the base (1) or the index (2) is the accumulator.
load_handler!(load_ss, LoadSS, [, const SHIFT: u32, const ACC_IN: u8], |p, fp, acc| ea(scaled_acc::<SHIFT>(fp, p.a, p.b, acc, ACC_IN), p.offset));
// `ACC_IN`: the base is the accumulator.
load_handler!(load_si, LoadSI, [, const ACC_IN: bool], |p, fp, acc| ea(if ACC_IN { acc } else { get(fp, p.a) }.wrapping_add(p.imm as u64), p.offset));
// `store(fp[addr] + offset, fp[value])`; `ACC_IN`: the value (1) or the address (2) is the accumulator.
store_handler!(store, Store, [, const ACC_IN: u8], |p, fp, acc| ea(if ACC_IN == 2 { acc } else { get(fp, p.addr) }, p.offset), if ACC_IN == 1 { acc } else { get(fp, p.value) });
store_handler!(store_imm, StoreImm, [], |p, fp, acc| ea(get(fp, p.addr), p.offset), p.value);
store_handler!(store_abs, StoreAbs, [], |p, fp, acc| p.ea as usize, get(fp, p.value));
// `ACC_IN`: the value (1), the base (2) or the index (3) is the accumulator.
store_handler!(store_ss, StoreSS, [, const SHIFT: u32, const ACC_IN: u8], |p, fp, acc| ea(scaled_acc::<SHIFT>(fp, p.a, p.b, acc, ACC_IN.saturating_sub(1)), p.offset), if ACC_IN == 1 { acc } else { get(fp, p.value) });
store_handler!(store_ss_imm, StoreSSImm, [, const SHIFT: u32], |p, fp, acc| ea(scaled::<SHIFT>(fp, p.a, p.b), p.offset), p.value);
store_handler!(
    store_si_imm,
    StoreSIImm,
    [],
    |p, fp, acc| ea(get(fp, p.a).wrapping_add(p.imm as u64), p.offset),
    p.value
);
store_handler!(
    store_si,
    StoreSI,
    [, const ACC_IN: u8],
    // `ACC_IN`: the value (1) or the base (2) is the accumulator.
    |p, fp, acc| ea(if ACC_IN == 2 { acc } else { get(fp, p.a) }.wrapping_add(p.imm as u64), p.offset),
    if ACC_IN == 1 { acc } else { get(fp, p.value) }
);

/// The two loads of [`load_pair`] and [`load_pair_br`], in order: `fp[dst1] = load(fp[addr1] + offset1)`,
/// then `fp[dst] = load(fp[addr] + offset)` (a trap of the second leaves the first written, as two
/// instructions would). With `$dep`, `addr` is `dst1`: the second address is the first value, kept in a
/// register rather than read back from the slot just written (a store-to-load forwarding delay on a pointer
/// chase). Evaluates to both values.
macro_rules! load_two {
    ($Op:ident, $dep:expr, $p:ident, $ip:ident, $fp:ident, $mem:ident, $len:ident, $ctx:ident) => {{
        let ea1 = ea(get($fp, $p.addr1), $p.offset1);
        let at1 = check!($ip, $fp, $mem, $ctx, false, ea1, $Op::SIZE, $len);
        let v1 = $Op::extend(read::<false>(at1, $Op::SIZE));
        set($fp, $p.dst1, v1);
        let ea2 = ea(if $dep { v1 } else { get($fp, $p.addr) }, $p.offset);
        let at2 = check!($ip, $fp, $mem, $ctx, false, ea2, $Op::SIZE, $len);
        let v2 = $Op::extend(read::<false>(at2, $Op::SIZE));
        set($fp, $p.dst, v2);
        (v1, v2)
    }};
}

#[inline(always)]
pub(crate) unsafe fn load_pair<Op: LoadOp, const DEP: bool>(
    p: LoadPair,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    load_two!(Op, DEP, p, ip, fp, mem, len, ctx);
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

/// [`load_pair`], then branch if the two values are equal (`EQ`) or differ (`!EQ`).
#[inline(always)]
pub(crate) unsafe fn load_pair_br<Op: LoadOp, const EQ: bool>(
    p: LoadPairBr,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let (v1, v2) = load_two!(Op, false, p, ip, fp, mem, len, ctx);
    super::control::branch!((v1 == v2) == EQ, ip.offset(p.br as isize), next(&p, ip), fp, mem, len, ctx)
}

macro_rules! load_br_handler {
    ($name:ident, $P:ty, |$p:ident, $fp:ident| $ea:expr) => {
        #[inline(always)]
        pub(crate) unsafe fn $name<Op: LoadOp, const WHEN: bool>(
            $p: $P,
            ip: Ip,
            $fp: Fp,
            mem: Mem,
            len: usize,
            ctx: &mut Activation,
        ) -> Exit {
            let ea: usize = $ea;
            let at = check!(ip, $fp, mem, ctx, false, ea, Op::SIZE, len);
            let v = Op::extend(read::<false>(at, Op::SIZE));
            let nonzero = if Op::SIZE == 8 { v != 0 } else { v as u32 != 0 };
            super::control::branch!(nonzero == WHEN, ip.offset($p.br as isize), next(&$p, ip), $fp, mem, len, ctx)
        }
    };
}

load_br_handler!(load_br, LoadBr, |p, fp| ea(get(fp, p.addr), p.offset));
load_br_handler!(load_br_ss, LoadBrSS, |p, fp| ea(get(fp, p.a).wrapping_add(get(fp, p.b)), p.offset));

/// Two stores: `store(fp[addr1] + offset1, fp[value1])`, then `store(fp[addr] + offset, fp[value])` (a
/// trap of the second leaves the first done, as two instructions would).
#[inline(always)]
pub(crate) unsafe fn store_pair<Op: StoreOp>(
    p: StorePair,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let ea1 = ea(get(fp, p.addr1), p.offset1);
    let at1 = check!(ip, fp, mem, ctx, false, ea1, Op::SIZE, len);
    write::<false>(at1, Op::SIZE, get(fp, p.value1));
    let ea2 = ea(get(fp, p.addr), p.offset);
    let at2 = check!(ip, fp, mem, ctx, false, ea2, Op::SIZE, len);
    write::<false>(at2, Op::SIZE, get(fp, p.value));
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

/// `Op::SIZE` bytes loaded from `fp[from] + from_offset` and stored at `fp[to] + to_offset` (both checked
/// before the store, in the order of the two instructions it replaces); `ACC_IN`: the load's address is the
/// accumulator.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) unsafe fn load_store<Op: StoreOp, const ACC_IN: bool>(
    p: LoadStore,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
    acc: u64,
) -> Exit {
    let from = ea(if ACC_IN { acc } else { get(fp, p.from) }, p.from_offset);
    let from = check!(ip, fp, mem, ctx, false, from, Op::SIZE, len; acc);
    let v = read::<false>(from, Op::SIZE);
    let to = ea(get(fp, p.to), p.to_offset);
    let to = check!(ip, fp, mem, ctx, false, to, Op::SIZE, len; acc);
    write::<false>(to, Op::SIZE, v);
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

/// A read-modify-write of one location (a counter, a flag word updated in place): `Op::SIZE` bytes at
/// `fp[addr] + offset` (checked once: the load and the store it replaces access the same bytes) become
/// `value R b`, `b` from a slot or (`B_IMM`) the immediate; `R` is an i64 operation whose low bytes depend
/// only on the operands' low bytes, so it serves i32 code and every width. `ACC_IN`: the address is the
/// accumulator.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) unsafe fn load_op_store<Op: StoreOp, R: BinaryOp, const B_IMM: bool, const ACC_IN: bool>(
    p: LoadOpStore,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
    acc: u64,
) -> Exit {
    let ea = ea(if ACC_IN { acc } else { get(fp, p.addr) }, p.offset);
    let at = check!(ip, fp, mem, ctx, false, ea, Op::SIZE, len; acc);
    let v = read::<false>(at, Op::SIZE);
    let b = if B_IMM { p.b } else { get(fp, p.b as Slot) };
    match R::eval(R::Lhs::from_slot(v), R::Rhs::from_slot(b)) {
        Ok(r) => write::<false>(at, Op::SIZE, r.to_slot()),
        Err(code) => return trap(ctx, ip, code),
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

/// `fp[dst] = i32.load(fp[addr] + offset)` (or `f32.load`: the same bits), then branch on the comparison of
/// the value with `fp[rhs]` or `rhs` (the value is written first: `rhs` may be the same local).
#[inline(always)]
pub(crate) unsafe fn load_br_cmp<Op: BinaryOp<Out = i32>, const WHEN: bool, const RHS_SLOT: bool>(
    p: LoadBrCmp,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let ea = ea(get(fp, p.addr), p.offset);
    let at = check!(ip, fp, mem, ctx, false, ea, 4, len);
    let v = read::<false>(at, 4);
    set(fp, p.dst, v);
    let rhs = if RHS_SLOT { get(fp, p.rhs) } else { p.rhs as u64 };
    let holds = matches!(Op::eval(Op::Lhs::from_slot(v), Op::Rhs::from_slot(rhs)), Ok(r) if r != 0);
    super::control::branch!(holds == WHEN, ip.offset(p.br as isize), next(&p, ip), fp, mem, len, ctx)
}

/// `br_table` on `load(fp[addr] + offset) + bias` (an i32 load: `as u32` is its value, sign-extended or
/// not); `ACC_IN`: the address is the accumulator.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) unsafe fn load_br_table<Op: LoadOp, const ACC_IN: bool>(
    p: LoadBrTable,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
    acc: u64,
) -> Exit {
    let ea = ea(if ACC_IN { acc } else { get(fp, p.addr) }, p.offset);
    let at = check!(ip, fp, mem, ctx, false, ea, Op::SIZE, len; acc);
    let index = (Op::extend(read::<false>(at, Op::SIZE)) as u32).wrapping_add(p.bias);
    dispatch!(super::control::table_target(ip, next(&p, ip), index, p.len), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn memory_size(p: MemSize, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    set(fp, p.dst, (mem0(ctx.instance).1 / PAGE_SIZE) as u64);
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn memory_grow(p: MemGrow, ip: Ip, fp: Fp, _mem: Mem, _len: usize, ctx: &mut Activation) -> Exit {
    let m = (*ctx.instance).mem0;
    let delta = get(fp, p.delta) as u32 as u64;
    let r = (*m).grow(delta).map_or(-1i32 as u32, |old| old as u32);
    set(fp, p.dst, r as u64);
    let (mem, len) = mem0(ctx.instance);
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

/// Checked range `[at, at + n)` of a memory of `len` bytes. (Helpers return `Result<_, TrapCode>`, which
/// fits in registers, so that their handler's dispatch stays a tail call.)
#[inline(always)]
fn range(at: u64, n: u64, len: usize) -> Result<usize, TrapCode> {
    if at + n > len as u64 { Err(TrapCode::MemoryOutOfBounds) } else { Ok(at as usize) }
}

#[inline(never)]
unsafe fn fill(ctx: &Activation, dst: u64, val: u8, n: u64) -> Result<(), TrapCode> {
    let m = &*(*ctx.instance).mem0;
    let at = range(dst, n, m.byte_len())?;
    racy::fill(m.base().add(at), val, n as usize, m.is_shared());
    Ok(())
}

#[inline(never)]
unsafe fn copy(ctx: &Activation, dst: u64, src: u64, n: u64) -> Result<(), TrapCode> {
    let m = &*(*ctx.instance).mem0;
    let d = range(dst, n, m.byte_len())?;
    let s = range(src, n, m.byte_len())?;
    racy::copy_within(m.base().add(d), m.base().add(s), n as usize, m.is_shared());
    Ok(())
}

#[inline(never)]
unsafe fn init(ctx: &Activation, segment: u32, dst: u64, src: u64, n: u64) -> Result<(), TrapCode> {
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

#[inline(always)]
pub(crate) unsafe fn memory_fill(p: MemBulk, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    let r = fill(ctx, get(fp, p.dst) as u32 as u64, get(fp, p.src) as u8, get(fp, p.len) as u32 as u64);
    if let Err(code) = r {
        return trap(ctx, ip, code);
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn memory_copy(p: MemBulk, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    let r = copy(ctx, get(fp, p.dst) as u32 as u64, get(fp, p.src) as u32 as u64, get(fp, p.len) as u32 as u64);
    if let Err(code) = r {
        return trap(ctx, ip, code);
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn memory_init(p: MemInit, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    let r =
        init(ctx, p.segment, get(fp, p.dst) as u32 as u64, get(fp, p.src) as u32 as u64, get(fp, p.len) as u32 as u64);
    if let Err(code) = r {
        return trap(ctx, ip, code);
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn data_drop(p: DataDrop, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    (*ctx.instance).datas[p.segment as usize] = None;
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}
