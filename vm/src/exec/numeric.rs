//! Numeric instructions: one generic handler per operand shape, instantiated for every instruction of
//! `ir::ops` (e.g. `binary_ss::<I32Add>`).

use super::{Ctx, Exit, Fp, Handler, Ip, Mem, after, dispatch, get, operands, set, trap};
use crate::ir::Slot;
use crate::ir::ops::{BinaryOp, BinaryVisitor, SlotValue, UnaryOp, UnaryVisitor};

/// `dst = a OP b`, both operands in slots.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct BinSS {
    pub dst: Slot,
    pub a: Slot,
    pub b: Slot,
}

/// `dst = a OP imm`.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct BinSI {
    pub dst: Slot,
    pub a: Slot,
    pub imm: u64,
}

/// `dst = imm OP b`.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct BinIS {
    pub dst: Slot,
    pub imm: u64,
    pub b: Slot,
}

/// `dst = OP src`.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct Un {
    pub dst: Slot,
    pub src: Slot,
}

#[inline(always)]
unsafe fn finish<T: SlotValue>(
    r: Result<T, crate::error::TrapCode>,
    dst: Slot,
    fp: Fp,
    ctx: &mut Ctx,
) -> Result<(), Exit> {
    match r {
        Ok(v) => {
            set(fp, dst, v.to_slot());
            Ok(())
        }
        Err(code) => Err(trap(ctx, code)),
    }
}

#[inline(never)]
pub(crate) unsafe fn binary_ss<Op: BinaryOp>(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: BinSS = operands(ip);
    let a = Op::Lhs::from_slot(get(fp, p.a));
    let b = Op::Rhs::from_slot(get(fp, p.b));
    if let Err(e) = finish(Op::eval(a, b), p.dst, fp, ctx) {
        return e;
    }
    dispatch!(after::<BinSS>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn binary_si<Op: BinaryOp>(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: BinSI = operands(ip);
    let a = Op::Lhs::from_slot(get(fp, p.a));
    let b = Op::Rhs::from_slot(p.imm);
    if let Err(e) = finish(Op::eval(a, b), p.dst, fp, ctx) {
        return e;
    }
    dispatch!(after::<BinSI>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn binary_is<Op: BinaryOp>(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: BinIS = operands(ip);
    let a = Op::Lhs::from_slot(p.imm);
    let b = Op::Rhs::from_slot(get(fp, p.b));
    if let Err(e) = finish(Op::eval(a, b), p.dst, fp, ctx) {
        return e;
    }
    dispatch!(after::<BinIS>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn unary<Op: UnaryOp>(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: Un = operands(ip);
    let a = Op::In::from_slot(get(fp, p.src));
    if let Err(e) = finish(Op::eval(a), p.dst, fp, ctx) {
        return e;
    }
    dispatch!(after::<Un>(ip), fp, mem, len, ctx)
}

/// `dst = a + (b << SHIFT)` (i32): an `i32.shl` by a constant fused into the `i32.add` that consumes it
/// (array indexing).
#[inline(never)]
pub(crate) unsafe fn add_shl<const SHIFT: u32>(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: BinSS = operands(ip);
    let v = (get(fp, p.a) as u32).wrapping_add((get(fp, p.b) as u32) << SHIFT);
    set(fp, p.dst, v as u64);
    dispatch!(after::<BinSS>(ip), fp, mem, len, ctx)
}

/// `add_shl` by shift amount (1..=3; index 0 unused).
pub(crate) const ADD_SHL: [Handler; 4] = [add_shl::<0>, add_shl::<1>, add_shl::<2>, add_shl::<3>];

/// `dst = (a INNER b) OUTER c` (or `c OUTER (a INNER b)` when `SWAP`): two integer operations where the
/// second consumes the first's result, in one instruction. `b` and `c` are slot indices, or immediates when
/// `B_IMM` / `C_IMM`.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct Bin2 {
    pub dst: Slot,
    pub a: Slot,
    pub b: u64,
    pub c: u64,
}

#[inline(never)]
pub(crate) unsafe fn bin2<Inner: BinaryOp, Outer: BinaryOp, const B_IMM: bool, const C_IMM: bool, const SWAP: bool>(
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Ctx,
) -> Exit {
    let p: Bin2 = operands(ip);
    let b = if B_IMM { p.b } else { get(fp, p.b as u32) };
    let inner = match Inner::eval(Inner::Lhs::from_slot(get(fp, p.a)), Inner::Rhs::from_slot(b)) {
        Ok(v) => v.to_slot(),
        Err(code) => return trap(ctx, code),
    };
    let c = if C_IMM { p.c } else { get(fp, p.c as u32) };
    let r = if SWAP {
        Outer::eval(Outer::Lhs::from_slot(c), Outer::Rhs::from_slot(inner))
    } else {
        Outer::eval(Outer::Lhs::from_slot(inner), Outer::Rhs::from_slot(c))
    };
    if let Err(e) = finish(r, p.dst, fp, ctx) {
        return e;
    }
    dispatch!(after::<Bin2>(ip), fp, mem, len, ctx)
}

/// The handlers of a fused pair, by `[b immediate?][c immediate?][swap?]`.
pub(crate) type Bin2Handlers = [[[Handler; 2]; 2]; 2];

/// Instantiates `bin2` for an inner operation, then (through [`GetBin2Outer`]) for the outer one.
pub(crate) struct GetBin2(pub crate::ir::ops::OuterOp);
impl BinaryVisitor for GetBin2 {
    type Output = Bin2Handlers;
    fn visit<Inner: BinaryOp + 'static>(self) -> Bin2Handlers {
        self.0.with(GetBin2Outer::<Inner>(std::marker::PhantomData))
    }
}

pub(crate) struct GetBin2Outer<Inner>(std::marker::PhantomData<Inner>);
impl<Inner: BinaryOp + 'static> BinaryVisitor for GetBin2Outer<Inner> {
    type Output = Bin2Handlers;
    fn visit<Outer: BinaryOp + 'static>(self) -> Bin2Handlers {
        [
            [
                [bin2::<Inner, Outer, false, false, false>, bin2::<Inner, Outer, false, false, true>],
                [bin2::<Inner, Outer, false, true, false>, bin2::<Inner, Outer, false, true, true>],
            ],
            [
                [bin2::<Inner, Outer, true, false, false>, bin2::<Inner, Outer, true, false, true>],
                [bin2::<Inner, Outer, true, true, false>, bin2::<Inner, Outer, true, true, true>],
            ],
        ]
    }
}

/// The handlers of one binary instruction, by operand shape.
#[derive(Clone, Copy)]
pub(crate) struct BinaryHandlers {
    pub ss: Handler,
    pub si: Handler,
    pub is: Handler,
}

pub(crate) struct GetBinary;
impl BinaryVisitor for GetBinary {
    type Output = BinaryHandlers;
    fn visit<Op: BinaryOp + 'static>(self) -> BinaryHandlers {
        BinaryHandlers { ss: binary_ss::<Op>, si: binary_si::<Op>, is: binary_is::<Op> }
    }
}

pub(crate) struct GetUnary;
impl UnaryVisitor for GetUnary {
    type Output = Handler;
    fn visit<Op: UnaryOp + 'static>(self) -> Handler {
        unary::<Op>
    }
}
