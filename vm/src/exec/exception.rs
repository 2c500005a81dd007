//! Exceptions: `throw`, `throw_ref`, exceptions thrown by host functions, and the unwinder.
//!
//! Code that does not throw pays nothing: `try_table` emits no instruction. The translator records each
//! `try_table`'s code range and catch clauses in its function's handler table
//! ([`TryRange`](crate::translate::TryRange), innermost ranges first), and only a throw reads it. The
//! unwinder starts at the throwing instruction: it looks for the innermost range of the current function
//! that contains the instruction and tries its clauses in order; if none matches, it pops one frame off the
//! frame stack (the caller's return address lies just past its call instruction, which is inside the
//! caller's ranges) and looks again. It is a loop over the frame stack, like returning, so unwinding
//! through any number of wasm frames uses no host stack. A matching clause writes the exception's values
//! (and, for `_ref` clauses, the `exnref`) into the catching frame's slots where the target label's
//! values go, and execution continues at the label.
//!
//! At the frame that entered wasm from the host the exception leaves the activation as a
//! [`Trap`] carrying it ([`TrapKind::Exception`](crate::TrapKind::Exception)); a host function that
//! returns such a trap (its own, or one a nested wasm call gave it) throws it to its wasm caller (see
//! `call::call_slow`), so exceptions cross host frames too. Traps are never caught.

use super::{Activation, Exit, Fp, Ip, Mem, dispatch, get, mem0, trap};
use crate::error::{Trap, TrapCode};
use crate::ir::isa::*;
use crate::store::{Exception, ExnObject, InstanceEntity};
use crate::translate::CATCH_ALL;
use crate::types::ValType;

#[inline(always)]
pub(crate) unsafe fn throw(p: Throw, ip: Ip, fp: Fp, _mem: Mem, _len: usize, ctx: &mut Activation) -> Exit {
    let target = throw_new(ctx, ip, fp, p.tag, p.args);
    continue_at(target, ctx)
}

#[inline(always)]
pub(crate) unsafe fn throw_ref(p: ThrowRef, ip: Ip, fp: Fp, _mem: Mem, _len: usize, ctx: &mut Activation) -> Exit {
    let exn = get(fp, p.exn);
    if exn == 0 {
        return trap(ctx, ip, TrapCode::NullExceptionReference);
    }
    if (*ctx.store).exns.get(exn).is_none() {
        // Only a reference the host kept across a collection and passed back can be stale.
        return stale(ctx, ip);
    }
    let target = unwind(ctx, ip, fp, exn);
    continue_at(target, ctx)
}

/// Continue at the handler the unwinder found (in frame `ctx.unwind_fp` of `ctx.instance`), or stop: the
/// exception left the activation (`ctx.trap` is set).
#[inline(always)]
unsafe fn continue_at(target: Ip, ctx: &mut Activation) -> Exit {
    if target.is_null() {
        return Exit::Trap;
    }
    let (mem, len) = mem0(ctx.instance);
    dispatch!(target, ctx.unwind_fp, mem, len, ctx)
}

#[cold]
#[inline(never)]
fn stale(ctx: &mut Activation, ip: Ip) -> Exit {
    ctx.trap = Some(Trap::host("exnref to an exception that was collected"));
    ctx.trap_ip = ip;
    Exit::Trap
}

/// When many exceptions have accumulated, free those no value can reach (see `store/exception.rs`).
/// The roots: the store's value stack up to the end of the current frame (`ip`'s function, frame `fp`;
/// every other frame, of this activation or of the ones below it, lies lower), the globals, the
/// exnref tables, and `extra` (the values of an exception about to be stored).
unsafe fn maybe_collect(ctx: &mut Activation, ip: Ip, fp: Fp, extra: &[u64]) {
    if !(*ctx.store).exns.wants_collection() {
        return;
    }
    let Some(stack) = live_stack(ctx, ip, fp) else { return };
    let store = &mut *ctx.store;
    let globals = store.globals.iter().filter(|g| g.ty.content == ValType::ExnRef).map(|g| g.value);
    let tables = store.tables.iter().filter(|t| t.ty().element == ValType::ExnRef);
    let table_values: Vec<u64> = tables.flat_map(|t| (0..t.size()).filter_map(|i| t.get(i))).collect();
    store.exns.collect(stack.iter().copied().chain(globals).chain(table_values).chain(extra.iter().copied()));
}

/// The store's value stack up to the end of the current frame (`ip`'s function, frame `fp`; every other
/// frame, of this activation or of the ones below it, lies lower): every value wasm may still read.
pub(super) unsafe fn live_stack<'a>(ctx: &Activation, ip: Ip, fp: Fp) -> Option<&'a [u64]> {
    let m = &*(*ctx.instance).module.inner;
    let func = m.func_containing(ip)?;
    let enter: Enter = super::operands(func.code.as_ptr());
    let base = (*ctx.store).stack.values_ptr();
    let end = fp.add(enter.frame_size as usize);
    Some(std::slice::from_raw_parts(base, end.offset_from(base) as usize))
}

