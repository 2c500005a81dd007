//! Instantiating a loaded module in a thread's store.
//!
//! Every thread instantiates each module it uses once, in the module's slot, building the imports from
//! the module's [`Plan`] in its own store: its stack pointer, its instances of the modules it imports
//! from (instantiated first: the plans' edges other than late-bound ones form a DAG), host functions created for it. The
//! loading thread's instantiation initialises memory and table (segments, `__wasm_init_memory`); the others
//! skip that (`init_segments: false`) but still run the start function, which a shared-memory module
//! guards with an atomic flag and which also applies its per-instance global relocations. Then the thread
//! gets its own [TLS](crate::tls) block and, for a non-PIC main program, its own stack.

use wasmvm::{Extern, ExternType, Func, Global, GlobalType, ImportType, Instance, InstanceOptions, Trap, Val, ValType};

use crate::error::{Error, Result};
use crate::layout::RegionKind;
use crate::registry::{CLOSED, Kind, LINKING, Loaded, Plan};
use crate::state::{Ctx, InstState, Made, SpaceInner, module_name, read_reg};
use crate::symbols::ModId;

/// This thread's instance of module `id`, instantiating it (and what it imports from) if needed.
pub(crate) fn ensure_instance<C: Ctx>(cx: &mut C, id: ModId) -> Result<Instance> {
    match cx.thread().instance_state(id) {
        InstState::Ready(i) => return Ok(i),
        InstState::InProgress => {
            return Err(Error::api(format!(
                "{}: import cycle while instantiating (internal loader error)",
                module_name(&cx.thread().space, id)
            )));
        }
        InstState::None => {}
    }
    let space = cx.thread().space.clone();
    let m = read_reg(&space).get(id).cloned().ok_or_else(|| Error::api(format!("no module in slot {id}")))?;
    let tid = cx.thread().tid;
    let first = match m.state() {
        CLOSED => return Err(Error::api(format!("{}: the module was unloaded (dlclose)", m.name))),
        LINKING if m.loader_tid != tid => {
            return Err(Error::api(format!("{}: still being loaded by thread {}", m.name, m.loader_tid)));
        }
        LINKING => true,
        _ => false,
    };
    if !m.add_user(tid) {
        return Err(Error::api(format!("{}: the module was unloaded (dlclose)", m.name)));
    }
    cx.thread_mut().set_instance_state(id, InstState::InProgress);
    match instantiate(cx, &space, &m, first) {
        Ok((inst, fixups)) => {
            cx.thread_mut().set_instance_state(id, InstState::Ready(inst));
            thread_setup(cx, &space, &m, inst, first, fixups)?;
            Ok(inst)
        }
        Err(e) => {
            cx.thread_mut().set_instance_state(id, InstState::None);
            Err(e)
        }
    }
}

/// Build the imports and instantiate; returns the instance and the GOT globals of its own thread-local
/// symbols, to be set once its TLS block exists.
fn instantiate<C: Ctx>(
    cx: &mut C,
    space: &SpaceInner,
    m: &Loaded,
    first: bool,
) -> Result<(Instance, Vec<(Global, u32)>)> {
    let mut imports = Vec::with_capacity(m.plan.len());
    let mut fixups = Vec::new();
    for (imp, plan) in m.meta.imports.iter().zip(&m.plan) {
        match plan {
            Plan::Tls { module, offset } if *module == m.id => {
                let Extern::Global(g) = new_i32(cx, m, imp, 0)? else { unreachable!("a global") };
                fixups.push((g, *offset));
                imports.push(Extern::Global(g));
            }
            _ => imports.push(build_import(cx, space, m, imp, plan)?),
        }
    }
    // What was made here for this instance alone goes when it goes (`retire`); a failed instantiation
    // retires it at once.
    let made = Made {
        globals: m.plan.iter().zip(&imports).filter_map(|(p, e)| made_global(p, e)).collect(),
        funcs: m.plan.iter().zip(&imports).filter_map(|(p, e)| made_func(p, e)).collect(),
    };
    let options = InstanceOptions { slot: Some(m.id), init_segments: first, run_start: true };
    match Instance::new_with(&mut *cx, &m.module, &imports, options) {
        Ok(inst) => {
            cx.thread_mut().made.insert(m.id, made);
            Ok((inst, fixups))
        }
        Err(e) => {
            cx.inner_mut().retire_externs(&made.globals, &made.funcs);
            Err(Error::vm(&m.name, e))
        }
    }
}

/// A global the plan made for this import only (not the thread's stack pointer, not another module's).
fn made_global(plan: &Plan, e: &Extern) -> Option<Global> {
    match (plan, e) {
        (Plan::I32(_) | Plan::Tls { .. }, Extern::Global(g)) => Some(*g),
        _ => None,
    }
}

/// A function the plan made for this import only (host functions are cached per importer: see `retire`).
fn made_func(plan: &Plan, e: &Extern) -> Option<Func> {
    match (plan, e) {
        (Plan::LateBound { .. } | Plan::Missing { .. }, Extern::Func(f)) => Some(*f),
        _ => None,
    }
}

fn global_type(imp: &ImportType) -> GlobalType {
    match imp.ty {
        ExternType::Global(g) => g,
        _ => GlobalType { content: ValType::I32, mutable: false },
    }
}

