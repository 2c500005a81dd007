//! Loading and linking: place a group of modules, resolve their imports, instantiate, relocate, construct.
//!
//! `load` is `dlopen`: it finds the module and, breadth first, its `NEEDED` libraries that are not loaded
//! yet (the *group*); places each one's data and table slots; resolves every import of the group to an
//! import [`Plan`] (see [`symbols`](crate::symbols) for the scope rules and the import conventions below);
//! instantiates the group on the loading thread (which initialises memory: active segments, or
//! `__wasm_init_memory` for shared-memory modules); calls each `__wasm_apply_data_relocs`; makes the
//! group visible to other threads and to the global scope; and runs each `__wasm_call_ctors` once, in
//! dependency order. Any failure undoes the placement and leaves the space as it was.
//!
//! Imports, as wasm-ld and Emscripten define them:
//! - `env.memory`, `env.__indirect_function_table`: the space's memory and table;
//! - `env.__memory_base`, `env.__table_base`: where the module was placed;
//! - `env.__stack_pointer`: the thread's stack pointer (one mutable global per thread);
//! - `GOT.mem.<sym>`: a mutable global holding the absolute address of a data symbol (this thread's copy
//!   for a thread-local one);
//! - `GOT.func.<sym>`: a mutable global holding the table index of a function; each function whose address
//!   is taken gets one slot, so function pointers compare equal across modules;
//! - `env.<func>` / `env.<global>`: a function or global export of another module, or a host function;
//! - anything else: a host function (WASI, the loader's `wasmvm.*`/`env.*` built-ins).
//!
//! Weak imports (`dylink.0` import info) that nobody defines resolve to 0 (data, function pointers) or to a
//! function that traps when called; a missing strong symbol is an error naming the symbol and the module.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, Ordering};

use wasmvm::{ExternType, ImportType, Module, PAGE_SIZE};

use crate::dylink::Dylink;
use crate::error::{Error, Result, base_name};
use crate::instance::ensure_instance;
use crate::layout::RegionKind;
use crate::meta::Meta;
use crate::plan::Pending;
use crate::registry::{Kind, LINKING, Loaded, READY, TlsInfo};
use crate::search::{self, Requester, Source};
use crate::state::{AddressSpace, Ctx, SpaceInner, module_name, read_reg, slots_exhausted, write_reg};
use crate::symbols::{Def, ModId, module_symbols};
use crate::unload::{release_func_slots, unload};

/// How to load a module.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Add the module's symbols to the global scope (`RTLD_GLOBAL`; `false` is `RTLD_LOCAL`).
    pub global: bool,
    /// Place the module's data at this address instead of letting the loader choose.
    pub memory_base: Option<u32>,
    /// Place the module's table slots at this index instead of letting the loader choose.
    pub table_base: Option<u32>,
    /// Libraries to load before the module, in addition to its `NEEDED` list (a non-PIC main program has no
    /// `dylink.0` to list them in).
    pub needed: Vec<String>,
    /// Never unload the module (`RTLD_NODELETE`).
    pub nodelete: bool,
    /// Only return the module if it is already loaded (`RTLD_NOLOAD`).
    pub noload: bool,
    /// Called once the modules are placed, instantiated, relocated and published, just before the first
    /// constructor runs: what it sees of the address space is final, and no code of the program's has
    /// printed anything yet (`wasmvm --map` prints the layout here). Not called when the module was
    /// already loaded.
    pub before_constructors: Option<BeforeConstructors>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            global: true,
            memory_base: None,
            table_base: None,
            needed: Vec::new(),
            nodelete: false,
            noload: false,
            before_constructors: None,
        }
    }
}

/// A callback for [`LoadOptions::before_constructors`]: it gets the address space being loaded into.
#[derive(Clone)]
pub struct BeforeConstructors(Arc<dyn Fn(&AddressSpace) + Send + Sync>);

impl BeforeConstructors {
    /// Wrap `f` so it can go in [`LoadOptions`] (which is `Clone` and `Debug`).
    pub fn new(f: impl Fn(&AddressSpace) + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }
}

impl std::fmt::Debug for BeforeConstructors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BeforeConstructors(..)")
    }
}

