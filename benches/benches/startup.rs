//! Startup costs in wasmvm and in wasmi: compiling sqlite.wasm, instantiating it, and one host→wasm
//! call round trip.
//!
//! - `compile_sqlite`: `Module::new` on the 1.28 MB sqlite.wasm, each iteration with a fresh engine
//!   (created outside the timing; wasmi keeps compiled code per engine). Functions: `wasmvm` (default
//!   config, parallel translation), `wasmvm_serial` (`parallel_translation = false`), `wasmi_eager`
//!   (`CompilationMode::Eager`: full translation, the like-for-like comparison) and
//!   `wasmi_lazy_default` (wasmi's default `LazyTranslation`: validation only, functions translated
//!   on first call).
//! - `instantiate_sqlite`: instantiation with stub WASI imports into a fresh store (created outside
//!   the timing), without `_initialize`.
//! - `call_roundtrip`: `(func (param i32) (result i32) local.get 0)` called through a typed func.

#[allow(dead_code)] // the workload half of `common` is for the other bench
mod common;

use std::hint::black_box;

use common::{configure, wasmi_instantiate, wasmi_stub_linker};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use wasmvm_benches::{vm, workloads};

/// A benchmark id and the engine constructor it uses.
type Case<E> = (&'static str, fn() -> E);

const IDENTITY: &str = r#"(module (func (export "id") (param i32) (result i32) local.get 0))"#;

fn wasmi_eager() -> wasmi::Engine {
    let mut config = wasmi::Config::default();
    config.compilation_mode(wasmi::CompilationMode::Eager);
    wasmi::Engine::new(&config)
}

fn wasmvm_serial() -> wasmvm::Engine {
    wasmvm::Engine::new(wasmvm::Config { parallel_translation: false, ..Default::default() })
}

fn bench_compile(c: &mut Criterion, wasm: &[u8]) {
    assert!(
        matches!(wasmi::CompilationMode::default(), wasmi::CompilationMode::LazyTranslation),
        "wasmi's default compilation mode changed; relabel wasmi_lazy_default"
    );
    let mut g = c.benchmark_group("compile_sqlite");
    configure(&mut g, true);
    match wasmvm::Module::new(&wasmvm::Engine::default(), wasm) {
        Ok(_) => {
            let vm_cases: [Case<wasmvm::Engine>; 2] =
                [("wasmvm", wasmvm::Engine::default), ("wasmvm_serial", wasmvm_serial)];
            for (id, engine) in vm_cases {
                g.bench_function(id, |b| {
                    b.iter_batched(engine, |e| wasmvm::Module::new(&e, wasm).unwrap(), BatchSize::PerIteration)
                });
            }
        }
        Err(e) => eprintln!("NOTICE: wasmvm FAILED to compile sqlite.wasm, skipping: {e}"),
    }
    let wasmi_cases: [Case<wasmi::Engine>; 2] =
        [("wasmi_eager", wasmi_eager), ("wasmi_lazy_default", wasmi::Engine::default)];
    for (id, engine) in wasmi_cases {
        g.bench_function(id, |b| {
            b.iter_batched(engine, |e| wasmi::Module::new(&e, wasm).unwrap(), BatchSize::PerIteration)
        });
    }
    g.finish();
}

fn bench_instantiate(c: &mut Criterion, wasm: &[u8]) {
    let mut g = c.benchmark_group("instantiate_sqlite");
    configure(&mut g, false);
    let engine = wasmvm::Engine::default();
    let setup = wasmvm::Module::new(&engine, wasm)
        .map_err(|e| e.to_string())
        .and_then(|m| Ok((vm::stub_linker(&engine, &m)?, m)))
        .and_then(|(l, m)| vm::instantiate(&engine, &l, &m).map(|_| (l, m)));
    match setup {
        Ok((linker, module)) => {
            g.bench_function("wasmvm", |b| {
                b.iter_batched(
                    || wasmvm::Store::new(&engine, ()),
                    |mut s| {
                        linker.instantiate(&mut s, &module).unwrap();
                        s
                    },
                    BatchSize::PerIteration,
                )
            });
        }
        Err(e) => eprintln!("NOTICE: wasmvm FAILED to instantiate sqlite.wasm, skipping: {e}"),
    }
    let engine = wasmi::Engine::default();
    let module = wasmi::Module::new(&engine, wasm).unwrap();
    let linker = wasmi_stub_linker(&engine, &module);
    wasmi_instantiate(&engine, &linker, &module);
    g.bench_function("wasmi", |b| {
        b.iter_batched(
            || wasmi::Store::new(&engine, ()),
            |mut s| {
                linker.instantiate_and_start(&mut s, &module).unwrap();
                s
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn bench_call(c: &mut Criterion) {
    let wasm = wat::parse_str(IDENTITY).unwrap();
    let mut g = c.benchmark_group("call_roundtrip");
    configure(&mut g, false);

    let engine = wasmvm::Engine::default();
    let module = wasmvm::Module::new(&engine, &wasm).unwrap();
    let mut store = wasmvm::Store::new(&engine, ());
    let instance = wasmvm::Linker::new(&engine).instantiate(&mut store, &module).unwrap();
    let f = instance.get_func(&store, "id").unwrap().typed::<i32, i32>(&store).unwrap();
    assert_eq!(f.call(&mut store, 7).unwrap(), 7, "wasmvm identity");
    g.bench_function("wasmvm", |b| b.iter(|| f.call(&mut store, black_box(7)).unwrap()));

    let engine = wasmi::Engine::default();
    let module = wasmi::Module::new(&engine, &wasm).unwrap();
    let mut store = wasmi::Store::new(&engine, ());
    let instance = wasmi::Linker::new(&engine).instantiate_and_start(&mut store, &module).unwrap();
    let f = instance.get_typed_func::<i32, i32>(&store, "id").unwrap();
    assert_eq!(f.call(&mut store, 7).unwrap(), 7, "wasmi identity");
    g.bench_function("wasmi", |b| b.iter(|| f.call(&mut store, black_box(7)).unwrap()));
    g.finish();
}

fn bench_startup(c: &mut Criterion) {
    let wasm = workloads::wasm("sqlite");
    bench_compile(c, &wasm);
    bench_instantiate(c, &wasm);
    bench_call(c);
}

criterion_group!(benches, bench_startup);
criterion_main!(benches);
