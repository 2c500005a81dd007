//! WASI preview1 (`wasi_snapshot_preview1`) for wasmvm: enough of it for C programs built with
//! `clang --target=wasm32-wasi` against wasi-libc, with stdio, arguments, environment, clocks,
//! randomness, sleeping and exit, and `ENOSYS` stubs for the rest (files, sockets).
//!
//! ```
//! use wasmvm::{Engine, Linker, Module, Store};
//! use wasmvm_runtime::wasi::{self, OutputPipe, WasiCtx};
//!
//! let engine = Engine::default();
//! let wasm = wat::parse_str(r#"
//!     (module
//!       (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
//!       (memory 1)
//!       (data (i32.const 16) "hi\n")
//!       (func (export "_start")
//!         (i32.store (i32.const 0) (i32.const 16))   ;; iovec.buf
//!         (i32.store (i32.const 4) (i32.const 3))    ;; iovec.len
//!         (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
//! "#).unwrap();
//! let module = Module::new(&engine, &wasm).unwrap();
//! let out = OutputPipe::new();
//! let ctx = WasiCtx::builder().arg("prog").stdout(out.clone()).build();
//! let mut store = Store::new(&engine, ctx);
//! let mut linker = Linker::new(&engine);
//! wasi::add_to_linker(&mut linker, |ctx: &mut WasiCtx| ctx).unwrap();
//! let instance = linker.instantiate(&mut store, &module).unwrap();
//! instance.get_func(&store, "_start").unwrap().call(&mut store, &[], &mut []).unwrap();
//! assert_eq!(out.contents(), b"hi\n");
//! ```
//!
//! Layout: [`ctx`](WasiCtx) holds the state; `mem` is the guest-memory access every function goes
//! through; `args`, `fd`, `clock`, `poll` and `proc` implement the functions by concept; `stubs`
//! lists the whole preview1 import set.

mod args;
mod clock;
mod ctx;
mod errno;
mod fd;
mod mem;
mod poll;
mod proc;
mod stubs;

use std::sync::Arc;

use wasmvm::{Caller, Linker, Trap};

pub use ctx::{OutputPipe, Reader, WasiCtx, WasiCtxBuilder, Writer};
pub use errno::{Errno, WasiResult};
pub use stubs::{PREVIEW1, signature};

use args::List;
use mem::{Env, Getter, Guest};

/// The import module name of WASI preview1.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// Define all of `wasi_snapshot_preview1` in `linker`. `get` finds the [`WasiCtx`] in the store's
/// user data. Fails if one of the names is already defined (and shadowing is off).
pub fn add_to_linker<T: 'static>(
    linker: &mut Linker<T>,
    get: impl Fn(&mut T) -> &mut WasiCtx + Send + Sync + 'static,
) -> wasmvm::Result<()> {
    let get: Arc<Getter<T>> = Arc::new(get);

    // Defines `$name` as a host function with these parameters whose body sees `$env: &mut dyn Env`
    // and yields a `WasiResult`.
    macro_rules! wasi {
        ($name:literal, |$env:ident $(, $p:ident: $t:ty)*| $body:expr) => {{
            let get = get.clone();
            linker.func_wrap(MODULE, $name, move |caller: Caller<'_, T>, $($p: $t),*| -> i32 {
                let mut guest = Guest::new(caller, &*get);
                let $env: &mut dyn Env = &mut guest;
                let result = $body;
                log::trace!("wasi: {}{:?} -> {:?}", $name, ($($p,)*), result);
                errno::to_wasm(result)
            })?;
        }};
    }

    // Arguments and environment.
    wasi!("args_get", |env, argv: u32, buf: u32| args::get(env, List::Args, argv, buf));
    wasi!("args_sizes_get", |env, count: u32, size: u32| { args::sizes_get(env, List::Args, count, size) });
    wasi!("environ_get", |env, environ: u32, buf: u32| { args::get(env, List::Environ, environ, buf) });
    wasi!("environ_sizes_get", |env, count: u32, size: u32| { args::sizes_get(env, List::Environ, count, size) });

    // Descriptors (standard streams only).
    wasi!("fd_write", |env, fd: u32, iovs: u32, n: u32, nwritten: u32| { fd::write(env, fd, iovs, n, nwritten) });
    wasi!("fd_read", |env, fd: u32, iovs: u32, n: u32, nread: u32| { fd::read(env, fd, iovs, n, nread) });
    wasi!("fd_close", |env, fd: u32| fd::close(env, fd));
    wasi!("fd_seek", |env, fd: u32, _offset: i64, _whence: u32, _newoffset: u32| { fd::seek(env, fd) });
    wasi!("fd_tell", |env, fd: u32, _offset: u32| fd::seek(env, fd));
    wasi!("fd_fdstat_get", |env, fd: u32, stat: u32| fd::fdstat_get(env, fd, stat));
    wasi!("fd_fdstat_set_flags", |env, fd: u32, flags: u32| { fd::fdstat_set_flags(env, fd, flags) });
    wasi!("fd_filestat_get", |env, fd: u32, stat: u32| { fd::filestat_get(env, fd, stat) });
    wasi!("fd_prestat_get", |env, fd: u32, _prestat: u32| fd::prestat(env, fd));
    wasi!("fd_prestat_dir_name", |env, fd: u32, _path: u32, _len: u32| { fd::prestat(env, fd) });

    // Clocks, randomness, scheduling.
    wasi!("clock_time_get", |env, id: u32, precision: u64, time: u32| { clock::time_get(env, id, precision, time) });
    wasi!("clock_res_get", |env, id: u32, res: u32| clock::res_get(env, id, res));
    wasi!("random_get", |env, buf: u32, len: u32| clock::random_get(env, buf, len));
    wasi!("poll_oneoff", |env, input: u32, out: u32, nsubs: u32, nevents: u32| {
        poll::poll_oneoff(env, input, out, nsubs, nevents)
    });
    wasi!("sched_yield", |_env| proc::sched_yield());

    linker.func_wrap(MODULE, "proc_exit", |_: Caller<'_, T>, code: i32| -> Result<(), Trap> { proc::exit(code) })?;

    stubs::add_stubs(linker)
}
