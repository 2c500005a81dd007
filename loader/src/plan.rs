//! Resolving a group's imports into [`Plan`]s, and the generated modules that need.
//!
//! Lookup order for a symbol: the global scope (modules loaded before, first definition wins), then the
//! group being loaded (in load order, the module itself included), then host functions (the embedder's,
//! then the loader's built-ins). What each import convention means is in the [`link`](crate::link) docs.
//!
//! Function pointers: the first time a function's address is needed (`GOT.func`, `dlsym`), it gets a
//! table slot holding its pointer-free funcref, so pointers to it compare equal in every module and mean
//! the same function on every thread. A host function's address goes through a trampoline module (a host
//! function's own funcref slot differs per store). Imports that must bind late — a module's own
//! exports, which PIC code imports so that they can be interposed, and cycles in the group — are
//! late-bound functions of the machine, resolved on their first call.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32};

use wasmvm::{ExternType, ImportType, Module, ValType};

use crate::dylink::Dylink;
use crate::error::{Error, Result};
use crate::layout::RegionKind;
use crate::meta::Meta;
use crate::registry::{Kind, Loaded, Plan, READY};
use crate::search::Found;
use crate::state::{Ctx, SpaceInner, module_name, read_reg, slots_exhausted, write_reg};
use crate::symbols::{Def, ModId, Scope};

/// A module of the group being loaded.
pub(crate) struct Pending {
    pub(crate) found: Found,
    pub(crate) module: Module,
    pub(crate) meta: Meta,
    pub(crate) dylink: Option<Dylink>,
    pub(crate) kind: Kind,
    /// A [`Kind::Relocated`] module's parsed relocations; `module` and `meta` are made when it is placed.
    pub(crate) reloc: Option<crate::reloc::Image>,
    pub(crate) id: ModId,
    pub(crate) needed_names: Vec<String>,
    pub(crate) memory_base: u32,
    pub(crate) mem_size: u32,
    pub(crate) table_base: u32,
    pub(crate) table_size: u32,
    pub(crate) symbols: Vec<(String, Def)>,
    pub(crate) plan: Vec<Plan>,
    /// Definers of imported symbols.
    pub(crate) deps: Vec<ModId>,
}

/// Resolve the imports of every module of the group.
pub(crate) fn plan_group<C: Ctx>(cx: &mut C, space: &SpaceInner, group: &mut [Pending]) -> Result<()> {
    let mut local = Scope::default();
    for p in group.iter() {
        for (name, def) in &p.symbols {
            local.define(name, def);
        }
    }
    // The group is not registered yet: name its modules for messages.
    let names: Vec<(ModId, String)> = group.iter().map(|p| (p.id, p.found.name.clone())).collect();
    for p in group.iter_mut() {
        let mut plan = Vec::with_capacity(p.meta.imports.len());
        let mut deps = Vec::new();
        for imp in &p.meta.imports {
            plan.push(plan_import(cx, space, &local, &names, p, imp, &mut deps)?);
        }
        deps.retain(|&d| d != p.id);
        deps.sort_unstable();
        deps.dedup();
        p.plan = plan;
        p.deps = deps;
    }
    Ok(())
}

