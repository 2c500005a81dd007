//! Control flow: branches (plain, conditional, fused compare-and-branch, tables), `select`, copies and
//! constants, `unreachable` and returns.

use super::{Activation, Exit, Fp, Ip, Mem, dispatch, get, next, set, trap};
use crate::error::TrapCode;
use crate::ir::Slot;
use crate::ir::isa::*;
use crate::ir::ops::{BinaryOp, SlotValue};

/// Continue at `$taken` if `$cond`, else at `$fallthrough`, as a real conditional branch, each arm with its
/// own indirect jump to the next handler.
///
/// If the compiler turned this into a conditional move, the next instruction's address would depend on the
/// comparison's data and the processor could not run ahead on its branch prediction: a loop back-edge would
/// then cost the full latency of load, compare and next-handler load every iteration. Left alone, LLVM keeps
/// the branch but merges the arms' dispatch into one tail (a jump to it from one arm, and one indirect jump
/// serving both successors, whose target then depends on the branch's outcome). Each arm passes its next
/// handler through a different `opaque` (`dispatch!`'s `arm`), so the optimiser cannot merge them: one
/// indirect jump per successor, each with a single target.
macro_rules! branch {
    ($cond:expr, $taken:expr, $fallthrough:expr, $fp:expr, $mem:expr, $len:expr, $ctx:expr) => {{
        if $cond {
            $crate::exec::dispatch!($taken, $fp, $mem, $len, $ctx; 0; arm 1)
        } else {
            $crate::exec::dispatch!($fallthrough, $fp, $mem, $len, $ctx; 0; arm 2)
        }
    }};
}
pub(crate) use branch;

#[inline(always)]
unsafe fn jump(ip: Ip, offset: i32) -> Ip {
    ip.offset(offset as isize)
}

