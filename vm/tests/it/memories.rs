//! Multi-memory, memory64 and custom page sizes through the embedding API and wasm: several memories of
//! different kinds in one module, copies between them, traps in one memory while another is fine, 64-bit
//! addresses above 4 GiB and offsets that overflow, and atomics and wait/notify on a shared memory64 on
//! two threads.

use std::sync::mpsc;
use std::time::Duration;

use wasmvm::thread::spawn;
use wasmvm::{Engine, Extern, Linker, MemoryType, Module, SharedMemory, Store, Val};

fn module(engine: &Engine, wat: &str) -> Module {
    Module::new(engine, &wat::parse_str(wat).unwrap()).unwrap()
}

/// Run `f` on a helper thread and fail if it does not finish in `secs` seconds.
fn within<R: Send + 'static>(secs: u64, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(secs)).expect("timed out")
}

const TWO: &str = r#"(module
  (memory $priv (export "priv") 1 3)
  (memory $sh (export "shared") 2 4 shared)
  (data (memory $priv) (i32.const 0) "private")
  (data (memory $sh) (i32.const 0) "shared!")
  (func (export "load_priv") (param i32) (result i32) (i32.load8_u $priv (local.get 0)))
  (func (export "load_shared") (param i32) (result i32) (i32.load8_u $sh (local.get 0)))
  (func (export "store_shared") (param i32 i32) (i32.store8 $sh (local.get 0) (local.get 1)))
  (func (export "sizes") (result i32 i32) (memory.size $priv) (memory.size $sh))
  (func (export "copy_to_priv") (param $dst i32) (param $src i32) (param $n i32)
    (memory.copy $priv $sh (local.get $dst) (local.get $src) (local.get $n)))
  (func (export "grow_shared") (param i32) (result i32) (memory.grow $sh (local.get 0))))"#;

#[test]
fn two_memories_of_different_kinds() {
    let engine = Engine::default();
    let m = module(&engine, TWO);
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine).instantiate(&mut store, &m).unwrap();
    let private = inst.get_memory(&store, "priv").unwrap();
    let shared = inst.get_memory(&store, "shared").unwrap();
    assert!(private.as_shared(&store).is_none());
    let shared_handle = shared.as_shared(&store).expect("memory 1 is shared");

    // Different sizes and contents, seen through the API.
    assert_eq!(private.size(&store).unwrap(), 1);
    assert_eq!(shared.size(&store).unwrap(), 2);
    assert_eq!(&private.data(&store).unwrap()[..7], b"private");
    let mut buf = [0u8; 7];
    shared_handle.read(0, &mut buf).unwrap();
    assert_eq!(&buf, b"shared!");

    // Written through the API, read by wasm, and the other way round.
    private.write(&mut store, 100, &[42]).unwrap();
    shared.write(&mut store, 100, &[43]).unwrap();
    let call = |store: &mut Store<()>, name: &str, args: &[Val]| {
        let f = inst.get_func(&*store, name).unwrap();
        let mut out = vec![Val::I32(0); f.ty(&*store).unwrap().results().len()];
        f.call(&mut *store, args, &mut out).map(|_| out)
    };
    assert_eq!(call(&mut store, "load_priv", &[Val::I32(100)]).unwrap(), [Val::I32(42)]);
    assert_eq!(call(&mut store, "load_shared", &[Val::I32(100)]).unwrap(), [Val::I32(43)]);
    call(&mut store, "store_shared", &[Val::I32(7), Val::I32(b'?' as i32)]).unwrap();
    let mut b = [0u8; 8];
    shared.read(&store, 0, &mut b).unwrap();
    assert_eq!(&b, b"shared!?");
    assert_eq!(call(&mut store, "sizes", &[]).unwrap(), [Val::I32(1), Val::I32(2)]);

    // memory.copy from the shared memory into the private one.
    call(&mut store, "copy_to_priv", &[Val::I32(200), Val::I32(0), Val::I32(8)]).unwrap();
    assert_eq!(&private.data(&store).unwrap()[200..208], b"shared!?");

    // Out of bounds in memory 1 traps; memory 0 at the same address is fine.
    let beyond_private = 65536 + 10;
    assert!(call(&mut store, "load_priv", &[Val::I32(beyond_private)]).is_err());
    assert_eq!(call(&mut store, "load_shared", &[Val::I32(beyond_private)]).unwrap(), [Val::I32(0)]);
    let beyond_shared = 2 * 65536;
    let e = call(&mut store, "load_shared", &[Val::I32(beyond_shared)]).unwrap_err();
    assert!(e.to_string().contains("out of bounds"), "{e}");
    assert_eq!(call(&mut store, "load_priv", &[Val::I32(5)]).unwrap(), [Val::I32(b't' as i32)]);

    // Growing memory 1 makes the address valid; memory 0 is unaffected.
    assert_eq!(call(&mut store, "grow_shared", &[Val::I32(1)]).unwrap(), [Val::I32(2)]);
    assert_eq!(call(&mut store, "load_shared", &[Val::I32(beyond_shared)]).unwrap(), [Val::I32(0)]);
    assert_eq!(call(&mut store, "sizes", &[]).unwrap(), [Val::I32(1), Val::I32(3)]);
    assert_eq!(call(&mut store, "grow_shared", &[Val::I32(2)]).unwrap(), [Val::I32(-1)], "maximum is 4");
}

