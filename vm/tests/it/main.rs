//! The machine's integration tests, one binary (each file a module): one link instead of a dozen keeps the
//! test command short. `memory_pool.rs` (it observes a process-wide pool) and the `disas` snapshots stay
//! separate binaries.

mod api;
mod backtrace;
mod exceptions;
mod fuel;
mod function_references;
mod fusion;
mod gc;
mod link_errors;
mod memories;
mod robustness;
mod simd;
mod smoke;
mod tail_calls;
mod text;
mod threads;
