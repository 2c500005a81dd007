//! Issue 16's cost: loading a relocated module (non-PIC, linked with `--emit-relocs`; the loader parses
//! its relocations, patches and re-encodes it, then compiles it) against the same code built
//! position-independent (a `dylink.0` side module, relocated by its own `__wasm_apply_data_relocs`).
//!
//! Both are `workloads/loader_lib.c` (data, a table of function pointers, a constructor, no libc), built by
//! `workloads/build.sh`: `loader_lib.so` (PIC) and `loader_lib_reloc.wasm`. Variants, each timed from a
//! fresh address space: `one_*` loads one copy, `hundred_*` loads 100 copies (under 100 names) into one
//! space, ready to call. Besides criterion's estimates this prints, for each variant, the median and the
//! 10th/90th percentiles of 31 timed runs, and the memory cost: the host RSS growth of a process that holds
//! the 100 copies (median of 3 child processes; this bench re-run with `WASMVM_BENCH_RELOC_PROBE`), the
//! wasm memory and table slots each copy takes, and the size of the module that is compiled.
//!
//! `cargo bench -p wasmvm-benches --bench reloc`.

#[allow(dead_code)] // the wasmi half of `common` is for the other benches
mod common;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::configure;
use criterion::{BatchSize, Criterion, criterion_group};
use wasmvm::Engine;
use wasmvm_benches::workloads;
use wasmvm_loader::{AddressSpace, ModuleId, Source, SpaceConfig, Thread};

const PROBE_ENV: &str = "WASMVM_BENCH_RELOC_PROBE";
const VARIANTS: [(&str, &str); 2] = [("pic", "loader_lib.so"), ("relocated", "loader_lib_reloc.wasm")];

fn file(name: &str) -> Arc<[u8]> {
    let path = workloads::dir().join(name);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e} (see workloads/build.sh)", path.display()))
        .into()
}

/// `n` copies of `lib` in a fresh address space.
fn load(lib: &Arc<[u8]>, n: usize) -> (AddressSpace, Thread, Vec<ModuleId>) {
    let space = AddressSpace::new(&Engine::default(), SpaceConfig::default()).expect("address space");
    let mut t = space.thread().expect("thread");
    let ids =
        (0..n).map(|k| t.load(Source::Bytes { name: format!("lib_{k}"), bytes: lib.clone() }).expect("load")).collect();
    (space, t, ids)
}

/// Every copy is ready and has its own data.
fn check(t: &mut Thread, ids: &[ModuleId]) {
    let bump = t.func(Some(ids[0]), "lib_bump").unwrap().typed::<(), i32>(t.store()).unwrap();
    assert_eq!(bump.call(t.store(), ()).unwrap(), 22);
    for (k, &id) in ids.iter().enumerate() {
        let run = t.func(Some(id), "lib_run").unwrap().typed::<i32, i32>(t.store()).unwrap();
        assert_eq!(run.call(t.store(), 0).unwrap(), if k == 0 { 22 } else { 21 }, "copy {k}");
    }
}

/// Median, 10th and 90th percentile of 31 runs of `f`.
fn spread(mut f: impl FnMut()) -> (Duration, Duration, Duration) {
    let mut times: Vec<Duration> = (0..31)
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed()
        })
        .collect();
    times.sort();
    (times[15], times[3], times[27])
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// In the child: the RSS growth of holding 100 copies of `lib`, in KiB.
fn probe_child(name: &str) {
    let lib = file(name);
    drop(load(&lib, 1)); // warm up what every variant uses once per process
    let before = rss_kib();
    let held = load(&lib, 100);
    println!("rss_kib {}", rss_kib().saturating_sub(before));
    drop(held);
}

fn probe_median(name: &str) -> u64 {
    let exe = std::env::current_exe().expect("current exe");
    let mut runs: Vec<u64> = (0..3)
        .map(|_| {
            let out = Command::new(&exe).env(PROBE_ENV, name).output().expect("run the probe");
            let text = String::from_utf8_lossy(&out.stdout);
            text.lines().find_map(|l| l.strip_prefix("rss_kib ")?.parse().ok()).expect("probe output")
        })
        .collect();
    runs.sort();
    runs[1]
}

fn bench_reloc(c: &mut Criterion) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    for (variant, name) in VARIANTS {
        let lib = file(name);
        let (space, mut t, ids) = load(&lib, 100);
        check(&mut t, &ids);
        let m = space.modules().into_iter().find(|m| m.name == "lib_1").unwrap();
        let compiled = match variant {
            "relocated" => "rewritten before compiling",
            _ => "compiled as is",
        };
        eprintln!(
            "reloc {variant}: {} bytes of wasm ({compiled}); each copy: {} bytes of memory, {} table slots",
            lib.len(),
            m.mem_size,
            m.table_size
        );
        drop((space, t));
        let (one, one_lo, one_hi) = spread(|| drop(load(&lib, 1)));
        let (hundred, h_lo, h_hi) = spread(|| drop(load(&lib, 100)));
        eprintln!(
            "reloc {variant}: one copy {:.3} ms (p10 {:.3}, p90 {:.3}); 100 copies {:.2} ms (p10 {:.2}, p90 {:.2}); \
             RSS of 100 copies +{} KiB (median of 3 processes)",
            ms(one),
            ms(one_lo),
            ms(one_hi),
            ms(hundred),
            ms(h_lo),
            ms(h_hi),
            probe_median(name)
        );
    }
    let mut g = c.benchmark_group("reloc");
    configure(&mut g, false);
    for (variant, name) in VARIANTS {
        let lib = file(name);
        g.bench_function(format!("one_{variant}"), |b| {
            b.iter_batched(|| (), |()| load(&lib, 1), BatchSize::PerIteration)
        });
        g.bench_function(format!("hundred_{variant}"), |b| {
            b.iter_batched(|| (), |()| load(&lib, 100), BatchSize::PerIteration)
        });
    }
    g.finish();
}

criterion_group!(benches, bench_reloc);

fn main() {
    if let Ok(name) = std::env::var(PROBE_ENV) {
        probe_child(&name);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
