//! The engine: configuration and the registry of function signatures shared by every module and store.
//!
//! An [`Engine`] is cheap to clone and `Send + Sync`: compiled modules, stores on many threads and shared
//! memories all hang off one engine. Signatures are interned to small integers so that `call_indirect`
//! checks a callee's type with one integer compare, across modules and threads.

use std::sync::{Arc, RwLock};

use hashbrown::HashMap;

use crate::gc::TypeDef;
use crate::types::{FuncType, HeapType, ValType};

/// Engine-wide identifier of an interned function signature.
pub(crate) type TypeId = u32;

/// Settings for an [`Engine`].
#[derive(Debug, Clone)]
pub struct Config {
    /// Value-stack size of each store, in 8-byte slots (shared by all nested calls).
    pub max_stack_slots: usize,
    /// Maximum depth of wasm calls.
    pub max_call_depth: usize,
    /// Maximum nesting of host → wasm → host re-entry.
    pub max_host_reentry: usize,
    /// Translate function bodies on several threads (rayon) when a module is large.
    pub parallel_translation: bool,
    /// Which WebAssembly proposals are accepted.
    pub features: Features,
    /// Check the store's interrupt flag at every loop head and function entry, so that
    /// [`InterruptHandle::interrupt`](crate::InterruptHandle::interrupt) stops running wasm. Costs one load per
    /// loop iteration; off by default.
    pub interruptible: bool,
    /// Keep a description of every translated instruction (and the wasm operator it came from), so that
    /// [`Module::disassemble`](crate::Module::disassemble) can print a function's wasmvm code. Costs
    /// translation time and memory; off by default.
    pub disassembly: bool,
    /// Meter execution with fuel: every wasm instruction costs one unit, charged per straight-line stretch
    /// of code when it starts, and running out traps with "all fuel consumed" (deterministic: the same
    /// program and fuel stop at the same place). Set a store's fuel with
    /// [`Store::set_fuel`](crate::Store::set_fuel). Off by default, and then it costs nothing: no metering
    /// instructions are emitted.
    pub consume_fuel: bool,
    /// Collect a store's GC objects once this many cells (8 bytes each, plus a few per object) have been
    /// allocated since the last collection, or as many as were live after it if that is more. Default
    /// 2^20 (8 MiB); 1 collects at every allocation (to test that nothing reachable is freed).
    pub gc_threshold: u64,
}

/// The WebAssembly proposals a module may use. The default is Wasm 2.0 (with SIMD) plus threads,
/// relaxed SIMD, extended-const, tail calls, typed function references, wide arithmetic, multi-memory,
/// memory64, custom page sizes, exception handling and GC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Features {
    /// Importing and exporting mutable globals (Wasm 2.0).
    pub mutable_global: bool,
    /// `i32.extend8_s` and the other sign-extension instructions (Wasm 2.0).
    pub sign_extension: bool,
    /// `i32.trunc_sat_f32_s` and the other float-to-int conversions that saturate instead of trapping
    /// (Wasm 2.0).
    pub saturating_float_to_int: bool,
    /// Blocks and functions with several results (Wasm 2.0).
    pub multi_value: bool,
    /// `memory.copy`, `memory.fill`, passive segments and the table counterparts (Wasm 2.0).
    pub bulk_memory: bool,
    /// `funcref`/`externref` values, several tables, `table.get`/`set`/`grow` (Wasm 2.0).
    pub reference_types: bool,
    /// Shared memories and atomic instructions.
    pub threads: bool,
    /// `i32`/`i64` `add`, `sub` and `mul` in constant expressions (Wasm 3.0).
    pub extended_const: bool,
    /// `return_call` and `return_call_indirect` (Wasm 3.0).
    pub tail_call: bool,
    /// Fixed-width SIMD: `v128` and its instructions (Wasm 2.0).
    pub simd: bool,
    /// Relaxed SIMD (Wasm 3.0), with one deterministic result per instruction (see `ir::simd`).
    pub relaxed_simd: bool,
    /// Typed function references (Wasm 3.0): `(ref $t)`, non-nullable references, `call_ref`,
    /// `return_call_ref`, `br_on_null`, `br_on_non_null`, `ref.as_non_null`, table initialisers.
    pub function_references: bool,
    /// `i64.add128`, `i64.sub128`, `i64.mul_wide_s` and `i64.mul_wide_u` (the wide-arithmetic proposal).
    pub wide_arithmetic: bool,
    /// Several memories per module; every memory instruction names its memory (Wasm 3.0).
    pub multi_memory: bool,
    /// Memories addressed with `i64` (Wasm 3.0); see the README's "Memory64" note for the reservation.
    pub memory64: bool,
    /// A page size per memory: 65536 bytes or 1 byte (the custom-page-sizes proposal).
    pub custom_page_sizes: bool,
    /// Exception handling (Wasm 3.0): tags, `throw`, `throw_ref`, `try_table` and `exnref`. The validator
    /// then also accepts typed function references (the proposal's tests use them).
    pub exceptions: bool,
    /// Garbage collection (Wasm 3.0): struct and array types, subtypes, the `any` hierarchy of reference
    /// types with `i31`, and their instructions (`struct.new`, `array.get`, `ref.cast`, `br_on_cast`...).
    /// Objects live in the store of the thread that made them (see the README's "GC" note). Implies typed
    /// function references.
    pub gc: bool,
}

