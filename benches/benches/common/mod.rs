//! Shared by both benches: the wasmi side (wasmi is a dev-dependency only) and criterion settings.
//!
//! The wasmi side mirrors `wasmvm_benches::vm`: same stub imports (`fd_prestat_get` → `EBADF`,
//! `random_get` → the same fixed bytes, the rest trap), same `_initialize` + `run(n)` protocol, same
//! checksum check.

use std::time::Duration;

use criterion::measurement::Measurement;
use criterion::{BenchmarkGroup, SamplingMode};
use wasmi::{Engine, Error, Extern, ExternType, Instance, Linker, Module, Store, TypedFunc, Val, ValType};
use wasmvm_benches::vm::{WASI_EBADF, random_fill};
use wasmvm_benches::workloads::{Expected, quick};

/// Criterion settings for a group whose iterations take milliseconds or more (`long`) or not.
pub fn configure<M: Measurement>(g: &mut BenchmarkGroup<'_, M>, long: bool) {
    if long {
        // One iteration per sample: iterations are long, linear sampling would take minutes.
        g.sampling_mode(SamplingMode::Flat);
    }
    if quick() {
        g.sample_size(10);
        g.warm_up_time(Duration::from_millis(300));
        g.measurement_time(Duration::from_secs(1));
    } else if long {
        g.sample_size(20);
        g.warm_up_time(Duration::from_secs(2));
        g.measurement_time(Duration::from_secs(8));
    } else {
        g.sample_size(50);
        g.warm_up_time(Duration::from_secs(1));
        g.measurement_time(Duration::from_secs(3));
    }
}

/// A wasmi linker with a stub for every function import of `module`.
pub fn wasmi_stub_linker(engine: &Engine, module: &Module) -> Linker<()> {
    let mut linker = Linker::new(engine);
    for import in module.imports() {
        let ExternType::Func(ty) = import.ty() else {
            panic!("unexpected non-function import {}.{}", import.module(), import.name());
        };
        let name = import.name().to_string();
        linker
            .func_new(import.module(), import.name(), ty.clone(), move |mut caller, params, results| {
                if name == "fd_prestat_get" {
                    results[0] = Val::I32(WASI_EBADF);
                    Ok(())
                } else if let ("random_get", [Val::I32(buf), Val::I32(len)]) = (name.as_str(), params) {
                    let memory = caller.get_export("memory").and_then(Extern::into_memory);
                    let memory = memory.ok_or_else(|| Error::new("random_get: no exported memory"))?;
                    let bytes = random_fill(*len as u32 as usize);
                    memory.write(&mut caller, *buf as u32 as usize, &bytes).map_err(|e| Error::new(e.to_string()))?;
                    results[0] = Val::I32(0);
                    Ok(())
                } else {
                    Err(Error::new(format!("stub import {name} called")))
                }
            })
            .expect("define wasmi stub");
    }
    linker
}

/// Instantiate `module` in a fresh wasmi store (without `_initialize`).
pub fn wasmi_instantiate(engine: &Engine, linker: &Linker<()>, module: &Module) -> (Store<()>, Instance) {
    let mut store = Store::new(engine, ());
    let instance = linker.instantiate_and_start(&mut store, module).expect("wasmi instantiate");
    (store, instance)
}

enum Run {
    I32(TypedFunc<i32, i32>),
    I64(TypedFunc<i32, i64>),
}

/// A workload instantiated and initialized in wasmi.
pub struct WasmiWorkload {
    store: Store<()>,
    run: Run,
}

impl WasmiWorkload {
    /// Compile (default config), instantiate, `_initialize`, and check `run(e.n)`; panics if wasmi fails.
    pub fn new_checked(engine: &Engine, wasm: &[u8], e: &Expected) -> Self {
        let module = Module::new(engine, wasm).expect("wasmi compile");
        let linker = wasmi_stub_linker(engine, &module);
        let (mut store, instance) = wasmi_instantiate(engine, &linker, &module);
        let init = instance.get_typed_func::<(), ()>(&store, "_initialize").expect("_initialize");
        init.call(&mut store, ()).expect("wasmi _initialize");
        let func = instance.get_func(&store, "run").expect("export run");
        let run = if func.ty(&store).results() == [ValType::I64] {
            Run::I64(func.typed(&store).expect("run type"))
        } else {
            Run::I32(func.typed(&store).expect("run type"))
        };
        let mut w = Self { store, run };
        let got = w.run(e.n).unwrap_or_else(|err| panic!("wasmi: {} run({}) failed: {err}", e.name, e.n));
        assert_eq!(got, e.checksum, "wasmi: {} run({}) returned a wrong checksum", e.name, e.n);
        w
    }

    /// Call `run(n)`; the checksum as unsigned.
    pub fn run(&mut self, n: i32) -> Result<u64, Error> {
        Ok(match &self.run {
            Run::I32(f) => f.call(&mut self.store, n)? as u32 as u64,
            Run::I64(f) => f.call(&mut self.store, n)? as u64,
        })
    }
}
