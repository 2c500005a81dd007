//! Globals.

use super::{AsContext, AsContextMut, StoreId, StoreInner};
use crate::error::{Error, Result};
use crate::types::{GlobalType, ValType};
use crate::value::Val;

/// A global's storage (boxed, so instances can keep a stable pointer to `value`). A `v128` global keeps
/// its high half in `hi`, right after `value`, so the pointer covers both halves.
#[repr(C)]
pub(crate) struct GlobalCell {
    pub value: u64,
    pub hi: u64,
    pub ty: GlobalType,
    /// Bumped each time the cell is released for reuse (see [`StoreInner::retire_externs`]), so that a
    /// handle to the released global is refused rather than reading its successor.
    pub generation: u32,
}

/// A global handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Global {
    pub(crate) store: StoreId,
    pub(crate) index: u32,
    pub(crate) generation: u32,
}

impl Global {
    /// Create a global holding `value`.
    pub fn new(mut store: impl AsContextMut, ty: GlobalType, value: Val) -> Result<Global> {
        let inner = store.inner_mut();
        if !inner.fits(&value, ty.content) {
            return Err(Error::api(format!("global of type {} initialised with a {}", ty.content, value.ty())));
        }
        let raw = inner.val_to_raw(&value)?;
        Ok(inner.push_global(ty, value.v128().unwrap_or(raw as u128)))
    }

    fn cell<'a>(&self, inner: &'a StoreInner) -> Result<&'a GlobalCell> {
        inner.check(self.store, "global")?;
        inner.global_cell(self.index, self.generation)
    }

    /// The global's type.
    pub fn ty(&self, store: impl AsContext) -> Result<GlobalType> {
        Ok(self.cell(store.inner())?.ty)
    }

    /// Read the global.
    pub fn get(&self, store: impl AsContext) -> Result<Val> {
        let inner = store.inner();
        let cell = self.cell(inner)?;
        if cell.ty.content == ValType::V128 {
            return Ok(Val::V128(cell.value as u128 | (cell.hi as u128) << 64));
        }
        Ok(inner.raw_to_val(cell.value, cell.ty.content))
    }

    /// Write a mutable global.
    pub fn set(&self, mut store: impl AsContextMut, value: Val) -> Result<()> {
        let inner = store.inner_mut();
        let ty = self.cell(inner)?.ty;
        if !ty.mutable {
            return Err(Error::api("cannot set an immutable global"));
        }
        if !inner.fits(&value, ty.content) {
            return Err(Error::api(format!("global of type {} set to a {}", ty.content, value.ty())));
        }
        let raw = inner.val_to_raw(&value)?;
        let cell = &mut inner.globals[self.index as usize]; // checked by `self.cell` above
        cell.value = raw;
        cell.hi = value.v128().map_or(0, |v| (v >> 64) as u64);
        Ok(())
    }
}

impl StoreInner {
    /// A new global holding `value` (a slot value, or both halves of a `v128`).
    /// A new global holding `value` (a slot value, or both halves of a `v128`), in a released cell if there
    /// is one.
    pub(crate) fn push_global(&mut self, ty: GlobalType, value: u128) -> Global {
        let (value, hi) = (value as u64, (value >> 64) as u64);
        if let Some(index) = self.free_globals.pop() {
            let cell = &mut self.globals[index as usize];
            (cell.value, cell.hi, cell.ty) = (value, hi, ty);
            return Global { store: self.id, index, generation: cell.generation };
        }
        self.globals.push(Box::new(GlobalCell { value, hi, ty, generation: 0 }));
        Global { store: self.id, index: self.globals.len() as u32 - 1, generation: 0 }
    }

    /// The cell of global `index` if `generation` is still its generation (the handle is not stale).
    pub(crate) fn global_cell(&self, index: u32, generation: u32) -> Result<&GlobalCell> {
        match self.globals.get(index as usize) {
            Some(cell) if cell.generation == generation => Ok(cell),
            _ => Err(Error::api("global was released (its instance was unloaded)")),
        }
    }

    /// Release global cell `index` for reuse: later handles to it are refused.
    pub(crate) fn free_global(&mut self, index: u32) {
        let Some(cell) = self.globals.get_mut(index as usize) else { return };
        cell.generation = cell.generation.wrapping_add(1);
        (cell.value, cell.hi) = (0, 0);
        self.free_globals.push(index);
    }

    /// Append a typed value's slots (two for a `v128`) to `out`.
    pub(crate) fn push_slots(&self, v: &Val, out: &mut impl Extend<u64>) -> Result<()> {
        match *v {
            Val::V128(x) => out.extend([x as u64, (x >> 64) as u64]),
            _ => out.extend([self.val_to_raw(v)?]),
        }
        Ok(())
    }

