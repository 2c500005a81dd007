use super::*;

fn i8s(l: [i8; 16]) -> V128 {
    unlanes(l)
}
fn u8s(l: [u8; 16]) -> V128 {
    unlanes(l)
}
fn i16s(l: [i16; 8]) -> V128 {
    unlanes(l)
}
fn i32s(l: [i32; 4]) -> V128 {
    unlanes(l)
}
fn i64s(l: [i64; 2]) -> V128 {
    unlanes(l)
}
fn f32s(l: [f32; 4]) -> V128 {
    unlanes(l)
}
fn f64s(l: [f64; 2]) -> V128 {
    unlanes(l)
}
fn bits32(v: V128) -> [u32; 4] {
    lanes(v)
}
fn bits64(v: V128) -> [u64; 2] {
    lanes(v)
}

#[test]
fn simd_lane_zero_is_the_low_end() {
    assert_eq!(i32s([1, 2, 3, 4]), 0x00000004_00000003_00000002_00000001u128.into());
    assert_eq!(lanes::<u8, 16>(0x0102u128.into())[..3], [2, 1, 0]);
    assert_eq!(lanes::<i16, 8>(i16s([-1, 2, 3, 4, 5, 6, 7, -8])), [-1, 2, 3, 4, 5, 6, 7, -8]);
    assert_eq!(lanes::<f64, 2>(f64s([1.5, -0.0]))[1].to_bits(), (-0.0f64).to_bits());
}

#[test]
fn simd_float_min_max_nan_and_signed_zero() {
    let nan = f32::NAN;
    let (a, b) = (f32s([-0.0, 0.0, nan, 1.0]), f32s([0.0, -0.0, 1.0, nan]));
    let min = bits32(F32x4Min::eval(a, b));
    assert_eq!(min[..2], [(-0.0f32).to_bits(), (-0.0f32).to_bits()]);
    assert!(f32::from_bits(min[2]).is_nan() && f32::from_bits(min[3]).is_nan());
    let max = bits32(F32x4Max::eval(a, b));
    assert_eq!(max[..2], [0, 0]);
    assert!(f32::from_bits(max[2]).is_nan() && f32::from_bits(max[3]).is_nan());
    // A signalling NaN comes out quiet.
    let snan = f64::from_bits(0x7ff0_0000_0000_0001);
    let r = bits64(F64x2Min::eval(f64s([snan, 1.0]), f64s([2.0, -0.0])));
    assert_eq!(r[0] & 0x0008_0000_0000_0000, 0x0008_0000_0000_0000);
    assert_eq!(f64::from_bits(r[1]), -0.0);
    // The relaxed versions are the same.
    assert_eq!(F32x4RelaxedMin::eval(a, b), F32x4Min::eval(a, b));
    assert_eq!(F64x2RelaxedMax::eval(f64s([-0.0, 3.0]), f64s([0.0, 2.0])), f64s([0.0, 3.0]));
}

#[test]
fn simd_pmin_pmax_are_plain_comparisons() {
    let nan = f32::NAN;
    let (a, b) = (f32s([-0.0, 0.0, nan, 1.0]), f32s([0.0, -0.0, 1.0, nan]));
    // `b < a ? b : a`: zeros and a NaN first operand keep `a`; a NaN second operand keeps `a` too.
    let min = bits32(F32x4PMin::eval(a, b));
    assert_eq!(min[0], (-0.0f32).to_bits());
    assert_eq!(min[1], 0);
    assert!(f32::from_bits(min[2]).is_nan());
    assert_eq!(f32::from_bits(min[3]), 1.0);
    let max = bits32(F32x4PMax::eval(a, b));
    assert_eq!(max[0], (-0.0f32).to_bits());
    assert!(f32::from_bits(max[2]).is_nan());
    assert_eq!(f32::from_bits(max[3]), 1.0);
    assert_eq!(F64x2PMax::eval(f64s([1.0, 5.0]), f64s([2.0, 4.0])), f64s([2.0, 5.0]));
}

