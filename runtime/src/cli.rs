//! The `wasmvm` command line: argument definitions (clap) and what each subcommand does.
//!
//! Errors are reported as one `error: ...` line on stderr; exit statuses are listed in
//! [`EXIT_STATUS_HELP`] (shown by `wasmvm run --help`). [`execute`] returns the status and the
//! error line; `main` ends the process through [`exit`](wasmvm_runtime::exit), which a thread of
//! the program may already have done.

use std::ffi::OsString;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use wasmvm::Engine;
use wasmvm_runtime::multi::{self, MultiOptions, MultiProgram};
use wasmvm_runtime::run::{self, EXIT_ERROR, Ending, RunError};
use wasmvm_runtime::threads::{Outcome, ThreadGroup};
use wasmvm_runtime::values::format_val;
use wasmvm_runtime::wasi::WasiCtx;

const EXIT_STATUS_HELP: &str = "\
Exit status:
  N    the status the program passed to proc_exit (0 when _start returns normally), from any thread
  134  the program (any of its threads) trapped; the trap is printed as 'error: wasm trap: ...'
  1    a module could not be read, compiled, loaded, instantiated (e.g. unknown import) or called
  2    command-line usage error

Libraries: the dynamic loader runs the program when MODULE has a dylink.0 section or imports
env.__indirect_function_table, or when --preload is given. --dir, --preload, -L and --map may also
follow MODULE directly (wasmvm run main.wasm --preload lib.so ARGS...); the first other word, or
'--', starts the program's arguments.";

/// `0.1.0 (commit 1234abcd5678)`: the package version and the commit it was built from.
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("WASMVM_COMMIT"), ")");

/// A WebAssembly interpreter.
#[derive(Parser, Debug)]
#[command(name = "wasmvm", version = VERSION, about = "wasmvm: a WebAssembly interpreter", propagate_version = true)]
#[command(after_help = "Set WASMVM_LOG=error|warn|info|debug|trace for diagnostics on stderr.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a WASI command module (its _start, or _initialize for a reactor), or invoke an export.
    ///
    /// The program gets stdin/stdout/stderr, the arguments MODULE ARGS... (argv[0] is MODULE as
    /// given), only the environment variables given with --env, and only the directories given with
    /// --dir. It may start threads (wasi-threads); a trap or proc_exit in any thread ends the
    /// program.
    #[command(after_help = EXIT_STATUS_HELP)]
    Run(RunArgs),
    /// Print the wasmvm code each function translates to, with the wasm operator every instruction
    /// came from (like wasmtime's `explore`, as text).
    Explore {
        /// The module file (binary or text format).
        #[arg(value_name = "MODULE")]
        module: PathBuf,
        /// Only this function: its index (imports count), export name or name-section name
        /// (repeatable).
        #[arg(long = "func", value_name = "NAME|INDEX")]
        funcs: Vec<String>,
    },
    /// Run .wast specification test scripts; exits 0 iff every assertion passes.
    Wast {
        /// The scripts.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Give the program the environment variable KEY=VAL, or KEY with the host's value (repeatable).
    #[arg(long = "env", value_name = "KEY[=VAL]", value_parser = parse_env)]
    pub env: Vec<(String, Option<String>)>,

    /// Give the program the host directory HOST_DIR (and what is below it, nothing outside) under the
    /// name GUEST_PATH (default: HOST_DIR as written), e.g. --dir out::/out (repeatable; the
    /// directories become descriptors 3, 4, ... in order).
    #[arg(long = "dir", value_name = "HOST_DIR[::GUEST_PATH]")]
    pub dirs: Vec<String>,

    /// Instead of running the program, call its export NAME with ARGS (i32/i64 as decimal or 0x
    /// hex; f32/f64 as decimal, inf, nan or nan:0xPAYLOAD) and print each result on its own line.
    #[arg(long, value_name = "NAME")]
    pub invoke: Option<String>,

    /// Load the shared library LIB (a file, or a name searched like NEEDED libraries) into the
    /// program's address space before it runs (repeatable; implies the dynamic loader).
    #[arg(long, value_name = "LIB")]
    pub preload: Vec<String>,

    /// Search DIR for libraries (NEEDED, --preload names, dlopen), before MODULE's directory.
    #[arg(short = 'L', value_name = "DIR")]
    pub library_path: Vec<PathBuf>,

    /// At most N modules (programs, libraries, host-function trampolines) loaded at once in the
    /// address space (default 4096; each thread's store reserves N function slots).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=(1 << 20)))]
    pub max_modules: Option<u32>,

    /// Print the address space's layout (modules' data, table slots, TLS sizes; memory regions) on
    /// stderr once every module is loaded, before any constructor runs.
    #[arg(long)]
    pub map: bool,

    /// Give the program N units of fuel (one per wasm instruction executed, all threads drawing from one
    /// budget); running out traps with "all fuel consumed" (deterministic).
    #[arg(long, value_name = "N")]
    pub fuel: Option<u64>,

    /// Stop the program after DURATION of wall-clock time (e.g. 500ms, 2s, 1m): its threads trap with
    /// "interrupted".
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<std::time::Duration>,

    /// The module file, then the program's (or the invoked function's) arguments. Everything after
    /// MODULE goes to the program, even if it looks like an option (but see --preload).
    #[arg(
        value_name = "MODULE [ARGS]",
        required = true,
        num_args = 1..,
        trailing_var_arg = true
    )]
    pub module_and_args: Vec<OsString>,
}

