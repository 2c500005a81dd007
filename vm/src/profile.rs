//! Dispatch profile (cargo feature `profile`): how many times each translated instruction ran, and which
//! instructions follow which, so that the next design step of the interpreter is picked from numbers
//! (see `benches/DISPATCH.md`).
//!
//! With the feature on, every handler first records its instruction's address and handler in this
//! thread's counters (a hash-map update per dispatch: the instrumented build is many times slower and is
//! never the product). [`report`] maps the counts back through a module's recorded instructions
//! ([`Config::disassembly`](crate::Config::disassembly) must be on): per wasmvm instruction, per wasm
//! operator it came from, and the most frequent pairs and triples of consecutive instructions.
//!
//! Executed *wasm* operators are estimated: each translated instruction is charged with the wasm operators
//! between the previous instruction's source operator and its own (operators that emit nothing, like
//! most `local.get`s, are charged to the next instruction emitted); so "dispatches per wasm operator" is
//! an estimate within a few per cent on straight-line code.

use std::cell::RefCell;
use std::collections::HashMap;

/// This thread's counters.
#[derive(Default)]
struct Counters {
    /// Executions per instruction address.
    sites: HashMap<usize, u64>,
    /// Consecutive handler pairs and triples (handler addresses), in execution order.
    pairs: HashMap<(usize, usize), u64>,
    triples: HashMap<(usize, usize, usize), u64>,
    /// The two handlers dispatched before this one.
    last: (usize, usize),
}

thread_local! {
    static COUNTERS: RefCell<Counters> = RefCell::new(Counters::default());
}

/// Record one dispatch of the instruction at `ip` (called by every handler).
#[inline(never)]
pub(crate) fn record(ip: *const u8) {
    // SAFETY: `ip` points at an instruction, whose first bytes are its handler's address.
    let handler = unsafe { ip.cast::<usize>().read_unaligned() };
    COUNTERS.with_borrow_mut(|c| {
        *c.sites.entry(ip as usize).or_default() += 1;
        let (a, b) = c.last;
        if b != 0 {
            *c.pairs.entry((b, handler)).or_default() += 1;
            if a != 0 {
                *c.triples.entry((a, b, handler)).or_default() += 1;
            }
        }
        c.last = (b, handler);
    });
}

/// Forget this thread's counts.
pub fn reset() {
    COUNTERS.with_borrow_mut(|c| *c = Counters::default());
}

/// This thread's counts, mapped through `module` (translated with `Config::disassembly`) and its `wasm`.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Instructions dispatched.
    pub dispatches: u64,
    /// Wasm operators executed (estimated, see the module docs).
    pub wasm_ops: u64,
    /// Dispatches of instructions that read the result of the instruction just before them.
    pub chained: u64,
    /// ... of those, the ones that read it from the accumulator register (`exec` module docs).
    pub from_acc: u64,
    /// Dispatches per wasmvm instruction name, most frequent first.
    pub by_instruction: Vec<(String, u64)>,
    /// Per wasm operator (mnemonic): (estimated executions, dispatches of the instructions it translated to),
    /// by executions.
    pub by_operator: Vec<(String, u64, u64)>,
    /// Dispatches per wasmvm instruction name of the chained ones that did not read the accumulator (what an
    /// `ACC_IN` variant or a fusion could still serve), most frequent first.
    pub chained_by_slot: Vec<(String, u64)>,
    /// Most frequent consecutive pairs of instructions.
    pub pairs: Vec<(String, u64)>,
    /// Most frequent consecutive triples of instructions.
    pub triples: Vec<(String, u64)>,
}

