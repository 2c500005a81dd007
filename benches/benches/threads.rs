//! Threads: what atomics and shared memory cost, contention, wait/notify hand-offs, and parallel speedup.
//!
//! All kernels are in the wat below, instantiated from one template either over a private memory
//! (`(memory 256 256)`, plain loads and stores) or over an imported [`SharedMemory`] (every access a
//! single-instruction inline-asm load/store, so racing threads are not undefined behaviour in Rust; atomics
//! are locked instructions). Second threads are persistent [`Worker`]s, each with its own store and
//! instance of the same module over the same shared memory (what `wasmvm::thread::spawn` sets up, minus
//! the thread spawn per iteration).
//!
//! Groups (`n` is written to the group's marker for the report's per-operation columns):
//! - `threads_uncontended`: one thread, `n` iterations of a counter loop at one address: the loop alone,
//!   plain `i32.load`/`i32.add`/`i32.store` on the private and on the shared memory, `i32.atomic.rmw.add`
//!   on the shared and on the private memory.
//! - `threads_contended`: `i32.atomic.rmw.add` `n` times per thread: one thread; two threads on the same
//!   address; two threads 128 bytes apart (different cache lines).
//! - `threads_pingpong`: one round trip of a ball between two threads (time per round trip): wasm
//!   `memory.atomic.wait32`/`notify`, without and with 100 spins of `i32.atomic.load` first; native Rust
//!   with `Mutex` + `Condvar`; native with an `AtomicU32` and `thread::park`/`unpark`, without and with 100
//!   spins first.
//! - `threads_parallel_sum`: sum of `n` i32s (16 MiB in full mode), in two halves: both halves on one
//!   thread over the private memory, on one thread over the shared memory, one half per thread.
//! - `threads_parallel_compute`: an ALU-only hash loop of `n` iterations in two halves: one thread, two.
//!
//! `WASMVM_BENCH_QUICK=1`: n divided by 10 (sum: by 4), short measurements.

#[allow(dead_code)] // the wasmi half of `common` is for the other benches
mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use common::configure;
use criterion::{Criterion, criterion_group, criterion_main};
use wasmvm::{Engine, Instance, Linker, Module, SharedMemory, Store, TypedFunc, WasmParams, WasmResults};
use wasmvm_benches::report::write_marker_with_load;
use wasmvm_benches::worker::Worker;
use wasmvm_benches::workloads::quick;

/// Pages of every kernel memory (16 MiB: the parallel sum's array).
const PAGES: u64 = 256;
/// Spins before waiting/parking in the `*spin*` ping-pong variants.
const SPINS: i32 = 100;

