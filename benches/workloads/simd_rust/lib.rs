//! simd_rust: a Rust reactor with hand-written `core::arch::wasm32` kernels, including relaxed-SIMD
//! instructions used only where their result is deterministic (so node, wasmi, wasmvm and a native
//! build must agree on the checksum):
//! - `i8x16_relaxed_swizzle` with indices < 16;
//! - `i16x8_relaxed_dot_i8x16_i7x16` / `i32x4_relaxed_dot_i8x16_i7x16_add` with the second operand in
//!   0..=127 (no intermediate can overflow i16);
//! - `*_relaxed_laneselect` with all-ones/all-zeros lane masks (from comparisons);
//! - `f32x4_relaxed_min`/`max` on values that are never NaN and never zero;
//! - `i32x4_relaxed_trunc_f32x4` on in-range values;
//! - `f32x4_relaxed_madd` on operands whose products are exact in f32 (fused == unfused);
//! - `i16x8_relaxed_q15mulr` never on -32768 * -32768.
//!
//! `run(n)` generates 16 KiB of bytes and 4096 f32s, then n times runs the kernels over them,
//! feeding each repetition's results into the next, and returns a checksum. Built as an import-free
//! reactor (`_initialize`, `run`) for wasm32-wasip1 with `+simd128,+relaxed-simd` (see ../build.sh);
//! without those features (or natively, where `main` prints `run(n)` for each argument) the scalar
//! fallbacks compute the same results.
#![cfg_attr(target_arch = "wasm32", no_std)]

#[cfg(target_arch = "wasm32")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

const NB: usize = 16384;
const NF: usize = 4096;

struct Data {
    ready: bool,
    orig: [u8; NB],
    bytes: [u8; NB],   // this run's copy of orig (perturbed as it goes)
    weights: [u8; NB], // 0..=127
    floats: [f32; NF], // k/128 + 1/256, |x| < 64: never zero, products of two exact in f32
    shorts: [i16; NB / 2],
}

static mut DATA: Data =
    Data { ready: false, orig: [0; NB], bytes: [0; NB], weights: [0; NB], floats: [0.0; NF], shorts: [0; NB / 2] };

fn generate(d: &mut Data) {
    let mut s = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 20) as u32
    };
    for i in 0..NB {
        d.orig[i] = next() as u8;
        d.weights[i] = (next() & 127) as u8;
    }
    for f in d.floats.iter_mut() {
        *f = ((next() % 16384) as i32 - 8192) as f32 / 128.0 + 1.0 / 256.0;
    }
    for h in d.shorts.iter_mut() {
        *h = ((next() % 65535) as i32 - 32767) as i16; // never -32768
    }
}