/// Undoes a failed load: frees the group's memory and table regions and forgets its modules.
pub(crate) struct Rollback<'a> {
    pub(crate) space: &'a SpaceInner,
    /// The loading thread.
    pub(crate) tid: u32,
    pub(crate) mem: Vec<u32>,
    pub(crate) table: Vec<u32>,
    pub(crate) ids: Vec<ModId>,
    pub(crate) done: bool,
}

impl Drop for Rollback<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        for &m in &self.mem {
            self.space.free_region(m);
        }
        for &t in &self.table {
            self.space.free_table(t);
        }
        let mut reg = write_reg(self.space);
        for &id in &self.ids {
            // The loading thread may have instantiated some of the group: it vacates their slots before
            // the ids are recycled.
            let users = reg.get(id).map(|m| m.close()).unwrap_or_else(|| vec![self.tid]);
            reg.retire(id, users, None);
            release_func_slots(self.space, &mut reg, id, None);
            if let Some(slot) = reg.modules.get_mut(id as usize) {
                *slot = None;
            }
        }
        drop(reg);
        self.space.retire_epoch.fetch_add(1, Ordering::Release);
    }
}

/// Load `source` and the libraries it needs; returns its id. See the module docs.
/// `who` asks for `source`: the host, or a guest (`dlopen` from wasm), whose names are sandboxed
/// ([`search`](crate::search)).
pub(crate) fn load<C: Ctx>(
    cx: &mut C,
    source: Source,
    opts: &LoadOptions,
    requester: Option<ModId>,
    who: Requester,
) -> Result<ModId> {
    let r = load_locked(cx, source, opts, requester, who);
    crate::retire::vacate_retired(cx);
    r
}

fn load_locked<C: Ctx>(
    cx: &mut C,
    source: Source,
    opts: &LoadOptions,
    requester: Option<ModId>,
    who: Requester,
) -> Result<ModId> {
    let space = cx.thread().space.clone();
    let tid = cx.thread().tid;
    let _guard = space.load_lock.lock(tid);

    if let Some(id) = already_loaded(&space, source.name(), opts) {
        return Ok(id);
    }
    if opts.noload {
        return Err(Error::api(format!("{}: not loaded (RTLD_NOLOAD)", source.name())));
    }
    let (origin, rpath) = match requester.and_then(|r| read_reg(&space).get(r).cloned()) {
        Some(m) => (
            m.path.as_ref().and_then(|p| p.parent().map(PathBuf::from)),
            m.dylink.as_ref().map(|d| d.runtime_path.clone()).unwrap_or_default(),
        ),
        None => (None, Vec::new()),
    };
    let mut group = gather(cx, &space, source, who, opts, origin, rpath)?;
    let mut rb = Rollback { space: &space, tid, mem: Vec::new(), table: Vec::new(), ids: Vec::new(), done: false };
    place(cx, &space, &mut group, opts, &mut rb)?;
    for p in &mut group {
        // A relocated module's exported addresses are absolute already.
        let base = if p.kind == Kind::Relocated { 0 } else { p.memory_base };
        p.symbols = module_symbols(p.id, &p.meta, p.dylink.as_ref(), base);
    }
    crate::plan::plan_group(cx, &space, &mut group)?;
    crate::plan::assign_late_bound(&mut group)?;

    // Register the group (not yet visible to other threads: LINKING).
    let ids: HashMap<String, ModId> = group.iter().map(|p| (p.found.name.clone(), p.id)).collect();
    let loaded: Vec<Arc<Loaded>> = {
        let reg = read_reg(&space);
        group
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let needed = p
                    .needed_names
                    .iter()
                    .map(|n| base_name(n))
                    .filter_map(|n| ids.get(n).or(reg.by_name.get(n)).copied())
                    .collect();
                Arc::new(into_loaded(p, needed, tid, opts, i == 0))
            })
            .collect()
    };
    {
        let mut reg = write_reg(&space);
        for m in &loaded {
            reg.modules[m.id as usize] = Some(m.clone());
        }
    }

    // Instantiate on this thread (dependencies first), then relocate.
    for m in &loaded {
        ensure_instance(cx, m.id)?;
    }
    for m in &loaded {
        call_export(cx, m, "__wasm_apply_data_relocs")?;
    }

    // Publish: other threads may now instantiate the group, and its symbols join the global scope.
    {
        let mut reg = write_reg(&space);
        for m in &loaded {
            m.state.store(READY, Ordering::Release);
            reg.by_name.insert(m.name.clone(), m.id);
            reg.order.push(m.id);
            if m.global.load(Ordering::Relaxed) {
                for (name, def) in &m.symbols {
                    reg.scope.define(name, def);
                }
            }
        }
    }
    rb.done = true;
    drop(rb);

    if let Some(hook) = &opts.before_constructors {
        (hook.0)(&AddressSpace { inner: space.clone() });
    }

    // Constructors, dependencies first, once.
    let root = loaded[0].id;
    for id in ctor_order(&loaded) {
        let m = loaded.iter().find(|m| m.id == id).expect("in group");
        if let Err(e) = call_export(cx, m, "__wasm_call_ctors") {
            log::warn!("{}: constructor failed: {e}", m.name);
            unload(cx, &space, &loaded.iter().map(|m| m.id).collect::<Vec<_>>(), false);
            return Err(e);
        }
    }
    log::debug!("loaded {} (+{} dependencies) on thread {tid}", loaded[0].name, loaded.len() - 1);
    Ok(root)
}

