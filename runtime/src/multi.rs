//! Many modules in one address space: `wasmvm run main.wasm --preload lib.so ...` through the
//! dynamic loader ([`wasmvm_loader`]).
//!
//! The main program is loaded first, with the `--preload` libraries as extra `NEEDED` entries and
//! every `NEEDED` library found on the search path (`-L` directories, then the main program's
//! directory). Every module may import WASI preview1 (one [`WasiCtx`] shared by all threads) and
//! `wasi.thread-spawn`. The space follows the main program's memory import: shared or not, and its
//! maximum size (side modules must accept it).
//!
//! Threads: `thread-spawn` called from module *M* starts an OS thread with its own loader thread
//! (its own store, `__stack_pointer` stack and TLS blocks, instances created as it first uses each
//! module) and calls *M*'s `wasi_thread_start(tid, start_arg)`. Endings follow
//! [`threads`]: the program's [`ThreadGroup`] decides.
//!
//! [`scan`] (the loader's) tells from a module's bytes whether it needs the loader at all (a `dylink.0`
//! section, or an imported `env.__indirect_function_table`), without compiling it.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use wasmvm::{Caller, Engine, Linker, Val};
use wasmvm_loader::{AddressSpace, BeforeConstructors, LoadOptions, ModuleId, Source, SpaceConfig, Thread, ThreadCtx};

use crate::run::{self, Ending, RunError, settle, setup};
use crate::threads::{self, Outcome, SPAWN_FAILED, ThreadGroup};
use crate::wasi::{self, WasiCtx};

/// What `wasmvm run` needs to know about a module before choosing how to run it, and [`scan`], which
/// tells it from the module's bytes: the loader's ([`wasmvm_loader::dylink::scan`]), which knows what
/// `dylink.0` and the loader's import conventions are.
pub use wasmvm_loader::dylink::{Facts, scan};

/// How to build the address space.
#[derive(Debug, Clone, Default)]
pub struct MultiOptions {
    /// Libraries loaded with the main program (names searched on the search path, or paths).
    pub preload: Vec<String>,
    /// Directories searched for libraries (before the main program's directory).
    pub search_path: Vec<PathBuf>,
    /// The `--dir` preopens as `(guest path, host directory)`: a library path the program names
    /// (`dlopen`, `NEEDED`) is resolved beneath them, like its file paths.
    pub preopens: Vec<(String, PathBuf)>,
    /// At most this many modules loaded at once (`--max-modules`; default: the loader's).
    pub module_slots: Option<u32>,
    /// Print the address space's layout ([`map_of`]) on stderr once everything is loaded and before
    /// any constructor runs, so the map comes before anything the program prints (`--map`).
    pub print_map: bool,
}

/// The user data of every loader thread of the program.
#[derive(Clone)]
struct ThreadData {
    wasi: WasiCtx,
    group: Arc<ThreadGroup>,
}

fn data(t: &mut ThreadCtx) -> &mut ThreadData {
    t.user_mut::<ThreadData>().expect("every thread of a wasmvm program carries its ThreadData")
}

/// A main program loaded with its libraries, ready to run on this OS thread.
pub struct MultiProgram {
    thread: Thread,
    main: ModuleId,
    wasi: WasiCtx,
    group: Arc<ThreadGroup>,
}

/// A loader error: a trap (or exit) in initialisation code, or a setup error.
fn loader_error(e: wasmvm_loader::Error) -> RunError {
    match e {
        wasmvm_loader::Error::Vm { error: wasmvm::Error::Trap(t), .. } if t.exit_status().is_none() => {
            RunError::Trap(t)
        }
        e => setup(e),
    }
}

/// The exit status of a loader error that is a `proc_exit`.
fn exit_status(e: &wasmvm_loader::Error) -> Option<i32> {
    match e {
        wasmvm_loader::Error::Vm { error: wasmvm::Error::Trap(t), .. } => t.exit_status(),
        _ => None,
    }
}

/// A path as the loader takes it: with a `/`, so it is read rather than searched.
fn as_path(p: &Path) -> Result<String, RunError> {
    let s = p.to_str().ok_or_else(|| setup(format!("path {p:?} is not valid UTF-8")))?;
    Ok(if s.contains('/') { s.to_string() } else { format!("./{s}") })
}

impl MultiProgram {
    /// Load `path` (with `facts` from [`scan`]) and its libraries into a new address space, running
    /// their constructors. A constructor that calls `proc_exit` yields `Ending::Exited`.
    pub fn load(
        engine: &Engine,
        path: &Path,
        facts: &Facts,
        options: &MultiOptions,
        wasi: WasiCtx,
        group: Arc<ThreadGroup>,
    ) -> Result<Ending<MultiProgram>, RunError> {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let mut search_path = options.search_path.clone();
        search_path.push(dir.to_path_buf());
        let (shared, max) = facts.memory.unwrap_or((true, None));
        let defaults = SpaceConfig::default();
        let config = SpaceConfig {
            shared,
            max_memory_pages: max.map_or(defaults.max_memory_pages, |m| m.min(defaults.max_memory_pages)),
            search_path,
            preopens: options.preopens.clone(),
            module_slots: options.module_slots.unwrap_or(defaults.module_slots),
            ..defaults
        };
        let space = AddressSpace::with_host(engine, config, host_linker(engine).map_err(setup)?).map_err(setup)?;
        group.watch(&wasi);
        let mut thread = space.thread_with(ThreadData { wasi: wasi.clone(), group: group.clone() }).map_err(setup)?;
        group.adopt(thread.store());

        let mut needed = Vec::new();
        for p in &options.preload {
            let file = Path::new(p);
            // A file named in the current directory is that file; other names are searched.
            needed.push(if !p.contains('/') && file.is_file() { as_path(file)? } else { p.clone() });
        }
        let before_constructors = options.print_map.then(|| {
            BeforeConstructors::new(|space| {
                let _ = std::io::stdout().flush();
                let _ = write!(std::io::stderr(), "{}", map_of(space));
            })
        });
        let opts = LoadOptions { needed, before_constructors, ..Default::default() };
        let main = match thread.load_with(Source::Name(as_path(path)?), &opts) {
            Ok(id) => id,
            Err(e) => {
                return match exit_status(&e) {
                    Some(s) => group.finish(Ok(s)).map(Ending::Exited),
                    None => Err(loader_error(e)),
                };
            }
        };
        wasi.flush();
        Ok(Ending::Returned(MultiProgram { thread, main, wasi, group }))
    }

