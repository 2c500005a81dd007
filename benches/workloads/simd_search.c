/* simd_search: memchr/strlen-style byte search with i8x16.eq + i8x16.bitmask + ctz, n times.
 *
 * The text is 64 KiB of generated "words" (letters a-z with English-like frequencies), spaces and
 * newlines, with a rare 'X' sprinkled in, NUL-terminated and padded so 16-byte loads never leave the
 * buffer. run(n) does n repetitions; repetition r scans for the needle "etaoinsXq\nz"[r % 11]
 * with memchr over the whole text (positions hashed into the checksum: common bytes give many short
 * searches, rare ones long scans), counts lines, and measures strlen (v128.any_true loop) from a
 * varying start. Stresses: i8x16.splat/eq, i8x16.bitmask, v128.any_true, i32.ctz, v128.load.
 * The scalar fallback (no -msimd128) gives the same results. */
#include <stddef.h>
#include <stdint.h>
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define LEN 65536
static uint8_t text[LEN + 32] __attribute__((aligned(16)));

static void generate(void) {
    static const char freq[] = "eeeeeeeeeeeettttttttaaaaaaaooooooiiiiiinnnnnnsssssshhhhhrrrrrdddllluucmwfgypbvkjxqz";
    uint32_t s = 88172645u;
    int i = 0, word = 0;
    while (i < LEN - 1) {
        s ^= s << 13, s ^= s >> 17, s ^= s << 5;
        if (word > 2 && (s & 7) == 0) {
            text[i++] = (s >> 8) % 9 == 0 ? '\n' : ' ';
            word = 0;
        } else if ((s >> 3) % 1999 == 0) {
            text[i++] = 'X', word++;
        } else {
            text[i++] = (uint8_t)freq[(s >> 12) % (sizeof freq - 1)], word++;
        }
    }
    text[LEN - 1] = 0; /* the rest (padding) is zero too */
}

/* First index >= from of byte c in text[0..end), or end. */
static size_t find(size_t from, size_t end, uint8_t c) {
#ifdef __wasm_simd128__
    const v128_t needle = wasm_i8x16_splat((int8_t)c);
    for (size_t i = from; i < end; i += 16) {
        uint32_t m = wasm_i8x16_bitmask(wasm_i8x16_eq(wasm_v128_load(text + i), needle));
        if (m) {
            size_t at = i + (size_t)__builtin_ctz(m);
            return at < end ? at : end;
        }
    }
    return end;
#else
    for (size_t i = from; i < end; i++)
        if (text[i] == c) return i;
    return end;
#endif
}

static size_t my_strlen(const uint8_t *s) {
#ifdef __wasm_simd128__
    const v128_t zero = wasm_i8x16_splat(0);
    size_t i = 0;
    for (;; i += 16) {
        v128_t eq = wasm_i8x16_eq(wasm_v128_load(s + i), zero);
        if (wasm_v128_any_true(eq)) return i + (size_t)__builtin_ctz(wasm_i8x16_bitmask(eq));
    }
#else
    size_t i = 0;
    while (s[i]) i++;
    return i;
#endif
}

__attribute__((export_name("run"))) uint32_t run(uint32_t n) {
    static int ready;
    if (!ready) {
        generate();
        ready = 1;
    }
    static const char needles[] = "etaoinsXq\nz";
    uint32_t h = 2166136261u;
    for (uint32_t r = 0; r < n; r++) {
        uint8_t c = (uint8_t)needles[r % (sizeof needles - 1)];
        uint32_t count = 0, posh = 0;
        for (size_t p = find(0, LEN, c); p < LEN; p = find(p + 1, LEN, c)) count++, posh = posh * 31u + (uint32_t)p;
        size_t start = (r * 7919u) % LEN;
        uint32_t len = (uint32_t)my_strlen(text + start);
        uint32_t lines = 0;
        for (size_t p = find(0, LEN, '\n'); p < LEN; p = find(p + 1, LEN, '\n')) lines++;
        h = (h ^ count) * 16777619u;
        h = (h ^ posh) * 16777619u;
        h = (h ^ len) * 16777619u;
        h = (h ^ lines) * 16777619u;
    }
    return h;
}
