//! Executes the directives of one `.wast` script against a fresh store.

use std::collections::HashMap;
use std::thread::{Scope, ScopedJoinHandle};

use wasmvm::{Engine, Error, Extern, Instance, Linker, Module, SharedMemory, Store, Val};
use wast::token::{Id, Span};
use wast::{QuoteWat, WastDirective, WastExecute, WastInvoke, WastRet, WastThread};

use crate::values;

/// Outcome of a script: how many checks passed, and a message per failure.
#[derive(Debug, Default)]
pub struct Report {
    pub passed: usize,
    pub failures: Vec<String>,
}

impl Report {
    pub fn merge(&mut self, other: Report) {
        self.passed += other.passed;
        self.failures.extend(other.failures);
    }
}

pub(crate) struct Runner<'a, 's, 'e> {
    file: &'a str,
    text: &'a str,
    engine: Engine,
    store: Store<()>,
    linker: Linker<()>,
    instances: HashMap<String, Instance>,
    definitions: HashMap<String, Module>,
    /// Modules shared with this thread by its parent: only their shared memories cross threads.
    shared: HashMap<String, Vec<(String, SharedMemory)>>,
    current: Option<Instance>,
    scope: &'s Scope<'s, 'e>,
    threads: HashMap<String, ScopedJoinHandle<'s, Report>>,
    pub report: Report,
}

/// What went wrong while executing something.
enum Outcome {
    Values(Vec<Val>),
    Failed(Error),
}

