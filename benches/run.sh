#!/usr/bin/env bash
# Run the criterion benches and print the markdown report (see benches/README.md).
#   ./benches/run.sh                        full run (workloads + startup vs wasmi, threads, loader)
#   WASMVM_BENCH_QUICK=1 ./benches/run.sh   quick look (small n, short measurements)
#   ./benches/run.sh fib                    extra arguments go to criterion (here: a name filter)
#   WASMVM_BENCHES="threads loader" ./benches/run.sh   only these benches (default: all four)
set -euo pipefail
cd "$(dirname "$0")/.."
benches=()
for b in ${WASMVM_BENCHES:-workloads startup threads loader}; do benches+=(--bench "$b"); done
cargo bench -p wasmvm-benches "${benches[@]}" -- "$@"
cargo run -q --release -p wasmvm-benches --bin report
