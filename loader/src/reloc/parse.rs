//! Reading a `--emit-relocs` module: sections, symbol table, relocations, where its data and table entries
//! live. Everything that cannot be relocated is refused here, before the loader places anything.

use std::ops::Range;
use std::sync::Arc;

use wasmparser::{
    BinaryReader, DataKind, ElementItems, ElementKind, Linking, LinkingSectionReader, Operator, Parser, Payload,
    RelocSectionReader, RelocationType, SegmentFlags, SymbolFlags, SymbolInfo, TypeRef, ValType,
};

use super::REBUILD;
use crate::error::{Error, Result};

/// A symbol of the `linking` section's symbol table, as the relocations need it.
#[derive(Debug, Clone)]
pub(crate) struct Sym {
    pub name: String,
    pub kind: SymKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SymKind {
    /// A function (its index) and whether this module defines it.
    Func { index: u32, defined: bool },
    /// A data symbol. `Some((segment, offset))` if defined in a segment; `abs` for an absolute one
    /// (`__heap_base`, `__data_end`, ...: `offset` is then its address); `tls` if thread-local.
    Data { def: Option<(u32, u32)>, abs: bool, tls: bool },
    /// A global (its index).
    Global { index: u32 },
    /// A table, tag or section symbol: nothing to move.
    Other,
}

/// One relocation of `reloc.CODE` or `reloc.DATA`, checked: `at` is a file offset inside its section where a
/// value of its type's width is encoded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reloc {
    pub at: usize,
    pub ty: RelocationType,
    pub sym: u32,
}

/// A data segment.
#[derive(Debug, Clone)]
pub(crate) struct Segment {
    /// Its address (an active segment's offset, or where `__wasm_init_memory` copies a passive one).
    pub addr: Option<u32>,
    /// Its bytes in the file.
    pub bytes: Range<usize>,
    /// A thread-local (`.tdata`) segment: an image copied into each thread's TLS block.
    pub tls: bool,
}

/// A parsed `--emit-relocs` module.
pub(crate) struct Image {
    pub name: String,
    pub bytes: Arc<[u8]>,
    pub symbols: Vec<Sym>,
    pub relocs: Vec<Reloc>,
    pub segments: Vec<Segment>,
    /// The data extent `[lo, hi)`: every non-TLS segment and zero-filled range (`.bss`).
    pub lo: u32,
    pub hi: u32,
    /// Largest segment alignment (log2).
    pub p2align: u32,
    /// The table extent of its active element segments: `[table_lo, table_lo + table_len)`.
    pub table_lo: u32,
    pub table_len: u32,
    pub num_func_imports: u32,
    pub num_global_imports: u32,
    /// Type index of each defined function.
    pub func_types: Vec<u32>,
    /// Function types by type index (`None`: not a function type).
    pub types: Vec<Option<(Vec<ValType>, Vec<ValType>)>>,
    /// The defined `__stack_pointer` global, if any.
    pub stack_pointer: Option<u32>,
    /// `__wasm_init_memory`'s function index, if any.
    pub init_memory: Option<u32>,
    /// Defined functions (by function index) with `memory.size` or `memory.grow`.
    pub memory_ops: Vec<u32>,
    /// It defines its memory / its table (instead of importing them).
    pub defines_memory: bool,
    pub defines_table: bool,
}

fn err(name: &str, reason: impl Into<String>) -> Error {
    Error::relocation(name, reason)
}

/// Is a 5-byte padded LEB encoded at `b`?
fn padded_leb(b: &[u8]) -> bool {
    b.len() == 5 && b[..4].iter().all(|x| x & 0x80 != 0) && b[4] & 0x80 == 0
}

/// The byte width of a relocation's value, or why the loader does not handle the type.
pub(crate) fn width(ty: RelocationType) -> std::result::Result<usize, &'static str> {
    use RelocationType as R;
    Ok(match ty {
        R::FunctionIndexLeb
        | R::TableIndexSleb
        | R::MemoryAddrLeb
        | R::MemoryAddrSleb
        | R::TypeIndexLeb
        | R::GlobalIndexLeb
        | R::EventIndexLeb
        | R::TableNumberLeb
        | R::MemoryAddrTlsSleb => 5,
        R::TableIndexI32 | R::MemoryAddrI32 | R::GlobalIndexI32 | R::MemoryAddrLocrelI32 | R::FunctionIndexI32 => 4,
        R::MemoryAddrRelSleb | R::TableIndexRelSleb | R::TableIndexRelSleb64 | R::MemoryAddrRelSleb64 => {
            return Err("is a position-independent relocation (relative to __memory_base/__table_base), which a \
                        module without dylink.0 should not have");
        }
        R::MemoryAddrLeb64
        | R::MemoryAddrSleb64
        | R::MemoryAddrI64
        | R::TableIndexSleb64
        | R::TableIndexI64
        | R::MemoryAddrTlsSleb64 => return Err("is a memory64 relocation (only wasm32 modules are relocated)"),
        R::FunctionOffsetI32 | R::FunctionOffsetI64 | R::SectionOffsetI32 => {
            return Err("is a debug-information relocation, which may only patch custom sections");
        }
    })
}

