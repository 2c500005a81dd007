//! The runtime's integration tests, one binary (each file a module): one link instead of twenty keeps the
//! test command short.

mod cli;
mod cli_habits;
mod common;
mod exception_programs;
mod exit;
mod explore;
mod hello_api;
mod library_deps;
mod limits;
mod multi;
mod reloc;
mod sandbox;
mod simd_programs;
mod text_format;
mod threads;
mod wasi;
mod wasi_calls;
mod wasi_clock;
mod wasi_embed;
mod wasi_files;
