#!/usr/bin/env bash
# Builds the "outside" suite (programs whose code comes from crates.io packages) into suite/NAME.wasm.
# Called by ../build.sh suite [NAME...]; usable directly: ./build.sh [NAME...] (default: all).
#
# C programs: the library sources come from the -sys crates' bundled copies in the cargo registry
# (versions below; fetched with a scratch cargo project if absent, nothing of theirs is committed). Our
# driver is NAME/driver.c (exports run). Each is built as an import-free-as-possible WASI reactor:
#   clang-19 --target=wasm32-wasi -O2 [defines] -c <library .c files> NAME/driver.c
#   clang-19 --target=wasm32-wasi -mexec-model=reactor -Wl,--no-entry -Wl,--export=run -Wl,--strip-debug *.o
# Rust programs: the cargo workspace in this folder (one cdylib crate per program, Cargo.lock committed:
# the crate versions are there), built with
#   cargo build --release --target wasm32-wasip1   (profile: opt-level 3, fat LTO, 1 codegen unit,
#   panic=abort, symbols stripped); the cdylib exports run and (crt1-reactor) _initialize.
#
# `./build.sh check-native` builds every C program natively (gcc -O2, ASan+UBSan) and every Rust one as a
# native binary (suite-native) and compares run(n) with ../expected.txt.
set -euo pipefail
cd "$(dirname "$0")"

CC=clang-19
TARGET=--target=wasm32-wasi
REACTOR=(-mexec-model=reactor -Wl,--no-entry -Wl,--export=run -Wl,--strip-debug)
C_PROGRAMS=(zlib bzip2 zstd lz4 libdeflate brotli_c lua lua_str)
# crate@version of the bundled C sources
declare -A CRATE=(
    [zlib]=libz-sys@1.1.33 [bzip2]=bzip2-sys@0.1.13+1.0.8 [zstd]=zstd-sys@2.1.3+zstd.1.5.7
    [lz4]=lz4-sys@1.11.1+lz4-1.10.0 [libdeflate]=libdeflate-sys@1.26.1 [brotli_c]=brotli-sys@0.3.2
    [lua]=lua-src@551.1.0 [lua_str]=lua-src@551.1.0
)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The registry folder of crate@version, fetched if absent.
crate_dir() {
    local name=${1%@*} version=${1#*@} home=${CARGO_HOME:-$HOME/.cargo} dir
    dir=$(ls -d "$home"/registry/src/*/"$name-$version" 2>/dev/null | head -n1)
    if [[ -z $dir ]]; then
        echo "fetching $name $version into the cargo registry" >&2
        (cd "$tmp" && rm -rf fetch && cargo new -q --lib --name suitefetch fetch && cd fetch &&
            cargo add -q "$name@=$version" && cargo fetch -q) >&2
        dir=$(ls -d "$home"/registry/src/*/"$name-$version" | head -n1)
    fi
    echo "$dir"
}

# Sources and flags of one C program: sets SRCS (library .c files), CFLAGS, DRIVER_CFLAGS, NATIVE_SRCS
# (extra sources for the native cross-check build).
c_config() {
    local name=$1 d
    d=$(crate_dir "${CRATE[$name]}")
    CFLAGS=(-O2) DRIVER_CFLAGS=() NATIVE_SRCS=()
    case $name in
        zlib) SRCS=("$d"/src/zlib/{adler32,compress,crc32,deflate,inffast,inflate,inftrees,trees,uncompr,zutil}.c)
            CFLAGS+=(-I"$d/src/zlib") ;;
        bzip2) local b="$d/bzip2-1.0.8"
            SRCS=("$b"/{blocksort,bzlib,compress,crctable,decompress,huffman,randtable}.c)
            CFLAGS+=(-I"$b" -DBZ_NO_STDIO) ;;
        zstd) local z="$d/zstd/lib"
            SRCS=("$z"/common/{entropy_common,error_private,fse_decompress,xxhash,zstd_common}.c
                "$z"/compress/{fse_compress,hist,huf_compress,zstd_compress,zstd_compress_literals}.c
                "$z"/compress/{zstd_compress_sequences,zstd_compress_superblock,zstd_double_fast,zstd_fast}.c
                "$z"/compress/{zstd_lazy,zstd_ldm,zstd_opt,zstd_preSplit}.c "$z"/decompress/{huf_decompress,zstd_ddict,zstd_decompress,zstd_decompress_block}.c)
            CFLAGS+=(-I"$z" -I"$z/common" -DZSTD_DISABLE_ASM) ;;
        lz4) local l="$d/liblz4/lib"
            SRCS=("$l"/{lz4,lz4hc}.c)
            CFLAGS+=(-I"$l") ;;
        libdeflate) local l="$d/libdeflate"
            SRCS=("$l"/lib/{adler32,crc32,deflate_compress,deflate_decompress,gzip_compress,gzip_decompress,utils}.c)
            NATIVE_SRCS=("$l/lib/x86/cpu_features.c") # natively, its x86 code paths
            CFLAGS+=(-I"$l") ;;
        brotli_c) local b="$d/brotli"
            SRCS=("$b"/common/*.c "$b"/dec/*.c "$b"/enc/*.c)
            CFLAGS+=(-I"$b/include") ;;
        lua|lua_str) local l="$d/lua-5.4.9"
            SRCS=("$l"/{lapi,lauxlib,lbaselib,lcode,lctype,ldebug,ldo,ldump,lfunc,lgc,llex,lmathlib,lmem,lobject}.c
                "$l"/{lopcodes,lparser,lstate,lstring,lstrlib,ltable,ltablib,ltm,lundump,lvm,lzio}.c)
            CFLAGS+=(-I"$l" -Ilua/include -include lua/lua_wasm.h)
            DRIVER_CFLAGS=(-Wno-c23-extensions) ;;
        *) echo "unknown C program $name" >&2; return 1 ;;
    esac
}

build_c() {
    local name=$1 objs=() s o i=0
    c_config "$name"
    for s in "${SRCS[@]}"; do
        o="$tmp/$name.$((i++)).o"
        $CC $TARGET "${CFLAGS[@]}" -w -c "$s" -o "$o"
        objs+=("$o")
    done
    $CC $TARGET "${CFLAGS[@]}" "${DRIVER_CFLAGS[@]}" -c "$name/driver.c" -o "$tmp/$name.driver.o"
    $CC $TARGET "${REACTOR[@]}" "${objs[@]}" "$tmp/$name.driver.o" -o "$name.wasm"
    echo "built $name.wasm ($(stat -c %s "$name.wasm") bytes; ${CRATE[$name]})"
}

# Rust: the workspace here (default members: every program; suite-native is for check-native only).
RUST_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/../../../target}/suite
build_rust() {
    CARGO_TARGET_DIR=$RUST_TARGET_DIR cargo build -q --release --target wasm32-wasip1 ${1:+-p "suite-${1//_/-}"}
    local name
    for name in ${1:-$(rust_programs)}; do
        cp "$RUST_TARGET_DIR/wasm32-wasip1/release/suite_$name.wasm" "$name.wasm"
        echo "built $name.wasm ($(stat -c %s "$name.wasm") bytes)"
    done
}

rust_programs() {
    local d
    for d in */Cargo.toml; do
        d=${d%/Cargo.toml}
        [[ $d == common || $d == native ]] || echo "$d"
    done
}

