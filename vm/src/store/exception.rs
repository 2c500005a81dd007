//! Exception tags, caught exceptions (`exnref`) and exceptions that leave wasm (exception handling).
//!
//! A [`Tag`] is an identity: `catch $t` catches what `throw $t` threw only if both name the *same* tag, even
//! through imports and re-exports across instances. So a tag is one shared allocation (`Arc`), compared by
//! address, and usable from any store on any thread (like a [`SharedMemory`](crate::SharedMemory)): a module
//! instantiated on many threads through one linker shares the linker's tags.
//!
//! An exception's payload lives in the store of the thread that threw it ([`ExnHeap`]), not in shared
//! memory: exceptions are per thread. An `exnref` in a frame slot is `generation << 32 | index + 1` into
//! that heap (0 is null). An exception consumed by a `catch`/`catch_all` (without `_ref`) that no `exnref`
//! was ever made for is recycled at once. The others (C++ code translated from the legacy encoding catches
//! every exception with `catch_ref`) are collected when many have accumulated: a conservative mark of
//! every exnref-looking value in the store's live value stack, globals, exnref tables and the payloads of
//! reachable exceptions (`exec/exception.rs`); whatever no value names is freed. A stale reference (one the
//! host kept across a collection) no longer matches its slot's generation, so it is refused, never
//! confused with a newer exception.

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
    /// The slot value (see the module docs).
    pub(crate) raw: u64,
}

impl ExnRef {
    /// The exception's tag and values (`None` for another store's reference).
    pub fn exception(&self, store: impl AsContext) -> Option<Exception> {
        let inner = store.inner();
        if inner.id != self.store {
            return None;
        }
        let obj = inner.exns.get(self.raw)?;
        Some(Exception { tag: obj.tag.clone(), payload: obj.payload.clone() })
    }
    pub(crate) fn to_raw(self) -> u64 {
        self.raw
    }
    pub(crate) fn from_raw(store: &StoreInner, raw: u64) -> Option<Self> {
        if raw == 0 { None } else { Some(ExnRef { store: store.id, raw }) }
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
pub(crate) struct ExnHeap {
    objects: Vec<(Option<ExnObject>, u32)>,
    free: Vec<u32>,
    live: usize,
    /// Collect when this many exceptions are live.
    threshold: usize,
}

impl Default for ExnHeap {
    fn default() -> Self {
        Self { objects: Vec::new(), free: Vec::new(), live: 0, threshold: Self::MIN_THRESHOLD }
    }
}

impl ExnHeap {
    const MIN_THRESHOLD: usize = 4096;

    /// Store a new exception; returns its `exnref` value (never 0).
    pub fn alloc(&mut self, obj: ExnObject) -> u64 {
        self.live += 1;
        let i = match self.free.pop() {
            Some(i) => {
                self.objects[i as usize].0 = Some(obj);
                i as usize
            }
            None => {
                self.objects.push((Some(obj), 0));
                self.objects.len() - 1
            }
        };
        (self.objects[i].1 as u64) << 32 | (i as u64 + 1)
    }

    fn index(&self, raw: u64) -> Option<usize> {
        let i = (raw as u32 as usize).checked_sub(1)?;
        let (obj, generation) = self.objects.get(i)?;
        (obj.is_some() && *generation == (raw >> 32) as u32).then_some(i)
    }

    /// The live exception `raw` names (`None` for a stale or invalid reference).
    pub fn get(&self, raw: u64) -> Option<&ExnObject> {
        self.objects[self.index(raw)?].0.as_ref()
    }

    pub fn get_mut(&mut self, raw: u64) -> Option<&mut ExnObject> {
        let i = self.index(raw)?;
        self.objects[i].0.as_mut()
    }

    fn free(&mut self, i: usize) {
        self.objects[i] = (None, self.objects[i].1.wrapping_add(1));
        self.free.push(i as u32);
        self.live -= 1;
    }

    /// The exception was consumed without a reference being made: recycle it unless one exists.
    pub fn release(&mut self, raw: u64) {
        if let Some(i) = self.index(raw)
            && self.objects[i].0.as_ref().is_some_and(|o| !o.escaped)
        {
            self.free(i);
        }
    }

    /// Have enough exceptions accumulated to look for unreachable ones?
    pub fn wants_collection(&self) -> bool {
        self.live >= self.threshold
    }

    /// Free every exception that neither `roots` (values that may be exnrefs) nor a kept exception's
    /// payload names (conservatively: any value equal to a live reference keeps it).
    pub fn collect(&mut self, roots: impl IntoIterator<Item = u64>) {
        let mut marked = vec![false; self.objects.len()];
        let mut work: Vec<usize> = Vec::new();
        for v in roots {
            if let Some(i) = self.index(v)
                && !marked[i]
            {
                marked[i] = true;
                work.push(i);
            }
        }
        while let Some(i) = work.pop() {
            let payload = self.objects[i].0.as_ref().map(|o| o.payload.clone()).unwrap_or_default();
            for &v in payload.iter() {
                if let Some(j) = self.index(v)
                    && !marked[j]
                {
                    marked[j] = true;
                    work.push(j);
                }
            }
        }
        for (i, m) in marked.into_iter().enumerate() {
            if !m && self.objects[i].0.is_some() {
                self.free(i);
            }
        }
        self.threshold = (2 * self.live).max(Self::MIN_THRESHOLD);
    }

    /// The values of every stored exception (roots of the GC heap's collection).
    pub fn payloads(&self) -> impl Iterator<Item = &[u64]> {
        self.objects.iter().filter_map(|(o, _)| o.as_ref().map(|o| &*o.payload))
    }

    /// How many exceptions are stored (for tests of the collection).
    pub fn live(&self) -> usize {
        self.live
    }
}
