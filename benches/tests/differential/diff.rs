//! Running one module in all runtimes: argument sets, the majority vote and the comparison of observations.

use std::fmt::Write as _;

use crate::observe::{ExportKind, Outcome, State, Ty, V};
use crate::runtimes::{Compiled, Engines, Instance, NAMES};

/// Deterministic argument sets: all zeros, all ones, then mixtures of small, negative and edge values.
pub(crate) fn arg_set(k: usize, params: &[Ty]) -> Vec<V> {
    const INTS: [i64; 12] = [3, -1, 7, 0, 16, 65535, -7, 1, 100, 0x7fff_ffff, 4, -65536];
    params
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let n: i64 = match k {
                0 => 0,
                1 => 1,
                _ => INTS[(i + 5 * k) % INTS.len()],
            };
            match t {
                Ty::I32 => V::I32(n as i32),
                Ty::I64 => V::I64(if k >= 3 && i % 2 == 1 { n.wrapping_mul(0x1_0000_0001) } else { n }),
                Ty::F32 => V::F32((n as f32 * 0.5).to_bits()),
                Ty::F64 => V::F64((n as f64 * 1.5).to_bits()),
                Ty::V128 => V::V128((n as u64 as u128) << 32 | (n as u64 as u128) << 96 | i as u128),
                Ty::FuncRef | Ty::ExternRef => V::Ref(false),
            }
        })
        .collect()
}

const ARG_SETS: usize = 4;

/// What the comparison of one module found besides wasmvm mismatches.
#[derive(Default)]
pub(crate) struct Findings {
    /// Reference runtimes outvoted by wasmvm and the other reference: `(runtime, description)`.
    pub(crate) outvoted: Vec<(usize, String)>,
    /// Observations on which all three runtimes differ: at least one reference is wrong, and there is no
    /// majority to tell whether wasmvm is too.
    pub(crate) inconclusive: Vec<String>,
}

/// The references still compared (a reference that was outvoted, or exhausted its stack, drops out until the
/// next round of fresh instances).
struct Vote<'a> {
    live: [bool; 3],
    findings: &'a mut Findings,
}

impl Vote<'_> {
    fn any_live(&self) -> bool {
        self.live[1..].iter().any(|&l| l)
    }

    /// Compare wasmvm's observation `obs[0]` with the live references'. A reference that disagrees while another
    /// agrees with wasmvm is outvoted and drops out; wasmvm disagreeing with every live reference is a mismatch,
    /// unless the two references also disagree with each other (inconclusive: both drop out).
    fn check<T: PartialEq + std::fmt::Debug>(&mut self, what: &str, obs: &[Option<T>; 3]) -> Result<(), String> {
        let vm = obs[0].as_ref().expect("wasmvm observed");
        let live: Vec<usize> = (1..3).filter(|&r| self.live[r]).collect();
        let agree: Vec<usize> = live.iter().copied().filter(|&r| obs[r].as_ref() == Some(vm)).collect();
        if agree.len() == live.len() {
            return Ok(());
        }
        let show = |r: usize| format!("{} {:?}", NAMES[r], obs[r].as_ref().expect("live runtime observed"));
        if agree.is_empty() && live.len() == 2 && obs[1] != obs[2] {
            self.findings.inconclusive.push(format!("{what}: {}, {}, {}", show(0), show(1), show(2)));
            self.live = [true, false, false];
            return Ok(());
        }
        if agree.is_empty() {
            let refs: Vec<String> = live.iter().map(|&r| show(r)).collect();
            let alone = if live.len() == 1 {
                let out = NAMES[3 - live[0]];
                format!("\n    (unconfirmed: {out} was out of the vote, check with a third runtime)")
            } else {
                String::new()
            };
            return Err(format!("{what}: {}, {}{alone}", show(0), refs.join(", ")));
        }
        for &r in &live {
            if !agree.contains(&r) {
                self.live[r] = false;
                let with: Vec<&str> = agree.iter().map(|&a| NAMES[a]).collect();
                let msg = format!("{what}: {}, but wasmvm and {} {vm:?}", show(r), with.join(", "));
                self.findings.outvoted.push((r, msg));
            }
        }
        Ok(())
    }
}

