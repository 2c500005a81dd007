//! Host functions: the loader's built-ins and the embedder's [`Linker`](wasmvm::Linker).
//!
//! Host functions are created in each thread's store when a module that imports them is instantiated there.
//! The embedder's functions are created once per store; the built-ins once per store *and importing
//! module*, so that they know which module called them (to name it in traps and log lines).
//! The embedder's linker takes precedence over the built-ins.

use wasmvm::{Func, FuncType};

use crate::space::SpaceInner;
use crate::symbols::ModId;
use crate::thread::Ctx;

/// Cache key of the embedder's functions (not per importing module).
const SHARED: ModId = ModId::MAX;

/// Is `module.name` a host function (embedder's or built-in)?
pub(crate) fn defined(space: &SpaceInner, module: &str, name: &str) -> bool {
    space.host.contains(module, name) || crate::builtins::signature(module, name).is_some()
}

/// The signature of the host function `module.name`.
pub(crate) fn func_type<C: Ctx>(cx: &mut C, module: &str, name: &str) -> Option<FuncType> {
    if !cx.thread().space.host.contains(module, name) {
        return crate::builtins::signature(module, name);
    }
    let f = func(cx, SHARED, module, name)?;
    f.ty(&*cx).ok()
}

/// The host function `module.name` in this thread's store, for module `importer`.
pub(crate) fn func<C: Ctx>(cx: &mut C, importer: ModId, module: &str, name: &str) -> Option<Func> {
    let space = cx.thread().space.clone();
    let embedder = space.host.contains(module, name);
    let key = (if embedder { SHARED } else { importer }, module.to_string(), name.to_string());
    if let Some(f) = cx.thread().host.get(&key) {
        return Some(*f);
    }
    let f = if embedder {
        space.host.get(&mut *cx, module, name)?.into_func()?
    } else {
        crate::builtins::make(cx, importer, module, name)?
    };
    cx.thread_mut().host.insert(key, f);
    Some(f)
}