/// Memories imported at indices 0 (private) and 1 (shared), defined at 2; exports of every index.
#[test]
fn imported_and_exported_memories_at_any_index() {
    let engine = Engine::default();
    let m = module(
        &engine,
        r#"(module
          (import "env" "a" (memory $a 1))
          (import "env" "c" (memory $c 1 2 shared))
          (memory $b (export "b") 1)
          (export "a" (memory $a))
          (export "c" (memory $c))
          (func (export "sum") (result i32)
            (i32.add (i32.load $a (i32.const 0))
              (i32.add (i32.load $b (i32.const 0)) (i32.load $c (i32.const 0))))))"#,
    );
    let mut store = Store::new(&engine, ());
    let a = wasmvm::Memory::new(&mut store, MemoryType::new(1, None)).unwrap();
    let c = SharedMemory::new(1, 2).unwrap();
    a.write(&mut store, 0, &1i32.to_le_bytes()).unwrap();
    c.write(0, &100i32.to_le_bytes()).unwrap();
    let mut linker = Linker::new(&engine);
    linker.define("env", "a", a).unwrap();
    linker.define("env", "c", c.clone()).unwrap();
    let inst = linker.instantiate(&mut store, &m).unwrap();
    let b = inst.get_memory(&store, "b").unwrap();
    b.write(&mut store, 0, &10i32.to_le_bytes()).unwrap();
    let sum = inst.get_typed_func::<(), i32>(&store, "sum").unwrap();
    assert_eq!(sum.call(&mut store, ()).unwrap(), 111);
    assert_eq!(inst.get_memory(&store, "a").unwrap(), a);
    match inst.get_export(&store, "c").unwrap() {
        Extern::Memory(m) => assert!(m.as_shared(&store).unwrap().same(&c)),
        Extern::SharedMemory(m) => assert!(m.same(&c)),
        other => panic!("not a memory: {other:?}"),
    }
    // Index type and page size must match on import.
    let m64 = module(&engine, r#"(module (import "env" "a" (memory i64 1)))"#);
    assert!(linker.instantiate(&mut store, &m64).is_err());
}

const M64: &str = r#"(module
  (memory (export "mem") i64 1)
  (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
  (func (export "size") (result i64) (memory.size))
  (func (export "store") (param i64 i64) (i64.store (local.get 0) (local.get 1)))
  (func (export "load") (param i64) (result i64) (i64.load (local.get 0)))
  (func (export "load_offset_max") (param i64) (result i32)
    (i32.load8_u offset=0xffffffffffffffff (local.get 0)))
  (func (export "load_offset_4g") (param i64) (result i32)
    (i32.load8_u offset=0x100000000 (local.get 0))))"#;