#[test]
fn simd_float_arithmetic_and_rounding() {
    assert_eq!(F32x4Add::eval(f32s([1.0, 2.0, 3.0, 4.0]), f32s([0.5; 4])), f32s([1.5, 2.5, 3.5, 4.5]));
    assert!(lanes::<f32, 4>(F32x4Div::eval(f32s([0.0; 4]), f32s([0.0; 4]))).iter().all(|x| x.is_nan()));
    let near = lanes::<f32, 4>(F32x4Nearest::eval(f32s([2.5, 3.5, -0.5, -2.5])));
    assert_eq!(near.map(f32::to_bits), [2.0f32, 4.0, -0.0, -2.0].map(f32::to_bits));
    assert_eq!(F64x2Nearest::eval(f64s([0.5, 1.5])), f64s([0.0, 2.0]));
    assert_eq!(F32x4Ceil::eval(f32s([-0.5, 1.1, -1.1, 0.0])), f32s([-0.0, 2.0, -1.0, 0.0]));
    assert_eq!(F64x2Floor::eval(f64s([-0.5, 1.9])), f64s([-1.0, 1.0]));
    assert_eq!(F64x2Trunc::eval(f64s([-1.9, 1.9])), f64s([-1.0, 1.0]));
    let snan = f32::from_bits(0x7f80_0001);
    assert_eq!(bits32(F32x4Ceil::eval(f32s([snan; 4])))[0], 0x7fc0_0001);
    assert_eq!(F32x4Sqrt::eval(f32s([4.0, 9.0, 0.25, -0.0])), f32s([2.0, 3.0, 0.5, -0.0]));
    // abs and neg only touch the sign bit, even of a NaN.
    assert_eq!(bits32(F32x4Neg::eval(f32s([snan; 4])))[0], 0xff80_0001);
    assert_eq!(bits64(F64x2Abs::eval(f64s([-f64::NAN, -1.0])))[0], f64::NAN.to_bits());
}

#[test]
fn simd_float_comparisons() {
    let nan = f32::NAN;
    let (a, b) = (f32s([1.0, nan, -0.0, 2.0]), f32s([1.0, nan, 0.0, 1.0]));
    assert_eq!(bits32(F32x4Eq::eval(a, b)), [!0, 0, !0, 0]);
    assert_eq!(bits32(F32x4Ne::eval(a, b)), [0, !0, 0, !0]);
    assert_eq!(bits32(F32x4Lt::eval(a, b)), [0, 0, 0, 0]);
    assert_eq!(bits32(F32x4Ge::eval(a, b)), [!0, 0, !0, !0]);
    assert_eq!(bits64(F64x2Gt::eval(f64s([2.0, f64::NAN]), f64s([1.0, 1.0]))), [!0, 0]);
}

#[test]
fn simd_conversions() {
    let nan = f32::NAN;
    let a = f32s([nan, 3e9, -3e9, -1.5]);
    assert_eq!(I32x4TruncSatF32x4S::eval(a), i32s([0, i32::MAX, i32::MIN, -1]));
    assert_eq!(lanes::<u32, 4>(I32x4TruncSatF32x4U::eval(a)), [0, 3_000_000_000, 0, 0]);
    assert_eq!(I32x4RelaxedTruncF32x4S::eval(a), I32x4TruncSatF32x4S::eval(a));
    let d = f64s([f64::NAN, 1e10]);
    assert_eq!(I32x4TruncSatF64x2SZero::eval(d), i32s([0, i32::MAX, 0, 0]));
    assert_eq!(I32x4TruncSatF64x2UZero::eval(f64s([-1.0, 4294967295.9])), i32s([0, -1, 0, 0]));
    assert_eq!(I32x4RelaxedTruncF64x2UZero::eval(d), I32x4TruncSatF64x2UZero::eval(d));
    assert_eq!(F32x4ConvertI32x4U::eval(i32s([-1, 1, 0, 16777217])), f32s([4294967296.0, 1.0, 0.0, 16777216.0]));
    assert_eq!(F32x4ConvertI32x4S::eval(i32s([-1, 1, 0, i32::MIN])), f32s([-1.0, 1.0, 0.0, -2147483648.0]));
    assert_eq!(F64x2ConvertLowI32x4S::eval(i32s([-1, 2, 99, 99])), f64s([-1.0, 2.0]));
    assert_eq!(F64x2ConvertLowI32x4U::eval(i32s([-1, 2, 99, 99])), f64s([4294967295.0, 2.0]));
    // Demotion zeroes the upper lanes; promotion reads the low two.
    assert_eq!(F32x4DemoteF64x2Zero::eval(f64s([1.5, 1e300])), f32s([1.5, f32::INFINITY, 0.0, 0.0]));
    assert_eq!(F64x2PromoteLowF32x4::eval(f32s([1.5, -0.25, 7.0, 8.0])), f64s([1.5, -0.25]));
    let snan = f32::from_bits(0x7f80_0001);
    let p = f64::from_bits(bits64(F64x2PromoteLowF32x4::eval(f32s([snan; 4])))[0]);
    assert!(p.is_nan() && p.to_bits() & 0x0008_0000_0000_0000 != 0);
}

