//! Turning criterion's results into markdown tables.
//!
//! Criterion writes `<criterion dir>/<group>/<function>/new/estimates.json`; we take the mean's point
//! estimate (ns). The workloads, threads and loader benches also write `<group>/wasmvm-benches.txt` at
//! setup (`n <n>` and, if wasmvm failed the checksum, `wasmvm_error <message>`); an estimate older than
//! that marker was not measured in the latest run and is shown as stale. The loader bench writes its
//! memory measurements to `loader_100_modules/memory.txt` ([`MemoryProbe`] lines).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::workloads::{WORKLOADS, is_outside, is_simd};

/// Name of the per-group marker file written by the workloads bench.
pub const MARKER: &str = "wasmvm-benches.txt";

/// Where criterion keeps its data: `$CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`, else
/// `<workspace>/target/criterion`.
pub fn criterion_dir() -> PathBuf {
    if let Some(h) = std::env::var_os("CRITERION_HOME") {
        return h.into();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        manifest.parent().unwrap_or(manifest).join("target")
    });
    target.join("criterion")
}

/// Record, at bench setup, the `n` of a group and wasmvm's failure if any.
pub fn write_marker(group: &str, n: i32, wasmvm_error: Option<&str>) {
    let dir = criterion_dir().join(group);
    let mut text = format!("n {n}\n");
    if let Some(e) = wasmvm_error {
        writeln!(text, "wasmvm_error {}", e.replace('\n', " ")).unwrap();
    }
    // Best effort: the marker only improves the report.
    let _ = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(dir.join(MARKER), text));
}

/// Record, at bench setup, the `n` of a group and the machine's 1-minute load average (`/proc/loadavg`),
/// which the threads and loader tables show: on a shared machine, other processes' load matters.
pub fn write_marker_with_load(group: &str, n: i32) {
    let dir = criterion_dir().join(group);
    let mut text = format!("n {n}\n");
    if let Some(load) =
        std::fs::read_to_string("/proc/loadavg").ok().and_then(|l| Some(l.split_whitespace().next()?.to_string()))
    {
        writeln!(text, "load {load}").unwrap();
    }
    let _ = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(dir.join(MARKER), text));
}

/// A measured time, or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Ns(f64),
    Missing,
    Stale(f64),
    Failed(String),
}

impl Cell {
    fn ns(&self) -> Option<f64> {
        if let Cell::Ns(v) = self { Some(*v) } else { None }
    }
    pub fn show(&self) -> String {
        match self {
            Cell::Ns(v) => fmt_ns(*v),
            Cell::Missing => "—".into(),
            Cell::Stale(v) => format!("({} stale)", fmt_ns(*v)),
            Cell::Failed(_) => "FAILED".into(),
        }
    }
}

/// A duration in ns, human-scaled.
pub fn fmt_ns(ns: f64) -> String {
    match ns {
        v if v < 1e3 => format!("{v:.1} ns"),
        v if v < 1e6 => format!("{:.2} µs", v / 1e3),
        v if v < 1e9 => format!("{:.2} ms", v / 1e6),
        v => format!("{:.3} s", v / 1e9),
    }
}

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).ok()?.modified().ok()
}

