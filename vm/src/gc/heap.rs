//! A store's GC objects, their collection, and the slot encoding of `any`-hierarchy references (see the
//! module docs of `gc`).

use std::sync::Arc;

use super::types::{Composite, Storage, TypeDef, TypeRef};
use crate::error::TrapCode;

/// Tag of an `i31` slot value; the low 31 bits are the integer.
pub(crate) const I31_TAG: u64 = 1 << 63;
/// Tag of a GC object's slot value: `OBJ_TAG | generation << 32 | index` (see [`GcHeap`]).
pub(crate) const OBJ_TAG: u64 = 1 << 62;
/// The generation's bits in an object's slot value.
const GENERATION_MASK: u32 = (1 << 30) - 1;
/// The most cells (8 bytes) one store's live objects may take (2^28 cells: 2 GiB); more is "allocation too
/// large".
pub(crate) const MAX_CELLS: u64 = 1 << 28;
/// What an object costs besides its cells, counted in cells (for the collection threshold).
const OBJECT_OVERHEAD: u64 = 8;

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

/// An object's cells: up to four in the object itself (most structs: no allocation of their own).
pub(crate) type Cells = smallvec::SmallVec<[u64; 4]>;

/// A struct or an array.
pub(crate) struct GcObject {
    pub def: TypeRef,
    /// A struct's fields at their cells (`Field::cell`), or an array's elements, each `Storage::bytes` wide,
    /// little-endian, in the cells' bytes ([`GcObject::bytes`]).
    pub cells: Cells,
    /// An array's length in elements (0 for a struct).
    pub len: u32,
}

impl GcObject {
    /// The object's cells as bytes (an array's elements).
    #[inline(always)]
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: the cells are initialised `u64`s; any byte of them is a valid `u8`.
        unsafe { std::slice::from_raw_parts(self.cells.as_ptr().cast(), self.cells.len() * 8) }
    }

    #[inline(always)]
    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `bytes`; any bytes written make valid `u64`s.
        unsafe { std::slice::from_raw_parts_mut(self.cells.as_mut_ptr().cast(), self.cells.len() * 8) }
    }
}

/// The array element of `w` bytes at byte `at` (little-endian; a `v128` whole).
#[inline(always)]
pub(crate) fn load(bytes: &[u8], at: usize, w: usize) -> u128 {
    let mut v = [0u8; 16];
    v[..w].copy_from_slice(&bytes[at..at + w]);
    u128::from_le_bytes(v)
}

/// Store the low `w` bytes of `v` as the array element at byte `at` (a packed value is truncated so).
#[inline(always)]
pub(crate) fn store(bytes: &mut [u8], at: usize, w: usize, v: u128) {
    bytes[at..at + w].copy_from_slice(&v.to_le_bytes()[..w]);
}

/// Store `v` in every `w`-byte element of `bytes`.
pub(crate) fn fill(bytes: &mut [u8], w: usize, v: u128) {
    /// With the width a constant, each element is one store (not a call of `memcpy`).
    fn each<const W: usize>(bytes: &mut [u8], v: [u8; 16]) {
        let v: [u8; W] = v[..W].try_into().expect("W <= 16");
        for e in bytes.chunks_exact_mut(W) {
            e.copy_from_slice(&v);
        }
    }
    let v = v.to_le_bytes();
    match w {
        1 => bytes.fill(v[0]),
        2 => each::<2>(bytes, v),
        4 => each::<4>(bytes, v),
        8 => each::<8>(bytes, v),
        _ => each::<16>(bytes, v),
    }
}

/// The fields or elements of an object made by a constant expression (slot form, a `v128` whole).
pub(crate) enum Init<'a> {
    /// A struct's fields, or an array's elements (`array.new_fixed`).
    Values(&'a [u128]),
    /// `len` elements of one value (`array.new`, `array.new_default`).
    Repeat { value: u128, len: u64 },
}

