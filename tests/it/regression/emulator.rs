//! Regressions in emulator (see ../regression.rs for naming): hostile
//! requests (issue 7, item 3), one emulator per state directory (item 5),
//! no temp file left by a signal (item 11). Hostile requests go to a
//! `sfprov emulator serve` child process, so a crash shows as a dead child
//! rather than taking the test binary down.

use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use serde_json::Value;

use crate::emulator::client::{http, tag, zip_raw, Resp, MD};
use sfprov::emulator::{self, Config, EmulatorError};

/// `sfprov emulator serve` as a child process; killed on drop.
/// `sfprov emulator serve [--state DIR]` as a child process, killed on drop.
pub(crate) struct Served {
    pub child: Child,
    pub url: String,
    pub token: String,
}

impl Served {
    pub fn start(state: Option<&Path>) -> Served {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sfprov"));
        cmd.args(["emulator", "serve"]);
        if let Some(dir) = state {
            cmd.arg("--state").arg(dir);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
        Served {
            url: v["instance_url"].as_str().unwrap().to_string(),
            token: v["access_token"].as_str().unwrap().to_string(),
            child,
        }
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Peak resident memory of the child (VmHWM), in bytes, where /proc has it.
    fn peak_memory(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    }

    /// A Metadata API call that must be answered normally.
    fn describe(&self) -> Resp {
        let r = soap(
            &self.url,
            &self.token,
            "<met:describeMetadata><met:asOfVersion>63.0</met:asOfVersion></met:describeMetadata>",
        )
        .expect("the emulator answers");
        assert_eq!(r.status, 200, "{}", r.body);
        r
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn envelope(token: &str, op: &str) -> String {
    format!(
        "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:met=\"{MD}\">\
<soapenv:Header><met:SessionHeader><met:sessionId>{token}</met:sessionId></met:SessionHeader></soapenv:Header>\
<soapenv:Body>{op}</soapenv:Body></soapenv:Envelope>"
    )
}

fn soap(url: &str, token: &str, op: &str) -> std::io::Result<Resp> {
    http(
        url,
        "POST",
        "/services/Soap/m/63.0",
        &[
            ("Content-Type", "text/xml; charset=UTF-8"),
            ("SOAPAction", "\"\""),
        ],
        &envelope(token, op),
    )
}

fn deep(levels: usize) -> String {
    format!("{}{}", "<met:x>".repeat(levels), "</met:x>".repeat(levels))
}

#[test]
fn issue_07_deep_soap_xml_is_refused_and_the_emulator_survives() {
    let mut org = Served::start(None);
    // The 49 KB request of the report: 7,000 levels, no valid session.
    let op = format!(
        "<met:describeMetadata>{}</met:describeMetadata>",
        deep(7000)
    );
    let r = soap(&org.url, "00Dbogus!AQxyz", &op).expect("answered, not a crash");
    assert_eq!(r.status, 500, "{}", r.body);
    assert_eq!(
        tag(&r.body, "faultcode").as_deref(),
        Some("sf:INVALID_SESSION_ID"),
        "{}",
        r.body
    );
    assert!(org.alive());
    // Deep in the SOAP Header, where the session is looked for.
    let env = format!(
        "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:met=\"{MD}\">\
<soapenv:Header>{}</soapenv:Header><soapenv:Body><met:describeMetadata/></soapenv:Body></soapenv:Envelope>",
        deep(7000)
    );
    let r = http(&org.url, "POST", "/services/Soap/m/63.0", &[], &env).expect("answered");
    assert_eq!(r.status, 500, "{}", r.body);
    assert!(r.body.contains("deeper than 100 levels"), "{}", r.body);
    // With a valid session the whole request is read: still bounded.
    let r = soap(&org.url, &org.token, &op).expect("answered");
    assert_eq!(r.status, 500, "{}", r.body);
    assert_eq!(tag(&r.body, "faultcode").as_deref(), Some("soapenv:Client"));
    assert!(r.body.contains("deeper than 100 levels"), "{}", r.body);
    assert!(org.alive());
    org.describe();
}

#[test]
fn issue_07_deep_metadata_in_a_deploy_fails_the_deploy() {
    let mut org = Served::start(None);
    let manifest = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Package xmlns=\"{MD}\"><types><members>Deep</members><name>PermissionSet</name></types><version>63.0</version></Package>"
    );
    let file = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><PermissionSet xmlns=\"{MD}\"><label>Deep</label>{}{}</PermissionSet>",
        "<description>".repeat(7000),
        "</description>".repeat(7000)
    );
    let zip = zip_raw(&[
        ("package.xml".to_string(), manifest.into_bytes()),
        (
            "permissionsets/Deep.permissionset".to_string(),
            file.into_bytes(),
        ),
    ]);
    let result = deploy(&org.url, &org.token, &zip);
    assert_eq!(
        tag(&result, "success").as_deref(),
        Some("false"),
        "{result}"
    );
    assert_eq!(
        tag(&result, "status").as_deref(),
        Some("Failed"),
        "{result}"
    );
    let problem = tag(&result, "problem").unwrap_or_default();
    assert!(problem.contains("deeper than 100 levels"), "{result}");
    assert!(org.alive());
    org.describe();
}

/// Sends `body_len` bytes of `<a/>` in a SOAP Body and returns the answer, or
/// `None` when the server closed the connection before reading it all (it may
/// answer a request it refuses without reading the rest).
fn send_empty_elements(url: &str, token: &str, body_len: usize, chunked: bool) -> Option<Resp> {
    let head = envelope(token, "<met:describeMetadata>")
        .trim_end_matches("</soapenv:Body></soapenv:Envelope>")
        .to_string();
    let tail = "</met:describeMetadata></soapenv:Body></soapenv:Envelope>";
    let filler = body_len.saturating_sub(head.len() + tail.len()) / 4;
    let addr = url.trim_start_matches("http://").to_string();
    let mut s = TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let framing = if chunked {
        "Transfer-Encoding: chunked".to_string()
    } else {
        format!("Content-Length: {}", head.len() + filler * 4 + tail.len())
    };
    let mut reader = s.try_clone().unwrap();
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        let frame = |s: &mut TcpStream, data: &[u8]| -> std::io::Result<()> {
            if chunked {
                write!(s, "{:x}\r\n", data.len())?;
                s.write_all(data)?;
                s.write_all(b"\r\n")
            } else {
                s.write_all(data)
            }
        };
        write!(s, "POST /services/Soap/m/63.0 HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{framing}\r\n\r\n")?;
        frame(&mut s, head.as_bytes())?;
        let block = "<a/>".repeat(16 * 1024);
        let mut left = filler;
        while left > 0 {
            let n = left.min(16 * 1024);
            frame(&mut s, &block.as_bytes()[..n * 4])?;
            left -= n;
        }
        frame(&mut s, tail.as_bytes())?;
        if chunked {
            s.write_all(b"0\r\n\r\n")?;
        }
        Ok(())
    });
    let mut raw = Vec::new();
    let _ = reader.read_to_end(&mut raw);
    let _ = writer.join();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    Some(Resp {
        status,
        headers: Vec::new(),
        body,
    })
}

