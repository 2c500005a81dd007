//! The runtimes (wasmvm, wasmi, tinywasm) behind one [`Instance`] interface, reporting [`crate::observe`] terms.

use crate::observe::{ExportKind, Outcome, State, TrapKind, Ty, V};

/// An instance in one of the runtimes.
pub(crate) trait Instance {
    fn call(&mut self, name: &str, args: &[V], params: &[Ty], nresults: usize) -> Outcome;
    /// The state of an exported global, table or memory (`None` for functions or if it cannot be read).
    fn state(&self, name: &str, kind: &ExportKind) -> Option<State>;
}

/// A module compiled by one of the runtimes.
pub(crate) enum Compiled<'e> {
    Vm(&'e wasmvm::Engine, wasmvm::Module),
    Wasmi(&'e wasmi::Engine, wasmi::Module),
    Tiny(&'e tinywasm::Engine, tinywasm::Module),
}

/// The runtimes, wasmvm first; the others are references.
pub(crate) const NAMES: [&str; 3] = ["wasmvm", "wasmi", "tinywasm"];

pub(crate) struct Engines {
    vm: wasmvm::Engine,
    wasmi: wasmi::Engine,
    tiny: tinywasm::Engine,
}

impl Engines {
    pub(crate) fn new() -> Self {
        let vm = wasmvm::Engine::new(wasmvm::Config { parallel_translation: false, ..wasmvm::Config::default() });
        // Room for the deepest recursion the fuel allows (so that tinywasm is rarely out of the vote).
        let tiny = tinywasm::engine::Config::new()
            .with_call_stack(tinywasm::StackConfig::dynamic(64, 1 << 14))
            .with_value_stack_32(tinywasm::StackConfig::dynamic(1024, 1 << 22))
            .with_value_stack_64(tinywasm::StackConfig::dynamic(1024, 1 << 22))
            .with_value_stack_128(tinywasm::StackConfig::dynamic(16, 1 << 10));
        let mut wasmi = wasmi::Config::default();
        wasmi.set_max_recursion_depth(1 << 14).set_max_stack_height(1 << 26);
        Self { vm, wasmi: wasmi::Engine::new(&wasmi), tiny: tinywasm::Engine::new(tiny) }
    }

    pub(crate) fn compile(&self, runtime: usize, wasm: &[u8]) -> Result<Compiled<'_>, String> {
        match runtime {
            0 => wasmvm::Module::new(&self.vm, wasm).map(|m| Compiled::Vm(&self.vm, m)).map_err(|e| e.to_string()),
            1 => wasmi::Module::new(&self.wasmi, wasm)
                .map(|m| Compiled::Wasmi(&self.wasmi, m))
                .map_err(|e| e.to_string()),
            _ => tinywasm::parse_bytes(wasm).map(|m| Compiled::Tiny(&self.tiny, m)).map_err(|e| e.to_string()),
        }
    }
}

impl Compiled<'_> {
    pub(crate) fn instantiate(&self) -> Result<Box<dyn Instance>, Outcome> {
        match self {
            Compiled::Vm(engine, module) => {
                let mut store = wasmvm::Store::new(engine, ());
                match wasmvm::Linker::<()>::new(engine).instantiate(&mut store, module) {
                    Ok(instance) => Ok(Box::new(VmInstance { store, instance })),
                    Err(e) => Err(vm_outcome(&e)),
                }
            }
            Compiled::Wasmi(engine, module) => {
                let mut store = wasmi::Store::new(engine, ());
                match wasmi::Linker::<()>::new(engine).instantiate_and_start(&mut store, module) {
                    Ok(instance) => Ok(Box::new(WasmiInstance { store, instance })),
                    Err(e) => Err(wasmi_outcome(&e)),
                }
            }
            Compiled::Tiny(engine, module) => {
                let mut store = tinywasm::Store::new((*engine).clone());
                match tinywasm::ModuleInstance::instantiate(&mut store, module, None) {
                    Ok(instance) => Ok(Box::new(TinyInstance { store, instance })),
                    Err(e) => Err(tiny_outcome(e)),
                }
            }
        }
    }
}

