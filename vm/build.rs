//! Chooses the dispatch technique of the interpreter.
//!
//! wasmvm's handlers end by calling the next instruction's handler in tail position. With optimisations
//! on, LLVM turns those calls into jumps ("threaded code"), so wasm runs in constant host stack. Without
//! optimisations the calls would nest and overflow the host stack, so unoptimised builds (and the
//! `portable-dispatch` feature) use a loop that calls one handler at a time instead. The handlers are the same
//! in both modes; only the `dispatch!` macro differs.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(wasmvm_tail)");
    println!("cargo::rerun-if-env-changed=OPT_LEVEL");
    let opt = std::env::var("OPT_LEVEL").unwrap_or_default();
    let portable = std::env::var_os("CARGO_FEATURE_PORTABLE_DISPATCH").is_some();
    let miri = std::env::var_os("CARGO_CFG_MIRI").is_some();
    if (opt == "2" || opt == "3") && !portable && !miri {
        println!("cargo::rustc-cfg=wasmvm_tail");
    }
}