fn plan_import<C: Ctx>(
    cx: &mut C,
    space: &SpaceInner,
    local: &Scope,
    names: &[(ModId, String)],
    p: &Pending,
    imp: &ImportType,
    deps: &mut Vec<ModId>,
) -> Result<Plan> {
    let name = &p.found.name;
    let (m, n) = (imp.module.as_str(), imp.name.as_str());
    // wasm-ld lists a weak symbol's import info under `env.<sym>`, also for its GOT entries.
    let weak = p
        .dylink
        .as_ref()
        .is_some_and(|d| d.weak_import(m, n) || (matches!(m, "GOT.mem" | "GOT.func") && d.weak_import("env", n)));
    let unresolved = || Error::Unresolved { module: name.clone(), import: format!("{m}.{n}"), symbol: n.to_string() };
    let mut lookup = |s: &str| -> Option<Def> {
        let reg = read_reg(space);
        let def = reg.scope.get(s).or_else(|| local.get(s)).cloned();
        if let Some(d) = &def {
            deps.push(d.module());
        }
        def
    };
    match &imp.ty {
        ExternType::Memory(_) => Ok(Plan::Memory),
        // Tags: C++ exceptions import `env.__cpp_exception`, setjmp/longjmp `env.__c_longjmp`; each name is
        // one tag for the whole space, so that one module catches what another throws.
        ExternType::Tag(ty) if m == "env" => match space.tag(n, ty) {
            Some(tag) => Ok(Plan::Tag(tag)),
            None => Err(Error::mismatch(
                name,
                n,
                format!("tag imported as {ty}, but an earlier module gave it another type"),
            )),
        },
        ExternType::Tag(_) => Err(unresolved()),
        ExternType::Table(t) => {
            if t.element != ValType::FuncRef {
                return Err(Error::mismatch(name, n, "only a funcref table can be imported"));
            }
            Ok(Plan::Table)
        }
        ExternType::Global(g) => {
            let i32_global = g.content == ValType::I32;
            match (m, n) {
                ("env", "__memory_base") if i32_global => Ok(Plan::I32(p.memory_base as i32)),
                ("env", "__table_base") if i32_global => Ok(Plan::I32(p.table_base as i32)),
                ("env", "__stack_pointer") if i32_global && g.mutable => Ok(Plan::StackPointer),
                ("GOT.mem", _) => match lookup(n) {
                    Some(Def::Data { addr, .. }) => Ok(Plan::I32(addr as i32)),
                    Some(Def::Tls { module, offset }) => Ok(Plan::Tls { module, offset }),
                    Some(Def::Func { .. }) => {
                        Err(Error::mismatch(name, n, "is a function, imported as data (GOT.mem)"))
                    }
                    Some(Def::Global { .. }) => Err(Error::mismatch(name, n, "is a wasm global, imported as data")),
                    None if weak => Ok(Plan::I32(0)),
                    None => Err(unresolved()),
                },
                ("GOT.func", _) => match lookup(n) {
                    Some(Def::Func { module, index, .. }) => Ok(Plan::I32(func_slot(space, module, index, n)? as i32)),
                    Some(_) => Err(Error::mismatch(name, n, "is data, imported as a function pointer (GOT.func)")),
                    None if crate::host::defined(space, "env", n) => {
                        let id = trampoline(cx, space, "env", n)?;
                        Ok(Plan::I32(func_slot(space, id, 0, n)? as i32))
                    }
                    None if weak => Ok(Plan::I32(0)),
                    None => Err(unresolved()),
                },
                ("env", _) => match lookup(n) {
                    Some(Def::Global { module, ty }) if ty == *g => Ok(Plan::Global { module, name: n.to_string() }),
                    Some(Def::Global { ty, .. }) => {
                        Err(Error::mismatch(name, n, format!("is a global of type {ty:?}, imported as {g:?}")))
                    }
                    Some(Def::Data { addr, .. }) if i32_global => Ok(Plan::I32(addr as i32)),
                    Some(_) => Err(Error::mismatch(name, n, "is not a global")),
                    None if weak => Ok(Plan::I32(0)),
                    None => Err(unresolved()),
                },
                _ if weak => Ok(Plan::I32(0)),
                _ => Err(unresolved()),
            }
        }
        ExternType::Func(ft) => {
            if m == "env"
                && let Some(def) = lookup(n)
            {
                return match def {
                    Def::Func { module, ty, .. } if ty == *ft => Ok(Plan::Func { module, name: n.to_string() }),
                    Def::Func { ty, module, .. } => Err(Error::mismatch(
                        name,
                        n,
                        format!(
                            "imported as {ft} but defined by {} as {ty}",
                            names
                                .iter()
                                .find(|(id, _)| *id == module)
                                .map_or_else(|| module_name(space, module), |(_, n)| n.clone())
                        ),
                    )),
                    _ => Err(Error::mismatch(name, n, "is data, imported as a function")),
                };
            }
            if crate::host::defined(space, m, n) {
                Ok(Plan::Host { module: m.to_string(), name: n.to_string() })
            } else if weak {
                Ok(Plan::Missing { symbol: n.to_string() })
            } else {
                Err(unresolved())
            }
        }
    }
}

/// The table slot holding function `index` of module `module`, allocated on first use.
pub(crate) fn func_slot(space: &SpaceInner, module: ModId, index: u32, symbol: &str) -> Result<u32> {
    let mut reg = write_reg(space);
    if let Some(&i) = reg.func_slots.get(&(module, index)) {
        return Ok(i);
    }
    let i = space
        .alloc_table(1, 1, RegionKind::FuncSlot(symbol.to_string()))
        .map_err(|e| Error::layout(symbol, format!("no table slot for a function pointer: {e}")))?;
    space.table.set_raw(i, wasmvm::raw_funcref(module, index));
    reg.func_slots.insert((module, index), i);
    Ok(i)
}

