//! wasmvm's bytecode: how translated code is laid out in memory.
//!
//! A function's code is a byte stream of instructions. Each instruction starts with the address of the
//! handler that executes it (the handler *is* the opcode: direct threading), followed by its operands packed
//! without padding. Operands are
//! - [`Slot`]s: indices of 8-byte cells in the current frame (`fp[slot]`): parameters, then locals, then the
//!   temporaries that replace the wasm operand stack (their indices are fixed at translation time);
//! - immediates (constants, memory offsets, signature ids) stored inline;
//! - branch offsets, relative to the start of the branching instruction.
//!
//! The instructions are declared once, in [`isa`]: the translator emits typed `(Op<Shape>, Shape)` pairs through
//! [`CodeBuf`], and the executor's handler reads its operand struct right after its own address. With
//! [`Config::disassembly`](crate::Config::disassembly) on, [`CodeBuf`] also records each instruction's
//! description and the wasm offset it came from, for the disassembler ([`disas`]).

pub(crate) mod disas;
pub(crate) mod families;
pub(crate) mod isa;
pub(crate) mod ops;

use crate::exec::Handler;

/// Index of an 8-byte cell in the current call frame.
pub(crate) type Slot = u32;

/// Size of the handler address at the start of every instruction.
pub(crate) const HANDLER_SIZE: usize = std::mem::size_of::<Handler>();

/// An instruction recorded for the disassembler: its position, what it is, and the wasm operator (by
/// offset in the module) whose translation emitted it.
#[derive(Clone, Copy)]
pub(crate) struct Mark {
    pub pos: usize,
    pub info: &'static isa::OpInfo,
    pub wasm_offset: u32,
}

/// A growing byte stream of instructions.
#[derive(Default)]
pub(crate) struct CodeBuf {
    bytes: Vec<u8>,
    /// With disassembly on: every instruction, in order.
    marks: Option<Vec<Mark>>,
    /// The offset of the wasm operator being translated (recorded in marks).
    pub(crate) wasm_offset: u32,
}

impl CodeBuf {
    /// Current end of the stream (the position of the next instruction).
    pub(crate) fn pos(&self) -> usize {
        self.bytes.len()
    }

    /// Append an instruction and return its position.
    pub(crate) fn emit<P: isa::Operands>(&mut self, op: isa::Instr<P>, params: P) -> usize {
        let pos = self.bytes.len();
        if let Some(marks) = &mut self.marks {
            marks.push(Mark { pos, info: op.info(), wasm_offset: self.wasm_offset });
        }
        self.bytes.extend_from_slice(&(op.handler() as usize).to_ne_bytes());
        self.push_raw(params);
        pos
    }

    /// Append raw operand data (e.g. the entries of a `br_table`).
    pub(crate) fn push_raw<P: Copy>(&mut self, value: P) {
        let size = std::mem::size_of::<P>();
        let at = self.bytes.len();
        self.bytes.resize(at + size, 0);
        // SAFETY: `at..at + size` is in bounds and `P: Copy` is plain data.
        unsafe { self.bytes.as_mut_ptr().add(at).cast::<P>().write_unaligned(value) };
    }

    /// Read back a value written at byte position `at` (an operand struct, to fuse its instruction).
    pub(crate) fn read<P: Copy>(&self, at: usize) -> P {
        assert!(at + std::mem::size_of::<P>() <= self.bytes.len());
        // SAFETY: bounds checked above; `P: Copy` is plain data written by `emit`/`patch`.
        unsafe { self.bytes.as_ptr().add(at).cast::<P>().read_unaligned() }
    }

    /// Overwrite a value previously written at byte position `at`.
    pub(crate) fn patch<P: Copy>(&mut self, at: usize, value: P) {
        assert!(at + std::mem::size_of::<P>() <= self.bytes.len());
        // SAFETY: bounds checked above.
        unsafe { self.bytes.as_mut_ptr().add(at).cast::<P>().write_unaligned(value) };
    }

    /// Remove the bytes `start..end` (an instruction fused into a later one), moving what follows down.
    pub(crate) fn remove(&mut self, start: usize, end: usize) {
        if let Some(marks) = &mut self.marks {
            let n = end - start;
            marks.retain(|m| m.pos < start || m.pos >= end);
            for m in marks.iter_mut().filter(|m| m.pos >= end) {
                m.pos -= n;
            }
        }
        self.bytes.drain(start..end);
    }

    /// Drop every instruction from `pos` on (used when fusing the last instruction into the next one).
    pub(crate) fn truncate(&mut self, pos: usize) {
        if let Some(marks) = &mut self.marks {
            marks.retain(|m| m.pos < pos);
        }
        self.bytes.truncate(pos);
    }

    /// A stream that writes into `bytes` (emptied first), reusing its capacity; `record` keeps marks.
    pub(crate) fn reusing(mut bytes: Vec<u8>, record: bool) -> Self {
        bytes.clear();
        Self { bytes, marks: record.then(Vec::new), wasm_offset: 0 }
    }

    /// The recorded instructions (empty without disassembly).
    pub(crate) fn take_marks(&mut self) -> Vec<Mark> {
        self.marks.take().unwrap_or_default()
    }

    /// A copy of the code, exactly as long as it is.
    pub(crate) fn to_boxed(&self) -> Box<[u8]> {
        Box::from(&self.bytes[..])
    }

    /// The buffer, for reuse by the next function.
    pub(crate) fn into_vec(self) -> Vec<u8> {
        self.bytes
    }
}

/// Byte offset of the operand struct of the instruction at `pos`.
pub(crate) const fn operands_at(pos: usize) -> usize {
    pos + HANDLER_SIZE
}
