//! Stress tests of shared memory, atomics and wait/notify with wasm running on several OS threads.
//! Each test is bounded in time (a watchdog fails it instead of hanging) and repeated to catch races.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use wasmvm::thread::spawn;
use wasmvm::{Engine, Linker, Module, SharedMemory, Store, Val};

const THREADS: usize = 4;

/// Run `f` on a helper thread and fail if it does not finish in `secs` seconds.
fn within<R: Send + 'static>(secs: u64, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(secs)).expect("timed out: a wakeup was lost or a thread hung")
}

fn setup(wat: &str) -> (Engine, Module, Linker<()>, SharedMemory) {
    let engine = Engine::default();
    let module = Module::new(&engine, &wat::parse_str(wat).unwrap()).unwrap();
    let memory = SharedMemory::new(1, 1).unwrap();
    let mut linker = Linker::new(&engine);
    linker.define("env", "memory", memory.clone()).unwrap();
    (engine, module, linker, memory)
}

fn read_i32(m: &SharedMemory, addr: u64) -> i32 {
    let mut b = [0u8; 4];
    m.read(addr, &mut b).unwrap();
    i32::from_le_bytes(b)
}

const COUNTER: &str = r#"(module
  (memory (import "env" "memory") 1 1 shared)
  (func (export "inc") (param $n i32)
    (loop $l
      (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))"#;

#[test]
fn atomic_increments_are_exact() {
    for _round in 0..5 {
        let (_e, module, linker, memory) = setup(COUNTER);
        let m = 50_000;
        let threads: Vec<_> =
            (0..THREADS).map(|_| spawn(&linker, &module, (), "inc", vec![Val::I32(m)]).unwrap()).collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(read_i32(&memory, 0), THREADS as i32 * m);
    }
}

/// A mutex from cmpxchg + wait/notify protecting a plain (non-atomic) counter at address 4.
const MUTEX: &str = r#"(module
  (memory (import "env" "memory") 1 1 shared)
  (func $lock
    (loop $retry
      (if (i32.atomic.rmw.cmpxchg (i32.const 0) (i32.const 0) (i32.const 1))
        (then
          (drop (memory.atomic.wait32 (i32.const 0) (i32.const 1) (i64.const -1)))
          (br $retry)))))
  (func $unlock
    (i32.atomic.store (i32.const 0) (i32.const 0))
    (drop (memory.atomic.notify (i32.const 0) (i32.const 1))))
  (func (export "work") (param $n i32)
    (loop $l
      (call $lock)
      (i32.store (i32.const 4) (i32.add (i32.load (i32.const 4)) (i32.const 1)))
      (call $unlock)
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))"#;

#[test]
fn mutex_protects_plain_counter() {
    within(120, || {
        for _round in 0..5 {
            let (_e, module, linker, memory) = setup(MUTEX);
            let m = 20_000;
            let threads: Vec<_> =
                (0..THREADS).map(|_| spawn(&linker, &module, (), "work", vec![Val::I32(m)]).unwrap()).collect();
            for t in threads {
                t.join().unwrap();
            }
            assert_eq!(read_i32(&memory, 4), THREADS as i32 * m);
            assert_eq!(read_i32(&memory, 0), 0, "mutex left locked");
        }
    });
}

/// A one-slot mailbox: flag at 0 (0 empty, 1 full), value at 4. The producer sends 1..=n, the consumer
/// returns their sum. A lost wakeup deadlocks (caught by the watchdog).
const MAILBOX: &str = r#"(module
  (memory (import "env" "memory") 1 1 shared)
  (func (export "produce") (param $n i32) (local $i i32)
    (loop $next
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (loop $wait_empty
        (if (i32.atomic.load (i32.const 0))
          (then (drop (memory.atomic.wait32 (i32.const 0) (i32.const 1) (i64.const -1))) (br $wait_empty))))
      (i32.store (i32.const 4) (local.get $i))
      (i32.atomic.store (i32.const 0) (i32.const 1))
      (drop (memory.atomic.notify (i32.const 0) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (local.get $n)))))
  (func (export "consume") (param $n i32) (result i64) (local $sum i64)
    (loop $next
      (loop $wait_full
        (if (i32.eqz (i32.atomic.load (i32.const 0)))
          (then (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1))) (br $wait_full))))
      (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_u (i32.load (i32.const 4)))))
      (i32.atomic.store (i32.const 0) (i32.const 0))
      (drop (memory.atomic.notify (i32.const 0) (i32.const 1)))
      (br_if $next (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $sum)))"#;

#[test]
fn producer_consumer_loses_no_wakeup() {
    within(120, || {
        for _round in 0..5 {
            let (_e, module, linker, _memory) = setup(MAILBOX);
            let n = 20_000i64;
            let c = spawn(&linker, &module, (), "consume", vec![Val::I32(n as i32)]).unwrap();
            let p = spawn(&linker, &module, (), "produce", vec![Val::I32(n as i32)]).unwrap();
            p.join().unwrap();
            assert_eq!(c.join().unwrap(), vec![Val::I64(n * (n + 1) / 2)]);
        }
    });
}

const WAITER: &str = r#"(module
  (memory (import "env" "memory") 1 1 shared)
  (func (export "wait") (param $expected i32) (param $timeout i64) (result i32)
    (memory.atomic.wait32 (i32.const 0) (local.get $expected) (local.get $timeout)))
  (func (export "wait_log") (param $id i32) (result i32)
    (local $r i32)
    (local.set $r (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))
    ;; append id + 1 to the log at 16 + 4*k, k = atomic counter at 8 (0 marks a slot not written yet)
    (i32.atomic.store offset=16
      (i32.mul (i32.atomic.rmw.add (i32.const 8) (i32.const 1)) (i32.const 4))
      (i32.add (local.get $id) (i32.const 1)))
    (local.get $r))
  (func (export "notify") (param $count i32) (result i32)
    (memory.atomic.notify (i32.const 0) (local.get $count))))"#;

