//! The `wasmvm` command line: argument definitions (clap) and what each subcommand does.
//!
//! Errors are reported as one `error: ...` line on stderr; exit statuses are listed in
//! [`EXIT_STATUS_HELP`] (shown by `wasmvm run --help`).

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use wasmvm::Engine;
use wasmvm_runtime::run::{self, Ending, RunError};
use wasmvm_runtime::wasi::WasiCtx;

/// Exit status when a setup step fails (unreadable or malformed module, missing import, bad argument).
pub const EXIT_ERROR: i32 = 1;
/// Exit status when wasm code traps (128 + SIGABRT, as a native program that aborts).
pub const EXIT_TRAP: i32 = 134;

const EXIT_STATUS_HELP: &str = "\
Exit status:
  N    the status the program passed to proc_exit (0 when _start returns normally)
  134  the program trapped; the trap is printed as 'error: wasm trap: ...'
  1    the module could not be read, compiled, instantiated (e.g. unknown import) or called
  2    command-line usage error";

/// A WebAssembly interpreter.
#[derive(Parser, Debug)]
#[command(name = "wasmvm", version, about = "wasmvm: a WebAssembly interpreter", propagate_version = true)]
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
    /// given), only the environment variables given with --env, and no preopened directories.
    #[command(after_help = EXIT_STATUS_HELP)]
    Run(RunArgs),
    /// Run .wast specification test scripts; exits 0 iff every assertion passes.
    Wast {
        /// The scripts.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Give the program the environment variable KEY=VAL (repeatable).
    #[arg(long = "env", value_name = "KEY=VAL", value_parser = parse_env)]
    pub env: Vec<(String, String)>,

    /// Instead of running the program, call its export NAME with ARGS (i32/i64 as decimal or 0x
    /// hex; f32/f64 as decimal, inf, nan or nan:0xPAYLOAD) and print each result on its own line.
    #[arg(long, value_name = "NAME")]
    pub invoke: Option<String>,

    /// The module file, then the program's (or the invoked function's) arguments. Everything after
    /// MODULE goes to the program, even if it looks like an option.
    #[arg(
        value_name = "MODULE [ARGS]",
        required = true,
        num_args = 1..,
        trailing_var_arg = true
    )]
    pub module_and_args: Vec<OsString>,
}

fn parse_env(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected KEY=VAL, got '{s}'")),
    }
}

/// Print `msg` as the one error line.
fn report(msg: impl std::fmt::Display) {
    eprintln!("error: {msg}");
}

/// Execute the parsed command line; returns the process exit status.
pub fn execute(cli: Cli) -> i32 {
    match cli.command {
        Command::Run(args) => run(args),
        Command::Wast { files } => {
            if wasmvm_spec::run_cli(&files) {
                0
            } else {
                EXIT_ERROR
            }
        }
    }
}

fn run(args: RunArgs) -> i32 {
    match try_run(args) {
        Ok(status) => status,
        Err(e @ RunError::Setup(_)) => {
            report(e);
            EXIT_ERROR
        }
        Err(e @ RunError::Trap(_)) => {
            report(e);
            EXIT_TRAP
        }
    }
}

fn try_run(args: RunArgs) -> Result<i32, RunError> {
    let mut words = args.module_and_args.into_iter();
    let path = PathBuf::from(words.next().unwrap_or_default());
    let rest: Vec<OsString> = words.collect();

    let engine = Engine::default();
    let module = run::load_module(&engine, &path)?;

    let mut ctx = WasiCtx::builder()
        .arg(path.clone().into_os_string().into_encoded_bytes())
        .args(rest.iter().map(|a| a.clone().into_encoded_bytes()));
    for (k, v) in &args.env {
        ctx = ctx.env(k, v);
    }
    let ctx = ctx.inherit_stdio().build();

    let Some(name) = args.invoke else {
        return run::run_command(&module, ctx);
    };
    let texts = rest
        .iter()
        .map(|a| {
            a.to_str().map(str::to_string).ok_or_else(|| RunError::Setup(format!("argument {a:?} is not valid UTF-8")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    match run::invoke(&module, ctx, &name, &texts)? {
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
        assert_eq!(r.env, vec![("A".to_string(), "1".to_string())]);
        assert_eq!(r.module_and_args, ["m.wasm", "--env", "x", "-v"].map(OsString::from));
    }

    #[test]
    fn env_needs_equals() {
        assert!(Cli::try_parse_from(["wasmvm", "run", "--env", "A", "m.wasm"]).is_err());
        assert!(Cli::try_parse_from(["wasmvm", "run", "--env", "=1", "m.wasm"]).is_err());
    }
}
