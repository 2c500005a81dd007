//! Running modules: load, instantiate with WASI, then run `_start` (a command), `_initialize`
//! (a reactor) or an arbitrary export (`--invoke`).
//!
//! Every way a run can end is one of: the program finished (status 0, or the status it gave
//! `proc_exit`, which unwinds as [`Trap::exit`]); it trapped ([`RunError::Trap`]); or it could not
//! be started at all ([`RunError::Setup`]: unreadable file, malformed module, missing import, bad
//! `--invoke` argument). Messages are single lines so the CLI can print them as `error: ...`.
//!
//! A module that imports a shared memory gets one (created with the import's limits) and can start
//! threads with `wasi.thread-spawn` ([`threads`]); a thread that traps or exits
//! ends the program. The entry-point logic here ([`run_entry`], [`invoke_export`]) is shared with
//! the loader's path ([`multi`](crate::multi)).

use std::fmt;
use std::path::Path;

use std::sync::Arc;

use wasmvm::{AsContextMut, Engine, Error, Extern, ExternType, Func, Instance, Linker, Module, SharedMemory, Store};
use wasmvm::{Trap, Val};

use crate::threads::{self, Host, Outcome, ThreadGroup};
use crate::values::{format_val, parse_val};
use crate::wasi::{self, WasiCtx};

/// Exit status when a setup step fails (unreadable or malformed module, missing import, bad argument).
pub const EXIT_ERROR: i32 = 1;
/// Exit status when wasm code traps (128 + SIGABRT, as a native program that aborts).
pub const EXIT_TRAP: i32 = 134;

/// The exit status of an outcome, and the error line to print (without `error: `), if any.
pub fn status_of(outcome: &Outcome) -> (i32, Option<String>) {
    match outcome {
        Ok(s) => (*s, None),
        Err(e @ RunError::Setup(_)) => (EXIT_ERROR, Some(e.to_string())),
        // `proc_exit` with a status outside 0..126: reported as a trap, but with status 1, as wasmtime
        // does (there it is a host function's error, not a wasm trap).
        Err(e @ RunError::Trap(t)) if wasi::is_invalid_exit(t) => (EXIT_ERROR, Some(e.to_string())),
        Err(e @ RunError::Trap(_)) => (EXIT_TRAP, Some(e.to_string())),
    }
}

