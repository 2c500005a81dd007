//! Translation of wasm function bodies to wasmvm bytecode.
//!
//! The wasm operand stack disappears at translation time. Each stack position owns fixed frame slots (a
//! "temporary": one slot, two for a `v128`, packed above the locals), and the translator tracks what each
//! position holds:
//! - [`Operand::Temp`]: the value is in the position's own slot;
//! - [`Operand::Local`]: `local.get` emits nothing; the value is read from the local's slot in place;
//! - [`Operand::Const`]: constants become immediates of the instructions that use them.
//!
//! Instructions therefore name their inputs and output directly (`dst = a + b`), a result consumed by
//! `local.set` is written straight into the local (the producing instruction is retargeted), constants fold,
//! and a comparison feeding `br_if`/`if` fuses with the branch. Branch targets are resolved to byte offsets,
//! and block results are moved into the target's slots on the branching path only.
//!
//! Invariants that keep lazy operands correct:
//! - before a local is written, any `Local` operand naming it is copied to its own slot ("preserved");
//! - on entering a block, `Local` operands below the block are materialised, because a preservation copy
//!   made inside one branch of the block would not happen on the other paths.

mod atomic;
mod control;
pub(super) mod coverage;
mod exception;
mod gc;
mod if_convert;
mod join;
mod memory_any;
mod ops;
mod simd;
mod zero_byte;

use wasmparser::{FuncValidator, FunctionBody, Operator, ValidatorResources};

use crate::error::{Error, Result};
use crate::exec;
use crate::ir::isa::{self, *};
use crate::ir::{CodeBuf, HANDLER_SIZE, Slot, operands_at};
use crate::module::ModuleInner;
pub(crate) use exception::{CATCH_ALL, TryRange};
use join::Joinable;

/// A translated function body.
pub(crate) struct CompiledFunc {
    pub code: Box<[u8]>,
    /// The instructions, for the disassembler (empty unless `Config::disassembly`).
    pub marks: Vec<crate::ir::Mark>,
    /// Code position → wasm offset (`ir::wasm_offset_at`), for backtraces.
    pub offsets: Box<[u8]>,
    /// Positions of `CallInternal::entry` fields and the callee they must point to.
    pub call_fixups: Vec<(usize, u32)>,
    /// The `try_table` ranges and their catch clauses, innermost first (read only by the unwinder).
    pub handlers: Box<[TryRange]>,
}

/// What a position of the wasm operand stack holds (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Operand {
    Temp,
    Local(u32),
    Const(u64),
}

/// One position of the operand stack: what it holds, its temporary's first slot, and whether it is a
/// `v128` (two slots).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Entry {
    op: Operand,
    slot: Slot,
    wide: bool,
}

/// Where a popped operand's value is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Src {
    Slot(Slot),
    Imm(u64),
}

impl Src {
    /// As an operand field that holds either (`bin2`'s `b` and `c`, `load_op_store`'s `b`): the slot or the
    /// value, and whether it is the value.
    fn field(self) -> (u64, bool) {
        match self {
            Src::Slot(s) => (s as u64, false),
            Src::Imm(v) => (v, true),
        }
    }

    /// The inner operand of a fused i32 pair (`bin2`'s `b`), if it fits: an immediate must be a
    /// zero-extended i32.
    fn inner_field(self) -> Option<(u64, bool)> {
        match self {
            Src::Imm(v) if v > u32::MAX as u64 => None,
            _ => Some(self.field()),
        }
    }
}

/// A branch target. `pos` is known once bound; until then, the branches to it are recorded as a list of
/// [`Fixup`]s (linked through one pool per function, so that labels cost no allocation of their own).
struct Label {
    pos: Option<usize>,
    /// First pending fixup in `Translator::fixups`, or [`NO_FIXUP`].
    fixups: u32,
}

/// A branch waiting for its label: the instruction's position, its offset field's position, the next one.
struct Fixup {
    instr: usize,
    field: usize,
    next: u32,
}

const NO_FIXUP: u32 = u32::MAX;

/// Buffers kept from one function body to the next (one set per translating thread), so that translating
/// a module allocates little beyond the translated code itself.
#[derive(Default)]
pub(crate) struct Allocations {
    validator: wasmparser::FuncValidatorAllocations,
    code: Vec<u8>,
    offsets: Vec<(u32, u32)>,
    stack: Vec<Entry>,
    local_slots: Vec<Slot>,
    control: Vec<Control>,
    labels: Vec<Label>,
    fixups: Vec<Fixup>,
    acc_links: Vec<AccLink>,
}

type LabelId = usize;

