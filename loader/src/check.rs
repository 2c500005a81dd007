//! Checking a module's `dylink.0` against the module itself, before anything is placed.
//!
//! `dylink.0` says how many bytes of memory and table slots a module needs; the loader reserves exactly
//! that. A section that claims less than the module's data (a buggy or hostile module) would make its
//! initialisation write over the next module's data, silently. So a position-independent module is
//! refused, naming the field, when:
//!
//! - **memory size**: the data segments together are larger than it (every segment — `.rodata`, `.data`,
//!   the `.tdata` image — lives in the module's region, whatever the toolchain), an active segment ends
//!   beyond it, or one is placed at an absolute address (not relative to `env.__memory_base`);
//! - **initialisation code** writes outside it: in the start function (`__wasm_init_memory`) and
//!   `__wasm_apply_data_relocs`, every `memory.init`, `memory.fill` and store whose address is
//!   `__memory_base + constant` (followed through straight-line code: constants, `global.get`, `i32.add`,
//!   locals set since the last control instruction) must fall inside the region; in `__wasm_init_tls`,
//!   a `memory.init`/`memory.fill` at `block + constant` (its parameter) must fall inside `__tls_size`;
//! - **table size**: an element segment ends beyond it, or is placed at an absolute index;
//! - **alignments**: `__tls_align` is not a power of two up to 2^16 (`dylink.0`'s own alignments are
//!   checked when it is parsed, [`MAX_P2ALIGN`](crate::dylink::MAX_P2ALIGN));
//! - **names**: a `NEEDED` or runtime-path entry is empty.
//!
//! What is not straight-line (loops, computed addresses) is not followed: the check catches inconsistent
//! declarations, it does not prove a module's code correct — nothing stops running code from writing
//! anywhere in the shared memory, as a native library can.

use std::collections::HashMap;

use wasmparser::{DataKind, ElementKind, Operator, Parser, Payload, TypeRef};

use crate::dylink::{Dylink, MAX_P2ALIGN as MAX_SANE_P2ALIGN};
use crate::error::{Error, Result};
use crate::meta::Meta;

/// An address known at load time: a constant offset from a base, or from nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Val {
    Unknown,
    Const(i64),
    /// `__memory_base + k`.
    Mem(i64),
    /// `__wasm_init_tls`'s block parameter + k.
    Tls(i64),
}

fn add(a: Val, b: Val) -> Val {
    match (a, b) {
        (Val::Const(x), Val::Const(y)) => Val::Const(x.wrapping_add(y)),
        (Val::Mem(x), Val::Const(y)) | (Val::Const(y), Val::Mem(x)) => Val::Mem(x.saturating_add(y)),
        (Val::Tls(x), Val::Const(y)) | (Val::Const(y), Val::Tls(x)) => Val::Tls(x.saturating_add(y)),
        _ => Val::Unknown,
    }
}

/// The value of a constant expression (a segment offset).
fn const_expr(expr: &wasmparser::ConstExpr, mem_base: Option<u32>, table_base: Option<u32>) -> (Val, Val) {
    // (as a memory offset, as a table offset)
    let mut stack: Vec<(Val, Val)> = Vec::new();
    let mut ops = expr.get_operators_reader();
    while let Ok(op) = ops.read() {
        match op {
            Operator::I32Const { value } => stack.push((Val::Const(value as i64), Val::Const(value as i64))),
            Operator::GlobalGet { global_index } => stack.push((
                if Some(global_index) == mem_base { Val::Mem(0) } else { Val::Unknown },
                if Some(global_index) == table_base { Val::Mem(0) } else { Val::Unknown },
            )),
            Operator::I32Add => {
                let b = stack.pop().unwrap_or((Val::Unknown, Val::Unknown));
                let a = stack.pop().unwrap_or((Val::Unknown, Val::Unknown));
                stack.push((add(a.0, b.0), add(a.1, b.1)));
            }
            Operator::End => break,
            _ => stack.push((Val::Unknown, Val::Unknown)),
        }
    }
    stack.pop().unwrap_or((Val::Unknown, Val::Unknown))
}

