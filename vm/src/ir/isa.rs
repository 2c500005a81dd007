//! wasmvm's instruction set, declared once.
//!
//! This file is the single table of every instruction the translator can emit and the interpreter executes.
//! Two lists make it up:
//!
//! - [`operand_shapes!`]: the operand structs, one per *shape* (which fields, of which kinds, in which
//!   order). Each becomes a `#[repr(C, packed)]` struct that implements [`Operands`] (so it can be decoded
//!   and printed).
//! - [`for_each_instr!`]: every instruction family: its name, its generic parameters (the numeric
//!   operation it is instantiated with, and compile-time flags), its operand shape and the function in
//!   `exec/` that executes it.
//!
//! From the table come:
//! - the **handlers** (`isa::<name>::handler`): the function whose address starts each instruction. It
//!   reads the operand struct the table names and passes it to the execution function, so an execution
//!   function cannot read operands of another shape than the one it is emitted with;
//! - **typed constructors** (`isa::<name>::<Params>()` → [`Instr<Shape>`]): the only way to get an
//!   instruction to emit. [`CodeBuf::emit`](super::CodeBuf::emit) takes an `Instr<P>` and a `P`, so pairing a
//!   handler with the wrong operands does not compile;
//! - **names and a decoder** ([`OpInfo`]): each `Instr` carries a static description (family name, generic
//!   arguments, operand decoder) that the disassembler (`ir::disas`) prints.
//!
//! # Glossary of operand-shape suffixes
//! Shapes and families are named after where their inputs come from:
//! - `SS`: both operands in frame slots (`dst = fp[a] OP fp[b]`);
//! - `SI`: first in a slot, second an immediate (`dst = fp[a] OP imm`); `IS`: the reverse;
//! - `Imm`: the value (of a store, a `global.set`, a return) is an immediate, not a slot;
//! - `Abs`: a memory access at an absolute address known at translation time;
//! - `Br…`: a branch fused into the instruction (its last field is the offset);
//! - `…2`/`Pair`: two operations fused into one dispatch.
//!
//! Field kinds (the second column of each shape): `slot` (index of an 8-byte frame cell, printed `sN`),
//! `u32`/`u64` (immediates), `br` (i32 byte offset from the start of the instruction, printed as its target
//! `@pos`), `addr` (a host address patched in after translation, printed `*`).
//!
//! # Adding an instruction
//! 1. Its semantics: a numeric operation goes into `ir::ops` (one line in a family macro).
//! 2. Its shape: reuse one below, or add one to `operand_shapes!`.
//! 3. Its row in `for_each_instr!`, naming the execution function, and that function in `exec/` (it
//!    receives the operand struct as its first argument).
//! 4. Its translation in `translate/`, emitting it through `isa::<name>::<...>()`.
//! 5. A snapshot in `vm/tests/disas/` showing the translation (`WASMVM_BLESS=1 cargo test -p wasmvm
//!    --test disas` writes the expected output; review it).

use std::fmt::Write as _;
use std::marker::PhantomData;

use crate::exec::Handler;
use crate::ir::Slot;

/// An operand struct: plain data laid out after the handler address.
pub(crate) trait Operands: Copy + 'static {
    /// Append `field=value` for each field; `at` is the instruction's position (for branch targets).
    fn describe(&self, at: usize, out: &mut String);
    /// Variable-length data after the struct (`br_table` targets, `return` sources): kind and count.
    fn trailer(&self) -> Option<(FieldKind, usize)>;
    /// Can an instruction of this shape be copied elsewhere in its function as it is: it has no branch
    /// offset (relative to its position) and no host address patched in after translation.
    const MOVABLE: bool;
}

/// How an operand field is interpreted (for printing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldKind {
    Slot,
    U32,
    U64,
    Br,
    Addr,
}

impl FieldKind {
    /// Size in bytes of a field of this kind.
    pub(crate) const fn size(self) -> usize {
        match self {
            FieldKind::Slot | FieldKind::U32 | FieldKind::Br => 4,
            FieldKind::U64 => 8,
            FieldKind::Addr => std::mem::size_of::<usize>(),
        }
    }

    /// Does a field of this kind depend on where its instruction is (a branch offset) or get patched after
    /// translation (a host address)?
    pub(crate) const fn positional(self) -> bool {
        matches!(self, FieldKind::Br | FieldKind::Addr)
    }

    /// Print a value of this kind; `at` is the instruction's position.
    pub(crate) fn print(self, value: u64, at: usize, out: &mut String) {
        let _ = match self {
            FieldKind::Slot => write!(out, "s{value}"),
            FieldKind::U32 => write!(out, "{value}"),
            FieldKind::U64 if value <= 0xffff => write!(out, "{value}"),
            FieldKind::U64 => write!(out, "{value:#x}"),
            FieldKind::Br => write!(out, "@{:#x}", at as i64 + value as u32 as i32 as i64),
            FieldKind::Addr => write!(out, "*"),
        };
    }
}

/// A named operation a generic handler is instantiated with (`I32Add`, `Load8U`…), for printing.
pub(crate) trait Named {
    const NAME: &'static str;
}

/// The static description of one instruction (one instantiation of a family).
pub(crate) struct OpInfo {
    /// The family's name in the table.
    pub family: &'static str,
    /// Appends the generic arguments (`<I32Add, shared=false>`), if any.
    pub generics: fn(&mut String),
    /// Decodes the operands at `code[at + HANDLER_SIZE..]`, appends them to `out` and returns the
    /// instruction's total length; `None` if the code is too short.
    pub decode: fn(code: &[u8], at: usize, out: &mut String) -> Option<usize>,
}

impl OpInfo {
    /// The instruction's full name: family and generic arguments.
    pub(crate) fn name(&self) -> String {
        let mut s = String::from(self.family);
        (self.generics)(&mut s);
        s
    }
}

