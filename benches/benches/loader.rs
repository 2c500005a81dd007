//! The loader: its built-in allocator against a module's own dlmalloc, and one address space of 100
//! modules against 100 separate instances.
//!
//! - `loader_malloc`: the malloc workload's `run(n)` (`workloads/malloc.c`: malloc/free/realloc-heavy),
//!   built three ways by `workloads/build.sh` (all with per-thread state, `_Thread_local`):
//!   - `builtin_*`: `loader_malloc_builtin.wasm`, a non-PIC main program linking
//!     `loader/include/wasmvm_malloc.c`: malloc & co. are host calls into the loader's allocator;
//!   - `dlmalloc_*`: `loader_malloc_dlmalloc.wasm`, the same program linking wasi-libc's dlmalloc,
//!     which runs in wasm. Both are loaded by the loader into an address space with a shared memory;
//!   - `side_builtin_*`: `loader_malloc_side.so`, a PIC side module importing malloc & co. (built-in).
//!
//!   `*_1t`: one `run(n)` on one thread. `*_2t`: `run(n)` on two threads at once (twice the work), in one
//!   address space for the built-in allocator, which is thread-safe; wasi-libc's dlmalloc is not (Debian's
//!   wasi-libc has no threads), so `dlmalloc_2t` runs two address spaces, one per thread. `private_*`:
//!   the plain `malloc.wasm` workload (own dlmalloc, private memory, no loader), for reference.
//! - `loader_100_modules`: making 100 copies of `loader_lib.c` (data, function pointers relocated at load,
//!   a constructor) ready to call: `address_space` loads the side module `loader_lib.so` 100 times (as
//!   `loader_lib_<k>.so`: the loader keys modules by name, so one file gives 100 modules) into a fresh
//!   address space; `separate_stores` compiles and instantiates the reactor `loader_lib.wasm` (own memory)
//!   in 100 stores and calls `_initialize`; `separate_stores_precompiled` compiles it once outside the
//!   timing. Every variant compiles per module except the last: the loader has no compiled-module cache.
//!   The memory cost of each variant (RSS, address space reserved, wasm memory) is measured in a fresh
//!   child process (this bench re-run with `WASMVM_BENCH_LOADER_PROBE=<variant>`), the median of 3, and
//!   written to `loader_100_modules/memory.txt` in the criterion directory for the report.
//!
//! `WASMVM_BENCH_QUICK=1`: malloc's small n, short measurements.

#[allow(dead_code)] // the wasmi half of `common` is for the other benches
mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use common::configure;
use criterion::{BatchSize, Criterion, criterion_group};
use wasmvm::{Engine, Instance, Linker, Module, Store, TypedFunc};
use wasmvm_benches::report::{MemoryProbe, write_marker_with_load, write_memory_probes};
use wasmvm_benches::vm::VmWorkload;
use wasmvm_benches::worker::Worker;
use wasmvm_benches::workloads::{self, Expected};
use wasmvm_loader::{AddressSpace, Source, SpaceConfig, Thread};

/// Number of modules in `loader_100_modules`.
const MODULES: usize = 100;
/// Environment variable that makes this binary measure one variant's memory and exit.
const PROBE_ENV: &str = "WASMVM_BENCH_LOADER_PROBE";
const PROBE_VARIANTS: [&str; 3] = ["address_space", "separate_stores", "separate_stores_precompiled"];

fn file(name: &str) -> Arc<[u8]> {
    let path = workloads::dir().join(name);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e} (see workloads/build.sh)", path.display()))
        .into()
}

fn source(name: &str, bytes: &Arc<[u8]>) -> Source {
    Source::Bytes { name: name.to_string(), bytes: bytes.clone() }
}

/// A loader thread with the malloc workload's `run` resolved.
struct LoaderRun {
    thread: Thread,
    run: TypedFunc<i32, i32>,
}

impl LoaderRun {
    /// This OS thread's wasm thread in `space`, where the workload is already loaded.
    fn attach(space: &AddressSpace) -> Self {
        let mut thread = space.thread().expect("loader thread");
        let run = thread.func(None, "run").expect("run").typed(thread.store()).expect("run: i32 -> i32");
        Self { thread, run }
    }

    /// A new address space with the workload `name` loaded, and this OS thread's wasm thread in it.
    fn load(name: &str, bytes: &Arc<[u8]>) -> (AddressSpace, Self) {
        let space = AddressSpace::new(&Engine::default(), SpaceConfig::default()).expect("address space");
        space.thread().expect("loader thread").load(source(name, bytes)).unwrap_or_else(|e| panic!("load {name}: {e}"));
        let run = Self::attach(&space);
        (space, run)
    }

    fn run(&mut self, n: i32) -> u64 {
        self.run.call(self.thread.store(), n).expect("run") as u32 as u64
    }
}

/// `run(n)` of one way of running the workload, on the thread that made it.
type Runner = Box<dyn FnMut(i32) -> u64>;

fn loader_runner(mut l: LoaderRun) -> Runner {
    Box::new(move |n| l.run(n))
}

