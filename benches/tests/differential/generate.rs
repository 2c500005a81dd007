//! Module generation with wasm-smith, from a seeded [`Rng`].

use arbitrary::Unstructured;

/// SplitMix64.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Fuel of the termination global: loop iterations plus calls (plus bulk lengths) per instance.
const FUEL: u32 = 2000;

fn smith_config(rng: &mut Rng) -> wasm_smith::Config {
    wasm_smith::Config {
        // Wasm 2.0 without SIMD.
        simd_enabled: false,
        relaxed_simd_enabled: false,
        threads_enabled: false,
        shared_everything_threads_enabled: false,
        tail_call_enabled: false,
        exceptions_enabled: false,
        gc_enabled: false,
        memory64_enabled: false,
        custom_page_sizes_enabled: false,
        wide_arithmetic_enabled: false,
        extended_const_enabled: false,
        compact_imports_enabled: false,
        multi_value_enabled: true,
        bulk_memory_enabled: true,
        reference_types_enabled: true,
        sign_extension_ops_enabled: true,
        saturating_float_to_int_enabled: true,
        canonicalize_nans: true,
        // Half the modules avoid traps, so that more of their code runs.
        disallow_traps: rng.below(2) == 0,
        // No imports; everything exported.
        max_imports: 0,
        export_everything: true,
        allow_start_export: true,
        // Small.
        max_types: 12,
        max_funcs: 8,
        min_funcs: 1,
        max_globals: 8,
        max_memories: 1,
        max_tables: 2,
        max_table_elements: 64,
        table_max_size_required: true,
        max_memory32_bytes: 4 * 65536,
        memory_max_size_required: true,
        max_data_segments: 4,
        max_element_segments: 4,
        max_elements: 16,
        max_values: 6,
        max_nesting_depth: 6,
        max_instructions: [50, 100, 200, 400][rng.below(4) as usize],
        max_type_size: 100,
        ..wasm_smith::Config::default()
    }
}

pub(crate) fn generate(seed: u64) -> Option<Vec<u8>> {
    generate_with(seed, false)
}

/// Modules with fixed-width SIMD (v128 values in locals, globals, params, results, blocks; every SIMD
/// instruction wasm-smith knows). Relaxed SIMD stays off: its results may differ between engines.
pub(crate) fn generate_simd(seed: u64) -> Option<Vec<u8>> {
    generate_with(seed, true)
}

fn generate_with(seed: u64, simd: bool) -> Option<Vec<u8>> {
    let mut rng = Rng(seed ^ 0x005e_ed0f_d1ff);
    let bytes = random_bytes(&mut rng, 256, 6000);
    let config = wasm_smith::Config { simd_enabled: simd, ..smith_config(&mut rng) };
    smith(&bytes, config)
}

/// Modules with Wasm 3.0's features on top of 2.0 (GC, exception handling, tail calls, typed function
/// references, memory64, multi-memory, extended constant expressions, wide arithmetic), and fixed-width SIMD in
/// half of them; for [`crate::wasmtime`], as neither wasmi 2.0 nor tinywasm has GC or exceptions.
pub(crate) fn generate_wasm3(seed: u64) -> Option<Vec<u8>> {
    let mut rng = Rng(seed ^ 0x3_0000_5eed);
    // wasm-smith often spends its input on types and makes no function: such modules are of little use, so
    // a few tries are made for one with code.
    (0..8).find_map(|_| Some(wasm3_module(&mut rng)?).filter(|m| has_code(m)))
}

fn wasm3_module(rng: &mut Rng) -> Option<Vec<u8>> {
    // More input than for 2.0 modules: the type section takes much of it.
    let bytes = random_bytes(rng, 2048, 16384);
    let base = smith_config(rng);
    let config = wasm_smith::Config {
        gc_enabled: true,
        exceptions_enabled: true,
        tail_call_enabled: true,
        memory64_enabled: true,
        extended_const_enabled: true,
        wide_arithmetic_enabled: true,
        simd_enabled: rng.below(2) == 0,
        max_memories: 3,
        max_memory64_bytes: 4 * 65536,
        max_tags: 4,
        ..base
    };
    smith(&bytes, config)
}

/// wasm-smith's input: `min` to `min + spread - 1` random bytes.
fn random_bytes(rng: &mut Rng, min: usize, spread: u64) -> Vec<u8> {
    let len = min + rng.below(spread) as usize;
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        bytes.extend_from_slice(&rng.next().to_le_bytes());
    }
    bytes
}

fn smith(bytes: &[u8], config: wasm_smith::Config) -> Option<Vec<u8>> {
    let mut u = Unstructured::new(bytes);
    let mut module = wasm_smith::Module::new(config, &mut u).ok()?;
    module.ensure_termination(FUEL).ok()?;
    Some(module.to_bytes())
}

/// Whether a module has a code section with at least one body.
fn has_code(wasm: &[u8]) -> bool {
    fn leb(b: &[u8], at: &mut usize) -> Option<u64> {
        let mut v = 0;
        for shift in (0..64).step_by(7) {
            let byte = *b.get(*at)?;
            *at += 1;
            v |= ((byte & 0x7f) as u64) << shift;
            if byte & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
    let mut at = 8;
    while at < wasm.len() {
        let id = wasm[at];
        at += 1;
        let Some(size) = leb(wasm, &mut at) else { return false };
        let mut body = at;
        if id == 10 {
            return leb(wasm, &mut body).is_some_and(|n| n > 0);
        }
        at += size as usize;
    }
    false
}