// ----- wasmvm -----

fn vm_val(v: &wasmvm::Val) -> V {
    match *v {
        wasmvm::Val::I32(x) => V::I32(x),
        wasmvm::Val::I64(x) => V::I64(x),
        wasmvm::Val::F32(x) => V::F32(x),
        wasmvm::Val::F64(x) => V::F64(x),
        wasmvm::Val::V128(x) => V::V128(x),
        wasmvm::Val::FuncRef(f) => V::Ref(f.is_some()),
        wasmvm::Val::ExternRef(r) => V::Ref(r.is_some()),
        wasmvm::Val::ExnRef(r) => V::Ref(r.is_some()),
        wasmvm::Val::AnyRef(r) => V::Ref(r.is_some()),
    }
}

fn vm_arg(v: V, t: Ty) -> wasmvm::Val {
    match (v, t) {
        (V::I32(x), _) => wasmvm::Val::I32(x),
        (V::I64(x), _) => wasmvm::Val::I64(x),
        (V::F32(x), _) => wasmvm::Val::F32(x),
        (V::F64(x), _) => wasmvm::Val::F64(x),
        (V::V128(x), _) => wasmvm::Val::V128(x),
        (V::Ref(_), Ty::FuncRef) => wasmvm::Val::FuncRef(None),
        (V::Ref(_), _) => wasmvm::Val::ExternRef(None),
    }
}

fn vm_outcome(e: &wasmvm::Error) -> Outcome {
    use wasmvm::TrapCode as C;
    let Some(trap) = e.as_trap() else { return Outcome::Error(e.to_string()) };
    let Some(code) = trap.code() else { return Outcome::Trap(TrapKind::Other(trap.to_string())) };
    Outcome::Trap(match code {
        C::Unreachable => TrapKind::Unreachable,
        C::MemoryOutOfBounds => TrapKind::MemoryOutOfBounds,
        C::TableOutOfBounds | C::UndefinedElement => TrapKind::TableOutOfBounds,
        C::UninitializedElement => TrapKind::IndirectCallToNull,
        C::IndirectCallTypeMismatch => TrapKind::IndirectCallTypeMismatch,
        C::IntegerDivideByZero => TrapKind::DivideByZero,
        C::IntegerOverflow => TrapKind::IntegerOverflow,
        C::BadConversionToInteger => TrapKind::BadConversion,
        C::StackExhausted => return Outcome::Exhausted,
        other => TrapKind::Other(other.to_string()),
    })
}

struct VmInstance {
    store: wasmvm::Store<()>,
    instance: wasmvm::Instance,
}

impl Instance for VmInstance {
    fn call(&mut self, name: &str, args: &[V], params: &[Ty], nresults: usize) -> Outcome {
        let Some(f) = self.instance.get_func(&self.store, name) else { return Outcome::Error("no func".into()) };
        let args: Vec<wasmvm::Val> = args.iter().zip(params).map(|(v, t)| vm_arg(*v, *t)).collect();
        let mut results = vec![wasmvm::Val::I32(0); nresults];
        match f.call(&mut self.store, &args, &mut results) {
            Ok(()) => Outcome::Values(results.iter().map(vm_val).collect()),
            Err(e) => vm_outcome(&e),
        }
    }

    fn state(&self, name: &str, kind: &ExportKind) -> Option<State> {
        let s = &self.store;
        Some(match kind {
            ExportKind::Func(..) => return None,
            ExportKind::Global => State::Global(vm_val(&self.instance.get_global(s, name)?.get(s).ok()?)),
            ExportKind::Table => {
                let t = self.instance.get_table(s, name)?;
                let n = t.size(s).ok()?;
                State::Table(
                    (0..n).map(|i| t.get(s, i).ok().flatten().is_some_and(|v| vm_val(&v) == V::Ref(true))).collect(),
                )
            }
            ExportKind::Memory => State::Memory(self.instance.get_memory(s, name)?.data(s)?.to_vec()),
        })
    }
}

