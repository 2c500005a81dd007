//! The `dylink.0` custom section: what a position-independent module needs from its loader.
//!
//! Defined by the WebAssembly tool conventions (`DynamicLinking.md`) and emitted by `wasm-ld -shared` /
//! `-pie` and by Emscripten's `-sSIDE_MODULE`: how many bytes of memory and table slots the module wants
//! (placed at `__memory_base` / `__table_base`) and with what alignment, which libraries it needs
//! (`NEEDED`, like ELF `DT_NEEDED`), flags of some exports (thread-local symbols) and imports (weak
//! references), and a runtime search path.
//!
//! Parsing is done by wasmparser's [`Dylink0SectionReader`]; this module adds the checks a loader needs:
//! exactly one section, every required subsection present once, alignments that can be honoured in a 32-bit
//! address space. Errors name the module and say what is wrong.

use std::collections::HashMap;

use wasmparser::{BinaryReader, Dylink0SectionReader, Dylink0Subsection, SymbolFlags};

use crate::error::{Error, Result};

/// The largest alignment (log2) the loader honours: a wasm page (64 KiB, or 65536 table slots). Toolchains
/// ask for at most 16 bytes; more only wastes the address space (2^31 would leave room for one module).
pub const MAX_P2ALIGN: u32 = 16;

/// Flags of one symbol in the export or import info of `dylink.0`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SymFlags(pub u32);

impl SymFlags {
    /// A weak symbol: for an import, a missing definition resolves to 0 / null instead of failing.
    pub fn weak(self) -> bool {
        self.0 & SymbolFlags::BINDING_WEAK.bits() != 0
    }
    /// A thread-local symbol: its exported value is an offset from the module's `__tls_base`.
    pub fn tls(self) -> bool {
        self.0 & SymbolFlags::TLS.bits() != 0
    }
    /// A hidden symbol (not visible to other modules).
    pub fn hidden(self) -> bool {
        self.0 & SymbolFlags::VISIBILITY_HIDDEN.bits() != 0
    }
}

/// The decoded `dylink.0` section of one module.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dylink {
    /// Bytes of memory to reserve at `__memory_base`.
    pub mem_size: u32,
    /// Alignment of the memory region, as a power of two.
    pub mem_p2align: u32,
    /// Table slots to reserve at `__table_base`.
    pub table_size: u32,
    /// Alignment of the table region, as a power of two.
    pub table_p2align: u32,
    /// Libraries to load first (`DT_NEEDED`), in order.
    pub needed: Vec<String>,
    /// Flags of exports that have any (e.g. `[tls]`), by export name.
    pub exports: HashMap<String, SymFlags>,
    /// Flags of imports that have any (e.g. `binding=weak`), by `(module, field)`.
    pub imports: HashMap<(String, String), SymFlags>,
    /// Directories to search for `needed` libraries (`$ORIGIN` is the module's directory).
    pub runtime_path: Vec<String>,
}

impl Dylink {
    /// Parse the contents of a `dylink.0` section of the module `module` (named for errors).
    pub fn parse(module: &str, bytes: &[u8]) -> Result<Dylink> {
        let bad = |reason: String| Error::dylink(module, reason);
        let mut info = Dylink::default();
        let mut seen = [false; 7];
        for sub in Dylink0SectionReader::new(BinaryReader::new(bytes, 0)) {
            let sub = sub.map_err(|e| bad(format!("{} (at byte {} of the section)", e.message(), e.offset())))?;
            let id = match &sub {
                Dylink0Subsection::MemInfo(_) => 1,
                Dylink0Subsection::Needed(_) => 2,
                Dylink0Subsection::ExportInfo(_) => 3,
                Dylink0Subsection::ImportInfo(_) => 4,
                Dylink0Subsection::RuntimePath(_) => 5,
                Dylink0Subsection::TargetArch(_) => 6,
                // Unknown subsections are skipped, as the conventions require for forward compatibility.
                Dylink0Subsection::Unknown { .. } => 0,
            };
            if id != 0 {
                if seen[id] {
                    return Err(bad(format!("subsection {id} appears twice")));
                }
                seen[id] = true;
            }
            match sub {
                Dylink0Subsection::MemInfo(m) => {
                    info.mem_size = m.memory_size;
                    info.mem_p2align = m.memory_alignment;
                    info.table_size = m.table_size;
                    info.table_p2align = m.table_alignment;
                }
                Dylink0Subsection::Needed(n) => info.needed = n.into_iter().map(str::to_string).collect(),
                Dylink0Subsection::ExportInfo(e) => {
                    info.exports = e.into_iter().map(|e| (e.name.to_string(), SymFlags(e.flags.bits()))).collect()
                }
                Dylink0Subsection::ImportInfo(i) => {
                    info.imports = i
                        .into_iter()
                        .map(|i| ((i.module.to_string(), i.field.to_string()), SymFlags(i.flags.bits())))
                        .collect()
                }
                Dylink0Subsection::RuntimePath(p) => info.runtime_path = p.into_iter().map(str::to_string).collect(),
                Dylink0Subsection::TargetArch(arch) => {
                    if arch != "wasm32" {
                        return Err(bad(format!("built for target {arch}, not wasm32")));
                    }
                }
                Dylink0Subsection::Unknown { .. } => {}
            }
        }
        if !seen[1] {
            return Err(bad("no memory-info subsection (memory and table sizes)".into()));
        }
        if info.mem_p2align > MAX_P2ALIGN {
            return Err(bad(format!("mem-info: memory alignment 2^{} is above 2^{MAX_P2ALIGN}", info.mem_p2align)));
        }
        if info.table_p2align > MAX_P2ALIGN {
            return Err(bad(format!("mem-info: table alignment 2^{} is above 2^{MAX_P2ALIGN}", info.table_p2align)));
        }
        Ok(info)
    }

