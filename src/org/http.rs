//! One HTTP exchange, with timeouts, over HTTPS (plain HTTP only to loopback).
//! Owns: URL policy (`check_url`), the HTTP client (reqwest, blocking, rustls),
//! the connect and request timeouts, request/response values and `-v` request
//! logging through the `log` facade (method, URL, how long it will wait,
//! status, time; never headers or bodies, which carry tokens). Does not:
//! retry, parse SOAP or JSON, or decide what an error means (see `client`).

use std::io::Read;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::error::OrgError;
use super::target::{seconds, CONNECT_TIMEOUT};

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
    /// No answer in time; `connect` when the connection itself was not made.
    Timeout { connect: bool },
    /// Refused, reset, dropped mid-answer, DNS, TLS.
    Failed(String),
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TransportError::Timeout { connect: true } => {
                f.write_str("no connection (connect timeout)")
            }
            TransportError::Timeout { connect: false } => {
                f.write_str("no answer (request timeout)")
            }
            TransportError::Failed(reason) => write!(f, "failed: {reason}"),
        }
    }
}

/// Sends requests, each with the same timeouts.
#[derive(Clone)]
pub struct Transport {
    client: reqwest::blocking::Client,
    timeout: Duration,
    connect_timeout: Duration,
}

impl Transport {
    /// `timeout` bounds a whole exchange (connect, send, answer, body);
    /// connecting alone gets at most [`CONNECT_TIMEOUT`] of it.
    pub fn new(timeout: Duration) -> Self {
        let connect_timeout = timeout.min(CONNECT_TIMEOUT);
        let client = reqwest::blocking::Client::builder()
            .connect_timeout(connect_timeout)
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(super::soap::CLIENT_NAME)
            .build()
            .expect("the TLS backend (rustls) is compiled in");
        Transport {
            client,
            timeout,
            connect_timeout,
        }
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The limit a [`TransportError::Timeout`] hit.
    pub fn limit(&self, connect: bool) -> Duration {
        if connect {
            self.connect_timeout
        } else {
            self.timeout
        }
    }

    /// Sends one request; any HTTP status is a `Response`.
    pub fn send(&self, req: &Request) -> Result<Response, TransportError> {
        let started = Instant::now();
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|e| TransportError::Failed(e.to_string()))?;
        let mut r = self.client.request(method, &req.url);
        for (k, v) in &req.headers {
            r = r.header(*k, v);
        }
        r = match &req.body {
            Body::Empty => r,
            Body::Text { content_type, text } => r
                .header(reqwest::header::CONTENT_TYPE, *content_type)
                .body(text.clone()),
            Body::Form(pairs) => r.form(pairs),
        };
        log::debug!(
            "{} {} ... (waiting up to {} for an answer)",
            req.method,
            log_url(&req.url),
            seconds(&self.timeout)
        );
        let resp = match r.send() {
            Ok(resp) => resp,
            Err(e) => {
                let err = transport_error(&e);
                log::debug!(
                    "{} {} -> {} after {} ms",
                    req.method,
                    log_url(&req.url),
                    err,
                    started.elapsed().as_millis()
                );
                return Err(err);
            }
        };
        let status = resp.status().as_u16();
        let mut body = String::new();
        let read = resp.take(MAX_BODY).read_to_string(&mut body);
        if let Err(e) = read {
            let err = io_error(&e);
            log::debug!(
                "{} {} -> {status}, body lost: {err}",
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

fn transport_error(e: &reqwest::Error) -> TransportError {
    if e.is_timeout() {
        return TransportError::Timeout {
            connect: e.is_connect(),
        };
    }
    use std::error::Error;
    let mut src: Option<&(dyn Error + 'static)> = e.source();
    while let Some(inner) = src {
        if let Some(io) = inner.downcast_ref::<std::io::Error>() {
            return io_error(io);
        }
        src = inner.source();
    }
    TransportError::Failed(e.to_string())
}

fn io_error(e: &std::io::Error) -> TransportError {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::TimedOut | ErrorKind::WouldBlock => TransportError::Timeout { connect: false },
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
