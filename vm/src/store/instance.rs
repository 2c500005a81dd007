//! Instances and instantiation.

use std::sync::Arc;

use super::{
    AsContext, AsContextMut, Extern, FuncEntry, Global, SlotEntity, StoreId, StoreInner, Table, TableInner, func_ref,
};
use crate::error::{Error, Result, Trap, TrapCode};
use crate::memory::LinearMemory;
use crate::module::{EntityIndex, Module, SegmentMode, no_objects};
use crate::types::limits_match;
use crate::{Func, Memory};

/// The runtime state of an instance, as the machine sees it. Boxed in its store slot: the machine and
/// function entries keep raw pointers to it.
pub(crate) struct InstanceEntity {
    pub module: Module,
    pub slot: u32,
    /// Every function of the module's index space (imports resolved to their definitions).
    pub funcs: Box<[FuncEntry]>,
    /// Addresses of the global values (imported ones point into the exporter's cells).
    pub globals: Box<[*mut u64]>,
    pub global_ids: Box<[u32]>,
    pub tables: Box<[*const TableInner]>,
    pub table_ids: Box<[u32]>,
    pub memory_ids: Box<[u32]>,
    /// Every tag of the module's index space (imports resolved to the exporters' tags).
    pub tags: Box<[super::Tag]>,
    /// Memory 0, or null.
    pub mem0: *const LinearMemory,
    /// Every memory of the module's index space (memory 0 too), for the instructions that name a memory
    /// other than 0 or address a memory64 (memory 0 of a 32-bit memory is in the handlers' registers).
    pub memories: Box<[*const LinearMemory]>,
    /// Passive data segments not yet dropped.
    pub datas: Box<[Option<Arc<[u8]>>]>,
    /// Element segments' values, `None` once dropped.
    pub elems: Box<[Option<Box<[u64]>>]>,
}

impl InstanceEntity {
    /// The export `name` as a handle of `store`.
    pub(crate) fn export(&self, store: &StoreInner, name: &str) -> Option<Extern> {
        let (_, index) = self.module.inner.exports.iter().find(|(n, _)| n == name)?;
        Some(self.extern_of(store, *index))
    }

    pub(crate) fn extern_of(&self, store: &StoreInner, index: EntityIndex) -> Extern {
        let id = store.id;
        match index {
            EntityIndex::Func(f) => Extern::Func(Func { store: id, raw: self.funcs[f as usize].raw }),
            EntityIndex::Global(g) => {
                let index = self.global_ids[g as usize];
                Extern::Global(Global { store: id, index, generation: store.globals[index as usize].generation })
            }
            EntityIndex::Memory(m) => Extern::Memory(Memory { store: id, index: self.memory_ids[m as usize] }),
            EntityIndex::Table(t) => Extern::Table(Table { store: id, index: self.table_ids[t as usize] }),
            EntityIndex::Tag(t) => Extern::Tag(self.tags[t as usize].clone()),
        }
    }
}

/// An instance handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Instance {
    pub(crate) store: StoreId,
    pub(crate) slot: u32,
}

/// How to instantiate: in which funcref slot, and which initialisation steps to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstanceOptions {
    /// The funcref slot (`None`: a new one). The loader gives a module the same slot in every thread's store.
    pub slot: Option<u32>,
    /// Apply active element and data segments. A thread that instantiates a module whose memory and table
    /// another thread already initialised skips this.
    pub init_segments: bool,
    /// Run the start function.
    pub run_start: bool,
}

impl Default for InstanceOptions {
    fn default() -> Self {
        Self { slot: None, init_segments: true, run_start: true }
    }
}

impl Instance {
    /// Instantiate `module` with `imports` given in the order of the module's imports.
    pub fn new(mut store: impl AsContextMut, module: &Module, imports: &[Extern]) -> Result<Instance> {
        instantiate(store.inner_mut(), module, imports, InstanceOptions::default())
    }

    /// Instantiate with explicit [`InstanceOptions`].
    pub fn new_with(
        mut store: impl AsContextMut,
        module: &Module,
        imports: &[Extern],
        options: InstanceOptions,
    ) -> Result<Instance> {
        instantiate(store.inner_mut(), module, imports, options)
    }

