//! A store's GC objects and the slot encoding of `any`-hierarchy references (see the module docs of `gc`).

use std::sync::Arc;

use super::types::{Composite, Storage, TypeDef};
use crate::error::TrapCode;

/// Tag of an `i31` slot value; the low 31 bits are the integer.
pub(crate) const I31_TAG: u64 = 1 << 63;
/// Tag of a GC object's slot value; the low 32 bits are its index in the store's heap.
pub(crate) const OBJ_TAG: u64 = 1 << 62;
/// The most cells one store's objects may take in all (2^28 cells: 2 GiB); more is "allocation too large".
pub(crate) const MAX_CELLS: u64 = 1 << 28;

/// What an `any`- or `extern`-hierarchy slot value refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefKind {
    Null,
    /// A host value: index + 1 into the store's externs.
    Host,
    I31(u32),
    /// A GC object: its index in the heap.
    Object(u32),
}

/// Decode a slot value (see the module docs of `gc`).
#[inline(always)]
pub(crate) fn kind_of(raw: u64) -> RefKind {
    if raw & I31_TAG != 0 {
        RefKind::I31(raw as u32 & 0x7fff_ffff)
    } else if raw & OBJ_TAG != 0 {
        RefKind::Object(raw as u32)
    } else if raw == 0 {
        RefKind::Null
    } else {
        RefKind::Host
    }
}

/// A struct or an array.
pub(crate) struct GcObject {
    pub def: Arc<TypeDef>,
    /// A struct's fields at their cells (`Field::cell`), or an array's elements (each `Storage::cells` wide).
    pub cells: Box<[u64]>,
    /// An array's length in elements (0 for a struct).
    pub len: u32,
}

/// A store's GC objects (see the module docs of `gc`: none is freed before the store).
#[derive(Default)]
pub(crate) struct GcHeap {
    objects: Vec<GcObject>,
    cells: u64,
}

impl GcHeap {
    /// Store a new object; returns its slot value. An object whose cells would take the heap past its
    /// limit (or that cannot be allocated) is refused with "allocation too large".
    pub(crate) fn alloc(&mut self, obj: GcObject) -> Result<u64, TrapCode> {
        let index = u32::try_from(self.objects.len()).map_err(|_| TrapCode::AllocationTooLarge)?;
        self.cells += obj.cells.len() as u64;
        self.objects.push(obj);
        Ok(OBJ_TAG | index as u64)
    }

    /// `n` cells of zeros for a new object, or "allocation too large" (checked before anything is allocated,
    /// so an absurd array length is a trap, not an abort).
    pub(crate) fn zeroed(&self, n: u64) -> Result<Box<[u64]>, TrapCode> {
        if n > MAX_CELLS - self.cells.min(MAX_CELLS) {
            return Err(TrapCode::AllocationTooLarge);
        }
        let mut v = Vec::new();
        v.try_reserve_exact(n as usize).map_err(|_| TrapCode::AllocationTooLarge)?;
        v.resize(n as usize, 0);
        Ok(v.into_boxed_slice())
    }

    /// A new object of type `def` from its field or element values (slot form, a `v128` whole), for
    /// constant expressions; returns its slot value.
    pub(crate) fn new_object(&mut self, def: &Arc<TypeDef>, values: &[u128]) -> Result<u64, TrapCode> {
        let put = |cells: &mut [u64], at: usize, storage: Storage, v: u128| {
            cells[at] = storage.wrap(v as u64);
            if storage == Storage::V128 {
                cells[at + 1] = (v >> 64) as u64;
            }
        };
        let (cells, len) = match &def.composite {
            Composite::Struct { fields, cells } => {
                let mut data = self.zeroed(*cells as u64)?;
                for (f, &v) in fields.iter().zip(values) {
                    put(&mut data, f.cell as usize, f.storage, v);
                }
                (data, 0)
            }
            Composite::Array(storage) => {
                let w = storage.cells() as usize;
                let mut data = self.zeroed((values.len() * w) as u64)?;
                for (i, &v) in values.iter().enumerate() {
                    put(&mut data, i * w, *storage, v);
                }
                (data, u32::try_from(values.len()).map_err(|_| TrapCode::AllocationTooLarge)?)
            }
            Composite::Func => return Err(TrapCode::CastFailure),
        };
        self.alloc(GcObject { def: def.clone(), cells, len })
    }

    /// The object a slot value names (`None` for null, `i31`s, host values and unknown objects).
    #[inline(always)]
    pub(crate) fn get(&self, raw: u64) -> Option<&GcObject> {
        match kind_of(raw) {
            RefKind::Object(i) => self.objects.get(i as usize),
            _ => None,
        }
    }

    #[inline(always)]
    pub(crate) fn get_mut(&mut self, raw: u64) -> Option<&mut GcObject> {
        match kind_of(raw) {
            RefKind::Object(i) => self.objects.get_mut(i as usize),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gc::types::Composite;

    #[test]
    fn slot_values_decode_by_tag() {
        assert_eq!(kind_of(0), RefKind::Null);
        assert_eq!(kind_of(5), RefKind::Host);
        assert_eq!(kind_of(I31_TAG | 0x7fff_ffff), RefKind::I31(0x7fff_ffff));
        assert_eq!(kind_of(OBJ_TAG | 3), RefKind::Object(3));
    }

    #[test]
    fn objects_are_found_by_their_slot_value_and_sizes_are_limited() {
        let mut heap = GcHeap::default();
        let def = Arc::new(TypeDef { composite: Composite::Array(crate::gc::Storage::I64), supertypes: Box::new([0]) });
        let cells = heap.zeroed(4).unwrap();
        let raw = heap.alloc(GcObject { def, cells, len: 4 }).unwrap();
        assert_eq!(heap.get(raw).map(|o| o.len), Some(4));
        assert!(heap.get(raw + 1).is_none() && heap.get(0).is_none() && heap.get(I31_TAG).is_none());
        assert_eq!(heap.zeroed(MAX_CELLS).unwrap_err(), TrapCode::AllocationTooLarge);
    }
}
