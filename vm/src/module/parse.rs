//! Section-by-section decoding and validation of a module, then (parallel) translation of its code.

use std::sync::Arc;

use rayon::prelude::*;
use wasmparser::{
    DataKind, ElementItems, ElementKind, ExternalKind, FuncToValidate, FunctionBody, KnownCustom, Name, Parser,
    Payload, TableInit, TypeRef, ValidPayload, Validator, ValidatorResources, WasmFeatures,
};

use super::{
    ConstExpr, ConstOp, DataSegment, ElemSegment, EntityIndex, GlobalDef, Import, ModuleInner, SegmentMode, TableDef,
    malformed,
};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::gc::{Composite, Storage, TypeDef};
use crate::translate;
use crate::types::{FuncType, GlobalType, HeapType, MemoryType, TableType, ValType};

/// Bodies larger than this in total are translated on the rayon pool.
const PARALLEL_THRESHOLD: usize = 64 * 1024;

/// The wasmparser features for the engine's configuration.
pub(crate) fn features(engine: &Engine) -> WasmFeatures {
    let c = engine.config().features;
    let mut f = WasmFeatures::MVP;
    for (on, flag) in [
        (c.mutable_global, WasmFeatures::MUTABLE_GLOBAL),
        (c.sign_extension, WasmFeatures::SIGN_EXTENSION),
        (c.saturating_float_to_int, WasmFeatures::SATURATING_FLOAT_TO_INT),
        (c.multi_value, WasmFeatures::MULTI_VALUE),
        (c.bulk_memory, WasmFeatures::BULK_MEMORY),
        (c.reference_types, WasmFeatures::REFERENCE_TYPES),
        (c.threads, WasmFeatures::THREADS),
        (c.extended_const, WasmFeatures::EXTENDED_CONST),
        (c.tail_call, WasmFeatures::TAIL_CALL),
        (c.simd, WasmFeatures::SIMD),
        (c.relaxed_simd, WasmFeatures::RELAXED_SIMD),
        (c.function_references, WasmFeatures::FUNCTION_REFERENCES),
        (c.wide_arithmetic, WasmFeatures::WIDE_ARITHMETIC),
        (c.multi_memory, WasmFeatures::MULTI_MEMORY),
        (c.memory64, WasmFeatures::MEMORY64),
        (c.custom_page_sizes, WasmFeatures::CUSTOM_PAGE_SIZES),
    ] {
        if on {
            f.insert(flag);
        }
    }
    if c.exceptions {
        // The exceptions suite's scripts use typed function references and recursion groups.
        f.insert(WasmFeatures::EXCEPTIONS | WasmFeatures::FUNCTION_REFERENCES);
    }
    if c.gc {
        f.insert(WasmFeatures::GC | WasmFeatures::FUNCTION_REFERENCES);
    }
    f
}

pub(crate) fn invalid(e: wasmparser::BinaryReaderError) -> Error {
    let msg = e.message();
    if msg.contains("support is not enabled")
        || msg.contains("proposal not enabled")
        || msg.contains("not supported without")
    {
        Error::Unsupported(format!("{msg} (at offset {:#x})", e.offset()))
    } else {
        Error::Invalid(format!("{msg} (at offset {:#x})", e.offset()))
    }
}

/// A value type; typed references name the module's types so far.
fn val_type(m: &ModuleInner, t: wasmparser::ValType) -> Result<ValType> {
    val_type_in_group(m, m.type_ids.len(), &[], t)
}

/// As [`val_type`], inside the type section's recursion group that starts at type index `group`, whose
/// members have the abstract kinds `group_kinds` (a member not interned yet is named by its kind).
fn val_type_in_group(
    m: &ModuleInner,
    group: usize,
    group_kinds: &[HeapType],
    t: wasmparser::ValType,
) -> Result<ValType> {
    let concrete = |i: wasmparser::UnpackedIndex| {
        let i = match i {
            wasmparser::UnpackedIndex::Module(i) => i as usize,
            wasmparser::UnpackedIndex::RecGroup(i) => group + i as usize,
            _ => return None,
        };
        match m.type_defs.get(i) {
            Some(def) => Some(def.heap_type()),
            None => group_kinds.get(i.checked_sub(group)?).copied(),
        }
    };
    ValType::from_wasmparser(t, &concrete).map_err(Error::Unsupported)
}

fn ref_type(m: &ModuleInner, t: wasmparser::RefType) -> Result<ValType> {
    val_type(m, wasmparser::ValType::Ref(t))
}