#[inline(always)]
pub(crate) unsafe fn br(p: Br, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    dispatch!(jump(ip, p.offset), fp, mem, len, ctx)
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn br_if_nez<const ACC_IN: bool>(
    p: BrIf,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
    acc: u64,
) -> Exit {
    let cond = if ACC_IN { acc } else { get(fp, p.cond) };
    branch!(cond as u32 != 0, jump(ip, p.offset), next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn br_if_eqz<const ACC_IN: bool>(
    p: BrIf,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
    acc: u64,
) -> Exit {
    let cond = if ACC_IN { acc } else { get(fp, p.cond) };
    branch!(cond as u32 == 0, jump(ip, p.offset), next(&p, ip), fp, mem, len, ctx)
}

/// Branch if `a OP b` holds (`WHEN = true`) or does not hold (`WHEN = false`); `ACC_IN` 1 or 2: `a` or
/// `b` is the accumulator.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) unsafe fn br_cmp_ss<Op: BinaryOp<Out = i32>, const WHEN: bool, const ACC_IN: u8>(
    p: BrCmpSS,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
    acc: u64,
) -> Exit {
    let a = Op::Lhs::from_slot(if ACC_IN == 1 { acc } else { get(fp, p.a) });
    let b = Op::Rhs::from_slot(if ACC_IN == 2 { acc } else { get(fp, p.b) });
    let holds = matches!(Op::eval(a, b), Ok(v) if v != 0);
    branch!(holds == WHEN, jump(ip, p.offset), next(&p, ip), fp, mem, len, ctx)
}

/// Branch on `a OP imm`; `ACC_IN`: `a` is the accumulator.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) unsafe fn br_cmp_si<Op: BinaryOp<Out = i32>, const WHEN: bool, const ACC_IN: bool>(
    p: BrCmpSI,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
    acc: u64,
) -> Exit {
    let a = Op::Lhs::from_slot(if ACC_IN { acc } else { get(fp, p.a) });
    let b = Op::Rhs::from_slot(p.imm);
    let holds = matches!(Op::eval(a, b), Ok(v) if v != 0);
    branch!(holds == WHEN, jump(ip, p.offset), next(&p, ip), fp, mem, len, ctx)
}

/// Branch on the zero-byte test `(a + k) & !a & m != 0` (`numeric::zero_bytes`).
#[inline(always)]
pub(crate) unsafe fn br_zero_byte<const WHEN: bool>(
    p: BrZeroByte,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let holds = super::numeric::zero_bytes(get(fp, p.a) as u32, p.k) & p.m != 0;
    branch!(holds == WHEN, jump(ip, p.offset), next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn add_br_cmp<
    Op: BinaryOp<Out = i32>,
    const WHEN: bool,
    const INC_SLOT: bool,
    const RHS_SLOT: bool,
>(
    p: AddBrCmp,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let inc = if INC_SLOT { get(fp, p.inc) as u32 } else { p.inc };
    let v = (get(fp, p.a) as u32).wrapping_add(inc);
    store_then_branch::<Op, WHEN, RHS_SLOT>(p, v as u64, ip, fp, mem, len, ctx)
}

/// The second half of [`add_br_cmp`] and [`add_br_cmp64`]: `fp[dst] = v`, then branch on `v OP rhs`.
#[inline(always)]
unsafe fn store_then_branch<Op: BinaryOp<Out = i32>, const WHEN: bool, const RHS_SLOT: bool>(
    p: AddBrCmp,
    v: u64,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    set(fp, p.dst, v);
    // Read after the write: `rhs` may be `dst` itself.
    let rhs = if RHS_SLOT { get(fp, p.rhs) } else { p.rhs as u64 };
    let holds = matches!(Op::eval(Op::Lhs::from_slot(v), Op::Rhs::from_slot(rhs)), Ok(r) if r != 0);
    branch!(holds == WHEN, jump(ip, p.offset), next(&p, ip), fp, mem, len, ctx)
}

/// [`add_br_cmp`] for i64: `fp[dst] = fp[a] + inc` in 64 bits (an immediate `inc` is sign-extended, an
/// immediate `rhs` zero-extended), then branch on `fp[dst] OP rhs`.
#[inline(always)]
pub(crate) unsafe fn add_br_cmp64<
    Op: BinaryOp<Out = i32>,
    const WHEN: bool,
    const INC_SLOT: bool,
    const RHS_SLOT: bool,
>(
    p: AddBrCmp,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let inc = if INC_SLOT { get(fp, p.inc) } else { p.inc as i32 as i64 as u64 };
    let v = get(fp, p.a).wrapping_add(inc);
    store_then_branch::<Op, WHEN, RHS_SLOT>(p, v, ip, fp, mem, len, ctx)
}

/// `br_table`; `ACC_IN`: the index is the accumulator.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) unsafe fn br_table<const ACC_IN: bool>(
    p: BrTable,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
    acc: u64,
) -> Exit {
    let index = if ACC_IN { acc } else { get(fp, p.index) } as u32;
    dispatch!(table_target(ip, next(&p, ip), index, p.len), fp, mem, len, ctx)
}

/// `br_table` on `index + bias` (wrapping, as the `i32.add` it replaces).
#[inline(always)]
pub(crate) unsafe fn br_table_add<const ACC_IN: bool>(
    p: BrTableAdd,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
    acc: u64,
) -> Exit {
    let index = (if ACC_IN { acc } else { get(fp, p.index) } as u32).wrapping_add(p.bias);
    dispatch!(table_target(ip, next(&p, ip), index, p.len), fp, mem, len, ctx)
}

/// The target of a `br_table` at `ip` whose `len + 1` offsets start at `table`, for `index` (the last
/// offset for any index from `len` on).
#[inline(always)]
pub(crate) unsafe fn table_target(ip: Ip, table: Ip, index: u32, len: u32) -> Ip {
    jump(ip, table.cast::<i32>().add(index.min(len) as usize).read_unaligned())
}

#[inline(always)]
/// `dst = cond ? a : b`, handed over in the accumulator too; `ACC_IN` 1, 2 or 3: `cond`, `a` or `b` is the
/// accumulator.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn select<const ACC_IN: u8>(
    p: Select,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
    acc: u64,
) -> Exit {
    let cond = if ACC_IN == 1 { acc } else { get(fp, p.cond) };
    let v = if cond as u32 != 0 {
        if ACC_IN == 2 { acc } else { get(fp, p.a) }
    } else if ACC_IN == 3 {
        acc
    } else {
        get(fp, p.b)
    };
    set(fp, p.dst, v);
    dispatch!(next(&p, ip), fp, mem, len, ctx; v)
}

/// `select` with one value an immediate: the first (`IMM_FIRST`) or the second. `ACC_IN` 1 or 2: the
/// condition or the value in a slot is the accumulator.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) unsafe fn select_imm<const IMM_FIRST: bool, const ACC_IN: u8>(
    p: SelectImm,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
    acc: u64,
) -> Exit {
    let cond = if ACC_IN == 1 { acc } else { get(fp, p.cond) };
    let v = if (cond as u32 != 0) == IMM_FIRST {
        p.imm
    } else if ACC_IN == 2 {
        acc
    } else {
        get(fp, p.a)
    };
    set(fp, p.dst, v);
    dispatch!(next(&p, ip), fp, mem, len, ctx; v)
}

