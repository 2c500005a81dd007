//! Translation of structured control flow, branches, calls, `select` and locals.

use wasmparser::BlockType;

use super::if_convert::Test;
use super::{Control, ControlKind, Entry, LastKind, LastOp, LoadAddr, Operand, Src, Translator};
use crate::error::{Error, Result};
use crate::ir::families::*;
use crate::ir::isa::{self, *};
use crate::ir::ops::{BinOp, CmpOp, LoadKind};
use crate::ir::{HANDLER_SIZE, Slot, operands_at};
use crate::types::ValType;

impl Translator<'_> {
    /// Parameter and result counts of a block type.
    fn block_arity(&self, bt: BlockType) -> (u32, u32) {
        match bt {
            BlockType::Empty => (0, 0),
            BlockType::Type(_) => (0, 1),
            BlockType::FuncType(t) => {
                let ty = &self.m.types[t as usize];
                (ty.params().len() as u32, ty.results().len() as u32)
            }
        }
    }

    /// Is result `i` of a block type a `v128`?
    fn result_wide(&self, bt: BlockType, i: u32) -> bool {
        match bt {
            BlockType::Empty => false,
            BlockType::Type(t) => t == wasmparser::ValType::V128,
            BlockType::FuncType(t) => self.m.types[t as usize].results()[i as usize] == ValType::V128,
        }
    }

    fn push_control(&mut self, kind: ControlKind, bt: BlockType, if_params: Vec<Entry>) -> usize {
        let (params, results) = self.block_arity(bt);
        let label = self.new_label();
        // In unreachable code the operand stack is polymorphic: a block's parameters are not really on it,
        // and its base must not reach below the operands of the blocks around it.
        let base = if self.reachable { self.height() - params } else { self.height() };
        self.control.push(Control { kind, ty: bt, label, base, params, results, reachable: self.reachable, if_params });
        label
    }

    pub(super) fn block(&mut self, bt: BlockType) {
        if self.reachable {
            let (params, _) = self.block_arity(bt);
            self.preserve_locals_below(self.height() - params);
        }
        self.push_control(ControlKind::Block, bt, Vec::new());
    }

    pub(super) fn loop_(&mut self, bt: BlockType) {
        if self.reachable {
            let (params, _) = self.block_arity(bt);
            self.preserve_locals_below(self.height() - params);
            // Branches back to the head deliver the parameters in their slots.
            self.materialize_top(params);
        }
        let label = self.push_control(ControlKind::Loop, bt, Vec::new());
        if self.reachable {
            self.bind(label);
            if self.m.engine.config().interruptible {
                self.emit(isa::check_interrupt::op(), Nothing {});
            }
        }
    }

    pub(super) fn if_(&mut self, bt: BlockType) {
        if !self.reachable {
            let else_label = self.new_label();
            self.push_control(ControlKind::If { else_label }, bt, Vec::new());
            return;
        }
        let cond = self.pop_cond();
        let (params, _) = self.block_arity(bt);
        let before = self.code.pos();
        self.preserve_locals_below(self.height() - params);
        let fusable = if self.code.pos() == before { cond.1 } else { None };
        let else_label = self.new_label();
        self.branch_on(cond.0, fusable, false, else_label);
        let if_params = self.stack[(self.height() - params) as usize..].to_vec();
        self.push_control(ControlKind::If { else_label }, bt, if_params);
    }

    pub(super) fn else_(&mut self) {
        let Some(ctrl) = self.control.last() else {
            return;
        };
        let ControlKind::If { else_label } = ctrl.kind else {
            return;
        };
        let (label, base, results, reachable) = (ctrl.label, ctrl.base, ctrl.results, ctrl.reachable);
        if self.reachable {
            self.move_top_to(base, results);
            self.emit_jump(label);
        }
        self.bind(else_label);
        let ctrl = self.control.last_mut().expect("checked");
        ctrl.kind = ControlKind::Else;
        let params = std::mem::take(&mut ctrl.if_params);
        self.stack.truncate(base as usize);
        self.stack.extend(params);
        self.reachable = reachable;
    }

    pub(super) fn end(&mut self) {
        let Some(ctrl) = self.control.pop() else {
            return;
        };
        if ctrl.kind == ControlKind::Try {
            self.end_try();
        }
        if let ControlKind::If { else_label } = ctrl.kind {
            // No `else`: the false path carries the parameters to the end as results.
            if self.reachable {
                self.move_top_to(ctrl.base, ctrl.results);
                if ctrl.params > 0 {
                    self.emit_jump(ctrl.label);
                }
            }
            self.bind(else_label);
            if ctrl.reachable && ctrl.params > 0 {
                self.stack.truncate(ctrl.base as usize);
                self.stack.extend(ctrl.if_params.iter().copied());
                self.move_top_to(ctrl.base, ctrl.results);
            }
            self.reachable = ctrl.reachable;
        } else if self.reachable && ctrl.kind != ControlKind::Function {
            self.move_top_to(ctrl.base, ctrl.results);
        }
        if ctrl.kind == ControlKind::Function {
            if self.reachable {
                self.emit_return();
            }
            return;
        }
        if ctrl.kind != ControlKind::Loop {
            self.bind(ctrl.label);
        }
        self.stack.truncate(ctrl.base as usize);
        for i in 0..ctrl.results {
            self.push_as(Operand::Temp, self.result_wide(ctrl.ty, i));
        }
        self.reachable = ctrl.reachable;
    }

    /// Copy the top `n` operands into the temporaries at heights `base..base + n` (a block's result slots).
    /// The caller then resets the stack shape.
    fn move_top_to(&mut self, base: u32, n: u32) {
        self.copy_top_to(base, n.min(self.height()));
    }

    /// Copy the top `n` operands into the slots the temporaries at heights `base..base + n` would have
    /// (the same widths as theirs, packed from the slot of height `base`).
    fn copy_top_to(&mut self, base: u32, n: u32) {
        let first = self.height() - n;
        let to = self.temp_slot(base);
        let from = self.temp_slot(first);
        for depth in first..first + n {
            let e = self.stack[depth as usize];
            self.copy_to_w(to + (e.slot - from), self.src_of(e), e.wide);
        }
    }

    /// `dst = src` for a value two slots wide if `wide` (a `v128` is never an immediate).
    pub(super) fn copy_to_w(&mut self, dst: Slot, src: Src, wide: bool) {
        match src {
            Src::Slot(s) if wide && s != dst => {
                self.emit(isa::copy_v128::op(), CopySlot { dst, src: s });
            }
            _ => self.copy_to(dst, src),
        }
    }

    /// `dst = src` unless already there.
    pub(super) fn copy_to(&mut self, dst: Slot, src: Src) {
        match src {
            Src::Slot(s) if s == dst => {}
            Src::Slot(s) => self.emit_copy(dst, s),
            Src::Imm(value) => self.emit_const(dst, value),
        }
    }

    /// Are the top `n` operands already temporaries in the target's result slots?
    fn in_place(&self, target_base: u32, n: u32) -> bool {
        let h = self.height();
        n == 0 || (h - n == target_base && self.stack[(h - n) as usize..].iter().all(|e| e.op == Operand::Temp))
    }

    /// Copy the branch values for control frame `depth` into its slots (without changing the stack).
    fn copy_branch_values(&mut self, target_base: u32, n: u32) {
        self.copy_top_to(target_base, n);
    }

    pub(super) fn target(&self, depth: u32) -> (ControlKind, usize, u32, u32) {
        let c = &self.control[self.control.len() - 1 - depth as usize];
        (c.kind, c.label, c.base, c.branch_arity())
    }

    /// Emit the moves and jump (or return) of an unconditional branch to relative depth `depth`.
    fn branch_to(&mut self, depth: u32) {
        let (kind, label, base, arity) = self.target(depth);
        if kind == ControlKind::Function {
            self.emit_return();
        } else {
            self.copy_branch_values(base, arity);
            self.emit_jump(label);
        }
    }

    /// `branch_to` on a path that only some executions take (a taken `br_if`, a `br_table` trampoline): the
    /// moves it emits (e.g. constants materialised for a return) must not change what the translator
    /// believes the operand stack holds on the other paths.
    fn branch_to_on_side_path(&mut self, depth: u32) {
        let saved = self.stack.clone();
        self.branch_to(depth);
        self.stack = saved;
    }

    pub(super) fn br(&mut self, depth: u32) {
        self.branch_to(depth);
        self.reachable = false;
    }

    pub(super) fn br_if(&mut self, depth: u32) {
        let cond = self.pop_cond();
        let (kind, label, base, arity) = self.target(depth);
        if kind != ControlKind::Function && self.in_place(base, arity) {
            self.branch_on(cond.0, cond.1, true, label);
        } else {
            let skip = self.new_label();
            self.branch_on(cond.0, cond.1, false, skip);
            self.branch_to_on_side_path(depth);
            self.bind(skip);
        }
    }

    /// `br_on_null`: branch (dropping the null) if the reference on top is null; else keep it.
    pub(super) fn br_on_null(&mut self, depth: u32) {
        let reference = self.top_ref_slot();
        let e = self.pop_entry();
        self.branch_on_null(reference, true, depth);
        self.stack.push(e);
    }

    /// `br_on_non_null`: branch with the reference (the label's last value) if it is not null; else drop it.
    pub(super) fn br_on_non_null(&mut self, depth: u32) {
        let reference = self.top_ref_slot();
        self.branch_on_null(reference, false, depth);
        self.pop_entry();
    }

    /// The slot of the reference on top of the stack (a constant `ref.null` is materialised).
    pub(super) fn top_ref_slot(&mut self) -> Slot {
        let top = self.height() - 1;
        if matches!(self.stack[top as usize].op, Operand::Const(_)) {
            self.materialize(top);
        }
        match self.src_of(self.stack[top as usize]) {
            Src::Slot(s) => s,
            Src::Imm(_) => unreachable!("materialised"),
        }
    }

    /// Branch to `depth` when the reference in `slot` is null (`null`) or not null (`!null`), as `br_if`
    /// does: in place if the label's values are already where it wants them, else over a side path.
    pub(super) fn branch_on_null(&mut self, reference: Slot, null: bool, depth: u32) {
        let h = br_cmp_handlers(CmpOp::I64Eq);
        let test = BrCmpSI { a: reference, imm: 0, offset: 0 };
        let (kind, label, base, arity) = self.target(depth);
        if kind != ControlKind::Function && self.in_place(base, arity) {
            self.emit_branch(h.si.pick(null), test, label);
        } else {
            let skip = self.new_label();
            self.emit_branch(h.si.pick(!null), test, skip);
            self.branch_to_on_side_path(depth);
            self.bind(skip);
        }
    }

    pub(super) fn br_table(&mut self, targets: &[u32], default: u32) {
        let index = self.pop();
        let index = match index {
            Src::Imm(i) => {
                let d = targets.get(i as u32 as usize).copied().unwrap_or(default);
                self.br(d);
                return;
            }
            Src::Slot(s) => s,
        };
        let len = targets.len() as u32;
        let movable_from = self.code.movable_from();
        let (pos, table_at) = self.emit_br_table_head(index, len);
        let mut labels = Vec::with_capacity(targets.len() + 1);
        for _ in 0..=len {
            self.code.push_raw(0i32);
        }
        // Targets that need moves (or a return) get a trampoline after the table, one per target depth.
        let mut trampolines: Vec<(u32, usize)> = Vec::new();
        for (k, &depth) in targets.iter().chain(std::iter::once(&default)).enumerate() {
            let field = table_at + 4 * k;
            let (kind, label, base, arity) = self.target(depth);
            let target = if kind != ControlKind::Function && self.in_place(base, arity) {
                label
            } else {
                match trampolines.iter().find(|(d, _)| *d == depth) {
                    Some(&(_, l)) => l,
                    None => {
                        let l = self.new_label();
                        trampolines.push((depth, l));
                        l
                    }
                }
            };
            self.branch_field(pos, field, target);
            labels.push(target);
        }
        self.tables.push(super::TableCode { pos, head: table_at - pos, labels, movable_from, jumps: 0 });
        for (depth, l) in trampolines {
            self.bind(l);
            self.branch_to_on_side_path(depth);
        }
        self.reachable = false;
    }

    /// The instruction that starts a `br_table` on `index` (its offsets follow): where it is and where its
    /// offsets go. An `i32.add`/`i32.sub` of a constant computing the index joins it as a bias
    /// (`br_table_add`), and an i32 load of a private memory computing the index or that sum joins it too
    /// (`load_br_table`): a C `switch` on a byte read from memory, an interpreter's opcode fetch through a
    /// table of case numbers, are one dispatch instead of two or three. Both handlers take the index's low
    /// 32 bits, so a wider load (with an `i32.wrap_i64` skipped by the addition) is exact too.
    fn emit_br_table_head(&mut self, index: Slot, len: u32) -> (usize, usize) {
        let (mut index, mut bias) = (index, None);
        if let Some(add) = self.fusable_producer(index)
            && let LastKind::Bin(op @ (BinOp::I32Add | BinOp::I32Sub), Src::Slot(x), Src::Imm(k)) = add.kind
        {
            self.drop_last(add);
            let k = k as u32;
            (index, bias) = (x, Some(if op == BinOp::I32Sub { k.wrapping_neg() } else { k }));
        }
        if let Some(load) = self.fusable_producer(index)
            && let LastKind::Load(kind, LoadAddr::Slot(addr, offset)) = load.kind
        {
            let h = load_handlers(kind);
            // The load took its address from the accumulator: the instruction before it (no longer known
            // to the translator once the load and the addition are dropped) still hands it over.
            let addr_in_acc = self.load_addr_in_acc(kind, load.pos);
            self.drop_last(load);
            let p = LoadBrTable { addr, offset, bias: bias.unwrap_or(0), len };
            let pos = match addr_in_acc {
                true => self.emit(h.br_table.by[1], p),
                false => self.emit_acc_in(&h.br_table, &[addr], p),
            };
            return (pos, pos + HANDLER_SIZE + std::mem::size_of::<LoadBrTable>());
        }
        match bias {
            Some(bias) => {
                let pos = self.emit_acc_in(&br_table_add_variants(), &[index], BrTableAdd { index, bias, len });
                (pos, pos + HANDLER_SIZE + std::mem::size_of::<BrTableAdd>())
            }
            None => {
                let pos = self.emit_acc_in(&br_table_variants(), &[index], BrTable { index, len });
                (pos, pos + HANDLER_SIZE + std::mem::size_of::<BrTable>())
            }
        }
    }

    pub(super) fn return_(&mut self) {
        self.emit_return();
        self.reachable = false;
    }

    /// Move the function's results into slots `0..n` and return.
    pub(super) fn emit_return(&mut self) {
        let n = self.num_results;
        let h = self.height();
        match n {
            0 => {
                self.emit(isa::return0::op(), Nothing {});
            }
            1 if !self.stack[(h - 1) as usize].wide => match self.src_of(self.stack[(h - 1) as usize]) {
                Src::Slot(src) => {
                    self.emit_acc_in(&return1_variants(), &[src], Return1 { src });
                }
                Src::Imm(value) => {
                    self.emit(isa::return_imm::op(), ReturnImm { value });
                }
            },
            _ => {
                // Temporaries sit at or above their result index, so an in-order copy never clobbers a
                // value before it is read; locals and constants are first moved into temporaries.
                self.materialize_top(n);
                let top = &self.stack[(h - n) as usize..];
                let len = top.iter().map(|e| 1 + e.wide as u32).sum();
                let slots: smallvec::SmallVec<[Slot; 8]> =
                    top.iter().flat_map(|e| [Some(e.slot), e.wide.then_some(e.slot + 1)]).flatten().collect();
                self.emit(isa::return_n::op(), ReturnN { len });
                for s in slots {
                    self.code.push_raw(s);
                }
            }
        }
    }

    pub(super) fn unreachable(&mut self) {
        self.emit(isa::unreachable::op(), Nothing {});
        self.reachable = false;
    }

    /// `call` (or `return_call` when `tail`).
    pub(super) fn call(&mut self, func: u32, tail: bool) {
        let ty = self.m.func_type(func).clone();
        let n = ty.params().len() as u32;
        let internal = func >= self.m.num_imported_funcs;
        let moves = if internal && !tail { self.take_arg_moves(n) } else { None };
        self.materialize_top(n);
        let frame = self.temp_slot(self.height() - n);
        self.stack.truncate((self.height() - n) as usize);
        self.need_slots(frame + ty.call_slots() as u32);
        let nargs = ty.param_slots();
        if internal {
            if tail {
                let p = ReturnCallInternal { entry: 0, frame, frame_size: 0, zero_from: 0, zero_len: 0, nargs };
                let pos = self.emit(isa::return_call_internal::op(), p);
                self.call_fixups.push((operands_at(pos), func));
                self.reachable = false;
                return;
            }
            let call = self.emit_call_internal(func, frame, moves);
            self.push_results(ty.results(), tail, call);
            return;
        }
        let call = if tail {
            let from = self.code.pos();
            let h = isa::return_call_import::op();
            self.emit(h, CallImport { func, frame, nargs });
            self.exclude_from_tries(from, self.code.pos());
            (from, h.erase())
        } else {
            let h = isa::call_import::op();
            (self.emit(h, CallImport { func, frame, nargs }), h.erase())
        };
        self.push_results(ty.results(), tail, call);
    }

    /// `call_indirect` (or `return_call_indirect` when `tail`).
    pub(super) fn call_indirect(&mut self, type_index: u32, table: u32, tail: bool) -> Result<()> {
        let ty = self.m.types.get(type_index as usize).ok_or_else(|| Error::Invalid("bad type index".into()))?.clone();
        let n = ty.params().len() as u32;
        let type_id = self.m.type_ids[type_index as usize];
        let index = self.pop_slot();
        self.materialize_top(n);
        let frame = self.temp_slot(self.height() - n);
        self.stack.truncate((self.height() - n) as usize);
        let p = CallIndirect { type_id, table, index, frame, nargs: ty.param_slots() };
        let op = match (tail, self.table64(table)) {
            (false, false) => isa::call_indirect::op::<false>(),
            (false, true) => isa::call_indirect::op::<true>(),
            (true, false) => isa::return_call_indirect::op::<false>(),
            (true, true) => isa::return_call_indirect::op::<true>(),
        };
        let from = self.code.pos();
        self.emit(op, p);
        if tail {
            self.exclude_from_tries(from, self.code.pos());
        }
        self.need_slots(frame + ty.call_slots() as u32 + 1);
        self.push_results(ty.results(), tail, (from, op.erase()));
        Ok(())
    }

    /// `call_ref` / `return_call_ref`: as `call_indirect`, the callee taken from a typed reference.
    pub(super) fn call_ref(&mut self, type_index: u32, tail: bool) -> Result<()> {
        let ty = self.m.types.get(type_index as usize).ok_or_else(|| Error::Invalid("bad type index".into()))?.clone();
        let n = ty.params().len() as u32;
        let type_id = self.m.type_ids[type_index as usize];
        let func = self.pop_slot();
        self.materialize_top(n);
        let frame = self.temp_slot(self.height() - n);
        self.stack.truncate((self.height() - n) as usize);
        let p = CallRef { type_id, func, frame, nargs: ty.param_slots() };
        let op = if tail { isa::return_call_ref::op() } else { isa::call_ref::op() };
        let from = self.code.pos();
        self.emit(op, p);
        if tail {
            // A host callee runs as an ordinary call at this instruction, outside the caller's `try_table`s.
            self.exclude_from_tries(from, self.code.pos());
        }
        self.need_slots(frame + ty.call_slots() as u32 + 1);
        self.push_results(ty.results(), tail, (from, op.erase()));
        Ok(())
    }

    /// The `r` results of a call are temporaries. After a tail call that fell back to an ordinary call (a host
    /// or late-bound callee), they are returned at once.
    ///
    /// A single (scalar) result is handed over in the accumulator too (every return does so, and so does a
    /// host call: `exec::control::return_to_caller!`, `exec::call::call_slow`), so the call is the last
    /// instruction for [`Translator::acc_input`]: the next instruction may read the result from there. Its
    /// slot is written all the same (the call has no variant that skips it), and `LastKind::Call` keeps
    /// the fusions that rewrite or move a result's producer away from it.
    fn push_results(&mut self, results: &[ValType], tail: bool, call: (usize, isa::AnyInstr)) {
        for t in results {
            self.push_as(Operand::Temp, *t == ValType::V128);
        }
        if let [t] = results
            && *t != ValType::V128
        {
            let dst = self.stack[(self.height() - 1) as usize].slot;
            let (pos, h) = call;
            self.last = Some(LastOp { pos, dst, kind: LastKind::Call, emitted: Some(h), acc_out: None });
        }
        if tail {
            self.emit_return();
            self.reachable = false;
        }
    }

    pub(super) fn select(&mut self) {
        let h = self.height();
        if let Operand::Const(c) = self.stack[(h - 1) as usize].op {
            // Constant condition: pick an operand at translation time.
            self.stack.truncate((h - 1) as usize);
            let b = self.pop_entry();
            if c as u32 == 0 {
                let a_depth = h - 3;
                if b.op == Operand::Temp {
                    self.copy_to_w(self.temp_slot(a_depth), Src::Slot(b.slot), b.wide);
                }
                self.stack[a_depth as usize].op = b.op;
            }
            return;
        }
        // A constant value (the second if both are) is an immediate of `select_imm`, which takes the
        // condition from a comparison just computed in the accumulator instead of fusing it.
        let is_const = |e: &Entry| matches!(e.op, Operand::Const(_));
        let (a_const, b_const) = (is_const(&self.stack[(h - 3) as usize]), is_const(&self.stack[(h - 2) as usize]));
        let imm_first = match (a_const, b_const) {
            _ if self.stack[(h - 2) as usize].wide => None,
            (_, true) => Some(false),
            (true, false) => Some(true),
            _ => None,
        };
        if let Some(imm_first) = imm_first {
            if !imm_first && a_const {
                self.materialize(h - 3);
            }
            let Src::Slot(cond) = self.pop() else { unreachable!("constant conditions are handled above") };
            let (b, a) = (self.pop(), self.pop());
            let (Src::Imm(imm), Src::Slot(a)) = (if imm_first { (a, b) } else { (b, a) }) else {
                unreachable!("one constant value, the other in a slot")
            };
            let dst = self.push_temp();
            let p = SelectImm { dst, cond, a, imm };
            self.emit_result_acc_in(&select_imm_variants(imm_first), &[cond, a], p, dst, LastKind::Other);
            return;
        }
        for d in h - 3..h {
            if matches!(self.stack[d as usize].op, Operand::Const(_)) {
                self.materialize(d);
            }
        }
        let (cond, fusable) = self.pop_cond();
        let wide = self.stack[(h - 2) as usize].wide;
        // Locals are read in place (the handler reads both values before it writes `dst`).
        let (Src::Slot(b), Src::Slot(a)) = (self.pop(), self.pop()) else {
            unreachable!("constants are materialised above")
        };
        if wide {
            let Src::Slot(cond) = cond else { unreachable!("constant conditions are handled above") };
            let dst = self.push_temp_wide();
            self.emit_result(isa::select_v128::op(), Select { dst, cond, a, b }, dst, LastKind::Other);
            return;
        }
        let dst = self.push_temp();
        // `select` on a comparison just computed: evaluate the comparison here.
        if let Some(f) = fusable.filter(|f| self.last.is_some_and(|l| l.pos == f.pos))
            && let LastKind::Cmp(op, lhs, rhs) = f.kind
        {
            let (op, lhs, rhs) = match (lhs, rhs) {
                (Src::Imm(_), Src::Slot(_)) => (op.swapped(), rhs, lhs),
                _ => (op, lhs, rhs),
            };
            if let Src::Slot(lhs) = lhs {
                self.drop_last(f);
                let h = br_cmp_handlers(op);
                let (rhs, rhs_slot) = match rhs {
                    Src::Slot(s) => (s as u64, true),
                    Src::Imm(v) => (v, false),
                };
                self.emit_result(h.select.pick(rhs_slot), SelectCmp { dst, a, b, lhs, rhs }, dst, LastKind::Other);
                return;
            }
        }
        let Src::Slot(cond) = cond else { unreachable!("constant conditions are handled above") };
        self.emit_result_acc_in(&select_variants(), &[cond, a, b], Select { dst, cond, a, b }, dst, LastKind::Other);
    }

    pub(super) fn local_set(&mut self, index: u32, tee: bool) {
        let (local, wide) = self.local(index);
        let src = self.pop();
        let retarget = match (src, self.last) {
            (Src::Slot(s), Some(LastOp { pos, dst, kind, .. })) => {
                !matches!(kind, LastKind::Call)
                    && s >= self.num_locals
                    && dst == s
                    && pos >= self.barrier
                    && !self.stack.iter().any(|e| e.op == Operand::Local(local))
            }
            _ => false,
        };
        if retarget {
            let mut last = self.last.expect("checked");
            self.code.patch(operands_at(last.pos), local);
            // Still the last instruction (for fusions that look at what it computed), now writing a local.
            last.dst = local;
            self.last = Some(last);
        } else {
            self.preserve_local(local);
            self.copy_to_w(local, src, wide);
        }
        if tee {
            self.push_as(Operand::Local(local), wide);
        }
    }

    /// Pop a branch condition: its source, and the comparison that produced it if it can be fused.
    fn pop_cond(&mut self) -> (Src, Option<LastOp>) {
        let src = self.pop();
        let fusable = match (src, self.last) {
            (Src::Slot(s), Some(last)) if last.dst == s && last.pos >= self.barrier => match last.kind {
                // An increment still writes its result (a local, after `local.tee`), then branches on it.
                _ if increment(last.kind).is_some() => Some(last),
                // So do `add2` and `add3` (their last result).
                LastKind::Add2 | LastKind::Add3 => Some(last),
                // The others compute the condition without writing it: it must be a temporary.
                _ if s < self.num_locals => None,
                LastKind::Cmp(_, Src::Slot(_), _) | LastKind::Cmp(_, _, Src::Slot(_)) => Some(last),
                LastKind::Eqz32(_) | LastKind::Eqz64(_) => Some(last),
                LastKind::Load(..) => Some(last),
                // A bit test: `i32.and` feeding the branch.
                LastKind::Bin(BinOp::I32And, Src::Slot(_), _) => Some(last),
                LastKind::ZeroByte { not: false, .. } => Some(last),
                _ => None,
            },
            _ => None,
        };
        (src, fusable)
    }

    /// Branch to `label` when the condition is `when` (true = non-zero), fusing with its comparison.
    fn branch_on(&mut self, cond: Src, fusable: Option<LastOp>, when: bool, label: usize) {
        let fusable = fusable.filter(|f| self.last.is_some_and(|l| l.pos == f.pos));
        if let Some(f) = fusable {
            let before = self.prev.filter(|p| p.pos < f.pos && p.pos >= self.barrier);
            let (adds, adds_before) = (self.read_adds(f), before.and_then(|b| self.read_adds(b)));
            self.truncate_code(f.pos);
            self.last = None;
            self.prev = None;
            // `if !(a OP b)`: the comparison's branch, the other way (`i32.eqz` of a comparison stays apart
            // only where it cannot be inverted into another one: a float comparison, false on NaN); likewise
            // `if !test` of the zero-byte test (`translate/zero_byte.rs`).
            let (kind, when, before) = match f.kind {
                LastKind::Eqz32(s)
                    if let Some(c) = before.filter(|c| c.dst == s && s >= self.num_locals)
                        && matches!(c.kind, LastKind::Cmp(..) | LastKind::ZeroByte { not: false, .. }) =>
                {
                    self.truncate_code(c.pos);
                    (c.kind, !when, None)
                }
                kind => (bit_test(kind).unwrap_or(kind), when, before),
            };
            match kind {
                // The zero-byte test compared with what it is when no byte is zero (0, or the mask for its
                // complement): the test's branch.
                LastKind::Cmp(op @ (CmpOp::I32Eq | CmpOp::I32Ne), Src::Slot(t), Src::Imm(r))
                    if let Some(z) = before.filter(|z| z.dst == t && t >= self.num_locals)
                        && let LastKind::ZeroByte { a, k, m, not } = z.kind
                        && r as u32 == if not { m } else { 0 } =>
                {
                    self.truncate_code(z.pos);
                    let when = if op == CmpOp::I32Eq { !when } else { when };
                    self.emit_branch(br_zero_byte(when), BrZeroByte { a, k, m, offset: 0 }, label);
                }
                LastKind::Cmp(op, a, b) => {
                    let (op, a, b) = match (a, b) {
                        (Src::Imm(_), Src::Slot(_)) => (op.swapped(), b, a),
                        _ => (op, a, b),
                    };
                    let h = br_cmp_handlers(op);
                    // `x = y + k; if x OP rhs`: fold the increment into the branch (an i64 one too, if its
                    // immediates fit: `k` in an i32, `rhs` in a u32).
                    if let Some(add) = before
                        && let Src::Slot(lhs) = a
                        && lhs == add.dst
                        && let Some((y, inc, inc_slot)) = increment(add.kind).or_else(|| increment64(add.kind))
                        && let wide = increment(add.kind).is_none()
                        && !(wide && matches!(b, Src::Imm(r) if r > u32::MAX as u64))
                    {
                        self.truncate_code(add.pos);
                        let (rhs, rhs_slot) = match b {
                            Src::Slot(b) => (b, true),
                            Src::Imm(r) => (r as u32, false),
                        };
                        let add = if wide { h.add64 } else { h.add };
                        let handler = add.pick(when).pick(inc_slot).pick(rhs_slot);
                        self.emit_branch(handler, AddBrCmp { dst: lhs, a: y, inc, rhs, offset: 0 }, label);
                        return;
                    }
                    // `if load(p) != load(q)`: one `load_pair_br` (which still writes both values).
                    if let Some(pair) = before
                        && let LastKind::LoadPair(kind) = pair.kind
                        && matches!(op, CmpOp::I32Eq | CmpOp::I64Eq | CmpOp::I32Ne | CmpOp::I64Ne)
                        && let (Src::Slot(a), Src::Slot(b)) = (a, b)
                        && let lp = self.code.read::<LoadPair>(operands_at(pair.pos))
                        && ((lp.dst1, lp.dst) == (a, b) || (lp.dst, lp.dst1) == (a, b))
                        && a != b
                    {
                        self.truncate_code(pair.pos);
                        let equal = matches!(op, CmpOp::I32Eq | CmpOp::I64Eq) == when;
                        let LoadPair { dst, addr, offset, dst1, addr1, offset1 } = lp;
                        let p = LoadPairBr { dst, addr, offset, dst1, addr1, offset1, br: 0 };
                        self.emit_branch(load_handlers(kind).pair_br.pick(equal), p, label);
                        return;
                    }
                    // `if load32(p) OP rhs` (or `rhs OP load32(p)`): one `load_br_cmp`, which still writes the
                    // value (it may be a local). A Load32 value is an i32 or f32, or an i64 through an
                    // `i64.extend_i32_u` (which emits nothing): the immediate must fit the handler's u32.
                    if let Some(load) = before
                        && let LastKind::Load(LoadKind::Load32, LoadAddr::Slot(..)) = load.kind
                        && let Some((op, rhs)) = match (a, b) {
                            (Src::Slot(a), b) if a == load.dst => Some((op, b)),
                            (a, Src::Slot(b)) if b == load.dst => Some((op.swapped(), a)),
                            _ => None,
                        }
                        && let Some((rhs, rhs_slot)) = match rhs {
                            Src::Slot(s) => Some((s, true)),
                            Src::Imm(r) => u32::try_from(r).ok().map(|r| (r, false)),
                        }
                    {
                        let Load { dst, addr, offset } = self.code.read(operands_at(load.pos));
                        self.truncate_code(load.pos);
                        let handler = br_cmp_handlers(op).load.pick(when).pick(rhs_slot);
                        self.emit_branch(handler, LoadBrCmp { dst, addr, offset, rhs, br: 0 }, label);
                        return;
                    }
                    // The instruction before the comparison may hand over an operand in the accumulator.
                    self.last = before;
                    match (a, b) {
                        (Src::Slot(a), Src::Slot(b)) => {
                            let p = BrCmpSS { a, b, offset: 0 };
                            self.emit_branch_acc(&h.ss_acc.pick(when), &[a, b], p, label);
                            self.note_cond_branch(Test::Cmp { op, rhs_slot: true }, when, label);
                        }
                        (Src::Slot(a), Src::Imm(imm)) => {
                            let p = BrCmpSI { a, imm, offset: 0 };
                            self.emit_branch_acc(&h.si_acc.pick(when), &[a], p, label);
                            self.note_cond_branch(Test::Cmp { op, rhs_slot: false }, when, label);
                        }
                        _ => unreachable!("constant comparisons are folded"),
                    }
                }
                // `x = y + k; if x == 0`: as above.
                LastKind::Eqz32(s)
                    if let Some(add) = before.filter(|a| a.dst == s)
                        && let Some((y, inc, inc_slot)) = increment(add.kind) =>
                {
                    self.truncate_code(add.pos);
                    let h = br_cmp_handlers(CmpOp::I32Eq).add.pick(when).pick(inc_slot).imm;
                    self.emit_branch(h, AddBrCmp { dst: s, a: y, inc, rhs: 0, offset: 0 }, label);
                }
                // The zero-byte test of a word (`translate/zero_byte.rs`).
                LastKind::ZeroByte { a, k, m, not: false } => {
                    self.emit_branch(br_zero_byte(when), BrZeroByte { a, k, m, offset: 0 }, label)
                }
                // `if !(x & m)`: the bit test, branching the other way.
                LastKind::Eqz32(s)
                    if let Some(and) = before.filter(|a| a.dst == s && s >= self.num_locals)
                        && let Some(LastKind::Cmp(op, Src::Slot(a), b)) = bit_test(and.kind) =>
                {
                    self.truncate_code(and.pos);
                    let h = br_cmp_handlers(op);
                    match b {
                        Src::Slot(b) => self.emit_branch(h.ss.pick(!when), BrCmpSS { a, b, offset: 0 }, label),
                        Src::Imm(imm) => self.emit_branch(h.si.pick(!when), BrCmpSI { a, imm, offset: 0 }, label),
                    }
                }
                // `if !(x = y + k)` after other additions: as below, branching the other way.
                LastKind::Eqz32(s)
                    if let Some(b) = before.filter(|b| b.dst == s)
                        && let Some(adds) = adds_before =>
                {
                    self.truncate_code(b.pos);
                    self.add_n_br(adds, !when, label);
                }
                LastKind::Eqz32(s) => {
                    // The instruction before the `eqz` is the last one again: it may hand `s` over, or be a
                    // `constant` the branch performs.
                    self.last = before.filter(|b| b.dst == s);
                    self.last_joinable = self.joinable_before_last.take();
                    self.branch_if(s, !when, label);
                }
                LastKind::Eqz64(s) => {
                    let h = br_cmp_handlers(CmpOp::I64Eq);
                    self.emit_branch(h.si.pick(when), BrCmpSI { a: s, imm: 0, offset: 0 }, label);
                }
                LastKind::Load(kind, addr) => {
                    let h = load_handlers(kind);
                    match addr {
                        LoadAddr::Slot(addr, offset) => {
                            self.emit_branch(h.br.pick(when), LoadBr { addr, offset, br: 0 }, label)
                        }
                        LoadAddr::SS(a, b, offset) => {
                            self.emit_branch(h.br_ss.pick(when), LoadBrSS { a, b, offset, br: 0 }, label)
                        }
                    }
                }
                // `x = y + k; if x != 0` (a count towards zero, `local.tee` + `br_if`).
                LastKind::Bin(..) if let Some((y, inc, inc_slot)) = increment(f.kind) => {
                    let h = br_cmp_handlers(CmpOp::I32Ne).add.pick(when).pick(inc_slot).imm;
                    self.emit_branch(h, AddBrCmp { dst: f.dst, a: y, inc, rhs: 0, offset: 0 }, label);
                }
                // `add2`/`add3` and a branch on the last sum (a loop stepping pointers and counting down).
                LastKind::Add2 | LastKind::Add3 => self.add_n_br(adds.expect("read above"), when, label),
                LastKind::Other
                | LastKind::Call
                | LastKind::GlobalGet(_)
                | LastKind::LoadPair(_)
                | LastKind::Wrap(_)
                | LastKind::Bin(..)
                | LastKind::AddShl(..)
                | LastKind::SimdBin(..)
                | LastKind::ZeroByte { not: true, .. } => {
                    unreachable!("not fusable")
                }
            }
            return;
        }
        match cond {
            Src::Slot(s) => self.branch_if(s, when, label),
            Src::Imm(c) => {
                if (c as u32 != 0) == when {
                    self.emit_jump(label);
                }
            }
        }
    }
}