    /// Read values of `types` from consecutive slots.
    pub(crate) fn vals_from_slots<'a>(
        &'a self,
        slots: &'a [u64],
        types: &'a [ValType],
    ) -> impl Iterator<Item = Val> + 'a {
        let mut at = 0;
        types.iter().map(move |&t| {
            let v = match t {
                ValType::V128 => Val::V128(slots[at] as u128 | (slots[at + 1] as u128) << 64),
                _ => self.raw_to_val(slots[at], t),
            };
            at += t.slots() as usize;
            v
        })
    }

    /// Convert a typed value to its slot form, checking that references belong to this store (the low
    /// half of a `v128`; see [`push_slots`](Self::push_slots)).
    pub(crate) fn val_to_raw(&self, v: &Val) -> Result<u64> {
        Ok(match *v {
            Val::V128(x) => x as u64,
            Val::I32(x) => x as u32 as u64,
            Val::I64(x) => x as u64,
            Val::F32(x) => x as u64,
            Val::F64(x) => x,
            Val::FuncRef(None) | Val::ExternRef(None) | Val::ExnRef(None) | Val::AnyRef(None) => 0,
            Val::AnyRef(Some(a)) => self.check_any(a.store_id(), a.to_raw())?,
            Val::ExnRef(Some(e)) => {
                self.check(e.store, "exnref")?;
                if self.exns.get(e.to_raw()).is_none() {
                    return Err(Error::api("exnref to an exception that was collected"));
                }
                e.to_raw()
            }
            Val::FuncRef(Some(f)) => {
                self.check(f.store, "function")?;
                f.raw
            }
            Val::ExternRef(Some(e)) => self.check_any(e.store_id(), e.to_raw())?,
        })
    }

    /// May `v` be stored where a `ty` is expected? [`Val::fits`], and for references of a defined type or
    /// of the `any` hierarchy also what the reference names ([`StoreInner::ref_is`]).
    pub(crate) fn fits(&self, v: &Val, ty: ValType) -> bool {
        if !v.fits(ty) {
            return false;
        }
        let Some(r) = ty.as_ref() else { return true };
        let raw = match *v {
            // Another store's reference, or one to a collected object, is refused when it is converted, with
            // its own message.
            Val::FuncRef(Some(f)) if f.store != self.id => return true,
            Val::AnyRef(Some(a))
                if a.store_id() != self.id
                    || (matches!(crate::gc::kind_of(a.to_raw()), crate::gc::RefKind::Object(_))
                        && self.gc.get(a.to_raw()).is_none()) =>
            {
                return true;
            }
            Val::FuncRef(Some(f)) => f.raw,
            Val::ExternRef(Some(e)) => e.to_raw(),
            Val::ExnRef(Some(e)) => e.to_raw(),
            Val::AnyRef(Some(a)) => a.to_raw(),
            _ => return true,
        };
        self.ref_is(raw, r.heap)
    }

    /// Is the non-null reference `raw` (of `heap`'s hierarchy) of heap type `heap`? What `ref.test` and
    /// `ref.cast` ask, and the API of references passed in: a function of that type or a declared subtype,
    /// an object of that type or a subtype, an `i31` or an object for `eqref`, nothing for the bottom types.
    pub(crate) fn ref_is(&self, raw: u64, heap: crate::types::HeapType) -> bool {
        use crate::gc::{RefKind, kind_of};
        use crate::types::HeapType as H;
        match heap {
            H::Func | H::Extern | H::Exn | H::Any => true,
            H::NoFunc | H::NoExtern | H::NoExn | H::None => false,
            H::Eq => matches!(kind_of(raw), RefKind::I31(_)) || self.gc.get(raw).is_some(),
            H::I31 => matches!(kind_of(raw), RefKind::I31(_)),
            H::Struct => self.gc.get(raw).is_some_and(|o| o.def.is_struct()),
            H::Array => self.gc.get(raw).is_some_and(|o| o.def.is_array()),
            H::ConcreteStruct(id) | H::ConcreteArray(id) => self.gc.get(raw).is_some_and(|o| o.def.is_subtype_of(id)),
            H::Concrete(id) => self.resolve(raw).is_some_and(|e| self.engine.is_subtype(e.type_id, id)),
        }
    }

    /// The slot value of an `externref` or `anyref`, checked to name a value of this store.
    fn check_any(&self, store: super::StoreId, raw: u64) -> Result<u64> {
        if store != self.id {
            return Err(Error::api("reference belongs to a different store"));
        }
        match crate::gc::kind_of(raw) {
            crate::gc::RefKind::Host if raw as usize > self.externs.len() => {
                return Err(Error::api("reference to an unknown host value"));
            }
            crate::gc::RefKind::Object(_) if self.gc.get(raw).is_none() => {
                return Err(Error::api("reference to a GC object that was collected"));
            }
            _ => {}
        }
        Ok(raw)
    }

    /// Convert a slot value of type `ty` to a typed value.
    pub(crate) fn raw_to_val(&self, raw: u64, ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(raw as u32 as i32),
            ValType::I64 => Val::I64(raw as i64),
            ValType::F32 => Val::F32(raw as u32),
            ValType::F64 => Val::F64(raw),
            ValType::V128 => Val::V128(raw as u128),
            ty if ty.is_func_ref() => {
                Val::FuncRef(if raw == 0 { None } else { Some(super::Func { store: self.id, raw }) })
            }
            ty if ty.as_ref().is_some_and(|r| r.heap.is_exn()) => Val::ExnRef(super::ExnRef::from_raw(self, raw)),
            ty if ty.as_ref().is_some_and(|r| r.heap.is_any()) => Val::AnyRef(super::AnyRef::from_raw(self, raw)),
            ValType::FuncRef | ValType::ExternRef | ValType::ExnRef | ValType::Ref(_) => {
                Val::ExternRef(super::ExternRef::from_raw(self, raw))
            }
        }
    }
}
