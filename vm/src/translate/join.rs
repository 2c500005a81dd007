//! Instructions joined to the one just emitted: copies and constants in pairs (`copy2`, `constant2`), a
//! copy or constant before a jump (`copy_br`, `const_br`) or a `br_if` (`const_br_if`, in `control.rs`), and
//! a jump back to an interpreter loop's dispatch replaced by a copy of it. The last joinable instruction is
//! remembered by position and removed when the next one performs it.

use super::{LabelId, Translator};
use crate::ir::isa::{self, *};
use crate::ir::{HANDLER_SIZE, Slot};

/// The last instruction, when the next one may join it: a single copy `(position, dst, src)` (joined by a
/// copy or a jump), or a plain store to private memory (joined by a store of the same width).
#[derive(Clone, Copy)]
pub(super) enum Joinable {
    Copy(usize, Slot, Slot),
    /// A `constant` `(position, dst, value)` (joined by a constant, a jump or a `br_if`).
    Const(usize, Slot, u64),
    Store(usize, crate::ir::ops::StoreKind, Store),
}

impl Translator<'_> {
    /// `fp[dst] = fp[src]`; two consecutive copies become one `copy2`.
    pub(super) fn emit_copy(&mut self, dst: Slot, src: Slot) {
        if let Some(Joinable::Copy(pos, d1, s1)) = self.last_joinable
            && self.ends_code::<CopySlot>(pos)
        {
            self.truncate_code(pos);
            self.emit(isa::copy2::op(), Copy2 { d1, s1, d2: dst, s2: src });
            return;
        }
        let pos = self.emit(isa::copy::op(), CopySlot { dst, src });
        self.last_joinable = Some(Joinable::Copy(pos, dst, src));
    }

    /// `fp[dst] = value`; two consecutive constants become one `constant2`.
    pub(super) fn emit_const(&mut self, dst: Slot, value: u64) {
        if let Some((d1, v1)) = self.take_const() {
            self.emit(isa::constant2::op(), Const2 { d1, v1, d2: dst, v2: value });
            return;
        }
        let pos = self.emit(isa::constant::op(), Const { dst, value });
        self.last_joinable = Some(Joinable::Const(pos, dst, value));
    }

    /// If the last instruction is a `constant` (with no label since), remove it and return its `(dst, value)`
    /// for the instruction about to be emitted to perform.
    pub(super) fn take_const(&mut self) -> Option<(Slot, u64)> {
        let Some(Joinable::Const(pos, dst, value)) = self.last_joinable else { return None };
        if !self.ends_code::<Const>(pos) {
            return None;
        }
        self.truncate_code(pos);
        Some((dst, value))
    }

    /// Is the instruction at `pos`, of shape `P`, the last one emitted, with no label since?
    pub(super) fn ends_code<P: Operands>(&self, pos: usize) -> bool {
        pos >= self.barrier && pos + HANDLER_SIZE + std::mem::size_of::<P>() == self.code.pos()
    }

    /// An unconditional jump to `label`; a `copy` or `constant` just before it (a loop-carried value, a block
    /// result) becomes one `copy_br` or `const_br`.
    pub(super) fn emit_jump(&mut self, label: LabelId) {
        if self.copy_table_at(label) {
            return;
        }
        if let Some(Joinable::Copy(pos, dst, src)) = self.last_joinable
            && self.ends_code::<CopySlot>(pos)
        {
            self.truncate_code(pos);
            self.emit_branch(isa::copy_br::op(), CopyBr { dst, src, offset: 0 }, label);
        } else if let Some((dst, value)) = self.take_const() {
            self.emit_branch(isa::const_br::op(), ConstBr { dst, value, offset: 0 }, label);
        } else {
            self.emit_branch(isa::br::op(), Br { offset: 0 }, label);
        }
    }

    /// A jump back to a loop whose first instructions compute an index and dispatch on it with a
    /// `br_table` (a `switch` in a loop: an interpreter's main loop, a state machine): instead of the jump,
    /// emit a copy of those instructions and the table (its offsets pointing at the same labels). Each
    /// case then ends with its own indirect jump, which the processor predicts from that case's history —
    /// what an interpreter written in C gets from "threaded code" — rather than all of them sharing the
    /// one jump at the loop head. The first jump back stays a jump (a loop whose cases meet before they
    /// go back has only that one: nothing to gain). Only straight code of movable instructions (no branch
    /// offsets, no patched addresses) is copied, never with fuel metering (its amounts are patched by
    /// position) or exception handlers (their ranges are positions), and a bounded amount per function.
    fn copy_table_at(&mut self, label: LabelId) -> bool {
        const MAX_PREFIX: usize = 160;
        const MAX_TARGETS: usize = 1024;
        const MAX_COPIED: usize = 64 * 1024;
        let Some(start) = self.labels[label].pos else { return false };
        if self.consume_fuel || !self.tries.is_empty() || !self.closed_tries.is_empty() {
            return false;
        }
        // The first table after the loop's start (the tables are in code order).
        let i = self.tables.partition_point(|t| t.pos < start);
        let Some(t) = self.tables.get_mut(i) else { return false };
        t.jumps += 1;
        if t.jumps == 1 {
            return false;
        }
        let (pos, head) = (t.pos, t.head);
        let size = pos + head - start + 4 * t.labels.len();
        if t.movable_from > start
            || pos - start > MAX_PREFIX
            || t.labels.len() > MAX_TARGETS
            || self.copied + size > MAX_COPIED
        {
            return false;
        }
        self.copied += size;
        let labels = std::mem::take(&mut self.tables[i].labels);
        let at = self.code.copy_code(start, pos + head) + (pos - start);
        for (k, &target) in labels.iter().enumerate() {
            self.code.push_raw(0i32);
            self.branch_field(at, at + head + 4 * k, target);
        }
        self.tables[i].labels = labels;
        self.last = None;
        self.prev = None;
        self.last_joinable = None;
        true
    }
}
