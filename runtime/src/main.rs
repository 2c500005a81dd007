//! The `wasmvm` executable: run WASI programs, invoke exports, run `.wast` scripts.
//!
//! Usage errors exit with 2 (clap's convention); everything else is described by
//! `wasmvm run --help`. A panic (a wasmvm bug) is reported as one `error:` line, not a backtrace.
//! Every ending goes through [`exit`](wasmvm_runtime::exit::exit): with threads, the first thread
//! to end the program decides its status.

mod cli;

use clap::Parser;
use std::io::Write as _;

fn main() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let place = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        wasmvm_runtime::exit::exit(101, Some(&format!("internal error (a wasmvm bug): {msg}{place}")));
    }));
    if let Err(msg) = wasmvm_runtime::logger::init_from_env() {
        let _ = writeln!(std::io::stderr(), "warning: {msg}");
    }
    let cli = cli::Cli::parse_from(cli::implicit_run(std::env::args_os().collect()));
    let (status, message) = cli::execute(cli);
    wasmvm_runtime::exit::exit(status, message.as_deref());
}
