/* malloc.c — allocator-heavy code on wasi-libc's dlmalloc (memory.grow only, no imports).
 * Stresses: malloc/free/realloc paths, pointer chasing, memory.grow, calls into libc.
 * Each round: a randomized pattern of mallocs/frees/reallocs over 256 slots (LCG-driven),
 * then an unbalanced binary search tree of 512 nodes built, summed in order, and freed.
 * run(n) does n rounds and returns a checksum. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Empty for malloc.wasm. The loader benchmark's builds (build.sh) define it as _Thread_local so that
 * several threads can run run() at once in one address space, each with its own state. */
#ifndef THREAD_LOCAL
#define THREAD_LOCAL
#endif

#define SLOTS 256
static THREAD_LOCAL uint32_t lcg_state;
static uint32_t rnd(void) { return (lcg_state = lcg_state * 1103515245u + 12345u) >> 8; }

struct node { uint32_t key; struct node *l, *r; };

static struct node *insert(struct node *t, uint32_t key) {
    struct node **p = &t;
    while (*p) p = key < (*p)->key ? &(*p)->l : &(*p)->r;
    *p = malloc(sizeof **p);
    (*p)->key = key; (*p)->l = (*p)->r = NULL;
    return t;
}

static uint32_t walk_free(struct node *t, uint32_t h) {
    while (t) { /* in-order sum, recursion on the left, loop on the right */
        h = walk_free(t->l, h);
        h = h * 31 + t->key;
        struct node *r = t->r;
        free(t);
        t = r;
    }
    return h;
}

__attribute__((export_name("run"))) uint32_t run(uint32_t n) {
    static THREAD_LOCAL uint8_t *slot[SLOTS];
    static THREAD_LOCAL uint32_t len[SLOTS];
    uint32_t h = 0;
    lcg_state = 42;
    for (uint32_t r = 0; r < n; r++) {
        for (int k = 0; k < 1024; k++) {
            uint32_t v = rnd(), i = v % SLOTS;
            uint32_t size = (v >> 8) % 8 == 0 ? 1024 + (v >> 12) % 16384 : 1 + (v >> 12) % 200;
            if (!slot[i]) {
                slot[i] = malloc(size);
                len[i] = size;
                memset(slot[i], (int)v, size < 16 ? size : 16);
                slot[i][size - 1] = (uint8_t)i;
            } else if (v & 0x40000) {
                h = h * 31 + slot[i][0] + slot[i][len[i] - 1];
                free(slot[i]);
                slot[i] = NULL;
            } else {
                slot[i] = realloc(slot[i], size);
                if (size > len[i]) memset(slot[i] + len[i], 0x5a, size - len[i]);
                len[i] = size;
                slot[i][size - 1] = (uint8_t)(v ^ slot[i][0]); /* bytes 16..size-2 may be uninitialized */
                h = h * 31 + slot[i][0];
            }
        }
        struct node *t = NULL;
        for (int k = 0; k < 512; k++) t = insert(t, rnd());
        h = walk_free(t, h);
    }
    for (int i = 0; i < SLOTS; i++) {
        if (slot[i]) { h = h * 31 + slot[i][len[i] - 1]; free(slot[i]); slot[i] = NULL; }
    }
    return h;
}