impl<'a: 'e, 's, 'e> Runner<'a, 's, 'e> {
    pub(crate) fn new(file: &'a str, text: &'a str, engine: &Engine, scope: &'s Scope<'s, 'e>) -> Result<Self, String> {
        let mut store = Store::new(engine, ());
        let mut linker = Linker::new(engine);
        linker.allow_shadowing(true);
        crate::spectest::define(&mut linker, &mut store).map_err(|e| e.to_string())?;
        Ok(Self {
            file,
            text,
            engine: engine.clone(),
            store,
            linker,
            instances: HashMap::new(),
            definitions: HashMap::new(),
            shared: HashMap::new(),
            current: None,
            scope,
            threads: HashMap::new(),
            report: Report::default(),
        })
    }

    fn location(&self, span: Span) -> String {
        let (line, col) = span.linecol_in(self.text);
        format!("{}:{}:{}", self.file, line + 1, col + 1)
    }

    fn pass(&mut self) {
        self.report.passed += 1;
    }

    fn fail(&mut self, span: Span, msg: String) {
        let loc = self.location(span);
        self.report.failures.push(format!("{loc}: {msg}"));
    }

    pub(crate) fn run(&mut self, directives: Vec<WastDirective<'a>>) {
        for d in directives {
            self.directive(d);
        }
        let names: Vec<String> = self.threads.keys().cloned().collect();
        for name in names {
            self.join(&name);
        }
    }

    fn join(&mut self, name: &str) {
        if let Some(h) = self.threads.remove(name) {
            match h.join() {
                Ok(r) => self.report.merge(r),
                Err(_) => self.report.failures.push(format!("{}: thread {name} panicked", self.file)),
            }
        }
    }

    fn compile(&self, module: &mut QuoteWat<'_>) -> Result<Module, String> {
        let bytes = module.encode().map_err(|e| format!("cannot encode module: {e}"))?;
        Module::new(&self.engine, &bytes).map_err(|e| e.to_string())
    }

    fn instantiate(&mut self, module: &Module) -> Result<Instance, Error> {
        self.linker.instantiate(&mut self.store, module)
    }

    fn directive(&mut self, d: WastDirective<'a>) {
        let span = d.span();
        match d {
            WastDirective::Module(mut m) => {
                let id = m.name().map(|i| i.name().to_string());
                match self.compile(&mut m) {
                    Ok(module) => match self.instantiate(&module) {
                        Ok(inst) => {
                            self.current = Some(inst);
                            if let Some(id) = id {
                                self.instances.insert(id, inst);
                            }
                            self.pass();
                        }
                        Err(e) => self.fail(span, format!("module failed to instantiate: {e}")),
                    },
                    Err(e) => self.fail(span, format!("module failed to compile: {e}")),
                }
            }
            WastDirective::ModuleDefinition(mut m) => {
                let id = m.name().map(|i| i.name().to_string());
                match self.compile(&mut m) {
                    Ok(module) => {
                        if let Some(id) = id {
                            self.definitions.insert(id, module);
                        }
                        self.pass();
                    }
                    Err(e) => self.fail(span, format!("module definition failed to compile: {e}")),
                }
            }
            WastDirective::ModuleInstance { instance, module, .. } => {
                let Some(module) = module.and_then(|m| self.definitions.get(m.name()).cloned()) else {
                    return self.fail(span, "unknown module definition".into());
                };
                match self.instantiate(&module) {
                    Ok(inst) => {
                        self.current = Some(inst);
                        if let Some(id) = instance {
                            self.instances.insert(id.name().to_string(), inst);
                        }
                        self.pass();
                    }
                    Err(e) => self.fail(span, format!("module failed to instantiate: {e}")),
                }
            }
            WastDirective::Register { name, module, .. } => self.register(span, name, module),
            WastDirective::Invoke(invoke) => match self.invoke(&invoke) {
                Outcome::Values(_) => self.pass(),
                Outcome::Failed(e) => self.fail(span, format!("invoke {} failed: {e}", invoke.name)),
            },
            WastDirective::AssertReturn { exec, results, .. } => {
                let outcome = self.execute(exec);
                self.assert_return(span, outcome, &results);
            }
            WastDirective::AssertTrap { exec, message, .. } => {
                let outcome = self.execute(exec);
                self.assert_trap(span, outcome, message);
            }
            WastDirective::AssertExhaustion { call, message, .. } => {
                let outcome = self.invoke(&call);
                self.assert_trap(span, outcome, message);
            }
            WastDirective::AssertInvalid { mut module, message, .. }
            | WastDirective::AssertMalformed { mut module, message, .. } => match self.compile(&mut module) {
                Ok(_) => self.fail(span, format!("module compiled but should fail: {message}")),
                Err(_) => self.pass(),
            },
            WastDirective::AssertInvalidCustom { .. } | WastDirective::AssertMalformedCustom { .. } => self.pass(),
            WastDirective::AssertUnlinkable { module, message, .. } => {
                let mut q = QuoteWat::Wat(module);
                match self.compile(&mut q) {
                    Ok(m) => match self.instantiate(&m) {
                        Ok(_) => self.fail(span, format!("module linked but should not: {message}")),
                        Err(Error::Link(_)) => self.pass(),
                        Err(e) => self.fail(span, format!("expected link error ({message}), got: {e}")),
                    },
                    Err(e) => self.fail(span, format!("unlinkable module failed to compile: {e}")),
                }
            }
            WastDirective::AssertException { exec, .. } => match self.execute(exec) {
                Outcome::Failed(Error::Trap(t)) if t.exception().is_some() => self.pass(),
                Outcome::Failed(e) => self.fail(span, format!("expected an exception, got error: {e}")),
                Outcome::Values(v) => {
                    let got = values::show_all(&self.store, &v);
                    self.fail(span, format!("expected an exception, got {got}"))
                }
            },
            WastDirective::AssertSuspension { .. } => self.fail(span, "stack switching is not supported".into()),
            WastDirective::Thread(t) => self.spawn(t),
            WastDirective::Wait { thread, .. } => self.join(thread.name()),
        }
    }

    fn register(&mut self, span: Span, name: &str, module: Option<Id<'_>>) {
        if let Some(shared) = module.and_then(|m| self.shared.get(m.name())) {
            for (export, mem) in shared.clone() {
                let _ = self.linker.define(name, &export, mem);
            }
            return self.pass();
        }
        let inst = match module {
            Some(id) => self.instances.get(id.name()).copied(),
            None => self.current,
        };
        match inst {
            Some(inst) => match self.linker.instance(&self.store, name, inst) {
                Ok(_) => self.pass(),
                Err(e) => self.fail(span, format!("register failed: {e}")),
            },
            None => self.fail(span, "register: unknown module".into()),
        }
    }

    fn instance(&self, id: Option<Id<'_>>) -> Option<Instance> {
        match id {
            Some(id) => self.instances.get(id.name()).copied(),
            None => self.current,
        }
    }

    fn invoke(&mut self, invoke: &WastInvoke<'_>) -> Outcome {
        let Some(inst) = self.instance(invoke.module) else {
            return Outcome::Failed(Error::Api("unknown module".into()));
        };
        let Some(func) = inst.get_func(&self.store, invoke.name) else {
            return Outcome::Failed(Error::Api(format!("no exported function {}", invoke.name)));
        };
        let mut args = Vec::new();
        for a in &invoke.args {
            match values::arg(&mut self.store, a) {
                Ok(v) => args.push(v),
                Err(e) => return Outcome::Failed(Error::Api(e)),
            }
        }
        let ty = match func.ty(&self.store) {
            Ok(ty) => ty,
            Err(e) => return Outcome::Failed(e),
        };
        let mut results: Vec<Val> = ty.results().iter().map(|t| Val::default_of(*t)).collect();
        match func.call(&mut self.store, &args, &mut results) {
            Ok(()) => Outcome::Values(results),
            Err(e) => Outcome::Failed(e),
        }
    }

    fn execute(&mut self, exec: WastExecute<'a>) -> Outcome {
        match exec {
            WastExecute::Invoke(i) => self.invoke(&i),
            WastExecute::Wat(w) => {
                let mut q = QuoteWat::Wat(w);
                match self.compile(&mut q) {
                    Ok(m) => match self.instantiate(&m) {
                        Ok(_) => Outcome::Values(Vec::new()),
                        Err(e) => Outcome::Failed(e),
                    },
                    Err(e) => Outcome::Failed(Error::Invalid(e)),
                }
            }
            WastExecute::Get { module, global, .. } => {
                let Some(inst) = self.instance(module) else {
                    return Outcome::Failed(Error::Api("unknown module".into()));
                };
                match inst.get_global(&self.store, global).map(|g| g.get(&self.store)) {
                    Some(Ok(v)) => Outcome::Values(vec![v]),
                    Some(Err(e)) => Outcome::Failed(e),
                    None => Outcome::Failed(Error::Api(format!("no exported global {global}"))),
                }
            }
        }
    }

    fn assert_return(&mut self, span: Span, outcome: Outcome, expected: &[WastRet<'_>]) {
        match outcome {
            Outcome::Values(vals) => {
                let ok = vals.len() == expected.len()
                    && vals.iter().zip(expected).all(|(v, e)| values::matches(&self.store, e, v));
                if ok {
                    self.pass();
                } else {
                    let msg = format!(
                        "assert_return: expected {}, got {}",
                        values::show_expected(expected),
                        values::show_all(&self.store, &vals)
                    );
                    self.fail(span, msg);
                }
            }
            Outcome::Failed(e) => {
                self.fail(span, format!("assert_return: expected {}, got error: {e}", values::show_expected(expected)))
            }
        }
    }

    fn assert_trap(&mut self, span: Span, outcome: Outcome, message: &str) {
        match outcome {
            Outcome::Failed(Error::Trap(t)) => {
                let actual = t.to_string();
                if actual.contains(message) || message.contains(actual.as_str()) || trap_alias(message, &actual) {
                    self.pass();
                } else {
                    self.fail(span, format!("expected trap \"{message}\", got trap \"{actual}\""));
                }
            }
            Outcome::Failed(e) => self.fail(span, format!("expected trap \"{message}\", got error: {e}")),
            Outcome::Values(v) => {
                let got = values::show_all(&self.store, &v);
                self.fail(span, format!("expected trap \"{message}\", got {got}"))
            }
        }
    }

    fn spawn(&mut self, t: WastThread<'a>) {
        let name = t.name.name().to_string();
        let mut shared = HashMap::new();
        if let Some(id) = t.shared_module {
            let mut mems = Vec::new();
            if let Some(inst) = self.instances.get(id.name()) {
                for (export, ext) in inst.exports(&self.store) {
                    if let Extern::Memory(m) = ext
                        && let Some(sm) = m.as_shared(&self.store)
                    {
                        mems.push((export, sm));
                    }
                }
            } else if let Some(list) = self.shared.get(id.name()) {
                mems = list.clone();
            }
            shared.insert(id.name().to_string(), mems);
        }
        let (file, text, engine, scope) = (self.file, self.text, self.engine.clone(), self.scope);
        let directives = t.directives;
        let handle = self.scope.spawn(move || {
            let mut runner = match Runner::new(file, text, &engine, scope) {
                Ok(r) => r,
                Err(e) => return Report { passed: 0, failures: vec![format!("{file}: thread setup failed: {e}")] },
            };
            runner.shared = shared;
            runner.run(directives);
            runner.report
        });
        self.threads.insert(name, handle);
    }
}

/// Trap messages that mean the same thing but are worded differently across spec versions
/// ("uninitialized element 2" vs "uninitialized element").
fn trap_alias(expected: &str, actual: &str) -> bool {
    let stem = |s: &str| s.trim_end_matches(|c: char| c.is_ascii_digit() || c == ' ').to_string();
    stem(expected) == stem(actual)
}