/// Why a run failed.
#[derive(Debug, Clone)]
pub enum RunError {
    /// The program could not be loaded, linked or called (one-line message).
    Setup(String),
    /// Wasm code trapped.
    Trap(Trap),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Setup(m) => f.write_str(m),
            RunError::Trap(t) => {
                write!(f, "wasm trap: {t}")?;
                // The backtrace follows on its own lines, as wasmtime prints it.
                let trace = t.trace_text();
                if !trace.is_empty() {
                    write!(f, "\n{}", trace.trim_end())?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for RunError {}

pub(crate) fn setup(msg: impl fmt::Display) -> RunError {
    RunError::Setup(one_line(&msg.to_string()))
}

/// Collapse a possibly multi-line message to one line.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// How a call into wasm ended without trapping.
#[derive(Debug, Clone, PartialEq)]
pub enum Ending<T> {
    /// The function returned.
    Returned(T),
    /// The program called `proc_exit` with this status.
    Exited(i32),
}

/// Sort a wasm error into an exit, a trap, or a setup error with `context`.
pub(crate) fn classify<T>(r: wasmvm::Result<T>, context: impl FnOnce() -> String) -> Result<Ending<T>, RunError> {
    match r {
        Ok(v) => Ok(Ending::Returned(v)),
        Err(Error::Trap(t)) => match t.exit_status() {
            Some(status) => Ok(Ending::Exited(status)),
            None => Err(RunError::Trap(t)),
        },
        Err(e) => Err(setup(format!("{}: {e}", context()))),
    }
}

/// Read and compile a module file.
pub fn load_module(engine: &Engine, path: &Path) -> Result<Module, RunError> {
    compile_module(engine, path, &read_module(path)?)
}

/// Read a module file.
pub fn read_module(path: &Path) -> Result<Vec<u8>, RunError> {
    std::fs::read(path).map_err(|e| setup(format!("failed to read '{}': {e}", path.display())))
}

/// Compile the module read from `path`.
pub fn compile_module(engine: &Engine, path: &Path, bytes: &[u8]) -> Result<Module, RunError> {
    let t = std::time::Instant::now();
    let module =
        Module::new(engine, bytes).map_err(|e| setup(format!("failed to compile '{}': {e}", path.display())))?;
    log::debug!("compiled {} ({} bytes) in {:?}", path.display(), bytes.len(), t.elapsed());
    Ok(module)
}

/// A module instantiated with WASI, ready to run.
pub struct Program {
    /// The store the program runs in; its data holds the WASI state (e.g. to look at captured output).
    pub store: Store<Host>,
    /// The instance of the program's module, to call its exports.
    pub instance: Instance,
    group: Arc<ThreadGroup>,
}

/// Give every shared memory `module` imports a new [`SharedMemory`] with the import's limits (the
/// module's threads will all import it).
fn define_shared_memories(linker: &mut Linker<Host>, module: &Module) -> Result<bool, RunError> {
    let mut any = false;
    for imp in module.imports() {
        if let ExternType::Memory(ty) = imp.ty
            && ty.shared
        {
            let max = ty.max.unwrap_or(ty.min);
            let memory = SharedMemory::new(ty.min, max)
                .map_err(|e| setup(format!("cannot create shared memory {}.{}: {e}", imp.module, imp.name)))?;
            linker.define(&imp.module, &imp.name, Extern::SharedMemory(memory)).map_err(setup)?;
            any = true;
        }
    }
    Ok(any)
}

fn ctx_of(host: &Host) -> WasiCtx {
    host.wasi.clone()
}

impl Program {
    /// Instantiate `module` in a new store holding `ctx`, with WASI preview1 available for import.
    /// A start function that calls `proc_exit` yields `Ending::Exited`.
    pub fn new(module: &Module, ctx: WasiCtx) -> Result<Ending<Program>, RunError> {
        Self::with_group(module, ctx, Arc::new(ThreadGroup::new()))
    }

    /// [`new`](Self::new), with the program's threads (if it spawns any) in `group`.
    pub fn with_group(module: &Module, ctx: WasiCtx, group: Arc<ThreadGroup>) -> Result<Ending<Program>, RunError> {
        let engine = module.engine();
        let mut linker = Linker::<Host>::new(engine);
        wasi::add_to_linker(&mut linker, |h: &mut Host| &mut h.wasi).map_err(setup)?;
        threads::add_to_linker(&mut linker).map_err(setup)?;
        let host = if define_shared_memories(&mut linker, module)? {
            threads::main_host(ctx, &linker, module, group.clone())
        } else {
            Host::new(ctx)
        };
        group.watch(&ctx_of(&host));
        let mut store = Store::new(engine, host);
        group.adopt(&mut store);
        let r = linker.instantiate(&mut store, module);
        log::debug!("instantiated: {}", if r.is_ok() { "ok" } else { "failed" });
        Ok(match classify(r, || "failed to instantiate module".into())? {
            Ending::Returned(instance) => Ending::Returned(Program { store, instance, group }),
            Ending::Exited(s) => Ending::Exited(s),
        })
    }

    /// Run as a WASI command: `_start`, or `_initialize` for a reactor. Returns the exit status
    /// (a thread that ended the program first decides it).
    pub fn run_command(&mut self) -> Result<i32, RunError> {
        let wasi = self.store.data().wasi.clone();
        let outcome = run_entry(&mut self.store, self.instance, &wasi);
        let outcome = self.group.finish(outcome);
        self.join_threads();
        outcome
    }

    /// Once the program has ended: wait for its spawned threads, which end promptly (blocked calls
    /// are woken, loops are interrupted) when the engine is interruptible. Without interruption
    /// a thread looping in wasm could never end, so then only the blocked ones are sure to, and
    /// the rest are not waited for.
    fn join_threads(&self) {
        self.group.join_if_stoppable(self.store.engine());
    }

    /// Call export `name` with arguments given as text, parsed by its parameter types. A reactor's
    /// `_initialize` runs first; a command's `_start` does not run.
    pub fn invoke(&mut self, name: &str, args: &[String]) -> Result<Ending<Vec<Val>>, RunError> {
        let wasi = self.store.data().wasi.clone();
        let r = invoke_export(&mut self.store, self.instance, name, args, &wasi);
        let r = settle(&self.group, r);
        self.join_threads();
        r
    }
}

/// The main thread's call ended with `r`: that is how the program ended, unless a spawned thread
/// ended it first (then its outcome is returned instead).
pub(crate) fn settle<T>(group: &ThreadGroup, r: Result<Ending<T>, RunError>) -> Result<Ending<T>, RunError> {
    let mine = match &r {
        Ok(Ending::Exited(s)) => Ok(*s),
        Ok(Ending::Returned(_)) => Ok(0),
        Err(e) => Err(e.clone()),
    };
    match group.end(mine) {
        (_, true) => r,
        (winner, false) => winner.map(Ending::Exited),
    }
}

/// Call the `() -> ()` export `name` of `instance`, then flush `wasi`.
fn call_unit<S: AsContextMut>(
    store: &mut S,
    instance: Instance,
    name: &str,
    wasi: &WasiCtx,
) -> Result<Ending<()>, RunError> {
    let f = instance.get_func(&*store, name).ok_or_else(|| setup(format!("no exported function '{name}'")))?;
    let f = f
        .typed::<(), ()>(&*store)
        .map_err(|_| setup(format!("'{name}' must take no parameters and return nothing")))?;
    log::debug!("calling {name}");
    let r = f.call(&mut *store, ());
    let ending = classify(r, || format!("failed to call '{name}'"));
    wasi.flush();
    ending
}

fn export(store: &impl wasmvm::AsContext, instance: Instance, name: &str) -> Option<Func> {
    instance.get_func(store, name)
}

/// Run `instance` as a WASI command: `_start`, or `_initialize` for a reactor. Returns the exit
/// status.
pub fn run_entry<S: AsContextMut>(store: &mut S, instance: Instance, wasi: &WasiCtx) -> Result<i32, RunError> {
    let entry = if export(&*store, instance, "_start").is_some() {
        "_start"
    } else if export(&*store, instance, "_initialize").is_some() {
        "_initialize"
    } else {
        return Err(setup("module exports neither '_start' nor '_initialize' (use --invoke to call a function)"));
    };
    Ok(match call_unit(store, instance, entry, wasi)? {
        Ending::Returned(()) => 0,
        Ending::Exited(s) => s,
    })
}

/// Call export `name` of `instance` with arguments given as text, parsed by its parameter types. A
/// reactor's `_initialize` runs first; a command's `_start` does not run.
pub fn invoke_export<S: AsContextMut>(
    store: &mut S,
    instance: Instance,
    name: &str,
    args: &[String],
    wasi: &WasiCtx,
) -> Result<Ending<Vec<Val>>, RunError> {
    let func = export(&*store, instance, name).ok_or_else(|| setup(format!("no exported function '{name}'")))?;
    invoke_func(store, instance, func, name, args, wasi)
}

/// [`invoke_export`] of `func` (named `name`), which need not be an export of `instance`.
pub(crate) fn invoke_func<S: AsContextMut>(
    store: &mut S,
    instance: Instance,
    func: Func,
    name: &str,
    args: &[String],
    wasi: &WasiCtx,
) -> Result<Ending<Vec<Val>>, RunError> {
    let ty = func.ty(&*store).map_err(setup)?;
    if args.len() != ty.params().len() {
        return Err(setup(format!(
            "'{name}' takes {} argument(s) of type {ty}, got {}",
            ty.params().len(),
            args.len()
        )));
    }
    let params =
        args.iter().zip(ty.params()).map(|(a, t)| parse_val(a, *t)).collect::<Result<Vec<_>, _>>().map_err(setup)?;
    if export(&*store, instance, "_start").is_none()
        && export(&*store, instance, "_initialize").is_some()
        && let Ending::Exited(s) = call_unit(store, instance, "_initialize", wasi)?
    {
        return Ok(Ending::Exited(s));
    }
    let mut results: Vec<Val> = ty.results().iter().map(|t| Val::default_of(*t)).collect();
    log::debug!("invoking {name}{params:?}");
    let r = func.call(&mut *store, &params, &mut results);
    let ending = classify(r, || format!("failed to call '{name}'"));
    wasi.flush();
    Ok(match ending? {
        Ending::Returned(()) => Ending::Returned(results),
        Ending::Exited(s) => Ending::Exited(s),
    })
}

/// Run `module` as a WASI command with `ctx`; returns the exit status.
pub fn run_command(module: &Module, ctx: WasiCtx) -> Result<i32, RunError> {
    run_command_with(module, ctx, Arc::new(ThreadGroup::new()))
}

/// [`run_command`] with the program's threads in `group` (e.g. one whose handler ends the process).
pub fn run_command_with(module: &Module, ctx: WasiCtx, group: Arc<ThreadGroup>) -> Result<i32, RunError> {
    match Program::with_group(module, ctx, group.clone())? {
        Ending::Returned(mut p) => p.run_command(),
        Ending::Exited(s) => group.finish(Ok(s)),
    }
}

/// Invoke export `name` of `module` (instantiated with WASI and `ctx`); on return, the results as
/// text, one per value.
pub fn invoke(module: &Module, ctx: WasiCtx, name: &str, args: &[String]) -> Result<Ending<Vec<String>>, RunError> {
    invoke_with(module, ctx, name, args, Arc::new(ThreadGroup::new()))
}

/// [`invoke`] with the program's threads in `group`.
pub fn invoke_with(
    module: &Module,
    ctx: WasiCtx,
    name: &str,
    args: &[String],
    group: Arc<ThreadGroup>,
) -> Result<Ending<Vec<String>>, RunError> {
    let mut p = match Program::with_group(module, ctx, group.clone())? {
        Ending::Returned(p) => p,
        Ending::Exited(s) => return group.finish(Ok(s)).map(Ending::Exited),
    };
    Ok(match p.invoke(name, args)? {
        Ending::Returned(vals) => Ending::Returned(vals.iter().map(format_val).collect()),
        Ending::Exited(s) => Ending::Exited(s),
    })
}
