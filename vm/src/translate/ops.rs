//! The operator dispatcher, and translation of numeric, variable, memory and table instructions.

use wasmparser::{MemArg, Operator};

use super::{Joinable, LastKind, LoadAddr, Operand, Src, Translator};
use crate::error::{Error, Result};
use crate::ir::HANDLER_SIZE;
use crate::ir::families::*;
use crate::ir::isa::{self, *};
use crate::ir::ops::{
    BinOp, CmpOp, InnerOp, LoadKind, OpSubset, OuterOp, ShiftInnerOp, ShiftOuterOp, StoreKind, UnOp, UpdateOp,
};
use crate::types::ValType;

/// A scalar load or store.
#[derive(Debug, Clone, Copy)]
pub(super) enum Access {
    Load(LoadKind),
    Store(StoreKind),
}

/// The scalar load or store `op` is, with its memory immediate.
pub(super) fn scalar_access(op: &Operator<'_>) -> Option<(Access, MemArg)> {
    use Access::{Load, Store};
    Some(match *op {
        Operator::I32Load { memarg } | Operator::F32Load { memarg } => (Load(LoadKind::Load32), memarg),
        Operator::I64Load { memarg } | Operator::F64Load { memarg } => (Load(LoadKind::Load64), memarg),
        Operator::I32Load8S { memarg } => (Load(LoadKind::Load8S32), memarg),
        Operator::I32Load8U { memarg } | Operator::I64Load8U { memarg } => (Load(LoadKind::Load8U), memarg),
        Operator::I32Load16S { memarg } => (Load(LoadKind::Load16S32), memarg),
        Operator::I32Load16U { memarg } | Operator::I64Load16U { memarg } => (Load(LoadKind::Load16U), memarg),
        Operator::I64Load8S { memarg } => (Load(LoadKind::Load8S64), memarg),
        Operator::I64Load16S { memarg } => (Load(LoadKind::Load16S64), memarg),
        Operator::I64Load32S { memarg } => (Load(LoadKind::Load32S64), memarg),
        Operator::I64Load32U { memarg } => (Load(LoadKind::Load32), memarg),
        Operator::I32Store { memarg } | Operator::F32Store { memarg } | Operator::I64Store32 { memarg } => {
            (Store(StoreKind::Store32), memarg)
        }
        Operator::I64Store { memarg } | Operator::F64Store { memarg } => (Store(StoreKind::Store64), memarg),
        Operator::I32Store8 { memarg } | Operator::I64Store8 { memarg } => (Store(StoreKind::Store8), memarg),
        Operator::I32Store16 { memarg } | Operator::I64Store16 { memarg } => (Store(StoreKind::Store16), memarg),
        _ => return None,
    })
}