/// Decode an instruction of shape `P` at `at` (see [`OpInfo::decode`]).
fn decode<P: Operands>(code: &[u8], at: usize, out: &mut String) -> Option<usize> {
    let start = at + super::HANDLER_SIZE;
    let end = start + std::mem::size_of::<P>();
    let bytes = code.get(start..end)?;
    // SAFETY: `bytes` holds `size_of::<P>()` bytes and `P` is plain data (any bit pattern is valid).
    let p: P = unsafe { bytes.as_ptr().cast::<P>().read_unaligned() };
    p.describe(at, out);
    let Some((kind, n)) = p.trailer() else { return Some(end - at) };
    let mut pos = end;
    out.push_str(" [");
    for i in 0..n {
        let field = code.get(pos..pos + kind.size())?;
        let mut raw = [0u8; 8];
        raw[..field.len()].copy_from_slice(field);
        if i > 0 {
            out.push(' ');
        }
        kind.print(u64::from_ne_bytes(raw), at, out);
        pos += kind.size();
    }
    out.push(']');
    Some(pos - at)
}

/// An instruction ready to emit: a handler together with its description, typed by its operand shape.
/// Only the constructors generated from the table make one.
pub(crate) struct Instr<P> {
    handler: Handler,
    info: &'static OpInfo,
    _shape: PhantomData<fn(P)>,
}

impl<P> Clone for Instr<P> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<P> Copy for Instr<P> {}

impl<P> Instr<P> {
    pub(crate) fn handler(self) -> Handler {
        self.handler
    }
    pub(crate) fn info(self) -> &'static OpInfo {
        self.info
    }
    /// The instruction without its shape, to swap for another variant of the same shape
    /// ([`CodeBuf::rehandle`](super::CodeBuf::rehandle)).
    pub(crate) fn erase(self) -> AnyInstr {
        AnyInstr { handler: self.handler, info: self.info }
    }
}

/// An [`Instr`] whose shape is no longer in its type: only for replacing the handler of an instruction
/// emitted with a variant of the same family and shape (the accumulator variants).
#[derive(Clone, Copy)]
pub(crate) struct AnyInstr {
    pub(crate) handler: Handler,
    pub(crate) info: &'static OpInfo,
}

/// The accumulator variants of an instruction (`exec` module docs): `by[acc_in][acc_out]`, where `acc_in`
/// 0 reads every operand from its slot and `k` reads the `k`-th accumulator-capable operand from the
/// accumulator, and `acc_out` leaves the result in the accumulator instead of `dst`.
#[derive(Clone, Copy)]
pub(crate) struct AccVariants<P, const N: usize> {
    pub by: [[Instr<P>; 2]; N],
}

impl std::fmt::Debug for AnyInstr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.info.name())
    }
}

impl<P, const N: usize> AccVariants<P, N> {
    /// The variant that reads and writes slots only.
    pub(crate) fn plain(&self) -> Instr<P> {
        self.by[0][0]
    }
}

/// The accumulator variants of an instruction without a result (a store, a branch): `by[acc_in]`, as in
/// [`AccVariants`].
#[derive(Clone, Copy)]
pub(crate) struct AccInputs<P, const N: usize> {
    pub by: [Instr<P>; N],
}

impl<P, const N: usize> AccInputs<P, N> {
    /// The variant that reads slots only.
    pub(crate) fn plain(&self) -> Instr<P> {
        self.by[0]
    }
}

macro_rules! field_ty {
    (slot) => {
        Slot
    };
    (u32) => {
        u32
    };
    (u64) => {
        u64
    };
    (br) => {
        i32
    };
    (addr) => {
        usize
    };
}

macro_rules! field_kind {
    (slot) => {
        FieldKind::Slot
    };
    (u32) => {
        FieldKind::U32
    };
    (u64) => {
        FieldKind::U64
    };
    (br) => {
        FieldKind::Br
    };
    (addr) => {
        FieldKind::Addr
    };
}

