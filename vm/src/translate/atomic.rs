//! Translation of the threads proposal's atomic instructions.

use wasmparser::{MemArg, Operator};

use super::memory_any::mem_of;
use super::{LastKind, Translator};
use crate::ir::families::*;
use crate::ir::isa::{self, *};
use crate::memory::atomic::RmwOp;

impl Translator<'_> {
    /// Translate an atomic operator; `false` if `op` is not one.
    pub(super) fn atomic(&mut self, op: &Operator<'_>) -> bool {
        if let Operator::AtomicFence { .. } = op {
            self.emit(isa::atomic_fence::op(), Nothing {});
            return true;
        }
        let Some((access, memarg)) = atomic_of(op) else { return false };
        match access {
            Atomic::Load(width) => self.atomic_load(width, memarg),
            Atomic::Store(width) => self.atomic_store(width, memarg),
            Atomic::Rmw(width, rop) => self.atomic_rmw(width, rop, memarg),
            Atomic::Cmpxchg(width) => self.atomic_cmpxchg(width, memarg),
            Atomic::Wait(width) => self.atomic_wait(width, memarg),
            Atomic::Notify => {
                self.materialize_consts(2);
                let count = self.pop_slot();
                let addr = self.pop_slot();
                let dst = self.push_temp();
                let offset = memarg.offset as u32;
                self.emit_result(
                    isa::atomic_notify::op(),
                    AtomicNotify { dst, addr, offset, count },
                    dst,
                    LastKind::Other,
                );
            }
        }
        true
    }

    /// An atomic access to a memory other than a 32-bit memory 0 (found by index at run time).
    pub(super) fn atomic_m(&mut self, access: Atomic, memarg: MemArg) {
        let m64 = self.m.memories[mem_of(memarg) as usize].memory64;
        let (mem, offset) = (mem_of(memarg), memarg.offset);
        // Operands after the address, in push order, and the handler.
        let (n, h) = match access {
            Atomic::Load(w) => (0, atomics_m(w, m64).load),
            Atomic::Store(w) => (1, atomics_m(w, m64).store),
            Atomic::Rmw(w, rop) => (1, rmw_m(w, rop, m64)),
            Atomic::Cmpxchg(w) => (2, atomics_m(w, m64).cmpxchg),
            Atomic::Wait(w) => (2, atomics_m(w, m64).wait),
            Atomic::Notify => (1, by_m64!(atomic_notify_m [], m64)),
        };
        let (addr, a, b) = match n {
            0 => (self.pop_slots::<1>()[0], 0, 0),
            1 => {
                let [addr, a] = self.pop_slots();
                (addr, a, 0)
            }
            _ => {
                let [addr, a, b] = self.pop_slots();
                (addr, a, b)
            }
        };
        if matches!(access, Atomic::Store(_)) {
            self.emit(h, AtomicM { dst: 0, addr, mem, offset, a, b });
        } else {
            let dst = self.push_temp();
            self.emit_result(h, AtomicM { dst, addr, mem, offset, a, b }, dst, LastKind::Other);
        }
    }

    fn atomic_load(&mut self, width: usize, memarg: MemArg) {
        let addr = self.pop_slot();
        let dst = self.push_temp();
        let h = atomics(width).load;
        self.emit_result(h, AtomicLoad { dst, addr, offset: memarg.offset as u32 }, dst, LastKind::Other);
    }

    fn atomic_store(&mut self, width: usize, memarg: MemArg) {
        self.materialize_consts(2);
        let value = self.pop_slot();
        let addr = self.pop_slot();
        let h = atomics(width).store;
        self.emit(h, AtomicStore { addr, offset: memarg.offset as u32, value });
    }

    fn atomic_rmw(&mut self, width: usize, op: RmwOp, memarg: MemArg) {
        self.materialize_consts(2);
        let value = self.pop_slot();
        let addr = self.pop_slot();
        let dst = self.push_temp();
        let h = rmw(width, op);
        self.emit_result(h, AtomicRmw { dst, addr, offset: memarg.offset as u32, value }, dst, LastKind::Other);
    }

    fn atomic_cmpxchg(&mut self, width: usize, memarg: MemArg) {
        self.materialize_consts(3);
        let replacement = self.pop_slot();
        let expected = self.pop_slot();
        let addr = self.pop_slot();
        let dst = self.push_temp();
        let h = atomics(width).cmpxchg;
        let p = AtomicCmpxchg { dst, addr, offset: memarg.offset as u32, expected, replacement };
        self.emit_result(h, p, dst, LastKind::Other);
    }

    fn atomic_wait(&mut self, width: usize, memarg: MemArg) {
        self.materialize_consts(3);
        let timeout = self.pop_slot();
        let expected = self.pop_slot();
        let addr = self.pop_slot();
        let dst = self.push_temp();
        let h = if width == 4 { isa::atomic_wait::op::<4>() } else { isa::atomic_wait::op::<8>() };
        let p = AtomicWait { dst, addr, offset: memarg.offset as u32, expected, timeout };
        self.emit_result(h, p, dst, LastKind::Other);
    }
}

/// An atomic memory access (not `atomic.fence`), by width in bytes.
#[derive(Debug, Clone, Copy)]
pub(super) enum Atomic {
    Load(usize),
    Store(usize),
    Rmw(usize, RmwOp),
    Cmpxchg(usize),
    Wait(usize),
    Notify,
}

