//! Issue 10: what an attacker controls, fuzzed for "a clear error, or a correct result, and the other modules'
//! memory unchanged" (not only "no panic"): a real library (libplugin.so) with random `dylink.0` memory-info
//! fields, loaded next to the C program and its libraries.

use std::sync::Arc;

use crate::common::*;
use proptest::prelude::*;
use wasmvm_loader::{LoadOptions, Source, SpaceConfig};

fn check(mem_size: u32, mem_p2: u32, table_size: u32, table_p2: u32) -> Result<(), TestCaseError> {
    let (space, _out) = space(SpaceConfig::default());
    let mut t = space.thread().unwrap();
    let opts = LoadOptions { needed: vec!["libmid.so".into()], ..Default::default() };
    t.load_with("main.wasm", &opts).unwrap();
    let before = others_memory(&space, &t, "fuzzed.so");
    let modules = space.modules().len();
    let bytes = with_mem_info(&fixture("libplugin.so"), mem_size, mem_p2, table_size, table_p2);
    match t.load(Source::Bytes { name: "fuzzed.so".into(), bytes: Arc::from(bytes) }) {
        // A correct result: the library works as built.
        Ok(_) => {
            prop_assert_eq!(t.call::<i32, i32>("plugin_op", 1).unwrap(), 1101);
            prop_assert_eq!(t.call::<i32, i32>("plugin_op", 1).unwrap(), 1102);
        }
        // A clear error naming the module, and nothing left behind.
        Err(e) => {
            let msg = e.to_string();
            prop_assert!(msg.starts_with("fuzzed.so: "), "{}", msg);
            prop_assert_eq!(space.modules().len(), modules);
        }
    }
    prop_assert!(others_memory(&space, &t, "fuzzed.so") == before, "another module's memory changed");
    prop_assert_eq!(t.call::<i32, i32>("base_add", 1).unwrap(), 11);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(64),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Sizes around the real ones (libplugin.so: 12 bytes of memory, no table), alignments up to 2^20.
    #[test]
    fn mutated_mem_info(mem_size in prop_oneof![0u32..32, any::<u32>()], mem_p2 in 0u32..20,
                        table_size in prop_oneof![0u32..4, 0u32..100_000], table_p2 in 0u32..20) {
        check(mem_size, mem_p2, table_size, table_p2)?;
    }
}

/// The real values load (the property's "correct result" branch is reachable).
#[test]
fn real_mem_info_loads() {
    let wasm = fixture("libplugin.so");
    let r = wasmparser::Parser::new(0).parse_all(&wasm).find_map(|p| match p.unwrap() {
        wasmparser::Payload::CustomSection(c) if c.name() == "dylink.0" => Some(c.data().to_vec()),
        _ => None,
    });
    let d = wasmvm_loader::Dylink::parse("libplugin.so", &r.unwrap()).unwrap();
    check(d.mem_size, d.mem_p2align, d.table_size, d.table_p2align).unwrap();
}
