//! WASI preview1 functions one by one: arguments, environment, standard streams, bad pointers,
//! no `ENOSYS` left. (Clocks and polling: `wasi_clock.rs`; embedding: `wasi_embed.rs`.)

use crate::common;

use std::io::Cursor;

use common::guest::*;
use wasmvm_runtime::wasi::{OutputPipe, WasiCtx};

/// Every preview1 function is implemented: none answers `ENOSYS`, whatever it is given (here: a
/// descriptor that is not open, and zeros). (Before issue 11, `path_symlink`, `path_link`,
/// `path_readlink`, the `*_set_times`, `fd_advise`, `fd_allocate`, `fd_fdstat_set_rights`, the
/// `sock_*` and `proc_raise` did.)
#[test]
fn no_preview1_function_is_enosys() {
    let mut g = Guest::with_memory(ctx());
    for (name, params, _) in wasmvm_runtime::wasi::PREVIEW1 {
        if *name == "proc_exit" {
            continue;
        }
        let args: Vec<i64> = (0..params.len()).map(|i| if i == 0 { 9 } else { 0 }).collect();
        assert_ne!(g.call(name, &args), NOSYS, "{name}");
    }
    // Descriptor 9 is not open; sockets are told apart from other descriptors.
    assert_eq!(g.call("path_symlink", &[0, 0, 9, 0, 0]), BADF);
    assert_eq!(g.call("fd_advise", &[9, 0, 0, 0]), BADF);
    assert_eq!(g.call("sock_shutdown", &[9, 3]), BADF);
    assert_eq!(g.call("sock_accept", &[9, 0, 0]), BADF);
    assert_eq!(g.call("sock_shutdown", &[1, 3]), NOTSOCK);
    assert_eq!(g.call("sock_recv", &[0, 0, 0, 0, 0, 0]), NOTSOCK);
    assert_eq!(g.call("sock_send", &[1, 0, 0, 0, 0]), NOTSOCK);
    // Implemented, but there are no preopens: descriptor 3 is not open.
    assert_eq!(g.call("path_open", &[3, 0, 0, 0, 0, 0, 0, 0, 0]), BADF);
    assert_eq!(g.call("fd_readdir", &[3, 0, 0, 0, 0]), BADF);
    assert_eq!(g.call("sched_yield", &[]), 0);
}

#[test]
fn args_and_environ() {
    let c = WasiCtx::builder().arg("prog").arg("x y").env("A", "1").env("BB", "22").build();
    let mut g = Guest::with_memory(c);
    assert_eq!(g.call("args_sizes_get", &[0, 4]), 0);
    assert_eq!((g.u32_at(0), g.u32_at(4)), (2, 9));
    assert_eq!(g.call("args_get", &[100, 200]), 0);
    assert_eq!((g.u32_at(100), g.u32_at(104)), (200, 205));
    assert_eq!(g.read(200, 9), b"prog\0x y\0");
    assert_eq!(g.call("environ_sizes_get", &[0, 4]), 0);
    assert_eq!((g.u32_at(0), g.u32_at(4)), (2, 10));
    assert_eq!(g.call("environ_get", &[100, 300]), 0);
    assert_eq!((g.u32_at(100), g.u32_at(104)), (300, 304));
    assert_eq!(g.read(300, 10), b"A=1\0BB=22\0");
}