/// The report of this thread's counts for `module` (see [`Report`]); `Err` if the module was translated
/// without [`Config::disassembly`](crate::Config::disassembly) or `wasm` does not parse.
pub fn report(module: &crate::Module, wasm: &[u8]) -> crate::Result<Report> {
    let ops = crate::ir::disas::operators_by_offset(wasm)?;
    let mut op_offsets: Vec<u32> = ops.keys().copied().collect();
    op_offsets.sort_unstable();
    // The operators in (from, to]: what an instruction at `to` stands for after one at `from`.
    let covered = |from: u32, to: u32| {
        &op_offsets[op_offsets.partition_point(|&o| o <= from)..op_offsets.partition_point(|&o| o <= to)]
    };
    let mnemonic = |offset: &u32| {
        let text = ops.get(offset).map_or("?", |s| s.as_str());
        text.split(' ').next().unwrap_or(text).to_string()
    };
    let mut names: HashMap<usize, String> = HashMap::new();
    let mut report = Report::default();
    let (mut by_instr, mut by_op) = (HashMap::<String, u64>::new(), HashMap::<String, (u64, u64)>::new());
    let mut by_slot = HashMap::<String, u64>::new();
    COUNTERS.with_borrow(|c| {
        for code in module.inner.code.iter() {
            if code.marks.is_empty() && !code.code.is_empty() {
                return Err(crate::Error::api("profile::report needs a module translated with Config::disassembly"));
            }
            let base = code.code.as_ptr() as usize;
            let mut prev: Option<u32> = None;
            let mut last_dst: Option<String> = None;
            for m in &code.marks {
                let mut text = String::new();
                (m.info.decode)(&code.code, m.pos, &mut text);
                let fields: Vec<&str> = text.split(' ').collect();
                let chained = last_dst.as_ref().is_some_and(|d| {
                    fields.iter().any(|f| !f.starts_with("dst=") && f.split('=').nth(1) == Some(d.as_str()))
                });
                last_dst = fields.iter().find_map(|f| f.strip_prefix("dst=")).map(str::to_string);
                let at = base + m.pos;
                // SAFETY: `m.pos` is an instruction of this code, which starts with its handler's address.
                let handler = unsafe { code.code.as_ptr().add(m.pos).cast::<usize>().read_unaligned() };
                names.entry(handler).or_insert_with(|| m.info.name());
                let n = c.sites.get(&at).copied().unwrap_or(0);
                // The wasm operators this instruction stands for (none for a second instruction of one
                // operator; only its own for one emitted out of order).
                let own = std::slice::from_ref(&m.wasm_offset);
                let stands_for = match prev {
                    Some(p) if p == m.wasm_offset => &[][..],
                    Some(p) if p < m.wasm_offset => covered(p, m.wasm_offset),
                    _ => own,
                };
                prev = Some(m.wasm_offset);
                if n == 0 {
                    continue;
                }
                report.dispatches += n;
                let from_acc = m.info.name().contains("acc_in=");
                if chained {
                    report.chained += n;
                    if !from_acc {
                        *by_slot.entry(m.info.name()).or_default() += n;
                    }
                }
                if from_acc {
                    report.from_acc += n;
                }
                report.wasm_ops += n * stands_for.len() as u64;
                *by_instr.entry(m.info.name()).or_default() += n;
                for op in stands_for {
                    by_op.entry(mnemonic(op)).or_default().0 += n;
                }
                by_op.entry(mnemonic(&m.wasm_offset)).or_default().1 += n;
            }
        }
        let name = |h: &usize| names.get(h).cloned().unwrap_or_else(|| format!("<{h:#x}>"));
        report.pairs = c.pairs.iter().map(|(k, &n)| (format!("{} -> {}", name(&k.0), name(&k.1)), n)).collect();
        report.triples = c
            .triples
            .iter()
            .map(|(k, &n)| (format!("{} -> {} -> {}", name(&k.0), name(&k.1), name(&k.2)), n))
            .collect();
        Ok(())
    })?;
    report.by_instruction = by_instr.into_iter().collect();
    report.chained_by_slot = by_slot.into_iter().collect();
    report.chained_by_slot.sort_by_key(|e| std::cmp::Reverse(e.1));
    report.by_operator = by_op.into_iter().map(|(k, (w, d))| (k, w, d)).collect();
    report.by_instruction.sort_by_key(|e| std::cmp::Reverse(e.1));
    report.by_operator.sort_by_key(|e| std::cmp::Reverse(e.1));
    report.pairs.sort_by_key(|e| std::cmp::Reverse(e.1));
    report.triples.sort_by_key(|e| std::cmp::Reverse(e.1));
    Ok(report)
}

impl std::fmt::Display for Report {
    /// The totals and the top 25 of each list, as markdown; `{:.N}` shows the top N instead.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let top = f.precision().unwrap_or(25);
        let per = self.dispatches as f64 / self.wasm_ops.max(1) as f64;
        let pct = |n: u64| 100.0 * n as f64 / self.dispatches.max(1) as f64;
        writeln!(
            f,
            "dispatches {}, wasm operators ~{}, dispatches per wasm operator {per:.3}, chained {:.1}% (from the accumulator {:.1}%)",
            self.dispatches,
            self.wasm_ops,
            pct(self.chained),
            pct(self.from_acc)
        )?;
        writeln!(f, "\n| instruction | dispatches | % |\n| --- | ---: | ---: |")?;
        for (name, n) in self.by_instruction.iter().take(top) {
            writeln!(f, "| `{name}` | {n} | {:.1} |", pct(*n))?;
        }
        writeln!(f, "\n| wasm operator | executed (est.) | dispatches | per operator |\n| --- | ---: | ---: | ---: |")?;
        for (name, w, d) in self.by_operator.iter().take(top) {
            writeln!(f, "| `{name}` | {w} | {d} | {:.2} |", *d as f64 / (*w).max(1) as f64)?;
        }
        let lists =
            [("chained, read from a slot", &self.chained_by_slot), ("pair", &self.pairs), ("triple", &self.triples)];
        for (title, list) in lists {
            writeln!(f, "\n| {title} | count | % |\n| --- | ---: | ---: |")?;
            for (name, n) in list.iter().take(top) {
                writeln!(f, "| `{name}` | {n} | {:.1} |", pct(*n))?;
            }
        }
        Ok(())
    }
}