#[test]
fn memory64_addresses_and_offset_overflow() {
    let engine = Engine::default();
    let m = module(&engine, M64);
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine).instantiate(&mut store, &m).unwrap();
    let store_fn = inst.get_typed_func::<(i64, i64), ()>(&store, "store").unwrap();
    let load = inst.get_typed_func::<i64, i64>(&store, "load").unwrap();
    let max = inst.get_typed_func::<i64, i32>(&store, "load_offset_max").unwrap();
    let off4g = inst.get_typed_func::<i64, i32>(&store, "load_offset_4g").unwrap();
    store_fn.call(&mut store, (8, 0x1122334455667788)).unwrap();
    assert_eq!(load.call(&mut store, 8).unwrap(), 0x1122334455667788);
    // An address above 4 GiB, and addresses whose sum with the offset passes 2^64: traps, no wrap-around.
    assert!(load.call(&mut store, 1 << 32).unwrap_err().to_string().contains("out of bounds"));
    assert!(load.call(&mut store, -8).is_err(), "address 2^64 - 8 + 8 bytes");
    assert!(max.call(&mut store, 1).is_err(), "1 + (2^64 - 1) wraps to 0 if not checked");
    assert!(max.call(&mut store, 0).is_err());
    assert!(off4g.call(&mut store, 0).is_err());
    assert!(off4g.call(&mut store, -(1i64 << 32)).is_err(), "(2^64 - 2^32) + 2^32 wraps to 0 if not checked");
    assert_eq!(load.call(&mut store, 8).unwrap(), 0x1122334455667788, "the memory is fine after the traps");
}

/// A memory64 grows past 4 GiB (address space only: a few pages are touched) and is used there.
#[test]
fn memory64_grows_past_4_gib() {
    let engine = Engine::default();
    let m = module(&engine, M64);
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine).instantiate(&mut store, &m).unwrap();
    let grow = inst.get_typed_func::<i64, i64>(&store, "grow").unwrap();
    let size = inst.get_typed_func::<(), i64>(&store, "size").unwrap();
    let store_fn = inst.get_typed_func::<(i64, i64), ()>(&store, "store").unwrap();
    let load = inst.get_typed_func::<i64, i64>(&store, "load").unwrap();
    let off4g = inst.get_typed_func::<i64, i32>(&store, "load_offset_4g").unwrap();
    let pages_5g = 5 * 16384; // 5 GiB in 64 KiB pages
    let old = match grow.call(&mut store, pages_5g - 1) {
        Ok(-1) => {
            eprintln!("this machine would not commit 5 GiB of address space; skipped");
            return;
        }
        r => r.unwrap(),
    };
    assert_eq!(old, 1);
    assert_eq!(size.call(&mut store, ()).unwrap(), pages_5g);
    let high = (4i64 << 30) + 12345 * 8;
    store_fn.call(&mut store, (high, 77)).unwrap();
    assert_eq!(load.call(&mut store, high).unwrap(), 77);
    store_fn.call(&mut store, ((1 << 32) + 16, 0x5a)).unwrap();
    assert_eq!(off4g.call(&mut store, 16).unwrap(), 0x5a, "offset 2^32 from 16");
    let end = pages_5g * 65536;
    store_fn.call(&mut store, (end - 8, -1)).unwrap();
    assert!(load.call(&mut store, end - 7).is_err());
    let mem = inst.get_memory(&store, "mem").unwrap();
    let mut b = [0u8; 8];
    mem.read(&store, high as u64, &mut b).unwrap();
    assert_eq!(i64::from_le_bytes(b), 77);
    // Growing beyond the reservation (16 GiB) fails with -1, and the memory is unchanged.
    assert_eq!(grow.call(&mut store, 12 * 16384).unwrap(), -1);
    assert_eq!(size.call(&mut store, ()).unwrap(), pages_5g);
}

