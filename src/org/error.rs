//! Errors from connecting to and talking with an org.
//! Owns: `OrgError` (facts: org, operation, code, job id), `OrgError::hint`,
//! the runnable next step under every variant, and its `ToDiagnostic`.
//! Text from a server inside a variant is scrubbed where it is read (see
//! `secret::scrub`); the renderer scrubs every string again, so show an
//! `OrgError` through `render::diagnostic`, not raw `Display`.
//! Does not: print, or carry a secret (tokens are never part of a variant).

use std::path::PathBuf;
use std::time::Duration;

use super::api_error::{ApiError, ApiErrorCode};
use crate::diag::{Diagnostic, ToDiagnostic};

/// Everything that can go wrong between sfprov and an org.
#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    #[error("no target org given")]
    NoTarget,

    #[error("conflicting target options: {0}")]
    ConflictingOptions(String),

    #[error("missing target option: {0}")]
    MissingOption(String),

    #[error("the `sf` CLI was not found on PATH (needed for target org `{org}`)")]
    SfMissing { org: String },

    #[error("the sf CLI knows no org `{org}`: {message}")]
    SfUnknownOrg { org: String, message: String },

    #[error("the sf CLI login for org `{org}` has expired or was revoked: {message}")]
    SfExpired {
        org: String,
        message: String,
        instance_url: Option<String>,
    },

    #[error("`sf {command}` failed for org `{org}`: {message}")]
    SfFailed {
        org: String,
        command: String,
        message: String,
    },

    #[error("SF_ACCESS_TOKEN is not set; it must hold the access token for {instance_url}")]
    MissingAccessToken { instance_url: String },

    #[error("cannot read the JWT key file {}: {reason}", path.display())]
    JwtKey { path: PathBuf, reason: String },

    #[error(
        "JWT bearer login for `{username}` at {token_url} was refused: {error}: {description}"
    )]
    OAuth {
        username: String,
        token_url: String,
        error: String,
        description: String,
    },

    #[error("refusing plain HTTP to {url}: only loopback addresses may use http://")]
    InsecureUrl { url: String },

    #[error("invalid URL `{url}`: {reason}")]
    BadUrl { url: String, reason: String },

    #[error("API version {version} is too old; sfprov needs 40.0 or newer")]
    ApiVersionTooOld { version: String },

    #[error("SFPROV_HTTP_TIMEOUT=`{value}` is not a usable timeout: {reason}")]
    BadTimeout { value: String, reason: String },

    #[error("invalid API version `{version}` (expected a number such as 63.0)")]
    BadApiVersion { version: String },

    #[error("{operation} on org `{org}` failed: {error}")]
    Api {
        org: String,
        operation: String,
        error: ApiError,
    },

    #[error("{operation} on org `{org}` failed: INVALID_SESSION_ID: {message}")]
    SessionRejected {
        org: String,
        operation: String,
        /// How sfprov logged in (`sf CLI`, `access token`, `JWT bearer`, ...).
        login: &'static str,
        message: String,
    },

    #[error("{operation} on org `{org}` failed: {}", join_errors(errors))]
    Rest {
        org: String,
        operation: String,
        status: u16,
        errors: Vec<ApiError>,
    },

    #[error("{operation} on org `{org}` failed: HTTP {status}: {body}")]
    Http {
        org: String,
        operation: String,
        status: u16,
        body: String,
    },

    #[error("{operation} on org `{org}`: connection to {host} failed: {reason}")]
    Transport {
        org: String,
        operation: String,
        host: String,
        reason: String,
    },

    #[error("{operation} on org `{org}`: {}{}", stalled(.host, .timeout, .connect), tries(.attempts, .spent))]
    Timeout {
        org: String,
        operation: String,
        host: String,
        /// The limit that was hit (the connect timeout or the request timeout).
        timeout: Duration,
        /// True when the connection itself was not made in time.
        connect: bool,
        /// Attempts made, retries included.
        attempts: u32,
        /// Time spent on all attempts and the waits between them.
        spent: Duration,
    },

    #[error("unexpected answer to {operation} from org `{org}`: {reason}")]
    Protocol {
        org: String,
        operation: String,
        reason: String,
    },

    #[error("stopped waiting for {kind} {id} on org `{org}` after {}s; it is still {status}", waited.as_secs())]
    WaitLimit {
        org: String,
        kind: JobKind,
        id: String,
        status: String,
        waited: Duration,
    },

    #[error("{kind} {id} on org `{org}` was canceled")]
    Canceled {
        org: String,
        kind: JobKind,
        id: String,
    },

    #[error("{operation} on org `{org}`: the access token is JWT-based, and the Metadata API (SOAP) refuses such tokens")]
    JwtAccessToken { org: String, operation: String },

    #[error("refusing the zip retrieved from org `{org}`: {reason}")]
    UnsafeZip { org: String, reason: String },

    #[error("the local org emulator is not available: {reason}")]
    Local { reason: String },
}

/// What a long-running job is, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Deploy,
    Retrieve,
}

