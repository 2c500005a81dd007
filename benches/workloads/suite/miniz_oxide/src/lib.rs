//! miniz_oxide: zlib-compress n blocks of 16 KiB of generated text at levels 1, 6 and 9 and inflate
//! them back.
use miniz_oxide::deflate::compress_to_vec_zlib;
use miniz_oxide::inflate::decompress_to_vec_zlib;
use suite_common::{fnv, mix, text, FNV0};

suite_common::export_run!(run);

pub fn run(n: i32) -> u32 {
    let mut h = FNV0;
    for i in 0..n.max(0) as u32 {
        let data = text(16384, i + 6000);
        let level = [1, 6, 9][(i % 3) as usize];
        let c = compress_to_vec_zlib(&data, level);
        let d = decompress_to_vec_zlib(&c).unwrap();
        if d != data {
            return 0;
        }
        h = fnv(h, &c);
        h = mix(h, c.len() as u32);
    }
    h
}
