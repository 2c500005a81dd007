//! Print the markdown tables (wasmvm vs wasmi, threads, loader) from criterion's results, and write them
//! to `<criterion dir>/wasmvm-report.md`.
//!
//! Usage: `cargo run -p wasmvm-benches --bin report [CRITERION_DIR]` (after `cargo bench -p
//! wasmvm-benches`; `benches/run.sh` does both).

use std::path::PathBuf;

use wasmvm_benches::report::{criterion_dir, render};

fn main() {
    let dir = std::env::args_os().nth(1).map(PathBuf::from).unwrap_or_else(criterion_dir);
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
}