#[derive(Debug, Clone, Copy, PartialEq)]
enum ControlKind {
    Function,
    Block,
    Loop,
    If {
        else_label: LabelId,
    },
    Else,
    /// A `try_table` (a block whose range is in the handler table).
    Try,
}

struct Control {
    kind: ControlKind,
    /// The block's type (its result types decide the result temporaries' widths).
    ty: wasmparser::BlockType,
    /// Branch target: the loop head for loops, the end otherwise.
    label: LabelId,
    /// Operand stack height below the block's parameters.
    base: u32,
    params: u32,
    results: u32,
    /// Was the block entered in reachable code?
    reachable: bool,
    /// For `if`: the parameter operands at entry, re-pushed for the `else` branch.
    if_params: Vec<Entry>,
}

impl Control {
    fn branch_arity(&self) -> u32 {
        if self.kind == ControlKind::Loop { self.params } else { self.results }
    }
}

/// What the last emitted instruction was, for retargeting and fusion.
#[derive(Debug, Clone, Copy)]
struct LastOp {
    pos: usize,
    /// The temporary it wrote (always the first operand field).
    dst: Slot,
    kind: LastKind,
    /// The handler it was emitted with, if that handler also hands its result over in the accumulator
    /// (`exec` module docs), and its variant leaving the result only there (if its family has one).
    emitted: Option<isa::AnyInstr>,
    acc_out: Option<isa::AnyInstr>,
}

/// An accumulator pairing (`exec` module docs): the instruction at `consumer` reads, from the accumulator,
/// the result of the one at `producer`, whose handler was switched from `producer_plain` to its `ACC_OUT`
/// variant. Both keep their slot fields filled, so undoing the pairing (when a fusion removes or moves
/// either) is a handler swap: see `Translator::cut`.
#[derive(Clone, Copy)]
struct AccLink {
    producer: usize,
    producer_plain: isa::AnyInstr,
    consumer: usize,
}

#[derive(Debug, Clone, Copy)]
enum LastKind {
    Other,
    /// A call with one result (in `dst`, the callee frame's first slot): not an instruction with a result
    /// field, so nothing may rewrite its `dst` or move it.
    Call,
    /// `global.get` of this global (scalar).
    GlobalGet(u32),
    Bin(crate::ir::ops::BinOp, Src, Src),
    /// `a + (b << shift)`.
    AddShl(Slot, Slot, u32),
    Cmp(crate::ir::ops::CmpOp, Src, Src),
    Eqz32(Slot),
    Eqz64(Slot),
    /// `i32.wrap_i64` of the i64 in this slot (removable when the consumer reads only the low half).
    Wrap(Slot),
    /// A load from a private memory: kind and addressing (for load-and-branch fusion).
    Load(crate::ir::ops::LoadKind, LoadAddr),
    /// A `load_pair` of this kind (for fusion with a comparison of the two values and a branch).
    LoadPair(crate::ir::ops::LoadKind),
    /// A SIMD binary operation on two vector slots (for multiply-add fusion).
    SimdBin(crate::ir::simd::SimdBinOp, Slot, Slot),
    /// An `add2` or `add3` (for fusion with a branch on its last result).
    Add2,
    Add3,
    /// `zero_byte` of this slot with these constants, and whether it is the complement
    /// (`translate/zero_byte.rs`).
    ZeroByte {
        a: Slot,
        k: u32,
        m: u32,
        not: bool,
    },
}

/// The addressing form of a load.
#[derive(Debug, Clone, Copy)]
enum LoadAddr {
    Slot(Slot, u32),
    SS(Slot, Slot, u32),
}

