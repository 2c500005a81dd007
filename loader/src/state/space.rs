//! The address space's state: [`SpaceInner`], shared by all threads through the [`AddressSpace`] handle.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, AtomicU64};
use std::sync::{Arc, Mutex, RwLock};

use wasmvm::{AsContext, AsContextMut, Engine, Extern, Func, InterruptHandle, Linker, Memory, MemoryType, PAGE_SIZE};
use wasmvm::{SharedMemory, SharedTable};

use super::sync::{LoadLock, lock, read_reg};
use super::thread::ThreadCtx;
use crate::layout::{Ranges, Region, RegionKind};
use crate::registry::Registry;
use crate::symbols::ModId;

/// How to build an address space.
#[derive(Debug, Clone)]
pub struct SpaceConfig {
    /// Share the memory between threads (`SharedMemory`). Off: one thread, a non-shared memory.
    pub shared: bool,
    /// The memory's maximum size in pages (it is reserved up front and never moves). Modules must accept it:
    /// a module importing a memory with a smaller maximum is refused.
    pub max_memory_pages: u64,
    /// The table's maximum size (reserved up front).
    pub max_table_size: u32,
    /// Bytes of C stack per thread (`__stack_pointer`).
    pub stack_size: u32,
    /// Funcref slots reserved for modules in every store: at most this many modules (and host-function
    /// trampolines) can be loaded at once. An unloaded module's slot is recycled once every thread that had
    /// an instance of it has vacated it (see [`dl`](crate::dl)).
    pub module_slots: u32,
    /// Trusted directories searched for libraries named without a `/` (by `dlopen` and `NEEDED`); guest
    /// requests are resolved only beneath them (src/search.rs has the sandbox rules).
    pub search_path: Vec<PathBuf>,
    /// The program's preopened directories as `(guest path, host directory)` (the CLI's `--dir`): a guest
    /// `dlopen`/`NEEDED` path under a guest path is resolved beneath its host directory, like WASI paths.
    pub preopens: Vec<(String, PathBuf)>,
}

impl Default for SpaceConfig {
    fn default() -> Self {
        Self {
            shared: true,
            max_memory_pages: wasmvm::MAX_PAGES,
            max_table_size: 1 << 20,
            stack_size: 256 * 1024,
            module_slots: 4096,
            search_path: Vec::new(),
            preopens: Vec::new(),
        }
    }
}

/// The error when every module slot is taken.
pub(crate) fn slots_exhausted(slots: u32) -> String {
    format!(
        "all {slots} module slots are used (unloaded modules' slots are recycled once every thread has left them; \
         raise the limit with SpaceConfig::module_slots, or wasmvm run --max-modules)"
    )
}

/// Bytes at address 0 kept free so that no object has a null address.
pub(crate) const NULL_GUARD: u64 = 1024;

/// The memory of the space.
pub(crate) enum SpaceMemory {
    Shared(SharedMemory),
    /// Non-shared: created in the single thread's store when that thread is made.
    Private(Mutex<Option<Memory>>),
}

/// State shared by all threads of an address space.
pub(crate) struct SpaceInner {
    pub engine: Engine,
    pub config: SpaceConfig,
    pub memory: SpaceMemory,
    pub table: SharedTable,
    pub mem_layout: Mutex<Ranges>,
    pub table_layout: Mutex<Ranges>,
    pub reg: RwLock<Registry>,
    pub load_lock: LoadLock,
    /// The embedder's host functions.
    pub host: Linker<ThreadCtx>,
    /// Libraries given as bytes, found by name before the search path.
    pub libraries: Mutex<HashMap<String, Arc<[u8]>>>,
    pub next_tid: AtomicU32,
    /// Bumped whenever a module id is retired (see [`Registry::retired`]); each thread compares it with the
    /// value it last acted on, so that noticing there is nothing to vacate costs one atomic load.
    pub retire_epoch: AtomicU64,
    /// The built-in allocator.
    pub heap: crate::alloc::Heap,
    /// Shared by every thread's store: interrupting it stops wasm on all threads.
    pub interrupt: InterruptHandle,
    /// Table slots of unloaded modules, not yet reused (see [`SpaceInner::retire_table`]).
    pub quarantine: Mutex<Quarantine>,
    /// Creates the loader's built-in host functions ([`MakeBuiltin`]).
    pub builtins: MakeBuiltin,
    /// Exception tags imported from `env` (`env.__cpp_exception`, `env.__c_longjmp`), one per name for the
    /// whole space: an exception a module throws is caught by another module's handler of the same name,
    /// on every thread.
    pub tags: Mutex<HashMap<String, wasmvm::Tag>>,
}