/// Declares the operand shapes (see the module docs). `+ [kind; field + n]` declares variable-length data
/// after the struct: `n` more than the value of `field` entries of `kind`.
macro_rules! operand_shapes {
    ($(
        $(#[$doc:meta])*
        $name:ident { $($field:ident : $kind:ident),* $(,)? } $(+ [$tkind:ident; $tlen:ident + $tadd:literal])?;
    )*) => {$(
        $(#[$doc])*
        #[repr(C, packed)]
        #[derive(Clone, Copy)]
        pub(crate) struct $name { $(pub $field: field_ty!($kind),)* }

        impl Operands for $name {
            #[allow(unused_variables, unused_mut, unused_assignments)]
            fn describe(&self, at: usize, out: &mut String) {
                let mut first = true;
                $(
                    if !first { out.push(' '); }
                    first = false;
                    out.push_str(concat!(stringify!($field), "="));
                    let v = self.$field;
                    field_kind!($kind).print(v as u64, at, out);
                )*
            }
            fn trailer(&self) -> Option<(FieldKind, usize)> {
                $(return Some((field_kind!($tkind), self.$tlen as usize + $tadd));)?
                #[allow(unreachable_code)]
                None
            }
            const MOVABLE: bool = !($(field_kind!($kind).positional() ||)* $(field_kind!($tkind).positional() ||)? false);
        }
    )*};
}

operand_shapes! {
    /// No operands.
    Nothing {};

    // ----- numeric (`exec/numeric.rs`) -----
    /// `dst = a OP b`, both operands in slots.
    BinSS { dst: slot, a: slot, b: slot };
    /// `dst = a OP imm`.
    BinSI { dst: slot, a: slot, imm: u64 };
    /// `dst = imm OP b`.
    BinIS { dst: slot, imm: u64, b: slot };
    /// `dst = OP src`.
    Un { dst: slot, src: slot };
    /// `dst1 = a1 + imm1; dst = a + imm` (i32): two independent additions of a constant, one dispatch.
    Add2 { dst: slot, a: slot, imm: u32, dst1: slot, a1: slot, imm1: u32 };
    /// `dst2 = a2 + imm2; dst1 = a1 + imm1; dst = a + imm` (i32), in that order: three additions of a
    /// constant in a row (pointers and a counter stepped together), one dispatch.
    Add3 { dst: slot, a: slot, imm: u32, dst1: slot, a1: slot, imm1: u32, dst2: slot, a2: slot, imm2: u32 };
    /// `Add2`, then a branch on `fp[dst] != 0` (or `== 0`): a loop stepping a pointer and counting down.
    Add2Br { dst: slot, a: slot, imm: u32, dst1: slot, a1: slot, imm1: u32, offset: br };
    /// `Add3`, then a branch on `fp[dst] != 0` (or `== 0`): `memcmp`'s loop.
    Add3Br { dst: slot, a: slot, imm: u32, dst1: slot, a1: slot, imm1: u32, dst2: slot, a2: slot, imm2: u32, offset: br };
    /// `dst = (a INNER b) OUTER c` (or `c OUTER (a INNER b)`): `b` and `c` are slots or immediates, as the
    /// handler's flags say.
    Bin2 { dst: slot, a: slot, b: u64, c: u64 };
    /// `dst = z & m` or (`NOT`) `!z & m`, where `z = (a + k) & !a` (i32): the SWAR test for a zero byte in a
    /// word, `(x - 0x01010101) & ~x & 0x80808080`, non-zero iff a byte of `a` is zero (musl's `strlen`,
    /// `memchr`, `stpcpy`…); LLVM writes the `memchr` of Rust's `core` and crate as its complement,
    /// `((0x01010100 - x) | x) & 0x80808080`. `translate/zero_byte.rs`.
    ZeroByte { dst: slot, a: slot, k: u32, m: u32 };

    // ----- control (`exec/control.rs`) -----
    /// Unconditional branch.
    Br { offset: br };
    /// Branch if the i32 in `cond` is non-zero (or zero).
    BrIf { cond: slot, offset: br };
    /// Branch on a comparison of two slots.
    BrCmpSS { a: slot, b: slot, offset: br };
    /// Branch on a comparison of a slot and an immediate.
    BrCmpSI { a: slot, imm: u64, offset: br };
    /// Branch on `(a + k) & !a & m != 0` (or `== 0`): the zero-byte test ([`ZeroByte`]) and its branch, the
    /// loop test of the word-at-a-time string functions.
    BrZeroByte { a: slot, k: u32, m: u32, offset: br };
    /// `fp[dst] = fp[a] + inc` (i32), then branch on `fp[dst] OP rhs`; `inc` and `rhs` are slots or
    /// immediates, as the handler's flags say.
    AddBrCmp { dst: slot, a: slot, inc: u32, rhs: u32, offset: br };
    /// `br_table`: `len + 1` offsets follow; the last is the default.
    BrTable { index: slot, len: u32 } + [br; len + 1];
    /// `br_table` on `fp[index] + bias` (i32, wrapping): an `i32.add`/`i32.sub` of a constant before the
    /// table joins it (C `switch`es whose cases do not start at 0). `len + 1` offsets follow.
    BrTableAdd { index: slot, bias: u32, len: u32 } + [br; len + 1];
    /// `dst = cond ? a : b`.
    Select { dst: slot, cond: slot, a: slot, b: slot };
    /// `dst = cond ? imm : a` or `dst = cond ? a : imm`, as the handler's flag says.
    SelectImm { dst: slot, cond: slot, a: slot, imm: u64 };
    /// `dst = (lhs OP rhs) ? a : b`; `rhs` is a slot or an immediate, as the handler's flag says.
    SelectCmp { dst: slot, a: slot, b: slot, lhs: slot, rhs: u64 };
    /// `fp[dst] = fp[src]`.
    CopySlot { dst: slot, src: slot };
    /// Two copies in sequence: loop-carried variables are often shuffled by runs of copies.
    Copy2 { d1: slot, s1: slot, d2: slot, s2: slot };
    /// `fp[dst] = fp[src]`, then an unconditional branch (a loop-carried value moved before the jump back).
    CopyBr { dst: slot, src: slot, offset: br };
    /// `fp[dst] = value`.
    Const { dst: slot, value: u64 };
    /// Two constants in a row (`fp[d1] = v1; fp[d2] = v2`): locals set before a loop or a call.
    Const2 { d1: slot, v1: u64, d2: slot, v2: u64 };
    /// `fp[dst] = value`, then an unconditional branch (a block's result or a flag set on a path that joins).
    ConstBr { dst: slot, value: u64, offset: br };
    /// `fp[dst] = value`, then a branch if the i32 in `cond` is non-zero (or zero): C's `x = k; if (c) goto`,
    /// a default set before a test.
    ConstBrIf { dst: slot, value: u64, cond: slot, offset: br };
    /// Charge `amount` units of fuel (the wasm instructions of the stretch of code that starts here).
    Fuel { amount: u32 };
    /// Return the value of one slot.
    Return1 { src: slot };
    /// Return an immediate.
    ReturnImm { value: u64 };
    /// Return `len` values from the slots that follow.
    ReturnN { len: u32 } + [slot; len + 0];

    // ----- calls (`exec/call.rs`) -----
    /// First instruction of every function: check the frame fits and zero the non-parameter locals.
    Enter { frame_size: u32, zero_from: u32, zero_len: u32 };
    /// Call a function of the same module: `entry` points past the callee's `enter` (patched after
    /// translation), whose work this instruction does itself. The callee's frame starts at `frame`.
    CallInternal { entry: addr, frame: slot, frame_size: u32, zero_from: u32, zero_len: u32 };
    /// Two copies of locals into argument slots, `fp[d1] = fp[s1]; fp[d2] = fp[s2]` (one copy is written
    /// twice), then a `CallInternal` (the same fields as a suffix, patched the same way by
    /// `translate::link_calls`). Arguments that are locals are copied into the callee's frame; this saves the
    /// copies' dispatches. The call's fields come last so that the handler, after its copies, jumps to the
    /// call's code with a pointer to them (`exec::call::call_moves`).
    CallMoves { d1: slot, s1: slot, d2: slot, s2: slot, entry: addr, frame: slot, frame_size: u32, zero_from: u32, zero_len: u32 };
    /// Call a function by index in the instance's function space (imports). `nargs` is used by the tail
    /// call (`return_call_import`), which shares this shape so that its fallback is `call_import` itself.
    CallImport { func: u32, frame: slot, nargs: u32 };
    /// Call through a table (`nargs`: as for `CallImport`).
    CallIndirect { type_id: u32, table: u32, index: slot, frame: slot, nargs: u32 };
    /// Tail call of a function of the same module: `CallInternal`'s fields (patched the same way by
    /// `translate::link_calls`, which writes the `CallInternal` prefix), then the argument count.
    ReturnCallInternal { entry: addr, frame: slot, frame_size: u32, zero_from: u32, zero_len: u32, nargs: u32 };

    // ----- exceptions (`exec/exception.rs`) -----
    /// Throw an exception of the instance's tag `tag`; its values start at slot `args`.
    Throw { tag: u32, args: slot };
    /// Rethrow the exception `fp[exn]` refers to (trap on null).
    ThrowRef { exn: slot };

    // ----- memory (`exec/memory.rs`) -----
    /// `dst = load(fp[addr] + offset)`.
    Load { dst: slot, addr: slot, offset: u32 };
    /// `dst = load(ea)`.
    LoadAbs { dst: slot, ea: u64 };
    /// `dst = load(fp[a] + (fp[b] << shift) + offset)`.
    LoadSS { dst: slot, a: slot, b: slot, offset: u32 };
    /// `dst = load(fp[a] + imm + offset)`.
    LoadSI { dst: slot, a: slot, imm: u32, offset: u32 };
    /// `dst1 = load(fp[addr1] + offset1); dst = load(fp[addr] + offset)`: two loads, one dispatch. With `DEP`,
    /// `addr` is `dst1` (a pointer loaded, then read through: `p->next->key`), taken from the first value
    /// rather than read back from its slot.
    LoadPair { dst: slot, addr: slot, offset: u32, dst1: slot, addr1: slot, offset1: u32 };
    /// `LoadPair`, then a branch on whether the two values are equal: a byte-comparison loop's `load_pair`
    /// and `br_if` on `i32.ne`/`i32.eq` of the two.
    LoadPairBr { dst: slot, addr: slot, offset: u32, dst1: slot, addr1: slot, offset1: u32, br: br };
    /// Load and branch on the value.
    LoadBr { addr: slot, offset: u32, br: br };
    /// Load from `fp[a] + fp[b] + offset` and branch on the value.
    LoadBrSS { a: slot, b: slot, offset: u32, br: br };
    /// `fp[dst] = load32(fp[addr] + offset)`, then branch on `fp[dst] OP rhs` (a 32-bit comparison; `rhs`
    /// is a slot or an immediate, as the handler's flag says).
    LoadBrCmp { dst: slot, addr: slot, offset: u32, rhs: u32, br: br };
    /// `mem[fp[addr] + offset] = mem[fp[addr] + offset] OP b` in one width: `b` a slot or an immediate, as
    /// the handler's flag says.
    LoadOpStore { addr: slot, offset: u32, b: u64 };
    /// `br_table` on `load(fp[addr] + offset) + bias` (an i32 load, and the addition of a constant if there
    /// was one, joined with the table: `switch (*p)`, an interpreter's opcode fetch). `len + 1` offsets
    /// follow.
    LoadBrTable { addr: slot, offset: u32, bias: u32, len: u32 } + [br; len + 1];
    /// `store(fp[addr] + offset, fp[value])`.
    Store { addr: slot, offset: u32, value: slot };
    /// `store(fp[addr1] + offset1, fp[value1]); store(fp[addr] + offset, fp[value])`: two stores of one width
    /// in a row (a struct's fields initialised), one dispatch.
    StorePair { addr: slot, offset: u32, value: slot, addr1: slot, offset1: u32, value1: slot };
    /// `store(fp[to] + to_offset, load(fp[from] + from_offset))` of one width: a value moved from memory to
    /// memory (a struct copied field by field) whose loaded value nothing else reads.
    LoadStore { from: slot, from_offset: u32, to: slot, to_offset: u32 };
    /// `store(fp[addr] + offset, value)`.
    StoreImm { addr: slot, offset: u32, value: u64 };
    /// `store(ea, fp[value])`.
    StoreAbs { ea: u64, value: slot };
    /// `store(fp[a] + (fp[b] << shift) + offset, fp[value])`.
    StoreSS { a: slot, b: slot, offset: u32, value: slot };
    /// `store(fp[a] + (fp[b] << shift) + offset, value)`.
    StoreSSImm { a: slot, b: slot, offset: u32, value: u64 };
    /// `store(fp[a] + imm + offset, fp[value])`.
    StoreSI { a: slot, imm: u32, offset: u32, value: slot };
    /// `store(fp[a] + imm + offset, value)`.
    StoreSIImm { a: slot, imm: u32, offset: u32, value: u64 };
    MemSize { dst: slot };
    MemGrow { dst: slot, delta: slot };
    /// `memory.fill` / `memory.copy`.
    MemBulk { dst: slot, src: slot, len: slot };
    MemInit { segment: u32, dst: slot, src: slot, len: slot };
    DataDrop { segment: u32 };

    // ----- memories found by index: memories other than 0, and memory64 (`exec/memory_any.rs`) -----
    /// `dst = load(fp[addr] + offset)` in memory `mem` (a 64-bit offset: memory64's may exceed 2^32).
    LoadM { dst: slot, addr: slot, mem: u32, offset: u64 };
    /// `store(fp[addr] + offset, fp[value])` in memory `mem`.
    StoreM { addr: slot, value: slot, mem: u32, offset: u64 };
    /// `v128.loadN_lane` in memory `mem`.
    LoadLaneM { dst: slot, src: slot, addr: slot, mem: u32, offset: u64, lane: u32 };
    /// `v128.storeN_lane` in memory `mem`.
    StoreLaneM { addr: slot, value: slot, mem: u32, offset: u64, lane: u32 };
    /// `memory.size` of memory `mem`, in its pages.
    MemSizeM { dst: slot, mem: u32 };
    /// `memory.grow` of memory `mem`.
    MemGrowM { dst: slot, delta: slot, mem: u32 };
    /// `memory.fill` of memory `mem`.
    MemFillM { dst: slot, value: slot, len: slot, mem: u32 };
    /// `memory.copy` from memory `src_mem` to memory `dst_mem` (the same or two memories).
    MemCopyM { dst: slot, src: slot, len: slot, dst_mem: u32, src_mem: u32 };
    /// `memory.init` of memory `mem`.
    MemInitM { segment: u32, dst: slot, src: slot, len: slot, mem: u32 };
    /// An atomic access to memory `mem`: `a` and `b` are the operands after the address (the value;
    /// expected and replacement; expected and timeout; the count), as the family needs.
    AtomicM { dst: slot, addr: slot, mem: u32, offset: u64, a: slot, b: slot };

    // ----- atomics (`exec/atomic.rs`) -----
    AtomicLoad { dst: slot, addr: slot, offset: u32 };
    AtomicStore { addr: slot, offset: u32, value: slot };
    /// Read-modify-write: `dst` gets the old value.
    AtomicRmw { dst: slot, addr: slot, offset: u32, value: slot };
    AtomicCmpxchg { dst: slot, addr: slot, offset: u32, expected: slot, replacement: slot };
    AtomicWait { dst: slot, addr: slot, offset: u32, expected: slot, timeout: slot };
    AtomicNotify { dst: slot, addr: slot, offset: u32, count: slot };

    // ----- tables (`exec/table.rs`) -----
    TableGet { dst: slot, table: u32, index: slot };
    TableSet { table: u32, index: slot, value: slot };
    TableSize { dst: slot, table: u32 };
    TableGrow { dst: slot, table: u32, init: slot, delta: slot };
    TableFill { table: u32, dst: slot, value: slot, len: slot };
    TableCopy { dst_table: u32, src_table: u32, dst: slot, src: slot, len: slot };
    TableInit { table: u32, segment: u32, dst: slot, src: slot, len: slot };
    ElemDrop { segment: u32 };

    // ----- variables (`exec/variable.rs`) -----
    GlobalGet { dst: slot, global: u32 };
    GlobalSet { global: u32, src: slot };
    GlobalSetImm { global: u32, value: u64 };
    /// `global = fp[dst] = (global or fp[a]) + imm` (i32), as the handler's flag says: the shadow stack
    /// pointer's prologue (`sp -= k`, kept in a local) and epilogue (`sp = x + k`).
    GlobalAdd { dst: slot, global: u32, a: slot, imm: u32 };
    RefFunc { dst: slot, func: u32 };

    // ----- SIMD (`exec/simd.rs`); a `v128` slot operand names the first of its two slots -----
    /// `fp[dst..dst + 2] = lo, hi`.
    ConstV128 { dst: slot, lo: u64, hi: u64 };
    /// `dst = OP(a, b, c)`.
    Tern { dst: slot, a: slot, b: slot, c: slot };
    /// `dst = OP(a, imm)` (a shift by a constant).
    ShiftImm { dst: slot, a: slot, imm: u32 };
    /// `dst = lane `lane` of `src``.
    ExtractLane { dst: slot, src: slot, lane: u32 };
    /// `dst = a` with lane `lane` replaced by `x`.
    ReplaceLane { dst: slot, a: slot, x: slot, lane: u32 };
    /// `dst = shuffle(a, b)` with sixteen lane indices (bytes of `lo`, then of `hi`).
    Shuffle { dst: slot, a: slot, b: slot, lo: u64, hi: u64 };
    /// `dst = src` with lane `lane` loaded from `fp[addr] + offset`.
    LoadLane { dst: slot, src: slot, addr: slot, offset: u32, lane: u32 };
    /// Store lane `lane` of `value` to `fp[addr] + offset`.
    StoreLane { addr: slot, offset: u32, value: slot, lane: u32 };

    // ----- typed function references (`exec/call.rs`, `exec/control.rs`) -----
    /// Call the function `fp[func]` refers to (a typed reference: `type_id` is its signature, checked
    /// anyway so that no host-made reference can break the frame layout). `nargs` as for `CallImport`.
    CallRef { type_id: u32, func: slot, frame: slot, nargs: u32 };
    /// Trap with "null reference" if `fp[src]` is null.
    RefCheck { src: slot };

    // ----- GC (`exec/gc.rs`): `ty` is a module type index; field and element access kinds are `gc::Access` -----
    /// `fp[dst]` = a new struct of type `ty` with fields `fp[args..]` (`n` values; `v128`s two slots), or an
    /// array of `n` elements `fp[args..]` (`array.new_fixed`).
    GcNew { dst: slot, ty: u32, args: slot, n: u32 };
    /// `fp[dst]` = a new array of type `ty`: `fp[len]` elements, each `fp[init]` (or the default).
    ArrayNew { dst: slot, ty: u32, init: slot, len: slot };
    /// `fp[dst]` = a new array of type `ty`: `fp[len]` elements from data or element segment `segment`,
    /// starting at `fp[offset]`.
    ArrayNewSeg { dst: slot, ty: u32, segment: u32, offset: slot, len: slot };
    /// `fp[dst]` = the field at cell `cell` of struct `fp[obj]`.
    StructGet { dst: slot, obj: slot, cell: u32 };
    /// The field at cell `cell` of struct `fp[obj]` = `fp[value]`.
    StructSet { obj: slot, cell: u32, value: slot };
    /// `fp[dst]` = element `fp[index]` of array `fp[arr]`.
    ArrayGet { dst: slot, arr: slot, index: slot };
    /// Element `fp[index]` of array `fp[arr]` = `fp[value]`.
    ArraySet { arr: slot, index: slot, value: slot };
    /// `fp[len]` elements of array `fp[arr]` from `fp[index]` = `fp[value]`.
    ArrayFill { arr: slot, index: slot, value: slot, len: slot };
    /// `fp[len]` elements of array `fp[src]` from `fp[src_index]` to array `fp[dst]` from `fp[dst_index]`.
    ArrayCopy { dst: slot, dst_index: slot, src: slot, src_index: slot, len: slot };
    /// `fp[len]` elements of array `fp[arr]` from `fp[dst]` = segment `segment` from `fp[src]` (array type `ty`).
    ArrayInit { ty: u32, segment: u32, arr: slot, dst: slot, src: slot, len: slot };
    /// `fp[dst]` = is `fp[src]` of heap type `target` (`gc::cast` codes)? For a cast: `fp[dst] = fp[src]`, or
    /// a trap.
    RefTest { dst: slot, src: slot, target: u32 };

    // ----- wide arithmetic (`exec/numeric.rs`): 128-bit values as two i64 halves, low first -----
    /// `fp[dst], fp[dst + 1] = OP((a_lo, a_hi), (b_lo, b_hi))`.
    Wide128 { dst: slot, a_lo: slot, a_hi: slot, b_lo: slot, b_hi: slot };
}

/// The instruction families: `name [TypeParam: Bound, ...; const FLAG: type, ...] (Shape) => exec::path;`,
/// with `+acc` when the execution function takes the accumulator (`exec` module docs) as its last argument.
/// Flags named `ACC_…` choose accumulator variants; they are printed only when set.
/// Calls `$m!` with the list (Pulley's `for_each_op!` pattern), so more views can be derived from it.
macro_rules! for_each_instr {
    ($m:ident) => {
        $m! {
            // numeric
            binary_ss [Op: BinaryOp; const ACC_IN: u8, const ACC_OUT: bool] (BinSS) => numeric::binary_ss +acc;
            binary_si [Op: BinaryOp; const ACC_IN: bool, const ACC_OUT: bool] (BinSI) => numeric::binary_si +acc;
            binary_is [Op: BinaryOp;] (BinIS) => numeric::binary_is;
            unary [Op: UnaryOp; const ACC_IN: bool, const ACC_OUT: bool] (Un) => numeric::unary +acc;
            add_shl [; const SHIFT: u32, const ACC_IN: u8] (BinSS) => numeric::add_shl +acc;
            add2 [; const ACC_IN: bool] (Add2) => numeric::add2 +acc;
            add3 [;] (Add3) => numeric::add3;
            add2_br [; const WHEN: bool] (Add2Br) => numeric::add2_br;
            add3_br [; const WHEN: bool] (Add3Br) => numeric::add3_br;
            bin2 [Inner: BinaryOp, Outer: BinaryOp; const B_IMM: bool, const C_IMM: bool, const ACC_IN: bool] (Bin2) => numeric::bin2 +acc;
            zero_byte [; const NOT: bool] (ZeroByte) => numeric::zero_byte;
            // control
            br [;] (Br) => control::br;
            br_if_nez [; const ACC_IN: bool] (BrIf) => control::br_if_nez +acc;
            br_if_eqz [; const ACC_IN: bool] (BrIf) => control::br_if_eqz +acc;
            br_cmp_ss [Op: CmpOp; const WHEN: bool, const ACC_IN: u8] (BrCmpSS) => control::br_cmp_ss +acc;
            br_cmp_si [Op: CmpOp; const WHEN: bool, const ACC_IN: bool] (BrCmpSI) => control::br_cmp_si +acc;
            br_zero_byte [; const WHEN: bool] (BrZeroByte) => control::br_zero_byte;
            add_br_cmp [Op: CmpOp; const WHEN: bool, const INC_SLOT: bool, const RHS_SLOT: bool] (AddBrCmp) => control::add_br_cmp;
            add_br_cmp64 [Op: CmpOp; const WHEN: bool, const INC_SLOT: bool, const RHS_SLOT: bool] (AddBrCmp) => control::add_br_cmp64;
            br_table [; const ACC_IN: bool] (BrTable) => control::br_table +acc;
            br_table_add [; const ACC_IN: bool] (BrTableAdd) => control::br_table_add +acc;
            select [; const ACC_IN: u8] (Select) => control::select +acc;
            select_imm [; const IMM_FIRST: bool, const ACC_IN: u8] (SelectImm) => control::select_imm +acc;
            select_cmp [Op: CmpOp; const RHS_SLOT: bool] (SelectCmp) => control::select_cmp;
            copy [;] (CopySlot) => control::copy;
            copy2 [;] (Copy2) => control::copy2;
            copy_br [;] (CopyBr) => control::copy_br;
            constant [;] (Const) => control::constant;
            constant2 [;] (Const2) => control::constant2;
            const_br [;] (ConstBr) => control::const_br;
            const_br_if [; const WHEN: bool] (ConstBrIf) => control::const_br_if;
            check_interrupt [;] (Nothing) => control::check_interrupt;
            consume_fuel [;] (Fuel) => control::consume_fuel;
            unreachable [;] (Nothing) => control::unreachable;
            return0 [;] (Nothing) => control::return0;
            return1 [; const ACC_IN: bool] (Return1) => control::return1 +acc;
            return_imm [;] (ReturnImm) => control::return_imm;
            return_n [;] (ReturnN) => control::return_n;
            // calls
            enter [;] (Enter) => call::enter;
            call_internal [;] (CallInternal) => call::call_internal;
            call_moves [;] (CallMoves) => call::call_moves;
            call_import [;] (CallImport) => call::call_import;
            call_indirect [; const T64: bool] (CallIndirect) => call::call_indirect;
            return_call_internal [;] (ReturnCallInternal) => call::return_call_internal;
            return_call_import [;] (CallImport) => call::return_call_import;
            return_call_indirect [; const T64: bool] (CallIndirect) => call::return_call_indirect;
            // exceptions
            throw [;] (Throw) => exception::throw;
            throw_ref [;] (ThrowRef) => exception::throw_ref;
            // memory
            load [Op: LoadOp; const SHARED: bool, const ACC_IN: bool, const ACC_OUT: bool] (Load) => memory::load +acc;
            load_abs [Op: LoadOp; const SHARED: bool, const ACC_OUT: bool] (LoadAbs) => memory::load_abs +acc;
            load_ss [Op: LoadOp; const SHARED: bool, const SHIFT: u32, const ACC_IN: u8, const ACC_OUT: bool] (LoadSS) => memory::load_ss +acc;
            load_si [Op: LoadOp; const SHARED: bool, const ACC_IN: bool, const ACC_OUT: bool] (LoadSI) => memory::load_si +acc;
            load_pair [Op: LoadOp; const DEP: bool] (LoadPair) => memory::load_pair;
            load_pair_br [Op: LoadOp; const EQ: bool] (LoadPairBr) => memory::load_pair_br;
            load_br [Op: LoadOp; const WHEN: bool] (LoadBr) => memory::load_br;
            load_br_ss [Op: LoadOp; const WHEN: bool] (LoadBrSS) => memory::load_br_ss;
            load_br_cmp [Op: CmpOp; const WHEN: bool, const RHS_SLOT: bool] (LoadBrCmp) => memory::load_br_cmp;
            load_br_table [Op: LoadOp; const ACC_IN: bool] (LoadBrTable) => memory::load_br_table +acc;
            store [Op: StoreOp; const SHARED: bool, const ACC_IN: u8] (Store) => memory::store +acc;
            store_imm [Op: StoreOp; const SHARED: bool] (StoreImm) => memory::store_imm +acc;
            store_abs [Op: StoreOp; const SHARED: bool] (StoreAbs) => memory::store_abs +acc;
            store_ss [Op: StoreOp; const SHARED: bool, const SHIFT: u32, const ACC_IN: u8] (StoreSS) => memory::store_ss +acc;
            store_ss_imm [Op: StoreOp; const SHARED: bool, const SHIFT: u32] (StoreSSImm) => memory::store_ss_imm +acc;
            store_si [Op: StoreOp; const SHARED: bool, const ACC_IN: u8] (StoreSI) => memory::store_si +acc;
            store_pair [Op: StoreOp;] (StorePair) => memory::store_pair;
            load_store [Op: StoreOp; const ACC_IN: bool] (LoadStore) => memory::load_store +acc;
            load_op_store [Op: StoreOp, R: BinaryOp; const B_IMM: bool, const ACC_IN: bool] (LoadOpStore) => memory::load_op_store +acc;
            store_si_imm [Op: StoreOp; const SHARED: bool] (StoreSIImm) => memory::store_si_imm +acc;
            memory_size [;] (MemSize) => memory::memory_size;
            memory_grow [;] (MemGrow) => memory::memory_grow;
            memory_fill [;] (MemBulk) => memory::memory_fill;
            memory_copy [;] (MemBulk) => memory::memory_copy;
            memory_init [;] (MemInit) => memory::memory_init;
            data_drop [;] (DataDrop) => memory::data_drop;
            // memories found by index (`M64`: i64 addresses; `REG`: memory 0, in the registers)
            load_m [Op: LoadOp; const SHARED: bool, const M64: bool, const REG: bool] (LoadM) => memory_any::load;
            store_m [Op: StoreOp; const SHARED: bool, const M64: bool, const REG: bool] (StoreM) => memory_any::store;
            memory_size_m [;] (MemSizeM) => memory_any::memory_size;
            memory_grow_m [;] (MemGrowM) => memory_any::memory_grow;
            memory_fill_m [;] (MemFillM) => memory_any::memory_fill;
            memory_copy_m [;] (MemCopyM) => memory_any::memory_copy;
            memory_init_m [;] (MemInitM) => memory_any::memory_init;
            atomic_load_m [; const N: usize, const M64: bool] (AtomicM) => atomic::load_m;
            atomic_store_m [; const N: usize, const M64: bool] (AtomicM) => atomic::store_m;
            atomic_rmw_m [; const N: usize, const OP: u8, const M64: bool] (AtomicM) => atomic::rmw_m;
            atomic_cmpxchg_m [; const N: usize, const M64: bool] (AtomicM) => atomic::cmpxchg_m;
            atomic_wait_m [; const N: usize, const M64: bool] (AtomicM) => atomic::wait_m;
            atomic_notify_m [; const M64: bool] (AtomicM) => atomic::notify_m;
            v128_load_m [; const SHARED: bool, const M64: bool, const REG: bool] (LoadM) => simd::load_m;
            v128_store_m [; const SHARED: bool, const M64: bool, const REG: bool] (StoreM) => simd::store_m;
            v128_load_splat_m [Op: V128Splat; const SHARED: bool, const M64: bool, const REG: bool] (LoadM) => simd::load_splat_m;
            v128_load_lane_m [; const N: usize, const SHARED: bool, const M64: bool, const REG: bool] (LoadLaneM) => simd::load_lane_m;
            v128_store_lane_m [; const N: usize, const SHARED: bool, const M64: bool, const REG: bool] (StoreLaneM) => simd::store_lane_m;
            // atomics
            atomic_load [; const N: usize] (AtomicLoad) => atomic::atomic_load;
            atomic_store [; const N: usize] (AtomicStore) => atomic::atomic_store;
            atomic_rmw [; const N: usize, const OP: u8] (AtomicRmw) => atomic::atomic_rmw;
            atomic_cmpxchg [; const N: usize] (AtomicCmpxchg) => atomic::atomic_cmpxchg;
            atomic_wait [; const N: usize] (AtomicWait) => atomic::atomic_wait;
            atomic_notify [;] (AtomicNotify) => atomic::atomic_notify;
            atomic_fence [;] (Nothing) => atomic::atomic_fence;
            // tables
            // tables (`T64`: an i64-indexed table, table64; `D64`/`S64`: of a copy's destination and source)
            table_get [; const T64: bool] (TableGet) => table::table_get;
            table_set [; const T64: bool] (TableSet) => table::table_set;
            table_size [;] (TableSize) => table::table_size;
            table_grow [; const T64: bool] (TableGrow) => table::table_grow;
            table_fill [; const T64: bool] (TableFill) => table::table_fill;
            table_copy [; const D64: bool, const S64: bool] (TableCopy) => table::table_copy;
            table_init [; const T64: bool] (TableInit) => table::table_init;
            elem_drop [;] (ElemDrop) => table::elem_drop;
            // variables
            global_get [;] (GlobalGet) => variable::global_get;
            global_set [; const ACC_IN: bool] (GlobalSet) => variable::global_set +acc;
            global_set_imm [;] (GlobalSetImm) => variable::global_set_imm;
            global_add [; const FROM_GLOBAL: bool] (GlobalAdd) => variable::global_add;
            ref_func [;] (RefFunc) => variable::ref_func;
            global_get_v128 [;] (GlobalGet) => variable::global_get_v128;
            global_set_v128 [;] (GlobalSet) => variable::global_set_v128;

            // SIMD
            copy_v128 [;] (CopySlot) => simd::copy;
            select_v128 [;] (Select) => simd::select;
            const_v128 [;] (ConstV128) => simd::constant;
            simd_unary [Op: V128Unary;] (Un) => simd::unary;
            simd_binary [Op: V128Binary;] (BinSS) => simd::binary;
            simd_ternary [Op: V128Ternary;] (Tern) => simd::ternary;
            simd_mul_add [Mul: V128Binary, Add: V128Binary;] (Tern) => simd::mul_add;
            simd_shift [Op: V128Shift;] (BinSS) => simd::shift;
            simd_shift_imm [Op: V128Shift;] (ShiftImm) => simd::shift_imm;
            simd_test [Op: V128Test;] (Un) => simd::test;
            simd_splat [Op: V128Splat;] (Un) => simd::splat;
            simd_extract [Op: V128Extract;] (ExtractLane) => simd::extract;
            simd_replace [Op: V128Replace;] (ReplaceLane) => simd::replace;
            shuffle [;] (Shuffle) => simd::shuffle;
            v128_load [; const SHARED: bool] (Load) => simd::load;
            v128_load_splat [Op: V128Splat; const SHARED: bool] (Load) => simd::load_splat;
            v128_load_ss [; const SHARED: bool, const SHIFT: u32] (LoadSS) => simd::load_ss;
            v128_load_si [; const SHARED: bool] (LoadSI) => simd::load_si;
            v128_store [; const SHARED: bool] (Store) => simd::store;
            v128_store_ss [; const SHARED: bool, const SHIFT: u32] (StoreSS) => simd::store_ss;
            v128_store_si [; const SHARED: bool] (StoreSI) => simd::store_si;
            v128_load_lane [; const N: usize, const SHARED: bool] (LoadLane) => simd::load_lane;
            v128_store_lane [; const N: usize, const SHARED: bool] (StoreLane) => simd::store_lane;

            // typed function references
            call_ref [;] (CallRef) => call::call_ref;
            return_call_ref [;] (CallRef) => call::return_call_ref;
            ref_as_non_null [;] (RefCheck) => control::ref_as_non_null;

            // GC (`A`: a field's or element's access, `gc::Access`)
            struct_new [; const DEFAULT: bool] (GcNew) => gc::struct_new;
            array_new_fixed [;] (GcNew) => gc::array_new_fixed;
            array_new [; const DEFAULT: bool] (ArrayNew) => gc::array_new;
            array_new_data [;] (ArrayNewSeg) => gc::array_new_data;
            array_new_elem [;] (ArrayNewSeg) => gc::array_new_elem;
            struct_get [; const A: u8] (StructGet) => gc::struct_get;
            struct_set [; const A: u8] (StructSet) => gc::struct_set;
            array_get [; const A: u8] (ArrayGet) => gc::array_get;
            array_set [; const A: u8] (ArraySet) => gc::array_set;
            array_len [;] (Un) => gc::array_len;
            array_fill [; const A: u8] (ArrayFill) => gc::array_fill;
            array_copy [;] (ArrayCopy) => gc::array_copy;
            array_init_data [;] (ArrayInit) => gc::array_init_data;
            array_init_elem [;] (ArrayInit) => gc::array_init_elem;
            ref_i31 [;] (Un) => gc::ref_i31;
            i31_get [; const SIGNED: bool] (Un) => gc::i31_get;
            ref_test [; const NULLABLE: bool, const CAST: bool] (RefTest) => gc::ref_test;

            // wide arithmetic
            i64_add128 [;] (Wide128) => numeric::i64_add128;
            i64_sub128 [;] (Wide128) => numeric::i64_sub128;
            i64_mul_wide_s [;] (BinSS) => numeric::i64_mul_wide_s;
            i64_mul_wide_u [;] (BinSS) => numeric::i64_mul_wide_u;
        }
    };
}

/// A comparison (a binary operation producing an i32 truth value), as fused branch handlers need.
pub(crate) trait CmpOp: crate::ir::ops::BinaryOp<Out = i32> {}
impl<T: crate::ir::ops::BinaryOp<Out = i32>> CmpOp for T {}

/// Generates, for each family, a module with its handler and a typed constructor (see the module docs).
macro_rules! define_instrs {
    ($(
        $name:ident [$($T:ident : $B:path),*; $(const $C:ident : $CT:ty),*] ($P:ident) => $file:ident :: $exec:ident $(+ $acc:ident)?;
    )*) => {$(
        #[doc = concat!("`", stringify!($name), "`: executed by `exec::", stringify!($file), "::", stringify!($exec), "`, operands [`", stringify!($P), "`].")]
        pub(crate) mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use crate::ir::ops::{BinaryOp, UnaryOp, LoadOp, StoreOp};
            #[allow(unused_imports)]
            use crate::ir::simd::{V128Unary, V128Binary, V128Ternary, V128Shift, V128Test, V128Splat, V128Extract, V128Replace};
            use crate::exec::{Activation, Exit, Fp, Ip, Mem};

            /// The handler: reads the operands and runs the execution function.
            #[inline(never)]
            pub(crate) unsafe fn handler<$($T: $B,)* $(const $C: $CT,)*>(
                ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: &mut Activation, acc_in: u64,
            ) -> Exit {
                // SAFETY: the translator emitted this handler with operands of shape `$P` (`emit` is typed).
                unsafe {
                    #[cfg(feature = "profile")]
                    crate::profile::record(ip);
                    let p: $P = crate::exec::operands(ip);
                    let _ = acc_in;
                    crate::exec::$file::$exec::<$($T,)* $($C,)*>(p, ip, fp, mem, len, ctx $(, { let _ = stringify!($acc); acc_in })?)
                }
            }

            #[allow(unused_variables)]
            fn generics<$($T: Named,)* $(const $C: $CT,)*>(out: &mut String) {
                let parts: Vec<String> = [$($T::NAME.to_string(),)* $(format!("{}={}", stringify!($C).to_lowercase(), $C),)*]
                    .into_iter()
                    .filter(|p: &String| !(p.starts_with("acc_") && (p.ends_with("=0") || p.ends_with("=false"))))
                    .collect();
                if !parts.is_empty() {
                    out.push('<');
                    out.push_str(&parts.join(", "));
                    out.push('>');
                }
            }

            /// The instruction, ready to emit.
            pub(crate) fn op<$($T: $B + Named,)* $(const $C: $CT,)*>() -> Instr<$P> {
                Instr {
                    handler: handler::<$($T,)* $($C,)*>,
                    info: const {
                        &OpInfo {
                            family: stringify!($name),
                            generics: generics::<$($T,)* $($C,)*>,
                            decode: decode::<$P>,
                        }
                    },
                    _shape: PhantomData,
                }
            }
        }
    )*};
}

for_each_instr!(define_instrs);
