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
pub(crate) mod simd;

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
    /// Every instruction's position and the offset of the wasm operator it came from (for backtraces).
    offsets: Vec<(u32, u32)>,
    /// With disassembly on: every instruction's description, parallel to `offsets`.
    infos: Option<Vec<&'static isa::OpInfo>>,
    /// The offset of the wasm operator being translated.
    pub(crate) wasm_offset: u32,
    /// One past the start of the last instruction emitted whose shape is not [`Operands::MOVABLE`]
    /// (an upper bound: fusions may have removed it since).
    ///
    /// [`Operands::MOVABLE`]: isa::Operands::MOVABLE
    unmovable_end: usize,
}

impl CodeBuf {
    /// Current end of the stream (the position of the next instruction).
    pub(crate) fn pos(&self) -> usize {
        self.bytes.len()
    }

    /// Append an instruction and return its position.
    pub(crate) fn emit<P: isa::Operands>(&mut self, op: isa::Instr<P>, params: P) -> usize {
        let pos = self.bytes.len();
        self.offsets.push((pos as u32, self.wasm_offset));
        if let Some(infos) = &mut self.infos {
            infos.push(op.info());
        }
        self.bytes.extend_from_slice(&(op.handler() as usize).to_ne_bytes());
        self.push_raw(params);
        if !P::MOVABLE {
            self.unmovable_end = pos + 1;
        }
        pos
    }

    /// A position from which on every instruction emitted so far is [`isa::Operands::MOVABLE`].
    pub(crate) fn movable_from(&self) -> usize {
        self.unmovable_end
    }

    /// Append a copy of the whole instructions in `start..end`, each recorded with the wasm offset of its
    /// original; return where the copy starts. The caller makes sure that they are movable, or patches
    /// their position-dependent fields.
    pub(crate) fn copy_code(&mut self, start: usize, end: usize) -> usize {
        let at = self.bytes.len();
        let first_at = |pos: usize| self.offsets.partition_point(|&(p, _)| (p as usize) < pos);
        let (from, to) = (first_at(start), first_at(end));
        for i in from..to {
            let (pos, wasm_offset) = self.offsets[i];
            self.offsets.push((pos - start as u32 + at as u32, wasm_offset));
            if let Some(infos) = &mut self.infos {
                infos.push(infos[i]);
            }
        }
        self.bytes.extend_from_within(start..end);
        at
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

    /// Is the instruction at `pos` `op` (its handler)?
    pub(crate) fn is_handler<P>(&self, pos: usize, op: isa::Instr<P>) -> bool {
        self.read::<usize>(pos) == op.handler() as usize
    }

    /// Replace the handler of the instruction at `pos` by another variant of the same shape.
    pub(crate) fn rehandle(&mut self, pos: usize, op: isa::AnyInstr) {
        self.patch(pos, op.handler as usize);
        let i = self.first_at(pos);
        if let Some(infos) = &mut self.infos {
            infos[i] = op.info;
        }
    }

    /// Index of the first recorded instruction at or after `pos` (fusions only touch the last few).
    fn first_at(&self, pos: usize) -> usize {
        let mut i = self.offsets.len();
        while i > 0 && self.offsets[i - 1].0 as usize >= pos {
            i -= 1;
        }
        i
    }

    /// Remove the bytes `start..end` (an instruction fused into a later one), moving what follows down.
    pub(crate) fn remove(&mut self, start: usize, end: usize) {
        let (from, to) = (self.first_at(start), self.first_at(end));
        self.offsets.drain(from..to);
        if let Some(infos) = &mut self.infos {
            infos.drain(from..to);
        }
        for o in &mut self.offsets[from..] {
            o.0 -= (end - start) as u32;
        }
        self.bytes.drain(start..end);
    }

    /// Drop every instruction from `pos` on (used when fusing the last instruction into the next one).
    pub(crate) fn truncate(&mut self, pos: usize) {
        let from = self.first_at(pos);
        self.offsets.truncate(from);
        if let Some(infos) = &mut self.infos {
            infos.truncate(from);
        }
        self.bytes.truncate(pos);
    }

    /// A stream that writes into `bytes` (emptied first), reusing its capacity; `disassembly` keeps each
    /// instruction's description.
    pub(crate) fn reusing(mut bytes: Vec<u8>, mut offsets: Vec<(u32, u32)>, disassembly: bool) -> Self {
        bytes.clear();
        offsets.clear();
        Self { bytes, offsets, infos: disassembly.then(Vec::new), wasm_offset: 0, unmovable_end: 0 }
    }

    /// The recorded instructions (empty without disassembly).
    pub(crate) fn take_marks(&mut self) -> Vec<Mark> {
        let Some(infos) = self.infos.take() else { return Vec::new() };
        infos
            .into_iter()
            .zip(&self.offsets)
            .map(|(info, &(pos, wasm_offset))| Mark { pos: pos as usize, info, wasm_offset })
            .collect()
    }

    /// The code-position → wasm-offset table, compactly encoded (see [`wasm_offset_at`]).
    pub(crate) fn offset_table(&self) -> Box<[u8]> {
        let mut out = Vec::with_capacity(self.offsets.len() * 2);
        let (mut pos, mut wasm) = (0u32, 0u32);
        for &(p, w) in &self.offsets {
            write_uleb(&mut out, (p - pos) as u64);
            let delta = w.wrapping_sub(wasm) as i32;
            write_uleb(&mut out, ((delta << 1) ^ (delta >> 31)) as u32 as u64);
            (pos, wasm) = (p, w);
        }
        out.into_boxed_slice()
    }

    /// A copy of the code, exactly as long as it is.
    pub(crate) fn to_boxed(&self) -> Box<[u8]> {
        Box::from(&self.bytes[..])
    }

    /// The buffers, for reuse by the next function.
    pub(crate) fn into_vecs(self) -> (Vec<u8>, Vec<(u32, u32)>) {
        (self.bytes, self.offsets)
    }
}

#[inline]
fn write_uleb(out: &mut Vec<u8>, mut v: u64) {
    if v < 0x80 {
        out.push(v as u8);
        return;
    }
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// The wasm offset of the instruction containing code position `pos`, from a table made by
/// [`CodeBuf::offset_table`]: pairs of (position delta, zigzag wasm-offset delta) as LEB128.
pub(crate) fn wasm_offset_at(table: &[u8], pos: usize) -> Option<u32> {
    let mut bytes = table.iter();
    let mut read = || -> Option<u64> {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let b = *bytes.next()?;
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
            shift += 7;
        }
    };
    let (mut p, mut w, mut found) = (0u64, 0u32, None);
    while let Some(dp) = read() {
        let dw = read()? as u32;
        p += dp;
        w = w.wrapping_add(((dw >> 1) as i32 ^ -((dw & 1) as i32)) as u32);
        if p as usize > pos {
            break;
        }
        found = Some(w);
    }
    found
}

/// Byte offset of the operand struct of the instruction at `pos`.
pub(crate) const fn operands_at(pos: usize) -> usize {
    pos + HANDLER_SIZE
}
