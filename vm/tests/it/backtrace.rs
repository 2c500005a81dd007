//! Wasm backtraces on traps: function names from the name section, module-relative offsets of the trapping
//! instruction and of each call, frames across modules and host re-entry.

use wasmvm::{Caller, Engine, FrameInfo, Linker, Module, Store, Val};

/// Offsets of the operators of `wasm` that `pick` selects, in order.
fn offsets_of(wasm: &[u8], pick: impl Fn(&wasmparser::Operator<'_>) -> bool) -> Vec<u32> {
    let mut out = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::CodeSectionEntry(body) = payload.unwrap() {
            let mut r = body.get_operators_reader().unwrap();
            while !r.eof() {
                let at = r.original_position() as u32;
                if pick(&r.read().unwrap()) {
                    out.push(at);
                }
            }
        }
    }
    out
}

fn frame(f: &FrameInfo) -> (Option<&str>, Option<&str>, Option<u32>) {
    (f.module.as_deref(), f.func_name.as_deref(), f.offset)
}

#[test]
fn trap_carries_names_and_offsets_of_every_frame() {
    let wat = r#"(module $m
      (func $inner (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
      (func $middle (param i32) (result i32) (i32.add (call $inner (local.get 0)) (i32.const 1)))
      (func (export "outer") (param i32) (result i32) (call $middle (local.get 0))))"#;
    let wasm = wat::parse_str(wat).unwrap();
    let engine = Engine::default();
    let module = Module::new(&engine, &wasm).unwrap();
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
    let f = inst.get_func(&store, "outer").unwrap().typed::<i32, i32>(&store).unwrap();
    assert_eq!(f.call(&mut store, 1).unwrap(), 2);
    let e = f.call(&mut store, 0).unwrap_err();
    let trap = e.as_trap().expect("a trap");
    let div = offsets_of(&wasm, |op| matches!(op, wasmparser::Operator::I32DivS))[0];
    let calls = offsets_of(&wasm, |op| matches!(op, wasmparser::Operator::Call { .. }));
    let frames: Vec<_> = trap.trace().iter().map(frame).collect();
    assert_eq!(
        frames,
        vec![
            (Some("m"), Some("inner"), Some(div)),
            (Some("m"), Some("middle"), Some(calls[0])),
            (Some("m"), None, Some(calls[1])),
        ],
        "{}",
        trap.trace_text()
    );
    let text = trap.trace_text();
    assert!(text.starts_with("wasm backtrace:\n"), "{text}");
    assert!(text.contains(&format!("0: {div:#x} - m!inner")), "{text}");
    assert!(text.contains("2: ") && text.contains("m!<wasm function 2>"), "{text}");
}

#[test]
fn frames_cross_host_reentry_and_modules() {
    // wasm (module a) -> host -> wasm (module b, traps): the trace has b's frame, then a's.
    let engine = Engine::default();
    let b = Module::new(&engine, &wat::parse_str(r#"(module $b (func $boom (export "boom") unreachable))"#).unwrap())
        .unwrap();
    let mut store = Store::new(&engine, ());
    let b_inst = Linker::new(&engine).instantiate(&mut store, &b).unwrap();
    let boom = b_inst.get_func(&store, "boom").unwrap();
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap("host", "reenter", move |mut c: Caller<'_, ()>| -> Result<(), wasmvm::Trap> {
            boom.call(&mut c, &[], &mut []).map_err(|e| e.as_trap().cloned().unwrap())
        })
        .unwrap();
    let a = Module::new(
        &engine,
        &wat::parse_str(r#"(module $a (import "host" "reenter" (func $h)) (func $run (export "run") (call $h)))"#)
            .unwrap(),
    )
    .unwrap();
    let a_inst = linker.instantiate(&mut store, &a).unwrap();
    let run = a_inst.get_func(&store, "run").unwrap();
    let e = run.call(&mut store, &[], &mut Vec::<Val>::new()).unwrap_err();
    let trap = e.as_trap().unwrap();
    let names: Vec<_> = trap.trace().iter().map(|f| (f.module.as_deref(), f.func_name.as_deref())).collect();
    assert_eq!(names, vec![(Some("b"), Some("boom")), (Some("a"), Some("run"))], "{}", trap.trace_text());
}

#[test]
fn rust_and_cpp_names_are_demangled_in_the_trace_text() {
    let wat = r#"(module $m
      (func $_ZN4core9panicking5panic17h0123456789abcdefE (unreachable))
      (func $_Z6squarei (call $_ZN4core9panicking5panic17h0123456789abcdefE))
      (func $plain_c_name (export "run") (call $_Z6squarei)))"#;
    let engine = Engine::default();
    let module = Module::new(&engine, wat.as_bytes()).unwrap();
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
    let f = inst.get_func(&store, "run").unwrap();
    let err = f.call(&mut store, &[], &mut []).unwrap_err();
    let trap = err.as_trap().expect("a trap");
    let text = trap.trace_text();
    assert!(text.contains("m!core::panicking::panic\n"), "{text}");
    assert!(text.contains("m!square(int)\n"), "{text}");
    assert!(text.contains("m!plain_c_name"), "{text}");
    // The frames keep the raw names.
    assert_eq!(trap.trace()[0].func_name.as_deref(), Some("_ZN4core9panicking5panic17h0123456789abcdefE"));
    assert_eq!(wasmvm::demangle("_ZN3foo3barE"), "foo::bar");
}
