//! [`WasiCtx`]: the per-program WASI state (arguments, environment, descriptors, clocks).
//!
//! A `WasiCtx` lives in the store's user data and is reached by the host functions through the
//! accessor given to [`add_to_linker`](super::add_to_linker). The standard streams are trait objects
//! so that an embedder (or a test) can give the program any reader and writers, e.g. an in-memory
//! [`OutputPipe`] to capture what it prints. Descriptors 0, 1, 2 are the standard streams; the
//! directories given to [`WasiCtxBuilder::preopened_dir`] follow as 3, 4, ... in order, and files
//! and directories the program opens take the lowest free number after that.
//!
//! A `WasiCtx` is a handle: its clones share one state, which is what the threads of one program
//! need (each thread's store holds a clone), so all threads see one descriptor table. The table has
//! its own lock, held only to look up, add or remove an entry; each descriptor has its own lock,
//! held for the whole of one `fd_write` or `fd_read`, so concurrent writes never interleave within
//! one call and a thread blocked reading stdin does not hold up others.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use super::Errno;

/// The program's standard input.
pub type Reader = Box<dyn Read + Send>;
/// The program's standard output or error.
pub type Writer = Box<dyn Write + Send>;

/// What a descriptor refers to.
pub(crate) enum Handle {
    /// Standard input.
    In(Reader),
    /// Standard output or error.
    Out(Writer),
    /// A file opened with `path_open`.
    File(OpenFile),
    /// A preopened directory, or one opened with `path_open`.
    Dir(OpenDir),
}

/// An open regular file (or other non-directory) and what the program may do with it.
pub(crate) struct OpenFile {
    pub file: File,
    pub read: bool,
    pub write: bool,
}

/// An open directory: its canonical host path (paths relative to it never leave it).
pub(crate) struct OpenDir {
    pub host: PathBuf,
    /// The name the program sees, for a preopened directory.
    pub preopen: Option<String>,
    /// The entries listed by the last `fd_readdir` from cookie 0 (later cookies index into it).
    pub listing: Option<Vec<super::fs::DirEntry>>,
}

/// An open descriptor with its `fdflags`.
pub(crate) struct FdEntry {
    pub handle: Handle,
    pub flags: u16,
}

type Slot = Option<Arc<Mutex<FdEntry>>>;

/// The most descriptors a program may have open at once.
const MAX_FDS: usize = 1 << 14;

/// The WASI state of one program. Clones share it (one program, many threads).
#[derive(Clone)]
pub struct WasiCtx {
    shared: Arc<Shared>,
}

struct Shared {
    args: Vec<Vec<u8>>,
    /// `KEY=VALUE` entries.
    env: Vec<Vec<u8>>,
    /// The descriptor table, indexed by descriptor; `None` is a closed one. Always at least 3 long.
    fds: Mutex<Vec<Slot>>,
    /// Origin of the monotonic clock.
    start: Instant,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
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

    fn set_stdio(&self, fd: usize, handle: Handle) {
        lock(&self.shared.fds)[fd] = Some(Arc::new(Mutex::new(FdEntry::new(handle))));
    }

    /// Replace standard input (reopening descriptor 0 if the program closed it), for every clone.
    pub fn set_stdin(&mut self, r: impl Read + Send + 'static) {
        self.set_stdio(0, Handle::In(Box::new(r)));
    }

    /// Replace standard output (reopening descriptor 1 if the program closed it), for every clone.
    pub fn set_stdout(&mut self, w: impl Write + Send + 'static) {
        self.set_stdio(1, Handle::Out(Box::new(w)));
    }

    /// Replace standard error (reopening descriptor 2 if the program closed it), for every clone.
    pub fn set_stderr(&mut self, w: impl Write + Send + 'static) {
        self.set_stdio(2, Handle::Out(Box::new(w)));
    }

    /// Flush standard output and error (errors are ignored: the program is gone).
    pub fn flush(&self) {
        let open: Vec<_> = lock(&self.shared.fds).iter().flatten().cloned().collect();
        for entry in open {
            if let Handle::Out(w) = &mut lock(&entry).handle {
                let _ = w.flush();
            }
        }
    }

    /// The entry of open descriptor `fd`.
    fn entry(&self, fd: u32) -> Result<Arc<Mutex<FdEntry>>, Errno> {
        lock(&self.shared.fds).get(fd as usize).cloned().flatten().ok_or(Errno::BADF)
    }