    fn entity<'a>(&self, store: &'a StoreInner) -> Result<&'a InstanceEntity> {
        store.check(self.store, "instance")?;
        store.instance(self.slot).ok_or_else(|| Error::api("not an instance"))
    }

    /// An export by name.
    pub fn get_export(&self, store: impl AsContext, name: &str) -> Option<Extern> {
        let s = store.inner();
        self.entity(s).ok()?.export(s, name)
    }

    /// An exported function by name.
    pub fn get_func(&self, store: impl AsContext, name: &str) -> Option<Func> {
        self.get_export(store, name)?.into_func()
    }

    /// An exported function by name, with a static signature (`None` if there is no such function; an error
    /// if its signature differs), like wasmtime's `Instance::get_typed_func`.
    pub fn get_typed_func<P: crate::store::typed::WasmParams, R: crate::store::typed::WasmResults>(
        &self,
        store: impl AsContext,
        name: &str,
    ) -> Result<crate::store::typed::TypedFunc<P, R>> {
        let func =
            self.get_func(&store, name).ok_or_else(|| Error::api(format!("no exported function named {name:?}")))?;
        func.typed(&store)
    }

    /// An exported memory by name.
    pub fn get_memory(&self, store: impl AsContext, name: &str) -> Option<Memory> {
        self.get_export(store, name)?.into_memory()
    }

    /// An exported global by name.
    pub fn get_global(&self, store: impl AsContext, name: &str) -> Option<Global> {
        self.get_export(store, name)?.into_global()
    }

    /// An exported table by name.
    pub fn get_table(&self, store: impl AsContext, name: &str) -> Option<Table> {
        self.get_export(store, name)?.into_table()
    }

    /// An exported tag by name.
    pub fn get_tag(&self, store: impl AsContext, name: &str) -> Option<super::Tag> {
        self.get_export(store, name)?.into_tag()
    }

    /// All exports, in order.
    pub fn exports(&self, store: impl AsContext) -> Vec<(String, Extern)> {
        let s = store.inner();
        let Ok(e) = self.entity(s) else {
            return Vec::new();
        };
        e.module.inner.exports.iter().map(|(n, i)| (n.clone(), e.extern_of(s, *i))).collect()
    }

    /// The module this is an instance of.
    pub fn module(&self, store: impl AsContext) -> Option<Module> {
        Some(self.entity(store.inner()).ok()?.module.clone())
    }

    /// The funcref slot of this instance (the loader gives a module the same slot in every thread's store).
    pub fn slot(&self) -> u32 {
        self.slot
    }
}

fn incompatible(m: &crate::module::Import, why: &str) -> Error {
    Error::link(format!("incompatible import type for {}.{}: {why}", m.module, m.name))
}

/// Instantiate into `slot` (or a new slot). On a trap during segment initialisation or the start
/// function, the error is returned but effects on imported memories and tables remain, as the spec says.
pub(crate) fn instantiate(
    s: &mut StoreInner,
    module: &Module,
    imports: &[Extern],
    options: InstanceOptions,
) -> Result<Instance> {
    let m = &*module.inner;
    if !m.engine.same(&s.engine) {
        return Err(Error::api("module was compiled for a different engine"));
    }
    if imports.len() != m.imports.len() {
        return Err(Error::link(format!("expected {} imports, got {}", m.imports.len(), imports.len())));
    }
    let mut e = import_entities(s, m, imports)?;
    let slot = match options.slot {
        Some(slot) => {
            s.reserve_slots(slot + 1);
            if !matches!(s.slots[slot as usize].entity, SlotEntity::Empty) {
                return Err(Error::api(format!("slot {slot} is already in use")));
            }
            slot
        }
        None => s.push_slot(SlotEntity::Empty),
    };

    let mut entity = Box::new(InstanceEntity {
        module: module.clone(),
        slot,
        funcs: Box::new([]),
        globals: Box::new([]),
        global_ids: Box::new([]),
        tables: Box::new([]),
        table_ids: Box::new([]),
        memory_ids: Box::new([]),
        tags: Box::new([]),
        mem0: std::ptr::null(),
        memories: Box::new([]),
        datas: Box::new([]),
        elems: Box::new([]),
    });
    let self_ptr: *mut InstanceEntity = &mut *entity;

    let (elems, datas) = define_entities(s, m, &mut e, self_ptr, slot)?;
    let Entities { funcs, globals, global_ids, tables, table_ids, memory_ids, tags } = e;
    entity.tags = tags.into();
    entity.mem0 = memory_ids.first().map_or(std::ptr::null(), |&i| Arc::as_ptr(&s.memories[i as usize]));
    entity.memories = memory_ids.iter().map(|&i| Arc::as_ptr(&s.memories[i as usize])).collect();
    entity.funcs = funcs.into();
    entity.globals = globals.into();
    entity.global_ids = global_ids.into();
    entity.tables = tables.into();
    entity.table_ids = table_ids.into();
    entity.memory_ids = memory_ids.into();
    entity.datas = datas.into();
    entity.elems = elems.into();
    s.fill_slot(slot, SlotEntity::Instance(entity));
    let instance = Instance { store: s.id, slot };

    initialize(s, slot, options)?;
    Ok(instance)
}

