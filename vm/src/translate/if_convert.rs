//! `if (a OP b) x = y;` as one `select_cmp` (`if (c) x = y;` as one `select`), without the branch.
//!
//! A conditional branch over a single copy (`br_cmp` or `br_if` to a label bound right after a `copy`) is two
//! dispatches on one path and one on the other, and when the comparison depends on data (heapsort's
//! `if (ra[j] < ra[j + 1]) j++`, a running minimum) its branch is mispredicted about half the time: the
//! processor then throws away the next handlers it had started. `select_cmp` computes the same thing in one
//! dispatch whose next instruction does not depend on the comparison: `x = (a OP b) ? x : y` (or the other
//! way round, as the branch's condition says), with the same NaN behaviour, since the branch and the
//! selection evaluate the same comparison.
//!
//! Compilers keep such branches where they could not prove that the code after the test may run anyway
//! (a load behind `&&`) or judged the branch cheaper. For an interpreter, where the copy is a dispatch of
//! its own, the selection is not slower on any path.
//!
//! The label decides, when it is bound ([`Translator::if_convert`]): the copy must be the only instruction
//! between the branch and the label, with no other label in between. Other branches to the label still
//! land after the copy's place, now after the selection.

use super::{LabelId, NO_FIXUP, Translator};
use crate::ir::families::br_cmp_handlers;
use crate::ir::isa::{self, BrCmpSI, BrCmpSS, BrIf, CopySlot, Select, SelectCmp};
use crate::ir::ops::CmpOp;
use crate::ir::{HANDLER_SIZE, Slot, operands_at};

/// What a conditional branch tests.
#[derive(Clone, Copy)]
pub(super) enum Test {
    /// `a OP b` (`BrCmpSS`) or `a OP imm` (`BrCmpSI`), by `rhs_slot`.
    Cmp { op: CmpOp, rhs_slot: bool },
    /// A condition in a slot (`BrIf`): non-zero.
    NonZero,
}

impl Test {
    fn size(self) -> usize {
        match self {
            Test::Cmp { rhs_slot: true, .. } => size_of::<BrCmpSS>(),
            Test::Cmp { rhs_slot: false, .. } => size_of::<BrCmpSI>(),
            Test::NonZero => size_of::<BrIf>(),
        }
    }
}

/// The last conditional branch on slots emitted: where, its handler, what it tests, whether it branches
/// when the test holds (`when`) or fails, and its label.
#[derive(Clone, Copy)]
pub(super) struct CondBranch {
    pos: usize,
    handler: usize,
    test: Test,
    when: bool,
    label: LabelId,
}

impl Translator<'_> {
    /// A conditional branch testing `test` to `label` was just emitted (the last instruction).
    pub(super) fn note_cond_branch(&mut self, test: Test, when: bool, label: LabelId) {
        let pos = self.code.pos() - HANDLER_SIZE - test.size();
        let handler = self.code.read::<usize>(pos);
        self.cond_branch = Some(CondBranch { pos, handler, test, when, label });
    }

    /// `label` is about to be bound at the current position: if the code since the last conditional branch
    /// to it is one `copy`, replace both by a `select_cmp` or a `select`.
    pub(super) fn if_convert(&mut self, label: LabelId) {
        let Some(b) = self.cond_branch.take() else { return };
        if b.label != label || b.pos < self.barrier || self.consume_fuel {
            return;
        }
        let copy_pos = b.pos + HANDLER_SIZE + b.test.size();
        if self.code.pos() != copy_pos + HANDLER_SIZE + size_of::<CopySlot>()
            || self.code.read::<usize>(b.pos) != b.handler
            || !self.code.is_handler(copy_pos, isa::copy::op())
        {
            return;
        }
        // Unlink the branch's fixup; other branches to the label land after the selection, as they landed
        // after the copy.
        let (mut before, mut at) = (None, self.labels[label].fixups);
        while at != NO_FIXUP && self.fixups[at as usize].instr != b.pos {
            (before, at) = (Some(at), self.fixups[at as usize].next);
        }
        if at == NO_FIXUP {
            return;
        }
        let next = self.fixups[at as usize].next;
        match before {
            None => self.labels[label].fixups = next,
            Some(f) => self.fixups[f as usize].next = next,
        }
        let CopySlot { dst, src } = self.code.read(operands_at(copy_pos));
        // The branch skips the copy when the test is `when`: `dst = test ? x : y`.
        let (x, y) = if b.when { (dst, src) } else { (src, dst) };
        match b.test {
            Test::Cmp { op, rhs_slot } => {
                let (lhs, rhs): (Slot, u64) = if rhs_slot {
                    let p: BrCmpSS = self.code.read(operands_at(b.pos));
                    (p.a, p.b as u64)
                } else {
                    let p: BrCmpSI = self.code.read(operands_at(b.pos));
                    (p.a, p.imm)
                };
                self.truncate_code(b.pos);
                let h = br_cmp_handlers(op).select.pick(rhs_slot);
                self.emit(h, SelectCmp { dst, a: x, b: y, lhs, rhs });
            }
            Test::NonZero => {
                let BrIf { cond, .. } = self.code.read(operands_at(b.pos));
                self.truncate_code(b.pos);
                self.emit(isa::select::op::<0>(), Select { dst, cond, a: x, b: y });
            }
        }
    }
}