#[test]
fn issue_07_huge_soap_bodies_are_refused_without_building_them() {
    let mut org = Served::start(None);
    let mb = 1024 * 1024;
    // 60 MB, unauthenticated, declared: refused before it is read.
    let declared = send_empty_elements(&org.url, "00Dbogus!AQxyz", 60 * mb, false);
    eprintln!("declared 60 MB: answered {}", declared.is_some());
    if let Some(r) = declared {
        assert!(r.body.contains("EXCEEDED_MAX_SIZE_REQUEST"), "{}", r.body);
    }
    // 60 MB, unauthenticated, chunked (no declared length): the session is
    // checked on the first bytes.
    let chunked = send_empty_elements(&org.url, "00Dbogus!AQxyz", 60 * mb, true);
    eprintln!("chunked 60 MB: answered {}", chunked.is_some());
    if let Some(r) = chunked {
        assert!(r.body.contains("INVALID_SESSION_ID"), "{}", r.body);
    }
    assert!(org.alive());
    // 45 MB of empty elements with a valid session: read, and refused by
    // the element limit before a tree of 11 million nodes is built.
    let r = send_empty_elements(&org.url, &org.token, 45 * mb, false).expect("answered");
    assert_eq!(r.status, 500, "{}", r.body);
    assert!(r.body.contains("more than 100000 elements"), "{}", r.body);
    assert!(org.alive());
    org.describe();
    if let Some(peak) = org.peak_memory() {
        eprintln!("emulator peak memory: {} MB", peak / mb as u64);
        // Before: 4.7 GB for 60 MB. Now: about the body plus a little.
        assert!(
            peak < 600 * mb as u64,
            "peak memory {} MB",
            peak / mb as u64
        );
    }
}

