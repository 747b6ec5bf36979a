//! When to retry a call, how long to wait, and the clock the waiting uses.
//! Owns: `Clock` (injectable, so tests never sleep), `CancelToken` (Ctrl-C as
//! a library value), `RetryPolicy` (exponential backoff with jitter), the
//! poll schedule (fast first, growing to ~10 s) and `classify` (which
//! outcomes are retryable). Does not: send requests (see `client`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::api_error::ApiErrorCode;

/// Time as sfprov sees it. Tests pass a [`FakeClock`] that advances instantly.
pub trait Clock: Send + Sync {
    fn now(&self) -> Instant;
    fn sleep(&self, d: Duration);
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn sleep(&self, d: Duration) {
        std::thread::sleep(d)
    }
}

/// A clock whose `sleep` only moves its time forward and records the wait.
#[derive(Debug, Clone)]
pub struct FakeClock {
    inner: Arc<Mutex<(Instant, Vec<Duration>)>>,
}

impl Default for FakeClock {
    fn default() -> Self {
        FakeClock {
            inner: Arc::new(Mutex::new((Instant::now(), Vec::new()))),
        }
    }
}

impl FakeClock {
    /// Every sleep so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.inner.lock().unwrap().1.clone()
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Instant {
        self.inner.lock().unwrap().0
    }
    fn sleep(&self, d: Duration) {
        let mut g = self.inner.lock().unwrap();
        g.0 += d;
        g.1.push(d);
    }
}

/// Set once (by a Ctrl-C handler, say); long waits check it and stop.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst)
    }
    pub fn is_canceled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Sleeps `d` in slices of at most 200 ms, returning early (false) once
/// `cancel` is set.
pub fn sleep_unless_canceled(clock: &dyn Clock, d: Duration, cancel: &CancelToken) -> bool {
    let slice = Duration::from_millis(200);
    let mut left = d;
    while !left.is_zero() {
        if cancel.is_canceled() {
            return false;
        }
        let step = left.min(slice);
        clock.sleep(step);
        left -= step;
    }
    !cancel.is_canceled()
}

/// Retries for idempotent calls: exponential backoff with jitter.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Attempts that may end in a timeout: a call facing a silent server
    /// stops after this many, so it waits at most this many request
    /// timeouts (plus the backoffs) in all.
    pub max_timeouts: u32,
    pub base: Duration,
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            max_timeouts: 3,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (0 = first retry): `base * 2^retry`
    /// capped at `cap`, then "equal jitter": a uniform value in [d/2, d].
    pub fn delay(&self, retry: u32, rng: &mut fastrand::Rng) -> Duration {
        let exp = self.base.saturating_mul(1u32 << retry.min(16));
        let d = exp.min(self.cap);
        let half = d / 2;
        let jitter_ms = rng.u64(0..=half.as_millis() as u64);
        half + Duration::from_millis(jitter_ms)
    }
}

/// The poll interval for deploy and retrieve status: 1 s, then x1.5 per poll,
/// capped at 10 s (SDR polls between 1 and 10 s; the Java sample doubles).
pub fn poll_interval(poll: u32) -> Duration {
    let ms = 1000.0 * 1.5f64.powi(poll.min(10) as i32);
    Duration::from_millis(ms.min(10_000.0) as u64)
}

/// What the retry loop should do with a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Give up and return the error.
    Fail,
    /// Retry after a backoff, but only if the call is idempotent.
    RetryIfIdempotent,
    /// Get a fresh token once, then retry (any call: the org refused it
    /// before doing anything).
    RefreshSession,
}

/// How a failed attempt looked on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure<'a> {
    /// No HTTP answer: connection refused, reset, dropped or timed out.
    Transport,
    /// An HTTP answer carrying an API error code (SOAP fault or REST array).
    Code { status: u16, code: &'a ApiErrorCode },
    /// An HTTP error answer without a recognizable error code.
    Status(u16),
}

