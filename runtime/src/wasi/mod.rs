//! WASI preview1 (`wasi_snapshot_preview1`) for wasmvm: every function of it, for C programs built
//! with wasi-libc and Rust programs built for `wasm32-wasip1`: stdio, arguments, environment,
//! clocks, randomness, sleeping and exit, files, directories, symlinks and hard links under
//! preopened directories, times, rights. Sockets: preview1 cannot open one, but a host can hand one
//! over as a descriptor (e.g. stdin, with [`WasiCtxBuilder::stdin_file`]): `sock_accept`,
//! `sock_recv`, `sock_send` and `sock_shutdown` work on it, and give `EBADF` or `ENOTSOCK` on
//! anything else. `proc_raise` (deprecated) is `ENOTSUP`.
//!
//! Files: [`WasiCtxBuilder::preopened_dir`] (the CLI's `--dir HOST::GUEST`) gives the program a
//! host directory as descriptor 3, 4, ...; through it the program can `path_open` (create,
//! exclusive, truncate, append, directories), read, write, `pread`/`pwrite`, seek, `stat`, list
//! (`fd_readdir`), make and remove directories, unlink, rename, link, symlink, readlink, set
//! times, truncate, allocate, advise, sync and renumber. No path can leave its preopened
//! directory, and no race can make one: every path is resolved beneath the directory's host
//! descriptor (`path.rs` gives the rules and why `cap-std`).
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
//! Layout: [`ctx`](WasiCtx) holds the state (one descriptor table shared by all threads, and the
//! shutdown that wakes blocked calls when the program ends); `mem` is the guest-memory access every
//! function goes through; `rights` says what each descriptor may do; `args`, `fd` (any descriptor),
//! `file` (descriptor-level file calls, sockets), `fs` (paths and directories), `path` (the
//! sandbox rules), `clock`, `poll` and `proc` implement the functions by concept; `stubs` lists the
//! whole preview1 import set.

mod args;
mod clock;
mod ctx;
mod errno;
mod fd;
mod file;
mod fs;
mod mem;
mod path;
mod poll;
mod proc;
mod rights;
mod stubs;

use std::sync::Arc;

use wasmvm::{Caller, Linker, Trap};

