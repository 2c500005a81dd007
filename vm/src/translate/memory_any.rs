//! Translation of memory instructions on memories found by index: any memory but a 32-bit memory 0
//! (multi-memory, memory64), and `memory.size/grow` of a memory with one-byte pages.
//!
//! A 32-bit memory 0 keeps the fast families of `exec/memory.rs` (base and length in registers, address
//! fusions, load pairs). Everything here emits the `_m` families of `exec/memory_any.rs`: one plain
//! instruction per access, with the memory index and a 64-bit offset as operands, and no fusion (the
//! translator's fusions only fire for memory 0 of a 32-bit memory, which keeps them simple).

use wasmparser::{MemArg, MemArgTarget, Operator};

use super::atomic::atomic_of;
use super::ops::{Access, scalar_access};
use super::{LastKind, Src, Translator};
use crate::ir::Slot;
use crate::ir::families::*;
use crate::ir::isa::{self, *};
use crate::ir::simd::{SimdSplatOp, SimdSplatVisitor, V128Splat};

/// The converting `v128` load of a splat-family instruction on a memory reached by index.
struct GetLoadSplatM(MemKind);
impl SimdSplatVisitor for GetLoadSplatM {
    type Output = isa::Instr<LoadM>;
    fn visit<Op: V128Splat + 'static>(self) -> isa::Instr<LoadM> {
        by_kind!(v128_load_splat_m [Op,], self.0)
    }
}

/// `isa::$family::op::<N, SHARED, M64, REG>()` for a lane width known at run time.
macro_rules! lane_by_kind {
    ($family:ident, $n:expr, $k:expr) => {
        match $n {
            1 => by_kind!($family [1,], $k),
            2 => by_kind!($family [2,], $k),
            4 => by_kind!($family [4,], $k),
            _ => by_kind!($family [8,], $k),
        }
    };
}

