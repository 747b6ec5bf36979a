//! Which org to talk to, and how to log in to it: target resolution.
//! Owns: `TargetOptions` (the target flags as plain values), `Environment`
//! (SF_* variables and sf's configured `target-org`, read here and nowhere
//! else), `Target` and `resolve_target`, plus `ApiVersion`.
//! Does not: spawn `sf`, sign JWTs or send requests (see `connect`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::OrgError;
use super::http::check_url;
use crate::secret::Secret;

pub const LOGIN_AUDIENCE: &str = "https://login.salesforce.com";
pub const TEST_AUDIENCE: &str = "https://test.salesforce.com";

/// The target flags, the same as `sf` where it has them. No clap types.
#[derive(Debug, Clone, Default)]
pub struct TargetOptions {
    /// `--target-org NAME`: an sf alias or username, or `local`.
    pub target_org: Option<String>,
    /// `--instance-url URL`: with SF_ACCESS_TOKEN, or the JWT login host.
    pub instance_url: Option<String>,
    /// `--client-id ID`: the connected app's consumer key (JWT).
    pub client_id: Option<String>,
    /// `--jwt-key-file FILE`: PEM private key (JWT).
    pub jwt_key_file: Option<PathBuf>,
    /// `--username USER` (JWT).
    pub username: Option<String>,
}

/// What the process environment contributes. `from_process` reads it once;
/// tests build it by hand.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    pub sf_target_org: Option<String>,
    pub sf_access_token: Option<Secret>,
    pub sf_audience_url: Option<String>,
    /// sf's configured `target-org` (project `.sf/config.json`, then global).
    pub sf_config_target_org: Option<String>,
    /// SFPROV_HTTP_TIMEOUT as given (seconds per request); checked by
    /// [`ConnectOptions::from_environment`].
    pub http_timeout: Option<String>,
}

impl Environment {
    /// Reads SF_TARGET_ORG, SF_ACCESS_TOKEN, SF_AUDIENCE_URL (and their SFDX_
    /// synonyms), SFPROV_HTTP_TIMEOUT, and sf's config files under `cwd` and
    /// `$HOME`.
    pub fn from_process() -> Self {
        let var = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
        };
        let cwd = std::env::current_dir().ok();
        let home = std::env::var_os("HOME").map(PathBuf::from);
        Environment {
            sf_target_org: var(&["SF_TARGET_ORG", "SFDX_DEFAULTUSERNAME"]),
            sf_access_token: var(&["SF_ACCESS_TOKEN", "SFDX_ACCESS_TOKEN"]).map(Secret::new),
            sf_audience_url: var(&["SF_AUDIENCE_URL", "SFDX_AUDIENCE_URL"]),
            sf_config_target_org: configured_target_org(cwd.as_deref(), home.as_deref()),
            http_timeout: var(&[HTTP_TIMEOUT_VAR]),
        }
    }
}

/// sf's `target-org`: the nearest project `.sf/config.json` above `cwd`, else
/// `$HOME/.sf/config.json`; the legacy `.sfdx/sfdx-config.json`
/// `defaultusername` after each.
pub fn configured_target_org(cwd: Option<&Path>, home: Option<&Path>) -> Option<String> {
    let read = |dir: &Path| -> Option<String> {
        let get = |file: PathBuf, key: &str| -> Option<String> {
            let text = std::fs::read_to_string(file).ok()?;
            let v: serde_json::Value = serde_json::from_str(&text).ok()?;
            v.get(key)?.as_str().map(str::to_string)
        };
        get(dir.join(".sf/config.json"), "target-org")
            .or_else(|| get(dir.join(".sfdx/sfdx-config.json"), "defaultusername"))
    };
    if let Some(cwd) = cwd {
        for dir in cwd.ancestors() {
            if Some(dir) == home {
                break;
            }
            if let Some(v) = read(dir) {
                return Some(v);
            }
        }
    }
    home.and_then(read)
}

