//! Waiting for deploys and retrieves: adaptive polling, a wait limit,
//! cancellation.
//! Owns: `Wait` (limit + cancel token), `PollObserver` (progress hook, no
//! printing), `Org::wait_for_deploy` (tolerates INVALID_CROSS_REFERENCE_KEY
//! just after submission; on cancel sends cancelDeploy and follows it to
//! Canceled) and `Org::wait_for_retrieve` (polls without the zip, then reads
//! it with the one `includeZip=true` call).
//! Does not: decide what a failed deploy means for apply.

use std::time::Duration;

use super::api_error::ApiErrorCode;
use super::client::Org;
use super::error::{JobKind, OrgError};
use super::mdapi::{DeployOutcome, DeployResult, RetrieveResult};
use super::retry::{poll_interval, sleep_unless_canceled, CancelToken};

/// How long to wait, and the token that stops waiting (Ctrl-C).
#[derive(Debug, Clone, Default)]
pub struct Wait {
    /// `--wait MINUTES`; `None` waits as long as it takes.
    pub limit: Option<Duration>,
    pub cancel: CancelToken,
}

impl Wait {
    /// A wait whose token is the process-wide one (`crate::cancel::token`),
    /// which the binary's Ctrl-C / SIGTERM handler sets. A deploy poll then
    /// sends cancelDeploy and follows it to Canceled (the handler lets it:
    /// see `cancel::Graceful`); a second Ctrl-C ends the process at once.
    pub fn cancel_on_ctrl_c(limit: Option<Duration>) -> Wait {
        Wait {
            limit,
            cancel: crate::cancel::token(),
        }
    }
}

/// Progress as it happens. Every method has an empty default.
pub trait PollObserver {
    fn deploy_polled(&mut self, _result: &DeployResult) {}
    fn deploy_cancel_requested(&mut self, _id: &str) {}
    fn retrieve_polled(&mut self, _result: &RetrieveResult) {}
}

/// An observer that ignores everything.
pub struct NoObserver;
impl PollObserver for NoObserver {}

/// Status checks that may fail with INVALID_CROSS_REFERENCE_KEY while a new
/// deploy moves out of Pending (SDR tolerates the same transient).
const EARLY_POLLS: u32 = 5;

impl Org {
    /// Polls deploy `id` until it finishes, the wait limit passes (error with
    /// the job id and how to resume) or `wait.cancel` is set (cancelDeploy,
    /// then followed to Canceled).
    pub fn wait_for_deploy(
        &self,
        id: &str,
        wait: &Wait,
        observer: &mut dyn PollObserver,
    ) -> Result<DeployResult, OrgError> {
        // A cancel from here on is followed through cancelDeploy, not cut off.
        let _graceful = crate::cancel::Graceful::enter();
        let clock = self.clock();
        let started = clock.now();
        let mut cancel_sent = false;
        let mut last_status = "Queued".to_string();
        for poll in 0u32.. {
            if wait.cancel.is_canceled() && !cancel_sent {
                log::info!("canceling deploy {id}");
                observer.deploy_cancel_requested(id);
                match self.cancel_deploy(id) {
                    Ok(_) => {}
                    // Already finished or finalizing: report what it became.
                    Err(OrgError::Api { error, .. })
                        if error.code == ApiErrorCode::InvalidIdField => {}
                    Err(e) => return Err(e),
                }
                cancel_sent = true;
            }
            match self.check_deploy_status(id, true) {
                Ok(result) => {
                    log::debug!("deploy {id}: {} (poll {})", result.status_text, poll + 1);
                    observer.deploy_polled(&result);
                    last_status = result.status_text.clone();
                    match result.outcome() {
                        DeployOutcome::Running => {}
                        DeployOutcome::Canceled => {
                            return Err(OrgError::Canceled {
                                org: self.label().to_string(),
                                kind: JobKind::Deploy,
                                id: id.to_string(),
                            })
                        }
                        DeployOutcome::Succeeded | DeployOutcome::Failed => return Ok(result),
                    }
                }
                Err(OrgError::Api { error, .. })
                    if error.code == ApiErrorCode::InvalidCrossReferenceKey
                        && poll < EARLY_POLLS =>
                {
                    log::debug!("deploy {id} not visible yet ({error}); polling again");
                }
                Err(e) => return Err(e),
            }
            let waited = clock.now().saturating_duration_since(started);
            // After a cancel, keep following it even past the limit, briefly.
            let limit = wait.limit.map(|l| {
                if cancel_sent {
                    l + Duration::from_secs(120)
                } else {
                    l
                }
            });
            if let Some(limit) = limit {
                if waited >= limit {
                    return Err(OrgError::WaitLimit {
                        org: self.label().to_string(),
                        kind: JobKind::Deploy,
                        id: id.to_string(),
                        status: last_status,
                        waited,
                    });
                }
            }
            let pause = match limit {
                Some(l) => poll_interval(poll).min(l.saturating_sub(waited)),
                None => poll_interval(poll),
            };
            let cancel = if cancel_sent {
                CancelToken::new()
            } else {
                wait.cancel.clone()
            };
            sleep_unless_canceled(clock, pause, &cancel);
        }
        unreachable!("the poll loop only ends by returning")
    }

