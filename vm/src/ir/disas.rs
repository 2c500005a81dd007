//! The disassembler: translated code printed for people (`wasmvm explore`, the snapshot tests in
//! `vm/tests/disas/`). It walks the instructions recorded during translation (with
//! [`Config::disassembly`](crate::Config::disassembly)) and decodes each one's operands through the
//! instruction table (`ir::isa`), checking that every instruction ends where the next one begins.

use super::Mark;

/// One translated instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Byte offset in the function's translated code.
    pub offset: usize,
    /// Length in bytes (handler address, operands and any trailing data).
    pub len: usize,
    /// The instruction family and its generic arguments, e.g. `binary_si<I32Add>`.
    pub name: String,
    /// The operands, e.g. `dst=s3 a=s1 imm=1`; branch targets print as `@offset`.
    pub operands: String,
    /// Offset in the module of the wasm operator whose translation emitted this instruction.
    pub wasm_offset: u32,
}

/// Decode `code` along its recorded instructions. An instruction whose length does not match the start of the
/// next one (a table error) has operands `<bad length: N>`.
pub(crate) fn disassemble(code: &[u8], marks: &[Mark]) -> Vec<Instruction> {
    let mut out = Vec::with_capacity(marks.len());
    for (i, m) in marks.iter().enumerate() {
        let end = marks.get(i + 1).map_or(code.len(), |n| n.pos);
        let mut operands = String::new();
        let len = match (m.info.decode)(code, m.pos, &mut operands) {
            Some(len) if m.pos + len == end => len,
            Some(len) => {
                operands = format!("<bad length: {len}, next instruction at +{}>", end - m.pos);
                end - m.pos
            }
            None => {
                operands = "<truncated>".into();
                end - m.pos
            }
        };
        out.push(Instruction { offset: m.pos, len, name: m.info.name(), operands, wasm_offset: m.wasm_offset });
    }
    out
}

/// Print the translated code of the functions of `module` (compiled from `wasm` by an engine with
/// [`Config::disassembly`](crate::Config::disassembly)) for which `select(index, names)` holds; each instruction
/// with the wasm operator it came from. Function names come from the name section and exports.
pub fn print(module: &crate::Module, wasm: &[u8], select: impl Fn(u32, &[String]) -> bool) -> crate::Result<String> {
    use std::fmt::Write as _;
    let ops = operators_by_offset(wasm)?;
    let names = function_names(module);
    let mut out = String::new();
    for index in 0..module.num_funcs() {
        let fnames = names.get(&index).map_or(&[][..], |v| &v[..]);
        if !select(index, fnames) {
            continue;
        }
        let Some(code) = module.disassemble(index) else { continue };
        let label = if fnames.is_empty() { String::new() } else { format!(" ({})", fnames.join(", ")) };
        let _ = writeln!(out, "func {index}{label}:");
        let mut last_wasm = None;
        for i in &code {
            let op = if last_wasm == Some(i.wasm_offset) {
                String::new()
            } else {
                let text = ops.get(&i.wasm_offset).map_or("", |s| s.as_str());
                format!("; @{:04x} {text}", i.wasm_offset)
            };
            last_wasm = Some(i.wasm_offset);
            let line = format!("  {:04x}  {:<36} {:<44} {op}", i.offset, i.name, i.operands);
            let _ = writeln!(out, "{}", line.trim_end());
        }
        // The handler table (`try_table`s emit no code; the unwinder reads this).
        let defined = index.checked_sub(module.inner.num_imported_funcs);
        for r in defined.and_then(|i| module.inner.code.get(i as usize)).map_or(&[][..], |c| &c.handlers[..]) {
            let _ = write!(out, "  try @{:04x}..@{:04x}:", r.start, r.end);
            for c in r.catches.iter() {
                let clause = match (c.tag == crate::translate::CATCH_ALL, c.is_ref) {
                    (true, false) => "catch_all".to_string(),
                    (true, true) => "catch_all_ref".to_string(),
                    (false, false) => format!("catch tag{}", c.tag),
                    (false, true) => format!("catch_ref tag{}", c.tag),
                };
                let _ = write!(out, " {clause} -> @{:04x} (values at s{});", c.target, c.dst);
            }
            out.push('\n');
        }
        out.push('\n');
    }
    Ok(out)
}

/// Every operator of every function body, by offset, as short text (`local.get 0`, `i32.load offset=8`).
pub(crate) fn operators_by_offset(wasm: &[u8]) -> crate::Result<hashbrown::HashMap<u32, String>> {
    let mut map = hashbrown::HashMap::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(crate::module::malformed)?;
        if let wasmparser::Payload::CodeSectionEntry(body) = payload {
            let mut reader = body.get_operators_reader().map_err(crate::module::malformed)?;
            while !reader.eof() {
                let offset = reader.original_position() as u32;
                let op = reader.read().map_err(crate::module::malformed)?;
                map.insert(offset, operator_text(&op));
            }
        }
    }
    Ok(map)
}

/// `I32Load8U { memarg: MemArg { .., offset: 8, .. } }` → `i32.load8_u offset=8`.
fn operator_text(op: &wasmparser::Operator<'_>) -> String {
    let debug = format!("{op:?}");
    let name_end = debug.find([' ', '{', '(']).unwrap_or(debug.len());
    let mut words = Vec::new();
    let mut word = String::new();
    for c in debug[..name_end].chars() {
        if c.is_ascii_uppercase() && !word.is_empty() && !word.ends_with(|p: char| p.is_ascii_uppercase()) {
            words.push(std::mem::take(&mut word));
        }
        word.push(c.to_ascii_lowercase());
    }
    words.push(word);
    const PREFIXES: [&str; 12] =
        ["i32", "i64", "f32", "f64", "v128", "local", "global", "memory", "table", "ref", "data", "elem"];
    let mut text = if words.len() > 1 && PREFIXES.contains(&words[0].as_str()) {
        format!("{}.{}", words[0], words[1..].join("_"))
    } else {
        words.join("_")
    };
    // Immediates worth showing: indices, depths, constants and non-zero offsets.
    let rest = &debug[name_end..];
    for key in ["local_index", "global_index", "function_index", "relative_depth", "value", "offset"] {
        let pat = format!("{key}: ");
        if let Some(at) = rest.find(&pat) {
            let v: String = rest[at + pat.len()..].chars().take_while(|c| c.is_ascii_digit() || *c == '-').collect();
            if v.is_empty() || (key == "offset" && v == "0") {
                continue;
            }
            if key == "offset" {
                text.push_str(&format!(" offset={v}"));
            } else {
                text.push_str(&format!(" {v}"));
            }
        }
    }
    text
}

/// Names of functions by index: the name section's (kept by the module), then export names.
fn function_names(module: &crate::Module) -> hashbrown::HashMap<u32, Vec<String>> {
    let mut names: hashbrown::HashMap<u32, Vec<String>> =
        module.inner.func_names.iter().map(|(&i, n)| (i, vec![n.clone()])).collect();
    for e in module.exports() {
        if let Some(index) = module.export_func_index(&e.name) {
            let v = names.entry(index).or_default();
            if !v.contains(&e.name) {
                v.push(e.name.clone());
            }
        }
    }
    names
}
