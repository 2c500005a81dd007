//! The README's outside-suite table, regenerated from a criterion run (`report --readme README.md --label
//! "03:30 run"`): the run's times, ratios and spreads become the main columns, the ratios they replace move
//! to the first of the extra columns under their old label, and the oldest extra column drops off, so the
//! table always shows the latest runs side by side (issue 15 asks for the table from one command, with the
//! run-to-run spread).
//!
//! The table is the first whose header starts with [`HEADER`] and has `spread` as its sixth column; its main
//! ratio column is headed `wasmi/wasmvm (<label>)`. Every row but the last names a workload of the outside suite; the last is the
//! geometric mean.

use crate::report::{Measured, geo_mean};

/// The first columns of the table's header.
pub const HEADER: &str = "| workload | n | wasmvm | wasmi 2.0 | wasmi/wasmvm";

/// The cells of a markdown table row.
fn cells(line: &str) -> Vec<String> {
    line.trim().trim_start_matches('|').trim_end_matches('|').split('|').map(|c| c.trim().to_string()).collect()
}

fn row(cells: &[String]) -> String {
    format!("| {} |", cells.join(" | "))
}

/// `readme` with its outside-suite table replaced by `results` (workload name, its row of the run) labelled
/// `label`, keeping at most `keep` earlier runs' ratio columns.
pub fn merge(readme: &str, results: &[(&str, Measured)], label: &str, keep: usize) -> Result<String, String> {
    let mut lines: Vec<String> = readme.lines().map(str::to_string).collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with(HEADER) && cells(l).get(5).is_some_and(|c| c.starts_with("spread")))
        .ok_or_else(|| format!("no table whose header starts with `{HEADER}` and has a `spread` column"))?;
    let header = cells(&lines[start]);
    // The main ratio column's label, e.g. `wasmi/wasmvm (03:30 run)`: it heads the first extra column now.
    let old_label = header[4].strip_prefix("wasmi/wasmvm").unwrap_or("").trim().trim_start_matches('(');
    let old_label = match old_label.trim_end_matches(')') {
        "" => "previous run".to_string(),
        l => l.to_string(),
    };
    let extras: Vec<String> = header[6..].iter().take(keep.saturating_sub(1)).cloned().collect();
    let kept = extras.len();
    let mut new_header = header[..4].to_vec();
    new_header.push(format!("wasmi/wasmvm ({label})"));
    new_header.push(header[5].clone());
    new_header.push(old_label);
    new_header.extend(extras);
    let width = new_header.len();
    lines[start] = row(&new_header);
    lines[start + 1] = row(&[vec!["---".to_string()], vec!["--:".to_string(); width - 1]].concat());
    let mut ratios = Vec::new();
    let mut i = start + 2;
    while i < lines.len() && lines[i].starts_with('|') {
        let old = cells(&lines[i]);
        let tail: Vec<String> = old.iter().skip(6).take(kept).cloned().collect();
        let mut new = Vec::with_capacity(width);
        if old[0].starts_with("**geometric mean**") {
            let g = geo_mean(&ratios).ok_or("no ratios in this run")?;
            new.extend([old[0].clone(), String::new(), String::new(), String::new()]);
            new.push(format!("**{g:.2}** ({g:.3})"));
            new.push(String::new());
            new.push(old.get(4).map_or(String::new(), |c| c.replace("**", "")));
        } else {
            let (_, m) = results
                .iter()
                .find(|(name, _)| *name == old[0])
                .ok_or_else(|| format!("no result in this run for `{}`", old[0]))?;
            let r = m.ratio.ok_or_else(|| format!("`{}` has no ratio in this run", old[0]))?;
            ratios.push(r);
            new.extend([old[0].clone(), m.n.clone(), m.wasmvm.show(), m.wasmi.show(), format!("{r:.2}")]);
            new.push(m.spread.clone());
            new.push(old.get(4).cloned().unwrap_or_default());
        }
        new.extend(tail);
        new.resize(width, String::new());
        lines[i] = row(&new);
        i += 1;
    }
    if ratios.len() != results.len() {
        return Err(format!("the table has {} workloads, the run {}", ratios.len(), results.len()));
    }
    let mut out = lines.join("\n");
    if readme.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Cell;

    fn m(n: &str, vm_ms: f64, wasmi_ms: f64) -> Measured {
        let (a, b) = (Cell::Ns(vm_ms * 1e6), Cell::Ns(wasmi_ms * 1e6));
        Measured { n: n.into(), ratio: Some(wasmi_ms / vm_ms), wasmvm: a, wasmi: b, spread: "±1% / ±2%".into() }
    }

    const BEFORE: &str = "intro\n\
| workload | n | wasmvm | wasmi 2.0 | wasmi/wasmvm | 12-03 run |\n\
| --- | --: | --: | --: | --: | --: |\n\
| fib | 30 | 24.47 ms | 50.54 ms | 2.07 | 1.54 |\n\
\n\
| workload | n | wasmvm | wasmi 2.0 | wasmi/wasmvm (03:30 run) | spread (sd) | 00:19 run | 00:34 run |\n\
| --- | --: | --: | --: | --: | --: | --: | --: |\n\
| zlib | 3 | 5.70 ms | 7.81 ms | 1.37 | ±4% / ±4% | 1.29 | 1.35 |\n\
| lua | 2 | 23.85 ms | 31.82 ms | 1.33 | ±3% / ±8% | 1.25 | 1.31 |\n\
| **geometric mean** (2 programs) | | | | **1.35** (1.350) | | 1.27 (1.270) | 1.33 (1.330) |\n\
\n\
after\n";

    #[test]
    fn the_run_becomes_the_main_columns_and_the_old_ratio_moves_right() {
        let results = [("zlib", m("3", 5.0, 8.0)), ("lua", m("2", 20.0, 25.0))];
        let out = merge(BEFORE, &results, "09:00 run", 3).unwrap();
        let want = "intro\n\
| workload | n | wasmvm | wasmi 2.0 | wasmi/wasmvm | 12-03 run |\n\
| --- | --: | --: | --: | --: | --: |\n\
| fib | 30 | 24.47 ms | 50.54 ms | 2.07 | 1.54 |\n\
\n\
| workload | n | wasmvm | wasmi 2.0 | wasmi/wasmvm (09:00 run) | spread (sd) | 03:30 run | 00:19 run | 00:34 run |\n\
| --- | --: | --: | --: | --: | --: | --: | --: | --: |\n\
| zlib | 3 | 5.00 ms | 8.00 ms | 1.60 | ±1% / ±2% | 1.37 | 1.29 | 1.35 |\n\
| lua | 2 | 20.00 ms | 25.00 ms | 1.25 | ±1% / ±2% | 1.33 | 1.25 | 1.31 |\n\
| **geometric mean** (2 programs) |  |  |  | **1.41** (1.414) |  | 1.35 (1.350) | 1.27 (1.270) | 1.33 (1.330) |\n\
\n\
after\n";
        assert_eq!(out, want);
        // Keeping two earlier runs drops the oldest column.
        let out = merge(BEFORE, &results, "09:00 run", 2).unwrap();
        assert!(out.contains("| wasmi/wasmvm (09:00 run) | spread (sd) | 03:30 run | 00:19 run |\n| --- |"), "{out}");
        assert!(out.contains("| lua | 2 | 20.00 ms | 25.00 ms | 1.25 | ±1% / ±2% | 1.33 | 1.25 |\n"), "{out}");
    }

    #[test]
    fn a_workload_missing_from_the_run_or_the_table_is_an_error() {
        let err = merge(BEFORE, &[("zlib", m("3", 5.0, 8.0))], "x", 3).unwrap_err();
        assert!(err.contains("`lua`"), "{err}");
        let three = [("zlib", m("3", 5.0, 8.0)), ("lua", m("2", 20.0, 25.0)), ("png", m("3", 1.0, 2.0))];
        let err = merge(BEFORE, &three, "x", 3).unwrap_err();
        assert!(err.contains("2 workloads, the run 3"), "{err}");
        assert!(merge("no table\n", &three, "x", 3).is_err());
    }
}
