//! Translation of exception handling: `try_table`, `throw` and `throw_ref`.
//!
//! `try_table` emits no code: it is a block whose code range and catch clauses go into the function's
//! handler table ([`TryRange`]), read only when an exception is thrown (`exec/exception.rs`), so code that
//! never throws runs exactly as before. A catch clause is a branch to an enclosing label whose values come
//! from the exception: the clause records where those values go in the frame (the slots a `br` to that
//! label would fill: the label's block result temporaries, two slots per `v128`) and the label's code
//! position. A clause that targets the function itself (a return) goes to a shared landing pad after the
//! function's code that returns the values found at the first temporary.
//!
//! `throw` passes its values as a call passes arguments: in consecutive slots, from which the unwinder
//! copies them into the exception.

use wasmparser::{Catch as WasmCatch, TryTable};

use super::{ControlKind, LabelId, Operand, Translator};
use crate::ir::Slot;
use crate::ir::isa::{self, *};

/// [`Catch::tag`] of `catch_all` and `catch_all_ref`.
pub(crate) const CATCH_ALL: u32 = u32::MAX;

/// One catch clause of a `try_table`, resolved.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Catch {
    /// The instance's tag index, or [`CATCH_ALL`].
    pub tag: u32,
    /// Also deliver the `exnref` (after the values).
    pub is_ref: bool,
    /// First frame slot of the delivered values.
    pub dst: Slot,
    /// Code position to continue at.
    pub target: u32,
}

/// The code range `start..end` of a `try_table` and its clauses, in order. A function's ranges are listed
/// innermost first (a range is recorded when its `try_table` ends).
#[derive(Debug, Clone)]
pub(crate) struct TryRange {
    pub start: u32,
    pub end: u32,
    pub catches: Box<[Catch]>,
}

/// A catch clause whose label may not be bound yet.
#[derive(Clone)]
pub(super) struct PendingCatch {
    tag: u32,
    is_ref: bool,
    dst: Slot,
    label: LabelId,
}

/// A `try_table` being translated: where its range starts and its clauses (none in unreachable code).
pub(super) struct OpenTry {
    start: usize,
    catches: Vec<PendingCatch>,
}

/// A finished range whose labels are resolved at the end of the function.
pub(super) struct ClosedTry {
    start: usize,
    end: usize,
    catches: Vec<PendingCatch>,
}

impl Translator<'_> {
    pub(super) fn try_table(&mut self, t: &TryTable) {
        let mut catches = Vec::new();
        if self.reachable {
            for c in &t.catches {
                let (tag, is_ref, depth) = match *c {
                    WasmCatch::One { tag, label } => (tag, false, label),
                    WasmCatch::OneRef { tag, label } => (tag, true, label),
                    WasmCatch::All { label } => (CATCH_ALL, false, label),
                    WasmCatch::AllRef { label } => (CATCH_ALL, true, label),
                };
                // Labels count from outside the `try_table` (it is not pushed yet).
                let (kind, label, base, _) = self.target(depth);
                let (dst, label) = if kind == ControlKind::Function {
                    (self.num_locals, self.return_pad())
                } else {
                    (self.temp_slot(base), label)
                };
                let values = if tag == CATCH_ALL { 0 } else { self.m.tag_type(tag).param_slots() };
                self.need_slots(dst + values + is_ref as u32);
                catches.push(PendingCatch { tag, is_ref, dst, label });
            }
        }
        self.block(t.ty);
        if let Some(c) = self.control.last_mut() {
            c.kind = ControlKind::Try;
        }
        // Nothing before the range may be fused with what is inside it.
        let start = self.code.pos();
        self.barrier = start;
        self.last = None;
        self.prev = None;
        self.last_joinable = None;
        self.tries.push(OpenTry { start, catches });
    }

    /// The end of a `try_table`'s range (called by `end` before the block's own work).
    pub(super) fn end_try(&mut self) {
        let Some(open) = self.tries.pop() else { return };
        if !open.catches.is_empty() && self.code.pos() > open.start {
            self.closed_tries.push(ClosedTry { start: open.start, end: self.code.pos(), catches: open.catches });
        }
    }

    /// A tail call at code positions `from..to` leaves every `try_table` of the function (the callee
    /// replaces this frame), yet a tail call to a host function runs as an ordinary call at this
    /// instruction: cut it out of the open ranges, so an exception the host throws is not caught here.
    /// The pieces are recorded innermost first, like whole ranges.
    pub(super) fn exclude_from_tries(&mut self, from: usize, to: usize) {
        for t in self.tries.iter_mut().rev() {
            if !t.catches.is_empty() && from > t.start {
                self.closed_tries.push(ClosedTry { start: t.start, end: from, catches: t.catches.clone() });
            }
            t.start = to;
        }
    }

    /// The landing pad of catch clauses that target the function (made on first use, emitted by
    /// [`emit_return_pad`](Self::emit_return_pad)).
    fn return_pad(&mut self) -> LabelId {
        match self.return_pad {
            Some(l) => l,
            None => {
                let l = self.new_label();
                self.return_pad = Some(l);
                l
            }
        }
    }

    /// After the function's code: the landing pad returning the results found from the first temporary on.
    pub(super) fn emit_return_pad(&mut self, results: &[crate::types::ValType]) {
        let Some(pad) = self.return_pad else { return };
        self.bind(pad);
        self.stack.clear();
        for t in results {
            self.push_as(Operand::Temp, *t == crate::types::ValType::V128);
        }
        self.emit_return();
        self.stack.clear();
    }

    /// The function's handler table, every label now bound.
    pub(super) fn handler_table(&mut self) -> Box<[TryRange]> {
        std::mem::take(&mut self.closed_tries)
            .into_iter()
            .map(|t| TryRange {
                start: t.start as u32,
                end: t.end as u32,
                catches: t
                    .catches
                    .iter()
                    .map(|c| Catch {
                        tag: c.tag,
                        is_ref: c.is_ref,
                        dst: c.dst,
                        target: self.labels[c.label].pos.expect("every label is bound at the end") as u32,
                    })
                    .collect(),
            })
            .collect()
    }

    pub(super) fn throw(&mut self, tag: u32) {
        let n = self.m.tag_type(tag).params().len() as u32;
        self.materialize_top(n);
        let args = self.temp_slot(self.height() - n);
        self.stack.truncate((self.height() - n) as usize);
        self.emit(isa::throw::op(), Throw { tag, args });
        self.reachable = false;
    }

    pub(super) fn throw_ref(&mut self) {
        let exn = self.pop_slot();
        self.emit(isa::throw_ref::op(), ThrowRef { exn });
        self.reachable = false;
    }
}