/// Register a generated module (a trampoline), ready for every thread to instantiate.
fn generated<C: Ctx>(
    cx: &mut C,
    space: &SpaceInner,
    label: String,
    bytes: &[u8],
    plan: Vec<Plan>,
    kind: Kind,
) -> Result<ModId> {
    let wasm = Module::new(&space.engine, bytes).map_err(|e| Error::vm(&label, e))?;
    let meta = Meta::new(&wasm);
    let mut reg = write_reg(space);
    let id = reg
        .next_id(space.config.module_slots)
        .ok_or_else(|| Error::layout(&label, slots_exhausted(space.config.module_slots)))?;
    let m = Loaded {
        id,
        name: label,
        path: None,
        module: wasm,
        meta,
        dylink: None,
        kind,
        memory_base: 0,
        mem_size: 0,
        table_base: 0,
        table_size: 0,
        symbols: Vec::new(),
        plan,
        needed: Vec::new(),
        deps: Vec::new(),
        tls: None,
        brk: AtomicU32::new(0),
        loader_tid: cx.thread().tid,
        global: AtomicBool::new(false),
        state: AtomicU8::new(READY),
        refs: AtomicU32::new(1),
        nodelete: AtomicBool::new(kind == Kind::Trampoline),
        users: Default::default(),
    };
    reg.modules[id as usize] = Some(Arc::new(m));
    Ok(id)
}

/// A module whose only function is the host function `module.name`, so that it has a slot meaning the same
/// on every thread (a host function's own slot differs between stores).
pub(crate) fn trampoline<C: Ctx>(cx: &mut C, space: &SpaceInner, module: &str, name: &str) -> Result<ModId> {
    let key = (module.to_string(), name.to_string());
    if let Some(&id) = read_reg(space).trampolines.get(&key) {
        return Ok(id);
    }
    let ty = crate::host::func_type(cx, module, name)
        .ok_or_else(|| Error::api(format!("host function {module}.{name} is not defined")))?;
    let bytes = crate::wasmgen::trampoline(module, name, &ty);
    let plan = vec![Plan::Host { module: key.0.clone(), name: key.1.clone() }];
    let id = generated(cx, space, format!("<host {module}.{name}>"), &bytes, plan, Kind::Trampoline)?;
    write_reg(space).trampolines.insert(key, id);
    Ok(id)
}

/// Bind the group's cyclic function imports late.
///
/// A depth-first walk over the group's import edges, from the root, finds the back edges: imports of a
/// module's own exports (PIC modules import them, so they can be interposed) and imports closing a cycle
/// (a library calling back into the main program's libc). Those become [`Plan::LateBound`] imports
/// ([`wasmvm::Func::late_bound`]): the importing module can be instantiated before the function's module
/// is, a call through one is a single wasm call, and the first call on a thread instantiates the target
/// through the store's slot resolver if needed. The remaining edges form a DAG, which every thread
/// instantiates dependencies first.
pub(crate) fn assign_late_bound(group: &mut [Pending]) -> Result<()> {
    #[derive(Clone, Copy, PartialEq)]
    enum Color {
        White,
        Gray,
        Black,
    }
    fn dfs(i: usize, group: &[Pending], color: &mut [Color], back: &mut Vec<(usize, usize)>) -> Result<()> {
        color[i] = Color::Gray;
        for (k, plan) in group[i].plan.iter().enumerate() {
            let (target, is_func) = match plan {
                Plan::Func { module, .. } => (*module, true),
                // A module's GOT entries for its own thread-local symbols are set after instantiation.
                Plan::Tls { module, .. } if *module == group[i].id => continue,
                Plan::Global { module, .. } | Plan::Tls { module, .. } => (*module, false),
                _ => continue,
            };
            let Some(j) = group.iter().position(|p| p.id == target) else { continue };
            match color[j] {
                Color::Gray if is_func => back.push((i, k)),
                Color::Gray => {
                    let imp = &group[i].meta.imports[k];
                    return Err(Error::mismatch(
                        &group[i].found.name,
                        &imp.name,
                        format!("global import from {} forms a cycle", group[j].found.name),
                    ));
                }
                Color::White => dfs(j, group, color, back)?,
                Color::Black => {}
            }
        }
        color[i] = Color::Black;
        Ok(())
    }
    let mut color = vec![Color::White; group.len()];
    let mut back = Vec::new();
    for i in 0..group.len() {
        if color[i] == Color::White {
            dfs(i, group, &mut color, &mut back)?;
        }
    }
    for (i, k) in back {
        let Plan::Func { module, name } = &group[i].plan[k] else { unreachable!("back edges are functions") };
        let provider = group.iter().find(|p| p.id == *module).expect("in group");
        let Some((_, Def::Func { index, ty, .. })) = provider.symbols.iter().find(|(n, _)| n == name) else {
            unreachable!("planned from the provider's symbols")
        };
        group[i].plan[k] = Plan::LateBound { raw: wasmvm::raw_funcref(*module, *index), ty: ty.clone() };
    }
    Ok(())
}
