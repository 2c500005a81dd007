//! Calls: entering wasm from the host, wasm → wasm calls (direct, imported, indirect), function entry, and
//! wasm → host calls.

use std::sync::Arc;

use super::{Activation, Exit, Fp, Frame, Ip, Mem, after, dispatch, get, mem0, next, operands, run, set, trap};
use crate::error::{Trap, TrapCode};
use crate::ir::isa::*;
use crate::store::{FuncEntry, InstanceEntity, RawHostFn, StoreInner};

#[inline(always)]
pub(crate) unsafe fn enter(p: Enter, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    if fp.add(p.frame_size as usize) > ctx.stack_end {
        return trap(ctx, ip, TrapCode::StackExhausted);
    }
    if zero_locals(fp.add(p.zero_from as usize), p.zero_len) {
        return zero_rest(after::<Enter>(ip), fp, mem, len, ctx);
    }
    dispatch!(after::<Enter>(ip), fp, mem, len, ctx)
}

/// Locals are zeroed in blocks of this many slots; every frame has room for one block after its
/// parameters (the translator pads `frame_size`), so small functions need no loop and no `memset` call.
pub(crate) const ZERO_BLOCK: u32 = 8;

/// Zero the first block of a function's non-parameter locals. Writes a whole block: slots past the
/// locals are the callee's temporaries (garbage until written) and lie inside its checked frame. Returns
/// whether more locals remain (then the caller continues through [`zero_rest`]).
#[inline(always)]
unsafe fn zero_locals(p: *mut u64, n: u32) -> bool {
    p.cast::<[u64; ZERO_BLOCK as usize]>().write_unaligned([0; ZERO_BLOCK as usize]);
    n > ZERO_BLOCK
}

/// Continuation of a call into a function with more than [`ZERO_BLOCK`] locals to zero: `ip` is the
/// callee's first instruction after its `enter`, whose operands (just before `ip`) say which locals. The
/// first block is written; the rest are written in whole blocks too, the last one ending at the last local
/// (it may overlap the one before). Not a `memset` call: for the 9–40 locals of a typical Rust function the
/// call into the C library cost more than the stores (`perf`: `zero_rest` and `memset` 0.7–1.2% of the
/// time of serde_json and nom).
#[cold]
#[inline(never)]
unsafe fn zero_rest(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    let enter = ip.sub(std::mem::size_of::<Enter>()).cast::<Enter>().read_unaligned();
    let (locals, n) = (fp.add(enter.zero_from as usize), enter.zero_len as usize);
    const B: usize = ZERO_BLOCK as usize;
    let mut at = B;
    while at + B < n {
        locals.add(at).cast::<[u64; B]>().write_unaligned([0; B]);
        at += B;
    }
    locals.add(n - B).cast::<[u64; B]>().write_unaligned([0; B]);
    dispatch!(ip, fp, mem, len, ctx)
}

/// Push the caller's frame and continue at `code` in `instance` with the frame starting at `new_fp`.
/// The callee's `enter` is performed here (its operands read from the callee's first instruction), so the
/// call continues directly after it.
macro_rules! call_wasm {
    ($ctx:expr, $ret:expr, $fp:expr, $new_fp:expr, $code:expr, $instance:expr, $mem:expr, $len:expr) => {{
        let code: Ip = $code;
        let enter: Enter = operands(code);
        let new_fp: Fp = $new_fp;
        if $ctx.frame_sp == $ctx.frames_end || new_fp.add(enter.frame_size as usize) > $ctx.stack_end {
            return trap($ctx, ($ret as Ip).wrapping_sub(1), TrapCode::StackExhausted);
        }
        $ctx.frame_sp.write(Frame { ip: $ret, fp: $fp, instance: $ctx.instance });
        $ctx.frame_sp = $ctx.frame_sp.add(1);
        let more = zero_locals(new_fp.add(enter.zero_from as usize), enter.zero_len);
        let (mem, len) = $ctx.enter_instance($instance, $mem, $len);
        if more {
            return zero_rest(after::<Enter>(code), new_fp, mem, len, $ctx);
        }
        dispatch!(after::<Enter>(code), new_fp, mem, len, $ctx)
    }};
}

#[inline(always)]
pub(crate) unsafe fn call_internal(
    p: CallInternal,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    enter_internal(p, next(&p, ip), ip, fp, mem, len, ctx)
}

