//! Process control: `proc_exit` and `sched_yield`.
//!
//! `proc_exit` unwinds the whole wasm call stack with [`Trap::exit`]; whoever called into wasm
//! (the runner) turns that into the program's exit status. `proc_raise` is deprecated (gone from
//! later WASI versions, and wasi-libc's `raise` does not use it): it answers `ENOTSUP`.

use wasmvm::Trap;

use super::WasiResult;

/// `proc_exit(code)`: never returns to wasm.
pub(crate) fn exit(code: i32) -> Result<(), Trap> {
    log::debug!("wasi: proc_exit({code})");
    Err(Trap::exit(code))
}

/// `sched_yield()`.
pub(crate) fn sched_yield() -> WasiResult {
    std::thread::yield_now();
    Ok(())
}
