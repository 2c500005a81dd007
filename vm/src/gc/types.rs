//! What the machine knows of a defined type at run time: its kind, the layout of a struct's fields or an
//! array's elements, and its chain of declared supertypes (for casts and `call_indirect` with subtypes).
//!
//! Every type of every module is interned by the engine (`Engine::intern_def`) under its canonical text, so
//! a type id names one type across modules and threads. A [`TypeDef`] lives as long as the engine and is
//! shared (`Arc`) by the modules that declare it and by the GC objects of that type.

use std::ops::Deref;
use std::ptr::NonNull;
use std::sync::Arc;

use crate::engine::TypeId;

/// How a struct field or an array element is stored in a GC object. A struct field takes one 8-byte cell
/// (`v128` two; a packed type its own cell, zero-extended). An array element takes [`Storage::bytes`]
/// bytes, little-endian: an `(array i8)` of a million elements takes a megabyte, as in a data segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Storage {
    /// `i8`: the low 8 bits of an i32.
    I8,
    /// `i16`: the low 16 bits of an i32.
    I16,
    /// `i32` or `f32`: its slot form.
    I32,
    /// `i64` or `f64`: its slot form.
    I64,
    /// A reference: its slot form.
    Ref,
    /// `v128`: two cells, low half first.
    V128,
}

impl Storage {
    /// Cells a value of this storage takes.
    pub(crate) const fn cells(self) -> u32 {
        match self {
            Storage::V128 => 2,
            _ => 1,
        }
    }

    pub(crate) fn from_wasmparser(t: wasmparser::StorageType) -> Self {
        match t {
            wasmparser::StorageType::I8 => Storage::I8,
            wasmparser::StorageType::I16 => Storage::I16,
            wasmparser::StorageType::Val(wasmparser::ValType::V128) => Storage::V128,
            wasmparser::StorageType::Val(wasmparser::ValType::I32 | wasmparser::ValType::F32) => Storage::I32,
            wasmparser::StorageType::Val(wasmparser::ValType::I64 | wasmparser::ValType::F64) => Storage::I64,
            wasmparser::StorageType::Val(wasmparser::ValType::Ref(_)) => Storage::Ref,
        }
    }

    /// Bytes a value of this storage takes as an array element, and in a data segment (`array.new_data`;
    /// references never do).
    pub(crate) const fn bytes(self) -> usize {
        match self {
            Storage::I8 => 1,
            Storage::I16 => 2,
            Storage::I32 => 4,
            Storage::I64 | Storage::Ref => 8,
            Storage::V128 => 16,
        }
    }

    /// How an instruction reads a value of this storage: `signed` for `get_s`, `Some(false)` for `get_u`.
    pub(crate) fn access(self, signed: Option<bool>) -> u8 {
        match (self, signed) {
            (Storage::I8, Some(true)) => Access::I8_S,
            (Storage::I8, _) => Access::I8_U,
            (Storage::I16, Some(true)) => Access::I16_S,
            (Storage::I16, _) => Access::I16_U,
            (Storage::V128, _) => Access::V128,
            _ => Access::CELL,
        }
    }

    /// How an array instruction reads or writes an element of this storage: as [`Storage::access`], but an
    /// `i32`/`f32` element is 4 bytes ([`Access::I32`]).
    pub(crate) fn element_access(self, signed: Option<bool>) -> u8 {
        match self {
            Storage::I32 => Access::I32,
            _ => self.access(signed),
        }
    }

    /// The value as it is kept in a cell: a packed value truncated to its width.
    #[inline(always)]
    pub(crate) fn wrap(self, v: u64) -> u64 {
        Access::write(self.access(None), v)
    }
}

/// How a GC instruction reads or writes a field or an element: the const parameter `A` of its handler.
/// A write of a packed value keeps its low bits (`I8_U`, `I16_U`); a read zero- or sign-extends. `CELL` is
/// a struct's 8-byte cell or an 8-byte array element (`i64`, `f64`, a reference); `I32` a 4-byte array
/// element.
pub(crate) struct Access;

impl Access {
    pub(crate) const CELL: u8 = 0;
    pub(crate) const I8_S: u8 = 1;
    pub(crate) const I8_U: u8 = 2;
    pub(crate) const I16_S: u8 = 3;
    pub(crate) const I16_U: u8 = 4;
    pub(crate) const V128: u8 = 5;
    pub(crate) const I32: u8 = 6;

    /// Cells a value of this access takes.
    #[inline(always)]
    pub(crate) const fn cells(a: u8) -> usize {
        if a == Access::V128 { 2 } else { 1 }
    }

    /// Bytes an array element of this access takes.
    #[inline(always)]
    pub(crate) const fn bytes(a: u8) -> usize {
        match a {
            Access::I8_S | Access::I8_U => 1,
            Access::I16_S | Access::I16_U => 2,
            Access::I32 => 4,
            Access::V128 => 16,
            _ => 8,
        }
    }

    /// The slot value of the cell value `v` as read by access `a` (an i32 zero-extended in its slot).
    #[inline(always)]
    pub(crate) const fn read(a: u8, v: u64) -> u64 {
        match a {
            Access::I8_S => v as u8 as i8 as i32 as u32 as u64,
            Access::I8_U => v as u8 as u64,
            Access::I16_S => v as u16 as i16 as i32 as u32 as u64,
            Access::I16_U => v as u16 as u64,
            _ => v,
        }
    }

    /// The cell value of the slot value `v` written by access `a`.
    #[inline(always)]
    pub(crate) const fn write(a: u8, v: u64) -> u64 {
        match a {
            Access::I8_S | Access::I8_U => v & 0xff,
            Access::I16_S | Access::I16_U => v & 0xffff,
            _ => v,
        }
    }
}

