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
//!
//! **Ending.** When the program ends (any thread exits or traps, or `_start` returns) its
//! [`ThreadGroup`](crate::threads::ThreadGroup) calls [`WasiCtx::shutdown`]: every host call that
//! can block for long (`fd_read` on a pipe or terminal, `poll_oneoff`) waits in `poll(2)` on the
//! descriptor *and* on the context's eventfd, so it wakes at once and ends its thread with a trap
//! (the program's outcome is already decided). Blocking host descriptors get this; an arbitrary
//! [`Reader`] given to [`WasiCtxBuilder::stdin`] cannot be woken (use
//! [`WasiCtxBuilder::stdin_file`] for a pipe). A write blocked on a full pipe is not woken either
//! (the descriptor is shared with the host, so it cannot be made non-blocking); the CLI ends the
//! process regardless. [`flush`](WasiCtx::flush) never waits for a
//! descriptor another thread holds (a reader blocked on stdin holds stdin's), so ending never
//! deadlocks on a blocked reader.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};
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
    /// Not a regular file (a pipe, terminal, socket or device): a read may block for good, so it
    /// first waits in `poll(2)` where the end of the program can wake it.
    pub stream: bool,
}

/// An open directory: a host directory descriptor. Every path relative to it is resolved beneath
/// it by `cap-std` (see `path.rs`).
pub(crate) struct OpenDir {
    pub dir: cap_std::fs::Dir,
    /// The name the program sees, for a preopened directory.
    pub preopen: Option<String>,
    /// The entries listed by the last `fd_readdir` from cookie 0 (later cookies index into it).
    pub listing: Option<Vec<super::fs::DirEntry>>,
}

/// An open descriptor with its `fdflags` and rights.
pub(crate) struct FdEntry {
    pub handle: Handle,
    pub flags: u16,
    /// The rights of this descriptor (`fs_rights_base`); only ever reduced.
    pub base: u64,
    /// The rights descriptors opened through this one may have (`fs_rights_inheriting`).
    pub inheriting: u64,
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
    /// Set when the program has ended: blocked calls wake and end their threads.
    closing: AtomicBool,
    /// An eventfd made readable by [`WasiCtx::shutdown`], polled beside blocking descriptors.
    wake: OwnedFd,
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

    /// Flush standard output and error (errors are ignored: the program is gone). A descriptor in
    /// use by another thread is skipped: a writer flushes after every `fd_write` anyway, and a
    /// reader may be blocked for good.
    pub fn flush(&self) {
        let open: Vec<_> = lock(&self.shared.fds).iter().flatten().cloned().collect();
        for entry in open {
            let mut guard = match entry.try_lock() {
                Ok(g) => g,
                Err(TryLockError::Poisoned(p)) => p.into_inner(),
                Err(TryLockError::WouldBlock) => continue,
            };
            if let Handle::Out(w) = &mut guard.handle {
                let _ = w.flush();
            }
        }
    }

    /// The program has ended: wake every thread blocked in `fd_read` on a host stream or in
    /// `poll_oneoff`; they (and any later blocking call) end their threads with a trap.
    pub fn shutdown(&self) {
        if !self.shared.closing.swap(true, Ordering::SeqCst) {
            let one = 1u64.to_ne_bytes();
            // SAFETY: writing 8 bytes from a live buffer to an eventfd we own.
            unsafe { libc::write(self.shared.wake.as_raw_fd(), one.as_ptr().cast(), one.len()) };
        }
    }

    /// Whether [`shutdown`](Self::shutdown) has been called.
    pub fn is_closing(&self) -> bool {
        self.shared.closing.load(Ordering::SeqCst)
    }

