//! The loader's built-in host functions ("syscalls"), importable by every module under `wasmvm` and,
//! for C library names, `env`: the API of `include/wasmvm.h`.
//!
//! - `dlopen`, `dlsym`, `dlclose`, `dlerror` ([`dl`](crate::dl));
//! - `malloc`, `free`, `calloc`, `realloc`, `aligned_alloc`, `posix_memalign`, `malloc_usable_size`,
//!   `free_sized`, `free_aligned_sized` ([`alloc`](crate::alloc)); a bad pointer traps;
//!   `emscripten_builtin_memalign` (Emscripten side modules allocate TLS blocks with it);
//! - `wasmvm.log(level, ptr, len)`: a line to the host's `log` crate (target `wasmvm::guest`).
//!
//! Each is created per thread store *and importing module*, so it knows which module called it: the
//! requester of a `dlopen` (whose directory and runtime path are searched), the module named in a trap
//! or a log line. Their names and signatures are declared in [`host`](crate::host) (which the operations
//! consult when resolving imports); [`make`] creates them, reached from below through
//! `SpaceInner::builtins`.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use wasmvm::{AsContextMut, Caller, Func, Trap};

use crate::alloc::{self, HeapError};
use crate::dl::{self, GLOBAL_HANDLE, Symbol};
use crate::search::Requester;
use crate::state::{Ctx, SpaceInner, ThreadCtx, module_name, read_cstr, read_reg};
use crate::symbols::ModId;

/// WASI errno values returned by `posix_memalign`.
const EINVAL: i32 = 28;
const ENOMEM: i32 = 48;

/// A trap for a bad heap call by module `importer`.
fn heap_trap(caller: &Caller<'_, ThreadCtx>, importer: ModId, call: String, e: HeapError) -> Trap {
    let module = module_name(&caller.thread().space, importer);
    Trap::host(format!("{module}: {call}: {e}"))
}

fn malloc(caller: &mut Caller<'_, ThreadCtx>, space: &SpaceInner, importer: ModId, size: u32, align: u32) -> u32 {
    // A thread that only computes and allocates still vacates the slots of modules unloaded meanwhile (one
    // atomic load when there are none), so that their ids can be recycled.
    crate::retire::vacate_retired(caller);
    match space.heap.malloc(caller, size, align) {
        Ok(p) => p,
        Err(e) => {
            let module = module_name(space, importer);
            log::debug!("{module}: malloc({size}): {e}");
            0
        }
    }
}

fn free(
    caller: &mut Caller<'_, ThreadCtx>,
    space: &SpaceInner,
    importer: ModId,
    call: &str,
    ptr: u32,
) -> Result<(), Trap> {
    if ptr == 0 {
        return Ok(());
    }
    space.heap.free(caller, ptr).map_err(|e| heap_trap(caller, importer, format!("{call}({ptr:#x})"), e))
}

fn realloc(
    caller: &mut Caller<'_, ThreadCtx>,
    space: &SpaceInner,
    importer: ModId,
    ptr: u32,
    size: u32,
) -> Result<u32, Trap> {
    if ptr == 0 {
        return Ok(malloc(caller, space, importer, size, 16));
    }
    if size == 0 {
        free(caller, space, importer, "realloc", ptr)?;
        return Ok(0);
    }
    let usable = space
        .heap
        .usable_size(ptr)
        .map_err(|e| heap_trap(caller, importer, format!("realloc({ptr:#x}, {size})"), e))?;
    if size <= usable {
        return Ok(ptr);
    }
    let new = malloc(caller, space, importer, size, 16);
    if new == 0 {
        return Ok(0);
    }
    let mut buf = vec![0u8; usable as usize];
    space.read(&*caller, ptr as u64, &mut buf);
    space.write(caller, new as u64, &buf);
    free(caller, space, importer, "realloc", ptr)?;
    Ok(new)
}

fn log_line(caller: &Caller<'_, ThreadCtx>, importer: ModId, level: i32, ptr: u32, len: u32) -> Result<(), Trap> {
    let level = match level {
        i32::MIN..=1 => log::Level::Error,
        2 => log::Level::Warn,
        3 => log::Level::Info,
        4 => log::Level::Debug,
        _ => log::Level::Trace,
    };
    let space = &caller.thread().space;
    let mut buf = vec![0u8; len as usize];
    if !space.read(caller, ptr as u64, &mut buf) {
        return Err(Trap::host(format!("wasmvm.log: [{ptr:#x}, +{len}) is out of bounds")));
    }
    let module = module_name(space, importer);
    log::log!(target: "wasmvm::guest", level, "{module}: {}", String::from_utf8_lossy(&buf));
    Ok(())
}

fn handle_to_id(handle: i32) -> Option<ModId> {
    match handle as u32 {
        0 | GLOBAL_HANDLE => None,
        h => Some(h - 1),
    }
}