/// One-byte pages: sizes in bytes, growth by bytes, bounds at the exact byte.
#[test]
fn custom_page_size_one_byte() {
    let engine = Engine::default();
    let m = module(
        &engine,
        r#"(module
          (memory (export "m") 10 20 (pagesize 1))
          (func (export "size") (result i32) (memory.size))
          (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
          (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0))))"#,
    );
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine).instantiate(&mut store, &m).unwrap();
    let size = inst.get_typed_func::<(), i32>(&store, "size").unwrap();
    let grow = inst.get_typed_func::<i32, i32>(&store, "grow").unwrap();
    let load = inst.get_typed_func::<i32, i32>(&store, "load").unwrap();
    assert_eq!(size.call(&mut store, ()).unwrap(), 10);
    assert_eq!(load.call(&mut store, 9).unwrap(), 0);
    assert!(load.call(&mut store, 10).is_err());
    assert_eq!(grow.call(&mut store, 3).unwrap(), 10);
    assert_eq!(load.call(&mut store, 12).unwrap(), 0);
    assert!(load.call(&mut store, 13).is_err());
    assert_eq!(grow.call(&mut store, 8).unwrap(), -1);
    let mem = inst.get_memory(&store, "m").unwrap();
    assert_eq!(mem.data_size(&store).unwrap(), 13);
    assert_eq!(mem.ty(&store).unwrap().page_size(), 1);
}

