//! The types of WebAssembly: value, function, global, memory and table types, and import/export kinds.

use std::fmt;
use std::sync::Arc;

/// A WebAssembly value type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValType {
    /// A 32-bit integer; signedness is up to the instructions that use it.
    I32,
    /// A 64-bit integer; signedness is up to the instructions that use it.
    I64,
    /// An IEEE 754 single-precision float.
    F32,
    /// An IEEE 754 double-precision float.
    F64,
    /// A 128-bit SIMD vector (two frame slots).
    V128,
    /// A reference to a function (of any type), or null.
    FuncRef,
    /// A reference to a host value opaque to wasm, or null.
    ExternRef,
    /// A reference to a caught exception (exception handling), or null. Typed function references
    /// (`(ref $t)`, `(ref func)`) are [`ValType::FuncRef`] here: the validator has checked their use, and at
    /// run time they are function references.
    ExnRef,
}

impl ValType {
    /// How many 8-byte frame slots a value of this type occupies (2 for `v128`, else 1).
    pub(crate) const fn slots(self) -> u32 {
        match self {
            ValType::V128 => 2,
            _ => 1,
        }
    }

    pub(crate) fn from_wasmparser(ty: wasmparser::ValType) -> Result<Self, String> {
        use wasmparser::ValType as V;
        Ok(match ty {
            V::I32 => ValType::I32,
            V::I64 => ValType::I64,
            V::F32 => ValType::F32,
            V::F64 => ValType::F64,
            V::V128 => ValType::V128,
            V::Ref(r) => {
                use wasmparser::{AbstractHeapType as A, HeapType as H};
                match r.heap_type() {
                    // Indexed references can only name function types (GC types are refused).
                    H::Concrete(_) | H::Abstract { shared: false, ty: A::Func | A::NoFunc } => ValType::FuncRef,
                    H::Abstract { shared: false, ty: A::Extern | A::NoExtern } => ValType::ExternRef,
                    H::Abstract { shared: false, ty: A::Exn | A::NoExn } => ValType::ExnRef,
                    _ => return Err(format!("reference type {r} is not supported")),
                }
            }
        })
    }
    /// Is this a reference type?
    pub fn is_ref(self) -> bool {
        matches!(self, ValType::FuncRef | ValType::ExternRef | ValType::ExnRef)
    }
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::V128 => "v128",
            ValType::FuncRef => "funcref",
            ValType::ExternRef => "externref",
            ValType::ExnRef => "exnref",
        })
    }
}

/// A function signature: parameter and result types.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct FuncType {
    types: Arc<[ValType]>,
    params: usize,
    /// Frame slots the parameters and the results occupy (see [`ValType::slots`]).
    param_slots: u32,
    result_slots: u32,
    /// Set when the type's identity is more than its parameter and result types: a member of an explicit
    /// recursion group, or a type with typed references (`(ref $t)`, non-nullable references). Two
    /// structurally equal types from different groups are different types (iso-recursive equivalence), so
    /// the canonical text of the group and the index in it are part of equality (and of the interned id).
    canon: Option<Arc<str>>,
}

impl FuncType {
    /// A function type with these parameters and results.
    pub fn new(params: impl IntoIterator<Item = ValType>, results: impl IntoIterator<Item = ValType>) -> Self {
        let mut types: Vec<ValType> = params.into_iter().collect();
        let params = types.len();
        types.extend(results);
        let slots = |tys: &[ValType]| tys.iter().map(|t| t.slots()).sum();
        let (param_slots, result_slots) = (slots(&types[..params]), slots(&types[params..]));
        Self { types: types.into(), params, param_slots, result_slots, canon: None }
    }
    /// The same type with an identity beyond its structure (see the `canon` field).
    pub(crate) fn with_canon(mut self, canon: Option<Arc<str>>) -> Self {
        self.canon = canon;
        self
    }
    /// Frame slots the parameters occupy.
    pub(crate) fn param_slots(&self) -> u32 {
        self.param_slots
    }
    /// Frame slots the results occupy.
    pub(crate) fn result_slots(&self) -> u32 {
        self.result_slots
    }
    /// Frame slots a call needs for arguments and results (they share the callee's first slots).
    pub(crate) fn call_slots(&self) -> usize {
        self.param_slots.max(self.result_slots) as usize
    }
    /// The parameter types.
    pub fn params(&self) -> &[ValType] {
        &self.types[..self.params]
    }
    /// The result types.
    pub fn results(&self) -> &[ValType] {
        &self.types[self.params..]
    }
}

impl fmt::Debug for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |tys: &[ValType]| tys.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" ");
        write!(f, "(func (param {}) (result {}))", list(self.params()), list(self.results()))
    }
}

/// The type of a global: its content type and mutability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GlobalType {
    /// The type of the value the global holds.
    pub content: ValType,
    /// Whether `global.set` may change it (an immutable global keeps its initial value).
    pub mutable: bool,
}

/// The type of a linear memory, in 64 KiB pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MemoryType {
    /// The size the memory starts with, in pages.
    pub min: u64,
    /// The size `memory.grow` may not exceed, in pages; `None` leaves it to the engine's limit.
    pub max: Option<u64>,
    /// A shared memory may be used by several threads at once (and must declare a maximum).
    pub shared: bool,
}

impl MemoryType {
    /// A non-shared memory type.
    pub fn new(min: u64, max: Option<u64>) -> Self {
        Self { min, max, shared: false }
    }
    /// A shared memory type (a maximum is required).
    pub fn shared(min: u64, max: u64) -> Self {
        Self { min, max: Some(max), shared: true }
    }
}

/// The type of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TableType {
    /// The reference type of the elements (`funcref` or `externref`).
    pub element: ValType,
    /// The number of elements the table starts with.
    pub min: u32,
    /// The number of elements `table.grow` may not exceed; `None` for no declared limit.
    pub max: Option<u32>,
}

/// The type of an importable or exportable entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExternType {
    /// A function with this signature.
    Func(FuncType),
    /// A global of this type.
    Global(GlobalType),
    /// A linear memory with these limits.
    Memory(MemoryType),
    /// A table with this element type and these limits.
    Table(TableType),
    /// An exception tag whose exceptions carry values of the function type's parameters (no results).
    Tag(FuncType),
}

impl fmt::Display for ExternType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExternType::Func(t) => write!(f, "{t}"),
            ExternType::Global(g) => {
                if g.mutable {
                    write!(f, "(global (mut {}))", g.content)
                } else {
                    write!(f, "(global {})", g.content)
                }
            }
            ExternType::Memory(m) => write!(
                f,
                "(memory {}{}{})",
                m.min,
                m.max.map(|m| format!(" {m}")).unwrap_or_default(),
                if m.shared { " shared" } else { "" }
            ),
            ExternType::Tag(t) => write!(f, "(tag {t})"),
            ExternType::Table(t) => {
                write!(f, "(table {}{} {})", t.min, t.max.map(|m| format!(" {m}")).unwrap_or_default(), t.element)
            }
        }
    }
}

/// Limits subtyping from the spec's import matching: `actual` may be used where `expected` is required.
pub(crate) fn limits_match(actual_min: u64, actual_max: Option<u64>, min: u64, max: Option<u64>) -> bool {
    actual_min >= min
        && match (actual_max, max) {
            (_, None) => true,
            (Some(a), Some(m)) => a <= m,
            (None, Some(_)) => false,
        }
}