/// Byte kernel: nibble table lookup (relaxed swizzle), dot products with i7 weights, lane selects.
/// Returns four i32 sums.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128", target_feature = "relaxed-simd"))]
fn bytes_kernel(d: &Data, table: &[u8; 16]) -> [u32; 4] {
    use core::arch::wasm32::*;
    // SAFETY (all loads below): every pointer covers 16 readable bytes; v128_load allows any alignment.
    let t = unsafe { v128_load(table.as_ptr() as *const v128) };
    let mut acc = i32x4_splat(0);
    let mut acc16 = i16x8_splat(0);
    for i in (0..NB).step_by(16) {
        let b = unsafe { v128_load(d.bytes.as_ptr().add(i) as *const v128) };
        let w = unsafe { v128_load(d.weights.as_ptr().add(i) as *const v128) };
        let looked = i8x16_relaxed_swizzle(t, v128_and(b, u8x16_splat(15)));
        let mixed = v128_xor(looked, u8x16_shr(b, 4));
        acc = i32x4_relaxed_dot_i8x16_i7x16_add(mixed, w, acc);
        let dot16 = i16x8_relaxed_dot_i8x16_i7x16(b, w);
        let keep = i16x8_gt(dot16, i16x8_splat(0));
        acc16 = i16x8_add(acc16, i16x8_relaxed_laneselect(dot16, i16x8_neg(dot16), keep));
    }
    let wide = i32x4_extadd_pairwise_i16x8(acc16);
    let r = i32x4_add(acc, i32x4_shl(wide, 1));
    [u32x4_extract_lane::<0>(r), u32x4_extract_lane::<1>(r), u32x4_extract_lane::<2>(r), u32x4_extract_lane::<3>(r)]
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128", target_feature = "relaxed-simd")))]
fn bytes_kernel(d: &Data, table: &[u8; 16]) -> [u32; 4] {
    let mut acc = [0u32; 4];
    let mut acc16 = [0i16; 8];
    for i in (0..NB).step_by(16) {
        let b = &d.bytes[i..i + 16];
        let w = &d.weights[i..i + 16];
        for l in 0..4 {
            let mut s = 0i32;
            for k in 4 * l..4 * l + 4 {
                let mixed = (table[(b[k] & 15) as usize] ^ (b[k] >> 4)) as i8;
                s += mixed as i32 * w[k] as i32;
            }
            acc[l] = acc[l].wrapping_add(s as u32);
        }
        for l in 0..8 {
            let dot = b[2 * l] as i8 as i16 * w[2 * l] as i16 + b[2 * l + 1] as i8 as i16 * w[2 * l + 1] as i16;
            acc16[l] = acc16[l].wrapping_add(if dot > 0 { dot } else { dot.wrapping_neg() });
        }
    }
    let mut r = [0u32; 4];
    for l in 0..4 {
        let wide = acc16[2 * l] as i32 + acc16[2 * l + 1] as i32;
        r[l] = acc[l].wrapping_add((wide << 1) as u32);
    }
    r
}

/// Float kernel: y = relaxed_madd(x, s, bias), clamped with relaxed min/max, truncated; and a
/// q15 product of the shorts. Returns (float checksum lanes, int sum).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128", target_feature = "relaxed-simd"))]
fn float_kernel(d: &Data, scale: f32, bias: f32, out: &mut [f32; 4]) -> u32 {
    use core::arch::wasm32::*;
    let (s, c) = (f32x4_splat(scale), f32x4_splat(bias));
    let (lo, hi) = (f32x4_splat(-1000.5), f32x4_splat(1000.5));
    let mut facc = f32x4_splat(0.0);
    let mut iacc = i32x4_splat(0);
    for i in (0..NF).step_by(4) {
        // SAFETY: 4 f32s from i.
        let x = unsafe { v128_load(d.floats.as_ptr().add(i) as *const v128) };
        let y = f32x4_relaxed_max(f32x4_relaxed_min(f32x4_relaxed_madd(x, s, c), hi), lo);
        facc = f32x4_add(facc, y);
        iacc = i32x4_add(iacc, i32x4_relaxed_trunc_f32x4(f32x4_mul(y, f32x4_splat(1024.0))));
    }
    let mut q = i16x8_splat(0);
    for i in (0..NB / 2).step_by(8) {
        // SAFETY: 8 i16s from i.
        let a = unsafe { v128_load(d.shorts.as_ptr().add(i) as *const v128) };
        let b = unsafe { v128_load(d.shorts.as_ptr().add((i + 8) % (NB / 2)) as *const v128) };
        q = v128_xor(q, i16x8_relaxed_q15mulr(a, b));
    }
    out[0] = f32x4_extract_lane::<0>(facc);
    out[1] = f32x4_extract_lane::<1>(facc);
    out[2] = f32x4_extract_lane::<2>(facc);
    out[3] = f32x4_extract_lane::<3>(facc);
    let i = i32x4_add(iacc, i32x4_extend_low_i16x8(q));
    let i = i32x4_add(i, i32x4_extend_high_i16x8(q));
    u32x4_extract_lane::<0>(i)
        ^ u32x4_extract_lane::<1>(i).rotate_left(8)
        ^ u32x4_extract_lane::<2>(i).rotate_left(16)
        ^ u32x4_extract_lane::<3>(i).rotate_left(24)
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128", target_feature = "relaxed-simd")))]
fn float_kernel(d: &Data, scale: f32, bias: f32, out: &mut [f32; 4]) -> u32 {
    let mut facc = [0f32; 4];
    let mut iacc = [0i32; 4];
    for i in (0..NF).step_by(4) {
        for l in 0..4 {
            let y = (d.floats[i + l] * scale + bias).min(1000.5).max(-1000.5);
            facc[l] += y;
            iacc[l] = iacc[l].wrapping_add((y * 1024.0) as i32);
        }
    }
    let mut q = [0i16; 8];
    for i in (0..NB / 2).step_by(8) {
        for l in 0..8 {
            let (a, b) = (d.shorts[i + l] as i32, d.shorts[(i + 8) % (NB / 2) + l] as i32);
            q[l] ^= ((a * b + 0x4000) >> 15) as i16;
        }
    }
    *out = facc;
    let mut i = [0u32; 4];
    for l in 0..4 {
        i[l] = (iacc[l].wrapping_add(q[l] as i32).wrapping_add(q[l + 4] as i32)) as u32;
    }
    i[0] ^ i[1].rotate_left(8) ^ i[2].rotate_left(16) ^ i[3].rotate_left(24)
}

/// The reactor protocol's constructor hook (nothing to construct: `run` generates its data once).
#[cfg(target_arch = "wasm32")]
#[no_mangle]
pub extern "C" fn _initialize() {}

#[no_mangle]
pub extern "C" fn run(n: u32) -> u32 {
    // SAFETY: single-threaded reactor; DATA is only accessed here, one reference at a time.
    let d = unsafe { &mut *core::ptr::addr_of_mut!(DATA) };
    if !d.ready {
        generate(d);
        d.ready = true;
    }
    d.bytes = d.orig;
    let mut table = [0u8; 16];
    for (i, t) in table.iter_mut().enumerate() {
        *t = (i as u8).wrapping_mul(37) ^ 0x5a;
    }
    let mut h = 0x811c_9dc5u32;
    let mut fl = [0f32; 4];
    for r in 0..n {
        let b = bytes_kernel(d, &table);
        let scale = (((r % 7) as i32 - 3) as f32) / 8.0 + 0.25; // multiples of 1/8: exact products
        let bias = ((b[0] % 64) as f32) / 4.0 - 8.0;
        let f = float_kernel(d, scale, bias, &mut fl);
        for x in b.iter().chain(&[f, fl[0].to_bits(), fl[1].to_bits(), fl[2].to_bits(), fl[3].to_bits()]) {
            h = (h ^ x).wrapping_mul(0x0100_0193);
        }
        table[(r % 16) as usize] ^= (h >> 24) as u8 & 15;
        let k = (h as usize) % NB;
        d.bytes[k] = d.bytes[k].wrapping_add(1);
    }
    h
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    for a in std::env::args().skip(1) {
        println!("{}", run(a.parse().unwrap()));
    }
}