/// The entities an instance refers to, by index space (imports first).
struct Entities {
    funcs: Vec<FuncEntry>,
    globals: Vec<*mut u64>,
    global_ids: Vec<u32>,
    tables: Vec<*const TableInner>,
    table_ids: Vec<u32>,
    memory_ids: Vec<u32>,
    tags: Vec<super::Tag>,
}

/// Check each import against the module's declaration and collect it.
fn import_entities(s: &mut StoreInner, m: &crate::module::ModuleInner, imports: &[Extern]) -> Result<Entities> {
    let mut e = Entities {
        funcs: Vec::with_capacity(m.funcs.len()),
        globals: Vec::with_capacity(m.globals.len()),
        global_ids: Vec::with_capacity(m.globals.len()),
        tables: Vec::with_capacity(m.tables.len()),
        table_ids: Vec::with_capacity(m.tables.len()),
        memory_ids: Vec::with_capacity(m.memories.len()),
        tags: Vec::with_capacity(m.tags.len()),
    };

    for (imp, ext) in m.imports.iter().zip(imports) {
        match (imp.index, ext) {
            (EntityIndex::Func(f), Extern::Func(func)) => {
                let entry = *func.entry(s)?;
                // The function's type may be a declared subtype of the expected one.
                if !m.engine.is_subtype(entry.type_id, m.func_type_id(f)) {
                    let want = m.engine.func_type(m.func_type_id(f));
                    let found = m.engine.func_type(entry.type_id);
                    let why = format!("function signature differs: the module expects {want}, found {found}");
                    return Err(incompatible(imp, &why));
                }
                e.funcs.push(entry);
            }
            (EntityIndex::Global(g), Extern::Global(gl)) => {
                s.check(gl.store, "global")?;
                s.global_cell(gl.index, gl.generation)?;
                let cell = &mut s.globals[gl.index as usize];
                // An immutable global may hold a subtype of what the import expects; a mutable one exactly it.
                let (have, want) = (cell.ty, m.globals[g as usize].ty);
                let fits = have.mutable == want.mutable
                    && if want.mutable {
                        have.content == want.content
                    } else {
                        s.engine.val_matches(have.content, want.content)
                    };
                if !fits {
                    return Err(incompatible(imp, "global type differs"));
                }
                e.globals.push(&mut cell.value);
                e.global_ids.push(gl.index);
            }
            (EntityIndex::Memory(mi), Extern::Memory(_) | Extern::SharedMemory(_)) => {
                let index = match ext {
                    Extern::Memory(mem) => {
                        s.check(mem.store, "memory")?;
                        mem.index
                    }
                    Extern::SharedMemory(sm) => s.push_memory(sm.inner.clone()).index,
                    _ => unreachable!(),
                };
                let mem = &s.memories[index as usize];
                let want = m.memories[mi as usize];
                let have = mem.ty();
                if have.shared != want.shared
                    || have.memory64 != want.memory64
                    || have.page_size_log2 != want.page_size_log2
                    || !limits_match(have.min, have.max, want.min, want.max)
                {
                    return Err(incompatible(imp, "memory limits, sharing, index type or page size differ"));
                }
                e.memory_ids.push(index);
            }
            (EntityIndex::Table(ti), Extern::Table(_) | Extern::SharedTable(_)) => {
                let index = match ext {
                    Extern::Table(t) => {
                        s.check(t.store, "table")?;
                        t.index
                    }
                    Extern::SharedTable(st) => s.push_table(st.inner.clone()).index,
                    _ => unreachable!(),
                };
                let t = &s.tables[index as usize];
                let want = m.tables[ti as usize].ty;
                let have = t.ty();
                if have.element != want.element
                    || have.table64 != want.table64
                    || !limits_match(have.min as u64, have.max.map(u64::from), want.min as u64, want.max.map(u64::from))
                {
                    return Err(incompatible(imp, "table type or limits differ"));
                }
                e.tables.push(Arc::as_ptr(t));
                e.table_ids.push(index);
            }
            (EntityIndex::Tag(t), Extern::Tag(tag)) => {
                if *tag.ty() != *m.tag_type(t) {
                    return Err(incompatible(imp, "tag type differs"));
                }
                e.tags.push(tag.clone());
            }
            _ => return Err(incompatible(imp, "wrong kind of import")),
        }
    }

    Ok(e)
}

