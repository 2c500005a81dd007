/* simd_hash: an xxHash32-like hash over a 64 KiB generated buffer with i32x4 lanes, n times.
 *
 * Four i32x4 accumulators (16 lanes) each take one 16-byte vector of every 64-byte block:
 * acc = rotl(acc + v * P2, 13) * P1 (i32x4.mul, shl/shr_u/or as rotate); every second vector is
 * byte-swapped per 32-bit lane with i8x16.shuffle before mixing, and after each block the lanes of
 * acc0/acc1 are exchanged with i32x4 shuffles (so lanes depend on each other). The final merge
 * folds the 16 lanes like xxHash32's avalanche. Each repetition seeds with the previous hash.
 * Stresses: i32x4.add/mul/shl/shr_u, v128.or/xor, i8x16.shuffle, i32x4.extract_lane, v128.load.
 * Not xxHash32 itself (different lane layout and mixing); the scalar fallback computes the same. */
#include <stdint.h>
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define LEN 65536
#define P1 2654435761u
#define P2 2246822519u
#define P3 3266489917u
static uint8_t buf[LEN] __attribute__((aligned(16)));

static uint32_t rotl(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

static void generate(void) {
    uint32_t s = 2463534242u;
    for (int i = 0; i < LEN; i++) {
        s ^= s << 13, s ^= s >> 17, s ^= s << 5;
        buf[i] = (uint8_t)(s >> 7);
    }
}

#ifdef __wasm_simd128__
static inline v128_t round4(v128_t acc, v128_t v, v128_t p1, v128_t p2) {
    v128_t t = wasm_i32x4_add(acc, wasm_i32x4_mul(v, p2));
    return wasm_i32x4_mul(wasm_v128_or(wasm_i32x4_shl(t, 13), wasm_u32x4_shr(t, 19)), p1);
}
#endif

static uint32_t hash(uint32_t seed) {
    uint32_t lanes[16] __attribute__((aligned(16)));
#ifdef __wasm_simd128__
    v128_t a0 = wasm_i32x4_make(seed + P1 + P2, seed + P2, seed, seed - P1);
    v128_t a1 = wasm_i32x4_add(a0, wasm_i32x4_splat(1)), a2 = wasm_i32x4_add(a0, wasm_i32x4_splat(2));
    v128_t a3 = wasm_i32x4_add(a0, wasm_i32x4_splat(3));
    const v128_t p1 = wasm_i32x4_splat((int32_t)P1), p2 = wasm_i32x4_splat((int32_t)P2);
#define ROUND(a, v) a = round4(a, v, p1, p2)
#define BSWAP(v) wasm_i8x16_shuffle(v, v, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12)
    for (int i = 0; i < LEN; i += 64) {
        ROUND(a0, wasm_v128_load(buf + i));
        ROUND(a1, BSWAP(wasm_v128_load(buf + i + 16)));
        ROUND(a2, wasm_v128_load(buf + i + 32));
        ROUND(a3, BSWAP(wasm_v128_load(buf + i + 48)));
        /* exchange: a0 = (a0.0, a1.1, a0.2, a1.3), a1 = (a1.0, a0.1, a1.2, a0.3) rotated by one lane */
        v128_t x = wasm_i32x4_shuffle(a0, a1, 0, 5, 2, 7), y = wasm_i32x4_shuffle(a1, a0, 1, 6, 3, 4);
        a0 = x, a1 = y;
    }
    wasm_v128_store(lanes, a0);
    wasm_v128_store(lanes + 4, a1);
    wasm_v128_store(lanes + 8, a2);
    wasm_v128_store(lanes + 12, a3);
#else
    uint32_t a[4][4];
    uint32_t base[4] = {seed + P1 + P2, seed + P2, seed, seed - P1};
    for (int k = 0; k < 4; k++)
        for (int l = 0; l < 4; l++) a[k][l] = base[l] + (uint32_t)k;
    for (int i = 0; i < LEN; i += 64) {
        for (int k = 0; k < 4; k++)
            for (int l = 0; l < 4; l++) {
                const uint8_t *p = buf + i + 16 * k + 4 * l;
                uint32_t v = (k & 1) ? (uint32_t)p[3] | p[2] << 8 | p[1] << 16 | (uint32_t)p[0] << 24
                                     : (uint32_t)p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
                a[k][l] = rotl(a[k][l] + v * P2, 13) * P1;
            }
        uint32_t x[4] = {a[0][0], a[1][1], a[0][2], a[1][3]};
        uint32_t y[4] = {a[1][1], a[0][2], a[1][3], a[0][0]};
        for (int l = 0; l < 4; l++) a[0][l] = x[l], a[1][l] = y[l];
    }
    for (int k = 0; k < 4; k++)
        for (int l = 0; l < 4; l++) lanes[4 * k + l] = a[k][l];
#endif
    uint32_t h = (uint32_t)LEN;
    for (int i = 0; i < 16; i++) h = rotl(h + lanes[i] * P3, 17) * P1 ^ rotl(lanes[i], i + 1);
    h ^= h >> 15, h *= P2, h ^= h >> 13, h *= P3, h ^= h >> 16;
    return h;
}

__attribute__((export_name("run"))) uint32_t run(uint32_t n) {
    static int ready;
    if (!ready) {
        generate();
        ready = 1;
    }
    uint32_t h = 0;
    for (uint32_t r = 0; r < n; r++) h = hash(h + r);
    return h;
}