/// A store's GC objects.
///
/// An object is a slot of `slots` with a generation; its slot value carries both, so a reference to a
/// freed object (one a host kept across a collection) no longer matches and is refused, never confused
/// with the object that reuses the slot. Collection is a mark and sweep started by an allocation once
/// enough has been allocated since the last one (`exec/gc.rs` supplies the roots: the live value stack,
/// globals, tables, element segments and exceptions of the store). The roots are marked conservatively
/// (any value that names a live object keeps it), the objects' own references exactly.
pub(crate) struct GcHeap {
    slots: Vec<(Option<GcObject>, u32)>,
    free: Vec<u32>,
    /// Cells of the live objects, and what has been allocated (cells plus overhead) since the last collection.
    cells: u64,
    allocated: u64,
    threshold: u64,
    /// The least `threshold` (`Config::gc_threshold`).
    min_threshold: u64,
}

impl GcHeap {
    /// An empty heap that collects after `min_threshold` cells (see `Config::gc_threshold`).
    pub(crate) fn new(min_threshold: u64) -> Self {
        let min_threshold = min_threshold.max(1);
        Self { slots: Vec::new(), free: Vec::new(), cells: 0, allocated: 0, threshold: min_threshold, min_threshold }
    }

    /// Store a new object; returns its slot value.
    pub(crate) fn alloc(&mut self, obj: GcObject) -> Result<u64, TrapCode> {
        let n = obj.cells.len() as u64;
        let index = match self.free.pop() {
            Some(i) => i as usize,
            None => {
                let i = self.slots.len();
                if i >= u32::MAX as usize {
                    return Err(TrapCode::AllocationTooLarge);
                }
                self.slots.push((None, 0));
                i
            }
        };
        self.cells += n;
        self.allocated += n + OBJECT_OVERHEAD;
        self.slots[index].0 = Some(obj);
        Ok(OBJ_TAG | (self.slots[index].1 as u64) << 32 | index as u64)
    }

    /// `n` cells of zeros for a new object, or "allocation too large" (checked before anything is allocated,
    /// so an absurd array length is a trap, not an abort).
    pub(crate) fn zeroed(&self, n: u64) -> Result<Cells, TrapCode> {
        if n > MAX_CELLS - self.cells.min(MAX_CELLS) {
            return Err(TrapCode::AllocationTooLarge);
        }
        if n <= 4 {
            return Ok(Cells::from_buf_and_len([0; 4], n as usize));
        }
        // Zeroed by the allocator: a large block comes as untouched zero pages from the system, so a big
        // `array.new_default` costs its pages only as they are written.
        let layout = std::alloc::Layout::array::<u64>(n as usize).map_err(|_| TrapCode::AllocationTooLarge)?;
        // SAFETY: `layout` has a non-zero size (n > 4).
        let ptr = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<u64>();
        if ptr.is_null() {
            return Err(TrapCode::AllocationTooLarge);
        }
        // SAFETY: `ptr` was allocated by the global allocator with the layout of `n` u64s, all initialised
        // (zero), which is what a `Vec<u64>` of capacity and length `n` owns.
        Ok(Cells::from_vec(unsafe { Vec::from_raw_parts(ptr, n as usize, n as usize) }))
    }

    /// The zeroed cells of an array of `len` elements of `storage`, or "allocation too large".
    fn zeroed_array(&self, storage: Storage, len: u64) -> Result<Cells, TrapCode> {
        self.zeroed((len * storage.bytes() as u64).div_ceil(8))
    }

    /// An array of type `def` with `len` elements, zeroed, then given its elements by `init` (their bytes, and
    /// the width of one); [`GcHeap::alloc`] stores it.
    pub(crate) fn new_array(
        &self,
        def: &Arc<TypeDef>,
        len: u64,
        init: impl FnOnce(&mut [u8], usize),
    ) -> Result<GcObject, TrapCode> {
        let storage = def.element();
        let len32 = u32::try_from(len).map_err(|_| TrapCode::AllocationTooLarge)?;
        let mut obj = GcObject { def: TypeRef::of(def), cells: self.zeroed_array(storage, len)?, len: len32 };
        let w = storage.bytes();
        init(&mut obj.bytes_mut()[..len as usize * w], w);
        Ok(obj)
    }

