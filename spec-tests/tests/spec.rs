//! One test per official `.wast` file (wasm-v1, wasm-v2 and the enabled proposals), run with libtest-mimic
//! so that `cargo test` names the file that fails.

use libtest_mimic::{Arguments, Failed, Trial};
#[path = "support/suites.rs"]
mod suites;

use suites::suites;

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    for suite in suites() {
        // The GC scripts run twice: the second time (`gc-stress/`) the collector runs at every allocation,
        // so an object freed while wasm can still reach it shows up as a failure.
        let stress = suite.name == "proposals/gc";
        let runs = suite.files.iter().flat_map(|f| {
            let plain = format!("{}/{}", suite.name, f.name());
            let stressed = stress.then(|| format!("gc-stress/{plain}"));
            [Some((plain, f.raw())), stressed.map(|n| (n, f.raw()))].into_iter().flatten()
        });
        for (name, text) in runs.collect::<Vec<_>>() {
            trials.push(Trial::test(name.clone(), move || {
                let report = wasmvm_spec::run_wast(&name, text);
                if report.failures.is_empty() {
                    Ok(())
                } else {
                    Err(Failed::from(format!(
                        "{} passed, {} failed:\n{}",
                        report.passed,
                        report.failures.len(),
                        report.failures.join("\n")
                    )))
                }
            }));
        }
    }
    for &(file, text) in suites::OWN_SCRIPTS {
        let name = format!("wasmvm/{file}");
        trials.push(Trial::test(name.clone(), move || {
            // Litmus tests: repeat to give races a chance to show.
            for _ in 0..20 {
                let report = wasmvm_spec::run_wast(&name, text);
                if !report.failures.is_empty() {
                    return Err(Failed::from(report.failures.join("\n")));
                }
            }
            Ok(())
        }));
    }
    libtest_mimic::run(&args, trials).exit();
}
