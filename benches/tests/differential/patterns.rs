//! The fusion-pattern generator: [`PatternGen`] and the modules it makes (expressions in `exprs`, statements
//! in `stmts`).

mod exprs;
mod stmts;

use crate::generate::Rng;

/// Random functions dense in what the translator fuses: lazy `local.get`s overwritten while on the stack,
/// results retargeted into locals (`local.set`/`local.tee`), constants on either side, comparisons feeding
/// `br_if`/`if`/`select`, adds feeding load/store addresses, counted loops with the increment/decrement and
/// compare fused into the back-edge, swaps and copy chains, block parameters and results, `br_table`, and dead
/// code after branches. Loops only run on counters nothing else writes, so everything terminates.
struct PatternGen {
    rng: Rng,
    /// Instructions, one per line.
    out: String,
    /// Branch targets, innermost last: the label's result arity, or `None` for a loop (never targeted, so
    /// that loops stay counted).
    labels: Vec<Option<u32>>,
    /// Loop counters in use (locals `FREE_LOCALS..FREE_LOCALS + COUNTERS`).
    counters_used: u32,
    /// Remaining instruction budget.
    budget: i32,
}

/// Locals any code may write (the 3 parameters and 5 locals), then the loop counters.
const FREE_LOCALS: u32 = 8;
const COUNTERS: u32 = 6;
const PATTERN_CONSTS: [i32; 14] = [0, 1, 2, 3, 4, 5, 7, 8, 16, 100, 255, -1, -8, i32::MIN];
const BINOPS: [&str; 14] = [
    "i32.add",
    "i32.add",
    "i32.add",
    "i32.sub",
    "i32.sub",
    "i32.mul",
    "i32.and",
    "i32.or",
    "i32.xor",
    "i32.shl",
    "i32.shr_s",
    "i32.shr_u",
    "i32.rotl",
    "i32.rem_u",
];
const CMPOPS: [&str; 10] = [
    "i32.eq", "i32.ne", "i32.lt_s", "i32.lt_u", "i32.gt_s", "i32.gt_u", "i32.le_s", "i32.le_u", "i32.ge_s", "i32.ge_u",
];

impl PatternGen {
    fn emit(&mut self, s: &str) {
        self.out.push_str(s);
        self.out.push('\n');
        self.budget -= 1;
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.rng.below(xs.len() as u64) as usize]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.rng.below(100) < percent
    }
    fn free_local(&mut self) -> u32 {
        self.rng.below(FREE_LOCALS as u64) as u32
    }
    /// Any local, counters included (for reading).
    fn any_local(&mut self) -> u32 {
        self.rng.below((FREE_LOCALS + self.counters_used) as u64) as u32
    }
    /// A binary operator (divisors made non-zero).
    fn binop(&mut self) {
        let op = self.pick(&BINOPS);
        if op == "i32.rem_u" {
            self.emit("i32.const 1");
            self.emit("i32.or");
        }
        self.emit(op);
    }
    fn constant(&mut self) -> i32 {
        if self.chance(80) { self.pick(&PATTERN_CONSTS) } else { self.rng.next() as i32 }
    }
}

/// A module of a few functions made by [`PatternGen`], exporting them, its memory and globals.
pub(crate) fn generate_patterns(seed: u64) -> Option<Vec<u8>> {
    let wat = pattern_wat(seed);
    match wat::parse_str(&wat) {
        Ok(wasm) => Some(wasm),
        Err(e) => panic!("pattern generator made invalid text for seed {seed}: {e}\n{wat}"),
    }
}

fn pattern_wat(seed: u64) -> String {
    let mut g = PatternGen {
        rng: Rng(seed ^ 0x00fa_570f_f05e),
        out: String::new(),
        labels: Vec::new(),
        counters_used: 0,
        budget: 0,
    };
    let mut m = String::from("(module\n(memory (export \"mem\") 1 1)\n");
    m.push_str("(global (export \"g0\") (mut i32) (i32.const 0))\n(global (export \"g1\") (mut i32) (i32.const 7))\n");
    m.push_str(
        "(func $helper (param i32 i32) (result i32) local.get 0 local.get 1 i32.const 3 i32.shl i32.sub local.get 1 i32.xor)\n",
    );
    let nfuncs = 1 + g.rng.below(3);
    for f in 0..nfuncs {
        g.out.clear();
        g.counters_used = 0;
        g.budget = 30 + g.rng.below(150) as i32;
        let depth = 2 + g.rng.below(3) as u32;
        while g.budget > 0 {
            g.stmt(depth);
        }
        // The result: every local mixed in.
        g.emit("i32.const 0");
        for l in 0..FREE_LOCALS + COUNTERS + 2 {
            g.emit(&format!("local.get {l}"));
            g.emit("i32.add");
            g.emit("i32.const 5");
            g.emit("i32.rotl");
        }
        let locals = FREE_LOCALS + COUNTERS + 2 - 3;
        m.push_str(&format!(
            "(func (export \"f{f}\") (param i32 i32 i32) (result i32) (local {})\n",
            vec!["i32"; locals as usize].join(" ")
        ));
        // The step slot of counted loops holds 1.
        m.push_str(&format!("i32.const 1\nlocal.set {}\n", FREE_LOCALS + COUNTERS));
        m.push_str(&g.out);
        m.push_str(")\n");
    }
    let data: String = (0..64).map(|_| format!("\\{:02x}", g.rng.next() as u8)).collect();
    m.push_str(&format!("(data (i32.const 16) \"{data}\")\n)\n"));
    m
}