/// Create the exception of the instance's tag `tag` with the values at `fp[args..]` and unwind.
#[cold]
#[inline(never)]
unsafe fn throw_new(ctx: &mut Activation, ip: Ip, fp: Fp, tag: u32, args: u32) -> Ip {
    let tag = (&(*ctx.instance).tags)[tag as usize].clone();
    let n = tag.ty().param_slots() as usize;
    // The values are in this frame: the collection sees them.
    maybe_collect(ctx, ip, fp, &[]);
    let payload = std::slice::from_raw_parts(fp.add(args as usize), n).into();
    let exn = (*ctx.store).exns.alloc(ExnObject { tag, payload, escaped: false });
    unwind(ctx, ip, fp, exn)
}

/// A host function called by the call instruction at `ip` returned an exception (in `ctx.trap`): throw it
/// in its caller.
#[cold]
#[inline(never)]
pub(super) unsafe fn rethrow_from_host(ip: Ip, fp: Fp, _mem: Mem, _len: usize, ctx: &mut Activation) -> Exit {
    let Some(trap) = ctx.trap.take() else { return Exit::Trap };
    let Some(e) = trap.exception() else {
        ctx.trap = Some(trap);
        return Exit::Trap;
    };
    maybe_collect(ctx, ip, fp, &e.payload);
    let obj = ExnObject { tag: e.tag.clone(), payload: e.payload.clone(), escaped: false };
    let exn = (*ctx.store).exns.alloc(obj);
    let target = unwind(ctx, ip, fp, exn);
    continue_at(target, ctx)
}

/// Find the handler of exception `exn` (an `exnref` value) thrown at `ip` in frame `fp`, popping the frames
/// that do not catch it. Returns the handler's address, with `ctx.unwind_fp` and `ctx.instance` set to its
/// frame; or null when the exception leaves wasm (then `ctx.trap` holds it).
#[cold]
#[inline(never)]
unsafe fn unwind(ctx: &mut Activation, ip: Ip, fp: Fp, exn: u64) -> Ip {
    let (mut ip, mut fp) = (ip, fp);
    loop {
        let target = find_handler(ctx, &*ctx.instance, ip, fp, exn);
        if !target.is_null() {
            ctx.unwind_fp = fp;
            return target;
        }
        let frame = *ctx.frame_sp.sub(1);
        if frame.ip.is_null() {
            // The host entry frame: the exception leaves this activation.
            let heap = &mut (*ctx.store).exns;
            let obj = heap.get(exn).expect("a thrown exception is live");
            let e = Exception { tag: obj.tag.clone(), payload: obj.payload.clone() };
            heap.release(exn);
            ctx.trap = Some(Trap::from_exception(e));
            ctx.trap_ip = std::ptr::null();
            return std::ptr::null();
        }
        ctx.frame_sp = ctx.frame_sp.sub(1);
        // A return address is just past its call: step back into the call instruction.
        ip = frame.ip.wrapping_sub(1);
        fp = frame.fp;
        ctx.switch_to(frame.instance);
    }
}

/// The handler in the function of `instance` containing `ip` that catches exception `exn`, after
/// delivering the exception's values to the frame `fp`; null if that function does not catch it.
unsafe fn find_handler(ctx: &mut Activation, instance: &InstanceEntity, ip: Ip, fp: Fp, exn: u64) -> Ip {
    let m = &*instance.module.inner;
    let Some(func) = m.func_containing(ip) else { return std::ptr::null() };
    if func.handlers.is_empty() {
        return std::ptr::null();
    }
    let start = func.code.as_ptr();
    let at = ip as usize - start as usize;
    let heap = &mut (*ctx.store).exns;
    let obj = heap.get_mut(exn).expect("a thrown exception is live");
    for range in func.handlers.iter().filter(|r| (r.start as usize..r.end as usize).contains(&at)) {
        for c in range.catches.iter() {
            if c.tag != CATCH_ALL && instance.tags[c.tag as usize] != obj.tag {
                continue;
            }
            let mut dst = fp.add(c.dst as usize);
            if c.tag != CATCH_ALL {
                std::ptr::copy_nonoverlapping(obj.payload.as_ptr(), dst, obj.payload.len());
                dst = dst.add(obj.payload.len());
            }
            if c.is_ref {
                obj.escaped = true;
                *dst = exn;
            } else {
                heap.release(exn);
            }
            return start.add(c.target as usize);
        }
    }
    std::ptr::null()
}
