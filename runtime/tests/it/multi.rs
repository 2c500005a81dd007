//! Many modules in `wasmvm run`: the demo of `fixtures/multi/` (a main program with Debian's
//! wasi-libc and three PIC libraries: cross-module data and function pointers, constructors, the
//! loader's allocator, WASI from a library, four threads) through the binary, with `--preload`,
//! `-L`, `--map` and `--invoke`, endings from a thread, and loader errors.

use crate::common;

use std::path::PathBuf;

use common::{text, wasmvm_in};

fn multi_dir() -> PathBuf {
    common::fixtures().join("multi")
}

fn expected() -> String {
    std::fs::read_to_string(multi_dir().join("expected.stdout")).unwrap()
}

/// (status, stdout, stderr) of `wasmvm ARGS` run in `fixtures/multi`.
fn run(args: &[&str]) -> (i32, String, String) {
    let out = wasmvm_in(&multi_dir(), args);
    (out.status.code().unwrap(), text(&out.stdout), text(&out.stderr))
}

/// Asserts one `error:` line mentioning `needle` (loader warnings may precede it) and status 1.
fn assert_error((status, _, stderr): &(i32, String, String), needle: &str) {
    assert_eq!(*status, 1, "stderr: {stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "{stderr:?}");
    assert!(stderr.ends_with('\n') && stderr.lines().last() == Some(errors[0]), "{stderr:?}");
    assert!(errors[0].contains(needle), "{stderr:?} should mention {needle:?}");
}

#[test]
fn demo_runs_with_exact_output() {
    assert_eq!(run(&["run", "main.wasm", "--preload", "libworker.so.wasm"]), (0, expected(), String::new()));
}

#[test]
fn options_before_module_and_several_preloads() {
    let want = (0, expected(), String::new());
    assert_eq!(run(&["run", "--preload", "libworker.so.wasm", "main.wasm"]), want);
    // NEEDED libraries may also be preloaded themselves, in any order.
    let args = ["run", "main.wasm", "--preload", "libtext.so.wasm", "--preload", "./libworker.so.wasm"];
    assert_eq!(run(&args), want);
    let args = ["run", "main.wasm", "--preload=libshapes.so.wasm", "--preload", "libworker.so.wasm", "--"];
    assert_eq!(run(&args), want);
}

#[test]
fn libraries_are_found_with_search_path() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(multi_dir().join("main.wasm"), tmp.path().join("main.wasm")).unwrap();
    let dir = multi_dir();
    let dir = dir.to_str().unwrap();
    let out = wasmvm_in(tmp.path(), &["run", "main.wasm", "-L", dir, "--preload", "libworker.so.wasm"]);
    assert_eq!((out.status.code(), text(&out.stdout), text(&out.stderr)), (Some(0), expected(), String::new()));
    let out = wasmvm_in(tmp.path(), &["run", &format!("-L{dir}"), "main.wasm", "--preload", "libworker.so.wasm"]);
    assert_eq!(text(&out.stdout), expected());
    // Not found without it: the main program's own directory is searched, and nothing else.
    let out = wasmvm_in(tmp.path(), &["run", "main.wasm", "--preload", "libworker.so.wasm"]);
    let r = (out.status.code().unwrap(), text(&out.stdout), text(&out.stderr));
    assert_error(&r, "libworker.so.wasm: cannot open shared object");
    assert_eq!(r.1, "");
}

