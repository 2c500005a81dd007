//! Process control: `proc_exit` and `sched_yield`.
//!
//! `proc_exit` unwinds the whole wasm call stack with [`Trap::exit`]; whoever called into wasm
//! (the runner) turns that into the program's exit status. Only statuses 0 to 125 are exit
//! statuses: WASI says a status of 126 or more (or a negative one, read as unsigned) behaves like
//! `unreachable`, and wasmtime makes it a trap with the message [`INVALID_EXIT_STATUS`] (the CLI
//! then prints the trap with its backtrace and exits with status 1, as wasmtime 49 does), instead
//! of letting the host truncate `exit(300)` to status 44. `proc_raise` is deprecated (gone from
//! later WASI versions, and wasi-libc's `raise` does not use it): it answers `ENOTSUP`.

use wasmvm::Trap;

use super::WasiResult;

/// The message of the trap raised by `proc_exit` with a status outside `0..126` (wasmtime's words).
pub const INVALID_EXIT_STATUS: &str = "exit with invalid exit status outside of [0..126)";

/// `proc_exit(code)`: never returns to wasm.
pub(crate) fn exit(code: i32) -> Result<(), Trap> {
    log::debug!("wasi: proc_exit({code})");
    if (0..126).contains(&code) { Err(Trap::exit(code)) } else { Err(Trap::host(INVALID_EXIT_STATUS)) }
}

/// Whether `trap` is the one `proc_exit` raises for a status outside `0..126`.
pub fn is_invalid_exit(trap: &Trap) -> bool {
    matches!(trap.kind(), wasmvm::TrapKind::Host(m) if m == INVALID_EXIT_STATUS)
}

/// `sched_yield()`.
pub(crate) fn sched_yield() -> WasiResult {
    std::thread::yield_now();
    Ok(())
}
