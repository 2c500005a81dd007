//! Table instructions (`table.get/set/size/grow/fill/copy/init`, `elem.drop`).

use super::{Activation, Exit, Fp, Ip, Mem, dispatch, get, next, set, trap};
use crate::error::TrapCode;
use crate::ir::isa::*;
use crate::store::TableInner;

#[inline(always)]
unsafe fn table<'a>(ctx: &Activation, index: u32) -> &'a TableInner {
    &**(*ctx.instance).tables.as_ptr().add(index as usize)
}

#[inline(always)]
pub(crate) unsafe fn table_get(p: TableGet, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    match table(ctx, p.table).get(get(fp, p.index) as u32) {
        Some(v) => set(fp, p.dst, v),
        None => return trap(ctx, ip, TrapCode::TableOutOfBounds),
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn table_set(p: TableSet, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    if !table(ctx, p.table).set(get(fp, p.index) as u32, get(fp, p.value)) {
        return trap(ctx, ip, TrapCode::TableOutOfBounds);
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn table_size(p: TableSize, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    set(fp, p.dst, table(ctx, p.table).size() as u64);
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn table_grow(p: TableGrow, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    let r = table(ctx, p.table).grow(get(fp, p.delta) as u32, get(fp, p.init));
    set(fp, p.dst, r.unwrap_or(u32::MAX) as u64);
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn table_fill(p: TableFill, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    let r = table(ctx, p.table).fill(get(fp, p.dst) as u32, get(fp, p.value), get(fp, p.len) as u32);
    if let Err(code) = r {
        return trap(ctx, ip, code);
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn table_copy(p: TableCopy, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    let (dst, src) = (table(ctx, p.dst_table), table(ctx, p.src_table));
    let r = dst.copy_from(get(fp, p.dst) as u32, src, get(fp, p.src) as u32, get(fp, p.len) as u32);
    if let Err(code) = r {
        return trap(ctx, ip, code);
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn table_init(p: TableInit, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    let items: &[u64] = (*ctx.instance).elems[p.segment as usize].as_deref().unwrap_or(&[]);
    let r = table(ctx, p.table).init(get(fp, p.dst) as u32, items, get(fp, p.src) as u32, get(fp, p.len) as u32);
    if let Err(code) = r {
        return trap(ctx, ip, code);
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn elem_drop(p: ElemDrop, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    (*ctx.instance).elems[p.segment as usize] = None;
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}
