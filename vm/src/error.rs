//! Errors and traps.
//!
//! Everything that can go wrong is reported as an [`Error`]: a module that fails to decode or validate, an
//! import that cannot be satisfied, a misuse of the embedding API, or a [`Trap`] raised while wasm code runs.
//! Traps carry the reason the WebAssembly specification gives ("integer divide by zero", ...), so that
//! `.wast` scripts can compare messages and users see what the spec would say.

use std::fmt;

/// The reason for a trap, named as in the WebAssembly specification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TrapCode {
    /// `unreachable` was executed.
    Unreachable,
    /// A load, store or bulk memory operation touched bytes outside the memory.
    MemoryOutOfBounds,
    /// A table access (or bulk table operation) was out of bounds.
    TableOutOfBounds,
    /// `call_indirect` with an index beyond the table's size.
    UndefinedElement,
    /// `call_indirect` through a null table entry.
    UninitializedElement,
    /// `call_indirect` whose callee has a different signature.
    IndirectCallTypeMismatch,
    /// Integer division or remainder by zero.
    IntegerDivideByZero,
    /// Signed division overflow, or a float-to-int conversion out of range.
    IntegerOverflow,
    /// Float-to-int conversion of a NaN.
    BadConversionToInteger,
    /// The wasm call stack (values or frames) is exhausted.
    StackExhausted,
    /// An atomic access at a misaligned address.
    UnalignedAtomic,
    /// `memory.atomic.wait` on a memory that is not shared.
    ExpectedSharedMemory,
    /// Execution was interrupted by the embedder or because another thread ended the program.
    Interrupted,
    /// The store's fuel ran out (see [`Config::consume_fuel`](crate::Config::consume_fuel)).
    OutOfFuel,
    /// `call_ref` or `return_call_ref` through a null reference.
    NullFunctionReference,
    /// `ref.as_non_null` of a null reference.
    NullReference,
    /// `throw_ref` of a null `exnref`.
    NullExceptionReference,
    /// `ref.cast` of a reference that is not of the target type (GC).
    CastFailure,
    /// A struct instruction on a null reference (GC).
    NullStructureReference,
    /// An array instruction on a null reference (GC).
    NullArrayReference,
    /// `i31.get_s`/`i31.get_u` of a null reference (GC).
    NullI31Reference,
    /// An array access (or bulk array operation) out of the array's bounds (GC).
    ArrayOutOfBounds,
    /// An array too large for the store's heap was asked for (GC).
    AllocationTooLarge,
}

impl TrapCode {
    /// The message the specification's reference interpreter uses for this trap.
    pub fn message(self) -> &'static str {
        match self {
            TrapCode::Unreachable => "unreachable",
            TrapCode::MemoryOutOfBounds => "out of bounds memory access",
            TrapCode::TableOutOfBounds => "out of bounds table access",
            TrapCode::UndefinedElement => "undefined element",
            TrapCode::UninitializedElement => "uninitialized element",
            TrapCode::IndirectCallTypeMismatch => "indirect call type mismatch",
            TrapCode::IntegerDivideByZero => "integer divide by zero",
            TrapCode::IntegerOverflow => "integer overflow",
            TrapCode::BadConversionToInteger => "invalid conversion to integer",
            TrapCode::StackExhausted => "call stack exhausted",
            TrapCode::UnalignedAtomic => "unaligned atomic",
            TrapCode::ExpectedSharedMemory => "expected shared memory",
            TrapCode::Interrupted => "interrupted",
            TrapCode::OutOfFuel => "all fuel consumed",
            TrapCode::NullFunctionReference => "null function reference",
            TrapCode::NullReference => "null reference",
            TrapCode::NullExceptionReference => "null exception reference",
            TrapCode::CastFailure => "cast failure",
            TrapCode::NullStructureReference => "null structure reference",
            TrapCode::NullArrayReference => "null array reference",
            TrapCode::NullI31Reference => "null i31 reference",
            TrapCode::ArrayOutOfBounds => "out of bounds array access",
            TrapCode::AllocationTooLarge => "allocation too large",
        }
    }
}

impl fmt::Display for TrapCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// Why a [`Trap`] happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrapKind {
    /// A trap defined by the WebAssembly specification.
    Code(TrapCode),
    /// The program asked to exit (WASI `proc_exit`) with this status.
    Exit(i32),
    /// A host function failed with this message.
    Host(String),
    /// A wasm exception that no handler caught (or that a host function throws to its wasm caller).
    Exception(Box<crate::store::Exception>),
}

/// A trap: wasm execution stopped abnormally. The store stays usable afterwards.
///
/// It carries the wasm backtrace ([`Trap::trace`]): the functions that were executing, innermost first,
/// across modules and host re-entry. Traps compare by [`kind`](Trap::kind) only.
#[derive(Debug, Clone)]
pub struct Trap {
    kind: TrapKind,
    trace: Vec<FrameInfo>,
}

impl PartialEq for Trap {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
    }
}
impl Eq for Trap {}

/// One frame of a trap's backtrace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameInfo {
    /// The module's name (from its name section), if it has one.
    pub module: Option<String>,
    /// The function's index in its module (imports count).
    pub func_index: u32,
    /// The function's name from the name section, if any.
    pub func_name: Option<String>,
    /// Offset in the module's bytes of the wasm instruction that was executing (the call, for callers).
    pub offset: Option<u32>,
}