impl Translator<'_> {
    /// Branch to `label` if the i32 in `s` is non-zero (`when`) or zero. `x = k; if (c) ...`, a `constant`
    /// just before, is one `const_br_if` (which reads `c` after writing `x`: they may be one local).
    fn branch_if(&mut self, s: Slot, when: bool, label: usize) {
        if self.last.is_none()
            && let Some((dst, value)) = self.take_const()
        {
            let h = if when { isa::const_br_if::op::<true>() } else { isa::const_br_if::op::<false>() };
            self.emit_branch(h, ConstBrIf { dst, value, cond: s, offset: 0 }, label);
        } else {
            self.emit_branch_acc(&br_if_variants(when), &[s], BrIf { cond: s, offset: 0 }, label);
            self.note_cond_branch(Test::NonZero, when, label);
        }
    }
}

/// The operands of an `add2` or `add3`, read before it is removed to be fused with a branch.
#[derive(Clone, Copy)]
enum Adds {
    Two(Add2),
    Three(Add3),
}

impl Translator<'_> {
    /// The operands of `op` if it is an `add2` or `add3`.
    fn read_adds(&self, op: LastOp) -> Option<Adds> {
        match op.kind {
            LastKind::Add2 => Some(Adds::Two(self.code.read(operands_at(op.pos)))),
            LastKind::Add3 => Some(Adds::Three(self.code.read(operands_at(op.pos)))),
            _ => None,
        }
    }

    /// Emit `adds` (already removed) fused with a branch on its last sum being non-zero (`when`) or zero.
    fn add_n_br(&mut self, adds: Adds, when: bool, label: usize) {
        match adds {
            Adds::Three(Add3 { dst, a, imm, dst1, a1, imm1, dst2, a2, imm2 }) => {
                let p = Add3Br { dst, a, imm, dst1, a1, imm1, dst2, a2, imm2, offset: 0 };
                let h = if when { isa::add3_br::op::<true>() } else { isa::add3_br::op::<false>() };
                self.emit_branch(h, p, label);
            }
            Adds::Two(Add2 { dst, a, imm, dst1, a1, imm1 }) => {
                let p = Add2Br { dst, a, imm, dst1, a1, imm1, offset: 0 };
                let h = if when { isa::add2_br::op::<true>() } else { isa::add2_br::op::<false>() };
                self.emit_branch(h, p, label);
            }
        }
    }
}

