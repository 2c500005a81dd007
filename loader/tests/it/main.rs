//! The loader's integration tests, one binary (each file a module): one link instead of sixteen keeps the
//! test command short.

mod alloc;
mod common;
mod cycles;
mod dl;
mod emscripten;
mod exceptions;
mod hostile;
mod link;
mod malformed;
mod messages;
mod reloc;
mod reuse;
mod rust;
mod sandbox;
mod threads;
mod unload;
mod validate;
