/* zlib 1.4 (from the libz-sys crate's bundled sources): deflate at levels 1, 6 and 9 and inflate back,
 * n blocks of 16 KiB of generated text. run(n) returns a checksum of the compressed bytes and the
 * round trip (0 if a round trip fails). */
#include <string.h>
#include "zlib.h"
#include "../common/gen.h"

#define BLOCK 16384
static uint8_t in[BLOCK], comp[BLOCK * 2], out[BLOCK];

EXPORT(run) uint32_t run(int32_t n) {
    uint32_t h = 2166136261u;
    for (int32_t b = 0; b < n; b++) {
        gen_text(in, BLOCK, (uint32_t)b);
        int level = (b % 3 == 0) ? 1 : (b % 3 == 1) ? 6 : 9;
        uLongf clen = sizeof comp;
        if (compress2(comp, &clen, in, BLOCK, level) != Z_OK) return 0;
        uLongf olen = sizeof out;
        if (uncompress(out, &olen, comp, clen) != Z_OK || olen != BLOCK || memcmp(in, out, BLOCK)) return 0;
        h = fnv(h, comp, clen);
        h = mix(h, (uint32_t)clen);
        h = mix(h, (uint32_t)adler32(crc32(0, out, BLOCK), comp, (uInt)clen));
    }
    return h;
}