#[test]
fn wait_results_and_timeout() {
    let (engine, module, linker, _memory) = setup(WAITER);
    let mut store = Store::new(&engine, ());
    let inst = linker.instantiate(&mut store, &module).unwrap();
    let wait = inst.get_func(&store, "wait").unwrap().typed::<(i32, i64), i32>(&store).unwrap();
    // Value differs: "not-equal" at once.
    assert_eq!(wait.call(&mut store, (5, -1)).unwrap(), 1);
    // Value matches, nobody notifies: "timed-out" after the timeout.
    let start = Instant::now();
    assert_eq!(wait.call(&mut store, (0, 20_000_000)).unwrap(), 2);
    assert!(start.elapsed() >= Duration::from_millis(20));
    // Notify with nobody waiting wakes 0.
    let notify = inst.get_func(&store, "notify").unwrap().typed::<i32, i32>(&store).unwrap();
    assert_eq!(notify.call(&mut store, 10).unwrap(), 0);
}

#[test]
fn notify_wakes_at_most_count_in_fifo_order() {
    within(60, || {
        let (engine, module, linker, memory) = setup(WAITER);
        let waiters = 4;
        let mut handles = Vec::new();
        for id in 0..waiters {
            handles.push(spawn(&linker, &module, (), "wait_log", vec![Val::I32(id)]).unwrap());
            // Let it block before the next one queues, so the queue order is the spawn order.
            let deadline = Instant::now() + Duration::from_secs(20);
            while memory.waiters(0) <= id as usize {
                assert!(Instant::now() < deadline, "waiter {id} never blocked");
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        let mut store = Store::new(&engine, ());
        let inst = linker.instantiate(&mut store, &module).unwrap();
        let notify = inst.get_func(&store, "notify").unwrap().typed::<i32, i32>(&store).unwrap();
        for k in 0..waiters {
            assert_eq!(notify.call(&mut store, 1).unwrap(), 1, "exactly one waiter woken");
            assert_eq!(memory.waiters(0), (waiters - k - 1) as usize, "a woken waiter leaves the queue");
            let deadline = Instant::now() + Duration::from_secs(10);
            let slot = 16 + 4 * k as u64;
            while read_i32(&memory, slot) == 0 {
                assert!(Instant::now() < deadline, "woken waiter did not run");
                std::thread::yield_now();
            }
            assert_eq!(read_i32(&memory, slot), k + 1, "waiters are woken in FIFO order");
        }
        assert_eq!(notify.call(&mut store, 1).unwrap(), 0);
        for h in handles {
            assert_eq!(h.join().unwrap(), vec![Val::I32(0)]);
        }
    });
}

#[test]
fn a_trap_in_one_thread_leaves_the_others_running() {
    let wat = r#"(module
      (memory (import "env" "memory") 1 1 shared)
      (func (export "boom") unreachable)
      (func (export "inc") (param $n i32)
        (loop $l
          (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
          (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))"#;
    let (_e, module, linker, memory) = setup(wat);
    let a = spawn(&linker, &module, (), "inc", vec![Val::I32(100_000)]).unwrap();
    let b = spawn(&linker, &module, (), "boom", vec![]).unwrap();
    let c = spawn(&linker, &module, (), "inc", vec![Val::I32(100_000)]).unwrap();
    let err = b.join().unwrap_err();
    assert_eq!(err.to_string(), "trap: unreachable");
    a.join().unwrap();
    c.join().unwrap();
    assert_eq!(read_i32(&memory, 0), 200_000);
}

#[test]
fn memory_grow_is_seen_by_every_thread() {
    let wat = r#"(module
      (memory (import "env" "memory") 1 4 shared)
      (func (export "grow") (result i32) (memory.grow (i32.const 1)))
      (func (export "size") (result i32) (memory.size))
      (func (export "poke") (param $a i32) (i32.atomic.store (local.get $a) (i32.const 7))))"#;
    let engine = Engine::default();
    let module = Module::new(&engine, &wat::parse_str(wat).unwrap()).unwrap();
    let memory = SharedMemory::new(1, 4).unwrap();
    let mut linker = Linker::new(&engine);
    linker.define("env", "memory", memory.clone()).unwrap();
    let mut store = Store::new(&engine, ());
    let inst = linker.instantiate(&mut store, &module).unwrap();
    let grow = inst.get_func(&store, "grow").unwrap().typed::<(), i32>(&store).unwrap();
    assert_eq!(grow.call(&mut store, ()).unwrap(), 1);
    // Another thread's instance, created before or after, sees 2 pages and can store in page 2.
    let t = spawn(&linker, &module, (), "size", vec![]).unwrap();
    assert_eq!(t.join().unwrap(), vec![Val::I32(2)]);
    spawn(&linker, &module, (), "poke", vec![Val::I32(65536 + 8)]).unwrap().join().unwrap();
    assert_eq!(read_i32(&memory, 65536 + 8), 7);
}

#[test]
fn interrupt_wakes_a_blocked_wait() {
    within(30, || {
        let (engine, module, linker, _memory) = setup(WAITER);
        let mut store = Store::new(&engine, ());
        let inst = linker.instantiate(&mut store, &module).unwrap();
        let wait = inst.get_func(&store, "wait").unwrap().typed::<(i32, i64), i32>(&store).unwrap();
        let handle = store.interrupt_handle();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            handle.interrupt();
        });
        // Nobody notifies and there is no timeout: only the interrupt ends the wait.
        assert_eq!(wait.call(&mut store, (0, -1)).unwrap_err().to_string(), "trap: interrupted");
    });
}
