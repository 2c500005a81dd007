//! sha2 (RustCrypto, portable code): SHA-256 and SHA-512 of n blocks of 16 KiB of generated data,
//! hashed whole and in 61-byte updates.
use sha2::{Digest, Sha256, Sha512};
use suite_common::{fnv, text, FNV0};

suite_common::export_run!(run);

pub fn run(n: i32) -> u32 {
    let mut h = FNV0;
    for i in 0..n.max(0) as u32 {
        let data = text(16384, i + 7000);
        h = fnv(h, &Sha256::digest(&data));
        let mut s = Sha512::new();
        for c in data.chunks(61) {
            s.update(c);
        }
        h = fnv(h, &s.finalize());
    }
    h
}
