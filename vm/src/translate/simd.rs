//! Translation of SIMD instructions (`ir::simd` holds their semantics, `exec::simd` their handlers).
//!
//! A `v128` operand is always in slots: `v128.const` is materialised where it appears (constants are not
//! tracked lazily as scalar ones are), so a vector operand is a temporary or a local. Every instruction
//! writes its destination through its first operand field, so `local.set` retargets it like a scalar one.

use wasmparser::{MemArg, Operator};

use super::{LastKind, Src, Translator};
use crate::ir::Slot;
use crate::ir::isa::{self, *};
use crate::ir::simd::*;

/// Instantiate a generic handler for the instruction type a family enum's `with` passes in.
macro_rules! getter {
    ($name:ident: $visitor:ident, $trait:ident => $family:ident ($P:ty)) => {
        struct $name;
        impl $visitor for $name {
            type Output = isa::Instr<$P>;
            fn visit<Op: $trait + 'static>(self) -> isa::Instr<$P> {
                isa::$family::op::<Op>()
            }
        }
    };
}
getter!(GetUnary: SimdUnaryVisitor, V128Unary => simd_unary (Un));
getter!(GetBinary: SimdBinaryVisitor, V128Binary => simd_binary (BinSS));
getter!(GetTernary: SimdTernaryVisitor, V128Ternary => simd_ternary (Tern));
getter!(GetShift: SimdShiftVisitor, V128Shift => simd_shift (BinSS));
getter!(GetShiftImm: SimdShiftVisitor, V128Shift => simd_shift_imm (ShiftImm));
getter!(GetTest: SimdTestVisitor, V128Test => simd_test (Un));
getter!(GetSplat: SimdSplatVisitor, V128Splat => simd_splat (Un));
getter!(GetExtract: SimdExtractVisitor, V128Extract => simd_extract (ExtractLane));
getter!(GetReplace: SimdReplaceVisitor, V128Replace => simd_replace (ReplaceLane));

/// The converting load of a splat-family instruction, for a private or a shared memory.
struct GetLoadSplat(bool);
impl SimdSplatVisitor for GetLoadSplat {
    type Output = isa::Instr<Load>;
    fn visit<Op: V128Splat + 'static>(self) -> isa::Instr<Load> {
        if self.0 { isa::v128_load_splat::op::<Op, true>() } else { isa::v128_load_splat::op::<Op, false>() }
    }
}

/// `$family::op::<N, SHARED>()` for a lane width known at run time.
macro_rules! by_width {
    ($family:ident, $n:expr, $shared:expr) => {
        match ($n, $shared) {
            (1, false) => isa::$family::op::<1, false>(),
            (1, true) => isa::$family::op::<1, true>(),
            (2, false) => isa::$family::op::<2, false>(),
            (2, true) => isa::$family::op::<2, true>(),
            (4, false) => isa::$family::op::<4, false>(),
            (4, true) => isa::$family::op::<4, true>(),
            (8, false) => isa::$family::op::<8, false>(),
            _ => isa::$family::op::<8, true>(),
        }
    };
}

/// `$family::op::<SHARED, SHIFT>()` for a fused address's shift (0 to 3) known at run time.
macro_rules! by_shift {
    ($family:ident, $k:expr, $shared:expr) => {
        match ($k, $shared) {
            (0, false) => isa::$family::op::<false, 0>(),
            (0, true) => isa::$family::op::<true, 0>(),
            (1, false) => isa::$family::op::<false, 1>(),
            (1, true) => isa::$family::op::<true, 1>(),
            (2, false) => isa::$family::op::<false, 2>(),
            (2, true) => isa::$family::op::<true, 2>(),
            (_, false) => isa::$family::op::<false, 3>(),
            (_, true) => isa::$family::op::<true, 3>(),
        }
    };
}

