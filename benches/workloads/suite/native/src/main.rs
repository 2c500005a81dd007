//! Native cross-check of the suite's Rust programs: `suite-native NAME N...` prints `NAME N run(N)` for
//! each N; `suite-native` alone prints nothing. build.sh check-native compares with ../expected.txt.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(name) = args.first() else { return };
    let run: fn(i32) -> u32 = match name.as_str() {
        "regex" => suite_regex::run,
        "serde_json" => suite_serde_json::run,
        "pulldown_cmark" => suite_pulldown_cmark::run,
        "miniz_oxide" => suite_miniz_oxide::run,
        "sha2" => suite_sha2::run,
        "blake3" => suite_blake3::run,
        "aho_corasick" => suite_aho_corasick::run,
        "rand_chacha" => suite_rand_chacha::run,
        "toml" => suite_toml::run,
        "png" => suite_png::run,
        "lz4_flex" => suite_lz4_flex::run,
        "csv" => suite_csv::run,
        "sqlparser" => suite_sqlparser::run,
        "num_bigint" => suite_num_bigint::run,
        "petgraph" => suite_petgraph::run,
        "libm" => suite_libm::run,
        "ruzstd" => suite_ruzstd::run,
        "unicode_norm" => suite_unicode_norm::run,
        "snap" => suite_snap::run,
        "nom" => suite_nom::run,
        _ => panic!("unknown program {name}"),
    };
    for n in &args[1..] {
        let n: i32 = n.parse().unwrap();
        println!("{name} {n} {}", run(n));
    }
}