fn private_runner(mut w: VmWorkload) -> Runner {
    Box::new(move |n| w.run(n).expect("run"))
}

/// `(this thread, a worker)` for a variant; the worker is `None` for the one-thread variants. Both
/// return the right checksum.
fn malloc_setup(id: &str, case: &Expected) -> (Runner, Option<Worker<Runner>>) {
    let (kind, threads) = id.rsplit_once('_').expect("variant_Nt");
    let two = threads == "2t";
    let (main, worker) = match kind {
        "builtin" | "side_builtin" => {
            let name = if kind == "builtin" { "loader_malloc_builtin.wasm" } else { "loader_malloc_side.so" };
            let (space, main) = LoaderRun::load(name, &file(name));
            // The second thread is in the same address space: same memory, same allocator.
            let worker = two.then(|| Worker::new(id, move || loader_runner(LoaderRun::attach(&space))));
            (loader_runner(main), worker)
        }
        "dlmalloc" => {
            let name = "loader_malloc_dlmalloc.wasm";
            let bytes = file(name);
            let (_space, main) = LoaderRun::load(name, &bytes);
            // dlmalloc is not thread-safe: the second thread gets its own address space.
            let worker = two.then(|| Worker::new(id, move || loader_runner(LoaderRun::load(name, &bytes).1)));
            (loader_runner(main), worker)
        }
        "private" => {
            let wasm = workloads::wasm("malloc");
            let engine = Engine::default();
            let main = VmWorkload::new(&engine, &wasm).expect("malloc.wasm");
            let worker =
                two.then(|| Worker::new(id, move || private_runner(VmWorkload::new(&engine, &wasm).expect("malloc"))));
            (private_runner(main), worker)
        }
        _ => unreachable!("{id}"),
    };
    let mut main = main;
    let n = case.n;
    assert_eq!(main(n), case.checksum, "{id}: wrong checksum");
    if let Some(w) = &worker {
        w.start(move |r| r(n));
        assert_eq!(main(n), case.checksum, "{id}: wrong checksum (main thread, with the worker running)");
        assert_eq!(w.wait(), case.checksum, "{id}: wrong checksum (worker)");
    }
    (main, worker)
}

fn bench_malloc(c: &mut Criterion) {
    let case = workloads::bench_case("malloc");
    let n = case.n;
    write_marker_with_load("loader_malloc", n);
    let mut g = c.benchmark_group("loader_malloc");
    configure(&mut g, true);
    for id in [
        "builtin_1t",
        "builtin_2t",
        "dlmalloc_1t",
        "dlmalloc_2t",
        "side_builtin_1t",
        "side_builtin_2t",
        "private_1t",
        "private_2t",
    ] {
        let (mut main, worker) = malloc_setup(id, &case);
        g.bench_function(id, |b| {
            b.iter(|| {
                if let Some(w) = &worker {
                    w.start(move |r| r(n));
                }
                let h = main(n);
                worker.as_ref().map_or(h, |w| h ^ w.wait())
            })
        });
    }
    g.finish();
}

/// 100 copies of loader_lib.so in a fresh address space: (space, the loading thread, module ids).
fn load_many(lib: &Arc<[u8]>) -> (AddressSpace, Thread, Vec<wasmvm_loader::ModuleId>) {
    let space = AddressSpace::new(&Engine::default(), SpaceConfig::default()).expect("address space");
    let mut t = space.thread().expect("thread");
    let ids = (0..MODULES).map(|k| t.load(source(&format!("loader_lib_{k}.so"), lib)).expect("load")).collect();
    (space, t, ids)
}

/// 100 instances of loader_lib.wasm, each in its own store, `_initialize`d.
fn instantiate_many(engine: &Engine, wasm: &[u8], precompiled: Option<&Module>) -> Vec<(Store<()>, Instance)> {
    let linker = Linker::new(engine);
    (0..MODULES)
        .map(|_| {
            let module = match precompiled {
                Some(m) => m.clone(),
                None => Module::new(engine, wasm).expect("compile loader_lib.wasm"),
            };
            let mut store = Store::new(engine, ());
            let instance = linker.instantiate(&mut store, &module).expect("instantiate");
            let init = instance.get_func(&store, "_initialize").expect("_initialize");
            init.typed::<(), ()>(&store).expect("_initialize type").call(&mut store, ()).expect("_initialize");
            (store, instance)
        })
        .collect()
}

/// Each module has its own data: bump one module's counter, check its neighbours are untouched.
fn check_many_loaded(t: &mut Thread, ids: &[wasmvm_loader::ModuleId]) {
    let call = |t: &mut Thread, id, name: &str| -> i32 {
        let f = t.func(Some(id), name).expect(name).typed::<(), i32>(t.store()).expect(name);
        f.call(t.store(), ()).expect(name)
    };
    assert_eq!(call(t, ids[5], "lib_bump"), 22);
    for (k, &id) in ids.iter().enumerate() {
        let run = t.func(Some(id), "lib_run").unwrap().typed::<i32, i32>(t.store()).unwrap();
        assert_eq!(run.call(t.store(), 0).unwrap(), if k == 5 { 22 } else { 21 }, "module {k}");
    }
}

