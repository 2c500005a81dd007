//! Globals and function references.

use super::{Activation, Exit, Fp, Ip, Mem, dispatch, get, next, set};
use crate::ir::isa::*;

#[inline(always)]
unsafe fn global(ctx: &Activation, index: u32) -> *mut u64 {
    *ctx.globals.add(index as usize)
}

#[inline(always)]
pub(crate) unsafe fn global_get(p: GlobalGet, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    let v = *global(ctx, p.global);
    set(fp, p.dst, v);
    dispatch!(next(&p, ip), fp, mem, len, ctx; v)
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn global_set<const ACC_IN: bool>(
    p: GlobalSet,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
    acc: u64,
) -> Exit {
    *global(ctx, p.global) = if ACC_IN { acc } else { get(fp, p.src) };
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn global_set_imm(
    p: GlobalSetImm,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    *global(ctx, p.global) = p.value;
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

/// `global.get`/`i32.sub`/`local.tee`/`global.set` (`FROM_GLOBAL`) or `i32.add`/`global.set` in one
/// dispatch (`translate::ops` `global_add`). The result is handed over in the accumulator.
#[inline(always)]
pub(crate) unsafe fn global_add<const FROM_GLOBAL: bool>(
    p: GlobalAdd,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let g = global(ctx, p.global);
    let base = if FROM_GLOBAL { *g } else { get(fp, p.a) };
    let v = (base as u32).wrapping_add(p.imm) as u64;
    set(fp, p.dst, v);
    *g = v;
    dispatch!(next(&p, ip), fp, mem, len, ctx; v)
}

#[inline(always)]
pub(crate) unsafe fn ref_func(p: RefFunc, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    set(fp, p.dst, (*(*ctx.instance).funcs.as_ptr().add(p.func as usize)).raw);
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

/// A `v128` global: its cell's `value` and `hi` fields (see `store::GlobalCell`).
#[inline(always)]
pub(crate) unsafe fn global_get_v128(p: GlobalGet, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    let g = global(ctx, p.global);
    set(fp, p.dst, *g);
    set(fp, p.dst + 1, *g.add(1));
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn global_set_v128(p: GlobalSet, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    let g = global(ctx, p.global);
    *g = get(fp, p.src);
    *g.add(1) = get(fp, p.src + 1);
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}
