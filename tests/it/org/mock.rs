//! A scripted HTTP server on 127.0.0.1:0 for fault tests the emulator cannot
//! stage: each request is answered by the first matching rule; a rule can
//! answer, drop the connection, or stall past the client's timeout.
//! Every request is recorded (method, path, headers, body) for assertions.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

#[derive(Debug, Clone)]
pub enum Action {
    Reply {
        status: u16,
        content_type: &'static str,
        body: String,
    },
    /// Close the socket without answering.
    Drop,
    /// Wait this long, then close.
    Stall(Duration),
}

pub fn soap(status: u16, body: impl Into<String>) -> Action {
    Action::Reply {
        status,
        content_type: "text/xml; charset=utf-8",
        body: body.into(),
    }
}

pub fn json(status: u16, body: impl Into<String>) -> Action {
    Action::Reply {
        status,
        content_type: "application/json",
        body: body.into(),
    }
}

/// A rule: requests whose path starts with `path` and whose body (or path)
/// contains `body_has` get `actions` in turn (the last one repeats).
struct Rule {
    path: String,
    body_has: String,
    actions: Vec<Action>,
    used: usize,
}

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    log: Vec<Recorded>,
}

pub struct Mock {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl Mock {
    pub fn start() -> Mock {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let st = state.clone();
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { break };
                let st = st.clone();
                thread::spawn(move || serve(stream, st));
            }
        });
        Mock { url, state }
    }

    /// Adds a rule; earlier rules win.
    pub fn on(&self, path: &str, body_has: &str, actions: Vec<Action>) -> &Self {
        self.state.lock().unwrap().rules.push(Rule {
            path: path.into(),
            body_has: body_has.into(),
            actions,
            used: 0,
        });
        self
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().log.clone()
    }

    /// How many recorded requests had `needle` in their body or path.
    pub fn count(&self, needle: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.body.contains(needle) || r.path.contains(needle))
            .count()
    }
}

fn serve(stream: TcpStream, st: Arc<Mutex<State>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let path = parts.next().unwrap_or("").to_string();
        let mut headers = Vec::new();
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap_or(0);
                }
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let mut body = vec![0u8; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let body = String::from_utf8_lossy(&body).into_owned();
        let action = {
            let mut s = st.lock().unwrap();
            s.log.push(Recorded {
                method,
                path: path.clone(),
                headers,
                body: body.clone(),
            });
            let rule = s.rules.iter_mut().find(|r| {
                path.starts_with(&r.path)
                    && (body.contains(&r.body_has) || path.contains(&r.body_has))
            });
            match rule {
                Some(r) => {
                    let a = r.actions[r.used.min(r.actions.len() - 1)].clone();
                    r.used += 1;
                    a
                }
                None => json(
                    404,
                    r#"[{"errorCode":"NOT_FOUND","message":"no mock rule"}]"#,
                ),
            }
        };
        let mut w = &stream;
        match action {
            Action::Reply {
                status,
                content_type,
                body,
            } => {
                let head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                );
                if w.write_all(head.as_bytes()).is_err() || w.write_all(body.as_bytes()).is_err() {
                    return;
                }
            }
            Action::Drop => {
                let _ = stream.shutdown(Shutdown::Both);
                return;
            }
            Action::Stall(d) => {
                thread::sleep(d);
                let _ = stream.shutdown(Shutdown::Both);
                return;
            }
        }
    }
}

/// A Metadata API answer envelope around `inner`.
pub fn envelope(inner: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="http://soap.sforce.com/2006/04/metadata" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>{inner}</soapenv:Body></soapenv:Envelope>"#
    )
}

/// A Metadata API fault (HTTP 500).
pub fn fault(code: &str, message: &str) -> Action {
    soap(
        500,
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="http://soap.sforce.com/2006/04/metadata"><soapenv:Body><soapenv:Fault><faultcode>sf:{code}</faultcode><faultstring>{code}: {message}</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>"#
        ),
    )
}

pub fn deploy_status(id: &str, status: &str, done: bool, success: bool, details: &str) -> Action {
    soap(
        200,
        envelope(&format!(
            "<checkDeployStatusResponse><result><checkOnly>false</checkOnly><details>{details}</details><done>{done}</done><id>{id}</id><numberComponentErrors>0</numberComponentErrors><numberComponentsDeployed>0</numberComponentsDeployed><numberComponentsTotal>1</numberComponentsTotal><status>{status}</status><success>{success}</success></result></checkDeployStatusResponse>"
        )),
    )
}

/// `GET /services/data` answer.
pub fn versions() -> Action {
    json(
        200,
        r#"[{"label":"Spring '25","url":"/services/data/v63.0","version":"63.0"},{"label":"Summer '25","url":"/services/data/v64.0","version":"64.0"}]"#,
    )
}
