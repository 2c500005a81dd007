//! GC instructions: structs, arrays, `i31`s and casts (the object model and slot encoding are in `gc`).
//!
//! Objects are found through the store's heap by their slot value, and every field and element access is
//! checked against the object it reaches (a host can pass in an object of another type than the code
//! expects: that traps, it never reads out of bounds).
//!
//! The handlers that allocate, copy or cast do their work out of line (`*_work(ip, fp, ctx)`, reading their
//! operands again from `ip` and returning the trap if any; the handlers themselves come from
//! [`out_of_line!`]): whatever that work keeps on its stack (vectors, closures, a returned object), the
//! handler's own frame stays empty and its dispatch stays a tail call. A handler whose locals escaped into
//! a call would grow the host stack by one frame per executed instruction.

use std::sync::Arc;

use super::{Activation, Exit, Fp, Ip, Mem, dispatch, get, next, operands, set, trap};
use crate::error::TrapCode;
use crate::gc::{Access, Composite, GcObject, I31_TAG, TypeDef, TypeRef, cast, fill, load, store};
use crate::ir::isa::*;
use crate::store::SlotEntity;

/// The run-time description of the running module's type `ty`.
#[inline(always)]
unsafe fn type_def<'a>(ctx: &Activation, ty: u32) -> &'a Arc<TypeDef> {
    let inst: &'a crate::store::InstanceEntity = &*ctx.instance;
    &inst.module.inner.type_defs[ty as usize]
}

/// The outcome of an instruction's out-of-line work: `Err` is the trap.
type Done = Result<(), TrapCode>;

/// Handlers whose work is out of line (see the module docs): `name [const parameters] [their names]
/// (operand shape) => work;`.
macro_rules! out_of_line {
    ($($name:ident [$($param:tt)*] [$($arg:tt)*] ($P:ident) => $work:ident;)*) => {$(
        #[inline(always)]
        pub(crate) unsafe fn $name<$($param)*>(p: $P, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
            match $work::<$($arg)*>(ip, fp, ctx) {
                Ok(()) => dispatch!(next(&p, ip), fp, mem, len, ctx),
                Err(code) => trap(ctx, ip, code),
            }
        }
    )*};
}

out_of_line! {
    struct_new [const DEFAULT: bool] [DEFAULT] (GcNew) => struct_new_work;
    array_new_fixed [] [] (GcNew) => array_new_fixed_work;
    array_new [const DEFAULT: bool] [DEFAULT] (ArrayNew) => array_new_work;
    array_new_data [] [] (ArrayNewSeg) => array_new_data_work;
    array_new_elem [] [] (ArrayNewSeg) => array_new_elem_work;
    array_fill [const A: u8] [A] (ArrayFill) => array_fill_work;
    array_copy [] [] (ArrayCopy) => array_copy_work;
    array_init_data [] [] (ArrayInit) => array_init_data_work;
    array_init_elem [] [] (ArrayInit) => array_init_elem_work;
    ref_test [const NULLABLE: bool, const CAST: bool] [NULLABLE, CAST] (RefTest) => ref_test_work;
}

/// Before an allocation: once enough has been allocated, free the objects no value can reach.
#[inline(always)]
unsafe fn maybe_collect(ctx: &mut Activation, ip: Ip, fp: Fp) {
    if (*ctx.store).gc.wants_collection() {
        collect(ctx, ip, fp);
    }
}

/// Collect the store's GC heap (see `gc::GcHeap`). The roots, marked conservatively: the value stack up
/// to the end of the current frame (the instruction's operands are in it), every global and table
/// element of the store, the element segments of its instances (`array.new_elem` reads them), and the
/// values of its stored exceptions.
#[cold]
#[inline(never)]
unsafe fn collect(ctx: &mut Activation, ip: Ip, fp: Fp) {
    let Some(stack) = super::exception::live_stack(ctx, ip, fp) else { return };
    let store = &mut *ctx.store;
    let globals = store.globals.iter().map(|g| g.value);
    let tables: Vec<u64> = store.tables.iter().flat_map(|t| (0..t.size()).filter_map(|i| t.get(i))).collect();
    let instances = store.slots.iter().map(|s| &s.entity).chain(store.vacated.iter());
    let segments = instances
        .filter_map(|e| if let SlotEntity::Instance(i) = e { Some(i) } else { None })
        .flat_map(|i| i.elems.iter().flatten().flat_map(|seg| seg.iter().copied()));
    let exceptions = store.exns.payloads().flat_map(|p| p.iter().copied());
    let roots = stack.iter().copied().chain(globals).chain(tables).chain(segments).chain(exceptions);
    store.gc.collect(roots);
}

/// Store a new object and write its slot value to `fp[dst]`.
#[inline(always)]
unsafe fn alloc(ctx: &mut Activation, fp: Fp, dst: u32, obj: GcObject) -> Done {
    set(fp, dst, (*ctx.store).gc.alloc(obj)?);
    Ok(())
}

