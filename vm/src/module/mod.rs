//! Modules: decode and validate with `wasmparser`, then translate every function body to wasmvm bytecode.
//!
//! A [`Module`] is immutable after creation, `Send + Sync`, and cheap to clone (`Arc`): any number of stores
//! on any number of threads instantiate the same compiled code.

mod const_expr;
mod parse;

use std::sync::Arc;

pub(crate) use const_expr::{ConstExpr, ConstOp, no_objects};

use crate::engine::{Engine, TypeId};
use crate::error::{Error, Result};
use crate::translate::CompiledFunc;
use crate::types::{ExternType, FuncType, GlobalType, MemoryType, TableType, ValType};

/// A compiled WebAssembly module.
#[derive(Clone)]
pub struct Module {
    pub(crate) inner: Arc<ModuleInner>,
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module").field("name", &self.inner.name).finish_non_exhaustive()
    }
}

/// What a module imports.
#[derive(Debug, Clone)]
pub struct ImportType {
    /// The first part of the import's name (e.g. `wasi_snapshot_preview1`), the namespace a linker looks in.
    pub module: String,
    /// The second part of the import's name (e.g. `fd_write`).
    pub name: String,
    /// What the module expects to be given, checked at instantiation.
    pub ty: ExternType,
}

/// What a module exports.
#[derive(Debug, Clone)]
pub struct ExportType {
    /// The name under which an instance offers the entity.
    pub name: String,
    /// What the entity is.
    pub ty: ExternType,
}

/// The kind and index of an export or import in its index space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntityIndex {
    Func(u32),
    Table(u32),
    Memory(u32),
    Global(u32),
    Tag(u32),
}

#[derive(Debug, Clone)]
pub(crate) struct Import {
    pub module: String,
    pub name: String,
    pub index: EntityIndex,
}

#[derive(Debug, Clone)]
pub(crate) struct GlobalDef {
    pub ty: GlobalType,
    /// Initialiser; `None` for imported globals.
    pub init: Option<ConstExpr>,
}

#[derive(Debug, Clone)]
pub(crate) struct TableDef {
    pub ty: TableType,
    /// Initial element value; `None` means null (and for imported tables).
    pub init: Option<ConstExpr>,
}

#[derive(Debug, Clone)]
pub(crate) enum SegmentMode {
    Passive,
    Active { index: u32, offset: ConstExpr },
    Declared,
}

#[derive(Debug, Clone)]
pub(crate) struct ElemSegment {
    pub mode: SegmentMode,
    pub items: Box<[ConstExpr]>,
}

#[derive(Debug, Clone)]
pub(crate) struct DataSegment {
    pub mode: SegmentMode,
    pub bytes: Arc<[u8]>,
}

/// Everything known about a module after decoding, plus its translated code.
pub(crate) struct ModuleInner {
    pub engine: Engine,
    pub name: Option<String>,
    /// The type section.
    pub types: Vec<FuncType>,
    /// Engine-wide ids of the type section's signatures.
    pub type_ids: Vec<TypeId>,
    /// The run-time description of each type (kind, layout, supertypes), by type index.
    pub type_defs: Vec<Arc<crate::gc::TypeDef>>,
    pub imports: Vec<Import>,
    /// Type index of every function (imported first).
    pub funcs: Vec<u32>,
    pub num_imported_funcs: u32,
    pub tables: Vec<TableDef>,
    pub num_imported_tables: u32,
    pub memories: Vec<MemoryType>,
    pub num_imported_memories: u32,
    pub globals: Vec<GlobalDef>,
    pub num_imported_globals: u32,
    /// Type index of every tag (imported first).
    pub tags: Vec<u32>,
    pub num_imported_tags: u32,
    pub exports: Vec<(String, EntityIndex)>,
    pub start: Option<u32>,
    pub elems: Vec<ElemSegment>,
    pub datas: Vec<DataSegment>,
    /// Translated bodies of the defined functions.
    pub code: Vec<CompiledFunc>,
    /// Indices into `code`, ordered by code address (the unwinder's lookup from an instruction address).
    pub code_by_addr: Vec<u32>,
    /// Function names from the `name` section.
    pub func_names: hashbrown::HashMap<u32, String>,
    /// Raw custom sections (name, bytes), e.g. `dylink.0` for the loader.
    pub custom_sections: Vec<(String, Arc<[u8]>)>,
}

impl ModuleInner {
    pub(crate) fn func_type(&self, func: u32) -> &FuncType {
        &self.types[self.funcs[func as usize] as usize]
    }
    pub(crate) fn func_type_id(&self, func: u32) -> TypeId {
        self.type_ids[self.funcs[func as usize] as usize]
    }
    pub(crate) fn entity_type(&self, index: EntityIndex) -> ExternType {
        match index {
            EntityIndex::Func(f) => ExternType::Func(self.func_type(f).clone()),
            EntityIndex::Table(t) => ExternType::Table(self.tables[t as usize].ty),
            EntityIndex::Memory(m) => ExternType::Memory(self.memories[m as usize]),
            EntityIndex::Global(g) => ExternType::Global(self.globals[g as usize].ty),
            EntityIndex::Tag(t) => ExternType::Tag(self.tag_type(t).clone()),
        }
    }
    /// The translated function whose code contains `ip` (for the unwinder: a binary search, run only
    /// when an exception is thrown).
    pub(crate) fn func_containing(&self, ip: *const u8) -> Option<&CompiledFunc> {
        let addr = ip as usize;
        let after = self.code_by_addr.partition_point(|&i| self.code[i as usize].code.as_ptr() as usize <= addr);
        let c = &self.code[*self.code_by_addr.get(after.checked_sub(1)?)? as usize];
        (addr < c.code.as_ptr() as usize + c.code.len()).then_some(c)
    }
    pub(crate) fn tag_type(&self, tag: u32) -> &FuncType {
        &self.types[self.tags[tag as usize] as usize]
    }
}

