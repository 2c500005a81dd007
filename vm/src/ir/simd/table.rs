//! The table: every SIMD instruction, one row each, grouped by family (see the parent module's docs).

use super::*;
use crate::ir::ops::{fmax32, fmax64, fmin32, fmin64, round_nan_quiet32, round_nan_quiet64};

simd_family! {
    /// An instruction `a -> r` on vectors: bitwise not, lane-wise integer and float unary operations,
    /// conversions, extensions and pairwise additions.
    trait V128Unary, SimdUnaryVisitor, SimdUnOp;
    fn eval(a: V128) -> V128; fold(self, a: V128); call(a); from plain;
    {
        V128Not => !a;
        I8x16Abs => lanewise!(i8: a => |x| x.wrapping_abs());
        I8x16Neg => lanewise!(i8: a => |x| x.wrapping_neg());
        I8x16Popcnt => lanewise!(u8: a => |x| x.count_ones() as u8);
        I16x8Abs => lanewise!(i16: a => |x| x.wrapping_abs());
        I16x8Neg => lanewise!(i16: a => |x| x.wrapping_neg());
        I32x4Abs => lanewise!(i32: a => |x| x.wrapping_abs());
        I32x4Neg => lanewise!(i32: a => |x| x.wrapping_neg());
        I64x2Abs => lanewise!(i64: a => |x| x.wrapping_abs());
        I64x2Neg => lanewise!(i64: a => |x| x.wrapping_neg());
        F32x4Ceil => lanewise!(f32: a => |x| round_nan_quiet32(x, f32::ceil));
        F32x4Floor => lanewise!(f32: a => |x| round_nan_quiet32(x, f32::floor));
        F32x4Trunc => lanewise!(f32: a => |x| round_nan_quiet32(x, f32::trunc));
        F32x4Nearest => lanewise!(f32: a => |x| round_nan_quiet32(x, f32::round_ties_even));
        F32x4Abs => lanewise!(f32: a => |x| x.abs());
        F32x4Neg => lanewise!(f32: a => |x| -x);
        F32x4Sqrt => lanewise!(f32: a => |x| x.sqrt());
        F64x2Ceil => lanewise!(f64: a => |x| round_nan_quiet64(x, f64::ceil));
        F64x2Floor => lanewise!(f64: a => |x| round_nan_quiet64(x, f64::floor));
        F64x2Trunc => lanewise!(f64: a => |x| round_nan_quiet64(x, f64::trunc));
        F64x2Nearest => lanewise!(f64: a => |x| round_nan_quiet64(x, f64::round_ties_even));
        F64x2Abs => lanewise!(f64: a => |x| x.abs());
        F64x2Neg => lanewise!(f64: a => |x| -x);
        F64x2Sqrt => lanewise!(f64: a => |x| x.sqrt());
        I16x8ExtendLowI8x16S => extend::<i8, i16, 16, 8>(a, 0, |x| x as i16);
        I16x8ExtendHighI8x16S => extend::<i8, i16, 16, 8>(a, 8, |x| x as i16);
        I16x8ExtendLowI8x16U => extend::<u8, u16, 16, 8>(a, 0, |x| x as u16);
        I16x8ExtendHighI8x16U => extend::<u8, u16, 16, 8>(a, 8, |x| x as u16);
        I32x4ExtendLowI16x8S => extend::<i16, i32, 8, 4>(a, 0, |x| x as i32);
        I32x4ExtendHighI16x8S => extend::<i16, i32, 8, 4>(a, 4, |x| x as i32);
        I32x4ExtendLowI16x8U => extend::<u16, u32, 8, 4>(a, 0, |x| x as u32);
        I32x4ExtendHighI16x8U => extend::<u16, u32, 8, 4>(a, 4, |x| x as u32);
        I64x2ExtendLowI32x4S => extend::<i32, i64, 4, 2>(a, 0, |x| x as i64);
        I64x2ExtendHighI32x4S => extend::<i32, i64, 4, 2>(a, 2, |x| x as i64);
        I64x2ExtendLowI32x4U => extend::<u32, u64, 4, 2>(a, 0, |x| x as u64);
        I64x2ExtendHighI32x4U => extend::<u32, u64, 4, 2>(a, 2, |x| x as u64);
        I16x8ExtAddPairwiseI8x16S => pairwise::<i8, i16, 16, 8>(a, |x, y| x as i16 + y as i16);
        I16x8ExtAddPairwiseI8x16U => pairwise::<u8, u16, 16, 8>(a, |x, y| x as u16 + y as u16);
        I32x4ExtAddPairwiseI16x8S => pairwise::<i16, i32, 8, 4>(a, |x, y| x as i32 + y as i32);
        I32x4ExtAddPairwiseI16x8U => pairwise::<u16, u32, 8, 4>(a, |x, y| x as u32 + y as u32);
        // `as` from float to integer saturates and maps NaN to 0: exactly `trunc_sat`.
        I32x4TruncSatF32x4S => lanewise!(f32 -> i32: a => |x| x as i32);
        I32x4TruncSatF32x4U => lanewise!(f32 -> u32: a => |x| x as u32);
        F32x4ConvertI32x4S => lanewise!(i32 -> f32: a => |x| x as f32);
        F32x4ConvertI32x4U => lanewise!(u32 -> f32: a => |x| x as f32);
        I32x4TruncSatF64x2SZero => low_zero::<f64, i32, 2, 4>(a, |x| x as i32);
        I32x4TruncSatF64x2UZero => low_zero::<f64, u32, 2, 4>(a, |x| x as u32);
        F64x2ConvertLowI32x4S => extend::<i32, f64, 4, 2>(a, 0, |x| x as f64);
        F64x2ConvertLowI32x4U => extend::<u32, f64, 4, 2>(a, 0, |x| x as f64);
        F32x4DemoteF64x2Zero => low_zero::<f64, f32, 2, 4>(a, demote);
        F64x2PromoteLowF32x4 => extend::<f32, f64, 4, 2>(a, 0, promote);
        // Relaxed: the saturating truncations.
        I32x4RelaxedTruncF32x4S => I32x4TruncSatF32x4S::eval(a);
        I32x4RelaxedTruncF32x4U => I32x4TruncSatF32x4U::eval(a);
        I32x4RelaxedTruncF64x2SZero => I32x4TruncSatF64x2SZero::eval(a);
        I32x4RelaxedTruncF64x2UZero => I32x4TruncSatF64x2UZero::eval(a);
    }
}

