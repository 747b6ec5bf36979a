//! Regressions in org (see ../regression.rs for naming).
//! Hostile servers for `sfprov org info`: one that echoes the session token
//! back (body, header, SOAP fault), one that injects terminal escapes and
//! forged `error:` lines, one that accepts and never answers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{sfprov, Run};

/// A token no other test uses, with the `!` a Salesforce session id has.
const TOKEN: &str = "00DHOSTILE0000001!AQ.ECHOED-BACK-SECRET-TOKEN-5e2b";

/// The forms of TOKEN that must never be shown.
fn token_forms() -> Vec<String> {
    vec![
        TOKEN.to_string(),
        TOKEN.replace('!', "%21"),
        TOKEN.split_once('!').unwrap().1.to_string(),
    ]
}

/// What a hostile server does with one request.
enum Answer {
    /// Write these bytes (a whole HTTP response) and close.
    Raw(String),
    /// Keep the connection open and never answer.
    Never,
}

/// A raw HTTP server on 127.0.0.1:0; `script(method, path, headers)`
/// decides each answer. Counts accepted connections.
struct Hostile {
    url: String,
    connections: Arc<AtomicUsize>,
}

fn hostile(script: impl Fn(&str, &str, &str) -> Answer + Send + Sync + 'static) -> Hostile {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let count = connections.clone();
    let script = Arc::new(script);
    // Streams left unanswered are parked here so they stay open.
    let parked: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { break };
            count.fetch_add(1, Ordering::SeqCst);
            let script = script.clone();
            let parked = parked.clone();
            std::thread::spawn(move || serve(stream, &*script, &parked));
        }
    });
    Hostile { url, connections }
}

fn serve(
    stream: TcpStream,
    script: &(dyn Fn(&str, &str, &str) -> Answer + Send + Sync),
    parked: &Mutex<Vec<TcpStream>>,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let mut headers = String::new();
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 {
            return;
        }
        if h.trim_end().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        headers.push_str(&h);
    }
    let mut body = vec![0u8; len];
    let _ = reader.read_exact(&mut body);
    match script(&method, &path, &headers) {
        Answer::Raw(text) => {
            let mut w = &stream;
            let _ = w.write_all(text.as_bytes());
            let _ = w.flush();
        }
        Answer::Never => parked.lock().unwrap().push(stream),
    }
}