impl Translator<'_> {
    /// Pop a `v128` operand (always in slots).
    fn pop_v128(&mut self) -> Slot {
        match self.pop() {
            Src::Slot(s) => s,
            Src::Imm(_) => unreachable!("v128 constants are materialised"),
        }
    }

    /// Pop a scalar operand into a slot: a local is read in place, a constant is materialised.
    fn pop_scalar(&mut self) -> Slot {
        self.materialize_consts(1);
        match self.pop() {
            Src::Slot(s) => s,
            Src::Imm(_) => unreachable!("materialised"),
        }
    }

    /// Emit an instruction producing a `v128` into a new temporary.
    fn emit_v128<P: Operands>(&mut self, h: isa::Instr<P>, make: impl FnOnce(Slot) -> P) {
        let dst = self.push_temp_wide();
        self.emit_result(h, make(dst), dst, LastKind::Other);
    }

    /// `c + a * b` (lane-wise add of a product just computed): one `simd_mul_add`, the product not written.
    fn fuse_mul_add(&mut self, add: SimdBinOp, x: Slot, y: Slot) -> bool {
        let (mul, h) = match add {
            SimdBinOp::F32x4Add => (SimdBinOp::F32x4Mul, isa::simd_mul_add::op::<F32x4Mul, F32x4Add>()),
            SimdBinOp::F64x2Add => (SimdBinOp::F64x2Mul, isa::simd_mul_add::op::<F64x2Mul, F64x2Add>()),
            SimdBinOp::I32x4Add => (SimdBinOp::I32x4Mul, isa::simd_mul_add::op::<I32x4Mul, I32x4Add>()),
            SimdBinOp::I16x8Add => (SimdBinOp::I16x8Mul, isa::simd_mul_add::op::<I16x8Mul, I16x8Add>()),
            _ => return false,
        };
        for (product, c) in [(x, y), (y, x)] {
            if let Some(last) = self.fusable_producer(product)
                && let LastKind::SimdBin(op, a, b) = last.kind
                && op == mul
            {
                self.drop_last(last);
                self.emit_v128(h, |dst| Tern { dst, a, b, c });
                return true;
            }
        }
        false
    }

    /// Translate a SIMD instruction; `false` if `op` is not one.
    pub(super) fn simd(&mut self, op: &Operator<'_>) -> bool {
        if let Some(o) = SimdBinOp::from_operator(op) {
            let b = self.pop_v128();
            let a = self.pop_v128();
            if self.fuse_mul_add(o, a, b) {
                return true;
            }
            let dst = self.push_temp_wide();
            self.emit_result(o.with(GetBinary), BinSS { dst, a, b }, dst, LastKind::SimdBin(o, a, b));
        } else if let Some(o) = SimdUnOp::from_operator(op) {
            let src = self.pop_v128();
            self.emit_v128(o.with(GetUnary), |dst| Un { dst, src });
        } else if let Some(o) = SimdTernOp::from_operator(op) {
            let c = self.pop_v128();
            let b = self.pop_v128();
            let a = self.pop_v128();
            self.emit_v128(o.with(GetTernary), |dst| Tern { dst, a, b, c });
        } else if let Some(o) = SimdShiftOp::from_operator(op) {
            let count = self.pop();
            let a = self.pop_v128();
            match count {
                Src::Imm(imm) => self.emit_v128(o.with(GetShiftImm), |dst| ShiftImm { dst, a, imm: imm as u32 }),
                Src::Slot(b) => self.emit_v128(o.with(GetShift), |dst| BinSS { dst, a, b }),
            }
        } else if let Some(o) = SimdTestOp::from_operator(op) {
            let src = self.pop_v128();
            let dst = self.push_temp();
            self.emit_result(o.with(GetTest), Un { dst, src }, dst, LastKind::Other);
        } else if let Some(o) = SimdSplatOp::from_operator(op) {
            match self.pop() {
                Src::Imm(x) => self.v128_const(o.fold(x).to_u128()),
                Src::Slot(src) => self.emit_v128(o.with(GetSplat), |dst| Un { dst, src }),
            }
        } else if let Some((o, lane)) = SimdExtractOp::from_operator(op) {
            let src = self.pop_v128();
            let dst = self.push_temp();
            self.emit_result(o.with(GetExtract), ExtractLane { dst, src, lane: lane as u32 }, dst, LastKind::Other);
        } else if let Some((o, lane)) = SimdReplaceOp::from_operator(op) {
            let x = self.pop_scalar();
            let a = self.pop_v128();
            self.emit_v128(o.with(GetReplace), |dst| ReplaceLane { dst, a, x, lane: lane as u32 });
        } else if let Some((o, memarg)) = SimdSplatOp::from_load_operator(op) {
            let addr = self.pop_scalar();
            let h = o.with(GetLoadSplat(self.shared_memory));
            self.emit_v128(h, |dst| Load { dst, addr, offset: memarg.offset as u32 });
        } else {
            return self.simd_other(op);
        }
        true
    }

    /// Constants, shuffles and the whole-vector and lane memory accesses.
    fn simd_other(&mut self, op: &Operator<'_>) -> bool {
        match *op {
            Operator::V128Const { value } => self.v128_const(value.i128() as u128),
            Operator::I8x16Shuffle { lanes } => {
                let b = self.pop_v128();
                let a = self.pop_v128();
                let v = u128::from_le_bytes(lanes);
                self.emit_v128(isa::shuffle::op(), |dst| Shuffle { dst, a, b, lo: v as u64, hi: (v >> 64) as u64 });
            }
            Operator::V128Load { memarg } => self.v128_load(memarg),
            Operator::V128Store { memarg } => self.v128_store(memarg),
            Operator::V128Load8Lane { memarg, lane } => self.load_lane(1, memarg, lane),
            Operator::V128Load16Lane { memarg, lane } => self.load_lane(2, memarg, lane),
            Operator::V128Load32Lane { memarg, lane } => self.load_lane(4, memarg, lane),
            Operator::V128Load64Lane { memarg, lane } => self.load_lane(8, memarg, lane),
            Operator::V128Store8Lane { memarg, lane } => self.store_lane(1, memarg, lane),
            Operator::V128Store16Lane { memarg, lane } => self.store_lane(2, memarg, lane),
            Operator::V128Store32Lane { memarg, lane } => self.store_lane(4, memarg, lane),
            Operator::V128Store64Lane { memarg, lane } => self.store_lane(8, memarg, lane),
            _ => return false,
        }
        true
    }

    /// `v128.load`, with the address's `i32.add` (or `add_shl`) fused in when it was just computed.
    fn v128_load(&mut self, memarg: MemArg) {
        let (shared, offset) = (self.shared_memory, memarg.offset as u32);
        self.materialize_consts(1);
        let addr = self.pop();
        match self.fuse_address(addr) {
            Some((a, Src::Slot(b), k)) => {
                let h = by_shift!(v128_load_ss, k, shared);
                self.emit_v128(h, |dst| LoadSS { dst, a, b, offset });
            }
            Some((a, Src::Imm(imm), _)) => {
                let h = if shared { isa::v128_load_si::op::<true>() } else { isa::v128_load_si::op::<false>() };
                self.emit_v128(h, |dst| LoadSI { dst, a, imm: imm as u32, offset });
            }
            None => {
                let Src::Slot(addr) = addr else { unreachable!("materialised") };
                let h = if shared { isa::v128_load::op::<true>() } else { isa::v128_load::op::<false>() };
                self.emit_v128(h, |dst| Load { dst, addr, offset });
            }
        }
    }

    /// `v128.store`; the address's add is fused in when it was computed last (the value is a local).
    fn v128_store(&mut self, memarg: MemArg) {
        let (shared, offset) = (self.shared_memory, memarg.offset as u32);
        let value = self.pop_v128();
        self.materialize_consts(1);
        let addr = self.pop();
        match self.fuse_address(addr) {
            Some((a, Src::Slot(b), k)) => {
                self.emit(by_shift!(v128_store_ss, k, shared), StoreSS { a, b, offset, value });
            }
            Some((a, Src::Imm(imm), _)) => {
                let h = if shared { isa::v128_store_si::op::<true>() } else { isa::v128_store_si::op::<false>() };
                self.emit(h, StoreSI { a, imm: imm as u32, offset, value });
            }
            None => {
                let Src::Slot(addr) = addr else { unreachable!("materialised") };
                let h = if shared { isa::v128_store::op::<true>() } else { isa::v128_store::op::<false>() };
                self.emit(h, Store { addr, offset, value });
            }
        }
    }

    fn v128_const(&mut self, v: u128) {
        self.emit_v128(isa::const_v128::op(), |dst| ConstV128 { dst, lo: v as u64, hi: (v >> 64) as u64 });
    }

    fn load_lane(&mut self, width: usize, memarg: MemArg, lane: u8) {
        let src = self.pop_v128();
        let addr = self.pop_scalar();
        let h = by_width!(v128_load_lane, width, self.shared_memory);
        self.emit_v128(h, |dst| LoadLane { dst, src, addr, offset: memarg.offset as u32, lane: lane as u32 });
    }

    fn store_lane(&mut self, width: usize, memarg: MemArg, lane: u8) {
        let value = self.pop_v128();
        let addr = self.pop_scalar();
        let h = by_width!(v128_store_lane, width, self.shared_memory);
        self.emit(h, StoreLane { addr, offset: memarg.offset as u32, value, lane: lane as u32 });
    }
}
