//! The complete `wasi_snapshot_preview1` import set, and the `ENOSYS` safety net.
//!
//! [`PREVIEW1`] lists every function of preview1 with its core wasm signature (taken from the
//! imports of Debian's wasi-libc `libc.a`, plus the deprecated `proc_raise`). Every one of them is
//! implemented (`tests/it/wasi.rs` checks that none answers `ENOSYS`); [`add_stubs`] still defines any
//! name missing after registration as a function of the right type returning `ENOSYS` (52), so
//! that a name added to the list before its implementation links rather than fails.

use wasmvm::{FuncType, Linker, ValType};

use super::{Errno, MODULE};

/// Every preview1 function: name, parameter types, result types (`i` = i32, `I` = i64).
pub const PREVIEW1: &[(&str, &str, &str)] = &[
    ("args_get", "ii", "i"),
    ("args_sizes_get", "ii", "i"),
    ("environ_get", "ii", "i"),
    ("environ_sizes_get", "ii", "i"),
    ("clock_res_get", "ii", "i"),
    ("clock_time_get", "iIi", "i"),
    ("fd_advise", "iIIi", "i"),
    ("fd_allocate", "iII", "i"),
    ("fd_close", "i", "i"),
    ("fd_datasync", "i", "i"),
    ("fd_fdstat_get", "ii", "i"),
    ("fd_fdstat_set_flags", "ii", "i"),
    ("fd_fdstat_set_rights", "iII", "i"),
    ("fd_filestat_get", "ii", "i"),
    ("fd_filestat_set_size", "iI", "i"),
    ("fd_filestat_set_times", "iIIi", "i"),
    ("fd_pread", "iiiIi", "i"),
    ("fd_prestat_get", "ii", "i"),
    ("fd_prestat_dir_name", "iii", "i"),
    ("fd_pwrite", "iiiIi", "i"),
    ("fd_read", "iiii", "i"),
    ("fd_readdir", "iiiIi", "i"),
    ("fd_renumber", "ii", "i"),
    ("fd_seek", "iIii", "i"),
    ("fd_sync", "i", "i"),
    ("fd_tell", "ii", "i"),
    ("fd_write", "iiii", "i"),
    ("path_create_directory", "iii", "i"),
    ("path_filestat_get", "iiiii", "i"),
    ("path_filestat_set_times", "iiiiIIi", "i"),
    ("path_link", "iiiiiii", "i"),
    ("path_open", "iiiiiIIii", "i"),
    ("path_readlink", "iiiiii", "i"),
    ("path_remove_directory", "iii", "i"),
    ("path_rename", "iiiiii", "i"),
    ("path_symlink", "iiiii", "i"),
    ("path_unlink_file", "iii", "i"),
    ("poll_oneoff", "iiii", "i"),
    ("proc_exit", "i", ""),
    ("proc_raise", "i", "i"),
    ("sched_yield", "", "i"),
    ("random_get", "ii", "i"),
    ("sock_accept", "iii", "i"),
    ("sock_recv", "iiiiii", "i"),
    ("sock_send", "iiiii", "i"),
    ("sock_shutdown", "ii", "i"),
];

fn types(s: &str) -> Vec<ValType> {
    s.chars().map(|c| if c == 'I' { ValType::I64 } else { ValType::I32 }).collect()
}

/// The core wasm type of a preview1 function, if `name` is one.
pub fn signature(name: &str) -> Option<FuncType> {
    PREVIEW1.iter().find(|(n, ..)| *n == name).map(|(_, p, r)| FuncType::new(types(p), types(r)))
}

/// Define every preview1 function not yet in `linker` as an `ENOSYS` stub.
pub(crate) fn add_stubs<T: 'static>(linker: &mut Linker<T>) -> wasmvm::Result<()> {
    for &(name, params, results) in PREVIEW1 {
        if linker.contains(MODULE, name) {
            continue;
        }
        let ty = FuncType::new(types(params), types(results));
        linker.func_raw(MODULE, name, ty, move |_caller, slots| {
            log::debug!("wasi: {name} is not implemented (ENOSYS)");
            slots[0] = u64::from(Errno::NOSYS.0);
            Ok(())
        })?;
    }
    Ok(())
}
