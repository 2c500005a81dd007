//! A harness for calling WASI functions from wasm: the test module imports the whole preview1
//! set (so it also checks that every name links with the signature wasi-libc uses) and exports
//! `w_NAME` calling each import with its arguments. (Host functions only see the caller's memory
//! when wasm calls them, so the tests cannot call the imports directly.)

use wasmvm::{Engine, Instance, Linker, Module, Store, Val, ValType};
use wasmvm_runtime::wasi::{self, Errno, PREVIEW1, WasiCtx, signature};

pub const BADF: i32 = Errno::BADF.0 as i32;
pub const FAULT: i32 = Errno::FAULT.0 as i32;
pub const INVAL: i32 = Errno::INVAL.0 as i32;
pub const NOSYS: i32 = Errno::NOSYS.0 as i32;
pub const NOTSOCK: i32 = Errno::NOTSOCK.0 as i32;
pub const NOTCAPABLE: i32 = Errno::NOTCAPABLE.0 as i32;
pub const SPIPE: i32 = Errno::SPIPE.0 as i32;

/// A module importing all of preview1, with `memory` declared as given and `w_NAME` wrappers.
fn all_imports_module(memory: &str) -> String {
    let mut imports = String::new();
    let mut wrappers = String::new();
    for &(name, ..) in PREVIEW1 {
        let ty = signature(name).unwrap();
        let list = |tys: &[ValType]| tys.iter().map(|t| format!(" {t}")).collect::<String>();
        let (params, results) = (list(ty.params()), list(ty.results()));
        imports += &format!(
            "(import \"wasi_snapshot_preview1\" \"{name}\" (func ${name} (param{params}) (result{results})))\n"
        );
        let gets: String = (0..ty.params().len()).map(|i| format!("(local.get {i})")).collect();
        wrappers += &format!("(func (export \"w_{name}\") (param{params}) (result{results}) (call ${name} {gets}))\n");
    }
    format!("(module\n{imports}{memory}\n{wrappers})")
}

pub struct Guest {
    store: Store<WasiCtx>,
    instance: Instance,
}

impl Guest {
    pub fn new(memory: &str, ctx: WasiCtx) -> Guest {
        let engine = Engine::default();
        let wasm = wat::parse_str(all_imports_module(memory)).unwrap();
        let module = Module::new(&engine, &wasm).unwrap();
        let mut linker = Linker::new(&engine);
        wasi::add_to_linker(&mut linker, |c: &mut WasiCtx| c).unwrap();
        let mut store = Store::new(&engine, ctx);
        let instance = linker.instantiate(&mut store, &module).unwrap();
        Guest { store, instance }
    }

    pub fn with_memory(ctx: WasiCtx) -> Guest {
        Guest::new("(memory (export \"memory\") 1)", ctx)
    }

    /// Call WASI function `name` (through its wrapper); returns the errno.
    pub fn call(&mut self, name: &str, args: &[i64]) -> i32 {
        let ty = signature(name).unwrap();
        let params: Vec<Val> = ty
            .params()
            .iter()
            .zip(args)
            .map(|(t, &a)| if *t == ValType::I64 { Val::I64(a) } else { Val::I32(a as i32) })
            .collect();
        assert_eq!(params.len(), args.len(), "{name} takes {ty}");
        let f = self.instance.get_func(&self.store, &format!("w_{name}")).unwrap();
        let mut results = vec![Val::I32(0); ty.results().len()];
        f.call(&mut self.store, &params, &mut results).unwrap();
        results[0].i32().unwrap()
    }

    pub fn read(&self, addr: u64, len: usize) -> Vec<u8> {
        let m = self.instance.get_memory(&self.store, "memory").unwrap();
        let mut buf = vec![0; len];
        m.read(&self.store, addr, &mut buf).unwrap();
        buf
    }

    pub fn write(&mut self, addr: u64, data: &[u8]) {
        let m = self.instance.get_memory(&self.store, "memory").unwrap();
        m.write(&mut self.store, addr, data).unwrap();
    }

    pub fn u32_at(&self, addr: u64) -> u32 {
        u32::from_le_bytes(self.read(addr, 4).try_into().unwrap())
    }

    pub fn u64_at(&self, addr: u64) -> u64 {
        u64::from_le_bytes(self.read(addr, 8).try_into().unwrap())
    }

    /// An iovec at `at` pointing to `(buf, len)`.
    pub fn iovec(&mut self, at: u64, buf: u32, len: u32) {
        self.write(at, &buf.to_le_bytes());
        self.write(at + 4, &len.to_le_bytes());
    }
}

pub fn ctx() -> WasiCtx {
    WasiCtx::builder().arg("prog").build()
}
