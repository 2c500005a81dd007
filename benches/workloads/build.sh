#!/usr/bin/env bash
# Rebuilds the benchmark workloads (*.wasm) in this folder.
#
# Import-free reactors (fib sieve matmul sha256 switch indirect bulkmem malloc tailcall), for each X:
#   clang-19 --target=wasm32-wasi -O2 [-mbulk-memory] -c X.c -o X.o
#   clang-19 --target=wasm32-wasi -mexec-model=reactor -Wl,--no-entry -Wl,--export=run X.o -o X.wasm
#   (-mbulk-memory only for bulkmem.c; -mtail-call only for tailcall.c, whose handlers use musttail)
# SIMD reactors (simd_blur simd_matmul simd_hash simd_search; wasm_simd128.h intrinsics), the same with -msimd128:
#   clang-19 --target=wasm32-wasi -O2 -msimd128 -c X.c -o X.o
#   clang-19 --target=wasm32-wasi -mexec-model=reactor -Wl,--no-entry -Wl,--export=run X.o -o X.wasm
#   Each has a scalar fallback (#ifdef __wasm_simd128__ ... #else) computing the same results:
#   `./build.sh simd-check` builds that fallback natively (gcc -O2 -ffp-contract=off, ASan+UBSan) and as
#   scalar wasm, and compares both with expected.txt (the wasm under node).
# simd_rust (Rust, core::arch::wasm32 incl. relaxed SIMD; no_std cdylib, exports _initialize and run):
#   rustc --edition 2021 --target wasm32-wasip1 --crate-type cdylib -C opt-level=3 -C debuginfo=0 \
#       -C strip=symbols -C panic=abort -C target-feature=+simd128,+relaxed-simd simd_rust/lib.rs -o simd_rust.wasm
#   simd-check also builds it natively (rustc -O, a bin whose main prints run(n) per argument) and as scalar
#   wasm (no target features), and compares both with expected.txt.
# SQLite (imports a few WASI functions):
#   clang-19 --target=wasm32-wasi -O2 -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION \
#       -DSQLITE_OMIT_WAL -D_WASI_EMULATED_MMAN -c $SQLITE_DIR/sqlite3.c -o sqlite3.o
#   clang-19 --target=wasm32-wasi -O2 -I$SQLITE_DIR -c sqlite_bench.c -o sqlite_bench.o
#   clang-19 --target=wasm32-wasi -mexec-model=reactor -Wl,--no-entry -Wl,--export=run \
#       sqlite3.o sqlite_bench.o -lwasi-emulated-mman -o sqlite.wasm
# Loader benchmark modules (benches/benches/loader.rs), built from malloc.c and loader_lib.c:
#   loader_malloc_builtin.wasm, loader_malloc_dlmalloc.wasm: malloc.c as a non-PIC main program for the loader
#       (imported shared memory and table; per-thread state: -DTHREAD_LOCAL=_Thread_local; exports
#       __stack_pointer and the TLS symbols so it can run on several threads). _builtin links
#       ../../loader/include/wasmvm_malloc.c, so malloc/free/realloc are the loader's built-in allocator (host
#       functions); _dlmalloc links wasi-libc's dlmalloc. Otherwise identical.
#         clang-19 --target=wasm32-wasi -O2 -matomics -mbulk-memory -DTHREAD_LOCAL=_Thread_local -c malloc.c
#         clang-19 --target=wasm32-wasi -O2 -I../../loader/include -c ../../loader/include/wasmvm_malloc.c
#         clang-19 --target=wasm32-wasi -nostartfiles -Wl,--no-entry -Wl,--import-memory -Wl,--import-table \
#             -Wl,--shared-memory -Wl,--max-memory=4294967296 -Wl,--no-check-features -Wl,--export=run \
#             -Wl,--export=__stack_pointer -Wl,--export=__wasm_call_ctors -Wl,--export=__wasm_init_tls \
#             -Wl,--export=__tls_size -Wl,--export=__tls_align -Wl,--export=__tls_base malloc.o [wasmvm_malloc.o]
#   loader_malloc_side.so: malloc.c as a PIC side module (malloc & co. imported from env: the built-in allocator)
#         clang-19 --target=wasm32-wasi -O2 -fPIC -fvisibility=default -matomics -mbulk-memory \
#             -DTHREAD_LOCAL=_Thread_local -c malloc.c
#         wasm-ld-19 --experimental-pic -shared --shared-memory --unresolved-symbols=import-dynamic \
#             --export=__wasm_init_tls --export=__tls_size --export=__tls_align --export=__tls_base malloc.o
#   loader_lib.so: loader_lib.c as a PIC side module (same flags, without -DTHREAD_LOCAL);
#   loader_lib.wasm: loader_lib.c as an import-free reactor (like the workloads above).
#   (-mbulk-memory turns malloc.c's memset into memory.fill, so the side module imports no libc.)
# SQLITE_DIR is the sqlite3/ folder of the libsqlite3-sys crate (version $SQLITE_CRATE_VERSION) in the
# cargo registry; if it is not there it is fetched with a scratch cargo project. Override with
# SQLITE_DIR=/path/to/dir/with/sqlite3.c. The amalgamation itself is not committed.
#
# Linking without -O keeps the clang driver from running wasm-opt (output does not depend on binaryen,
# name section kept). Needs Debian packages clang-19 lld-19 libclang-rt-19-dev-wasm32 wasi-libc.
# The outside suite (programs whose code comes from crates.io packages: C from -sys crates' bundled sources,
# Rust crates for wasm32-wasip1): `./build.sh suite [NAME...]` runs suite/build.sh (commands at its top),
# which writes suite/NAME.wasm; `./build.sh suite-check` cross-checks them natively (suite/build.sh check-native).
# Usage: ./build.sh [name...]     (default: all workloads, then loader_malloc loader_lib; not the suite)
set -euo pipefail
cd "$(dirname "$0")"

