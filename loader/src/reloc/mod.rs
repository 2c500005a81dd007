//! Relocating ordinary (non-PIC) modules: `wasm-ld --emit-relocs` output moved to a base the loader chooses.
//!
//! A module linked without `-shared`/`-pie` has its data at fixed addresses (from `--global-base`, 1024 by
//! default) and its function pointers at fixed table indices (from 1), so it could only ever be the first
//! module of an empty address space. But `wasm-ld --emit-relocs` keeps, in the final module, the `linking`
//! section (symbol table, segment info, init functions) and the `reloc.CODE`/`reloc.DATA` sections: every
//! place in the code and data where an address or a table index was written. That is all a loader needs to
//! move the module, the way a static linker would have placed it elsewhere. This module does it, in three
//! steps, before the machine ever sees the module:
//!
//! 1. **Parse** ([`Image::parse`], `parse.rs`): the sections, the symbol table, the relocations (each checked:
//!    its type is handled, it points inside its section at a well-formed 5-byte LEB or 4-byte value, its
//!    symbol exists) and where each data segment lives (active segments' offsets; a shared-memory module's
//!    passive segments are placed by `__wasm_init_memory`, whose straight-line `memory.init`s are read).
//!    The module's data extent `[lo, hi)` and table extent become the size of its region and table slots.
//!    Anything this loader does not handle is refused here, before anything is placed.
//! 2. **Apply** (`apply.rs`): with the bases chosen, every memory-address relocation (`MEMORY_ADDR_LEB`,
//!    `_SLEB`, `_I32`) gets `base - lo` added and every table-index relocation (`TABLE_INDEX_SLEB`, `_I32`)
//!    `table_base - table_lo`, patched in place (code immediates are 5-byte padded LEBs, so nothing moves).
//!    Function, type, global, table-number and tag indices are unchanged: the module keeps its own index
//!    spaces. TLS-relative (`MEMORY_ADDR_TLS_SLEB`) and pointer-relative (`MEMORY_ADDR_LOCREL_I32`) values do
//!    not change when everything moves together. Relocations in other custom sections (debug info) are
//!    ignored; the sections they patch are dropped with `linking` and `reloc.*`.
//! 3. **Emit** (`emit.rs`): the module is re-encoded so that it is an ordinary loader citizen: data segments
//!    active at their new addresses (the loading thread's instantiation writes them; the start function
//!    `__wasm_init_memory`, whose addresses have no relocations, is dropped), element segments at the
//!    module's table slots, memory and table imported from `env` (a defined one becomes the import), the
//!    defined `__stack_pointer` becomes the `env.__stack_pointer` import (each thread's own stack, as for
//!    PIC modules), exported data symbols' globals moved too (relocations do not cover global initial
//!    values), and the loader ABI exported (`__wasm_call_ctors`, `__wasm_init_tls`, `__tls_size`, ...).
//!    The allocator functions it defines (`malloc` & co., `sbrk`: see [`INTERPOSED`]) get bodies that call
//!    the loader's built-in allocator through the shared table, so every module shares one heap.
//!
//! The synthesized functions (`__wasm_call_ctors`, `__wasm_init_tls`) call and address without
//! relocations; that is why indices stay local and why the data a synthesized function addresses (the
//! passive segments of `__wasm_init_memory`) is placed by the loader instead.

mod apply;
mod emit;
mod parse;

use wasmparser::SymbolFlags;

use crate::dylink::{Dylink, SymFlags};
use crate::error::Result;
pub(crate) use parse::Image;

/// The allocator functions a relocated module's own definitions are replaced for, with the built-in that
/// replaces each (module `env`, except `sbrk`, which is the loader's `wasmvm.sbrk`).
pub(crate) const INTERPOSED: &[(&str, &str, &str)] = &[
    ("malloc", "env", "malloc"),
    ("free", "env", "free"),
    ("calloc", "env", "calloc"),
    ("realloc", "env", "realloc"),
    ("aligned_alloc", "env", "aligned_alloc"),
    ("posix_memalign", "env", "posix_memalign"),
    ("malloc_usable_size", "env", "malloc_usable_size"),
    ("sbrk", "wasmvm", "sbrk"),
    // wasi-libc's internal names of the same functions (called by its own code).
    ("__libc_malloc", "env", "malloc"),
    ("__libc_free", "env", "free"),
    ("__libc_calloc", "env", "calloc"),
    ("__libc_realloc", "env", "realloc"),
];