/// A struct field: its storage and the first cell it occupies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Field {
    pub storage: Storage,
    pub cell: u32,
}

/// The kind of a defined type, with a struct's fields or an array's element.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Composite {
    Func,
    /// `packed`: some field is `i8` or `i16` (its value is truncated when the struct is made).
    Struct {
        fields: Box<[Field]>,
        cells: u32,
        packed: bool,
    },
    Array(Storage),
}

/// A defined type as the machine sees it (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct TypeDef {
    pub composite: Composite,
    /// The declared supertypes, root first, ending with this type's own id: `a` is a subtype of `b` exactly
    /// when `a.supertypes[depth(b)] == b` (Wasm's subtyping of defined types is a tree by declaration).
    pub supertypes: Box<[TypeId]>,
}

impl TypeDef {
    /// A function type with no declared supertype (a signature the host made, or a final type).
    pub(crate) fn func(id: TypeId) -> Self {
        TypeDef { composite: Composite::Func, supertypes: Box::new([id]) }
    }

    /// This type's engine id.
    pub(crate) fn id(&self) -> TypeId {
        *self.supertypes.last().expect("a type is its own last supertype")
    }

    /// Is this type the type `other` or declared (transitively) as its subtype? (Its chain is short: one
    /// entry per level of declared subtyping.)
    #[inline]
    pub(crate) fn is_subtype_of(&self, other: TypeId) -> bool {
        self.supertypes.contains(&other)
    }

    /// A struct type's fields (none for other types).
    pub(crate) fn fields(&self) -> &[Field] {
        match &self.composite {
            Composite::Struct { fields, .. } => fields,
            _ => &[],
        }
    }

    /// An array type's element storage (validated code asks only of array types).
    pub(crate) fn element(&self) -> Storage {
        match self.composite {
            Composite::Array(s) => s,
            _ => Storage::I64,
        }
    }

    /// The layout of a struct type from wasmparser's field list.
    pub(crate) fn struct_layout(fields: &[wasmparser::FieldType]) -> Composite {
        let mut cells = 0;
        let fields: Box<[Field]> = fields
            .iter()
            .map(|f| {
                let storage = Storage::from_wasmparser(f.element_type);
                let field = Field { storage, cell: cells };
                cells += storage.cells();
                field
            })
            .collect();
        let packed = fields.iter().any(|f: &Field| matches!(f.storage, Storage::I8 | Storage::I16));
        Composite::Struct { fields, cells, packed }
    }

    /// The heap type naming this type.
    pub(crate) fn heap_type(&self) -> crate::types::HeapType {
        use crate::types::HeapType;
        match self.composite {
            Composite::Func => HeapType::Concrete(self.id()),
            Composite::Struct { .. } => HeapType::ConcreteStruct(self.id()),
            Composite::Array(_) => HeapType::ConcreteArray(self.id()),
        }
    }

    /// Is this a struct type?
    pub(crate) fn is_struct(&self) -> bool {
        matches!(self.composite, Composite::Struct { .. })
    }

    /// Is this an array type?
    pub(crate) fn is_array(&self) -> bool {
        matches!(self.composite, Composite::Array(_))
    }
}

/// A [`TypeDef`] that a GC object points to without counting references (no atomic operation per
/// allocation): the engine's registry keeps every `TypeDef` as long as the engine lives, and a store, with
/// its objects, keeps its engine.
#[derive(Clone, Copy)]
pub(crate) struct TypeRef(NonNull<TypeDef>);

impl TypeRef {
    /// The type `def`, which must outlive every object made with it (see the type's docs).
    pub(crate) fn of(def: &Arc<TypeDef>) -> Self {
        TypeRef(NonNull::from(&**def))
    }
}

impl Deref for TypeRef {
    type Target = TypeDef;
    #[inline(always)]
    fn deref(&self) -> &TypeDef {
        // SAFETY: the `TypeDef` outlives the object (see the type's docs).
        unsafe { self.0.as_ref() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtyping_follows_the_declared_chain() {
        let root = TypeDef { composite: Composite::Func, supertypes: Box::new([3]) };
        let mid = TypeDef { composite: Composite::Func, supertypes: Box::new([3, 7]) };
        let leaf = TypeDef { composite: Composite::Func, supertypes: Box::new([3, 7, 9]) };
        let other = TypeDef { composite: Composite::Func, supertypes: Box::new([3, 8]) };
        assert!(leaf.is_subtype_of(root.id()) && leaf.is_subtype_of(mid.id()) && leaf.is_subtype_of(leaf.id()));
        assert!(!mid.is_subtype_of(leaf.id()) && !other.is_subtype_of(mid.id()) && !root.is_subtype_of(mid.id()));
        assert!(other.is_subtype_of(root.id()));
    }

    #[test]
    fn struct_fields_take_cells_by_storage() {
        use wasmparser::{FieldType, StorageType, ValType};
        let f = |t| FieldType { element_type: t, mutable: true };
        let layout = TypeDef::struct_layout(&[
            f(StorageType::I8),
            f(StorageType::Val(ValType::V128)),
            f(StorageType::Val(ValType::I64)),
        ]);
        let Composite::Struct { fields, cells, .. } = layout else { panic!("a struct") };
        assert_eq!(cells, 4);
        assert_eq!(fields.iter().map(|f| f.cell).collect::<Vec<_>>(), [0, 1, 3]);
        assert_eq!(Storage::I8.wrap(0x1ff), 0xff);
        assert_eq!(Storage::I16.wrap(u64::MAX), 0xffff);
    }
}