fn const_expr(m: &ModuleInner, e: &wasmparser::ConstExpr<'_>) -> Result<ConstExpr> {
    let fields = |t: u32| m.type_defs.get(t as usize).map_or(0, |d| d.fields().len() as u32);
    ConstExpr::parse(e, &fields).map_err(Error::Unsupported)
}

fn memory_type(m: wasmparser::MemoryType) -> Result<MemoryType> {
    let log2 = m.page_size_log2.unwrap_or(16);
    if log2 != 0 && log2 != 16 {
        return Err(Error::Unsupported(format!("page size {} (only 1 and 65536 are supported)", 1u64 << log2)));
    }
    Ok(MemoryType {
        min: m.initial,
        max: m.maximum,
        shared: m.shared,
        memory64: m.memory64,
        page_size_log2: log2 as u8,
    })
}

/// A table's type. wasmvm's tables hold fewer than 2^32 elements (a table64 declaring more initially is
/// refused; a larger maximum is the same as none, as growth stops far below it).
fn table_type(m: &ModuleInner, t: wasmparser::TableType) -> Result<TableType> {
    let min = u32::try_from(t.initial)
        .map_err(|_| Error::Resource(format!("table of {} elements is too large", t.initial)))?;
    let max = t.maximum.map(|m| m.min(u32::MAX as u64) as u32);
    Ok(TableType { element: ref_type(m, t.element_type)?, min, max, table64: t.table64 })
}

fn global_type(m: &ModuleInner, g: wasmparser::GlobalType) -> Result<GlobalType> {
    Ok(GlobalType { content: val_type(m, g.content_type)?, mutable: g.mutable })
}

pub(crate) fn parse(engine: &Engine, bytes: &[u8]) -> Result<ModuleInner> {
    let mut validator = Validator::new_with_features(features(engine));
    let mut m = ModuleInner {
        engine: engine.clone(),
        name: None,
        types: Vec::new(),
        type_ids: Vec::new(),
        type_defs: Vec::new(),
        imports: Vec::new(),
        funcs: Vec::new(),
        num_imported_funcs: 0,
        tables: Vec::new(),
        num_imported_tables: 0,
        memories: Vec::new(),
        num_imported_memories: 0,
        globals: Vec::new(),
        num_imported_globals: 0,
        tags: Vec::new(),
        num_imported_tags: 0,
        exports: Vec::new(),
        start: None,
        elems: Vec::new(),
        datas: Vec::new(),
        code: Vec::new(),
        code_by_addr: Vec::new(),
        func_names: Default::default(),
        custom_sections: Vec::new(),
    };
    let mut bodies: Vec<(FuncToValidate<ValidatorResources>, FunctionBody<'_>)> = Vec::new();

    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(malformed)?;
        let valid = validator.payload(&payload).map_err(invalid)?;
        match payload {
            Payload::TypeSection(reader) => type_section(&mut m, engine, reader)?,
            Payload::ImportSection(reader) => import_section(&mut m, reader)?,
            Payload::FunctionSection(reader) => {
                for t in reader {
                    m.funcs.push(t.map_err(malformed)?);
                }
            }
            Payload::TableSection(reader) => table_section(&mut m, reader)?,
            Payload::MemorySection(reader) => {
                if !engine.config().features.memory64 {
                    check_memory_limits(bytes, reader.range())?;
                }
                for t in reader {
                    m.memories.push(memory_type(t.map_err(malformed)?)?);
                }
            }
            Payload::GlobalSection(reader) => {
                for g in reader {
                    let g = g.map_err(malformed)?;
                    m.globals.push(GlobalDef { ty: global_type(&m, g.ty)?, init: Some(const_expr(&m, &g.init_expr)?) });
                }
            }
            Payload::TagSection(reader) => {
                for t in reader {
                    m.tags.push(t.map_err(malformed)?.func_type_idx);
                }
            }
            Payload::ExportSection(reader) => export_section(&mut m, reader)?,
            Payload::StartSection { func, .. } => m.start = Some(func),
            Payload::ElementSection(reader) => element_section(&mut m, reader)?,
            Payload::DataSection(reader) => data_section(&mut m, reader)?,
            Payload::CodeSectionEntry(body) => match valid {
                ValidPayload::Func(func, body2) => {
                    debug_assert_eq!(body.range(), body2.range());
                    bodies.push((func, body2));
                }
                _ => return Err(Error::Invalid("function body without validator".into())),
            },
            Payload::CustomSection(reader) => custom_section(&mut m, reader)?,
            Payload::End(_) => break,
            _ => {}
        }
    }

    let total: usize = bodies.iter().map(|(_, b)| (b.range().end - b.range().start) as usize).sum();
    let translate_one = |allocs: &mut translate::Allocations,
                         (func, body): (FuncToValidate<ValidatorResources>, FunctionBody<'_>)| {
        translate::translate_function(&m, func, &body, allocs)
    };
    let code: Vec<_> = if engine.config().parallel_translation && total > PARALLEL_THRESHOLD {
        bodies.into_par_iter().map_init(translate::Allocations::default, translate_one).collect::<Result<_>>()?
    } else {
        let mut allocs = translate::Allocations::default();
        bodies.into_iter().map(|b| translate_one(&mut allocs, b)).collect::<Result<_>>()?
    };
    m.code = code;
    m.code_by_addr = (0..m.code.len() as u32).collect();
    m.code_by_addr.sort_by_key(|&i| m.code[i as usize].code.as_ptr() as usize);
    translate::link_calls(&mut m);
    Ok(m)
}

