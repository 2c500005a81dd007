//! Normalised observations: values, traps, call outcomes and exported state as all three runtimes report them.

/// A value as both runtimes can report it (references only by null-ness: handles are not comparable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum V {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    /// A vector (only when SIMD generation is on; it is off for now).
    V128(u128),
    /// A reference; `true` if non-null.
    Ref(bool),
}

/// A trap, in the terms both runtimes share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TrapKind {
    Unreachable,
    MemoryOutOfBounds,
    /// Table access out of bounds, including `call_indirect` past the table's end.
    TableOutOfBounds,
    IndirectCallToNull,
    IndirectCallTypeMismatch,
    DivideByZero,
    IntegerOverflow,
    BadConversion,
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    Values(Vec<V>),
    Trap(TrapKind),
    /// Call stack exhausted: limits differ, so nothing after this is compared.
    Exhausted,
    /// Any other error (API misuse, ...): always a mismatch unless both say the same.
    Error(String),
}

/// The state visible through exports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum State {
    Global(V),
    /// Size and null-ness of each element.
    Table(Vec<bool>),
    Memory(Vec<u8>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ty {
    I32,
    I64,
    F32,
    F64,
    V128,
    FuncRef,
    ExternRef,
}

#[derive(Debug, Clone)]
pub(crate) enum ExportKind {
    Func(Vec<Ty>, usize),
    Global,
    Table,
    Memory,
}
