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

/// Temp files are `.sfprov-<pid>-<random>.tmp`.
pub(super) const PREFIX: &str = ".sfprov-";

/// Directories already swept by this process.
static SWEPT: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// Removes, once per directory and process, the temp files (and temp
/// directories, such as an unfinished snapshot's) in `dir` left by
/// sfprov processes that no longer run (killed with SIGKILL, or a crash):
/// their pid is in the name. A live writer's temp file is never touched.
/// Best effort: a file that cannot be removed stays, and is ignored by every
/// reader of sfprov and sf (both skip dot files).
pub fn sweep(dir: &Path) {
    let mut swept = SWEPT.lock().unwrap_or_else(|e| e.into_inner());
    if !swept.insert(dir.to_path_buf()) {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(writer_pid) else {
            continue;
        };
        if pid != std::process::id() && !alive(pid) {
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            let _ = if is_dir {
                std::fs::remove_dir_all(e.path())
            } else {
                std::fs::remove_file(e.path())
            };
        }
    }
}

/// The writer's pid in `.sfprov-<pid>-<random>.tmp` (random: 6 or more
/// ASCII letters and digits).
fn writer_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(PREFIX)?.strip_suffix(".tmp")?;
    let (pid, random) = rest.split_once('-')?;
    if random.len() < 6 || !random.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    pid.parse().ok()
}

/// Whether a process runs (or exists as a zombie); unknown counts as alive.
fn alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return true;
        };
        // SAFETY: kill with signal 0 only checks for the process.
        let r = unsafe { libc::kill(pid, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
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

#[cfg(test)]
mod sweep_tests {
    use super::*;

    #[test]
    fn a_dead_writers_temp_file_goes_and_a_live_ones_stays() {
        let dir = tempfile::tempdir().unwrap();
        // pid 0x7fff_fff0 is not a running process; our own pid is.
        let dead = dir
            .path()
            .join(format!("{PREFIX}2147483632-00000000000000ab.tmp"));
        let live = dir.path().join(format!(
            "{PREFIX}{}-00000000000000cd.tmp",
            std::process::id()
        ));
        let other = dir.path().join(".sfprov-notes.tmp");
        for p in [&dead, &live, &other] {
            std::fs::write(p, "partial").unwrap();
        }
        sweep(dir.path());
        assert!(!dead.exists());
        assert!(live.exists() && other.exists());
        assert_eq!(writer_pid(".sfprov-12-0123456789abcdef.tmp"), Some(12));
        assert_eq!(writer_pid(".sfprov-12-xyz.tmp"), None);
        assert_eq!(writer_pid(".sfprov-12-../x.tmp"), None);
        // A dead writer's temp directory (an unfinished snapshot) goes too.
        let tmp_dir = dir.path().join(format!("{PREFIX}2147483632-AbC123.tmp"));
        std::fs::create_dir_all(tmp_dir.join("package")).unwrap();
        SWEPT.lock().unwrap().clear();
        sweep(dir.path());
        assert!(!tmp_dir.exists());
    }
}
