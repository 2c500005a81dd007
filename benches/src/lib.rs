//! # wasmvm-benches — shared code of the benchmarks, the checksum tests and the report tool
//!
//! - [`workloads`]: the committed C workloads (`workloads/*.wasm`) and their expected checksums
//!   (`workloads/expected.txt`), plus the quick/full mode switch (`WASMVM_BENCH_QUICK`).
//! - [`vm`]: a workload instantiated in wasmvm, ready for `run(n)` (with trapping WASI stubs for
//!   sqlite's imports).
//! - [`report`]: reads criterion's `estimates.json` files and prints the wasmvm-vs-wasmi tables and the
//!   threads and loader tables.
//! - [`worker`]: a persistent helper thread for the multi-threaded benches (`threads`, `loader`).
//!
//! wasmi is only a dev-dependency: its side lives in `benches/common/`, shared by the benches.

pub mod readme;
pub mod report;
pub mod vm;
pub mod worker;
pub mod workloads;