/// The mean time of `group/func`, or `None` if criterion has no result for it.
pub fn mean_ns(dir: &Path, group: &str, func: &str) -> Option<f64> {
    let path = dir.join(group).join(func).join("new/estimates.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    json["mean"]["point_estimate"].as_f64()
}

/// The relative standard deviation of `group/func`'s samples (criterion's `std_dev` / `mean`), if any.
pub fn rel_std_dev(dir: &Path, group: &str, func: &str) -> Option<f64> {
    let path = dir.join(group).join(func).join("new/estimates.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    Some(json["std_dev"]["point_estimate"].as_f64()? / json["mean"]["point_estimate"].as_f64()?)
}

fn fmt_spread(dir: &Path, group: &str) -> String {
    let pct = |f| rel_std_dev(dir, group, f).map_or("—".into(), |v| format!("±{:.0}%", v * 100.0));
    format!("{} / {}", pct("wasmvm"), pct("wasmi"))
}

pub fn geo_mean(ratios: &[f64]) -> Option<f64> {
    (!ratios.is_empty()).then(|| (ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64).exp())
}

fn cell(dir: &Path, group: &str, func: &str, marker: Option<SystemTime>) -> Cell {
    let Some(v) = mean_ns(dir, group, func) else {
        return Cell::Missing;
    };
    let est = mtime(&dir.join(group).join(func).join("new/estimates.json"));
    match (marker, est) {
        (Some(m), Some(e)) if e < m => Cell::Stale(v),
        _ => Cell::Ns(v),
    }
}

fn ratio(wasmvm: &Cell, wasmi: &Cell) -> Option<f64> {
    Some(wasmi.ns()? / wasmvm.ns()?)
}

fn fmt_ratio(r: Option<f64>) -> String {
    r.map_or("—".into(), |r| format!("{r:.2}"))
}

/// One workload's row of the latest run: `n`, both engines' mean times, wasmi/wasmvm, the spreads.
pub struct Measured {
    pub n: String,
    pub wasmvm: Cell,
    pub wasmi: Cell,
    pub ratio: Option<f64>,
    pub spread: String,
}

/// Workload `w`'s results in `dir`.
pub fn measure(dir: &Path, w: &str) -> Measured {
    let marker_path = dir.join(w).join(MARKER);
    let marker = std::fs::read_to_string(&marker_path).unwrap_or_default();
    let field = |k: &str| marker.lines().find_map(|l| l.strip_prefix(k).map(|v| v.trim().to_string()));
    let n = field("n ").unwrap_or_else(|| "?".into());
    let t = mtime(&marker_path);
    let wasmvm = match field("wasmvm_error ") {
        Some(e) => Cell::Failed(e),
        None => cell(dir, w, "wasmvm", t),
    };
    let wasmi = cell(dir, w, "wasmi", t);
    let ratio = ratio(&wasmvm, &wasmi);
    Measured { n, wasmvm, wasmi, ratio, spread: fmt_spread(dir, w) }
}

/// The workloads table (with geometric mean) and the startup table, as markdown.
pub fn render(dir: &Path) -> String {
    let mut out = String::new();
    let mut failures = Vec::new();
    let (mut ratios, mut ours, mut outside) = (Vec::new(), Vec::new(), Vec::new());
    out.push_str(
        "| workload | n | wasmvm | wasmi | wasmi/wasmvm | spread (sd wasmvm / wasmi) |\n| --- | --: | --: | --: | --: | --: |\n",
    );
    for &w in WORKLOADS {
        let m = measure(dir, w);
        if let Cell::Failed(e) = &m.wasmvm {
            failures.push(format!("- {w}: {e}"));
        }
        ratios.extend(m.ratio);
        if is_outside(w) { &mut outside } else { &mut ours }.extend(m.ratio);
        let (vs, ws, rs, sp) = (m.wasmvm.show(), m.wasmi.show(), fmt_ratio(m.ratio), &m.spread);
        let w = if is_outside(w) { format!("{w} (outside)") } else { w.to_string() };
        writeln!(out, "| {w} | {} | {vs} | {ws} | {rs} | {sp} |", m.n).unwrap();
    }
    for (label, rs) in [("ours", &ours), ("outside suite", &outside), ("all", &ratios)] {
        let (g, k) = (fmt_ratio(geo_mean(rs)), rs.len());
        writeln!(out, "| **geometric mean, {label}** ({k} workloads) | | | | **{g}** | |").unwrap();
    }
    out.push_str(
        "\nwasmi/wasmvm is the ratio of mean times per `run(n)`: above 1 means wasmvm is faster. Spread: the \
         standard deviation of criterion's samples relative to their mean. The outside suite (`workloads/suite/`) is \
         built from crates.io packages' code.\n",
    );
    out.push('\n');
    out.push_str(&render_simd(dir));
    if !failures.is_empty() {
        out.push_str("\nwasmvm failures (workload skipped for wasmvm):\n");
        for f in &failures {
            writeln!(out, "{f}").unwrap();
        }
    }
    out.push('\n');
    out.push_str(&render_startup(dir));
    out.push('\n');
    out.push_str(&render_threads(dir));
    out.push('\n');
    out.push_str(&render_loader(dir));
    out
}

/// The SIMD workloads: wasmi/wasmvm over them alone, and each SIMD build against its scalar build in wasmvm.
fn render_simd(dir: &Path) -> String {
    let mut out = String::from(
        "| SIMD workload | wasmvm | wasmi | wasmi/wasmvm | wasmvm, scalar build | scalar/SIMD |\n| --- | --: | --: | --: | --: | --: |\n",
    );
    let mut ratios = Vec::new();
    for &w in WORKLOADS.iter().filter(|w| is_simd(w)) {
        let t = mtime(&dir.join(w).join(MARKER));
        let (vm, wi, sc) = (cell(dir, w, "wasmvm", t), cell(dir, w, "wasmi", t), cell(dir, w, "wasmvm-scalar", t));
        let r = ratio(&vm, &wi);
        ratios.extend(r);
        let (a, b, c, rs, ss) = (vm.show(), wi.show(), sc.show(), fmt_ratio(r), fmt_ratio(ratio(&vm, &sc)));
        writeln!(out, "| {w} | {a} | {b} | {rs} | {c} | {ss} |").unwrap();
    }
    let geo = geo_mean(&ratios);
    writeln!(out, "| **geometric mean** ({} workloads) | | | **{}** | | |", ratios.len(), fmt_ratio(geo)).unwrap();
    out.push_str("\nscalar/SIMD: the same program built without `-msimd128`, in wasmvm; above 1 means SIMD pays.\n");
    out
}

/// `(label, group, wasmvm function, wasmi function)` of the startup table.
const STARTUP: &[(&str, &str, &str, &str)] = &[
    ("compile sqlite.wasm: wasmvm default vs wasmi eager", "compile_sqlite", "wasmvm", "wasmi_eager"),
    ("compile sqlite.wasm: wasmvm serial vs wasmi eager", "compile_sqlite", "wasmvm_serial", "wasmi_eager"),
    (
        "compile sqlite.wasm: wasmvm default vs wasmi default (lazy translation)",
        "compile_sqlite",
        "wasmvm",
        "wasmi_lazy_default",
    ),
    ("instantiate sqlite.wasm (stub WASI imports)", "instantiate_sqlite", "wasmvm", "wasmi"),
    ("host→wasm typed call round trip (i32 identity)", "call_roundtrip", "wasmvm", "wasmi"),
];

fn render_startup(dir: &Path) -> String {
    let mut out = String::from("| startup | wasmvm | wasmi | wasmi/wasmvm |\n| --- | --: | --: | --: |\n");
    for &(label, group, vm, wi) in STARTUP {
        let (a, b) = (cell(dir, group, vm, None), cell(dir, group, wi, None));
        let (r, a, b) = (fmt_ratio(ratio(&a, &b)), a.show(), b.show());
        writeln!(out, "| {label} | {a} | {b} | {r} |").unwrap();
    }
    out.push_str(
        "\nwasmvm default translates functions on several threads (rayon); wasmvm serial sets \
         `Config::parallel_translation = false`. wasmi's default mode validates eagerly but translates \
         each function on its first call.\n",
    );
    out
}

/// The `n` and load average recorded in a group's marker, and the marker's time (for staleness).
fn marker(dir: &Path, group: &str) -> (Option<f64>, Option<String>, Option<SystemTime>) {
    let path = dir.join(group).join(MARKER);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let n = text.lines().find_map(|l| l.strip_prefix("n ")?.trim().parse().ok());
    let load = text.lines().find_map(|l| Some(l.strip_prefix("load ")?.trim().to_string()));
    (n, load, mtime(&path))
}

/// `"1-minute load average at the start of each group: a 1.2, b 3.4"`, from the markers.
fn loads(dir: &Path, groups: &[&str]) -> String {
    let l: Vec<String> = groups.iter().filter_map(|g| Some(format!("{g} {}", marker(dir, g).1?))).collect();
    if l.is_empty() {
        String::new()
    } else {
        format!("\n1-minute load average when each group started: {}.\n", l.join(", "))
    }
}

/// Does any of `groups` have a result or a marker?
fn any_results(dir: &Path, groups: &[&str]) -> bool {
    groups.iter().any(|g| dir.join(g).is_dir())
}

/// A group's cells by function, with the group's `n`.
struct Group<'a> {
    dir: &'a Path,
    name: &'a str,
    n: Option<f64>,
    marker: Option<SystemTime>,
}

impl<'a> Group<'a> {
    fn new(dir: &'a Path, name: &'a str) -> Self {
        let (n, _, marker) = marker(dir, name);
        Self { dir, name, n, marker }
    }
    fn cell(&self, func: &str) -> Cell {
        cell(self.dir, self.name, func, self.marker)
    }
    /// The mean time divided by the group's `n` (per operation), shown like a time cell.
    fn per_n(&self, func: &str) -> Cell {
        match (self.cell(func), self.n) {
            (Cell::Ns(v), Some(n)) => Cell::Ns(v / n),
            (Cell::Stale(v), Some(n)) => Cell::Stale(v / n),
            (Cell::Ns(_) | Cell::Stale(_), None) => Cell::Missing,
            (c, _) => c,
        }
    }
    fn n_text(&self) -> String {
        self.n.map_or("?".into(), |n| format!("{n}"))
    }
}

/// `a / b` of two fresh cells, formatted with a suffix.
fn fmt_div(a: &Cell, b: &Cell, suffix: &str) -> String {
    match (a.ns(), b.ns()) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}{suffix}", a / b),
        _ => "—".into(),
    }
}

