//! Applying relocations: the new value of each relocated place, patched in place in the module's bytes.
//!
//! Values are computed from what the linker wrote there (an address or table index in the module's
//! original layout) plus how far the module moves, and checked against the symbol they name: an address
//! must fall inside the module's data, a table index inside its element segments. What a moved module
//! cannot keep (an address of something outside its data) is an error naming the symbol.

use wasmparser::RelocationType as R;

use super::parse::{Image, Reloc, Sym, SymKind, width};
use crate::error::{Error, Result};

/// Absolute symbols wasm-ld puts after the data: a moved module's heap starts (and ends) at the first page
/// boundary after its data, where its view of `memory.size` starts (emit.rs), so `[__heap_base,
/// memory.size)` is empty and only `memory.grow`'s fresh pages are ever its heap.
const HEAP_SYMBOLS: &[&str] = &["__heap_base", "__heap_end"];

/// Patch every relocation of `im` into `out` (a copy of its bytes): memory addresses move by `dm`
/// (`new base - lo`, wrapping), table indices by `dt`.
pub(crate) fn patch(im: &Image, dm: u32, dt: u32, out: &mut [u8]) -> Result<()> {
    for r in &im.relocs {
        let w = width(r.ty).expect("checked when parsed");
        let site = &mut out[r.at..r.at + w];
        let old = read(r.ty, site);
        if let Some(new) = value(im, r, old, dm, dt)? {
            write(r.ty, site, new);
        }
    }
    Ok(())
}

/// The new value of one relocated place, `None` if it does not change.
fn value(im: &Image, r: &Reloc, old: u32, dm: u32, dt: u32) -> Result<Option<u32>> {
    let sym = &im.symbols[r.sym as usize];
    match r.ty {
        R::MemoryAddrLeb | R::MemoryAddrSleb | R::MemoryAddrI32 => data_address(im, sym, old, dm).map(Some),
        R::TableIndexSleb | R::TableIndexI32 => {
            // A null function pointer (a weak function nobody defines) stays null.
            if old == 0 {
                return Ok(None);
            }
            let in_table = old >= im.table_lo && (old - im.table_lo) < im.table_len;
            if !in_table {
                return Err(Error::relocation(
                    &im.name,
                    format!("the table index {old} of function {} is outside its element segments", display(sym)),
                ));
            }
            Ok(Some(old.wrapping_add(dt)))
        }
        // Indices in the module's own index spaces, and offsets that do not change when all data moves.
        _ => Ok(None),
    }
}

/// Where the address `old` (of `sym`, plus an addend, which may point anywhere: compilers address an
/// array's elements from past its end) is once the module's data moved by `dm`.
pub(crate) fn data_address(im: &Image, sym: &Sym, old: u32, dm: u32) -> Result<u32> {
    match sym.kind {
        // A weak data symbol nobody defines: its address is 0 and stays so.
        SymKind::Data { def: None, .. } if old == 0 => Ok(0),
        // A symbol in a segment that moved with the module.
        SymKind::Data { def: Some((seg, _)), abs: false, .. }
            if im.segments.get(seg as usize).is_some_and(|s| !s.tls && s.addr.is_some()) =>
        {
            Ok(old.wrapping_add(dm))
        }
        SymKind::Data { def: Some((_, at)), abs: true, .. } => {
            let inside = at >= im.lo && at <= im.hi;
            if HEAP_SYMBOLS.contains(&sym.name.as_str()) {
                // Keep the addend: `__heap_base + k` becomes the new heap base + k.
                Ok(heap_base(im.hi.wrapping_add(dm)).wrapping_add(old.wrapping_sub(at)))
            } else if inside {
                Ok(old.wrapping_add(dm))
            } else {
                Err(Error::relocation(
                    &im.name,
                    format!(
                        "the absolute symbol {} ({at:#x}) lies outside the module's data [{:#x}, {:#x}), so it \
                         cannot move with it",
                        display(sym),
                        im.lo,
                        im.hi
                    ),
                ))
            }
        }
        SymKind::Data { .. } => Err(Error::relocation(
            &im.name,
            format!(
                "data symbol {} is not in a data segment that moves with the module (a thread-local or \
                 undefined symbol addressed absolutely)",
                display(sym)
            ),
        )),
        _ => Err(Error::relocation(
            &im.name,
            format!("a memory-address relocation names {}, which is not a data symbol", display(sym)),
        )),
    }
}

/// The heap base of a module whose data ends at `end`: the next page boundary (wrapping at 4 GiB).
pub(crate) fn heap_base(end: u32) -> u32 {
    (end as u64).next_multiple_of(wasmvm::PAGE_SIZE as u64) as u32
}

fn display(sym: &Sym) -> &str {
    if sym.name.is_empty() { "(unnamed)" } else { &sym.name }
}

fn read(ty: R, b: &[u8]) -> u32 {
    match ty {
        R::MemoryAddrSleb | R::TableIndexSleb | R::MemoryAddrTlsSleb => {
            let mut v: i64 = 0;
            for (i, x) in b.iter().enumerate() {
                v |= ((x & 0x7f) as i64) << (7 * i);
            }
            // Sign-extend from 35 bits.
            ((v << 29) >> 29) as i32 as u32
        }
        _ if b.len() == 5 => b.iter().enumerate().fold(0u64, |v, (i, x)| v | ((x & 0x7f) as u64) << (7 * i)) as u32,
        _ => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
    }
}

fn write(ty: R, b: &mut [u8], v: u32) {
    match ty {
        R::MemoryAddrSleb | R::TableIndexSleb | R::MemoryAddrTlsSleb => {
            let v = v as i32 as i64;
            for (i, x) in b.iter_mut().enumerate() {
                *x = ((v >> (7 * i)) & 0x7f) as u8 | if i < 4 { 0x80 } else { 0 };
            }
        }
        _ if b.len() == 5 => {
            let v = v as u64;
            for (i, x) in b.iter_mut().enumerate() {
                *x = ((v >> (7 * i)) & 0x7f) as u8 | if i < 4 { 0x80 } else { 0 };
            }
        }
        _ => b.copy_from_slice(&v.to_le_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_lebs_round_trip() {
        for v in [0u32, 1, 127, 128, 1024, 0x7fff_ffff, 0x8000_0000, u32::MAX] {
            for ty in [R::MemoryAddrLeb, R::MemoryAddrSleb, R::MemoryAddrI32] {
                let mut b = vec![0u8; width(ty).unwrap()];
                write(ty, &mut b, v);
                assert_eq!(read(ty, &b), v, "{ty:?} {v:#x}");
            }
        }
        // wasm-ld's encoding of 1024 as a padded SLEB.
        assert_eq!(read(R::MemoryAddrSleb, &[0x80, 0x88, 0x80, 0x80, 0x00]), 1024);
        assert_eq!(read(R::MemoryAddrSleb, &[0xff, 0xff, 0xff, 0xff, 0x7f]), u32::MAX);
    }
}
