/* bulkmem.c — memcpy/memmove/memset-heavy code over a 1 MiB buffer, large and small, with
 * run-time sizes so clang keeps them as calls; with -mbulk-memory they become
 * memory.copy / memory.fill. Stresses: memory.copy (incl. overlapping), memory.fill.
 * run(n) does n rounds and returns a checksum of sampled bytes plus a final full-buffer hash. */
#include <stdint.h>
#include <string.h>

#define SIZE (1u << 20)
static uint8_t buf[SIZE];
static uint8_t scratch[64 * 1024];

__attribute__((export_name("run"))) uint32_t run(uint32_t n) {
    uint32_t x = 0x9e3779b9u, sum = 0;
    for (uint32_t i = 0; i < SIZE; i++) buf[i] = (uint8_t)(i * 131 + (i >> 9));
    for (uint32_t r = 0; r < n; r++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        /* large: fill 256 KiB, copy 64 KiB out and back, overlapping 128 KiB memmove */
        uint32_t off = x & (SIZE / 2 - 1);
        memset(buf + off, (int)(r & 0xff), 256 * 1024 - (x >> 24));
        memcpy(scratch, buf + (SIZE - sizeof scratch - (x & 0xfff)), sizeof scratch);
        memmove(buf + (x >> 12 & 0x7ffff) + 13, buf + (x >> 12 & 0x7ffff), 128 * 1024);
        memcpy(buf + ((x >> 4) & (SIZE / 2 - 1)), scratch, sizeof scratch - (x & 0xff));
        /* small: 64 copies/fills of 1..256 bytes at pseudo-random places */
        for (uint32_t k = 0; k < 64; k++) {
            uint32_t y = x * (2 * k + 1);
            uint32_t len = (y >> 24) + 1;
            uint32_t src = (y >> 3) % (SIZE - 512), dst = (y * 7) % (SIZE - 512);
            if (k & 1) memmove(buf + dst, buf + src, len); /* may overlap */
            else memset(buf + dst, (int)(y & 0xff), len);
        }
        sum = sum * 31 + buf[x & (SIZE - 1)] + buf[(x >> 7) & (SIZE - 1)];
    }
    for (uint32_t i = 0; i < SIZE; i += 4) {
        uint32_t w;
        memcpy(&w, buf + i, 4);
        sum = (sum ^ w) * 0x01000193u;
    }
    return sum;
}
