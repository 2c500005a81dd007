//! Finding libraries: the embedder's in-memory libraries, then the requesting module's runtime path
//! (`$ORIGIN` = its directory), then the space's search path. A name containing `/` is a path.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::space::{SpaceInner, lock};

/// Where a module to load comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A library name (searched) or a path (containing `/`).
    Name(String),
    /// The module's bytes, and the name it is known by.
    Bytes { name: String, bytes: Arc<[u8]> },
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

/// The name a library named (or found at the path) `n` is known by: its file name.
pub(crate) fn base_name(n: &str) -> &str {
    n.rsplit('/').next().unwrap_or(n)
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

/// Find `source`; `origin` is the directory of the module whose `NEEDED` entry or `dlopen` asks for it, and
/// `rpath` that module's runtime path.
pub(crate) fn find(space: &SpaceInner, source: &Source, origin: Option<&Path>, rpath: &[String]) -> Result<Found> {
    let name = source.name().to_string();
    let n = match source {
        Source::Bytes { bytes, .. } => return Ok(Found { name, path: None, bytes: bytes.clone() }),
        Source::Name(n) => n,
    };
    if n.contains('/') {
        let path = PathBuf::from(n);
        return Ok(Found { name, bytes: read(&path)?, path: Some(path) });
    }
    if let Some(bytes) = lock(&space.libraries).get(n) {
        return Ok(Found { name, path: None, bytes: bytes.clone() });
    }
    let mut dirs: Vec<PathBuf> = Vec::new();
    for r in rpath {
        match (r.strip_prefix("$ORIGIN"), origin) {
            (Some(rest), Some(o)) => dirs.push(o.join(rest.trim_start_matches('/'))),
            (Some(_), None) => {}
            (None, _) => dirs.push(PathBuf::from(r)),
        }
    }
    dirs.extend(space.config.search_path.iter().cloned());
    for d in &dirs {
        let path = d.join(n);
        if path.is_file() {
            return Ok(Found { name, bytes: read(&path)?, path: Some(path) });
        }
    }
    Err(Error::NotFound { name, searched: dirs.iter().map(|d| d.display().to_string()).collect(), needed_by: None })
}
