//! Table instructions (`table.get/set/size/grow/fill/copy/init`, `elem.drop`).

use super::{Ctx, Exit, Fp, Ip, Mem, after, dispatch, get, operands, set, trap};
use crate::error::TrapCode;
use crate::ir::Slot;
use crate::store::TableInner;

#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct TableGet {
    pub dst: Slot,
    pub table: u32,
    pub index: Slot,
}

#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct TableSet {
    pub table: u32,
    pub index: Slot,
    pub value: Slot,
}

#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct TableSize {
    pub dst: Slot,
    pub table: u32,
}

#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct TableGrow {
    pub dst: Slot,
    pub table: u32,
    pub init: Slot,
    pub delta: Slot,
}

#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct TableFill {
    pub table: u32,
    pub dst: Slot,
    pub value: Slot,
    pub len: Slot,
}

#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct TableCopy {
    pub dst_table: u32,
    pub src_table: u32,
    pub dst: Slot,
    pub src: Slot,
    pub len: Slot,
}

#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct TableInit {
    pub table: u32,
    pub segment: u32,
    pub dst: Slot,
    pub src: Slot,
    pub len: Slot,
}

#[repr(C, packed)]
#[derive(Clone, Copy)]
pub(crate) struct ElemDrop {
    pub segment: u32,
}

#[inline(always)]
unsafe fn table<'a>(ctx: &Ctx, index: u32) -> &'a TableInner {
    &**(*ctx.instance).tables.as_ptr().add(index as usize)
}

#[inline(never)]
pub(crate) unsafe fn table_get(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: TableGet = operands(ip);
    match table(ctx, p.table).get(get(fp, p.index) as u32) {
        Some(v) => set(fp, p.dst, v),
        None => return trap(ctx, TrapCode::TableOutOfBounds),
    }
    dispatch!(after::<TableGet>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn table_set(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: TableSet = operands(ip);
    if !table(ctx, p.table).set(get(fp, p.index) as u32, get(fp, p.value)) {
        return trap(ctx, TrapCode::TableOutOfBounds);
    }
    dispatch!(after::<TableSet>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn table_size(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: TableSize = operands(ip);
    set(fp, p.dst, table(ctx, p.table).size() as u64);
    dispatch!(after::<TableSize>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn table_grow(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: TableGrow = operands(ip);
    let r = table(ctx, p.table).grow(get(fp, p.delta) as u32, get(fp, p.init));
    set(fp, p.dst, r.unwrap_or(u32::MAX) as u64);
    dispatch!(after::<TableGrow>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn table_fill(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: TableFill = operands(ip);
    let r = table(ctx, p.table).fill(get(fp, p.dst) as u32, get(fp, p.value), get(fp, p.len) as u32);
    if let Err(code) = r {
        return trap(ctx, code);
    }
    dispatch!(after::<TableFill>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn table_copy(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: TableCopy = operands(ip);
    let (dst, src) = (table(ctx, p.dst_table), table(ctx, p.src_table));
    let r = dst.copy_from(get(fp, p.dst) as u32, src, get(fp, p.src) as u32, get(fp, p.len) as u32);
    if let Err(code) = r {
        return trap(ctx, code);
    }
    dispatch!(after::<TableCopy>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn table_init(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: TableInit = operands(ip);
    let items: &[u64] = (*ctx.instance).elems[p.segment as usize].as_deref().unwrap_or(&[]);
    let r = table(ctx, p.table).init(get(fp, p.dst) as u32, items, get(fp, p.src) as u32, get(fp, p.len) as u32);
    if let Err(code) = r {
        return trap(ctx, code);
    }
    dispatch!(after::<TableInit>(ip), fp, mem, len, ctx)
}

#[inline(never)]
pub(crate) unsafe fn elem_drop(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Ctx) -> Exit {
    let p: ElemDrop = operands(ip);
    (*ctx.instance).elems[p.segment as usize] = None;
    dispatch!(after::<ElemDrop>(ip), fp, mem, len, ctx)
}
