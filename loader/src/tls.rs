//! Thread-local storage: one block per thread per module, in the two conventions toolchains use.
//!
//! - **wasm-ld** (`-matomics -mbulk-memory --shared-memory`): the module exports `__wasm_init_tls(block)`,
//!   `__tls_size`, `__tls_align` and `__tls_base` (they must be exported explicitly). Its start function
//!   `__wasm_init_memory` gives the loading thread a static block inside the module's data; every other
//!   thread gets a block from the layout ([`RegionKind::Tls`], freed when the thread ends), initialised by
//!   `__wasm_init_tls`, which also sets the instance's `__tls_base`. Thread-local exports are offsets from
//!   `__tls_base`.
//! - **Emscripten** (3.1, `-pthread -sSIDE_MODULE`): the module exports `emscripten_tls_init() -> block`,
//!   which allocates a block with `env.emscripten_builtin_memalign` (the loader's heap) and copies the
//!   initial image into it; it runs on every thread, including the loading one. The module reaches its
//!   thread-local symbols through `GOT.mem` entries, which the loader sets to this thread's addresses.
//!
//! Other modules reach a thread-local symbol through `GOT.mem` too (Emscripten's cross-module TLS): the
//! defining module is instantiated first on the thread, so its block exists.

use wasmvm::{Instance, Val};

use crate::error::{Error, Result};
use crate::layout::RegionKind;
use crate::registry::Loaded;
use crate::state::{Ctx, SpaceInner};

/// Give this thread's instance of `m` its TLS block; returns the block's address, `None` if `m` has no TLS.
pub(crate) fn setup<C: Ctx>(
    cx: &mut C,
    space: &SpaceInner,
    m: &Loaded,
    inst: Instance,
    first: bool,
) -> Result<Option<u32>> {
    if let Some(init) = inst.get_func(&*cx, "emscripten_tls_init") {
        let mut out = [Val::I32(0)];
        init.call(&mut *cx, &[], &mut out).map_err(|e| Error::vm(&m.name, e))?;
        let block = out[0].i32().unwrap_or(0) as u32;
        if block == 0 {
            return Err(Error::vm(&m.name, wasmvm::Error::Api("emscripten_tls_init returned NULL".into())));
        }
        return Ok(Some(block));
    }
    let declared = m.dylink.as_ref().is_some_and(|d| d.exports.values().any(|f| f.tls()));
    let Some(tls) = m.tls else {
        if declared {
            return Err(missing_exports(m));
        }
        return Ok(None);
    };
    // A relocated module's `__wasm_init_memory` was dropped: every thread gets a block.
    if first && m.kind != crate::registry::Kind::Relocated {
        // The static block `__wasm_init_memory` set up.
        let base = inst.get_global(&*cx, "__tls_base").and_then(|g| g.get(&*cx).ok()?.i32());
        return Ok(base.map(|b| b as u32));
    }
    let Some(init) = inst.get_func(&*cx, "__wasm_init_tls") else { return Err(missing_exports(m)) };
    let tid = cx.thread().tid;
    // Whole cache-line pairs of its own: two threads' hot thread-local variables never share a line.
    let (size, align) =
        ((tls.size as u64).next_multiple_of(THREAD_PRIVATE_ALIGN), (tls.align as u64).max(THREAD_PRIVATE_ALIGN));
    let block = space
        .alloc_region(cx, size, align, RegionKind::Tls { thread: tid, module: m.name.clone() })
        .map_err(|e| Error::layout(&m.name, format!("TLS block: {e}")))?;
    cx.thread_mut().owned.push(block);
    init.call(&mut *cx, &[Val::I32(block as i32)], &mut []).map_err(|e| Error::vm(&m.name, e))?;
    Ok(Some(block))
}

/// Alignment and size granule of per-thread regions (TLS blocks, stacks): two cache lines, the unit of
/// adjacent-line prefetching, so that no two threads' private data share one (false sharing).
pub(crate) const THREAD_PRIVATE_ALIGN: u64 = 128;

fn missing_exports(m: &Loaded) -> Error {
    Error::api(format!(
        "{}: has thread-local storage but does not export __wasm_init_tls, __tls_size and __tls_align \
         (link with --export=__wasm_init_tls --export=__tls_size --export=__tls_align --export=__tls_base)",
        m.name
    ))
}
