//! Step 5: dlopen/dlsym/dlclose/dlerror from wasm (include/wasmvm.h) and from Rust.

use crate::common::*;
use wasmvm_loader::dl::{RTLD_GLOBAL, RTLD_NOW};
use wasmvm_loader::{LoadOptions, SpaceConfig, Symbol};

fn load_main(t: &mut wasmvm_loader::Thread) {
    let opts = LoadOptions { needed: vec!["libmid.so".into()], ..Default::default() };
    t.load_with("main.wasm", &opts).unwrap();
}

#[test]
fn dlfcn_from_c() {
    let (space, out) = space(SpaceConfig::default());
    let mut t = space.thread().unwrap();
    load_main(&mut t);
    assert_eq!(t.call::<(), i32>("dl_demo", ()).unwrap(), 0);
    assert_eq!(
        out.text(),
        format!(
            "ctor libbase: base_value=10\n\
             ctor libmid: base_name=base base_ctor_runs=1\n\
             dl: plugin_op(1)=1101 plugin_op(2)=1202 ready=42 calls=2\n\
             dl: same handle 1, same op 1\n\
             dl: missing symbol: 0 undefined symbol: no_such_symbol (in libplugin.so)\n\
             dl: dlerror again: (null)\n\
             dl: missing library: 0 libnothere.so: cannot open shared object: not found\n\
             dl: dlclose 0 0, still loaded 0\n\
             dl: reopen: error\n"
        )
    );
    // Unloaded: gone from the module list and the global scope; its memory is free again.
    assert!(space.modules().iter().all(|m| m.name != "libplugin.so"));
    assert_eq!(
        t.symbol(None, "plugin_op").unwrap_err().to_string(),
        "undefined symbol: plugin_op (in the global scope)"
    );
    assert!(space.regions().iter().all(|r| r.kind != wasmvm_loader::RegionKind::Module("libplugin.so".into())));
}

#[test]
fn dlclose_leaves_function_pointers_trapping() {
    let (space, _) = space(SpaceConfig::default());
    let mut t = space.thread().unwrap();
    load_main(&mut t);
    let plugin = t.dlopen("libplugin.so", RTLD_NOW | RTLD_GLOBAL).unwrap();
    let Symbol::Func { table_index } = t.symbol(Some(plugin), "plugin_op").unwrap() else { panic!() };
    assert_eq!(t.call::<(i32, i32), i32>("call_ptr", (table_index as i32, 1)).unwrap(), 1101);
    t.dlclose(plugin).unwrap();
    let e = t.call::<(i32, i32), i32>("call_ptr", (table_index as i32, 1)).unwrap_err();
    assert_eq!(e.to_string(), "call_ptr: trap: call to a function of unloaded module libplugin.so");
    assert_eq!(t.dlclose(plugin).unwrap_err().to_string(), "dlclose: invalid handle");
    // Loading it again gives a new module in the recycled slot (this thread, the only one that had an
    // instance, vacated it); constructors run again.
    let again = t.load("libplugin.so").unwrap();
    assert_eq!(again, plugin);
    assert_eq!(t.call::<i32, i32>("plugin_op", 1).unwrap(), 1101);
    // The old pointer's table slot is quarantined (free slots are left): it still traps, and the new
    // module's function has another pointer.
    let Symbol::Func { table_index: new_index } = t.symbol(Some(again), "plugin_op").unwrap() else { panic!() };
    assert_ne!(new_index, table_index);
    let e = t.call::<(i32, i32), i32>("call_ptr", (table_index as i32, 1)).unwrap_err();
    assert_eq!(e.to_string(), "call_ptr: trap: call to a function of unloaded module libplugin.so");
    assert_eq!(t.call::<(i32, i32), i32>("call_ptr", (new_index as i32, 1)).unwrap(), 1102);
}

#[test]
fn libraries_in_use_stay_loaded() {
    let (space, _) = space(SpaceConfig::default());
    let mut t = space.thread().unwrap();
    load_main(&mut t);
    // libbase.so is a dependency of the program: opening and closing it leaves it loaded.
    let base = t.dlopen("libbase.so", RTLD_NOW).unwrap();
    t.dlclose(base).unwrap();
    assert!(space.modules().iter().any(|m| m.name == "libbase.so"));
    assert_eq!(t.dlclose(base).unwrap_err().to_string(), "dlclose: libbase.so was not opened");
    // A plugin and a module using it: closing the plugin's handle keeps it while the user is loaded.
    let plugin = t.dlopen("libplugin.so", RTLD_NOW | RTLD_GLOBAL).unwrap();
    let user = wat::parse_str(
        r#"(module (@dylink.0 (mem-info))
        (import "env" "__memory_base" (global i32))
        (import "env" "plugin_op" (func $op (param i32) (result i32)))
        (func (export "use_plugin") (result i32) i32.const 2 call $op))"#,
    )
    .unwrap();
    let user = t
        .load_with(wasmvm_loader::Source::Bytes { name: "user.so".into(), bytes: user.into() }, &Default::default())
        .unwrap();
    t.dlclose(plugin).unwrap();
    assert_eq!(t.call::<(), i32>("use_plugin", ()).unwrap(), 1201);
    t.dlclose(user).unwrap();
    let names: Vec<String> = space.modules().into_iter().map(|m| m.name).collect();
    assert_eq!(names, ["main.wasm", "libmid.so", "libbase.so"]);
}

#[test]
fn dlopen_from_another_thread_is_visible_everywhere() {
    let (space, _) = space(SpaceConfig::default());
    let mut t = space.thread().unwrap();
    load_main(&mut t);
    // A thread loads the plugin through wasm's dlopen; the main thread then calls it by name.
    let h = space
        .spawn_thread(|t| {
            let r = t.call::<(), i32>("dl_demo", ());
            (r.unwrap(), t.dlopen("libplugin.so", RTLD_NOW | RTLD_GLOBAL).is_ok())
        })
        .unwrap();
    assert_eq!(h.join().unwrap(), (0, true));
    assert_eq!(t.call::<i32, i32>("plugin_op", 1).unwrap(), 1101);
}