/// The tables of `benches/threads.rs`.
pub fn render_threads(dir: &Path) -> String {
    const GROUPS: [&str; 5] = [
        "threads_uncontended",
        "threads_contended",
        "threads_pingpong",
        "threads_parallel_sum",
        "threads_parallel_compute",
    ];
    if !any_results(dir, &GROUPS) {
        return "threads: no results (`cargo bench -p wasmvm-benches --bench threads`)\n".into();
    }
    let mut out = String::from("### Threads (`benches/threads.rs`)\n\n");
    let u = Group::new(dir, "threads_uncontended");
    let base = u.per_n("plain_private");
    let lp = u.per_n("loop_only");
    writeln!(
        out,
        "| one thread, n = {} iterations on one i32 | per iteration | minus the bare loop | vs plain, private memory |\n\
         | --- | --: | --: | --: |",
        u.n_text()
    )
    .unwrap();
    for (label, f) in [
        ("bare counting loop (private memory)", "loop_only"),
        ("plain load/add/store, private memory", "plain_private"),
        ("plain load/add/store, shared memory (racy-safe accesses)", "plain_shared"),
        ("`i32.atomic.rmw.add`, shared memory", "atomic_shared"),
        ("`i32.atomic.rmw.add`, private memory", "atomic_private"),
    ] {
        let c = u.per_n(f);
        let net = match (c.ns(), lp.ns()) {
            (Some(a), Some(b)) if f != "loop_only" => fmt_ns(a - b),
            _ => "—".into(),
        };
        writeln!(out, "| {label} | {} | {net} | {} |", c.show(), fmt_div(&c, &base, "×")).unwrap();
    }

    let g = Group::new(dir, "threads_contended");
    let one = g.cell("one_thread");
    writeln!(
        out,
        "\n| `i32.atomic.rmw.add`, n = {} per thread | time | per add, per thread | vs one thread |\n\
         | --- | --: | --: | --: |",
        g.n_text()
    )
    .unwrap();
    for (label, f) in [
        ("one thread", "one_thread"),
        ("two threads, same address", "same_address"),
        ("two threads, 128 bytes apart (separate cache lines)", "separate_lines"),
    ] {
        let c = g.cell(f);
        writeln!(out, "| {label} | {} | {} | {} |", c.show(), g.per_n(f).show(), fmt_div(&c, &one, "×")).unwrap();
    }

    let g = Group::new(dir, "threads_pingpong");
    out.push_str("\n| hand-off between two threads (ping-pong) | round trip |\n| --- | --: |\n");
    for (label, f) in [
        ("wasm: `memory.atomic.wait32` / `memory.atomic.notify`", "wasm_wait_notify"),
        ("wasm: 100 × `i32.atomic.load` spin, then wait32 / notify", "wasm_spin_wait"),
        ("native Rust: `Mutex` + `Condvar`", "native_condvar"),
        ("native Rust: `AtomicU32` + `thread::park` / `unpark`", "native_park"),
        ("native Rust: 100 spins, then `park` / `unpark`", "native_spin_park"),
    ] {
        writeln!(out, "| {label} | {} |", g.cell(f).show()).unwrap();
    }

    let s = Group::new(dir, "threads_parallel_sum");
    let k = Group::new(dir, "threads_parallel_compute");
    out.push_str(
        "\n| parallel kernel, split in two halves | one thread | two threads | speedup |\n| --- | --: | --: | --: |\n",
    );
    let (s1, s2) = (s.cell("one_thread"), s.cell("two_threads"));
    let (k1, k2) = (k.cell("one_thread"), k.cell("two_threads"));
    let sp = s.cell("one_thread_private");
    writeln!(
        out,
        "| sum of n = {} i32 (shared memory) | {} | {} | {} |",
        s.n_text(),
        s1.show(),
        s2.show(),
        fmt_div(&s1, &s2, "×")
    )
    .unwrap();
    writeln!(out, "| same sum, private memory (one thread) | {} | — | — |", sp.show()).unwrap();
    writeln!(
        out,
        "| ALU-only hash loop, n = {} iterations | {} | {} | {} |",
        k.n_text(),
        k1.show(),
        k2.show(),
        fmt_div(&k1, &k2, "×")
    )
    .unwrap();
    out.push_str(
        "\nTwo-thread times are wall-clock, the second thread a persistent worker woken by a channel \
         (microseconds). Speedup = one thread / two threads (2 at best).\n",
    );
    out.push_str(&loads(dir, &GROUPS));
    out
}

