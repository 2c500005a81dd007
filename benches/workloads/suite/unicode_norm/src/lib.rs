//! unicode-normalization: NFC, NFD, NFKC and NFKD of n generated texts (~4 KiB each: Latin with
//! precomposed and combining accents, Greek, Hangul syllables and jamo, compatibility ligatures).
use suite_common::{fnv, mix, Rng, FNV0, WORDS};
use unicode_normalization::UnicodeNormalization;

suite_common::export_run!(run);

const EXTRA: &[&str] = &[
    "é",
    "e\u{301}",
    "ñ",
    "n\u{303}",
    "Å",
    "A\u{30a}",
    "ﬁ",
    "ﬀ",
    "①",
    "ｶ",
    "한국어",
    "\u{1100}\u{1161}\u{11a8}",
    "Ω",
    "ὦ",
    "ά",
    "\u{3b1}\u{301}",
    "ö\u{323}",
    "ǆ",
    "™",
    "½",
    "ẞ",
    "Ǻ",
];

fn gen(seed: u32) -> String {
    let mut r = Rng::new(seed);
    let mut s = String::new();
    while s.len() < 4096 {
        if r.below(3) == 0 {
            s.push_str(EXTRA[r.below(EXTRA.len() as u32) as usize]);
        } else {
            s.push_str(WORDS[r.below(WORDS.len() as u32) as usize]);
        }
        s.push(' ');
    }
    s
}

pub fn run(n: i32) -> u32 {
    let mut h = FNV0;
    for i in 0..n.max(0) as u32 {
        let t = gen(i + 13000);
        let nfd: String = t.nfd().collect();
        let nfc: String = nfd.nfc().collect();
        let nfkd: String = t.nfkd().collect();
        let nfkc: String = t.nfkc().collect();
        for s in [&nfd, &nfc, &nfkd, &nfkc] {
            h = fnv(h, s.as_bytes());
            h = mix(h, s.chars().count() as u32);
        }
        h = mix(h, unicode_normalization::is_nfc(&nfc) as u32);
    }
    h
}
