//! Issue 10, finding 1: library names a guest controls (`dlopen` from wasm, `NEEDED`, runtime paths) are
//! resolved only beneath the trusted search directories and the preopens, and `dlerror` says why without
//! any host detail or file content (the rules: `loader/src/search.rs`).

use std::path::PathBuf;
use std::sync::Arc;

use crate::common::*;
use wasmvm_loader::{AddressSpace, Error, LoadOptions, Source, SpaceConfig, Thread};

/// A library that does nothing (4 bytes of data).
const TINY: &str = r#"(module (@dylink.0 (mem-info (memory 4 2)))
    (import "env" "memory" (memory 1 65536 shared))
    (import "env" "__memory_base" (global i32)))"#;

/// A library that calls `dlopen(buf, RTLD_NOW)` and `dlerror()` for the test.
const PROBE: &str = r#"(module (@dylink.0 (mem-info (memory 512 4)))
    (import "env" "memory" (memory 1 65536 shared))
    (import "env" "__memory_base" (global $base i32))
    (import "wasmvm" "dlopen" (func $dlopen (param i32 i32) (result i32)))
    (import "wasmvm" "dlerror" (func $dlerror (result i32)))
    (func (export "probe_buf") (result i32) global.get $base)
    (func (export "probe_open") (result i32) global.get $base i32.const 2 call $dlopen)
    (func (export "probe_error") (result i32) call $dlerror))"#;

/// A scratch directory tree: `lib/` (the search path), `data/` (preopened as `/data`), `outside/` (a valid
/// library nobody trusts), `secret.txt` (a host file), and symlinks from `lib/` to the outside.
struct Tree(PathBuf);

