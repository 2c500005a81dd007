//! Every workload's `run(n)` in wasmvm and in wasmi, on the same `.wasm` bytes.
//!
//! One criterion group per workload with functions `wasmvm` and `wasmi`, each timing `run(n)` on an
//! instance created (and `_initialize`d) once at setup. The checksum is verified at setup: wasmi being
//! wrong panics; wasmvm being wrong (or trapping, or panicking) skips its half of the group with a
//! printed notice, recorded for the report. A SIMD workload's group also times its scalar build in wasmvm
//! (`wasmvm-scalar`). `WASMVM_BENCH_QUICK=1`: small n, short measurement.

mod common;

use std::hint::black_box;

use common::{WasmiWorkload, configure};
use criterion::{Criterion, criterion_group, criterion_main};
use wasmvm_benches::report::write_marker;
use wasmvm_benches::{vm, workloads};

fn bench_workloads(c: &mut Criterion) {
    let vm_engine = wasmvm::Engine::default();
    let wasmi_engine = wasmi::Engine::default();
    for &name in workloads::WORKLOADS {
        let case = workloads::bench_case(name);
        let wasm = workloads::wasm(name);
        let mut wasmi = WasmiWorkload::new_checked(&wasmi_engine, &wasm, &case);
        let mut wasmvm = match vm::setup_checked(&vm_engine, &wasm, &case) {
            Ok(w) => Some(w),
            Err(e) => {
                eprintln!("NOTICE: wasmvm FAILED on {name}, skipping its benchmark: {e}");
                write_marker(name, case.n, Some(&e));
                None
            }
        };
        if wasmvm.is_some() {
            write_marker(name, case.n, None);
        }
        let n = case.n;
        let mut g = c.benchmark_group(name);
        configure(&mut g, true);
        if let Some(w) = &mut wasmvm {
            g.bench_function("wasmvm", |b| b.iter(|| w.run(black_box(n)).expect("wasmvm run")));
        }
        g.bench_function("wasmi", |b| b.iter(|| wasmi.run(black_box(n)).expect("wasmi run")));
        // A SIMD workload's scalar build, in wasmvm: the SIMD build should beat it.
        if let Some(scalar) = workloads::scalar_wasm(name) {
            match vm::setup_checked(&vm_engine, &scalar, &case) {
                Ok(mut w) => {
                    g.bench_function("wasmvm-scalar", |b| b.iter(|| w.run(black_box(n)).expect("wasmvm run")));
                }
                Err(e) => eprintln!("NOTICE: wasmvm FAILED on the scalar build of {name}: {e}"),
            }
        }
        g.finish();
    }
}

criterion_group!(benches, bench_workloads);
criterion_main!(benches);
