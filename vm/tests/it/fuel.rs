//! Fuel metering: deterministic, traps "all fuel consumed", shared between stores, absent when off.

use wasmvm::{Config, Engine, Linker, Module, Store, TrapCode};

const WAT: &str = r#"(module
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func (export "spin") (loop $l (br $l))))"#;

fn setup(fuel: bool) -> (Store<()>, wasmvm::Instance) {
    let engine = Engine::new(Config { consume_fuel: fuel, ..Config::default() });
    let module = Module::new(&engine, WAT.as_bytes()).unwrap();
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
    (store, inst)
}

#[test]
fn fuel_is_deterministic_and_exact() {
    let (mut store, inst) = setup(true);
    let fib = inst.get_func(&store, "fib").unwrap().typed::<i32, i32>(&store).unwrap();
    store.set_fuel(1_000_000).unwrap();
    assert_eq!(fib.call(&mut store, 15).unwrap(), 610);
    let used = 1_000_000 - store.get_fuel().unwrap();
    assert!(used > 610, "every call and block costs fuel: {used}");
    // The same run costs the same.
    store.set_fuel(1_000_000).unwrap();
    fib.call(&mut store, 15).unwrap();
    assert_eq!(1_000_000 - store.get_fuel().unwrap(), used);
    // Exactly that much is enough; one unit less is not.
    store.set_fuel(used).unwrap();
    assert_eq!(fib.call(&mut store, 15).unwrap(), 610);
    assert_eq!(store.get_fuel().unwrap(), 0);
    store.set_fuel(used - 1).unwrap();
    let e = fib.call(&mut store, 15).unwrap_err();
    assert_eq!(e.as_trap().and_then(|t| t.code()), Some(TrapCode::OutOfFuel));
    assert!(e.to_string().contains("all fuel consumed"), "{e}");
}

#[test]
fn runaway_loops_stop_and_tanks_are_shared() {
    let (mut store, inst) = setup(true);
    let spin = inst.get_func(&store, "spin").unwrap().typed::<(), ()>(&store).unwrap();
    store.set_fuel(100_000).unwrap();
    let e = spin.call(&mut store, ()).unwrap_err();
    assert_eq!(e.as_trap().and_then(|t| t.code()), Some(TrapCode::OutOfFuel));
    assert_eq!(store.get_fuel().unwrap(), 0);

    // A second store sharing the tank draws from the same budget.
    let (mut other, inst2) = setup(true);
    let fib2 = inst2.get_func(&other, "fib").unwrap().typed::<i32, i32>(&other).unwrap();
    other.set_fuel_tank(store.fuel_tank());
    assert_eq!(fib2.call(&mut other, 5).unwrap_err().as_trap().and_then(|t| t.code()), Some(TrapCode::OutOfFuel));
    store.set_fuel(50_000).unwrap();
    assert_eq!(fib2.call(&mut other, 5).unwrap(), 5);
    assert!(store.get_fuel().unwrap() < 50_000);
}

#[test]
fn without_metering_fuel_is_refused() {
    let (mut store, inst) = setup(false);
    assert!(store.set_fuel(10).is_err());
    assert!(store.get_fuel().is_err());
    let fib = inst.get_func(&store, "fib").unwrap().typed::<i32, i32>(&store).unwrap();
    assert_eq!(fib.call(&mut store, 10).unwrap(), 55);
}