/// Memory cost of making the 100 modules ready, measured in a fresh process by the loader bench.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryProbe {
    pub variant: String,
    /// Growth of the process's resident set (`VmRSS`).
    pub rss_delta_kib: u64,
    /// Growth of its address space (`VmSize`): memories reserve their maximum up front.
    pub vsz_delta_kib: u64,
    /// Bytes of wasm linear memory (the sum of the memories' current sizes).
    pub wasm_memory_bytes: u64,
}

impl MemoryProbe {
    /// `probe <variant> rss_kib=.. vsz_kib=.. wasm_bytes=..`
    pub fn to_line(&self) -> String {
        format!(
            "probe {} rss_kib={} vsz_kib={} wasm_bytes={}",
            self.variant, self.rss_delta_kib, self.vsz_delta_kib, self.wasm_memory_bytes
        )
    }

    /// Parse [`to_line`](Self::to_line)'s format.
    pub fn parse(line: &str) -> Option<Self> {
        let mut f = line.strip_prefix("probe ")?.split_whitespace();
        let variant = f.next()?.to_string();
        let mut num = |k: &str| f.next()?.strip_prefix(k)?.parse().ok();
        Some(Self {
            variant,
            rss_delta_kib: num("rss_kib=")?,
            vsz_delta_kib: num("vsz_kib=")?,
            wasm_memory_bytes: num("wasm_bytes=")?,
        })
    }
}

