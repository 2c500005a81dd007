//! Control flow: branches (plain, conditional, fused compare-and-branch, tables), `select`, copies and
//! constants, `unreachable` and returns.

use super::{Ctx, Exit, Fp, Handler, Ip, Mem, after, dispatch, get, mem0, operands, set, trap};
use crate::error::TrapCode;
use crate::ir::Slot;
use crate::ir::ops::{BinaryOp, CmpVisitor, SlotValue};

/// Unconditional branch by `offset` bytes from this instruction.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct Br {
    pub offset: i32,
}

/// Branch if the i32 in `cond` is non-zero (or zero, for `br_if_eqz`).
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct BrIf {
    pub cond: Slot,
    pub offset: i32,
}

/// Branch on a comparison of two slots.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct BrCmpSS {
    pub a: Slot,
    pub b: Slot,
    pub offset: i32,
}

/// Branch on a comparison of a slot and an immediate.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct BrCmpSI {
    pub a: Slot,
    pub imm: u64,
    pub offset: i32,
}

/// `br_table`: followed by `len + 1` i32 offsets (relative to this instruction); the last is the default.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct BrTable {
    pub index: Slot,
    pub len: u32,
}

#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct Select {
    pub dst: Slot,
    pub cond: Slot,
    pub a: Slot,
    pub b: Slot,
}

#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct Copy {
    pub dst: Slot,
    pub src: Slot,
}

/// Two copies in sequence (`fp[d1] = fp[s1]; fp[d2] = fp[s2]`): loop-carried variables are often shuffled
/// by runs of copies.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct Copy2 {
    pub d1: Slot,
    pub s1: Slot,
    pub d2: Slot,
    pub s2: Slot,
}

#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct Const {
    pub dst: Slot,
    pub value: u64,
}

/// Return the value of one slot.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct Return1 {
    pub src: Slot,
}

/// Return an immediate.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct ReturnImm {
    pub value: u64,
}

/// Return `len` values; followed by `len` source slots (which must not overlap the result slots `0..len`
/// except in place).
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct ReturnN {
    pub len: u32,
}

/// Continue at `$taken` if `$cond`, else at `$fallthrough`, as a real conditional branch. If the compiler
/// turned this into a conditional move, the next instruction's address would depend on the comparison's data
/// and the processor could not run ahead on its branch prediction: a loop back-edge would then cost the full
/// latency of load, compare and next-handler load every iteration. The empty `asm!` in one arm keeps the
/// arms apart.
macro_rules! branch {
    ($cond:expr, $taken:expr, $fallthrough:expr, $fp:expr, $mem:expr, $len:expr, $ctx:expr) => {{
        if $cond {
            $crate::exec::dispatch!($taken, $fp, $mem, $len, $ctx)
        } else {
            // SAFETY: an empty assembly block; it only stops the two arms from being merged.
            unsafe { std::arch::asm!("", options(nomem, nostack, preserves_flags)) };
            $crate::exec::dispatch!($fallthrough, $fp, $mem, $len, $ctx)
        }
    }};
}
pub(crate) use branch;

#[inline(always)]
unsafe fn jump(ip: Ip, offset: i32) -> Ip {
    ip.offset(offset as isize)
}