simd_family! {
    /// An instruction `(a, b) -> r` on vectors: bitwise and lane-wise arithmetic, comparisons (all-ones or
    /// all-zeros lanes), narrowing, extended multiplication, dot products and swizzles.
    trait V128Binary, SimdBinaryVisitor, SimdBinOp;
    fn eval(a: V128, b: V128) -> V128; fold(self, a: V128, b: V128); call(a, b); from plain;
    {
        V128And => a & b;
        V128AndNot => a & !b;
        V128Or => a | b;
        V128Xor => a ^ b;

        I8x16Add => lanewise!(i8: a, b => |x, y| x.wrapping_add(y));
        I8x16AddSatS => lanewise!(i8: a, b => |x, y| x.saturating_add(y));
        I8x16AddSatU => lanewise!(u8: a, b => |x, y| x.saturating_add(y));
        I8x16Sub => lanewise!(i8: a, b => |x, y| x.wrapping_sub(y));
        I8x16SubSatS => lanewise!(i8: a, b => |x, y| x.saturating_sub(y));
        I8x16SubSatU => lanewise!(u8: a, b => |x, y| x.saturating_sub(y));
        I8x16MinS => lanewise!(i8: a, b => |x, y| x.min(y));
        I8x16MinU => lanewise!(u8: a, b => |x, y| x.min(y));
        I8x16MaxS => lanewise!(i8: a, b => |x, y| x.max(y));
        I8x16MaxU => lanewise!(u8: a, b => |x, y| x.max(y));
        I8x16AvgrU => lanewise!(u8: a, b => |x, y| ((x as u16 + y as u16 + 1) >> 1) as u8);

        I16x8Add => lanewise!(i16: a, b => |x, y| x.wrapping_add(y));
        I16x8AddSatS => lanewise!(i16: a, b => |x, y| x.saturating_add(y));
        I16x8AddSatU => lanewise!(u16: a, b => |x, y| x.saturating_add(y));
        I16x8Sub => lanewise!(i16: a, b => |x, y| x.wrapping_sub(y));
        I16x8SubSatS => lanewise!(i16: a, b => |x, y| x.saturating_sub(y));
        I16x8SubSatU => lanewise!(u16: a, b => |x, y| x.saturating_sub(y));
        I16x8Mul => lanewise!(i16: a, b => |x, y| x.wrapping_mul(y));
        I16x8MinS => lanewise!(i16: a, b => |x, y| x.min(y));
        I16x8MinU => lanewise!(u16: a, b => |x, y| x.min(y));
        I16x8MaxS => lanewise!(i16: a, b => |x, y| x.max(y));
        I16x8MaxU => lanewise!(u16: a, b => |x, y| x.max(y));
        I16x8AvgrU => lanewise!(u16: a, b => |x, y| ((x as u32 + y as u32 + 1) >> 1) as u16);
        I16x8Q15MulrSatS => lanewise!(i16: a, b => |x, y| q15mulr(x, y));

        I32x4Add => lanewise!(i32: a, b => |x, y| x.wrapping_add(y));
        I32x4Sub => lanewise!(i32: a, b => |x, y| x.wrapping_sub(y));
        I32x4Mul => lanewise!(i32: a, b => |x, y| x.wrapping_mul(y));
        I32x4MinS => lanewise!(i32: a, b => |x, y| x.min(y));
        I32x4MinU => lanewise!(u32: a, b => |x, y| x.min(y));
        I32x4MaxS => lanewise!(i32: a, b => |x, y| x.max(y));
        I32x4MaxU => lanewise!(u32: a, b => |x, y| x.max(y));
        I32x4DotI16x8S => pairwise2::<i16, i32, 8, 4>(a, b, |a0, a1, b0, b1| {
            (a0 as i32 * b0 as i32).wrapping_add(a1 as i32 * b1 as i32)
        });

        I64x2Add => lanewise!(i64: a, b => |x, y| x.wrapping_add(y));
        I64x2Sub => lanewise!(i64: a, b => |x, y| x.wrapping_sub(y));
        I64x2Mul => lanewise!(i64: a, b => |x, y| x.wrapping_mul(y));

        I8x16Eq => lanewise!(i8: a, b => |x, y| mask(x == y));
        I8x16Ne => lanewise!(i8: a, b => |x, y| mask(x != y));
        I8x16LtS => lanewise!(i8: a, b => |x, y| mask(x < y));
        I8x16LtU => lanewise!(u8: a, b => |x, y| mask(x < y));
        I8x16GtS => lanewise!(i8: a, b => |x, y| mask(x > y));
        I8x16GtU => lanewise!(u8: a, b => |x, y| mask(x > y));
        I8x16LeS => lanewise!(i8: a, b => |x, y| mask(x <= y));
        I8x16LeU => lanewise!(u8: a, b => |x, y| mask(x <= y));
        I8x16GeS => lanewise!(i8: a, b => |x, y| mask(x >= y));
        I8x16GeU => lanewise!(u8: a, b => |x, y| mask(x >= y));
        I16x8Eq => lanewise!(i16: a, b => |x, y| mask(x == y));
        I16x8Ne => lanewise!(i16: a, b => |x, y| mask(x != y));
        I16x8LtS => lanewise!(i16: a, b => |x, y| mask(x < y));
        I16x8LtU => lanewise!(u16: a, b => |x, y| mask(x < y));
        I16x8GtS => lanewise!(i16: a, b => |x, y| mask(x > y));
        I16x8GtU => lanewise!(u16: a, b => |x, y| mask(x > y));
        I16x8LeS => lanewise!(i16: a, b => |x, y| mask(x <= y));
        I16x8LeU => lanewise!(u16: a, b => |x, y| mask(x <= y));
        I16x8GeS => lanewise!(i16: a, b => |x, y| mask(x >= y));
        I16x8GeU => lanewise!(u16: a, b => |x, y| mask(x >= y));
        I32x4Eq => lanewise!(i32: a, b => |x, y| mask(x == y));
        I32x4Ne => lanewise!(i32: a, b => |x, y| mask(x != y));
        I32x4LtS => lanewise!(i32: a, b => |x, y| mask(x < y));
        I32x4LtU => lanewise!(u32: a, b => |x, y| mask(x < y));
        I32x4GtS => lanewise!(i32: a, b => |x, y| mask(x > y));
        I32x4GtU => lanewise!(u32: a, b => |x, y| mask(x > y));
        I32x4LeS => lanewise!(i32: a, b => |x, y| mask(x <= y));
        I32x4LeU => lanewise!(u32: a, b => |x, y| mask(x <= y));
        I32x4GeS => lanewise!(i32: a, b => |x, y| mask(x >= y));
        I32x4GeU => lanewise!(u32: a, b => |x, y| mask(x >= y));
        I64x2Eq => lanewise!(i64: a, b => |x, y| mask(x == y));
        I64x2Ne => lanewise!(i64: a, b => |x, y| mask(x != y));
        I64x2LtS => lanewise!(i64: a, b => |x, y| mask(x < y));
        I64x2GtS => lanewise!(i64: a, b => |x, y| mask(x > y));
        I64x2LeS => lanewise!(i64: a, b => |x, y| mask(x <= y));
        I64x2GeS => lanewise!(i64: a, b => |x, y| mask(x >= y));
        F32x4Eq => lanewise!(f32 -> u32: a, b => |x, y| mask(x == y));
        F32x4Ne => lanewise!(f32 -> u32: a, b => |x, y| mask(x != y));
        F32x4Lt => lanewise!(f32 -> u32: a, b => |x, y| mask(x < y));
        F32x4Gt => lanewise!(f32 -> u32: a, b => |x, y| mask(x > y));
        F32x4Le => lanewise!(f32 -> u32: a, b => |x, y| mask(x <= y));
        F32x4Ge => lanewise!(f32 -> u32: a, b => |x, y| mask(x >= y));
        F64x2Eq => lanewise!(f64 -> u64: a, b => |x, y| mask(x == y));
        F64x2Ne => lanewise!(f64 -> u64: a, b => |x, y| mask(x != y));
        F64x2Lt => lanewise!(f64 -> u64: a, b => |x, y| mask(x < y));
        F64x2Gt => lanewise!(f64 -> u64: a, b => |x, y| mask(x > y));
        F64x2Le => lanewise!(f64 -> u64: a, b => |x, y| mask(x <= y));
        F64x2Ge => lanewise!(f64 -> u64: a, b => |x, y| mask(x >= y));

        I8x16Swizzle => swizzle(a, b);
        I8x16NarrowI16x8S => narrow::<i16, i8, 8, 16>(a, b, |x| x.clamp(i8::MIN as i16, i8::MAX as i16) as i8);
        I8x16NarrowI16x8U => narrow::<i16, u8, 8, 16>(a, b, |x| x.clamp(0, u8::MAX as i16) as u8);
        I16x8NarrowI32x4S => narrow::<i32, i16, 4, 8>(a, b, |x| x.clamp(i16::MIN as i32, i16::MAX as i32) as i16);
        I16x8NarrowI32x4U => narrow::<i32, u16, 4, 8>(a, b, |x| x.clamp(0, u16::MAX as i32) as u16);

        I16x8ExtMulLowI8x16S => extend2::<i8, i16, 16, 8>(a, b, 0, |x, y| x as i16 * y as i16);
        I16x8ExtMulHighI8x16S => extend2::<i8, i16, 16, 8>(a, b, 8, |x, y| x as i16 * y as i16);
        I16x8ExtMulLowI8x16U => extend2::<u8, u16, 16, 8>(a, b, 0, |x, y| x as u16 * y as u16);
        I16x8ExtMulHighI8x16U => extend2::<u8, u16, 16, 8>(a, b, 8, |x, y| x as u16 * y as u16);
        I32x4ExtMulLowI16x8S => extend2::<i16, i32, 8, 4>(a, b, 0, |x, y| x as i32 * y as i32);
        I32x4ExtMulHighI16x8S => extend2::<i16, i32, 8, 4>(a, b, 4, |x, y| x as i32 * y as i32);
        I32x4ExtMulLowI16x8U => extend2::<u16, u32, 8, 4>(a, b, 0, |x, y| x as u32 * y as u32);
        I32x4ExtMulHighI16x8U => extend2::<u16, u32, 8, 4>(a, b, 4, |x, y| x as u32 * y as u32);
        I64x2ExtMulLowI32x4S => extend2::<i32, i64, 4, 2>(a, b, 0, |x, y| x as i64 * y as i64);
        I64x2ExtMulHighI32x4S => extend2::<i32, i64, 4, 2>(a, b, 2, |x, y| x as i64 * y as i64);
        I64x2ExtMulLowI32x4U => extend2::<u32, u64, 4, 2>(a, b, 0, |x, y| x as u64 * y as u64);
        I64x2ExtMulHighI32x4U => extend2::<u32, u64, 4, 2>(a, b, 2, |x, y| x as u64 * y as u64);

        F32x4Add => lanewise!(f32: a, b => |x, y| x + y);
        F32x4Sub => lanewise!(f32: a, b => |x, y| x - y);
        F32x4Mul => lanewise!(f32: a, b => |x, y| x * y);
        F32x4Div => lanewise!(f32: a, b => |x, y| x / y);
        F32x4Min => lanewise!(f32: a, b => |x, y| fmin32(x, y));
        F32x4Max => lanewise!(f32: a, b => |x, y| fmax32(x, y));
        F32x4PMin => lanewise!(f32: a, b => |x, y| if y < x { y } else { x });
        F32x4PMax => lanewise!(f32: a, b => |x, y| if x < y { y } else { x });
        F64x2Add => lanewise!(f64: a, b => |x, y| x + y);
        F64x2Sub => lanewise!(f64: a, b => |x, y| x - y);
        F64x2Mul => lanewise!(f64: a, b => |x, y| x * y);
        F64x2Div => lanewise!(f64: a, b => |x, y| x / y);
        F64x2Min => lanewise!(f64: a, b => |x, y| fmin64(x, y));
        F64x2Max => lanewise!(f64: a, b => |x, y| fmax64(x, y));
        F64x2PMin => lanewise!(f64: a, b => |x, y| if y < x { y } else { x });
        F64x2PMax => lanewise!(f64: a, b => |x, y| if x < y { y } else { x });

        // Relaxed: the non-relaxed counterparts; the dot product multiplies signed bytes.
        I8x16RelaxedSwizzle => I8x16Swizzle::eval(a, b);
        F32x4RelaxedMin => F32x4Min::eval(a, b);
        F32x4RelaxedMax => F32x4Max::eval(a, b);
        F64x2RelaxedMin => F64x2Min::eval(a, b);
        F64x2RelaxedMax => F64x2Max::eval(a, b);
        I16x8RelaxedQ15mulrS => I16x8Q15MulrSatS::eval(a, b);
        I16x8RelaxedDotI8x16I7x16S => pairwise2::<i8, i16, 16, 8>(a, b, |a0, a1, b0, b1| {
            (a0 as i16 * b0 as i16).wrapping_add(a1 as i16 * b1 as i16)
        });
    }
}

