//! The bottom layer: the shared state of an address space and of each thread in it, with the primitives
//! that only read or update that state (memory and table regions, the registry's guards, the load lock).
//!
//! Nothing here loads, links, instantiates or unloads a module: those are the operations above
//! ([`link`](crate::link), [`plan`](crate::plan), [`instance`](crate::instance), ...), which take this
//! state and change it. Of the loader, this module uses only the base modules that describe data (the
//! [layout](crate::layout)'s range maps, the [registry](crate::registry)'s records, the
//! [allocator](crate::alloc)'s heap, [errors](crate::error)); see the layering in the crate docs.
//!
//! - [`space`]: [`SpaceInner`] (the memory, the table, their layouts, the registry, the quarantine of
//!   unloaded modules' table slots), [`SpaceConfig`], and the [`AddressSpace`] handle (its methods are the
//!   facade in `crate::space`);
//! - [`sync`]: the registry's read and write guards, the re-entrant load lock;
//! - [`thread`]: [`ThreadCtx`] (one thread's instances, stack, TLS blocks, heap cache) and the [`Ctx`]
//!   trait of stores and callers of a loader thread.

mod space;
mod sync;
mod thread;

pub use space::{AddressSpace, SpaceConfig};
pub(crate) use space::{SpaceInner, SpaceMemory, TOMBSTONE_SLOTS, module_name, read_cstr, slots_exhausted};
pub(crate) use sync::{LoadLock, lock, read_reg, write_reg};
pub use thread::{Ctx, ThreadCtx};
pub(crate) use thread::{InstState, Made};