/// The kernels; `{MEMORY}` becomes the memory declaration.
const KERNELS: &str = r#"(module
  {MEMORY}
  ;; The counter loops: n iterations on the i32 at $addr.
  (func (export "loop_only") (param $addr i32) (param $n i32)
    (loop $l
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "plain_add") (param $addr i32) (param $n i32)
    (loop $l
      (i32.store (local.get $addr) (i32.add (i32.load (local.get $addr)) (i32.const 1)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "atomic_add") (param $addr i32) (param $n i32)
    (loop $l
      (drop (i32.atomic.rmw.add (local.get $addr) (i32.const 1)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))

  ;; Ping-pong: the i32 at 0 says who has the ball (0: ping, 1: pong). $spin loads before waiting.
  (func $await (param $want i32) (param $spin i32) (local $v i32)
    (block $done
      (loop $spinning
        (br_if $done (i32.eq (i32.atomic.load (i32.const 0)) (local.get $want)))
        (br_if $spinning (i32.gt_s (local.tee $spin (i32.sub (local.get $spin) (i32.const 1))) (i32.const 0))))
      (loop $waiting
        (local.set $v (i32.atomic.load (i32.const 0)))
        (br_if $done (i32.eq (local.get $v) (local.get $want)))
        (drop (memory.atomic.wait32 (i32.const 0) (local.get $v) (i64.const -1)))
        (br $waiting))))
  (func (export "ping") (param $n i32) (param $spin i32)
    (loop $l
      (i32.atomic.store (i32.const 0) (i32.const 1))
      (drop (memory.atomic.notify (i32.const 0) (i32.const 1)))
      (call $await (i32.const 0) (local.get $spin))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "pong") (param $n i32) (param $spin i32)
    (loop $l
      (call $await (i32.const 1) (local.get $spin))
      (i32.atomic.store (i32.const 0) (i32.const 0))
      (drop (memory.atomic.notify (i32.const 0) (i32.const 1)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))

  ;; The parallel kernels.
  (func (export "fill") (param $n i32) (local $i i32)
    (loop $l
      (i32.store (i32.shl (local.get $i) (i32.const 2)) (local.get $i))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n)))))
  ;; Sum of the i32s at byte addresses [$from, $to).
  (func (export "sum") (param $from i32) (param $to i32) (result i64) (local $s i64)
    (loop $l
      (local.set $s (i64.add (local.get $s) (i64.extend_i32_u (i32.load (local.get $from)))))
      (br_if $l (i32.lt_u (local.tee $from (i32.add (local.get $from) (i32.const 4))) (local.get $to))))
    (local.get $s))
  (func (export "compute") (param $h i32) (param $n i32) (result i32)
    (loop $l
      (local.set $h (i32.add (i32.mul (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 15)))
                                      (i32.const 0x2c1b3c6d))
                             (local.get $n)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $h)))"#;

fn kernels(shared: bool) -> Vec<u8> {
    let memory = if shared {
        format!(r#"(memory (import "env" "memory") {PAGES} {PAGES} shared)"#)
    } else {
        format!(r#"(memory (export "memory") {PAGES} {PAGES})"#)
    };
    wat::parse_str(KERNELS.replace("{MEMORY}", &memory)).expect("kernels parse")
}

/// An instance of the kernels in its own store.
struct Wasm {
    store: Store<()>,
    instance: Instance,
}

impl Wasm {
    fn new(linker: &Linker<()>, module: &Module) -> Self {
        let mut store = Store::new(module.engine(), ());
        let instance = linker.instantiate(&mut store, module).expect("instantiate kernels");
        Self { store, instance }
    }

    fn func<P: WasmParams, R: WasmResults>(&self, name: &str) -> TypedFunc<P, R> {
        let f = self.instance.get_func(&self.store, name).unwrap_or_else(|| panic!("no export {name}"));
        f.typed(&self.store).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn call<P: WasmParams, R: WasmResults>(&mut self, name: &str, params: P) -> R {
        let f = self.func::<P, R>(name);
        f.call(&mut self.store, params).unwrap_or_else(|e| panic!("{name}: {e}"))
    }
}

/// The shared-memory kernels: their module, a linker providing the memory, and the memory.
struct SharedKernels {
    module: Module,
    linker: Linker<()>,
    memory: SharedMemory,
}

impl SharedKernels {
    fn new(engine: &Engine) -> Self {
        let module = Module::new(engine, &kernels(true)).expect("compile shared kernels");
        let memory = SharedMemory::new(PAGES, PAGES).expect("shared memory");
        let mut linker = Linker::new(engine);
        linker.define("env", "memory", memory.clone()).expect("define memory");
        Self { module, linker, memory }
    }

    fn instance(&self) -> Wasm {
        Wasm::new(&self.linker, &self.module)
    }

    /// A worker thread with its own instance over the same memory.
    fn worker(&self, name: &str) -> Worker<Wasm> {
        let (linker, module) = (self.linker.clone(), self.module.clone());
        Worker::new(name, move || Wasm::new(&linker, &module))
    }

    fn read_i32(&self, addr: u64) -> i32 {
        let mut b = [0; 4];
        self.memory.read(addr, &mut b).expect("read");
        i32::from_le_bytes(b)
    }

    fn write_i32(&self, addr: u64, v: i32) {
        self.memory.write(addr, &v.to_le_bytes()).expect("write");
    }
}

fn scaled(n: i32, quick_divisor: i32) -> i32 {
    if quick() { n / quick_divisor } else { n }
}

fn bench_uncontended(c: &mut Criterion, engine: &Engine, sk: &SharedKernels) {
    let n = scaled(10_000_000, 10);
    write_marker_with_load("threads_uncontended", n);
    let private_module = Module::new(engine, &kernels(false)).expect("compile private kernels");
    let mut private = Wasm::new(&Linker::new(engine), &private_module);
    let mut shared = sk.instance();
    // Check the counters once.
    private.call::<(i32, i32), ()>("plain_add", (64, 1000));
    private.call::<(i32, i32), ()>("atomic_add", (64, 1000));
    let mut b = [0; 4];
    let memory = private.instance.get_memory(&private.store, "memory").expect("private memory");
    memory.read(&private.store, 64, &mut b).expect("read");
    assert_eq!(i32::from_le_bytes(b), 2000, "private counter");
    sk.write_i32(64, 0);
    shared.call::<(i32, i32), ()>("plain_add", (64, 1000));
    shared.call::<(i32, i32), ()>("atomic_add", (64, 1000));
    assert_eq!(sk.read_i32(64), 2000, "shared counter");

    let mut g = c.benchmark_group("threads_uncontended");
    configure(&mut g, true);
    let cases: [(&str, bool, &str); 5] = [
        ("loop_only", false, "loop_only"),
        ("plain_private", false, "plain_add"),
        ("plain_shared", true, "plain_add"),
        ("atomic_shared", true, "atomic_add"),
        ("atomic_private", false, "atomic_add"),
    ];
    for (id, on_shared, func) in cases {
        let w = if on_shared { &mut shared } else { &mut private };
        let f = w.func::<(i32, i32), ()>(func);
        let store = &mut w.store;
        g.bench_function(id, |b| b.iter(|| f.call(&mut *store, (64, n)).unwrap()));
    }
    g.finish();
}

fn bench_contended(c: &mut Criterion, sk: &SharedKernels) {
    let n = scaled(5_000_000, 10);
    write_marker_with_load("threads_contended", n);
    let mut main = sk.instance();
    let worker = sk.worker("contended");
    let add = main.func::<(i32, i32), ()>("atomic_add");
    // Check: two threads, n/100 each, on one counter.
    sk.write_i32(0, 0);
    let m = n / 100;
    worker.start(move |w| {
        w.call::<(i32, i32), ()>("atomic_add", (0, m));
        0
    });
    add.call(&mut main.store, (0, m)).unwrap();
    worker.wait();
    assert_eq!(sk.read_i32(0), 2 * m, "lost atomic increments");

    let mut g = c.benchmark_group("threads_contended");
    configure(&mut g, true);
    g.bench_function("one_thread", |b| b.iter(|| add.call(&mut main.store, (0, n)).unwrap()));
    for (id, other) in [("same_address", 0), ("separate_lines", 128)] {
        g.bench_function(id, |b| {
            b.iter(|| {
                worker.start(move |w| {
                    w.call::<(i32, i32), ()>("atomic_add", (other, n));
                    0
                });
                add.call(&mut main.store, (0, n)).unwrap();
                worker.wait()
            })
        });
    }
    g.finish();
}

/// Run `iters` round trips: `pong` on the worker, `ping` on this thread; the wall time.
fn wasm_pingpong(main: &mut Wasm, worker: &Worker<Wasm>, iters: u64, spin: i32) -> Duration {
    let n = iters as i32;
    let ping = main.func::<(i32, i32), ()>("ping");
    let start = Instant::now();
    worker.start(move |w| {
        w.call::<(i32, i32), ()>("pong", (n, spin));
        0
    });
    ping.call(&mut main.store, (n, spin)).unwrap();
    worker.wait();
    start.elapsed()
}

/// The native Mutex + Condvar hand-off: the state is who has the ball (0 ping, 1 pong).
type CondvarBall = Arc<(Mutex<u32>, Condvar)>;

fn condvar_hand(ball: &CondvarBall, give: u32, want: u32) {
    let (m, cv) = &**ball;
    let mut g = m.lock().unwrap();
    *g = give;
    cv.notify_one();
    while *g != want {
        g = cv.wait(g).unwrap();
    }
}

fn condvar_await(ball: &CondvarBall, want: u32) {
    let (m, cv) = &**ball;
    let mut g = m.lock().unwrap();
    while *g != want {
        g = cv.wait(g).unwrap();
    }
}

fn condvar_give(ball: &CondvarBall, give: u32) {
    let (m, cv) = &**ball;
    *m.lock().unwrap() = give;
    cv.notify_one();
}

/// The futex-like hand-off: an atomic flag, `spin` loads, then `park` until it changes.
struct ParkBall {
    flag: AtomicU32,
    ping: std::thread::Thread,
    pong: Mutex<Option<std::thread::Thread>>,
}

fn park_await(flag: &AtomicU32, want: u32, spin: i32) {
    for _ in 0..spin {
        if flag.load(Ordering::Acquire) == want {
            return;
        }
        std::hint::spin_loop();
    }
    while flag.load(Ordering::Acquire) != want {
        std::thread::park();
    }
}

fn bench_pingpong(c: &mut Criterion, sk: &SharedKernels) {
    write_marker_with_load("threads_pingpong", 1);
    let mut main = sk.instance();
    let worker = sk.worker("pong");
    sk.write_i32(0, 0);
    wasm_pingpong(&mut main, &worker, 1000, 0);
    wasm_pingpong(&mut main, &worker, 1000, SPINS);
    assert_eq!(sk.read_i32(0), 0, "ball back at ping");

    let mut g = c.benchmark_group("threads_pingpong");
    configure(&mut g, false);
    for (id, spin) in [("wasm_wait_notify", 0), ("wasm_spin_wait", SPINS)] {
        g.bench_function(id, |b| b.iter_custom(|iters| wasm_pingpong(&mut main, &worker, iters, spin)));
    }

    // Native Mutex + Condvar.
    let ball: CondvarBall = Arc::new((Mutex::new(0), Condvar::new()));
    let native = Worker::new("pong-native", || ());
    g.bench_function("native_condvar", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            let pong = ball.clone();
            native.start(move |_| {
                for _ in 0..iters {
                    condvar_await(&pong, 1);
                    condvar_give(&pong, 0);
                }
                0
            });
            for _ in 0..iters {
                condvar_hand(&ball, 1, 0);
            }
            native.wait();
            start.elapsed()
        })
    });

    // Native atomic flag + park/unpark.
    let park = Arc::new(ParkBall { flag: AtomicU32::new(0), ping: std::thread::current(), pong: Mutex::new(None) });
    let p = park.clone();
    native.run(move |_| {
        *p.pong.lock().unwrap() = Some(std::thread::current());
        0
    });
    let pong_thread = park.pong.lock().unwrap().clone().expect("pong thread");
    for (id, spin) in [("native_park", 0), ("native_spin_park", SPINS)] {
        g.bench_function(id, |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                let p = park.clone();
                native.start(move |_| {
                    for _ in 0..iters {
                        park_await(&p.flag, 1, spin);
                        p.flag.store(0, Ordering::Release);
                        p.ping.unpark();
                    }
                    0
                });
                for _ in 0..iters {
                    park.flag.store(1, Ordering::Release);
                    pong_thread.unpark();
                    park_await(&park.flag, 0, spin);
                }
                native.wait();
                start.elapsed()
            })
        });
    }
    g.finish();
}