/// A resolved target: which org, and how sfprov will get a token for it.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// The local org emulator, started in-process.
    Local,
    /// An org the sf CLI is logged in to (alias or username).
    SfCli { name: String },
    /// `--instance-url` with the token from SF_ACCESS_TOKEN.
    AccessToken { instance_url: String, token: Secret },
    /// OAuth 2.0 JWT bearer flow.
    Jwt(JwtTarget),
}

#[derive(Debug, Clone, PartialEq)]
pub struct JwtTarget {
    pub client_id: String,
    pub key_file: PathBuf,
    pub username: String,
    /// Where the token request is posted (My Domain, or login/test).
    pub token_host: String,
    /// The `aud` claim: login or test, or SF_AUDIENCE_URL.
    pub audience: String,
}

impl Target {
    /// The name used for this org in messages: alias, `local`, or host.
    pub fn label(&self) -> String {
        match self {
            Target::Local => "local".into(),
            Target::SfCli { name } => name.clone(),
            Target::AccessToken { instance_url, .. } => super::http::host_of(instance_url),
            Target::Jwt(j) => j.username.clone(),
        }
    }
}

/// Chooses the target from the flags, then the environment:
/// JWT flags; else `--instance-url` + SF_ACCESS_TOKEN; else `--target-org`,
/// SF_TARGET_ORG, sf's `target-org`.
pub fn resolve_target(opts: &TargetOptions, env: &Environment) -> Result<Target, OrgError> {
    let jwt = opts.client_id.is_some() || opts.jwt_key_file.is_some();
    if jwt {
        if opts.target_org.is_some() {
            return Err(OrgError::ConflictingOptions(
                "--target-org cannot be combined with --client-id/--jwt-key-file".into(),
            ));
        }
        let missing: Vec<&str> = [
            ("--client-id", opts.client_id.is_none()),
            ("--jwt-key-file", opts.jwt_key_file.is_none()),
            ("--username", opts.username.is_none()),
        ]
        .iter()
        .filter(|(_, m)| *m)
        .map(|(n, _)| *n)
        .collect();
        if !missing.is_empty() {
            return Err(OrgError::MissingOption(format!(
                "the JWT bearer login also needs {}",
                missing.join(" and ")
            )));
        }
        let instance = opts.instance_url.as_deref().map(check_url).transpose()?;
        let audience = match &env.sf_audience_url {
            Some(a) => check_url(a)?,
            None => audience_for(instance.as_deref()).to_string(),
        };
        let token_host = instance.unwrap_or_else(|| audience.clone());
        return Ok(Target::Jwt(JwtTarget {
            client_id: opts.client_id.clone().unwrap_or_default(),
            key_file: opts.jwt_key_file.clone().unwrap_or_default(),
            username: opts.username.clone().unwrap_or_default(),
            token_host,
            audience,
        }));
    }
    if opts.username.is_some() {
        return Err(OrgError::MissingOption(
            "--username is only used with --client-id and --jwt-key-file".into(),
        ));
    }
    if let Some(url) = &opts.instance_url {
        if opts.target_org.is_some() {
            return Err(OrgError::ConflictingOptions(
                "--target-org cannot be combined with --instance-url (outside a JWT login)".into(),
            ));
        }
        let instance_url = check_url(url)?;
        let token = env
            .sf_access_token
            .clone()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| OrgError::MissingAccessToken {
                instance_url: instance_url.clone(),
            })?;
        return Ok(Target::AccessToken {
            instance_url,
            token,
        });
    }
    let name = opts
        .target_org
        .clone()
        .or_else(|| env.sf_target_org.clone())
        .or_else(|| env.sf_config_target_org.clone())
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .ok_or(OrgError::NoTarget)?;
    if name == "local" {
        return Ok(Target::Local);
    }
    Ok(Target::SfCli { name })
}