/// `q15mulr_sat`: the rounded, saturated Q15 product `sat((a*b + 0x4000) >> 15)`.
#[inline(always)]
fn q15mulr(x: i16, y: i16) -> i16 {
    ((x as i32 * y as i32 + 0x4000) >> 15).clamp(i16::MIN as i32, i16::MAX as i32) as i16
}

simd_family! {
    /// An instruction `(a, b, c) -> r` on vectors: bit selection, relaxed multiply-add, lane selection and
    /// the accumulating dot product.
    trait V128Ternary, SimdTernaryVisitor, SimdTernOp;
    fn eval(a: V128, b: V128, c: V128) -> V128; fold(self, a: V128, b: V128, c: V128); call(a, b, c); from plain;
    {
        // Bits of `a` where the mask `c` is 1, of `b` where it is 0.
        V128Bitselect => (a & c) | (b & !c);
        // Relaxed: unfused (two roundings; Rust never contracts `x * y + z` into a fused multiply-add).
        F32x4RelaxedMadd => lanewise!(f32: a, b, c => |x, y, z| x * y + z);
        F32x4RelaxedNmadd => lanewise!(f32: a, b, c => |x, y, z| -(x * y) + z);
        F64x2RelaxedMadd => lanewise!(f64: a, b, c => |x, y, z| x * y + z);
        F64x2RelaxedNmadd => lanewise!(f64: a, b, c => |x, y, z| -(x * y) + z);
        // Relaxed: bitselect.
        I8x16RelaxedLaneselect => V128Bitselect::eval(a, b, c);
        I16x8RelaxedLaneselect => V128Bitselect::eval(a, b, c);
        I32x4RelaxedLaneselect => V128Bitselect::eval(a, b, c);
        I64x2RelaxedLaneselect => V128Bitselect::eval(a, b, c);
        // Relaxed: signed bytes, four products and the accumulator summed in wrapping i32 arithmetic.
        I32x4RelaxedDotI8x16I7x16AddS => {
            let (x, y, acc) = (lanes::<i8, 16>(a), lanes::<i8, 16>(b), lanes::<i32, 4>(c));
            unlanes::<i32, 4>(std::array::from_fn(|i| {
                (0..4).fold(acc[i], |s, j| s.wrapping_add(x[4 * i + j] as i32 * y[4 * i + j] as i32))
            }))
        };
    }
}

