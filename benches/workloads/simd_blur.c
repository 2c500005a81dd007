/* simd_blur: a 3x3 box blur on a 256x256 u8 image, n times (wasm_simd128.h intrinsics).
 *
 * run(n): starting from a generated image, n times: out = blur3x3(cur) (sum of the 9 neighbours,
 * u8 -> u16 widening adds, divided by 9 with i16x8.q15mulr_sat(sum, 3641), narrowed back to u8 with
 * saturation), then cur = out ^ orig (keeps detail from fading). The checksum mixes every output
 * row's pixel sums (extadd_pairwise u8 -> u16 -> u32, i32x4 mul by 31) into four lanes.
 * Stresses: v128 loads/stores (unaligned), i16x8.extend_{low,high}_i8x16_u, i16x8.add,
 * i16x8.q15mulr_sat_s, u8x16.narrow_i16x8, v128.xor, extadd_pairwise, i32x4.mul/add.
 * The image is padded by one zero pixel on each side (row stride 272).
 * Without -msimd128 (e.g. a native build) the same computation runs as scalar C (#else branches). */
#include <stdint.h>
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define W 256
#define H 256
#define S 272 /* row stride: W + 2 padding, rounded up so 16-byte loads at x+2 stay inside */
static uint8_t orig[(H + 2) * S], cur[(H + 2) * S], out[(H + 2) * S];

static void generate(void) {
    uint32_t s = 12345;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            s = s * 1103515245u + 12345u;
            /* smooth gradients plus noise */
            orig[(y + 1) * S + x + 1] = (uint8_t)(((x * 3 + y * 5) & 0xff) ^ ((s >> 24) & 0x3f));
        }
}

static void blur(const uint8_t *src, uint8_t *dst) {
    for (int y = 0; y < H; y++) {
        const uint8_t *r0 = src + y * S, *r1 = r0 + S, *r2 = r1 + S;
        uint8_t *d = dst + (y + 1) * S + 1;
#ifdef __wasm_simd128__
        const v128_t ninth = wasm_i16x8_splat(3641);
        for (int x = 0; x < W; x += 16) {
            v128_t lo = wasm_i16x8_splat(0), hi = wasm_i16x8_splat(0);
            for (int dx = 0; dx < 3; dx++) {
                v128_t a = wasm_v128_load(r0 + x + dx), b = wasm_v128_load(r1 + x + dx);
                v128_t c = wasm_v128_load(r2 + x + dx);
                lo = wasm_i16x8_add(lo, wasm_u16x8_extend_low_u8x16(a));
                hi = wasm_i16x8_add(hi, wasm_u16x8_extend_high_u8x16(a));
                lo = wasm_i16x8_add(lo, wasm_u16x8_extend_low_u8x16(b));
                hi = wasm_i16x8_add(hi, wasm_u16x8_extend_high_u8x16(b));
                lo = wasm_i16x8_add(lo, wasm_u16x8_extend_low_u8x16(c));
                hi = wasm_i16x8_add(hi, wasm_u16x8_extend_high_u8x16(c));
            }
            lo = wasm_i16x8_q15mulr_sat(lo, ninth);
            hi = wasm_i16x8_q15mulr_sat(hi, ninth);
            wasm_v128_store(d + x, wasm_u8x16_narrow_i16x8(lo, hi));
        }
#else
        for (int x = 0; x < W; x++) {
            int sum = 0;
            for (int dx = 0; dx < 3; dx++) sum += r0[x + dx] + r1[x + dx] + r2[x + dx];
            int q = (sum * 3641 + 0x4000) >> 15;
            d[x] = (uint8_t)(q > 255 ? 255 : q);
        }
#endif
    }
}

/* cur = out ^ orig over the interior rows (padding columns are zero in both); checksum mixing. */
static void xor_and_mix(uint32_t acc[4]) {
#ifdef __wasm_simd128__
    v128_t a = wasm_v128_load(acc);
    const v128_t k31 = wasm_i32x4_splat(31);
    for (int y = 1; y <= H; y++) {
        v128_t row = wasm_i32x4_splat(0);
        for (int x = 0; x < S; x += 16) {
            v128_t o = wasm_v128_load(out + y * S + x);
            wasm_v128_store(cur + y * S + x, wasm_v128_xor(o, wasm_v128_load(orig + y * S + x)));
            row = wasm_i32x4_add(row, wasm_u32x4_extadd_pairwise_u16x8(wasm_u16x8_extadd_pairwise_u8x16(o)));
        }
        a = wasm_i32x4_add(wasm_i32x4_mul(a, k31), row);
    }
    wasm_v128_store(acc, a);
#else
    for (int y = 1; y <= H; y++) {
        uint32_t row[4] = {0, 0, 0, 0};
        for (int x = 0; x < S; x++) {
            uint8_t o = out[y * S + x];
            cur[y * S + x] = o ^ orig[y * S + x];
            row[(x & 15) >> 2] += o;
        }
        for (int l = 0; l < 4; l++) acc[l] = acc[l] * 31u + row[l];
    }
#endif
}

__attribute__((export_name("run"))) uint32_t run(uint32_t n) {
    static int ready;
    if (!ready) {
        generate();
        ready = 1;
    }
    for (int i = 0; i < (H + 2) * S; i++) cur[i] = orig[i];
    uint32_t acc[4] __attribute__((aligned(16))) = {1, 2, 3, 4};
    for (uint32_t r = 0; r < n; r++) {
        blur(cur, out);
        xor_and_mix(acc);
    }
    return acc[0] ^ (acc[1] * 0x9e3779b1u) ^ (acc[2] * 0x85ebca77u) ^ (acc[3] * 0xc2b2ae3du);
}