impl Tree {
    fn new(tag: &str) -> Tree {
        let root = std::env::temp_dir().join(format!("wasmvm-sandbox-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for d in ["lib", "data/sub", "outside"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        let tiny = wat::parse_str(TINY).unwrap();
        std::fs::write(root.join("outside/libevil.so"), &tiny).unwrap();
        std::fs::write(root.join("lib/libgood.so"), &tiny).unwrap();
        std::fs::write(root.join("data/libdata.so"), &tiny).unwrap();
        std::fs::write(root.join("secret.txt"), b"root:x:0:0:root:/root:/bin/sh\n").unwrap();
        std::os::unix::fs::symlink(root.join("outside/libevil.so"), root.join("lib/libabs.so")).unwrap();
        std::os::unix::fs::symlink("../outside/libevil.so", root.join("lib/librel.so")).unwrap();
        std::os::unix::fs::symlink("../secret.txt", root.join("lib/libsecret.so")).unwrap();
        std::os::unix::fs::symlink("libgood.so", root.join("lib/libalias.so")).unwrap();
        std::os::unix::fs::symlink(root.join("outside"), root.join("data/out")).unwrap();
        Tree(root)
    }

    fn path(&self, p: &str) -> PathBuf {
        self.0.join(p)
    }

    fn space(&self) -> AddressSpace {
        let config = SpaceConfig { preopens: vec![("/data".into(), self.path("data"))], ..SpaceConfig::default() };
        let (space, _) = space(config);
        // `space()` puts the fixtures on the search path; this tree's lib/ comes first.
        let mut config = space.config().clone();
        config.search_path.insert(0, self.path("lib"));
        AddressSpace::with_host(space.engine(), config, wasi(space.engine(), &Output::default())).unwrap()
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn probe(t: &mut Thread) {
    let bytes = wat::parse_str(PROBE).unwrap();
    t.load(Source::Bytes { name: "probe.so".into(), bytes: Arc::from(bytes) }).unwrap();
}

/// `dlopen(name)` from wasm: the handle, and `dlerror()` (empty if none).
fn guest_dlopen(t: &mut Thread, name: &str) -> (i32, String) {
    let buf = t.call::<(), i32>("probe_buf", ()).unwrap() as u32;
    let mut bytes = name.as_bytes().to_vec();
    bytes.push(0);
    t.write(buf, &bytes).unwrap();
    let h = t.call::<(), i32>("probe_open", ()).unwrap();
    let err = t.call::<(), i32>("probe_error", ()).unwrap() as u32;
    (h, if err == 0 { String::new() } else { t.read_cstr(err).unwrap() })
}

fn refused(t: &mut Thread, tree: &Tree, name: &str) {
    let (h, err) = guest_dlopen(t, name);
    assert_eq!(h, 0, "{name} was opened");
    // The name the guest gave (quoted if empty), and nothing else: no directory, no file content.
    let shown = if name.is_empty() { "\"\"" } else { name };
    assert_eq!(err, format!("{shown}: cannot open shared object: not found"), "for {name}");
    let _ = tree;
}

#[test]
fn guest_dlopen_stays_in_the_sandbox() {
    let tree = Tree::new("dlopen");
    let space = tree.space();
    let mut t = space.thread().unwrap();
    probe(&mut t);
    // Host files: absolute paths, `..`, symlinks out of a trusted directory, directories.
    let evil = tree.path("outside/libevil.so").display().to_string();
    for name in [
        "/etc/passwd",
        evil.as_str(),
        "../outside/libevil.so",
        "libabs.so",
        "librel.so",
        "libsecret.so",
        "/data/../outside/libevil.so",
        "/data/out/libevil.so",
        "/data/sub",
        "/data",
        "libevil.so",
        "",
    ] {
        refused(&mut t, &tree, name);
    }
    assert!(space.modules().iter().all(|m| m.name != "libevil.so" && m.name != "passwd"));
    // What the sandbox allows: names in the search path (symlinks staying inside), paths in a preopen.
    for name in ["libgood.so", "libalias.so", "/data/libdata.so", "/data/sub/../libdata.so"] {
        let (h, err) = guest_dlopen(&mut t, name);
        assert!(h > 0, "{name}: {err}");
    }
}

#[test]
fn needed_names_stay_in_the_sandbox() {
    let tree = Tree::new("needed");
    let space = tree.space();
    let mut t = space.thread().unwrap();
    let evil = tree.path("outside/libevil.so").display().to_string();
    for needed in [evil.as_str(), "../outside/libevil.so", "librel.so", "/data/out/libevil.so"] {
        let lib = format!(
            r#"(module (@dylink.0 (mem-info) (needed "{needed}")) (import "env" "__memory_base" (global i32)))"#
        );
        let lib = wat::parse_str(lib).unwrap();
        let e = t.load(Source::Bytes { name: "needs.so".into(), bytes: lib.into() }).unwrap_err();
        assert!(matches!(e, Error::NotFound { .. }), "{needed}: {e}");
        assert_eq!(e.guest_message(), format!("{needed}: cannot open shared object (needed by needs.so): not found"));
    }
    // A runtime path is a guest's too: `/` is not the host's root, `$ORIGIN/..` does not climb.
    let lib = r#"(module (@dylink.0 (mem-info) (needed "libevil.so") (runtime-path "/" "$ORIGIN/../outside"))
        (import "env" "__memory_base" (global i32)))"#;
    let lib = wat::parse_str(lib).unwrap();
    std::fs::write(tree.path("lib/librpath.so"), lib).unwrap();
    let e = t.load("librpath.so").unwrap_err();
    assert_eq!(e.guest_message(), "libevil.so: cannot open shared object (needed by librpath.so): not found");
    assert!(space.modules().iter().all(|m| m.name != "libevil.so"));
    // Allowed: NEEDED paths in a preopen.
    let lib =
        r#"(module (@dylink.0 (mem-info) (needed "/data/libdata.so")) (import "env" "__memory_base" (global i32)))"#;
    t.load(Source::Bytes { name: "ok.so".into(), bytes: wat::parse_str(lib).unwrap().into() }).unwrap();
    assert!(space.modules().iter().any(|m| m.name == "libdata.so"));
}

/// The host is trusted: the embedder (and the CLI's --preload) may load any path.
#[test]
fn host_requests_are_not_sandboxed() {
    let tree = Tree::new("host");
    let space = tree.space();
    let mut t = space.thread().unwrap();
    let evil = tree.path("outside/libevil.so").display().to_string();
    t.load(evil.as_str()).unwrap();
    let opts = LoadOptions {
        needed: vec![tree.path("outside/../lib/libgood.so").display().to_string()],
        ..Default::default()
    };
    t.load_with(Source::Bytes { name: "m.so".into(), bytes: wat::parse_str(TINY).unwrap().into() }, &opts).unwrap();
    assert!(space.modules().iter().any(|m| m.name == "libgood.so"));
}
