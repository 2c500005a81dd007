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
    /// A reference to a caught exception (exception handling), or null: `(ref null exn)`.
    ExnRef,
    /// Any other reference type of the function-references proposal: a non-nullable or a typed function
    /// reference (`(ref $t)`, `(ref null $t)`, `(ref func)`), or a bottom type (`nullfuncref`,
    /// `nullexternref`, `nullexnref`). `funcref`, `externref` and `exnref` are always [`ValType::FuncRef`],
    /// [`ValType::ExternRef`] and [`ValType::ExnRef`], never this.
    Ref(RefType),
}

/// A reference type: nullable or not, and what it refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RefType {
    /// Whether the reference may be null.
    pub nullable: bool,
    /// What it refers to.
    pub heap: HeapType,
}

/// What a reference refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeapType {
    /// A function of any type.
    Func,
    /// A host value.
    Extern,
    /// A function of one type, named by the engine's id for it (equal ids: the same function type, whichever
    /// module declared it).
    Concrete(u32),
    /// A struct of one type (GC), named by the engine's id for it.
    ConcreteStruct(u32),
    /// An array of one type (GC), named by the engine's id for it.
    ConcreteArray(u32),
    /// No function (the bottom of the function types: only null).
    NoFunc,
    /// No host value (the bottom of the extern types: only null).
    NoExtern,
    /// A caught exception.
    Exn,
    /// No exception (the bottom of the exception types: only null).
    NoExn,
    /// Any GC value (the top of the `any` hierarchy: `anyref`), or a host value made internal
    /// (`any.convert_extern`).
    Any,
    /// A GC value comparable with `ref.eq`.
    Eq,
    /// An unboxed 31-bit integer.
    I31,
    /// A struct of any type.
    Struct,
    /// An array of any type.
    Array,
    /// No GC value (the bottom of the `any` hierarchy: `nullref`, only null).
    None,
}

impl HeapType {
    /// Is this a function heap type (values are function references), rather than an extern one?
    pub fn is_func(self) -> bool {
        matches!(self, HeapType::Func | HeapType::Concrete(_) | HeapType::NoFunc)
    }

    /// Is this an exception heap type?
    pub fn is_exn(self) -> bool {
        matches!(self, HeapType::Exn | HeapType::NoExn)
    }

    /// Is this a host-value heap type?
    pub fn is_extern(self) -> bool {
        matches!(self, HeapType::Extern | HeapType::NoExtern)
    }

    /// Is this a heap type of the `any` hierarchy (GC values)?
    pub fn is_any(self) -> bool {
        matches!(
            self,
            HeapType::Any
                | HeapType::Eq
                | HeapType::I31
                | HeapType::Struct
                | HeapType::Array
                | HeapType::None
                | HeapType::ConcreteStruct(_)
                | HeapType::ConcreteArray(_)
        )
    }

    /// Is every reference to `self` also a reference to `other`? Two different defined types are compared
    /// by id only here: whether one is declared a subtype of the other is the engine's to say
    /// (`Engine::heap_matches`).
    pub fn matches(self, other: HeapType) -> bool {
        use HeapType::*;
        self == other
            || matches!(
                (self, other),
                (Concrete(_) | NoFunc, Func)
                    | (NoFunc, Concrete(_))
                    | (NoExtern, Extern)
                    | (NoExn, Exn)
                    | (Eq | I31 | Struct | Array | None | ConcreteStruct(_) | ConcreteArray(_), Any)
                    | (I31 | Struct | Array | None | ConcreteStruct(_) | ConcreteArray(_), Eq)
                    | (None | ConcreteStruct(_), Struct)
                    | (None | ConcreteArray(_), Array)
                    | (None, I31 | ConcreteStruct(_) | ConcreteArray(_))
            )
    }

    /// The engine id of a defined type this names (a function, struct or array type).
    pub fn concrete_id(self) -> Option<u32> {
        match self {
            HeapType::Concrete(id) | HeapType::ConcreteStruct(id) | HeapType::ConcreteArray(id) => Some(id),
            _ => Option::None,
        }
    }
}

impl ValType {
    /// How many 8-byte frame slots a value of this type occupies (2 for `v128`, else 1).
    pub(crate) const fn slots(self) -> u32 {
        match self {
            ValType::V128 => 2,
            _ => 1,
        }
    }

    /// The type wasmparser decoded; `concrete` gives the heap type of a module type index (`None` if not
    /// known: then a function type is assumed).
    pub(crate) fn from_wasmparser(
        ty: wasmparser::ValType,
        concrete: &dyn Fn(wasmparser::UnpackedIndex) -> Option<HeapType>,
    ) -> Result<Self, String> {
        use wasmparser::{AbstractHeapType as A, HeapType as H, ValType as V};
        Ok(match ty {
            V::I32 => ValType::I32,
            V::I64 => ValType::I64,
            V::F32 => ValType::F32,
            V::F64 => ValType::F64,
            V::V128 => ValType::V128,
            V::Ref(r) => {
                // The abstract heap types wasmvm supports have the same names in wasmparser.
                macro_rules! same_name {
                    ($ty:expr; $($name:ident)*) => {
                        match $ty {
                            $(A::$name => HeapType::$name,)*
                            _ => return Err(format!("reference type {r} is not supported")),
                        }
                    };
                }
                let heap = match r.heap_type() {
                    H::Abstract { shared: false, ty } => {
                        same_name!(ty; Func Extern NoFunc NoExtern Exn NoExn Any Eq I31 Struct Array None)
                    }
                    // A type of the recursion group being defined has no id yet: recorded as the abstract
                    // type of its kind; the group's canonical text (`FuncType::canon`) keeps the defined
                    // type's identity exact.
                    H::Concrete(i) | H::Exact(i) => concrete(i).unwrap_or(HeapType::Func),
                    _ => return Err(format!("reference type {r} is not supported")),
                };
                ValType::from_ref(RefType { nullable: r.is_nullable(), heap })
            }
        })
    }