/// If `name` is loaded, count one more reference and return it.
fn already_loaded(space: &SpaceInner, name: &str, opts: &LoadOptions) -> Option<ModId> {
    let mut reg = write_reg(space);
    let id = *reg.by_name.get(name)?;
    let m = reg.get(id)?.clone();
    if m.state() != READY {
        return None;
    }
    m.refs.fetch_add(1, Ordering::Relaxed);
    if opts.nodelete {
        m.nodelete.store(true, Ordering::Relaxed);
    }
    if opts.global && !m.global.swap(true, Ordering::Relaxed) {
        reg.rebuild_scope();
    }
    Some(id)
}

fn into_loaded(p: Pending, needed: Vec<ModId>, tid: u32, opts: &LoadOptions, root: bool) -> Loaded {
    let mut deps = p.deps;
    deps.extend(needed.iter().copied());
    deps.retain(|&d| d != p.id);
    deps.sort_unstable();
    deps.dedup();
    let tls = p.meta.const_global("__tls_size").filter(|&s| s > 0).map(|size| TlsInfo {
        size: size as u32,
        align: p.meta.const_global("__tls_align").unwrap_or(1).max(1) as u32,
    });
    Loaded {
        id: p.id,
        name: p.found.name,
        path: p.found.path,
        module: p.module,
        meta: p.meta,
        dylink: p.dylink,
        kind: p.kind,
        memory_base: p.memory_base,
        mem_size: p.mem_size,
        table_base: p.table_base,
        table_size: p.table_size,
        symbols: p.symbols,
        plan: p.plan,
        needed,
        deps,
        tls,
        brk: AtomicU32::new(match p.kind {
            Kind::Relocated => crate::reloc::heap_base(p.memory_base.wrapping_add(p.mem_size)) / PAGE_SIZE as u32,
            _ => 0,
        }),
        loader_tid: tid,
        global: AtomicBool::new(opts.global),
        state: AtomicU8::new(LINKING),
        refs: AtomicU32::new(root as u32),
        nodelete: AtomicBool::new(opts.nodelete || p.kind == Kind::PlainMain),
        users: Default::default(),
    }
}

