//! Runtime values.
//!
//! Inside the machine every value occupies one 64-bit slot ("raw" form; a `v128` two consecutive slots,
//! low half first): integers zero-extended, floats as their bit patterns (so NaN payloads survive), references as store-scoped handles where 0 means null.
//! [`Val`] is the typed form the embedding API uses.

use crate::store::{AnyRef, ExnRef, ExternRef, Func};
use crate::types::ValType;

/// A typed WebAssembly value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val {
    /// An `i32` (its bits; the sign is how Rust shows it, not part of the wasm type).
    I32(i32),
    /// An `i64` (its bits; the sign is how Rust shows it).
    I64(i64),
    /// An `f32`, as its bit pattern (NaN payloads are preserved).
    F32(u32),
    /// An `f64`, as its bit pattern.
    F64(u64),
    /// A `v128`, lane 0 in the least significant bits.
    V128(u128),
    /// A function reference; `None` is the null reference.
    FuncRef(Option<Func>),
    /// A host reference; `None` is the null reference.
    ExternRef(Option<ExternRef>),
    /// A reference to a caught exception (of one store); `None` is the null reference.
    ExnRef(Option<ExnRef>),
    /// A reference of the `any` hierarchy (GC: `anyref`, `eqref`, `structref`, `i31ref`...); `None` is the
    /// null reference.
    AnyRef(Option<AnyRef>),
}

impl Val {
    /// An `f32` value.
    pub fn f32(v: f32) -> Self {
        Val::F32(v.to_bits())
    }
    /// An `f64` value.
    pub fn f64(v: f64) -> Self {
        Val::F64(v.to_bits())
    }
    /// The type of this value.
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::V128(_) => ValType::V128,
            Val::FuncRef(_) => ValType::FuncRef,
            Val::ExternRef(_) => ValType::ExternRef,
            Val::ExnRef(_) => ValType::ExnRef,
            Val::AnyRef(_) => ValType::Ref(crate::RefType { nullable: true, heap: crate::HeapType::Any }),
        }
    }
    /// May this value be stored where a `ty` is expected? Equal types, and for references: the same family
    /// (function, extern, exception or `any`), and not null where the type is non-nullable. What a reference
    /// names (a function of the right type, an object of the right struct type, an `i31`) needs the store:
    /// the API checks it where a value enters wasm (arguments, globals, tables).
    pub fn fits(&self, ty: ValType) -> bool {
        match (self, ty.as_ref()) {
            (Val::FuncRef(f), Some(r)) => r.heap.is_func() && (r.nullable || f.is_some()),
            (Val::ExternRef(e), Some(r)) => r.heap.is_extern() && (r.nullable || e.is_some()),
            (Val::ExnRef(x), Some(r)) => r.heap.is_exn() && (r.nullable || x.is_some()),
            (Val::AnyRef(a), Some(r)) => r.heap.is_any() && (r.nullable || a.is_some()),
            _ => self.ty() == ty,
        }
    }
    /// The default (zero or null) value of a type.
    pub fn default_of(ty: ValType) -> Self {
        match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::V128 => Val::V128(0),
            ValType::FuncRef => Val::FuncRef(None),
            ValType::ExternRef => Val::ExternRef(None),
            ValType::ExnRef => Val::ExnRef(None),
            ValType::Ref(r) if r.heap.is_func() => Val::FuncRef(None),
            ValType::Ref(r) if r.heap.is_exn() => Val::ExnRef(None),
            ValType::Ref(r) if r.heap.is_any() => Val::AnyRef(None),
            ValType::Ref(_) => Val::ExternRef(None),
        }
    }
    /// The value, if this is an `i32` (no conversion from other types).
    pub fn i32(&self) -> Option<i32> {
        if let Val::I32(v) = self { Some(*v) } else { None }
    }
    /// The value, if this is an `i64` (an `i32` is not widened).
    pub fn i64(&self) -> Option<i64> {
        if let Val::I64(v) = self { Some(*v) } else { None }
    }
    /// The value as a Rust float, if this is an `f32` (NaN payloads survive the bit cast).
    pub fn as_f32(&self) -> Option<f32> {
        if let Val::F32(v) = self { Some(f32::from_bits(*v)) } else { None }
    }
    /// The vector's bits, lane 0 lowest, if this is a `v128`.
    pub fn v128(&self) -> Option<u128> {
        if let Val::V128(v) = self { Some(*v) } else { None }
    }
    /// The value as a Rust float, if this is an `f64` (NaN payloads survive the bit cast).
    pub fn as_f64(&self) -> Option<f64> {
        if let Val::F64(v) = self { Some(f64::from_bits(*v)) } else { None }
    }
}

impl From<i32> for Val {
    fn from(v: i32) -> Self {
        Val::I32(v)
    }
}
impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::I64(v)
    }
}
impl From<f32> for Val {
    fn from(v: f32) -> Self {
        Val::f32(v)
    }
}
impl From<f64> for Val {
    fn from(v: f64) -> Self {
        Val::f64(v)
    }
}