/// `call_internal` after copying two locals into argument slots. The call itself is [`call_at`], reached
/// by a jump: done here, with the copies' four fields and the call's five, the handler held so many values at
/// once that it saved and restored six registers on every call (a fifth of its `perf` samples sat on those).
#[inline(always)]
pub(crate) unsafe fn call_moves(p: CallMoves, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    let (v1, v2) = (get(fp, p.s1), get(fp, p.s2));
    set(fp, p.d1, v1);
    set(fp, p.d2, v2);
    let call = ip.add(crate::ir::HANDLER_SIZE + std::mem::offset_of!(CallMoves, entry));
    call_at(call, fp, mem, len, ctx, ip as u64)
}

/// The call of a `call_moves` at `ip`, whose `CallInternal` fields are at `call` (its last fields, so the
/// instruction after it follows them). A handler's signature, so that `call_moves` reaches it by a jump.
#[inline(never)]
unsafe fn call_at(call: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation, ip: u64) -> Exit {
    let p = call.cast::<CallInternal>().read_unaligned();
    enter_internal(p, call.add(std::mem::size_of::<CallInternal>()), ip as Ip, fp, mem, len, ctx)
}

/// The work of a call to a function of the same module (`p`), returning to `ret`.
#[inline(always)]
unsafe fn enter_internal(p: CallInternal, ret: Ip, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    let callee_fp = fp.add(p.frame as usize);
    if ctx.frame_sp == ctx.frames_end || callee_fp.add(p.frame_size as usize) > ctx.stack_end {
        return trap(ctx, ip, TrapCode::StackExhausted);
    }
    ctx.frame_sp.write(Frame { ip: ret, fp, instance: ctx.instance });
    ctx.frame_sp = ctx.frame_sp.add(1);
    if zero_locals(callee_fp.add(p.zero_from as usize), p.zero_len) {
        return zero_rest(p.entry as Ip, callee_fp, mem, len, ctx);
    }
    dispatch!(p.entry as Ip, callee_fp, mem, len, ctx)
}

/// Call a resolved function entry. The fast path (a wasm callee) stays in the handler; host functions and
/// late-bound functions leave through the cold [`call_slow`] handler (a tail call), so the fast path needs no
/// saved registers.
macro_rules! call_entry {
    ($ctx:expr, $entry:expr, $ip:expr, $P:ty, $fp:expr, $frame:expr, $mem:expr, $len:expr) => {
        call_entry!($ctx, $entry, std::ptr::null_mut(), $ip, $P, $fp, $frame, $mem, $len)
    };
    ($ctx:expr, $entry:expr, $bind:expr, $ip:expr, $P:ty, $fp:expr, $frame:expr, $mem:expr, $len:expr) => {{
        let e: *const FuncEntry = $entry;
        let args = $fp.add($frame as usize);
        if (*e).code.is_null() {
            $ctx.pending = Pending { entry: e, args, next: after::<$P>($ip), bind: $bind };
            return call_slow($ip, $fp, $mem, $len, $ctx);
        }
        call_wasm!($ctx, after::<$P>($ip), $fp, args, (*e).code, (*e).instance, $mem, $len)
    }};
}

/// A call the fast path handed over to [`call_slow`].
#[derive(Clone, Copy)]
pub(crate) struct Pending {
    pub entry: *const FuncEntry,
    pub args: *mut u64,
    /// The instruction after the call.
    pub next: Ip,
    /// The calling instance's own entry of an imported late-bound function (null otherwise): bound to the
    /// wasm function it resolves to, so later calls through the import are direct.
    pub bind: *mut FuncEntry,
}

impl Pending {
    pub(crate) const NONE: Pending = Pending {
        entry: std::ptr::null(),
        args: std::ptr::null_mut(),
        next: std::ptr::null(),
        bind: std::ptr::null_mut(),
    };
}

