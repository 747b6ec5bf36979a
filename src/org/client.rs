//! A connected org: session, token refresh, and the one retry loop.
//! Owns: `Org` (instance URL, API version, identity, token behind a lock),
//! `connect` (target -> logged-in `Org`), `Org::execute` (timeout per
//! request, backoff + jitter retries for idempotent calls only, one token
//! refresh on INVALID_SESSION_ID). Does not: build SOAP/REST payloads (see
//! `mdapi`, `rest`) or print anything.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::api_error::{parse_rest_errors, ApiError, ApiErrorCode};
use super::error::OrgError;
use super::http::{check_url, host_of, Request, Response, Transport, TransportError};
use super::jwt::JwtLogin;
use super::retry::{classify, Clock, Failure, RetryPolicy, SystemClock, Verdict};
use super::sfcli;
use super::soap::{parse_reply, Reply};
use super::target::{seconds, ApiVersion, ConnectOptions, Target};
use crate::secret::Secret;

/// How a fresh token is obtained when the org says the session is invalid.
pub enum Refresh {
    /// SF_ACCESS_TOKEN: nothing to refresh with.
    None,
    /// Ask sf again (`show-access-token` refreshes first).
    SfCli { program: PathBuf, name: String },
    /// Mint a new JWT and trade it.
    Jwt(JwtLogin),
    /// The local emulator's own minting.
    Local(Box<dyn Fn() -> Result<Secret, OrgError> + Send + Sync>),
}

/// Who sfprov is connected as.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    pub org_id: Option<String>,
    pub user_id: Option<String>,
    pub username: Option<String>,
}

/// Which protocol a call speaks: decides how an error answer is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Soap,
    Rest,
}

/// A call as the retry loop sees it.
#[derive(Debug, Clone, Copy)]
pub struct CallInfo<'a> {
    /// e.g. `checkDeployStatus`, `query`.
    pub operation: &'a str,
    pub protocol: Protocol,
    /// Safe to send twice: status checks, queries, GETs. Never a deploy or
    /// a create.
    pub idempotent: bool,
}

/// A logged-in org.
pub struct Org {
    label: String,
    kind: &'static str,
    instance_url: String,
    api_version: ApiVersion,
    identity: Identity,
    token: Mutex<Secret>,
    refresh: Refresh,
    transport: Transport,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
    rng: Mutex<fastrand::Rng>,
    /// The API versions the org serves (`GET /services/data`), once read.
    pub(super) served: OnceLock<Vec<String>>,
}

