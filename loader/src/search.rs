//! Finding libraries, and the sandbox rules for names a guest asks for.
//!
//! **Who decides.** The host decides where libraries come from; a guest only names them. Trusted
//! (*host*) requests are the embedder's [`Thread::load`](crate::Thread::load)/[`Thread::dlopen`]
//! (crate::Thread::dlopen) sources and [`LoadOptions::needed`](crate::LoadOptions::needed) (the CLI's
//! `--preload`): a path is read as it is, a name is searched in [`SpaceConfig::search_path`]
//! (crate::SpaceConfig::search_path) (the CLI's `-L` directories and the main program's directory).
//! *Guest* requests are everything a module controls: the name it passes to `dlopen` from wasm, the
//! `NEEDED` entries and the runtime path of its `dylink.0`. They are resolved like `ld.so` inside a
//! sandbox:
//!
//! 1. The name must be non-empty, at most 4096 bytes, without NUL.
//! 2. A name without `/` is looked up in the embedder's in-memory libraries, then in the requesting
//!    module's runtime path, then in each search-path directory.
//! 3. A name with `/` is a *guest path*. It is looked up beneath the `--dir` preopens
//!    ([`SpaceConfig::preopens`](crate::SpaceConfig::preopens)) whose guest path is a prefix of it
//!    (longest first; a preopen named `.` takes every relative path), the rest of the name resolved
//!    beneath the preopen's host directory — so `dlopen("/data/libx.so")` with `--dir host::/data`
//!    opens `host/libx.so`, exactly what `fopen` would. A relative guest path is also looked up beneath
//!    each search-path directory.
//! 4. Runtime-path entries: `$ORIGIN/...` is resolved beneath the requesting module's directory; any
//!    other entry is a guest path (rule 3), never a host directory.
//! 5. "Beneath" is [`beneath::read_beneath`](crate::beneath): race-free (`openat2` with
//!    `RESOLVE_BENEATH`), no `..` out of the directory, no absolute host path, symlinks resolved
//!    beneath it, regular files only.
//!
//! Anything else fails exactly like a missing library, and the error a guest sees (`dlerror`) names
//! only what it asked for: no host directory, no file content ([`Error::guest_message`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::beneath::read_beneath;
use crate::error::{Error, Result, base_name};
use crate::state::{SpaceInner, lock};

/// Where a module to load comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A library name (searched) or a path (containing `/`).
    Name(String),
    /// The module's bytes, and the name it is known by.
    Bytes {
        /// The name it is known by: what `NEEDED` entries and `dlopen` match against.
        name: String,
        /// The module's binary.
        bytes: Arc<[u8]>,
    },
}

impl Source {
    /// The name the module is known by: the file name of a path, or the given name.
    pub fn name(&self) -> &str {
        match self {
            Source::Name(n) => base_name(n),
            Source::Bytes { name, .. } => name,
        }
    }
}

impl From<&str> for Source {
    fn from(s: &str) -> Self {
        Source::Name(s.to_string())
    }
}

/// A module's bytes and where they were found.
pub(crate) struct Found {
    pub name: String,
    pub path: Option<PathBuf>,
    pub bytes: Arc<[u8]>,
}

fn read(path: &Path) -> Result<Arc<[u8]>> {
    std::fs::read(path)
        .map(Arc::from)
        .map_err(|e| Error::Io { path: path.display().to_string(), reason: e.to_string() })
}

/// Who asks for a library: the host (trusted) or a guest (sandboxed; see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Requester {
    Host,
    Guest,
}

