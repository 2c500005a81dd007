//! SIMD instructions: one generic handler per operand shape, instantiated for every instruction of
//! `ir::simd` (e.g. `binary::<I8x16Add>`), plus the `v128` moves, constants, shuffles and memory accesses.
//!
//! A `v128` occupies two consecutive frame slots, low half first; a slot operand names the first. Slots
//! are 8-byte aligned, so a vector is read and written with unaligned 16-byte accesses (`movdqu` on x86).
//!
//! # Shared memories
//! Vector loads and stores are not atomic in wasm (a racing access may observe a torn vector), so on a
//! shared memory they are done as two 8-byte racy accesses through `memory::racy`, which is what makes
//! scalar accesses free of undefined behaviour in Rust (see its docs): a vector access is two such
//! accesses, and the argument carries over unchanged. Lane accesses use the racy access of their width.

use super::memory::{check, ea, out_of_bounds, scaled};
use super::memory_any::address_m;
use super::{Activation, Exit, Fp, Ip, Mem, dispatch, get, next, set};
use crate::ir::Slot;
use crate::ir::isa::*;
use crate::ir::simd::{
    V128, V128Binary, V128Extract, V128Replace, V128Shift, V128Splat, V128Ternary, V128Test, V128Unary, i8x16_shuffle,
};
use crate::memory::racy;

#[inline(always)]
unsafe fn get128(fp: Fp, slot: Slot) -> V128 {
    fp.add(slot as usize).cast::<V128>().read_unaligned()
}

#[inline(always)]
unsafe fn set128(fp: Fp, slot: Slot, v: V128) {
    fp.add(slot as usize).cast::<V128>().write_unaligned(v)
}

/// Read `N` bytes (1, 2, 4 or 8) as a little-endian integer (a lane; whole vectors: `read_v128`).
#[inline(always)]
unsafe fn read<const N: usize, const SHARED: bool>(p: *const u8) -> u128 {
    if SHARED {
        match N {
            1 => racy::load::<1>(p) as u128,
            2 => racy::load::<2>(p) as u128,
            4 => racy::load::<4>(p) as u128,
            _ => racy::load::<8>(p) as u128,
        }
    } else {
        match N {
            1 => *p as u128,
            2 => u16::from_le(p.cast::<u16>().read_unaligned()) as u128,
            4 => u32::from_le(p.cast::<u32>().read_unaligned()) as u128,
            _ => u64::from_le(p.cast::<u64>().read_unaligned()) as u128,
        }
    }
}

/// Write the low `N` bytes of `v` (1, 2, 4 or 8), little-endian.
#[inline(always)]
unsafe fn write<const N: usize, const SHARED: bool>(p: *mut u8, v: u128) {
    if SHARED {
        match N {
            1 => racy::store::<1>(p, v as u64),
            2 => racy::store::<2>(p, v as u64),
            4 => racy::store::<4>(p, v as u64),
            _ => racy::store::<8>(p, v as u64),
        }
    } else {
        match N {
            1 => *p = v as u8,
            2 => p.cast::<u16>().write_unaligned((v as u16).to_le()),
            4 => p.cast::<u32>().write_unaligned((v as u32).to_le()),
            _ => p.cast::<u64>().write_unaligned((v as u64).to_le()),
        }
    }
}

/// Read a whole vector (as two halves, so it stays out of integer register pairs).
#[inline(always)]
unsafe fn read_v128<const SHARED: bool>(p: *const u8) -> V128 {
    if SHARED {
        V128([racy::load::<8>(p), racy::load::<8>(p.add(8))])
    } else {
        let h = p.cast::<[u64; 2]>().read_unaligned();
        V128([u64::from_le(h[0]), u64::from_le(h[1])])
    }
}

/// Write a whole vector.
#[inline(always)]
unsafe fn write_v128<const SHARED: bool>(p: *mut u8, v: V128) {
    if SHARED {
        racy::store::<8>(p, v.0[0]);
        racy::store::<8>(p.add(8), v.0[1]);
    } else {
        p.cast::<[u64; 2]>().write_unaligned([v.0[0].to_le(), v.0[1].to_le()]);
    }
}

/// Read `n` bytes (a runtime width: the converting loads' `Op::BYTES`).
#[inline(always)]
unsafe fn read_n<const SHARED: bool>(p: *const u8, n: usize) -> u64 {
    match n {
        1 => read::<1, SHARED>(p) as u64,
        2 => read::<2, SHARED>(p) as u64,
        4 => read::<4, SHARED>(p) as u64,
        _ => read::<8, SHARED>(p) as u64,
    }
}

