//! Shared test harness: a minimal WASI (stdout/stderr capture, exit) for the fixtures' libc, and helpers.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use wasmvm::{Caller, Engine, Linker, Trap};
use wasmvm_loader::{AddressSpace, SpaceConfig, ThreadCtx};

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(name)).unwrap()
}

/// Captured output of all threads.
#[derive(Clone, Default)]
pub struct Output(pub Arc<Mutex<Vec<u8>>>);

impl Output {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Just enough of wasi_snapshot_preview1 for Debian's wasi-libc printf/exit.
pub fn wasi(engine: &Engine, out: &Output) -> Linker<ThreadCtx> {
    let mut l = Linker::new(engine);
    const M: &str = "wasi_snapshot_preview1";
    let o = out.clone();
    l.func_wrap(
        M,
        "fd_write",
        move |caller: Caller<'_, ThreadCtx>, fd: i32, iovs: i32, n: i32, nwritten: i32| -> i32 {
            if fd != 1 && fd != 2 {
                return 8;
            }
            let mem = caller.memory().unwrap();
            let mut total = 0u32;
            for i in 0..n as u64 {
                let mut iov = [0u8; 8];
                mem.read(&caller, iovs as u64 + 8 * i, &mut iov).unwrap();
                let ptr = u32::from_le_bytes(iov[..4].try_into().unwrap());
                let len = u32::from_le_bytes(iov[4..].try_into().unwrap());
                let mut buf = vec![0u8; len as usize];
                mem.read(&caller, ptr as u64, &mut buf).unwrap();
                o.0.lock().unwrap().extend_from_slice(&buf);
                total += len;
            }
            let mut caller = caller;
            mem.write(&mut caller, nwritten as u64, &total.to_le_bytes()).unwrap();
            0
        },
    )
    .unwrap();
    l.func_wrap(M, "fd_fdstat_get", |mut caller: Caller<'_, ThreadCtx>, _fd: i32, buf: i32| -> i32 {
        let mem = caller.memory().unwrap();
        let mut stat = [0u8; 24];
        stat[0] = 2; // character device
        mem.write(&mut caller, buf as u64, &stat).unwrap();
        0
    })
    .unwrap();
    l.func_wrap(M, "fd_seek", |_: Caller<'_, ThreadCtx>, _: i32, _: i64, _: i32, _: i32| -> i32 { 70 }).unwrap();
    l.func_wrap(M, "fd_close", |_: Caller<'_, ThreadCtx>, _: i32| -> i32 { 0 }).unwrap();
    // No arguments (crt1's `main(argc, argv)` of the ordinary programs in reloc.rs).
    l.func_wrap(M, "args_sizes_get", |mut caller: Caller<'_, ThreadCtx>, argc: i32, size: i32| -> i32 {
        let mem = caller.memory().unwrap();
        mem.write(&mut caller, argc as u64, &0u32.to_le_bytes()).unwrap();
        mem.write(&mut caller, size as u64, &0u32.to_le_bytes()).unwrap();
        0
    })
    .unwrap();
    l.func_wrap(M, "args_get", |_: Caller<'_, ThreadCtx>, _: i32, _: i32| -> i32 { 0 }).unwrap();
    l.func_wrap(M, "proc_exit", |_: Caller<'_, ThreadCtx>, code: i32| -> Result<(), Trap> { Err(Trap::exit(code)) })
        .unwrap();
    l
}

/// A space whose search path is the fixtures directory, with the test WASI.
pub fn space(config: SpaceConfig) -> (AddressSpace, Output) {
    let engine = Engine::default();
    let out = Output::default();
    let config = SpaceConfig { search_path: vec![fixtures()], ..config };
    (AddressSpace::with_host(&engine, config, wasi(&engine, &out)).unwrap(), out)
}

/// Log lines, captured for the whole test binary: "LEVEL message" for the `wasmvm::guest` target (wasm's
/// `wasmvm.log`), "[target] LEVEL message" for others.
pub fn guest_logs() -> &'static Mutex<Vec<String>> {
    static LOGS: std::sync::OnceLock<Mutex<Vec<String>>> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        struct Capture;
        impl log::Log for Capture {
            fn enabled(&self, _: &log::Metadata) -> bool {
                true
            }
            fn log(&self, r: &log::Record) {
                let line = if r.target() == "wasmvm::guest" {
                    format!("{} {}", r.level(), r.args())
                } else {
                    format!("[{}] {} {}", r.target(), r.level(), r.args())
                };
                guest_logs().lock().unwrap().push(line);
            }
            fn flush(&self) {}
        }
        log::set_logger(&Capture).unwrap();
        log::set_max_level(log::LevelFilter::Trace);
        Mutex::new(Vec::new())
    })
}

