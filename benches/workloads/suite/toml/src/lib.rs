//! toml: parse n generated TOML documents (~6 KiB each: tables, arrays of tables, inline tables,
//! strings with escapes, integers, floats, booleans, dates) into `toml::Table`, walk, serialize back.
use suite_common::{fnv, mix, Rng, FNV0, WORDS};
use toml::{Table, Value};

suite_common::export_run!(run);

fn gen(seed: u32) -> String {
    let mut r = Rng::new(seed);
    let mut s = String::from("title = \"suite \\\"toml\\\" \\u00e9\"\nversion = 3\n\n");
    for i in 0..40 {
        let w = WORDS[r.below(WORDS.len() as u32) as usize];
        if i % 4 == 0 {
            s.push_str(&format!("[[{w}_list]]\n"));
        } else {
            s.push_str(&format!("[section{i}.{w}]\n"));
        }
        s.push_str(&format!("name = '{w} {i}'\ncount = {}\n", r.below(1_000_000)));
        s.push_str(&format!("ratio = {}.{:03}e{}\n", r.below(1000), r.below(1000), r.below(5)));
        s.push_str(&format!("enabled = {}\n", r.next() & 1 == 0));
        s.push_str(&format!("when = 2026-{:02}-{:02}T{:02}:30:00Z\n", 1 + r.below(12), 1 + r.below(28), r.below(24)));
        s.push_str(&format!("ports = [ {}, {}, {} ]\n", r.below(65536), r.below(65536), r.below(65536)));
        s.push_str(&format!("point = {{ x = {}, y = -{}, label = \"{w}\" }}\n", r.below(100), r.below(100)));
        s.push_str("tags = [\"a\", \"b\", \"\"\"multi\nline\"\"\"]\n\n");
    }
    s
}

fn walk(v: &Value, h: u32) -> u32 {
    match v {
        Value::String(s) => fnv(h, s.as_bytes()),
        Value::Integer(i) => mix(h, *i as u32),
        Value::Float(f) => mix(h, (f.to_bits() ^ (f.to_bits() >> 32)) as u32),
        Value::Boolean(b) => mix(h, *b as u32 + 7),
        Value::Datetime(d) => fnv(h, d.to_string().as_bytes()),
        Value::Array(a) => a.iter().fold(mix(h, a.len() as u32), |h, v| walk(v, h)),
        Value::Table(t) => t.iter().fold(mix(h, t.len() as u32), |h, (k, v)| walk(v, fnv(h, k.as_bytes()))),
    }
}

pub fn run(n: i32) -> u32 {
    let mut h = FNV0;
    for i in 0..n.max(0) as u32 {
        let doc = gen(i);
        let t: Table = doc.parse().unwrap();
        h = t.iter().fold(h, |h, (k, v)| walk(v, fnv(h, k.as_bytes())));
        let out = toml::to_string(&t).unwrap();
        h = fnv(h, out.as_bytes());
    }
    h
}