/// Calls to host and late-bound functions (see `call_entry!`): `ctx.pending` says what to call.
#[cold]
#[inline(never)]
unsafe fn call_slow(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    let Pending { mut entry, args, next, bind } = ctx.pending;
    if (*entry).host.is_null() {
        entry = resolve_forward(ctx, entry, args);
        if entry.is_null() {
            ctx.trap_ip = ip;
            return Exit::Trap;
        }
        // Binding is for good: a filled slot of a store is never emptied or refilled, and the target's
        // signature was just checked.
        if !bind.is_null() && !(*entry).code.is_null() {
            (*bind).code = (*entry).code;
            (*bind).instance = (*entry).instance;
        }
    }
    if (*entry).code.is_null() {
        if !call_host(ctx, entry, args) {
            ctx.trap_ip = ip;
            if ctx.trap.as_ref().is_some_and(|t| t.exception().is_some()) {
                return super::exception::rethrow_from_host(ip, fp, mem, len, ctx);
            }
            return Exit::Trap;
        }
        let (mem, len) = mem0(ctx.instance);
        // The first result in the accumulator too, as a wasm callee's return hands it over.
        dispatch!(next, fp, mem, len, ctx; *args)
    }
    call_wasm!(ctx, next, fp, args, (*entry).code, (*entry).instance, mem, len)
}

#[inline(always)]
pub(crate) unsafe fn call_import(p: CallImport, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    let e: *mut FuncEntry = (*ctx.instance).funcs.as_mut_ptr().add(p.func as usize);
    call_entry!(ctx, e, e, ip, CallImport, fp, p.frame, mem, len)
}

#[inline(always)]
pub(crate) unsafe fn call_indirect<const T64: bool>(
    p: CallIndirect,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let table = ctx.table(p.table);
    let Some(raw) = table.get(super::table::index::<T64>(get(fp, p.index))) else {
        return trap(ctx, ip, TrapCode::UndefinedElement);
    };
    let Some(e) = (*ctx.store).resolve(raw) else {
        return call_indirect_unresolved::<T64>(ip, fp, mem, len, ctx);
    };
    if e.type_id != p.type_id && !subtype(ctx, e.type_id, p.type_id) {
        return trap(ctx, ip, TrapCode::IndirectCallTypeMismatch);
    }
    let e: *const FuncEntry = e;
    call_entry!(ctx, e, ip, CallIndirect, fp, p.frame, mem, len)
}

/// May a callee of type `actual` be called where type `expected` is required? Asked only when the two
/// differ, so the fast path stays one compare: a declared subtype (GC's `sub`) may.
#[cold]
#[inline(never)]
unsafe fn subtype(ctx: &Activation, actual: u32, expected: u32) -> bool {
    (*ctx.store).engine.is_subtype(actual, expected)
}

/// `call_ref`: call the function a typed reference names; null traps. The signature is known from the
/// reference's type, but checked all the same (one compare): a reference an embedder passed in is only
/// checked for being a function reference.
#[inline(always)]
pub(crate) unsafe fn call_ref(p: CallRef, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    let raw = get(fp, p.func);
    if raw == 0 {
        return trap(ctx, ip, TrapCode::NullFunctionReference);
    }
    let Some(e) = (*ctx.store).resolve(raw) else {
        return call_ref_unresolved(ip, fp, mem, len, ctx);
    };
    if e.type_id != p.type_id && !subtype(ctx, e.type_id, p.type_id) {
        return trap(ctx, ip, TrapCode::IndirectCallTypeMismatch);
    }
    let e: *const FuncEntry = e;
    call_entry!(ctx, e, ip, CallRef, fp, p.frame, mem, len)
}

/// `call_ref` through a reference whose slot is empty in this store (as [`call_indirect_unresolved`]).
#[cold]
#[inline(never)]
unsafe fn call_ref_unresolved(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    let p: CallRef = operands(ip);
    let e = resolve_slot(ctx, get(fp, p.func), fp.add(p.frame as usize), p.type_id);
    if e.is_null() {
        ctx.trap_ip = ip;
        return Exit::Trap;
    }
    if (*e).type_id != p.type_id && !subtype(ctx, (*e).type_id, p.type_id) {
        return trap(ctx, ip, TrapCode::IndirectCallTypeMismatch);
    }
    call_entry!(ctx, e, ip, CallRef, fp, p.frame, mem, len)
}

/// Tail calls (`return_call*`): the callee replaces the caller's frame. The arguments move down to the
/// frame's first slots and the callee starts at its `enter` (which checks the frame and zeroes its locals);
/// no frame is pushed, so tail recursion runs in constant frame and host stack. The callee returns straight
/// to the caller's caller, its results in the slots where the caller's own results belong.
/// Tail calls move at most this many argument slots inline; more go through a cold handler (a `memmove`
/// call in the hot handler would make it save registers on every tail call).
const INLINE_ARGS: u32 = 4;