/// Find and compile the module and, breadth first, the libraries it needs that are not loaded yet.
fn gather<C: Ctx>(
    cx: &mut C,
    space: &SpaceInner,
    root: Source,
    who: Requester,
    opts: &LoadOptions,
    origin: Option<PathBuf>,
    rpath: Vec<String>,
) -> Result<Vec<Pending>> {
    let mut group: Vec<Pending> = Vec::new();
    let mut names: HashSet<String> = HashSet::from([root.name().to_string()]);
    let mut queue = VecDeque::from([(root, who, origin, rpath, None)]);
    while let Some((src, who, origin, rpath, needed_by)) = queue.pop_front() {
        let found = search::find(space, &src, who, origin.as_deref(), &rpath).map_err(|e| match e {
            Error::NotFound { name, searched, .. } => Error::NotFound { name, searched, needed_by },
            e => e,
        })?;
        let name = found.name.clone();
        let is_root = group.is_empty();
        // A module without dylink.0 that kept its relocations (`--emit-relocs`) is moved to a base of the
        // loader's choosing; one without them can only be a main program loaded first into an empty space.
        // Its rewritten module is compiled when it is placed.
        if let Some(facts) = crate::dylink::scan(&found.bytes)
            && !facts.dylink
            && (facts.linking || !(is_root && space.layout_is_empty(cx)))
        {
            let image = crate::reloc::Image::parse(&name, found.bytes.clone())?;
            let module = Module::new(&space.engine, EMPTY_MODULE).map_err(|e| Error::vm(&name, e))?;
            let needed_names = if is_root { opts.needed.clone() } else { Vec::new() };
            for n in &needed_names {
                let lib = base_name(n);
                if !read_reg(space).by_name.contains_key(lib) && names.insert(lib.to_string()) {
                    let dir = found.path.as_ref().and_then(|p| p.parent().map(PathBuf::from));
                    queue.push_back((Source::Name(n.clone()), Requester::Host, dir, Vec::new(), None));
                }
            }
            group.push(Pending {
                found,
                meta: Meta::new(&module),
                module,
                dylink: None,
                kind: Kind::Relocated,
                reloc: Some(image),
                id: 0,
                needed_names,
                memory_base: 0,
                mem_size: 0,
                table_base: 0,
                table_size: 0,
                symbols: Vec::new(),
                plan: Vec::new(),
                deps: Vec::new(),
            });
            continue;
        }
        let module = Module::new(&space.engine, &found.bytes).map_err(|e| Error::vm(&name, e))?;
        let meta = Meta::new(&module);
        let dylink = Dylink::of_module(&name, &module)?;
        // Position independent = relocatable: it takes its data address from `env.__memory_base`. A non-PIC
        // program (no dylink.0, or wasm-ld's dylink.0 of a program linked with `import-dynamic`) has its
        // data at fixed addresses from 0, so it can only be the first module of an empty space.
        let relocatable = meta.imports.iter().any(|i| i.module == "env" && i.name == "__memory_base");
        let kind = match &dylink {
            Some(_) if relocatable => Kind::Pic,
            _ if is_root && space.layout_is_empty(cx) => Kind::PlainMain,
            None => {
                return Err(Error::dylink(
                    &name,
                    "missing: not a shared library (link with wasm-ld -shared or -pie; only a non-PIC main program \
                     loaded first into an empty address space may lack dylink.0)",
                ));
            }
            Some(_) => {
                return Err(Error::layout(
                    &name,
                    "not position independent (no env.__memory_base import): only the main program, loaded first \
                     into an empty address space, may be non-PIC",
                ));
            }
        };
        // Before anything is placed: dylink.0 must cover what the module's data and init code use.
        if let (Kind::Pic, Some(d)) = (kind, &dylink) {
            crate::check::check(&name, d, &meta, &found.bytes)?;
        }
        if kind == Kind::PlainMain && meta.links_dlmalloc {
            log::warn!(
                "{name}: links wasi-libc's dlmalloc, which (in wasi-libc before 2023) takes all memory from \
                 __heap_base up to memory.size at its first malloc, including what the loader placed there; link \
                 include/wasmvm_malloc.c into it to use the loader's allocator instead"
            );
        }
        if meta.table_import().is_none() && module.table_element(0).is_some() {
            return Err(Error::layout(
                &name,
                "defines its own table; it must import env.__indirect_function_table (--import-table), or its \
                 function pointers would mean nothing to other modules",
            ));
        }
        if meta.memory_import().is_none() {
            if meta.defines_memory {
                return Err(Error::layout(
                    &name,
                    "defines its own memory; it must import env.memory (--import-memory)",
                ));
            }
            if kind == Kind::PlainMain {
                return Err(Error::layout(
                    &name,
                    "has no memory; a program run by the loader must import env.memory (--import-memory)",
                ));
            }
        }
        let mut needed_names = dylink.as_ref().map(|d| d.needed.clone()).unwrap_or_default();
        // NEEDED entries are the module's (a guest's) requests; the embedder's extra libraries are the host's.
        let from_module = needed_names.len();
        if is_root {
            needed_names.extend(opts.needed.iter().cloned());
        }
        let rpath = dylink.as_ref().map(|d| d.runtime_path.clone()).unwrap_or_default();
        let dir = found.path.as_ref().and_then(|p| p.parent().map(PathBuf::from));
        {
            let reg = read_reg(space);
            for (i, n) in needed_names.iter().enumerate() {
                // A library is known by its file name, however it is named (`libx.so`, `dir/libx.so`).
                let lib = base_name(n);
                let loaded = reg.by_name.contains_key(lib);
                if !loaded && names.insert(lib.to_string()) {
                    let (who, by) =
                        if i < from_module { (Requester::Guest, Some(name.clone())) } else { (Requester::Host, None) };
                    queue.push_back((Source::Name(n.clone()), who, dir.clone(), rpath.clone(), by));
                }
            }
        }
        group.push(Pending {
            found,
            module,
            meta,
            dylink,
            kind,
            reloc: None,
            id: 0,
            needed_names,
            memory_base: 0,
            mem_size: 0,
            table_base: 0,
            table_size: 0,
            symbols: Vec::new(),
            plan: Vec::new(),
            deps: Vec::new(),
        });
    }
    Ok(group)
}

