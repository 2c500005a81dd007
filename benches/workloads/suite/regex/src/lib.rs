//! regex: compile a set of patterns and run them over n chunks of 8 KiB of generated text
//! (find_iter, captures_iter, replace_all, is_match, split).
use regex::Regex;
use suite_common::{fnv, mix, text_string, FNV0};

suite_common::export_run!(run);

const PATTERNS: &[&str] = &[
    r"\b\w+ion\b",
    r"(\d+)[ ,\n]+(\w+)",
    r"[A-Z][a-z]+",
    r"(?i)THE\s+\w+",
    r"\b(\w)\w*(?:ing|ed|er)\b",
    r"(?m)^\w+",
    r"[aeiou]{2,}",
    r"\b(?:stack|table|value|engine)s?\b",
];

pub fn run(n: i32) -> u32 {
    let res: Vec<Regex> = PATTERNS.iter().map(|p| Regex::new(p).unwrap()).collect();
    let mut h = FNV0;
    for i in 0..n.max(0) as u32 {
        let text = text_string(8192, i);
        for (k, re) in res.iter().enumerate() {
            h = mix(h, re.find_iter(&text).count() as u32);
            if k % 2 == 1 {
                for c in re.captures_iter(&text).take(200) {
                    h = fnv(h, c.get(c.len() - 1).map_or(&b""[..], |m| m.as_str().as_bytes()));
                }
            }
        }
        let replaced = res[1].replace_all(&text, "$2=$1");
        h = fnv(h, replaced.as_bytes());
        h = mix(h, res[3].split(&text).count() as u32);
        h = mix(h, res[4].is_match(&text) as u32);
    }
    h
}
