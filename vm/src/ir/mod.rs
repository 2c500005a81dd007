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
//! There is no opcode enum: the translator emits `(handler, operands)` pairs through [`CodeBuf`], and the
//! executor's handler reads its operand struct right after its own address.

pub(crate) mod ops;

use crate::exec::Handler;

/// Index of an 8-byte cell in the current call frame.
pub(crate) type Slot = u32;

/// Size of the handler address at the start of every instruction.
pub(crate) const HANDLER_SIZE: usize = std::mem::size_of::<Handler>();

/// A growing byte stream of instructions.
#[derive(Default)]
pub(crate) struct CodeBuf {
    bytes: Vec<u8>,
    /// Instruction starts and their handlers (with the `disasm` feature, for inspecting translations).
    #[cfg(feature = "disasm")]
    pub(crate) marks: Vec<(usize, usize)>,
}

impl CodeBuf {
    /// Current end of the stream (the position of the next instruction).
    pub(crate) fn pos(&self) -> usize {
        self.bytes.len()
    }

    /// Append an instruction and return its position.
    pub(crate) fn emit<P: Copy>(&mut self, handler: Handler, params: P) -> usize {
        let pos = self.bytes.len();
        #[cfg(feature = "disasm")]
        self.marks.push((pos, handler as usize));
        self.bytes.extend_from_slice(&(handler as usize).to_ne_bytes());
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
        #[cfg(feature = "disasm")]
        {
            let n = end - start;
            self.marks.retain(|&(p, _)| p < start || p >= end);
            for m in &mut self.marks {
                if m.0 >= end {
                    m.0 -= n;
                }
            }
        }
        self.bytes.drain(start..end);
    }

    /// Drop every instruction from `pos` on (used when fusing the last instruction into the next one).
    pub(crate) fn truncate(&mut self, pos: usize) {
        #[cfg(feature = "disasm")]
        self.marks.retain(|&(p, _)| p < pos);
        self.bytes.truncate(pos);
    }

    /// A stream that writes into `bytes` (emptied first), reusing its capacity.
    pub(crate) fn reusing(mut bytes: Vec<u8>) -> Self {
        bytes.clear();
        Self {
            bytes,
            #[cfg(feature = "disasm")]
            marks: Vec::new(),
        }
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