/// Check that a module's memory import accepts the space's memory.
fn check_memory(space: &SpaceInner, name: &str, imp: &ImportType) -> Result<()> {
    let ExternType::Memory(want) = &imp.ty else { return Ok(()) };
    let have = space.memory_type();
    let kind = |s: bool| if s { "shared" } else { "non-shared" };
    if want.shared != have.shared {
        return Err(Error::layout(
            name,
            format!(
                "imports a {} memory but the address space's memory is {}{}",
                kind(want.shared),
                kind(have.shared),
                if have.shared { " (build with -matomics -mbulk-memory and link with --shared-memory)" } else { "" }
            ),
        ));
    }
    if let (Some(w), Some(h)) = (want.max, have.max)
        && w < h
    {
        return Err(Error::layout(
            name,
            format!(
                "accepts a memory of at most {w} pages but the address space's memory may grow to {h} pages \
                 (link with --max-memory={} or lower SpaceConfig::max_memory_pages)",
                h * PAGE_SIZE as u64
            ),
        ));
    }
    Ok(())
}

/// Give every module of the group an id, a memory region and table slots.
fn place<C: Ctx>(
    cx: &mut C,
    space: &SpaceInner,
    group: &mut [Pending],
    opts: &LoadOptions,
    rb: &mut Rollback,
) -> Result<()> {
    for (i, p) in group.iter_mut().enumerate() {
        let name = p.found.name.clone();
        p.id = write_reg(space)
            .next_id(space.config.module_slots)
            .ok_or_else(|| Error::layout(&name, slots_exhausted(space.config.module_slots)))?;
        rb.ids.push(p.id);
        if let Some(imp) = p.meta.memory_import() {
            check_memory(space, &name, imp)?;
        }
        let root = i == 0;
        match p.kind {
            Kind::PlainMain => {
                let min = match p.meta.memory_import().map(|i| &i.ty) {
                    Some(ExternType::Memory(m)) => m.min,
                    _ => 0,
                };
                let size = min * PAGE_SIZE as u64;
                space.place_region(cx, 0, size, RegionKind::Main(name.clone())).map_err(|e| Error::layout(&name, e))?;
                rb.mem.push(0);
                p.mem_size = size as u32;
                if let Some(ExternType::Table(t)) = p.meta.table_import().map(|i| &i.ty)
                    && t.min > 1
                {
                    space
                        .place_table(1, t.min as u64 - 1, RegionKind::Main(name.clone()))
                        .map_err(|e| Error::layout(&name, format!("table: {e}")))?;
                    rb.table.push(1);
                    p.table_size = t.min;
                }
            }
            Kind::Pic => {
                let d = p.dylink.as_ref().expect("PIC modules have dylink.0");
                let (size, align) = (d.mem_size as u64, d.mem_align());
                p.memory_base =
                    module_region(cx, space, &name, opts.memory_base.filter(|_| root), (size, align), " (dylink.0)")?;
                rb.mem.push(p.memory_base);
                p.mem_size = d.mem_size;
                if d.table_size > 0 {
                    let (size, align) = (d.table_size as u64, d.table_align());
                    p.table_base = match opts.table_base.filter(|_| root) {
                        Some(base) => {
                            if !(base as u64).is_multiple_of(align) {
                                return Err(Error::layout(
                                    &name,
                                    format!("table base {base} is not aligned to {align} slots (dylink.0)"),
                                ));
                            }
                            space
                                .place_table(base as u64, size, RegionKind::Module(name.clone()))
                                .map_err(|e| Error::layout(&name, format!("table: {e}")))?;
                            base
                        }
                        None => space
                            .alloc_table(size, align, RegionKind::Module(name.clone()))
                            .map_err(|e| Error::layout(&name, format!("table: {e}")))?,
                    };
                    rb.table.push(p.table_base);
                    p.table_size = d.table_size;
                }
            }
            Kind::Relocated => place_relocated(cx, space, p, opts.memory_base.filter(|_| root), rb)?,
            Kind::Trampoline => unreachable!("generated modules are not loaded from sources"),
        }
        // The module's memory and table imports state minimum sizes.
        if let Some(ExternType::Memory(m)) = p.meta.memory_import().map(|i| &i.ty) {
            space.ensure_mem_len(cx, m.min * PAGE_SIZE as u64).map_err(|e| Error::layout(&name, e))?;
        }
        if let Some(ExternType::Table(t)) = p.meta.table_import().map(|i| &i.ty) {
            space.ensure_table_len(t.min as u64).map_err(|e| Error::layout(&name, format!("table: {e}")))?;
        }
    }
    Ok(())
}