/// Elements and data segments of a new instance, `None` once dropped.
type Segments = (Vec<Option<Box<[u64]>>>, Vec<Option<Arc<[u8]>>>);

/// Create the module's own functions, globals, tables and memories (after the imports in `e`), and its
/// segments.
fn define_entities(
    s: &mut StoreInner,
    m: &crate::module::ModuleInner,
    e: &mut Entities,
    self_ptr: *mut InstanceEntity,
    slot: u32,
) -> Result<Segments> {
    for (i, code) in m.code.iter().enumerate() {
        let index = m.num_imported_funcs + i as u32;
        e.funcs.push(FuncEntry {
            type_id: m.func_type_id(index),
            code: code.code.as_ptr(),
            instance: self_ptr,
            host: std::ptr::null(),
            raw: func_ref(slot, index),
            forward: 0,
        });
    }

    // Defined globals (their initialisers may read imported globals and take function references).
    for g in &m.globals[m.num_imported_globals as usize..] {
        let init = match &g.init {
            // SAFETY: `globals` holds pointers to live cells of this store.
            Some(x) => x
                .eval(|i| unsafe { read_cell(e.globals[i as usize]) }, |f| e.funcs[f as usize].raw, &mut |t, v| {
                    s.gc.new_object(&m.type_defs[t as usize], v)
                })
                .map_err(Trap::new)?,
            None => 0,
        };
        let handle = s.push_global(g.ty, init);
        e.globals.push(&mut s.globals[handle.index as usize].value);
        e.global_ids.push(handle.index);
    }
    let read_global = |i: u32| -> u128 {
        // SAFETY: as above.
        unsafe { read_cell(e.globals[i as usize]) }
    };

    let heap = &mut s.gc;
    let mut new = |t: u32, v: crate::gc::Init<'_>| heap.new_object(&m.type_defs[t as usize], v);
    let mut table_inits = Vec::new();
    for t in &m.tables[m.num_imported_tables as usize..] {
        let init = match &t.init {
            Some(x) => x.eval(read_global, |f| e.funcs[f as usize].raw, &mut new).map_err(Trap::new)? as u64,
            None => 0,
        };
        table_inits.push(init);
    }
    let elems = m
        .elems
        .iter()
        .map(|seg| {
            let items =
                seg.items.iter().map(|x| x.eval(read_global, |f| e.funcs[f as usize].raw, &mut new).map(|v| v as u64));
            items.collect::<Result<Box<[u64]>, TrapCode>>().map(Some)
        })
        .collect::<Result<Vec<_>, TrapCode>>()
        .map_err(Trap::new)?;
    for (t, init) in m.tables[m.num_imported_tables as usize..].iter().zip(table_inits) {
        let table = s.push_table(Arc::new(TableInner::new(t.ty, init, false)?));
        e.tables.push(Arc::as_ptr(&s.tables[table.index as usize]));
        e.table_ids.push(table.index);
    }

    for ty in &m.memories[m.num_imported_memories as usize..] {
        let mem = s.push_memory(Arc::new(LinearMemory::new(*ty)?));
        e.memory_ids.push(mem.index);
    }

    for t in m.num_imported_tags..m.tags.len() as u32 {
        // Uncaught exceptions name their tag: by its export name when it has one.
        let name = m.exports.iter().find(|(_, i)| *i == EntityIndex::Tag(t)).map_or_else(
            || format!("{t} of module {}", m.name.as_deref().unwrap_or("<module>")),
            |(n, _)| format!("\"{n}\""),
        );
        e.tags.push(super::Tag::defined(m.tag_type(t).clone(), name));
    }

    let datas: Vec<Option<Arc<[u8]>>> = m.datas.iter().map(|d| Some(d.bytes.clone())).collect();

    Ok((elems, datas))
}

