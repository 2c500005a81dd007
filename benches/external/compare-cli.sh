#!/bin/sh
# Time wasmvm and wasmi (`cargo install wasmi_cli --version 2.0.0 --locked`) on modules exporting run(n), in
# interleaved pairs, whole process (user CPU seconds); then the medians and ratios (compare-cli.py).
#
# usage: compare-cli.sh ROUNDS DIR name=N... > times.txt; python3 compare-cli.py times.txt
set -eu
rounds=$1 dir=$2
shift 2
wasmvm=${WASMVM:-$(dirname "$0")/../../target/release/wasmvm}
wasmi=${WASMI:-wasmi}
for r in $(seq "$rounds"); do
  for spec in "$@"; do
    p=${spec%=*} n=${spec#*=}
    for e in wasmvm wasmi; do
      eval bin=\$$e
      t=$( { /usr/bin/time -f %U "$bin" run --invoke run "$dir/$p.wasm" "$n" > /dev/null; } 2>&1 | tail -1)
      echo "$p $e $t"
    done
  done
done
