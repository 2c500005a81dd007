//! serde_json: parse n generated JSON documents (~12 KiB each: objects, arrays, strings with escapes,
//! integers, floats) into `Value`, walk them, and serialize them back (compact and pretty).
use serde_json::Value;
use suite_common::{fnv, mix, Rng, FNV0, WORDS};

suite_common::export_run!(run);

fn gen(seed: u32) -> String {
    let mut r = Rng::new(seed);
    let mut s = String::from("{\"items\":[");
    for i in 0..60 {
        if i > 0 {
            s.push(',');
        }
        let w = WORDS[r.below(WORDS.len() as u32) as usize];
        s.push_str(&format!(
            "{{\"id\":{},\"name\":\"{} \\\"{}\\\"\\n\\u00e9\",\"price\":{}.{:02},\"ratio\":{}e-3,\"tags\":[",
            r.next() % 100000,
            w,
            i,
            r.below(1000),
            r.below(100),
            r.below(100000)
        ));
        for t in 0..r.below(6) {
            if t > 0 {
                s.push(',');
            }
            s.push_str(&format!("\"{}\"", WORDS[r.below(WORDS.len() as u32) as usize]));
        }
        s.push_str(&format!(
            "],\"ok\":{},\"nested\":{{\"a\":[1,2,{{\"b\":null}}],\"c\":-{}}}}}",
            r.next() & 1 == 0,
            r.below(1 << 30)
        ));
    }
    s.push_str("]}");
    s
}

fn walk(v: &Value, h: u32) -> u32 {
    match v {
        Value::Null => mix(h, 1),
        Value::Bool(b) => mix(h, 2 + *b as u32),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                mix(h, i as u32)
            } else {
                let f = n.as_f64().unwrap();
                mix(h, (f.to_bits() ^ (f.to_bits() >> 32)) as u32)
            }
        }
        Value::String(s) => fnv(h, s.as_bytes()),
        Value::Array(a) => a.iter().fold(mix(h, a.len() as u32), |h, v| walk(v, h)),
        Value::Object(o) => o.iter().fold(mix(h, o.len() as u32), |h, (k, v)| walk(v, fnv(h, k.as_bytes()))),
    }
}

pub fn run(n: i32) -> u32 {
    let mut h = FNV0;
    for i in 0..n.max(0) as u32 {
        let doc = gen(i);
        let v: Value = serde_json::from_str(&doc).unwrap();
        h = walk(&v, h);
        let compact = serde_json::to_string(&v).unwrap();
        h = fnv(h, compact.as_bytes());
        let pretty = serde_json::to_string_pretty(&v["items"][3]).unwrap();
        h = fnv(h, pretty.as_bytes());
        let back: Value = serde_json::from_str(&compact).unwrap();
        h = mix(h, (back == v) as u32);
    }
    h
}
