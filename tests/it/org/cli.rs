//! The built binary: `sfprov org info` through every target kind, each
//! failure, and the secret-leak check: with known tokens, nothing on stdout,
//! stderr (including `-v` request logs) or any file written under the
//! sandbox holds a token or the private key.

use std::path::{Path, PathBuf};

use sfprov::emulator::{self, Config, EmulatorHandle, FaultAction, FaultRule};

use super::support::*;
use crate::common::{run, sfprov, Run};

/// Fixtures (fake sf, key, cert) live apart from the sandbox the binary
/// writes to, so the file scan sees only what sfprov wrote.
struct Sandbox {
    home: tempfile::TempDir,
    fixtures: tempfile::TempDir,
    secrets: Vec<String>,
    runs: Vec<(String, Run)>,
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox {
            home: tempfile::tempdir().unwrap(),
            fixtures: tempfile::tempdir().unwrap(),
            secrets: vec![TOKEN.into(), TOKEN2.into()],
            runs: Vec::new(),
        }
    }

    fn cmd(&self, path_dirs: &[&Path]) -> std::process::Command {
        let mut c = sfprov(self.home.path());
        let mut path: Vec<PathBuf> = path_dirs.iter().map(|p| p.to_path_buf()).collect();
        path.extend([PathBuf::from("/usr/bin"), PathBuf::from("/bin")]);
        c.env("PATH", std::env::join_paths(path).unwrap())
            .env_remove("SF_AUDIENCE_URL")
            .env_remove("SFDX_ACCESS_TOKEN")
            .env_remove("SFDX_DEFAULTUSERNAME");
        c
    }

    fn go(&mut self, label: &str, mut c: std::process::Command, args: &[&str]) -> &Run {
        c.args(args);
        self.runs.push((label.to_string(), run(c)));
        &self.runs.last().unwrap().1
    }

    fn emulator_secrets(&mut self, h: &EmulatorHandle) {
        self.secrets.push(h.access_token.expose().to_string());
        self.secrets.push(h.refresh_token.expose().to_string());
    }

    /// The leak check over every run so far and every file under HOME/cwd.
    fn assert_no_leak(&self) {
        for (label, r) in &self.runs {
            for s in &self.secrets {
                assert!(
                    !r.stdout.contains(s.as_str()),
                    "{label}: stdout leaks a token"
                );
                assert!(
                    !r.stderr.contains(s.as_str()),
                    "{label}: stderr leaks a token"
                );
            }
            assert!(!r.stdout.contains("PRIVATE KEY") && !r.stderr.contains("PRIVATE KEY"));
        }
        let mut files = Vec::new();
        walk(self.home.path(), &mut files);
        for f in files {
            let bytes = std::fs::read(&f).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            for s in &self.secrets {
                assert!(!text.contains(s.as_str()), "{} leaks a token", f.display());
            }
        }
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn ok(r: &Run, label: &str) {
    assert_eq!(r.code, 0, "{label}: {}", r.stderr);
    assert!(
        r.stdout.contains("PushTopics") || r.stdout.contains("\"push_topics\""),
        "{label}: {}",
        r.stdout
    );
}

fn failed(r: &Run, label: &str, hint: &str) {
    assert_eq!(r.code, 1, "{label}: {}", r.stdout);
    assert!(
        r.stderr.lines().any(|l| l.starts_with("error: ")),
        "{label}: {}",
        r.stderr
    );
    assert!(
        r.stderr.contains(hint),
        "{label}: wanted `{hint}` in\n{}",
        r.stderr
    );
}

#[test]
fn org_info_through_every_target_kind_without_leaking_a_secret() {
    let mut sb = Sandbox::new();
    let h = emulator::spawn(Config::default()).unwrap();
    sb.emulator_secrets(&h);

    // local: the emulator in-process.
    let c = sb.cmd(&[]);
    let r = sb.go("local", c, &["-v", "org", "info", "--target-org", "local"]);
    ok(r, "local");
    assert!(r
        .stdout
        .contains("Connected via                    local emulator"));
    assert!(
        r.stderr.contains("debug: GET http://127.0.0.1:"),
        "-v logs requests"
    );
    let mut c = sb.cmd(&[]);
    c.env("SF_TARGET_ORG", "local");
    let r = sb.go("SF_TARGET_ORG=local", c, &["org", "info", "--json"]);
    ok(r, "SF_TARGET_ORG");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["format_version"], "1");
    assert!(v["org_id"].as_str().unwrap().starts_with("00D"));

    // An access token from SF_ACCESS_TOKEN.
    let mut c = sb.cmd(&[]);
    c.env("SF_ACCESS_TOKEN", h.access_token.expose());
    let r = sb.go(
        "access token",
        c,
        &["-v", "org", "info", "--instance-url", &h.url],
    );
    ok(r, "access token");
    assert!(r.stdout.contains(&h.username), "{}", r.stdout);

    // The sf CLI: a fake `sf` on PATH, as --target-org and as sf's config.
    let second = h.token_for(&h.username).unwrap();
    sb.secrets.push(second.expose().to_string());
    let display = display_json(&h.url).replace("admin@acme.test", &h.username);
    let sf_dir = sb.fixtures.path().join("sfbin");
    std::fs::create_dir_all(&sf_dir).unwrap();
    fake_sf_with(&sf_dir, &display, h.access_token.expose(), second.expose());
    let c = sb.cmd(&[&sf_dir]);
    let r = sb.go(
        "sf alias",
        c,
        &["-v", "org", "info", "-o", "acme", "--json"],
    );
    ok(r, "sf alias");
    let calls = std::fs::read_to_string(sf_dir.join("sf-calls.log")).unwrap();
    assert!(
        calls.contains("org display --target-org acme --json"),
        "{calls}"
    );
    std::fs::create_dir_all(sb.home.path().join(".sf")).unwrap();
    std::fs::write(
        sb.home.path().join(".sf/config.json"),
        r#"{"target-org":"acme"}"#,
    )
    .unwrap();
    let c = sb.cmd(&[&sf_dir]);
    let r = sb.go("sf config", c, &["org", "info"]);
    ok(r, "sf config");
    std::fs::remove_file(sb.home.path().join(".sf/config.json")).unwrap();

    // JWT bearer with an openssl key and certificate.
    let (key, cert, _) = rsa_key_and_cert(sb.fixtures.path());
    sb.secrets.push(
        std::fs::read_to_string(&key)
            .unwrap()
            .lines()
            .nth(1)
            .unwrap()
            .to_string(),
    );
    h.add_oauth_client("3MVG9CLITEST", &std::fs::read_to_string(cert).unwrap());
    let c = sb.cmd(&[]);
    let key_arg = key.to_string_lossy().into_owned();
    let r = sb.go(
        "jwt",
        c,
        &[
            "-v",
            "org",
            "info",
            "--client-id",
            "3MVG9CLITEST",
            "--jwt-key-file",
            &key_arg,
            "--username",
            &h.username,
            "--instance-url",
            &h.url,
        ],
    );
    ok(r, "jwt");
    assert!(r.stdout.contains("JWT bearer"));

    // Failures, each with the known tokens around.
    let c = sb.cmd(&[]);
    let r = sb.go("no target", c, &["org", "info"]);
    failed(r, "no target", "hint: pass `--target-org ALIAS`");

    let c = sb.cmd(&[]);
    let r = sb.go("missing sf", c, &["org", "info", "-o", "prod"]);
    failed(r, "missing sf", "sf org login web --alias prod");

    let unknown_dir = sb.fixtures.path().join("unknown");
    std::fs::create_dir_all(&unknown_dir).unwrap();
    fake_sf(
        &unknown_dir,
        r#"{"status":1,"name":"NamedOrgNotFoundError","message":"No authorization information found for nope.","exitCode":1}"#,
    );
    let c = sb.cmd(&[&unknown_dir]);
    let r = sb.go("unknown alias", c, &["org", "info", "-o", "nope"]);
    failed(r, "unknown alias", "sf org login web --alias nope");

    let expired_dir = sb.fixtures.path().join("expired");
    std::fs::create_dir_all(&expired_dir).unwrap();
    fake_sf(
        &expired_dir,
        r#"{"status":1,"name":"RefreshTokenAuthError","message":"Error authenticating with the refresh token due to: expired access/refresh token","exitCode":1}"#,
    );
    let c = sb.cmd(&[&expired_dir]);
    let r = sb.go("expired", c, &["org", "info", "-o", "acme"]);
    failed(r, "expired", "sf org login web --alias acme");

    let c = sb.cmd(&[]);
    let r = sb.go("no token", c, &["org", "info", "--instance-url", &h.url]);
    failed(r, "no token", "export SF_ACCESS_TOKEN");

    let mut c = sb.cmd(&[]);
    c.env("SF_ACCESS_TOKEN", TOKEN);
    let r = sb.go(
        "plain http",
        c,
        &["org", "info", "--instance-url", "http://acme.example.com"],
    );
    failed(r, "plain http", "use https://acme.example.com");

    let mut c = sb.cmd(&[]);
    c.env("SF_ACCESS_TOKEN", TOKEN);
    let r = sb.go(
        "bad token",
        c,
        &["-v", "org", "info", "--instance-url", &h.url, "--json"],
    );
    failed(r, "bad token", "hint: export a fresh SF_ACCESS_TOKEN");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("--json failure is JSON");
    assert!(v["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("INVALID_SESSION_ID"));

    let mut c = sb.cmd(&[]);
    c.env("SF_ACCESS_TOKEN", h.access_token.expose());
    let r = sb.go(
        "old api",
        c,
        &[
            "org",
            "info",
            "--instance-url",
            &h.url,
            "--api-version",
            "39.0",
        ],
    );
    failed(r, "old api", "40.0");

    h.set_faults(vec![FaultRule::new(
        "rest:query",
        FaultAction::RequestLimit,
    )]);
    let mut c = sb.cmd(&[]);
    c.env("SF_ACCESS_TOKEN", h.access_token.expose());
    let r = sb.go("limit", c, &["-v", "org", "info", "--instance-url", &h.url]);
    failed(r, "limit", "API limit");
    h.clear_faults();

    let c = sb.cmd(&[]);
    let r = sb.go(
        "jwt refused",
        c,
        &[
            "-v",
            "org",
            "info",
            "--client-id",
            "3MVG9UNKNOWN",
            "--jwt-key-file",
            &key_arg,
            "--username",
            &h.username,
            "--instance-url",
            &h.url,
        ],
    );
    failed(r, "jwt refused", "--client-id");

    let c = sb.cmd(&[]);
    let r = sb.go(
        "jwt partial",
        c,
        &["org", "info", "--client-id", "3MVG9CLITEST"],
    );
    failed(r, "jwt partial", "--jwt-key-file");

    sb.assert_no_leak();
}
