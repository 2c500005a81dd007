#!/usr/bin/env bash
# Rebuilds the benchmark workloads (*.wasm) in this folder.
#
# Import-free reactors (fib sieve matmul sha256 switch indirect bulkmem malloc), for each X:
#   clang-19 --target=wasm32-wasi -O2 [-mbulk-memory] -c X.c -o X.o
#   clang-19 --target=wasm32-wasi -mexec-model=reactor -Wl,--no-entry -Wl,--export=run X.o -o X.wasm
#   (-mbulk-memory only for bulkmem.c)
# SQLite (imports a few WASI functions):
#   clang-19 --target=wasm32-wasi -O2 -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION \
#       -DSQLITE_OMIT_WAL -D_WASI_EMULATED_MMAN -c $SQLITE_DIR/sqlite3.c -o sqlite3.o
#   clang-19 --target=wasm32-wasi -O2 -I$SQLITE_DIR -c sqlite_bench.c -o sqlite_bench.o
#   clang-19 --target=wasm32-wasi -mexec-model=reactor -Wl,--no-entry -Wl,--export=run \
#       sqlite3.o sqlite_bench.o -lwasi-emulated-mman -o sqlite.wasm
# SQLITE_DIR is the sqlite3/ folder of the libsqlite3-sys crate (version $SQLITE_CRATE_VERSION) in the
# cargo registry; if it is not there it is fetched with a scratch cargo project. Override with
# SQLITE_DIR=/path/to/dir/with/sqlite3.c. The amalgamation itself is not committed.
#
# Linking without -O keeps the clang driver from running wasm-opt (output does not depend on binaryen,
# name section kept). Needs Debian packages clang-19 lld-19 libclang-rt-19-dev-wasm32 wasi-libc.
# Usage: ./build.sh [name...]     (default: all workloads)
set -euo pipefail
cd "$(dirname "$0")"

CC=clang-19
TARGET=--target=wasm32-wasi
REACTOR=(-mexec-model=reactor -Wl,--no-entry -Wl,--export=run)
SIMPLE=(fib sieve matmul sha256 switch indirect bulkmem malloc)
SQLITE_CRATE_VERSION=0.40.0

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

find_sqlite() {
    local home=${CARGO_HOME:-$HOME/.cargo}
    ls -d "$home"/registry/src/*/libsqlite3-sys-"$SQLITE_CRATE_VERSION"/sqlite3 2>/dev/null | head -n1
}

build_simple() {
    local name=$1 extra=()
    [[ $name == bulkmem ]] && extra=(-mbulk-memory)
    $CC $TARGET -O2 "${extra[@]}" -c "$name.c" -o "$tmp/$name.o"
    $CC $TARGET "${REACTOR[@]}" "$tmp/$name.o" -o "$name.wasm"
}

build_sqlite() {
    local dir=${SQLITE_DIR:-$(find_sqlite)}
    if [[ -z $dir || ! -f $dir/sqlite3.c ]]; then
        echo "fetching libsqlite3-sys $SQLITE_CRATE_VERSION (bundled sqlite3.c) into the cargo registry" >&2
        (cd "$tmp" && cargo new -q --name sqlfetch fetch && cd fetch &&
            cargo add -q "libsqlite3-sys@=$SQLITE_CRATE_VERSION" --features bundled && cargo fetch -q)
        dir=$(find_sqlite)
    fi
    echo "sqlite amalgamation: $dir/sqlite3.c" >&2
    $CC $TARGET -O2 -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_OMIT_WAL \
        -D_WASI_EMULATED_MMAN -c "$dir/sqlite3.c" -o "$tmp/sqlite3.o"
    $CC $TARGET -O2 -I"$dir" -c sqlite_bench.c -o "$tmp/sqlite_bench.o"
    $CC $TARGET "${REACTOR[@]}" "$tmp/sqlite3.o" "$tmp/sqlite_bench.o" -lwasi-emulated-mman -o sqlite.wasm
}

names=("$@")
[[ ${#names[@]} -eq 0 ]] && names=("${SIMPLE[@]}" sqlite)
for name in "${names[@]}"; do
    if [[ $name == sqlite ]]; then build_sqlite; else build_simple "$name"; fi
    echo "built $name.wasm ($(stat -c %s "$name.wasm") bytes)"
done