fn type_section(m: &mut ModuleInner, engine: &Engine, reader: wasmparser::TypeSectionReader<'_>) -> Result<()> {
    // Every type's canonical text (see `canonical_group`), for the types after it to refer to.
    let mut canon: Vec<Arc<str>> = Vec::new();
    for group in reader {
        let group = group.map_err(malformed)?;
        let explicit = group.is_explicit_rec_group();
        let start = m.type_ids.len();
        let (text, typed_refs) = canonical_group(&group, start as u32, &canon);
        // The kind of each member, for references to members not interned yet.
        let kinds: Vec<HeapType> = group.types().map(|sub| abstract_kind(&sub.composite_type.inner)).collect();
        for (i, sub) in group.into_types().enumerate() {
            if sub.composite_type.shared {
                return Err(Error::Unsupported("shared-everything-threads (shared types)".into()));
            }
            let key: Arc<str> = Arc::from(format!("{i}:{text}"));
            // A type's identity is more than its structure in a recursion group, with typed references, or
            // as a subtype or an open (non-final) type.
            let identity = explicit || typed_refs || !sub.is_final || !sub.supertype_idxs.is_empty();
            let (ty, composite) = match &sub.composite_type.inner {
                wasmparser::CompositeInnerType::Func(f) => {
                    let ty = |&t: &wasmparser::ValType| val_type_in_group(m, start, &kinds, t);
                    let params = f.params().iter().map(ty).collect::<Result<Vec<_>>>()?;
                    let results = f.results().iter().map(ty).collect::<Result<Vec<_>>>()?;
                    (FuncType::new(params, results).with_canon(identity.then(|| key.clone())), Composite::Func)
                }
                // A struct or array type (GC) is interned as a signature no function has, under its group's
                // canonical text; its layout is in its `TypeDef`.
                wasmparser::CompositeInnerType::Struct(st) => {
                    (FuncType::new([], []).with_canon(Some(key.clone())), TypeDef::struct_layout(&st.fields))
                }
                wasmparser::CompositeInnerType::Array(a) => (
                    FuncType::new([], []).with_canon(Some(key.clone())),
                    Composite::Array(Storage::from_wasmparser(a.0.element_type)),
                ),
                _ => return Err(Error::Unsupported("stack switching (continuation types)".into())),
            };
            // The declared supertype (validated: an earlier type) and its own chain.
            let mut supertypes = match sub.supertype_idxs.first().map(|s| s.unpack()) {
                Some(wasmparser::UnpackedIndex::Module(k)) => m.type_defs[k as usize].supertypes.to_vec(),
                Some(wasmparser::UnpackedIndex::RecGroup(k)) => m.type_defs[start + k as usize].supertypes.to_vec(),
                _ => Vec::new(),
            };
            let id = engine.intern_def(&ty, |id| {
                supertypes.push(id);
                TypeDef { composite, supertypes: supertypes.into() }
            });
            canon.push(key);
            m.type_ids.push(id);
            m.types.push(ty);
            m.type_defs.push(engine.type_def(id));
        }
    }
    Ok(())
}

/// The abstract heap type of a composite type's kind (`func`, `struct` or `array`).
fn abstract_kind(t: &wasmparser::CompositeInnerType) -> HeapType {
    match t {
        wasmparser::CompositeInnerType::Struct(_) => HeapType::Struct,
        wasmparser::CompositeInnerType::Array(_) => HeapType::Array,
        _ => HeapType::Func,
    }
}