CC=clang-19
TARGET=--target=wasm32-wasi
REACTOR=(-mexec-model=reactor -Wl,--no-entry -Wl,--export=run)
SIMPLE=(fib sieve matmul sha256 switch indirect bulkmem malloc tailcall)
SIMD=(simd_blur simd_matmul simd_hash simd_search)
RUSTWASM=(rustc --edition 2021 --target wasm32-wasip1 --crate-type cdylib -C opt-level=3 -C debuginfo=0 -C strip=symbols
    -C panic=abort)
SQLITE_CRATE_VERSION=0.40.0
LOADER=(loader_malloc loader_lib)
PICFLAGS=(-O2 -fPIC -fvisibility=default -matomics -mbulk-memory)
SIDE=(--experimental-pic -shared --shared-memory --unresolved-symbols=import-dynamic --export=__wasm_init_tls
    --export=__tls_size --export=__tls_align --export=__tls_base)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

find_sqlite() {
    local home=${CARGO_HOME:-$HOME/.cargo}
    ls -d "$home"/registry/src/*/libsqlite3-sys-"$SQLITE_CRATE_VERSION"/sqlite3 2>/dev/null | head -n1
}

build_simple() {
    local name=$1 extra=()
    [[ $name == bulkmem ]] && extra=(-mbulk-memory)
    [[ $name == tailcall ]] && extra=(-mtail-call)
    [[ $name == simd_* ]] && extra=(-msimd128)
    $CC $TARGET -O2 "${extra[@]}" -c "$name.c" -o "$tmp/$name.o"
    $CC $TARGET "${REACTOR[@]}" "$tmp/$name.o" -o "$name.wasm"
}

show() { echo "built $1 ($(stat -c %s "$1") bytes)"; }

build_loader_malloc() {
    local main=(-nostartfiles -Wl,--no-entry -Wl,--import-memory -Wl,--import-table -Wl,--shared-memory
        -Wl,--max-memory=4294967296 -Wl,--no-check-features -Wl,--export=run -Wl,--export=__stack_pointer
        -Wl,--export=__wasm_call_ctors -Wl,--export=__wasm_init_tls -Wl,--export=__tls_size
        -Wl,--export=__tls_align -Wl,--export=__tls_base)
    $CC $TARGET -O2 -matomics -mbulk-memory -DTHREAD_LOCAL=_Thread_local -c malloc.c -o "$tmp/malloc_tls.o"
    $CC $TARGET -O2 -I../../loader/include -c ../../loader/include/wasmvm_malloc.c -o "$tmp/wasmvm_malloc.o"
    $CC $TARGET "${main[@]}" "$tmp/malloc_tls.o" "$tmp/wasmvm_malloc.o" -o loader_malloc_builtin.wasm
    $CC $TARGET "${main[@]}" "$tmp/malloc_tls.o" -o loader_malloc_dlmalloc.wasm
    $CC $TARGET "${PICFLAGS[@]}" -DTHREAD_LOCAL=_Thread_local -c malloc.c -o "$tmp/malloc_pic.o"
    wasm-ld-19 "${SIDE[@]}" "$tmp/malloc_pic.o" -o loader_malloc_side.so
    show loader_malloc_builtin.wasm; show loader_malloc_dlmalloc.wasm; show loader_malloc_side.so
}

build_loader_lib() {
    $CC $TARGET "${PICFLAGS[@]}" -c loader_lib.c -o "$tmp/loader_lib_pic.o"
    wasm-ld-19 "${SIDE[@]}" "$tmp/loader_lib_pic.o" -o loader_lib.so
    $CC $TARGET -O2 -c loader_lib.c -o "$tmp/loader_lib.o"
    $CC $TARGET "${REACTOR[@]/--export=run/--export=lib_run}" "$tmp/loader_lib.o" -o loader_lib.wasm
    # The same code not PIC, keeping its relocations: the loader moves it (benches/benches/reloc.rs).
    $CC $TARGET -O2 -fvisibility=default -matomics -mbulk-memory -c loader_lib.c -o "$tmp/loader_lib_nopic.o"
    $CC $TARGET -mexec-model=reactor -Wl,--emit-relocs,--import-memory,--import-table,--shared-memory \
        -Wl,--max-memory=4294967296,--no-check-features,--export-dynamic,--strip-debug "$tmp/loader_lib_nopic.o" \
        -o loader_lib_reloc.wasm
    show loader_lib.so; show loader_lib.wasm; show loader_lib_reloc.wasm
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

# The SIMD workloads' scalar fallbacks, native and as wasm, against expected.txt.
# The SIMD workloads' scalar builds (same source, no -msimd128: the #ifdef fallbacks), committed as
# NAME.scalar.wasm; the workloads bench runs them in wasmvm beside the SIMD builds.
simd_scalar() {
    local name
    for name in "${SIMD[@]}"; do
        $CC $TARGET -O2 -c "$name.c" -o "$tmp/$name.o"
        $CC $TARGET "${REACTOR[@]}" "$tmp/$name.o" -o "$name.scalar.wasm"
        show "$name.scalar.wasm"
    done
    "${RUSTWASM[@]}" simd_rust/lib.rs -o simd_rust.scalar.wasm
    show simd_rust.scalar.wasm
}

simd_check() {
    local name ns want got fail=0
    printf '%s\n' '#include <stdint.h>' '#include <stdio.h>' '#include <stdlib.h>' 'uint32_t run(uint32_t);' \
        'int main(int argc, char **argv) {' \
        '    for (int i = 1; i < argc; i++) printf("%u\n", run((uint32_t)atoi(argv[i])));' \
        '    return 0;' '}' >"$tmp/main.c"
    for name in "${SIMD[@]}" simd_rust; do
        ns=$(awk -v w="$name" '$1 == w { print $2 }' expected.txt)
        want=$(awk -v w="$name" '$1 == w { print $3 }' expected.txt)
        [[ -n $ns ]] || { echo "$name: not in expected.txt"; fail=1; continue; }
        if [[ $name == simd_rust ]]; then
            rustc --edition 2021 -O simd_rust/lib.rs -o "$tmp/$name.native"
        else
            gcc -O2 -ffp-contract=off -Wno-attributes -fsanitize=address,undefined "$tmp/main.c" "$name.c" \
                -o "$tmp/$name.native"
        fi
        got=$("$tmp/$name.native" $ns)
        if [[ $got == "$want" ]]; then
            echo "$name: native scalar build matches expected.txt"
        else
            echo "$name: native MISMATCH:" $got
            fail=1
        fi
        if [[ $name == simd_rust ]]; then
            "${RUSTWASM[@]}" simd_rust/lib.rs -o "$tmp/$name.wasm"
        else
            $CC $TARGET -O2 -c "$name.c" -o "$tmp/$name.o"
            $CC $TARGET "${REACTOR[@]}" "$tmp/$name.o" -o "$tmp/$name.wasm"
        fi
        got=$(for n in $ns; do node check-node.mjs "$tmp/$name" "$n" | cut -d' ' -f3; done)
        if [[ $got == "$want" ]]; then
            echo "$name: scalar wasm (no SIMD) under node matches expected.txt"
        else
            echo "$name: scalar wasm MISMATCH:" $got
            fail=1
        fi
    done
    return $fail
}

if [[ ${1:-} == suite ]]; then
    shift
    exec ./suite/build.sh "$@"
elif [[ ${1:-} == suite-check ]]; then
    exec ./suite/build.sh check-native
fi

names=("$@")
[[ ${#names[@]} -eq 0 ]] && names=("${SIMPLE[@]}" "${SIMD[@]}" simd_rust sqlite "${LOADER[@]}")
for name in "${names[@]}"; do
    case $name in
        sqlite) build_sqlite; show sqlite.wasm ;;
        loader_malloc) build_loader_malloc ;;
        loader_lib) build_loader_lib ;;
        simd-check) simd_check ;;
        simd-scalar) simd_scalar ;;
        simd_rust) "${RUSTWASM[@]}" -C target-feature=+simd128,+relaxed-simd simd_rust/lib.rs -o simd_rust.wasm
            show simd_rust.wasm ;;
        *) build_simple "$name"; show "$name.wasm" ;;
    esac
done