impl std::fmt::Debug for Org {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Org")
            .field("label", &self.label)
            .field("instance_url", &self.instance_url)
            .field("api_version", &self.api_version)
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

/// The parts `connect` gathers before the API version is known.
pub struct Session {
    pub label: String,
    pub kind: &'static str,
    pub instance_url: String,
    pub identity: Identity,
    pub token: Secret,
    pub refresh: Refresh,
}

/// Logs in to `target` and settles the API version (the spec's, else the
/// org's newest; never below 40.0).
pub fn connect(target: &Target, opts: &ConnectOptions) -> Result<Org, OrgError> {
    connect_with_clock(target, opts, Arc::new(SystemClock))
}

/// [`connect`] with an injected clock (tests pass a `FakeClock`).
pub fn connect_with_clock(
    target: &Target,
    opts: &ConnectOptions,
    clock: Arc<dyn Clock>,
) -> Result<Org, OrgError> {
    let transport = Transport::new(opts.request_timeout);
    let session = match target {
        // The caller starts (and holds) the emulator: `local::connect_target`.
        Target::Local => {
            return Err(OrgError::Local {
                reason: "the local emulator is started by the caller: use `org::local::connect_target` (or `org::local::start`), which hands it back to hold while the org is used".into(),
            })
        }
        Target::SfCli { name } => {
            let (display, token) = sfcli::login(&opts.sf_program, name)?;
            Session {
                label: name.clone(),
                kind: "sf CLI",
                instance_url: check_url(&display.instance_url)?,
                identity: Identity {
                    org_id: display.org_id,
                    user_id: None,
                    username: display.username,
                },
                token,
                refresh: Refresh::SfCli {
                    program: opts.sf_program.clone(),
                    name: name.clone(),
                },
            }
        }
        Target::AccessToken {
            instance_url,
            token,
        } => Session {
            label: host_of(instance_url),
            kind: "access token",
            instance_url: check_url(instance_url)?,
            identity: Identity::default(),
            token: token.clone(),
            refresh: Refresh::None,
        },
        Target::Jwt(j) => {
            let login = JwtLogin::new(j.clone())?;
            let granted = login.grant(&transport, 2, &*clock)?;
            Session {
                label: j.username.clone(),
                kind: "JWT bearer",
                instance_url: check_url(&granted.instance_url)?,
                identity: Identity {
                    org_id: granted.org_id,
                    user_id: granted.user_id,
                    username: Some(j.username.clone()),
                },
                token: granted.access_token,
                refresh: Refresh::Jwt(login),
            }
        }
    };
    connect_with_transport(session, opts, clock, transport)
}

/// Logs in with a session made elsewhere (the local emulator's).
pub fn connect_session(
    session: Session,
    opts: &ConnectOptions,
    clock: Arc<dyn Clock>,
) -> Result<Org, OrgError> {
    let transport = Transport::new(opts.request_timeout);
    connect_with_transport(session, opts, clock, transport)
}

fn connect_with_transport(
    session: Session,
    opts: &ConnectOptions,
    clock: Arc<dyn Clock>,
    transport: Transport,
) -> Result<Org, OrgError> {
    let mut org = Org {
        label: session.label,
        kind: session.kind,
        instance_url: session.instance_url,
        // Placeholder until the version is settled below.
        api_version: ApiVersion::parse("40.0")?,
        identity: session.identity,
        token: Mutex::new(session.token),
        refresh: session.refresh,
        transport,
        retry: RetryPolicy::default(),
        clock,
        rng: Mutex::new(fastrand::Rng::new()),
        served: OnceLock::new(),
    };
    org.api_version = match &opts.api_version {
        Some(v) => ApiVersion::parse(v)?,
        None => org.newest_api_version()?,
    };
    Ok(org)
}

impl Org {
    /// The name used for this org in messages (alias, `local`, host, user).
    pub fn label(&self) -> &str {
        &self.label
    }
    /// How sfprov logged in: `sf CLI`, `access token`, `JWT bearer`, `local emulator`.
    pub fn login_kind(&self) -> &'static str {
        self.kind
    }
    pub fn instance_url(&self) -> &str {
        &self.instance_url
    }
    pub fn api_version(&self) -> &ApiVersion {
        &self.api_version
    }
    pub fn identity(&self) -> &Identity {
        &self.identity
    }
    pub fn clock(&self) -> &dyn Clock {
        &*self.clock
    }
    /// Whether the current token is a JWT-format access token (`a.b.c`,
    /// JSON header), which the SOAP Metadata API refuses.
    pub fn token_is_jwt(&self) -> bool {
        looks_like_jwt(self.token.lock().expect("token lock").expose())
    }
    /// Replaces the retry policy (tests shorten it).
    pub fn set_retry_policy(&mut self, p: RetryPolicy) {
        self.retry = p;
    }

    pub(crate) fn protocol_error(&self, operation: &str, reason: String) -> OrgError {
        OrgError::Protocol {
            org: self.label.clone(),
            operation: operation.to_string(),
            reason,
        }
    }

    /// Sends a request built by `build` (given the current token) and returns
    /// a successful answer. Retries idempotent calls on dropped connections,
    /// timeouts, 5xx and REQUEST_LIMIT_EXCEEDED with backoff and jitter, but
    /// waits for at most `max_timeouts` request timeouts in all and announces
    /// each retry after a timeout (`log::warn!`); refreshes the token once on
    /// INVALID_SESSION_ID (for any call: the org refused it before doing
    /// anything).
    pub fn execute(
        &self,
        call: &CallInfo<'_>,
        build: impl Fn(&Secret) -> Request,
    ) -> Result<Response, OrgError> {
        let mut refreshed = false;
        let mut retry = 0u32;
        let (mut attempts, mut timeouts) = (0u32, 0u32);
        let mut spent = Duration::ZERO;
        loop {
            let req = {
                let token = self.token.lock().expect("token lock");
                build(&token)
            };
            let started = Instant::now();
            let sent = self.transport.send(&req);
            spent += started.elapsed();
            attempts += 1;
            let (failure_status, code, err) = match sent {
                Ok(resp) if is_success(call.protocol, resp.status) => return Ok(resp),
                Ok(resp) => {
                    let (code, err) = self.error_from(call, &resp);
                    (Some(resp.status), code, err)
                }
                Err(TransportError::Timeout { connect }) => {
                    timeouts += 1;
                    (
                        None,
                        None,
                        OrgError::Timeout {
                            org: self.label.clone(),
                            operation: call.operation.to_string(),
                            host: host_of(&req.url),
                            timeout: self.transport.limit(connect),
                            connect,
                            attempts,
                            spent,
                        },
                    )
                }
                Err(TransportError::Failed(reason)) => (
                    None,
                    None,
                    OrgError::Transport {
                        org: self.label.clone(),
                        operation: call.operation.to_string(),
                        host: host_of(&req.url),
                        reason,
                    },
                ),
            };
            let failure = match (failure_status, &code) {
                (None, _) => Failure::Transport,
                (Some(status), Some(code)) => Failure::Code {
                    status,
                    code: &code.code,
                },
                (Some(status), None) => Failure::Status(status),
            };
            match classify(&failure) {
                Verdict::RefreshSession if !refreshed => {
                    refreshed = true;
                    log::debug!("{}: session invalid, getting a fresh token", call.operation);
                    if !self.refresh_token()? {
                        return Err(self.session_rejected(err));
                    }
                }
                Verdict::RefreshSession => return Err(self.session_rejected(err)),
                Verdict::RetryIfIdempotent
                    if call.idempotent
                        && retry + 1 < self.retry.max_attempts
                        && timeouts < self.retry.max_timeouts =>
                {
                    let delay = {
                        let mut rng = self.rng.lock().expect("rng lock");
                        self.retry.delay(retry, &mut rng)
                    };
                    if let OrgError::Timeout {
                        host,
                        timeout,
                        connect,
                        ..
                    } = &err
                    {
                        log::warn!(
                            "{} on org `{}`: {}; trying again in {} (gives up after {} attempts without an answer)",
                            call.operation,
                            self.label,
                            super::error::stalled(host, timeout, connect),
                            seconds(&delay),
                            self.retry.max_timeouts
                        );
                    } else {
                        log::debug!(
                            "{}: {err}; retry {} in {} ms",
                            call.operation,
                            retry + 1,
                            delay.as_millis()
                        );
                    }
                    self.clock.sleep(delay);
                    spent += delay;
                    retry += 1;
                }
                _ => return Err(err),
            }
        }
    }

