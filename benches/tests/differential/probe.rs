//! Probe modules for the wasmtime scripts: `.wast` compares an `i31` result only by kind (`(ref.i31)`), so a
//! script calls a function that may return one through a probe, which returns the function's results each
//! followed by the `i31`'s value, and reads an exported global that may hold one through a probe too.
//!
//! Why binary modules built from the module's own type section: an import matches only a function type of
//! the same finality in an identical recursion group, and wasm-smith's types are often open (`sub`) or in
//! groups. A copy of the whole type section gives the probe the very type the export has, whatever it names.

use std::collections::HashMap;

use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{
    AbstractHeapType, BlockType, CodeSection, EntityType, ExportKind, ExportSection, Function, FunctionSection,
    HeapType, ImportSection, Instruction as I, Module, TypeSection, ValType,
};

/// What the probes need of a module: its types, and the type of each exported function and global.
pub(crate) struct Types {
    /// The module's type section, re-encoded, to which a probe appends its own two function types.
    section: TypeSection,
    /// Each type's function type (`None`: a struct or an array type).
    funcs: Vec<Option<wasmparser::FuncType>>,
    /// Exported functions' type indices and exported globals' types, by export name.
    exports: HashMap<String, Export>,
}

enum Export {
    Func(u32),
    Global(wasmparser::GlobalType),
}

/// Whether a value of type `t` may be an `i31`, whose value `.wast` has no pattern for.
pub(crate) fn may_be_i31(t: wasmparser::ValType) -> bool {
    use wasmparser::AbstractHeapType::{Any, Eq, I31};
    matches!(t, wasmparser::ValType::Ref(r)
        if matches!(r.heap_type(), wasmparser::HeapType::Abstract { shared: false, ty: Any | Eq | I31 }))
}

/// What a probe's `$i31` returns for `v`: an `i31`'s value (`i31.get_s`), 0 for anything else.
pub(crate) fn i31_value(v: &wasmvm::Val) -> i32 {
    match v {
        wasmvm::Val::AnyRef(Some(r)) => r.as_i31().unwrap_or(0),
        _ => 0,
    }
}

impl Types {
    /// The types of `wasm`, a valid module.
    pub(crate) fn new(wasm: &[u8]) -> Types {
        let mut types = Types { section: TypeSection::new(), funcs: Vec::new(), exports: HashMap::new() };
        let (mut func_types, mut global_types) = (Vec::new(), Vec::new());
        let mut exports = Vec::new();
        for payload in wasmparser::Parser::new(0).parse_all(wasm) {
            match payload.expect("a valid module") {
                wasmparser::Payload::TypeSection(reader) => {
                    for group in reader.clone() {
                        for sub in group.expect("a rec group").types() {
                            let f = match &sub.composite_type.inner {
                                wasmparser::CompositeInnerType::Func(f) => Some(f.clone()),
                                _ => None,
                            };
                            types.funcs.push(f);
                        }
                    }
                    RoundtripReencoder.parse_type_section(&mut types.section, reader).expect("re-encode the types");
                }
                wasmparser::Payload::ImportSection(reader) => {
                    for import in reader.into_imports() {
                        match import.expect("an import").ty {
                            wasmparser::TypeRef::Func(t) | wasmparser::TypeRef::FuncExact(t) => func_types.push(t),
                            wasmparser::TypeRef::Global(g) => global_types.push(g),
                            _ => {}
                        }
                    }
                }
                wasmparser::Payload::FunctionSection(reader) => {
                    func_types.extend(reader.into_iter().map(|t| t.expect("a function")));
                }
                wasmparser::Payload::GlobalSection(reader) => {
                    global_types.extend(reader.into_iter().map(|g| g.expect("a global").ty));
                }
                wasmparser::Payload::ExportSection(reader) => {
                    for e in reader {
                        let e = e.expect("an export");
                        exports.push((e.name.to_string(), e.kind, e.index));
                    }
                }
                _ => {}
            }
        }
        for (name, kind, index) in exports {
            let export = match kind {
                wasmparser::ExternalKind::Func | wasmparser::ExternalKind::FuncExact => {
                    Export::Func(func_types[index as usize])
                }
                wasmparser::ExternalKind::Global => Export::Global(global_types[index as usize]),
                _ => continue,
            };
            types.exports.insert(name, export);
        }
        types
    }

