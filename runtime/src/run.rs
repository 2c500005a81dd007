//! Running modules: load, instantiate with WASI, then run `_start` (a command), `_initialize`
//! (a reactor) or an arbitrary export (`--invoke`).
//!
//! Every way a run can end is one of: the program finished (status 0, or the status it gave
//! `proc_exit`, which unwinds as [`Trap::exit`]); it trapped ([`RunError::Trap`]); or it could not
//! be started at all ([`RunError::Setup`]: unreadable file, malformed module, missing import, bad
//! `--invoke` argument). Messages are single lines so the CLI can print them as `error: ...`.

use std::fmt;
use std::path::Path;

use wasmvm::{Engine, Error, Func, Instance, Linker, Module, Store, Trap, Val};

use crate::values::{format_val, parse_val};
use crate::wasi::{self, WasiCtx};

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
            RunError::Trap(t) => write!(f, "wasm trap: {t}"),
        }
    }
}

impl std::error::Error for RunError {}

fn setup(msg: impl fmt::Display) -> RunError {
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
fn classify<T>(r: wasmvm::Result<T>, context: impl FnOnce() -> String) -> Result<Ending<T>, RunError> {
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
    let bytes = std::fs::read(path).map_err(|e| setup(format!("failed to read '{}': {e}", path.display())))?;
    let t = std::time::Instant::now();
    let module =
        Module::new(engine, &bytes).map_err(|e| setup(format!("failed to compile '{}': {e}", path.display())))?;
    log::debug!("compiled {} ({} bytes) in {:?}", path.display(), bytes.len(), t.elapsed());
    Ok(module)
}

/// A module instantiated with WASI, ready to run.
pub struct Program {
    pub store: Store<WasiCtx>,
    pub instance: Instance,
}

impl Program {
    /// Instantiate `module` in a new store holding `ctx`, with WASI preview1 available for import.
    /// A start function that calls `proc_exit` yields `Ending::Exited`.
    pub fn new(module: &Module, ctx: WasiCtx) -> Result<Ending<Program>, RunError> {
        let engine = module.engine();
        let mut linker = Linker::<WasiCtx>::new(engine);
        wasi::add_to_linker(&mut linker, |ctx: &mut WasiCtx| ctx).map_err(setup)?;
        let mut store = Store::new(engine, ctx);
        let r = linker.instantiate(&mut store, module);
        log::debug!("instantiated: {}", if r.is_ok() { "ok" } else { "failed" });
        Ok(match classify(r, || "failed to instantiate module".into())? {
            Ending::Returned(instance) => Ending::Returned(Program { store, instance }),
            Ending::Exited(s) => Ending::Exited(s),
        })
    }

    fn export(&self, name: &str) -> Option<Func> {
        self.instance.get_func(&self.store, name)
    }

    /// Call a `() -> ()` export.
    fn call_unit(&mut self, name: &str) -> Result<Ending<()>, RunError> {
        let f = self.export(name).ok_or_else(|| setup(format!("no exported function '{name}'")))?;
        let f = f
            .typed::<(), ()>(&self.store)
            .map_err(|_| setup(format!("'{name}' must take no parameters and return nothing")))?;
        log::debug!("calling {name}");
        let r = f.call(&mut self.store, ());
        let ending = classify(r, || format!("failed to call '{name}'"));
        self.store.data_mut().flush();
        ending
    }

    /// Run as a WASI command: `_start`, or `_initialize` for a reactor. Returns the exit status.
    pub fn run_command(&mut self) -> Result<i32, RunError> {
        let entry = if self.export("_start").is_some() {
            "_start"
        } else if self.export("_initialize").is_some() {
            "_initialize"
        } else {
            return Err(setup("module exports neither '_start' nor '_initialize' (use --invoke to call a function)"));
        };
        Ok(match self.call_unit(entry)? {
            Ending::Returned(()) => 0,
            Ending::Exited(s) => s,
        })
    }

    /// Call export `name` with arguments given as text, parsed by its parameter types. A reactor's
    /// `_initialize` runs first; a command's `_start` does not run.
    pub fn invoke(&mut self, name: &str, args: &[String]) -> Result<Ending<Vec<Val>>, RunError> {
        let func = self.export(name).ok_or_else(|| setup(format!("no exported function '{name}'")))?;
        let ty = func.ty(&self.store).map_err(setup)?;
        if args.len() != ty.params().len() {
            return Err(setup(format!(
                "'{name}' takes {} argument(s) of type {ty}, got {}",
                ty.params().len(),
                args.len()
            )));
        }
        let params = args
            .iter()
            .zip(ty.params())
            .map(|(a, t)| parse_val(a, *t))
            .collect::<Result<Vec<_>, _>>()
            .map_err(setup)?;
        if self.export("_start").is_none()
            && self.export("_initialize").is_some()
            && let Ending::Exited(s) = self.call_unit("_initialize")?
        {
            return Ok(Ending::Exited(s));
        }
        let mut results: Vec<Val> = ty.results().iter().map(|t| Val::default_of(*t)).collect();
        log::debug!("invoking {name}{params:?}");
        let r = func.call(&mut self.store, &params, &mut results);
        let ending = classify(r, || format!("failed to call '{name}'"));
        self.store.data_mut().flush();
        Ok(match ending? {
            Ending::Returned(()) => Ending::Returned(results),
            Ending::Exited(s) => Ending::Exited(s),
        })
    }
}

/// Run `module` as a WASI command with `ctx`; returns the exit status.
pub fn run_command(module: &Module, ctx: WasiCtx) -> Result<i32, RunError> {
    match Program::new(module, ctx)? {
        Ending::Returned(mut p) => p.run_command(),
        Ending::Exited(s) => Ok(s),
    }
}

/// Invoke export `name` of `module` (instantiated with WASI and `ctx`); on return, the results as
/// text, one per value.
pub fn invoke(module: &Module, ctx: WasiCtx, name: &str, args: &[String]) -> Result<Ending<Vec<String>>, RunError> {
    let mut p = match Program::new(module, ctx)? {
        Ending::Returned(p) => p,
        Ending::Exited(s) => return Ok(Ending::Exited(s)),
    };
    Ok(match p.invoke(name, args)? {
        Ending::Returned(vals) => Ending::Returned(vals.iter().map(format_val).collect()),
        Ending::Exited(s) => Ending::Exited(s),
    })
}