pub(crate) struct Translator<'a> {
    m: &'a ModuleInner,
    code: CodeBuf,
    /// Frame slots of the parameters and locals (the first temporary's slot).
    num_locals: u32,
    /// `local_slots[i]`: the first slot of local `i` (one more entry, the end, so widths are differences).
    local_slots: Vec<Slot>,
    num_results: u32,
    stack: Vec<Entry>,
    /// Highest slot index + 1 any instruction may touch.
    frame_size: u32,
    control: Vec<Control>,
    labels: Vec<Label>,
    fixups: Vec<Fixup>,
    last: Option<LastOp>,
    /// The instruction before `last`, when both are straight-line code producing results.
    prev: Option<LastOp>,
    /// The last instruction, if it is one that the next instruction may join (see [`Joinable`]).
    last_joinable: Option<Joinable>,
    /// `last_joinable` as it was before `last` was emitted: what precedes an instruction that a branch
    /// fuses away (`x = k; if (!c)`: the `constant` before the `i32.eqz`).
    joinable_before_last: Option<Joinable>,
    /// No instruction before this position may be removed or retargeted (a label may point after it).
    barrier: usize,
    /// The accumulator pairings after `barrier`, oldest first.
    acc_links: Vec<AccLink>,
    /// The last conditional branch, for its label to turn into a selection (`if_convert.rs`).
    cond_branch: Option<if_convert::CondBranch>,
    reachable: bool,
    call_fixups: Vec<(usize, u32)>,
    /// With fuel metering: the position of the current stretch's `consume_fuel` amount, and the wasm
    /// operators translated since it.
    fuel: Option<(usize, u32)>,
    /// Does the engine meter fuel? (read once: `fuel_stretch` runs at every label)
    consume_fuel: bool,
    /// Is memory 0 shared? (selects the racy-safe access handlers)
    shared_memory: bool,
    /// Does every memory instruction use memory 0's families (the module has at most one memory, 32-bit
    /// with 64 KiB pages)? Then `memory_any` is skipped.
    plain_memories: bool,
    /// The `try_table`s open around the current position, innermost last.
    tries: Vec<exception::OpenTry>,
    /// The finished `try_table` ranges, innermost first.
    closed_tries: Vec<exception::ClosedTry>,
    /// The landing pad of catch clauses that return from the function.
    return_pad: Option<LabelId>,
    /// The `br_table`s emitted so far, for jumps back to them to copy them ([`Translator::emit_jump`]).
    tables: Vec<TableCode>,
    /// Bytes of code copied so far by those jumps (bounded per function).
    copied: usize,
}

/// A `br_table` instruction already emitted: where it starts, the size of its fixed part (handler and
/// operand struct; its offsets follow), the label each offset points at, and a position from which on the
/// code before it is movable ([`crate::ir::CodeBuf::movable_from`]).
struct TableCode {
    pos: usize,
    head: usize,
    labels: Vec<LabelId>,
    movable_from: usize,
    /// Jumps back to the table seen so far.
    jumps: u32,
}

/// Translate one function body, validating it on the way.
pub(crate) fn translate_function(
    m: &ModuleInner,
    func: wasmparser::FuncToValidate<ValidatorResources>,
    body: &FunctionBody<'_>,
    allocs: &mut Allocations,
) -> Result<CompiledFunc> {
    let mut v = func.into_validator(std::mem::take(&mut allocs.validator));
    let r = translate_validating(m, &mut v, body, allocs);
    allocs.validator = v.into_allocations();
    r
}

