//! Print the markdown tables (wasmvm vs wasmi, threads, loader) from criterion's results, and write them
//! to `<criterion dir>/wasmvm-report.md`.
//!
//! Usage: `cargo run -p wasmvm-benches --bin report [CRITERION_DIR] [--readme README.md --label TEXT]
//! [--keep N]` (after `cargo bench -p wasmvm-benches`; `benches/run.sh` does both). With `--readme`, the
//! file's tables of our own workloads and of the outside suite (whichever this run measured) are regenerated
//! from it, labelled `TEXT`, beside the ratios of the `N` runs before it (default 4; see
//! `wasmvm_benches::readme`).

use std::path::PathBuf;

use wasmvm_benches::readme;
use wasmvm_benches::report::{criterion_dir, measure, render};
use wasmvm_benches::workloads::{WORKLOADS, is_outside, is_simd};

fn main() {
    let mut args = std::env::args_os().skip(1);
    let (mut dir, mut readme_path, mut label, mut keep) = (None, None, None, 4usize);
    while let Some(a) = args.next() {
        match a.to_str() {
            Some("--readme") => readme_path = args.next().map(PathBuf::from),
            Some("--label") => label = args.next().and_then(|l| l.into_string().ok()),
            Some("--keep") => keep = args.next().and_then(|k| k.to_str()?.parse().ok()).unwrap_or_else(|| usage()),
            Some(s) if s.starts_with("--") => usage(),
            _ => dir = Some(PathBuf::from(a)),
        }
    }
    let dir = dir.unwrap_or_else(criterion_dir);
    if !dir.is_dir() {
        eprintln!("no criterion results in {} (run the benches first)", dir.display());
        std::process::exit(1);
    }
    let table = render(&dir);
    print!("{table}");
    let out = dir.join("wasmvm-report.md");
    match std::fs::write(&out, &table) {
        Ok(()) => eprintln!("written to {}", out.display()),
        Err(e) => eprintln!("cannot write {}: {e}", out.display()),
    }
    if let Some(path) = readme_path {
        let Some(label) = label else { usage() };
        // Our own scalar workloads and the outside suite each have a table (the SIMD workloads' has its own shape).
        let group = |f: &dyn Fn(&str) -> bool| -> Vec<_> {
            WORKLOADS.iter().filter(|w| f(w)).map(|&w| (w, measure(&dir, w))).collect()
        };
        let outside = group(&|w| is_outside(w));
        let ours = group(&|w| !is_outside(w) && !is_simd(w));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| fail(&format!("{}: {e}", path.display())));
        let (merged, n) = readme::merge(&text, &[&ours, &outside], &label, keep).unwrap_or_else(|e| fail(&e));
        if n == 0 {
            fail("this run has no results for our own workloads or the outside suite");
        }
        std::fs::write(&path, merged).unwrap_or_else(|e| fail(&format!("{}: {e}", path.display())));
        eprintln!("{n} workload table(s) of {} regenerated ({label})", path.display());
    }
}

fn usage() -> ! {
    fail("usage: report [CRITERION_DIR] [--readme README.md --label TEXT [--keep N]]")
}

fn fail(msg: &str) -> ! {
    eprintln!("{msg}");
    std::process::exit(2)
}