pub use ctx::{OutputPipe, Reader, WasiCtx, WasiCtxBuilder, Writer};
pub use errno::{Errno, WasiResult};
pub use proc::{INVALID_EXIT_STATUS, is_invalid_exit};
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
    // and yields a `WasiResult`. A call that fails after the program has ended (a blocked call
    // woken by `WasiCtx::shutdown`) ends its thread with a trap instead of returning.
    macro_rules! wasi {
        ($name:literal, |$env:ident $(, $p:ident: $t:ty)*| $body:expr) => {{
            let get = get.clone();
            linker.func_wrap(MODULE, $name, move |caller: Caller<'_, T>, $($p: $t),*| -> Result<i32, Trap> {
                let mut guest = Guest::new(caller, &*get);
                let $env: &mut dyn Env = &mut guest;
                let result = $body;
                log::trace!("wasi: {}{:?} -> {:?}", $name, ($($p,)*), result);
                if result.is_err() && $env.ctx().is_closing() {
                    return Err(Trap::host("the program has ended"));
                }
                Ok(errno::to_wasm(result))
            })?;
        }};
    }

    // Arguments and environment.
    wasi!("args_get", |env, argv: u32, buf: u32| args::get(env, List::Args, argv, buf));
    wasi!("args_sizes_get", |env, count: u32, size: u32| { args::sizes_get(env, List::Args, count, size) });
    wasi!("environ_get", |env, environ: u32, buf: u32| { args::get(env, List::Environ, environ, buf) });
    wasi!("environ_sizes_get", |env, count: u32, size: u32| { args::sizes_get(env, List::Environ, count, size) });

    // Descriptors of any kind.
    wasi!("fd_write", |env, fd: u32, iovs: u32, n: u32, nwritten: u32| { fd::write(env, fd, iovs, n, nwritten) });
    wasi!("fd_read", |env, fd: u32, iovs: u32, n: u32, nread: u32| { fd::read(env, fd, iovs, n, nread) });
    wasi!("fd_close", |env, fd: u32| fd::close(env, fd));
    wasi!("fd_fdstat_get", |env, fd: u32, stat: u32| fd::fdstat_get(env, fd, stat));
    wasi!("fd_fdstat_set_flags", |env, fd: u32, flags: u32| { fd::fdstat_set_flags(env, fd, flags) });
    wasi!("fd_filestat_get", |env, fd: u32, stat: u32| { fd::filestat_get(env, fd, stat) });
    wasi!("fd_fdstat_set_rights", |env, fd: u32, base: i64, inheriting: i64| {
        fd::fdstat_set_rights(env, fd, base as u64, inheriting as u64)
    });
    wasi!("fd_renumber", |env, from: u32, to: u32| file::renumber(env, from, to));

    // Files and directories.
    wasi!("fd_prestat_get", |env, fd: u32, prestat: u32| fs::prestat_get(env, fd, prestat));
    wasi!("fd_prestat_dir_name", |env, fd: u32, path: u32, len: u32| { fs::prestat_dir_name(env, fd, path, len) });
    wasi!("fd_seek", |env, fd: u32, offset: i64, whence: u32, newoffset: u32| {
        file::seek(env, fd, offset, whence, newoffset)
    });
    wasi!("fd_tell", |env, fd: u32, offset: u32| file::tell(env, fd, offset));
    wasi!("fd_pread", |env, fd: u32, iovs: u32, n: u32, offset: i64, nread: u32| {
        file::pread(env, fd, iovs, n, offset as u64, nread)
    });
    wasi!("fd_pwrite", |env, fd: u32, iovs: u32, n: u32, offset: i64, nwritten: u32| {
        file::pwrite(env, fd, iovs, n, offset as u64, nwritten)
    });
    wasi!("fd_readdir", |env, fd: u32, buf: u32, len: u32, cookie: i64, bufused: u32| {
        fs::readdir(env, fd, buf, len, cookie as u64, bufused)
    });
    wasi!("fd_filestat_set_size", |env, fd: u32, size: i64| { file::filestat_set_size(env, fd, size as u64) });
    wasi!("fd_filestat_set_times", |env, fd: u32, atim: i64, mtim: i64, fst: u32| {
        file::filestat_set_times(env, fd, atim as u64, mtim as u64, fst)
    });
    wasi!("fd_allocate", |env, fd: u32, offset: i64, len: i64| file::allocate(env, fd, offset as u64, len as u64));
    wasi!("fd_advise", |env, fd: u32, offset: i64, len: i64, advice: u32| {
        file::advise(env, fd, offset as u64, len as u64, advice)
    });
    wasi!("fd_sync", |env, fd: u32| file::sync(env, fd, false));
    wasi!("fd_datasync", |env, fd: u32| file::sync(env, fd, true));
    wasi!("path_open", |env,
                        fd: u32,
                        dirflags: u32,
                        path: u32,
                        len: u32,
                        oflags: u32,
                        base: i64,
                        inheriting: i64,
                        fdflags: u32,
                        opened: u32| {
        fs::path_open(env, fd, dirflags, path, len, oflags, base as u64, inheriting as u64, fdflags, opened)
    });
    wasi!("path_filestat_set_times", |env,
                                      fd: u32,
                                      flags: u32,
                                      path: u32,
                                      len: u32,
                                      atim: i64,
                                      mtim: i64,
                                      fst: u32| {
        fs::path_filestat_set_times(env, fd, flags, path, len, atim as u64, mtim as u64, fst)
    });
    wasi!("path_symlink", |env, old: u32, old_len: u32, fd: u32, new: u32, new_len: u32| {
        fs::symlink(env, old, old_len, fd, new, new_len)
    });
    wasi!("path_readlink", |env, fd: u32, path: u32, len: u32, buf: u32, buf_len: u32, used: u32| {
        fs::readlink(env, fd, path, len, buf, buf_len, used)
    });
    wasi!("path_link", |env,
                        old_fd: u32,
                        old_flags: u32,
                        old: u32,
                        old_len: u32,
                        new_fd: u32,
                        new: u32,
                        new_len: u32| {
        fs::link(env, old_fd, old_flags, old, old_len, new_fd, new, new_len)
    });
    wasi!("path_filestat_get", |env, fd: u32, flags: u32, path: u32, len: u32, stat: u32| {
        fs::path_filestat_get(env, fd, flags, path, len, stat)
    });
    wasi!("path_create_directory", |env, fd: u32, path: u32, len: u32| { fs::create_directory(env, fd, path, len) });
    wasi!("path_remove_directory", |env, fd: u32, path: u32, len: u32| { fs::remove_directory(env, fd, path, len) });
    wasi!("path_unlink_file", |env, fd: u32, path: u32, len: u32| fs::unlink_file(env, fd, path, len));
    wasi!("path_rename", |env, fd: u32, old: u32, old_len: u32, new_fd: u32, new: u32, new_len: u32| {
        fs::rename(env, fd, old, old_len, new_fd, new, new_len)
    });

    // Clocks, randomness, scheduling.
    wasi!("clock_time_get", |env, id: u32, precision: u64, time: u32| { clock::time_get(env, id, precision, time) });
    wasi!("clock_res_get", |env, id: u32, res: u32| clock::res_get(env, id, res));
    wasi!("random_get", |env, buf: u32, len: u32| clock::random_get(env, buf, len));
    wasi!("poll_oneoff", |env, input: u32, out: u32, nsubs: u32, nevents: u32| {
        poll::poll_oneoff(env, input, out, nsubs, nevents)
    });
    wasi!("sched_yield", |_env| proc::sched_yield());
    wasi!("proc_raise", |_env, _sig: u32| Err(Errno::NOTSUP));

    // Sockets: preview1 cannot open one, but a host may hand one over as a descriptor.
    wasi!("sock_shutdown", |env, fd: u32, how: u32| file::sock_shutdown(env, fd, how));
    wasi!("sock_accept", |env, fd: u32, flags: u32, out: u32| file::sock_accept(env, fd, flags, out));
    wasi!("sock_recv", |env, fd: u32, iovs: u32, n: u32, flags: u32, len: u32, oflags: u32| {
        file::sock_recv(env, fd, iovs, n, flags, len, oflags)
    });
    wasi!("sock_send", |env, fd: u32, iovs: u32, n: u32, flags: u32, len: u32| {
        file::sock_send(env, fd, iovs, n, flags, len)
    });

    linker.func_wrap(MODULE, "proc_exit", |_: Caller<'_, T>, code: i32| -> Result<(), Trap> { proc::exit(code) })?;

    stubs::add_stubs(linker)
}