impl Translator<'_> {
    /// Translate one (already validated) operator. Inlined into its one caller, the loop over a body's
    /// operators: as a call, its prologue and epilogue (a large frame, many saved registers) cost about 20
    /// instructions per operator, 3.5% of a whole `wasmvm run` of sqlite.wasm.
    #[inline(always)]
    pub(super) fn translate(&mut self, op: &Operator<'_>) -> Result<()> {
        // Structure is tracked even in unreachable code; nothing else is emitted there.
        match *op {
            Operator::Block { blockty } => self.block(blockty),
            Operator::Loop { blockty } => self.loop_(blockty),
            Operator::If { blockty } => self.if_(blockty),
            Operator::Else => self.else_(),
            Operator::End => self.end(),
            Operator::TryTable { ref try_table } => self.try_table(try_table),
            _ if !self.reachable => {}
            _ => return self.translate_reachable(op),
        }
        Ok(())
    }

    fn translate_reachable(&mut self, op: &Operator<'_>) -> Result<()> {
        // The most frequent operators first (local.get alone is a quarter of sqlite's), before the family
        // lookups below, each a `match` of its own.
        match *op {
            Operator::LocalGet { local_index } => {
                let (slot, wide) = self.local(local_index);
                self.push_as(Operand::Local(slot), wide);
                return Ok(());
            }
            Operator::LocalSet { local_index } => {
                self.local_set(local_index, false);
                return Ok(());
            }
            Operator::LocalTee { local_index } => {
                self.local_set(local_index, true);
                return Ok(());
            }
            Operator::I32Const { value } => {
                self.push(Operand::Const(value as u32 as u64));
                return Ok(());
            }
            Operator::BrIf { relative_depth } => {
                self.br_if(relative_depth);
                return Ok(());
            }
            _ => {}
        }
        if let Some(b) = BinOp::from_operator(op) {
            self.binary(b);
            return Ok(());
        }
        if let Some(c) = CmpOp::from_operator(op) {
            self.compare(c);
            return Ok(());
        }
        if let Some(u) = UnOp::from_operator(op) {
            self.unary(u);
            return Ok(());
        }
        if (!self.plain_memories && self.memory_any(op))
            || self.memory_instr(op)
            || self.atomic(op)
            || self.table_instr(op)
        {
            return Ok(());
        }
        match *op {
            Operator::Unreachable => self.unreachable(),
            Operator::Throw { tag_index } => self.throw(tag_index),
            Operator::ThrowRef => self.throw_ref(),
            Operator::Nop => {}
            Operator::Br { relative_depth } => self.br(relative_depth),
            Operator::BrTable { ref targets } => {
                let list = targets.targets().collect::<Result<Vec<u32>, _>>().map_err(crate::module::malformed)?;
                self.br_table(&list, targets.default());
            }
            Operator::Return => self.return_(),
            Operator::Call { function_index } => self.call(function_index, false),
            Operator::ReturnCall { function_index } => self.call(function_index, true),
            Operator::CallIndirect { type_index, table_index } => self.call_indirect(type_index, table_index, false)?,
            Operator::ReturnCallIndirect { type_index, table_index } => {
                self.call_indirect(type_index, table_index, true)?
            }
            Operator::Drop => {
                self.stack.pop();
            }
            Operator::Select | Operator::TypedSelect { .. } => self.select(),
            Operator::GlobalGet { global_index }
                if self.m.globals[global_index as usize].ty.content == ValType::V128 =>
            {
                let dst = self.push_temp_wide();
                let p = GlobalGet { dst, global: global_index };
                self.emit_result(isa::global_get_v128::op(), p, dst, LastKind::Other);
            }
            Operator::GlobalGet { global_index } => {
                let dst = self.push_temp();
                let p = GlobalGet { dst, global: global_index };
                self.emit_result_acc(isa::global_get::op(), p, dst, LastKind::GlobalGet(global_index));
            }
            Operator::GlobalSet { global_index }
                if self.m.globals[global_index as usize].ty.content == ValType::V128 =>
            {
                let src = self.pop_slot();
                self.emit(isa::global_set_v128::op(), GlobalSet { global: global_index, src });
            }
            Operator::GlobalSet { global_index } => match self.pop() {
                Src::Slot(src) if self.global_add(global_index, src) => {}
                Src::Slot(src) => {
                    self.emit_acc_in(&global_set_variants(), &[src], GlobalSet { global: global_index, src });
                }
                Src::Imm(value) => {
                    self.emit(isa::global_set_imm::op(), GlobalSetImm { global: global_index, value });
                }
            },
            Operator::I64Const { value } => self.push(Operand::Const(value as u64)),
            Operator::F32Const { value } => self.push(Operand::Const(value.bits() as u64)),
            Operator::F64Const { value } => self.push(Operand::Const(value.bits())),
            Operator::RefNull { .. } => self.push(Operand::Const(0)),
            Operator::RefIsNull => self.unary(UnOp::I64Eqz),
            Operator::RefAsNonNull => {
                let src = self.top_ref_slot();
                self.emit(isa::ref_as_non_null::op(), RefCheck { src });
            }
            Operator::BrOnNull { relative_depth } => self.br_on_null(relative_depth),
            Operator::BrOnNonNull { relative_depth } => self.br_on_non_null(relative_depth),
            Operator::CallRef { type_index } => self.call_ref(type_index, false)?,
            Operator::ReturnCallRef { type_index } => self.call_ref(type_index, true)?,
            Operator::I64Add128 => self.wide128(isa::i64_add128::op()),
            Operator::I64Sub128 => self.wide128(isa::i64_sub128::op()),
            Operator::I64MulWideS => self.mul_wide(isa::i64_mul_wide_s::op()),
            Operator::I64MulWideU => self.mul_wide(isa::i64_mul_wide_u::op()),
            Operator::RefFunc { function_index } => {
                let dst = self.push_temp();
                self.emit_result(isa::ref_func::op(), RefFunc { dst, func: function_index }, dst, LastKind::Other);
            }

            // GC: references compare by slot value, and conversions between `any` and `extern` keep it (`gc`).
            Operator::RefEq => self.compare(CmpOp::I64Eq),
            Operator::AnyConvertExtern | Operator::ExternConvertAny => {}
            _ if self.gc(op)? => {}

            // Not translated: an operator of a proposal wasmvm does not implement ("unsupported feature"), or,
            // if `coverage::check` admits it, a wasmvm bug, reported as an error rather than a panic.
            _ if self.simd(op) => {}
            _ => {
                super::coverage::check(op, self.code.wasm_offset as u64)?;
                return Err(Error::Unsupported(format!("instruction {op:?} is not translated (a wasmvm bug)")));
            }
        }
        Ok(())
    }

    /// `i64.add128` / `i64.sub128`: four i64 operands, two i64 results (low, high).
    fn wide128(&mut self, op: isa::Instr<Wide128>) {
        let [a_lo, a_hi, b_lo, b_hi] = self.pop_slots::<4>();
        let dst = self.push_temp();
        self.push_temp();
        self.emit(op, Wide128 { dst, a_lo, a_hi, b_lo, b_hi });
    }

    /// `i64.mul_wide_s` / `i64.mul_wide_u`: two i64 operands, two i64 results (low, high).
    fn mul_wide(&mut self, op: isa::Instr<BinSS>) {
        let [a, b] = self.pop_slots::<2>();
        let dst = self.push_temp();
        self.push_temp();
        self.emit(op, BinSS { dst, a, b });
    }

    /// Translate a memory instruction; `false` if `op` is not one.
    fn memory_instr(&mut self, op: &Operator<'_>) -> bool {
        if let Some((access, memarg)) = scalar_access(op) {
            match access {
                Access::Load(kind) => self.load(kind, memarg),
                Access::Store(kind) => self.store(kind, memarg),
            }
            return true;
        }
        match *op {
            Operator::MemorySize { .. } => {
                let dst = self.push_temp();
                self.emit_result(isa::memory_size::op(), MemSize { dst }, dst, LastKind::Other);
            }
            Operator::MemoryGrow { .. } => {
                let delta = self.pop_slot();
                let dst = self.push_temp();
                self.emit_result(isa::memory_grow::op(), MemGrow { dst, delta }, dst, LastKind::Other);
            }
            Operator::MemoryFill { .. } => {
                let [dst, src, len] = self.pop3();
                self.emit(isa::memory_fill::op(), MemBulk { dst, src, len });
            }
            Operator::MemoryCopy { .. } => {
                let [dst, src, len] = self.pop3();
                self.emit(isa::memory_copy::op(), MemBulk { dst, src, len });
            }
            Operator::MemoryInit { data_index, .. } => {
                let [dst, src, len] = self.pop3();
                self.emit(isa::memory_init::op(), MemInit { segment: data_index, dst, src, len });
            }
            Operator::DataDrop { data_index } => {
                self.emit(isa::data_drop::op(), DataDrop { segment: data_index });
            }
            _ => return false,
        }
        true
    }

    /// Is table `index` a table64 (indexed with i64)?
    pub(super) fn table64(&self, index: u32) -> bool {
        self.m.tables.get(index as usize).is_some_and(|t| t.ty.table64)
    }

    /// Translate a table instruction; `false` if `op` is not one.
    fn table_instr(&mut self, op: &Operator<'_>) -> bool {
        /// `isa::$family::op::<T64>()` for a table's index type.
        macro_rules! by_t64 {
            ($family:ident, $t64:expr) => {
                if $t64 { isa::$family::op::<true>() } else { isa::$family::op::<false>() }
            };
        }
        match *op {
            Operator::TableGet { table } => {
                let index = self.pop_slot();
                let dst = self.push_temp();
                self.emit_result(
                    by_t64!(table_get, self.table64(table)),
                    TableGet { dst, table, index },
                    dst,
                    LastKind::Other,
                );
            }
            Operator::TableSet { table } => {
                self.materialize_top(2);
                let value = self.pop_slot();
                let index = self.pop_slot();
                self.emit(by_t64!(table_set, self.table64(table)), TableSet { table, index, value });
            }
            Operator::TableSize { table } => {
                let dst = self.push_temp();
                self.emit_result(isa::table_size::op(), TableSize { dst, table }, dst, LastKind::Other);
            }
            Operator::TableGrow { table } => {
                self.materialize_top(2);
                let delta = self.pop_slot();
                let init = self.pop_slot();
                let dst = self.push_temp();
                self.emit_result(
                    by_t64!(table_grow, self.table64(table)),
                    TableGrow { dst, table, init, delta },
                    dst,
                    LastKind::Other,
                );
            }
            Operator::TableFill { table } => {
                let [dst, value, len] = self.pop3();
                self.emit(by_t64!(table_fill, self.table64(table)), TableFill { table, dst, value, len });
            }
            Operator::TableCopy { dst_table, src_table } => {
                let [dst, src, len] = self.pop3();
                self.emit(
                    match (self.table64(dst_table), self.table64(src_table)) {
                        (false, false) => isa::table_copy::op::<false, false>(),
                        (false, true) => isa::table_copy::op::<false, true>(),
                        (true, false) => isa::table_copy::op::<true, false>(),
                        (true, true) => isa::table_copy::op::<true, true>(),
                    },
                    TableCopy { dst_table, src_table, dst, src, len },
                );
            }
            Operator::TableInit { elem_index, table } => {
                let [dst, src, len] = self.pop3();
                self.emit(
                    by_t64!(table_init, self.table64(table)),
                    TableInit { table, segment: elem_index, dst, src, len },
                );
            }
            Operator::ElemDrop { elem_index } => {
                self.emit(isa::elem_drop::op(), ElemDrop { segment: elem_index });
            }
            _ => return false,
        }
        true
    }

    /// `global.set` of `src`, just computed as `x ± k` in i32: one `global_add` instead, which also writes
    /// `src` (a local after `local.tee`, or a dead temporary). If `x` is a temporary the instruction before
    /// read from this global, that `global.get` goes too: the shadow stack pointer's prologue, `sp -= k`,
    /// is one dispatch instead of three, and its epilogue, `sp = fp_local + k`, one instead of two.
    fn global_add(&mut self, global: u32, src: crate::ir::Slot) -> bool {
        let Some(last) = self.last.filter(|l| l.dst == src && l.pos >= self.barrier) else { return false };
        let Some((a, imm, false)) = super::control::increment(last.kind) else { return false };
        let get = self.prev.filter(|p| {
            p.pos >= self.barrier
                && p.pos < last.pos
                && p.dst == a
                && a >= self.num_locals
                && matches!(p.kind, LastKind::GlobalGet(g) if g == global)
        });
        self.truncate_code(get.map_or(last.pos, |p| p.pos));
        self.last = None;
        self.prev = None;
        let h = if get.is_some() { isa::global_add::op::<true>() } else { isa::global_add::op::<false>() };
        self.emit_result_acc(h, GlobalAdd { dst: src, global, a, imm }, src, LastKind::Other);
        true
    }

    /// Pop three operands into slots (in push order).
    /// Locals are read in place (the bulk memory and table instructions read all three before they write
    /// anything); only constants are materialised.
    pub(super) fn pop3(&mut self) -> [crate::ir::Slot; 3] {
        self.materialize_consts(3);
        let mut slot = || match self.pop() {
            Src::Slot(s) => s,
            Src::Imm(_) => unreachable!("materialised"),
        };
        let [c, b, a] = [slot(), slot(), slot()];
        [a, b, c]
    }

    fn binary(&mut self, op: BinOp) {
        let b = self.pop();
        let a = self.pop();
        let (b, a) = if op.narrow() { (self.skip_wrap(b), self.skip_wrap(a)) } else { (b, a) };
        if let (Src::Imm(x), Src::Imm(y)) = (a, b)
            && let Some(r) = op.fold(x, y)
        {
            self.push(Operand::Const(r));
            return;
        }
        let dst = self.temp_slot(self.height());
        if self.zero_byte(op, a, b, dst) {
            self.push(Operand::Temp);
            return;
        }
        // `a + (x << k)` with the shift just computed: one instruction (array indexing).
        if op == BinOp::I32Add
            && let (Src::Slot(sa), Src::Slot(sb)) = (a, b)
        {
            for (base, index) in [(sa, sb), (sb, sa)] {
                if let Some(last) = self.fusable_producer(index)
                    && let LastKind::Bin(BinOp::I32Shl, Src::Slot(x), Src::Imm(k)) = last.kind
                    && (1..=3).contains(&(k as u32 & 31))
                {
                    let k = k as u32 & 31;
                    self.drop_last(last);
                    let p = BinSS { dst, a: base, b: x };
                    self.emit_result_acc_in(&add_shl_by(k), &[base, x], p, dst, LastKind::AddShl(base, x, k));
                    self.push(Operand::Temp);
                    return;
                }
            }
        }
        // (`x - k` is `x + -k`.)
        let add_imm = match (op, a, b) {
            (BinOp::I32Add, Src::Slot(x), Src::Imm(k)) | (BinOp::I32Add, Src::Imm(k), Src::Slot(x)) => Some((x, k)),
            (BinOp::I32Sub, Src::Slot(x), Src::Imm(k)) => Some((x, (k as u32).wrapping_neg() as u64)),
            _ => None,
        };
        if let Some((x, k)) = add_imm
            && self.add_after_add(x, k, dst)
        {
            self.push(Operand::Temp);
            return;
        }
        if self.fuse_pair(op, a, b, dst) {
            self.push(Operand::Temp);
            return;
        }
        let h = binary_handlers(op);
        let kind = match (a, b) {
            (Src::Imm(_), Src::Slot(_)) if op.is_commutative() => LastKind::Bin(op, b, a),
            _ => LastKind::Bin(op, a, b),
        };
        match (a, b) {
            (Src::Slot(a), Src::Slot(b)) => self.emit_acc(&h.ss, &[a, b], BinSS { dst, a, b }, dst, kind),
            (Src::Slot(a), Src::Imm(imm)) => self.emit_acc(&h.si, &[a], BinSI { dst, a, imm }, dst, kind),
            (Src::Imm(imm), Src::Slot(b)) if op.is_commutative() => {
                self.emit_acc(&h.si, &[b], BinSI { dst, a: b, imm }, dst, kind)
            }
            (Src::Imm(imm), Src::Slot(b)) => self.emit_result(h.is, BinIS { dst, imm, b }, dst, kind),
            (Src::Imm(x), Src::Imm(imm)) => {
                // Folding would trap: evaluate at run time.
                self.emit(isa::constant::op(), Const { dst, value: x });
                self.emit_result(h.si.plain(), BinSI { dst, a: dst, imm }, dst, LastKind::Other)
            }
        };
        self.push(Operand::Temp);
    }

    /// An i32 operand that the last instruction computed with `i32.wrap_i64`: remove the wrap and read the
    /// i64 in place. Only for consumers that read the low 32 bits of their operands and nothing else — a
    /// binary operation or comparison of 32-bit operands (`op.narrow()`), and their fused forms (`from_slot`
    /// of a 32-bit type, `as u32`, 32-bit effective addresses) — never for one that passes the slot on as
    /// it is (`local.set`, `select`, a call argument) or reads it whole: the free `i64.extend_i32_u` makes
    /// the wrapped value an operand of i64 operations, which must see its high half cleared.
    fn skip_wrap(&mut self, s: Src) -> Src {
        if let Src::Slot(t) = s
            && let Some(last) = self.fusable_producer(t)
            && let LastKind::Wrap(x) = last.kind
        {
            self.drop_last(last);
            return Src::Slot(x);
        }
        s
    }

    /// `(x INNER y) OP c` where the inner operation is the last instruction and its result is one of this
    /// operation's operands: emit both as one `bin2` instruction.
    /// `x + k` (i32) right after another `y + j`: folded into it when `x` is its temporary result
    /// (`y + (j + k)`), or both in one `add2` when they are independent (address arithmetic such as `sp + 16`
    /// and `sp + 32` passed to a call; pointers stepped together in a loop). A third addition after an `add2`
    /// joins it (`add3`: the three run in order, so they need not be independent). Neither is an addition
    /// the later fusions of one addition know (they would remove all); a branch on the last sum fuses with
    /// them (`add2_br`, `add3_br`).
    fn add_after_add(&mut self, x: crate::ir::Slot, k: u64, dst: crate::ir::Slot) -> bool {
        let Some(last) = self.last.filter(|l| l.pos >= self.barrier) else { return false };
        if let LastKind::Add2 = last.kind {
            let two: Add2 = self.code.read(crate::ir::operands_at(last.pos));
            self.drop_last(last);
            let p = Add3 {
                dst,
                a: x,
                imm: k as u32,
                dst1: two.dst,
                a1: two.a,
                imm1: two.imm,
                dst2: two.dst1,
                a2: two.a1,
                imm2: two.imm1,
            };
            self.emit_result_acc(isa::add3::op(), p, dst, LastKind::Add3);
            return true;
        }
        let LastKind::Bin(BinOp::I32Add, Src::Slot(y), Src::Imm(j)) = last.kind else { return false };
        if last.dst == x && x < self.num_locals {
            return false;
        }
        // (The instruction before the first addition is the last one now: it may hand `y` over.)
        self.drop_last(last);
        if last.dst == x {
            let imm = (j as u32).wrapping_add(k as u32) as u64;
            let kind = LastKind::Bin(BinOp::I32Add, Src::Slot(y), Src::Imm(imm));
            self.emit_acc(&binary_handlers(BinOp::I32Add).si, &[y], BinSI { dst, a: y, imm }, dst, kind);
            return true;
        }
        let p = Add2 { dst, a: x, imm: k as u32, dst1: last.dst, a1: y, imm1: j as u32 };
        self.emit_result_acc_in(&add2_variants(), &[y], p, dst, LastKind::Add2);
        true
    }

    fn fuse_pair(&mut self, op: BinOp, a: Src, b: Src, dst: crate::ir::Slot) -> bool {
        // (A rotation right by a constant is one left by its complement.)
        let (op, b) = match (op, b) {
            (BinOp::I32Rotr, Src::Imm(k)) => (BinOp::I32Rotl, Src::Imm((k as u32).wrapping_neg() as u64 & 31)),
            _ => (op, b),
        };
        if let Some(shift) = ShiftOuterOp::of(op) {
            return self.fuse_shift(shift, a, b, dst);
        }
        if OuterOp::of(op).is_none() {
            return false;
        }
        for (this, other, swap) in [(a, b, false), (b, a, true)] {
            let Src::Slot(s) = this else { continue };
            let Some(last) = self.fusable_producer(s) else { continue };
            let LastKind::Bin(inner_op, Src::Slot(x), y) = last.kind else { continue };
            let Some(inner) = InnerOp::of(inner_op) else { continue };
            let Some((y, y_imm)) = y.inner_field() else { continue };
            let (c, c_imm) = other.field();
            // The inner result as the right-hand side: commute the outer operation (`c - r` is `r SubFrom c`).
            let outer = match (swap && !op.is_commutative(), op) {
                (true, BinOp::I32Sub) => OuterOp::I32SubFrom,
                (true, _) => continue,
                (false, _) => OuterOp::of(op).expect("checked above"),
            };
            // (The instruction before the inner one is the last one now: it may hand `x` over.)
            self.drop_last(last);
            let h: Bin2Handlers = inner.with(GetBin2::new(outer));
            let v = h.pick(y_imm, c_imm);
            self.emit_result_acc_in(v, &[x], Bin2 { dst, a: x, b: y, c }, dst, LastKind::Other);
            return true;
        }
        false
    }

    /// `(x INNER y) SHIFT k`, a shift or rotation by a constant of the last instruction's temporary result:
    /// one `bin2` (`(a ^ b) rotl 16` in hash rounds, `(x & m) >> k`). A left shift by 1 to 3 stays apart:
    /// an addition after it makes it an index (`add_shl`, then an indexed access).
    fn fuse_shift(&mut self, shift: ShiftOuterOp, a: Src, b: Src, dst: crate::ir::Slot) -> bool {
        let (Src::Slot(s), Src::Imm(k)) = (a, b) else { return false };
        if shift == ShiftOuterOp::I32Shl && (1..=3).contains(&(k as u32 & 31)) {
            return false;
        }
        let Some(last) = self.fusable_producer(s) else { return false };
        let LastKind::Bin(inner_op, Src::Slot(x), y) = last.kind else { return false };
        let Some(inner) = ShiftInnerOp::of(inner_op) else { return false };
        let Some((y, y_imm)) = y.inner_field() else { return false };
        // (The instruction before the inner one is the last one now: it may hand `x` over.)
        self.drop_last(last);
        let v: Bin2ShiftHandlers = inner.with(GetBin2::new(shift));
        let c = k & 31;
        self.emit_result_acc_in(v.pick(y_imm), &[x], Bin2 { dst, a: x, b: y, c }, dst, LastKind::Other);
        true
    }

    fn compare(&mut self, op: CmpOp) {
        let b = self.pop();
        let a = self.pop();
        let (b, a) = if op.narrow() { (self.skip_wrap(b), self.skip_wrap(a)) } else { (b, a) };
        if let (Src::Imm(x), Src::Imm(y)) = (a, b)
            && let Some(r) = op.fold(x, y)
        {
            self.push(Operand::Const(r));
            return;
        }
        let dst = self.temp_slot(self.height());
        let kind = LastKind::Cmp(op, a, b);
        let (op, a, b) = match (a, b) {
            (Src::Imm(_), Src::Slot(_)) => (op.swapped(), b, a),
            _ => (op, a, b),
        };
        let h = compare_handlers(op);
        match (a, b) {
            (Src::Slot(a), Src::Slot(b)) => self.emit_acc(&h.ss, &[a, b], BinSS { dst, a, b }, dst, kind),
            (Src::Slot(a), Src::Imm(imm)) => self.emit_acc(&h.si, &[a], BinSI { dst, a, imm }, dst, kind),
            _ => unreachable!("comparisons never trap, so constants fold"),
        };
        self.push(Operand::Temp);
    }

    pub(super) fn unary(&mut self, op: UnOp) {
        let a = self.pop();
        let dst = self.temp_slot(self.height());
        let src = match a {
            Src::Imm(x) => {
                if let Some(r) = op.fold(x) {
                    self.push(Operand::Const(r));
                    return;
                }
                self.emit(isa::constant::op(), Const { dst, value: x });
                dst
            }
            Src::Slot(s) => s,
        };
        let kind = match op {
            UnOp::I32Eqz => LastKind::Eqz32(src),
            UnOp::I64Eqz => LastKind::Eqz64(src),
            UnOp::I32WrapI64 => LastKind::Wrap(src),
            _ => LastKind::Other,
        };
        // Reinterpretations are bit-level no-ops on slots, and so is `i64.extend_i32_u`: an i32 (or f32) in a
        // slot is always zero-extended (every producer writes `v as u32 as u64`, see `ir::ops::SlotValue`), so
        // it already is its own u64. A copy (or nothing) suffices.
        if matches!(
            op,
            UnOp::I32ReinterpretF32
                | UnOp::I64ReinterpretF64
                | UnOp::F32ReinterpretI32
                | UnOp::F64ReinterpretI64
                | UnOp::I64ExtendI32U
        ) {
            self.push(match a {
                Src::Slot(s) if s < self.num_locals => Operand::Local(s),
                _ => Operand::Temp,
            });
            if let Src::Slot(s) = a
                && s >= self.num_locals
                && s != dst
            {
                self.copy_to(dst, Src::Slot(s));
            }
            return;
        }
        self.emit_acc(unary_handlers(op), &[src], Un { dst, src }, dst, kind);
        self.push(Operand::Temp);
    }

    /// If the address in `addr` was just computed by an `i32.add`, remove that add: the memory access will
    /// compute `a + b` itself (`base + index` addressing).
    /// Returns the base, the index (slot or immediate) and the index's shift.
    pub(super) fn fuse_address(&mut self, addr: Src) -> Option<(crate::ir::Slot, Src, u32)> {
        let Src::Slot(s) = addr else { return None };
        let last = self.fusable_producer(s)?;
        match last.kind {
            LastKind::Bin(BinOp::I32Add, Src::Slot(a), b @ (Src::Slot(_) | Src::Imm(_))) => {
                self.drop_last(last);
                Some((a, b, 0))
            }
            LastKind::AddShl(a, b, k) => {
                self.drop_last(last);
                Some((a, Src::Slot(b), k))
            }
            _ => None,
        }
    }

    /// `store(x + y, v)` where `x + y` was computed just before the value `v` (the previous and the last
    /// instruction; `v` may be a local the last instruction was retargeted to): remove the address
    /// computation from under the value's and fuse it into the store.
    fn fuse_address_under_value(&mut self, addr: Src, value: crate::ir::Slot) -> Option<(crate::ir::Slot, Src, u32)> {
        let Src::Slot(s) = addr else { return None };
        let (last, prev) = (self.last?, self.prev?);
        if last.dst != value
            || prev.dst != s
            || s < self.num_locals
            || prev.pos < self.barrier
            || matches!(last.kind, LastKind::Call)
        {
            return None;
        }
        let fused = match prev.kind {
            LastKind::Bin(BinOp::I32Add, Src::Slot(a), b @ (Src::Slot(_) | Src::Imm(_))) => (a, b, 0),
            LastKind::AddShl(a, b, k) => (a, Src::Slot(b), k),
            _ => return None,
        };
        // The value's instruction now runs first: it must not overwrite what the address reads.
        if fused.0 == value || fused.1 == Src::Slot(value) {
            return None;
        }
        // (The value's instruction cannot read the address from the accumulator: the address is below
        // the value on the stack.)
        debug_assert!(!self.acc_links.iter().any(|l| l.consumer == last.pos && l.producer == prev.pos));
        self.cut(prev.pos);
        self.code.remove(prev.pos, last.pos);
        // The value's instruction, moved to where the address's was, is still the last one: the store may
        // read the value from the accumulator.
        self.last = Some(super::LastOp { pos: prev.pos, ..last });
        self.prev = None;
        self.last_joinable = None;
        Some(fused)
    }

    fn load(&mut self, kind: LoadKind, memarg: MemArg) {
        let addr = self.pop();
        let dst = self.temp_slot(self.height());
        let h = load_handlers(kind);
        let shared = self.shared_memory;
        let offset = memarg.offset as u32;
        let last = |a: LoadAddr| if !shared { LastKind::Load(kind, a) } else { LastKind::Other };
        match (self.fuse_address(addr), addr) {
            (Some((a, Src::Slot(b), k)), _) if !shared => {
                let kind = if k == 0 { last(LoadAddr::SS(a, b, offset)) } else { LastKind::Other };
                self.emit_acc(&h.ss_acc[k as usize], &[a, b], LoadSS { dst, a, b, offset }, dst, kind);
            }
            (Some((a, Src::Slot(b), k)), _) => {
                self.emit_result(h.ss[k as usize].shared, LoadSS { dst, a, b, offset }, dst, LastKind::Other);
            }
            (Some((a, Src::Imm(imm), _)), _) if !shared => {
                let p = LoadSI { dst, a, imm: imm as u32, offset };
                self.emit_acc(&h.si_acc, &[a], p, dst, LastKind::Other);
            }
            (Some((a, Src::Imm(imm), _)), _) => {
                self.emit_result(h.si.shared, LoadSI { dst, a, imm: imm as u32, offset }, dst, LastKind::Other);
            }
            (None, Src::Slot(addr)) => {
                if let Some(first) = self.load_pair_partner(kind) {
                    // One dispatch for both loads; the pair ends any further fusion.
                    self.truncate_code(first.0);
                    self.emit_result(
                        h.pair[(addr == first.1.dst) as usize],
                        LoadPair { dst, addr, offset, dst1: first.1.dst, addr1: first.1.addr, offset1: first.1.offset },
                        dst,
                        LastKind::LoadPair(kind),
                    );
                    self.prev = None;
                } else if shared {
                    self.emit_result(h.slot.shared, Load { dst, addr, offset }, dst, LastKind::Other);
                } else {
                    let kind = last(LoadAddr::Slot(addr, offset));
                    self.emit_acc(&h.slot_acc, &[addr], Load { dst, addr, offset }, dst, kind);
                }
            }
            (None, Src::Imm(a)) => {
                let ea = a as u32 as u64 + memarg.offset;
                self.emit_result(h.abs.pick(shared), LoadAbs { dst, ea }, dst, LastKind::Other);
            }
        }
        self.push(Operand::Temp);
    }

    /// The last instruction, if it is a plain load of `kind` from private memory that nothing follows yet
    /// (so that the next load can join it): its position and operands (its `dst` as retargeted since).
    fn load_pair_partner(&self, kind: LoadKind) -> Option<(usize, Load)> {
        let last = self.last?;
        match last.kind {
            LastKind::Load(k, LoadAddr::Slot(..)) if k == kind && self.ends_code::<Load>(last.pos) => {
                Some((last.pos, self.code.read(crate::ir::operands_at(last.pos))))
            }
            _ => None,
        }
    }

    /// A store to private memory with address and value in slots: one `load_store` with the load of its
    /// value (a temporary of the same width that nothing else reads), one `store_pair` with a store of the
    /// same width just before it, or plain.
    fn store_slot(&mut self, kind: StoreKind, p: Store) {
        if self.update_in_place(kind, p) {
            return;
        }
        let h = store_handlers(kind);
        if p.value >= self.num_locals
            && let Some(last) = self.last
            && last.dst == p.value
            && let LastKind::Load(load_kind, LoadAddr::Slot(..)) = last.kind
            && load_kind.same_width_store() == kind
            && self.ends_code::<Load>(last.pos)
        {
            let Load { addr, offset, .. } = self.code.read(crate::ir::operands_at(last.pos));
            // The instruction before the load is the last one again: it may hand the address over.
            self.drop_last(last);
            let moved = LoadStore { from: addr, from_offset: offset, to: p.addr, to_offset: p.offset };
            self.emit_acc_in(&h.load_store, &[addr], moved);
            return;
        }
        if let Some(Joinable::Store(pos, first_kind, first)) = self.last_joinable
            && first_kind == kind
            && self.ends_code::<Store>(pos)
        {
            self.truncate_code(pos);
            let Store { addr: addr1, offset: offset1, value: value1 } = first;
            self.emit(h.pair, StorePair { addr: p.addr, offset: p.offset, value: p.value, addr1, offset1, value1 });
            return;
        }
        let pos = self.emit_acc_in(&h.slot_acc, &[p.value, p.addr], p);
        self.last_joinable = Some(Joinable::Store(pos, kind, p));
    }

    /// `store(a, load(a) OP b)`, the load, the operation and the store one after the other, the same
    /// location and width (a counter or a flag word updated in place: `p->n += k`, `freq[c]++`, `w |= m`):
    /// one `load_op_store`, for an addition, subtraction (of `b`), and, or or xor whose other operand is a
    /// constant or a slot. The loaded value and the result are temporaries nothing else reads.
    fn update_in_place(&mut self, kind: StoreKind, p: Store) -> bool {
        let (Some(op), Some(load)) = (self.last, self.prev) else { return false };
        let LastKind::Bin(bin, a, b) = op.kind else { return false };
        let LastKind::Load(load_kind, LoadAddr::Slot(addr, offset)) = load.kind else { return false };
        let Some(update) = UpdateOp::of_either(bin) else { return false };
        let x = Src::Slot(load.dst);
        let other = match (a, b) {
            (a, other) if a == x && other != x => other,
            (other, b) if b == x && other != x && bin.is_commutative() => other,
            _ => return false,
        };
        let adjacent = load.pos + HANDLER_SIZE + std::mem::size_of::<Load>() == op.pos
            && (self.ends_code::<BinSI>(op.pos) || self.ends_code::<BinSS>(op.pos) || self.ends_code::<BinIS>(op.pos));
        if !adjacent
            || load.pos < self.barrier
            || load.dst < self.num_locals
            || op.dst != p.value
            || p.value < self.num_locals
            || (addr, offset) != (p.addr, p.offset)
            || load_kind.same_width_store() != kind
        {
            return false;
        }
        let (b, b_imm) = other.field();
        // The load took its address from the accumulator: the instruction before it still hands it over
        // once the load and the operation are gone.
        let addr_in_acc = self.load_addr_in_acc(load_kind, load.pos);
        self.truncate_code(load.pos);
        self.last = None;
        self.prev = None;
        self.last_joinable = None;
        let h = store_handlers(kind).rmw[update as usize].pick(!b_imm);
        self.emit(h.by[addr_in_acc as usize], LoadOpStore { addr, offset, b });
        true
    }

    /// Does the load at `pos` (of `kind`, address in a slot) take its address from the accumulator (either
    /// variant: it may also have been switched to leave its value there)?
    pub(super) fn load_addr_in_acc(&self, kind: LoadKind, pos: usize) -> bool {
        load_handlers(kind).slot_acc.by[1].iter().any(|&h| self.code.is_handler(pos, h))
    }

    fn store(&mut self, kind: StoreKind, memarg: MemArg) {
        let value = self.pop();
        let addr_depth = self.height() - 1;
        let addr = self.pop();
        let h = store_handlers(kind);
        let shared = self.shared_memory;
        let offset = memarg.offset as u32;
        // The address was computed last, or just before the instruction computing the value.
        let fused = match value {
            Src::Slot(v) if v >= self.num_locals => self.fuse_address_under_value(addr, v),
            Src::Slot(v) => self.fuse_address(addr).or_else(|| self.fuse_address_under_value(addr, v)),
            Src::Imm(_) => self.fuse_address(addr),
        };
        match (fused, addr, value) {
            (Some((a, Src::Slot(b), k)), _, Src::Slot(value)) if !shared => {
                self.emit_acc_in(&h.ss_acc[k as usize], &[value, a, b], StoreSS { a, b, offset, value });
            }
            (Some((a, Src::Slot(b), k)), _, Src::Slot(value)) => {
                self.emit(h.ss[k as usize].shared, StoreSS { a, b, offset, value });
            }
            (Some((a, Src::Slot(b), k)), _, Src::Imm(value)) => {
                self.emit(h.ss_imm[k as usize].pick(shared), StoreSSImm { a, b, offset, value });
            }
            (Some((a, Src::Imm(imm), _)), _, Src::Slot(value)) if !shared => {
                self.emit_acc_in(&h.si_acc, &[value, a], StoreSI { a, imm: imm as u32, offset, value });
            }
            (Some((a, Src::Imm(imm), _)), _, Src::Slot(value)) => {
                self.emit(h.si.shared, StoreSI { a, imm: imm as u32, offset, value });
            }
            (Some((a, Src::Imm(imm), _)), _, Src::Imm(value)) => {
                self.emit(h.si_imm.pick(shared), StoreSIImm { a, imm: imm as u32, offset, value });
            }
            (None, Src::Slot(addr), Src::Slot(value)) if !shared => {
                self.store_slot(kind, Store { addr, offset, value })
            }
            (None, Src::Slot(addr), Src::Slot(value)) => {
                self.emit(h.slot.shared, Store { addr, offset, value });
            }
            (None, Src::Slot(addr), Src::Imm(value)) => {
                self.emit(h.imm.pick(shared), StoreImm { addr, offset, value });
            }
            (None, Src::Imm(a), Src::Slot(value)) => {
                self.emit(h.abs.pick(shared), StoreAbs { ea: a as u32 as u64 + memarg.offset, value });
            }
            (None, Src::Imm(a), Src::Imm(value)) => {
                let addr = self.temp_slot(addr_depth);
                self.need_slots(addr + 1);
                self.emit(isa::constant::op(), Const { dst: addr, value: a });
                self.emit(h.imm.pick(shared), StoreImm { addr, offset, value });
            }
        }
    }
}
