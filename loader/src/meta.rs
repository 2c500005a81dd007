//! What the linker needs to know about a module before instantiating it.
//!
//! Symbols must be resolved for a whole group of modules (a library and its `NEEDED` dependencies, which may
//! import from one another in a cycle) before any of them is instantiated. So the loader takes from the
//! compiled [`wasmvm::Module`] (which decoded it once): which function index each function export names (a
//! function pointer is `(slot, index)`, [`wasmvm::raw_funcref`]), and the constant value of each exported
//! global (a data symbol's address relative to `__memory_base`, [`Module::const_global`]).

use wasmvm::{ExportIndex, ExternType, ImportType, Module, Val};

/// An export, as the linker sees it.
#[derive(Debug, Clone)]
pub(crate) enum ExportKind {
    /// A function: its index in the module's function index space.
    Func { index: u32 },
    /// A global: its initial value if it is a constant.
    Global { value: Option<i64> },
    /// A memory, table or tag: not a symbol.
    Other,
}

/// Imports and exports of a module.
#[derive(Debug, Clone)]
pub(crate) struct Meta {
    pub imports: Vec<ImportType>,
    pub exports: Vec<(String, ExportKind, ExternType)>,
    pub num_func_imports: u32,
    /// The `name` section names a function `dlmalloc`: wasi-libc's allocator is linked in.
    pub links_dlmalloc: bool,
    /// The module defines a memory of its own (a memory section).
    pub defines_memory: bool,
}

impl Meta {
    pub(crate) fn new(module: &Module) -> Meta {
        let imports: Vec<ImportType> = module.imports().collect();
        let num_func_imports = imports.iter().filter(|i| matches!(i.ty, ExternType::Func(_))).count() as u32;
        let exports = module
            .export_indices()
            .zip(module.exports())
            .map(|((name, index), e)| {
                let kind = match index {
                    ExportIndex::Func(index) => ExportKind::Func { index },
                    ExportIndex::Global(index) => ExportKind::Global {
                        value: match module.const_global(index) {
                            Some(Val::I32(v)) => Some(v as i64),
                            Some(Val::I64(v)) => Some(v),
                            _ => None,
                        },
                    },
                    _ => ExportKind::Other,
                };
                (name.to_string(), kind, e.ty)
            })
            .collect();
        let links_dlmalloc = module.func_names().any(|(_, n)| n == "dlmalloc");
        let defines_memory = module.num_defined_memories() > 0;
        Meta { imports, exports, num_func_imports, links_dlmalloc, defines_memory }
    }

    /// The export `name`.
    pub(crate) fn export(&self, name: &str) -> Option<(&ExportKind, &ExternType)> {
        self.exports.iter().find(|(n, _, _)| n == name).map(|(_, k, t)| (k, t))
    }

    /// The constant value of the exported global `name` (e.g. `__tls_size`).
    pub(crate) fn const_global(&self, name: &str) -> Option<i64> {
        match self.export(name)? {
            (ExportKind::Global { value, .. }, _) => *value,
            _ => None,
        }
    }

    /// Does the module import its memory?
    pub(crate) fn memory_import(&self) -> Option<&ImportType> {
        self.imports.iter().find(|i| matches!(i.ty, ExternType::Memory(_)))
    }

    /// Does the module import a table?
    pub(crate) fn table_import(&self) -> Option<&ImportType> {
        self.imports.iter().find(|i| matches!(i.ty, ExternType::Table(_)))
    }
}
