//! Symbols: what each module defines, and the global scope in which imports are looked up.
//!
//! A module's symbols are its exports, read the way wasm-ld and Emscripten write them:
//! - a function export is a function symbol;
//! - an immutable `i32` global export with a constant value is a data symbol whose value is an address
//!   relative to the module's `__memory_base` (absolute for a non-PIC main program, whose base is 0), or,
//!   if `dylink.0` flags it `[tls]`, an offset from the module's `__tls_base`;
//! - any other global export is a real wasm global (imported as `env.<name>`).
//!
//! Exports that belong to the loader ABI rather than to the program (`__wasm_call_ctors`, `__tls_size`,
//! `__memory_base`, ...) are not symbols: every module has its own, and none should interpose another's.
//!
//! The global scope maps a name to its first definition in load order (ELF's rule: the first module that
//! defines a symbol wins, so the main program interposes libraries).

use std::collections::HashMap;

use wasmvm::{ExternType, FuncType, GlobalType, ValType};

use crate::dylink::Dylink;
use crate::meta::{ExportKind, Meta};

/// A module's number: its funcref slot in every thread's store.
pub type ModId = u32;

/// Where a symbol is defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Def {
    /// A function: index in its module's function index space.
    Func { module: ModId, index: u32, ty: FuncType },
    /// Data at an absolute address.
    Data { module: ModId, addr: u32 },
    /// Thread-local data: offset from the module's `__tls_base` (different on every thread).
    Tls { module: ModId, offset: u32 },
    /// A real wasm global export.
    Global { module: ModId, ty: GlobalType },
}

impl Def {
    pub(crate) fn module(&self) -> ModId {
        match self {
            Def::Func { module, .. } | Def::Data { module, .. } | Def::Tls { module, .. } => *module,
            Def::Global { module, .. } => *module,
        }
    }
}

/// Is `name` part of the loader ABI rather than a program symbol?
pub(crate) fn is_abi_export(name: &str) -> bool {
    name.starts_with("__wasm_")
        || matches!(
            name,
            "__tls_base"
                | "__tls_size"
                | "__tls_align"
                | "__stack_pointer"
                | "__memory_base"
                | "__table_base"
                | "__indirect_function_table"
                | "__dso_handle"
                | "memory"
                | "emscripten_tls_init"
                | "_emscripten_tls_init"
        )
}

/// The symbols module `id` defines, with data addresses made absolute with `memory_base`.
pub(crate) fn module_symbols(id: ModId, meta: &Meta, dylink: Option<&Dylink>, memory_base: u32) -> Vec<(String, Def)> {
    let mut out = Vec::new();
    for (name, kind, ty) in &meta.exports {
        if is_abi_export(name) {
            continue;
        }
        let def = match (kind, ty) {
            // Re-exports of imports are defined elsewhere.
            (ExportKind::Func { index }, ExternType::Func(ft)) if *index >= meta.num_func_imports => {
                Def::Func { module: id, index: *index, ty: ft.clone() }
            }
            (ExportKind::Func { .. }, _) => continue,
            (ExportKind::Global { value: Some(v), .. }, ExternType::Global(g))
                if g.content == ValType::I32 && !g.mutable =>
            {
                let v = *v as u32;
                if dylink.is_some_and(|d| d.tls_export(name)) {
                    Def::Tls { module: id, offset: v }
                } else {
                    Def::Data { module: id, addr: memory_base.wrapping_add(v) }
                }
            }
            (ExportKind::Global { .. }, ExternType::Global(g)) => Def::Global { module: id, ty: *g },
            _ => continue,
        };
        out.push((name.clone(), def));
    }
    out
}

/// Names to definitions, first definition wins.
#[derive(Debug, Default, Clone)]
pub(crate) struct Scope {
    map: HashMap<String, Def>,
}

impl Scope {
    /// Add a definition unless the name is already defined.
    pub(crate) fn define(&mut self, name: &str, def: &Def) {
        if !self.map.contains_key(name) {
            self.map.insert(name.to_string(), def.clone());
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Def> {
        self.map.get(name)
    }
}
