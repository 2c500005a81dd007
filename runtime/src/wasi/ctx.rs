//! [`WasiCtx`]: the per-program WASI state (arguments, environment, standard streams, clocks).
//!
//! A `WasiCtx` lives in the store's user data and is reached by the host functions through the
//! accessor given to [`add_to_linker`](super::add_to_linker). The standard streams are trait objects
//! so that an embedder (or a test) can give the program any reader and writers, e.g. an in-memory
//! [`OutputPipe`] to capture what it prints. Only file descriptors 0, 1 and 2 exist: there are no
//! preopened directories, so every other descriptor is `EBADF`.
//!
//! A `WasiCtx` is a handle: its clones share one state, which is what the threads of one program
//! need (each thread's store holds a clone). Each descriptor has its own lock, held for the whole of
//! one `fd_write` or `fd_read`, so concurrent writes never interleave within one call and a thread
//! blocked reading stdin does not hold up writers.

use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

/// The program's standard input.
pub type Reader = Box<dyn Read + Send>;
/// The program's standard output or error.
pub type Writer = Box<dyn Write + Send>;

/// One of the three standard descriptors.
pub(crate) enum Stdio {
    In(Reader),
    Out(Writer),
}

/// An open standard descriptor with its `fdflags`.
pub(crate) struct FdEntry {
    pub stream: Stdio,
    pub flags: u16,
}

/// The WASI state of one program. Clones share it (one program, many threads).
#[derive(Clone)]
pub struct WasiCtx {
    shared: Arc<Shared>,
}

struct Shared {
    args: Vec<Vec<u8>>,
    /// `KEY=VALUE` entries.
    env: Vec<Vec<u8>>,
    /// Descriptors 0, 1, 2; `None` once closed.
    fds: [Mutex<Option<FdEntry>>; 3],
    /// Origin of the monotonic clock.
    start: Instant,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl WasiCtx {
    /// A builder with no arguments, no environment, empty stdin and discarded output.
    pub fn builder() -> WasiCtxBuilder {
        WasiCtxBuilder::default()
    }

    /// The program arguments (`argv`, including `argv[0]`).
    pub fn args(&self) -> &[Vec<u8>] {
        &self.shared.args
    }

    /// The environment, as `KEY=VALUE` entries.
    pub fn env(&self) -> &[Vec<u8>] {
        &self.shared.env
    }

    /// When the program started (the origin of its monotonic clock).
    pub fn start(&self) -> Instant {
        self.shared.start
    }

    /// Replace standard input (reopening descriptor 0 if the program closed it), for every clone.
    pub fn set_stdin(&mut self, r: impl Read + Send + 'static) {
        *lock(&self.shared.fds[0]) = Some(FdEntry::new(Stdio::In(Box::new(r))));
    }

    /// Replace standard output (reopening descriptor 1 if the program closed it), for every clone.
    pub fn set_stdout(&mut self, w: impl Write + Send + 'static) {
        *lock(&self.shared.fds[1]) = Some(FdEntry::new(Stdio::Out(Box::new(w))));
    }

    /// Replace standard error (reopening descriptor 2 if the program closed it), for every clone.
    pub fn set_stderr(&mut self, w: impl Write + Send + 'static) {
        *lock(&self.shared.fds[2]) = Some(FdEntry::new(Stdio::Out(Box::new(w))));
    }

    /// Flush standard output and error (errors are ignored: the program is gone).
    pub fn flush(&self) {
        for fd in &self.shared.fds[1..] {
            if let Some(FdEntry { stream: Stdio::Out(w), .. }) = &mut *lock(fd) {
                let _ = w.flush();
            }
        }
    }

    /// Run `f` on the open descriptor `fd` (holding its lock), or fail with `EBADF`.
    pub(crate) fn with_fd<R>(
        &self,
        fd: u32,
        f: impl FnOnce(&mut FdEntry) -> Result<R, super::Errno>,
    ) -> Result<R, super::Errno> {
        let slot = self.shared.fds.get(fd as usize).ok_or(super::Errno::BADF)?;
        let mut entry = lock(slot);
        f(entry.as_mut().ok_or(super::Errno::BADF)?)
    }

    /// Close descriptor `fd`: its entry, or `None` if it is not open.
    pub(crate) fn take_fd(&self, fd: u32) -> Option<FdEntry> {
        lock(self.shared.fds.get(fd as usize)?).take()
    }
}

impl FdEntry {
    fn new(stream: Stdio) -> Self {
        Self { stream, flags: 0 }
    }
}

/// Builds a [`WasiCtx`].
pub struct WasiCtxBuilder {
    args: Vec<Vec<u8>>,
    env: Vec<Vec<u8>>,
    stdin: Reader,
    stdout: Writer,
    stderr: Writer,
}

impl Default for WasiCtxBuilder {
    fn default() -> Self {
        Self {
            args: Vec::new(),
            env: Vec::new(),
            stdin: Box::new(io::empty()),
            stdout: Box::new(io::sink()),
            stderr: Box::new(io::sink()),
        }
    }
}

impl WasiCtxBuilder {
    /// Append one argument (the first one is `argv[0]`).
    pub fn arg(mut self, arg: impl Into<Vec<u8>>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Append arguments.
    pub fn args<A: Into<Vec<u8>>>(mut self, args: impl IntoIterator<Item = A>) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Add the environment variable `key=value`.
    pub fn env(mut self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Self {
        let mut kv = key.as_ref().to_vec();
        kv.push(b'=');
        kv.extend_from_slice(value.as_ref());
        self.env.push(kv);
        self
    }

    /// Standard input.
    pub fn stdin(mut self, r: impl Read + Send + 'static) -> Self {
        self.stdin = Box::new(r);
        self
    }

    /// Standard output.
    pub fn stdout(mut self, w: impl Write + Send + 'static) -> Self {
        self.stdout = Box::new(w);
        self
    }

    /// Standard error.
    pub fn stderr(mut self, w: impl Write + Send + 'static) -> Self {
        self.stderr = Box::new(w);
        self
    }

    /// Use this process's standard input, output and error.
    pub fn inherit_stdio(self) -> Self {
        self.stdin(io::stdin()).stdout(io::stdout()).stderr(io::stderr())
    }

    /// The context.
    pub fn build(self) -> WasiCtx {
        let shared = Shared {
            args: self.args,
            env: self.env,
            fds: [
                Mutex::new(Some(FdEntry::new(Stdio::In(self.stdin)))),
                Mutex::new(Some(FdEntry::new(Stdio::Out(self.stdout)))),
                Mutex::new(Some(FdEntry::new(Stdio::Out(self.stderr)))),
            ],
            start: Instant::now(),
        };
        WasiCtx { shared: Arc::new(shared) }
    }
}

/// An in-memory writer whose contents can be read back through any clone: hand one clone to the
/// program as stdout or stderr and keep another to look at what it wrote.
#[derive(Clone, Default, Debug)]
pub struct OutputPipe(Arc<Mutex<Vec<u8>>>);

impl OutputPipe {
    /// An empty pipe.
    pub fn new() -> Self {
        Self::default()
    }
    /// Everything written so far.
    pub fn contents(&self) -> Vec<u8> {
        lock(&self.0).clone()
    }
}

impl Write for OutputPipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        lock(&self.0).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