    /// A new object of type `def` with the fields or elements `init`, for constant expressions; returns its
    /// slot value.
    pub(crate) fn new_object(&mut self, def: &Arc<TypeDef>, init: Init<'_>) -> Result<u64, TrapCode> {
        let (cells, len) = match (&def.composite, init) {
            (Composite::Struct { fields, cells, .. }, Init::Values(values)) => {
                let mut data = self.zeroed(*cells as u64)?;
                for (f, &v) in fields.iter().zip(values) {
                    data[f.cell as usize] = f.storage.wrap(v as u64);
                    if f.storage == Storage::V128 {
                        data[f.cell as usize + 1] = (v >> 64) as u64;
                    }
                }
                (data, 0)
            }
            (Composite::Array(_), init) => {
                let len = match init {
                    Init::Values(values) => values.len() as u64,
                    Init::Repeat { len, .. } => len,
                };
                let obj = self.new_array(def, len, |bytes, w| match init {
                    Init::Values(values) => {
                        for (i, &v) in values.iter().enumerate() {
                            store(bytes, i * w, w, v);
                        }
                    }
                    // Zeros are there already (and a large array's pages stay untouched).
                    Init::Repeat { value, .. } if value != 0 => fill(bytes, w, value),
                    Init::Repeat { .. } => {}
                })?;
                return self.alloc(obj);
            }
            _ => return Err(TrapCode::CastFailure),
        };
        self.alloc(GcObject { def: TypeRef::of(def), cells, len })
    }

    /// The slot index of a live object's slot value.
    #[inline(always)]
    fn index(&self, raw: u64) -> Option<usize> {
        if raw & (I31_TAG | OBJ_TAG) != OBJ_TAG {
            return None;
        }
        let i = raw as u32 as usize;
        match self.slots.get(i) {
            Some((Some(_), generation)) if *generation == (raw >> 32) as u32 & GENERATION_MASK => Some(i),
            _ => None,
        }
    }

    /// The object a slot value names (`None` for null, `i31`s, host values and freed objects).
    #[inline(always)]
    pub(crate) fn get(&self, raw: u64) -> Option<&GcObject> {
        self.slots[self.index(raw)?].0.as_ref()
    }

    #[inline(always)]
    pub(crate) fn get_mut(&mut self, raw: u64) -> Option<&mut GcObject> {
        let i = self.index(raw)?;
        self.slots[i].0.as_mut()
    }

    /// Has enough been allocated since the last collection to collect?
    #[inline(always)]
    pub(crate) fn wants_collection(&self) -> bool {
        self.allocated >= self.threshold
    }

    /// Free every object that neither `roots` (values that may name objects) nor a kept object names.
    pub(crate) fn collect(&mut self, roots: impl IntoIterator<Item = u64>) {
        let mut marked = vec![false; self.slots.len()];
        let mut work: Vec<usize> = Vec::new();
        let mut mark = |heap: &Self, v: u64, work: &mut Vec<usize>| {
            if let Some(i) = heap.index(v)
                && !marked[i]
            {
                marked[i] = true;
                work.push(i);
            }
        };
        for v in roots {
            mark(self, v, &mut work);
        }
        while let Some(i) = work.pop() {
            let Some(obj) = self.slots[i].0.as_ref() else { continue };
            match &obj.def.composite {
                Composite::Struct { fields, .. } => {
                    for f in fields.iter().filter(|f| f.storage == Storage::Ref) {
                        mark(self, obj.cells[f.cell as usize], &mut work);
                    }
                }
                Composite::Array(Storage::Ref) => {
                    for &v in obj.cells.iter() {
                        mark(self, u64::from_le(v), &mut work);
                    }
                }
                _ => {}
            }
        }
        for (i, m) in marked.into_iter().enumerate() {
            if !m && let Some(obj) = self.slots[i].0.take() {
                self.cells -= obj.cells.len() as u64;
                self.slots[i].1 = (self.slots[i].1 + 1) & GENERATION_MASK;
                self.free.push(i as u32);
            }
        }
        self.allocated = 0;
        let live = self.cells + (self.slots.len() - self.free.len()) as u64 * OBJECT_OVERHEAD;
        self.threshold = live.max(self.min_threshold);
    }

