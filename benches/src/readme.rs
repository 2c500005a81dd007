//! The README's workload tables (our own workloads, the outside suite), regenerated from a criterion run
//! (`report --readme README.md --label "03:30 run"`): the run's times, ratios and spreads become the main
//! columns, the ratios they replace move to the first of the extra columns under their old label, and the
//! oldest extra column drops off, so a table always shows the latest runs side by side (issue 15 asks for
//! the table from one command, with the run-to-run spread).
//!
//! A group's table is the first whose header starts with [`HEADER`], has `spread` as its sixth column and
//! whose first row is one of the group's workloads; its main ratio column is headed `wasmi/wasmvm
//! (<label>)`. A row names its workload by its first word (`fib (calls)`); the `**geometric mean**` row is
//! the mean of the rows above it.

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

/// The workload a row is about: the first word of its first cell (`fib (calls)` is `fib`).
fn key(cell: &str) -> &str {
    cell.split_whitespace().next().unwrap_or("").trim_matches('`')
}

/// `readme` with a table regenerated for each group of `groups` that this run measured (any workload with a
/// ratio): the table whose first row is one of the group's workloads. Its rows up to the geometric mean are
/// the mean's; rows after it (`tailcall` in the table of our own workloads) are updated but not in the mean.
/// `label` heads the run's ratio column; at most `keep` earlier runs' ratio columns stay. Returns the text and
/// how many tables were regenerated.
pub fn merge(
    readme: &str,
    groups: &[&[(&str, Measured)]],
    label: &str,
    keep: usize,
) -> Result<(String, usize), String> {
    let mut lines: Vec<String> = readme.lines().map(str::to_string).collect();
    let mut done = 0;
    for group in groups.iter().filter(|g| g.iter().any(|(_, m)| m.ratio.is_some())) {
        let start = lines
            .iter()
            .enumerate()
            .position(|(i, l)| {
                l.starts_with(HEADER)
                    && cells(l).get(5).is_some_and(|c| c.starts_with("spread"))
                    && lines.get(i + 2).is_some_and(|r| group.iter().any(|(w, _)| *w == key(&cells(r)[0])))
            })
            .ok_or_else(|| {
                format!(
                    "no table whose header starts with `{HEADER}`, with a `spread` column, and whose first row is `{}`",
                    group[0].0
                )
            })?;
        merge_table(&mut lines, start, group, label, keep)?;
        done += 1;
    }
    let mut out = lines.join("\n");
    if readme.ends_with('\n') {
        out.push('\n');
    }
    Ok((out, done))
}

