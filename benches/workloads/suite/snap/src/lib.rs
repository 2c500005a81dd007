//! snap (Snappy in Rust): raw-format compress and decompress of n blocks of 64 KiB of generated text,
//! and the framed format (with its CRC32C) for every fourth block.
use std::io::{Read, Write};
use suite_common::{fnv, mix, text, FNV0};

suite_common::export_run!(run);

pub fn run(n: i32) -> u32 {
    let mut h = FNV0;
    for i in 0..n.max(0) as u32 {
        let data = text(65536, i + 14000);
        let c = snap::raw::Encoder::new().compress_vec(&data).unwrap();
        let d = snap::raw::Decoder::new().decompress_vec(&c).unwrap();
        if d != data {
            return 0;
        }
        h = fnv(h, &c);
        h = mix(h, c.len() as u32);
        if i % 4 == 0 {
            let mut w = snap::write::FrameEncoder::new(Vec::new());
            w.write_all(&data).unwrap();
            let framed = w.into_inner().unwrap();
            let mut back = Vec::new();
            snap::read::FrameDecoder::new(&framed[..]).read_to_end(&mut back).unwrap();
            h = mix(h, framed.len() as u32 ^ (back == data) as u32);
        }
    }
    h
}