    /// Wait until `fd` is ready for `events` (`POLLIN`/`POLLOUT`), `timeout` passes (`Ok(false)`),
    /// or the program ends (`EINTR`). `None` for `fd` waits only for the timeout or the end.
    pub(crate) fn wait(
        &self,
        fd: Option<BorrowedFd<'_>>,
        events: i16,
        timeout: Option<std::time::Duration>,
    ) -> Result<bool, Errno> {
        let mut fds: Vec<libc::pollfd> =
            fd.iter().map(|fd| libc::pollfd { fd: fd.as_raw_fd(), events, revents: 0 }).collect();
        self.poll(&mut fds, timeout)?;
        Ok(fds.iter().any(|p| p.revents != 0))
    }

    /// `poll(2)` on `fds` (their `revents` are filled in) until one is ready or `timeout` passes
    /// (`None`: no limit), or until the program ends (`EINTR`).
    pub(crate) fn poll(&self, fds: &mut [libc::pollfd], timeout: Option<std::time::Duration>) -> Result<(), Errno> {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let mut all = Vec::with_capacity(fds.len() + 1);
        loop {
            if self.is_closing() {
                return Err(Errno::INTR);
            }
            all.clear();
            all.push(libc::pollfd { fd: self.shared.wake.as_raw_fd(), events: libc::POLLIN, revents: 0 });
            all.extend(fds.iter().map(|p| libc::pollfd { revents: 0, ..*p }));
            let ms = match deadline {
                None => -1,
                // Round up, so a wait never ends before its deadline.
                Some(d) => {
                    d.saturating_duration_since(Instant::now()).as_nanos().div_ceil(1_000_000).min(i32::MAX as u128)
                        as i32
                }
            };
            // SAFETY: `all` is a live array of pollfds of that length.
            let r = unsafe { libc::poll(all.as_mut_ptr(), all.len() as libc::nfds_t, ms) };
            if r < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e.into());
            }
            if self.is_closing() {
                return Err(Errno::INTR);
            }
            for (p, q) in fds.iter_mut().zip(&all[1..]) {
                p.revents = q.revents;
            }
            if fds.iter().any(|p| p.revents != 0) || deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(());
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
    /// An entry with the rights that `handle`'s kind of descriptor can have.
    pub(crate) fn new(handle: Handle) -> Self {
        let (base, inheriting) = super::rights::of(&handle);
        Self { handle, flags: 0, base, inheriting }
    }

    /// `ENOTCAPABLE` unless this descriptor has every right in `rights`.
    pub(crate) fn require(&self, rights: u64) -> Result<(), Errno> {
        if self.base & rights == rights { Ok(()) } else { Err(Errno::NOTCAPABLE) }
    }
}

/// A host descriptor as an [`OpenFile`] (a stream unless it is a regular file).
pub(crate) fn host_file(file: File, read: bool, write: bool) -> OpenFile {
    let stream = !file.metadata().is_ok_and(|m| m.is_file());
    OpenFile { file, read, write, stream }
}

/// A duplicate of this process's descriptor `fd` (0, 1 or 2), if it is open.
fn dup_stdio(fd: i32) -> Option<File> {
    // SAFETY: `fd` is only borrowed for the duration of the duplication; the check before it makes
    // sure it is open.
    if unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
        return None;
    }
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    borrowed.try_clone_to_owned().ok().map(File::from)
}

/// Builds a [`WasiCtx`].
pub struct WasiCtxBuilder {
    args: Vec<Vec<u8>>,
    env: Vec<Vec<u8>>,
    stdin: Handle,
    stdout: Handle,
    stderr: Handle,
    preopens: Vec<OpenDir>,
}

