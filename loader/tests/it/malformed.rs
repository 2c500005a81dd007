//! Bad input to the loader never panics: property tests that load real PIC libraries with a corrupted
//! `dylink.0` section (random payloads, flipped bytes, truncations) or corrupted anywhere. Each load must
//! return `Ok` or an error naming the module, and an address space whose load failed before running the
//! module's code must stay usable, with the other modules' memory unchanged (`hostile.rs` fuzzes the
//! memory-info fields for exactly that).

use std::sync::Arc;

use crate::common::*;
use proptest::prelude::*;
use wasmvm_loader::{AddressSpace, Error, LoadOptions, Source, SpaceConfig};

/// Byte range of the payload of the `dylink.0` custom section (after its name).
fn dylink_payload(wasm: &[u8]) -> std::ops::Range<usize> {
    fn leb(b: &[u8], at: &mut usize) -> usize {
        let (mut v, mut shift) = (0usize, 0);
        loop {
            let byte = b[*at];
            *at += 1;
            v |= ((byte & 0x7f) as usize) << shift;
            if byte & 0x80 == 0 {
                return v;
            }
            shift += 7;
        }
    }
    let mut at = 8;
    while at < wasm.len() {
        let id = wasm[at];
        at += 1;
        let size = leb(wasm, &mut at);
        let end = at + size;
        if id == 0 {
            let mut p = at;
            let n = leb(wasm, &mut p);
            if &wasm[p..p + n] == b"dylink.0" {
                return p + n..end;
            }
        }
        at = end;
    }
    panic!("no dylink.0 section")
}

/// Re-encode the module with the `dylink.0` payload replaced.
fn with_payload(wasm: &[u8], payload: &[u8]) -> Vec<u8> {
    let r = dylink_payload(wasm);
    let mut section = vec![8u8];
    section.extend_from_slice(b"dylink.0");
    section.extend_from_slice(payload);
    let mut out = wasm[..8].to_vec();
    out.push(0);
    let mut n = section.len();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        out.push(if n == 0 { byte } else { byte | 0x80 });
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&section);
    // Skip the original section: it starts at 8 (id, size, name, payload) and ends at r.end.
    out.extend_from_slice(&wasm[r.end..]);
    out
}

/// Load `bytes` as a library into a fresh space holding the C program and its libraries. The load may fail,
/// with an error naming the module; a failure before any of its code ran leaves the program as it was. A
/// corrupted module that still validates may load and run: its code can write anywhere in the shared memory
/// (as a corrupted native library could), so then only the host's survival is checked; otherwise the space
/// must still load a good library.
fn load_survives(bytes: Vec<u8>) -> Result<(), TestCaseError> {
    let (space, _out): (AddressSpace, _) = space(SpaceConfig::default());
    let mut t = space.thread().unwrap();
    let opts = LoadOptions { needed: vec!["libmid.so".into()], ..Default::default() };
    t.load_with("main.wasm", &opts).unwrap();
    let before = others_memory(&space, &t, "fuzzed.so");
    let ran_code = match t.load(Source::Bytes { name: "fuzzed.so".into(), bytes: Arc::from(bytes) }) {
        Ok(_) => true,
        Err(e) => {
            let msg = e.to_string();
            prop_assert!(msg.contains("fuzzed.so"), "error does not name the module: {msg}");
            matches!(e, Error::Vm { error: wasmvm::Error::Trap(_), .. })
        }
    };
    if !ran_code {
        // No code of the module ran wild: the other modules' memory is exactly as it was.
        prop_assert!(others_memory(&space, &t, "fuzzed.so") == before, "another module's memory changed");
    }
    let sum = t.call::<i32, i32>("base_add", 1);
    let plugin = t.load("libplugin.so");
    if !ran_code {
        prop_assert_eq!(sum.unwrap(), 11);
        plugin.unwrap();
    }
    Ok(())
}

fn libs() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("libbase.so"), Just("libmid.so")]
}

proptest! {
    // 64 cases per property by default (`PROPTEST_CASES=N` for a longer hunt).
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(64),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_dylink_payload(lib in libs(), payload in proptest::collection::vec(any::<u8>(), 0..80)) {
        load_survives(with_payload(&fixture(lib), &payload))?;
    }

    #[test]
    fn flipped_dylink_bytes(lib in libs(), flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        let wasm = fixture(lib);
        let r = dylink_payload(&wasm);
        let mut payload = wasm[r].to_vec();
        for (i, b) in flips {
            let i = i.index(payload.len());
            payload[i] ^= b | 1;
        }
        load_survives(with_payload(&wasm, &payload))?;
    }

    #[test]
    fn truncated_dylink(lib in libs(), keep in any::<prop::sample::Index>()) {
        let wasm = fixture(lib);
        let r = dylink_payload(&wasm);
        let payload = &wasm[r.clone()][..keep.index(r.len())];
        load_survives(with_payload(&wasm, payload))?;
    }

    #[test]
    fn flipped_module_bytes(lib in libs(), flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        let mut wasm = fixture(lib);
        for (i, b) in flips {
            let i = 8 + i.index(wasm.len() - 8);
            wasm[i] ^= b | 1;
        }
        load_survives(wasm)?;
    }
}

/// The helpers above rebuild a module faithfully: the unmodified payload loads and links.
#[test]
fn rebuilt_module_with_the_same_payload_loads() {
    let wasm = fixture("libmid.so");
    let same = with_payload(&wasm, &wasm[dylink_payload(&wasm)]);
    assert_eq!(same, wasm);
}
