/* zstd 1.5.7 (from the zstd-sys crate's bundled sources): ZSTD_compress at levels 1, 3 and 9 and
 * ZSTD_decompress of n blocks of 32 KiB of generated text (single-threaded, no ASM). */
#include <string.h>
#include "zstd.h"
#include "../common/gen.h"

#define BLOCK 32768
static uint8_t in[BLOCK], comp[BLOCK * 2], out[BLOCK];

EXPORT(run) uint32_t run(int32_t n) {
    uint32_t h = 2166136261u;
    for (int32_t b = 0; b < n; b++) {
        gen_text(in, BLOCK, (uint32_t)b + 2000);
        int level = (b % 3 == 0) ? 1 : (b % 3 == 1) ? 3 : 9;
        size_t clen = ZSTD_compress(comp, sizeof comp, in, BLOCK, level);
        if (ZSTD_isError(clen)) return 0;
        size_t olen = ZSTD_decompress(out, sizeof out, comp, clen);
        if (ZSTD_isError(olen) || olen != BLOCK || memcmp(in, out, BLOCK)) return 0;
        h = fnv(h, comp, clen);
        h = mix(h, (uint32_t)clen);
    }
    return h;
}