/// The retry rules of issue 4, in one place.
pub fn classify(f: &Failure<'_>) -> Verdict {
    match f {
        Failure::Transport => Verdict::RetryIfIdempotent,
        Failure::Code { code, status } => match code {
            ApiErrorCode::InvalidSessionId => Verdict::RefreshSession,
            ApiErrorCode::RequestLimitExceeded
            | ApiErrorCode::UnknownException
            | ApiErrorCode::ServerUnavailable => Verdict::RetryIfIdempotent,
            // SOAP faults always come as HTTP 500: only the code decides.
            _ if *status >= 500 && !is_soap_fault_status(*status) => Verdict::RetryIfIdempotent,
            _ => Verdict::Fail,
        },
        Failure::Status(s) if *s >= 500 => Verdict::RetryIfIdempotent,
        Failure::Status(401) => Verdict::RefreshSession,
        Failure::Status(_) => Verdict::Fail,
    }
}

fn is_soap_fault_status(status: u16) -> bool {
    status == 500
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_in_jitter_bounds() {
        let p = RetryPolicy::default();
        let mut rng = fastrand::Rng::with_seed(7);
        for retry in 0..8 {
            let full = p.base.saturating_mul(1 << retry).min(p.cap);
            for _ in 0..50 {
                let d = p.delay(retry, &mut rng);
                assert!(
                    d >= full / 2 && d <= full,
                    "retry {retry}: {d:?} vs {full:?}"
                );
            }
        }
        assert!(p.delay(30, &mut rng) <= p.cap);
    }

    #[test]
    fn poll_schedule_starts_fast_and_caps_at_ten_seconds() {
        let s: Vec<u64> = (0..10)
            .map(|i| poll_interval(i).as_millis() as u64)
            .collect();
        assert_eq!(s[0], 1000);
        assert!(s.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(poll_interval(50), Duration::from_secs(10));
        assert_eq!(s[9], 10_000);
    }

    #[test]
    fn classification_follows_the_issue() {
        use ApiErrorCode as C;
        let code = |status, code: &C| classify(&Failure::Code { status, code });
        assert_eq!(classify(&Failure::Transport), Verdict::RetryIfIdempotent);
        assert_eq!(classify(&Failure::Status(503)), Verdict::RetryIfIdempotent);
        assert_eq!(classify(&Failure::Status(502)), Verdict::RetryIfIdempotent);
        assert_eq!(classify(&Failure::Status(404)), Verdict::Fail);
        assert_eq!(classify(&Failure::Status(401)), Verdict::RefreshSession);
        assert_eq!(code(500, &C::InvalidSessionId), Verdict::RefreshSession);
        assert_eq!(code(401, &C::InvalidSessionId), Verdict::RefreshSession);
        assert_eq!(
            code(403, &C::RequestLimitExceeded),
            Verdict::RetryIfIdempotent
        );
        assert_eq!(
            code(500, &C::RequestLimitExceeded),
            Verdict::RetryIfIdempotent
        );
        assert_eq!(code(500, &C::UnknownException), Verdict::RetryIfIdempotent);
        // A SOAP fault is a 500 but an answer: not retried unless its code says so.
        assert_eq!(code(500, &C::InvalidIdField), Verdict::Fail);
        assert_eq!(code(500, &C::InvalidCrossReferenceKey), Verdict::Fail);
        assert_eq!(code(503, &C::Other("X".into())), Verdict::RetryIfIdempotent);
        assert_eq!(code(400, &C::DuplicateValue), Verdict::Fail);
    }

    #[test]
    fn cancel_cuts_a_sleep_short() {
        let clock = FakeClock::default();
        let cancel = CancelToken::new();
        assert!(sleep_unless_canceled(
            &clock,
            Duration::from_millis(500),
            &cancel
        ));
        cancel.cancel();
        assert!(!sleep_unless_canceled(
            &clock,
            Duration::from_secs(5),
            &cancel
        ));
        assert_eq!(
            clock.sleeps().iter().sum::<Duration>(),
            Duration::from_millis(500)
        );
    }
}
