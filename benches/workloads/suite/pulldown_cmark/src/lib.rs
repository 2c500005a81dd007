//! pulldown-cmark: render n generated Markdown documents (~8 KiB each: headings, paragraphs with
//! emphasis, code spans, links, lists, block quotes, code blocks, tables) to HTML.
use pulldown_cmark::{html, Options, Parser};
use suite_common::{fnv, mix, Rng, FNV0, WORDS};

suite_common::export_run!(run);

fn words(r: &mut Rng, k: u32) -> String {
    let mut s = String::new();
    for i in 0..k {
        if i > 0 {
            s.push(' ');
        }
        let w = WORDS[r.below(WORDS.len() as u32) as usize];
        match r.below(12) {
            0 => s.push_str(&format!("*{w}*")),
            1 => s.push_str(&format!("**{w}**")),
            2 => s.push_str(&format!("`{w}()`")),
            3 => s.push_str(&format!("[{w}](https://example.com/{w}?q={i})")),
            4 => s.push_str(&format!("_{w}_ &amp; <{w}>")),
            _ => s.push_str(w),
        }
    }
    s
}

fn gen(seed: u32) -> String {
    let mut r = Rng::new(seed);
    let mut s = String::new();
    while s.len() < 8192 {
        match r.below(7) {
            0 => s.push_str(&format!("{} {}\n\n", "#".repeat(1 + r.below(4) as usize), words(&mut r, 4))),
            1 => {
                for _ in 0..3 + r.below(4) {
                    let k = 3 + r.below(6);
                    s.push_str(&format!("- {}\n", words(&mut r, k)));
                }
                s.push('\n');
            }
            2 => {
                let k = 12;
                s.push_str(&format!("> {}\n> {}\n\n", words(&mut r, k), words(&mut r, 5)));
            }
            3 => s.push_str("```rust\nfn main() {\n    let x = 1 << 3;\n}\n```\n\n"),
            4 => {
                s.push_str("| a | b | c |\n|---|:-:|--:|\n");
                for _ in 0..4 {
                    s.push_str(&format!("| {} | {} | {} |\n", words(&mut r, 1), r.below(1000), words(&mut r, 2)));
                }
                s.push('\n');
            }
            _ => {
                let k = 20 + r.below(40);
                s.push_str(&format!("{}\n{}\n\n", words(&mut r, k), words(&mut r, 10)));
            }
        }
    }
    s
}

pub fn run(n: i32) -> u32 {
    let mut h = FNV0;
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    for i in 0..n.max(0) as u32 {
        let md = gen(i);
        let mut out = String::new();
        html::push_html(&mut out, Parser::new_ext(&md, opts));
        h = fnv(h, out.as_bytes());
        h = mix(h, out.len() as u32);
    }
    h
}
