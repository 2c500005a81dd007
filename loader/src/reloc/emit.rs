//! Writing the relocated module: the patched code and data, re-encoded so that the loader can link and
//! instantiate it like a position-independent one (see the [module docs](super) for what changes).

use std::borrow::Cow;

use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{
    CodeSection, ConstExpr, CustomSection, DataSection, ElementSection, EntityType, ExportKind, ExportSection,
    Function, GlobalSection, GlobalType, ImportSection, Instruction, MemoryType, Module, RawSection, RefType,
    TableType, ValType,
};
use wasmparser::{BinaryReader, CodeSectionReader, ElementKind, ExternalKind, Parser, Payload, TypeRef};

use super::Placement;
use super::apply::data_address;
use super::parse::{Image, SymKind};
use crate::error::{Error, Result};

/// Exports the loader looks for, added when the module has the symbol but does not export it.
const ABI_FUNCS: &[&str] = &["__wasm_call_ctors", "__wasm_init_tls"];
const ABI_GLOBALS: &[&str] = &["__tls_size", "__tls_align", "__tls_base"];

/// Re-encode `patched` (the module's bytes with relocations applied) for its placement.
pub(crate) fn emit(im: &Image, patched: &[u8], at: &Placement, dm: u32, dt: u32) -> Result<Vec<u8>> {
    let bad = |e: wasmparser::BinaryReaderError| Error::relocation(&im.name, e.message().to_string());
    let enc = |e: wasm_encoder::reencode::Error| Error::relocation(&im.name, e.to_string());
    let mut out = Module::new();
    let mut imports_done = false;
    let mut exports_done = false;
    for payload in Parser::new(0).parse_all(patched) {
        let payload = payload.map_err(bad)?;
        let order = section_order(&payload);
        // Sections the module may lack go where the standard order puts them.
        if !imports_done && order > 20 {
            out.section(&imports(im, at, None).map_err(bad)?);
            imports_done = true;
        }
        if !exports_done && order > 70 {
            let mut exports = ExportSection::new();
            add_abi_exports(im, &[], &mut exports);
            out.section(&exports);
            exports_done = true;
        }
        match payload {
            // Two types for the memory view's calls: `(id) -> pages` and `(delta, id) -> pages`.
            Payload::TypeSection(r) if at.memory_view.is_some() && !im.memory_ops.is_empty() => {
                let range = r.range();
                let payload = &patched[range.start as usize..range.end as usize];
                let mut data = Vec::with_capacity(payload.len() + 16);
                leb(&mut data, r.count() + 2);
                data.extend_from_slice(&payload[leb_len(r.count())..]);
                data.extend_from_slice(&[0x60, 1, 0x7f, 1, 0x7f, 0x60, 2, 0x7f, 0x7f, 1, 0x7f]);
                out.section(&RawSection { id: 1, data: &data });
            }
            Payload::ImportSection(r) => {
                out.section(&imports(im, at, Some(r)).map_err(bad)?);
                imports_done = true;
            }
            Payload::TableSection(r) if im.defines_table => {
                if r.count() != 1 {
                    return Err(Error::relocation(&im.name, "defines more than one table"));
                }
            }
            Payload::MemorySection(r) if im.defines_memory => {
                if r.count() != 1 {
                    return Err(Error::relocation(&im.name, "defines more than one memory"));
                }
            }
            Payload::GlobalSection(r) => {
                let mut globals = GlobalSection::new();
                let exports = export_names(patched).map_err(bad)?;
                for (k, g) in r.into_iter().enumerate() {
                    let g = g.map_err(bad)?;
                    let index = im.num_global_imports + k as u32;
                    if Some(index) == im.stack_pointer {
                        continue;
                    }
                    let mut init = RoundtripReencoder.const_expr(g.init_expr.clone()).map_err(enc)?;
                    // An exported data symbol's global holds its address: relocations do not cover it.
                    if let Some(old) = super::parse::const_i32(&g.init_expr)
                        && let Some(sym) = exports
                            .iter()
                            .filter(|(_, i)| *i == index)
                            .find_map(|(n, _)| im.symbol(n))
                            .filter(|s| matches!(s.kind, SymKind::Data { tls: false, .. }))
                    {
                        init = ConstExpr::i32_const(data_address(im, sym, old as u32, dm)? as i32);
                    }
                    globals.global(RoundtripReencoder.global_type(g.ty).map_err(enc)?, &init);
                }
                out.section(&globals);
            }
            Payload::ExportSection(r) => {
                let mut exports = ExportSection::new();
                let mut exported = Vec::new();
                for e in r {
                    let e = e.map_err(bad)?;
                    exports.export(e.name, RoundtripReencoder.export_kind(e.kind).map_err(enc)?, e.index);
                    exported.push(e.name.to_string());
                }
                add_abi_exports(im, &exported, &mut exports);
                exports_done = true;
                out.section(&exports);
            }
            // `__wasm_init_memory`: its addresses have no relocations; the segments are active now.
            Payload::StartSection { .. } => {}
            Payload::ElementSection(r) => {
                let mut elems = ElementSection::new();
                for e in r {
                    let e = e.map_err(bad)?;
                    let items = RoundtripReencoder.element_items(e.items).map_err(enc)?;
                    match e.kind {
                        ElementKind::Active { offset_expr, .. } => {
                            let at = super::parse::const_i32(&offset_expr).expect("checked when parsed") as u32;
                            elems.active(None, &ConstExpr::i32_const(at.wrapping_add(dt) as i32), items);
                        }
                        ElementKind::Passive => {
                            elems.passive(items);
                        }
                        ElementKind::Declared => {
                            elems.declared(items);
                        }
                    }
                }
                out.section(&elems);
            }
            Payload::CodeSectionStart { unchecked_range: range, .. } => {
                let range = range.start as usize..range.end as usize;
                let mut code = CodeSection::new();
                let reader = CodeSectionReader::new(BinaryReader::new(&patched[range.clone()], range.start as u64))
                    .map_err(bad)?;
                for (k, body) in reader.into_iter().enumerate() {
                    let body = body.map_err(bad)?;
                    let index = im.num_func_imports + k as u32;
                    match at.interposed.iter().find(|(f, _)| *f == index) {
                        Some(&(_, slot)) => {
                            code.function(&forward(im, index, slot));
                        }
                        None => {
                            let r = body.range();
                            let bytes = &patched[r.start as usize..r.end as usize];
                            match at.memory_view {
                                Some(view) if im.memory_ops.contains(&index) => {
                                    code.raw(&memory_view(im, bytes, r.start, view).map_err(bad)?);
                                }
                                _ => {
                                    code.raw(bytes);
                                }
                            }
                        }
                    }
                }
                out.section(&code);
            }
            Payload::DataSection(_) => {
                let mut data = DataSection::new();
                for s in &im.segments {
                    let bytes = patched[s.bytes.clone()].iter().copied();
                    match s.addr {
                        Some(a) if !s.tls => {
                            data.active(0, &ConstExpr::i32_const(a.wrapping_add(dm) as i32), bytes);
                        }
                        _ => {
                            data.passive(bytes);
                        }
                    }
                }
                out.section(&data);
            }
            Payload::CustomSection(c) => {
                if c.name() == "linking" || c.name().starts_with("reloc.") || c.name().starts_with(".debug") {
                    continue;
                }
                out.section(&CustomSection { name: Cow::Borrowed(c.name()), data: Cow::Borrowed(c.data()) });
            }
            Payload::CodeSectionEntry(_) | Payload::Version { .. } | Payload::End(_) => {}
            other => {
                if let Some((id, range)) = other.as_section() {
                    out.section(&RawSection { id, data: &patched[range.start as usize..range.end as usize] });
                }
            }
        }
    }
    Ok(out.finish())
}