/// The value of the slot pair at `at` as an array element of `w` bytes (a `v128` takes both slots).
#[inline(always)]
unsafe fn element_value(fp: Fp, at: u32, w: usize) -> u128 {
    let hi = if w == 16 { get(fp, at + 1) } else { 0 };
    (hi as u128) << 64 | get(fp, at) as u128
}

#[inline(never)]
unsafe fn struct_new_work<const DEFAULT: bool>(ip: Ip, fp: Fp, ctx: &mut Activation) -> Done {
    let p: GcNew = operands(ip);
    maybe_collect(ctx, ip, fp);
    let def = type_def(ctx, p.ty);
    let Composite::Struct { fields, cells, packed } = &def.composite else { return Err(TrapCode::CastFailure) };
    let mut data = (*ctx.store).gc.zeroed(*cells as u64)?;
    if !DEFAULT {
        // The fields' values are in consecutive slots, cell for slot (a `v128` takes two of each).
        for (k, c) in data.iter_mut().enumerate() {
            *c = get(fp, p.args + k as u32);
        }
        if *packed {
            for f in fields.iter() {
                data[f.cell as usize] = f.storage.wrap(data[f.cell as usize]);
            }
        }
    }
    alloc(ctx, fp, p.dst, GcObject { def: TypeRef::of(def), cells: data, len: 0 })
}

#[inline(never)]
unsafe fn array_new_fixed_work(ip: Ip, fp: Fp, ctx: &mut Activation) -> Done {
    let p: GcNew = operands(ip);
    maybe_collect(ctx, ip, fp);
    let def = type_def(ctx, p.ty);
    let obj = (*ctx.store).gc.new_array(def, p.n as u64, |bytes, w| {
        // The elements' values are in consecutive slots (a `v128` takes two).
        let slots = w.div_ceil(8) as u32;
        for i in 0..p.n {
            store(bytes, i as usize * w, w, element_value(fp, p.args + i * slots, w));
        }
    })?;
    alloc(ctx, fp, p.dst, obj)
}

#[inline(never)]
unsafe fn array_new_work<const DEFAULT: bool>(ip: Ip, fp: Fp, ctx: &mut Activation) -> Done {
    let p: ArrayNew = operands(ip);
    maybe_collect(ctx, ip, fp);
    let def = type_def(ctx, p.ty);
    let obj = (*ctx.store).gc.new_array(def, get(fp, p.len) as u32 as u64, |bytes, w| {
        if !DEFAULT {
            fill(bytes, w, element_value(fp, p.init, w));
        }
    })?;
    alloc(ctx, fp, p.dst, obj)
}

/// The bytes `[offset, offset + n * size)` of the running instance's data segment `segment` (a dropped
/// segment is empty), or "out of bounds memory access".
unsafe fn data_bytes<'a>(
    ctx: &Activation,
    segment: u32,
    offset: u64,
    n: u64,
    size: usize,
) -> Result<&'a [u8], TrapCode> {
    let inst: &'a crate::store::InstanceEntity = &*ctx.instance;
    let data: &'a [u8] = inst.datas[segment as usize].as_deref().unwrap_or(&[]);
    let end = n.checked_mul(size as u64).and_then(|b| b.checked_add(offset));
    match end {
        Some(end) if end <= data.len() as u64 => Ok(&data[offset as usize..end as usize]),
        _ => Err(TrapCode::MemoryOutOfBounds),
    }
}

/// The values `[offset, offset + n)` of the running instance's element segment `segment` (a dropped
/// segment is empty), or "out of bounds table access".
unsafe fn elem_values<'a>(ctx: &Activation, segment: u32, offset: u64, n: u64) -> Result<&'a [u64], TrapCode> {
    let inst: &'a crate::store::InstanceEntity = &*ctx.instance;
    let elems: &'a [u64] = inst.elems[segment as usize].as_deref().unwrap_or(&[]);
    match offset.checked_add(n) {
        Some(end) if end <= elems.len() as u64 => Ok(&elems[offset as usize..end as usize]),
        _ => Err(TrapCode::TableOutOfBounds),
    }
}

#[inline(never)]
unsafe fn array_new_data_work(ip: Ip, fp: Fp, ctx: &mut Activation) -> Done {
    let p: ArrayNewSeg = operands(ip);
    maybe_collect(ctx, ip, fp);
    let def = type_def(ctx, p.ty);
    let storage = def.element();
    let (offset, n) = (get(fp, p.offset) as u32 as u64, get(fp, p.len) as u32 as u64);
    // An array's elements are stored as a data segment holds them: a copy.
    let data = data_bytes(ctx, p.segment, offset, n, storage.bytes())?;
    let obj = (*ctx.store).gc.new_array(def, n, |bytes, _| bytes.copy_from_slice(data))?;
    alloc(ctx, fp, p.dst, obj)
}

