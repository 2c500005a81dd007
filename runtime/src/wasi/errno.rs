//! WASI preview1 error numbers (`errno`) and the result type the host functions use internally.
//!
//! Every preview1 function returns an `errno` as an `i32`; the implementations return
//! `Result<(), Errno>` and the registration glue turns that into the wasm return value. Only the
//! numbers this host actually produces are named here (values from `wasi/api.h`); host I/O errors
//! are translated by their OS error number.

use std::fmt;
use std::io;

/// A WASI preview1 error number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Errno(pub u16);

impl Errno {
    pub const SUCCESS: Errno = Errno(0);
    pub const ACCES: Errno = Errno(2);
    pub const AGAIN: Errno = Errno(6);
    pub const BADF: Errno = Errno(8);
    pub const BUSY: Errno = Errno(10);
    pub const DQUOT: Errno = Errno(19);
    pub const EXIST: Errno = Errno(20);
    pub const FAULT: Errno = Errno(21);
    pub const FBIG: Errno = Errno(22);
    pub const ILSEQ: Errno = Errno(25);
    pub const INTR: Errno = Errno(27);
    pub const INVAL: Errno = Errno(28);
    pub const IO: Errno = Errno(29);
    pub const ISDIR: Errno = Errno(31);
    pub const LOOP: Errno = Errno(32);
    pub const MFILE: Errno = Errno(33);
    pub const MLINK: Errno = Errno(34);
    pub const NAMETOOLONG: Errno = Errno(37);
    pub const NFILE: Errno = Errno(41);
    pub const NODEV: Errno = Errno(43);
    pub const NOENT: Errno = Errno(44);
    pub const NOMEM: Errno = Errno(48);
    pub const NOSPC: Errno = Errno(51);
    pub const NOSYS: Errno = Errno(52);
    pub const NOTDIR: Errno = Errno(54);
    pub const NOTEMPTY: Errno = Errno(55);
    pub const NOTSOCK: Errno = Errno(57);
    pub const NOTSUP: Errno = Errno(58);
    pub const NXIO: Errno = Errno(60);
    pub const OVERFLOW: Errno = Errno(61);
    pub const PERM: Errno = Errno(63);
    pub const PIPE: Errno = Errno(64);
    pub const ROFS: Errno = Errno(69);
    pub const SPIPE: Errno = Errno(70);
    pub const TXTBSY: Errno = Errno(74);
    pub const XDEV: Errno = Errno(75);
    pub const NOTCAPABLE: Errno = Errno(76);

    /// The raw number, as returned to wasm.
    pub fn raw(self) -> i32 {
        i32::from(self.0)
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "errno {}", self.0)
    }
}

impl From<io::Error> for Errno {
    /// The host's OS error number when there is one (translated: WASI numbers differ from Linux's),
    /// else the error's kind. A permission error without an OS number is `cap-std` refusing a path
    /// that leads out of its directory: `ENOTCAPABLE`.
    fn from(e: io::Error) -> Self {
        if let Some(raw) = e.raw_os_error()
            && let Some(errno) = from_os(raw)
        {
            return errno;
        }
        match e.kind() {
            io::ErrorKind::BrokenPipe => Errno::PIPE,
            io::ErrorKind::WouldBlock => Errno::AGAIN,
            io::ErrorKind::Interrupted => Errno::INTR,
            io::ErrorKind::InvalidInput => Errno::INVAL,
            io::ErrorKind::NotFound => Errno::NOENT,
            io::ErrorKind::PermissionDenied => Errno::NOTCAPABLE,
            io::ErrorKind::AlreadyExists => Errno::EXIST,
            io::ErrorKind::NotADirectory => Errno::NOTDIR,
            io::ErrorKind::IsADirectory => Errno::ISDIR,
            io::ErrorKind::DirectoryNotEmpty => Errno::NOTEMPTY,
            io::ErrorKind::InvalidFilename => Errno::NAMETOOLONG,
            io::ErrorKind::Unsupported => Errno::NOTSUP,
            _ => Errno::IO,
        }
    }
}

/// The WASI number of a host `errno` that file operations produce.
fn from_os(raw: i32) -> Option<Errno> {
    Some(match raw {
        libc::EPERM => Errno::PERM,
        libc::ENOENT => Errno::NOENT,
        libc::EINTR => Errno::INTR,
        libc::EIO => Errno::IO,
        libc::ENXIO => Errno::NXIO,
        libc::EBADF => Errno::BADF,
        libc::EAGAIN => Errno::AGAIN,
        libc::ENOMEM => Errno::NOMEM,
        libc::EACCES => Errno::ACCES,
        libc::EFAULT => Errno::FAULT,
        libc::EBUSY => Errno::BUSY,
        libc::EEXIST => Errno::EXIST,
        libc::EXDEV => Errno::XDEV,
        libc::ENODEV => Errno::NODEV,
        libc::ENOTDIR => Errno::NOTDIR,
        libc::EISDIR => Errno::ISDIR,
        libc::EINVAL => Errno::INVAL,
        libc::ENFILE => Errno::NFILE,
        libc::EMFILE => Errno::MFILE,
        libc::ETXTBSY => Errno::TXTBSY,
        libc::EFBIG => Errno::FBIG,
        libc::ENOSPC => Errno::NOSPC,
        libc::ESPIPE => Errno::SPIPE,
        libc::EROFS => Errno::ROFS,
        libc::EMLINK => Errno::MLINK,
        libc::EPIPE => Errno::PIPE,
        libc::ENAMETOOLONG => Errno::NAMETOOLONG,
        libc::ENOTEMPTY => Errno::NOTEMPTY,
        libc::ELOOP => Errno::LOOP,
        libc::EOVERFLOW => Errno::OVERFLOW,
        libc::EILSEQ => Errno::ILSEQ,
        libc::EDQUOT => Errno::DQUOT,
        libc::EOPNOTSUPP => Errno::NOTSUP,
        libc::ENOTSOCK => Errno::NOTSOCK,
        _ => return None,
    })
}

/// What the implementation of a WASI function returns.
pub type WasiResult = Result<(), Errno>;

/// The wasm return value of a WASI function.
pub(crate) fn to_wasm(r: WasiResult) -> i32 {
    match r {
        Ok(()) => Errno::SUCCESS.raw(),
        Err(e) => e.raw(),
    }
}