    /// The `dylink.0` section of `module`, `None` if it has none. More than one section is an error.
    pub fn of_module(name: &str, module: &wasmvm::Module) -> Result<Option<Dylink>> {
        let mut sections = module.custom_sections("dylink.0");
        let Some(first) = sections.next() else {
            if module.custom_sections("dylink").next().is_some() {
                return Err(Error::dylink(name, "only the legacy `dylink` section (rebuild with LLVM >= 13)"));
            }
            return Ok(None);
        };
        if sections.next().is_some() {
            return Err(Error::dylink(name, "more than one dylink.0 section"));
        }
        Dylink::parse(name, first).map(Some)
    }

    /// Is the import `module.field` weak?
    pub fn weak_import(&self, module: &str, field: &str) -> bool {
        // Avoid allocating: the map is small, and this is only consulted for unresolved imports.
        self.imports.iter().any(|((m, f), flags)| m == module && f == field && flags.weak())
    }

    /// Is the export `name` a thread-local symbol?
    pub fn tls_export(&self, name: &str) -> bool {
        self.exports.get(name).is_some_and(|f| f.tls())
    }

    /// Memory alignment in bytes.
    pub fn mem_align(&self) -> u64 {
        1u64 << self.mem_p2align
    }

    /// Table alignment in slots.
    pub fn table_align(&self) -> u64 {
        1u64 << self.table_p2align
    }
}

/// What a runner needs to know about a module before choosing how to run it: whether it needs the loader
/// (`wasmvm run` uses the loader for it even without `--preload`), and the memory it imports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// It has a `dylink.0` section (a shared library or a position-independent program).
    pub dylink: bool,
    /// It imports `env.__indirect_function_table` (a program linked against shared libraries).
    pub imports_table: bool,
    /// Its imported memory: shared, and the maximum in pages.
    pub memory: Option<(bool, Option<u64>)>,
    /// It has a `linking` section (`wasm-ld --emit-relocs`): without `dylink.0`, the loader can relocate it.
    pub linking: bool,
    /// It imports from module `wasmvm`: the loader's built-ins (`dlopen`, its allocator, `log`).
    pub imports_builtins: bool,
}

impl Facts {
    /// Does the module need the loader even when it is the only module (it is position independent, it
    /// imports the function table that libraries share, or the loader's `wasmvm.*` built-ins)?
    pub fn needs_loader(&self) -> bool {
        self.dylink || self.imports_table || self.imports_builtins
    }
}

