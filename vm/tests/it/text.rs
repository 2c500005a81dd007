//! Modules in the text format: `Module::new` and `Module::from_file` accept `.wat`; `Module::from_binary`
//! refuses it and says so.

use wasmvm::{Engine, Error, Linker, Module, Store};

const WAT: &str =
    r#"(module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))"#;

#[test]
fn text_modules_compile_and_run() {
    let engine = Engine::default();
    let dir = tempfile_dir();
    let path = dir.join("add.wat");
    std::fs::write(&path, WAT).unwrap();
    for module in [Module::new(&engine, WAT.as_bytes()).unwrap(), Module::from_file(&engine, &path).unwrap()] {
        let mut store = Store::new(&engine, ());
        let inst = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
        let add = inst.get_func(&store, "add").unwrap().typed::<(i32, i32), i32>(&store).unwrap();
        assert_eq!(add.call(&mut store, (40, 2)).unwrap(), 42);
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bad_magic_says_whether_it_looked_like_text() {
    let engine = Engine::default();
    let e = Module::from_binary(&engine, WAT.as_bytes()).unwrap_err();
    assert!(matches!(e, Error::Malformed(_)), "{e}");
    assert!(e.to_string().contains("bad magic number; it looks like the text format (.wat)"), "{e}");
    let e = Module::from_binary(&engine, b"\x7fELF\x02\x01").unwrap_err();
    assert!(e.to_string().ends_with("bad magic number"), "{e}");
    // Text with a syntax error is reported as such, with its position.
    let e = Module::new(&engine, b"(module (func (export \"f\") (i32.add)").unwrap_err();
    assert!(e.to_string().contains("text format"), "{e}");
    // A missing file names the file.
    let e = Module::from_file(&engine, "/nonexistent/x.wasm").unwrap_err();
    assert!(e.to_string().contains("/nonexistent/x.wasm"), "{e}");
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("wasmvm-text-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