    /// Polls retrieve `id` with `includeZip=false` until it finishes, then
    /// fetches the zip once. A failed retrieve is an error.
    pub fn wait_for_retrieve(
        &self,
        id: &str,
        wait: &Wait,
        observer: &mut dyn PollObserver,
    ) -> Result<RetrieveResult, OrgError> {
        let clock = self.clock();
        let started = clock.now();
        for poll in 0u32.. {
            if wait.cancel.is_canceled() {
                return Err(OrgError::Canceled {
                    org: self.label().to_string(),
                    kind: JobKind::Retrieve,
                    id: id.to_string(),
                });
            }
            let status = self.check_retrieve_status(id, false)?;
            log::debug!("retrieve {id}: {} (poll {})", status.status_text, poll + 1);
            observer.retrieve_polled(&status);
            if status.is_failed() {
                return Err(OrgError::Protocol {
                    org: self.label().to_string(),
                    operation: format!("retrieve {id}"),
                    reason: format!(
                        "the retrieve failed: {}{}",
                        status.error_status_code.as_deref().unwrap_or("ERROR"),
                        status
                            .error_message
                            .as_deref()
                            .map(|m| format!(": {m}"))
                            .unwrap_or_default()
                    ),
                });
            }
            if status.is_finished() {
                let mut last = self.check_retrieve_status(id, true)?;
                if last.zip.is_none() {
                    return Err(self.protocol_error(
                        "checkRetrieveStatus",
                        format!("retrieve {id} finished but its answer holds no zip"),
                    ));
                }
                if last.messages.is_empty() {
                    last.messages = status.messages;
                }
                return Ok(last);
            }
            let waited = clock.now().saturating_duration_since(started);
            if let Some(limit) = wait.limit {
                if waited >= limit {
                    return Err(OrgError::WaitLimit {
                        org: self.label().to_string(),
                        kind: JobKind::Retrieve,
                        id: id.to_string(),
                        status: status.status_text,
                        waited,
                    });
                }
            }
            let pause = match wait.limit {
                Some(l) => poll_interval(poll).min(l.saturating_sub(waited)),
                None => poll_interval(poll),
            };
            sleep_unless_canceled(clock, pause, &wait.cancel);
        }
        unreachable!("the poll loop only ends by returning")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_process_cancel_reaches_a_ctrl_c_wait() {
        let wait = Wait::cancel_on_ctrl_c(Some(Duration::from_secs(60)));
        let own = Wait::default();
        crate::cancel::request();
        assert!(wait.cancel.is_canceled());
        assert!(!own.cancel.is_canceled(), "a wait with its own token");
    }
}