/// Create the built-in `module.name` in this thread's store, for module `importer` (`None` if there is no
/// such built-in): the `state::MakeBuiltin` every address space is given.
pub(crate) fn make(
    cx: &mut dyn AsContextMut<Data = ThreadCtx>,
    space: &Arc<SpaceInner>,
    importer: ModId,
    module: &str,
    name: &str,
) -> Option<Func> {
    crate::host::builtin_signature(module, name)?;
    match name {
        "dlopen" | "dlsym" | "dlclose" | "dlerror" => dl_func(cx, importer, name),
        "log" => Some(Func::wrap(cx, move |caller: Caller<'_, ThreadCtx>, level: i32, ptr: u32, len: u32| {
            log_line(&caller, importer, level, ptr, len)
        })),
        // Captured by the allocator functions: cloning the thread's `Arc` on every call would make all
        // threads bump one reference count, a cache line bouncing between cores on every `malloc`.
        _ => heap_func(cx, space.clone(), importer, name),
    }
}

/// `dlopen`, `dlsym`, `dlclose`, `dlerror` for wasm: handles are module ids + 1, errors go to `dlerror`.
fn dl_func(cx: &mut dyn AsContextMut<Data = ThreadCtx>, importer: ModId, name: &str) -> Option<Func> {
    Some(match name {
        "dlopen" => Func::wrap(cx, move |mut caller: Caller<'_, ThreadCtx>, path: i32, flags: i32| {
            guest_dlopen(&mut caller, importer, path, flags)
        }),
        "dlsym" => Func::wrap(cx, move |mut caller: Caller<'_, ThreadCtx>, handle: i32, sym: i32| {
            guest_dlsym(&mut caller, handle, sym)
        }),
        "dlclose" => Func::wrap(cx, move |mut caller: Caller<'_, ThreadCtx>, handle: i32| -> i32 {
            let Some(id) = handle_to_id(handle) else { return 0 };
            match dl::dlclose(&mut caller, id) {
                Ok(()) => 0,
                Err(e) => {
                    dl::set_error(&mut caller, &e);
                    -1
                }
            }
        }),
        "dlerror" => Func::wrap(cx, move |mut caller: Caller<'_, ThreadCtx>| -> i32 {
            dl::dlerror(&mut caller).unwrap_or(0) as i32
        }),
        _ => return None,
    })
}

fn guest_dlopen(caller: &mut Caller<'_, ThreadCtx>, importer: ModId, path: i32, flags: i32) -> i32 {
    if path == 0 {
        return GLOBAL_HANDLE as i32;
    }
    let Some(name) = read_cstr(caller, path as u32) else {
        dl::set_error(caller, &crate::error::Error::api("dlopen: bad path pointer"));
        return 0;
    };
    match dl::dlopen(caller, Some(importer), Requester::Guest, &name, flags) {
        Ok(id) => id as i32 + 1,
        Err(e) => {
            dl::set_error(caller, &e);
            0
        }
    }
}

fn guest_dlsym(caller: &mut Caller<'_, ThreadCtx>, handle: i32, sym: i32) -> i32 {
    let Some(sym) = read_cstr(caller, sym as u32) else {
        dl::set_error(caller, &crate::error::Error::api("dlsym: bad name pointer"));
        return 0;
    };
    match dl::dlsym(caller, handle_to_id(handle), &sym) {
        Ok(Symbol::Func { table_index }) => table_index as i32,
        Ok(Symbol::Data { addr }) => addr as i32,
        Err(e) => {
            dl::set_error(caller, &e);
            0
        }
    }
}