fn export_kinds(module: &wasmvm::Module) -> Vec<(String, ExportKind)> {
    module
        .exports()
        .filter_map(|e| {
            let kind = match &e.ty {
                wasmvm::ExternType::Func(f) => {
                    ExportKind::Func(f.params().iter().map(|t| vm_ty(*t)).collect(), f.results().len())
                }
                wasmvm::ExternType::Global(_) => ExportKind::Global,
                wasmvm::ExternType::Table(_) => ExportKind::Table,
                wasmvm::ExternType::Memory(_) => ExportKind::Memory,
                // A tag has no state to compare (and the generator makes none: exceptions are off).
                wasmvm::ExternType::Tag(_) => return None,
            };
            Some((e.name, kind))
        })
        .collect()
}

fn vm_ty(t: wasmvm::ValType) -> Ty {
    match t {
        wasmvm::ValType::I32 => Ty::I32,
        wasmvm::ValType::I64 => Ty::I64,
        wasmvm::ValType::F32 => Ty::F32,
        wasmvm::ValType::F64 => Ty::F64,
        wasmvm::ValType::V128 => Ty::V128,
        wasmvm::ValType::FuncRef => Ty::FuncRef,
        // Generated modules have no typed references or exnref (function references and exceptions are
        // off in `generate.rs`); like any reference, one would be compared only as null or not.
        wasmvm::ValType::Ref(r) if r.heap.is_func() => Ty::FuncRef,
        wasmvm::ValType::ExternRef | wasmvm::ValType::ExnRef | wasmvm::ValType::Ref(_) => Ty::ExternRef,
    }
}