fn br_zero_byte(when: bool) -> isa::Instr<BrZeroByte> {
    if when { isa::br_zero_byte::op::<true>() } else { isa::br_zero_byte::op::<false>() }
}

/// `x & m` as the comparison `(x & m) != 0` ([`CmpOp::I32Test`]), for fusing a bit test into its branch.
fn bit_test(kind: LastKind) -> Option<LastKind> {
    match kind {
        LastKind::Bin(BinOp::I32And, a @ Src::Slot(_), b) => Some(LastKind::Cmp(CmpOp::I32Test, a, b)),
        _ => None,
    }
}

/// An i32 increment `y + k` (immediate or slot `k`; `y - k` as `y + -k`) that an add-compare-branch
/// instruction can perform: `(y, k, is k a slot?)`.
/// `y + k` in i64 with `k` a slot or an immediate that fits in an i32 (sign-extended by `add_br_cmp64`).
fn increment64(kind: LastKind) -> Option<(Slot, u32, bool)> {
    let fits = |k: u64| i32::try_from(k as i64).is_ok();
    match kind {
        LastKind::Bin(BinOp::I64Add, Src::Slot(y), Src::Imm(k)) if fits(k) => Some((y, k as u32, false)),
        LastKind::Bin(BinOp::I64Sub, Src::Slot(y), Src::Imm(k)) if fits(k.wrapping_neg()) => {
            Some((y, k.wrapping_neg() as u32, false))
        }
        LastKind::Bin(BinOp::I64Add, Src::Slot(y), Src::Slot(z)) => Some((y, z, true)),
        _ => None,
    }
}

/// `y + k` in i32 as `(y, k, k is a slot)` (a subtraction of a constant as the addition of its negation).
pub(super) fn increment(kind: LastKind) -> Option<(Slot, u32, bool)> {
    match kind {
        LastKind::Bin(BinOp::I32Add, Src::Slot(y), Src::Imm(k)) => Some((y, k as u32, false)),
        LastKind::Bin(BinOp::I32Sub, Src::Slot(y), Src::Imm(k)) => Some((y, (k as u32).wrapping_neg(), false)),
        LastKind::Bin(BinOp::I32Add, Src::Slot(y), Src::Slot(z)) => Some((y, z, true)),
        _ => None,
    }
}