/// Move `nargs <= INLINE_ARGS` argument slots from `fp[frame..]` down to `fp[0..]`. The arguments sit above
/// the frame's start (`frame > 0`), so an upward copy reads each slot before it is overwritten.
#[inline(always)]
unsafe fn move_few_args(fp: Fp, frame: u32, nargs: u32) {
    let src = fp.add(frame as usize);
    for i in 0..nargs.min(INLINE_ARGS) as usize {
        fp.add(i).write(src.add(i).read());
    }
}

/// Tail call of a function of the same module: the arguments move down, then the callee's `enter` is
/// performed here (as `call_internal` does: `p` carries its operands), so the callee starts after it.
#[inline(always)]
pub(crate) unsafe fn return_call_internal(
    p: ReturnCallInternal,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    if fp.add(p.frame_size as usize) > ctx.stack_end {
        return trap(ctx, ip, TrapCode::StackExhausted);
    }
    if p.nargs > INLINE_ARGS {
        return return_call_internal_many(ip, fp, mem, len, ctx);
    }
    move_few_args(fp, p.frame, p.nargs);
    if zero_locals(fp.add(p.zero_from as usize), p.zero_len) {
        return zero_rest(p.entry as Ip, fp, mem, len, ctx);
    }
    dispatch!(p.entry as Ip, fp, mem, len, ctx)
}

/// `return_call_internal` with more than [`INLINE_ARGS`] argument slots.
#[cold]
#[inline(never)]
unsafe fn return_call_internal_many(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    let p: ReturnCallInternal = operands(ip);
    std::ptr::copy(fp.add(p.frame as usize), fp, p.nargs as usize);
    if zero_locals(fp.add(p.zero_from as usize), p.zero_len) {
        return zero_rest(p.entry as Ip, fp, mem, len, ctx);
    }
    dispatch!(p.entry as Ip, fp, mem, len, ctx)
}

/// Tail call of an import: a wasm function (of any instance) replaces the frame; a host or late-bound one
/// is called as by `call_import`, and the translator's return sequence after this instruction returns its
/// results.
#[inline(always)]
pub(crate) unsafe fn return_call_import(
    p: CallImport,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let e: *const FuncEntry = (*ctx.instance).funcs.as_ptr().add(p.func as usize);
    if (*e).code.is_null() {
        return call_import(p, ip, fp, mem, len, ctx);
    }
    tail_to(e, p.frame, p.nargs, fp, mem, len, ctx)
}

/// Tail call through a table: as `return_call_import`, falling back to `call_indirect` for host, late-bound
/// and not yet instantiated functions (and for its traps).
#[inline(always)]
pub(crate) unsafe fn return_call_indirect<const T64: bool>(
    p: CallIndirect,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let table = ctx.table(p.table);
    if let Some(raw) = table.get(super::table::index::<T64>(get(fp, p.index)))
        && let Some(e) = (*ctx.store).resolve(raw)
        && (e.type_id == p.type_id || subtype(ctx, e.type_id, p.type_id))
        && !e.code.is_null()
    {
        let e: *const FuncEntry = e;
        return tail_to(e, p.frame, p.nargs, fp, mem, len, ctx);
    }
    call_indirect::<T64>(p, ip, fp, mem, len, ctx)
}

/// Tail call through a typed reference: as `return_call_indirect`, falling back to `call_ref`.
#[inline(always)]
pub(crate) unsafe fn return_call_ref(p: CallRef, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    let raw = get(fp, p.func);
    if raw != 0
        && let Some(e) = (*ctx.store).resolve(raw)
        && (e.type_id == p.type_id || subtype(ctx, e.type_id, p.type_id))
        && !e.code.is_null()
    {
        let e: *const FuncEntry = e;
        return tail_to(e, p.frame, p.nargs, fp, mem, len, ctx);
    }
    call_ref(p, ip, fp, mem, len, ctx)
}

/// Continue in wasm function `e` in place of the current frame.
#[inline(always)]
unsafe fn tail_to(
    e: *const FuncEntry,
    frame: u32,
    nargs: u32,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    if nargs > INLINE_ARGS {
        return tail_to_many(e, (frame as u64) << 32 | nargs as u64, fp, mem, len, ctx);
    }
    move_few_args(fp, frame, nargs);
    continue_in(e, fp, mem, len, ctx)
}