fn translate_validating(
    m: &ModuleInner,
    v: &mut FuncValidator<ValidatorResources>,
    body: &FunctionBody<'_>,
    allocs: &mut Allocations,
) -> Result<CompiledFunc> {
    let func_index = v.index();
    let ty = m.func_type(func_index).clone();
    let num_params = ty.param_slots();
    let mut locals = body.get_locals_reader().map_err(crate::module::malformed)?;
    let mut local_slots = reuse(&mut allocs.local_slots);
    let mut num_locals = 0;
    for p in ty.params() {
        local_slots.push(num_locals);
        num_locals += p.slots();
    }
    for _ in 0..locals.get_count() {
        let offset = locals.original_position();
        let (count, ty) = locals.read().map_err(crate::module::malformed)?;
        v.define_locals(offset, count, ty).map_err(invalid)?;
        // The validator accepts more reference types than the machine has (see `Features::exceptions`).
        crate::types::ValType::from_wasmparser(ty, &|_| None).map_err(Error::Unsupported)?;
        // Validation bounds the number of locals (50,000), so this loop is bounded too.
        let width = if ty == wasmparser::ValType::V128 { 2 } else { 1 };
        for _ in 0..count {
            local_slots.push(num_locals);
            num_locals = num_locals.checked_add(width).ok_or_else(|| Error::Invalid("too many locals".into()))?;
        }
    }
    local_slots.push(num_locals);
    let mut t = Translator {
        m,
        code: CodeBuf::reusing(
            std::mem::take(&mut allocs.code),
            std::mem::take(&mut allocs.offsets),
            m.engine.config().disassembly,
        ),
        num_locals,
        local_slots,
        num_results: ty.results().len() as u32,
        stack: reuse(&mut allocs.stack),
        // Room for zeroing locals in whole blocks (see `exec::call::zero_locals`).
        frame_size: num_locals.max(ty.result_slots()).max(num_params + exec::call::ZERO_BLOCK),
        control: reuse(&mut allocs.control),
        labels: reuse(&mut allocs.labels),
        fixups: reuse(&mut allocs.fixups),
        last: None,
        prev: None,
        last_joinable: None,
        joinable_before_last: None,
        barrier: 0,
        acc_links: reuse(&mut allocs.acc_links),
        cond_branch: None,
        reachable: true,
        call_fixups: Vec::new(),
        fuel: None,
        consume_fuel: m.engine.config().consume_fuel,
        shared_memory: m.memories.first().is_some_and(|mem| mem.shared),
        plain_memories: m.memories.len() <= 1 && m.memories.iter().all(|t| !t.memory64 && t.page_size_log2 == 16),
        tries: Vec::new(),
        closed_tries: Vec::new(),
        return_pad: None,
        tables: Vec::new(),
        copied: 0,
    };
    // `enter` belongs to the function body as a whole.
    t.code.wasm_offset = body.range().start as u32;
    t.emit(isa::enter::op(), Enter { frame_size: 0, zero_from: num_params, zero_len: num_locals - num_params });
    if m.engine.config().interruptible {
        t.emit(isa::check_interrupt::op(), Nothing {});
    }
    t.fuel_stretch();
    let label = t.new_label();
    t.control.push(Control {
        kind: ControlKind::Function,
        ty: wasmparser::BlockType::Empty,
        label,
        base: 0,
        params: 0,
        results: t.num_results,
        reachable: true,
        if_params: Vec::new(),
    });

    let multi_memory = m.engine.config().features.multi_memory;
    let mut raw_reader = body.get_binary_reader();
    let raw_start = raw_reader.original_position() as usize;
    let raw = raw_reader.read_bytes(raw_reader.bytes_remaining()).map_err(crate::module::malformed)?;
    let mut reader = body.get_operators_reader().map_err(crate::module::malformed)?;
    while !reader.eof() {
        let offset = reader.original_position();
        // Borrowed from here on: moving an `Operator` around costs store-forwarding stalls.
        let read = reader.read();
        let op = match &read {
            Ok(op) => op,
            Err(e) => return Err(crate::module::malformed(e.clone())),
        };
        if matches!(op, Operator::MemorySize { .. } | Operator::MemoryGrow { .. })
            && !multi_memory
            && reader.original_position() - offset != 2
        {
            // Wasm 2.0: the memory index of these is a single zero byte, not a LEB128.
            return Err(Error::Malformed(format!("zero byte expected (at offset {offset:#x})")));
        }
        let encoded = &raw[offset as usize - raw_start..reader.original_position() as usize - raw_start];
        check_memarg(encoded, offset, &m.memories)?;
        v.op(offset, op).map_err(invalid)?;
        t.code.wasm_offset = offset as u32;
        if let Some((_, count)) = &mut t.fuel {
            *count += 1;
        }
        t.translate(op)?;
    }
    if !t.control.is_empty() {
        return Err(Error::Invalid("function body is not terminated by `end`".into()));
    }
    t.emit_return_pad(ty.results());
    t.end_fuel_stretch();
    let handlers = t.handler_table();
    let frame_size = t.frame_size;
    t.code.patch(operands_at(0), frame_size);
    let func = CompiledFunc {
        marks: t.code.take_marks(),
        offsets: t.code.offset_table(),
        code: t.code.to_boxed(),
        call_fixups: t.call_fixups,
        handlers,
    };
    (allocs.code, allocs.offsets) = t.code.into_vecs();
    allocs.stack = t.stack;
    allocs.local_slots = t.local_slots;
    allocs.control = t.control;
    allocs.labels = t.labels;
    allocs.fixups = t.fixups;
    allocs.acc_links = t.acc_links;
    Ok(func)
}

/// An empty vector with the capacity `v` had.
fn reuse<T>(v: &mut Vec<T>) -> Vec<T> {
    let mut v = std::mem::take(v);
    v.clear();
    v
}

/// Wasm 2.0 encodes a memory instruction's alignment and offset as u32 LEB128s (at most 5 bytes each);
/// wasmparser reads the offset as memory64's u64, so overlong encodings are rejected here (for a 32-bit
/// memory; a memory64's offset is a u64 LEB128). With multi-memory, bit 6 of the alignment says that a
/// memory index follows it.
fn check_memarg(encoded: &[u8], offset: u64, memories: &[crate::types::MemoryType]) -> Result<()> {
    let opcode_len = match encoded.first() {
        Some(0x28..=0x3e) => 1,
        Some(0xfe) if encoded.get(1) != Some(&0x03) => {
            let mut r = wasmparser::BinaryReader::new(&encoded[1..], 0);
            r.read_var_u32().map_err(crate::module::malformed)?;
            1 + r.original_position() as usize
        }
        _ => return Ok(()),
    };
    let mut r = wasmparser::BinaryReader::new(&encoded[opcode_len..], offset + opcode_len as u64);
    let flags = r.read_var_u32().map_err(crate::module::malformed)?;
    let memory = if flags & (1 << 6) != 0 { r.read_var_u32().map_err(crate::module::malformed)? } else { 0 };
    if memories.get(memory as usize).is_some_and(|m| m.memory64) {
        return Ok(());
    }
    r.read_var_u32().map_err(crate::module::malformed)?;
    Ok(())
}

