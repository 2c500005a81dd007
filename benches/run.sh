#!/usr/bin/env bash
# Run the wasmvm-vs-wasmi criterion benches and print the markdown report (see benches/README.md).
#   ./benches/run.sh                        full run (bench n, ~5 minutes)
#   WASMVM_BENCH_QUICK=1 ./benches/run.sh   quick look (small n, short measurements)
#   ./benches/run.sh fib                    extra arguments go to criterion (here: a name filter)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p wasmvm-benches --bench workloads --bench startup -- "$@"
cargo run -q --release -p wasmvm-benches --bin report
