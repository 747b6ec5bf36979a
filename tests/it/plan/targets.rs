//! `sfprov plan` through every real-org target kind — a fake `sf` CLI on
//! PATH whose `org display` points at an emulator, JWT bearer against the
//! emulator's registered certificate, `--instance-url` + SF_ACCESS_TOKEN —
//! each showing the same plan as `--target-org local` for the same (fresh)
//! org state, ids and the target's name masked. And the local emulator,
//! held by its caller, refreshing a token.

use std::path::PathBuf;

use super::*;
use crate::common::{run, sfprov};
use crate::org::support::{display_json, fake_sf_with, rsa_key_and_cert};

const SPEC: &str = "template = \"zendesk\"\n\n[user]\nusername = \"zendesk@acme.test\"\nemail = \"ops@acme.test\"\nlast_name = \"Zendesk\"\n";

/// The plan text with the target's name in the header line masked.
fn same_view(text: &str, h: Option<&EmulatorHandle>) -> String {
    let text = match h {
        Some(h) => mask_ids(text, h),
        None => text.to_string(),
    };
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if let Some(first) = lines.first_mut() {
        if let Some(at) = first.find("against org `") {
            let rest = &first[at + "against org `".len()..];
            if let Some(end) = rest.find('`') {
                *first = format!("{}against org `[target]`{}", &first[..at], &rest[end + 1..]);
            }
        }
    }
    lines.join("\n")
}

/// A command in `dir` whose PATH holds `path_dirs` and the system's tools.
fn cmd(dir: &Path, path_dirs: &[&Path]) -> std::process::Command {
    let mut c = sfprov(dir);
    let mut path: Vec<PathBuf> = path_dirs.iter().map(|p| p.to_path_buf()).collect();
    path.extend([PathBuf::from("/usr/bin"), PathBuf::from("/bin")]);
    c.env("PATH", std::env::join_paths(path).unwrap())
        .env_remove("SF_AUDIENCE_URL")
        .env_remove("SFDX_ACCESS_TOKEN")
        .env_remove("SFDX_DEFAULTUSERNAME");
    c
}

fn ok(r: &crate::common::Run, what: &str) {
    assert_eq!(r.code, 0, "{what}: {}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("Plan: "), "{what}: {}", r.stdout);
}

#[test]
fn every_target_kind_plans_what_the_local_target_plans() {
    // The reference: `--target-org local` in a fresh project.
    let project = tempfile::tempdir().unwrap();
    std::fs::write(project.path().join("sfprov.toml"), SPEC).unwrap();
    let r = run({
        let mut c = cmd(project.path(), &[]);
        c.args(["plan", "-o", "local"]);
        c
    });
    ok(&r, "local");
    let reference = same_view(&r.stdout, None);
    assert!(
        reference.contains("+ access to connected app Zendesk for profile Zendesk Integration"),
        "{reference}"
    );

    let fixtures = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("sfprov.toml"), SPEC).unwrap();
    // The local emulator's ids: mask them the same way, with any handle.
    let reference = {
        let h = start();
        let masked = same_view(&reference, Some(&h));
        drop(h);
        masked
    };

    // (a) The sf CLI: `sf org display` points at a fresh emulator.
    let h = start();
    let second = h.token_for(&h.username).unwrap();
    let display = display_json(&h.url).replace("admin@acme.test", &h.username);
    let sf_dir = fixtures.path().join("sfbin");
    std::fs::create_dir_all(&sf_dir).unwrap();
    fake_sf_with(&sf_dir, &display, h.access_token.expose(), second.expose());
    let r = run({
        let mut c = cmd(work.path(), &[&sf_dir]);
        c.args(["plan", "-o", "acme"]);
        c
    });
    ok(&r, "sf CLI");
    assert_no_token(&h, &r);
    assert!(r.stdout.contains("against org `acme`"), "{}", r.stdout);
    let calls = std::fs::read_to_string(sf_dir.join("sf-calls.log")).unwrap();
    assert!(
        calls.contains("org display --target-org acme --json"),
        "{calls}"
    );
    assert_eq!(same_view(&r.stdout, Some(&h)), reference, "sf CLI");

    // (b) JWT bearer with an openssl key, its certificate registered.
    let h = start();
    let (key, cert, _) = rsa_key_and_cert(fixtures.path());
    h.add_oauth_client("3MVG9PLANTEST", &std::fs::read_to_string(cert).unwrap());
    let r = run({
        let mut c = cmd(work.path(), &[]);
        c.arg("plan")
            .args(["--client-id", "3MVG9PLANTEST", "--jwt-key-file"])
            .arg(&key)
            .args(["--username", &h.username, "--instance-url", &h.url]);
        c
    });
    ok(&r, "JWT");
    assert_no_token(&h, &r);
    assert!(!r.stdout.contains("PRIVATE KEY") && !r.stderr.contains("PRIVATE KEY"));
    assert_eq!(same_view(&r.stdout, Some(&h)), reference, "JWT");

    // (c) --instance-url with SF_ACCESS_TOKEN.
    let h = start();
    let r = plan(work.path(), &h, &[]);
    ok(&r, "access token");
    assert_eq!(same_view(&r.stdout, Some(&h)), reference, "access token");
}

#[test]
fn the_local_emulator_is_held_by_its_caller_and_refreshes_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let opts = sfprov::org::ConnectOptions {
        project_dir: Some(dir.path().to_path_buf()),
        ..sfprov::org::ConnectOptions::default()
    };
    // The library does not start it behind the caller's back.
    let err = connect(&Target::Local, &opts).unwrap_err();
    assert!(err.to_string().contains("local::connect_target"), "{err}");

    let local = sfprov::org::local::start(Some(dir.path())).unwrap();
    let mut org = local.connect(&opts).unwrap();
    org.set_retry_policy(sfprov::org::RetryPolicy {
        max_attempts: 1,
        max_timeouts: 1,
        base: std::time::Duration::from_millis(1),
        cap: std::time::Duration::from_millis(1),
    });
    assert_eq!(org.login_kind(), "local emulator");
    // Every token expires: the next query refreshes through the emulator.
    local.handle().expire_tokens();
    let r = org.query("SELECT Id FROM Organization").unwrap();
    assert_eq!(r.records.len(), 1);
    // Once the caller drops it, the org fails cleanly (no panic, no hang).
    drop(local);
    assert!(org.query("SELECT Id FROM Organization").is_err());

    // connect_target hands the emulator back beside the org.
    let (org, local) = sfprov::org::local::connect_target(&Target::Local, &opts).unwrap();
    assert!(local.is_some());
    assert_eq!(org.label(), "local");
}
