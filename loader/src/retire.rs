//! Retiring unloaded modules' ids: each thread vacates, in its own store, the slots of the modules
//! unloaded since it last looked (see [`dl`](crate::dl)).

use crate::state::{Ctx, InstState, read_reg, write_reg};
use crate::symbols::ModId;

/// Vacate, in this thread's store, the slots of unloaded modules it had instantiated (see
/// [`dl`](crate::dl)): the slot is emptied, this thread's TLS block of the module freed, its per-thread
/// state forgotten; the last thread to do so lets the id be recycled. One atomic load when nothing was
/// unloaded since the last time.
pub(crate) fn vacate_retired<C: Ctx>(cx: &mut C) {
    // Instances vacated earlier are freed once no wasm runs on this thread (a call from the host).
    cx.inner_mut().release_vacated();
    let epoch = cx.thread().space.retire_epoch.load(std::sync::atomic::Ordering::Acquire);
    if epoch == cx.thread().seen_epoch {
        return;
    }
    let space = cx.thread().space.clone();
    let tid = cx.thread().tid;
    let ids: Vec<(ModId, bool)> = {
        let reg = read_reg(&space);
        let emscripten =
            |id: ModId| reg.get(id).is_some_and(|m| m.module.exports().any(|e| e.name == "emscripten_tls_init"));
        reg.retired.iter().filter(|(_, users)| users.contains(&tid)).map(|(&id, _)| (id, emscripten(id))).collect()
    };
    // A module this thread is still executing in (a caller frame in its code, or the instance calling the
    // loader now) is left for a later call: its slot, TLS block and memory stay until the thread leaves it.
    let running = cx.executing_slot();
    let before = ids.len();
    let ids: Vec<(ModId, bool)> =
        ids.into_iter().filter(|&(id, _)| Some(id) != running && !cx.inner_mut().slot_on_stack(id)).collect();
    let deferred = ids.len() < before;
    for &(id, emscripten) in &ids {
        cx.inner_mut().vacate_slot(id);
        let t = cx.thread_mut();
        t.set_instance_state(id, InstState::None);
        // What was made in this store for its imports is released with it (see `Made`).
        let made = t.made.remove(&id).unwrap_or_default();
        let mut funcs = made.funcs;
        t.host.retain(|k, f| {
            let keep = k.0 != id;
            if !keep {
                funcs.push(*f);
            }
            keep
        });
        cx.inner_mut().retire_externs(&made.globals, &funcs);
        let t = cx.thread_mut();
        let Some(block) = t.tls.remove(&id) else { continue };
        if let Some(i) = t.owned.iter().position(|&b| b == block) {
            // A wasm-ld module's block, from the layout.
            t.owned.swap_remove(i);
            space.free_region(block);
        } else if emscripten {
            // `emscripten_tls_init` took it from `emscripten_builtin_memalign`: the built-in heap, unless
            // a module defined its own allocator (then the heap refuses the address, and it stays).
            let _ = space.heap.free(cx, block);
        }
    }
    if !ids.is_empty() {
        let mut reg = write_reg(&space);
        let reclaim: Vec<u32> = ids.iter().filter_map(|&(id, _)| reg.release(id, tid)).collect();
        drop(reg);
        for r in reclaim {
            space.free_region(r);
        }
    }
    cx.inner_mut().release_vacated();
    if !deferred {
        cx.thread_mut().seen_epoch = epoch;
    }
}
