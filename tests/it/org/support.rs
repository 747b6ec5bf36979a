//! Helpers for org tests: a known token, a fake `sf` script, an RSA key and
//! certificate made with openssl, a log capture, and a temp HOME so a
//! developer's real sf login is never touched.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use sfprov::org::{
    connect_with_clock, ConnectOptions, FakeClock, Org, OrgError, Target, TargetOptions,
};
use sfprov::secret::Secret;

/// The token every test uses; no output may ever contain it.
pub const TOKEN: &str = "00DTESTORG000001!AQ.KNOWN-SECRET-TOKEN-8c1f";
pub const TOKEN2: &str = "00DTESTORG000001!AQ.SECOND-SECRET-TOKEN-77aa";

pub fn options() -> ConnectOptions {
    ConnectOptions {
        api_version: Some("63.0".into()),
        request_timeout: Duration::from_secs(5),
        sf_program: PathBuf::from("/nonexistent/sf"),
        project_dir: None,
    }
}

/// An access-token org on `url`, with a fake clock.
pub fn token_org(url: &str) -> (Org, FakeClock) {
    let clock = FakeClock::default();
    let target = Target::AccessToken {
        instance_url: url.into(),
        token: Secret::new(TOKEN),
    };
    let org = connect_with_clock(&target, &options(), Arc::new(clock.clone())).unwrap();
    (org, clock)
}

/// A fake `sf` in `dir`: `org display` answers `display` (JSON), and
/// `org auth show-access-token` answers with TOKEN, then TOKEN2 on later
/// calls (a refresh). Calls are appended to `dir/sf-calls.log`.
pub fn fake_sf(dir: &Path, display: &str) -> PathBuf {
    fake_sf_with(dir, display, TOKEN, TOKEN2)
}

/// [`fake_sf`] handing out `first`, then `second` (e.g. emulator tokens).
pub fn fake_sf_with(dir: &Path, display: &str, first: &str, second: &str) -> PathBuf {
    let path = dir.join("sf");
    let script = format!(
        r#"#!/bin/sh
echo "$@" >> "{dir}/sf-calls.log"
case "$*" in
  *"org display"*)
    cat <<'EOF'
{display}
EOF
    ;;
  *"show-access-token"*)
    if [ -f "{dir}/sf-token-used" ]; then tok="{second}"; else tok="{first}"; touch "{dir}/sf-token-used"; fi
    printf '{{"status":0,"result":{{"accessToken":"%s","username":"admin@acme.test"}}}}\n' "$tok"
    ;;
  *) echo '{{"status":1,"name":"UnknownCommand","message":"unknown"}}'; exit 1 ;;
esac
"#,
        dir = dir.display()
    );
    std::fs::write(&path, script).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    path
}

/// `sf org display --json` as newer sf prints it (token redacted).
pub fn display_json(instance_url: &str) -> String {
    format!(
        r#"{{"status":0,"result":{{"id":"00DTESTORG000001AAA","apiVersion":"63.0","accessToken":"[REDACTED] Use 'sf org auth show-access-token' to view","instanceUrl":"{instance_url}","username":"admin@acme.test","connectedStatus":"Connected","alias":"acme"}},"warnings":[]}}"#
    )
}

/// An RSA key and self-signed certificate made by openssl:
/// (key.pem, cert.pem, public.pem).
pub fn rsa_key_and_cert(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let key = dir.join("server.key");
    let cert = dir.join("server.crt");
    let public = dir.join("public.pem");
    let ok = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", "/CN=sfprov-test"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl is needed to make a test key")
        .status
        .success();
    assert!(ok, "openssl req failed");
    let out = std::process::Command::new("openssl")
        .args(["x509", "-pubkey", "-noout", "-in"])
        .arg(&cert)
        .output()
        .unwrap();
    std::fs::write(&public, out.stdout).unwrap();
    (key, cert, public)
}

/// Everything `log` records during the tests (debug level and up).
pub fn captured_log() -> Arc<Mutex<String>> {
    static LOG: OnceLock<Arc<Mutex<String>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let buf = Arc::new(Mutex::new(String::new()));
        let logger = Box::leak(Box::new(Capture(buf.clone())));
        log::set_logger(logger).ok();
        log::set_max_level(log::LevelFilter::Trace);
        buf
    })
    .clone()
}

struct Capture(Arc<Mutex<String>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, r: &log::Record) {
        self.0
            .lock()
            .unwrap()
            .push_str(&format!("{} {}\n", r.level(), r.args()));
    }
    fn flush(&self) {}
}

/// Every way an error can be shown: Display, Debug, hint.
pub fn all_renderings(e: &OrgError) -> String {
    format!("{e}\n{e:?}\n{}", e.hint().unwrap_or_default())
}

pub fn assert_no_secret(what: &str, text: &str) {
    for t in [TOKEN, TOKEN2, "KNOWN-SECRET", "SECOND-SECRET"] {
        assert!(!text.contains(t), "{what} leaks the token:\n{text}");
    }
}

pub fn no_target() -> TargetOptions {
    TargetOptions::default()
}

/// A zip of (name, bytes) entries, as a retrieve answers with.
pub fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}
