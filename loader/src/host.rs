//! Host functions: the loader's built-ins and the embedder's [`Linker`](wasmvm::Linker).
//!
//! Host functions are created in each thread's store when a module that imports them is instantiated there.
//! The embedder's functions are created once per store; the built-ins once per store *and importing
//! module*, so that they know which module called them (to name it in traps and log lines).
//! The embedder's linker takes precedence over the built-ins. The built-ins are declared here (names and
//! signatures, what import resolution needs) and implemented in [`builtins`](crate::builtins), above: this
//! module creates them through the function the address space was given (`SpaceInner::builtins`).

use wasmvm::{Func, FuncType, ValType};

use crate::state::{Ctx, SpaceInner};
use crate::symbols::ModId;

/// Cache key of the embedder's functions (not per importing module).
const SHARED: ModId = ModId::MAX;

/// Is `module.name` a host function (embedder's or built-in)?
pub(crate) fn defined(space: &SpaceInner, module: &str, name: &str) -> bool {
    space.host.contains(module, name) || builtin_signature(module, name).is_some()
}

/// The signature of the host function `module.name`.
pub(crate) fn func_type<C: Ctx>(cx: &mut C, module: &str, name: &str) -> Option<FuncType> {
    if !cx.thread().space.host.contains(module, name) {
        return builtin_signature(module, name);
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
        (space.builtins)(&mut *cx, &space, importer, module, name)?
    };
    cx.thread_mut().host.insert(key, f);
    Some(f)
}

const I32: ValType = ValType::I32;

/// The built-ins: name, signature, and whether `env.<name>` is one too (not for `log`: that is libm's).
const BUILTINS: &[(&str, &[ValType], &[ValType], bool)] = &[
    ("dlopen", &[I32, I32], &[I32], true),
    ("dlsym", &[I32, I32], &[I32], true),
    ("dlclose", &[I32], &[I32], true),
    ("dlerror", &[], &[I32], true),
    ("malloc", &[I32], &[I32], true),
    ("free", &[I32], &[], true),
    ("calloc", &[I32, I32], &[I32], true),
    ("realloc", &[I32, I32], &[I32], true),
    ("aligned_alloc", &[I32, I32], &[I32], true),
    ("posix_memalign", &[I32, I32, I32], &[I32], true),
    ("malloc_usable_size", &[I32], &[I32], true),
    ("free_sized", &[I32, I32], &[], true),
    ("free_aligned_sized", &[I32, I32, I32], &[], true),
    ("log", &[I32, I32, I32], &[], false),
    // What a relocated module's own `sbrk` becomes (`reloc::INTERPOSED`).
    ("sbrk", &[I32], &[I32], false),
    // What a relocated module's `memory.size` and `memory.grow` become (`reloc::MEMORY_SIZE`, `MEMORY_GROW`).
    ("__relocated_memory_size", &[I32], &[I32], false),
    ("__relocated_memory_grow", &[I32, I32], &[I32], false),
    // Emscripten's runtime allocates side modules' TLS blocks with this.
    ("emscripten_builtin_memalign", &[I32, I32], &[I32], true),
];

/// The signature of the built-in `module.name`, if there is one.
pub(crate) fn builtin_signature(module: &str, name: &str) -> Option<FuncType> {
    let (_, p, r, env) = BUILTINS.iter().find(|(n, ..)| *n == name)?;
    match module {
        "wasmvm" => {}
        "env" if *env => {}
        _ => return None,
    }
    Some(FuncType::new(p.iter().copied(), r.iter().copied()))
}