#[test]
fn simd_integer_arithmetic() {
    assert_eq!(I8x16Add::eval(i8s([127; 16]), i8s([1; 16])), i8s([-128; 16]));
    assert_eq!(I8x16AddSatS::eval(i8s([127; 16]), i8s([1; 16])), i8s([127; 16]));
    assert_eq!(I8x16AddSatU::eval(u8s([250; 16]), u8s([10; 16])), u8s([255; 16]));
    assert_eq!(I8x16SubSatU::eval(u8s([5; 16]), u8s([10; 16])), V128::ZERO);
    assert_eq!(I16x8SubSatS::eval(i16s([-32768; 8]), i16s([1; 8])), i16s([-32768; 8]));
    assert_eq!(I8x16Abs::eval(i8s([-128; 16])), i8s([-128; 16]));
    assert_eq!(I32x4Neg::eval(i32s([1, -1, i32::MIN, 0])), i32s([-1, 1, i32::MIN, 0]));
    assert_eq!(
        I8x16Popcnt::eval(u8s([0xff, 0, 0x81, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
        u8s([8, 0, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
    );
    assert_eq!(I8x16AvgrU::eval(u8s([255; 16]), u8s([255; 16])), u8s([255; 16]));
    assert_eq!(lanes::<u8, 16>(I8x16AvgrU::eval(u8s([1; 16]), u8s([2; 16])))[0], 2);
    assert_eq!(lanes::<u16, 8>(I16x8AvgrU::eval(i16s([-1; 8]), i16s([0; 8])))[0], 0x8000);
    assert_eq!(I8x16MinU::eval(i8s([-1; 16]), i8s([1; 16])), i8s([1; 16]));
    assert_eq!(I8x16MinS::eval(i8s([-1; 16]), i8s([1; 16])), i8s([-1; 16]));
    assert_eq!(I32x4MaxU::eval(i32s([-1, 0, 5, 6]), i32s([1, 0, 6, 5])), i32s([-1, 0, 6, 6]));
    assert_eq!(I64x2Mul::eval(i64s([i64::MAX, -3]), i64s([2, 3])), i64s([-2, -9]));
    assert_eq!(I16x8Mul::eval(i16s([300; 8]), i16s([300; 8])), i16s([(90000i32 as i16); 8]));
}

#[test]
fn simd_q15mulr_saturates_and_rounds() {
    let r = I16x8Q15MulrSatS::eval(
        i16s([-32768, 16384, 1, -1, 32767, -32768, 0, 3]),
        i16s([-32768, 16384, 16384, 16384, 32767, 32767, 5, -16384]),
    );
    assert_eq!(lanes::<i16, 8>(r), [32767, 8192, 1, 0, 32766, -32767, 0, -1]);
    assert_eq!(I16x8RelaxedQ15mulrS::eval(i16s([-32768; 8]), i16s([-32768; 8])), i16s([32767; 8]));
}

#[test]
fn simd_integer_comparisons() {
    let (a, b) = (i8s([-1; 16]), i8s([1; 16]));
    assert_eq!(I8x16LtS::eval(a, b), !V128::ZERO);
    assert_eq!(I8x16LtU::eval(a, b), V128::ZERO);
    assert_eq!(I8x16GeU::eval(a, b), !V128::ZERO);
    assert_eq!(
        I16x8Eq::eval(i16s([1, 2, 3, 4, 5, 6, 7, 8]), i16s([1, 0, 3, 0, 5, 0, 7, 0])),
        i16s([-1, 0, -1, 0, -1, 0, -1, 0])
    );
    assert_eq!(I64x2LeS::eval(i64s([-5, 5]), i64s([-5, 4])), i64s([-1, 0]));
    assert_eq!(I32x4GtU::eval(i32s([-1, 1, 0, 0]), i32s([1, -1, 0, 0])), i32s([-1, 0, 0, 0]));
}

#[test]
fn simd_narrow_saturates() {
    let a = i16s([300, -300, 127, -128, 0, 255, 256, -1]);
    let b = i16s([1, 2, 3, 4, 5, 6, 7, 8]);
    let s = lanes::<i8, 16>(I8x16NarrowI16x8S::eval(a, b));
    assert_eq!(s, [127, -128, 127, -128, 0, 127, 127, -1, 1, 2, 3, 4, 5, 6, 7, 8]);
    let u = lanes::<u8, 16>(I8x16NarrowI16x8U::eval(a, b));
    assert_eq!(u, [255, 0, 127, 0, 0, 255, 255, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
    let s = lanes::<i16, 8>(I16x8NarrowI32x4S::eval(i32s([70000, -70000, 5, -5]), i32s([1, 2, 3, 4])));
    assert_eq!(s, [32767, -32768, 5, -5, 1, 2, 3, 4]);
    let u = lanes::<u16, 8>(I16x8NarrowI32x4U::eval(i32s([70000, -70000, 65535, -5]), i32s([1, 2, 3, 4])));
    assert_eq!(u, [65535, 0, 65535, 0, 1, 2, 3, 4]);
}

#[test]
fn simd_extend_extmul_dot_pairwise() {
    let a = i8s([-1, 2, -3, 4, 5, 6, 7, 8, -9, 10, 11, 12, 13, 14, 15, -128]);
    assert_eq!(I16x8ExtendLowI8x16S::eval(a), i16s([-1, 2, -3, 4, 5, 6, 7, 8]));
    assert_eq!(I16x8ExtendHighI8x16S::eval(a), i16s([-9, 10, 11, 12, 13, 14, 15, -128]));
    assert_eq!(I16x8ExtendHighI8x16U::eval(a), i16s([247, 10, 11, 12, 13, 14, 15, 128]));
    assert_eq!(I64x2ExtendHighI32x4U::eval(i32s([0, 0, -1, 3])), i64s([0xffff_ffff, 3]));
    assert_eq!(I64x2ExtendLowI32x4S::eval(i32s([-1, 3, 0, 0])), i64s([-1, 3]));
    assert_eq!(I16x8ExtMulHighI8x16S::eval(a, a), i16s([81, 100, 121, 144, 169, 196, 225, 16384]));
    assert_eq!(I16x8ExtMulLowI8x16U::eval(a, i8s([2; 16])), i16s([510, 4, 506, 8, 10, 12, 14, 16]));
    assert_eq!(I64x2ExtMulLowI32x4U::eval(i32s([-1, 2, 0, 0]), i32s([-1, 3, 0, 0])), i64s([-0x1_ffff_ffff, 6]));
    assert_eq!(
        I32x4ExtMulHighI16x8S::eval(i16s([0, 0, 0, 0, -32768, 2, 3, 4]), i16s([0, 0, 0, 0, -32768, 2, 3, -4])),
        i32s([1 << 30, 4, 9, -16])
    );
    // dot: pairs of products added; the one overflowing case wraps.
    let d = I32x4DotI16x8S::eval(i16s([1, 2, 3, 4, -32768, -32768, 7, 8]), i16s([5, 6, 7, 8, -32768, -32768, -1, 0]));
    assert_eq!(d, i32s([17, 53, i32::MIN, -7]));
    assert_eq!(I16x8ExtAddPairwiseI8x16S::eval(a), i16s([1, 1, 11, 15, 1, 23, 27, -113]));
    assert_eq!(I16x8ExtAddPairwiseI8x16U::eval(i8s([-1; 16])), i16s([510; 8]));
    assert_eq!(I32x4ExtAddPairwiseI16x8U::eval(i16s([-1; 8])), i32s([131070; 4]));
    assert_eq!(I32x4ExtAddPairwiseI16x8S::eval(i16s([-32768; 8])), i32s([-65536; 4]));
}

#[test]
fn simd_shifts_mask_the_count() {
    let a = i8s([-128; 16]);
    assert_eq!(I8x16ShrS::eval(a, 7), i8s([-1; 16]));
    assert_eq!(I8x16ShrU::eval(a, 7), i8s([1; 16]));
    assert_eq!(I8x16ShrU::eval(a, 15), i8s([1; 16]));
    assert_eq!(I8x16Shl::eval(i8s([1; 16]), 9), i8s([2; 16]));
    assert_eq!(I16x8Shl::eval(i16s([1; 8]), 16), i16s([1; 8]));
    assert_eq!(I32x4ShrS::eval(i32s([-8, 8, -1, i32::MIN]), 33), i32s([-4, 4, -1, i32::MIN / 2]));
    assert_eq!(I64x2ShrU::eval(i64s([-1, 4]), 127), i64s([1, 0]));
    assert_eq!(I64x2Shl::eval(i64s([1, 3]), 64), i64s([1, 3]));
}

#[test]
fn simd_tests_and_bitmasks() {
    let mut l = [1i8; 16];
    assert_eq!(I8x16AllTrue::eval(i8s(l)), 1);
    l[7] = 0;
    assert_eq!(I8x16AllTrue::eval(i8s(l)), 0);
    assert_eq!(V128AnyTrue::eval(V128::ZERO), 0);
    assert_eq!(V128AnyTrue::eval((1u128 << 127).into()), 1);
    assert_eq!(I16x8AllTrue::eval(0x0001_0001_0001_0001_0001_0001_0001_0100u128.into()), 1);
    assert_eq!(I64x2AllTrue::eval(i64s([1 << 40, 0])), 0);
    l[0] = -1;
    l[15] = -128;
    l[3] = 127;
    assert_eq!(I8x16Bitmask::eval(i8s(l)), 0x8001);
    assert_eq!(I16x8Bitmask::eval(i16s([-1, 0, 0, 0, 0, 0, -32768, 32767])), 0b0100_0001);
    assert_eq!(I32x4Bitmask::eval(i32s([0, -1, 0, -5])), 0b1010);
    assert_eq!(I64x2Bitmask::eval(i64s([-1, 1])), 0b01);
}

#[test]
fn simd_bitwise_and_bitselect() {
    let (a, b, m) = (V128::from(0xffff_0000u128), V128::from(0x0f0f_0f0fu128), V128::from(0x00ff_00ffu128));
    assert_eq!(V128Not::eval(V128::ZERO), !V128::ZERO);
    assert_eq!(V128AndNot::eval(a, b), 0xf0f0_0000u128.into());
    assert_eq!(V128Bitselect::eval(a, b, m), 0x0fff_0f00u128.into());
    assert_eq!(I32x4RelaxedLaneselect::eval(a, b, m), V128Bitselect::eval(a, b, m));
    assert_eq!(I8x16RelaxedLaneselect::eval(a, b, !V128::ZERO), a);
}

#[test]
fn simd_swizzle_out_of_range_is_zero_and_shuffle_picks_from_both() {
    let a = u8s(std::array::from_fn(|i| 100 + i as u8));
    let s = u8s([0, 15, 16, 255, 0x80, 3, 1, 1, 2, 2, 17, 14, 13, 12, 11, 10]);
    let r = lanes::<u8, 16>(I8x16Swizzle::eval(a, s));
    assert_eq!(r, [100, 115, 0, 0, 0, 103, 101, 101, 102, 102, 0, 114, 113, 112, 111, 110]);
    assert_eq!(I8x16RelaxedSwizzle::eval(a, s), I8x16Swizzle::eval(a, s));
    let b = u8s(std::array::from_fn(|i| 200 + i as u8));
    let r = lanes::<u8, 16>(i8x16_shuffle(a, b, [0, 16, 31, 15, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 7]));
    assert_eq!(r, [100, 200, 215, 115, 101, 201, 102, 202, 103, 203, 104, 204, 105, 205, 106, 107]);
}

#[test]
fn simd_splats_and_converting_loads() {
    assert_eq!(I8x16Splat::eval(0x1ff), u8s([0xff; 16]));
    assert_eq!(I16x8Splat::eval(0xffff_8001), i16s([-32767; 8]));
    assert_eq!(F32x4Splat::eval(1.5f32.to_bits() as u64), f32s([1.5; 4]));
    assert_eq!(F64x2Splat::eval((-0.0f64).to_bits()), f64s([-0.0; 2]));
    assert_eq!(I64x2Splat::eval(u64::MAX), !V128::ZERO);
    let bytes = u64::from_le_bytes([0x80, 0x7f, 1, 0xff, 2, 3, 4, 5]);
    assert_eq!(V128Load8x8S::eval(bytes), i16s([-128, 127, 1, -1, 2, 3, 4, 5]));
    assert_eq!(V128Load8x8U::eval(bytes), i16s([128, 127, 1, 255, 2, 3, 4, 5]));
    assert_eq!(V128Load16x4S::eval(bytes), i32s([0x7f80, -255, 0x0302, 0x0504]));
    assert_eq!(V128Load32x2U::eval(bytes), i64s([0xff01_7f80, 0x0504_0302]));
    assert_eq!(V128Load32x2S::eval(bytes), i64s([0xff01_7f80u32 as i32 as i64, 0x0504_0302]));
    assert_eq!(V128Load16Splat::eval(0x8001), i16s([-32767; 8]));
    assert_eq!(V128Load32Zero::eval(0xdead_beef), 0xdead_beefu128.into());
    assert_eq!(V128Load64Zero::eval(u64::MAX), (u64::MAX as u128).into());
    assert_eq!(V128Load64Splat::eval(7), i64s([7, 7]));
    let bytes: Vec<_> = SimdSplatOp::ALL.iter().map(|op| (op.name(), op.bytes())).collect();
    assert!(bytes.contains(&("I8x16Splat", 0)));
    assert!(bytes.contains(&("V128Load8Splat", 1)));
    assert!(bytes.contains(&("V128Load32Zero", 4)));
    assert!(bytes.contains(&("V128Load16x4U", 8)));
    assert_eq!(<V128Load16Splat as V128Splat>::BYTES, 2);
}

#[test]
fn simd_extract_and_replace_lanes() {
    let a = i8s([0, -1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, -128]);
    assert_eq!(I8x16ExtractLaneS::eval(a, 1), 0xffff_ffff);
    assert_eq!(I8x16ExtractLaneU::eval(a, 1), 0xff);
    assert_eq!(I8x16ExtractLaneS::eval(a, 15), 0xffff_ff80);
    let h = i16s([0, 0, 0, -2, 0, 0, 0, 0]);
    assert_eq!(I16x8ExtractLaneS::eval(h, 3), 0xffff_fffe);
    assert_eq!(I16x8ExtractLaneU::eval(h, 3), 0xfffe);
    assert_eq!(I32x4ExtractLane::eval(i32s([0, 0, -1, 0]), 2), 0xffff_ffff);
    assert_eq!(I64x2ExtractLane::eval(i64s([0, -1]), 1), u64::MAX);
    assert_eq!(F32x4ExtractLane::eval(f32s([0.0, 0.0, 0.0, -1.5]), 3), (-1.5f32).to_bits() as u64);
    assert_eq!(F64x2ExtractLane::eval(f64s([2.5, 0.0]), 0), 2.5f64.to_bits());
    assert_eq!(I8x16ReplaceLane::eval(V128::ZERO, 15, 0x1ab), (0xabu128 << 120).into());
    assert_eq!(I16x8ReplaceLane::eval(!V128::ZERO, 0, 0x1234_5678), (!0xffffu128 | 0x5678).into());
    assert_eq!(I32x4ReplaceLane::eval(V128::ZERO, 1, u64::MAX), (0xffff_ffffu128 << 32).into());
    assert_eq!(I64x2ReplaceLane::eval(V128::ZERO, 1, 5), (5u128 << 64).into());
    assert_eq!(F32x4ReplaceLane::eval(f32s([1.0; 4]), 2, 2.0f32.to_bits() as u64), f32s([1.0, 1.0, 2.0, 1.0]));
    assert_eq!(F64x2ReplaceLane::eval(f64s([1.0; 2]), 0, 2.0f64.to_bits()), f64s([2.0, 1.0]));
    // The enums: fold is eval; from_operator reads the lane.
    assert_eq!(SimdExtractOp::I8x16ExtractLaneS.fold(a, 15), 0xffff_ff80);
    let op = wasmparser::Operator::I16x8ReplaceLane { lane: 5 };
    assert_eq!(SimdReplaceOp::from_operator(&op), Some((SimdReplaceOp::I16x8ReplaceLane, 5)));
}

#[test]
fn simd_relaxed_choices() {
    // Unfused: 1 + 2^-23 times 1 - 2^-23 rounds to 1 before adding -1 (fused it would be -2^-46).
    let (x, y) = (1.0 + f32::EPSILON, 1.0 - f32::EPSILON);
    assert_eq!(F32x4RelaxedMadd::eval(f32s([x; 4]), f32s([y; 4]), f32s([-1.0; 4])), f32s([0.0; 4]));
    assert_eq!(F32x4RelaxedNmadd::eval(f32s([2.0; 4]), f32s([3.0; 4]), f32s([1.0; 4])), f32s([-5.0; 4]));
    let (x, y) = (1.0 + f64::EPSILON, 1.0 - f64::EPSILON);
    assert_eq!(F64x2RelaxedMadd::eval(f64s([x; 2]), f64s([y; 2]), f64s([-1.0; 2])), f64s([0.0; 2]));
    assert_eq!(F64x2RelaxedNmadd::eval(f64s([2.0; 2]), f64s([3.0; 2]), f64s([1.0; 2])), f64s([-5.0; 2]));
    // Dot products with signed second operands (the spec tests' cases).
    let mut a = [0i8; 16];
    let mut b = [0i8; 16];
    a[..4].copy_from_slice(&[-128; 4]);
    b[..4].copy_from_slice(&[-127; 4]);
    let d = I16x8RelaxedDotI8x16I7x16S::eval(i8s(a), i8s(b));
    assert_eq!(d, i16s([32512, 32512, 0, 0, 0, 0, 0, 0]));
    let d = I32x4RelaxedDotI8x16I7x16AddS::eval(i8s(a), i8s(b), i32s([1, 2, 3, 4]));
    assert_eq!(d, i32s([65025, 2, 3, 4]));
    let a = i8s(std::array::from_fn(|i| i as i8));
    let d = I16x8RelaxedDotI8x16I7x16S::eval(a, a);
    assert_eq!(d, i16s([1, 13, 41, 85, 145, 221, 313, 421]));
    let d = I32x4RelaxedDotI8x16I7x16AddS::eval(a, a, i32s([0, 1, 2, 3]));
    assert_eq!(d, i32s([14, 127, 368, 737]));
}

/// A value for an operator field, to build every operator.
trait Dummy {
    fn dummy() -> Self;
}
impl Dummy for u8 {
    fn dummy() -> Self {
        0
    }
}
impl Dummy for [u8; 16] {
    fn dummy() -> Self {
        [0; 16]
    }
}
impl Dummy for wasmparser::MemArg {
    fn dummy() -> Self {
        wasmparser::MemArg { align: 0, max_align: 0, offset: 0, target: Default::default(), ordering: None }
    }
}
impl Dummy for wasmparser::V128 {
    fn dummy() -> Self {
        0u128.into()
    }
}

/// Every SIMD operator, with its name.
fn all_simd_operators() -> Vec<(&'static str, wasmparser::Operator<'static>)> {
    macro_rules! collect {
        ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*) )*) => {
            vec![$((stringify!($op), wasmparser::Operator::$op $({ $($arg: <$argty as Dummy>::dummy()),* })?),)*]
        };
    }
    wasmparser::for_each_visit_simd_operator!(collect)
}

/// The SIMD operators that are not numeric semantics (memory and constant plumbing, and the shuffle, a
/// function of its own).
const ELSEWHERE: &[&str] = &[
    "V128Load",
    "V128Store",
    "V128Const",
    "I8x16Shuffle",
    "V128Load8Lane",
    "V128Load16Lane",
    "V128Load32Lane",
    "V128Load64Lane",
    "V128Store8Lane",
    "V128Store16Lane",
    "V128Store32Lane",
    "V128Store64Lane",
];

#[test]
fn simd_from_operator_covers_every_simd_operator_once() {
    let ops = all_simd_operators();
    assert!(ops.len() > 250, "{} operators", ops.len());
    for (name, op) in &ops {
        let found: Vec<&str> = [
            SimdUnOp::from_operator(op).map(SimdUnOp::name),
            SimdBinOp::from_operator(op).map(SimdBinOp::name),
            SimdTernOp::from_operator(op).map(SimdTernOp::name),
            SimdShiftOp::from_operator(op).map(SimdShiftOp::name),
            SimdTestOp::from_operator(op).map(SimdTestOp::name),
            SimdSplatOp::from_operator(op).map(SimdSplatOp::name),
            SimdSplatOp::from_load_operator(op).map(|(o, _)| o.name()),
            SimdExtractOp::from_operator(op).map(|(o, _)| o.name()),
            SimdReplaceOp::from_operator(op).map(|(o, _)| o.name()),
        ]
        .into_iter()
        .flatten()
        .collect();
        if ELSEWHERE.contains(name) {
            assert!(found.is_empty(), "{name} is matched by {found:?}");
        } else {
            assert_eq!(found, [*name], "{name}");
        }
    }
    // And nothing here is missing from wasmparser (counts match).
    let families = SimdUnOp::ALL.len()
        + SimdBinOp::ALL.len()
        + SimdTernOp::ALL.len()
        + SimdShiftOp::ALL.len()
        + SimdTestOp::ALL.len()
        + SimdSplatOp::ALL.len()
        + SimdExtractOp::ALL.len()
        + SimdReplaceOp::ALL.len();
    assert_eq!(families + ELSEWHERE.len(), ops.len());
}

#[test]
fn simd_enums_all_with_and_fold_agree() {
    struct Name;
    impl SimdBinaryVisitor for Name {
        type Output = &'static str;
        fn visit<Op: V128Binary + 'static>(self) -> &'static str {
            Op::NAME
        }
    }
    impl SimdUnaryVisitor for Name {
        type Output = &'static str;
        fn visit<Op: V128Unary + 'static>(self) -> &'static str {
            Op::NAME
        }
    }
    impl SimdSplatVisitor for Name {
        type Output = &'static str;
        fn visit<Op: V128Splat + 'static>(self) -> &'static str {
            Op::NAME
        }
    }
    for (i, op) in SimdBinOp::ALL.iter().enumerate() {
        assert_eq!(*op as usize, i);
        assert_eq!(op.with(Name), op.name());
    }
    for (i, op) in SimdUnOp::ALL.iter().enumerate() {
        assert_eq!(*op as usize, i);
        assert_eq!(op.with(Name), op.name());
    }
    for (i, op) in SimdSplatOp::ALL.iter().enumerate() {
        assert_eq!(*op as usize, i);
        assert_eq!(op.with(Name), op.name());
    }
    assert_eq!(SimdBinOp::I8x16Add.fold(i8s([1; 16]), i8s([2; 16])), i8s([3; 16]));
    assert_eq!(SimdUnOp::I8x16Neg.fold(i8s([1; 16])), i8s([-1; 16]));
    assert_eq!(SimdTernOp::V128Bitselect.fold(V128([1, 0]), V128([2, 0]), V128([1, 0])), V128([3, 0]));
    assert_eq!(SimdShiftOp::I32x4Shl.fold(i32s([1; 4]), 33), i32s([2; 4]));
    assert_eq!(SimdTestOp::I32x4Bitmask.fold(i32s([-1; 4])), 15);
    assert_eq!(SimdSplatOp::V128Load8Splat.fold(0x1234), u8s([0x34; 16]));
    assert_eq!(SimdReplaceOp::I64x2ReplaceLane.fold(V128::ZERO, 0, 9), V128([9, 0]));
    let load = wasmparser::Operator::V128Load32Zero { memarg: Dummy::dummy() };
    assert_eq!(
        SimdSplatOp::from_load_operator(&load).map(|(o, m)| (o, m.offset)),
        Some((SimdSplatOp::V128Load32Zero, 0))
    );
    assert_eq!(SimdSplatOp::from_operator(&load), None);
}
