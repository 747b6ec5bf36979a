//! Reusing the sf CLI's login: `sf org display` and `sf org auth show-access-token`.
//! Owns: spawning `sf` (found on PATH, or a given program), parsing its
//! `--json` answers (old sf returns the token in `org display`, newer sf
//! redacts it there) and turning its failures into `OrgError`s that name the
//! `sf org login ...` to run. Does not: read sf's encrypted auth files.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::error::OrgError;
use crate::secret::Secret;

/// What `sf org display` tells about an org.
#[derive(Debug, Clone)]
pub struct SfOrg {
    pub org_id: Option<String>,
    pub instance_url: String,
    pub username: Option<String>,
    pub api_version: Option<String>,
    /// The token, when this sf version still prints it in `org display`.
    pub access_token: Option<Secret>,
}

/// Runs `sf org display` for `org`, then `show-access-token` when the token
/// was redacted. Returns the org and its token.
pub fn login(program: &Path, org: &str) -> Result<(SfOrg, Secret), OrgError> {
    let mut display = org_display(program, org)?;
    let token = match display.access_token.take() {
        Some(t) => t,
        None => access_token(program, org, Some(&display.instance_url))?,
    };
    Ok((display, token))
}

pub fn org_display(program: &Path, org: &str) -> Result<SfOrg, OrgError> {
    let result = run(
        program,
        org,
        &["org", "display", "--target-org", org, "--json"],
    )?;
    parse_display(org, &result)
}

/// `sf org auth show-access-token`: sf refreshes the token first if needed.
pub fn access_token(
    program: &Path,
    org: &str,
    instance_url: Option<&str>,
) -> Result<Secret, OrgError> {
    let result = run(
        program,
        org,
        &[
            "org",
            "auth",
            "show-access-token",
            "--target-org",
            org,
            "--json",
        ],
    )
    .map_err(|e| match e {
        OrgError::SfExpired { org, message, .. } => OrgError::SfExpired {
            org,
            message,
            instance_url: instance_url.map(str::to_string),
        },
        other => other,
    })?;
    token_field(&result).ok_or_else(|| OrgError::SfFailed {
        org: org.to_string(),
        command: "org auth show-access-token".into(),
        message: "its answer holds no access token".into(),
    })
}

fn token_field(result: &Value) -> Option<Secret> {
    let t = result
        .get("accessToken")
        .or_else(|| result.get("access_token"))
        .or_else(|| result.get("token"))?
        .as_str()?;
    if t.is_empty() || is_redacted(t) {
        None
    } else {
        Some(Secret::new(t))
    }
}

fn is_redacted(token: &str) -> bool {
    token.trim_start().starts_with("[REDACTED]")
}

/// How long one `sf` command may take (it may refresh a token first).
const SF_TIMEOUT: Duration = Duration::from_secs(120);

enum RunError {
    Spawn(std::io::Error),
    TimedOut,
}

