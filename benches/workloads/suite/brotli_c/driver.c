/* Brotli 0.6.0 (C, from the brotli-sys crate's bundled sources): BrotliEncoderCompress at qualities 1, 5 and 9
 * (window 18) and BrotliDecoderDecompress of n blocks of 16 KiB of generated text. */
#include <string.h>
#include "brotli/decode.h"
#include "brotli/encode.h"
#include "../common/gen.h"

#define BLOCK 16384
static uint8_t in[BLOCK], comp[BLOCK * 2], out[BLOCK];

EXPORT(run) uint32_t run(int32_t n) {
    uint32_t h = 2166136261u;
    for (int32_t b = 0; b < n; b++) {
        gen_text(in, BLOCK, (uint32_t)b + 5000);
        int q = (b % 3 == 0) ? 1 : (b % 3 == 1) ? 5 : 9;
        size_t clen = sizeof comp;
        if (!BrotliEncoderCompress(q, 18, BROTLI_MODE_TEXT, BLOCK, in, &clen, comp)) return 0;
        size_t olen = sizeof out;
        if (BrotliDecoderDecompress(clen, comp, &olen, out) != BROTLI_DECODER_RESULT_SUCCESS || olen != BLOCK ||
            memcmp(in, out, BLOCK))
            return 0;
        h = fnv(h, comp, clen);
        h = mix(h, (uint32_t)clen);
    }
    return h;
}