impl std::fmt::Display for MemoryProbe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_line())
    }
}

/// Name of the loader bench's memory file (in the group's directory).
pub const MEMORY_FILE: &str = "memory.txt";

/// Write the memory probes of `group` (best effort).
pub fn write_memory_probes(group: &str, probes: &[MemoryProbe]) {
    let dir = criterion_dir().join(group);
    let text: String = probes.iter().map(|p| p.to_line() + "\n").collect();
    let _ = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(dir.join(MEMORY_FILE), text));
}

fn read_memory_probes(dir: &Path, group: &str) -> Vec<MemoryProbe> {
    std::fs::read_to_string(dir.join(group).join(MEMORY_FILE))
        .unwrap_or_default()
        .lines()
        .filter_map(MemoryProbe::parse)
        .collect()
}

/// A size in KiB, human-scaled.
fn fmt_kib(kib: u64) -> String {
    match kib {
        k if k < 1024 => format!("{k} KiB"),
        k if k < 1024 * 1024 => format!("{:.1} MiB", k as f64 / 1024.0),
        k => format!("{:.1} GiB", k as f64 / (1024.0 * 1024.0)),
    }
}

/// The tables of `benches/loader.rs`.
pub fn render_loader(dir: &Path) -> String {
    if !any_results(dir, &["loader_malloc", "loader_100_modules"]) {
        return "loader: no results (`cargo bench -p wasmvm-benches --bench loader`)\n".into();
    }
    let mut out = String::from("### Loader (`benches/loader.rs`)\n\n");
    let g = Group::new(dir, "loader_malloc");
    writeln!(
        out,
        "| malloc workload, run(n = {}) | one thread | two threads, run(n) each | 2-thread throughput | 1 thread vs dlmalloc in the loader |\n\
         | --- | --: | --: | --: | --: |",
        g.n_text()
    )
    .unwrap();
    let dl1 = g.cell("dlmalloc_1t");
    for (label, f) in [
        ("loader, main program, built-in allocator (host calls)", "builtin"),
        ("loader, main program, its own dlmalloc (2 threads: 2 address spaces)", "dlmalloc"),
        ("loader, PIC side module, built-in allocator", "side_builtin"),
        ("no loader: malloc.wasm, own dlmalloc, private memory (2 threads: 2 stores)", "private"),
    ] {
        let (a, b) = (g.cell(&format!("{f}_1t")), g.cell(&format!("{f}_2t")));
        let thr = match (a.ns(), b.ns()) {
            (Some(a), Some(b)) if b > 0.0 => format!("{:.2}×", 2.0 * a / b),
            _ => "—".into(),
        };
        writeln!(out, "| {label} | {} | {} | {thr} | {} |", a.show(), b.show(), fmt_div(&a, &dl1, "×")).unwrap();
    }
    out.push_str(
        "\n2-thread throughput = 2 × one-thread time / two-thread time (2 at best). The last column is the \
         time relative to the dlmalloc main program on one thread (below 1: faster).\n",
    );

    let g = Group::new(dir, "loader_100_modules");
    let probes = read_memory_probes(dir, "loader_100_modules");
    writeln!(
        out,
        "\n| {} copies of loader_lib | time | RSS growth | address space reserved | wasm memory |\n\
         | --- | --: | --: | --: | --: |",
        g.n_text()
    )
    .unwrap();
    for (label, f) in [
        ("one address space: loader_lib.so loaded 100 times (compiled each time)", "address_space"),
        ("100 stores: loader_lib.wasm compiled and instantiated 100 times", "separate_stores"),
        ("100 stores: loader_lib.wasm compiled once, instantiated 100 times", "separate_stores_precompiled"),
    ] {
        let (rss, vsz, wasm) = match probes.iter().find(|p| p.variant == f) {
            Some(p) => (fmt_kib(p.rss_delta_kib), fmt_kib(p.vsz_delta_kib), fmt_kib(p.wasm_memory_bytes / 1024)),
            None => ("—".into(), "—".into(), "—".into()),
        };
        writeln!(out, "| {label} | {} | {rss} | {vsz} | {wasm} |", g.cell(f).show()).unwrap();
    }
    out.push_str(
        "\nMemory columns: growth of VmRSS and VmSize of a fresh process while it makes the modules ready \
         (median of 3 processes), and the sum of the wasm memories' sizes.\n",
    );
    out.push_str(&loads(dir, &["loader_malloc", "loader_100_modules"]));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_ratios() {
        assert_eq!(fmt_ns(12.34), "12.3 ns");
        assert_eq!(fmt_ns(2_500_000.0), "2.50 ms");
        assert_eq!(ratio(&Cell::Ns(2.0), &Cell::Ns(5.0)), Some(2.5));
        assert_eq!(ratio(&Cell::Failed("x".into()), &Cell::Ns(5.0)), None);
        assert_eq!(geo_mean(&[2.0, 8.0]), Some(4.0));
        assert_eq!(geo_mean(&[]), None);
    }

    #[test]
    fn renders_empty_dir() {
        let t = render(Path::new("/nonexistent-criterion-dir"));
        assert!(t.contains("| fib | ? | — | — | — | — / — |"), "{t}");
        assert!(t.contains("| zlib (outside) | ? | — | — | — | — / — |"), "{t}");
        assert!(t.contains("| **geometric mean, outside suite** (0 workloads) | | | | **—** | |"), "{t}");
        assert!(t.contains("threads: no results"), "{t}");
        assert!(t.contains("loader: no results"), "{t}");
    }

    #[test]
    fn memory_probe_lines_round_trip() {
        let p = MemoryProbe { variant: "x".into(), rss_delta_kib: 1, vsz_delta_kib: 2, wasm_memory_bytes: 3 };
        assert_eq!(MemoryProbe::parse(&p.to_line()), Some(p));
        assert_eq!(MemoryProbe::parse("probe x rss_kib=1"), None);
        assert_eq!(fmt_kib(2048), "2.0 MiB");
    }
}
