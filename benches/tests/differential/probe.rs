//! Probe modules for the wasmtime scripts. `.wast` compares a reference result only by kind (`(ref.i31)`,
//! `(ref.struct)`), so a script calls a function whose results may be GC values through a probe, which returns
//! the function's results each followed by what can be read of it: an `i31`'s value, a struct's fields, an
//! array's length. Exported globals that hold such values are read through a probe too. wasmvm runs the same
//! probe for the script's expected values, so both engines' GC instructions are compared.
//!
//! Why binary modules built from the module's own type section: an import matches only a function type of
//! the same finality in an identical recursion group, and wasm-smith's types are often open (`sub`) or in
//! groups. A copy of the whole type section gives the probe the very type the export has, whatever it names,
//! and the struct and array types to read values with.

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
    /// Each type's definition (function, struct or array).
    defs: Vec<wasmparser::CompositeInnerType>,
    /// Exported functions' type indices and exported globals' types, by export name.
    exports: HashMap<String, Export>,
}

enum Export {
    Func(u32),
    Global(wasmparser::GlobalType),
}

/// Whether a value of type `t` may be an `i31`, whose value `.wast` has no pattern for.
fn may_be_i31(t: wasmparser::ValType) -> bool {
    use wasmparser::AbstractHeapType::{Any, Eq, I31};
    matches!(t, wasmparser::ValType::Ref(r)
        if matches!(r.heap_type(), wasmparser::HeapType::Abstract { shared: false, ty: Any | Eq | I31 }))
}