impl std::fmt::Display for JobKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            JobKind::Deploy => "deploy",
            JobKind::Retrieve => "retrieve",
        })
    }
}

/// `no answer from HOST within 60 s (the request timeout)`, or the connect
/// variant.
pub(crate) fn stalled(host: &str, timeout: &Duration, connect: &bool) -> String {
    let t = crate::org::target::seconds(timeout);
    if *connect {
        format!("{host} did not accept a connection within {t} (the connect timeout)")
    } else {
        format!("no answer from {host} within {t} (the request timeout)")
    }
}

fn tries(attempts: &u32, spent: &Duration) -> String {
    if *attempts > 1 {
        format!(
            "; gave up after {attempts} attempts in {}",
            crate::org::target::seconds(spent)
        )
    } else {
        String::new()
    }
}

fn join_errors(errors: &[ApiError]) -> String {
    if errors.is_empty() {
        return "no error details in the answer".to_string();
    }
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl OrgError {
    /// The API error code behind this error, if it came from the org.
    pub fn code(&self) -> Option<&ApiErrorCode> {
        match self {
            OrgError::Api { error, .. } => Some(&error.code),
            OrgError::Rest { errors, .. } => errors.first().map(|e| &e.code),
            OrgError::SessionRejected { .. } => Some(&ApiErrorCode::InvalidSessionId),
            _ => None,
        }
    }

    /// A runnable next step, printed as `hint:` under the error.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            OrgError::NoTarget => "pass `--target-org ALIAS` (an sf CLI alias or username, or `local`), \
                 set SF_TARGET_ORG, or run `sf config set target-org ALIAS`"
                .to_string(),
            OrgError::ConflictingOptions(_) | OrgError::MissingOption(_) => {
                "use one of: `--target-org ALIAS`; `--instance-url URL` with SF_ACCESS_TOKEN set; \
                 `--client-id ID --jwt-key-file FILE --username USER`"
                    .to_string()
            }
            OrgError::SfMissing { org } => format!(
                "install the Salesforce CLI (`npm install --global @salesforce/cli`), then run \
                 `sf org login web --alias {org}`"
            ),
            OrgError::SfUnknownOrg { org, .. } => {
                format!("run `sf org login web --alias {org}` (add `--instance-url https://test.salesforce.com` for a sandbox)")
            }
            OrgError::SfExpired {
                org, instance_url, ..
            } => match instance_url {
                Some(url) => format!("run `sf org login web --alias {org} --instance-url {url}`"),
                None => format!("run `sf org login web --alias {org}`"),
            },
            OrgError::SfFailed { org, .. } => {
                format!("run `sf org display --target-org {org}` to see what sf reports")
            }
            OrgError::MissingAccessToken { .. } => {
                "export SF_ACCESS_TOKEN=... (for example from `sf org auth show-access-token --target-org ALIAS`)"
                    .to_string()
            }
            OrgError::JwtKey { .. } => {
                "pass the PEM private key whose certificate is uploaded on the connected app".to_string()
            }
            OrgError::OAuth { description, .. } if description.contains("approved") => {
                "pre-authorize the user: on the connected app choose \"Admin approved users are \
                 pre-authorized\" and add the user's profile or permission set"
                    .to_string()
            }
            OrgError::OAuth { description, .. } if description.to_ascii_lowercase().contains("audience") => {
                "for a sandbox set SF_AUDIENCE_URL=https://test.salesforce.com".to_string()
            }
            OrgError::OAuth { .. } => {
                "check --client-id (the consumer key), --username and the certificate on the connected app"
                    .to_string()
            }
            OrgError::InsecureUrl { url } => {
                format!("use {}", url.replacen("http://", "https://", 1))
            }
            OrgError::BadTimeout { .. } => {
                "set SFPROV_HTTP_TIMEOUT to the seconds one request may take (e.g. 120), or unset it for the default of 60".to_string()
            }
            OrgError::ApiVersionTooOld { .. } => {
                "set `api_version` in sfprov.toml to 40.0 or newer (for example 63.0)".to_string()
            }
            OrgError::SessionRejected { login, org, .. } => match *login {
                "sf CLI" => format!("log in again: `sf org login web --alias {org}`"),
                "access token" => "export a fresh SF_ACCESS_TOKEN (for example from \
                     `sf org auth show-access-token --target-org ALIAS --json`)"
                    .to_string(),
                "JWT bearer" => "the org refuses sessions minted for this user: check the connected \
                     app's policies, and that it does not issue JWT-based access tokens"
                    .to_string(),
                _ => "run the command again".to_string(),
            },
            OrgError::Api { error, org, .. } => {
                code_hint(&error.code, org).unwrap_or_else(|| check_org(org))
            }
            OrgError::Rest { errors, org, .. } => errors
                .first()
                .and_then(|e| code_hint(&e.code, org))
                .unwrap_or_else(|| check_org(org)),
            OrgError::Http { status, org, .. } if *status >= 500 => format!(
                "the org had a server error; it is safe to re-run the command later \
                 (`sfprov org info -o {org}` checks the connection)"
            ),
            OrgError::Http { status: 404, .. } => {
                "check the org's address (`--instance-url`, or the sf alias's instance URL) and \
                 `--api-version`; `-v` shows each request"
                    .to_string()
            }
            OrgError::Http { org, .. } => check_org(org),
            OrgError::Protocol { org, .. } => format!(
                "run it again with `-v` to see each request; if it persists, report it with that \
                 output (it holds no secret); `sfprov org info -o {org}` checks the connection"
            ),
            OrgError::Canceled { kind: JobKind::Deploy, .. } => {
                "a canceled deploy changes nothing in the org; run the command again when ready"
                    .to_string()
            }
            OrgError::Canceled { .. } => "run the command again when ready".to_string(),
            OrgError::BadUrl { .. } => {
                "give the org's address as https://HOST, for example \
                 `--instance-url https://acme.my.salesforce.com`"
                    .to_string()
            }
            OrgError::BadApiVersion { .. } => {
                "pass a version such as `--api-version 63.0`, or leave it out to use the org's newest"
                    .to_string()
            }
            OrgError::Timeout { host, .. } => format!(
                "check the network and VPN, and that {host} is your org's address (`--instance-url` or \
                 the sf alias's instance URL); if the org is just slow, allow more time, e.g. \
                 `SFPROV_HTTP_TIMEOUT=180 sfprov ...` (seconds); it is safe to re-run"
            ),
            OrgError::Transport { .. } => {
                "check the network and run the command again; it is safe to re-run".to_string()
            }
            OrgError::WaitLimit { kind, id, org, .. } => match kind {
                JobKind::Deploy => format!(
                    "the deploy goes on in the org; follow it with `sf project deploy report --job-id {id} --target-org {org}` \
                     or cancel it with `sf project deploy cancel --job-id {id} --target-org {org}`, \
                     then run sfprov again (or pass a larger --wait)"
                ),
                JobKind::Retrieve => format!(
                    "run the command again with a larger --wait (retrieve {id} on org `{org}` cannot be resumed)"
                ),
            },
            OrgError::UnsafeZip { .. } => {
                "the org returned a zip sfprov will not unpack; retrieve fewer components or report this".to_string()
            }
            OrgError::Local { .. } => "use a real org with `--target-org ALIAS`".to_string(),
            OrgError::JwtAccessToken { .. } => {
                "on the connected app, turn off \"Issue JSON Web Token (JWT)-based access tokens\", \
                 then log in again"
                    .to_string()
            }
        })
    }

    /// The org the error concerns, as the user named it.
    pub fn org(&self) -> Option<&str> {
        match self {
            OrgError::SfMissing { org }
            | OrgError::SfUnknownOrg { org, .. }
            | OrgError::SfExpired { org, .. }
            | OrgError::SfFailed { org, .. }
            | OrgError::Api { org, .. }
            | OrgError::SessionRejected { org, .. }
            | OrgError::Rest { org, .. }
            | OrgError::Http { org, .. }
            | OrgError::Transport { org, .. }
            | OrgError::Timeout { org, .. }
            | OrgError::Protocol { org, .. }
            | OrgError::WaitLimit { org, .. }
            | OrgError::Canceled { org, .. }
            | OrgError::JwtAccessToken { org, .. }
            | OrgError::UnsafeZip { org, .. } => Some(org),
            _ => None,
        }
    }

    /// This error as a diagnostic (the same as [`ToDiagnostic`], without
    /// importing the trait).
    pub fn to_diagnostic(&self) -> Diagnostic {
        <Self as ToDiagnostic>::to_diagnostic(self)
    }
}

