//! Table instructions (`table.get/set/size/grow/fill/copy/init`, `elem.drop`).
//!
//! A table64 (memory64's i64-indexed tables) has its own instantiations (`T64`), which convert an i64
//! index, length or delta with [`index`]: wasmvm's tables hold fewer than 2^32 elements, so a value of
//! 2^32 or more saturates to `u32::MAX`, which is out of bounds (or too much to grow) like the value
//! itself. `table.size` is the same for both (the size fits in 32 bits and slots hold it zero-extended).

use super::{Activation, Exit, Fp, Ip, Mem, dispatch, get, next, set, trap};
use crate::error::TrapCode;
use crate::ir::isa::*;

/// An index, length or delta of a table's index type as the `u32` the table works with (see the module
/// docs).
#[inline(always)]
pub(crate) fn index<const T64: bool>(v: u64) -> u32 {
    if T64 { v.min(u32::MAX as u64) as u32 } else { v as u32 }
}

#[inline(always)]
pub(crate) unsafe fn table_get<const T64: bool>(
    p: TableGet,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    match ctx.table(p.table).get(index::<T64>(get(fp, p.index))) {
        Some(v) => set(fp, p.dst, v),
        None => return trap(ctx, ip, TrapCode::TableOutOfBounds),
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn table_set<const T64: bool>(
    p: TableSet,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    if !ctx.table(p.table).set(index::<T64>(get(fp, p.index)), get(fp, p.value)) {
        return trap(ctx, ip, TrapCode::TableOutOfBounds);
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn table_size(p: TableSize, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    set(fp, p.dst, ctx.table(p.table).size() as u64);
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn table_grow<const T64: bool>(
    p: TableGrow,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let r = ctx.table(p.table).grow(index::<T64>(get(fp, p.delta)), get(fp, p.init));
    let failed = if T64 { u64::MAX } else { u32::MAX as u64 };
    set(fp, p.dst, r.map_or(failed, u64::from));
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn table_fill<const T64: bool>(
    p: TableFill,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let (at, n) = (index::<T64>(get(fp, p.dst)), index::<T64>(get(fp, p.len)));
    let r = ctx.table(p.table).fill(at, get(fp, p.value), n);
    if let Err(code) = r {
        return trap(ctx, ip, code);
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn table_copy<const D64: bool, const S64: bool>(
    p: TableCopy,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let (dst, src) = (ctx.table(p.dst_table), ctx.table(p.src_table));
    // The length is an i64 only if both tables are table64.
    let n = if D64 && S64 { index::<true>(get(fp, p.len)) } else { get(fp, p.len) as u32 };
    let r = dst.copy_from(index::<D64>(get(fp, p.dst)), src, index::<S64>(get(fp, p.src)), n);
    if let Err(code) = r {
        return trap(ctx, ip, code);
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn table_init<const T64: bool>(
    p: TableInit,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let items: &[u64] = (*ctx.instance).elems[p.segment as usize].as_deref().unwrap_or(&[]);
    let at = index::<T64>(get(fp, p.dst));
    let r = ctx.table(p.table).init(at, items, get(fp, p.src) as u32, get(fp, p.len) as u32);
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