fn bench_parallel(c: &mut Criterion, engine: &Engine, sk: &SharedKernels) {
    // Sum: n i32s = 4n bytes, two halves.
    let n = scaled((PAGES as i32) * 65536 / 4, 4);
    let half = 4 * n / 2;
    write_marker_with_load("threads_parallel_sum", n);
    let private_module = Module::new(engine, &kernels(false)).expect("compile private kernels");
    let mut private = Wasm::new(&Linker::new(engine), &private_module);
    let mut main = sk.instance();
    private.call::<i32, ()>("fill", n);
    main.call::<i32, ()>("fill", n);
    let expect = (n as i64) * (n as i64 - 1) / 2;
    let worker = sk.worker("parallel");
    let psum = private.func::<(i32, i32), i64>("sum");
    let sum = main.func::<(i32, i32), i64>("sum");
    let two_threads = |main: &mut Wasm| {
        worker.start(move |w| w.call::<(i32, i32), i64>("sum", (half, 2 * half)) as u64);
        let a = sum.call(&mut main.store, (0, half)).unwrap();
        a + worker.wait() as i64
    };
    let both_halves = |f: TypedFunc<(i32, i32), i64>, store: &mut Store<()>| {
        f.call(&mut *store, (0, half)).unwrap() + f.call(&mut *store, (half, 2 * half)).unwrap()
    };
    assert_eq!(both_halves(psum, &mut private.store), expect, "private sum");
    assert_eq!(both_halves(sum, &mut main.store), expect, "shared sum");
    assert_eq!(two_threads(&mut main), expect, "two-thread sum");

    let mut g = c.benchmark_group("threads_parallel_sum");
    configure(&mut g, true);
    g.bench_function("one_thread_private", |b| b.iter(|| both_halves(psum, &mut private.store)));
    g.bench_function("one_thread", |b| b.iter(|| both_halves(sum, &mut main.store)));
    g.bench_function("two_threads", |b| b.iter(|| two_threads(&mut main)));
    g.finish();

    // Compute: n iterations, two halves with different seeds.
    let n = scaled(20_000_000, 10);
    let half = n / 2;
    write_marker_with_load("threads_parallel_compute", n);
    let compute = main.func::<(i32, i32), i32>("compute");
    let one = |main: &mut Wasm| {
        compute.call(&mut main.store, (1, half)).unwrap() ^ compute.call(&mut main.store, (2, half)).unwrap()
    };
    let two = |main: &mut Wasm| {
        worker.start(move |w| w.call::<(i32, i32), i32>("compute", (2, half)) as u32 as u64);
        compute.call(&mut main.store, (1, half)).unwrap() ^ worker.wait() as i32
    };
    assert_eq!(one(&mut main), two(&mut main), "compute halves");
    let mut g = c.benchmark_group("threads_parallel_compute");
    configure(&mut g, true);
    g.bench_function("one_thread", |b| b.iter(|| one(&mut main)));
    g.bench_function("two_threads", |b| b.iter(|| two(&mut main)));
    g.finish();
}

fn bench_threads(c: &mut Criterion) {
    let engine = Engine::default();
    let sk = SharedKernels::new(&engine);
    bench_uncontended(c, &engine, &sk);
    bench_contended(c, &sk);
    bench_pingpong(c, &sk);
    bench_parallel(c, &engine, &sk);
}

criterion_group!(benches, bench_threads);
criterion_main!(benches);
