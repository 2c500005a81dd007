//! WASI preview1 error numbers (`errno`) and the result type the host functions use internally.
//!
//! Every preview1 function returns an `errno` as an `i32`; the implementations return
//! `Result<(), Errno>` and the registration glue turns that into the wasm return value. Only the
//! numbers this host actually produces are named here (values from `wasi/api.h`).

use std::fmt;
use std::io;

/// A WASI preview1 error number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Errno(pub u16);

impl Errno {
    pub const SUCCESS: Errno = Errno(0);
    pub const AGAIN: Errno = Errno(6);
    pub const BADF: Errno = Errno(8);
    pub const FAULT: Errno = Errno(21);
    pub const INTR: Errno = Errno(27);
    pub const INVAL: Errno = Errno(28);
    pub const IO: Errno = Errno(29);
    pub const NOSYS: Errno = Errno(52);
    pub const NOTSUP: Errno = Errno(58);
    pub const OVERFLOW: Errno = Errno(61);
    pub const PIPE: Errno = Errno(64);
    pub const SPIPE: Errno = Errno(70);
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
    fn from(e: io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::BrokenPipe => Errno::PIPE,
            io::ErrorKind::WouldBlock => Errno::AGAIN,
            io::ErrorKind::Interrupted => Errno::INTR,
            io::ErrorKind::InvalidInput => Errno::INVAL,
            _ => Errno::IO,
        }
    }
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