const SHARED64: &str = r#"(module
  (memory (import "env" "memory") i64 1 4 shared)
  (func (export "inc") (param $at i64) (param $n i32)
    (loop $l
      (drop (i64.atomic.rmw.add (local.get $at) (i64.const 1)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  ;; Wait until the word at 0x8000 is non-zero (woken by `release`), then return it.
  (func (export "acquire") (result i32)
    (block $done
      (loop $l
        (br_if $done (i32.atomic.load (i64.const 0x8000)))
        (drop (memory.atomic.wait32 (i64.const 0x8000) (i32.const 0) (i64.const -1)))
        (br $l)))
    (i32.atomic.load (i64.const 0x8000)))
  (func (export "release") (param i32) (result i32)
    (i32.atomic.store (i64.const 0x8000) (local.get 0))
    (memory.atomic.notify (i64.const 0x8000) (i32.const 1))))"#;

#[test]
fn shared_memory64_atomics_on_two_threads() {
    within(60, || {
        let engine = Engine::default();
        let m = module(&engine, SHARED64);
        let memory = SharedMemory::with_type(MemoryType::shared(1, 4).with_memory64(true)).unwrap();
        let mut linker = Linker::new(&engine);
        linker.define("env", "memory", memory.clone()).unwrap();

        // Two threads increment the same i64 at an address given as an i64.
        let n = 100_000;
        let at = 0x1000i64;
        let threads: Vec<_> =
            (0..2).map(|_| spawn(&linker, &m, (), "inc", vec![Val::I64(at), Val::I32(n)]).unwrap()).collect();
        for t in threads {
            t.join().unwrap();
        }
        let mut b = [0u8; 8];
        memory.read(at as u64, &mut b).unwrap();
        assert_eq!(i64::from_le_bytes(b), 2 * n as i64);

        // wait32 / notify with 64-bit addresses.
        let waiter = spawn(&linker, &m, (), "acquire", vec![]).unwrap();
        while memory.waiters(0x8000) == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
        let releaser = spawn(&linker, &m, (), "release", vec![Val::I32(7)]).unwrap();
        assert_eq!(releaser.join().unwrap(), vec![Val::I32(1)], "one waiter woken");
        assert_eq!(waiter.join().unwrap(), vec![Val::I32(7)]);
    });
}

/// With the features off, modules that need them are refused.
#[test]
fn features_can_be_turned_off() {
    let engine = Engine::new(wasmvm::Config {
        features: wasmvm::Features {
            multi_memory: false,
            memory64: false,
            custom_page_sizes: false,
            ..Default::default()
        },
        ..Default::default()
    });
    for wat in ["(module (memory 1) (memory 1))", "(module (memory i64 1))", "(module (memory 1 2 (pagesize 1)))"] {
        assert!(Module::new(&engine, &wat::parse_str(wat).unwrap()).is_err(), "{wat}");
    }
}

/// table64 (i64-indexed tables, part of memory64): every table instruction and `call_indirect` take i64
/// indices; indices of 2^32 and more are out of bounds, not truncated.
#[test]
fn table64_instructions() {
    let engine = Engine::default();
    let m = module(
        &engine,
        r#"(module
          (type $ret (func (result i32)))
          (table $t i64 2 10 funcref)
          (table $u 4 funcref)
          (func $seven (result i32) (i32.const 7))
          (func $nine (result i32) (i32.const 9))
          (elem (table $t) (i64.const 0) func $seven)
          (elem $e func $nine)
          (func (export "call") (param i64) (result i32) (call_indirect $t (type $ret) (local.get 0)))
          (func (export "size") (result i64) (table.size $t))
          (func (export "grow") (param i64) (result i64) (table.grow $t (ref.null func) (local.get 0)))
          (func (export "is_null") (param i64) (result i32) (ref.is_null (table.get $t (local.get 0))))
          (func (export "set") (param i64) (table.set $t (local.get 0) (ref.func $nine)))
          (func (export "fill") (param i64 i64) (table.fill $t (local.get 0) (ref.func $seven) (local.get 1)))
          (func (export "copy_in") (param i64 i32 i32) (table.copy $t $u (local.get 0) (local.get 1) (local.get 2)))
          (func (export "init") (param i64) (table.init $t $e (local.get 0) (i32.const 0) (i32.const 1)))
          (func (export "put_u") (param i32) (table.set $u (local.get 0) (ref.func $nine))))"#,
    );
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine).instantiate(&mut store, &m).unwrap();
    let call = inst.get_typed_func::<i64, i32>(&store, "call").unwrap();
    let size = inst.get_typed_func::<(), i64>(&store, "size").unwrap();
    let grow = inst.get_typed_func::<i64, i64>(&store, "grow").unwrap();
    let is_null = inst.get_typed_func::<i64, i32>(&store, "is_null").unwrap();
    let set = inst.get_typed_func::<i64, ()>(&store, "set").unwrap();
    let fill = inst.get_typed_func::<(i64, i64), ()>(&store, "fill").unwrap();
    let copy_in = inst.get_typed_func::<(i64, i32, i32), ()>(&store, "copy_in").unwrap();
    let init = inst.get_typed_func::<i64, ()>(&store, "init").unwrap();
    let put_u = inst.get_typed_func::<i32, ()>(&store, "put_u").unwrap();

    assert_eq!(call.call(&mut store, 0).unwrap(), 7);
    assert!(call.call(&mut store, 1 << 32).is_err(), "2^32 is not index 0");
    assert!(call.call(&mut store, 1).is_err(), "null element");
    assert_eq!(size.call(&mut store, ()).unwrap(), 2);
    assert_eq!(grow.call(&mut store, 3).unwrap(), 2);
    assert_eq!(grow.call(&mut store, 1 << 32).unwrap(), -1);
    assert_eq!(grow.call(&mut store, 6).unwrap(), -1, "maximum is 10");
    assert_eq!(size.call(&mut store, ()).unwrap(), 5);
    assert_eq!(is_null.call(&mut store, 4).unwrap(), 1);
    assert!(is_null.call(&mut store, (1 << 32) + 1).is_err());
    set.call(&mut store, 4).unwrap();
    assert_eq!(call.call(&mut store, 4).unwrap(), 9);
    assert!(set.call(&mut store, -1).is_err());
    fill.call(&mut store, (1, 2)).unwrap();
    assert_eq!(call.call(&mut store, 2).unwrap(), 7);
    assert!(fill.call(&mut store, (1, 1 << 32)).is_err(), "a length of 2^32 is not 0");
    put_u.call(&mut store, 3).unwrap();
    copy_in.call(&mut store, (0, 3, 1)).unwrap();
    assert_eq!(call.call(&mut store, 0).unwrap(), 9);
    assert!(copy_in.call(&mut store, (1 << 32, 0, 0)).is_err(), "destination 2^32 is out of bounds");
    init.call(&mut store, 3).unwrap();
    assert_eq!(call.call(&mut store, 3).unwrap(), 9);
}
