/* indirect.c — a loop calling through a table of 8 function pointers chosen by data.
 * Stresses: call_indirect (table lookup + signature check), call/return overhead.
 * run(n) performs n indirect calls and returns the final state. */
#include <stdint.h>

typedef uint32_t (*op_fn)(uint32_t s, uint32_t i);

#define NOINLINE __attribute__((noinline))
NOINLINE static uint32_t f0(uint32_t s, uint32_t i) { return s + i; }
NOINLINE static uint32_t f1(uint32_t s, uint32_t i) { return s ^ (i * 0x9e3779b9u); }
NOINLINE static uint32_t f2(uint32_t s, uint32_t i) { return (s << 3 | s >> 29) + 1; }
NOINLINE static uint32_t f3(uint32_t s, uint32_t i) { return s * 0x01000193u ^ i; }
NOINLINE static uint32_t f4(uint32_t s, uint32_t i) { return s - (i >> 2); }
NOINLINE static uint32_t f5(uint32_t s, uint32_t i) { return ~s + (i & 0xff); }
NOINLINE static uint32_t f6(uint32_t s, uint32_t i) { return (s >> 7) ^ (s << 11) ^ i; }
NOINLINE static uint32_t f7(uint32_t s, uint32_t i) { return s + (s >> 16) + 0x7f4a7c15u; }

/* Not const: the table lives in linear memory and is read on every call. */
static op_fn table[8] = {f0, f1, f2, f3, f4, f5, f6, f7};

__attribute__((export_name("run"))) uint32_t run(uint32_t n) {
    uint32_t s = 0x12345678u, x = 1;
    for (uint32_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u; /* LCG picks the callee */
        s = table[(x >> 16 ^ s) & 7](s, i);
    }
    return s;
}