#[test]
fn map_shows_the_layout_before_running() {
    let (status, stdout, stderr) = run(&["run", "main.wasm", "--preload", "libworker.so.wasm", "--map"]);
    assert_eq!((status, stdout), (0, expected()));
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines[0], "wasmvm: address space");
    let words = |l: &str| l.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    assert_eq!(words(lines[1]), ["module", "data", "table", "tls"]);
    let rows: Vec<Vec<String>> = lines[2..6].iter().map(|l| words(l)).collect();
    let names: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, ["main.wasm", "libworker.so.wasm", "libshapes.so.wasm", "libtext.so.wasm"]);
    // main.wasm sits at 0; libworker has a 4-byte TLS block (work_calls); libshapes has two function
    // pointer slots; libtext none.
    assert_eq!(rows[0][1], "[0x0,");
    assert_eq!(rows[1][rows[1].len() - 4..], ["4", "bytes,", "align", "4"]);
    assert!(rows[2][3].starts_with('[') && rows[2][4].ends_with(')'), "{:?}", rows[2]);
    assert_eq!(rows[3][3..], ["-", "-"]);
    assert_eq!(lines[6], "memory regions:");
    assert!(lines[7..].iter().any(|l| l.ends_with(") module libtext.so.wasm")), "{stderr}");
    assert!(lines[7..].iter().any(|l| l.ends_with(") stack of thread 1")), "{stderr}");
}

/// `--map` comes before anything the program prints: the layout is printed once every module is
/// loaded and before any constructor runs (libtext's and libshapes' constructors print the first two
/// lines of the demo). stdout and stderr go to one file here, so the order is the order of the writes.
#[test]
fn map_is_printed_before_any_constructor_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("both.txt");
    let file = std::fs::File::create(&path).unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_wasmvm"))
        .args(["run", "main.wasm", "--preload", "libworker.so.wasm", "--map"])
        .current_dir(multi_dir())
        .env_remove("WASMVM_LOG")
        .stdin(std::process::Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let both = std::fs::read_to_string(&path).unwrap();
    let map_end = both.find("memory regions:\n").expect("the map");
    let ctor = both.find("libtext: constructor\n").expect("the constructor's line");
    assert!(both.starts_with("wasmvm: address space\n"), "{both}");
    assert!(map_end < ctor, "the map must come before the constructors' output:\n{both}");
    // The program's output is complete and in order after the map.
    assert!(both.ends_with(&expected()), "{both}");
}

#[test]
fn a_thread_ends_the_program_from_a_library() {
    let head: String = expected().lines().take(7).map(|l| format!("{l}\n")).collect();
    let exit = run(&["run", "main.wasm", "--preload", "libworker.so.wasm", "exit"]);
    assert_eq!(exit, (5, format!("{head}main: a thread will exit\n"), String::new()));
    let (status, stdout, stderr) = run(&["run", "main.wasm", "--preload", "libworker.so.wasm", "trap"]);
    assert_eq!((status, stdout), (134, format!("{head}main: a thread will trap\n")));
    assert!(stderr.starts_with("error: wasm trap: unreachable\nwasm backtrace:\n"), "{stderr}");
}

#[test]
fn invoke_finds_library_functions() {
    // Constructors run; main's _start does not (so only the two built-in shapes exist).
    let (status, stdout, stderr) =
        run(&["run", "--invoke", "shape_area", "main.wasm", "--preload", "libworker.so.wasm", "1", "4"]);
    assert_eq!((status, stderr.as_str()), (0, ""));
    assert_eq!(stdout, "libtext: constructor\nlibshapes: constructor registered 2 shapes\n8\n");
    assert_error(&run(&["run", "--invoke", "nope", "main.wasm", "--preload", "libworker.so.wasm"]), "nope");
}

#[test]
fn loader_errors_are_one_line() {
    // main.wasm imports its table, so the loader runs it even without --preload; its symbols are missing.
    assert_error(&run(&["run", "main.wasm"]), "undefined symbol: shape_register");
    assert_error(&run(&["run", "main.wasm", "--preload", "libnope.so.wasm"]), "libnope.so.wasm");
    // A plain program with its own memory and table cannot share an address space.
    assert_error(&run(&["run", "../hello.wasm", "--preload", "libtext.so.wasm"]), "hello.wasm: cannot place module");
}

