/* bzip2 1.0.8 (from the bzip2-sys crate's bundled sources): BZ2 compress (block size 1, i.e. 100k)
 * and decompress of n blocks of 16 KiB of generated text. */
#include <string.h>
#include "bzlib.h"
#include "../common/gen.h"

#define BLOCK 16384
static char in[BLOCK], comp[BLOCK * 2], out[BLOCK];

void bz_internal_error(int errcode) { (void)errcode; __builtin_trap(); }

EXPORT(run) uint32_t run(int32_t n) {
    uint32_t h = 2166136261u;
    for (int32_t b = 0; b < n; b++) {
        gen_text((uint8_t *)in, BLOCK, (uint32_t)b + 1000);
        unsigned clen = sizeof comp;
        if (BZ2_bzBuffToBuffCompress(comp, &clen, in, BLOCK, 1, 0, 30) != BZ_OK) return 0;
        unsigned olen = sizeof out;
        if (BZ2_bzBuffToBuffDecompress(out, &olen, comp, clen, 0, 0) != BZ_OK || olen != BLOCK ||
            memcmp(in, out, BLOCK))
            return 0;
        h = fnv(h, (const uint8_t *)comp, clen);
        h = mix(h, clen);
    }
    return h;
}