/// Creates the built-in host function `module.name` for module `importer` in a thread's store (`None` if
/// there is no such built-in). The facade installs `builtins::make`: the built-ins call back into `dl`
/// (a guest's `dlopen`), so the operations that instantiate modules reach them through this pointer
/// instead of depending on the layer above.
pub(crate) type MakeBuiltin =
    fn(&mut dyn AsContextMut<Data = ThreadCtx>, &Arc<SpaceInner>, ModId, &str, &str) -> Option<Func>;

/// Table regions of unloaded modules: each slot holds a tombstone, and the region is reused only when no
/// free slot is left (oldest first), so a stale function pointer keeps trapping with the module's name
/// for as long as possible instead of calling whatever is loaded next.
#[derive(Default)]
pub(crate) struct Quarantine {
    /// Region starts, oldest first.
    fifo: std::collections::VecDeque<u32>,
    /// The unloaded module each quarantined slot belonged to.
    names: HashMap<u32, Arc<str>>,
}

/// Tombstones are funcrefs naming store slots from here on: no store has that many, so a call through one
/// reaches the slot resolver, which turns it into the "unloaded module" trap.
pub(crate) const TOMBSTONE_SLOTS: u32 = 0x8000_0000;

/// The tombstone of table slot `i` (0, null, for a slot index too large to encode).
fn tombstone(i: u32) -> u64 {
    match TOMBSTONE_SLOTS.checked_add(i) {
        Some(s) if s < u32::MAX => wasmvm::raw_funcref(s, 0),
        _ => 0,
    }
}

/// One shared address space (memory + table + loaded modules), used by any number of threads.
#[derive(Clone)]
pub struct AddressSpace {
    pub(crate) inner: Arc<SpaceInner>,
}

impl std::fmt::Debug for AddressSpace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AddressSpace").field("shared", &self.inner.config.shared).finish_non_exhaustive()
    }
}

impl SpaceInner {
    /// The space's exception tag `name` with parameters `ty` (created by its first importer); `None` if
    /// an earlier importer gave it another type.
    pub(crate) fn tag(&self, name: &str, ty: &wasmvm::FuncType) -> Option<wasmvm::Tag> {
        let mut tags = super::sync::lock(&self.tags);
        let tag = match tags.get(name) {
            Some(t) => t.clone(),
            None => {
                let t = wasmvm::Tag::new(name, ty.clone()).ok()?;
                tags.insert(name.to_string(), t.clone());
                t
            }
        };
        (tag.ty() == ty).then_some(tag)
    }

    /// The memory as an import for a module instantiated in `cx`'s store.
    pub(crate) fn memory_extern(&self) -> Option<Extern> {
        match &self.memory {
            SpaceMemory::Shared(m) => Some(Extern::SharedMemory(m.clone())),
            SpaceMemory::Private(m) => lock(m).map(Extern::Memory),
        }
    }

    /// Create the non-shared memory in the single thread's store.
    pub(crate) fn attach_private_memory(&self, cx: &mut impl AsContextMut) -> crate::error::Result<()> {
        if let SpaceMemory::Private(m) = &self.memory {
            let mut m = lock(m);
            if m.is_some() {
                return Err(crate::error::Error::api("a single-threaded address space has only one thread"));
            }
            let ty = MemoryType::new(0, Some(self.config.max_memory_pages.min(wasmvm::MAX_PAGES)));
            *m = Some(Memory::new(cx, ty).map_err(|e| crate::error::Error::api(format!("cannot create memory: {e}")))?);
        }
        Ok(())
    }

    fn private(&self) -> Option<Memory> {
        match &self.memory {
            SpaceMemory::Shared(_) => None,
            SpaceMemory::Private(m) => *lock(m),
        }
    }

    /// The memory's type (its maximum is what importers must accept).
    pub(crate) fn memory_type(&self) -> MemoryType {
        let max = self.config.max_memory_pages.min(wasmvm::MAX_PAGES);
        MemoryType { shared: self.config.shared, ..MemoryType::new(0, Some(max)) }
    }

    /// Current memory size in bytes.
    pub(crate) fn mem_len(&self, cx: &impl AsContext) -> u64 {
        match &self.memory {
            SpaceMemory::Shared(m) => m.data_size() as u64,
            SpaceMemory::Private(_) => self.private().and_then(|m| m.data_size(cx).ok()).unwrap_or(0) as u64,
        }
    }