fn invalid(e: wasmparser::BinaryReaderError) -> Error {
    let msg = e.message();
    if msg.contains("support is not enabled")
        || msg.contains("proposal not enabled")
        || msg.contains("not supported without")
    {
        Error::Unsupported(format!("{msg} (at offset {:#x})", e.offset()))
    } else {
        Error::Invalid(format!("{msg} (at offset {:#x})", e.offset()))
    }
}

/// Point every intra-module call at its callee's code (all bodies have their final addresses now). The
/// call performs the callee's `enter` itself, so it jumps past it and copies the callee's frame layout.
pub(crate) fn link_calls(m: &mut ModuleInner) {
    let nimp = m.num_imported_funcs;
    let callees: Vec<(usize, Enter)> = m
        .code
        .iter()
        .map(|c| {
            // SAFETY: every body starts with an `enter` instruction (see `translate_function`).
            let enter = unsafe { c.code.as_ptr().add(HANDLER_SIZE).cast::<Enter>().read_unaligned() };
            (c.code.as_ptr() as usize + HANDLER_SIZE + std::mem::size_of::<Enter>(), enter)
        })
        .collect();
    for func in m.code.iter_mut() {
        for &(at, callee) in &func.call_fixups {
            let (entry, enter) = callees[(callee - nimp) as usize];
            // SAFETY: `at` is the position of a `CallInternal`'s fields written by the translator (the operands
            // of `CallInternal` and `ReturnCallInternal`, which begin with them, or the suffix of `CallMoves`).
            unsafe {
                let p = func.code.as_mut_ptr().add(at).cast::<CallInternal>();
                let mut call = p.read_unaligned();
                call.entry = entry;
                call.frame_size = enter.frame_size;
                call.zero_from = enter.zero_from;
                call.zero_len = enter.zero_len;
                p.write_unaligned(call);
            }
        }
        func.call_fixups = Vec::new();
    }
}

impl<'a> Translator<'a> {
    // ----- emission -----

    fn emit<P: Operands>(&mut self, h: isa::Instr<P>, p: P) -> usize {
        self.last = None;
        self.prev = None;
        self.last_joinable = None;
        self.code.emit(h, p)
    }

    /// Emit an instruction whose first operand is the destination temporary `dst`.
    fn emit_result<P: Operands>(&mut self, h: isa::Instr<P>, p: P, dst: Slot, kind: LastKind) -> usize {
        let pos = self.code.emit(h, p);
        self.joinable_before_last = self.last_joinable.take();
        self.prev = self.last;
        self.last = Some(LastOp { pos, dst, kind, emitted: None, acc_out: None });
        pos
    }

    /// [`Translator::emit_result`] for an instruction whose handler hands its result over in the accumulator
    /// (but has no variant leaving it only there).
    fn emit_result_acc<P: Operands>(&mut self, h: isa::Instr<P>, p: P, dst: Slot, kind: LastKind) -> usize {
        let pos = self.emit_result(h, p, dst, kind);
        if let Some(last) = &mut self.last {
            last.emitted = Some(h.erase());
        }
        pos
    }

    /// The accumulator input to use for an instruction about to be emitted that reads `inputs` (its
    /// accumulator-capable operands, in variant order): `k` if `inputs[k - 1]` is the slot the last
    /// instruction just wrote and handed over in the accumulator (`emitted` is set); 0 if none. `temporary`
    /// if that slot is a temporary: it is read once, by the instruction that pops it, so a producer with
    /// an `ACC_OUT` variant need not write it ([`Translator::pair_acc`]).
    ///
    /// A result written to a local (after `local.set`/`local.tee`), or by a producer without an `ACC_OUT`
    /// variant (`bin2`, `select`, a call), is handed over too, and its slot is written all the same.
    fn acc_input(&self, inputs: &[Slot]) -> AccInput {
        let none = AccInput { k: 0, temporary: false };
        let Some(last) = self.last.filter(|l| l.pos >= self.barrier && l.emitted.is_some()) else { return none };
        match inputs.iter().position(|&s| s == last.dst) {
            Some(i) => AccInput { k: i + 1, temporary: last.dst >= self.num_locals },
            None => none,
        }
    }