    /// Run `f` on the open descriptor `fd` (holding its lock, not the table's), or fail with `EBADF`.
    pub(crate) fn with_fd<R>(&self, fd: u32, f: impl FnOnce(&mut FdEntry) -> Result<R, Errno>) -> Result<R, Errno> {
        let entry = self.entry(fd)?;
        let mut guard = lock(&entry);
        f(&mut guard)
    }

    /// Close descriptor `fd`: its entry (which another thread may still be using), or `EBADF`.
    pub(crate) fn take_fd(&self, fd: u32) -> Result<Arc<Mutex<FdEntry>>, Errno> {
        lock(&self.shared.fds).get_mut(fd as usize).and_then(Option::take).ok_or(Errno::BADF)
    }

    /// Open a new descriptor for `entry`: the lowest free number, or `EMFILE`.
    pub(crate) fn insert_fd(&self, entry: FdEntry) -> Result<u32, Errno> {
        let mut fds = lock(&self.shared.fds);
        let slot = Some(Arc::new(Mutex::new(entry)));
        let fd = match fds.iter().position(Option::is_none) {
            Some(i) => {
                fds[i] = slot;
                i
            }
            None if fds.len() < MAX_FDS => {
                fds.push(slot);
                fds.len() - 1
            }
            None => return Err(Errno::MFILE),
        };
        Ok(fd as u32)
    }

    /// `fd_renumber`: move open descriptor `from` to `to`, which must be open too (and is closed
    /// first). Returns the entry that was at `to`, if it differs from `from`'s.
    pub(crate) fn renumber(&self, from: u32, to: u32) -> Result<Option<Arc<Mutex<FdEntry>>>, Errno> {
        let mut fds = lock(&self.shared.fds);
        let open = |fds: &Vec<Slot>, fd: u32| fds.get(fd as usize).is_some_and(Option::is_some);
        if !open(&fds, from) || !open(&fds, to) {
            return Err(Errno::BADF);
        }
        if from == to {
            return Ok(None);
        }
        let moved = fds[from as usize].take();
        Ok(std::mem::replace(&mut fds[to as usize], moved))
    }
}

impl FdEntry {
    pub(crate) fn new(handle: Handle) -> Self {
        Self { handle, flags: 0 }
    }
}

/// Builds a [`WasiCtx`].
pub struct WasiCtxBuilder {
    args: Vec<Vec<u8>>,
    env: Vec<Vec<u8>>,
    stdin: Reader,
    stdout: Writer,
    stderr: Writer,
    preopens: Vec<OpenDir>,
}

impl Default for WasiCtxBuilder {
    fn default() -> Self {
        Self {
            args: Vec::new(),
            env: Vec::new(),
            stdin: Box::new(io::empty()),
            stdout: Box::new(io::sink()),
            stderr: Box::new(io::sink()),
            preopens: Vec::new(),
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

    /// Give the program the host directory `host` (and everything below it, but nothing outside)
    /// under the name `guest` (e.g. `"/data"` or `"."`): the next descriptor from 3 on. Fails if
    /// `host` is not an existing directory (or `guest` is empty).
    pub fn preopened_dir(mut self, host: impl AsRef<Path>, guest: impl Into<String>) -> io::Result<Self> {
        let (host, guest) = (host.as_ref(), guest.into());
        if guest.is_empty() || guest.contains('\0') {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("bad guest path {guest:?}")));
        }
        let canonical =
            std::fs::canonicalize(host).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", host.display())))?;
        if !canonical.is_dir() {
            return Err(io::Error::new(io::ErrorKind::NotADirectory, format!("{}: not a directory", host.display())));
        }
        self.preopens.push(OpenDir { host: canonical, preopen: Some(guest), listing: None });
        Ok(self)
    }

    /// The context.
    pub fn build(self) -> WasiCtx {
        let slot = |h| Some(Arc::new(Mutex::new(FdEntry::new(h))));
        let mut fds =
            vec![slot(Handle::In(self.stdin)), slot(Handle::Out(self.stdout)), slot(Handle::Out(self.stderr))];
        fds.extend(self.preopens.into_iter().map(|d| slot(Handle::Dir(d))));
        let shared = Shared { args: self.args, env: self.env, fds: Mutex::new(fds), start: Instant::now() };
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
