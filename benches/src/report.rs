//! Turning criterion's results into markdown tables.
//!
//! Criterion writes `<criterion dir>/<group>/<function>/new/estimates.json`; we take the mean's point
//! estimate (ns). The workloads bench also writes `<group>/wasmvm-benches.txt` at setup (`n <n>` and,
//! if wasmvm failed the checksum, `wasmvm_error <message>`); an estimate older than that marker was not
//! measured in the latest run and is shown as stale.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::workloads::WORKLOADS;

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
    fn show(&self) -> String {
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

/// The workloads table (with geometric mean) and the startup table, as markdown.
pub fn render(dir: &Path) -> String {
    let mut out = String::new();
    let mut failures = Vec::new();
    let mut ratios = Vec::new();
    out.push_str("| workload | n | wasmvm | wasmi | wasmi/wasmvm |\n| --- | --: | --: | --: | --: |\n");
    for &w in WORKLOADS {
        let marker_path = dir.join(w).join(MARKER);
        let marker = std::fs::read_to_string(&marker_path).unwrap_or_default();
        let field = |k: &str| marker.lines().find_map(|l| l.strip_prefix(k).map(|v| v.trim().to_string()));
        let n = field("n ").unwrap_or_else(|| "?".into());
        let t = mtime(&marker_path);
        let vm = match field("wasmvm_error ") {
            Some(e) => {
                failures.push(format!("- {w}: {e}"));
                Cell::Failed(e)
            }
            None => cell(dir, w, "wasmvm", t),
        };
        let wi = cell(dir, w, "wasmi", t);
        let r = ratio(&vm, &wi);
        ratios.extend(r);
        let (vs, ws, rs) = (vm.show(), wi.show(), fmt_ratio(r));
        writeln!(out, "| {w} | {n} | {vs} | {ws} | {rs} |").unwrap();
    }
    let geo = (!ratios.is_empty()).then(|| (ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64).exp());
    let (g, k) = (fmt_ratio(geo), ratios.len());
    writeln!(out, "| **geometric mean** ({k} workloads) | | | | **{g}** |").unwrap();
    out.push_str("\nwasmi/wasmvm is the ratio of mean times per `run(n)`: above 1 means wasmvm is faster.\n");
    if !failures.is_empty() {
        out.push_str("\nwasmvm failures (workload skipped for wasmvm):\n");
        for f in &failures {
            writeln!(out, "{f}").unwrap();
        }
    }
    out.push('\n');
    out.push_str(&render_startup(dir));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_ratios() {
        assert_eq!(fmt_ns(12.34), "12.3 ns");
        assert_eq!(fmt_ns(2_500_000.0), "2.50 ms");
        assert_eq!(ratio(&Cell::Ns(2.0), &Cell::Ns(5.0)), Some(2.5));
        assert_eq!(ratio(&Cell::Failed("x".into()), &Cell::Ns(5.0)), None);
    }

    #[test]
    fn renders_empty_dir() {
        let t = render(Path::new("/nonexistent-criterion-dir"));
        assert!(t.contains("| fib | ? | — | — | — |"), "{t}");
    }
}