    /// Emit an instruction with accumulator variants `v` that writes the temporary `dst` (`kind`: what it
    /// computed). See [`Translator::acc_input`].
    fn emit_acc<P: Operands, const N: usize>(
        &mut self,
        v: &isa::AccVariants<P, N>,
        inputs: &[Slot],
        p: P,
        dst: Slot,
        kind: LastKind,
    ) -> usize {
        self.with_acc_input(inputs, |t, k| {
            let h = v.by[k][0];
            let pos = t.emit_result(h, p, dst, kind);
            if let Some(last) = &mut t.last {
                last.emitted = Some(h.erase());
                last.acc_out = Some(v.by[k][1].erase());
            }
            pos
        })
    }

    /// [`Translator::emit_result_acc`] for an instruction with accumulator input variants `v` (but no variant
    /// leaving its result only in the accumulator).
    fn emit_result_acc_in<P: Operands, const N: usize>(
        &mut self,
        v: &isa::AccInputs<P, N>,
        inputs: &[Slot],
        p: P,
        dst: Slot,
        kind: LastKind,
    ) -> usize {
        self.with_acc_input(inputs, |t, k| t.emit_result_acc(v.by[k], p, dst, kind))
    }

    /// Emit an instruction without a result (a store, a branch) with accumulator variants `v`.
    fn emit_acc_in<P: Operands, const N: usize>(&mut self, v: &isa::AccInputs<P, N>, inputs: &[Slot], p: P) -> usize {
        self.with_acc_input(inputs, |t, k| t.emit(v.by[k], p))
    }

    /// Emit with `emit(self, k)` the variant for accumulator input `k` ([`Translator::acc_input`] of
    /// `inputs`), then pair it with its producer.
    fn with_acc_input(&mut self, inputs: &[Slot], emit: impl FnOnce(&mut Self, usize) -> usize) -> usize {
        let AccInput { k, temporary } = self.acc_input(inputs);
        let producer = if temporary { self.last } else { None };
        let pos = emit(self, k);
        self.pair_acc(producer, pos);
        pos
    }

    /// The instruction at `consumer` reads the temporary `producer` wrote from the accumulator: switch the
    /// producer to its `ACC_OUT` variant and remember the pairing (see [`Translator::cut`]).
    fn pair_acc(&mut self, producer: Option<LastOp>, consumer: usize) {
        if let Some(prod) = producer
            && let (Some(plain), Some(out)) = (prod.emitted, prod.acc_out)
        {
            // (It is `prev` now, so it cannot pair again unless the consumer is removed: `cut`.)
            self.code.rehandle(prod.pos, out);
            if self.acc_links.len() >= 8 {
                self.acc_links.remove(0);
            }
            self.acc_links.push(AccLink { producer: prod.pos, producer_plain: plain, consumer });
        }
    }

    /// Before the code from `start` on is removed or moved: undo the accumulator pairings whose consumer is
    /// there (its producer writes its slot again).
    fn cut(&mut self, start: usize) {
        while let Some(link) = self.acc_links.last().copied()
            && link.consumer >= start
        {
            self.acc_links.pop();
            if link.producer < start {
                self.code.rehandle(link.producer, link.producer_plain);
            }
        }
    }

    /// Remove the code from `pos` on (see [`Translator::cut`]).
    fn truncate_code(&mut self, pos: usize) {
        self.cut(pos);
        self.code.truncate(pos);
    }

    fn need_slots(&mut self, upto: u32) {
        self.frame_size = self.frame_size.max(upto);
    }

    // ----- the operand stack -----

    fn height(&self) -> u32 {
        self.stack.len() as u32
    }

    /// The first slot of the temporary at `depth` (at most the height: then, the next free slot).
    fn temp_slot(&self, depth: u32) -> Slot {
        match self.stack.get(depth as usize) {
            Some(e) => e.slot,
            None => self.next_slot(),
        }
    }

    /// The slot a value pushed now would get.
    fn next_slot(&self) -> Slot {
        self.stack.last().map_or(self.num_locals, |e| e.slot + 1 + e.wide as u32)
    }

    /// The first slot of local `index`, and whether it is a `v128`.
    fn local(&self, index: u32) -> (Slot, bool) {
        let i = index as usize;
        (self.local_slots[i], self.local_slots[i + 1] - self.local_slots[i] == 2)
    }

    fn push(&mut self, op: Operand) {
        self.push_as(op, false);
    }