/// The atomic access `op` is, with its memory immediate.
pub(super) fn atomic_of(op: &Operator<'_>) -> Option<(Atomic, MemArg)> {
    use Operator::*;
    Some(match *op {
        I32AtomicLoad { memarg } => (Atomic::Load(4), memarg),
        I64AtomicLoad { memarg } => (Atomic::Load(8), memarg),
        I32AtomicLoad8U { memarg } | I64AtomicLoad8U { memarg } => (Atomic::Load(1), memarg),
        I32AtomicLoad16U { memarg } | I64AtomicLoad16U { memarg } => (Atomic::Load(2), memarg),
        I64AtomicLoad32U { memarg } => (Atomic::Load(4), memarg),
        I32AtomicStore { memarg } | I64AtomicStore32 { memarg } => (Atomic::Store(4), memarg),
        I64AtomicStore { memarg } => (Atomic::Store(8), memarg),
        I32AtomicStore8 { memarg } | I64AtomicStore8 { memarg } => (Atomic::Store(1), memarg),
        I32AtomicStore16 { memarg } | I64AtomicStore16 { memarg } => (Atomic::Store(2), memarg),
        I32AtomicRmwCmpxchg { memarg } | I64AtomicRmw32CmpxchgU { memarg } => (Atomic::Cmpxchg(4), memarg),
        I64AtomicRmwCmpxchg { memarg } => (Atomic::Cmpxchg(8), memarg),
        I32AtomicRmw8CmpxchgU { memarg } | I64AtomicRmw8CmpxchgU { memarg } => (Atomic::Cmpxchg(1), memarg),
        I32AtomicRmw16CmpxchgU { memarg } | I64AtomicRmw16CmpxchgU { memarg } => (Atomic::Cmpxchg(2), memarg),
        MemoryAtomicWait32 { memarg } => (Atomic::Wait(4), memarg),
        MemoryAtomicWait64 { memarg } => (Atomic::Wait(8), memarg),
        MemoryAtomicNotify { memarg } => (Atomic::Notify, memarg),
        _ => {
            let (width, rop, memarg) = rmw_of(op)?;
            (Atomic::Rmw(width, rop), memarg)
        }
    })
}

/// Width, operation and memarg of an atomic read-modify-write operator.
fn rmw_of(op: &Operator<'_>) -> Option<(usize, RmwOp, MemArg)> {
    use Operator::*;
    Some(match *op {
        I32AtomicRmwAdd { memarg } => (4, RmwOp::Add, memarg),
        I64AtomicRmwAdd { memarg } => (8, RmwOp::Add, memarg),
        I32AtomicRmw8AddU { memarg } | I64AtomicRmw8AddU { memarg } => (1, RmwOp::Add, memarg),
        I32AtomicRmw16AddU { memarg } | I64AtomicRmw16AddU { memarg } => (2, RmwOp::Add, memarg),
        I64AtomicRmw32AddU { memarg } => (4, RmwOp::Add, memarg),
        I32AtomicRmwSub { memarg } => (4, RmwOp::Sub, memarg),
        I64AtomicRmwSub { memarg } => (8, RmwOp::Sub, memarg),
        I32AtomicRmw8SubU { memarg } | I64AtomicRmw8SubU { memarg } => (1, RmwOp::Sub, memarg),
        I32AtomicRmw16SubU { memarg } | I64AtomicRmw16SubU { memarg } => (2, RmwOp::Sub, memarg),
        I64AtomicRmw32SubU { memarg } => (4, RmwOp::Sub, memarg),
        I32AtomicRmwAnd { memarg } => (4, RmwOp::And, memarg),
        I64AtomicRmwAnd { memarg } => (8, RmwOp::And, memarg),
        I32AtomicRmw8AndU { memarg } | I64AtomicRmw8AndU { memarg } => (1, RmwOp::And, memarg),
        I32AtomicRmw16AndU { memarg } | I64AtomicRmw16AndU { memarg } => (2, RmwOp::And, memarg),
        I64AtomicRmw32AndU { memarg } => (4, RmwOp::And, memarg),
        I32AtomicRmwOr { memarg } => (4, RmwOp::Or, memarg),
        I64AtomicRmwOr { memarg } => (8, RmwOp::Or, memarg),
        I32AtomicRmw8OrU { memarg } | I64AtomicRmw8OrU { memarg } => (1, RmwOp::Or, memarg),
        I32AtomicRmw16OrU { memarg } | I64AtomicRmw16OrU { memarg } => (2, RmwOp::Or, memarg),
        I64AtomicRmw32OrU { memarg } => (4, RmwOp::Or, memarg),
        I32AtomicRmwXor { memarg } => (4, RmwOp::Xor, memarg),
        I64AtomicRmwXor { memarg } => (8, RmwOp::Xor, memarg),
        I32AtomicRmw8XorU { memarg } | I64AtomicRmw8XorU { memarg } => (1, RmwOp::Xor, memarg),
        I32AtomicRmw16XorU { memarg } | I64AtomicRmw16XorU { memarg } => (2, RmwOp::Xor, memarg),
        I64AtomicRmw32XorU { memarg } => (4, RmwOp::Xor, memarg),
        I32AtomicRmwXchg { memarg } => (4, RmwOp::Xchg, memarg),
        I64AtomicRmwXchg { memarg } => (8, RmwOp::Xchg, memarg),
        I32AtomicRmw8XchgU { memarg } | I64AtomicRmw8XchgU { memarg } => (1, RmwOp::Xchg, memarg),
        I32AtomicRmw16XchgU { memarg } | I64AtomicRmw16XchgU { memarg } => (2, RmwOp::Xchg, memarg),
        I64AtomicRmw32XchgU { memarg } => (4, RmwOp::Xchg, memarg),
        _ => return None,
    })
}