#[test]
fn bad_pointers_are_efault() {
    let mut g = Guest::with_memory(ctx());
    let end = 65536i64;
    assert_eq!(g.call("args_sizes_get", &[end - 2, 0]), FAULT);
    assert_eq!(g.call("args_get", &[0, end - 3]), FAULT);
    assert_eq!(g.call("args_get", &[0xffff_ffff, 0]), FAULT);
    assert_eq!(g.call("clock_time_get", &[0, 0, end - 4]), FAULT);
    assert_eq!(g.call("random_get", &[end - 10, 11]), FAULT);
    assert_eq!(g.call("random_get", &[0, 0xffff_ffff]), FAULT);
    assert_eq!(g.call("fd_write", &[1, end - 4, 1, 0]), FAULT);
    assert_eq!(g.call("fd_write", &[1, 0, 0x2000_0000, 0]), FAULT);
    g.iovec(0, 65530, 100);
    assert_eq!(g.call("fd_write", &[1, 0, 1, 8]), FAULT);
    assert_eq!(g.call("fd_read", &[0, 0, 1, 8]), FAULT);
    assert_eq!(g.call("fd_fdstat_get", &[1, end - 8]), FAULT);
    assert_eq!(g.call("poll_oneoff", &[end - 8, 0, 1, 0]), FAULT);
    // Without any memory every pointer is bad, and nothing panics.
    let mut g = Guest::new("", ctx());
    assert_eq!(g.call("args_sizes_get", &[0, 4]), FAULT);
    assert_eq!(g.call("fd_write", &[1, 0, 1, 8]), FAULT);
    assert_eq!(g.call("random_get", &[0, 0]), 0);
}

#[test]
fn stdio_write_read_close() {
    let (out, err) = (OutputPipe::new(), OutputPipe::new());
    let c = WasiCtx::builder().stdin(Cursor::new(b"abcdefgh".to_vec())).stdout(out.clone()).stderr(err.clone()).build();
    let mut g = Guest::with_memory(c);
    g.write(100, b"hello, world");
    g.iovec(0, 100, 5);
    g.iovec(8, 105, 7);
    assert_eq!(g.call("fd_write", &[1, 0, 2, 16]), 0);
    assert_eq!(g.u32_at(16), 12);
    assert_eq!(g.call("fd_write", &[2, 0, 1, 16]), 0);
    assert_eq!((out.contents(), err.contents()), (b"hello, world".to_vec(), b"hello".to_vec()));
    assert_eq!(g.call("fd_write", &[0, 0, 1, 16]), BADF);
    assert_eq!(g.call("fd_write", &[3, 0, 1, 16]), BADF);

    // A read is scattered over the buffers.
    g.iovec(0, 200, 3);
    g.iovec(8, 300, 10);
    assert_eq!(g.call("fd_read", &[0, 0, 2, 16]), 0);
    assert_eq!(g.u32_at(16), 8);
    assert_eq!((g.read(200, 3), g.read(300, 5)), (b"abc".to_vec(), b"defgh".to_vec()));
    assert_eq!(g.call("fd_read", &[0, 0, 2, 16]), 0);
    assert_eq!(g.u32_at(16), 0, "end of input");
    assert_eq!(g.call("fd_read", &[1, 0, 2, 16]), BADF);

    assert_eq!(g.call("fd_close", &[1]), 0);
    assert_eq!(g.call("fd_close", &[1]), BADF);
    assert_eq!(g.call("fd_write", &[1, 0, 1, 16]), BADF);
    assert_eq!(g.call("fd_close", &[7]), BADF);
}

#[test]
fn stdio_are_unseekable_character_devices() {
    let mut g = Guest::with_memory(ctx());
    for fd in 0..3 {
        assert_eq!(g.call("fd_seek", &[fd, 0, 0, 0]), SPIPE);
        assert_eq!(g.call("fd_tell", &[fd, 0]), SPIPE);
        assert_eq!(g.call("fd_fdstat_get", &[fd, 64]), 0);
        let stat = g.read(64, 24);
        assert_eq!(stat[0], 2, "character device");
        let rights = g.u64_at(72);
        assert_eq!(rights & (1 << 2 | 1 << 5), 0, "no seek/tell rights (isatty)");
        let io_right = if fd == 0 { 1 << 1 } else { 1 << 6 };
        assert_ne!(rights & io_right, 0);
        assert_eq!(g.call("fd_filestat_get", &[fd, 128]), 0);
        assert_eq!(g.read(128 + 16, 1), [2]);
    }
    assert_eq!(g.call("fd_fdstat_set_flags", &[1, 1]), 0);
    assert_eq!(g.call("fd_fdstat_get", &[1, 64]), 0);
    assert_eq!(g.read(66, 2), [1, 0]);
    assert_eq!(g.call("fd_fdstat_set_flags", &[1, 0x100]), INVAL);
    assert_eq!(g.call("fd_seek", &[5, 0, 0, 0]), BADF);
    assert_eq!(g.call("fd_fdstat_get", &[5, 64]), BADF);
    assert_eq!(g.call("fd_filestat_get", &[5, 64]), BADF);
    // No preopens.
    for fd in [0, 3, 4] {
        assert_eq!(g.call("fd_prestat_get", &[fd, 64]), BADF);
        assert_eq!(g.call("fd_prestat_dir_name", &[fd, 64, 10]), BADF);
    }
}