/// Check `dylink` against the module `bytes` (see the module docs). `name` names the module in errors.
pub(crate) fn check(name: &str, dylink: &Dylink, meta: &Meta, bytes: &[u8]) -> Result<()> {
    let bad = |reason: String| Error::dylink(name, reason);
    if let Some(i) = dylink.needed.iter().position(|n| n.is_empty()) {
        return Err(bad(format!("needed: entry {i} is an empty name")));
    }
    if let Some(i) = dylink.runtime_path.iter().position(|n| n.is_empty()) {
        return Err(bad(format!("runtime-path: entry {i} is empty")));
    }
    let tls_size = meta.const_global("__tls_size").unwrap_or(0);
    if let Some(a) = meta.const_global("__tls_align")
        && (a < 0 || (a > 0 && !(a as u64).is_power_of_two()) || a > 1 << MAX_SANE_P2ALIGN)
    {
        return Err(bad(format!("__tls_align {a} is not a power of two up to 2^{MAX_SANE_P2ALIGN} (or 0)")));
    }
    if tls_size < 0 || tls_size > u32::MAX as i64 {
        return Err(bad(format!("__tls_size {tls_size} is not a size")));
    }

    // Global indices of env.__memory_base / env.__table_base.
    let mut globals = 0u32;
    let (mut mem_base, mut table_base) = (None, None);
    let mut funcs = 0u32;
    let mem_size = dylink.mem_size as i64;
    let table_size = dylink.table_size as i64;
    let init_funcs: HashMap<u32, Val> = ["__wasm_apply_data_relocs", "__wasm_init_tls"]
        .iter()
        .filter_map(|n| match meta.export(n) {
            Some((crate::meta::ExportKind::Func { index }, _)) => {
                Some((*index, if *n == "__wasm_init_tls" { Val::Tls(0) } else { Val::Unknown }))
            }
            _ => None,
        })
        .collect();
    let mut init_funcs = init_funcs;
    let mut data_total: u64 = 0;
    let mut code_index = 0u32;
    let mut init_code = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        let Ok(payload) = payload else { return Ok(()) }; // the machine already validated the module
        match payload {
            Payload::ImportSection(r) => {
                for imp in r.into_imports().flatten() {
                    match imp.ty {
                        TypeRef::Global(_) => {
                            if imp.module == "env" && imp.name == "__memory_base" {
                                mem_base = Some(globals);
                            }
                            if imp.module == "env" && imp.name == "__table_base" {
                                table_base = Some(globals);
                            }
                            globals += 1;
                        }
                        TypeRef::Func(_) | TypeRef::FuncExact(_) => funcs += 1,
                        _ => {}
                    }
                }
            }
            Payload::StartSection { func, .. } => {
                init_funcs.insert(func, Val::Unknown);
            }
            Payload::DataSection(r) => {
                for (i, d) in r.into_iter().enumerate() {
                    let Ok(d) = d else { return Ok(()) };
                    let len = d.data.len() as u64;
                    data_total += len;
                    if data_total > mem_size as u64 {
                        return Err(bad(format!(
                            "mem-info: memory size {mem_size} is smaller than the module's data segments ({} \
                             bytes or more, through segment {i})",
                            data_total
                        )));
                    }
                    if let DataKind::Active { offset_expr, .. } = d.kind {
                        let at = const_expr(&offset_expr, mem_base, table_base).0;
                        placed(at, len as i64, &MEMORY_SEGMENT, i, mem_size).map_err(bad)?;
                    }
                }
            }
            Payload::ElementSection(r) => {
                for (i, e) in r.into_iter().enumerate() {
                    let Ok(e) = e else { return Ok(()) };
                    let len = match &e.items {
                        wasmparser::ElementItems::Functions(r) => r.count(),
                        wasmparser::ElementItems::Expressions(_, r) => r.count(),
                    } as i64;
                    if let ElementKind::Active { offset_expr, .. } = e.kind {
                        let at = const_expr(&offset_expr, mem_base, table_base).1;
                        placed(at, len, &TABLE_SEGMENT, i, table_size).map_err(bad)?;
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                let index = funcs + code_index;
                code_index += 1;
                if let Some(&param) = init_funcs.get(&index) {
                    init_code.push((index, param, body));
                }
            }
            _ => {}
        }
    }
    // After the data section (which follows the code section): sizes first, then what code does.
    for (index, param, body) in init_code {
        check_init_code(&body, mem_base, param, mem_size, tls_size)
            .map_err(|why| bad(format!("{why} (function {index})")))?;
    }
    Ok(())
}

/// Follow straight-line code of an initialisation function; `param0` is what its first parameter is.
fn check_init_code(
    body: &wasmparser::FunctionBody,
    mem_base: Option<u32>,
    param0: Val,
    mem_size: i64,
    tls_size: i64,
) -> Result<(), String> {
    let Ok(mut ops) = body.get_operators_reader() else { return Ok(()) };
    let mut stack: Vec<Val> = Vec::new();
    let mut locals: HashMap<u32, Val> = HashMap::new();
    let within = |dest: Val, len: i64, what: &str| -> Result<(), String> {
        match dest {
            Val::Mem(k) if k < 0 || k + len > mem_size => Err(format!(
                "mem-info: memory size {mem_size} does not cover the initialisation code's {what} at \
                 __memory_base{k:+} ({len} bytes)"
            )),
            Val::Tls(k) if k < 0 || k + len > tls_size => Err(format!(
                "__tls_size {tls_size} does not cover __wasm_init_tls's {what} at the block{k:+} ({len} bytes)"
            )),
            _ => Ok(()),
        }
    };
    let pop = |stack: &mut Vec<Val>| stack.pop().unwrap_or(Val::Unknown);
    while !ops.eof() {
        let Ok(op) = ops.read() else { return Ok(()) };
        let store = |width: i64, offset: u64, stack: &mut Vec<Val>| {
            let _value = pop(stack);
            let addr = pop(stack);
            within(add(addr, Val::Const(offset as i64)), width, "store")
        };
        match op {
            Operator::I32Const { value } => stack.push(Val::Const(value as i64)),
            Operator::GlobalGet { global_index } => {
                stack.push(if Some(global_index) == mem_base { Val::Mem(0) } else { Val::Unknown })
            }
            Operator::LocalGet { local_index } => stack.push(match locals.get(&local_index) {
                Some(v) => *v,
                None if local_index == 0 => param0,
                None => Val::Unknown,
            }),
            Operator::LocalSet { local_index } => {
                let v = pop(&mut stack);
                locals.insert(local_index, v);
            }
            Operator::LocalTee { local_index } => {
                let v = pop(&mut stack);
                locals.insert(local_index, v);
                stack.push(v);
            }
            Operator::I32Add => {
                let b = pop(&mut stack);
                let a = pop(&mut stack);
                stack.push(add(a, b));
            }
            Operator::MemoryInit { .. } | Operator::MemoryFill { .. } => {
                let len = pop(&mut stack);
                let _src = pop(&mut stack);
                let dest = pop(&mut stack);
                if let Val::Const(len) = len {
                    let what = if matches!(op, Operator::MemoryFill { .. }) { "memory.fill" } else { "memory.init" };
                    within(dest, len, what)?;
                }
            }
            Operator::I32Store { memarg } | Operator::F32Store { memarg } => store(4, memarg.offset, &mut stack)?,
            Operator::I64Store { memarg } | Operator::F64Store { memarg } => store(8, memarg.offset, &mut stack)?,
            Operator::I32Store8 { memarg } | Operator::I64Store8 { memarg } => store(1, memarg.offset, &mut stack)?,
            Operator::I32Store16 { memarg } | Operator::I64Store16 { memarg } => store(2, memarg.offset, &mut stack)?,
            Operator::I64Store32 { memarg } => store(4, memarg.offset, &mut stack)?,
            // Anything else: what is on the stack, and what locals hold after a control instruction, is no
            // longer known (a join of paths, or a value this follower does not compute).
            Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::Else
            | Operator::End
            | Operator::Br { .. }
            | Operator::BrIf { .. }
            | Operator::BrTable { .. }
            | Operator::Return
            | Operator::Unreachable
            | Operator::Call { .. }
            | Operator::CallIndirect { .. } => {
                stack.clear();
                let p0 = locals.get(&0).copied();
                locals.clear();
                // The parameter keeps its value unless the function assigned it.
                if let Some(v) = p0
                    && v != param0
                {
                    locals.insert(0, Val::Unknown);
                }
            }
            _ => {
                stack.clear();
            }
        }
    }
    Ok(())
}

/// How an active segment of one kind is placed: its names in messages.
struct SegmentKind {
    segment: &'static str,
    size: &'static str,
    base: &'static str,
    unit: &'static str,
}

const MEMORY_SEGMENT: SegmentKind =
    SegmentKind { segment: "data segment", size: "memory size", base: "__memory_base", unit: "bytes" };
const TABLE_SEGMENT: SegmentKind =
    SegmentKind { segment: "element segment", size: "table size", base: "__table_base", unit: "slots" };

/// Segment `i` of `len` units placed at `at` must be relative to its base and lie within `size`.
fn placed(at: Val, len: i64, kind: &SegmentKind, i: usize, size: i64) -> std::result::Result<(), String> {
    let SegmentKind { segment, size: size_name, base, unit } = kind;
    match at {
        Val::Mem(k) if k >= 0 && k + len <= size => Ok(()),
        Val::Mem(k) => {
            Err(format!("mem-info: {size_name} {size} does not cover {segment} {i} at {base}{k:+} ({len} {unit})"))
        }
        _ => Err(format!("{segment} {i} is not placed relative to env.{base} (not position independent)")),
    }
}
