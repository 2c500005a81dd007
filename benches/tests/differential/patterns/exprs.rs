//! The pattern generator's expressions: values, conditions and memory addresses.

use super::{CMPOPS, PatternGen};

impl PatternGen {
    /// Code pushing one i32.
    pub(super) fn expr(&mut self, depth: u32) {
        if depth == 0 || self.budget <= 0 || self.chance(25) {
            return self.leaf();
        }
        let d = depth - 1;
        match self.rng.below(20) {
            0..=2 => {
                self.expr(d);
                self.expr(d);
                self.binop();
            }
            3 => {
                // Constant on the left of a non-commutative operator.
                let c = self.constant();
                self.emit(&format!("i32.const {c}"));
                self.expr(d);
                let op = self.pick(&["i32.sub", "i32.shl", "i32.shr_u", "i32.rotr"]);
                self.emit(op);
            }
            4 | 5 => self.cond(d),
            6 => {
                let l = self.free_local();
                self.expr(d);
                self.emit(&format!("local.tee {l}"));
            }
            7 => {
                // select: constant operands, and a comparison or constant as the condition
                if self.chance(50) {
                    self.leaf()
                } else {
                    self.expr(d)
                }
                if self.chance(50) {
                    self.leaf()
                } else {
                    self.expr(d)
                }
                if self.chance(15) {
                    let c = self.pick(&[0, 1, 2]);
                    self.emit(&format!("i32.const {c}"));
                } else {
                    self.cond(d);
                }
                self.emit("select");
            }
            8 | 9 => {
                let (op, width) = self.pick(&[
                    ("i32.load", 4),
                    ("i32.load8_u", 1),
                    ("i32.load8_s", 1),
                    ("i32.load16_u", 2),
                    ("i32.load16_s", 2),
                ]);
                let offset = self.address(d);
                let _ = width;
                self.emit(&format!("{op} offset={offset}"));
            }
            10 => {
                // A block result through a conditional branch.
                self.labels.push(Some(1));
                self.emit("block (result i32)");
                self.expr(d);
                self.cond(d);
                self.emit("br_if 0");
                self.emit("drop");
                self.stmts(d, 2);
                self.expr(d);
                self.emit("end");
                self.labels.pop();
            }
            11 => {
                self.cond(d);
                self.labels.push(Some(1));
                self.emit("if (result i32)");
                self.stmts(d, 2);
                self.expr(d);
                self.emit("else");
                self.stmts(d, 2);
                self.expr(d);
                self.emit("end");
                self.labels.pop();
            }
            12 => {
                // A local read lazily, then overwritten while its value is still on the stack.
                let l = self.any_local();
                self.emit(&format!("local.get {l}"));
                let w = self.free_local();
                self.expr(d);
                self.emit(&format!("local.set {w}"));
                if self.chance(50) {
                    self.emit(&format!("local.get {w}"));
                } else {
                    self.expr(d);
                }
                self.binop();
            }
            13 => {
                // i = i + k (or i - k), the new value kept.
                let l = self.free_local();
                self.emit(&format!("local.get {l}"));
                let k = self.pick(&[1, 1, 2, 4, -1]);
                self.emit(&format!("i32.const {k}"));
                let op = self.pick(&["i32.add", "i32.sub"]);
                self.emit(op);
                self.emit(&format!("local.tee {l}"));
            }
            14 => {
                self.expr(d);
                let op = self.pick(&["i64.extend_i32_u", "i64.extend_i32_s"]);
                self.emit(op);
                let c = self.rng.next() as i64 >> self.rng.below(64);
                self.emit(&format!("i64.const {c}"));
                let op = self.pick(&["i64.add", "i64.mul", "i64.sub", "i64.shr_u", "i64.rotl", "i64.xor"]);
                self.emit(op);
                if self.chance(30) {
                    self.emit("i64.const 32");
                    self.emit("i64.shr_u");
                }
                self.emit("i32.wrap_i64");
            }
            15 => {
                // br_table carrying a value out of nested blocks.
                self.labels.push(Some(1));
                self.emit("block (result i32)");
                self.labels.push(Some(1));
                self.emit("block (result i32)");
                self.labels.push(Some(1));
                self.emit("block (result i32)");
                self.expr(d);
                if self.chance(70) {
                    self.emit("local.get 0");
                    self.emit("i32.const 3");
                    self.emit("i32.and");
                } else {
                    self.expr(d);
                }
                let t = self.pick(&["0 1 2", "2 1 0 1", "1 1", "0", "2 0"]);
                self.emit(&format!("br_table {t}"));
                self.emit("end");
                self.labels.pop();
                self.emit("i32.const 10");
                self.emit("i32.add");
                self.emit("end");
                self.labels.pop();
                self.emit("i32.const 100");
                self.emit("i32.xor");
                self.emit("end");
                self.labels.pop();
            }
            16 => {
                // Block parameters.
                self.expr(d);
                self.expr(d);
                self.labels.push(Some(1));
                self.emit("block (param i32 i32) (result i32)");
                if self.chance(50) {
                    self.binop();
                } else {
                    let l = self.free_local();
                    self.emit(&format!("local.set {l}"));
                    self.stmts(d, 1);
                    self.emit(&format!("local.get {l}"));
                    self.emit("i32.add");
                }
                self.emit("end");
                self.labels.pop();
            }
            17 => {
                self.expr(d);
                self.expr(d);
                self.emit("call $helper");
            }
            18 => {
                // The value of a dead-code region's block.
                self.labels.push(Some(1));
                self.emit("block (result i32)");
                self.expr(d);
                self.emit("br 0");
                self.dead_code(d);
                self.emit("end");
                self.labels.pop();
            }
            _ => {
                let g = self.pick(&[0, 1]);
                self.emit(&format!("global.get {g}"));
                self.expr(d);
                self.emit("i32.add");
            }
        }
    }