/// Runs `cmd` with no stdin (sf must not prompt), collecting its output;
/// kills it after `limit`.
fn output_within(mut cmd: Command, limit: Duration) -> Result<Output, RunError> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(RunError::Spawn)?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let started = Instant::now();
    let status = loop {
        match child.try_wait().map_err(RunError::Spawn)? {
            Some(status) => break status,
            None if started.elapsed() >= limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(RunError::TimedOut);
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    Ok(Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}

/// Parses the `result` of `sf org display --json`.
pub fn parse_display(org: &str, result: &Value) -> Result<SfOrg, OrgError> {
    let s = |k: &str| result.get(k).and_then(Value::as_str).map(str::to_string);
    if let Some(status) = s("connectedStatus") {
        if is_expired_text(&status) {
            return Err(OrgError::SfExpired {
                org: org.to_string(),
                message: status,
                instance_url: s("instanceUrl"),
            });
        }
    }
    let instance_url = s("instanceUrl").ok_or_else(|| OrgError::SfFailed {
        org: org.to_string(),
        command: "org display".into(),
        message: "its answer has no instanceUrl".into(),
    })?;
    Ok(SfOrg {
        org_id: s("id").or_else(|| s("orgId")),
        instance_url,
        username: s("username"),
        api_version: s("apiVersion"),
        access_token: token_field(result),
    })
}

fn is_expired_text(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    t.contains("expired")
        || t.contains("invalid_grant")
        || t.contains("refreshtokenautherror")
        || t.contains("invalid_session_id")
        || t.contains("bad_oauth_token")
}

/// Runs `sf ARGS`, returning the `result` of its JSON answer. Never puts sf's
/// stdout in an error: it may hold a token.
fn run(program: &Path, org: &str, args: &[&str]) -> Result<Value, OrgError> {
    let command = args
        .iter()
        .take_while(|a| !a.starts_with("--"))
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    log::debug!("running sf {}", args.join(" "));
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env("SF_JSON_TO_STDOUT", "true")
        .env("SF_DISABLE_TELEMETRY", "true")
        .env("SF_AUTOUPDATE_DISABLE", "true");
    let out = output_within(cmd, SF_TIMEOUT).map_err(|e| match e {
        RunError::Spawn(e) if e.kind() == std::io::ErrorKind::NotFound => OrgError::SfMissing {
            org: org.to_string(),
        },
        RunError::Spawn(e) => OrgError::SfFailed {
            org: org.to_string(),
            command: command.clone(),
            message: format!("could not run {}: {e}", program.display()),
        },
        RunError::TimedOut => OrgError::SfFailed {
            org: org.to_string(),
            command: command.clone(),
            message: format!(
                "it did not answer within {} s and was stopped",
                SF_TIMEOUT.as_secs()
            ),
        },
    })?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json = stdout
        .find('{')
        .and_then(|i| serde_json::from_str::<Value>(stdout[i..].trim_end()).ok());
    let Some(json) = json else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        return Err(OrgError::SfFailed {
            org: org.to_string(),
            command,
            message: format!(
                "it printed no JSON (exit status {}){}{}",
                out.status.code().map_or("none".into(), |c| c.to_string()),
                if first.is_empty() { "" } else { ": " },
                first.chars().take(200).collect::<String>()
            ),
        });
    };
    let status = json.get("status").and_then(Value::as_i64).unwrap_or(0);
    if status == 0 && out.status.success() {
        return Ok(json.get("result").cloned().unwrap_or(Value::Null));
    }
    Err(classify_failure(org, &command, &json))
}

/// Turns sf's error JSON (`{"status":1,"name":"...","message":"..."}`) into
/// an error saying which login to run.
pub fn classify_failure(org: &str, command: &str, json: &Value) -> OrgError {
    let name = json.get("name").and_then(Value::as_str).unwrap_or("");
    let message = json
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("sf failed without a message")
        .to_string();
    let unknown = matches!(
        name,
        "NamedOrgNotFoundError" | "NamedOrgNotFound" | "NoAuthInfoFound" | "NoOrgFound"
    ) || message.contains("No authorization information found")
        || message.contains("No org configuration found");
    if unknown {
        return OrgError::SfUnknownOrg {
            org: org.to_string(),
            message,
        };
    }
    if is_expired_text(name) || is_expired_text(&message) {
        return OrgError::SfExpired {
            org: org.to_string(),
            message,
            instance_url: None,
        };
    }
    OrgError::SfFailed {
        org: org.to_string(),
        command: command.to_string(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn old_sf_returns_the_token_in_display() {
        let r = json!({"id":"00D5g000004ABCDEAA","apiVersion":"63.0","accessToken":"00D5g!AQ.old",
            "instanceUrl":"https://acme.my.salesforce.com","username":"admin@acme.com",
            "connectedStatus":"Connected","alias":"prod"});
        let o = parse_display("prod", &r).unwrap();
        assert_eq!(o.access_token.unwrap().expose(), "00D5g!AQ.old");
        assert_eq!(o.org_id.as_deref(), Some("00D5g000004ABCDEAA"));
        assert_eq!(o.api_version.as_deref(), Some("63.0"));
    }

    #[test]
    fn new_sf_redacts_the_token() {
        let r = json!({"id":"00D","accessToken":"[REDACTED] Use 'sf org auth show-access-token' to view",
            "instanceUrl":"https://acme.my.salesforce.com","username":"admin@acme.com"});
        assert!(parse_display("prod", &r).unwrap().access_token.is_none());
        assert!(token_field(&json!({"accessToken":"00D!new"})).is_some());
    }

    #[test]
    fn failures_name_the_login_to_run() {
        let e = classify_failure(
            "prod",
            "org display",
            &json!({"status":1,"name":"NamedOrgNotFoundError","message":"No authorization information found for prod."}),
        );
        assert!(matches!(e, OrgError::SfUnknownOrg { .. }));
        assert!(e.hint().unwrap().contains("sf org login web --alias prod"));
        let e = classify_failure(
            "prod",
            "org auth show-access-token",
            &json!({"status":1,"name":"RefreshTokenAuthError","message":"Error authenticating with the refresh token due to: expired access/refresh token"}),
        );
        assert!(matches!(e, OrgError::SfExpired { .. }));
        assert!(e
            .hint()
            .unwrap()
            .starts_with("run `sf org login web --alias prod"));
        let r = json!({"instanceUrl":"https://x.my.salesforce.com","connectedStatus":"RefreshTokenAuthError"});
        let e = parse_display("prod", &r).unwrap_err();
        assert!(e
            .hint()
            .unwrap()
            .contains("--instance-url https://x.my.salesforce.com"));
    }

    #[test]
    fn a_hanging_sf_is_stopped() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "sleep 5"]);
        assert!(matches!(
            output_within(cmd, Duration::from_millis(200)),
            Err(RunError::TimedOut)
        ));
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo hi; echo err >&2"]);
        let out = output_within(cmd, Duration::from_secs(5)).ok().unwrap();
        assert_eq!(out.stdout, b"hi\n");
        assert_eq!(out.stderr, b"err\n");
    }

    #[test]
    fn missing_sf_binary() {
        let e = login(Path::new("/nonexistent/sf-for-sfprov-test"), "prod").unwrap_err();
        assert!(matches!(e, OrgError::SfMissing { .. }), "{e:?}");
        assert!(e.hint().unwrap().contains("sf org login web --alias prod"));
    }
}
