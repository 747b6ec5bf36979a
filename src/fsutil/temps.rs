//! The process-wide list of temp files sfprov has open, and the signal handler
//! that removes them. Global state, on purpose: a signal can arrive at any
//! moment, and whoever handles it must find every temp file of every writer.
//! The list's lock is held across "create temp + register" and "rename +
//! unregister", and the handler removes the files and exits while holding it,
//! so no temp file is created or renamed between its check and its exit.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, Once};

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

/// Makes SIGINT (Ctrl-C) and SIGTERM remove every temp file sfprov has open,
/// then exit 130 / 143 as a shell reports those signals. For commands that
/// write files (`init`, `generate`, `fmt`); the emulator has its own shutdown.
/// Installed once; returns when the handler is in place, so a signal from then
/// on is handled.
pub fn remove_temp_files_on_signal() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
        let spawned = std::thread::Builder::new()
            .name("sfprov-signals".into())
            .spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_io()
                    .build()
                else {
                    let _ = ready_tx.send(());
                    return;
                };
                rt.block_on(wait_and_clean(ready_tx));
            });
        if spawned.is_ok() {
            // Err only if the thread ended without a handler: nothing to wait for.
            let _ = ready_rx.recv();
        }
    });
}

#[cfg(unix)]
async fn wait_and_clean(ready: std::sync::mpsc::Sender<()>) {
    use tokio::signal::unix::{signal, SignalKind};
    let int = signal(SignalKind::interrupt());
    let term = signal(SignalKind::terminate());
    let _ = ready.send(());
    let (Ok(mut int), Ok(mut term)) = (int, term) else {
        return;
    };
    let (name, code) = tokio::select! {
        _ = int.recv() => ("interrupted", 130),
        _ = term.recv() => ("terminated", 143),
    };
    clean_and_exit(name, code);
}

#[cfg(not(unix))]
async fn wait_and_clean(ready: std::sync::mpsc::Sender<()>) {
    let _ = ready.send(());
    if tokio::signal::ctrl_c().await.is_ok() {
        clean_and_exit("interrupted", 130);
    }
}

fn clean_and_exit(name: &str, code: i32) -> ! {
    let mut list = lock();
    let n = remove_all(&mut list);
    let what = match n {
        0 => String::new(),
        1 => "; removed 1 unfinished temp file".to_string(),
        n => format!("; removed {n} unfinished temp files"),
    };
    eprintln!(
        "error: {name}{what}; files already written are complete\nhint: run the command again to finish"
    );
    // Exit with the lock held: no writer can create or rename a temp file now.
    std::process::exit(code)
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