/// The JWT audience for a login host: sandboxes use test.salesforce.com.
pub fn audience_for(instance_url: Option<&str>) -> &'static str {
    let Some(url) = instance_url else {
        return LOGIN_AUDIENCE;
    };
    let host = super::http::host_of(url).to_ascii_lowercase();
    let cs = host.split('.').next().is_some_and(|h| {
        h.len() > 2 && h.starts_with("cs") && h[2..].bytes().all(|b| b.is_ascii_digit())
    });
    if host == "test.salesforce.com" || host.ends_with(".sandbox.my.salesforce.com") || cs {
        TEST_AUDIENCE
    } else {
        LOGIN_AUDIENCE
    }
}

/// A Salesforce API version such as `63.0`; 40.0 or newer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiVersion(String);

impl ApiVersion {
    pub fn parse(raw: &str) -> Result<ApiVersion, OrgError> {
        let t = raw.trim().trim_start_matches(['v', 'V']);
        let bad = || OrgError::BadApiVersion {
            version: raw.to_string(),
        };
        let (major, minor) = t.split_once('.').unwrap_or((t, "0"));
        let major: u32 = major.parse().map_err(|_| bad())?;
        let minor: u32 = minor.parse().map_err(|_| bad())?;
        if major < 40 {
            return Err(OrgError::ApiVersionTooOld {
                version: format!("{major}.{minor}"),
            });
        }
        Ok(ApiVersion(format!("{major}.{minor}")))
    }

    /// `63.0`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The variable that sets the request timeout, in seconds.
pub const HTTP_TIMEOUT_VAR: &str = "SFPROV_HTTP_TIMEOUT";
/// How long one request may take, connecting included (README "Limits").
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// How long making the connection may take (never more than the request
/// timeout).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest SFPROV_HTTP_TIMEOUT accepted: one hour.
const MAX_REQUEST_TIMEOUT: Duration = Duration::from_secs(3600);

/// How to connect, beyond the target.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// The spec's API version; else the org's newest.
    pub api_version: Option<String>,
    /// Timeout of each request (connecting takes at most [`CONNECT_TIMEOUT`]
    /// of it). A call and its retries together stop after 3 times this.
    pub request_timeout: Duration,
    /// The `sf` program (default `sf`, found on PATH).
    pub sf_program: PathBuf,
    /// Where `local` keeps its org (`.sfprov/local-org/` below it); `None`
    /// is the current directory.
    pub project_dir: Option<PathBuf>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            api_version: None,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            sf_program: PathBuf::from("sf"),
            project_dir: None,
        }
    }
}

impl ConnectOptions {
    /// The defaults, with the request timeout from SFPROV_HTTP_TIMEOUT when
    /// it is set.
    pub fn from_environment(env: &Environment) -> Result<ConnectOptions, OrgError> {
        let mut o = ConnectOptions::default();
        if let Some(raw) = &env.http_timeout {
            o.request_timeout = parse_http_timeout(raw)?;
        }
        Ok(o)
    }
}

/// SFPROV_HTTP_TIMEOUT: seconds, more than 0 and at most 3600; fractions
/// allowed (`0.5`).
pub fn parse_http_timeout(raw: &str) -> Result<Duration, OrgError> {
    let bad = |reason: &str| OrgError::BadTimeout {
        value: raw.to_string(),
        reason: reason.to_string(),
    };
    let secs: f64 = raw
        .trim()
        .trim_end_matches('s')
        .parse()
        .map_err(|_| bad("not a number of seconds"))?;
    if !secs.is_finite() || secs <= 0.0 {
        return Err(bad("must be more than 0"));
    }
    let d = Duration::from_secs_f64(secs);
    if d > MAX_REQUEST_TIMEOUT {
        return Err(bad("must be at most 3600 (one hour)"));
    }
    Ok(d)
}

/// A duration for messages: `60 s`, `1.5 s`, `250 ms`.
pub fn seconds(d: &Duration) -> String {
    if d.subsec_millis() == 0 && d.as_secs() > 0 {
        format!("{} s", d.as_secs())
    } else if d.as_secs() == 0 {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests;