/// The canonical text of a recursion group (iso-recursive type equivalence, as the spec defines it): its
/// members' signatures, where a typed reference names a member of the same group by its position in the
/// group and an earlier type by that type's own canonical text. Equivalent groups of any two modules get
/// the same text. Also says whether the group uses typed references (`(ref $t)`, non-nullable ones).
fn canonical_group(group: &wasmparser::RecGroup, first: u32, canon: &[Arc<str>]) -> (String, bool) {
    use std::fmt::Write as _;
    let mut typed = false;
    let mut text = String::new();
    let mut val = |text: &mut String, t: &wasmparser::ValType| {
        match t {
            wasmparser::ValType::Ref(r) => {
                typed |= r.is_concrete_type_ref() || !r.is_nullable();
                let null = if r.is_nullable() { "null " } else { "" };
                match r.type_index().and_then(|i| i.as_module_index()) {
                    Some(k) if k >= first => _ = write!(text, "(ref {null}rec.{})", k - first),
                    Some(k) => _ = write!(text, "(ref {null}<{}>)", canon.get(k as usize).map_or("?", |c| c)),
                    None => _ = write!(text, "{r:?}"),
                }
            }
            t => _ = write!(text, "{t:?}"),
        }
        text.push(' ');
    };
    for sub in group.types() {
        // Finality and the declared supertype are part of a type's identity.
        text.push_str(if sub.is_final { "final " } else { "sub " });
        for s in &sub.supertype_idxs {
            match s.unpack() {
                wasmparser::UnpackedIndex::Module(k) if k >= first => _ = write!(text, "<: rec.{} ", k - first),
                wasmparser::UnpackedIndex::Module(k) => {
                    _ = write!(text, "<: <{}> ", canon.get(k as usize).map_or("?", |c| c))
                }
                wasmparser::UnpackedIndex::RecGroup(k) => _ = write!(text, "<: rec.{k} "),
                _ => text.push_str("<: ? "),
            }
        }
        // A function's types are written here; a struct's or an array's fields below.
        let fields: &[wasmparser::FieldType] = match &sub.composite_type.inner {
            wasmparser::CompositeInnerType::Func(f) => {
                text.push_str("func(");
                for (n, t) in f.params().iter().chain(f.results()).enumerate() {
                    if n == f.params().len() {
                        text.push_str(")->(");
                    }
                    val(&mut text, t);
                }
                &[]
            }
            wasmparser::CompositeInnerType::Struct(s) => {
                text.push_str("struct(");
                &s.fields
            }
            wasmparser::CompositeInnerType::Array(a) => {
                text.push_str("array(");
                std::slice::from_ref(&a.0)
            }
            _ => {
                text.push_str("other(");
                &[]
            }
        };
        for f in fields {
            text.push_str(if f.mutable { "mut " } else { "const " });
            match f.element_type {
                wasmparser::StorageType::I8 => text.push_str("i8 "),
                wasmparser::StorageType::I16 => text.push_str("i16 "),
                wasmparser::StorageType::Val(t) => val(&mut text, &t),
            }
        }
        text.push_str(");");
    }
    (text, typed)
}

fn import_section(m: &mut ModuleInner, reader: wasmparser::ImportSectionReader<'_>) -> Result<()> {
    for import in reader.into_imports() {
        let import = import.map_err(malformed)?;
        let index = match import.ty {
            TypeRef::Func(t) | TypeRef::FuncExact(t) => {
                m.funcs.push(t);
                m.num_imported_funcs += 1;
                EntityIndex::Func(m.funcs.len() as u32 - 1)
            }
            TypeRef::Table(t) => {
                m.tables.push(TableDef { ty: table_type(m, t)?, init: None });
                m.num_imported_tables += 1;
                EntityIndex::Table(m.tables.len() as u32 - 1)
            }
            TypeRef::Memory(t) => {
                m.memories.push(memory_type(t)?);
                m.num_imported_memories += 1;
                EntityIndex::Memory(m.memories.len() as u32 - 1)
            }
            TypeRef::Global(t) => {
                m.globals.push(GlobalDef { ty: global_type(m, t)?, init: None });
                m.num_imported_globals += 1;
                EntityIndex::Global(m.globals.len() as u32 - 1)
            }
            TypeRef::Tag(t) => {
                m.tags.push(t.func_type_idx);
                m.num_imported_tags += 1;
                EntityIndex::Tag(m.tags.len() as u32 - 1)
            }
        };
        m.imports.push(Import { module: import.module.to_string(), name: import.name.to_string(), index });
    }
    Ok(())
}