impl Default for Features {
    fn default() -> Self {
        Self {
            mutable_global: true,
            sign_extension: true,
            saturating_float_to_int: true,
            multi_value: true,
            bulk_memory: true,
            reference_types: true,
            threads: true,
            extended_const: true,
            tail_call: true,
            simd: true,
            relaxed_simd: true,
            function_references: true,
            wide_arithmetic: true,
            multi_memory: true,
            memory64: true,
            custom_page_sizes: true,
            exceptions: true,
            gc: true,
        }
    }
}

impl Features {
    /// WebAssembly 1.0 (MVP with mutable globals), optionally with threads.
    pub fn wasm1(threads: bool) -> Self {
        Self {
            sign_extension: false,
            saturating_float_to_int: false,
            multi_value: false,
            bulk_memory: false,
            reference_types: false,
            extended_const: false,
            tail_call: false,
            simd: false,
            relaxed_simd: false,
            function_references: false,
            wide_arithmetic: false,
            multi_memory: false,
            memory64: false,
            custom_page_sizes: false,
            exceptions: false,
            gc: false,
            threads,
            ..Self::default()
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_stack_slots: 1 << 20,
            max_call_depth: 1 << 16,
            max_host_reentry: 200,
            parallel_translation: true,
            features: Features::default(),
            interruptible: false,
            disassembly: false,
            consume_fuel: false,
            gc_threshold: 1 << 20,
        }
    }
}

/// Shared compilation context: configuration plus interned signatures.
#[derive(Clone, Debug)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

#[derive(Debug)]
struct EngineInner {
    config: Config,
    types: RwLock<TypeRegistry>,
}

#[derive(Debug, Default)]
struct TypeRegistry {
    ids: HashMap<FuncType, TypeId>,
    types: Vec<FuncType>,
    /// What the machine needs of each type at run time (kind, layout, supertypes), by id.
    defs: Vec<Arc<TypeDef>>,
}

impl Default for Engine {
    fn default() -> Self {
        Self::new(Config::default())
    }
}

impl Engine {
    /// An engine with this configuration.
    pub fn new(config: Config) -> Self {
        Self { inner: Arc::new(EngineInner { config, types: RwLock::default() }) }
    }
    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }
    /// Intern a signature, returning its engine-wide id.
    pub(crate) fn intern(&self, ty: &FuncType) -> TypeId {
        self.intern_def(ty, TypeDef::func)
    }
    /// Intern a type under `ty` (a signature, or for a struct or array type a signature no function has,
    /// told apart by its canonical text); `def` describes it at run time the first time it is seen.
    pub(crate) fn intern_def(&self, ty: &FuncType, def: impl FnOnce(TypeId) -> TypeDef) -> TypeId {
        if let Some(&id) = self.inner.types.read().unwrap_or_else(|e| e.into_inner()).ids.get(ty) {
            return id;
        }
        let mut reg = self.inner.types.write().unwrap_or_else(|e| e.into_inner());
        if let Some(&id) = reg.ids.get(ty) {
            return id;
        }
        let id = reg.types.len() as TypeId;
        reg.types.push(ty.clone());
        reg.defs.push(Arc::new(def(id)));
        reg.ids.insert(ty.clone(), id);
        id
    }
    /// The run-time description of the type with this id.
    pub(crate) fn type_def(&self, id: TypeId) -> Arc<TypeDef> {
        self.inner.types.read().unwrap_or_else(|e| e.into_inner()).defs[id as usize].clone()
    }
    /// Is type `a` the type `b` or declared as its subtype?
    pub(crate) fn is_subtype(&self, a: TypeId, b: TypeId) -> bool {
        if a == b {
            return true;
        }
        let reg = self.inner.types.read().unwrap_or_else(|e| e.into_inner());
        reg.defs[a as usize].is_subtype_of(b)
    }
    /// The signature with this id.
    pub(crate) fn func_type(&self, id: TypeId) -> FuncType {
        self.inner.types.read().unwrap_or_else(|e| e.into_inner()).types[id as usize].clone()
    }
    /// Is every reference to `a` also a reference to `b`, declared subtypes of defined types included?
    pub(crate) fn heap_matches(&self, a: HeapType, b: HeapType) -> bool {
        match (a.concrete_id(), b.concrete_id()) {
            (Some(x), Some(y)) => self.is_subtype(x, y),
            _ => a.matches(b),
        }
    }
    /// [`ValType::matches`] with declared subtypes of defined types.
    pub(crate) fn val_matches(&self, a: ValType, b: ValType) -> bool {
        a.matches_by(b, |x, y| self.heap_matches(x, y))
    }
    /// Do two handles denote the same engine?
    pub fn same(&self, other: &Engine) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}