/// Run wasm function `e` in the frame at `fp`, whose arguments are in place (switching to its instance's
/// memory 0 if it belongs to another instance).
#[inline(always)]
unsafe fn continue_in(e: *const FuncEntry, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    let (mem, len) = ctx.enter_instance((*e).instance, mem, len);
    dispatch!((*e).code, fp, mem, len, ctx)
}

/// [`tail_to`] with more than [`INLINE_ARGS`] argument slots (`frame` and `nargs` packed into one
/// register, so that this is a sibling call).
#[cold]
#[inline(never)]
unsafe fn tail_to_many(
    e: *const FuncEntry,
    frame_nargs: u64,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let (frame, nargs) = ((frame_nargs >> 32) as usize, frame_nargs as u32 as usize);
    std::ptr::copy(fp.add(frame), fp, nargs);
    continue_in(e, fp, mem, len, ctx)
}

/// `call_indirect` through a reference whose slot is empty in this store: fill it through the slot resolver
/// (or trap), then call.
#[cold]
#[inline(never)]
unsafe fn call_indirect_unresolved<const T64: bool>(
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let p: CallIndirect = operands(ip);
    let table = ctx.table(p.table);
    let raw = table.get(super::table::index::<T64>(get(fp, p.index))).unwrap_or(0);
    let e = resolve_slot(ctx, raw, fp.add(p.frame as usize), p.type_id);
    if e.is_null() {
        ctx.trap_ip = ip;
        return Exit::Trap;
    }
    if (*e).type_id != p.type_id && !subtype(ctx, (*e).type_id, p.type_id) {
        return trap(ctx, ip, TrapCode::IndirectCallTypeMismatch);
    }
    call_entry!(ctx, e, ip, CallIndirect, fp, p.frame, mem, len)
}

/// A funcref names a slot that is empty in this store: let the store's slot resolver fill it (the loader
/// instantiates the module another thread loaded), then resolve again. Null (with `ctx.trap` set) on failure.
///
/// Like every out-of-line helper of a handler, it returns a register-sized value: a large return value
/// would live in the handler's stack frame and stop the handler's final dispatch from being a tail call.
#[cold]
#[inline(never)]
unsafe fn resolve_slot(ctx: &mut Activation, raw: u64, args: *mut u64, type_id: u32) -> *const FuncEntry {
    match resolve_slot_inner(ctx, raw, args, type_id) {
        Ok(e) => e,
        Err(t) => {
            ctx.trap = Some(t);
            std::ptr::null()
        }
    }
}

unsafe fn resolve_slot_inner(
    ctx: &mut Activation,
    raw: u64,
    args: *mut u64,
    type_id: u32,
) -> Result<*const FuncEntry, Trap> {
    let store = ctx.store;
    let Some(slot) = (*store).needs_resolver(raw) else { return Err(Trap::new(TrapCode::UninitializedElement)) };
    let resolver = (*store).slot_resolver.clone().expect("checked by needs_resolver");
    let ty = (*store).engine.func_type(type_id);
    let n = ty.call_slots();
    let stack = &raw mut (*store).stack;
    let saved = ((*stack).values_top, (*stack).frames_top);
    (*stack).values_top = args.add(n).offset_from((*stack).values_ptr()) as usize;
    (*stack).frames_top = ctx.frame_sp.offset_from((*stack).frames_ptr()) as usize;
    let r = resolver(store, slot);
    (*stack).values_top = saved.0;
    (*stack).frames_top = saved.1;
    r?;
    match (*store).resolve(raw) {
        Some(e) => Ok(e),
        None => Err(Trap::new(TrapCode::UninitializedElement)),
    }
}

/// A late-bound function: resolve the reference it forwards to (like `call_indirect`, filling an empty slot
/// through the resolver) and check the signature. Null (with `ctx.trap` set) on failure.
#[cold]
#[inline(never)]
unsafe fn resolve_forward(ctx: &mut Activation, e: *const FuncEntry, args: *mut u64) -> *const FuncEntry {
    let type_id = (*e).type_id;
    let mut e = e;
    // Forwarders may forward to forwarders; a cycle is cut off.
    for _ in 0..64 {
        let raw = (*e).forward;
        let target = match (*ctx.store).resolve(raw) {
            Some(t) => t as *const FuncEntry,
            None => resolve_slot(ctx, raw, args, type_id),
        };
        if target.is_null() {
            return target;
        }
        if (*target).type_id != type_id && !subtype(ctx, (*target).type_id, type_id) {
            ctx.trap = Some(Trap::new(TrapCode::IndirectCallTypeMismatch));
            return std::ptr::null();
        }
        if !(*target).code.is_null() || !(*target).host.is_null() {
            return target;
        }
        e = target;
    }
    ctx.trap = Some(Trap::new(TrapCode::UninitializedElement));
    std::ptr::null()
}

