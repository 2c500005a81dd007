//! The zero-byte test of word-at-a-time string code, recognised as one instruction.
//!
//! musl's `strlen`, `strchrnul`, `memchr`, `stpcpy` and their kin (wasi-libc and Emscripten ship them), and
//! the `memchr` of Rust's `core` and of the `memchr` crate, scan a word at a time and stop at the first word
//! with a zero byte, tested as `(x - 0x01010101) & ~x & 0x80808080` (`HASZERO`). In wasm that is five
//! operators — `x ^ -1`, `x + -0x01010101`, `and`, `and 0x80808080` — and three wasmvm instructions before
//! its branch (`binary_si<I32Xor>`, `bin2<I32Add, I32And>`, `br_cmp_si<I32Test>`): with the load and the
//! pointer step, `strlen`'s loop was five dispatches per word. Recognised, it is `zero_byte` (the value) or
//! `br_zero_byte` (the test and its branch, `translate/control.rs`): the loop is three.
//!
//! LLVM compiles the Rust spelling `x.wrapping_sub(LO) & !x & HI != 0` as its complement,
//! `((0x01010100 - x) | x) & 0x80808080 == 0x80808080` (`LO - 1 - x` is `!(x - LO)`): that is `zero_byte`
//! with `NOT`, and its comparison with the mask the same branch.
//!
//! The constants are kept as immediates (`k`, `m`), so every spelling of the test that reaches these shapes
//! — 16-bit lanes, a mask applied in two steps — is translated, not only the ones above.

use super::{LastKind, Src, Translator};
use crate::ir::isa::{self, BinSI, ZeroByte};
use crate::ir::ops::BinOp;
use crate::ir::{HANDLER_SIZE, Slot};

impl Translator<'_> {
    /// A binary operation `op` of `a` and `b` into `dst` that completes a zero-byte test: emit it as one
    /// `zero_byte`. The shapes: `(x ^ -1) & (x + k)` where the last two instructions computed both operands
    /// (in either order); `(c - x) | x` where the last one computed the difference (the complement, `k =
    /// !c`); and `zero_byte & m` (a mask applied after the test).
    pub(super) fn zero_byte(&mut self, op: BinOp, a: Src, b: Src, dst: Slot) -> bool {
        match op {
            BinOp::I32And => self.zero_byte_mask(a, b, dst) || self.zero_byte_and(a, b, dst),
            BinOp::I32Or => self.zero_byte_or(a, b, dst),
            _ => false,
        }
    }

    fn zero_byte_mask(&mut self, a: Src, b: Src, dst: Slot) -> bool {
        for (t, m) in [(a, b), (b, a)] {
            if let (Src::Slot(t), Src::Imm(m)) = (t, m)
                && let Some(last) = self.fusable_producer(t)
                && let LastKind::ZeroByte { a, k, m: m0, not } = last.kind
            {
                self.drop_last(last);
                self.emit_zero_byte(a, k, m0 & m as u32, not, dst);
                return true;
            }
        }
        false
    }

    fn zero_byte_and(&mut self, a: Src, b: Src, dst: Slot) -> bool {
        let (Src::Slot(sa), Src::Slot(sb)) = (a, b) else { return false };
        let Some(last) = self.last.filter(|l| l.pos >= self.barrier) else { return false };
        // The instruction right before the last one (nothing between them: both are removed).
        let Some(prev) = self.prev.filter(|p| p.pos >= self.barrier && p.pos + BIN_SI_SIZE == last.pos) else {
            return false;
        };
        let temps = last.dst >= self.num_locals && prev.dst >= self.num_locals && last.dst != prev.dst;
        if !temps || !((last.dst, prev.dst) == (sa, sb) || (last.dst, prev.dst) == (sb, sa)) {
            return false;
        }
        let (x, k) = match (not_of(last.kind), not_of(prev.kind)) {
            (Some(x), None) => (x, plus_imm_of(prev.kind, x)),
            (None, Some(x)) => (x, plus_imm_of(last.kind, x)),
            _ => return false,
        };
        let Some(k) = k else { return false };
        self.drop_last(last);
        let prev = self.last.expect("the instruction before is the last one now");
        self.drop_last(prev);
        self.emit_zero_byte(x, k, u32::MAX, false, dst);
        true
    }

    fn zero_byte_or(&mut self, a: Src, b: Src, dst: Slot) -> bool {
        for (t, x) in [(a, b), (b, a)] {
            if let (Src::Slot(t), Src::Slot(x)) = (t, x)
                && let Some(last) = self.fusable_producer(t)
                && let LastKind::Bin(BinOp::I32Sub, Src::Imm(c), Src::Slot(y)) = last.kind
                && y == x
            {
                self.drop_last(last);
                self.emit_zero_byte(x, !(c as u32), u32::MAX, true, dst);
                return true;
            }
        }
        false
    }

    fn emit_zero_byte(&mut self, a: Slot, k: u32, m: u32, not: bool, dst: Slot) {
        let p = ZeroByte { dst, a, k, m };
        let h = if not { isa::zero_byte::op::<true>() } else { isa::zero_byte::op::<false>() };
        self.emit_result_acc(h, p, dst, LastKind::ZeroByte { a, k, m, not });
    }
}

/// Both instructions removed are `binary_si`s: an `i32.xor` and an `i32.add`/`i32.sub` of a constant.
const BIN_SI_SIZE: usize = HANDLER_SIZE + std::mem::size_of::<BinSI>();

/// `x` if `kind` is `x ^ -1` (i32) of a slot.
fn not_of(kind: LastKind) -> Option<Slot> {
    match kind {
        LastKind::Bin(BinOp::I32Xor, Src::Slot(x), Src::Imm(k)) if k as u32 == u32::MAX => Some(x),
        _ => None,
    }
}

/// `k` if `kind` is `x + k` (or `x - -k`) of the slot `x` and a constant.
fn plus_imm_of(kind: LastKind, x: Slot) -> Option<u32> {
    match kind {
        LastKind::Bin(BinOp::I32Add, Src::Slot(y), Src::Imm(k)) if y == x => Some(k as u32),
        LastKind::Bin(BinOp::I32Sub, Src::Slot(y), Src::Imm(k)) if y == x => Some((k as u32).wrapping_neg()),
        _ => None,
    }
}