#[inline(never)]
unsafe fn array_new_elem_work(ip: Ip, fp: Fp, ctx: &mut Activation) -> Done {
    let p: ArrayNewSeg = operands(ip);
    maybe_collect(ctx, ip, fp);
    let def = type_def(ctx, p.ty);
    let (offset, n) = (get(fp, p.offset) as u32 as u64, get(fp, p.len) as u32 as u64);
    let values = elem_values(ctx, p.segment, offset, n)?;
    let obj = (*ctx.store).gc.new_array(def, n, |bytes, w| {
        for (i, &v) in values.iter().enumerate() {
            store(bytes, i * w, w, v as u128);
        }
    })?;
    alloc(ctx, fp, p.dst, obj)
}

/// The object `raw` names, or the trap for a null reference (`null`) or a reference that is not an object.
#[inline(always)]
unsafe fn object<'a>(ctx: &Activation, raw: u64, null: TrapCode) -> Result<&'a mut GcObject, TrapCode> {
    if raw == 0 {
        return Err(null);
    }
    (*ctx.store).gc.get_mut(raw).ok_or(TrapCode::CastFailure)
}

/// The cells of the field or element at `at` of an access `A`, or "cast failure" if the object has none
/// there (it is of another type than the instruction's).
#[inline(always)]
fn cells_at<const A: u8>(obj: &mut GcObject, at: usize) -> Result<&mut [u64], TrapCode> {
    obj.cells.get_mut(at..at + Access::cells(A)).ok_or(TrapCode::CastFailure)
}

