//! The fuzz driver: seeds through a generator and [`crate::diff::diff_module`], replays, saved failures.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use crate::diff::{Findings, diff_module};
use crate::runtimes::Engines;

pub(crate) fn failures_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("target"),
    }
    .join("fuzz-failures")
}

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    Some(v.trim().parse().unwrap_or_else(|_| panic!("{name} must be a number, got {v:?}")))
}

/// The message of a caught panic.
pub(crate) fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default()
}

/// What happened to one seed.
enum SeedResult {
    /// The generator could not make a module of this seed.
    NotGenerated,
    /// Compared; references outvoted on the way (if any).
    Ok(Findings),
    /// A wasmvm mismatch (the module is saved).
    Mismatch(String),
}

/// A module generator: seed to module bytes (`None` if the seed makes no module).
type Generator = fn(u64) -> Option<Vec<u8>>;

/// Diff one module, catching panics; a mismatching module is saved as `target/fuzz-failures/<name>.wasm`.
fn check_module(engines: &Engines, wasm: &[u8], name: &str, log: Option<&mut String>) -> SeedResult {
    let mut findings = Findings::default();
    let result = catch_unwind(AssertUnwindSafe(|| diff_module(engines, wasm, &mut findings, log)))
        .unwrap_or_else(|p| Err(format!("panic: {}", panic_message(&*p))));
    match result {
        Ok(()) => SeedResult::Ok(findings),
        Err(msg) => {
            let dir = failures_dir();
            let _ = std::fs::create_dir_all(&dir);
            let path = dir.join(format!("{name}.wasm"));
            let _ = std::fs::write(&path, wasm);
            SeedResult::Mismatch(format!("seed {name}: {msg}\n    module: {}", path.display()))
        }
    }
}

fn replay(wasm: &[u8], name: &str) {
    let mut log = String::new();
    let r = check_module(&Engines::new(), wasm, name, Some(&mut log));
    println!("{log}");
    match r {
        SeedResult::NotGenerated => println!("seed {name}: no module"),
        SeedResult::Ok(f) => {
            for (_, msg) in &f.outvoted {
                println!("outvoted: {msg}");
            }
            for msg in &f.inconclusive {
                println!("inconclusive: {msg}");
            }
        }
        SeedResult::Mismatch(msg) => panic!("{msg}"),
    }
}

/// Run `generate` over the seeds (or replay one seed or file, see the module docs). Failing modules are saved
/// as `target/fuzz-failures/<prefix><seed>.wasm`.
pub(crate) fn fuzz(prefix: &str, generate: Generator) {
    fuzz_n(prefix, generate, 1)
}

/// [`fuzz`], with the default module count divided by `divisor`.
pub(crate) fn fuzz_n(prefix: &str, generate: Generator, divisor: u64) {
    if let Some(path) = std::env::var_os("WASMVM_FUZZ_FILE") {
        // Diff a given module (e.g. a hand-shrunk failure), in the binary or text format.
        let bytes = std::fs::read(&path).expect("read WASMVM_FUZZ_FILE");
        let wasm = wat::parse_bytes(&bytes).expect("parse WASMVM_FUZZ_FILE").into_owned();
        let name = PathBuf::from(&path).file_stem().map_or("file".into(), |s| s.to_string_lossy().into_owned());
        return replay(&wasm, &format!("{name}-replay"));
    }
    if let Some(seed) = env_u64("WASMVM_FUZZ_SEED") {
        let Some(wasm) = generate(seed) else { return println!("seed {prefix}{seed}: no module") };
        // Saved for a look even if it passes.
        let path = failures_dir().join(format!("{prefix}{seed}.wasm"));
        let _ = std::fs::create_dir_all(failures_dir());
        let _ = std::fs::write(&path, &wasm);
        println!("module: {}", path.display());
        return replay(&wasm, &format!("{prefix}{seed}"));
    }
    let default_iters = (if cfg!(debug_assertions) { 200 } else { 2000 }) / divisor;
    let iters = env_u64("WASMVM_FUZZ_ITERS").unwrap_or(default_iters);
    let start = env_u64("WASMVM_FUZZ_START").unwrap_or(0);
    let verbose = std::env::var_os("WASMVM_FUZZ_VERBOSE").is_some();
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(8) as u64;
    let mismatches = Mutex::new(Vec::<(u64, String)>::new());
    let outvoted = Mutex::new(Vec::<(u64, usize, String)>::new());
    let inconclusive = Mutex::new(Vec::<(u64, String)>::new());
    let tested = Mutex::new(0u64);
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for w in 0..workers {
            let (mismatches, outvoted, inconclusive, tested) = (&mismatches, &outvoted, &inconclusive, &tested);
            s.spawn(move || {
                let engines = Engines::new();
                let mut n = 0;
                let mut seed = start + w;
                while seed < start + iters {
                    if verbose {
                        eprintln!("seed {prefix}{seed}");
                    }
                    let result = match generate(seed) {
                        None => SeedResult::NotGenerated,
                        Some(wasm) => check_module(&engines, &wasm, &format!("{prefix}{seed}"), None),
                    };
                    match result {
                        SeedResult::NotGenerated => {}
                        SeedResult::Ok(f) => {
                            n += 1;
                            let mut o = outvoted.lock().unwrap();
                            o.extend(f.outvoted.into_iter().map(|(r, m)| (seed, r, m)));
                            let mut i = inconclusive.lock().unwrap();
                            i.extend(f.inconclusive.into_iter().map(|m| (seed, m)));
                        }
                        SeedResult::Mismatch(msg) => {
                            n += 1;
                            mismatches.lock().unwrap().push((seed, msg));
                        }
                    }
                    seed += workers;
                }
                *tested.lock().unwrap() += n;
            });
        }
    });
    let mut mismatches = mismatches.into_inner().unwrap();
    mismatches.sort();
    let mut outvoted = outvoted.into_inner().unwrap();
    outvoted.sort();
    let mut inconclusive = inconclusive.into_inner().unwrap();
    inconclusive.sort();
    let tested = tested.into_inner().unwrap();
    let count = |r: usize| {
        let mut seeds: Vec<u64> = outvoted.iter().filter(|o| o.1 == r).map(|o| o.0).collect();
        seeds.dedup();
        seeds.len()
    };
    println!(
        "differential ({prefix}seeds {start}..{}): {tested} modules in {:.1}s, {} wasmvm mismatches; wasmi \
         outvoted by wasmvm+tinywasm in {} modules, tinywasm outvoted by wasmvm+wasmi in {}, all three differ in {}",
        start + iters,
        t0.elapsed().as_secs_f64(),
        mismatches.len(),
        count(1),
        count(2),
        inconclusive.len(),
    );
    // Both references wrong at once: not counted as wasmvm mismatches, but worth a look with a third runtime.
    for (seed, msg) in &inconclusive {
        println!("  inconclusive, seed {prefix}{seed}: {}", msg.chars().take(400).collect::<String>());
    }
    // Divergences of a reference are its bugs (or a bug shared by wasmvm and the other reference): listed for
    // a look, not failures.
    for (seed, _, msg) in outvoted.iter().take(20) {
        println!("  seed {prefix}{seed}: {}", msg.chars().take(400).collect::<String>());
    }
    if !mismatches.is_empty() {
        let list: Vec<&str> = mismatches.iter().map(|(_, m)| m.as_str()).collect();
        panic!(
            "{} of {tested} modules differ between wasmvm and the references (replay with WASMVM_FUZZ_SEED=<seed>):\n{}",
            mismatches.len(),
            list.join("\n")
        );
    }
}
