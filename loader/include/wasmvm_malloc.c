/*
 * wasmvm_malloc.c — make a program's C library use the wasmvm loader's allocator.
 *
 * Link this file into a non-PIC main program built with wasi-libc. It defines every symbol of wasi-libc's
 * dlmalloc.o, so the linker leaves dlmalloc out and malloc & co. become calls to the loader's thread-safe
 * allocator (include/wasmvm.h). This is required with Debian's wasi-libc (2022): at its first malloc,
 * its dlmalloc takes all memory from __heap_base up to memory.size as its heap — including the regions
 * the loader has placed there by then (libraries, stacks, TLS). It is also what makes malloc safe to call
 * from several threads.
 */
#include <errno.h>

#include "wasmvm.h"

static void *check(void *p, size_t n) {
    if (!p && n) errno = ENOMEM;
    return p;
}

void *malloc(size_t n) { return check(wasmvm_malloc(n), 1); }
void free(void *p) { wasmvm_free(p); }
void *calloc(size_t n, size_t size) { return check(wasmvm_calloc(n, size), n && size); }
void *realloc(void *p, size_t n) { return check(wasmvm_realloc(p, n), n); }
void *aligned_alloc(size_t align, size_t n) { return check(wasmvm_aligned_alloc(align, n), 1); }
int posix_memalign(void **out, size_t align, size_t n) { return wasmvm_posix_memalign(out, align, n); }
size_t malloc_usable_size(void *p) { return wasmvm_malloc_usable_size(p); }
void *__libc_malloc(size_t n) { return malloc(n); }
void __libc_free(void *p) { free(p); }
void *__libc_calloc(size_t n, size_t size) { return calloc(n, size); }