/// Active segments, then the start function.
fn initialize(s: &mut StoreInner, slot: u32, options: InstanceOptions) -> Result<()> {
    let entity: *mut InstanceEntity = match &mut s.slots[slot as usize].entity {
        SlotEntity::Instance(e) => &mut **e,
        _ => unreachable!("just instantiated"),
    };
    // SAFETY: the entity is boxed in the store and outlives this function; we hold the store mutably.
    let inst = unsafe { &mut *entity };
    let m = inst.module.inner.clone();
    if !options.init_segments {
        for (i, seg) in m.elems.iter().enumerate() {
            if !matches!(seg.mode, SegmentMode::Passive) {
                inst.elems[i] = None;
            }
        }
        for (i, seg) in m.datas.iter().enumerate() {
            if !matches!(seg.mode, SegmentMode::Passive) {
                inst.datas[i] = None;
            }
        }
    }
    for (i, seg) in m.elems.iter().enumerate().filter(|_| options.init_segments) {
        match &seg.mode {
            SegmentMode::Active { index, offset } => {
                let global = |g: u32| unsafe { read_cell(inst.globals[g as usize]) };
                let at =
                    offset.eval(global, |f| inst.funcs[f as usize].raw, &mut no_objects).map_err(Trap::new)? as u64;
                let items = inst.elems[i].take().unwrap_or_default();
                // SAFETY: table pointers are kept alive by the store.
                let table = unsafe { &*inst.tables[*index as usize] };
                // A table64 offset beyond 2^32 is out of bounds (no table is that large).
                let at = if table.declared_type().table64 { crate::exec::table::index::<true>(at) } else { at as u32 };
                table.init(at, &items, 0, items.len() as u32).map_err(Trap::new)?;
            }
            SegmentMode::Declared => inst.elems[i] = None,
            SegmentMode::Passive => {}
        }
    }
    for (i, seg) in m.datas.iter().enumerate().filter(|_| options.init_segments) {
        if let SegmentMode::Active { index, offset } = &seg.mode {
            let global = |g: u32| unsafe { read_cell(inst.globals[g as usize]) };
            let at = offset.eval(global, |_| 0, &mut no_objects).map_err(Trap::new)? as u64;
            let mem = &s.memories[inst.memory_ids[*index as usize] as usize];
            let at = if mem.is_64() { at } else { at as u32 as u64 };
            if !mem.write(at, &seg.bytes) {
                return Err(TrapCode::MemoryOutOfBounds.into());
            }
            inst.datas[i] = None;
        }
    }
    if let Some(start) = m.start.filter(|_| options.run_start) {
        let entry = inst.funcs[start as usize];
        let mut slots = vec![0u64; 0];
        // SAFETY: the entry belongs to this store.
        unsafe { crate::exec::call::invoke(s, &entry, &mut slots)? };
    }
    Ok(())
}

impl StoreInner {
    pub(crate) fn push_memory(&mut self, mem: Arc<LinearMemory>) -> Memory {
        if let Some(i) = self.memories.iter().position(|m| Arc::ptr_eq(m, &mem)) {
            return Memory { store: self.id, index: i as u32 };
        }
        self.memories.push(mem);
        Memory { store: self.id, index: self.memories.len() as u32 - 1 }
    }
}

/// Both halves of a global's value (`value` and `hi` of its [`GlobalCell`](super::GlobalCell)).
///
/// # Safety
/// `p` must point to the `value` field of a live `GlobalCell`.
unsafe fn read_cell(p: *const u64) -> u128 {
    unsafe { *p as u128 | (*p.add(1) as u128) << 64 }
}