/// A section: its id (0 for custom) and its payload.
struct Section {
    id: u8,
    payload: Range<usize>,
}

impl Image {
    /// Parse and check `bytes`, a module without `dylink.0`, named `name` for errors.
    pub(crate) fn parse(name: &str, bytes: Arc<[u8]>) -> Result<Image> {
        let mut im = Image {
            name: name.to_string(),
            bytes: bytes.clone(),
            symbols: Vec::new(),
            relocs: Vec::new(),
            segments: Vec::new(),
            lo: 0,
            hi: 0,
            p2align: 4,
            table_lo: 0,
            table_len: 0,
            num_func_imports: 0,
            num_global_imports: 0,
            func_types: Vec::new(),
            types: Vec::new(),
            stack_pointer: None,
            init_memory: None,
            memory_ops: Vec::new(),
            defines_memory: false,
            defines_table: false,
        };
        let bad = |e: wasmparser::BinaryReaderError| err(name, format!("{} (at byte {:#x})", e.message(), e.offset()));
        let base = bytes.as_ptr() as usize;
        let pos = |s: &[u8]| s.as_ptr() as usize - base;
        let mut sections: Vec<Section> = Vec::new();
        let mut linking = None;
        let mut reloc_sections = Vec::new();
        let mut bodies: Vec<Range<usize>> = Vec::new();
        let mut seg_info: Vec<(u32, bool)> = Vec::new();
        let mut start = None;
        let mut init_memory_name = None;
        let mut elems: Vec<(u32, u32)> = Vec::new();
        for payload in Parser::new(0).parse_all(&bytes) {
            let payload = payload.map_err(bad)?;
            let (id, range) = match &payload {
                Payload::TypeSection(r) => {
                    for ty in r.clone().into_iter_err_on_gc_types() {
                        let ft = ty.map_err(bad)?;
                        im.types.push(Some((ft.params().to_vec(), ft.results().to_vec())));
                    }
                    (1, r.range())
                }
                Payload::ImportSection(r) => {
                    for imp in r.clone().into_imports() {
                        match imp.map_err(bad)?.ty {
                            TypeRef::Func(_) | TypeRef::FuncExact(_) => im.num_func_imports += 1,
                            TypeRef::Global(_) => im.num_global_imports += 1,
                            _ => {}
                        }
                    }
                    (2, r.range())
                }
                Payload::FunctionSection(r) => {
                    for t in r.clone() {
                        im.func_types.push(t.map_err(bad)?);
                    }
                    (3, r.range())
                }
                Payload::TableSection(r) => {
                    im.defines_table = r.count() > 0;
                    (4, r.range())
                }
                Payload::MemorySection(r) => {
                    im.defines_memory = r.count() > 0;
                    (5, r.range())
                }
                Payload::GlobalSection(r) => (6, r.range()),
                Payload::ExportSection(r) => (7, r.range()),
                Payload::StartSection { func, range } => {
                    start = Some(*func);
                    (8, range.clone())
                }
                Payload::ElementSection(r) => {
                    for e in r.clone() {
                        let e = e.map_err(bad)?;
                        if let ElementKind::Active { table_index, offset_expr } = e.kind {
                            if table_index.unwrap_or(0) != 0 {
                                return Err(err(name, "an element segment for a table other than table 0"));
                            }
                            let at = const_i32(&offset_expr)
                                .ok_or_else(|| err(name, "an element segment's offset is not an i32.const"))?;
                            let n = match e.items {
                                ElementItems::Functions(f) => f.count(),
                                ElementItems::Expressions(_, x) => x.count(),
                            };
                            elems.push((at as u32, n));
                        }
                    }
                    (9, r.range())
                }
                Payload::CodeSectionStart { unchecked_range, .. } => (10, unchecked_range.clone()),
                Payload::CodeSectionEntry(body) => {
                    let r = body.range();
                    bodies.push(r.start as usize..r.end as usize);
                    continue;
                }
                Payload::DataSection(r) => {
                    for d in r.clone() {
                        let d = d.map_err(bad)?;
                        let addr = match d.kind {
                            DataKind::Active { memory_index: 0, offset_expr } => Some(
                                const_i32(&offset_expr)
                                    .ok_or_else(|| err(name, "a data segment's offset is not an i32.const"))?
                                    as u32,
                            ),
                            DataKind::Active { .. } => return Err(err(name, "a data segment for a second memory")),
                            DataKind::Passive => None,
                        };
                        let at = pos(d.data);
                        im.segments.push(Segment { addr, bytes: at..at + d.data.len(), tls: false });
                    }
                    (11, r.range())
                }
                Payload::DataCountSection { range, .. } => (12, range.clone()),
                Payload::TagSection(r) => (13, r.range()),
                Payload::CustomSection(c) => {
                    let cname = c.name().to_string();
                    if cname == "linking" {
                        linking = Some((c.data(), c.data_offset()));
                    } else if cname == "name" {
                        // wasm-ld leaves some synthesized functions out of the symbol table.
                        let names = wasmparser::NameSectionReader::new(BinaryReader::new(c.data(), c.data_offset()));
                        for n in names.flatten() {
                            if let wasmparser::Name::Function(map) = n {
                                for f in map.into_iter().flatten() {
                                    if f.name == "__wasm_init_memory" {
                                        init_memory_name = Some(f.index);
                                    }
                                }
                            }
                        }
                    } else if cname.starts_with("reloc.") {
                        reloc_sections.push((cname.clone(), c.data(), c.data_offset()));
                    } else if cname.starts_with("dylink") {
                        return Err(err(name, "has a dylink section: it is a PIC module, not one to relocate"));
                    }
                    let r = c.range();
                    sections.push(Section { id: 0, payload: r.start as usize..r.end as usize });
                    continue;
                }
                Payload::Version { .. } | Payload::End(_) => continue,
                _ => return Err(err(name, "a section this loader cannot relocate (a component or unknown section)")),
            };
            sections.push(Section { id, payload: range.start as usize..range.end as usize });
        }

        let Some((linking, linking_at)) = linking else {
            return Err(err(
                name,
                format!(
                    "not position independent (no dylink.0) and no linking section to relocate it with: it can \
                     only be loaded first, into an empty address space; to load it anywhere, {REBUILD}"
                ),
            ));
        };
        for want in ["reloc.CODE", "reloc.DATA"] {
            let has_target = match want {
                "reloc.CODE" => !bodies.is_empty(),
                _ => !im.segments.is_empty(),
            };
            if has_target && !reloc_sections.iter().any(|(n, ..)| n == want) {
                return Err(err(name, format!("has a linking section but no {want} section; {REBUILD}")));
            }
        }

        // The symbol table and segment info.
        let reader = LinkingSectionReader::new(BinaryReader::new(linking, linking_at)).map_err(bad)?;
        for sub in reader.subsections() {
            match sub.map_err(bad)? {
                Linking::SymbolTable(map) => {
                    for s in map {
                        im.symbols.push(symbol(s.map_err(bad)?));
                    }
                }
                Linking::SegmentInfo(map) => {
                    for s in map {
                        let s = s.map_err(bad)?;
                        // wasm-ld's output does not flag its `.tdata` segment; the name tells.
                        let tls = s.flags.contains(SegmentFlags::TLS) || s.name.starts_with(".tdata");
                        seg_info.push((s.alignment, tls));
                    }
                }
                _ => {}
            }
        }
        if im.symbols.is_empty() {
            return Err(err(name, format!("its linking section has no symbol table; {REBUILD}")));
        }
        for (i, &(align, tls)) in seg_info.iter().enumerate() {
            if let Some(s) = im.segments.get_mut(i) {
                s.tls = tls;
            }
            if align > crate::dylink::MAX_P2ALIGN {
                return Err(err(name, format!("segment {i}: alignment 2^{align} is above 2^16")));
            }
            im.p2align = im.p2align.max(align);
        }

        // Synthetic functions and globals, by name.
        for s in &im.symbols {
            match (s.name.as_str(), s.kind) {
                ("__wasm_init_memory", SymKind::Func { index, defined: true }) => im.init_memory = Some(index),
                ("__stack_pointer", SymKind::Global { index }) if index >= im.num_global_imports => {
                    if index != im.num_global_imports {
                        return Err(err(
                            name,
                            "__stack_pointer is not its first defined global, so it cannot become the thread's \
                             imported stack pointer without renumbering globals",
                        ));
                    }
                    im.stack_pointer = Some(index);
                }
                _ => {}
            }
        }
        im.init_memory = im.init_memory.or(init_memory_name);
        if let Some(s) = start
            && Some(s) != im.init_memory
        {
            return Err(err(
                name,
                "has a start function that is not __wasm_init_memory (or no name section to tell; link without \
                 --strip-all)",
            ));
        }

        // Passive segments' addresses: the straight-line `i32.const dest; i32.const 0; i32.const size;
        // memory.init seg` of `__wasm_init_memory` (and `memory.fill` for zeroed data).
        let mut fills: Vec<(u32, u32)> = Vec::new();
        if let Some(f) = im.init_memory {
            let body = f
                .checked_sub(im.num_func_imports)
                .and_then(|i| bodies.get(i as usize))
                .ok_or_else(|| err(name, "__wasm_init_memory is not a defined function"))?;
            let body = wasmparser::FunctionBody::new(BinaryReader::new(&bytes[body.clone()], body.start as u64));
            let mut ops = body.get_operators_reader().map_err(bad)?;
            let mut consts: Vec<u32> = Vec::new();
            while !ops.eof() {
                match ops.read().map_err(bad)? {
                    Operator::I32Const { value } => consts.push(value as u32),
                    Operator::MemoryInit { data_index, mem: 0 } if consts.len() >= 3 => {
                        let dest = consts[consts.len() - 3];
                        if let Some(s) = im.segments.get_mut(data_index as usize)
                            && !s.tls
                        {
                            s.addr = Some(dest);
                        }
                        consts.clear();
                    }
                    Operator::MemoryFill { mem: 0 } if consts.len() >= 3 => {
                        fills.push((consts[consts.len() - 3], consts[consts.len() - 1]));
                        consts.clear();
                    }
                    _ => consts.clear(),
                }
            }
        }
        // Zero-filled segments (`.bss`) are `memory.fill`ed, in segment order.
        let mut pending_fills = fills.iter();
        for s in im.segments.iter_mut().filter(|s| s.addr.is_none() && !s.tls) {
            if let Some(&(at, n)) = pending_fills.next()
                && n as usize == s.bytes.len()
            {
                s.addr = Some(at);
            }
        }
        let mut lo = u64::MAX;
        let mut hi = 0u64;
        for (i, s) in im.segments.iter().enumerate() {
            if s.tls {
                continue;
            }
            let addr = s.addr.ok_or_else(|| {
                err(name, format!("passive data segment {i}: no address for it in __wasm_init_memory"))
            })?;
            lo = lo.min(addr as u64);
            hi = hi.max(addr as u64 + s.bytes.len() as u64);
        }
        for (at, n) in fills {
            lo = lo.min(at as u64);
            hi = hi.max(at as u64 + n as u64);
        }
        if lo == u64::MAX {
            (lo, hi) = (0, 0);
        }
        if hi > u32::MAX as u64 {
            return Err(err(name, "its data ends beyond 4 GiB"));
        }
        (im.lo, im.hi) = (lo as u32, hi as u32);
        if let Some(lo_t) = elems.iter().map(|e| e.0).min() {
            let hi_t = elems.iter().map(|e| e.0 as u64 + e.1 as u64).max().unwrap_or(0);
            im.table_lo = lo_t;
            im.table_len = (hi_t - lo_t as u64) as u32;
        }

        // Functions that ask for the memory's size or grow it get the module's own view (emit.rs).
        for (k, body) in bodies.iter().enumerate() {
            let body = wasmparser::FunctionBody::new(BinaryReader::new(&bytes[body.clone()], body.start as u64));
            let mut ops = body.get_operators_reader().map_err(bad)?;
            while !ops.eof() {
                match ops.read().map_err(bad)? {
                    Operator::MemorySize { mem: 0 } | Operator::MemoryGrow { mem: 0 } => {
                        im.memory_ops.push(im.num_func_imports + k as u32);
                        break;
                    }
                    Operator::MemorySize { .. } | Operator::MemoryGrow { .. } => {
                        return Err(err(name, "uses a second memory"));
                    }
                    _ => {}
                }
            }
        }

        // Relocations.
        for (rname, data, at) in reloc_sections {
            let reader = RelocSectionReader::new(BinaryReader::new(data, at)).map_err(bad)?;
            let target = sections
                .get(reader.section_index() as usize)
                .ok_or_else(|| err(name, format!("{rname}: section index {} out of range", reader.section_index())))?;
            match target.id {
                10 | 11 => {}
                // Debug information and other custom sections: they are dropped, their relocations ignored.
                0 => continue,
                id => return Err(err(name, format!("{rname} patches section {id}, which is not relocated"))),
            }
            let section = target.payload.clone();
            for e in reader.entries() {
                let e = e.map_err(bad)?;
                let w = width(e.ty).map_err(|why| err(name, format!("{rname}: relocation type {:?} {why}", e.ty)))?;
                let at = section.start + e.offset as usize;
                if e.offset as usize + w > section.len() {
                    return Err(err(
                        name,
                        format!("{rname}: relocation at offset {:#x} is outside its section", e.offset),
                    ));
                }
                if w == 5 && !padded_leb(&bytes[at..at + 5]) {
                    return Err(err(
                        name,
                        format!("{rname}: relocation at offset {:#x} does not point at a 5-byte LEB", e.offset),
                    ));
                }
                if e.index as usize >= im.symbols.len() {
                    return Err(err(
                        name,
                        format!("{rname}: relocation names symbol {}, which does not exist", e.index),
                    ));
                }
                im.relocs.push(Reloc { at, ty: e.ty, sym: e.index });
            }
        }
        // No two relocations patch the same bytes (each reads what the linker wrote, not what another wrote).
        im.relocs.sort_by_key(|r| r.at);
        for pair in im.relocs.windows(2) {
            if pair[0].at + width(pair[0].ty).unwrap_or(0) > pair[1].at {
                return Err(err(name, format!("relocations at {:#x} and {:#x} overlap", pair[0].at, pair[1].at)));
            }
        }
        // Check every value now (moving by nothing), so that a module that cannot be moved is refused before
        // anything is placed.
        super::apply::patch(&im, 0, 0, &mut bytes.to_vec())?;
        // The loader calls these (emit.rs exports them): `() -> ()` and `(i32) -> ()`.
        for (abi, params) in [("__wasm_call_ctors", 0), ("__wasm_init_tls", 1)] {
            if let Some(Sym { kind: SymKind::Func { index, defined: true }, .. }) = im.symbol(abi)
                && !im.signature_is(*index, params, 0)
            {
                return Err(err(name, format!("its {abi} has another signature than the loader calls it with")));
            }
        }
        Ok(im)
    }