impl Module {
    /// Check that `bytes` is a valid module for `engine` (its proposals) without translating it: what
    /// [`Module::new`] would refuse as malformed or invalid, for a fraction of its cost.
    pub fn validate(engine: &Engine, bytes: &[u8]) -> Result<()> {
        wasmparser::Validator::new_with_features(parse::features(engine))
            .validate_all(bytes)
            .map(drop)
            .map_err(parse::invalid)
    }

    /// Decode, validate and translate a module from its binary form, or (with the default `wat` feature) from
    /// the text format, as wasmtime's `Module::new` does.
    pub fn new(engine: &Engine, bytes: &[u8]) -> Result<Module> {
        #[cfg(feature = "wat")]
        if !bytes.starts_with(b"\0asm") {
            let binary = wat::parse_bytes(bytes).map_err(|e| Error::Malformed(format!("text format: {e}")))?;
            return Self::from_binary(engine, &binary);
        }
        Self::from_binary(engine, bytes)
    }

    /// Decode, validate and translate a module from its binary form only. A buffer that does not start with
    /// the wasm magic number is refused, saying whether it looks like the text format.
    pub fn from_binary(engine: &Engine, bytes: &[u8]) -> Result<Module> {
        if !bytes.starts_with(b"\0asm") {
            let text = std::str::from_utf8(bytes).map(str::trim_start).unwrap_or("");
            let hint = if text.starts_with('(') || text.starts_with(";;") {
                "; it looks like the text format (.wat)"
            } else {
                ""
            };
            return Err(Error::Malformed(format!("not a wasm module: bad magic number{hint}")));
        }
        let inner = parse::parse(engine, bytes)?;
        Ok(Module { inner: Arc::new(inner) })
    }

    /// Read a module (binary or text) from a file.
    pub fn from_file(engine: &Engine, path: impl AsRef<std::path::Path>) -> Result<Module> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::Resource(format!("{}: {e}", path.display())))?;
        Self::new(engine, &bytes)
    }

    /// The engine this module was compiled for.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The module's name from its `name` section, if any.
    pub fn name(&self) -> Option<&str> {
        self.inner.name.as_deref()
    }

    /// The module's imports, in order.
    pub fn imports(&self) -> impl ExactSizeIterator<Item = ImportType> + '_ {
        self.inner.imports.iter().map(|i| ImportType {
            module: i.module.clone(),
            name: i.name.clone(),
            ty: self.inner.entity_type(i.index),
        })
    }

    /// The module's exports, in order.
    pub fn exports(&self) -> impl ExactSizeIterator<Item = ExportType> + '_ {
        self.inner.exports.iter().map(|(name, idx)| ExportType { name: name.clone(), ty: self.inner.entity_type(*idx) })
    }

    /// The contents of the custom sections with this name.
    pub fn custom_sections<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.inner.custom_sections.iter().filter(move |(n, _)| n == name).map(|(_, b)| &b[..])
    }

    /// The translated code of function `index` (counting imports), instruction by instruction. `None` for an
    /// imported or unknown function, or when the engine's [`Config::disassembly`](crate::Config::disassembly)
    /// is off.
    pub fn disassemble(&self, index: u32) -> Option<Vec<crate::disas::Instruction>> {
        let i = index.checked_sub(self.inner.num_imported_funcs)?;
        let c = self.inner.code.get(i as usize)?;
        if c.marks.is_empty() {
            return None;
        }
        Some(crate::ir::disas::disassemble(&c.code, &c.marks))
    }

    /// Index of an exported function.
    pub fn export_func_index(&self, name: &str) -> Option<u32> {
        self.inner.exports.iter().find_map(|(n, i)| match i {
            EntityIndex::Func(f) if n == name => Some(*f),
            _ => None,
        })
    }

    /// Number of functions (imported and defined).
    pub fn num_funcs(&self) -> u32 {
        self.inner.num_imported_funcs + self.inner.code.len() as u32
    }

    /// Total bytes of translated bytecode (for statistics).
    pub fn code_size(&self) -> usize {
        self.inner.code.iter().map(|c| c.code.len()).sum()
    }

    /// Type of a global of this module's index space (used by the loader).
    pub fn global_type(&self, index: u32) -> Option<GlobalType> {
        self.inner.globals.get(index as usize).map(|g| g.ty)
    }

    /// The value type of a table's elements, by table index.
    pub fn table_element(&self, index: u32) -> Option<ValType> {
        self.inner.tables.get(index as usize).map(|t| t.ty.element)
    }
}

pub(crate) fn malformed(e: wasmparser::BinaryReaderError) -> Error {
    Error::Malformed(format!("{} (at offset {:#x})", e.message(), e.offset()))
}