// ----- wasmi -----

fn wasmi_val(v: &wasmi::Val) -> V {
    match v {
        wasmi::Val::I32(x) => V::I32(*x),
        wasmi::Val::I64(x) => V::I64(*x),
        wasmi::Val::F32(x) => V::F32(x.to_bits()),
        wasmi::Val::F64(x) => V::F64(x.to_bits()),
        wasmi::Val::FuncRef(f) => V::Ref(!f.is_null()),
        wasmi::Val::ExternRef(r) => V::Ref(!r.is_null()),
        wasmi::Val::V128(x) => V::V128(x.as_u128()),
    }
}

fn wasmi_arg(v: V, t: Ty) -> wasmi::Val {
    match (v, t) {
        (V::I32(x), _) => wasmi::Val::I32(x),
        (V::I64(x), _) => wasmi::Val::I64(x),
        (V::F32(x), _) => wasmi::Val::F32(wasmi::F32::from_bits(x)),
        (V::F64(x), _) => wasmi::Val::F64(wasmi::F64::from_bits(x)),
        (V::V128(x), _) => wasmi::Val::V128(x.into()),
        (V::Ref(_), Ty::FuncRef) => wasmi::Val::default_for_ty(wasmi::ValType::FuncRef),
        (V::Ref(_), _) => wasmi::Val::default_for_ty(wasmi::ValType::ExternRef),
    }
}

fn wasmi_outcome(e: &wasmi::Error) -> Outcome {
    use wasmi::TrapCode as C;
    let Some(code) = e.as_trap_code() else { return Outcome::Error(e.to_string()) };
    Outcome::Trap(match code {
        C::UnreachableCodeReached => TrapKind::Unreachable,
        C::MemoryOutOfBounds => TrapKind::MemoryOutOfBounds,
        C::TableOutOfBounds => TrapKind::TableOutOfBounds,
        C::IndirectCallToNull => TrapKind::IndirectCallToNull,
        C::BadSignature => TrapKind::IndirectCallTypeMismatch,
        C::IntegerDivisionByZero => TrapKind::DivideByZero,
        C::IntegerOverflow => TrapKind::IntegerOverflow,
        C::BadConversionToInteger => TrapKind::BadConversion,
        C::StackOverflow | C::OutOfSystemMemory => return Outcome::Exhausted,
        other => TrapKind::Other(format!("{other:?}")),
    })
}

struct WasmiInstance {
    store: wasmi::Store<()>,
    instance: wasmi::Instance,
}

impl Instance for WasmiInstance {
    fn call(&mut self, name: &str, args: &[V], params: &[Ty], nresults: usize) -> Outcome {
        let Some(f) = self.instance.get_func(&self.store, name) else { return Outcome::Error("no func".into()) };
        let args: Vec<wasmi::Val> = args.iter().zip(params).map(|(v, t)| wasmi_arg(*v, *t)).collect();
        let mut results = vec![wasmi::Val::I32(0); nresults];
        match f.call(&mut self.store, &args, &mut results) {
            Ok(()) => Outcome::Values(results.iter().map(wasmi_val).collect()),
            Err(e) => wasmi_outcome(&e),
        }
    }

    fn state(&self, name: &str, kind: &ExportKind) -> Option<State> {
        let s = &self.store;
        Some(match kind {
            ExportKind::Func(..) => return None,
            ExportKind::Global => State::Global(wasmi_val(&self.instance.get_global(s, name)?.get(s))),
            ExportKind::Table => {
                let t = self.instance.get_table(s, name)?;
                let n = t.size(s);
                State::Table((0..n).map(|i| t.get(s, i).is_some_and(|r| r.is_non_null())).collect())
            }
            ExportKind::Memory => State::Memory(self.instance.get_memory(s, name)?.data(s).to_vec()),
        })
    }
}