/// Diff `wasm` between wasmvm and the references. `Err` describes the first wasmvm mismatch; `log` (if
/// given) gets a trace of every step.
pub(crate) fn diff_module(
    engines: &Engines,
    wasm: &[u8],
    findings: &mut Findings,
    mut log: Option<&mut String>,
) -> Result<(), String> {
    macro_rules! trace {
        ($($t:tt)*) => { if let Some(l) = log.as_deref_mut() { let _ = writeln!(l, $($t)*); } };
    }
    let mut vote = Vote { live: [true; 3], findings };
    let compiled: [Result<Compiled<'_>, String>; 3] = std::array::from_fn(|r| engines.compile(r, wasm));
    trace!("compile: {:?}", compiled.each_ref().map(|c| c.as_ref().err()));
    vote.check("compilation succeeds", &compiled.each_ref().map(|c| Some(c.is_ok())))?;
    let Ok(Compiled::Vm(_, vm_module)) = &compiled[0] else {
        return Ok(());
    };
    if vm_module.imports().len() != 0 {
        trace!("module has imports: skipped");
        return Ok(());
    }
    let exports = export_kinds(vm_module);
    let funcs: Vec<usize> = (0..exports.len()).filter(|&i| matches!(exports[i].1, ExportKind::Func(..))).collect();
    let compiled_ok = vote.live;
    // Sessions of calls, each in fresh instances: every function in turn on one instance (state carried from
    // call to call), then each function alone with each other argument set (so that a reference's bug in one
    // call does not take it out of the vote for the others).
    let mut sessions: Vec<Vec<(usize, usize)>> = vec![funcs.iter().map(|&f| (f, 0)).collect()];
    for k in 1..ARG_SETS {
        sessions.extend(funcs.iter().map(|&f| vec![(f, k)]));
    }
    for (n, calls) in sessions.iter().enumerate() {
        vote.live = compiled_ok;
        let mut insts: [Option<Box<dyn Instance>>; 3] = [None, None, None];
        let mut inst_ok: [Option<bool>; 3] = [None; 3];
        for r in 0..3 {
            if !vote.live[r] {
                continue;
            }
            let Ok(c) = &compiled[r] else { unreachable!("live runtimes compiled the module") };
            match c.instantiate() {
                Ok(i) => {
                    insts[r] = Some(i);
                    inst_ok[r] = Some(true);
                }
                Err(Outcome::Exhausted) if r == 0 => return Ok(()),
                Err(Outcome::Exhausted) => vote.live[r] = false,
                Err(e) => {
                    trace!("session {n}: {} instantiation fails: {e:?}", NAMES[r]);
                    inst_ok[r] = Some(false);
                }
            }
        }
        if !vote.any_live() {
            continue;
        }
        vote.check(&format!("instantiation succeeds (session {n})"), &inst_ok)?;
        if inst_ok[0] == Some(false) {
            return Ok(());
        }
        let compare_state = |insts: &[Option<Box<dyn Instance>>; 3], vote: &mut Vote, after: &str| {
            for (name, kind) in &exports {
                if matches!(kind, ExportKind::Func(..)) {
                    continue;
                }
                let obs = std::array::from_fn(|r| {
                    insts[r].as_ref().filter(|_| vote.live[r]).map(|i| Summarised(i.state(name, kind)))
                });
                vote.check(&format!("{after}: export {name:?}"), &obs).map_err(|e| {
                    match (obs[0].as_ref(), (1..3).find_map(|r| obs[r].as_ref())) {
                        (Some(a), Some(b)) => format!("{e}\n    ({})", describe_state_diff(&a.0, &b.0)),
                        _ => e,
                    }
                })?;
            }
            Ok::<(), String>(())
        };
        if n == 0 {
            compare_state(&insts, &mut vote, "after instantiation")?;
        }
        for &(f, k) in calls {
            let (name, kind) = &exports[f];
            let ExportKind::Func(params, nresults) = kind else { unreachable!() };
            let args = arg_set(k, params);
            let mut out: [Option<Outcome>; 3] = [None, None, None];
            for r in 0..3 {
                if vote.live[r] {
                    out[r] = insts[r].as_mut().map(|i| i.call(name, &args, params, *nresults));
                }
            }
            trace!("session {n}: {name:?}{args:?} -> {out:?}");
            if out[0] == Some(Outcome::Exhausted) {
                trace!("wasmvm exhausted its stack: stop comparing this module");
                return Ok(());
            }
            for (live, o) in vote.live.iter_mut().zip(&out).skip(1) {
                if *o == Some(Outcome::Exhausted) {
                    *live = false;
                }
            }
            if !vote.any_live() {
                break;
            }
            let what = format!("call {name:?} with {args:?} (session {n})");
            vote.check(&what, &out)?;
            compare_state(&insts, &mut vote, &format!("after {what} -> {:?}", out[0].as_ref().unwrap()))?;
        }
    }
    Ok(())
}

/// A state whose `Debug` shows memories as a summary (size, hash, first bytes) instead of every byte.
#[derive(PartialEq)]
struct Summarised(Option<State>);

impl std::fmt::Debug for Summarised {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(State::Memory(m)) => {
                let hash =
                    m.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
                let nonzero: Vec<(usize, u8)> =
                    m.iter().copied().enumerate().filter(|&(_, b)| b != 0).take(8).collect();
                write!(f, "Memory({} bytes, fnv {hash:016x}, first non-zero (offset, byte) {nonzero:x?})", m.len())
            }
            other => write!(f, "{other:?}"),
        }
    }
}

fn describe_state_diff(a: &Option<State>, b: &Option<State>) -> String {
    match (a, b) {
        (Some(State::Memory(x)), Some(State::Memory(y))) if x.len() == y.len() => {
            let diffs: Vec<usize> = (0..x.len()).filter(|&i| x[i] != y[i]).collect();
            let Some(&first) = diffs.first() else { return "memories equal".into() };
            let lo = first.saturating_sub(4);
            let hi = (first + 12).min(x.len());
            format!(
                "memory: {} bytes differ, first at {first:#x}: wasmvm[{lo:#x}..] = {:02x?}, reference = {:02x?}",
                diffs.len(),
                &x[lo..hi],
                &y[lo..hi]
            )
        }
        (Some(State::Memory(x)), Some(State::Memory(y))) => {
            format!("memory size: wasmvm {} bytes, reference {} bytes", x.len(), y.len())
        }
        _ => format!("wasmvm {a:?}, reference {b:?}"),
    }
}