/// Scan a module's sections, skipping its code (no validation, no compilation, `dylink.0` only looked for).
/// `None` if the bytes do not parse; the compiler will say why.
pub fn scan(bytes: &[u8]) -> Option<Facts> {
    use wasmparser::{Chunk, Parser, Payload, TypeRef};
    let mut facts = Facts::default();
    let mut parser = Parser::new(0);
    let mut at = 0usize;
    loop {
        let Chunk::Parsed { consumed, payload } = parser.parse(bytes.get(at..)?, true).ok()? else { return None };
        at += consumed;
        match payload {
            Payload::CustomSection(c) if c.name() == "dylink.0" => facts.dylink = true,
            Payload::CustomSection(c) if c.name() == "linking" => facts.linking = true,
            Payload::ImportSection(imports) => {
                for imp in imports.into_imports() {
                    let imp = imp.ok()?;
                    facts.imports_builtins |= imp.module == "wasmvm";
                    match imp.ty {
                        TypeRef::Table(_) if imp.module == "env" && imp.name == "__indirect_function_table" => {
                            facts.imports_table = true;
                        }
                        TypeRef::Memory(m) => facts.memory = Some((m.shared, m.maximum)),
                        _ => {}
                    }
                }
            }
            Payload::CodeSectionStart { size, .. } => {
                parser.skip_section();
                at += size as usize;
            }
            Payload::End(_) => break,
            _ => {}
        }
    }
    Some(facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leb(mut v: u32, out: &mut Vec<u8>) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                break;
            }
            out.push(b | 0x80);
        }
    }

    fn sub(id: u8, body: &[u8], out: &mut Vec<u8>) {
        out.push(id);
        leb(body.len() as u32, out);
        out.extend_from_slice(body);
    }

    fn string(s: &str, out: &mut Vec<u8>) {
        leb(s.len() as u32, out);
        out.extend_from_slice(s.as_bytes());
    }

    fn mem_info(size: u32, p2: u32, tsize: u32, tp2: u32) -> Vec<u8> {
        let mut b = Vec::new();
        for v in [size, p2, tsize, tp2] {
            leb(v, &mut b);
        }
        let mut out = Vec::new();
        sub(1, &b, &mut out);
        out
    }

    #[test]
    fn full_section() {
        let mut s = mem_info(100, 4, 3, 0);
        let mut needed = Vec::new();
        leb(2, &mut needed);
        string("liba.so", &mut needed);
        string("libb.so", &mut needed);
        sub(2, &needed, &mut s);
        let mut exports = Vec::new();
        leb(1, &mut exports);
        string("tls_var", &mut exports);
        leb(SymbolFlags::TLS.bits(), &mut exports);
        sub(3, &exports, &mut s);
        let mut imports = Vec::new();
        leb(1, &mut imports);
        string("env", &mut imports);
        string("maybe", &mut imports);
        leb(SymbolFlags::BINDING_WEAK.bits() | SymbolFlags::UNDEFINED.bits(), &mut imports);
        sub(4, &imports, &mut s);
        let mut rpath = Vec::new();
        leb(1, &mut rpath);
        string("$ORIGIN/lib", &mut rpath);
        sub(5, &rpath, &mut s);
        sub(9, b"future", &mut s);
        let d = Dylink::parse("m.so", &s).unwrap();
        assert_eq!((d.mem_size, d.mem_p2align, d.table_size, d.table_p2align), (100, 4, 3, 0));
        assert_eq!(d.needed, ["liba.so", "libb.so"]);
        assert!(d.tls_export("tls_var"));
        assert!(!d.tls_export("other"));
        assert!(d.weak_import("env", "maybe"));
        assert!(!d.weak_import("env", "other"));
        assert_eq!(d.runtime_path, ["$ORIGIN/lib"]);
        assert_eq!(d.mem_align(), 16);
    }

    #[test]
    fn truncated() {
        let s = mem_info(100, 4, 3, 0);
        let e = Dylink::parse("m.so", &s[..s.len() - 1]).unwrap_err();
        assert_eq!(e.to_string(), "m.so: bad dylink.0 section: unexpected end-of-file (at byte 2 of the section)");
    }

    #[test]
    fn missing_mem_info() {
        let e = Dylink::parse("m.so", &[]).unwrap_err();
        assert_eq!(e.to_string(), "m.so: bad dylink.0 section: no memory-info subsection (memory and table sizes)");
    }

    #[test]
    fn duplicate_and_unsatisfiable() {
        let mut s = mem_info(1, 0, 0, 0);
        s.extend(mem_info(1, 0, 0, 0));
        let e = Dylink::parse("m.so", &s).unwrap_err();
        assert_eq!(e.to_string(), "m.so: bad dylink.0 section: subsection 1 appears twice");
        let e = Dylink::parse("m.so", &mem_info(1, 40, 0, 0)).unwrap_err();
        assert_eq!(e.to_string(), "m.so: bad dylink.0 section: mem-info: memory alignment 2^40 is above 2^16");
        let e = Dylink::parse("m.so", &mem_info(1, 0, 1, 32)).unwrap_err();
        assert_eq!(e.to_string(), "m.so: bad dylink.0 section: mem-info: table alignment 2^32 is above 2^16");
    }

    fn facts(wat: &str) -> Facts {
        scan(&wat::parse_str(wat).unwrap()).unwrap()
    }

    #[test]
    fn scan_tells_which_modules_need_the_loader() {
        let plain = facts(r#"(module (import "env" "memory" (memory 1 16 shared)) (func (export "_start")))"#);
        assert_eq!(plain, Facts { memory: Some((true, Some(16))), ..Facts::default() });
        assert!(!plain.needs_loader());
        let table = facts(r#"(module (import "env" "__indirect_function_table" (table 1 funcref)))"#);
        assert!(table.imports_table && table.needs_loader() && table.memory.is_none());
        let pic = facts(r#"(module (@dylink.0 (mem-info (memory 4 2))) (import "env" "memory" (memory 1)))"#);
        assert_eq!(pic, Facts { dylink: true, memory: Some((false, None)), ..Facts::default() });
        assert!(pic.needs_loader());
        assert_eq!(scan(b"\0asm\x01\0\0\0\x01"), None);
    }
}