// ----- tinywasm (the tie-breaker) -----

fn tiny_val(v: &tinywasm::types::WasmValue) -> V {
    use tinywasm::types::WasmValue as W;
    match v {
        W::I32(x) => V::I32(*x),
        W::I64(x) => V::I64(*x),
        W::F32(x) => V::F32(x.to_bits()),
        W::F64(x) => V::F64(x.to_bits()),
        W::RefFunc(f) => V::Ref(!f.is_null()),
        W::RefExtern(r) => V::Ref(!r.is_null()),
        W::V128(x) => V::V128(u128::from_le_bytes(*x)),
    }
}

fn tiny_arg(v: V, t: Ty) -> tinywasm::types::WasmValue {
    use tinywasm::types::WasmValue as W;
    match (v, t) {
        (V::I32(x), _) => W::I32(x),
        (V::I64(x), _) => W::I64(x),
        (V::F32(x), _) => W::F32(f32::from_bits(x)),
        (V::F64(x), _) => W::F64(f64::from_bits(x)),
        (V::V128(x), _) => W::V128(x.to_le_bytes()),
        (V::Ref(_), Ty::FuncRef) => W::RefFunc(tinywasm::types::FuncRef::null()),
        (V::Ref(_), _) => W::RefExtern(tinywasm::types::ExternRef::null()),
    }
}

fn tiny_outcome(e: tinywasm::Error) -> Outcome {
    use tinywasm::Trap as T;
    let tinywasm::Error::Trap(trap) = e else { return Outcome::Error(e.to_string()) };
    Outcome::Trap(match trap {
        T::Unreachable => TrapKind::Unreachable,
        T::MemoryOutOfBounds { .. } => TrapKind::MemoryOutOfBounds,
        T::TableOutOfBounds { .. } | T::UndefinedElement { .. } => TrapKind::TableOutOfBounds,
        T::UninitializedElement { .. } => TrapKind::IndirectCallToNull,
        T::IndirectCallTypeMismatch { .. } => TrapKind::IndirectCallTypeMismatch,
        T::DivisionByZero => TrapKind::DivideByZero,
        T::IntegerOverflow => TrapKind::IntegerOverflow,
        T::InvalidConversionToInt => TrapKind::BadConversion,
        T::CallStackOverflow | T::ValueStackOverflow | T::OutOfMemory => return Outcome::Exhausted,
        other => TrapKind::Other(other.message().to_string()),
    })
}

struct TinyInstance {
    store: tinywasm::Store,
    instance: tinywasm::ModuleInstance,
}

impl Instance for TinyInstance {
    fn call(&mut self, name: &str, args: &[V], params: &[Ty], _nresults: usize) -> Outcome {
        let Ok(f) = self.instance.func_untyped(&self.store, name) else { return Outcome::Error("no func".into()) };
        let args: Vec<_> = args.iter().zip(params).map(|(v, t)| tiny_arg(*v, *t)).collect();
        match f.call(&mut self.store, &args) {
            Ok(results) => Outcome::Values(results.iter().map(tiny_val).collect()),
            Err(e) => tiny_outcome(e),
        }
    }

    fn state(&self, name: &str, kind: &ExportKind) -> Option<State> {
        let s = &self.store;
        Some(match kind {
            ExportKind::Func(..) => return None,
            ExportKind::Global => State::Global(tiny_val(&self.instance.global_get(s, name).ok()?)),
            ExportKind::Table => {
                let t = self.instance.table(name).ok()?;
                let n = t.size(s).ok()?;
                State::Table((0..n).map(|i| t.get(s, i as u32).is_ok_and(|v| tiny_val(&v) == V::Ref(true))).collect())
            }
            ExportKind::Memory => {
                let m = self.instance.memory(name).ok()?;
                State::Memory(m.read_vec(s, 0, m.len(s).ok()?).ok()?)
            }
        })
    }
}
