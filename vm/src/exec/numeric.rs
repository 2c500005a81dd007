//! Numeric instructions: one generic handler per operand shape, instantiated for every instruction of
//! `ir::ops` (e.g. `binary_ss::<I32Add>`).

use super::{Activation, Exit, Fp, Ip, Mem, dispatch, get, next, set, trap};
use crate::ir::Slot;
use crate::ir::isa::*;
use crate::ir::ops::{BinaryOp, SlotValue, UnaryOp};

/// Finish an instruction with result `r`: into `fp[dst]` and the accumulator, or only into the accumulator
/// (`ACC_OUT`); a trap if `r` is one.
macro_rules! result {
    ($r:expr, $p:ident, $ip:ident, $fp:ident, $mem:ident, $len:ident, $ctx:ident, $acc_out:expr) => {
        match $r {
            Ok(v) => {
                let v = SlotValue::to_slot(v);
                if $acc_out {
                    dispatch!(next(&$p, $ip), $fp, $mem, $len, $ctx; v)
                }
                set($fp, $p.dst, v);
                dispatch!(next(&$p, $ip), $fp, $mem, $len, $ctx; v)
            }
            Err(code) => trap($ctx, $ip, code),
        }
    };
}

/// `dst = a OP b`; `ACC_IN` 1 or 2: `a` or `b` is the accumulator instead of its slot.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) unsafe fn binary_ss<Op: BinaryOp, const ACC_IN: u8, const ACC_OUT: bool>(
    p: BinSS,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
    acc: u64,
) -> Exit {
    let a = Op::Lhs::from_slot(if ACC_IN == 1 { acc } else { get(fp, p.a) });
    let b = Op::Rhs::from_slot(if ACC_IN == 2 { acc } else { get(fp, p.b) });
    result!(Op::eval(a, b), p, ip, fp, mem, len, ctx, ACC_OUT)
}

/// `dst = a OP imm`; `ACC_IN`: `a` is the accumulator.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) unsafe fn binary_si<Op: BinaryOp, const ACC_IN: bool, const ACC_OUT: bool>(
    p: BinSI,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
    acc: u64,
) -> Exit {
    let a = Op::Lhs::from_slot(if ACC_IN { acc } else { get(fp, p.a) });
    let b = Op::Rhs::from_slot(p.imm);
    result!(Op::eval(a, b), p, ip, fp, mem, len, ctx, ACC_OUT)
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
    result!(Op::eval(a, b), p, ip, fp, mem, len, ctx, false)
}

/// `dst = OP src`; `ACC_IN`: `src` is the accumulator.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) unsafe fn unary<Op: UnaryOp, const ACC_IN: bool, const ACC_OUT: bool>(
    p: Un,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
    acc: u64,
) -> Exit {
    let a = Op::In::from_slot(if ACC_IN { acc } else { get(fp, p.src) });
    result!(Op::eval(a), p, ip, fp, mem, len, ctx, ACC_OUT)
}

/// `dst = a + (b << SHIFT)` (i32): an `i32.shl` by a constant fused into the `i32.add` that consumes it
/// (array indexing); `ACC_IN`: `a` (1) or `b` (2) is the accumulator.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) unsafe fn add_shl<const SHIFT: u32, const ACC_IN: u8>(
    p: BinSS,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
    acc: u64,
) -> Exit {
    let v = super::memory::scaled_acc::<SHIFT>(fp, p.a, p.b, acc, ACC_IN) as u32 as u64;
    set(fp, p.dst, v);
    dispatch!(next(&p, ip), fp, mem, len, ctx; v)
}

/// `dst1 = a1 + imm1; dst = a + imm` (i32), in that order; `ACC_IN`: `a1` is the accumulator. The second
/// result is handed over.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) unsafe fn add2<const ACC_IN: bool>(
    p: Add2,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
    acc: u64,
) -> Exit {
    let a1 = if ACC_IN { acc } else { get(fp, p.a1) };
    set(fp, p.dst1, (a1 as u32).wrapping_add(p.imm1) as u64);
    let v = (get(fp, p.a) as u32).wrapping_add(p.imm) as u64;
    set(fp, p.dst, v);
    dispatch!(next(&p, ip), fp, mem, len, ctx; v)
}

/// `dst = a + imm` in i32, for the chains of additions below.
#[inline(always)]
unsafe fn add_imm(fp: Fp, dst: Slot, a: Slot, imm: u32) -> u64 {
    let v = (get(fp, a) as u32).wrapping_add(imm) as u64;
    set(fp, dst, v);
    v
}

#[inline(always)]
pub(crate) unsafe fn add3(p: Add3, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    add_imm(fp, p.dst2, p.a2, p.imm2);
    add_imm(fp, p.dst1, p.a1, p.imm1);
    let v = add_imm(fp, p.dst, p.a, p.imm);
    dispatch!(next(&p, ip), fp, mem, len, ctx; v)
}