/// A function name as a person reads it: Rust (legacy and v0) and C++ (Itanium) symbols demangled, as
/// wasmtime prints them (Rust without the hash suffix); any other name unchanged.
pub fn demangle(name: &str) -> String {
    if let Ok(d) = rustc_demangle::try_demangle(name) {
        return format!("{d:#}");
    }
    if name.starts_with("_Z")
        && let Ok(sym) = cpp_demangle::Symbol::new(name)
        && let Ok(d) = sym.demangle()
    {
        return d;
    }
    name.to_string()
}

impl fmt::Display for FrameInfo {
    /// `0x4e - mod!name`, as wasmtime prints a frame.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(o) = self.offset {
            write!(f, "{o:#x} - ")?;
        }
        write!(f, "{}!", self.module.as_deref().unwrap_or("<module>"))?;
        match &self.func_name {
            Some(n) => write!(f, "{}", demangle(n)),
            None => write!(f, "<wasm function {}>", self.func_index),
        }
    }
}

impl Trap {
    /// A trap with a specification trap code.
    pub fn new(code: TrapCode) -> Self {
        Self { kind: TrapKind::Code(code), trace: Vec::new() }
    }
    /// A trap raised by a host function with a message.
    pub fn host(msg: impl Into<String>) -> Self {
        Self { kind: TrapKind::Host(msg.into()), trace: Vec::new() }
    }
    /// A request to exit the program with `status` (how WASI `proc_exit` unwinds).
    pub fn exit(status: i32) -> Self {
        Self { kind: TrapKind::Exit(status), trace: Vec::new() }
    }
    /// A trap carrying a wasm exception: returned by a host function, it is thrown to its wasm caller.
    pub(crate) fn from_exception(e: crate::store::Exception) -> Self {
        Self { kind: TrapKind::Exception(Box::new(e)), trace: Vec::new() }
    }
    /// The uncaught wasm exception this error is, if it is one.
    pub fn exception(&self) -> Option<&crate::store::Exception> {
        match &self.kind {
            TrapKind::Exception(e) => Some(e),
            _ => None,
        }
    }
    /// The wasm backtrace: the functions executing when the trap happened, innermost first (empty for an
    /// exit request).
    pub fn trace(&self) -> &[FrameInfo] {
        &self.trace
    }
    /// The backtrace as text, one `    N: 0x4e - mod!func` line per frame after a `wasm backtrace:` line
    /// (empty when there are no frames).
    pub fn trace_text(&self) -> String {
        use fmt::Write as _;
        let mut s = String::new();
        if !self.trace.is_empty() {
            s.push_str("wasm backtrace:\n");
            for (i, frame) in self.trace.iter().enumerate() {
                let _ = writeln!(s, "  {i:>4}: {frame}");
            }
        }
        s
    }
    pub(crate) fn push_frames(&mut self, frames: impl IntoIterator<Item = FrameInfo>) {
        self.trace.extend(frames);
    }
    /// What caused the trap.
    pub fn kind(&self) -> &TrapKind {
        &self.kind
    }
    /// The specification trap code, if this is a spec trap.
    pub fn code(&self) -> Option<TrapCode> {
        match self.kind {
            TrapKind::Code(c) => Some(c),
            _ => None,
        }
    }
    /// The exit status, if this trap is a program exit.
    pub fn exit_status(&self) -> Option<i32> {
        match self.kind {
            TrapKind::Exit(s) => Some(s),
            _ => None,
        }
    }
}

impl From<TrapCode> for Trap {
    fn from(code: TrapCode) -> Self {
        Trap::new(code)
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            TrapKind::Code(c) => write!(f, "{c}")?,
            TrapKind::Exit(s) => write!(f, "exit with status {s}")?,
            TrapKind::Host(m) => write!(f, "{m}")?,
            TrapKind::Exception(e) => write!(f, "uncaught wasm exception: tag {}", e.tag().name())?,
        }
        Ok(())
    }
}

impl std::error::Error for Trap {}

/// Any error of wasmvm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The bytes are not a well-formed module (decoding failed).
    Malformed(String),
    /// The module is well-formed but does not validate.
    Invalid(String),
    /// The module uses a feature wasmvm does not support (yet).
    Unsupported(String),
    /// Instantiation failed because an import is missing or has the wrong type.
    Link(String),
    /// Wasm code trapped.
    Trap(Trap),
    /// The embedding API was used incorrectly (wrong store, wrong argument types, ...).
    Api(String),
    /// A resource could not be obtained (e.g. the memory reservation failed).
    Resource(String),
}

impl Error {
    /// The trap, when this error is one.
    pub fn as_trap(&self) -> Option<&Trap> {
        match self {
            Error::Trap(t) => Some(t),
            _ => None,
        }
    }
    pub(crate) fn api(msg: impl Into<String>) -> Self {
        Error::Api(msg.into())
    }
    pub(crate) fn link(msg: impl Into<String>) -> Self {
        Error::Link(msg.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Malformed(m) => write!(f, "malformed module: {m}"),
            Error::Invalid(m) => write!(f, "invalid module: {m}"),
            Error::Unsupported(m) => write!(f, "unsupported feature: {m}"),
            Error::Link(m) => write!(f, "link error: {m}"),
            Error::Trap(t) => write!(f, "trap: {t}"),
            Error::Api(m) => write!(f, "{m}"),
            Error::Resource(m) => write!(f, "resource error: {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<Trap> for Error {
    fn from(t: Trap) -> Self {
        Error::Trap(t)
    }
}

impl From<TrapCode> for Error {
    fn from(c: TrapCode) -> Self {
        Error::Trap(Trap::new(c))
    }
}

/// The result type of wasmvm.
pub type Result<T, E = Error> = std::result::Result<T, E>;
