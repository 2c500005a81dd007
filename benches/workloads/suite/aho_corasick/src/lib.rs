//! aho-corasick: build automata (standard and leftmost-first, NFA and DFA) from 60 patterns and
//! search n chunks of 16 KiB of generated text (find_iter, overlapping, replace_all).
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use suite_common::{fnv, mix, text_string, FNV0, WORDS};

suite_common::export_run!(run);

pub fn run(n: i32) -> u32 {
    let mut pats: Vec<String> = WORDS.iter().filter(|w| w.len() > 2).map(|w| w.to_string()).collect();
    pats.extend(["ion ", "ble", "e t", ", ", "er"].iter().map(|s| s.to_string()));
    let standard = AhoCorasick::builder().kind(Some(AhoCorasickKind::NoncontiguousNFA)).build(&pats).unwrap();
    let leftmost = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostFirst)
        .kind(Some(AhoCorasickKind::ContiguousNFA))
        .build(&pats)
        .unwrap();
    let dfa = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .ascii_case_insensitive(true)
        .kind(Some(AhoCorasickKind::DFA))
        .build(&pats)
        .unwrap();
    let repl: Vec<String> = pats.iter().map(|p| p.to_uppercase()).collect();
    let mut h = FNV0;
    for i in 0..n.max(0) as u32 {
        let t = text_string(16384, i + 9000);
        for m in standard.find_overlapping_iter(&t) {
            h = mix(h, (m.pattern().as_u32() << 20) ^ m.start() as u32);
        }
        for m in leftmost.find_iter(&t) {
            h = mix(h, m.end() as u32);
        }
        h = mix(h, dfa.find_iter(&t).count() as u32);
        h = fnv(h, leftmost.replace_all(&t, &repl).as_bytes());
    }
    h
}
