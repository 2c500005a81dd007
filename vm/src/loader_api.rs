//! What a dynamic loader needs from the machine, so that it neither re-parses modules nor copies the
//! machine's private encodings: the pointer-free funcref of `(slot, function index)`, where a module's
//! exports point in its index spaces, the values of its constant globals and the names of its functions.
//!
//! `wasmvm-loader` is the user: it resolves symbols for a whole group of modules before any of them is
//! instantiated, so it works from the compiled [`Module`] and from raw funcrefs, not from instances.

use crate::module::ConstOp;
use crate::module::{EntityIndex, Module};
use crate::value::Val;

/// The raw function reference naming function `index` (counting imports) of the instance in funcref slot
/// `slot` of a store: the value [`SharedTable::set_raw`](crate::SharedTable::set_raw) stores and
/// [`Func::late_bound`](crate::Func::late_bound) takes. It contains no pointer, so it means the same function
/// in every store whose slot `slot` holds an instance of the same module (see
/// [`Store::set_slot_resolver`](crate::Store::set_slot_resolver)). `0` is the null reference, which no
/// slot below `u32::MAX` encodes to.
pub fn raw_funcref(slot: u32, index: u32) -> u64 {
    crate::store::func_ref(slot, index)
}

/// Where an export points: an index in one of its module's index spaces (imports first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExportIndex {
    /// A function index.
    Func(u32),
    /// A table index.
    Table(u32),
    /// A memory index.
    Memory(u32),
    /// A global index.
    Global(u32),
    /// An exception tag index.
    Tag(u32),
}

impl Module {
    /// The module's exports, in order, with the index each one names (as wasm's export section gives it).
    pub fn export_indices(&self) -> impl ExactSizeIterator<Item = (&str, ExportIndex)> + '_ {
        self.inner.exports.iter().map(|(name, index)| {
            let index = match *index {
                EntityIndex::Func(i) => ExportIndex::Func(i),
                EntityIndex::Table(i) => ExportIndex::Table(i),
                EntityIndex::Memory(i) => ExportIndex::Memory(i),
                EntityIndex::Global(i) => ExportIndex::Global(i),
                EntityIndex::Tag(i) => ExportIndex::Tag(i),
            };
            (name.as_str(), index)
        })
    }

    /// The initial value of global `index` (counting imports) when its initialiser is one constant
    /// instruction (`i32.const`, `i64.const`, `f32.const`, `f64.const`, `v128.const`): e.g. a data symbol's
    /// address relative to `__memory_base`. `None` for an imported global, an unknown index, or an
    /// initialiser that reads another global, computes or is a reference.
    pub fn const_global(&self, index: u32) -> Option<Val> {
        let init = self.inner.globals.get(index as usize)?.init.as_ref()?;
        match init.ops() {
            [ConstOp::I32(v)] => Some(Val::I32(*v)),
            [ConstOp::I64(v)] => Some(Val::I64(*v)),
            [ConstOp::F32(v)] => Some(Val::F32(*v)),
            [ConstOp::F64(v)] => Some(Val::F64(*v)),
            [ConstOp::V128(v)] => Some(Val::V128(*v)),
            _ => None,
        }
    }

    /// The function names of the `name` section, as `(function index, name)`, in no particular order.
    pub fn func_names(&self) -> impl Iterator<Item = (u32, &str)> + '_ {
        self.inner.func_names.iter().map(|(&i, n)| (i, n.as_str()))
    }

    /// How many memories the module defines itself (not counting imported ones).
    pub fn num_defined_memories(&self) -> u32 {
        self.inner.memories.len() as u32 - self.inner.num_imported_memories
    }
}
