/* loader_lib.c — a small library, the unit of the loader benchmark "load 100 modules" (benches/loader.rs).
 *
 * Built twice by build.sh: as a PIC side module (loader_lib.so, loaded 100 times into one address space
 * under 100 names) and as an import-free WASI reactor (loader_lib.wasm, instantiated 100 times in 100
 * stores). It has what a typical library brings to a load: initialized and zeroed data, a table of
 * function pointers (data relocations in the side module), a constructor, exported functions.
 * No libc calls, so the two builds differ only in how they are linked.
 *
 * lib_run(x) returns a checksum of x and the library's state; lib_run(0) == 21 after the constructor. */
#include <stdint.h>

#define EXPORTED(name) __attribute__((visibility("default"), export_name(#name)))

static uint32_t counter;           /* zeroed data (.bss) */
static uint32_t table[64];         /* zeroed data, written by the constructor */
static const char banner[] = "loader_lib: a small library for the wasmvm loader benchmark";

static uint32_t op_add(uint32_t a, uint32_t b) { return a + b; }
static uint32_t op_xor(uint32_t a, uint32_t b) { return a ^ b; }
static uint32_t op_mul(uint32_t a, uint32_t b) { return a * (b | 1); }
static uint32_t op_rot(uint32_t a, uint32_t b) { return (a << (b & 31)) | (a >> ((32 - b) & 31)); }

/* Initialized data holding function pointers: relocated at load time in the side module. */
static uint32_t (*const ops[4])(uint32_t, uint32_t) = {op_add, op_xor, op_mul, op_rot};
static const char *const names[4] = {"add", "xor", "mul", "rot"};

__attribute__((constructor)) static void lib_init(void) {
    for (uint32_t i = 0; i < 64; i++) table[i] = i * 2654435761u;
    counter = 21;
}

EXPORTED(lib_run) uint32_t lib_run(uint32_t x) {
    uint32_t h = counter + x;
    for (uint32_t i = 0; i < 64; i++) h = ops[i & 3](h, table[(i + x) & 63]);
    h = x ? h : counter;
    for (const char *p = banner; *p; p++) h += x ? (uint8_t)*p : 0;
    return h;
}

EXPORTED(lib_name) const char *lib_name(uint32_t i) { return names[i & 3]; }

EXPORTED(lib_bump) uint32_t lib_bump(void) { return ++counter; }
