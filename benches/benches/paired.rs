//! Paired timing: wasmvm and wasmi 2.0 alternate, one `run(n)` each, and the ratio is taken per pair.
//!
//! Why besides criterion: this VM's host changes speed under the benchmark (another tenant on the same
//! core, measured 2026-12-06: `sha256` in wasmvm took 44 ms in one minute and 70 ms in the next, wasmi 65 and
//! 81 ms). Criterion times one engine for ten seconds and then the other, so a change of state between the
//! two halves moves a workload's ratio by ±20% (the sample spreads of `benches/runs/`). Here both engines
//! see the same state within each pair, and the median of the pairs' ratios is the figure. It does not make
//! the states equal: a busy core slows wasmvm more than wasmi (its higher instruction throughput loses more
//! when the core is shared), so the ratio itself is lower in the slow state, and the 10th–90th percentile
//! range shows how far. Criterion stays the reference (the README's tables); this is for comparing builds and
//! checking a criterion ratio that looks out of line.
//!
//! ```sh
//! cargo bench -p wasmvm-benches --bench paired -- 3            # every workload, about 3 s each
//! cargo bench -p wasmvm-benches --bench paired -- 2 zlib lz4   # some
//! ```

#[allow(dead_code)] // criterion's settings in `common` are for the other benches
mod common;

use std::hint::black_box;
use std::time::Instant;

use common::WasmiWorkload;
use wasmvm_benches::report::geo_mean;
use wasmvm_benches::{vm, workloads};

/// The `q`-quantile of sorted `v`.
fn quantile(v: &[f64], q: f64) -> f64 {
    v[((v.len() - 1) as f64 * q).round() as usize]
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

fn main() {
    // `cargo bench` passes `--bench`; the rest are seconds per workload and workload names.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let secs: f64 = args.first().map(|s| s.parse().expect("seconds per workload")).unwrap_or(3.0);
    let names: Vec<&str> =
        if args.len() > 1 { args[1..].iter().map(String::as_str).collect() } else { workloads::WORKLOADS.to_vec() };
    let vm_engine = wasmvm::Engine::default();
    let wasmi_engine = wasmi::Engine::default();
    println!(
        "| workload | n | pairs | wasmvm (median) | wasmi (median) | paired ratio (median) | 10th–90th percentile |"
    );
    println!("| --- | --: | --: | --: | --: | --: | --: |");
    let (mut ours, mut outside) = (vec![], vec![]);
    for name in names {
        let case = workloads::bench_case(name);
        let wasm = workloads::wasm(name);
        let mut wasmvm = match vm::setup_checked(&vm_engine, &wasm, &case) {
            Ok(w) => w,
            Err(e) => {
                println!("| {name} | wasmvm failed: {e} |");
                continue;
            }
        };
        let mut wasmi = WasmiWorkload::new_checked(&wasmi_engine, &wasm, &case);
        let (mut a, mut b, mut ratio) = (vec![], vec![], vec![]);
        let start = Instant::now();
        while start.elapsed().as_secs_f64() < secs || a.len() < 5 {
            let t = Instant::now();
            black_box(wasmvm.run(black_box(case.n)).expect("wasmvm run"));
            let x = t.elapsed().as_secs_f64();
            let t = Instant::now();
            black_box(wasmi.run(black_box(case.n)).expect("wasmi run"));
            let y = t.elapsed().as_secs_f64();
            a.push(x);
            b.push(y);
            ratio.push(y / x);
        }
        let (a, b, ratio) = (sorted(a), sorted(b), sorted(ratio));
        let r = quantile(&ratio, 0.5);
        println!(
            "| {name} | {} | {} | {:.2} ms | {:.2} ms | {r:.2} | {:.2}–{:.2} |",
            case.n,
            ratio.len(),
            quantile(&a, 0.5) * 1e3,
            quantile(&b, 0.5) * 1e3,
            quantile(&ratio, 0.1),
            quantile(&ratio, 0.9)
        );
        if workloads::is_outside(name) {
            outside.push(r);
        } else if !workloads::is_simd(name) {
            ours.push(r);
        }
    }
    for (label, v) in [("ours (scalar)", &ours), ("outside suite", &outside)] {
        if let Some(g) = geo_mean(v) {
            println!("| **geometric mean, {label}** ({} workloads) | | | | | **{g:.3}** | |", v.len());
        }
    }
}
