//! Embedding WASI: exit from a start function, linker rules, the context inside other user data,
//! and long-running programs.

use crate::common;

use wasmvm::{Engine, Linker, Module, Store};
use wasmvm_runtime::run;
use wasmvm_runtime::wasi::{self, WasiCtx};

use common::guest::ctx;

#[test]
fn proc_exit_in_start_function() {
    let engine = Engine::default();
    let wasm = wat::parse_str(
        r#"(module
             (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
             (func $s (call $exit (i32.const 17)))
             (start $s)
             (func (export "_start") unreachable))"#,
    )
    .unwrap();
    let module = Module::new(&engine, &wasm).unwrap();
    assert_eq!(run::run_command(&module, ctx()).unwrap(), 17);
}

#[test]
fn add_to_linker_refuses_duplicates() {
    let engine = Engine::default();
    let mut linker = Linker::<WasiCtx>::new(&engine);
    wasi::add_to_linker(&mut linker, |c: &mut WasiCtx| c).unwrap();
    assert!(wasi::add_to_linker(&mut linker, |c: &mut WasiCtx| c).is_err());
}

/// `WasiCtx` can live inside a larger user data type.
#[test]
fn ctx_inside_user_data() {
    struct Host {
        count: u32,
        wasi: WasiCtx,
    }
    let engine = Engine::default();
    let wasm = wat::parse_str(
        r#"(module
             (import "wasi_snapshot_preview1" "args_sizes_get" (func $f (param i32 i32) (result i32)))
             (memory 1)
             (func (export "_start") (drop (call $f (i32.const 0) (i32.const 4)))))"#,
    )
    .unwrap();
    let module = Module::new(&engine, &wasm).unwrap();
    let mut linker = Linker::<Host>::new(&engine);
    wasi::add_to_linker(&mut linker, |h: &mut Host| {
        h.count += 1;
        &mut h.wasi
    })
    .unwrap();
    let mut store = Store::new(&engine, Host { count: 0, wasi: ctx() });
    let inst = linker.instantiate(&mut store, &module).unwrap();
    inst.get_func(&store, "_start").unwrap().call(&mut store, &[], &mut []).unwrap();
    assert_eq!(store.data().count, 1);
}

/// Regression test for the machine: a long-running program makes millions of WASI calls, and
/// each wasm → host call must not leave anything on the native stack. (With optimisations on,
/// wasmvm's handlers tail-call each other; a host call that breaks the chain grows the stack by
/// one frame per call until it overflows. Run with `cargo test --release` to exercise that.)
#[test]
fn many_host_calls_run_in_constant_native_stack() {
    let wasm = wat::parse_str(
        r#"(module
             (import "wasi_snapshot_preview1" "sched_yield" (func $y (result i32)))
             (func (export "_start") (local $i i32)
               (loop $l
                 (drop (call $y))
                 (local.set $i (i32.add (local.get $i) (i32.const 1)))
                 (br_if $l (i32.lt_u (local.get $i) (i32.const 300000))))))"#,
    )
    .unwrap();
    let status = std::thread::Builder::new()
        .stack_size(512 << 10)
        .spawn(move || {
            let module = Module::new(&Engine::default(), &wasm).unwrap();
            run::run_command(&module, ctx()).unwrap()
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(status, 0);
}
