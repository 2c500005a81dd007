//! Tiny generated modules the loader instantiates alongside the program's.
//!
//! - A **trampoline** imports one host function and nothing else. Its function 0 is that host function,
//!   so the funcref `(trampoline slot, 0)` names the host function on every thread; without it a host
//!   function's address could not go into the shared table (a host function's slot differs per store).

use wasmvm::{FuncType, ValType};

fn leb(mut v: u64, out: &mut Vec<u8>) {
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

fn name(s: &str, out: &mut Vec<u8>) {
    leb(s.len() as u64, out);
    out.extend_from_slice(s.as_bytes());
}

fn val(t: &ValType) -> u8 {
    match t {
        ValType::I32 => 0x7f,
        ValType::I64 => 0x7e,
        ValType::F32 => 0x7d,
        ValType::F64 => 0x7c,
        ValType::V128 => 0x7b,
        ValType::FuncRef => 0x70,
        ValType::ExternRef => 0x6f,
        ValType::ExnRef => 0x69,
        // Host functions with typed references do not occur in the loader's imports; a typed reference is
        // written as its nullable abstract type, so such a trampoline fails to link with a clear message.
        ValType::Ref(r) if r.heap.is_func() => 0x70,
        ValType::Ref(r) if r.heap.is_exn() => 0x69,
        ValType::Ref(r) if r.heap.is_any() => 0x6e,
        ValType::Ref(_) => 0x6f,
    }
}

fn section(id: u8, count: usize, body: Vec<u8>, out: &mut Vec<u8>) {
    let mut b = Vec::new();
    leb(count as u64, &mut b);
    b.extend(body);
    out.push(id);
    leb(b.len() as u64, out);
    out.extend(b);
}

fn types(tys: &[&FuncType], out: &mut Vec<u8>) {
    let mut body = Vec::new();
    for ty in tys {
        body.push(0x60);
        leb(ty.params().len() as u64, &mut body);
        body.extend(ty.params().iter().map(val));
        leb(ty.results().len() as u64, &mut body);
        body.extend(ty.results().iter().map(val));
    }
    section(1, tys.len(), body, out);
}

const HEADER: &[u8] = b"\0asm\x01\0\0\0";

/// `(module (import "module" "field" (func (type ty))))`.
pub(crate) fn trampoline(module: &str, field: &str, ty: &FuncType) -> Vec<u8> {
    let mut out = HEADER.to_vec();
    types(&[ty], &mut out);
    let mut imports = Vec::new();
    name(module, &mut imports);
    name(field, &mut imports);
    imports.extend([0x00, 0x00]);
    section(2, 1, imports, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_modules_validate() {
        let engine = wasmvm::Engine::default();
        let ty = FuncType::new([ValType::I32, ValType::I64], [ValType::F64]);
        wasmvm::Module::new(&engine, &trampoline("env", "malloc", &ty)).unwrap();
    }
}
