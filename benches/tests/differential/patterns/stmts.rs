//! The pattern generator's statements: stores, control flow, copies, dead code and counted loops.

use super::{COUNTERS, FREE_LOCALS, PatternGen};

impl PatternGen {
    pub(super) fn stmts(&mut self, d: u32, max: u64) {
        for _ in 0..self.rng.below(max + 1) {
            self.stmt(d);
        }
    }

    /// Code leaving the stack as it was.
    pub(super) fn stmt(&mut self, depth: u32) {
        if self.budget <= 0 {
            return;
        }
        let d = depth.saturating_sub(1);
        match self.rng.below(16) {
            0..=2 => {
                let l = self.free_local();
                self.expr(depth);
                self.emit(&format!("local.set {l}"));
            }
            3 | 4 => {
                let (op, value64) = self.pick(&[
                    ("i32.store", false),
                    ("i32.store", false),
                    ("i32.store8", false),
                    ("i32.store16", false),
                    ("i64.store", true),
                    ("i64.store32", true),
                ]);
                let offset = self.address(d);
                if self.chance(30) {
                    let c = self.constant();
                    self.emit(&format!("{} {c}", if value64 { "i64.const" } else { "i32.const" }));
                } else {
                    self.expr(d);
                    if value64 {
                        self.emit("i64.extend_i32_s");
                    }
                }
                self.emit(&format!("{op} offset={offset}"));
            }
            5 => {
                let g = self.pick(&[0, 1]);
                self.expr(depth);
                self.emit(&format!("global.set {g}"));
            }
            6 => {
                self.cond(d);
                self.labels.push(Some(0));
                self.emit("if");
                self.stmts(d, 3);
                if self.chance(50) {
                    self.emit("else");
                    self.stmts(d, 3);
                }
                self.emit("end");
                self.labels.pop();
            }
            7 => {
                self.labels.push(Some(0));
                self.emit("block");
                self.stmts(d, 2);
                self.cond(d);
                self.emit("br_if 0");
                self.stmts(d, 2);
                self.emit("end");
                self.labels.pop();
            }
            8 | 9 => self.counted_loop(d),
            10 => {
                // Swap through the operand stack.
                let (a, b) = (self.free_local(), self.free_local());
                self.emit(&format!("local.get {a}"));
                self.emit(&format!("local.get {b}"));
                self.emit(&format!("local.set {a}"));
                self.emit(&format!("local.set {b}"));
            }
            11 => {
                // A copy chain, possibly through tees.
                let (a, b, c) = (self.any_local(), self.free_local(), self.free_local());
                self.emit(&format!("local.get {a}"));
                if self.chance(50) {
                    self.emit(&format!("local.tee {b}"));
                    self.emit(&format!("local.set {c}"));
                } else {
                    self.emit(&format!("local.set {b}"));
                    self.emit(&format!("local.get {b}"));
                    self.emit(&format!("local.set {c}"));
                }
            }
            12 => {
                // Branch out of an enclosing block without results.
                let targets: Vec<usize> =
                    (0..self.labels.len()).filter(|&i| self.labels[self.labels.len() - 1 - i] == Some(0)).collect();
                if let Some(&t) = targets.get(self.rng.below(targets.len().max(1) as u64) as usize) {
                    self.cond(d);
                    self.emit(&format!("br_if {t}"));
                } else {
                    self.expr(d);
                    self.emit("drop");
                }
            }
            13 => {
                // Dead code after a branch (a trap or return only under a condition).
                self.cond(d);
                self.labels.push(Some(0));
                self.emit("if");
                self.stmts(d, 1);
                match self.rng.below(6) {
                    0 => self.emit("unreachable"),
                    1 => {
                        self.expr(d);
                        self.emit("return");
                    }
                    _ => self.emit("br 0"),
                }
                self.dead_code(d);
                self.emit("end");
                self.labels.pop();
            }
            14 => {
                // Bulk memory at small, in-bounds ranges.
                let dst = self.rng.below(0x7000);
                let src = self.rng.below(0x7000);
                self.emit(&format!("i32.const {dst}"));
                if self.chance(50) {
                    self.emit(&format!("i32.const {src}"));
                    let n = self.rng.below(64);
                    self.emit(&format!("i32.const {n}"));
                    self.emit("memory.copy");
                } else {
                    self.expr(d);
                    let n = self.rng.below(64);
                    self.emit(&format!("i32.const {n}"));
                    self.emit("memory.fill");
                }
            }
            _ => {
                self.expr(depth);
                self.emit("drop");
            }
        }
    }