simd_family! {
    /// A shift of every lane by `s` modulo the lane width (`wrapping_shl`/`wrapping_shr` mask the count).
    trait V128Shift, SimdShiftVisitor, SimdShiftOp;
    fn eval(a: V128, s: u32) -> V128; fold(self, a: V128, s: u32); call(a, s); from plain;
    {
        I8x16Shl => lanewise!(i8: a => |x| x.wrapping_shl(s));
        I8x16ShrS => lanewise!(i8: a => |x| x.wrapping_shr(s));
        I8x16ShrU => lanewise!(u8: a => |x| x.wrapping_shr(s));
        I16x8Shl => lanewise!(i16: a => |x| x.wrapping_shl(s));
        I16x8ShrS => lanewise!(i16: a => |x| x.wrapping_shr(s));
        I16x8ShrU => lanewise!(u16: a => |x| x.wrapping_shr(s));
        I32x4Shl => lanewise!(i32: a => |x| x.wrapping_shl(s));
        I32x4ShrS => lanewise!(i32: a => |x| x.wrapping_shr(s));
        I32x4ShrU => lanewise!(u32: a => |x| x.wrapping_shr(s));
        I64x2Shl => lanewise!(i64: a => |x| x.wrapping_shl(s));
        I64x2ShrS => lanewise!(i64: a => |x| x.wrapping_shr(s));
        I64x2ShrU => lanewise!(u64: a => |x| x.wrapping_shr(s));
    }
}