    /// An INVALID_SESSION_ID that a refresh did not cure, worded for the
    /// way sfprov logged in.
    fn session_rejected(&self, err: OrgError) -> OrgError {
        let message = match &err {
            OrgError::Api { error, .. } if error.code == ApiErrorCode::InvalidSessionId => {
                error.message.clone()
            }
            OrgError::Rest { errors, .. } => match errors.first() {
                Some(e) if e.code == ApiErrorCode::InvalidSessionId => e.message.clone(),
                _ => return err,
            },
            _ => return err,
        };
        let operation = match &err {
            OrgError::Api { operation, .. } | OrgError::Rest { operation, .. } => operation.clone(),
            _ => String::new(),
        };
        OrgError::SessionRejected {
            org: self.label.clone(),
            operation,
            login: self.kind,
            message,
        }
    }

    /// Reads an error answer: SOAP fault or REST error array.
    fn error_from(&self, call: &CallInfo<'_>, resp: &Response) -> (Option<ApiError>, OrgError) {
        let org = self.label.clone();
        let operation = call.operation.to_string();
        match call.protocol {
            Protocol::Soap => {
                if let Ok(Reply::Fault(error)) = parse_reply(&resp.body) {
                    return (
                        Some(error.clone()),
                        OrgError::Api {
                            org,
                            operation,
                            error,
                        },
                    );
                }
            }
            Protocol::Rest => {
                if let Some(errors) = parse_rest_errors(&resp.body) {
                    return (
                        errors.first().cloned(),
                        OrgError::Rest {
                            org,
                            operation,
                            status: resp.status,
                            errors,
                        },
                    );
                }
            }
        }
        // Scrubbed before it is cut, so a cut cannot leave half a token.
        let scrubbed = crate::secret::scrub(&resp.body);
        let mut body: String = scrubbed.chars().take(200).collect();
        if body.len() < scrubbed.len() {
            body.push_str("...");
        }
        (
            None,
            OrgError::Http {
                org,
                operation,
                status: resp.status,
                body,
            },
        )
    }

    /// Gets a fresh token. `Ok(false)` when this login cannot refresh.
    fn refresh_token(&self) -> Result<bool, OrgError> {
        let fresh = match &self.refresh {
            Refresh::None => return Ok(false),
            Refresh::SfCli { program, name } => {
                sfcli::access_token(program, name, Some(&self.instance_url))?
            }
            Refresh::Jwt(login) => login.grant(&self.transport, 2, &*self.clock)?.access_token,
            Refresh::Local(mint) => mint()?,
        };
        *self.token.lock().expect("token lock") = fresh;
        Ok(true)
    }
}

/// `eyJ...` header, three dot-separated parts: a JWT, not an opaque
/// `00D...!...` session id.
pub fn looks_like_jwt(token: &str) -> bool {
    token.starts_with("eyJ") && token.split('.').count() == 3
}

fn is_success(protocol: Protocol, status: u16) -> bool {
    match protocol {
        Protocol::Soap => status == 200,
        Protocol::Rest => (200..300).contains(&status),
    }
}
