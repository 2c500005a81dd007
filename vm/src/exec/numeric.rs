//! Numeric instructions: one generic handler per operand shape, instantiated for every instruction of
//! `ir::ops` (e.g. `binary_ss::<I32Add>`).

use super::{Activation, Exit, Fp, Ip, Mem, dispatch, get, next, set, trap};
use crate::ir::Slot;
use crate::ir::isa::*;
use crate::ir::ops::{BinaryOp, SlotValue, UnaryOp};

#[inline(always)]
unsafe fn finish<T: SlotValue>(
    r: Result<T, crate::error::TrapCode>,
    dst: Slot,
    fp: Fp,
    ip: Ip,
    ctx: &mut Activation,
) -> Result<(), Exit> {
    match r {
        Ok(v) => {
            set(fp, dst, v.to_slot());
            Ok(())
        }
        Err(code) => Err(trap(ctx, ip, code)),
    }
}

#[inline(always)]
pub(crate) unsafe fn binary_ss<Op: BinaryOp>(
    p: BinSS,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let a = Op::Lhs::from_slot(get(fp, p.a));
    let b = Op::Rhs::from_slot(get(fp, p.b));
    if let Err(e) = finish(Op::eval(a, b), p.dst, fp, ip, ctx) {
        return e;
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn binary_si<Op: BinaryOp>(
    p: BinSI,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let a = Op::Lhs::from_slot(get(fp, p.a));
    let b = Op::Rhs::from_slot(p.imm);
    if let Err(e) = finish(Op::eval(a, b), p.dst, fp, ip, ctx) {
        return e;
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn binary_is<Op: BinaryOp>(
    p: BinIS,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let a = Op::Lhs::from_slot(p.imm);
    let b = Op::Rhs::from_slot(get(fp, p.b));
    if let Err(e) = finish(Op::eval(a, b), p.dst, fp, ip, ctx) {
        return e;
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn unary<Op: UnaryOp>(p: Un, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    let a = Op::In::from_slot(get(fp, p.src));
    if let Err(e) = finish(Op::eval(a), p.dst, fp, ip, ctx) {
        return e;
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

/// `dst = a + (b << SHIFT)` (i32): an `i32.shl` by a constant fused into the `i32.add` that consumes it
/// (array indexing).
#[inline(always)]
pub(crate) unsafe fn add_shl<const SHIFT: u32>(
    p: BinSS,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let v = (get(fp, p.a) as u32).wrapping_add((get(fp, p.b) as u32) << SHIFT);
    set(fp, p.dst, v as u64);
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn bin2<Inner: BinaryOp, Outer: BinaryOp, const B_IMM: bool, const C_IMM: bool, const SWAP: bool>(
    p: Bin2,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let b = if B_IMM { p.b } else { get(fp, p.b as u32) };
    let inner = match Inner::eval(Inner::Lhs::from_slot(get(fp, p.a)), Inner::Rhs::from_slot(b)) {
        Ok(v) => v.to_slot(),
        Err(code) => return trap(ctx, ip, code),
    };
    let c = if C_IMM { p.c } else { get(fp, p.c as u32) };
    let r = if SWAP {
        Outer::eval(Outer::Lhs::from_slot(c), Outer::Rhs::from_slot(inner))
    } else {
        Outer::eval(Outer::Lhs::from_slot(inner), Outer::Rhs::from_slot(c))
    };
    if let Err(e) = finish(r, p.dst, fp, ip, ctx) {
        return e;
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}