    /// Valid code in an unreachable region (it must still type-check): statements and stray values.
    pub(super) fn dead_code(&mut self, d: u32) {
        for _ in 0..self.rng.below(3) {
            match self.rng.below(3) {
                0 => self.stmt(d),
                1 => {
                    self.expr(d);
                    self.emit("drop");
                }
                _ => {
                    // Operands of the polymorphic stack consumed.
                    self.emit("i32.add");
                    self.emit("drop");
                }
            }
        }
    }

    /// A loop on a fresh counter that only its back-edge writes, in one of the shapes the translator fuses.
    fn counted_loop(&mut self, d: u32) {
        if self.counters_used == COUNTERS {
            return self.stmt(d);
        }
        let c = FREE_LOCALS + self.counters_used;
        self.counters_used += 1;
        let n = 1 + self.rng.below(5) as i32;
        let shape = self.rng.below(7);
        // Counting down from n (shapes 0, 1, 4, 5) or up from 0 to n (2, 3, 6).
        let init = if matches!(shape, 0 | 1 | 4 | 5) { n } else { 0 };
        self.emit(&format!("i32.const {init}"));
        self.emit(&format!("local.set {c}"));
        self.labels.push(Some(0));
        self.emit("block");
        self.labels.push(None);
        self.emit("loop");
        self.stmts(d, 3);
        match shape {
            0 => {
                // --c; br_if c
                self.emit(&format!("local.get {c}"));
                self.emit("i32.const 1");
                self.emit("i32.sub");
                self.emit(&format!("local.tee {c}"));
                self.emit("br_if 0");
            }
            1 => {
                // c = c + -1; br_if (c != 0)
                self.emit(&format!("local.get {c}"));
                self.emit("i32.const -1");
                self.emit("i32.add");
                self.emit(&format!("local.set {c}"));
                self.emit(&format!("local.get {c}"));
                self.emit("i32.const 0");
                self.emit("i32.ne");
                self.emit("br_if 0");
            }
            2 => {
                // c = c + 1; br_if (c < n)
                self.emit(&format!("local.get {c}"));
                self.emit("i32.const 1");
                self.emit("i32.add");
                self.emit(&format!("local.set {c}"));
                self.emit(&format!("local.get {c}"));
                self.emit(&format!("i32.const {n}"));
                let op = self.pick(&["i32.lt_s", "i32.lt_u", "i32.ne"]);
                self.emit(op);
                self.emit("br_if 0");
            }
            3 => {
                // c = 1 + c; br_if (n > c), constants on the left
                self.emit("i32.const 1");
                self.emit(&format!("local.get {c}"));
                self.emit("i32.add");
                self.emit(&format!("local.tee {c}"));
                self.emit(&format!("i32.const {n}"));
                self.emit("i32.ge_s");
                self.emit("br_if 1");
                self.emit("br 0");
            }
            4 => {
                // --c; exit when eqz
                self.emit(&format!("local.get {c}"));
                self.emit("i32.const 1");
                self.emit("i32.sub");
                self.emit(&format!("local.tee {c}"));
                self.emit("i32.eqz");
                self.emit("br_if 1");
                self.emit("br 0");
            }
            5 => {
                // c = c - 1; br_if (0 < c)
                self.emit(&format!("local.get {c}"));
                self.emit("i32.const 1");
                self.emit("i32.sub");
                self.emit(&format!("local.set {c}"));
                self.emit("i32.const 0");
                self.emit(&format!("local.get {c}"));
                self.emit("i32.lt_s");
                self.emit("br_if 0");
            }
            _ => {
                // c = c + step (a slot holding 1); br_if (c < n held in a slot)
                let step = FREE_LOCALS + COUNTERS;
                self.emit(&format!("local.get {c}"));
                self.emit(&format!("local.get {step}"));
                self.emit("i32.add");
                self.emit(&format!("local.set {c}"));
                self.emit(&format!("local.get {c}"));
                self.emit(&format!("i32.const {n}"));
                self.emit(&format!("local.set {}", step + 1));
                self.emit(&format!("local.get {}", step + 1));
                self.emit("i32.lt_u");
                self.emit("br_if 0");
            }
        }
        self.emit("end");
        self.labels.pop();
        self.emit("end");
        self.labels.pop();
    }
}
