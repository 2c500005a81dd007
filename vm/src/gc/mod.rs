//! Garbage-collected values (the GC part of Wasm 3.0): structs, arrays and `i31`s, and the run-time type
//! information that casts need.
//!
//! # Values in a slot
//! A reference of the `any` hierarchy is one 64-bit slot value, like every reference (`value` module):
//! - `0`: null;
//! - `1 ..= 2^32`: a host value (an `externref` made internal by `any.convert_extern`: the very same slot
//!   value, so `extern.convert_any` gives it back unchanged);
//! - [`I31_TAG`] `| v`: an `i31` holding the 31 bits `v` (so `ref.eq` of two `i31`s compares their values);
//! - [`OBJ_TAG`] `| index`: a struct or array of the store's [`GcHeap`].
//!
//! `extern.convert_any` and `any.convert_extern` are the identity on slot values, so an `externref` slot may
//! hold any of these too; only the host values among them are [`ExternRef`](crate::ExternRef)s with data.
//!
//! # The heap
//! GC objects live in the store of the thread that made them ([`GcHeap`]), like exceptions: wasm on one
//! thread cannot reach another store's objects (stores share only memories, tables of function references
//! and tags). So the heap needs no lock and its collector stops no other thread: an allocation that finds
//! enough allocated since the last collection marks from the store's roots and frees the rest
//! (`exec/gc.rs`, `GcHeap::collect`). A reference the host kept across a collection is checked by its
//! generation and refused if its object was freed.

mod heap;
mod types;

pub(crate) use heap::{GcHeap, GcObject, I31_TAG, Init, RefKind, fill, kind_of, load, store};
pub(crate) use types::{Access, Composite, Field, Storage, TypeDef, TypeRef};

/// The target heap type of a cast (`ref.test`, `ref.cast`, `br_on_cast`) as an instruction operand: an
/// abstract heap type's code, or [`cast::CONCRETE`] plus a module type index.
pub(crate) mod cast {
    pub(crate) const FUNC: u32 = 0;
    pub(crate) const NOFUNC: u32 = 1;
    pub(crate) const EXTERN: u32 = 2;
    pub(crate) const NOEXTERN: u32 = 3;
    pub(crate) const EXN: u32 = 4;
    pub(crate) const NOEXN: u32 = 5;
    pub(crate) const ANY: u32 = 6;
    pub(crate) const EQ: u32 = 7;
    pub(crate) const I31: u32 = 8;
    pub(crate) const STRUCT: u32 = 9;
    pub(crate) const ARRAY: u32 = 10;
    pub(crate) const NONE: u32 = 11;
    pub(crate) const CONCRETE: u32 = 16;
}