simd_family! {
    /// A vector test with an i32 result: any lane / all lanes non-zero, and the lanes' sign bits.
    trait V128Test, SimdTestVisitor, SimdTestOp;
    fn eval(a: V128) -> u32; fold(self, a: V128); call(a); from plain;
    {
        V128AnyTrue => (a != V128::ZERO) as u32;
        I8x16AllTrue => all_true::<u8, 16>(a);
        I16x8AllTrue => all_true::<u16, 8>(a);
        I32x4AllTrue => all_true::<u32, 4>(a);
        I64x2AllTrue => all_true::<u64, 2>(a);
        I8x16Bitmask => bitmask::<i8, 16>(a);
        I16x8Bitmask => bitmask::<i16, 8>(a);
        I32x4Bitmask => bitmask::<i32, 4>(a);
        I64x2Bitmask => bitmask::<i64, 2>(a);
    }
}

simd_splats! {
    /// A vector made from one 8-byte value: the splat of a slot value (an i32 or f32 in its low 32 bits),
    /// or the little-endian bytes a converting load read (`BYTES` of them).
    trait V128Splat, SimdSplatVisitor, SimdSplatOp;
    fn eval(x: u64) -> V128;
    values {
        I8x16Splat => splat::<u8, 16>(x as u8);
        I16x8Splat => splat::<u16, 8>(x as u16);
        I32x4Splat => splat::<u32, 4>(x as u32);
        I64x2Splat => splat::<u64, 2>(x);
        F32x4Splat => splat::<u32, 4>(x as u32);
        F64x2Splat => splat::<u64, 2>(x);
    }
    loads {
        V128Load8x8S [8] => extend::<i8, i16, 16, 8>(V128([x, 0]), 0, |v| v as i16);
        V128Load8x8U [8] => extend::<u8, u16, 16, 8>(V128([x, 0]), 0, |v| v as u16);
        V128Load16x4S [8] => extend::<i16, i32, 8, 4>(V128([x, 0]), 0, |v| v as i32);
        V128Load16x4U [8] => extend::<u16, u32, 8, 4>(V128([x, 0]), 0, |v| v as u32);
        V128Load32x2S [8] => extend::<i32, i64, 4, 2>(V128([x, 0]), 0, |v| v as i64);
        V128Load32x2U [8] => extend::<u32, u64, 4, 2>(V128([x, 0]), 0, |v| v as u64);
        V128Load8Splat [1] => splat::<u8, 16>(x as u8);
        V128Load16Splat [2] => splat::<u16, 8>(x as u16);
        V128Load32Splat [4] => splat::<u32, 4>(x as u32);
        V128Load64Splat [8] => splat::<u64, 2>(x);
        V128Load32Zero [4] => V128([x as u32 as u64, 0]);
        V128Load64Zero [8] => V128([x, 0]);
    }
}

