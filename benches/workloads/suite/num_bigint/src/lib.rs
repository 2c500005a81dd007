//! num-bigint: big-integer arithmetic, n rounds of: 600!, a 4000-bit Fibonacci number, modular
//! exponentiation, gcd, division and decimal conversion (to_string / parse).
use num_bigint::BigUint;
use num_integer::Integer;
use num_traits::{One, Zero};
use suite_common::{fnv, mix, FNV0};

suite_common::export_run!(run);

pub fn run(n: i32) -> u32 {
    let mut h = FNV0;
    for i in 0..n.max(0) as u32 {
        let mut f = BigUint::one();
        for k in 1..=600u32 + i {
            f *= k;
        }
        let s = f.to_string();
        h = fnv(h, s.as_bytes());
        let (mut a, mut b) = (BigUint::zero(), BigUint::one());
        for _ in 0..5000 {
            let c = &a + &b;
            a = b;
            b = c;
        }
        h = fnv(h, &b.to_bytes_le());
        let m = (BigUint::one() << 521u32) - 1u32;
        let p = BigUint::from(3u32 + i).modpow(&(&b % &m), &m);
        h = fnv(h, &p.to_bytes_be());
        let g = f.gcd(&b);
        h = mix(h, g.bits() as u32);
        let (q, r) = f.div_rem(&a);
        h = mix(h, q.bits() as u32 ^ r.bits() as u32);
        let back: BigUint = s.parse().unwrap();
        h = mix(h, (back == f) as u32);
    }
    h
}