    /// Grow the memory by at least `bytes`; returns the old and new size in bytes.
    pub(crate) fn grow_mem(&self, cx: &mut impl AsContextMut, bytes: u64) -> Option<(u64, u64)> {
        let pages = bytes.div_ceil(PAGE_SIZE as u64);
        let old = match &self.memory {
            SpaceMemory::Shared(m) => m.grow(pages)?,
            SpaceMemory::Private(_) => self.private()?.grow(cx, pages).ok()?,
        };
        Some((old * PAGE_SIZE as u64, (old + pages) * PAGE_SIZE as u64))
    }

    /// Read memory (racy-safe for the shared memory).
    pub(crate) fn read(&self, cx: &impl AsContext, addr: u64, buf: &mut [u8]) -> bool {
        match &self.memory {
            SpaceMemory::Shared(m) => m.read(addr, buf).is_ok(),
            SpaceMemory::Private(_) => self.private().is_some_and(|m| m.read(cx, addr, buf).is_ok()),
        }
    }

    /// Write memory (racy-safe for the shared memory).
    pub(crate) fn write(&self, cx: &mut impl AsContextMut, addr: u64, data: &[u8]) -> bool {
        match &self.memory {
            SpaceMemory::Shared(m) => m.write(addr, data).is_ok(),
            SpaceMemory::Private(_) => self.private().is_some_and(|m| m.write(cx, addr, data).is_ok()),
        }
    }

    /// Keep address 0 unused: the first region of a space without a non-PIC main program.
    fn null_guard(&self, cx: &mut impl AsContextMut, layout: &mut Ranges) -> Result<(), String> {
        if layout.is_empty() && self.mem_len(cx) == 0 {
            layout.place(0, NULL_GUARD, RegionKind::NullGuard, 0, &mut |n| self.grow_mem(cx, n))?;
        }
        Ok(())
    }

    /// Allocate a memory region of `size` bytes aligned to `align`, growing the memory like `sbrk`.
    pub(crate) fn alloc_region(
        &self,
        cx: &mut impl AsContextMut,
        size: u64,
        align: u64,
        kind: RegionKind,
    ) -> Result<u32, String> {
        let mut layout = lock(&self.mem_layout);
        self.null_guard(cx, &mut layout)?;
        let len = self.mem_len(cx);
        let zeroed = kind.starts_zeroed();
        let at = layout.alloc(size, align, kind, len, &mut |n| self.grow_mem(cx, n))?;
        let dirty = layout.take_dirty(at, at + size.max(1));
        drop(layout);
        if zeroed {
            self.zero(cx, &dirty);
        }
        Ok(at as u32)
    }

    /// Place a memory region at exactly `start` (refusing overlaps).
    pub(crate) fn place_region(
        &self,
        cx: &mut impl AsContextMut,
        start: u64,
        size: u64,
        kind: RegionKind,
    ) -> Result<(), String> {
        let mut layout = lock(&self.mem_layout);
        if kind != RegionKind::NullGuard && !matches!(kind, RegionKind::Main(_)) {
            self.null_guard(cx, &mut layout)?;
        }
        let len = self.mem_len(cx);
        let zeroed = kind.starts_zeroed();
        layout.place(start, size, kind, len, &mut |n| self.grow_mem(cx, n))?;
        let dirty = layout.take_dirty(start, start + size.max(1));
        drop(layout);
        if zeroed {
            self.zero(cx, &dirty);
        }
        Ok(())
    }

    /// Zero the byte ranges `[start, end)`: recycled memory (see [`Ranges::take_dirty`]) given to a module's
    /// data or a TLS block, and `calloc`'s blocks.
    pub(crate) fn zero(&self, cx: &mut impl AsContextMut, spans: &[(u64, u64)]) {
        const CHUNK: u64 = 64 * 1024;
        static ZEROS: [u8; CHUNK as usize] = [0; CHUNK as usize];
        for &(start, end) in spans {
            let mut at = start;
            while at < end {
                let n = (end - at).min(CHUNK);
                self.write(cx, at, &ZEROS[..n as usize]);
                at += n;
            }
        }
    }

    /// Make the memory at least `bytes` long (a module's memory import states a minimum).
    pub(crate) fn ensure_mem_len(&self, cx: &mut impl AsContextMut, bytes: u64) -> Result<(), String> {
        let mut layout = lock(&self.mem_layout);
        let len = self.mem_len(cx);
        layout.ensure_len(bytes, len, &mut |n| self.grow_mem(cx, n))
    }