/// The standard order of a section, times ten (custom sections: 0, so they never trigger a missing section).
fn section_order(p: &Payload<'_>) -> u8 {
    match p {
        Payload::TypeSection(_) => 10,
        Payload::ImportSection(_) => 20,
        Payload::FunctionSection(_) => 30,
        Payload::TableSection(_) => 40,
        Payload::MemorySection(_) => 50,
        Payload::TagSection(_) => 55,
        Payload::GlobalSection(_) => 60,
        Payload::ExportSection(_) => 70,
        Payload::StartSection { .. } => 80,
        Payload::ElementSection(_) => 90,
        Payload::DataCountSection { .. } => 100,
        Payload::CodeSectionStart { .. } | Payload::CodeSectionEntry(_) => 110,
        Payload::DataSection(_) => 120,
        Payload::End(_) => 200,
        _ => 0,
    }
}

/// The exports of the module: (name, global index) of each global export.
fn export_names(bytes: &[u8]) -> std::result::Result<Vec<(String, u32)>, wasmparser::BinaryReaderError> {
    let mut out = Vec::new();
    for p in Parser::new(0).parse_all(bytes) {
        if let Payload::ExportSection(r) = p? {
            for e in r {
                let e = e?;
                if e.kind == ExternalKind::Global {
                    out.push((e.name.to_string(), e.index));
                }
            }
            break;
        }
    }
    Ok(out)
}

