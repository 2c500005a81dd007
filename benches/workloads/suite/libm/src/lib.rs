//! libm (Rust port of musl's libm): n rounds of sin, cos, tan, exp, log, log10, pow, atan2, cbrt,
//! tanh, asinh, erf, lgamma, hypot, expm1, log1p on 2,000 arguments each (f64), plus sinf/expf/logf (f32);
//! the checksum is over the results' bits.
use suite_common::{mix, FNV0};

suite_common::export_run!(run);

fn bits(h: u32, x: f64) -> u32 {
    let b = x.to_bits();
    mix(h, (b ^ (b >> 32)) as u32)
}

pub fn run(n: i32) -> u32 {
    let mut h = FNV0;
    for i in 0..n.max(0) {
        for k in 0..2000 {
            let x = (k as f64 - 1000.0) * 0.0137 + i as f64 * 0.001;
            let y = k as f64 * 0.0091 + 0.25;
            h = bits(h, libm::sin(x) + libm::cos(y) * libm::tan(x * 0.3));
            h = bits(h, libm::exp(x * 0.5) + libm::log(y) + libm::log10(y * 3.0));
            h = bits(h, libm::pow(y, x * 0.2) + libm::atan2(x, y));
            h = bits(h, libm::cbrt(x) + libm::tanh(x) + libm::asinh(x));
            h = bits(h, libm::erf(x * 0.5) + libm::lgamma(y) + libm::hypot(x, y));
            h = bits(h, libm::expm1(x * 0.01) + libm::log1p(y));
            let xf = x as f32;
            h = bits(h, (libm::sinf(xf) + libm::expf(xf * 0.1) + libm::logf(y as f32)) as f64);
        }
    }
    h
}