/// Defines a handler `fn $name<...>(p: $P, ...)` whose body computes with `p`, `fp` and returns nothing.
macro_rules! simd_handler {
    ($name:ident <$($g:ident : $B:path),*> ($P:ty) |$p:ident, $fp:ident| $body:block) => {
        #[inline(always)]
        pub(crate) unsafe fn $name<$($g: $B),*>(
            $p: $P,
            ip: Ip,
            $fp: Fp,
            mem: Mem,
            len: usize,
            ctx: &mut Activation,
        ) -> Exit {
            $body
            dispatch!(next(&$p, ip), $fp, mem, len, ctx)
        }
    };
}

simd_handler!(copy<>(CopySlot) |p, fp| { set128(fp, p.dst, get128(fp, p.src)) });
simd_handler!(select<>(Select) |p, fp| {
    let v = if get(fp, p.cond) as u32 != 0 { get128(fp, p.a) } else { get128(fp, p.b) };
    set128(fp, p.dst, v)
});
simd_handler!(constant<>(ConstV128) |p, fp| { set128(fp, p.dst, V128([p.lo, p.hi])) });
simd_handler!(unary<Op: V128Unary>(Un) |p, fp| { set128(fp, p.dst, Op::eval(get128(fp, p.src))) });
simd_handler!(binary<Op: V128Binary>(BinSS) |p, fp| {
    set128(fp, p.dst, Op::eval(get128(fp, p.a), get128(fp, p.b)))
});
simd_handler!(ternary<Op: V128Ternary>(Tern) |p, fp| {
    set128(fp, p.dst, Op::eval(get128(fp, p.a), get128(fp, p.b), get128(fp, p.c)))
});
// `c + a * b` with two roundings (a fused pair of wasm instructions, not a fused multiply-add).
simd_handler!(mul_add<Mul: V128Binary, Add: V128Binary>(Tern) |p, fp| {
    set128(fp, p.dst, Add::eval(Mul::eval(get128(fp, p.a), get128(fp, p.b)), get128(fp, p.c)))
});
simd_handler!(shift<Op: V128Shift>(BinSS) |p, fp| {
    set128(fp, p.dst, Op::eval(get128(fp, p.a), get(fp, p.b) as u32))
});
simd_handler!(shift_imm<Op: V128Shift>(ShiftImm) |p, fp| { set128(fp, p.dst, Op::eval(get128(fp, p.a), p.imm)) });
simd_handler!(test<Op: V128Test>(Un) |p, fp| { set(fp, p.dst, Op::eval(get128(fp, p.src)) as u64) });
simd_handler!(splat<Op: V128Splat>(Un) |p, fp| { set128(fp, p.dst, Op::eval(get(fp, p.src))) });
simd_handler!(extract<Op: V128Extract>(ExtractLane) |p, fp| { set(fp, p.dst, Op::eval(get128(fp, p.src), p.lane as u8)) });
simd_handler!(replace<Op: V128Replace>(ReplaceLane) |p, fp| {
    set128(fp, p.dst, Op::eval(get128(fp, p.a), p.lane as u8, get(fp, p.x)))
});
simd_handler!(shuffle<>(Shuffle) |p, fp| {
    let lanes = V128([p.lo, p.hi]).to_le_bytes();
    set128(fp, p.dst, i8x16_shuffle(get128(fp, p.a), get128(fp, p.b), lanes))
});

/// Defines whole-vector load and store handlers for an addressing form (`$ea` from the operands).
macro_rules! vector_access {
    ($load:ident, $store:ident, $L:ty, $S:ty, [$($extra:tt)*], |$p:ident, $fp:ident| $ea:expr) => {
        #[inline(always)]
        pub(crate) unsafe fn $load<const SHARED: bool $($extra)*>(
            $p: $L,
            ip: Ip,
            $fp: Fp,
            mem: Mem,
            len: usize,
            ctx: &mut Activation,
        ) -> Exit {
            let ea: usize = $ea;
            let at = check!(ip, $fp, mem, ctx, SHARED, ea, 16, len);
            set128($fp, $p.dst, read_v128::<SHARED>(at));
            dispatch!(next(&$p, ip), $fp, mem, len, ctx)
        }

        #[inline(always)]
        pub(crate) unsafe fn $store<const SHARED: bool $($extra)*>(
            $p: $S,
            ip: Ip,
            $fp: Fp,
            mem: Mem,
            len: usize,
            ctx: &mut Activation,
        ) -> Exit {
            let ea: usize = $ea;
            let at = check!(ip, $fp, mem, ctx, SHARED, ea, 16, len);
            write_v128::<SHARED>(at, get128($fp, $p.value));
            dispatch!(next(&$p, ip), $fp, mem, len, ctx)
        }
    };
}

