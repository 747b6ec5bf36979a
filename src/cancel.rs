//! Cancellation as a library value. The binary installs the one Ctrl-C /
//! SIGTERM handler and calls [`request`]; long waits read [`token`] and stop.
//! A wait that must finish cleanly after a cancel (a deploy: cancelDeploy,
//! then follow it to Canceled) holds a [`Graceful`] guard, so the handler
//! lets it; otherwise the handler removes temp files and exits. Global state,
//! on purpose: a signal belongs to the process. The library never exits.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use crate::org::CancelToken;

/// The process-wide token the binary's signal handler sets.
pub fn token() -> CancelToken {
    static TOKEN: OnceLock<CancelToken> = OnceLock::new();
    TOKEN.get_or_init(CancelToken::new).clone()
}

/// Asks every wait that reads [`token`] to stop.
pub fn request() {
    token().cancel();
}

/// Whether a cancel was requested.
pub fn requested() -> bool {
    token().is_canceled()
}

static GRACEFUL: AtomicUsize = AtomicUsize::new(0);

/// Held while a wait would stop cleanly on [`request`] (and must be let do so).
#[derive(Debug)]
pub struct Graceful(());

impl Graceful {
    pub fn enter() -> Graceful {
        GRACEFUL.fetch_add(1, Ordering::SeqCst);
        Graceful(())
    }
}

impl Drop for Graceful {
    fn drop(&mut self) {
        GRACEFUL.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Whether some wait holds a [`Graceful`] guard now.
pub fn graceful() -> bool {
    GRACEFUL.load(Ordering::SeqCst) > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    // Other tests may hold guards at the same time (deploy polls): only
    // what holds whatever they do is asserted.
    #[test]
    fn a_guard_counts_while_held() {
        let g = Graceful::enter();
        assert!(graceful());
        let inner = Graceful::enter();
        drop(inner);
        assert!(graceful(), "the outer guard still counts");
        drop(g);
    }
}
