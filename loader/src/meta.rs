//! What the linker needs to know about a module before instantiating it.
//!
//! Symbols must be resolved for a whole group of modules (a library and its `NEEDED` dependencies, which may
//! import from one another in a cycle) before any of them is instantiated. So the loader reads, from the
//! binary: which function index each function export names (a function pointer is `(slot, index)`), and the
//! constant value of each exported global (a data symbol's address relative to `__memory_base`). Types
//! come from the compiled [`wasmvm::Module`].

use std::collections::HashMap;

use wasmparser::{ExternalKind, KnownCustom, Name, Operator, Parser, Payload};
use wasmvm::{ExternType, ImportType, Module};

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
    pub(crate) fn new(module: &Module, bytes: &[u8]) -> Result<Meta, String> {
        let imports: Vec<ImportType> = module.imports().collect();
        let num_func_imports = imports.iter().filter(|i| matches!(i.ty, ExternType::Func(_))).count() as u32;
        let num_global_imports = imports.iter().filter(|i| matches!(i.ty, ExternType::Global(_))).count() as u32;
        let types: HashMap<String, ExternType> = module.exports().map(|e| (e.name, e.ty)).collect();
        let mut consts: Vec<Option<i64>> = Vec::new();
        let mut raw_exports = Vec::new();
        let mut links_dlmalloc = false;
        let mut defines_memory = false;
        for payload in Parser::new(0).parse_all(bytes) {
            match payload.map_err(|e| e.message().to_string())? {
                Payload::GlobalSection(r) => {
                    for g in r {
                        let g = g.map_err(|e| e.message().to_string())?;
                        let mut ops = g.init_expr.get_operators_reader();
                        let value = match (ops.read(), ops.read()) {
                            (Ok(Operator::I32Const { value }), Ok(Operator::End)) => Some(value as i64),
                            (Ok(Operator::I64Const { value }), Ok(Operator::End)) => Some(value),
                            _ => None,
                        };
                        consts.push(value);
                    }
                }
                Payload::MemorySection(r) => defines_memory = r.count() > 0,
                Payload::CustomSection(c) => {
                    if let KnownCustom::Name(names) = c.as_known() {
                        for n in names.flatten() {
                            if let Name::Function(map) = n {
                                links_dlmalloc |= map.into_iter().flatten().any(|f| f.name == "dlmalloc");
                            }
                        }
                    }
                }
                Payload::ExportSection(r) => {
                    for e in r {
                        let e = e.map_err(|e| e.message().to_string())?;
                        raw_exports.push((e.name.to_string(), e.kind, e.index));
                    }
                }
                _ => {}
            }
        }
        let exports = raw_exports
            .into_iter()
            .filter_map(|(name, kind, index)| {
                let ty = types.get(&name)?.clone();
                let kind = match kind {
                    ExternalKind::Func | ExternalKind::FuncExact => ExportKind::Func { index },
                    ExternalKind::Global => {
                        let value = index
                            .checked_sub(num_global_imports)
                            .and_then(|i| consts.get(i as usize).copied().flatten());
                        ExportKind::Global { value }
                    }
                    _ => ExportKind::Other,
                };
                Some((name, kind, ty))
            })
            .collect();
        Ok(Meta { imports, exports, num_func_imports, links_dlmalloc, defines_memory })
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