fn add_abi_exports(im: &Image, exported: &[String], exports: &mut ExportSection) {
    // A command's `_start` (crt1) runs the constructors itself; the loader runs a library's.
    let command = exported.iter().any(|e| e == "_start");
    for s in &im.symbols {
        if exported.contains(&s.name) || (command && s.name == "__wasm_call_ctors") {
            continue;
        }
        match s.kind {
            SymKind::Func { index, defined: true } if ABI_FUNCS.contains(&s.name.as_str()) => {
                exports.export(&s.name, ExportKind::Func, index);
            }
            SymKind::Global { index } if ABI_GLOBALS.contains(&s.name.as_str()) && Some(index) != im.stack_pointer => {
                exports.export(&s.name, ExportKind::Global, index);
            }
            _ => {}
        }
    }
}

/// The import section: the module's imports with its memory bound to the address space's, plus what its
/// own definitions became (memory, table, `__stack_pointer`).
fn imports(
    im: &Image,
    at: &Placement,
    section: Option<wasmparser::ImportSectionReader<'_>>,
) -> std::result::Result<ImportSection, wasmparser::BinaryReaderError> {
    let memory = EntityType::Memory(MemoryType {
        minimum: 0,
        maximum: at.memory.1,
        memory64: false,
        shared: at.memory.0,
        page_size_log2: None,
    });
    let table = EntityType::Table(TableType {
        element_type: RefType::FUNCREF,
        table64: false,
        minimum: 0,
        maximum: None,
        shared: false,
    });
    let mut out = ImportSection::new();
    for imp in section.into_iter().flat_map(|s| s.into_imports()) {
        let imp = imp?;
        let ty = match imp.ty {
            TypeRef::Memory(_) => memory,
            TypeRef::Table(_) => table,
            // Import types were validated when the module was parsed; nothing else is re-encoded.
            ty => RoundtripReencoder.entity_type(ty).unwrap_or(memory),
        };
        out.import(imp.module, imp.name, ty);
    }
    if im.defines_memory {
        out.import("env", "memory", memory);
    }
    if im.defines_table {
        out.import("env", "__indirect_function_table", table);
    }
    if im.stack_pointer.is_some() {
        out.import(
            "env",
            "__stack_pointer",
            EntityType::Global(GlobalType { val_type: ValType::I32, mutable: true, shared: false }),
        );
    }
    Ok(out)
}

fn leb(out: &mut Vec<u8>, mut v: u32) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn leb_len(v: u32) -> usize {
    let mut out = Vec::new();
    leb(&mut out, v);
    out.len()
}

/// `i32.const v`.
fn i32_const(out: &mut Vec<u8>, v: i32) {
    wasm_encoder::Encode::encode(&Instruction::I32Const(v), out);
}

/// A function body (locals and code, at file offset `at`) with each `memory.size` and `memory.grow`
/// replaced by a call of the module's memory view: `i32.const id; i32.const slot; call_indirect`. The two
/// types were appended to the type section (see [`emit`]).
fn memory_view(
    im: &Image,
    body: &[u8],
    at: u64,
    (id, size_slot, grow_slot): (u32, u32, u32),
) -> std::result::Result<Vec<u8>, wasmparser::BinaryReaderError> {
    let (size_ty, grow_ty) = (im.types.len() as u32, im.types.len() as u32 + 1);
    let mut out = Vec::with_capacity(body.len() + 32);
    let reader = wasmparser::FunctionBody::new(BinaryReader::new(body, at));
    let mut ops = reader.get_operators_reader()?;
    let mut copied = 0usize;
    while !ops.eof() {
        let start = (ops.original_position() - at) as usize;
        let op = ops.read()?;
        let (slot, ty) = match op {
            wasmparser::Operator::MemorySize { mem: 0 } => (size_slot, size_ty),
            wasmparser::Operator::MemoryGrow { mem: 0 } => (grow_slot, grow_ty),
            _ => continue,
        };
        let end = (ops.original_position() - at) as usize;
        out.extend_from_slice(&body[copied..start]);
        i32_const(&mut out, id as i32);
        i32_const(&mut out, slot as i32);
        out.push(0x11);
        leb(&mut out, ty);
        out.push(0);
        copied = end;
    }
    out.extend_from_slice(&body[copied..]);
    Ok(out)
}

/// The body of an interposed function: pass the arguments to the function in table slot `slot`.
fn forward(im: &Image, index: u32, slot: u32) -> Function {
    let ty = im.func_types[(index - im.num_func_imports) as usize];
    let params = im.types.get(ty as usize).and_then(|t| t.as_ref()).map_or(0, |(p, _)| p.len() as u32);
    let mut f = Function::new([]);
    for i in 0..params {
        f.instruction(&Instruction::LocalGet(i));
    }
    f.instruction(&Instruction::I32Const(slot as i32));
    f.instruction(&Instruction::CallIndirect { type_index: ty, table_index: 0 });
    f.instruction(&Instruction::End);
    f
}