    /// Push an operand, two slots wide if `wide`.
    fn push_as(&mut self, op: Operand, wide: bool) {
        let slot = self.next_slot();
        self.stack.push(Entry { op, slot, wide });
        self.need_slots(slot + 1 + wide as u32);
    }

    /// Push a temporary and return its slot.
    fn push_temp(&mut self) -> Slot {
        self.push(Operand::Temp);
        self.temp_slot(self.height() - 1)
    }

    /// Push a `v128` temporary and return its first slot.
    fn push_temp_wide(&mut self) -> Slot {
        self.push_as(Operand::Temp, true);
        self.temp_slot(self.height() - 1)
    }

    /// Pop an entry (in unreachable code the stack may be empty: a temporary at the next slot).
    fn pop_entry(&mut self) -> Entry {
        let slot = self.next_slot();
        self.stack.pop().unwrap_or(Entry { op: Operand::Temp, slot, wide: false })
    }

    fn pop(&mut self) -> Src {
        let e = self.pop_entry();
        self.src_of(e)
    }

    fn src_of(&self, e: Entry) -> Src {
        match e.op {
            Operand::Temp => Src::Slot(e.slot),
            Operand::Local(i) => Src::Slot(i),
            Operand::Const(c) => Src::Imm(c),
        }
    }

    /// Pop an operand that must be in a slot (constants are materialised in their temporary).
    fn pop_slot(&mut self) -> Slot {
        let depth = self.height() - 1;
        self.materialize(depth);
        match self.pop() {
            Src::Slot(s) => s,
            Src::Imm(_) => unreachable!("materialised"),
        }
    }

    /// Make the operand at `depth` a `Temp` (copy a local or constant into its slot).
    fn materialize(&mut self, depth: u32) {
        let e = self.stack[depth as usize];
        match e.op {
            Operand::Temp => {}
            Operand::Local(src) => self.copy_to_w(e.slot, Src::Slot(src), e.wide),
            Operand::Const(value) => self.emit_const(e.slot, value),
        }
        self.stack[depth as usize].op = Operand::Temp;
    }

    /// Materialise the constants among the top `n` operands (so that operands can be popped as slots
    /// without one materialisation overwriting another operand's slot).
    fn materialize_consts(&mut self, n: u32) {
        let h = self.height();
        for d in h - n..h {
            if matches!(self.stack[d as usize].op, Operand::Const(_)) {
                self.materialize(d);
            }
        }
    }

    /// Materialise the top `n` operands (e.g. call arguments, which must be consecutive slots).
    fn materialize_top(&mut self, n: u32) {
        let h = self.height();
        for d in h - n..h {
            self.materialize(d);
        }
    }

    /// Copy every `Local(local)` operand to its own slot before the local at slot `local` is overwritten.
    fn preserve_local(&mut self, local: Slot) {
        for d in 0..self.height() {
            if self.stack[d as usize].op == Operand::Local(local) {
                self.materialize(d);
            }
        }
    }

    /// Materialise all `Local` operands below `height` (done on block entry).
    fn preserve_locals_below(&mut self, height: u32) {
        for d in 0..height {
            if matches!(self.stack[d as usize].op, Operand::Local(_)) {
                self.materialize(d);
            }
        }
    }

    // ----- labels -----

    fn new_label(&mut self) -> LabelId {
        self.labels.push(Label { pos: None, fixups: NO_FIXUP });
        self.labels.len() - 1
    }

    /// Bind `label` to the current position and resolve the branches waiting for it.
    fn bind(&mut self, label: LabelId) {
        self.if_convert(label);
        let pos = self.code.pos();
        self.barrier = pos;
        self.acc_links.clear();
        self.last = None;
        self.prev = None;
        self.last_joinable = None;
        let mut next = std::mem::replace(&mut self.labels[label].fixups, NO_FIXUP);
        while next != NO_FIXUP {
            let f = &self.fixups[next as usize];
            self.code.patch(f.field, (pos as i64 - f.instr as i64) as i32);
            next = f.next;
        }
        self.labels[label].pos = Some(pos);
        self.fuel_stretch();
    }

    /// With fuel metering, start a new stretch of code (at function entry and at every label): charge the
    /// previous stretch's operators and emit this one's `consume_fuel` (its amount patched when it ends).
    fn fuel_stretch(&mut self) {
        if !self.consume_fuel {
            return;
        }
        self.end_fuel_stretch();
        let pos = self.emit(isa::consume_fuel::op(), Fuel { amount: 0 });
        self.fuel = Some((operands_at(pos), 0));
    }

    fn end_fuel_stretch(&mut self) {
        if let Some((field, count)) = self.fuel.take() {
            self.code.patch(field, count);
        }
    }

