//! Exception tags, caught exceptions (`exnref`) and exceptions that leave wasm (exception handling).
//!
//! A [`Tag`] is an identity: `catch $t` catches what `throw $t` threw only if both name the *same* tag, even
//! through imports and re-exports across instances. So a tag is one shared allocation (`Arc`), compared by
//! address, and usable from any store on any thread (like a [`SharedMemory`](crate::SharedMemory)): a module
//! instantiated on many threads through one linker shares the linker's tags.
//!
//! An exception's payload lives in the store of the thread that threw it ([`ExnHeap`]), not in shared
//! memory: exceptions are per thread. An `exnref` in a frame slot is `index + 1` into that heap (0 is
//! null). Objects are recycled when a `catch`/`catch_all` (without `_ref`) consumes an exception no
//! `exnref` was ever made for; an exception handed out as an `exnref` stays until its store is dropped
//! (wasm can copy the reference anywhere, and the machine does not trace slots).

use std::sync::Arc;

use super::{AsContext, StoreId, StoreInner};
use crate::error::{Error, Result, Trap};
use crate::types::FuncType;
use crate::value::Val;

/// An exception tag: the type of the values its exceptions carry (a function type's parameters; no
/// results) and an identity. Cheap to clone; clones are the same tag.
#[derive(Clone)]
pub struct Tag {
    pub(crate) inner: Arc<TagInner>,
}

pub(crate) struct TagInner {
    pub ty: FuncType,
    /// How errors name it: the export name of the defining module, or a description.
    pub name: String,
}

impl Tag {
    /// A new tag (distinct from every other) whose exceptions carry values of `ty`'s parameters. `name` is
    /// how an uncaught exception of this tag is reported. `ty` must have no results.
    pub fn new(name: impl Into<String>, ty: FuncType) -> Result<Tag> {
        if !ty.results().is_empty() {
            return Err(Error::api("a tag's type must have no results"));
        }
        Ok(Tag { inner: Arc::new(TagInner { ty, name: name.into() }) })
    }

    pub(crate) fn defined(ty: FuncType, name: String) -> Tag {
        Tag { inner: Arc::new(TagInner { ty, name }) }
    }

    /// The tag's type (the exception's values are its parameters).
    pub fn ty(&self) -> &FuncType {
        &self.inner.ty
    }

    /// The tag's name: its export name in the module that defined it, or a description.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// An exception of this tag carrying `values` (checked against the tag's type; references must belong
    /// to `store`), as a [`Trap`] for a host function to return: wasm callers can catch it.
    pub fn exception(&self, store: impl AsContext, values: &[Val]) -> Result<Trap> {
        let params = self.ty().params();
        if values.len() != params.len() || values.iter().zip(params).any(|(v, t)| v.ty() != *t) {
            return Err(Error::api(format!("exception values do not match the tag's type {}", self.ty())));
        }
        let inner = store.inner();
        let mut payload = Vec::with_capacity(self.ty().param_slots() as usize);
        for v in values {
            inner.push_slots(v, &mut payload)?;
        }
        Ok(Trap::from_exception(Exception { tag: self.clone(), payload: payload.into() }))
    }
}

impl PartialEq for Tag {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}
impl Eq for Tag {}

impl std::fmt::Debug for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tag({} {})", self.inner.name, self.inner.ty)
    }
}

/// An exception that left wasm (the payload of a [`Trap`] whose
/// [`exception`](Trap::exception) is set): its tag and values. A host function that returns the trap
/// rethrows it to its wasm caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    pub(crate) tag: Tag,
    /// The values in slot form (a `v128` takes two slots).
    pub(crate) payload: Box<[u64]>,
}

impl Exception {
    /// The exception's tag.
    pub fn tag(&self) -> &Tag {
        &self.tag
    }

    /// The values the exception carries (references are resolved in `store`, the store it was thrown in).
    pub fn values(&self, store: impl AsContext) -> Vec<Val> {
        store.inner().vals_from_slots(&self.payload, self.tag.ty().params()).collect()
    }
}

/// A reference to a caught exception (`exnref`) of one store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExnRef {
    pub(crate) store: StoreId,
    pub(crate) index: u32,
}

impl ExnRef {
    /// The exception's tag and values (`None` for another store's reference).
    pub fn exception(&self, store: impl AsContext) -> Option<Exception> {
        let inner = store.inner();
        if inner.id != self.store {
            return None;
        }
        let obj = inner.exns.get(self.index as u64 + 1)?;
        Some(Exception { tag: obj.tag.clone(), payload: obj.payload.clone() })
    }
    pub(crate) fn to_raw(self) -> u64 {
        self.index as u64 + 1
    }
    pub(crate) fn from_raw(store: &StoreInner, raw: u64) -> Option<Self> {
        if raw == 0 { None } else { Some(ExnRef { store: store.id, index: (raw - 1) as u32 }) }
    }
}

/// A thrown exception inside the machine.
pub(crate) struct ExnObject {
    pub tag: Tag,
    pub payload: Box<[u64]>,
    /// Was an `exnref` to it ever handed to wasm (`catch_ref`, `catch_all_ref`) or the host? Then it is
    /// never recycled.
    pub escaped: bool,
}

/// A store's exceptions (see the module docs).
#[derive(Default)]
pub(crate) struct ExnHeap {
    objects: Vec<Option<ExnObject>>,
    free: Vec<u32>,
}

impl ExnHeap {
    /// Store a new exception; returns its `exnref` value (never 0).
    pub fn alloc(&mut self, obj: ExnObject) -> u64 {
        match self.free.pop() {
            Some(i) => {
                self.objects[i as usize] = Some(obj);
                i as u64 + 1
            }
            None => {
                self.objects.push(Some(obj));
                self.objects.len() as u64
            }
        }
    }

    pub fn get(&self, raw: u64) -> Option<&ExnObject> {
        self.objects.get((raw as usize).wrapping_sub(1))?.as_ref()
    }

    pub fn get_mut(&mut self, raw: u64) -> Option<&mut ExnObject> {
        self.objects.get_mut((raw as usize).wrapping_sub(1))?.as_mut()
    }

    /// The exception was consumed without a reference being made: recycle it unless one exists.
    pub fn release(&mut self, raw: u64) {
        let i = raw as usize - 1;
        if self.objects[i].as_ref().is_some_and(|o| !o.escaped) {
            self.objects[i] = None;
            self.free.push(i as u32);
        }
    }
}
