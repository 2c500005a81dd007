//! Unloading: a module's destructors, its symbols, its memory and table slots; and releasing the
//! function-pointer slots of a module whose load failed. The policy (what is no longer used) is
//! [`dl`](crate::dl)'s `dlclose`; this is the mechanism, shared with a load whose constructor failed.

use std::sync::atomic::Ordering;

use crate::instance::ensure_instance;
use crate::registry::Registry;
use crate::state::{Ctx, SpaceInner, read_reg, write_reg};
use crate::symbols::ModId;

/// Unload modules: destructors (if `dtors`), then symbols, memory, table slots.
pub(crate) fn unload<C: Ctx>(cx: &mut C, space: &SpaceInner, ids: &[ModId], dtors: bool) {
    let modules: Vec<_> = {
        let reg = read_reg(space);
        ids.iter().filter_map(|&i| reg.get(i).cloned()).collect()
    };
    if dtors {
        for m in &modules {
            if let Ok(inst) = ensure_instance(cx, m.id)
                && let Some(f) = inst.get_func(&*cx, "__wasm_call_dtors")
                && let Err(e) = f.call(&mut *cx, &[], &mut [])
            {
                log::warn!("{}: destructor failed: {e}", m.name);
            }
        }
    }
    let mut reg = write_reg(space);
    let mut reclaim = Vec::new();
    for m in &modules {
        let users = m.close();
        // The memory goes with the id: once every thread that ran the module's code has left it.
        reclaim.extend(reg.retire(m.id, users, Some(m.memory_base)));
        if reg.by_name.get(&m.name) == Some(&m.id) {
            reg.by_name.remove(&m.name);
        }
        reg.order.retain(|&i| i != m.id);
        release_func_slots(space, &mut reg, m.id, Some(&m.name));
        if m.table_size > 0 {
            space.retire_table(m.table_base, &m.name);
        }
        log::debug!("unloaded {}", m.name);
    }
    reg.rebuild_scope();
    drop(reg);
    for r in reclaim {
        space.free_region(r);
    }
    space.retire_epoch.fetch_add(1, Ordering::Release);
}

/// Release the function-pointer slots of module `id`: quarantined if it was loaded and is now unloaded
/// (`unloaded` is its name), freed at once when its load failed (no pointer to them ever escaped).
pub(crate) fn release_func_slots(space: &SpaceInner, reg: &mut Registry, id: ModId, unloaded: Option<&str>) {
    let slots: Vec<(ModId, u32)> = reg.func_slots.keys().filter(|(m, _)| *m == id).copied().collect();
    for k in slots {
        if let Some(i) = reg.func_slots.remove(&k) {
            match unloaded {
                Some(name) => space.retire_table(i, name),
                None => {
                    space.free_table(i);
                }
            }
        }
    }
}