impl RunArgs {
    /// Move `--dir`, `--preload`, `-L` and `--map` written right after MODULE into their fields; a
    /// `--` there ends them and is dropped. Fails on a `--dir`, `--preload` or `-L` without its
    /// value.
    pub fn take_trailing_options(&mut self) -> Result<(), String> {
        let words = &mut self.module_and_args;
        // words[0] is MODULE; each option found right after it is removed.
        while let Some(w) = words.get(1).and_then(|w| w.to_str()).map(str::to_string) {
            if w == "--" {
                words.remove(1);
                break;
            } else if w == "--map" {
                self.map = true;
            } else if w == "--dir" {
                self.dirs.push(option_value(words, &w)?);
            } else if let Some(v) = w.strip_prefix("--dir=") {
                self.dirs.push(v.to_string());
            } else if w == "--preload" {
                self.preload.push(option_value(words, &w)?);
            } else if let Some(v) = w.strip_prefix("--preload=") {
                self.preload.push(v.to_string());
            } else if w == "-L" {
                self.library_path.push(option_value(words, &w)?.into());
            } else if let Some(v) = w.strip_prefix("-L") {
                self.library_path.push(v.into());
            } else {
                break;
            }
            words.remove(1);
        }
        Ok(())
    }
}

/// Remove and return the value of option `name` at `words[1]` (it is `words[2]`).
fn option_value(words: &mut Vec<OsString>, name: &str) -> Result<String, String> {
    match words.get(2).and_then(|v| v.to_str()).map(str::to_string) {
        Some(v) => {
            words.remove(2);
            Ok(v)
        }
        None => Err(format!("{name} needs a value")),
    }
}

/// Split `HOST_DIR[::GUEST_PATH]` (the guest path defaults to HOST_DIR as written).
pub fn parse_dir(s: &str) -> Result<(String, String), String> {
    let (host, guest) = s.split_once("::").unwrap_or((s, s));
    if host.is_empty() || guest.is_empty() {
        return Err(format!("--dir: expected HOST_DIR[::GUEST_PATH], got '{s}'"));
    }
    Ok((host.to_string(), guest.to_string()))
}

/// `KEY=VAL`, or `KEY` alone for the host's value of KEY (`None` when the host has none), as wasmtime does.
fn parse_env(s: &str) -> Result<(String, Option<String>), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), Some(v.to_string()))),
        None if !s.is_empty() => Ok((s.to_string(), std::env::var(s).ok())),
        _ => Err(format!("expected KEY=VAL or KEY, got '{s}'")),
    }
}

/// wasmtime's `--preload NAME=MODULE` means "provide imports named NAME from MODULE"; wasmvm's loads a shared
/// library into the address space. A value of that form that is not an existing file is refused with a hint.
fn check_preload(p: &str) -> Result<(), String> {
    if let Some((name, _)) = p.split_once('=')
        && !name.contains('/')
        && !std::path::Path::new(p).exists()
    {
        return Err(format!(
            "--preload {p}: wasmvm's --preload loads a shared library (a file or a library name) into the \
             program's address space; wasmtime's NAME=MODULE form is not supported (the library's exports are \
             found by symbol name, whatever its module name)"
        ));
    }
    Ok(())
}

/// `wasmvm MODULE ARGS...` (and `wasmvm --dir . MODULE`) means `wasmvm run ...`, as with wasmtime: a first
/// word that is neither a subcommand nor a help/version flag gets `run` put before it.
pub fn implicit_run(mut argv: Vec<OsString>) -> Vec<OsString> {
    const OWN: [&str; 9] = ["run", "explore", "wast", "help", "-h", "--help", "-V", "--version", "--"];
    if let Some(first) = argv.get(1).and_then(|a| a.to_str())
        && !OWN.contains(&first)
    {
        argv.insert(1, "run".into());
    }
    argv
}