// `fp[addr] + offset`, `base + (index << SHIFT)` and `base + imm` addressing (the last two with the address's
// `i32.add` fused in), as for scalars.
vector_access!(load, store, Load, Store, [], |p, fp| ea(get(fp, p.addr), p.offset));
vector_access!(load_ss, store_ss, LoadSS, StoreSS, [, const SHIFT: u32], |p, fp| ea(scaled::<SHIFT>(fp, p.a, p.b), p.offset));
vector_access!(load_si, store_si, LoadSI, StoreSI, [], |p, fp| ea(get(fp, p.a).wrapping_add(p.imm as u64), p.offset));

/// A converting load (`v128.load8x8_s`, `v128.load32_splat`, `v128.load64_zero` …): `Op::BYTES` bytes.
#[inline(always)]
pub(crate) unsafe fn load_splat<Op: V128Splat, const SHARED: bool>(
    p: Load,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let ea = ea(get(fp, p.addr), p.offset);
    let at = check!(ip, fp, mem, ctx, SHARED, ea, Op::BYTES, len);
    set128(fp, p.dst, Op::eval(read_n::<SHARED>(at, Op::BYTES)));
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

/// `v128.loadN_lane`: lane `lane` (of `N` bytes) of `src` replaced by the bytes at the address.
#[inline(always)]
pub(crate) unsafe fn load_lane<const N: usize, const SHARED: bool>(
    p: LoadLane,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let ea = ea(get(fp, p.addr), p.offset);
    let at = check!(ip, fp, mem, ctx, SHARED, ea, N, len);
    let shift = p.lane * 8 * N as u32;
    let mask = (u128::MAX >> (128 - 8 * N)) << shift;
    let v = (get128(fp, p.src).to_u128() & !mask) | (read::<N, SHARED>(at) << shift);
    set128(fp, p.dst, V128::from_u128(v));
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

/// `v128.storeN_lane`.
#[inline(always)]
pub(crate) unsafe fn store_lane<const N: usize, const SHARED: bool>(
    p: StoreLane,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let ea = ea(get(fp, p.addr), p.offset);
    let at = check!(ip, fp, mem, ctx, SHARED, ea, N, len);
    write::<N, SHARED>(at, get128(fp, p.value).to_u128() >> (p.lane * 8 * N as u32));
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

// ----- the same accesses on a memory found by index, or a memory64 memory 0 (see `exec/memory_any.rs`) -----

/// `v128.load` from a memory found by index or a memory64 memory 0.
#[inline(always)]
pub(crate) unsafe fn load_m<const SHARED: bool, const M64: bool, const REG: bool>(
    p: LoadM,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let at = address_m!(p, ip, fp, mem, len, ctx, 16);
    set128(fp, p.dst, read_v128::<SHARED>(at));
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

/// `v128.store` to a memory found by index or a memory64 memory 0.
#[inline(always)]
pub(crate) unsafe fn store_m<const SHARED: bool, const M64: bool, const REG: bool>(
    p: StoreM,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let at = address_m!(p, ip, fp, mem, len, ctx, 16);
    write_v128::<SHARED>(at, get128(fp, p.value));
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

/// A converting load (as [`load_splat`]) from a memory found by index or a memory64 memory 0.
#[inline(always)]
pub(crate) unsafe fn load_splat_m<Op: V128Splat, const SHARED: bool, const M64: bool, const REG: bool>(
    p: LoadM,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let at = address_m!(p, ip, fp, mem, len, ctx, Op::BYTES);
    set128(fp, p.dst, Op::eval(read_n::<SHARED>(at, Op::BYTES)));
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

/// `v128.loadN_lane` from a memory found by index or a memory64 memory 0.
#[inline(always)]
pub(crate) unsafe fn load_lane_m<const N: usize, const SHARED: bool, const M64: bool, const REG: bool>(
    p: LoadLaneM,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let at = address_m!(p, ip, fp, mem, len, ctx, N);
    let shift = p.lane * 8 * N as u32;
    let mask = (u128::MAX >> (128 - 8 * N)) << shift;
    let v = (get128(fp, p.src).to_u128() & !mask) | (read::<N, SHARED>(at) << shift);
    set128(fp, p.dst, V128::from_u128(v));
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}

/// `v128.storeN_lane` to a memory found by index or a memory64 memory 0.
#[inline(always)]
pub(crate) unsafe fn store_lane_m<const N: usize, const SHARED: bool, const M64: bool, const REG: bool>(
    p: StoreLaneM,
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: &mut Activation,
) -> Exit {
    let at = address_m!(p, ip, fp, mem, len, ctx, N);
    write::<N, SHARED>(at, get128(fp, p.value).to_u128() >> (p.lane * 8 * N as u32));
    dispatch!(next(&p, ip), fp, mem, len, ctx)
}
