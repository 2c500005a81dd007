//! rand_chacha: ChaCha8, ChaCha12 and ChaCha20 generators (portable code), n rounds of 16 Ki u32s,
//! u64s and byte fills each.
use rand_chacha::{ChaCha12Rng, ChaCha20Rng, ChaCha8Rng};
use rand_core::{RngCore, SeedableRng};
use suite_common::{fnv, mix, FNV0};

suite_common::export_run!(run);

fn drain<R: RngCore>(mut r: R, mut h: u32) -> u32 {
    for _ in 0..4096 {
        h = mix(h, r.next_u32());
    }
    for _ in 0..2048 {
        let v = r.next_u64();
        h = mix(h, (v ^ (v >> 29)) as u32);
    }
    let mut buf = [0u8; 16384];
    r.fill_bytes(&mut buf);
    fnv(h, &buf)
}

pub fn run(n: i32) -> u32 {
    let mut h = FNV0;
    for i in 0..n.max(0) as u64 {
        h = drain(ChaCha8Rng::seed_from_u64(i), h);
        h = drain(ChaCha12Rng::seed_from_u64(i * 3 + 1), h);
        h = drain(ChaCha20Rng::from_seed([i as u8; 32]), h);
    }
    h
}