impl Default for WasiCtxBuilder {
    fn default() -> Self {
        Self {
            args: Vec::new(),
            env: Vec::new(),
            stdin: Handle::In(Box::new(io::empty())),
            stdout: Handle::Out(Box::new(io::sink())),
            stderr: Handle::Out(Box::new(io::sink())),
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

    /// Standard input: any reader (the program sees a character device; a read blocked in it
    /// cannot be woken when the program ends, see the module docs).
    pub fn stdin(mut self, r: impl Read + Send + 'static) -> Self {
        self.stdin = Handle::In(Box::new(r));
        self
    }

    /// Standard output: any writer (the program sees a character device).
    pub fn stdout(mut self, w: impl Write + Send + 'static) -> Self {
        self.stdout = Handle::Out(Box::new(w));
        self
    }

    /// Standard error: any writer (the program sees a character device).
    pub fn stderr(mut self, w: impl Write + Send + 'static) -> Self {
        self.stderr = Handle::Out(Box::new(w));
        self
    }

    /// Standard input from a host descriptor (a file, pipe or terminal): the program sees its real
    /// file type, and a read blocked on it ends when the program does.
    pub fn stdin_file(mut self, f: impl Into<OwnedFd>) -> Self {
        self.stdin = Handle::File(host_file(File::from(f.into()), true, false));
        self
    }

    /// Standard output to a host descriptor: the program sees its real file type (so wasi-libc
    /// buffers fully unless it is a terminal).
    pub fn stdout_file(mut self, f: impl Into<OwnedFd>) -> Self {
        self.stdout = Handle::File(host_file(File::from(f.into()), false, true));
        self
    }

    /// Standard error to a host descriptor.
    pub fn stderr_file(mut self, f: impl Into<OwnedFd>) -> Self {
        self.stderr = Handle::File(host_file(File::from(f.into()), false, true));
        self
    }

    /// Use (duplicates of) this process's standard input, output and error, as they are: a file
    /// is a file, a pipe a pipe and a terminal a terminal to the program. A closed one stays empty.
    pub fn inherit_stdio(mut self) -> Self {
        self = match dup_stdio(0) {
            Some(f) => self.stdin_file(f),
            None => self.stdin(io::empty()),
        };
        self = match dup_stdio(1) {
            Some(f) => self.stdout_file(f),
            None => self.stdout(io::sink()),
        };
        match dup_stdio(2) {
            Some(f) => self.stderr_file(f),
            None => self.stderr(io::sink()),
        }
    }

    /// Give the program the host directory `host` (and everything below it, but nothing outside)
    /// under the name `guest` (e.g. `"/data"` or `"."`): the next descriptor from 3 on. Fails if
    /// `host` is not an existing directory (or `guest` is empty).
    pub fn preopened_dir(mut self, host: impl AsRef<Path>, guest: impl Into<String>) -> io::Result<Self> {
        let (host, guest) = (host.as_ref(), guest.into());
        if guest.is_empty() || guest.contains('\0') {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("bad guest path {guest:?}")));
        }
        if std::fs::metadata(host).is_ok_and(|m| !m.is_dir()) {
            return Err(io::Error::new(io::ErrorKind::NotADirectory, format!("{}: not a directory", host.display())));
        }
        let dir = cap_std::fs::Dir::open_ambient_dir(host, cap_std::ambient_authority())
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", host.display())))?;
        self.preopens.push(OpenDir { dir, preopen: Some(guest), listing: None });
        Ok(self)
    }

    /// The context. Panics only if the host cannot make one eventfd (out of descriptors).
    pub fn build(self) -> WasiCtx {
        let slot = |h| Some(Arc::new(Mutex::new(FdEntry::new(h))));
        let mut fds = vec![slot(self.stdin), slot(self.stdout), slot(self.stderr)];
        fds.extend(self.preopens.into_iter().map(|d| slot(Handle::Dir(d))));
        // SAFETY: eventfd returns a new descriptor that we own, or -1.
        let raw = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        assert!(raw >= 0, "cannot create an eventfd: {}", io::Error::last_os_error());
        let wake = unsafe { OwnedFd::from_raw_fd(raw) };
        let shared = Shared {
            args: self.args,
            env: self.env,
            fds: Mutex::new(fds),
            start: Instant::now(),
            closing: AtomicBool::new(false),
            wake,
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
