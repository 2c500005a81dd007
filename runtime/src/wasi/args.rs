//! Program arguments and environment: `args_get`, `args_sizes_get`, `environ_get`,
//! `environ_sizes_get`.
//!
//! Both lists use the same layout: the `*_sizes_get` call reports the entry count and the total
//! size of the NUL-terminated strings; the `*_get` call writes the strings back to back into
//! `buf` and a pointer to each into the array at `ptrs`.

use super::mem::{Env, at};
use super::{Errno, WasiResult};

/// Which list of strings.
#[derive(Clone, Copy)]
pub(crate) enum List {
    Args,
    Environ,
}

fn list(env: &mut dyn Env, which: List) -> Vec<Vec<u8>> {
    let ctx = env.ctx();
    match which {
        List::Args => ctx.args().to_vec(),
        List::Environ => ctx.env().to_vec(),
    }
}

/// `*_sizes_get(count_ptr, buf_size_ptr)`.
pub(crate) fn sizes_get(env: &mut dyn Env, which: List, count_ptr: u32, size_ptr: u32) -> WasiResult {
    let items = list(env, which);
    let count = u32::try_from(items.len()).map_err(|_| Errno::OVERFLOW)?;
    let size: usize = items.iter().map(|s| s.len() + 1).sum();
    let size = u32::try_from(size).map_err(|_| Errno::OVERFLOW)?;
    env.write_u32(at(count_ptr, 0), count)?;
    env.write_u32(at(size_ptr, 0), size)
}

/// `*_get(ptrs, buf)`.
pub(crate) fn get(env: &mut dyn Env, which: List, ptrs: u32, buf: u32) -> WasiResult {
    let items = list(env, which);
    let mut bytes = Vec::new();
    let mut table = Vec::with_capacity(items.len() * 4);
    for item in &items {
        let addr = at(buf, bytes.len() as u64);
        table.extend_from_slice(&u32::try_from(addr).map_err(|_| Errno::OVERFLOW)?.to_le_bytes());
        bytes.extend_from_slice(item);
        bytes.push(0);
    }
    env.check(at(ptrs, 0), table.len() as u64)?;
    env.check(at(buf, 0), bytes.len() as u64)?;
    env.write(at(ptrs, 0), &table)?;
    env.write(at(buf, 0), &bytes)
}