    /// The results of exported function `name`, if a probe is wanted for it (one of them may be an `i31`).
    pub(crate) fn probed_results(&self, name: &str) -> Option<&[wasmparser::ValType]> {
        let Some(Export::Func(t)) = self.exports.get(name) else { return None };
        let f = self.funcs[*t as usize].as_ref()?;
        f.results().iter().any(|&t| may_be_i31(t)).then(|| f.results())
    }

    /// A module that imports function `name` from the registered instance `reg` and exports `probe`, which
    /// takes the same parameters, calls it, and returns its results with each one that may be an `i31`
    /// followed by its value ([`i31_value`]). `None` if no result may be an `i31`.
    pub(crate) fn func_probe(&self, reg: &str, name: &str) -> Option<Vec<u8>> {
        let Some(Export::Func(t)) = self.exports.get(name) else { return None };
        let f = self.funcs[*t as usize].as_ref()?;
        self.probed_results(name)?;
        let ty = |t: &wasmparser::ValType| RoundtripReencoder.val_type(*t).expect("a value type");
        let params: Vec<ValType> = f.params().iter().map(ty).collect();
        let results: Vec<ValType> = f.results().iter().map(ty).collect();
        let outs: Vec<ValType> = f
            .results()
            .iter()
            .flat_map(|&r| std::iter::once(ty(&r)).chain(may_be_i31(r).then_some(ValType::I32)))
            .collect();
        let mut section = self.section.clone();
        section.ty().function(params.clone(), outs);
        let mut body = Function::new(results.iter().map(|&r| (1, r)));
        let first = params.len() as u32;
        for i in 0..first {
            body.instruction(&I::LocalGet(i));
        }
        body.instruction(&I::Call(0));
        for i in (0..results.len() as u32).rev() {
            body.instruction(&I::LocalSet(first + i));
        }
        for (i, &r) in f.results().iter().enumerate() {
            body.instruction(&I::LocalGet(first + i as u32));
            if may_be_i31(r) {
                body.instruction(&I::LocalGet(first + i as u32));
                body.instruction(&I::Call(2));
            }
        }
        body.instruction(&I::End);
        Some(self.probe(section, reg, name, EntityType::Function(*t), "probe", body))
    }

    /// A module that imports global `name` from the registered instance `reg` and exports `get`, the value of
    /// the `i31` it holds ([`i31_value`]); `None` if the global cannot hold one.
    pub(crate) fn global_probe(&self, reg: &str, name: &str) -> Option<Vec<u8>> {
        let Some(Export::Global(g)) = self.exports.get(name) else { return None };
        if !may_be_i31(g.content_type) {
            return None;
        }
        let mut section = self.section.clone();
        section.ty().function([], [ValType::I32]);
        let mut body = Function::new([]);
        body.instruction(&I::GlobalGet(0));
        body.instruction(&I::Call(1));
        body.instruction(&I::End);
        let ty = RoundtripReencoder.global_type(*g).expect("a global type");
        Some(self.probe(section, reg, name, EntityType::Global(ty), "get", body))
    }