    /// Make the table at least `n` slots long.
    pub(crate) fn ensure_table_len(&self, n: u64) -> Result<(), String> {
        let mut layout = lock(&self.table_layout);
        let len = self.table.size() as u64;
        layout.ensure_len(n, len, &mut |n| self.grow_table(n))
    }

    /// Release a memory region.
    pub(crate) fn free_region(&self, start: u32) -> Option<Region> {
        lock(&self.mem_layout).free(start as u64)
    }

    /// Is the layout still empty (nothing placed, memory never grown)?
    pub(crate) fn layout_is_empty(&self, cx: &impl AsContext) -> bool {
        lock(&self.mem_layout).is_empty() && self.mem_len(cx) == 0
    }

    fn grow_table(&self, n: u64) -> Option<(u64, u64)> {
        let old = self.table.grow(u32::try_from(n).ok()?)? as u64;
        Some((old, old + n))
    }

    /// Allocate `size` table slots aligned to `align`: free slots first (growing the table), then the
    /// quarantined slots of unloaded modules, oldest first.
    pub(crate) fn alloc_table(&self, size: u64, align: u64, kind: RegionKind) -> Result<u32, String> {
        let mut layout = lock(&self.table_layout);
        loop {
            let len = self.table.size() as u64;
            match layout.alloc(size, align, kind.clone(), len, &mut |n| self.grow_table(n)) {
                Ok(at) => return Ok(at as u32),
                Err(e) => {
                    let mut q = lock(&self.quarantine);
                    let Some(start) = q.fifo.pop_front() else { return Err(e) };
                    if let Some(r) = layout.free(start as u64) {
                        for i in r.start..r.end {
                            q.names.remove(&(i as u32));
                            self.table.set_raw(i as u32, 0);
                        }
                    }
                }
            }
        }
    }

    /// Quarantine the table region at `start` of the unloaded module `module`: its slots get tombstones
    /// (a call through one traps naming the module) and the region is reused last ([`Quarantine`]).
    pub(crate) fn retire_table(&self, start: u32, module: &str) {
        let layout = lock(&self.table_layout);
        let Some(r) = layout.get(start as u64) else { return };
        let name: Arc<str> = Arc::from(module);
        let mut q = lock(&self.quarantine);
        for i in r.start..r.end {
            self.table.set_raw(i as u32, tombstone(i as u32));
            q.names.insert(i as u32, name.clone());
        }
        q.fifo.push_back(start);
    }

    /// The unloaded module whose tombstone names store slot `slot` (see [`TOMBSTONE_SLOTS`]).
    pub(crate) fn unloaded_module(&self, slot: u32) -> Option<Arc<str>> {
        let i = slot.checked_sub(TOMBSTONE_SLOTS)?;
        lock(&self.quarantine).names.get(&i).cloned()
    }

    /// Place table slots at exactly `start`.
    pub(crate) fn place_table(&self, start: u64, size: u64, kind: RegionKind) -> Result<(), String> {
        let mut layout = lock(&self.table_layout);
        let len = self.table.size() as u64;
        layout.place(start, size, kind, len, &mut |n| self.grow_table(n))
    }

    /// Release table slots (and null them, so stale function pointers trap instead of calling freed code).
    pub(crate) fn free_table(&self, start: u32) -> Option<Region> {
        let r = lock(&self.table_layout).free(start as u64)?;
        for i in r.start..r.end {
            self.table.set_raw(i as u32, 0);
        }
        Some(r)
    }
}

/// The name of module `id`, for messages.
pub(crate) fn module_name(space: &SpaceInner, id: ModId) -> String {
    read_reg(space).get(id).map_or_else(|| format!("module #{id}"), |m| m.name.clone())
}

/// Read a NUL-terminated string from the space's memory.
pub(crate) fn read_cstr(cx: &impl super::Ctx, addr: u32) -> Option<String> {
    let space = &cx.thread().space;
    let mut out = Vec::new();
    let mut at = addr as u64;
    loop {
        let mut chunk = [0u8; 64];
        let n = (space.mem_len(cx).saturating_sub(at)).min(64) as usize;
        if n == 0 || !space.read(cx, at, &mut chunk[..n]) {
            return None;
        }
        if let Some(end) = chunk[..n].iter().position(|&b| b == 0) {
            out.extend_from_slice(&chunk[..end]);
            return Some(String::from_utf8_lossy(&out).into_owned());
        }
        out.extend_from_slice(&chunk[..n]);
        at += n as u64;
        if out.len() > 1 << 20 {
            return None;
        }
    }
}