fn bench_many(c: &mut Criterion) {
    let lib = file("loader_lib.so");
    let wasm = file("loader_lib.wasm");
    let engine = Engine::default();
    let (_space, mut t, ids) = load_many(&lib);
    check_many_loaded(&mut t, &ids);
    let precompiled = Module::new(&engine, &wasm).expect("compile loader_lib.wasm");
    let many = instantiate_many(&engine, &wasm, Some(&precompiled));
    for (mut store, instance) in many {
        let run = instance.get_func(&store, "lib_run").unwrap().typed::<i32, i32>(&store).unwrap();
        assert_eq!(run.call(&mut store, 0).unwrap(), 21);
    }
    let run0 = t.func(Some(ids[0]), "lib_run").unwrap().typed::<i32, i32>(t.store()).unwrap();
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine).instantiate(&mut store, &precompiled).unwrap();
    inst.get_func(&store, "_initialize").unwrap().typed::<(), ()>(&store).unwrap().call(&mut store, ()).unwrap();
    let run1 = inst.get_func(&store, "lib_run").unwrap().typed::<i32, i32>(&store).unwrap();
    assert_eq!(run0.call(t.store(), 7).unwrap(), run1.call(&mut store, 7).unwrap(), "side module = reactor");

    write_marker_with_load("loader_100_modules", MODULES as i32);
    let probes: Vec<MemoryProbe> = PROBE_VARIANTS.iter().map(|v| probe_median(v)).collect();
    write_memory_probes("loader_100_modules", &probes);
    for p in &probes {
        eprintln!("loader_100_modules memory: {p}");
    }

    let mut g = c.benchmark_group("loader_100_modules");
    configure(&mut g, false);
    g.bench_function("address_space", |b| b.iter_batched(|| (), |()| load_many(&lib), BatchSize::PerIteration));
    g.bench_function("separate_stores", |b| {
        b.iter_batched(|| (), |()| instantiate_many(&engine, &wasm, None), BatchSize::PerIteration)
    });
    g.bench_function("separate_stores_precompiled", |b| {
        b.iter_batched(|| (), |()| instantiate_many(&engine, &wasm, Some(&precompiled)), BatchSize::PerIteration)
    });
    g.finish();
}

/// `(VmRSS, VmSize)` of this process in KiB.
fn rss_vsz_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |k: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(k))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmSize:"))
}

/// In the child process: set up one variant and print its memory cost (see [`MemoryProbe`]).
fn probe_child(variant: &str) {
    let lib = file("loader_lib.so");
    let wasm = file("loader_lib.wasm");
    let engine = Engine::default();
    // Warm up what every variant uses once per process (the translator's thread pool, allocator arenas).
    let warm = Module::new(&engine, &wasm).expect("compile");
    drop(Module::new(&engine, &lib).expect("compile"));
    let (rss0, vsz0) = rss_vsz_kib();
    let (wasm_bytes, keep): (u64, Box<dyn std::any::Any>) = match variant {
        "address_space" => {
            let (space, t, ids) = load_many(&lib);
            let bytes = space.shared_memory().map_or(0, |m| m.data_size() as u64);
            (bytes, Box::new((space, t, ids)))
        }
        "separate_stores" | "separate_stores_precompiled" => {
            let pre = (variant == "separate_stores_precompiled").then_some(&warm);
            let many = instantiate_many(&engine, &wasm, pre);
            let bytes = many
                .iter()
                .map(|(s, i)| i.get_memory(s, "memory").and_then(|m| m.data_size(s).ok()).unwrap_or(0) as u64)
                .sum();
            (bytes, Box::new(many))
        }
        _ => panic!("unknown probe {variant}"),
    };
    let (rss1, vsz1) = rss_vsz_kib();
    let p = MemoryProbe {
        variant: variant.to_string(),
        rss_delta_kib: rss1.saturating_sub(rss0),
        vsz_delta_kib: vsz1.saturating_sub(vsz0),
        wasm_memory_bytes: wasm_bytes,
    };
    println!("{}", p.to_line());
    drop(keep);
}

/// Run the probe for `variant` in 3 child processes; the median by RSS.
fn probe_median(variant: &str) -> MemoryProbe {
    let exe: PathBuf = std::env::current_exe().expect("current exe");
    let mut runs: Vec<MemoryProbe> = (0..3)
        .map(|_| {
            let out = Command::new(&exe).env(PROBE_ENV, variant).output().expect("run the memory probe");
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "memory probe {variant} failed: {}", String::from_utf8_lossy(&out.stderr));
            text.lines().find_map(MemoryProbe::parse).unwrap_or_else(|| panic!("probe {variant} printed {text:?}"))
        })
        .collect();
    runs.sort_by_key(|p| p.rss_delta_kib);
    runs.swap_remove(1)
}

criterion_group!(benches, bench_malloc, bench_many);

fn main() {
    if let Ok(variant) = std::env::var(PROBE_ENV) {
        probe_child(&variant);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
