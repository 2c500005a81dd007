/* simd_matmul: f32 64x64 matrix multiply with f32x4 (wasm_simd128.h intrinsics), n times.
 *
 * C = A * B row by row: for each A[i][k], splat it and add splat * B[k][j..j+4] into 16 f32x4
 * accumulators of C's row (kept in locals), then store the row. After each repetition a few
 * elements of C are folded into an f32x4 accumulator and A is perturbed, so every repetition
 * differs. Returns a hash of the accumulator's and C's bits (exact IEEE results: no FMA, the
 * scalar fallback does the same operations in the same order).
 * Stresses: f32x4.splat/mul/add, v128.load/store, f32x4.extract_lane, i32x4 ops on float bits. */
#include <stdint.h>
#include <string.h>
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define N 64
static float A[N][N] __attribute__((aligned(16))), B[N][N] __attribute__((aligned(16)));
static float C[N][N] __attribute__((aligned(16)));

static void matmul(void) {
    for (int i = 0; i < N; i++) {
#ifdef __wasm_simd128__
        for (int j0 = 0; j0 < N; j0 += 16) {
            v128_t c0 = wasm_f32x4_splat(0.0f), c1 = c0, c2 = c0, c3 = c0;
            for (int k = 0; k < N; k++) {
                v128_t a = wasm_f32x4_splat(A[i][k]);
                const float *b = &B[k][j0];
                c0 = wasm_f32x4_add(c0, wasm_f32x4_mul(a, wasm_v128_load(b)));
                c1 = wasm_f32x4_add(c1, wasm_f32x4_mul(a, wasm_v128_load(b + 4)));
                c2 = wasm_f32x4_add(c2, wasm_f32x4_mul(a, wasm_v128_load(b + 8)));
                c3 = wasm_f32x4_add(c3, wasm_f32x4_mul(a, wasm_v128_load(b + 12)));
            }
            wasm_v128_store(&C[i][j0], c0);
            wasm_v128_store(&C[i][j0 + 4], c1);
            wasm_v128_store(&C[i][j0 + 8], c2);
            wasm_v128_store(&C[i][j0 + 12], c3);
        }
#else
        for (int j = 0; j < N; j++) {
            float s = 0.0f;
            for (int k = 0; k < N; k++) s = s + A[i][k] * B[k][j];
            C[i][j] = s;
        }
#endif
    }
}

__attribute__((export_name("run"))) uint32_t run(uint32_t n) {
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = (float)((i * 7 + j * 3) % 17) / 16.0f - 0.5f;
            B[i][j] = (float)((i * 5 + j * 11) % 13) / 12.0f - 0.25f;
        }
    float acc[4] __attribute__((aligned(16))) = {0, 0, 0, 0};
    for (uint32_t r = 0; r < n; r++) {
        matmul();
        int row = (int)(r * 5 % N);
#ifdef __wasm_simd128__
        v128_t a = wasm_v128_load(acc);
        for (int j = 0; j < N; j += 4)
            a = wasm_f32x4_add(a, wasm_f32x4_mul(wasm_v128_load(&C[row][j]), wasm_f32x4_splat(0.001f)));
        wasm_v128_store(acc, a);
#else
        for (int j = 0; j < N; j += 4)
            for (int l = 0; l < 4; l++) acc[l] = acc[l] + C[row][j + l] * 0.001f;
#endif
        A[r % N][(r * 7) % N] += C[(r * 3) % N][r % N] * 0.0001f;
    }
    uint32_t h = 2166136261u;
    for (int l = 0; l < 4; l++) {
        uint32_t bits;
        memcpy(&bits, &acc[l], 4);
        h = (h ^ bits) * 16777619u;
    }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            uint32_t bits;
            memcpy(&bits, &C[i][j], 4);
            h = (h ^ bits) * 16777619u;
        }
    return h;
}