    fn leaf(&mut self) {
        match self.rng.below(10) {
            0..=4 => {
                let l = self.any_local();
                self.emit(&format!("local.get {l}"));
            }
            5..=8 => {
                let c = self.constant();
                self.emit(&format!("i32.const {c}"));
            }
            _ => {
                let g = self.pick(&[0, 1]);
                self.emit(&format!("global.get {g}"));
            }
        }
    }

    /// A condition: a comparison (constants on either side), `eqz`, a load, or a plain value.
    pub(super) fn cond(&mut self, d: u32) {
        match self.rng.below(7) {
            6 => {
                // A loaded value (load-and-branch fusion).
                let op = self.pick(&["i32.load", "i32.load8_u", "i32.load8_s", "i32.load16_u"]);
                let offset = self.address(d);
                self.emit(&format!("{op} offset={offset}"));
            }
            0 => {
                self.expr(d);
                self.emit("i32.eqz");
            }
            1 => {
                let c = self.constant();
                self.emit(&format!("i32.const {c}"));
                self.expr(d);
                let op = self.pick(&CMPOPS);
                self.emit(op);
            }
            2 => {
                self.expr(d);
                self.emit("i64.extend_i32_s");
                let c = self.pick(&[0i64, 1, -1, 100]);
                self.emit(&format!("i64.const {c}"));
                let op = self.pick(&["i64.lt_s", "i64.ge_u", "i64.eq", "i64.ne"]);
                self.emit(op);
            }
            3 => self.expr(d),
            _ => {
                self.expr(d);
                if self.chance(50) {
                    let c = self.constant();
                    self.emit(&format!("i32.const {c}"));
                } else {
                    self.expr(d);
                }
                let op = self.pick(&CMPOPS);
                self.emit(op);
            }
        }
    }

    /// Code pushing an address that is in bounds for an access of up to 8 bytes at the returned offset
    /// (or, rarely, one that traps).
    pub(super) fn address(&mut self, d: u32) -> u32 {
        let offset = self.pick(&[0, 0, 1, 4, 8, 100]);
        match self.rng.below(57) / 8 {
            0 => {
                let a = self.rng.below(0x7ff0) as i32;
                self.emit(&format!("i32.const {a}"));
            }
            6 => {
                // Scaled index: base + (index << k), either way round; shift counts past 31 wrap.
                let k = self.pick(&[1, 2, 3, 3, 0, 4, 33, 35]);
                let base_first = self.chance(50);
                let wrap = self.chance(20);
                let base = |g: &mut Self| {
                    if wrap {
                        // A base that wraps around 2^32 with the scaled index.
                        g.emit("i32.const -64");
                    } else {
                        g.expr(d);
                        g.emit("i32.const 0x3ff0");
                        g.emit("i32.and");
                    }
                };
                if base_first {
                    base(self);
                }
                self.expr(d);
                self.emit("i32.const 0xff");
                self.emit("i32.and");
                if wrap {
                    self.emit("i32.const 16");
                    self.emit("i32.add");
                }
                self.emit(&format!("i32.const {k}"));
                self.emit("i32.shl");
                if !base_first {
                    base(self);
                }
                self.emit("i32.add");
            }
            1 => {
                // x + k with x a masked temporary: the add fuses into the access.
                self.expr(d);
                self.emit("i32.const 0x7ff0");
                self.emit("i32.and");
                let k = self.pick(&[0, 4, 8, 100, 0x7000]);
                self.emit(&format!("i32.const {k}"));
                self.emit("i32.add");
            }
            2 => {
                // x + y, both masked.
                self.expr(d);
                self.emit("i32.const 0x3ff0");
                self.emit("i32.and");
                self.expr(d);
                self.emit("i32.const 0x3ff");
                self.emit("i32.and");
                self.emit("i32.add");
            }
            3 => {
                // The address teed into a local.
                let l = self.free_local();
                self.expr(d);
                self.emit("i32.const 0x7ff0");
                self.emit("i32.and");
                self.emit(&format!("local.tee {l}"));
            }
            4 => {
                // A masked local plus a constant on the left.
                let k = self.pick(&[4, 16]);
                self.emit(&format!("i32.const {k}"));
                let l = self.any_local();
                self.emit(&format!("local.get {l}"));
                self.emit("i32.const 0x7ff0");
                self.emit("i32.and");
                self.emit("i32.add");
            }
            _ => {
                // Unmasked: may trap out of bounds.
                self.expr(d);
                let k = self.pick(&[0, 8, 65532, -4]);
                self.emit(&format!("i32.const {k}"));
                self.emit("i32.add");
            }
        }
        offset
    }
}