simd_family! {
    /// A lane read out as a slot value: i8/i16 lanes sign- or zero-extended to i32, an i32 zero-extended
    /// (`v as u32 as u64`), floats as their bits.
    trait V128Extract, SimdExtractVisitor, SimdExtractOp;
    fn eval(a: V128, lane: u8) -> u64; fold(self, a: V128, lane: u8); call(a, lane); from lane;
    {
        I8x16ExtractLaneS => lane_of::<i8, 16>(a, lane) as i32 as u32 as u64;
        I8x16ExtractLaneU => lane_of::<u8, 16>(a, lane) as u64;
        I16x8ExtractLaneS => lane_of::<i16, 8>(a, lane) as i32 as u32 as u64;
        I16x8ExtractLaneU => lane_of::<u16, 8>(a, lane) as u64;
        I32x4ExtractLane => lane_of::<u32, 4>(a, lane) as u64;
        I64x2ExtractLane => lane_of::<u64, 2>(a, lane);
        F32x4ExtractLane => lane_of::<u32, 4>(a, lane) as u64;
        F64x2ExtractLane => lane_of::<u64, 2>(a, lane);
    }
}

simd_family! {
    /// A vector with one lane replaced by (the low bytes of) a slot value.
    trait V128Replace, SimdReplaceVisitor, SimdReplaceOp;
    fn eval(a: V128, lane: u8, x: u64) -> V128; fold(self, a: V128, lane: u8, x: u64); call(a, lane, x); from lane;
    {
        I8x16ReplaceLane => replace::<u8, 16>(a, lane, x as u8);
        I16x8ReplaceLane => replace::<u16, 8>(a, lane, x as u16);
        I32x4ReplaceLane => replace::<u32, 4>(a, lane, x as u32);
        I64x2ReplaceLane => replace::<u64, 2>(a, lane, x);
        F32x4ReplaceLane => replace::<u32, 4>(a, lane, x as u32);
        F64x2ReplaceLane => replace::<u64, 2>(a, lane, x);
    }
}