    /// The symbol named `name`, if any.
    pub(crate) fn symbol(&self, name: &str) -> Option<&Sym> {
        self.symbols.iter().find(|s| s.name == name)
    }

    /// The size of its region: its data extent, aligned.
    pub(crate) fn mem_size(&self) -> u32 {
        self.hi - self.lo
    }
}

fn symbol(s: SymbolInfo<'_>) -> Sym {
    let defined = |flags: SymbolFlags| !flags.contains(SymbolFlags::UNDEFINED);
    let (name, kind) = match s {
        SymbolInfo::Func { flags, index, name } => (name, SymKind::Func { index, defined: defined(flags) }),
        SymbolInfo::Data { flags, name, symbol } => (
            Some(name),
            SymKind::Data {
                def: symbol.map(|d| (d.index, d.offset)),
                abs: flags.contains(SymbolFlags::ABSOLUTE),
                tls: flags.contains(SymbolFlags::TLS),
            },
        ),
        SymbolInfo::Global { index, name, .. } => (name, SymKind::Global { index }),
        SymbolInfo::Table { name, .. } | SymbolInfo::Event { name, .. } => (name, SymKind::Other),
        SymbolInfo::Section { .. } => (None, SymKind::Other),
    };
    Sym { name: name.unwrap_or("").to_string(), kind }
}

/// The value of a constant expression that is a single `i32.const`.
pub(crate) fn const_i32(expr: &wasmparser::ConstExpr<'_>) -> Option<i32> {
    let mut ops = expr.get_operators_reader();
    let v = match ops.read().ok()? {
        Operator::I32Const { value } => value,
        _ => return None,
    };
    matches!(ops.read().ok()?, Operator::End).then_some(v)
}