/// Regenerates the table whose header is `lines[start]` from `results`.
fn merge_table(
    lines: &mut [String],
    start: usize,
    results: &[(&str, Measured)],
    label: &str,
    keep: usize,
) -> Result<(), String> {
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
    let (mut ratios, mut rows, mut in_mean) = (Vec::new(), 0, true);
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
            in_mean = false;
        } else {
            let w = key(&old[0]);
            let (_, m) = results
                .iter()
                .find(|(name, _)| *name == w)
                .ok_or_else(|| format!("no result in this run for `{w}`"))?;
            let r = m.ratio.ok_or_else(|| format!("`{w}` has no ratio in this run"))?;
            if in_mean {
                ratios.push(r);
            }
            rows += 1;
            new.extend([old[0].clone(), m.n.clone(), m.wasmvm.show(), m.wasmi.show(), format!("{r:.2}")]);
            new.push(m.spread.clone());
            new.push(old.get(4).cloned().unwrap_or_default());
        }
        new.extend(tail);
        new.resize(width, String::new());
        lines[i] = row(&new);
        i += 1;
    }
    if rows != results.len() {
        return Err(format!("the table has {rows} workloads, the run {}", results.len()));
    }
    Ok(())
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
        let (out, n) = merge(BEFORE, &[&results], "09:00 run", 3).unwrap();
        assert_eq!(n, 1);
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
        let (out, _) = merge(BEFORE, &[&results], "09:00 run", 2).unwrap();
        assert!(out.contains("| wasmi/wasmvm (09:00 run) | spread (sd) | 03:30 run | 00:19 run |\n| --- |"), "{out}");
        assert!(out.contains("| lua | 2 | 20.00 ms | 25.00 ms | 1.25 | ±1% / ±2% | 1.33 | 1.25 |\n"), "{out}");
    }

    #[test]
    fn a_workload_missing_from_the_run_or_the_table_is_an_error() {
        let err = merge(BEFORE, &[&[("zlib", m("3", 5.0, 8.0))]], "x", 3).unwrap_err();
        assert!(err.contains("`lua`"), "{err}");
        let three = [("zlib", m("3", 5.0, 8.0)), ("lua", m("2", 20.0, 25.0)), ("png", m("3", 1.0, 2.0))];
        let err = merge(BEFORE, &[&three], "x", 3).unwrap_err();
        assert!(err.contains("2 workloads, the run 3"), "{err}");
        assert!(merge("no table\n", &[&three], "x", 3).is_err());
    }

    const TWO_TABLES: &str = "\
| workload | n | wasmvm | wasmi 2.0 | wasmi/wasmvm (12-03 run) | spread (sd) | 11-25 run |\n\
| --- | --: | --: | --: | --: | --: | --: |\n\
| fib (calls) | 30 | 24.47 ms | 50.54 ms | 2.07 |  | 1.54 |\n\
| `sieve` (loads) | 8 | 52.79 ms | 57.42 ms | 1.09 |  | 1.09 |\n\
| **geometric mean** (these two) | | | | **1.50** | | **1.30** |\n\
| tailcall (`return_call`) | 2 | 135.19 ms | 236.17 ms | 1.75 |  | 1.40 |\n\
\n\
| workload | n | wasmvm | wasmi 2.0 | wasmi/wasmvm (03:30 run) | spread (sd) | 00:19 run |\n\
| --- | --: | --: | --: | --: | --: | --: |\n\
| zlib | 3 | 5.70 ms | 7.81 ms | 1.37 | ±4% / ±4% | 1.29 |\n\
| **geometric mean** (1 program) | | | | **1.37** (1.370) | | 1.29 (1.290) |\n";

    #[test]
    fn each_group_measured_regenerates_its_table_and_rows_after_the_mean_stay_out_of_it() {
        let ours = [("fib", m("30", 10.0, 40.0)), ("sieve", m("8", 10.0, 10.0)), ("tailcall", m("2", 1.0, 9.0))];
        let outside = [("zlib", m("3", 5.0, 8.0))];
        let (out, n) = merge(TWO_TABLES, &[&ours, &outside], "05:20 run", 4).unwrap();
        assert_eq!(n, 2);
        assert!(out.starts_with("| workload | n | wasmvm | wasmi 2.0 | wasmi/wasmvm (05:20 run) | spread (sd) | 12-03 run | 11-25 run |\n"), "{out}");
        assert!(
            out.contains("| `sieve` (loads) | 8 | 10.00 ms | 10.00 ms | 1.00 | ±1% / ±2% | 1.09 | 1.09 |\n"),
            "{out}"
        );
        // sqrt(4 * 1): tailcall's 9.00 is not in the mean.
        assert!(
            out.contains("| **geometric mean** (these two) |  |  |  | **2.00** (2.000) |  | 1.50 | **1.30** |\n"),
            "{out}"
        );
        assert!(
            out.contains("| tailcall (`return_call`) | 2 | 1.00 ms | 9.00 ms | 9.00 | ±1% / ±2% | 1.75 | 1.40 |\n"),
            "{out}"
        );
        assert!(out.contains("| zlib | 3 | 5.00 ms | 8.00 ms | 1.60 | ±1% / ±2% | 1.37 | 1.29 |\n"), "{out}");
        // A group this run did not measure leaves its table alone.
        let none = [("zlib", Measured { ratio: None, ..m("3", 1.0, 1.0) })];
        let (out, n) = merge(TWO_TABLES, &[&ours, &none], "05:20 run", 4).unwrap();
        assert_eq!(n, 1);
        assert!(out.ends_with(&TWO_TABLES[TWO_TABLES.find("\n\n").unwrap()..]), "{out}");
        // A workload of the group missing from its table is an error.
        let more = [
            ("fib", m("30", 1.0, 1.0)),
            ("sieve", m("8", 1.0, 1.0)),
            ("tailcall", m("2", 1.0, 1.0)),
            ("bulkmem", m("1", 1.0, 1.0)),
        ];
        assert!(merge(TWO_TABLES, &[&more], "x", 4).unwrap_err().contains("3 workloads, the run 4"));
    }
}
