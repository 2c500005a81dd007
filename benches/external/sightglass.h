/* Local stand-in for sightglass's include/sightglass.h (not the upstream file).
 * BLACK_BOX(x) makes the compiler treat x as read and possibly written (its
 * address escapes into an empty asm statement with a "memory" clobber), without
 * emitting any call. Upstream instead calls through a volatile function pointer
 * (static void (*volatile black_box)(void *)), i.e. a call_indirect in wasm. */
#ifndef sightglass_H
#define sightglass_H 1

#include <stddef.h>
#include <stdint.h>

#define TEST_ABI_VERSION 1U

typedef struct TestsConfig {
    void     (*global_setup)(void **global_ctx_p);
    void     (*global_teardown)(void *global_ctx);
    uint64_t version;
} TestsConfig;

#define BLACK_BOX(X) __asm__ volatile("" : : "r"((void *) &(X)) : "memory")

#endif
