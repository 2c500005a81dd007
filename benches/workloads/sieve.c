/* sieve.c — sieve of Eratosthenes over a 256 KiB byte array, repeated n times.
 * Stresses: i32 byte loads/stores, tight loops, branches.
 * Each repetition sieves a slightly different limit so no work can be hoisted. */
#include <stdint.h>
#include <string.h>

#define LIMIT (1u << 18)
static uint8_t composite[LIMIT];

__attribute__((export_name("run"))) uint32_t run(uint32_t n) {
    uint32_t sum = 0;
    for (uint32_t r = 0; r < n; r++) {
        uint32_t limit = LIMIT - (r & 1023);
        for (uint32_t i = 0; i < limit; i++) composite[i] = 0; /* explicit store loop */
        uint32_t count = 0, last = 0;
        for (uint32_t i = 2; i < limit; i++) {
            if (composite[i]) continue;
            count++;
            last = i;
            for (uint32_t j = i * 2; j < limit; j += i) composite[j] = 1;
        }
        sum = sum * 31 + count + last;
    }
    return sum;
}
