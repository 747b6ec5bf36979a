//! One HTTP exchange, with a timeout, over HTTPS (plain HTTP only to loopback).
//! Owns: URL policy (`check_url`), the ureq agent, request/response values and
//! `-v` request logging through the `log` facade (method, URL, status, time;
//! never headers or bodies, which carry tokens). Does not: retry, parse
//! SOAP or JSON, or decide what an error means (see `client`).

use std::io::Read;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::error::OrgError;

/// Largest response body read (a retrieve zip, base64, stays well below).
const MAX_BODY: u64 = 256 * 1024 * 1024;

/// Checks that `url` is absolute and HTTPS, or HTTP to a loopback host.
/// Returns the URL without a trailing slash.
pub fn check_url(url: &str) -> Result<String, OrgError> {
    let parsed = url::Url::parse(url).map_err(|e| OrgError::BadUrl {
        url: url.to_string(),
        reason: e.to_string(),
    })?;
    match parsed.scheme() {
        "https" => {}
        "http" if is_loopback(&parsed) => {}
        "http" => {
            return Err(OrgError::InsecureUrl {
                url: url.to_string(),
            })
        }
        other => {
            return Err(OrgError::BadUrl {
                url: url.to_string(),
                reason: format!("scheme `{other}` is not https"),
            })
        }
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(OrgError::BadUrl {
            url: url.to_string(),
            reason: "no host".into(),
        });
    }
    Ok(url.trim_end_matches('/').to_string())
}

fn is_loopback(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// The host part of a URL, for messages.
pub fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| url.to_string())
}

/// No Debug: bodies carry session ids and JWT assertions.
#[derive(Clone)]
pub enum Body {
    Empty,
    /// A body with its content type (SOAP XML, JSON).
    Text {
        content_type: &'static str,
        text: String,
    },
    /// `application/x-www-form-urlencoded` pairs.
    Form(Vec<(String, String)>),
}

/// A request ready to send. Headers may hold secrets: never log them.
#[derive(Clone)]
pub struct Request {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Body,
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub body: String,
}

/// A request that got no HTTP answer.
#[derive(Debug, Clone)]
pub enum TransportError {
    Timeout,
    /// Refused, reset, dropped mid-answer, DNS, TLS.
    Failed(String),
}

/// Sends requests, each with the same timeout.
#[derive(Clone)]
pub struct Transport {
    agent: ureq::Agent,
    timeout: Duration,
}

impl Transport {
    pub fn new(timeout: Duration) -> Self {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(timeout.min(Duration::from_secs(30)))
            .timeout(timeout)
            .redirects(0)
            .user_agent(super::soap::CLIENT_NAME)
            .build();
        Transport { agent, timeout }
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends one request; any HTTP status is a `Response`.
    pub fn send(&self, req: &Request) -> Result<Response, TransportError> {
        let started = Instant::now();
        let mut r = self.agent.request(req.method, &req.url);
        for (k, v) in &req.headers {
            r = r.set(k, v);
        }
        let result = match &req.body {
            Body::Empty => r.call(),
            Body::Text { content_type, text } => {
                r.set("Content-Type", content_type).send_string(text)
            }
            Body::Form(pairs) => {
                let v: Vec<(&str, &str)> = pairs
                    .iter()
                    .map(|(a, b)| (a.as_str(), b.as_str()))
                    .collect();
                r.send_form(&v)
            }
        };
        let resp = match result {
            Ok(resp) => resp,
            Err(ureq::Error::Status(_, resp)) => resp,
            Err(ureq::Error::Transport(t)) => {
                let err = transport_error(&t);
                log::debug!(
                    "{} {} -> {:?} after {} ms",
                    req.method,
                    log_url(&req.url),
                    err,
                    started.elapsed().as_millis()
                );
                return Err(err);
            }
        };
        let status = resp.status();
        let mut body = String::new();
        let read = resp.into_reader().take(MAX_BODY).read_to_string(&mut body);
        if let Err(e) = read {
            let err = io_error(&e);
            log::debug!(
                "{} {} -> {status}, body lost: {err:?}",
                req.method,
                log_url(&req.url)
            );
            return Err(err);
        }
        log::debug!(
            "{} {} -> {status} ({} bytes) in {} ms",
            req.method,
            log_url(&req.url),
            body.len(),
            started.elapsed().as_millis()
        );
        Ok(Response { status, body })
    }
}

/// The URL as logged: path and query kept (they hold no secrets), no
/// userinfo.
fn log_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        Err(_) => "<invalid url>".into(),
    }
}

fn transport_error(t: &ureq::Transport) -> TransportError {
    use std::error::Error;
    let mut src: Option<&(dyn Error + 'static)> = t.source();
    while let Some(e) = src {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return io_error(io);
        }
        src = e.source();
    }
    let text = t.to_string();
    if text.contains("timed out") {
        TransportError::Timeout
    } else {
        TransportError::Failed(text)
    }
}

fn io_error(e: &std::io::Error) -> TransportError {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::TimedOut | ErrorKind::WouldBlock => TransportError::Timeout,
        _ => TransportError::Failed(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_required_except_loopback() {
        assert_eq!(
            check_url("https://acme.my.salesforce.com/").unwrap(),
            "https://acme.my.salesforce.com"
        );
        assert!(check_url("http://127.0.0.1:4711").is_ok());
        assert!(check_url("http://127.8.0.2:1").is_ok());
        assert!(check_url("http://localhost:80").is_ok());
        assert!(check_url("http://[::1]:80").is_ok());
        assert!(matches!(
            check_url("http://acme.my.salesforce.com"),
            Err(OrgError::InsecureUrl { .. })
        ));
        assert!(matches!(
            check_url("http://10.0.0.1"),
            Err(OrgError::InsecureUrl { .. })
        ));
        assert!(matches!(
            check_url("http://localhost.evil.com"),
            Err(OrgError::InsecureUrl { .. })
        ));
        assert!(matches!(check_url("ftp://x"), Err(OrgError::BadUrl { .. })));
        assert!(matches!(
            check_url("acme.com"),
            Err(OrgError::BadUrl { .. })
        ));
    }

    #[test]
    fn logged_url_drops_userinfo() {
        assert_eq!(
            log_url("https://u:p@h.example/services/data?q=1"),
            "https://h.example/services/data?q=1"
        );
    }
}