impl Translator<'_> {
    /// Is memory `index` a 32-bit memory 0 (reached through the registers' families)?
    pub(super) fn plain_memory(&self, index: u32) -> bool {
        index == 0 && !self.m.memories.first().is_some_and(|m| m.memory64)
    }

    /// How the `_m` families reach memory `index`.
    fn mem_kind(&self, index: u32) -> MemKind {
        let ty = &self.m.memories[index as usize];
        MemKind { shared: ty.shared, m64: ty.memory64, reg: index == 0 }
    }

    /// Translate `op` if it is a memory instruction that the `_m` families must serve; `false` otherwise
    /// (then it is a memory 0 instruction of a 32-bit memory 0, or not a memory instruction).
    pub(super) fn memory_any(&mut self, op: &Operator<'_>) -> bool {
        if let Some((access, memarg)) = scalar_access(op) {
            if self.plain_memory(mem_of(memarg)) {
                return false;
            }
            let (mem, offset, k) = (mem_of(memarg), memarg.offset, self.mem_kind(mem_of(memarg)));
            match access {
                Access::Load(kind) => {
                    let [addr] = self.pop_slots();
                    let dst = self.push_temp();
                    let h = kind.with(GetLoadM(k));
                    self.emit_result(h, LoadM { dst, addr, mem, offset }, dst, LastKind::Other);
                }
                Access::Store(kind) => {
                    let [addr, value] = self.pop_slots();
                    self.emit(kind.with(GetStoreM(k)), StoreM { addr, value, mem, offset });
                }
            }
            return true;
        }
        if let Some((access, memarg)) = atomic_of(op) {
            if self.plain_memory(mem_of(memarg)) {
                return false;
            }
            self.atomic_m(access, memarg);
            return true;
        }
        if let Some((o, memarg)) = SimdSplatOp::from_load_operator(op) {
            if self.plain_memory(mem_of(memarg)) {
                return false;
            }
            let k = self.mem_kind(mem_of(memarg));
            let [addr] = self.pop_slots();
            let dst = self.push_temp_wide();
            let p = LoadM { dst, addr, mem: mem_of(memarg), offset: memarg.offset };
            self.emit_result(o.with(GetLoadSplatM(k)), p, dst, LastKind::Other);
            return true;
        }
        self.memory_any_other(op)
    }

    /// Whole-vector and lane accesses, and the memory-wide instructions.
    fn memory_any_other(&mut self, op: &Operator<'_>) -> bool {
        match *op {
            Operator::V128Load { memarg } if !self.plain_memory(mem_of(memarg)) => {
                let k = self.mem_kind(mem_of(memarg));
                let [addr] = self.pop_slots();
                let dst = self.push_temp_wide();
                let p = LoadM { dst, addr, mem: mem_of(memarg), offset: memarg.offset };
                self.emit_result(by_kind!(v128_load_m [], k), p, dst, LastKind::Other);
            }
            Operator::V128Store { memarg } if !self.plain_memory(mem_of(memarg)) => {
                let k = self.mem_kind(mem_of(memarg));
                let [addr, value] = self.pop_slots();
                let p = StoreM { addr, value, mem: mem_of(memarg), offset: memarg.offset };
                self.emit(by_kind!(v128_store_m [], k), p);
            }
            Operator::V128Load8Lane { memarg, lane }
            | Operator::V128Load16Lane { memarg, lane }
            | Operator::V128Load32Lane { memarg, lane }
            | Operator::V128Load64Lane { memarg, lane }
                if !self.plain_memory(mem_of(memarg)) =>
            {
                let width = lane_width(op);
                let k = self.mem_kind(mem_of(memarg));
                let [addr, src] = self.pop_slots();
                let dst = self.push_temp_wide();
                let (mem, offset, lane) = (mem_of(memarg), memarg.offset, lane as u32);
                let h = lane_by_kind!(v128_load_lane_m, width, k);
                self.emit_result(h, LoadLaneM { dst, src, addr, mem, offset, lane }, dst, LastKind::Other);
            }
            Operator::V128Store8Lane { memarg, lane }
            | Operator::V128Store16Lane { memarg, lane }
            | Operator::V128Store32Lane { memarg, lane }
            | Operator::V128Store64Lane { memarg, lane }
                if !self.plain_memory(mem_of(memarg)) =>
            {
                let width = lane_width(op);
                let k = self.mem_kind(mem_of(memarg));
                let [addr, value] = self.pop_slots();
                let (mem, offset, lane) = (mem_of(memarg), memarg.offset, lane as u32);
                self.emit(lane_by_kind!(v128_store_lane_m, width, k), StoreLaneM { addr, value, mem, offset, lane });
            }
            Operator::MemorySize { mem } if !self.plain_sizes(mem) => {
                let dst = self.push_temp();
                self.emit_result(isa::memory_size_m::op(), MemSizeM { dst, mem }, dst, LastKind::Other);
            }
            Operator::MemoryGrow { mem } if !self.plain_sizes(mem) => {
                let [delta] = self.pop_slots();
                let dst = self.push_temp();
                self.emit_result(isa::memory_grow_m::op(), MemGrowM { dst, delta, mem }, dst, LastKind::Other);
            }
            Operator::MemoryFill { mem } if !self.plain_memory(mem) => {
                let [dst, value, len] = self.pop_slots();
                self.emit(isa::memory_fill_m::op(), MemFillM { dst, value, len, mem });
            }
            Operator::MemoryCopy { dst_mem, src_mem } if !(self.plain_memory(dst_mem) && src_mem == 0) => {
                let [dst, src, len] = self.pop_slots();
                self.emit(isa::memory_copy_m::op(), MemCopyM { dst, src, len, dst_mem, src_mem });
            }
            Operator::MemoryInit { data_index, mem } if !self.plain_memory(mem) => {
                let [dst, src, len] = self.pop_slots();
                self.emit(isa::memory_init_m::op(), MemInitM { segment: data_index, dst, src, len, mem });
            }
            _ => return false,
        }
        true
    }

    /// Pop `N` operands into slots, in push order: constants are materialised, locals read in place (the
    /// `_m` handlers read every operand before writing their result).
    pub(super) fn pop_slots<const N: usize>(&mut self) -> [Slot; N] {
        self.materialize_consts(N as u32);
        let mut out = [0; N];
        for slot in out.iter_mut().rev() {
            *slot = match self.pop() {
                Src::Slot(s) => s,
                Src::Imm(_) => unreachable!("materialised"),
            };
        }
        out
    }

    /// Do `memory.size/grow` of memory `index` use memory 0's own families (32-bit, 64 KiB pages)?
    fn plain_sizes(&self, index: u32) -> bool {
        self.plain_memory(index) && self.m.memories[0].page_size_log2 == 16
    }
}

/// The memory a memory immediate names (a GC array target cannot occur: GC is not enabled).
pub(super) fn mem_of(memarg: MemArg) -> u32 {
    match memarg.target {
        MemArgTarget::Memory(index) => index,
        MemArgTarget::Array(_) => 0,
    }
}

/// The access width of a `v128` lane load or store.
fn lane_width(op: &Operator<'_>) -> usize {
    match op {
        Operator::V128Load8Lane { .. } | Operator::V128Store8Lane { .. } => 1,
        Operator::V128Load16Lane { .. } | Operator::V128Store16Lane { .. } => 2,
        Operator::V128Load32Lane { .. } | Operator::V128Store32Lane { .. } => 4,
        _ => 8,
    }
}