fn response(status: &str, extra_headers: &str, content_type: &str, body: &str) -> Answer {
    Answer::Raw(format!(
        "HTTP/1.1 {status}\r\n{extra_headers}Content-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ))
}

/// Runs `sfprov <args>` against `url` with TOKEN in SF_ACCESS_TOKEN; kills
/// it after `limit` (so a hang fails the test instead of stalling it).
fn org_info(url: &str, args: &[&str], envs: &[(&str, &str)], limit: Duration) -> (Run, Duration) {
    let home = tempfile::tempdir().unwrap();
    let mut c = sfprov(home.path());
    c.env("SF_ACCESS_TOKEN", TOKEN)
        .env_remove("SFDX_ACCESS_TOKEN")
        .env_remove("SFPROV_HTTP_TIMEOUT")
        .args(args)
        .args(["org", "info", "--instance-url", url])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in envs {
        c.env(k, v);
    }
    let started = Instant::now();
    let mut child = c.spawn().unwrap();
    let mut killed = false;
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            killed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let elapsed = started.elapsed();
    assert!(
        !killed,
        "sfprov {args:?} org info was still running after {limit:?}; stderr so far:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        },
        elapsed,
    )
}

fn assert_no_token(label: &str, r: &Run) {
    for form in token_forms() {
        assert!(
            !r.stdout.contains(&form),
            "{label}: stdout shows the token ({form}):\n{}",
            r.stdout
        );
        assert!(
            !r.stderr.contains(&form),
            "{label}: stderr shows the token ({form}):\n{}",
            r.stderr
        );
    }
}

/// `org info` the four ways it shows things: plain, `-v`, `--json`, both.
fn run_modes(url: &str) -> Vec<(String, Run)> {
    let mut out = Vec::new();
    for verbose in [false, true] {
        for json in [false, true] {
            let global: &[&str] = if verbose { &["-v"] } else { &[] };
            let (r, _) = org_info_json(url, global, json);
            let label = format!(
                "{}{}",
                if verbose { "-v " } else { "" },
                if json { "--json" } else { "" }
            );
            out.push((label, r));
        }
    }
    out
}

fn org_info_json(url: &str, global: &[&str], json: bool) -> (Run, Duration) {
    let home = tempfile::tempdir().unwrap();
    let mut c = sfprov(home.path());
    c.env("SF_ACCESS_TOKEN", TOKEN)
        .env_remove("SFDX_ACCESS_TOKEN")
        .env_remove("SFPROV_HTTP_TIMEOUT")
        .args(global)
        .args(["org", "info", "--instance-url", url]);
    if json {
        c.arg("--json");
    }
    let started = Instant::now();
    let r = crate::common::run(c);
    (r, started.elapsed())
}

#[test]
fn issue_07_a_server_echoing_the_token_never_gets_it_printed() {
    let pct = TOKEN.replace('!', "%21");
    let tail = TOKEN.split_once('!').unwrap().1.to_string();
    let cases: Vec<(&str, Answer)> = vec![
        (
            "REST error array",
            response(
                "401 Unauthorized",
                "",
                "application/json",
                &format!(
                    r#"[{{"errorCode":"INVALID_SESSION_ID","message":"Session Bearer {TOKEN} expired"}}]"#
                ),
            ),
        ),
        (
            "plain body",
            response(
                "400 Bad Request",
                "",
                "text/plain",
                &format!("bad header Authorization: Bearer {TOKEN}; retry with {pct} or ...{tail}"),
            ),
        ),
        (
            "token at the truncation edge",
            response(
                "502 Bad Gateway",
                "",
                "text/html",
                &format!("{}Bearer {TOKEN}", "x".repeat(180)),
            ),
        ),
        (
            "header and redirect",
            response(
                "302 Found",
                &format!(
                    "WWW-Authenticate: Bearer {TOKEN}\r\nLocation: https://evil.example/?sid={pct}\r\n"
                ),
                "text/plain",
                &format!("moved; sid={pct}"),
            ),
        ),
        (
            "unknown error code",
            response(
                "400 Bad Request",
                "",
                "application/json",
                &format!(r#"{{"errorCode":"{TOKEN}","message":"{tail}"}}"#),
            ),
        ),
    ];
    for (label, answer) in cases {
        let Answer::Raw(raw) = answer else {
            unreachable!()
        };
        let server = hostile(move |_, _, _| Answer::Raw(raw.clone()));
        for (mode, r) in run_modes(&server.url) {
            let label = format!("{label} {mode}");
            assert_eq!(r.code, 1, "{label}: {}{}", r.stdout, r.stderr);
            assert!(r.stderr.contains("error: "), "{label}: {}", r.stderr);
            assert_no_token(&label, &r);
            if mode.contains("--json") {
                let v: serde_json::Value = serde_json::from_str(&r.stdout)
                    .unwrap_or_else(|e| panic!("{label}: {e}: {}", r.stdout));
                assert!(
                    v["errors"][0]["message"].is_string(),
                    "{label}: {}",
                    r.stdout
                );
            }
        }
    }
}

#[test]
fn issue_07_a_soap_fault_echoing_the_token_is_redacted() {
    let server = hostile(|_, path, _| {
        if path.starts_with("/services/Soap/") {
            response(
                "500 Server Error",
                "",
                "text/xml",
                &format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: sessionId {TOKEN} is not valid&#x1b;[2J&#13;error: forged</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>"#
                ),
            )
        } else {
            response("404 Not Found", "", "application/json", "[]")
        }
    });
    let target = sfprov::org::Target::AccessToken {
        instance_url: server.url.clone(),
        token: sfprov::secret::Secret::new(TOKEN),
    };
    let opts = sfprov::org::ConnectOptions {
        api_version: Some("63.0".into()),
        request_timeout: Duration::from_secs(10),
        sf_program: "/nonexistent/sf".into(),
        project_dir: None,
    };
    let org = sfprov::org::connect(&target, &opts).unwrap();
    let err = org.list_metadata(&[("Profile", None)]).unwrap_err();
    for shown in [
        err.to_string(),
        err.to_diagnostic().to_string(),
        sfprov::render::error_chain(&err),
    ] {
        for form in token_forms() {
            assert!(!shown.contains(&form), "token shown: {shown}");
        }
        assert!(
            !shown.contains('\x1b') && !shown.contains('\r'),
            "{shown:?}"
        );
        assert!(
            !shown.lines().any(|l| l.starts_with("error: forged")),
            "{shown}"
        );
        assert!(shown.contains("INVALID_LOGIN"), "{shown}");
    }
}

#[test]
fn issue_07_server_text_cannot_inject_escapes_or_forged_lines() {
    let body =
        "\x1b[31mred\x07\x1b]0;title\x07\rerror: forged\nhint: run `rm -rf ~`\u{202e}\u{9b}2J";
    let server = hostile(move |_, _, _| response("400 Bad Request", "", "text/plain", body));
    for (mode, r) in run_modes(&server.url) {
        assert_eq!(r.code, 1, "{mode}");
        for (stream, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
            for bad in ['\x1b', '\x07', '\r', '\u{202e}', '\u{9b}'] {
                assert!(
                    !text.contains(bad),
                    "{mode} {stream} holds {bad:?}: {text:?}"
                );
            }
            assert!(
                !text.lines().any(|l| l.starts_with("error: forged")
                    || l.starts_with("hint: run `rm")
                    || l.contains("\"error: forged")),
                "{mode} {stream}: a forged line: {text}"
            );
        }
        assert!(r.stderr.contains("\\x1b[31mred"), "{mode}: {}", r.stderr);
        if mode.contains("--json") {
            let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
            let m = v["errors"][0]["message"].as_str().unwrap();
            assert!(m.chars().all(|c| !c.is_control()), "{m:?}");
        }
    }
}

#[test]
fn issue_07_org_values_from_the_server_are_escaped() {
    // A server that answers every query, with a hostile org name.
    let server = hostile(|_, path, _| {
        let body = if path == "/services/data" || path == "/services/data/" {
            r#"[{"version":"63.0","url":"/services/data/v63.0"}]"#.to_string()
        } else if path.contains("FROM+Organization") || path.contains("FROM%20Organization") {
            format!(
                r#"{{"totalSize":1,"done":true,"records":[{{"Id":"00DHOSTILE0000001","Name":"Acme\u001b]0;pwned\u0007\nerror: forged {TOKEN}","OrganizationType":"Enterprise Edition","IsSandbox":false}}]}}"#
            )
        } else if path.contains("/query") {
            r#"{"totalSize":0,"done":true,"records":[]}"#.to_string()
        } else {
            format!(r#"{{"preferred_username":"x@y.z\u001b[2J{TOKEN}"}}"#)
        };
        response("200 OK", "", "application/json", &body)
    });
    for (mode, r) in run_modes(&server.url) {
        assert_eq!(r.code, 0, "{mode}: {}", r.stderr);
        assert_no_token(&mode, &r);
        assert!(
            !r.stdout.contains('\x1b') && !r.stdout.contains('\x07'),
            "{mode}: {:?}",
            r.stdout
        );
        assert!(
            !r.stdout.lines().any(|l| l.starts_with("error: forged")),
            "{mode}: {}",
            r.stdout
        );
    }
}

#[test]
fn issue_07_a_server_that_never_answers_times_out_naming_host_and_hint() {
    let server = hostile(|_, _, _| Answer::Never);
    let (r, elapsed) = org_info(
        &server.url,
        &["-v"],
        &[("SFPROV_HTTP_TIMEOUT", "1")],
        Duration::from_secs(60),
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    // Before: 120 s per attempt, four attempts, nothing said while waiting.
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");
    assert!(
        r.stderr.contains("waiting up to 1 s"),
        "-v says what it waits for: {}",
        r.stderr
    );
    let error = r
        .stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line: {}", r.stderr));
    assert!(error.contains("127.0.0.1"), "names the host: {error}");
    assert!(
        error.contains("list API versions"),
        "names the call: {error}"
    );
    assert!(error.contains("1 s"), "names the timeout: {error}");
    let hint = r
        .stderr
        .lines()
        .find(|l| l.starts_with("hint: "))
        .unwrap_or_else(|| panic!("no hint: {}", r.stderr));
    assert!(hint.contains("SFPROV_HTTP_TIMEOUT"), "{hint}");
    assert!(hint.contains("--instance-url"), "{hint}");
    assert!(hint.to_lowercase().contains("vpn"), "{hint}");
    // Retries are bounded and said aloud.
    let n = server.connections.load(Ordering::SeqCst);
    assert!((1..=3).contains(&n), "{n} connections");

    // Without -v, a retry after a stall is still announced.
    let server = hostile(|_, _, _| Answer::Never);
    let (r, _) = org_info(
        &server.url,
        &[],
        &[("SFPROV_HTTP_TIMEOUT", "1")],
        Duration::from_secs(60),
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    if server.connections.load(Ordering::SeqCst) > 1 {
        assert!(
            r.stderr
                .lines()
                .any(|l| l.starts_with("warning: ") && l.contains("trying again")),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn issue_07_a_bad_timeout_setting_is_an_error_with_a_hint() {
    let server = hostile(|_, _, _| Answer::Never);
    let (r, _) = org_info(
        &server.url,
        &[],
        &[("SFPROV_HTTP_TIMEOUT", "soon")],
        Duration::from_secs(30),
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("SFPROV_HTTP_TIMEOUT"), "{}", r.stderr);
    assert!(r.stderr.contains("hint: "), "{}", r.stderr);
    assert_eq!(server.connections.load(Ordering::SeqCst), 0);
}
