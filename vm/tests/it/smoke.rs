use wasmvm::{Engine, Linker, Module, Store, Val};

fn run(wat: &str, name: &str, args: &[Val], nres: usize) -> wasmvm::Result<Vec<Val>> {
    let engine = Engine::default();
    let module = Module::new(&engine, &wat::parse_str(wat).unwrap())?;
    let mut store = Store::new(&engine, ());
    let linker = Linker::new(&engine);
    let inst = linker.instantiate(&mut store, &module)?;
    let f = inst.get_func(&store, name).unwrap();
    let mut res = vec![Val::I32(0); nres];
    f.call(&mut store, args, &mut res)?;
    Ok(res)
}

#[test]
fn add() {
    let r = run(
        r#"(module (func (export "f") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))"#,
        "f",
        &[Val::I32(2), Val::I32(40)],
        1,
    )
    .unwrap();
    assert_eq!(r[0], Val::I32(42));
}

#[test]
fn fac_loop() {
    let wat = r#"(module (func (export "fac") (param i64) (result i64) (local i64)
        i64.const 1 local.set 1
        block loop
          local.get 0 i64.eqz br_if 1
          local.get 1 local.get 0 i64.mul local.set 1
          local.get 0 i64.const 1 i64.sub local.set 0
          br 0
        end end
        local.get 1))"#;
    let r = run(wat, "fac", &[Val::I64(20)], 1).unwrap();
    assert_eq!(r[0], Val::I64(2432902008176640000));
}

#[test]
fn fib_rec() {
    let wat = r#"(module (func $fib (export "fib") (param i32) (result i32)
        local.get 0 i32.const 2 i32.lt_u
        if (result i32) local.get 0
        else local.get 0 i32.const 1 i32.sub call $fib local.get 0 i32.const 2 i32.sub call $fib i32.add end))"#;
    let r = run(wat, "fib", &[Val::I32(25)], 1).unwrap();
    assert_eq!(r[0], Val::I32(75025));
}

#[test]
fn div_trap() {
    let e = run(
        r#"(module (func (export "f") (param i32) (result i32) i32.const 1 local.get 0 i32.div_s))"#,
        "f",
        &[Val::I32(0)],
        1,
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "trap: integer divide by zero");
}

#[test]
fn infinite_recursion_traps() {
    let e = run(r#"(module (func $f (export "f") call $f))"#, "f", &[], 0).unwrap_err();
    assert_eq!(e.to_string(), "trap: call stack exhausted");
}

#[test]
fn memory_ops() {
    let wat = r#"(module (memory 1) (func (export "f") (param i32) (result i32)
        local.get 0 i32.const 0x12345678 i32.store offset=4
        local.get 0 i32.load8_u offset=5
        local.get 0 i32.load16_s offset=6 i32.add))"#;
    let r = run(wat, "f", &[Val::I32(100)], 1).unwrap();
    assert_eq!(r[0], Val::I32(0x56 + 0x1234));
    let e = run(wat, "f", &[Val::I32(65534)], 1).unwrap_err();
    assert_eq!(e.to_string(), "trap: out of bounds memory access");
}