/// A module's memory region of `(size, align)`: at `base` (the embedder's choice, which must be aligned as
/// `align_from` says), or wherever it fits.
fn module_region<C: Ctx>(
    cx: &mut C,
    space: &SpaceInner,
    name: &str,
    base: Option<u32>,
    (size, align): (u64, u64),
    align_from: &str,
) -> Result<u32> {
    let kind = RegionKind::Module(name.to_string());
    match base {
        Some(base) if !(base as u64).is_multiple_of(align) => {
            Err(Error::layout(name, format!("memory base {base:#x} is not aligned to {align} bytes{align_from}")))
        }
        Some(base) => space.place_region(cx, base as u64, size, kind).map(|_| base).map_err(|e| Error::layout(name, e)),
        None => space.alloc_region(cx, size, align, kind).map_err(|e| Error::layout(name, e)),
    }
}

/// A module without `dylink.0`, for [`gather`]'s relocated modules until they are placed.
const EMPTY_MODULE: &[u8] = b"\0asm\x01\0\0\0";

/// Place a relocated module: its region and table slots, the built-in allocator functions that replace
/// its own, then its rewritten module, compiled.
fn place_relocated<C: Ctx>(
    cx: &mut C,
    space: &SpaceInner,
    p: &mut Pending,
    memory_base: Option<u32>,
    rb: &mut Rollback,
) -> Result<()> {
    let name = p.found.name.clone();
    let im = p.reloc.as_ref().expect("relocated modules are parsed");
    let interposable = im.interposable();
    // Everything that can refuse the module is checked before anything is placed: its relocations and
    // the module they give (relocated where it is, with placeholder built-in slots: the checks do not
    // depend on where it goes, and relocated values do not change what is valid).
    let dry = crate::reloc::Placement {
        memory_base: im.lo,
        table_base: im.table_lo,
        memory: (space.memory_type().shared, space.memory_type().max),
        interposed: interposable.iter().map(|&(index, ..)| (index, 0)).collect(),
        memory_view: im.uses_memory_size().then_some((p.id, 0, 0)),
    };
    Module::validate(&space.engine, &im.relocate(&dry)?).map_err(|e| Error::vm(&name, e))?;
    // The built-ins that replace its allocator must have its functions' signatures.
    for &(index, module, builtin) in &interposable {
        let ty = crate::host::builtin_signature(module, builtin).expect("interposed functions are built-ins");
        if !im.signature_is(index, ty.params().len(), ty.results().len()) {
            return Err(Error::relocation(
                &name,
                format!("defines {builtin} with another signature than the built-in allocator's {ty}"),
            ));
        }
    }
    let (size, align) = (im.mem_size() as u64, 1u64 << im.p2align);
    p.memory_base = module_region(cx, space, &name, memory_base, (size, align), "")?;
    rb.mem.push(p.memory_base);
    p.mem_size = im.mem_size();
    if im.table_len > 0 {
        p.table_base = space
            .alloc_table(im.table_len as u64, 1, RegionKind::Module(name.clone()))
            .map_err(|e| Error::layout(&name, format!("table: {e}")))?;
        rb.table.push(p.table_base);
        p.table_size = im.table_len;
    }
    let mut interposed = Vec::new();
    for (index, module, builtin) in interposable {
        let trampoline = crate::plan::trampoline(cx, space, module, builtin)?;
        interposed.push((index, crate::plan::func_slot(space, trampoline, 0, builtin)?));
    }
    let memory_view = if im.uses_memory_size() {
        let mut slot = |builtin| -> Result<u32> {
            let trampoline = crate::plan::trampoline(cx, space, "wasmvm", builtin)?;
            crate::plan::func_slot(space, trampoline, 0, builtin)
        };
        Some((p.id, slot(crate::reloc::MEMORY_SIZE)?, slot(crate::reloc::MEMORY_GROW)?))
    } else {
        None
    };
    let memory = space.memory_type();
    let placement = crate::reloc::Placement {
        memory_base: p.memory_base,
        table_base: p.table_base,
        memory: (memory.shared, memory.max),
        interposed,
        memory_view,
    };
    let bytes = im.relocate(&placement)?;
    p.dylink = Some(im.dylink());
    p.module = Module::new(&space.engine, &bytes).map_err(|e| Error::vm(&name, e))?;
    p.meta = Meta::new(&p.module);
    Ok(())
}

