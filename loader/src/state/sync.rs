//! Locks: the registry's guards and the load lock. A poisoned lock is taken anyway: the state it guards is
//! kept consistent by each operation before it can panic.

use std::sync::{Condvar, Mutex, MutexGuard, RwLockReadGuard, RwLockWriteGuard};

use super::space::SpaceInner;
use crate::registry::Registry;

/// Lock `m`, ignoring poisoning.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The registry, for reading.
pub(crate) fn read_reg(space: &SpaceInner) -> RwLockReadGuard<'_, Registry> {
    space.reg.read().unwrap_or_else(|e| e.into_inner())
}

/// The registry, for writing.
pub(crate) fn write_reg(space: &SpaceInner) -> RwLockWriteGuard<'_, Registry> {
    space.reg.write().unwrap_or_else(|e| e.into_inner())
}

/// Serialises loading and unloading; re-entrant, because a constructor may `dlopen`.
#[derive(Default)]
pub(crate) struct LoadLock {
    owner: Mutex<(u32, u32)>,
    cv: Condvar,
}

pub(crate) struct LoadGuard<'a>(&'a LoadLock);

impl LoadLock {
    pub(crate) fn lock(&self, tid: u32) -> LoadGuard<'_> {
        let mut g = lock(&self.owner);
        while g.1 > 0 && g.0 != tid {
            g = self.cv.wait(g).unwrap_or_else(|e| e.into_inner());
        }
        *g = (tid, g.1 + 1);
        LoadGuard(self)
    }
}

impl Drop for LoadGuard<'_> {
    fn drop(&mut self) {
        let mut g = lock(&self.0.owner);
        g.1 -= 1;
        if g.1 == 0 {
            self.0.cv.notify_all();
        }
    }
}