#[test]
fn shared_memory_guest() {
    let out = OutputPipe::new();
    let mut g =
        Guest::new("(memory (export \"memory\") 1 1 shared)", WasiCtx::builder().arg("p").stdout(out.clone()).build());
    g.write(100, b"shared!");
    g.iovec(0, 100, 7);
    assert_eq!(g.call("fd_write", &[1, 0, 1, 8]), 0);
    assert_eq!(out.contents(), b"shared!");
    assert_eq!(g.call("args_sizes_get", &[16, 20]), 0);
    assert_eq!((g.u32_at(16), g.u32_at(20)), (1, 2));
}

/// A socket the host hands over (here as stdin): `sock_send`, `sock_recv`, `sock_shutdown`, and
/// `sock_accept` on a listening one. (Before issue 11 they were all `ENOSYS`.)
#[test]
fn sockets_handed_over_by_the_host() {
    use std::io::{Read, Write};
    use std::os::unix::net::{UnixListener, UnixStream};

    let (guest_end, mut host_end) = UnixStream::pair().unwrap();
    let mut g = Guest::with_memory(WasiCtx::builder().stdin_file(guest_end).build());
    g.write(200, b"ping");
    g.iovec(100, 200, 4);
    assert_eq!(g.call("sock_send", &[0, 100, 1, 0, 120]), 0);
    assert_eq!(g.u32_at(120), 4);
    let mut buf = [0u8; 4];
    host_end.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ping");
    host_end.write_all(b"pong").unwrap();
    g.iovec(100, 300, 16);
    assert_eq!(g.call("sock_recv", &[0, 100, 1, 0, 120, 124]), 0);
    assert_eq!((g.u32_at(120), g.read(300, 4)), (4, b"pong".to_vec()));
    assert_eq!(g.call("sock_recv", &[0, 100, 1, 8, 120, 124]), INVAL);
    // Shutting down the writing side: the host reads end-of-file.
    assert_eq!(g.call("sock_shutdown", &[0, 2]), 0);
    assert_eq!(host_end.read(&mut buf).unwrap(), 0);
    assert_eq!(g.call("sock_shutdown", &[0, 7]), INVAL);
    assert_eq!(g.call("sock_accept", &[0, 0, 120]), INVAL, "not listening");

    let dir = tempfile::tempdir().unwrap();
    let listener = UnixListener::bind(dir.path().join("s")).unwrap();
    let path = dir.path().join("s");
    let mut g = Guest::with_memory(WasiCtx::builder().stdin_file(listener).build());
    let client = std::thread::spawn(move || {
        let mut c = UnixStream::connect(path).unwrap();
        c.write_all(b"hi").unwrap();
        c
    });
    assert_eq!(g.call("sock_accept", &[0, 0, 120]), 0);
    let fd = i64::from(g.u32_at(120));
    assert_eq!(fd, 3);
    // Wait for all of a 2-byte buffer.
    g.iovec(100, 300, 2);
    let _client = client.join().unwrap();
    assert_eq!(g.call("sock_recv", &[fd, 100, 1, 2, 120, 124]), 0, "waitall");
    assert_eq!((g.u32_at(120), g.read(300, 2)), (2, b"hi".to_vec()));
}
