//! Issue 16 through `wasmvm run`: ordinary (non-PIC) modules linked with `--emit-relocs`, which the loader
//! moves to a base of its choosing. The C fixtures are the loader's (`loader/tests/fixtures/src/relo_main.c`,
//! `librelo.c`); the Rust library on four threads is `fixtures/reloc/` (stable rustc, std).

use crate::common;

use std::path::PathBuf;

use common::{text, wasmvm_in};

fn loader_fixture(name: &str) -> Vec<u8> {
    std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../loader/tests/fixtures").join(name)).unwrap()
}

/// A directory holding relo_main.wasm, librelo.wasm and a copy of it under another name.
/// Removed when the returned guard drops.
fn c_fixtures() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (to, from) in
        [("relo_main.wasm", "relo_main.wasm"), ("librelo.wasm", "librelo.wasm"), ("libcopy.wasm", "librelo.wasm")]
    {
        std::fs::write(dir.path().join(to), loader_fixture(from)).unwrap();
    }
    dir
}

const C_OUTPUT: &str = "main: argc=2 twice(21)=42\n\
                        a: bump 12 13, b: bump 12\n\
                        shared a=7 b=8, distinct=1\n\
                        op(0)(5)=6 op(1)(5)=15 apply_b(1,7)=21\n\
                        relocated from main: counter=13 shared=7\n\
                        relocated from main: counter=12 shared=8\n\
                        freed by main\n";

/// The finding "wasmvm refuses every ordinary module": an ordinary C program (own memory and table, crt1,
/// wasi-libc's malloc) `dlopen`s an ordinary C library twice, under two names; the program uses the loader
/// because it imports its `wasmvm.*` built-ins.
#[test]
fn ordinary_program_dlopens_an_ordinary_library_twice() {
    let tmp = c_fixtures();
    let dir = tmp.path();
    let out = wasmvm_in(dir, &["run", "relo_main.wasm", "libcopy.wasm"]);
    assert_eq!((out.status.code(), text(&out.stdout), text(&out.stderr)), (Some(0), C_OUTPUT.into(), String::new()));
    // Preloaded: the program's dlopen finds it loaded.
    let out = wasmvm_in(dir, &["run", "relo_main.wasm", "--preload", "librelo.wasm", "libcopy.wasm"]);
    assert_eq!((out.status.code(), text(&out.stdout), text(&out.stderr)), (Some(0), C_OUTPUT.into(), String::new()));
    // --map names them relocated.
    let out = wasmvm_in(dir, &["run", "--map", "relo_main.wasm", "--preload", "librelo.wasm", "libcopy.wasm"]);
    let map = text(&out.stderr);
    assert!(map.contains("module relo_main.wasm") && map.contains("module librelo.wasm"), "{map}");
}

/// A library without relocations is refused in one line that says how to rebuild it.
#[test]
fn library_without_relocations_is_refused() {
    let tmp = c_fixtures();
    let dir = tmp.path();
    std::fs::write(dir.join("libnorel.wasm"), loader_fixture("librelo_norelocs.wasm")).unwrap();
    let out = wasmvm_in(dir, &["run", "relo_main.wasm", "--preload", "libnorel.wasm"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("error: libnorel.wasm: cannot relocate: not position independent (no dylink.0) and no linking")
            && err.contains("-Wl,--emit-relocs and without -O at link time"),
        "{err}"
    );
}

/// A Rust library with std (HashMap, format!, Vec, thread_local!), built by stable rustc, called by a C
/// program on four threads at once: each thread's thread_local! counts its own calls.
#[test]
fn rust_library_on_four_threads() {
    let dir = common::fixtures().join("reloc");
    let expected = std::fs::read_to_string(dir.join("expected.stdout")).unwrap();
    let out = wasmvm_in(&dir, &["run", "rs_main.wasm"]);
    assert_eq!((out.status.code(), text(&out.stdout), text(&out.stderr)), (Some(0), expected, String::new()));
}

/// The embedding API: the Rust library loaded into an address space with WASI, called from the host on
/// four loader threads at once (each its own store, stack and TLS block), with text passed in through
/// buffers from the shared heap.
#[test]
fn rust_library_through_the_embedding_api() {
    use wasmvm::{Engine, Linker};
    use wasmvm_loader::{AddressSpace, SpaceConfig, Thread, ThreadCtx};
    use wasmvm_runtime::wasi::{self, WasiCtx};

    let engine = Engine::default();
    let mut host = Linker::<ThreadCtx>::new(&engine);
    wasi::add_to_linker(&mut host, |t: &mut ThreadCtx| t.user_mut::<WasiCtx>().unwrap()).unwrap();
    let config = SpaceConfig { search_path: vec![common::fixtures().join("reloc")], ..Default::default() };
    let space = AddressSpace::with_host(&engine, config, host).unwrap();
    let ctx = WasiCtx::builder().build();
    let mut main = space.thread_with(ctx.clone()).unwrap();
    main.load("librs.wasm").unwrap();
    assert!(space.modules().iter().any(|m| m.name == "librs.wasm" && m.relocated));
    fn words(t: &mut Thread, tag: i32, text: &str) -> String {
        let n = text.len() as i32 + 1;
        let input = t.call::<i32, i32>("rs_alloc", n).unwrap();
        let out = t.call::<i32, i32>("rs_alloc", 128).unwrap();
        let mut bytes = text.as_bytes().to_vec();
        bytes.push(0);
        t.write(input as u32, &bytes).unwrap();
        let len = t.call::<(i32, i32, i32, i32), i32>("rs_words", (tag, input, out, 128)).unwrap();
        let s = t.read_cstr(out as u32).unwrap();
        assert_eq!(s.len(), len as usize);
        t.call::<(i32, i32), ()>("rs_free", (input, n)).unwrap();
        t.call::<(i32, i32), ()>("rs_free", (out, 128)).unwrap();
        s
    }
    assert_eq!(words(&mut main, 0, "b a b"), "[0] call 1: 2 distinct, top bx2 ax1");
    let threads: Vec<_> = (1..=4)
        .map(|i| {
            space
                .spawn_thread_with(ctx.clone(), move |t| (0..3).map(|_| words(t, i, "x y x")).collect::<Vec<_>>())
                .unwrap()
        })
        .collect();
    for (i, h) in (1..=4).zip(threads) {
        let want: Vec<String> = (1..=3).map(|k| format!("[{i}] call {k}: 2 distinct, top xx2 yx1")).collect();
        assert_eq!(h.join().unwrap(), want);
    }
    assert_eq!(words(&mut main, 0, "c"), "[0] call 2: 1 distinct, top cx1");
}
