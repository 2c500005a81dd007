//! Loader errors.
//!
//! Every error names the module it concerns and says why, in the style of a system dynamic loader
//! (`libfoo.so: undefined symbol: bar`), because a user looking at a failed `dlopen` has nothing else to go
//! on. [`Error::to_string`](std::string::ToString) is what `dlerror()` returns to wasm.

use std::fmt;

/// What went wrong while loading, linking or running modules in an address space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The `dylink.0` section is missing where one is required, malformed, or asks for something that cannot
    /// be satisfied.
    Dylink {
        /// The module whose section is at fault.
        module: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A module without `dylink.0` cannot be relocated: it has no relocations, or ones the loader does not
    /// handle, or malformed ones.
    Relocation {
        /// The module.
        module: String,
        /// What is missing or wrong, and how to rebuild it.
        reason: String,
    },
    /// The module's memory or table region cannot be placed (overlap, alignment, out of address space).
    Layout {
        /// The module being placed.
        module: String,
        /// Why it does not fit.
        reason: String,
    },
    /// A strong (non-weak) symbol that no loaded module and no host function defines.
    Unresolved {
        /// The module with the import.
        module: String,
        /// The import's module name (`env`, `GOT.mem`, `GOT.func`, ...), which says what kind of symbol is wanted.
        import: String,
        /// The symbol nobody defines.
        symbol: String,
    },
    /// A symbol is defined, but not as what the importer expects (a function where data was expected, a
    /// different signature, ...).
    Mismatch {
        /// The module with the import.
        module: String,
        /// The symbol it imports.
        symbol: String,
        /// How the definition differs from the import (e.g. both signatures).
        reason: String,
    },
    /// A library named by `dlopen` or `NEEDED` is not on the search path (`needed_by`: the module whose
    /// `NEEDED` entry named it).
    NotFound {
        /// The name asked for.
        name: String,
        /// Every place looked at, in order, so the message shows where to put the file.
        searched: Vec<String>,
        /// The module whose `NEEDED` entry named it; `None` when the host or `dlopen` asked.
        needed_by: Option<String>,
    },
    /// Reading a library file failed.
    Io {
        /// The file.
        path: String,
        /// The operating system's error.
        reason: String,
    },
    /// The machine refused the module (decode/validation error, instantiation failure) or a trap happened
    /// while running its initialisation code.
    Vm {
        /// The module (or, for a failed call, the function) concerned.
        module: String,
        /// The machine's error; a trap here may be a WASI `proc_exit` (see [`wasmvm::Trap::exit_status`]).
        error: wasmvm::Error,
    },
    /// The loader API was used incorrectly (unknown handle, wrong thread mode, ...).
    Api(String),
}

impl Error {
    pub(crate) fn dylink(module: &str, reason: impl Into<String>) -> Self {
        Error::Dylink { module: module.to_string(), reason: reason.into() }
    }
    pub(crate) fn relocation(module: &str, reason: impl Into<String>) -> Self {
        Error::Relocation { module: module.to_string(), reason: reason.into() }
    }
    pub(crate) fn layout(module: &str, reason: impl Into<String>) -> Self {
        Error::Layout { module: module.to_string(), reason: reason.into() }
    }
    pub(crate) fn vm(module: &str, error: wasmvm::Error) -> Self {
        Error::Vm { module: module.to_string(), error }
    }
    pub(crate) fn mismatch(module: &str, symbol: &str, reason: impl Into<String>) -> Self {
        Error::Mismatch { module: module.to_string(), symbol: symbol.to_string(), reason: reason.into() }
    }
    pub(crate) fn api(msg: impl Into<String>) -> Self {
        Error::Api(msg.into())
    }

    /// The message for a guest (`dlerror`): the same, without host details — the directories searched and
    /// a file's host path and I/O error are left out (see the private module `search`, src/search.rs).
    pub fn guest_message(&self) -> String {
        match self {
            Error::NotFound { name, needed_by, .. } => {
                Error::NotFound { name: name.clone(), searched: Vec::new(), needed_by: needed_by.clone() }.to_string()
            }
            Error::Io { path, .. } => {
                format!("{}: cannot open shared object: not found", base_name(path))
            }
            e => e.to_string(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Dylink { module, reason } => write!(f, "{module}: bad dylink.0 section: {reason}"),
            Error::Layout { module, reason } => write!(f, "{module}: cannot place module: {reason}"),
            Error::Relocation { module, reason } => write!(f, "{module}: cannot relocate: {reason}"),
            Error::Unresolved { module, import, symbol } => {
                write!(f, "{module}: undefined symbol: {symbol} (import {import})")
            }
            Error::Mismatch { module, symbol, reason } => write!(f, "{module}: symbol {symbol}: {reason}"),
            Error::NotFound { name, searched, needed_by } => {
                write!(f, "{name}: cannot open shared object")?;
                if let Some(by) = needed_by {
                    write!(f, " (needed by {by})")?;
                }
                if searched.is_empty() {
                    write!(f, ": not found")
                } else {
                    write!(f, ": not found in {}", searched.join(":"))
                }
            }
            Error::Io { path, reason } => write!(f, "{path}: cannot read: {reason}"),
            Error::Vm { module, error } => write!(f, "{module}: {error}"),
            Error::Api(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}

/// The result type of the loader.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The name a library named (or found at the path) `n` is known by: its file name.
pub(crate) fn base_name(n: &str) -> &str {
    n.rsplit('/').next().unwrap_or(n)
}
