//! Ending the process exactly once, whichever thread gets there first.
//!
//! A WASI program with threads ends when any of its threads calls `proc_exit` or traps, or when
//! `_start` returns; several threads may do so at the same moment. [`exit`] is the one way out for
//! the `wasmvm` command: the first caller flushes the standard streams, prints its error line (if
//! any) and ends the process with its status; every later caller, on any thread, blocks forever, so
//! exactly one status and at most one error line come out. (`std::process::exit` is used rather than
//! returning from `main` because the other threads may be spinning or blocked in
//! `memory.atomic.wait`; they are abandoned, as a native process abandons its threads.)

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static EXITING: AtomicBool = AtomicBool::new(false);

/// End the process with `status`, after flushing stdout and stderr and printing `error: <message>`
/// if there is one. Only the first call (across all threads) does anything; later calls never
/// return.
pub fn exit(status: i32, message: Option<&str>) -> ! {
    if EXITING.swap(true, Ordering::SeqCst) {
        loop {
            std::thread::park();
        }
    }
    let _ = std::io::stdout().flush();
    if let Some(m) = message {
        // Not `eprintln!`: it panics when stderr is a closed pipe, and a panic here would leave the
        // process running with `EXITING` set (every other way out parks).
        let _ = writeln!(std::io::stderr(), "error: {m}");
    }
    let _ = std::io::stderr().flush();
    std::process::exit(status)
}
