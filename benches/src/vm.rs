//! A workload in wasmvm: compiled, instantiated with stub imports, `_initialize`d, ready for `run(n)`.
//!
//! Imports (sqlite, brotli_c, Lua and the Rust programs of the outside suite have some, all
//! `wasi_snapshot_preview1`) are satisfied by stubs: `fd_prestat_get` returns `EBADF` (no preopened
//! directories; sqlite's `_initialize` calls it), `random_get` fills the buffer with a fixed pattern
//! ([`random_fill`]; Rust's `HashMap::new()` asks it for keys: regex and pulldown_cmark), every other one
//! traps if called (`run` calls none).

use wasmvm::{Engine, ExternType, Instance, Linker, Module, Store, Trap, TypedFunc, Val, ValType};

use crate::workloads::Expected;

/// WASI errno `EBADF`.
pub const WASI_EBADF: i32 = 8;

/// The deterministic "random" bytes the `random_get` stub writes (both engines): byte `k` of a call is
/// `k * 167 + 13` (mod 256). The workloads' checksums do not depend on them (node gives real random bytes).
pub fn random_fill(len: usize) -> Vec<u8> {
    (0..len).map(|k| (k as u32).wrapping_mul(167).wrapping_add(13) as u8).collect()
}

/// The exported `run`: `i32 -> i32`, or `i32 -> i64` (matmul).
#[derive(Clone, Copy)]
enum Run {
    I32(TypedFunc<i32, i32>),
    I64(TypedFunc<i32, i64>),
}

/// An instantiated, initialized workload.
pub struct VmWorkload {
    store: Store<()>,
    run: Run,
}

/// A linker defining a stub for every function import of `module` (see the module docs).
pub fn stub_linker(engine: &Engine, module: &Module) -> Result<Linker<()>, String> {
    let mut linker = Linker::new(engine);
    for import in module.imports() {
        let ExternType::Func(ty) = &import.ty else {
            return Err(format!("unexpected non-function import {}.{}", import.module, import.name));
        };
        let name = import.name.clone();
        linker
            .func_new(&import.module, &import.name, ty.clone(), move |mut caller, params, results| {
                if name == "fd_prestat_get" {
                    results[0] = Val::I32(WASI_EBADF);
                    Ok(())
                } else if let ("random_get", [Val::I32(buf), Val::I32(len)]) = (name.as_str(), params) {
                    let memory = caller.get_export("memory").and_then(|e| e.into_memory());
                    let memory = memory.ok_or_else(|| Trap::host("random_get: no exported memory"))?;
                    let bytes = random_fill(*len as u32 as usize);
                    memory.write(&mut caller, *buf as u32 as u64, &bytes).map_err(|e| Trap::host(e.to_string()))?;
                    results[0] = Val::I32(0);
                    Ok(())
                } else {
                    Err(Trap::host(format!("stub import {name} called")))
                }
            })
            .map_err(|e| e.to_string())?;
    }
    Ok(linker)
}

/// Instantiate `module` in a fresh store with stub imports (without calling `_initialize`).
pub fn instantiate(engine: &Engine, linker: &Linker<()>, module: &Module) -> Result<(Store<()>, Instance), String> {
    let mut store = Store::new(engine, ());
    let instance = linker.instantiate(&mut store, module).map_err(|e| format!("instantiate: {e}"))?;
    Ok((store, instance))
}

impl VmWorkload {
    /// Compile, instantiate and `_initialize` a workload.
    pub fn new(engine: &Engine, wasm: &[u8]) -> Result<Self, String> {
        let module = Module::new(engine, wasm).map_err(|e| format!("compile: {e}"))?;
        Self::from_module(engine, &module)
    }

    /// Instantiate and `_initialize` a compiled workload.
    pub fn from_module(engine: &Engine, module: &Module) -> Result<Self, String> {
        let linker = stub_linker(engine, module)?;
        let (mut store, instance) = instantiate(engine, &linker, module)?;
        let init = instance
            .get_func(&store, "_initialize")
            .ok_or("no export _initialize")?
            .typed::<(), ()>(&store)
            .map_err(|e| format!("_initialize: {e}"))?;
        init.call(&mut store, ()).map_err(|e| format!("_initialize: {e}"))?;
        let func = instance.get_func(&store, "run").ok_or("no export run")?;
        let results = func.ty(&store).map_err(|e| e.to_string())?.results().to_vec();
        let run = if results == [ValType::I64] {
            Run::I64(func.typed(&store).map_err(|e| format!("run: {e}"))?)
        } else {
            Run::I32(func.typed(&store).map_err(|e| format!("run: {e}"))?)
        };
        Ok(Self { store, run })
    }

    /// Call `run(n)`; the checksum as unsigned.
    pub fn run(&mut self, n: i32) -> wasmvm::Result<u64> {
        Ok(match self.run {
            Run::I32(f) => f.call(&mut self.store, n)? as u32 as u64,
            Run::I64(f) => f.call(&mut self.store, n)? as u64,
        })
    }

    /// Call `run(e.n)` and compare with the expected checksum.
    pub fn check(&mut self, e: &Expected) -> Result<(), String> {
        match self.run(e.n) {
            Ok(got) if got == e.checksum => Ok(()),
            Ok(got) => Err(format!("{} run({}) returned {got}, expected {}", e.name, e.n, e.checksum)),
            Err(err) => Err(format!("{} run({}) failed: {err}", e.name, e.n)),
        }
    }
}

/// Compile, instantiate, initialize and check one case, catching panics of the machine too.
pub fn setup_checked(engine: &Engine, wasm: &[u8], e: &Expected) -> Result<VmWorkload, String> {
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut w = VmWorkload::new(engine, wasm).map_err(|m| format!("{}: {m}", e.name))?;
        w.check(e)?;
        Ok(w)
    }));
    r.unwrap_or_else(|p| {
        let msg = p
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| p.downcast_ref::<&str>().copied())
            .unwrap_or("(non-string panic)");
        Err(format!("{}: wasmvm panicked: {msg}", e.name))
    })
}
