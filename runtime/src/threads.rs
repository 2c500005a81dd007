//! wasi-threads: `wasi.thread-spawn` and how the threads of one program end it.
//!
//! `thread-spawn(start_arg) -> i32` starts a new OS thread running a new instance of the calling
//! module (in its own store, importing the same shared memory) and calls its export
//! `wasi_thread_start(tid, start_arg)`. The thread id is unique in `[1, 2^29)`; the spawning thread
//! waits until the new instance exists, so a failure (no `wasi_thread_start`, ids exhausted, no OS
//! thread) is reported to it as a negative result, [`SPAWN_FAILED`].
//!
//! A [`ThreadGroup`] is the program: its thread ids and how it ends. Returning from
//! `wasi_thread_start` ends only that thread. A trap or `proc_exit` in a spawned thread ends the
//! whole program: [`ThreadGroup::thread_ended`] records it as the program's outcome (the first
//! ending wins; the main thread's ending goes through [`ThreadGroup::finish`]), interrupts the
//! group's stores, shuts down the program's [`WasiCtx`] (so threads blocked in `fd_read` on a
//! pipe or in `poll_oneoff` wake and end; `memory.atomic.wait` wakes on the interrupt) and calls
//! the group's handler — for the `wasmvm` command,
//! [`exit::exit`](crate::exit::exit), which ends the process. (Without such a handler the other
//! threads stop only if the engine is [`interruptible`](wasmvm::Config) and they are not blocked
//! in `memory.atomic.wait`.)
//!
//! This module spawns threads for a single module ([`Host`], used by [`run`](crate::run)); the
//! loader's address spaces have their own spawner in [`multi`](crate::multi).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError, mpsc};

use wasmvm::{Caller, Error, FuelTank, Func, Instance, InterruptHandle, Linker, Module, Store};

use crate::run::RunError;
use crate::wasi::WasiCtx;

/// The import module of `thread-spawn`.
pub const MODULE: &str = "wasi";
/// The import name.
pub const SPAWN: &str = "thread-spawn";
/// The export a new thread starts in: `wasi_thread_start(tid: i32, start_arg: i32)`.
pub const START: &str = "wasi_thread_start";
/// Thread ids are below this (wasi-threads reserves the top bits).
pub const MAX_TID: u32 = 1 << 29;
/// What `thread-spawn` returns when it fails: `-EAGAIN` (WASI errno 6), negative as the spec asks.
pub const SPAWN_FAILED: i32 = -6;

/// How a program ended: its exit status, or why it failed.
pub type Outcome = Result<i32, RunError>;

/// Called by the spawned thread that ended the program, with the program's outcome.
pub type EndHandler = Box<dyn Fn(&Outcome) + Send + Sync>;

/// The threads of one program: thread ids, and the first ending.
pub struct ThreadGroup {
    next_tid: AtomicU32,
    outcome: OnceLock<Outcome>,
    interrupt: InterruptHandle,
    /// The fuel every store of the program draws from (when the engine meters fuel).
    fuel: FuelTank,
    on_end: Option<EndHandler>,
    /// The program's WASI contexts, shut down when it ends.
    contexts: Mutex<Vec<WasiCtx>>,
    /// Spawned threads still running, and a signal when that count changes.
    live: (Mutex<usize>, Condvar),
}

impl Default for ThreadGroup {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for ThreadGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadGroup").field("outcome", &self.outcome.get()).finish_non_exhaustive()
    }
}

impl ThreadGroup {
    /// A group that records how a spawned thread ended the program and interrupts the others.
    pub fn new() -> Self {
        Self {
            next_tid: AtomicU32::new(1),
            outcome: OnceLock::new(),
            interrupt: InterruptHandle::new(),
            fuel: FuelTank::default(),
            on_end: None,
            contexts: Mutex::new(Vec::new()),
            live: (Mutex::new(0), Condvar::new()),
        }
    }

    /// A group that also calls `f` when a spawned thread ends the program (e.g. to end the process).
    pub fn with_handler(f: impl Fn(&Outcome) + Send + Sync + 'static) -> Self {
        Self { on_end: Some(Box::new(f)), ..Self::new() }
    }

    /// The handle every store of the program shares.
    pub fn interrupt_handle(&self) -> InterruptHandle {
        self.interrupt.clone()
    }

    /// The fuel tank every store of the program shares (one budget for all its threads).
    pub fn fuel_tank(&self) -> FuelTank {
        self.fuel.clone()
    }

    /// Make `store` one of the program's: it shares the program's interrupt handle and fuel.
    pub fn adopt<T>(&self, store: &mut Store<T>) {
        store.set_interrupt_handle(self.interrupt_handle());
        store.set_fuel_tank(self.fuel_tank());
    }

