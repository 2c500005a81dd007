//! A minimal stderr backend for the `log` facade, so the runtime needs no logging crate.
//!
//! `WASMVM_LOG` picks the most verbose level shown: `off`, `error`, `warn`, `info`, `debug` or
//! `trace` (case-insensitive; unset means `warn`). `trace` shows every WASI call with its arguments
//! and result. Lines look like `[DEBUG wasmvm_runtime::run] calling _start`.

use log::{LevelFilter, Log, Metadata, Record};
use std::io::Write as _;

struct StderrLogger;

impl Log for StderrLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }
    fn log(&self, record: &Record<'_>) {
        if self.enabled(record.metadata()) {
            let _ = writeln!(std::io::stderr(), "[{} {}] {}", record.level(), record.target(), record.args());
        }
    }
    fn flush(&self) {}
}

static LOGGER: StderrLogger = StderrLogger;

/// The level named by `spec` (`None` if it names none).
pub fn parse_level(spec: &str) -> Option<LevelFilter> {
    spec.trim().parse().ok()
}

/// Install the logger with the level from `WASMVM_LOG`. Returns an error message for an unknown
/// level (the level then stays at `warn`). Calling it twice is harmless.
pub fn init_from_env() -> Result<(), String> {
    let spec = std::env::var("WASMVM_LOG").ok();
    let (level, err) = match spec.as_deref().map(|s| (s, parse_level(s))) {
        None => (LevelFilter::Warn, None),
        Some((_, Some(l))) => (l, None),
        Some((s, None)) => (
            LevelFilter::Warn,
            Some(format!("WASMVM_LOG: unknown level '{s}' (use off, error, warn, info, debug or trace)")),
        ),
    };
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(level);
    }
    err.map_or(Ok(()), Err)
}
