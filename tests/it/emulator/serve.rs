//! `serve` and persistence (issue 3, point 1): the ready line, state kept in
//! a directory across restarts (what `--target-org local` relies on).

use serde_json::{json, Value};

use super::client::*;
use sfprov::emulator::{self, Config, ServeOptions};

#[test]
fn state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let ps = doc(
        "PermissionSet",
        &format!("<label>Kept</label>{}", up("ApiEnabled", true)),
    );
    {
        let org = Org::with(Config::local(dir.path()));
        let res = org.deploy(&[("permissionsets/Kept.permissionset", &ps)]);
        assert_eq!(tag(&res, "status").as_deref(), Some("Succeeded"), "{res}");
        let profile = org.id_of("SELECT Id FROM Profile WHERE Name = 'Standard User'");
        let r = org.create(
            "User",
            json!({"Username": "kept@example.com", "LastName": "K", "Email": "k@example.com", "Alias": "k", "TimeZoneSidKey": "UTC",
                   "LocaleSidKey": "en_US", "EmailEncodingKey": "UTF-8", "LanguageLocaleKey": "en_US", "ProfileId": profile}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let state = dir.path().join(emulator::LOCAL_ORG_DIR).join("state.json");
    assert!(state.exists());
    let mut files: Vec<String> = std::fs::read_dir(state.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    // `lock` stays (unlocked); atomic writes leave no temp files.
    assert_eq!(files, ["lock", "state.json"]);
    let org = Org {
        h: emulator::spawn_local(dir.path()).unwrap(),
    };
    assert!(org.h.component("PermissionSet", "Kept").is_some());
    assert_eq!(
        org.query("SELECT count() FROM User WHERE Username = 'kept@example.com'")["totalSize"],
        1
    );
    // The old session is gone; the new handle's works.
    assert_eq!(
        org.rest("GET", "/services/data/v63.0/sobjects/User/describe", "")
            .status,
        200
    );
}

#[test]
fn serve_prints_one_json_line_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let seed_path = dir.path().join("seed.json");
    let mut seed = emulator::Seed::default_org();
    seed.org.name = "Varied Org".into();
    std::fs::write(&seed_path, serde_json::to_string(&seed).unwrap()).unwrap();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel();
    let (tx, rx) = std::sync::mpsc::channel();
    let opts = ServeOptions {
        seed_file: Some(seed_path),
        state_dir: Some(dir.path().join("org")),
        ..Default::default()
    };
    let t = std::thread::spawn(move || {
        emulator::serve(opts, |r| tx.send(r.to_json_line()).unwrap(), Some(stop_rx))
    });
    let line = rx.recv().unwrap();
    assert!(!line.contains('\n'));
    let v: Value = serde_json::from_str(&line).unwrap();
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["access_token", "instance_url", "org_id", "username"]);
    assert!(
        line.starts_with("{\"instance_url\":\"http://127.0.0.1:"),
        "{line}"
    );
    let url = v["instance_url"].as_str().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"));
    let auth = format!("Bearer {}", v["access_token"].as_str().unwrap());
    let r = http(
        &url,
        "GET",
        "/services/data/v63.0/query?q=SELECT+Name+FROM+Organization",
        &[("Authorization", &auth)],
        "",
    )
    .unwrap();
    assert_eq!(r.json()["records"][0]["Name"], "Varied Org");
    stop_tx.send(()).unwrap();
    t.join().unwrap().unwrap();
    assert!(
        http(&url, "GET", "/services/data", &[], "").is_err(),
        "stopped"
    );
    assert!(dir.path().join("org/state.json").exists());
}

#[test]
fn bad_seed_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("seed.json");
    std::fs::write(&p, "{").unwrap();
    let e = emulator::serve(
        ServeOptions {
            seed_file: Some(p.clone()),
            ..Default::default()
        },
        |_| {},
        None,
    )
    .unwrap_err();
    assert!(e.to_string().contains(&p.display().to_string()), "{e}");
}

#[test]
fn sfprov_emulator_serve_binary_stops_on_ctrl_c() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sfprov"))
        .args(["emulator", "serve", "--state"])
        .arg(dir.path().join("org"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    let url = v["instance_url"].as_str().unwrap();
    let auth = format!("Bearer {}", v["access_token"].as_str().unwrap());
    let r = http(
        url,
        "GET",
        "/services/data/v63.0/sobjects/User/describe",
        &[("Authorization", &auth)],
        "",
    )
    .unwrap();
    assert_eq!(r.status, 200);
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    if !killed.is_ok_and(|s| s.success()) {
        child.kill().unwrap();
        panic!("could not send SIGINT");
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("listening on"), "{stderr}");
    assert!(
        !stderr.contains(v["access_token"].as_str().unwrap()),
        "the token only goes to stdout"
    );
    assert!(dir.path().join("org/state.json").exists());
}

#[test]
fn a_change_that_cannot_be_saved_is_undone() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("org");
    let org = Org::with(Config {
        state_dir: Some(state.clone()),
        ..Config::default()
    });
    // The state directory turns into a file: writes fail from now on.
    std::fs::remove_dir_all(&state).unwrap();
    std::fs::write(&state, "not a directory").unwrap();
    let profile = org.id_of("SELECT Id FROM Profile WHERE Name = 'Standard User'");
    let r = org.create(
        "User",
        json!({"Username": "lost@example.com", "LastName": "L", "Email": "l@example.com", "Alias": "l", "TimeZoneSidKey": "UTC",
               "LocaleSidKey": "en_US", "EmailEncodingKey": "UTF-8", "LanguageLocaleKey": "en_US", "ProfileId": profile}),
    );
    assert_eq!(r.status, 500, "{}", r.body);
    assert_eq!(r.json()[0]["errorCode"], "UNKNOWN_EXCEPTION");
    assert_eq!(
        org.query("SELECT count() FROM User WHERE Username = 'lost@example.com'")["totalSize"],
        0
    );
    let ps = doc("PermissionSet", "<label>Lost</label>");
    let res = org.deploy(&[("permissionsets/Lost.permissionset", &ps)]);
    assert_eq!(tag(&res, "status").as_deref(), Some("Failed"), "{res}");
    assert!(org.h.component("PermissionSet", "Lost").is_none());
}

#[test]
fn keep_alive_connections_and_stopping_with_one_open() {
    use std::io::{Read, Write};
    let org = Org::start();
    let addr = org.h.url.trim_start_matches("http://").to_string();
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    for _ in 0..2 {
        s.write_all(format!("GET /services/data HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
            .unwrap();
        let mut buf = [0u8; 4096];
        let n = s.read(&mut buf).unwrap();
        let text = String::from_utf8_lossy(&buf[..n]);
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    }
    // Dropping the handle with an idle keep-alive connection open returns promptly.
    let start = std::time::Instant::now();
    drop(org);
    assert!(start.elapsed() < std::time::Duration::from_secs(4));
    let mut buf = [0u8; 16];
    assert_eq!(
        s.read(&mut buf).unwrap_or(0),
        0,
        "the server closed the idle connection"
    );
}