/// The captured guest log lines starting with `prefix`.
pub fn guest_lines(prefix: &str) -> Vec<String> {
    guest_logs().lock().unwrap().iter().filter(|l| l.starts_with(prefix)).cloned().collect()
}

/// The exit status of a call that ended with `proc_exit`.
pub fn exit_status<T: std::fmt::Debug>(r: wasmvm_loader::Result<T>) -> i32 {
    match r {
        Err(wasmvm_loader::Error::Vm { error: wasmvm::Error::Trap(t), .. }) if t.exit_status().is_some() => {
            t.exit_status().unwrap()
        }
        other => panic!("expected an exit, got {other:?}"),
    }
}

pub fn leb(mut v: u32, out: &mut Vec<u8>) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        out.push(if v == 0 { b } else { b | 0x80 });
        if v == 0 {
            break;
        }
    }
}

/// `wasm` with the memory-info subsection of its `dylink.0` replaced (the section must come first, and
/// mem-info first in it, as wasm-ld writes them).
pub fn with_mem_info(wasm: &[u8], mem_size: u32, mem_p2: u32, table_size: u32, table_p2: u32) -> Vec<u8> {
    let read = |at: &mut usize| {
        let (mut v, mut shift) = (0usize, 0);
        loop {
            let b = wasm[*at];
            *at += 1;
            v |= ((b & 0x7f) as usize) << shift;
            if b & 0x80 == 0 {
                return v;
            }
            shift += 7;
        }
    };
    assert_eq!(wasm[8], 0, "dylink.0 comes first");
    let mut at = 9;
    let size = read(&mut at);
    let end = at + size;
    let name_len = read(&mut at);
    assert_eq!(&wasm[at..at + name_len], b"dylink.0");
    at += name_len;
    assert_eq!(wasm[at], 1, "mem-info comes first");
    at += 1;
    let sub = read(&mut at);
    let rest = &wasm[at + sub..end];
    let mut body = Vec::new();
    for v in [mem_size, mem_p2, table_size, table_p2] {
        leb(v, &mut body);
    }
    let mut payload = vec![8];
    payload.extend_from_slice(b"dylink.0");
    payload.push(1);
    leb(body.len() as u32, &mut payload);
    payload.extend(body);
    payload.extend_from_slice(rest);
    let mut out = wasm[..8].to_vec();
    out.push(0);
    leb(payload.len() as u32, &mut out);
    out.extend(payload);
    out.extend_from_slice(&wasm[end..]);
    out
}

/// The memory of the modules other than `except` (their regions and every byte in them).
pub fn others_memory(
    space: &AddressSpace,
    t: &wasmvm_loader::Thread,
    except: &str,
) -> Vec<(wasmvm_loader::Region, Vec<u8>)> {
    use wasmvm_loader::RegionKind;
    space
        .regions()
        .into_iter()
        .filter(|r| match &r.kind {
            RegionKind::Module(n) => n != except,
            RegionKind::Main(_) => true,
            _ => false,
        })
        .map(|r| {
            let bytes = t.read(r.start as u32, (r.end - r.start) as usize).unwrap();
            (r, bytes)
        })
        .collect()
}
