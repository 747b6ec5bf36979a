//! OAuth 2.0 JWT bearer flow: sign an RS256 assertion, trade it for a token.
//! Owns: reading the PEM key (kept as a `Secret`), the claims (iss = client
//! id, sub = username, aud = login/test or SF_AUDIENCE_URL, exp = now + 3
//! min), the token request and its answer. Does not: retry (see `client`).

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};

use super::error::OrgError;
use super::http::{Body, Request, Transport, TransportError};
use super::retry::Clock;
use super::target::JwtTarget;
use crate::secret::Secret;

pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// A JWT login, ready to mint tokens again and again.
#[derive(Debug, Clone)]
pub struct JwtLogin {
    pub target: JwtTarget,
    key_pem: Secret,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: u64,
}

/// What the token endpoint answers.
#[derive(Debug)]
pub struct Granted {
    pub access_token: Secret,
    pub instance_url: String,
    pub org_id: Option<String>,
    pub user_id: Option<String>,
}

#[derive(Deserialize)]
struct WireToken {
    access_token: String,
    instance_url: String,
    #[serde(default)]
    id: Option<String>,
}

impl JwtLogin {
    pub fn new(target: JwtTarget) -> Result<JwtLogin, OrgError> {
        let pem = std::fs::read_to_string(&target.key_file).map_err(|e| OrgError::JwtKey {
            path: target.key_file.clone(),
            reason: e.to_string(),
        })?;
        let login = JwtLogin {
            target,
            key_pem: Secret::new(pem),
        };
        // Fail early on a key that cannot sign.
        login.assertion(SystemTime::now())?;
        Ok(login)
    }

    /// The signed assertion for `now`.
    pub fn assertion(&self, now: SystemTime) -> Result<Secret, OrgError> {
        let key = EncodingKey::from_rsa_pem(self.key_pem.expose().as_bytes()).map_err(|e| {
            OrgError::JwtKey {
                path: self.target.key_file.clone(),
                reason: format!("not an RSA private key in PEM form ({e})"),
            }
        })?;
        let exp = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() + 180;
        let claims = Claims {
            iss: &self.target.client_id,
            sub: &self.target.username,
            aud: &self.target.audience,
            exp,
        };
        let jwt =
            jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &key).map_err(|e| {
                OrgError::JwtKey {
                    path: self.target.key_file.clone(),
                    reason: format!("signing failed: {e}"),
                }
            })?;
        Ok(Secret::new(jwt))
    }

    pub fn token_url(&self) -> String {
        format!("{}/services/oauth2/token", self.target.token_host)
    }

    /// Posts a fresh assertion to the token endpoint (one attempt).
    pub fn request(&self) -> Result<Request, OrgError> {
        let assertion = self.assertion(SystemTime::now())?;
        Ok(Request {
            method: "POST",
            url: self.token_url(),
            headers: vec![("Accept", "application/json".into())],
            body: Body::Form(vec![
                ("grant_type".into(), GRANT_TYPE.into()),
                ("assertion".into(), assertion.expose().to_string()),
            ]),
        })
    }

    /// Mints a token: one request, retried on dropped connections and 5xx
    /// (asking for a token twice is harmless).
    pub fn grant(
        &self,
        transport: &Transport,
        retries: u32,
        clock: &dyn Clock,
    ) -> Result<Granted, OrgError> {
        let mut attempt = 0;
        let mut spent = std::time::Duration::ZERO;
        loop {
            let req = self.request()?;
            let started = std::time::Instant::now();
            let sent = transport.send(&req);
            spent += started.elapsed();
            let timeout = |connect: bool, spent| OrgError::Timeout {
                org: self.target.username.clone(),
                operation: "JWT bearer login".into(),
                host: super::http::host_of(&self.target.token_host),
                timeout: transport.limit(connect),
                connect,
                attempts: attempt + 1,
                spent,
            };
            match sent {
                Ok(resp) if resp.status == 200 => return self.parse(&resp.body),
                Ok(resp) if resp.status >= 500 && attempt < retries => {}
                Ok(resp) => return Err(self.refused(resp.status, &resp.body)),
                Err(TransportError::Timeout { connect }) if attempt < retries => {
                    log::warn!(
                        "JWT bearer login for `{}`: {}; trying again (gives up after {} attempts)",
                        self.target.username,
                        super::error::stalled(
                            &super::http::host_of(&self.target.token_host),
                            &transport.limit(connect),
                            &connect
                        ),
                        retries + 1
                    );
                }
                Err(_) if attempt < retries => {}
                Err(TransportError::Timeout { connect }) => return Err(timeout(connect, spent)),
                Err(TransportError::Failed(reason)) => {
                    return Err(OrgError::Transport {
                        org: self.target.username.clone(),
                        operation: "JWT bearer login".into(),
                        host: super::http::host_of(&self.target.token_host),
                        reason,
                    })
                }
            }
            attempt += 1;
            let delay = std::time::Duration::from_millis(200 << attempt.min(4));
            clock.sleep(delay);
            spent += delay;
        }
    }

    fn parse(&self, body: &str) -> Result<Granted, OrgError> {
        let w: WireToken = serde_json::from_str(body).map_err(|e| OrgError::Protocol {
            org: self.target.username.clone(),
            operation: "JWT bearer login".into(),
            reason: format!("the token answer is not the expected JSON ({e})"),
        })?;
        let (org_id, user_id) = w.id.as_deref().map(parse_id_url).unwrap_or((None, None));
        Ok(Granted {
            access_token: Secret::new(w.access_token),
            instance_url: w.instance_url,
            org_id,
            user_id,
        })
    }

    fn refused(&self, status: u16, body: &str) -> OrgError {
        let (error, description) =
            match super::api_error::parse_rest_errors(body).and_then(|v| v.into_iter().next()) {
                Some(e) => (e.code.to_string(), e.message),
                None => (format!("HTTP {status}"), String::new()),
            };
        OrgError::OAuth {
            username: self.target.username.clone(),
            token_url: self.token_url(),
            error,
            description,
        }
    }
}

/// `https://login.salesforce.com/id/{orgId}/{userId}` → (org id, user id).
pub fn parse_id_url(url: &str) -> (Option<String>, Option<String>) {
    let mut parts = url.trim_end_matches('/').rsplit('/');
    let user = parts.next().map(str::to_string);
    let org = parts.next().map(str::to_string);
    match (org, user) {
        (Some(o), Some(u)) if o.starts_with("00D") => (Some(o), Some(u)),
        _ => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_url() {
        assert_eq!(
            parse_id_url("https://login.salesforce.com/id/00D5g000004ABCD/0055g00000AbCdE"),
            (
                Some("00D5g000004ABCD".into()),
                Some("0055g00000AbCdE".into())
            )
        );
        assert_eq!(parse_id_url("garbage"), (None, None));
    }

    #[test]
    fn unreadable_key_names_the_file() {
        let t = JwtTarget {
            client_id: "c".into(),
            key_file: "/nonexistent/server.key".into(),
            username: "u@x.com".into(),
            token_host: "https://login.salesforce.com".into(),
            audience: "https://login.salesforce.com".into(),
        };
        let e = JwtLogin::new(t.clone()).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/server.key"));
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.key");
        std::fs::write(
            &bad,
            "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        let e = JwtLogin::new(JwtTarget { key_file: bad, ..t }).unwrap_err();
        assert!(matches!(e, OrgError::JwtKey { .. }), "{e:?}");
    }
}