    /// The address space.
    pub fn space(&self) -> AddressSpace {
        self.thread.space()
    }

    /// The layout of the address space: each module's data, table slots and TLS block size, then
    /// every memory region.
    pub fn map(&self) -> String {
        map_of(&self.space())
    }

    /// Run the main program as a WASI command (`_start`, or `_initialize` for a reactor). Returns the
    /// exit status (a thread that ended the program first decides it).
    pub fn run_command(&mut self) -> Outcome {
        let outcome = self
            .thread
            .instance(self.main)
            .map_err(loader_error)
            .and_then(|instance| run::run_entry(self.thread.store(), instance, &self.wasi));
        let outcome = self.group.finish(outcome);
        self.group.join_if_stoppable(self.thread.store().engine());
        outcome
    }

    /// Call function `name` — an export of the main program, or else a function symbol of any module
    /// in the global scope — with arguments given as text (see [`run::invoke_export`]).
    pub fn invoke(&mut self, name: &str, args: &[String]) -> Result<Ending<Vec<Val>>, RunError> {
        let r = self.invoke_here(name, args);
        let r = settle(&self.group, r);
        self.group.join_if_stoppable(self.thread.store().engine());
        r
    }

    fn invoke_here(&mut self, name: &str, args: &[String]) -> Result<Ending<Vec<Val>>, RunError> {
        let instance = self.thread.instance(self.main).map_err(loader_error)?;
        let func = match instance.get_func(&*self.thread.store(), name) {
            Some(f) => f,
            None => self.thread.func(None, name).map_err(|_| setup(format!("no function '{name}' in any module")))?,
        };
        run::invoke_func(self.thread.store(), instance, func, name, args, &self.wasi)
    }
}

/// WASI preview1 and `wasi.thread-spawn` for every module of the space.
fn host_linker(engine: &Engine) -> wasmvm::Result<Linker<ThreadCtx>> {
    let mut linker = Linker::new(engine);
    wasi::add_to_linker(&mut linker, |t: &mut ThreadCtx| &mut data(t).wasi)?;
    linker.func_wrap(threads::MODULE, threads::SPAWN, |caller: Caller<'_, ThreadCtx>, start_arg: i32| -> i32 {
        spawn(caller, start_arg)
    })?;
    Ok(linker)
}

/// `thread-spawn` called by wasm in an address space: a new loader thread on a new OS thread, calling
/// the calling module's `wasi_thread_start`.
fn spawn(caller: Caller<'_, ThreadCtx>, start_arg: i32) -> i32 {
    let Some(user) = caller.data().user::<ThreadData>().cloned() else { return SPAWN_FAILED };
    let space = caller.data().space();
    let slot = caller.instance().map(|i| i.slot());
    let Some(module) = space.modules().into_iter().find(|m| Some(m.id.slot()) == slot).map(|m| m.id) else {
        log::warn!("thread-spawn: not called from a loaded module");
        return SPAWN_FAILED;
    };
    let Some(tid) = user.group.next_tid() else {
        log::warn!("thread-spawn: all thread ids are used");
        return SPAWN_FAILED;
    };
    let live = user.group.enter();
    threads::spawn_os_thread(tid, move |ready| {
        let _live = live;
        let mut thread = match space.thread_with(user.clone()) {
            Ok(t) => t,
            Err(e) => {
                let _ = ready.send(Err(e.to_string()));
                return;
            }
        };
        user.group.adopt(thread.store());
        let start = thread
            .instance(module)
            .map_err(|e| e.to_string())
            .and_then(|inst| threads::start_func(thread.store(), inst));
        threads::run_start(ready, thread.store(), start, tid, start_arg, &user.group, &user.wasi);
    })
}

/// The layout of `space`: each module's data, table slots and TLS block size, then every memory
/// region (what `--map` prints).
pub fn map_of(space: &AddressSpace) -> String {
    let mut rows = vec![["module".to_string(), "data".into(), "table".into(), "tls".into()]];
    for m in space.modules() {
        let data = format!("[{:#x}, {:#x})", m.memory_base, m.memory_base as u64 + m.mem_size as u64);
        let table = match m.table_size {
            0 => "-".to_string(),
            n => format!("[{}, {})", m.table_base, m.table_base as u64 + n as u64),
        };
        let tls = match m.tls_size {
            0 => "-".to_string(),
            n => format!("{n} bytes, align {}", m.tls_align),
        };
        rows.push([m.name, data, table, tls]);
    }
    let width = |c: usize| rows.iter().map(|r| r[c].len()).max().unwrap_or(0);
    let (w0, w1, w2) = (width(0), width(1), width(2));
    let mut out = String::from("wasmvm: address space\n");
    for r in &rows {
        let _ = writeln!(out, "  {:<w0$}  {:<w1$}  {:<w2$}  {}", r[0], r[1], r[2], r[3]);
    }
    out.push_str("memory regions:\n");
    for r in space.regions() {
        let _ = writeln!(out, "  {r}");
    }
    out
}
