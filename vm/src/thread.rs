//! Running wasm on several OS threads over one shared memory.
//!
//! Each wasm thread is an OS thread with its own [`Store`] and its own instance of the module, importing the
//! same [`SharedMemory`](crate::SharedMemory) — the model of the threads proposal and `wasi-threads`. The
//! [`Linker`] (host functions plus shared entities) is cloned into the thread; store-bound definitions can't
//! cross threads and make instantiation fail with an error. A trap in one thread is returned by its
//! [`WasmThread::join`]; it never affects other threads or the host process.

use std::thread::JoinHandle;

use crate::{Error, Linker, Module, Result, Store, Val};

/// A wasm function running on its own OS thread.
pub struct WasmThread<T> {
    handle: JoinHandle<(Result<Vec<Val>>, T)>,
}

/// Instantiate `module` in a new store (with user data `data`) on a new OS thread, call its export `func`
/// with `args`, and return a handle to join.
pub fn spawn<T: Send + 'static>(
    linker: &Linker<T>,
    module: &Module,
    data: T,
    func: &str,
    args: Vec<Val>,
) -> Result<WasmThread<T>> {
    let (linker, module, func) = (linker.clone(), module.clone(), func.to_string());
    let handle = std::thread::Builder::new()
        .name(format!("wasm:{func}"))
        .spawn(move || {
            let mut store = Store::new(module.engine(), data);
            let r = run(&mut store, &linker, &module, &func, &args);
            (r, store.into_data())
        })
        .map_err(|e| Error::Resource(format!("cannot spawn a thread: {e}")))?;
    Ok(WasmThread { handle })
}

fn run<T: 'static>(
    store: &mut Store<T>,
    linker: &Linker<T>,
    module: &Module,
    func: &str,
    args: &[Val],
) -> Result<Vec<Val>> {
    let instance = linker.instantiate(&mut *store, module)?;
    let f = instance.get_func(&*store, func).ok_or_else(|| Error::Api(format!("no exported function `{func}`")))?;
    let ty = f.ty(&*store)?;
    let mut results: Vec<Val> = ty.results().iter().map(|t| Val::default_of(*t)).collect();
    f.call(&mut *store, args, &mut results)?;
    Ok(results)
}

impl<T> WasmThread<T> {
    /// Wait for the thread; its results (or its trap/error), and the store's user data.
    pub fn join_with_data(self) -> (Result<Vec<Val>>, Option<T>) {
        match self.handle.join() {
            Ok((r, data)) => (r, Some(data)),
            Err(_) => (Err(Error::Resource("wasm thread panicked".into())), None),
        }
    }

    /// Wait for the thread and return its results (or its trap/error).
    pub fn join(self) -> Result<Vec<Val>> {
        self.join_with_data().0
    }

    /// Has the thread finished?
    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }
}