/// Issue 10: the module limit is an option, and a missing `--preload` is not "needed by" the program.
#[test]
fn max_modules_and_missing_preload() {
    let r = run(&["run", "--max-modules", "2", "main.wasm", "--preload", "libworker.so.wasm"]);
    assert_error(&r, "cannot place module: all 2 module slots are used");
    assert_eq!(run(&["run", "--max-modules", "64", "main.wasm", "--preload", "libworker.so.wasm"]).1, expected());
    let (status, _, stderr) = run(&["run", "--max-modules", "0", "main.wasm"]);
    assert_eq!(status, 2, "{stderr}");
    let r = run(&["run", "main.wasm", "--preload", "libnothere.so"]);
    assert_error(&r, "error: libnothere.so: cannot open shared object: not found in ");
    assert!(!r.2.contains("needed by"), "{}", r.2);
}

/// A program that calls `dlopen("/data/libx.so")` and `dlopen("/etc/passwd")`, prints `dlerror()` and
/// exits with bit 0 set if the first opened, bit 1 if the second failed.
const DLOPEN_PROBE: &str = r#"(module (@dylink.0 (mem-info (memory 256 4)))
  (import "env" "memory" (memory 1 65536 shared))
  (import "env" "__memory_base" (global $base i32))
  (import "wasmvm" "dlopen" (func $dlopen (param i32 i32) (result i32)))
  (import "wasmvm" "dlerror" (func $dlerror (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (data (global.get $base) "/data/libx.so\00/etc/passwd\00")
  (func $strlen (param $p i32) (result i32) (local $n i32)
    (block $done (loop $l
      (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $l)))
    local.get $n)
  (func $print (param $p i32)
    (i32.store (i32.add (global.get $base) (i32.const 128)) (local.get $p))
    (i32.store (i32.add (global.get $base) (i32.const 132)) (call $strlen (local.get $p)))
    (drop (call $fd_write (i32.const 1) (i32.add (global.get $base) (i32.const 128)) (i32.const 1)
      (i32.add (global.get $base) (i32.const 136)))))
  (func (export "_start") (local $ok i32)
    (if (i32.ne (call $dlopen (global.get $base) (i32.const 2)) (i32.const 0))
      (then (local.set $ok (i32.const 1)))
      (else (call $print (call $dlerror))))
    (if (i32.eqz (call $dlopen (i32.add (global.get $base) (i32.const 14)) (i32.const 2)))
      (then (local.set $ok (i32.or (local.get $ok) (i32.const 2)))))
    (call $print (call $dlerror))
    (call $exit (local.get $ok))))"#;

/// Issue 10: `--dir`'s promise holds for `dlopen`: a library path in a preopen is opened beneath it, a
/// host path is not, and `dlerror` shows nothing of the host.
#[test]
fn dlopen_is_sandboxed_like_files() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("data")).unwrap();
    let lib = r#"(module (@dylink.0 (mem-info (memory 4 2))) (import "env" "memory" (memory 1 65536 shared))
        (import "env" "__memory_base" (global i32)))"#;
    std::fs::write(tmp.path().join("data/libx.so"), wat::parse_str(lib).unwrap()).unwrap();
    std::fs::write(tmp.path().join("main.wasm"), wat::parse_str(DLOPEN_PROBE).unwrap()).unwrap();
    let out = wasmvm_in(tmp.path(), &["run", "--dir", "data::/data", "main.wasm"]);
    let passwd = "/etc/passwd: cannot open shared object: not found";
    assert_eq!((out.status.code(), text(&out.stdout), text(&out.stderr)), (Some(3), passwd.into(), String::new()));
    // Without the preopen, /data is nothing on the host either.
    let out = wasmvm_in(tmp.path(), &["run", "main.wasm"]);
    let missing = "/data/libx.so: cannot open shared object: not found";
    assert_eq!((out.status.code(), text(&out.stdout)), (Some(2), format!("{missing}{passwd}")));
}