/// Execute the parsed command line; returns the process exit status and the error line to print.
pub fn execute(cli: Cli) -> (i32, Option<String>) {
    match cli.command {
        Command::Run(args) => run::status_of(&run(args)),
        Command::Explore { module, funcs } => match explore(&module, &funcs) {
            Ok(text) => {
                print!("{text}");
                (0, None)
            }
            Err(e) => (EXIT_ERROR, Some(e)),
        },
        Command::Wast { files } => (if wasmvm_spec::run_cli(&files) { 0 } else { EXIT_ERROR }, None),
    }
}

/// `wasmvm explore`: the disassembly of the selected functions (all when `funcs` is empty).
fn explore(path: &std::path::Path, funcs: &[String]) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let wasm = wat::parse_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let engine = Engine::new(wasmvm::Config { disassembly: true, ..wasmvm::Config::default() });
    let module = wasmvm::Module::from_binary(&engine, &wasm).map_err(|e| format!("{}: {e}", path.display()))?;
    let wanted = |index: u32, names: &[String]| {
        funcs.is_empty() || funcs.iter().any(|f| f.parse::<u32>().ok() == Some(index) || names.contains(f))
    };
    let text = wasmvm::disas::print(&module, &wasm, wanted).map_err(|e| e.to_string())?;
    if text.is_empty() {
        return Err(format!("{}: no defined function matches {}", path.display(), funcs.join(", ")));
    }
    Ok(text)
}

/// `500ms`, `2s`, `1.5s`, `1m`, or a number of seconds.
fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let (num, unit) = match s.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let v: f64 = num.trim().parse().map_err(|_| format!("invalid duration {s:?} (e.g. 500ms, 2s, 1m)"))?;
    let secs = match unit {
        "ms" => v / 1000.0,
        "s" => v,
        "m" => v * 60.0,
        "h" => v * 3600.0,
        _ => return Err(format!("invalid duration unit in {s:?} (ms, s, m or h)")),
    };
    std::time::Duration::try_from_secs_f64(secs).map_err(|_| format!("invalid duration {s:?}"))
}

/// The program's threads: the first to trap or exit ends the process.
fn process_group() -> Arc<ThreadGroup> {
    Arc::new(ThreadGroup::with_handler(|outcome: &Outcome| {
        let (status, message) = run::status_of(outcome);
        wasmvm_runtime::exit::exit(status, message.as_deref())
    }))
}

fn run(mut args: RunArgs) -> Outcome {
    args.take_trailing_options().map_err(RunError::Setup)?;
    let mut words = std::mem::take(&mut args.module_and_args).into_iter();
    let path = PathBuf::from(words.next().unwrap_or_default());
    let rest: Vec<OsString> = words.collect();

    let mut ctx = WasiCtx::builder()
        .arg(path.clone().into_os_string().into_encoded_bytes())
        .args(rest.iter().map(|a| a.clone().into_encoded_bytes()));
    for (k, v) in &args.env {
        if let Some(v) = v {
            ctx = ctx.env(k, v);
        }
    }
    for p in &args.preload {
        check_preload(p).map_err(RunError::Setup)?;
    }
    let mut preopens = Vec::new();
    for dir in &args.dirs {
        let (host, guest) = parse_dir(dir).map_err(RunError::Setup)?;
        ctx = ctx.preopened_dir(&host, guest.clone()).map_err(|e| RunError::Setup(format!("--dir: {e}")))?;
        preopens.push((guest, PathBuf::from(host)));
    }
    let ctx = ctx.inherit_stdio().build();
    let texts = || {
        rest.iter()
            .map(|a| {
                a.to_str()
                    .map(str::to_string)
                    .ok_or_else(|| RunError::Setup(format!("argument {a:?} is not valid UTF-8")))
            })
            .collect::<Result<Vec<_>, _>>()
    };

    let engine = Engine::new(wasmvm::Config {
        consume_fuel: args.fuel.is_some(),
        interruptible: args.timeout.is_some(),
        ..wasmvm::Config::default()
    });
    let bytes = run::read_module(&path)?;
    let facts = multi::scan(&bytes).unwrap_or_default();
    let group = process_group();
    if let Some(fuel) = args.fuel {
        group.fuel_tank().set(fuel);
    }
    if let Some(limit) = args.timeout {
        let interrupt = group.interrupt_handle();
        std::thread::spawn(move || {
            std::thread::sleep(limit);
            interrupt.interrupt();
        });
    }
    if !args.preload.is_empty() || facts.needs_loader() {
        drop(bytes);
        let options = MultiOptions {
            preload: args.preload,
            search_path: args.library_path,
            preopens,
            module_slots: args.max_modules,
            print_map: args.map,
        };
        let mut program = match MultiProgram::load(&engine, &path, &facts, &options, ctx, group)? {
            Ending::Returned(p) => p,
            Ending::Exited(s) => return Ok(s),
        };
        return match args.invoke {
            None => program.run_command(),
            Some(name) => print_results(match program.invoke(&name, &texts()?)? {
                Ending::Returned(vals) => Ending::Returned(vals.iter().map(format_val).collect()),
                Ending::Exited(s) => Ending::Exited(s),
            }),
        };
    }
    if args.map {
        let _ = writeln!(
            std::io::stderr(),
            "wasmvm: --map: {} runs without the loader (no --preload, dylink.0 or imported table)",
            path.display()
        );
    }
    let module = run::compile_module(&engine, &path, &bytes)?;
    drop(bytes);
    match args.invoke {
        None => run::run_command_with(&module, ctx, group),
        Some(name) => print_results(run::invoke_with(&module, ctx, &name, &texts()?, group)?),
    }
}

