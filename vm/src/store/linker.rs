//! The linker: a namespace of definitions (host functions and other instances' exports) that satisfies a
//! module's imports by name.

use std::sync::Arc;

use hashbrown::HashMap;

use super::{AsContextMut, Caller, Extern, Instance, IntoFunc, RawHostFn, Store};
use crate::engine::Engine;
use crate::error::{Error, Result, Trap};
use crate::module::Module;
use crate::types::{FuncType, ValType};
use crate::value::Val;

enum Definition {
    Extern(Extern),
    /// A host function, instantiated into each store that uses it.
    Host(FuncType, Arc<RawHostFn>),
}

impl Clone for Definition {
    fn clone(&self) -> Self {
        match self {
            Definition::Extern(e) => Definition::Extern(e.clone()),
            Definition::Host(t, f) => Definition::Host(t.clone(), f.clone()),
        }
    }
}

/// Resolves imports by `(module, name)`. Host functions defined here work in any store of data type `T`,
/// so one linker can instantiate a module in the stores of many threads.
pub struct Linker<T> {
    engine: Engine,
    defs: HashMap<(String, String), Definition>,
    shadowing: bool,
    _marker: std::marker::PhantomData<fn(T)>,
}

impl<T> Clone for Linker<T> {
    fn clone(&self) -> Self {
        Self {
            engine: self.engine.clone(),
            defs: self.defs.clone(),
            shadowing: self.shadowing,
            _marker: Default::default(),
        }
    }
}

impl<T: 'static> Linker<T> {
    /// An empty linker.
    pub fn new(engine: &Engine) -> Self {
        Self { engine: engine.clone(), defs: HashMap::new(), shadowing: false, _marker: Default::default() }
    }

    /// Allow later definitions to replace earlier ones with the same name.
    pub fn allow_shadowing(&mut self, yes: bool) -> &mut Self {
        self.shadowing = yes;
        self
    }

    fn insert(&mut self, module: &str, name: &str, def: Definition) -> Result<&mut Self> {
        let key = (module.to_string(), name.to_string());
        if !self.shadowing && self.defs.contains_key(&key) {
            return Err(Error::api(format!("{module}.{name} is already defined")));
        }
        self.defs.insert(key, def);
        Ok(self)
    }

    /// Define `module.name` as an extern.
    pub fn define(&mut self, module: &str, name: &str, ext: impl Into<Extern>) -> Result<&mut Self> {
        self.insert(module, name, Definition::Extern(ext.into()))
    }

    /// Define a host function from a typed closure.
    pub fn func_wrap<Params, Results>(
        &mut self,
        module: &str,
        name: &str,
        f: impl IntoFunc<T, Params, Results>,
    ) -> Result<&mut Self> {
        let super::typed::HostFuncDef(ty, raw) = f.into_raw();
        self.insert(module, name, Definition::Host(ty, raw))
    }

    /// Define a host function with a dynamic signature.
    pub fn func_new(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Trap> + Send + Sync + 'static,
    ) -> Result<&mut Self> {
        // Build the raw function through a throwaway store-independent path.
        let raw = super::func::raw_host_dynamic(ty.clone(), f);
        self.insert(module, name, Definition::Host(ty, raw))
    }

    /// Define a host function that works on raw slots (for runtimes that marshal values themselves).
    ///
    /// The arguments are in `slots` (one slot per value, two for a `v128`, low half first); the function
    /// writes its results over them from slot 0. An i32 or f32 argument has its high 32 bits zero, and an
    /// i32 or f32 result is taken from the low 32 bits of its slot (the high ones are cleared after the call).
    pub fn func_raw(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &mut [u64]) -> Result<(), Trap> + Send + Sync + 'static,
    ) -> Result<&mut Self> {
        // The slots of 32-bit results: the interpreter keeps 32-bit values zero-extended in slots.
        let mut narrow = Vec::new();
        let mut at = 0;
        for t in ty.results() {
            if matches!(t, ValType::I32 | ValType::F32) {
                narrow.push(at);
            }
            at += t.slots() as usize;
        }
        let raw = super::func::raw_host(move |caller: Caller<'_, T>, slots: &mut [u64]| {
            f(caller, slots)?;
            for &i in &narrow {
                slots[i] &= u32::MAX as u64;
            }
            Ok(())
        });
        self.insert(module, name, Definition::Host(ty, raw))
    }

    /// Define every export of `instance` under the module name `module`.
    pub fn instance(&mut self, store: &Store<T>, module: &str, instance: Instance) -> Result<&mut Self> {
        for (name, ext) in instance.exports(store) {
            self.define(module, &name, ext)?;
        }
        Ok(self)
    }

    /// Is `module.name` defined?
    pub fn contains(&self, module: &str, name: &str) -> bool {
        self.defs.contains_key(&(module.to_string(), name.to_string()))
    }

    /// Resolve one import into `store`.
    pub fn get(&self, mut store: impl AsContextMut<Data = T>, module: &str, name: &str) -> Option<Extern> {
        match self.defs.get(&(module.to_string(), name.to_string()))? {
            Definition::Extern(e) => Some(e.clone()),
            Definition::Host(ty, f) => Some(Extern::Func(store.inner_mut().push_host(ty.clone(), f.clone()))),
        }
    }

    /// Resolve all imports of `module` into `store`, in order.
    /// Every missing import is named in the error, with the type the module expects.
    pub fn resolve_imports(&self, mut store: impl AsContextMut<Data = T>, module: &Module) -> Result<Vec<Extern>> {
        let mut found = Vec::with_capacity(module.inner.imports.len());
        let mut missing = Vec::new();
        for i in &module.inner.imports {
            match self.get(&mut store, &i.module, &i.name) {
                Some(e) => found.push(e),
                None => missing.push(format!("{}.{} {}", i.module, i.name, module.inner.entity_type(i.index))),
            }
        }
        match missing.len() {
            0 => Ok(found),
            1 => Err(Error::link(format!("unknown import: {} is not defined", missing[0]))),
            n => Err(Error::link(format!("{n} unknown imports are not defined: {}", missing.join(", ")))),
        }
    }

    /// Instantiate `module`, resolving its imports here.
    pub fn instantiate(&self, mut store: impl AsContextMut<Data = T>, module: &Module) -> Result<Instance> {
        if !module.engine().same(&self.engine) {
            return Err(Error::api("module was compiled for a different engine"));
        }
        let imports = self.resolve_imports(&mut store, module)?;
        Instance::new(store, module, &imports)
    }
}

macro_rules! extern_from {
    ($($t:ident),*) => {$(
        impl From<super::$t> for Extern {
            fn from(v: super::$t) -> Self { Extern::$t(v) }
        }
    )*};
}
extern_from!(Func, Global, Memory, Table, SharedMemory, SharedTable, Tag);