#[inline(always)]
pub(crate) unsafe fn select_cmp<Op: BinaryOp<Out = i32>, const RHS_SLOT: bool>(
    p: SelectCmp,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let rhs = if RHS_SLOT { get(fp, p.rhs as u32) } else { p.rhs };
    let holds = matches!(Op::eval(Op::Lhs::from_slot(get(fp, p.lhs)), Op::Rhs::from_slot(rhs)), Ok(v) if v != 0);
    let v = if holds { get(fp, p.a) } else { get(fp, p.b) };
    set(fp, p.dst, v);
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn copy(p: CopySlot, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    set(fp, p.dst, get(fp, p.src));
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn copy_br(p: CopyBr, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    set(fp, p.dst, get(fp, p.src));
    dispatch!(jump(ip, p.offset), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn copy2(p: Copy2, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    set(fp, p.d1, get(fp, p.s1));
    set(fp, p.d2, get(fp, p.s2));
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn constant(p: Const, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    set(fp, p.dst, p.value);
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn constant2(p: Const2, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    set(fp, p.d1, p.v1);
    set(fp, p.d2, p.v2);
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn const_br(p: ConstBr, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    set(fp, p.dst, p.value);
    dispatch!(jump(ip, p.offset), fp, mem, len, ctx)
}

/// `constant`, then `br_if_nez` (`WHEN`) or `br_if_eqz`. The condition is read after the store, as the two
/// instructions would (`local.set x` of a constant, then `br_if` on `x`, is valid wasm).
#[inline(always)]
pub(crate) unsafe fn const_br_if<const WHEN: bool>(
    p: ConstBrIf,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    set(fp, p.dst, p.value);
    let cond = get(fp, p.cond) as u32 != 0;
    branch!(cond == WHEN, jump(ip, p.offset), next(&p, ip), fp, mem, len, ctx)
}

/// Trap if the store was interrupted (emitted at loop heads and function entries when the engine is
/// interruptible).
#[inline(always)]
pub(crate) unsafe fn check_interrupt(_p: Nothing, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    if (*ctx.interrupt).load(std::sync::atomic::Ordering::Relaxed) {
        return trap(ctx, ip, TrapCode::Interrupted);
    }
    dispatch!(next(&_p, ip), fp, mem, len, ctx)
}

/// Charge fuel for the code that follows; trap when there is not enough (emitted only when the engine meters
/// fuel).
#[inline(always)]
pub(crate) unsafe fn consume_fuel(p: Fuel, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    let amount = p.amount as i64;
    let before = (*ctx.fuel).fetch_sub(amount, std::sync::atomic::Ordering::Relaxed);
    if before < amount {
        (*ctx.fuel).store(0, std::sync::atomic::Ordering::Relaxed);
        return trap(ctx, ip, TrapCode::OutOfFuel);
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn unreachable(_p: Nothing, ip: Ip, _fp: Fp, _mem: Mem, _len: usize, ctx: &mut Activation) -> Exit {
    trap(ctx, ip, TrapCode::Unreachable)
}

/// `ref.as_non_null`: the value stays where it is; null traps.
#[inline(always)]
pub(crate) unsafe fn ref_as_non_null(p: RefCheck, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    if get(fp, p.src) == 0 {
        return trap(ctx, ip, TrapCode::NullReference);
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

/// Pop the frame stack and continue in the caller (or stop at the host entry frame), handing it the
/// function's first result in the accumulator (the caller's instruction after a call with one result may
/// read it from there: `translate` `push_results`).
macro_rules! return_to_caller {
    ($mem:expr, $len:expr, $ctx:expr; $result:expr) => {{
        let result: u64 = $result;
        $ctx.frame_sp = $ctx.frame_sp.sub(1);
        let frame = *$ctx.frame_sp;
        if frame.ip.is_null() {
            return Exit::Return;
        }
        let (mem, len) = $ctx.enter_instance(frame.instance, $mem, $len);
        dispatch!(frame.ip, frame.fp, mem, len, $ctx; result)
    }};
}

#[inline(always)]
pub(crate) unsafe fn return0(_p: Nothing, _ip: Ip, _fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    return_to_caller!(mem, len, ctx; 0)
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn return1<const ACC_IN: bool>(
    p: Return1,
    _ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
    acc: u64,
) -> Exit {
    let v = if ACC_IN { acc } else { get(fp, p.src) };
    set(fp, 0, v);
    return_to_caller!(mem, len, ctx; v)
}

#[inline(always)]
pub(crate) unsafe fn return_imm(p: ReturnImm, _ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    set(fp, 0, p.value);
    return_to_caller!(mem, len, ctx; p.value)
}

#[inline(always)]
pub(crate) unsafe fn return_n(p: ReturnN, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    let srcs = next(&p, ip).cast::<Slot>();
    for i in 0..p.len as usize {
        set(fp, i as u32, get(fp, srcs.add(i).read_unaligned()));
    }
    return_to_caller!(mem, len, ctx; get(fp, 0))
}