/// The allocator's functions, on the space's built-in heap.
fn heap_func(
    cx: &mut dyn AsContextMut<Data = ThreadCtx>,
    space: Arc<SpaceInner>,
    importer: ModId,
    name: &str,
) -> Option<Func> {
    Some(match name {
        "malloc" => Func::wrap(cx, move |mut caller: Caller<'_, ThreadCtx>, size: u32| -> u32 {
            malloc(&mut caller, &space, importer, size, 16)
        }),
        "free" => Func::wrap(cx, move |mut caller: Caller<'_, ThreadCtx>, ptr: u32| -> Result<(), Trap> {
            free(&mut caller, &space, importer, "free", ptr)
        }),
        "calloc" => Func::wrap(cx, move |mut caller: Caller<'_, ThreadCtx>, n: u32, size: u32| -> u32 {
            calloc(&mut caller, &space, importer, n, size)
        }),
        "realloc" => Func::wrap(cx, move |mut caller: Caller<'_, ThreadCtx>, ptr: u32, size: u32| {
            realloc(&mut caller, &space, importer, ptr, size)
        }),
        "aligned_alloc" | "emscripten_builtin_memalign" => {
            Func::wrap(cx, move |mut caller: Caller<'_, ThreadCtx>, align: u32, size: u32| -> u32 {
                if !align.is_power_of_two() {
                    return 0;
                }
                malloc(&mut caller, &space, importer, size, align)
            })
        }
        "posix_memalign" => {
            Func::wrap(cx, move |mut caller: Caller<'_, ThreadCtx>, out: u32, align: u32, size: u32| -> i32 {
                posix_memalign(&mut caller, &space, importer, out, align, size)
            })
        }
        "malloc_usable_size" => Func::wrap(cx, move |caller: Caller<'_, ThreadCtx>, ptr: u32| -> Result<u32, Trap> {
            if ptr == 0 {
                return Ok(0);
            }
            space
                .heap
                .usable_size(ptr)
                .map_err(|e| heap_trap(&caller, importer, format!("malloc_usable_size({ptr:#x})"), e))
        }),
        // A relocated module's own `sbrk`, interposed: a fresh block of the shared heap (successive blocks need
        // not be contiguous, as when something else also moves the break); `sbrk(0)` is the memory's size,
        // as in wasi-libc; shrinking fails.
        "sbrk" => Func::wrap(cx, move |mut caller: Caller<'_, ThreadCtx>, incr: i32| -> i32 {
            match incr {
                0 => space.mem_len(&caller).min(i32::MAX as u64) as i32,
                n if n < 0 => -1,
                n => match malloc(&mut caller, &space, importer, n as u32, 16) {
                    0 => -1,
                    p => p as i32,
                },
            }
        }),
        // A relocated module's view of the memory: `memory.size` is the end of what it was given (its data,
        // then each `memory.grow`'s pages), `memory.grow` takes fresh pages wherever the layout has them.
        "__relocated_memory_size" => Func::wrap(cx, move |_: Caller<'_, ThreadCtx>, id: u32| -> i32 {
            read_reg(&space).get(id).map_or(-1, |m| m.brk.load(Ordering::Relaxed) as i32)
        }),
        "__relocated_memory_grow" => Func::wrap(cx, move |mut caller: Caller<'_, ThreadCtx>, delta: u32, id: u32| {
            relocated_memory_grow(&mut caller, &space, delta, id)
        }),
        "free_sized" => Func::wrap(cx, move |mut caller: Caller<'_, ThreadCtx>, ptr: u32, size: u32| {
            free_checked(&mut caller, &space, importer, ptr, None, size)
        }),
        "free_aligned_sized" => {
            Func::wrap(cx, move |mut caller: Caller<'_, ThreadCtx>, ptr: u32, align: u32, size: u32| {
                free_checked(&mut caller, &space, importer, ptr, Some(align), size)
            })
        }
        _ => return None,
    })
}

/// `memory.grow(delta)` of relocated module `id`: `delta` fresh pages of its own (zeroed, recorded in the
/// layout), returned by their first page; `-1` when the memory cannot grow.
fn relocated_memory_grow(caller: &mut Caller<'_, ThreadCtx>, space: &SpaceInner, delta: u32, id: ModId) -> i32 {
    let Some(m) = read_reg(space).get(id).cloned() else { return -1 };
    if delta == 0 {
        return m.brk.load(Ordering::Relaxed) as i32;
    }
    let page = wasmvm::PAGE_SIZE as u64;
    let kind = crate::layout::RegionKind::Grown(m.name.clone());
    match space.alloc_region(caller, delta as u64 * page, page, kind) {
        Ok(at) => {
            let first = at / page as u32;
            m.brk.store(first + delta, Ordering::Relaxed);
            first as i32
        }
        Err(e) => {
            log::debug!("{}: memory.grow({delta}): {e}", m.name);
            -1
        }
    }
}

fn calloc(caller: &mut Caller<'_, ThreadCtx>, space: &SpaceInner, importer: ModId, n: u32, size: u32) -> u32 {
    let Some(total) = alloc::calloc_size(n, size) else { return 0 };
    let p = malloc(caller, space, importer, total, 16);
    if p != 0 {
        // Reused slots hold old data.
        space.zero(caller, &[(p as u64, p as u64 + total as u64)]);
    }
    p
}

fn posix_memalign(
    caller: &mut Caller<'_, ThreadCtx>,
    space: &SpaceInner,
    importer: ModId,
    out: u32,
    align: u32,
    size: u32,
) -> i32 {
    if !align.is_power_of_two() || align < 4 {
        return EINVAL;
    }
    let p = malloc(caller, space, importer, size, align);
    if p == 0 {
        return ENOMEM;
    }
    if !space.write(caller, out as u64, &p.to_le_bytes()) {
        return EINVAL;
    }
    0
}

/// `free_sized(ptr, size)` (`align` `None`: the default 16) or `free_aligned_sized(ptr, align, size)`:
/// the size and alignment must describe the allocation.
fn free_checked(
    caller: &mut Caller<'_, ThreadCtx>,
    space: &SpaceInner,
    importer: ModId,
    ptr: u32,
    align: Option<u32>,
    size: u32,
) -> Result<(), Trap> {
    if ptr == 0 {
        return Ok(());
    }
    let call = match align {
        None => format!("free_sized({ptr:#x}, {size})"),
        Some(align) => format!("free_aligned_sized({ptr:#x}, {align}, {size})"),
    };
    space.heap.check_size(ptr, size, align.unwrap_or(16)).map_err(|e| heap_trap(caller, importer, call.clone(), e))?;
    free(caller, space, importer, &call, ptr)
}