/// Where a relocated module goes, and what its rewritten imports must accept.
#[derive(Debug, Clone)]
pub(crate) struct Placement {
    /// Address of the module's first data byte (its `lo`).
    pub memory_base: u32,
    /// First table slot of its element segment.
    pub table_base: u32,
    /// The address space's memory: (shared, maximum pages).
    pub memory: (bool, Option<u64>),
    /// Table slots of the interposed functions, by the module's function index.
    pub interposed: Vec<(u32, u32)>,
    /// The module's id and the table slots of `wasmvm.__relocated_memory_size(id)` and
    /// `wasmvm.__relocated_memory_grow(delta, id)`, which its `memory.size` and `memory.grow` become.
    pub memory_view: Option<(u32, u32, u32)>,
}

/// The built-ins that give a relocated module its view of the memory (see [`Placement::memory_view`]).
pub(crate) const MEMORY_SIZE: &str = "__relocated_memory_size";
/// See [`MEMORY_SIZE`].
pub(crate) const MEMORY_GROW: &str = "__relocated_memory_grow";

pub(crate) use apply::heap_base;

impl Image {
    /// Does its code use `memory.size` or `memory.grow`?
    pub(crate) fn uses_memory_size(&self) -> bool {
        !self.memory_ops.is_empty()
    }
}

impl Image {
    /// The module moved to `at`: relocations applied, re-encoded (see the module docs).
    pub(crate) fn relocate(&self, at: &Placement) -> Result<Vec<u8>> {
        let dm = at.memory_base.wrapping_sub(self.lo);
        let dt = at.table_base.wrapping_sub(self.table_lo);
        let mut patched = self.bytes.to_vec();
        apply::patch(self, dm, dt, &mut patched)?;
        emit::emit(self, &patched, at, dm, dt)
    }

    /// What `dylink.0` would say about it: its region and table sizes and alignment, its thread-local
    /// symbols.
    pub(crate) fn dylink(&self) -> Dylink {
        let exports = self
            .symbols
            .iter()
            .filter(|s| matches!(s.kind, parse::SymKind::Data { tls: true, .. }))
            .map(|s| (s.name.clone(), SymFlags(SymbolFlags::TLS.bits())))
            .collect();
        Dylink {
            mem_size: self.mem_size(),
            mem_p2align: self.p2align,
            table_size: self.table_len,
            table_p2align: 0,
            exports,
            ..Dylink::default()
        }
    }

    /// The allocator functions it defines: (function index, the built-in's module and name).
    pub(crate) fn interposable(&self) -> Vec<(u32, &'static str, &'static str)> {
        let mut out: Vec<(u32, &'static str, &'static str)> = Vec::new();
        for &(name, module, builtin) in INTERPOSED {
            if let Some(parse::Sym { kind: parse::SymKind::Func { index, defined: true }, .. }) = self.symbol(name)
                && !out.iter().any(|(i, ..)| i == index)
            {
                out.push((*index, module, builtin));
            }
        }
        out
    }

    /// Does function `index` have exactly these parameter and result types (all `i32` for the allocator)?
    pub(crate) fn signature_is(&self, index: u32, params: usize, results: usize) -> bool {
        let Some(def) = index.checked_sub(self.num_func_imports) else { return false };
        let Some(&ty) = self.func_types.get(def as usize) else { return false };
        matches!(self.types.get(ty as usize), Some(Some((p, r)))
            if p.len() == params && r.len() == results
                && p.iter().chain(r).all(|t| *t == wasmparser::ValType::I32))
    }
}

/// Hint appended to every refusal: how to build a module this loader can relocate.
pub(crate) const REBUILD: &str = "link with -Wl,--emit-relocs and without -O at link time (the clang driver then runs \
                                  wasm-opt, which drops the linking and reloc.* sections), or build it \
                                  position-independent (-fPIC, wasm-ld -shared)";
