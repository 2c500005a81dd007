//! Globals and function references.

use super::{Ctx, Exit, Fp, Ip, Mem, after, dispatch, get, operands, set};
use crate::ir::Slot;

#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct GlobalGet {
    pub dst: Slot,
    pub global: u32,
}

#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct GlobalSet {
    pub global: u32,
    pub src: Slot,
}

#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct GlobalSetImm {
    pub global: u32,
    pub value: u64,
}

#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct RefFunc {
    pub dst: Slot,
    pub func: u32,
}

#[inline(always)]
unsafe fn global(ctx: &Ctx, index: u32) -> *mut u64 {
    *(*ctx.instance).globals.as_ptr().add(index as usize)
}

#[inline(never)]
pub(crate) unsafe fn global_get(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: GlobalGet = operands(ip);
    set(fp, p.dst, *global(ctx, p.global));
    dispatch!(after::<GlobalGet>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn global_set(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: GlobalSet = operands(ip);
    *global(ctx, p.global) = get(fp, p.src);
    dispatch!(after::<GlobalSet>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn global_set_imm(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: GlobalSetImm = operands(ip);
    *global(ctx, p.global) = p.value;
    dispatch!(after::<GlobalSetImm>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn ref_func(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: RefFunc = operands(ip);
    set(fp, p.dst, (*(*ctx.instance).funcs.as_ptr().add(p.func as usize)).raw);
    dispatch!(after::<RefFunc>(ip), fp, mem, len, ctx)
}
