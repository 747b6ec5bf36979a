//! The process-wide list of temp files sfprov has open, and their removal
//! when a signal stops the process. Global state, on purpose: a signal can
//! arrive at any moment, and whoever handles it (the binary's handler) must
//! find every temp file of every writer. The list's lock is held across
//! "create temp + register" and "rename + unregister"; [`remove_temp_files`]
//! returns the lock still held, so the binary exits before any writer can
//! create or rename a temp file again.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

static TEMPS: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// The list, locked; a writer that panicked while holding it left it intact.
pub(super) fn lock() -> MutexGuard<'static, BTreeSet<PathBuf>> {
    TEMPS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes every listed temp file (best effort) and returns how many.
fn remove_all(list: &mut BTreeSet<PathBuf>) -> usize {
    let n = list.len();
    for p in std::mem::take(list) {
        let _ = std::fs::remove_file(&p);
    }
    n
}

/// What [`remove_temp_files`] did; holds the list's lock until dropped, so
/// no temp file is created or renamed in between (exit while holding it).
#[must_use = "exit while holding it; dropping it lets writers go on"]
pub struct RemovedTemps {
    /// How many unfinished temp files were removed.
    pub count: usize,
    _list: MutexGuard<'static, BTreeSet<PathBuf>>,
}

impl std::fmt::Debug for RemovedTemps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemovedTemps")
            .field("count", &self.count)
            .finish()
    }
}

/// Removes every temp file sfprov has open (best effort). For the signal
/// handler: the caller ends the process while holding the result.
pub fn remove_temp_files() -> RemovedTemps {
    let mut list = lock();
    let count = remove_all(&mut list);
    RemovedTemps { count, _list: list }
}

/// Registers a temp file (the caller holds the lock across creating it).
pub(super) fn register(list: &mut BTreeSet<PathBuf>, path: &Path) {
    list.insert(path.to_path_buf());
}

/// Unregisters a temp file (renamed into place, or removed).
pub(super) fn unregister(list: &mut BTreeSet<PathBuf>, path: &Path) {
    list.remove(path);
}

/// Whether a temp file is registered (tests).
#[cfg(test)]
pub(super) fn is_registered(path: &Path) -> bool {
    lock().contains(path)
}
