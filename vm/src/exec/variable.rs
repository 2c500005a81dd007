//! Globals and function references.

use super::{Activation, Exit, Fp, Ip, Mem, dispatch, get, next, set};
use crate::ir::isa::*;

#[inline(always)]
unsafe fn global(ctx: &Activation, index: u32) -> *mut u64 {
    *(*ctx.instance).globals.as_ptr().add(index as usize)
}

#[inline(always)]
pub(crate) unsafe fn global_get(p: GlobalGet, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    set(fp, p.dst, *global(ctx, p.global));
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn global_set(p: GlobalSet, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    *global(ctx, p.global) = get(fp, p.src);
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

#[inline(always)]
pub(crate) unsafe fn ref_func(p: RefFunc, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    set(fp, p.dst, (*(*ctx.instance).funcs.as_ptr().add(p.func as usize)).raw);
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}
