//! # wasmvm-runtime — running programs on wasmvm
//!
//! - [`wasi`]: WASI preview1 host functions and the [`WasiCtx`](wasi::WasiCtx) they work on.
//! - [`run`]: instantiate a module with WASI and run it as a command (`_start`), or call one of its
//!   exports with arguments given as text (`--invoke`).
//! - [`threads`]: wasi-threads (`wasi.thread-spawn`) and how the threads of a program end it.
//! - [`multi`]: a main program and its shared libraries in one address space, through the loader.
//! - [`exit`]: ending the process exactly once when several threads race to end the program.
//! - [`logger`]: a minimal stderr backend for the `log` facade, configured by `WASMVM_LOG`.
//!
//! The `wasmvm` binary (src/main.rs, src/cli.rs) is a thin command-line layer over these. It and its
//! dependencies (clap, the `.wast` runner) are behind the default feature `cli`: a library that wants
//! WASI alone depends on `wasmvm-runtime = { default-features = false }`.

#![deny(missing_docs)]

pub mod exit;
pub mod logger;
pub mod multi;
pub mod run;
pub mod threads;
pub mod values;
pub mod wasi;