    /// The probe module: the types in `section` and the `$i31` function's after them, the import, the
    /// exported function `body` (of the type before `$i31`'s) and `$i31`.
    fn probe(
        &self,
        mut section: TypeSection,
        reg: &str,
        name: &str,
        import: EntityType,
        export: &str,
        body: Function,
    ) -> Vec<u8> {
        let any = ValType::Ref(wasm_encoder::RefType::ANYREF);
        section.ty().function([any], [ValType::I32]);
        let probe_ty = self.funcs.len() as u32;
        let i31_ty = probe_ty + 1;
        let mut imports = ImportSection::new();
        imports.import(reg, name, import);
        let funcs_before = u32::from(matches!(import, EntityType::Function(_)));
        let mut functions = FunctionSection::new();
        functions.function(probe_ty);
        functions.function(i31_ty);
        let mut exports = ExportSection::new();
        exports.export(export, ExportKind::Func, funcs_before);
        let mut code = CodeSection::new();
        code.function(&body);
        code.function(&i31_body());
        let mut module = Module::new();
        module.section(&section).section(&imports).section(&functions).section(&exports).section(&code);
        module.finish()
    }
}

/// `$i31`: an `anyref`'s `i31.get_s` if it is an `i31`, else 0.
fn i31_body() -> Function {
    let i31 = HeapType::Abstract { shared: false, ty: AbstractHeapType::I31 };
    let mut f = Function::new([]);
    f.instruction(&I::LocalGet(0));
    f.instruction(&I::RefTestNonNull(i31));
    f.instruction(&I::If(BlockType::Result(ValType::I32)));
    f.instruction(&I::LocalGet(0));
    f.instruction(&I::RefCastNonNull(i31));
    f.instruction(&I::I31GetS);
    f.instruction(&I::Else);
    f.instruction(&I::I32Const(0));
    f.instruction(&I::End);
    f.instruction(&I::End);
    f
}

/// The probes link to an open function type in a recursion group and to a mutable `anyref` global, and read
/// the `i31`s' values (sign-extended from 31 bits) beside the other results, in wasmvm itself.
#[test]
fn probes_read_i31_values() {
    let wasm = wat::parse_str(
        r#"(module
          (rec (type $f (sub (func (param i32) (result i32 (ref null eq) anyref)))) (type $s (struct)))
          (global (export "g") (mut anyref) (ref.i31 (i32.const -5)))
          (global (export "n") i32 (i32.const 7))
          (func (export "f") (type $f) (local.get 0) (ref.i31 (local.get 0)) (struct.new $s))
          (func (export "h") (result i32) (i32.const 1)))"#,
    )
    .expect("the module");
    let types = Types::new(&wasm);
    assert!(types.func_probe("m", "h").is_none() && types.global_probe("m", "n").is_none());
    let engine = wasmvm::Engine::default();
    let mut store = wasmvm::Store::new(&engine, ());
    let module = wasmvm::Module::new(&engine, &wasm).expect("compile");
    let mut linker = wasmvm::Linker::<()>::new(&engine);
    let instance = linker.instantiate(&mut store, &module).expect("instantiate");
    linker.instance(&store, "m", instance).expect("register");
    let mut probe = |wasm: Vec<u8>, name: &str, args: &[wasmvm::Val], results: usize| {
        let m = wasmvm::Module::new(&engine, &wasm).expect("a valid probe");
        let i = linker.instantiate(&mut store, &m).expect("the probe links");
        let mut out = vec![wasmvm::Val::I32(0); results];
        i.get_func(&store, name).expect("export").call(&mut store, args, &mut out).expect("call");
        out
    };
    let out =
        probe(types.func_probe("m", "f").expect("f may return i31"), "probe", &[wasmvm::Val::I32(0x4000_0001)], 5);
    assert!(matches!(out[0], wasmvm::Val::I32(0x4000_0001)));
    assert!(matches!(out[2], wasmvm::Val::I32(-0x3fff_ffff)), "{:?}", out[2]);
    assert!(matches!(out[4], wasmvm::Val::I32(0)), "a struct reads 0: {:?}", out[4]);
    assert_eq!(i31_value(&out[1]), -0x3fff_ffff);
    let out = probe(types.global_probe("m", "g").expect("g may hold an i31"), "get", &[], 1);
    assert!(matches!(out[0], wasmvm::Val::I32(-5)), "{:?}", out[0]);
}