#[inline(always)]
pub(crate) unsafe fn struct_get<const A: u8>(
    p: StructGet,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    match object(ctx, get(fp, p.obj), TrapCode::NullStructureReference).and_then(|o| cells_at::<A>(o, p.cell as usize))
    {
        Ok(c) => {
            set(fp, p.dst, Access::read(A, c[0]));
            if A == Access::V128 {
                set(fp, p.dst + 1, c[1]);
            }
        }
        Err(code) => return trap(ctx, ip, code),
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn struct_set<const A: u8>(
    p: StructSet,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    match object(ctx, get(fp, p.obj), TrapCode::NullStructureReference).and_then(|o| cells_at::<A>(o, p.cell as usize))
    {
        Ok(c) => {
            c[0] = Access::write(A, get(fp, p.value));
            if A == Access::V128 {
                c[1] = get(fp, p.value + 1);
            }
        }
        Err(code) => return trap(ctx, ip, code),
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

/// The array `raw` names and the first byte of its elements `[index, index + n)`, `w` bytes each, or the
/// trap.
#[inline(always)]
unsafe fn array_range<'a>(
    ctx: &Activation,
    raw: u64,
    index: u64,
    n: u64,
    w: usize,
) -> Result<(&'a mut GcObject, usize), TrapCode> {
    let a = object(ctx, raw, TrapCode::NullArrayReference)?;
    if index + n > a.len as u64 {
        return Err(TrapCode::ArrayOutOfBounds);
    }
    let at = index as usize * w;
    if at + n as usize * w > a.cells.len() * 8 {
        return Err(TrapCode::CastFailure);
    }
    Ok((a, at))
}

#[inline(always)]
pub(crate) unsafe fn array_get<const A: u8>(
    p: ArrayGet,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let w = Access::bytes(A);
    match array_range(ctx, get(fp, p.arr), get(fp, p.index) as u32 as u64, 1, w) {
        Ok((a, at)) => {
            let v = load(a.bytes(), at, w);
            set(fp, p.dst, Access::read(A, v as u64));
            if A == Access::V128 {
                set(fp, p.dst + 1, (v >> 64) as u64);
            }
        }
        Err(code) => return trap(ctx, ip, code),
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn array_set<const A: u8>(
    p: ArraySet,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let w = Access::bytes(A);
    match array_range(ctx, get(fp, p.arr), get(fp, p.index) as u32 as u64, 1, w) {
        Ok((a, at)) => store(a.bytes_mut(), at, w, element_value(fp, p.value, w)),
        Err(code) => return trap(ctx, ip, code),
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn array_len(p: Un, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    match object(ctx, get(fp, p.src), TrapCode::NullArrayReference) {
        Ok(a) => set(fp, p.dst, a.len as u64),
        Err(code) => return trap(ctx, ip, code),
    }
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(never)]
unsafe fn array_fill_work<const A: u8>(ip: Ip, fp: Fp, ctx: &mut Activation) -> Done {
    let p: ArrayFill = operands(ip);
    let n = get(fp, p.len) as u32 as u64;
    let w = Access::bytes(A);
    let (a, at) = array_range(ctx, get(fp, p.arr), get(fp, p.index) as u32 as u64, n, w)?;
    fill(&mut a.bytes_mut()[at..at + n as usize * w], w, element_value(fp, p.value, w));
    Ok(())
}

#[inline(never)]
unsafe fn array_copy_work(ip: Ip, fp: Fp, ctx: &mut Activation) -> Done {
    let p: ArrayCopy = operands(ip);
    let (dst, src) = (get(fp, p.dst), get(fp, p.src));
    let n = get(fp, p.len) as u32 as u64;
    // Both arrays' elements have the same width (validated), read from the destination's type.
    let w = object(ctx, dst, TrapCode::NullArrayReference)?.def.element().bytes();
    let at_d = array_range(ctx, dst, get(fp, p.dst_index) as u32 as u64, n, w)?.1;
    let at_s = array_range(ctx, src, get(fp, p.src_index) as u32 as u64, n, w)?.1;
    let bytes = n as usize * w;
    if dst == src {
        object(ctx, dst, TrapCode::NullArrayReference)?.bytes_mut().copy_within(at_s..at_s + bytes, at_d);
    } else {
        let from = object(ctx, src, TrapCode::NullArrayReference)?.bytes()[at_s..at_s + bytes].to_vec();
        object(ctx, dst, TrapCode::NullArrayReference)?.bytes_mut()[at_d..at_d + bytes].copy_from_slice(&from);
    }
    Ok(())
}

#[inline(never)]
unsafe fn array_init_data_work(ip: Ip, fp: Fp, ctx: &mut Activation) -> Done {
    let p: ArrayInit = operands(ip);
    let w = type_def(ctx, p.ty).element().bytes();
    let (d, s, n) = (get(fp, p.dst) as u32 as u64, get(fp, p.src) as u32 as u64, get(fp, p.len) as u32 as u64);
    let (a, at) = array_range(ctx, get(fp, p.arr), d, n, w)?;
    let data = data_bytes(ctx, p.segment, s, n, w)?;
    a.bytes_mut()[at..at + data.len()].copy_from_slice(data);
    Ok(())
}

#[inline(never)]
unsafe fn array_init_elem_work(ip: Ip, fp: Fp, ctx: &mut Activation) -> Done {
    let p: ArrayInit = operands(ip);
    let (d, s, n) = (get(fp, p.dst) as u32 as u64, get(fp, p.src) as u32 as u64, get(fp, p.len) as u32 as u64);
    let (a, at) = array_range(ctx, get(fp, p.arr), d, n, 8)?;
    let values = elem_values(ctx, p.segment, s, n)?;
    for (i, &v) in values.iter().enumerate() {
        store(a.bytes_mut(), at + i * 8, 8, v as u128);
    }
    Ok(())
}

#[inline(always)]
pub(crate) unsafe fn ref_i31(p: Un, ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation) -> Exit {
    set(fp, p.dst, I31_TAG | (get(fp, p.src) & 0x7fff_ffff));
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

#[inline(always)]
pub(crate) unsafe fn i31_get<const SIGNED: bool>(
    p: Un,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let raw = get(fp, p.src);
    if raw == 0 {
        return trap(ctx, ip, TrapCode::NullI31Reference);
    }
    let v = raw as u32 & 0x7fff_ffff;
    set(fp, p.dst, if SIGNED { (((v << 1) as i32) >> 1) as u32 as u64 } else { v as u64 });
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

/// Is the non-null reference `raw` of the heap type `target` (`gc::cast`)?
unsafe fn is_of(ctx: &Activation, raw: u64, target: u32) -> bool {
    use crate::types::HeapType as H;
    let heap = match target {
        cast::FUNC => H::Func,
        cast::NOFUNC => H::NoFunc,
        cast::EXTERN => H::Extern,
        cast::NOEXTERN => H::NoExtern,
        cast::EXN => H::Exn,
        cast::NOEXN => H::NoExn,
        cast::ANY => H::Any,
        cast::EQ => H::Eq,
        cast::I31 => H::I31,
        cast::STRUCT => H::Struct,
        cast::ARRAY => H::Array,
        cast::NONE => H::None,
        t => type_def(ctx, t - cast::CONCRETE).heap_type(),
    };
    (*ctx.store).ref_is(raw, heap)
}

#[inline(never)]
unsafe fn ref_test_work<const NULLABLE: bool, const CAST: bool>(ip: Ip, fp: Fp, ctx: &mut Activation) -> Done {
    let p: RefTest = operands(ip);
    let raw = get(fp, p.src);
    let ok = if raw == 0 { NULLABLE } else { is_of(ctx, raw, p.target) };
    if CAST {
        if !ok {
            return Err(TrapCode::CastFailure);
        }
        set(fp, p.dst, raw);
    } else {
        set(fp, p.dst, ok as u64);
    }
    Ok(())
}
