/* libdeflate 1.26 (from the libdeflate-sys crate's bundled sources): gzip compression at levels 1, 6 and
 * 12 and decompression of n blocks of 32 KiB of generated text, plus its crc32 and adler32. */
#include <string.h>
#include "libdeflate.h"
#include "../common/gen.h"

#define BLOCK 32768
static uint8_t in[BLOCK], comp[BLOCK * 2], out[BLOCK];

EXPORT(run) uint32_t run(int32_t n) {
    uint32_t h = 2166136261u;
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    if (!d) return 0;
    for (int32_t b = 0; b < n; b++) {
        gen_text(in, BLOCK, (uint32_t)b + 4000);
        int level = (b % 3 == 0) ? 1 : (b % 3 == 1) ? 6 : 12;
        struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
        if (!c) return 0;
        size_t clen = libdeflate_gzip_compress(c, in, BLOCK, comp, sizeof comp);
        libdeflate_free_compressor(c);
        if (clen == 0) return 0;
        size_t olen = 0;
        if (libdeflate_gzip_decompress(d, comp, clen, out, sizeof out, &olen) != LIBDEFLATE_SUCCESS ||
            olen != BLOCK || memcmp(in, out, BLOCK))
            return 0;
        h = fnv(h, comp, clen);
        h = mix(h, (uint32_t)clen);
        h = mix(h, libdeflate_crc32(0, out, BLOCK) ^ libdeflate_adler32(1, comp, clen));
    }
    libdeflate_free_decompressor(d);
    return h;
}