/// Print each result of an `--invoke` on its own line.
fn print_results(ending: Ending<Vec<String>>) -> Outcome {
    match ending {
        Ending::Returned(results) => {
            for r in results {
                println!("{r}");
            }
            Ok(0)
        }
        Ending::Exited(status) => Ok(status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn program_arguments_are_not_options() {
        let cli = Cli::try_parse_from(["wasmvm", "run", "--env", "A=1", "m.wasm", "--env", "x", "-v"]).unwrap();
        let Command::Run(r) = cli.command else { panic!() };
        assert_eq!(r.env, vec![("A".to_string(), Some("1".to_string()))]);
        assert_eq!(r.module_and_args, ["m.wasm", "--env", "x", "-v"].map(OsString::from));
    }

    fn run_args(words: &[&str]) -> RunArgs {
        let mut all = vec!["wasmvm", "run"];
        all.extend_from_slice(words);
        let Command::Run(mut r) = Cli::try_parse_from(all).unwrap().command else { panic!() };
        r.take_trailing_options().unwrap();
        r
    }

    #[test]
    fn loader_options_before_or_right_after_module() {
        let r =
            run_args(&["--preload", "a.so", "-L", "d1", "m.wasm", "--preload", "b.so", "-Ld2", "--map", "x", "--map"]);
        assert_eq!(r.preload, ["a.so", "b.so"]);
        assert_eq!(r.library_path, [PathBuf::from("d1"), PathBuf::from("d2")]);
        assert!(r.map);
        assert_eq!(r.module_and_args, ["m.wasm", "x", "--map"].map(OsString::from));
        // `--` ends them; other options after MODULE belong to the program.
        let r = run_args(&["m.wasm", "--preload=c.so", "--", "--map"]);
        assert_eq!((r.preload, r.map), (vec!["c.so".to_string()], false));
        assert_eq!(r.module_and_args, ["m.wasm", "--map"].map(OsString::from));
        let r = run_args(&["m.wasm", "--env", "--map"]);
        assert!(!r.map);
        assert_eq!(r.module_and_args, ["m.wasm", "--env", "--map"].map(OsString::from));
        let Command::Run(mut r) = Cli::try_parse_from(["wasmvm", "run", "m.wasm", "--preload"]).unwrap().command else {
            panic!()
        };
        assert_eq!(r.take_trailing_options().unwrap_err(), "--preload needs a value");
    }

    #[test]
    fn dirs_before_or_right_after_module() {
        let r = run_args(&["--dir", "a", "m.wasm", "--dir", "b::/b", "--dir=c::.", "x", "--dir", "d"]);
        assert_eq!(r.dirs, ["a", "b::/b", "c::."]);
        assert_eq!(r.module_and_args, ["m.wasm", "x", "--dir", "d"].map(OsString::from));
        assert_eq!(parse_dir("a").unwrap(), ("a".to_string(), "a".to_string()));
        assert_eq!(parse_dir("/tmp/x::/data").unwrap(), ("/tmp/x".to_string(), "/data".to_string()));
        assert!(parse_dir("a::").is_err());
        assert!(parse_dir("::/x").is_err());
    }

    #[test]
    fn env_takes_a_value_or_inherits() {
        // SAFETY: a test-only variable set before any thread of this test reads the environment.
        unsafe { std::env::set_var("WASMVM_CLI_TEST_VAR", "host") };
        assert_eq!(parse_env("WASMVM_CLI_TEST_VAR"), Ok(("WASMVM_CLI_TEST_VAR".into(), Some("host".into()))));
        assert_eq!(parse_env("WASMVM_CLI_TEST_UNSET"), Ok(("WASMVM_CLI_TEST_UNSET".into(), None)));
        assert!(Cli::try_parse_from(["wasmvm", "run", "--env", "=1", "m.wasm"]).is_err());
        assert!(Cli::try_parse_from(["wasmvm", "run", "--env", "", "m.wasm"]).is_err());
    }
}