/// Deploys a zip (singlePackage) and polls until done; the final DeployResult.
fn deploy(url: &str, token: &str, zip: &[u8]) -> String {
    let op = format!(
        "<met:deploy><met:ZipFile>{}</met:ZipFile><met:DeployOptions><met:rollbackOnError>true</met:rollbackOnError>\
<met:singlePackage>true</met:singlePackage></met:DeployOptions></met:deploy>",
        base64::engine::general_purpose::STANDARD.encode(zip)
    );
    let r = soap(url, token, &op).expect("deploy answered");
    assert_eq!(r.status, 200, "{}", r.body);
    let id = tag(&r.body, "id").expect("an AsyncResult id");
    for _ in 0..20 {
        let r = soap(
            url,
            token,
            &format!("<met:checkDeployStatus><met:asyncProcessId>{id}</met:asyncProcessId><met:includeDetails>true</met:includeDetails></met:checkDeployStatus>"),
        )
        .expect("checkDeployStatus answered");
        assert_eq!(r.status, 200, "{}", r.body);
        if tag(&r.body, "done").as_deref() == Some("true") {
            return r.body;
        }
    }
    panic!("deploy {id} never finished");
}

#[test]
fn issue_07_zip_bomb_deploy_fails_naming_the_limit() {
    let mut org = Served::start(None);
    // 101 MiB of one byte compresses to about 100 KB.
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    w.start_file("package.xml", opts).unwrap();
    w.write_all(format!("<Package xmlns=\"{MD}\"><types><members>Bomb</members><name>PermissionSet</name></types><version>63.0</version></Package>").as_bytes())
        .unwrap();
    w.start_file("permissionsets/Bomb.permissionset", opts)
        .unwrap();
    let block = vec![b' '; 1024 * 1024];
    for _ in 0..101 {
        w.write_all(&block).unwrap();
    }
    let zip = w.finish().unwrap().into_inner();
    assert!(zip.len() < 1024 * 1024, "{} bytes", zip.len());
    let result = deploy(&org.url, &org.token, &zip);
    assert_eq!(
        tag(&result, "success").as_deref(),
        Some("false"),
        "{result}"
    );
    assert_eq!(
        tag(&result, "status").as_deref(),
        Some("Failed"),
        "{result}"
    );
    let problem = tag(&result, "problem").unwrap_or_default();
    assert!(
        problem.contains("permissionsets/Bomb.permissionset")
            && problem.contains("larger than 104857600 bytes uncompressed"),
        "{result}"
    );
    assert!(org.alive());
    org.describe();
}