/// Find `source`; `origin` is the directory of the module whose `NEEDED` entry or `dlopen` asks for it, and
/// `rpath` that module's runtime path.
pub(crate) fn find(
    space: &SpaceInner,
    source: &Source,
    who: Requester,
    origin: Option<&Path>,
    rpath: &[String],
) -> Result<Found> {
    let name = source.name().to_string();
    let n = match source {
        Source::Bytes { bytes, .. } => return Ok(Found { name, path: None, bytes: bytes.clone() }),
        Source::Name(n) => n,
    };
    if who == Requester::Guest {
        return find_guest(space, n, origin, rpath);
    }
    if n.contains('/') {
        let path = PathBuf::from(n);
        return Ok(Found { name, bytes: read(&path)?, path: Some(path) });
    }
    if let Some(bytes) = lock(&space.libraries).get(n) {
        return Ok(Found { name, path: None, bytes: bytes.clone() });
    }
    let dirs = &space.config.search_path;
    for d in dirs {
        let path = d.join(n);
        if path.is_file() {
            return Ok(Found { name, bytes: read(&path)?, path: Some(path) });
        }
    }
    Err(Error::NotFound { name, searched: dirs.iter().map(|d| d.display().to_string()).collect(), needed_by: None })
}

/// Split a guest path into its components (no empty ones, no `.`) and whether it is absolute.
fn components(p: &str) -> (bool, Vec<&str>) {
    (p.starts_with('/'), p.split('/').filter(|c| !c.is_empty() && *c != ".").collect())
}

/// The host directories and the rest of `path` to resolve beneath each: the preopens whose guest path is a
/// prefix of `path`, longest first.
fn through_preopens(space: &SpaceInner, path: &str) -> Vec<(PathBuf, String)> {
    let (abs, parts) = components(path);
    let mut hits: Vec<(usize, PathBuf, String)> = Vec::new();
    for (guest, host) in &space.config.preopens {
        let (gabs, gparts) = components(guest);
        if gabs == abs && parts.len() > gparts.len() && parts[..gparts.len()] == gparts[..] {
            hits.push((gparts.len(), host.clone(), parts[gparts.len()..].join("/")));
        }
    }
    hits.sort_by_key(|h| std::cmp::Reverse(h.0));
    hits.into_iter().map(|(_, h, r)| (h, r)).collect()
}

/// The sandboxed search of the module docs; every failure is `NotFound` (the host directories tried are
/// in it for the host; [`Error::guest_message`] leaves them out).
fn find_guest(space: &SpaceInner, n: &str, origin: Option<&Path>, rpath: &[String]) -> Result<Found> {
    let name = base_name(n).to_string();
    let missing = |tried: &[(PathBuf, String)]| {
        let mut searched: Vec<String> = Vec::new();
        for (d, _) in tried {
            let d = d.display().to_string();
            if !searched.contains(&d) {
                searched.push(d);
            }
        }
        Error::NotFound { name: if n.is_empty() { "\"\"".into() } else { n.to_string() }, searched, needed_by: None }
    };
    if n.is_empty() || n.len() > 4096 || n.contains('\0') || name.is_empty() {
        return Err(missing(&[]));
    }
    let mut tries: Vec<(PathBuf, String)> = Vec::new();
    if n.contains('/') {
        tries.extend(through_preopens(space, n));
        if !n.starts_with('/') {
            tries.extend(space.config.search_path.iter().map(|d| (d.clone(), n.to_string())));
        }
    } else {
        if let Some(bytes) = lock(&space.libraries).get(n) {
            return Ok(Found { name, path: None, bytes: bytes.clone() });
        }
        for r in rpath {
            match (r.strip_prefix("$ORIGIN"), origin) {
                (Some(rest), Some(o)) if rest.is_empty() || rest.starts_with('/') => {
                    let rest = rest.trim_start_matches('/');
                    tries.push((o.to_path_buf(), if rest.is_empty() { n.to_string() } else { format!("{rest}/{n}") }));
                }
                (Some(_), _) => {}
                (None, _) => tries.extend(through_preopens(space, &format!("{}/{n}", r.trim_end_matches('/')))),
            }
        }
        tries.extend(space.config.search_path.iter().map(|d| (d.clone(), n.to_string())));
    }
    for (dir, rel) in &tries {
        if let Some(bytes) = read_beneath(dir, rel) {
            return Ok(Found { name, path: Some(dir.join(rel)), bytes });
        }
    }
    Err(missing(&tries))
}