fn table_section(m: &mut ModuleInner, reader: wasmparser::TableSectionReader<'_>) -> Result<()> {
    for t in reader {
        let t = t.map_err(malformed)?;
        let init = match &t.init {
            TableInit::RefNull => None,
            TableInit::Expr(e) => Some(const_expr(m, e)?),
        };
        m.tables.push(TableDef { ty: table_type(m, t.ty)?, init });
    }
    Ok(())
}

fn export_section(m: &mut ModuleInner, reader: wasmparser::ExportSectionReader<'_>) -> Result<()> {
    for e in reader {
        let e = e.map_err(malformed)?;
        let index = match e.kind {
            ExternalKind::Func | ExternalKind::FuncExact => EntityIndex::Func(e.index),
            ExternalKind::Table => EntityIndex::Table(e.index),
            ExternalKind::Memory => EntityIndex::Memory(e.index),
            ExternalKind::Global => EntityIndex::Global(e.index),
            ExternalKind::Tag => EntityIndex::Tag(e.index),
        };
        m.exports.push((e.name.to_string(), index));
    }
    Ok(())
}

fn element_section(m: &mut ModuleInner, reader: wasmparser::ElementSectionReader<'_>) -> Result<()> {
    for e in reader {
        let e = e.map_err(malformed)?;
        let mode = match e.kind {
            ElementKind::Passive => SegmentMode::Passive,
            ElementKind::Declared => SegmentMode::Declared,
            ElementKind::Active { table_index, offset_expr } => {
                SegmentMode::Active { index: table_index.unwrap_or(0), offset: const_expr(m, &offset_expr)? }
            }
        };
        let items = match e.items {
            ElementItems::Functions(fs) => fs
                .into_iter()
                .map(|f| Ok(ConstExpr::from_ops(vec![ConstOp::RefFunc(f.map_err(malformed)?)])))
                .collect::<Result<Vec<_>>>()?,
            ElementItems::Expressions(_, es) => {
                es.into_iter().map(|e| const_expr(m, &e.map_err(malformed)?)).collect::<Result<Vec<_>>>()?
            }
        };
        m.elems.push(ElemSegment { mode, items: items.into() });
    }
    Ok(())
}

fn data_section(m: &mut ModuleInner, reader: wasmparser::DataSectionReader<'_>) -> Result<()> {
    for d in reader {
        let d = d.map_err(malformed)?;
        let mode = match d.kind {
            DataKind::Passive => SegmentMode::Passive,
            DataKind::Active { memory_index, offset_expr } => {
                SegmentMode::Active { index: memory_index, offset: const_expr(m, &offset_expr)? }
            }
        };
        m.datas.push(DataSegment { mode, bytes: Arc::from(d.data) });
    }
    Ok(())
}

fn custom_section(m: &mut ModuleInner, reader: wasmparser::CustomSectionReader<'_>) -> Result<()> {
    if let KnownCustom::Name(names) = reader.as_known() {
        // A malformed name section is ignored, as the spec requires.
        for name in names.into_iter().flatten() {
            match name {
                Name::Module { name, .. } => m.name = Some(name.to_string()),
                Name::Function(map) => {
                    for n in map.into_iter().flatten() {
                        m.func_names.insert(n.index, n.name.to_string());
                    }
                }
                _ => {}
            }
        }
    }
    m.custom_sections.push((reader.name().to_string(), Arc::from(reader.data())));
    Ok(())
}

/// Wasm 2.0 encodes memory limits as u32 LEB128s (at most 5 bytes); wasmparser accepts the longer u64 form
/// of memory64, so the limits are re-read here to reject overlong encodings.
fn check_memory_limits(bytes: &[u8], range: std::ops::Range<u64>) -> Result<()> {
    let Some(section) = bytes.get(range.start as usize..range.end as usize) else { return Ok(()) };
    let mut r = wasmparser::BinaryReader::new(section, range.start);
    let count = r.read_var_u32().map_err(malformed)?;
    for _ in 0..count {
        let flags = r.read_u8().map_err(malformed)?;
        if flags & 0x04 != 0 {
            return Ok(()); // memory64: rejected later with a clear message
        }
        r.read_var_u32().map_err(malformed)?;
        if flags & 0x01 != 0 {
            r.read_var_u32().map_err(malformed)?;
        }
    }
    Ok(())
}
