/* LZ4 1.10.0 (from the lz4-sys crate's bundled sources): LZ4_compress_default, LZ4_compress_HC (level 9)
 * and LZ4_decompress_safe of n blocks of 64 KiB of generated text. */
#include <string.h>
#include "lz4.h"
#include "lz4hc.h"
#include "../common/gen.h"

#define BLOCK 65536
static char in[BLOCK], comp[LZ4_COMPRESSBOUND(BLOCK)], out[BLOCK];

EXPORT(run) uint32_t run(int32_t n) {
    uint32_t h = 2166136261u;
    for (int32_t b = 0; b < n; b++) {
        gen_text((uint8_t *)in, BLOCK, (uint32_t)b + 3000);
        int clen = (b & 1) ? LZ4_compress_HC(in, comp, BLOCK, sizeof comp, 9)
                           : LZ4_compress_default(in, comp, BLOCK, sizeof comp);
        if (clen <= 0) return 0;
        int olen = LZ4_decompress_safe(comp, out, clen, BLOCK);
        if (olen != BLOCK || memcmp(in, out, BLOCK)) return 0;
        h = fnv(h, (const uint8_t *)comp, (size_t)clen);
        h = mix(h, (uint32_t)clen);
    }
    return h;
}