    /// Make the i32 offset field at `field` of the instruction at `instr` jump to `label`.
    fn branch_field(&mut self, instr: usize, field: usize, label: LabelId) {
        match self.labels[label].pos {
            Some(pos) => self.code.patch(field, (pos as i64 - instr as i64) as i32),
            None => {
                let next = self.labels[label].fixups;
                self.labels[label].fixups = self.fixups.len() as u32;
                self.fixups.push(Fixup { instr, field, next });
            }
        }
    }

    /// Emit a branch instruction whose operand struct ends with its i32 offset.
    fn emit_branch<P: Operands>(&mut self, h: isa::Instr<P>, p: P, label: LabelId) {
        let pos = self.emit(h, p);
        self.branch_offset_at::<P>(pos, label);
    }

    /// The instruction at `pos`, of shape `P`, ends with its branch offset: point it at `label`.
    fn branch_offset_at<P: Operands>(&mut self, pos: usize, label: LabelId) {
        let field = pos + HANDLER_SIZE + std::mem::size_of::<P>() - 4;
        self.branch_field(pos, field, label);
    }

    /// [`Translator::emit_branch`] for an instruction with accumulator variants (see `emit_acc`).
    fn emit_branch_acc<P: Operands, const N: usize>(
        &mut self,
        v: &isa::AccInputs<P, N>,
        inputs: &[Slot],
        p: P,
        label: LabelId,
    ) {
        let pos = self.emit_acc_in(v, inputs, p);
        self.branch_offset_at::<P>(pos, label);
    }

    /// Emit a call to a function of this module (its entry and frame layout are patched in by `link_calls`),
    /// which first performs `moves` (see [`Translator::take_arg_moves`]).
    fn emit_call_internal(&mut self, callee: u32, frame: Slot, moves: ArgMoves) -> (usize, isa::AnyInstr) {
        // `fields`: where the `CallInternal` fields that `link_calls` patches begin in the operands.
        let (pos, h, fields) = match moves {
            None => {
                let h = isa::call_internal::op();
                let p = CallInternal { entry: 0, frame, frame_size: 0, zero_from: 0, zero_len: 0 };
                (self.emit(h, p), h.erase(), 0)
            }
            Some([(d1, s1), (d2, s2)]) => {
                let h = isa::call_moves::op();
                let p = CallMoves { d1, s1, d2, s2, entry: 0, frame, frame_size: 0, zero_from: 0, zero_len: 0 };
                (self.emit(h, p), h.erase(), std::mem::offset_of!(CallMoves, entry))
            }
        };
        self.call_fixups.push((operands_at(pos) + fields, callee));
        (pos, h)
    }

    /// Take up to two of the top `n` operands (call arguments) that are locals, nearest the top first, to be
    /// copied into their argument slots by the call itself (`call_moves`) instead of by `copy`
    /// instructions: they become temporaries with no instruction emitted. One move is returned twice.
    fn take_arg_moves(&mut self, n: u32) -> ArgMoves {
        let h = self.height();
        let mut found: [Option<(Slot, Slot)>; 2] = [None; 2];
        let mut k = 0;
        for d in (h - n..h).rev() {
            let e = &mut self.stack[d as usize];
            if let Operand::Local(src) = e.op
                && !e.wide
                && k < 2
            {
                found[k] = Some((e.slot, src));
                e.op = Operand::Temp;
                k += 1;
            }
        }
        match found {
            [None, _] => None,
            [Some(m), None] => Some([m, m]),
            [Some(a), Some(b)] => Some([b, a]),
        }
    }

    /// The temporary `slot` was just written by the last instruction, which can be removed (fused into the
    /// instruction consuming it). Returns that instruction.
    fn fusable_producer(&self, slot: Slot) -> Option<LastOp> {
        self.last.filter(|l| l.dst == slot && slot >= self.num_locals && l.pos >= self.barrier)
    }

    /// Remove the last instruction (it is being fused into the next one).
    fn drop_last(&mut self, last: LastOp) {
        self.last_joinable = None;
        self.truncate_code(last.pos);
        self.last = self.prev.take().filter(|p| p.pos < last.pos);
    }
}

/// Copies `(dst, src)` a call performs before it enters the callee ([`Translator::take_arg_moves`]).
type ArgMoves = Option<[(Slot, Slot); 2]>;

/// Which operand of an instruction about to be emitted comes in the accumulator ([`Translator::acc_input`]):
/// `k` (1-based; 0 for none), and whether it is a temporary (its producer need not write its slot).
#[derive(Clone, Copy)]
struct AccInput {
    k: usize,
    temporary: bool,
}
