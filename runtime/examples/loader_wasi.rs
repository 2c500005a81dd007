//! The loader with WASI, from Rust: a main program built with wasi-libc and its shared libraries in one
//! address space, the program's `printf` going through this crate's WASI host, a second thread running
//! program code, and a plugin loaded while the program runs.
//!
//! `cargo run --release -p wasmvm-runtime --example loader_wasi [DIR]` runs it on the loader's test fixtures
//! (`loader/tests/fixtures`: `main.wasm`, which needs `libmid.so` and, through it, `libbase.so`; and
//! `libplugin.so`), or on the same files in DIR. `cargo test -p wasmvm-runtime --example loader_wasi` runs
//! it and checks its output. `loader/README.md` shows the same code.
//!
//! The glue between the two crates is one closure: WASI functions find their [`WasiCtx`] in the user data
//! of the loader thread that calls them ([`ThreadCtx::user_mut`]), so every thread that runs WASI code is
//! created with [`AddressSpace::thread_with`] or [`AddressSpace::spawn_thread_with`] and a clone of the
//! context (clones share the descriptors, as the threads of a process do).

use std::io::Write;
use std::path::{Path, PathBuf};

use wasmvm::{Engine, Linker};
use wasmvm_loader::dl::{RTLD_GLOBAL, RTLD_NOW};
use wasmvm_loader::{AddressSpace, LoadOptions, SpaceConfig, ThreadCtx};
use wasmvm_runtime::wasi::{self, WasiCtx};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Load `dir/main.wasm` with its libraries, run it with `stdout` as its standard output, then use the
/// address space from Rust. Returns the program's exit status and what the Rust side found.
fn run(dir: &Path, stdout: impl Write + Send + 'static) -> Result<(i32, String), BoxError> {
    let engine = Engine::default();
    // The host functions every module of the space may import: here all of WASI preview1.
    let mut wasi_linker = Linker::<ThreadCtx>::new(&engine);
    wasi::add_to_linker(&mut wasi_linker, |t: &mut ThreadCtx| {
        t.user_mut::<WasiCtx>().expect("threads that run WASI code carry a WasiCtx")
    })?;
    let config = SpaceConfig { search_path: vec![dir.to_path_buf()], ..Default::default() };
    let space = AddressSpace::with_host(&engine, config, wasi_linker)?;
    let wasi = WasiCtx::builder().arg("main.wasm").stdout(stdout).build();

    let mut main = space.thread_with(wasi.clone())?; // this OS thread's store
    // main.wasm is not position independent, so it has no NEEDED list: name its library here.
    main.load_with("main.wasm", &LoadOptions { needed: vec!["libmid.so".into()], ..Default::default() })?;
    // `_start` ends with `exit(main())`: WASI's proc_exit unwinds as a trap carrying the status.
    let status = match main.call::<(), ()>("_start", ()) {
        Ok(()) => 0,
        Err(e) => match &e {
            wasmvm_loader::Error::Vm { error: wasmvm::Error::Trap(t), .. } => t.exit_status().ok_or(e)?,
            _ => return Err(e.into()),
        },
    };
    wasi.flush();

    // Another OS thread with its own store, stack and TLS blocks; instances are created on first use.
    let h = space.spawn_thread_with(wasi.clone(), |t| t.call::<i32, i32>("worker", 1))?;
    let from_thread = h.join()??;
    // A library loaded now is visible to every thread at once.
    let plugin = main.dlopen("libplugin.so", RTLD_NOW | RTLD_GLOBAL)?;
    let op = main.call::<i32, i32>("plugin_op", 2)?;
    main.dlclose(plugin)?;

    let mut summary =
        format!("exit status {status}; worker(1) on another thread = {from_thread}; plugin_op(2) = {op}\n");
    for m in space.modules() {
        summary.push_str(&format!("  {} at {:#x}, {} bytes\n", m.name, m.memory_base, m.mem_size));
    }
    Ok((status, summary))
}

/// The loader's test fixtures.
fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../loader/tests/fixtures")
}

fn main() -> Result<(), BoxError> {
    let dir = std::env::args_os().nth(1).map(PathBuf::from).unwrap_or_else(fixtures);
    let (status, summary) = run(&dir, std::io::stdout())?;
    print!("{summary}");
    std::process::exit(status)
}

#[cfg(test)]
mod tests {
    /// The program's output went through WASI into the pipe; the Rust side's calls worked.
    #[test]
    fn runs_on_the_loader_fixtures() {
        let pipe = wasmvm_runtime::wasi::OutputPipe::new();
        let (status, summary) = super::run(&super::fixtures(), pipe.clone()).unwrap();
        assert_eq!(status, 0);
        // libbase's thread-local counter on the new thread, then libmid's operator; the plugin uses libbase.
        assert!(summary.starts_with("exit status 0; worker(1) on another thread = 3101; plugin_op(2) = 2201\n"));
        assert!(summary.contains("  main.wasm at 0x0,") && summary.contains("  libbase.so at 0x"), "{summary}");
        // The plugin was unloaded again.
        assert!(!summary.contains("libplugin.so"), "{summary}");
        let text = String::from_utf8(pipe.contents()).unwrap();
        assert!(text.starts_with("ctor libbase: base_value=10\nctor libmid: base_name=base"), "{text}");
        assert!(text.contains("main: ctor ran=1\nmain: base_value=10 base_add(1)=11\n"), "{text}");
        assert!(text.ends_with("main: malloc -> 0x80000, usable 1024\n"), "{text}");
    }
}
