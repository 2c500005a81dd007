/* Shared by the C drivers of the outside suite (our code, not the libraries'): a deterministic
 * text-like input generator and a checksum mixer. No WASI calls. */
#ifndef SUITE_GEN_H
#define SUITE_GEN_H
#include <stddef.h>
#include <stdint.h>

static uint32_t gen_state;
static uint32_t gen_next(void) {
    /* xorshift32 */
    uint32_t x = gen_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return gen_state = x;
}

static const char *const gen_words[] = {
    "the", "of", "and", "to", "in", "is", "was", "that", "for", "on", "with", "as", "by", "at", "from",
    "compression", "interpreter", "memory", "table", "function", "stack", "branch", "value", "module",
    "instruction", "register", "benchmark", "engine", "checksum", "deflate", "window", "symbol", "huffman",
    "literal", "distance", "length", "buffer", "stream", "block", "header", "footer", "dictionary",
    "Lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed", "do", "eiusmod",
};
#define GEN_NWORDS (sizeof gen_words / sizeof gen_words[0])

/* Fill buf with len bytes of word-salad text (spaces, punctuation, newlines, some numbers), from seed. */
static void gen_text(uint8_t *buf, size_t len, uint32_t seed) {
    gen_state = seed * 2654435761u + 1;
    size_t i = 0;
    while (i < len) {
        uint32_t r = gen_next();
        const char *w = gen_words[(r >> 8) % GEN_NWORDS];
        if ((r & 31) == 0) {
            /* a number */
            uint32_t v = gen_next() % 100000;
            char tmp[8];
            int k = 0;
            do { tmp[k++] = (char)('0' + v % 10); v /= 10; } while (v);
            while (k && i < len) buf[i++] = (uint8_t)tmp[--k];
        } else {
            while (*w && i < len) buf[i++] = (uint8_t)*w++;
        }
        if (i < len) buf[i++] = (r & 0x3c0) == 0 ? '\n' : (r & 0x3c0) == 0x40 ? ',' : ' ';
    }
}

/* FNV-1a over bytes, continuing from h. */
static uint32_t fnv(uint32_t h, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

static uint32_t mix(uint32_t h, uint32_t v) {
    h ^= v + 0x9e3779b9u + (h << 6) + (h >> 2);
    return h;
}

#define EXPORT(name) __attribute__((export_name(#name)))
#endif