/// The fallback next step for an org's refusal sfprov has no advice for.
fn check_org(org: &str) -> String {
    format!(
        "`sfprov org info -o {org}` checks the connection and the user's access; \
         `-v` shows each request"
    )
}

impl ToDiagnostic for OrgError {
    fn to_diagnostic(&self) -> Diagnostic {
        let d = Diagnostic::error(self.to_string()).hint_opt(self.hint());
        match self.org() {
            Some(org) => d.org(org),
            None => d,
        }
    }
}

fn code_hint(code: &ApiErrorCode, org: &str) -> Option<String> {
    Some(match code {
        ApiErrorCode::InvalidSessionId => {
            format!("log in again (`sf org login web --alias {org}`), or get a fresh SF_ACCESS_TOKEN")
        }
        ApiErrorCode::InsufficientAccess => {
            "the connecting user needs \"Modify Metadata Through Metadata API Functions\" or \"Modify All Data\""
                .to_string()
        }
        ApiErrorCode::ApiDisabledForOrg => {
            "the connecting user needs \"API Enabled\", and the org's edition must include the API".to_string()
        }
        ApiErrorCode::RequestLimitExceeded => {
            "the org's API limit is used up; wait and run again (see Setup > Company Information)".to_string()
        }
        ApiErrorCode::UnsupportedApiVersion => {
            "set a newer `api_version` in sfprov.toml".to_string()
        }
        _ => return None,
    })
}
