//! lz4_flex (safe Rust LZ4 block format): compress and decompress n blocks of 64 KiB of generated text.
use suite_common::{fnv, mix, text, FNV0};

suite_common::export_run!(run);

pub fn run(n: i32) -> u32 {
    let mut h = FNV0;
    for i in 0..n.max(0) as u32 {
        let data = text(65536, i + 10000);
        let c = lz4_flex::block::compress_prepend_size(&data);
        let d = lz4_flex::block::decompress_size_prepended(&c).unwrap();
        if d != data {
            return 0;
        }
        h = fnv(h, &c);
        h = mix(h, c.len() as u32);
    }
    h
}