/// Constructor order: each module after the libraries it needs (depth-first post-order from the root).
fn ctor_order(group: &[Arc<Loaded>]) -> Vec<ModId> {
    fn visit(id: ModId, group: &[Arc<Loaded>], seen: &mut HashSet<ModId>, out: &mut Vec<ModId>) {
        if !seen.insert(id) {
            return;
        }
        let Some(m) = group.iter().find(|m| m.id == id) else { return };
        for &d in &m.needed {
            visit(d, group, seen, out);
        }
        out.push(id);
    }
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for m in group {
        visit(m.id, group, &mut seen, &mut out);
    }
    out
}

/// Call an exported `() -> ()` function of this thread's instance of `m`, if it exists.
fn call_export<C: Ctx>(cx: &mut C, m: &Loaded, name: &str) -> Result<()> {
    let inst = ensure_instance(cx, m.id)?;
    if let Some(f) = inst.get_func(&*cx, name) {
        f.call(&mut *cx, &[], &mut []).map_err(|e| Error::vm(&m.name, e))?;
    }
    Ok(())
}

/// Look `name` up in the global scope, or in module `handle` and the libraries it needs.
pub(crate) fn lookup(cx: &impl Ctx, handle: Option<ModId>, name: &str) -> Result<Def> {
    let space = &cx.thread().space;
    let reg = read_reg(space);
    let found = match handle {
        None => reg.scope.get(name).cloned(),
        Some(h) => {
            let mut queue = VecDeque::from([h]);
            let mut seen = HashSet::new();
            let mut found = None;
            while let Some(id) = queue.pop_front() {
                if !seen.insert(id) {
                    continue;
                }
                let Some(m) = reg.get(id) else { continue };
                if let Some(d) = m.symbol(name) {
                    found = Some(d.clone());
                    break;
                }
                queue.extend(m.needed.iter().copied());
            }
            found
        }
    };
    found.ok_or_else(|| {
        let scope = handle.map_or_else(|| "the global scope".to_string(), |h| module_name(space, h));
        Error::api(format!("undefined symbol: {name} (in {scope})"))
    })
}
