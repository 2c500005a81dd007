//! `dlopen`, `dlsym`, `dlclose`, `dlerror`: the loader as the running program sees it.
//!
//! The same operations serve the Rust API ([`Thread`](crate::Thread)) and wasm (the `wasmvm.*`/`env.*`
//! host functions of the loader's built-ins, declared for C in `include/wasmvm.h`). A module loaded
//! by any thread is at once visible to all: its symbols join the global scope, and other threads
//! instantiate it when they first reach it. This is a facade: loading is the `link` module's,
//! the mechanics of unloading the `unload` module's; here are the policies (flags, reference
//! counts, what is still reachable) and the symbol lookup's answer ([`Symbol`]).
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
use crate::instance::ensure_instance;
use crate::link::{self, LoadOptions, lookup};
use crate::registry::READY;
use crate::search::{Requester, Source};
use crate::state::{Ctx, read_reg};
use crate::symbols::{Def, ModId};
use crate::unload::unload;

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
    crate::retire::vacate_retired(cx);
    Ok(())
}

/// A resolved symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symbol {
    /// A function: its table index (a C function pointer) and its funcref slot's module.
    Func {
        /// The function's index in the shared table: the value of a C function pointer to it.
        table_index: u32,
    },
    /// Data at this address (for a thread-local symbol, the calling thread's copy).
    Data {
        /// The address in the shared memory.
        addr: u32,
    },
}

/// `dlsym`: a function's table index, or a data symbol's address (this thread's copy if thread-local).
pub(crate) fn dlsym<C: Ctx>(cx: &mut C, handle: Option<ModId>, name: &str) -> Result<Symbol> {
    let space = cx.thread().space.clone();
    let def = match lookup(cx, handle, name) {
        Ok(def) => def,
        // The global scope ends with the host functions.
        Err(_) if handle.is_none() && crate::host::defined(&space, "env", name) => {
            let id = crate::plan::trampoline(cx, &space, "env", name)?;
            return Ok(Symbol::Func { table_index: crate::plan::func_slot(&space, id, 0, name)? });
        }
        Err(e) => return Err(e),
    };
    match def {
        Def::Func { module, index, .. } => {
            Ok(Symbol::Func { table_index: crate::plan::func_slot(&space, module, index, name)? })
        }
        Def::Data { addr, .. } => Ok(Symbol::Data { addr }),
        Def::Tls { module, offset } => {
            ensure_instance(cx, module)?;
            let base = cx
                .thread()
                .tls
                .get(&module)
                .copied()
                .ok_or_else(|| Error::api(format!("{name}: no TLS block on this thread")))?;
            Ok(Symbol::Data { addr: base.wrapping_add(offset) })
        }
        Def::Global { .. } => Err(Error::api(format!("{name}: is a wasm global, not an address"))),
    }
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
                .alloc_region(cx, DLERROR_BUF, 1, crate::layout::RegionKind::ThreadData { thread: tid })
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
