/* matmul.c — f64 64x64 matrix multiply, repeated n times.
 * Stresses: f64 add/mul, f64 loads/stores, nested loops with address arithmetic.
 * Returns the bit pattern of an f64 accumulator (exact IEEE results are deterministic in wasm). */
#include <stdint.h>
#include <string.h>

#define N 64
static double A[N][N], B[N][N], C[N][N];

__attribute__((export_name("run"))) uint64_t run(uint32_t n) {
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = (double)((i * 7 + j * 3) % 17) / 16.0 - 0.5;
            B[i][j] = (double)((i * 5 + j * 11) % 13) / 12.0 - 0.25;
        }
    double acc = 0.0;
    for (uint32_t r = 0; r < n; r++) {
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                double s = 0.0;
                for (int k = 0; k < N; k++) s += A[i][k] * B[k][j];
                C[i][j] = s;
            }
        /* fold the result in and perturb the input so every repetition differs */
        for (int i = 0; i < N; i++) acc += C[i][(i + r) % N] * 0.001;
        A[r % N][(r * 7) % N] += C[(r * 3) % N][r % N] * 0.0001;
    }
    uint64_t bits;
    memcpy(&bits, &acc, sizeof bits);
    return bits;
}