#[inline(never)]
pub(crate) unsafe fn br(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: Br = operands(ip);
    dispatch!(jump(ip, p.offset), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn br_if_nez(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: BrIf = operands(ip);
    branch!(get(fp, p.cond) as u32 != 0, jump(ip, p.offset), after::<BrIf>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn br_if_eqz(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: BrIf = operands(ip);
    branch!(get(fp, p.cond) as u32 == 0, jump(ip, p.offset), after::<BrIf>(ip), fp, mem, len, ctx)
}

/// Branch if `a OP b` holds (`WHEN = true`) or does not hold (`WHEN = false`).
#[inline(never)]
pub(crate) unsafe fn br_cmp_ss<Op: BinaryOp<Out = i32>, const WHEN: bool>(
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Ctx,
) -> Exit {
    let p: BrCmpSS = operands(ip);
    let a = Op::Lhs::from_slot(get(fp, p.a));
    let b = Op::Rhs::from_slot(get(fp, p.b));
    let holds = matches!(Op::eval(a, b), Ok(v) if v != 0);
    branch!(holds == WHEN, jump(ip, p.offset), after::<BrCmpSS>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn br_cmp_si<Op: BinaryOp<Out = i32>, const WHEN: bool>(
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Ctx,
) -> Exit {
    let p: BrCmpSI = operands(ip);
    let a = Op::Lhs::from_slot(get(fp, p.a));
    let b = Op::Rhs::from_slot(p.imm);
    let holds = matches!(Op::eval(a, b), Ok(v) if v != 0);
    branch!(holds == WHEN, jump(ip, p.offset), after::<BrCmpSI>(ip), fp, mem, len, ctx)
}

/// `fp[dst] = fp[a] + inc` (i32), then branch on `fp[dst] OP rhs`: a loop counter's increment, test and
/// back-edge in one instruction. `inc` and `rhs` are slot indices or immediates, as the handler's
/// `INC_SLOT` / `RHS_SLOT` parameters say.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct AddBrCmp {
    pub dst: Slot,
    pub a: Slot,
    pub inc: u32,
    pub rhs: u32,
    pub offset: i32,
}

#[inline(never)]
pub(crate) unsafe fn add_br_cmp<
    Op: BinaryOp<Out = i32>,
    const WHEN: bool,
    const INC_SLOT: bool,
    const RHS_SLOT: bool,
>(
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Ctx,
) -> Exit {
    let p: AddBrCmp = operands(ip);
    let inc = if INC_SLOT { get(fp, p.inc) as u32 } else { p.inc };
    let v = (get(fp, p.a) as u32).wrapping_add(inc);
    set(fp, p.dst, v as u64);
    // Read after the write: `rhs` may be `dst` itself.
    let rhs = if RHS_SLOT { get(fp, p.rhs) } else { p.rhs as u64 };
    let holds = matches!(Op::eval(Op::Lhs::from_slot(v as u64), Op::Rhs::from_slot(rhs)), Ok(r) if r != 0);
    branch!(holds == WHEN, jump(ip, p.offset), after::<AddBrCmp>(ip), fp, mem, len, ctx)
}

/// The fused compare-and-branch handlers of one comparison.
#[derive(Clone, Copy)]
pub(crate) struct BrCmpHandlers {
    /// Branch when true / when false, slot-slot.
    pub ss: [Handler; 2],
    /// Branch when true / when false, slot-immediate.
    pub si: [Handler; 2],
    /// `select` on the comparison, `[rhs immediate, rhs slot]`.
    pub select: [Handler; 2],
    /// Increment, then compare and branch (i32 comparisons only), by
    /// `[when true, when false][increment slot?][rhs slot?]`.
    pub add: [[[Handler; 2]; 2]; 2],
}

pub(crate) struct GetBrCmp;
impl CmpVisitor for GetBrCmp {
    type Output = BrCmpHandlers;
    fn visit<Op: BinaryOp<Out = i32> + 'static>(self) -> BrCmpHandlers {
        BrCmpHandlers {
            ss: [br_cmp_ss::<Op, true>, br_cmp_ss::<Op, false>],
            si: [br_cmp_si::<Op, true>, br_cmp_si::<Op, false>],
            select: [select_cmp::<Op, false>, select_cmp::<Op, true>],
            add: [
                [
                    [add_br_cmp::<Op, true, false, false>, add_br_cmp::<Op, true, false, true>],
                    [add_br_cmp::<Op, true, true, false>, add_br_cmp::<Op, true, true, true>],
                ],
                [
                    [add_br_cmp::<Op, false, false, false>, add_br_cmp::<Op, false, false, true>],
                    [add_br_cmp::<Op, false, true, false>, add_br_cmp::<Op, false, true, true>],
                ],
            ],
        }
    }
}

#[inline(never)]
pub(crate) unsafe fn br_table(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: BrTable = operands(ip);
    let index = (get(fp, p.index) as u32).min(p.len);
    let table = after::<BrTable>(ip).cast::<i32>();
    let offset = table.add(index as usize).read_unaligned();
    dispatch!(jump(ip, offset), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn select(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: Select = operands(ip);
    let v = if get(fp, p.cond) as u32 != 0 { get(fp, p.a) } else { get(fp, p.b) };
    set(fp, p.dst, v);
    dispatch!(after::<Select>(ip), fp, mem, len, ctx)
}

/// `dst = if lhs OP rhs { a } else { b }`: a `select` fused with the comparison computing its condition.
/// `rhs` is a slot index or (for `RHS_SLOT = false`) an immediate.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct SelectCmp {
    pub dst: Slot,
    pub a: Slot,
    pub b: Slot,
    pub lhs: Slot,
    pub rhs: u64,
}

#[inline(never)]
pub(crate) unsafe fn select_cmp<Op: BinaryOp<Out = i32>, const RHS_SLOT: bool>(
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Ctx,
) -> Exit {
    let p: SelectCmp = operands(ip);
    let rhs = if RHS_SLOT { get(fp, p.rhs as u32) } else { p.rhs };
    let holds = matches!(Op::eval(Op::Lhs::from_slot(get(fp, p.lhs)), Op::Rhs::from_slot(rhs)), Ok(v) if v != 0);
    let v = if holds { get(fp, p.a) } else { get(fp, p.b) };
    set(fp, p.dst, v);
    dispatch!(after::<SelectCmp>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn copy(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: Copy = operands(ip);
    set(fp, p.dst, get(fp, p.src));
    dispatch!(after::<Copy>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn copy2(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: Copy2 = operands(ip);
    set(fp, p.d1, get(fp, p.s1));
    set(fp, p.d2, get(fp, p.s2));
    dispatch!(after::<Copy2>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn constant(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: Const = operands(ip);
    set(fp, p.dst, p.value);
    dispatch!(after::<Const>(ip), fp, mem, len, ctx)
}

/// Trap if the store was interrupted (emitted at loop heads and function entries when the engine is
/// interruptible).
#[inline(never)]
pub(crate) unsafe fn check_interrupt(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    if (*ctx.interrupt).load(std::sync::atomic::Ordering::Relaxed) {
        return trap(ctx, TrapCode::Interrupted);
    }
    dispatch!(after::<()>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn unreachable(_ip: Ip, _fp: Fp, _mem: Mem, _len: usize, ctx: &mut Ctx) -> Exit {
    trap(ctx, TrapCode::Unreachable)
}

/// Pop the frame stack and continue in the caller (or stop at the host entry frame).
macro_rules! return_to_caller {
    ($mem:expr, $len:expr, $ctx:expr) => {{
        $ctx.frame_sp = $ctx.frame_sp.sub(1);
        let frame = *$ctx.frame_sp;
        if frame.ip.is_null() {
            return Exit::Return;
        }
        let (mut mem, mut len) = ($mem, $len);
        if frame.instance != $ctx.instance {
            $ctx.instance = frame.instance;
            (mem, len) = mem0(frame.instance);
        }
        dispatch!(frame.ip, frame.fp, mem, len, $ctx)
    }};
}

#[inline(never)]
pub(crate) unsafe fn return0(_ip: Ip, _fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    return_to_caller!(mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn return1(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: Return1 = operands(ip);
    set(fp, 0, get(fp, p.src));
    return_to_caller!(mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn return_imm(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: ReturnImm = operands(ip);
    set(fp, 0, p.value);
    return_to_caller!(mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn return_n(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: ReturnN = operands(ip);
    let srcs = after::<ReturnN>(ip).cast::<Slot>();
    for i in 0..p.len as usize {
        set(fp, i as u32, get(fp, srcs.add(i).read_unaligned()));
    }
    return_to_caller!(mem, len, ctx)
}