/// Call a host function with its arguments (and room for its results) at `args`. Returns false (with
/// `ctx.trap` set) if it trapped; a `bool`, not a `Result`, so the calling handler still ends in a tail call.
#[inline(never)]
unsafe fn call_host(ctx: &mut Activation, e: *const FuncEntry, args: *mut u64) -> bool {
    let host = &*(*e).host;
    let n = host.ty.call_slots();
    let store = ctx.store;
    let stack = &raw mut (*store).stack;
    let saved = ((*stack).values_top, (*stack).frames_top);
    (*stack).values_top = args.add(n).offset_from((*stack).values_ptr()) as usize;
    (*stack).frames_top = ctx.frame_sp.offset_from((*stack).frames_ptr()) as usize;
    // No reference count is taken: the host function lives as long as the store (a vacated slot's entity
    // is kept until the store is dropped), and a `Linker`'s host function is shared by every store made from it, so bumping its count
    // on every call would bounce one cache line between all the threads calling it.
    let func: *const RawHostFn = Arc::as_ptr(&host.func);
    let r = (*func)(store, ctx.instance, std::slice::from_raw_parts_mut(args, n));
    (*stack).values_top = saved.0;
    (*stack).frames_top = saved.1;
    match r {
        Ok(()) => true,
        Err(t) => {
            ctx.trap = Some(t);
            false
        }
    }
}

/// Call `entry` from the host with arguments in `slots` (which must have room for the results, which
/// replace them).
///
/// # Safety
/// `store` must be the live store that `entry` was resolved in, not otherwise borrowed.
pub(crate) unsafe fn invoke(store: *mut StoreInner, entry: &FuncEntry, slots: &mut [u64]) -> Result<(), Trap> {
    let mut entry = entry;
    let mut hops = 0;
    while entry.code.is_null() && entry.host.is_null() {
        // A late-bound function: resolve its target (filling the slot through the resolver if needed).
        let raw = entry.forward;
        if (*store).resolve(raw).is_none()
            && let Some(slot) = (*store).needs_resolver(raw)
        {
            let resolver = (*store).slot_resolver.clone().expect("checked by needs_resolver");
            resolver(store, slot)?;
        }
        let target: *const FuncEntry = match (*store).resolve(raw) {
            Some(t) => t,
            None => return Err(Trap::new(TrapCode::UninitializedElement)),
        };
        if (*target).type_id != entry.type_id && !(*store).engine.is_subtype((*target).type_id, entry.type_id) {
            return Err(Trap::new(TrapCode::IndirectCallTypeMismatch));
        }
        entry = &*target;
        hops += 1;
        if hops > 64 {
            return Err(Trap::new(TrapCode::UninitializedElement));
        }
    }
    if entry.code.is_null() {
        let host = &*entry.host;
        let func: *const RawHostFn = Arc::as_ptr(&host.func);
        return (*func)(store, std::ptr::null_mut(), slots);
    }
    let stack = &raw mut (*store).stack;
    (*stack).ensure();
    if (*stack).depth >= (*stack).max_depth || !native_stack::has_headroom() {
        return Err(Trap::new(TrapCode::StackExhausted));
    }
    let base = (*stack).values_top;
    let n = slots.len();
    let values = (*stack).values_ptr();
    let values_len = (*stack).values_len();
    let frames = (*stack).frames_ptr();
    let frames_len = (*stack).frames_len();
    let ftop = (*stack).frames_top;
    if base + n + 1 > values_len || ftop + 2 > frames_len {
        return Err(Trap::new(TrapCode::StackExhausted));
    }
    let fp = values.add(base);
    std::ptr::copy_nonoverlapping(slots.as_ptr(), fp, n);
    frames.add(ftop).write(Frame { ip: std::ptr::null(), fp: std::ptr::null_mut(), instance: std::ptr::null_mut() });
    // `switch_to` below fills the instance and what is cached from it.
    let mut ctx = Activation {
        instance: std::ptr::null_mut(),
        globals: std::ptr::null(),
        tables: std::ptr::null(),
        store,
        frame_sp: frames.add(ftop + 1),
        frames_end: frames.add(frames_len),
        stack_end: values.add(values_len),
        interrupt: std::sync::Arc::as_ptr(&(*store).interrupt.flag),
        fuel: std::sync::Arc::as_ptr(&(*store).fuel.remaining),
        pending: Pending::NONE,
        trap: None,
        trap_ip: std::ptr::null(),
        unwind_fp: std::ptr::null_mut(),
        #[cfg(not(wasmvm_tail))]
        regs: super::Regs { ip: std::ptr::null(), fp, mem: std::ptr::null_mut(), len: 0, acc: 0 },
    };
    ctx.switch_to(entry.instance);
    (*stack).depth += 1;
    let exit = run(&mut ctx, entry.code, fp);
    (*stack).depth -= 1;
    match exit {
        Exit::Return => {
            std::ptr::copy_nonoverlapping(fp, slots.as_mut_ptr(), n);
            Ok(())
        }
        _ => {
            let mut trap = ctx.trap.take().unwrap_or_else(|| Trap::host("execution stopped without a reason"));
            if trap.exit_status().is_none() {
                trap.push_frames(backtrace(&ctx));
            }
            Err(trap)
        }
    }
}