    /// How many objects are live (for tests of the collection).
    pub(crate) fn live(&self) -> usize {
        self.slots.len() - self.free.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn array_def(storage: Storage) -> Arc<TypeDef> {
        Arc::new(TypeDef { composite: Composite::Array(storage), supertypes: Box::new([0]) })
    }

    #[test]
    fn slot_values_decode_by_tag() {
        assert_eq!(kind_of(0), RefKind::Null);
        assert_eq!(kind_of(5), RefKind::Host);
        assert_eq!(kind_of(I31_TAG | 0x7fff_ffff), RefKind::I31(0x7fff_ffff));
        assert_eq!(kind_of(OBJ_TAG | 3), RefKind::Object(3));
    }

    #[test]
    fn objects_are_found_by_their_slot_value_and_sizes_are_limited() {
        let mut heap = GcHeap::new(1 << 20);
        let cells = heap.zeroed(4).unwrap();
        let def = array_def(Storage::I64);
        let raw = heap.alloc(GcObject { def: TypeRef::of(&def), cells, len: 4 }).unwrap();
        assert_eq!(heap.get(raw).map(|o| o.len), Some(4));
        assert!(heap.get(raw + 1).is_none() && heap.get(0).is_none() && heap.get(I31_TAG).is_none());
        assert_eq!(heap.zeroed(MAX_CELLS).unwrap_err(), TrapCode::AllocationTooLarge);
    }

    #[test]
    fn array_elements_take_their_width_little_endian() {
        let mut heap = GcHeap::new(1 << 20);
        assert_eq!(heap.zeroed_array(Storage::I8, 9).unwrap().len(), 2);
        assert_eq!(heap.zeroed_array(Storage::I16, 9).unwrap().len(), 3);
        assert_eq!(heap.zeroed_array(Storage::V128, 3).unwrap().len(), 6);
        let shorts = array_def(Storage::I16);
        let raw = heap.new_object(&shorts, Init::Values(&[0x1_2345, 0xfffe])).unwrap();
        let obj = heap.get(raw).unwrap();
        assert_eq!((obj.len, &obj.bytes()[..4]), (2, &[0x45, 0x23, 0xfe, 0xff][..]));
        assert_eq!(load(obj.bytes(), 2, 2), 0xfffe);
        let raw = heap.new_object(&array_def(Storage::I8), Init::Repeat { value: 0x1ff, len: 3 }).unwrap();
        assert_eq!(heap.get(raw).unwrap().bytes(), &[0xff, 0xff, 0xff, 0, 0, 0, 0, 0]);
        // `fill` at each width writes every element whole and nothing past the range.
        let v = 0x0f0e_0d0c_0b0a_0908_0706_0504_0302_0100u128;
        for w in [1, 2, 4, 8, 16] {
            let mut bytes = [0xaau8; 40];
            fill(&mut bytes[..2 * w], w, v);
            let expected: Vec<u8> =
                (0..2).flat_map(|_| 0..w as u8).chain(std::iter::repeat_n(0xaa, 40 - 2 * w)).collect();
            assert_eq!(&bytes[..], &expected[..], "width {w}");
        }
    }

    #[test]
    fn collection_keeps_what_roots_reach_and_refuses_stale_references() {
        let mut heap = GcHeap::new(1 << 20);
        let (ints, refs, longs) = (array_def(Storage::I32), array_def(Storage::Ref), array_def(Storage::I64));
        let leaf = heap.new_object(&ints, Init::Values(&[1, 2])).unwrap();
        let holder = heap.new_object(&refs, Init::Values(&[leaf as u128])).unwrap();
        let garbage = heap.new_object(&longs, Init::Values(&[7])).unwrap();
        // An i64 array holding the leaf's slot value as a number does not keep it: objects are scanned
        // exactly, by their types.
        let numbers = heap.new_object(&longs, Init::Values(&[leaf as u128])).unwrap();
        heap.collect([holder, 12345]);
        assert_eq!(heap.live(), 2);
        assert!(heap.get(holder).is_some() && heap.get(leaf).is_some());
        assert!(heap.get(garbage).is_none() && heap.get(numbers).is_none());
        // The freed slots are reused under a new generation: the stale values name nothing.
        let again = heap.new_object(&longs, Init::Values(&[9])).unwrap();
        assert_eq!(again as u32, numbers as u32);
        assert_ne!(again, numbers);
        assert!(heap.get(garbage).is_none() && heap.get(numbers).is_none());
        heap.collect([]);
        assert_eq!(heap.live(), 0);
    }
}