#[inline(always)]
pub(crate) unsafe fn add2_br<const WHEN: bool>(
    p: Add2Br,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    add_imm(fp, p.dst1, p.a1, p.imm1);
    let v = add_imm(fp, p.dst, p.a, p.imm);
    super::control::branch!((v != 0) == WHEN, ip.offset(p.offset as isize), next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn add3_br<const WHEN: bool>(
    p: Add3Br,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    add_imm(fp, p.dst2, p.a2, p.imm2);
    add_imm(fp, p.dst1, p.a1, p.imm1);
    let v = add_imm(fp, p.dst, p.a, p.imm);
    super::control::branch!((v != 0) == WHEN, ip.offset(p.offset as isize), next(&p, ip), fp, mem, len, ctx)
}

/// `(a + k) & !a` (i32): with `k = -0x01010101`, its bits `0x80808080` mark the zero bytes of `a` (the
/// lowest exactly; a byte above a zero one may be marked too).
#[inline(always)]
pub(crate) fn zero_bytes(a: u32, k: u32) -> u32 {
    a.wrapping_add(k) & !a
}

/// `dst = (a + k) & !a & m` (i32), the zero-byte test, or (`NOT`) `!((a + k) & !a) & m`; the result is
/// handed over in the accumulator too.
#[inline(always)]
pub(crate) unsafe fn zero_byte<const NOT: bool>(
    p: ZeroByte,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let z = zero_bytes(get(fp, p.a) as u32, p.k);
    let v = (if NOT { !z } else { z } & p.m) as u64;
    set(fp, p.dst, v);
    dispatch!(next(&p, ip), fp, mem, len, ctx; v)
}

/// `dst = (a INNER b) OUTER c`; `ACC_IN`: `a` is the accumulator.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) unsafe fn bin2<
    Inner: BinaryOp,
    Outer: BinaryOp,
    const B_IMM: bool,
    const C_IMM: bool,
    const ACC_IN: bool,
>(
    p: Bin2,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
    acc: u64,
) -> Exit {
    let a = if ACC_IN { acc } else { get(fp, p.a) };
    let b = if B_IMM { p.b } else { get(fp, p.b as u32) };
    let inner = match Inner::eval(Inner::Lhs::from_slot(a), Inner::Rhs::from_slot(b)) {
        Ok(v) => v.to_slot(),
        Err(code) => return trap(ctx, ip, code),
    };
    let c = if C_IMM { p.c } else { get(fp, p.c as u32) };
    result!(Outer::eval(Outer::Lhs::from_slot(inner), Outer::Rhs::from_slot(c)), p, ip, fp, mem, len, ctx, false)
}

/// The wide-arithmetic proposal: 128-bit sums and differences of (low, high) i64 pairs, and the full
/// 128-bit product of two i64s. All operands are read before the two results are written (a result slot
/// may be an operand's).
macro_rules! wide {
    ($( $(#[$doc:meta])* $name:ident ($P:ident) |$p:ident, $fp:ident| $value:expr; )*) => {$(
        $(#[$doc])*
        #[inline(always)]
        pub(crate) unsafe fn $name($p: $P, ip: Ip, $fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
            let v: u128 = $value;
            set($fp, $p.dst, v as u64);
            set($fp, $p.dst + 1, (v >> 64) as u64);
            dispatch!(next(&$p, ip), $fp, mem, len, ctx)
        }
    )*};
}

/// A (low, high) pair of slots as one 128-bit value.
#[inline(always)]
unsafe fn pair(fp: Fp, lo: Slot, hi: Slot) -> u128 {
    get(fp, lo) as u128 | (get(fp, hi) as u128) << 64
}

wide! {
    /// `i64.add128`: wrapping 128-bit addition.
    i64_add128 (Wide128) |p, fp| pair(fp, p.a_lo, p.a_hi).wrapping_add(pair(fp, p.b_lo, p.b_hi));
    /// `i64.sub128`: wrapping 128-bit subtraction.
    i64_sub128 (Wide128) |p, fp| pair(fp, p.a_lo, p.a_hi).wrapping_sub(pair(fp, p.b_lo, p.b_hi));
    /// `i64.mul_wide_s`: the signed 128-bit product.
    i64_mul_wide_s (BinSS) |p, fp| (get(fp, p.a) as i64 as i128 * get(fp, p.b) as i64 as i128) as u128;
    /// `i64.mul_wide_u`: the unsigned 128-bit product.
    i64_mul_wide_u (BinSS) |p, fp| get(fp, p.a) as u128 * get(fp, p.b) as u128;
}