impl Types {
    /// The types of `wasm`, a valid module.
    pub(crate) fn new(wasm: &[u8]) -> Types {
        let mut types = Types { section: TypeSection::new(), defs: Vec::new(), exports: HashMap::new() };
        let (mut func_types, mut global_types) = (Vec::new(), Vec::new());
        let mut exports = Vec::new();
        for payload in wasmparser::Parser::new(0).parse_all(wasm) {
            match payload.expect("a valid module") {
                wasmparser::Payload::TypeSection(reader) => {
                    for group in reader.clone() {
                        let group = group.expect("a rec group");
                        types.defs.extend(group.types().map(|sub| sub.composite_type.inner.clone()));
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

    /// The function type of type index `t`.
    fn func(&self, t: u32) -> Option<&wasmparser::FuncType> {
        match &self.defs[t as usize] {
            wasmparser::CompositeInnerType::Func(f) => Some(f),
            _ => None,
        }
    }

    /// Append to `body` what can be read of the value of type `t` in local `local` (an `i31`'s value, a
    /// struct's fields, an array's length; zeros, or -1 for a length, if it is null), and the types of the
    /// values read to `outs`. `i31` is the index of the probe's `$i31` function.
    fn observe(&self, t: wasmparser::ValType, local: u32, i31: u32, body: &mut Function, outs: &mut Vec<ValType>) {
        use wasmparser::StorageType as S;
        let wasmparser::ValType::Ref(r) = t else { return };
        if may_be_i31(t) {
            body.instruction(&I::LocalGet(local)).instruction(&I::Call(i31));
            outs.push(ValType::I32);
            return;
        }
        let Some(index) = r.type_index().and_then(|i| i.as_module_index()) else { return };
        // `read` of the value in `local` if it is not null, else `zero`.
        let mut guarded = |read: &[I], zero: I, ty: ValType| {
            body.instruction(&I::LocalGet(local)).instruction(&I::RefIsNull);
            body.instruction(&I::If(BlockType::Result(ty))).instruction(&zero).instruction(&I::Else);
            body.instruction(&I::LocalGet(local));
            for i in read {
                body.instruction(i);
            }
            body.instruction(&I::End);
            outs.push(ty);
        };
        match &self.defs[index as usize] {
            wasmparser::CompositeInnerType::Struct(st) => {
                for (k, f) in st.fields.iter().enumerate() {
                    let (struct_type_index, field_index) = (index, k as u32);
                    let get = I::StructGet { struct_type_index, field_index };
                    let (read, ty) = match f.element_type {
                        S::I8 | S::I16 => (vec![I::StructGetS { struct_type_index, field_index }], ValType::I32),
                        S::Val(v) if may_be_i31(v) => (vec![get, I::Call(i31)], ValType::I32),
                        S::Val(wasmparser::ValType::Ref(_)) => continue,
                        S::Val(v) => (vec![get], RoundtripReencoder.val_type(v).expect("a value type")),
                    };
                    guarded(&read, zero(ty), ty);
                }
            }
            wasmparser::CompositeInnerType::Array(_) => guarded(&[I::ArrayLen], I::I32Const(-1), ValType::I32),
            _ => {}
        }
    }

    /// A module that imports function `name` from the registered instance `reg` and exports `probe`, which
    /// takes the same parameters, calls it, and returns its results each followed by what can be read of it
    /// ([`Types::observe`]); and the number of its results. `None` if nothing can be read of the results.
    pub(crate) fn func_probe(&self, reg: &str, name: &str) -> Option<(Vec<u8>, usize)> {
        let Some(Export::Func(t)) = self.exports.get(name) else { return None };
        let f = self.func(*t)?;
        let ty = |t: &wasmparser::ValType| RoundtripReencoder.val_type(*t).expect("a value type");
        let params: Vec<ValType> = f.params().iter().map(ty).collect();
        let results: Vec<ValType> = f.results().iter().map(ty).collect();
        let mut section = self.section.clone();
        let mut body = Function::new(results.iter().map(|&r| (1, r)));
        let first = params.len() as u32;
        for i in 0..first {
            body.instruction(&I::LocalGet(i));
        }
        body.instruction(&I::Call(0));
        for i in (0..results.len() as u32).rev() {
            body.instruction(&I::LocalSet(first + i));
        }
        let mut outs = Vec::new();
        for (i, &r) in f.results().iter().enumerate() {
            body.instruction(&I::LocalGet(first + i as u32));
            outs.push(ty(&r));
            self.observe(r, first + i as u32, 2, &mut body, &mut outs);
        }
        if outs.len() == results.len() {
            return None;
        }
        body.instruction(&I::End);
        section.ty().function(params, outs.iter().copied());
        Some((self.probe(section, reg, name, EntityType::Function(*t), "probe", body), outs.len()))
    }

    /// A module that imports global `name` from the registered instance `reg` and exports `get`, what can be
    /// read of its value ([`Types::observe`]); and the number of values `get` returns. `None` if nothing can.
    pub(crate) fn global_probe(&self, reg: &str, name: &str) -> Option<(Vec<u8>, usize)> {
        let Some(Export::Global(g)) = self.exports.get(name) else { return None };
        let mut body = Function::new([(1, RoundtripReencoder.val_type(g.content_type).expect("a value type"))]);
        body.instruction(&I::GlobalGet(0)).instruction(&I::LocalSet(0));
        let mut outs = Vec::new();
        self.observe(g.content_type, 0, 1, &mut body, &mut outs);
        if outs.is_empty() {
            return None;
        }
        body.instruction(&I::End);
        let mut section = self.section.clone();
        section.ty().function([], outs.iter().copied());
        let ty = RoundtripReencoder.global_type(*g).expect("a global type");
        Some((self.probe(section, reg, name, EntityType::Global(ty), "get", body), outs.len()))
    }

    /// The probe module: the types in `section` (the module's, then the exported function's) and the `$i31`
    /// function's after them, the import, the exported function `body` and `$i31`.
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
        let probe_ty = self.defs.len() as u32;
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

/// The zero of a numeric type, as an instruction.
fn zero(t: ValType) -> I<'static> {
    match t {
        ValType::I64 => I::I64Const(0),
        ValType::F32 => I::F32Const(0.0.into()),
        ValType::F64 => I::F64Const(0.0.into()),
        ValType::V128 => I::V128Const(0),
        _ => I::I32Const(0),
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

/// The probes link to an open function type in a recursion group and to mutable globals, and read `i31`s
/// (sign-extended from 31 bits), struct fields (a packed one sign-extended, an `i31` in a field, zeros for a
/// null struct) and array lengths (-1 for null) beside the other results, in wasmvm itself.
#[test]
fn probes_read_gc_values() {
    let wasm = wat::parse_str(
        r#"(module
          (type $a (array i16))
          (rec (type $f (sub (func (param i32) (result i32 (ref null eq) anyref (ref null $s) (ref $a)))))
               (type $s (struct (field i8) (field (mut i64)) (field f32) (field eqref) (field (ref null $s)))))
          (global (export "g") (mut anyref) (ref.i31 (i32.const -5)))
          (global (export "s") (ref null $s) (struct.new $s (i32.const 200) (i64.const -3) (f32.const 1.5)
                                                (ref.i31 (i32.const 9)) (ref.null $s)))
          (global (export "n") i32 (i32.const 7))
          (func (export "f") (type $f)
            (local.get 0) (ref.i31 (local.get 0)) (array.new_default $a (i32.const 3)) (ref.null $s)
            (array.new_default $a (i32.const 5)))
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
    let mut probe = |(wasm, n): (Vec<u8>, usize), name: &str, args: &[wasmvm::Val]| {
        let m = wasmvm::Module::new(&engine, &wasm).expect("a valid probe");
        let i = linker.instantiate(&mut store, &m).expect("the probe links");
        let mut out = vec![wasmvm::Val::I32(0); n];
        i.get_func(&store, name).expect("export").call(&mut store, args, &mut out).expect("call");
        let ints = |v: &wasmvm::Val| match *v {
            wasmvm::Val::I32(x) => Some(x as i64),
            wasmvm::Val::I64(x) => Some(x),
            wasmvm::Val::F32(x) => Some(f32::from_bits(x) as i64),
            _ => None,
        };
        out.iter().map(ints).collect::<Vec<_>>()
    };
    // Each result, then what is read of it: the i31's value; an `anyref` array's (0: not an i31); the null struct's
    // fields as zeros (i8, i64, f32, eqref's i31; the struct field is skipped); the array's length.
    let out =
        probe(types.func_probe("m", "f").expect("f returns GC values"), "probe", &[wasmvm::Val::I32(0x4000_0001)]);
    let i31 = Some(-0x3fff_ffff);
    assert_eq!(
        out,
        [Some(0x4000_0001), None, i31, None, Some(0), None, Some(0), Some(0), Some(0), Some(0), None, Some(5)]
    );
    let out = probe(types.global_probe("m", "g").expect("g may hold an i31"), "get", &[]);
    assert_eq!(out, [Some(-5)]);
    let out = probe(types.global_probe("m", "s").expect("s holds a struct"), "get", &[]);
    assert_eq!(out, [Some(-56), Some(-3), Some(1), Some(9)]);
}
