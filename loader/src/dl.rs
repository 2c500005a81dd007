//! `dlopen`, `dlsym`, `dlclose`, `dlerror`: the loader as the running program sees it.
//!
//! The same operations serve the Rust API ([`Thread`](crate::Thread)) and wasm (the `wasmvm.*`/`env.*`
//! host functions of the loader's built-ins, declared for C in `include/wasmvm.h`). A module loaded
//! by any thread is at once visible to all: its symbols join the global scope, and other threads
//! instantiate it when they first reach it.
//!
//! **Unloading** follows ELF: a module stays loaded while it is `dlopen`ed or used by a loaded module
//! (through `NEEDED` or because it defines a symbol another module imported). `dlclose` drops one
//! reference and then unloads every module no longer reachable from a referenced one (mark and sweep, so
//! cycles — a library calling back into the program — are no obstacle): it calls `__wasm_call_dtors` if
//! exported, removes the module's symbols, and quarantines its table slots with tombstones, so a stale
//! function pointer traps naming the module instead of running freed code or the slot's next occupant. Its
//! id (its funcref slot in every store) is *retired*: each thread that instantiated it vacates the slot in
//! its own store at its next loader call (dlopen, dlclose, malloc, a call through
//! [`Thread`](crate::Thread), a call into a module it has not instantiated yet) made while it is not
//! executing in the module, or when it ends, also freeing its TLS block of the module (from the layout, or
//! an Emscripten block from the built-in heap); once all have, the id is recycled for a new module and the
//! module's memory region is reclaimed (so no thread still running its code writes into a later module). So loading and unloading can go on forever, and a function pointer into a new
//! module never reaches an old module's instance.

use std::collections::HashSet;
use std::sync::atomic::Ordering;

use crate::error::{Error, Result};
use crate::link::{self, read_reg, write_reg};
use crate::registry::READY;
use crate::space::SpaceInner;
use crate::symbols::ModId;
use crate::thread::Ctx;
use crate::{LoadOptions, Requester, Source};

// `dlopen` flags, with glibc's values so that C code built against any `dlfcn.h` passes the same bits.

/// Resolve symbols when first used; accepted, but the loader always binds everything at load time.
pub const RTLD_LAZY: i32 = 0x1;
/// Resolve every symbol at load time (what the loader always does).
pub const RTLD_NOW: i32 = 0x2;
/// Do not load: return the module only if it is already loaded.
pub const RTLD_NOLOAD: i32 = 0x4;
/// Add the module's symbols to the global scope, where later modules' imports find them.
pub const RTLD_GLOBAL: i32 = 0x100;
/// Keep the module's symbols out of the global scope (reachable through `dlsym` on its handle only).
pub const RTLD_LOCAL: i32 = 0;
/// Never unload the module, even after its last `dlclose`.
pub const RTLD_NODELETE: i32 = 0x1000;

/// The handle of `dlopen(NULL)`: the global scope.
pub const GLOBAL_HANDLE: u32 = u32::MAX;

/// `dlopen(name, flags)` on behalf of module `requester` (its directory and runtime path are searched).
pub(crate) fn dlopen<C: Ctx>(
    cx: &mut C,
    requester: Option<ModId>,
    who: Requester,
    name: &str,
    flags: i32,
) -> Result<ModId> {
    let opts = LoadOptions {
        global: flags & RTLD_GLOBAL != 0,
        nodelete: flags & RTLD_NODELETE != 0,
        noload: flags & RTLD_NOLOAD != 0,
        ..Default::default()
    };
    link::load(cx, Source::Name(name.to_string()), &opts, requester, who)
}

/// Drop one `dlopen` reference to `id` and unload what is no longer used.
pub(crate) fn dlclose<C: Ctx>(cx: &mut C, id: ModId) -> Result<()> {
    let space = cx.thread().space.clone();
    let _guard = space.load_lock.lock(cx.thread().tid);
    let dead = {
        let reg = read_reg(&space);
        let m = reg.get(id).filter(|m| m.state() == READY).ok_or_else(|| Error::api("dlclose: invalid handle"))?;
        let refs = m.refs.load(Ordering::Relaxed);
        if refs == 0 {
            return Err(Error::api(format!("dlclose: {} was not opened", m.name)));
        }
        m.refs.store(refs - 1, Ordering::Relaxed);
        // Mark: everything reachable from a referenced module.
        let mut live = HashSet::new();
        let mut stack: Vec<ModId> = reg
            .order
            .iter()
            .copied()
            .filter(|&i| {
                reg.get(i).is_some_and(|m| m.refs.load(Ordering::Relaxed) > 0 || m.nodelete.load(Ordering::Relaxed))
            })
            .collect();
        while let Some(i) = stack.pop() {
            if live.insert(i)
                && let Some(m) = reg.get(i)
            {
                stack.extend(m.deps.iter().copied());
            }
        }
        // Sweep, dependents first (reverse load order).
        reg.order.iter().rev().copied().filter(|i| !live.contains(i)).collect::<Vec<_>>()
    };
    unload(cx, &space, &dead, true);
    drop(_guard);
    crate::thread::vacate_retired(cx);
    Ok(())
}

/// Unload modules: destructors (if `dtors`), then symbols, memory, table slots.
pub(crate) fn unload<C: Ctx>(cx: &mut C, space: &SpaceInner, ids: &[ModId], dtors: bool) {
    let modules: Vec<_> = {
        let reg = read_reg(space);
        ids.iter().filter_map(|&i| reg.get(i).cloned()).collect()
    };
    if dtors {
        for m in &modules {
            if let Ok(inst) = crate::instance::ensure_instance(cx, m.id)
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
        link::release_func_slots(space, &mut reg, m.id, Some(&m.name));
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

/// Record an error for `dlerror`.
pub(crate) fn set_error<C: Ctx>(cx: &mut C, e: &Error) {
    log::debug!("thread {}: {e}", cx.thread().tid);
    cx.thread_mut().dlerror = Some(e.guest_message());
}

/// Size of each thread's `dlerror` buffer in wasm memory.
const DLERROR_BUF: u64 = 512;

/// `dlerror()`: the last error as a C string in this thread's buffer (0 if none), clearing it.
pub(crate) fn dlerror<C: Ctx>(cx: &mut C) -> Result<u32> {
    let Some(msg) = cx.thread_mut().dlerror.take() else { return Ok(0) };
    let space = cx.thread().space.clone();
    let buf = match cx.thread().dlerror_buf {
        Some(b) => b,
        None => {
            let tid = cx.thread().tid;
            let b = space
                .alloc_region(cx, DLERROR_BUF, 1, crate::RegionKind::ThreadData { thread: tid })
                .map_err(|e| Error::api(format!("no memory for dlerror: {e}")))?;
            cx.thread_mut().owned.push(b);
            cx.thread_mut().dlerror_buf = Some(b);
            b
        }
    };
    let mut bytes: Vec<u8> = msg.into_bytes();
    bytes.truncate(DLERROR_BUF as usize - 1);
    bytes.push(0);
    space.write(cx, buf as u64, &bytes);
    Ok(buf)
}
