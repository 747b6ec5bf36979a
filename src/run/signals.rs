//! Ctrl-C (SIGINT) and SIGTERM, handled once for every command. The first
//! signal: `emulator serve` stops gracefully (exit 0); a deploy being
//! followed (`sfprov::cancel::Graceful`) is canceled and followed to the end;
//! anything else ends now: temp files removed (`fsutil::remove_temp_files`,
//! its lock held until exit), exit 130 / 143 as a shell reports those
//! signals. A second signal always ends at once. The library never exits;
//! this is the one place a signal ends the process.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Mutex, Once, OnceLock};

use sfprov::diag::Diagnostic;
use sfprov::render::diagnostic::{self, Style};

/// The exit code of the first signal (0: none yet).
static CODE: AtomicU8 = AtomicU8::new(0);
/// Set while `emulator serve` runs: the first signal stops it.
static STOP: Mutex<Option<Sender<()>>> = Mutex::new(None);
static STYLE: OnceLock<Style> = OnceLock::new();

/// Installs the handler; returns once it is in place, so a signal from then
/// on is handled.
pub fn install(style: Style) {
    let _ = STYLE.set(style);
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let (ready_tx, ready_rx) = channel::<()>();
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
                rt.block_on(listen(ready_tx));
            });
        if spawned.is_ok() {
            // Err only if the thread ended without a handler: nothing to wait for.
            let _ = ready_rx.recv();
        }
    });
}

/// The channel `emulator serve` stops on: the first signal sends on it.
pub fn stop_channel() -> Receiver<()> {
    let (tx, rx) = channel();
    *STOP.lock().unwrap_or_else(|e| e.into_inner()) = Some(tx);
    rx
}

/// 130 or 143 once a signal arrived: a command that then fails (a canceled
/// deploy) exits with it.
pub fn exit_code() -> Option<u8> {
    match CODE.load(Ordering::SeqCst) {
        0 => None,
        c => Some(c),
    }
}

#[cfg(unix)]
async fn listen(ready: Sender<()>) {
    use tokio::signal::unix::{signal, SignalKind};
    let int = signal(SignalKind::interrupt());
    let term = signal(SignalKind::terminate());
    let _ = ready.send(());
    let (Ok(mut int), Ok(mut term)) = (int, term) else {
        return;
    };
    loop {
        let (name, code) = tokio::select! {
            _ = int.recv() => ("interrupted", 130),
            _ = term.recv() => ("terminated", 143),
        };
        on_signal(name, code);
    }
}

#[cfg(not(unix))]
async fn listen(ready: Sender<()>) {
    let _ = ready.send(());
    while tokio::signal::ctrl_c().await.is_ok() {
        on_signal("interrupted", 130);
    }
}

fn on_signal(name: &str, code: u8) {
    let first = CODE
        .compare_exchange(0, code, Ordering::SeqCst, Ordering::SeqCst)
        .is_ok();
    if first {
        let stop = STOP.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(tx) = stop {
            if tx.send(()).is_ok() {
                return;
            }
        }
        sfprov::cancel::request();
        if sfprov::cancel::graceful() {
            log::warn!("{name}: canceling; press Ctrl-C again to stop at once");
            return;
        }
    }
    exit_now(name, code)
}

fn exit_now(name: &str, code: u8) -> ! {
    // Held until the process ends: no writer creates or renames a temp file now.
    let removed = sfprov::fsutil::remove_temp_files();
    let what = match removed.count {
        0 => String::new(),
        1 => "; removed 1 unfinished temp file".to_string(),
        n => format!("; removed {n} unfinished temp files"),
    };
    let d = Diagnostic::error(format!("{name}{what}; files already written are complete"))
        .hint("run the command again to finish");
    let style = STYLE.get().copied().unwrap_or_default();
    eprint!("{}", diagnostic::human(&[d], style));
    std::process::exit(i32::from(code))
}