#[test]
fn issue_07_concurrent_spawns_on_one_state_dir_serve_once() {
    for _ in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
        let results: Vec<_> = (0..4)
            .map(|_| {
                let b = barrier.clone();
                let state = dir.path().join("org");
                std::thread::spawn(move || {
                    b.wait();
                    emulator::spawn(Config {
                        state_dir: Some(state),
                        ..Config::default()
                    })
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
        let serving = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(serving, 1, "exactly one emulator serves the directory");
        for r in &results {
            if let Err(e) = r {
                assert!(
                    matches!(e, EmulatorError::Busy { pid: Some(p), .. } if *p == std::process::id()),
                    "{e}"
                );
                assert!(
                    e.to_string()
                        .contains(&format!("pid {}", std::process::id())),
                    "{e}"
                );
            }
        }
        drop(results);
        // Released with its handle: the next start succeeds.
        let again = emulator::spawn(Config {
            state_dir: Some(dir.path().join("org")),
            ..Config::default()
        });
        assert!(again.is_ok(), "{:?}", again.err());
    }
}

#[test]
fn issue_07_concurrent_serve_processes_on_one_state_dir_serve_once() {
    for _ in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("org");
        let mut children = Children(
            (0..4)
                .map(|_| {
                    Command::new(env!("CARGO_BIN_EXE_sfprov"))
                        .args(["emulator", "serve", "--state"])
                        .arg(&state)
                        .stdout(Stdio::piped())
                        .stderr(Stdio::piped())
                        .spawn()
                        .unwrap()
                })
                .collect(),
        );
        // Each child either prints its ready line (serving) or exits.
        let lines: Vec<String> = children
            .0
            .iter_mut()
            .map(|c| c.stdout.take().unwrap())
            .map(|out| {
                std::thread::spawn(move || {
                    let mut line = String::new();
                    let _ = std::io::BufReader::new(out).read_line(&mut line);
                    line
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
        let winners: Vec<usize> = (0..4).filter(|&i| !lines[i].is_empty()).collect();
        assert_eq!(winners.len(), 1, "exactly one serves: {lines:?}");
        let winner = winners[0];
        let winner_pid = children.0[winner].id();
        for (i, c) in children.0.iter_mut().enumerate() {
            if i == winner {
                continue;
            }
            let mut err = String::new();
            c.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            let status = c.wait().unwrap();
            assert!(!status.success(), "{err}");
            assert!(
                err.contains(&format!(
                    "in use by another sfprov process (pid {winner_pid})"
                )),
                "{err}"
            );
        }
        signal(winner_pid, "TERM");
        let status = children.0[winner].wait().unwrap();
        assert!(status.success());
        assert_eq!(leftovers(&state), Vec::<String>::new());
    }
}

/// Child processes killed on drop, so a failing test leaves none running.
struct Children(Vec<Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "could not send SIG{sig} to {pid}");
}

/// Files in a state directory besides `state.json` and `lock`.
fn leftovers(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "state.json" && n != "lock")
        .collect();
    out.sort();
    out
}

#[test]
fn issue_07_signals_during_persisting_deploys_leave_no_temp_files() {
    let manifest = format!(
        "<Package xmlns=\"{MD}\"><types><members>*</members><name>PermissionSet</name></types><version>63.0</version></Package>"
    );
    for trial in 0..6 {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("org");
        let org = Served::start(Some(&state));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let clients: Vec<_> = (0..2)
            .map(|c| {
                let (url, token, stop, manifest) =
                    (org.url.clone(), org.token.clone(), stop.clone(), manifest.clone());
                std::thread::spawn(move || {
                    let mut n = 0;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        n += 1;
                        let ps = format!(
                            "<PermissionSet xmlns=\"{MD}\"><description>{}</description><label>P{c}x{n}</label></PermissionSet>",
                            "x".repeat(4000)
                        );
                        let zip = zip_raw(&[
                            ("package.xml".to_string(), manifest.clone().into_bytes()),
                            (format!("permissionsets/P{c}x{n}.permissionset"), ps.into_bytes()),
                        ]);
                        let op = format!(
                            "<met:deploy><met:ZipFile>{}</met:ZipFile><met:DeployOptions><met:singlePackage>true</met:singlePackage></met:DeployOptions></met:deploy>",
                            base64::engine::general_purpose::STANDARD.encode(zip)
                        );
                        let Ok(r) = soap(&url, &token, &op) else { break };
                        let Some(id) = tag(&r.body, "id") else { break };
                        for _ in 0..3 {
                            let poll = format!("<met:checkDeployStatus><met:asyncProcessId>{id}</met:asyncProcessId></met:checkDeployStatus>");
                            if soap(&url, &token, &poll).is_err() {
                                return;
                            }
                        }
                    }
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(300 + 70 * trial));
        signal(org.child.id(), if trial % 2 == 0 { "INT" } else { "TERM" });
        let mut org = org;
        let status = org.child.wait().unwrap();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for c in clients {
            c.join().unwrap();
        }
        assert!(status.success(), "trial {trial}: {status}");
        assert_eq!(leftovers(&state), Vec::<String>::new(), "trial {trial}");
        // The lock is released: the directory serves again.
        drop(Served::start(Some(&state)));
    }
}

#[test]
fn issue_07_temp_files_of_a_killed_emulator_are_removed_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("org");
    drop(Served::start(Some(&state))); // SIGKILL: no chance to clean up
                                       // What a process killed mid-write leaves: this version's temp name and
                                       // the one older versions used (tempfile's `.tmpXXXXXX`).
    std::fs::write(state.join(".state.json.Ab12Cd.tmp"), "{").unwrap();
    std::fs::write(state.join(".tmpAb12Cd"), "{").unwrap();
    let _org = Served::start(Some(&state));
    assert_eq!(leftovers(&state), Vec::<String>::new());
}