# Native cross-check against ../expected.txt: the C programs built for x86_64 (clang-19 -O1, ASan+UBSan, the
# same library sources and flags; no alignment check: brotli 0.6 loads unaligned words on purpose), the Rust ones through suite-native (cargo build --release -p suite-native).
check_native() {
    local name ns want got fail=0 objs s
    printf '%s\n' '#include <stdio.h>' '#include <stdlib.h>' 'unsigned run(int);' \
        'int main(int argc, char **argv) {' \
        '    for (int i = 1; i < argc; i++) printf("%u\n", run(atoi(argv[i])));' '    return 0;' '}' >"$tmp/main.c"
    CARGO_TARGET_DIR=$RUST_TARGET_DIR cargo build -q --release -p suite-native
    for name in "${C_PROGRAMS[@]}" $(rust_programs); do
        ns=$(awk -v w="$name" '$1 == w { print $2 }' ../expected.txt)
        want=$(awk -v w="$name" '$1 == w { print $3 }' ../expected.txt)
        [[ -n $ns ]] || { echo "$name: not in expected.txt"; fail=1; continue; }
        if [[ -v CRATE[$name] ]]; then
            c_config "$name"
            objs=()
            for s in "${SRCS[@]}" "${NATIVE_SRCS[@]}" "$name/driver.c"; do
                clang-19 -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-sanitize=alignment -w "${CFLAGS[@]/-O2/}" \
                    "${DRIVER_CFLAGS[@]}" -c "$s" -o "$tmp/native.${#objs[@]}.o"
                objs+=("$tmp/native.${#objs[@]}.o")
            done
            clang-19 -fsanitize=address,undefined "${objs[@]}" "$tmp/main.c" -o "$tmp/$name.native"
            got=$(ASAN_OPTIONS=detect_leaks=0 "$tmp/$name.native" $ns)
        else
            got=$("$RUST_TARGET_DIR/release/suite-native" "$name" $ns | cut -d' ' -f3)
        fi
        if [[ $name == lz4_flex && ! $got =~ (^|[[:space:]])0($|[[:space:]]) ]]; then
            # lz4_flex's compressor hashes usize-wide words (#[cfg(target_pointer_width)]), so its output on
            # a 64-bit host differs from wasm32's; run() returns 0 if a round trip fails, so nonzero is a pass.
            echo "$name: native (64-bit) round trips pass; compressed bytes differ by pointer width (not compared)"
        elif [[ $got == "$want" ]]; then
            echo "$name: native build matches expected.txt ($(echo $ns))"
        else
            echo "$name: native MISMATCH:" $got "(want" $want")"
            fail=1
        fi
    done
    return $fail
}

names=("$@")
[[ ${#names[@]} -eq 0 ]] && names=("${C_PROGRAMS[@]}" rust)
[[ ${names[0]} == check-native ]] && { check_native; exit; }
for name in "${names[@]}"; do
    if [[ -v CRATE[$name] ]]; then build_c "$name"
    elif [[ $name == rust ]]; then build_rust ""
    elif [[ -f $name/Cargo.toml ]]; then build_rust "$name"
    else echo "unknown suite program $name" >&2; exit 1
    fi
done
