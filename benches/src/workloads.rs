//! The workloads: names, `.wasm` bytes, expected checksums and the `n` to use.
//!
//! `expected.txt` has lines `name n checksum` (unsigned decimal; `#` starts a comment). For each name
//! the largest `n` is the *bench n*; every other `n` is a *small n* (the tests run all of them, quick
//! bench mode uses the largest).

use std::path::PathBuf;

/// Every workload, in report order. All export `_initialize` and `run(i32)`.
pub const WORKLOADS: &[&str] = &[
    "fib",
    "sieve",
    "matmul",
    "sha256",
    "switch",
    "indirect",
    "bulkmem",
    "malloc",
    "sqlite",
    "simd_blur",
    "simd_matmul",
    "simd_hash",
    "simd_search",
    "simd_rust",
    "tailcall",
    // The outside suite (`OUTSIDE`): programs whose code comes from crates.io packages.
    "zlib",
    "bzip2",
    "zstd",
    "lz4",
    "libdeflate",
    "brotli_c",
    "lua",
    "lua_str",
    "regex",
    "serde_json",
    "pulldown_cmark",
    "miniz_oxide",
    "sha2",
    "blake3",
    "aho_corasick",
    "rand_chacha",
    "toml",
    "png",
    "lz4_flex",
    "csv",
    "sqlparser",
    "num_bigint",
    "petgraph",
    "libm",
    "ruzstd",
    "unicode_norm",
    "snap",
    "nom",
];

/// The "outside" group, the tail of [`WORKLOADS`]: programs nobody here wrote, built from sources that
/// crates.io packages ship (C from `-sys` crates, Rust crates for `wasm32-wasip1`) around a small driver
/// of ours (`workloads/suite/NAME/`); their `.wasm` files are in `workloads/suite/`. The report gives
/// this group its own geometric mean.
pub const OUTSIDE: &[&str] = WORKLOADS.split_at(WORKLOADS.len() - 28).1;

/// Is `name` in the outside group?
pub fn is_outside(name: &str) -> bool {
    OUTSIDE.contains(&name)
}

/// Is `name` one of the SIMD workloads (`simd_*`, reported in a table of their own beside a scalar build)?
pub fn is_simd(name: &str) -> bool {
    name.starts_with("simd_")
}

/// Environment variable selecting quick mode (small n, short measurements) when set to `1`.
pub const QUICK_ENV: &str = "WASMVM_BENCH_QUICK";

/// One line of `expected.txt`: `run(n)` returns `checksum` (as unsigned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub name: String,
    pub n: i32,
    pub checksum: u64,
}

/// `benches/workloads/`.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("workloads")
}

/// The scalar build of a SIMD workload (`NAME.scalar.wasm`: the same source without `-msimd128`), if any.
pub fn scalar_wasm(name: &str) -> Option<Vec<u8>> {
    std::fs::read(dir().join(format!("{name}.scalar.wasm"))).ok()
}

/// The `.wasm` bytes of a workload (`workloads/NAME.wasm`, or `workloads/suite/NAME.wasm` for the outside
/// group); panics with the path if unreadable.
pub fn wasm(name: &str) -> Vec<u8> {
    let sub = if is_outside(name) { "suite/" } else { "" };
    let path = dir().join(format!("{sub}{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Parse `expected.txt`.
pub fn parse_expected(text: &str) -> Vec<Expected> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let parsed = match f[..] {
                [name, n, sum] => n.parse().ok().zip(sum.parse().ok()).map(|(n, s)| (name, n, s)),
                _ => None,
            };
            let (name, n, checksum) = parsed.unwrap_or_else(|| panic!("bad line in expected.txt: {l:?}"));
            Expected { name: name.to_string(), n, checksum }
        })
        .collect()
}

/// All lines of `benches/workloads/expected.txt`.
pub fn expected() -> Vec<Expected> {
    let path = dir().join("expected.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    parse_expected(&text)
}

/// The expected lines of one workload, sorted by `n`.
pub fn expected_for(name: &str) -> Vec<Expected> {
    let mut v: Vec<Expected> = expected().into_iter().filter(|e| e.name == name).collect();
    v.sort_by_key(|e| e.n);
    assert!(v.len() >= 2, "expected.txt needs a small and a bench n for {name}");
    v
}

/// Is quick mode on (`WASMVM_BENCH_QUICK=1`)?
pub fn quick() -> bool {
    std::env::var(QUICK_ENV).is_ok_and(|v| v == "1")
}

/// The `(n, checksum)` to benchmark with: the bench n, or the largest small n in quick mode.
pub fn bench_case(name: &str) -> Expected {
    let v = expected_for(name);
    let i = if quick() { v.len() - 2 } else { v.len() - 1 };
    v[i].clone()
}

/// The small-n cases of a workload (every n but the bench n).
pub fn small_cases(name: &str) -> Vec<Expected> {
    let mut v = expected_for(name);
    v.pop();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_workload_has_cases() {
        for w in WORKLOADS {
            assert!(!small_cases(w).is_empty());
            assert!(bench_case(w).n > 0);
        }
    }

    #[test]
    fn outside_group() {
        assert_eq!(OUTSIDE.first(), Some(&"zlib"));
        assert!(is_outside("nom") && !is_outside("sqlite") && !is_outside("tailcall"));
        assert!(OUTSIDE.len() >= 20);
    }

    #[test]
    fn parses_comments() {
        let e = parse_expected("# c\nfib 20 6765  # x\n\n");
        assert_eq!(e, vec![Expected { name: "fib".into(), n: 20, checksum: 6765 }]);
    }
}