/// The wasm frames of a trapped activation, innermost first: the trapping instruction, then each caller
/// on the frame stack down to the host entry. Runs only on the trap path.
#[cold]
unsafe fn backtrace(ctx: &Activation) -> Vec<crate::error::FrameInfo> {
    let mut raw = Vec::new();
    if !ctx.trap_ip.is_null() {
        raw.push((ctx.instance as *const InstanceEntity, ctx.trap_ip));
    }
    let mut sp = ctx.frame_sp;
    loop {
        sp = sp.sub(1);
        let f = *sp;
        if f.ip.is_null() {
            break;
        }
        // A return address is just past its call: step back into the call instruction.
        raw.push((f.instance as *const InstanceEntity, f.ip.wrapping_sub(1)));
    }
    raw.into_iter().filter_map(|(instance, ip)| frame_info(&*instance, ip)).collect()
}

/// The function of `instance` whose code contains `ip`, and the wasm instruction at `ip`.
fn frame_info(instance: &InstanceEntity, ip: Ip) -> Option<crate::error::FrameInfo> {
    let m = &*instance.module.inner;
    let addr = ip as usize;
    m.code.iter().enumerate().find_map(|(i, c)| {
        let start = c.code.as_ptr() as usize;
        (start..start + c.code.len()).contains(&addr).then(|| {
            let func_index = m.num_imported_funcs + i as u32;
            crate::error::FrameInfo {
                module: m.name.clone(),
                func_index,
                func_name: m.func_names.get(&func_index).cloned(),
                offset: crate::ir::wasm_offset_at(&c.offsets, addr - start),
            }
        })
    })
}

/// How much host stack is left: host → wasm → host → wasm re-entry nests native frames, so each entry into
/// wasm checks that a safe margin remains, whatever the thread's stack size.
mod native_stack {
    use std::cell::Cell;

    /// Refuse to enter wasm with less than this much host stack left.
    const HEADROOM: usize = 32 * 1024;

    thread_local! {
        static LOW: Cell<usize> = const { Cell::new(0) };
    }

    /// Lowest usable address of the current thread's stack (0 if unknown).
    fn low() -> usize {
        LOW.with(|l| {
            if l.get() == 0 {
                l.set(query().unwrap_or(1));
            }
            l.get()
        })
    }

    #[cfg(target_os = "linux")]
    fn query() -> Option<usize> {
        // SAFETY: plain libc queries of the calling thread's attributes.
        unsafe {
            let mut attr: libc::pthread_attr_t = std::mem::zeroed();
            if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
                return None;
            }
            let mut addr: *mut libc::c_void = std::ptr::null_mut();
            let mut size: libc::size_t = 0;
            let r = libc::pthread_attr_getstack(&attr, &mut addr, &mut size);
            libc::pthread_attr_destroy(&mut attr);
            (r == 0).then_some(addr as usize)
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn query() -> Option<usize> {
        None
    }

    pub(super) fn has_headroom() -> bool {
        let marker = 0u8;
        let here = std::hint::black_box(&marker) as *const u8 as usize;
        let low = low();
        low <= 1 || here.saturating_sub(low) > HEADROOM
    }
}
