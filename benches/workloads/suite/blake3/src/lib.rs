//! blake3 (portable implementation, `pure`, no SIMD): hash, keyed hash and derive_key of n blocks of
//! 32 KiB of generated data, plus 1 KiB of extended output.
use suite_common::{fnv, text, FNV0};

suite_common::export_run!(run);

pub fn run(n: i32) -> u32 {
    let mut h = FNV0;
    let key = [7u8; 32];
    for i in 0..n.max(0) as u32 {
        let data = text(32768, i + 8000);
        h = fnv(h, blake3::hash(&data).as_bytes());
        h = fnv(h, blake3::keyed_hash(&key, &data[..4096]).as_bytes());
        h = fnv(h, &blake3::derive_key("wasmvm suite 2026-12-03", &data[..1000]));
        let mut hasher = blake3::Hasher::new();
        for c in data.chunks(777) {
            hasher.update(c);
        }
        let mut out = [0u8; 1024];
        hasher.finalize_xof().fill(&mut out);
        h = fnv(h, &out);
    }
    h
}