    /// A fresh thread id, or `None` when all of `[1, 2^29)` have been used.
    pub fn next_tid(&self) -> Option<u32> {
        self.next_tid.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| (t < MAX_TID).then_some(t + 1)).ok()
    }

    /// How the program ended, if a thread (or [`finish`](Self::finish)) has ended it.
    pub fn outcome(&self) -> Option<Outcome> {
        self.outcome.get().cloned()
    }

    /// Record `outcome` unless the program has already ended; returns the outcome that won and
    /// whether it was this one.
    pub(crate) fn end(&self, outcome: Outcome) -> (Outcome, bool) {
        let mut won = false;
        let winner = self
            .outcome
            .get_or_init(|| {
                won = true;
                outcome
            })
            .clone();
        if won {
            self.interrupt.interrupt();
            for ctx in lock(&self.contexts).iter() {
                ctx.shutdown();
            }
        }
        (winner, won)
    }

    /// Shut `ctx` down when the program ends (at once if it already has).
    pub fn watch(&self, ctx: &WasiCtx) {
        lock(&self.contexts).push(ctx.clone());
        if self.outcome.get().is_some() {
            ctx.shutdown();
        }
    }

    /// How many spawned threads are still running.
    pub fn live_threads(&self) -> usize {
        *lock(&self.live.0)
    }

    /// Wait until every spawned thread has ended. Once the program has ended, threads blocked in
    /// WASI calls or `memory.atomic.wait` end promptly; a thread looping in wasm code ends only
    /// if the engine is [`interruptible`](wasmvm::Config).
    pub fn join(&self) {
        let mut n = lock(&self.live.0);
        while *n > 0 {
            n = self.live.1.wait(n).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// [`join`](Self::join) if `engine` is interruptible, so that every thread is sure to end; else
    /// return at once (a thread looping in wasm could never be stopped).
    pub fn join_if_stoppable(&self, engine: &wasmvm::Engine) {
        if engine.config().interruptible {
            self.join();
        }
    }

    /// Count a thread as running until the returned guard drops.
    pub(crate) fn enter(self: &Arc<Self>) -> LiveGuard {
        *lock(&self.live.0) += 1;
        LiveGuard(self.clone())
    }

    /// The main thread's ending (`_start` returned, exited or trapped): the program's outcome is
    /// this one unless a spawned thread ended the program first.
    pub fn finish(&self, outcome: Outcome) -> Outcome {
        self.end(outcome).0
    }

    /// A spawned thread's `wasi_thread_start` returned (`r`): a trap or exit ends the program.
    /// `wasi` is flushed before the handler runs.
    pub fn thread_ended(&self, tid: u32, r: wasmvm::Result<()>, wasi: &WasiCtx) {
        let outcome = match r {
            Ok(()) => {
                log::debug!("thread {tid} returned");
                return;
            }
            Err(Error::Trap(t)) => match t.exit_status() {
                Some(s) => Ok(s),
                None => Err(RunError::Trap(t)),
            },
            Err(e) => Err(RunError::Setup(format!("thread {tid}: {e}"))),
        };
        log::debug!("thread {tid} ended the program: {outcome:?}");
        let (winner, won) = self.end(outcome);
        if won {
            wasi.flush();
            if let Some(f) = &self.on_end {
                f(&winner);
            }
        }
    }
}

/// A running spawned thread, counted in its group until dropped.
pub(crate) struct LiveGuard(Arc<ThreadGroup>);

impl Drop for LiveGuard {
    fn drop(&mut self) {
        *lock(&self.0.live.0) -= 1;
        self.0.live.1.notify_all();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The store data of a single-module program: its WASI state and, if it can spawn threads, what a
/// new thread needs.
pub struct Host {
    /// The program's WASI state; every thread of the program has a clone (they share descriptors).
    pub wasi: WasiCtx,
    threads: Option<Arc<Spawner>>,
}

impl Host {
    /// Store data without thread support (`thread-spawn` fails).
    pub fn new(wasi: WasiCtx) -> Self {
        Self { wasi, threads: None }
    }
}

/// Everything a new thread of a single-module program needs.
struct Spawner {
    linker: Linker<Host>,
    module: Module,
    group: Arc<ThreadGroup>,
}

/// Define `wasi.thread-spawn` for single-module programs.
pub(crate) fn add_to_linker(linker: &mut Linker<Host>) -> wasmvm::Result<()> {
    linker.func_wrap(MODULE, SPAWN, |caller: Caller<'_, Host>, start_arg: i32| -> i32 {
        let Some(spawner) = caller.data().threads.clone() else {
            log::warn!("thread-spawn: the program has no shared memory to share with a new thread");
            return SPAWN_FAILED;
        };
        let wasi = caller.data().wasi.clone();
        spawn(&spawner, wasi, start_arg)
    })?;
    Ok(())
}

/// Store data for the main thread of `module`, which may spawn threads: `linker` must define
/// everything the module imports (its shared memory included) and `thread-spawn`.
pub(crate) fn main_host(wasi: WasiCtx, linker: &Linker<Host>, module: &Module, group: Arc<ThreadGroup>) -> Host {
    let spawner = Spawner { linker: linker.clone(), module: module.clone(), group };
    Host { wasi, threads: Some(Arc::new(spawner)) }
}

/// The `wasi_thread_start` export of `instance`, typed.
pub(crate) fn start_func<T>(store: &Store<T>, instance: Instance) -> Result<Func, String> {
    let f = instance.get_func(store, START).ok_or_else(|| format!("the module does not export {START}"))?;
    f.typed::<(i32, i32), ()>(store).map_err(|_| format!("{START} must have type (i32, i32) -> ()"))?;
    Ok(f)
}

/// Run `start` on a new OS thread named after `tid`: `start` sets the thread up and reports that
/// (or why it could not) through the channel before running the thread's code. Returns `tid`, or
/// [`SPAWN_FAILED`].
pub(crate) fn spawn_os_thread(
    tid: u32,
    start: impl FnOnce(mpsc::SyncSender<Result<(), String>>) + Send + 'static,
) -> i32 {
    let (tx, rx) = mpsc::sync_channel(1);
    let spawned = std::thread::Builder::new().name(format!("wasi-thread-{tid}")).spawn(move || start(tx));
    if let Err(e) = spawned {
        log::warn!("thread-spawn: cannot start an OS thread: {e}");
        return SPAWN_FAILED;
    }
    match rx.recv() {
        Ok(Ok(())) => {
            log::debug!("thread-spawn: started thread {tid}");
            tid as i32
        }
        Ok(Err(e)) => {
            log::warn!("thread-spawn: thread {tid} could not start: {e}");
            SPAWN_FAILED
        }
        Err(_) => SPAWN_FAILED,
    }
}

fn spawn(spawner: &Arc<Spawner>, wasi: WasiCtx, start_arg: i32) -> i32 {
    let Some(tid) = spawner.group.next_tid() else {
        log::warn!("thread-spawn: all thread ids are used");
        return SPAWN_FAILED;
    };
    let spawner = spawner.clone();
    let live = spawner.group.enter();
    spawn_os_thread(tid, move |ready| {
        let _live = live;
        let host = Host { wasi: wasi.clone(), threads: Some(spawner.clone()) };
        let mut store = Store::new(spawner.module.engine(), host);
        spawner.group.adopt(&mut store);
        let start = spawner
            .linker
            .instantiate(&mut store, &spawner.module)
            .map_err(|e| e.to_string())
            .and_then(|inst| start_func(&store, inst));
        run_start(ready, &mut store, start, tid, start_arg, &spawner.group, &wasi);
    })
}

/// The rest of a spawned thread's life once its instance exists: tell the spawner whether its
/// `wasi_thread_start` was found, call it with `(tid, arg)`, and record how the thread ended.
pub(crate) fn run_start<T>(
    ready: mpsc::SyncSender<Result<(), String>>,
    store: &mut Store<T>,
    start: Result<Func, String>,
    tid: u32,
    arg: i32,
    group: &ThreadGroup,
    wasi: &WasiCtx,
) {
    let start = match start {
        Ok(f) => f,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let _ = ready.send(Ok(()));
    let r = start.typed::<(i32, i32), ()>(&*store).and_then(|f| f.call(&mut *store, (tid as i32, arg)));
    group.thread_ended(tid, r, wasi);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_ids_stop_below_2_pow_29() {
        let g = ThreadGroup::new();
        assert_eq!(g.next_tid(), Some(1));
        assert_eq!(g.next_tid(), Some(2));
        g.next_tid.store(MAX_TID - 1, Ordering::Relaxed);
        assert_eq!(g.next_tid(), Some(MAX_TID - 1));
        assert_eq!(g.next_tid(), None);
        assert_eq!(g.next_tid(), None);
    }

    #[test]
    fn first_ending_wins() {
        let g = ThreadGroup::new();
        let wasi = WasiCtx::builder().build();
        g.thread_ended(1, Ok(()), &wasi);
        assert!(g.outcome().is_none());
        g.thread_ended(2, Err(Error::Trap(wasmvm::Trap::exit(7))), &wasi);
        g.thread_ended(3, Err(Error::Trap(wasmvm::Trap::exit(8))), &wasi);
        assert_eq!(g.finish(Ok(0)).unwrap(), 7);
        assert!(g.interrupt_handle().is_interrupted());
    }
}
