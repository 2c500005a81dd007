/*
 * wasmvm.h — what the wasmvm loader offers to the wasm programs it runs (C ABI).
 *
 * Every function here is a host function of the loader, imported from module "wasmvm" (the C library
 * names dlopen, dlsym, dlclose, dlerror, malloc, ... are also importable from "env", so code that declares
 * them itself and is linked with --unresolved-symbols=import-dynamic or --allow-undefined works too).
 * They may be called from any thread; a module dlopen'ed by one thread is immediately usable by all.
 */
#ifndef WASMVM_H
#define WASMVM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WASMVM_IMPORT(name) __attribute__((import_module("wasmvm"), import_name(#name)))

/* ---- Dynamic loading (dlfcn.h) ------------------------------------------------------------------ */

#define RTLD_LAZY 0x1       /* accepted; binding is always immediate */
#define RTLD_NOW 0x2
#define RTLD_NOLOAD 0x4     /* only return a handle if the module is already loaded */
#define RTLD_GLOBAL 0x100   /* add the module's symbols to the global scope */
#define RTLD_LOCAL 0        /* keep them out of it (the handle still finds them) */
#define RTLD_NODELETE 0x1000
#define RTLD_DEFAULT ((void *)0) /* dlsym: search the global scope (then the host's functions) */

/* Load a module and the libraries it needs (NEEDED), searched in the loader's search path and the
 * calling module's runtime path; returns NULL on error (see dlerror). dlopen(NULL, ...) returns a
 * handle for the global scope. Loading a loaded module returns its handle and counts a reference. */
void *dlopen(const char *path, int flags) WASMVM_IMPORT(dlopen);
/* A function symbol: a function pointer (table index). A data symbol: its address; a thread-local one:
 * the calling thread's copy. NULL if not found. */
void *dlsym(void *handle, const char *name) WASMVM_IMPORT(dlsym);
/* Drop a reference; the module is unloaded when nothing uses it any more. 0 on success. */
int dlclose(void *handle) WASMVM_IMPORT(dlclose);
/* The last error of this thread as a string (in a per-thread buffer), or NULL; clears it. */
char *dlerror(void) WASMVM_IMPORT(dlerror);

/* ---- Memory (the loader's thread-safe allocator; metadata lives outside wasm memory) -------------- */

void *wasmvm_malloc(size_t size) WASMVM_IMPORT(malloc);
void wasmvm_free(void *p) WASMVM_IMPORT(free);
void *wasmvm_calloc(size_t n, size_t size) WASMVM_IMPORT(calloc);
void *wasmvm_realloc(void *p, size_t size) WASMVM_IMPORT(realloc);
void *wasmvm_aligned_alloc(size_t align, size_t size) WASMVM_IMPORT(aligned_alloc);
int wasmvm_posix_memalign(void **out, size_t align, size_t size) WASMVM_IMPORT(posix_memalign);
size_t wasmvm_malloc_usable_size(void *p) WASMVM_IMPORT(malloc_usable_size);
/* C23's sized deallocation: traps if size (and align) do not match the allocation. */
void free_sized(void *p, size_t size) WASMVM_IMPORT(free_sized);
void free_aligned_sized(void *p, size_t align, size_t size) WASMVM_IMPORT(free_aligned_sized);

/* ---- Logging (to the host's `log` crate, tagged with the calling module) ------------------------- */

#define WASMVM_LOG_ERROR 1
#define WASMVM_LOG_WARN 2
#define WASMVM_LOG_INFO 3
#define WASMVM_LOG_DEBUG 4
#define WASMVM_LOG_TRACE 5
void wasmvm_log(int level, const char *msg, size_t len) WASMVM_IMPORT(log);

#ifdef __cplusplus
}
#endif

#endif