    /// The value type of a reference type (`funcref` and `externref` by their own names).
    pub fn from_ref(r: RefType) -> Self {
        match r {
            RefType { nullable: true, heap: HeapType::Func } => ValType::FuncRef,
            RefType { nullable: true, heap: HeapType::Extern } => ValType::ExternRef,
            RefType { nullable: true, heap: HeapType::Exn } => ValType::ExnRef,
            r => ValType::Ref(r),
        }
    }

    /// The reference type, if this is one.
    pub fn as_ref(self) -> Option<RefType> {
        match self {
            ValType::FuncRef => Some(RefType { nullable: true, heap: HeapType::Func }),
            ValType::ExternRef => Some(RefType { nullable: true, heap: HeapType::Extern }),
            ValType::ExnRef => Some(RefType { nullable: true, heap: HeapType::Exn }),
            ValType::Ref(r) => Some(r),
            _ => None,
        }
    }

    /// Is this a reference type?
    pub fn is_ref(self) -> bool {
        self.as_ref().is_some()
    }

    /// Is this a function reference type (its values are function references or null)?
    pub fn is_func_ref(self) -> bool {
        self.as_ref().is_some_and(|r| r.heap.is_func())
    }

    /// Is every value of `self` also a value of `other` (subtyping; equal types match)?
    pub fn matches(self, other: ValType) -> bool {
        self.matches_by(other, HeapType::matches)
    }

    /// [`ValType::matches`], with `heap` saying which heap types match.
    pub(crate) fn matches_by(self, other: ValType, heap: impl Fn(HeapType, HeapType) -> bool) -> bool {
        match (self.as_ref(), other.as_ref()) {
            (Some(a), Some(b)) => (!a.nullable || b.nullable) && heap(a.heap, b.heap),
            _ => self == other,
        }
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
            ValType::Ref(r) => return write!(f, "{r}"),
            ValType::ExnRef => "exnref",
        })
    }
}

impl fmt::Display for RefType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let null = if self.nullable { "null " } else { "" };
        match self.heap {
            HeapType::Concrete(id) | HeapType::ConcreteStruct(id) | HeapType::ConcreteArray(id) => {
                write!(f, "(ref {null}<type {id}>)")
            }
            // The abstract heap types' text names are their variants' names in lower case (`nofunc`, `i31`).
            abstract_type => write!(f, "(ref {null}{})", format!("{abstract_type:?}").to_lowercase()),
        }
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

/// The type of a linear memory, in pages (64 KiB unless the memory declares `(pagesize 1)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MemoryType {
    /// The size the memory starts with, in pages.
    pub min: u64,
    /// The size `memory.grow` may not exceed, in pages; `None` leaves it to the engine's limit.
    pub max: Option<u64>,
    /// A shared memory may be used by several threads at once (and must declare a maximum).
    pub shared: bool,
    /// A memory64 memory: addressed with `i64`, sized with `i64` (the memory64 proposal).
    pub memory64: bool,
    /// log2 of the page size in bytes: 16 (64 KiB, the default) or 0 (one byte; custom-page-sizes).
    pub page_size_log2: u8,
}

impl MemoryType {
    /// A non-shared 32-bit memory type with 64 KiB pages.
    pub fn new(min: u64, max: Option<u64>) -> Self {
        Self { min, max, shared: false, memory64: false, page_size_log2: 16 }
    }
    /// A shared 32-bit memory type with 64 KiB pages (a maximum is required).
    pub fn shared(min: u64, max: u64) -> Self {
        Self { min, max: Some(max), shared: true, ..Self::new(min, None) }
    }
    /// The same type, addressed with 64 bits (memory64).
    pub fn with_memory64(self, memory64: bool) -> Self {
        Self { memory64, ..self }
    }
    /// The same type with pages of `1 << log2` bytes (custom-page-sizes: 0 or 16).
    pub fn with_page_size_log2(self, log2: u8) -> Self {
        Self { page_size_log2: log2, ..self }
    }
    /// The page size in bytes.
    pub fn page_size(&self) -> u64 {
        1 << self.page_size_log2
    }
    /// The most pages this kind of memory may have by its address width: 2^32 bytes for a 32-bit memory
    /// (2^32 - 1 with one-byte pages, so that `memory.size` fits in an i32), 2^64 bytes for memory64.
    pub fn max_pages_by_index(&self) -> u64 {
        if self.memory64 {
            u64::MAX >> self.page_size_log2
        } else {
            ((1u64 << 32) >> self.page_size_log2).min(u32::MAX as u64)
        }
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
    /// Indexed with `i64` (table64, part of memory64). Sizes stay below 2^32 elements in wasmvm.
    pub table64: bool,
}

impl TableType {
    /// A table type indexed with i32.
    pub fn new(element: ValType, min: u32, max: Option<u32>) -> Self {
        Self { element, min, max, table64: false }
    }
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
                "(memory {}{}{}{}{})",
                if m.memory64 { "i64 " } else { "" },
                m.min,
                m.max.map(|m| format!(" {m}")).unwrap_or_default(),
                if m.shared { " shared" } else { "" },
                if m.page_size_log2 != 16 { format!(" (pagesize {})", m.page_size()) } else { String::new() }
            ),
            ExternType::Table(t) => write!(
                f,
                "(table {}{}{} {})",
                if t.table64 { "i64 " } else { "" },
                t.min,
                t.max.map(|m| format!(" {m}")).unwrap_or_default(),
                t.element
            ),
            ExternType::Tag(t) => write!(f, "(tag {t})"),
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