fn new_i32<C: Ctx>(cx: &mut C, m: &Loaded, imp: &ImportType, v: i32) -> Result<Extern> {
    let ty = global_type(imp);
    let val = match ty.content {
        ValType::I64 => Val::I64(v as i64),
        _ => Val::I32(v),
    };
    Global::new(&mut *cx, ty, val).map(Extern::Global).map_err(|e| Error::vm(&m.name, e))
}

/// Build one import in this thread's store.
fn build_import<C: Ctx>(cx: &mut C, space: &SpaceInner, m: &Loaded, imp: &ImportType, plan: &Plan) -> Result<Extern> {
    match plan {
        Plan::Tag(tag) => Ok(Extern::Tag(tag.clone())),
        Plan::Memory => space.memory_extern().ok_or_else(|| Error::api("the address space has no memory yet")),
        Plan::Table => Ok(Extern::SharedTable(space.table.clone())),
        Plan::I32(v) => new_i32(cx, m, imp, *v),
        Plan::Tls { module, offset } => {
            ensure_instance(cx, *module)?;
            let base = *cx.thread().tls.get(module).ok_or_else(|| {
                Error::mismatch(&m.name, &imp.name, "thread-local symbol of a module without a TLS block")
            })?;
            new_i32(cx, m, imp, base.wrapping_add(*offset) as i32)
        }
        Plan::StackPointer => Ok(Extern::Global(stack_pointer(cx, space)?)),
        Plan::LateBound { raw, ty } => Ok(Extern::Func(Func::late_bound(&mut *cx, *raw, ty))),
        Plan::Func { module, name } => {
            let inst = ensure_instance(cx, *module)?;
            inst.get_func(&*cx, name)
                .map(Extern::Func)
                .ok_or_else(|| Error::mismatch(&m.name, name, "export disappeared"))
        }
        Plan::Global { module, name } => {
            let inst = ensure_instance(cx, *module)?;
            inst.get_global(&*cx, name)
                .map(Extern::Global)
                .ok_or_else(|| Error::mismatch(&m.name, name, "export disappeared"))
        }
        Plan::Host { module, name } => crate::host::func(cx, m.id, module, name)
            .map(Extern::Func)
            .ok_or_else(|| Error::api(format!("host function {module}.{name} is not defined"))),
        Plan::Missing { symbol } => {
            let ExternType::Func(ty) = &imp.ty else { unreachable!("planned from a function import") };
            let msg = format!("{}: call to undefined weak function {symbol}", m.name);
            Ok(Extern::Func(Func::new(&mut *cx, ty.clone(), move |_, _, _| Err(Trap::host(msg.clone())))))
        }
    }
}

/// This thread's `env.__stack_pointer`, with a fresh stack region on first use.
pub(crate) fn stack_pointer<C: Ctx>(cx: &mut C, space: &SpaceInner) -> Result<Global> {
    if let Some(g) = cx.thread().sp {
        return Ok(g);
    }
    let top = alloc_stack(cx, space)?;
    let g = Global::new(&mut *cx, GlobalType { content: ValType::I32, mutable: true }, Val::I32(top as i32))
        .map_err(|e| Error::api(e.to_string()))?;
    cx.thread_mut().sp = Some(g);
    Ok(g)
}

/// A new stack region for this thread; returns its top.
pub(crate) fn alloc_stack<C: Ctx>(cx: &mut C, space: &SpaceInner) -> Result<u32> {
    let tid = cx.thread().tid;
    let size = (space.config.stack_size as u64).next_multiple_of(crate::tls::THREAD_PRIVATE_ALIGN);
    let at = space
        .alloc_region(cx, size, crate::tls::THREAD_PRIVATE_ALIGN, RegionKind::Stack { thread: tid })
        .map_err(|e| Error::layout(&format!("thread {tid}"), format!("stack: {e}")))?;
    cx.thread_mut().owned.push(at);
    Ok(at + size as u32)
}

/// After instantiation: this thread's stack for a non-PIC main program (other than the loading thread's,
/// which uses its static one), and its TLS block; then the module's GOT entries for its own thread-local
/// symbols (`fixups`) get this thread's addresses.
fn thread_setup<C: Ctx>(
    cx: &mut C,
    space: &SpaceInner,
    m: &Loaded,
    inst: Instance,
    first: bool,
    fixups: Vec<(Global, u32)>,
) -> Result<()> {
    if !first && m.kind == Kind::PlainMain {
        let sp = inst.get_global(&*cx, "__stack_pointer").ok_or_else(|| {
            Error::api(format!(
                "{}: a non-PIC main program must export __stack_pointer to run on more than one thread \
                 (link with --export=__stack_pointer)",
                m.name
            ))
        })?;
        let top = alloc_stack(cx, space)?;
        sp.set(&mut *cx, Val::I32(top as i32)).map_err(|e| Error::vm(&m.name, e))?;
    }
    match crate::tls::setup(cx, space, m, inst, first)? {
        Some(base) => {
            cx.thread_mut().tls.insert(m.id, base);
            for (g, offset) in fixups {
                g.set(&mut *cx, Val::I32(base.wrapping_add(offset) as i32)).map_err(|e| Error::vm(&m.name, e))?;
            }
        }
        None if !fixups.is_empty() => {
            return Err(Error::mismatch(&m.name, "GOT.mem", "thread-local symbol of a module without a TLS block"));
        }
        None => {}
    }
    Ok(())
}
