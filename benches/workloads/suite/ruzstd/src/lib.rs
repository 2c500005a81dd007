//! ruzstd (pure-Rust zstd): compress n blocks of 32 KiB of generated text (its fastest level) and
//! decode them with its streaming decoder.
use std::io::Read;
use suite_common::{fnv, mix, text, FNV0};

suite_common::export_run!(run);

pub fn run(n: i32) -> u32 {
    let mut h = FNV0;
    for i in 0..n.max(0) as u32 {
        let data = text(32768, i + 12000);
        let c = ruzstd::encoding::compress_to_vec(&data[..], ruzstd::encoding::CompressionLevel::Fastest);
        let mut dec = ruzstd::decoding::StreamingDecoder::new(&c[..]).unwrap();
        let mut d = Vec::new();
        dec.read_to_end(&mut d).unwrap();
        if d != data {
            return 0;
        }
        h = fnv(h, &c);
        h = mix(h, c.len() as u32);
    }
    h
}
