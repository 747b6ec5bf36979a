//! `sfprov apply -o A -o B`: two emulators (reached through a fake `sf`
//! that knows both aliases) applied at once, one made to fail with a fault
//! rule: the other converges, both are reported, the exit status is 1.

use std::path::Path;

use serde_json::Value;
use sfprov::emulator::{EmulatorHandle, FaultAction, FaultRule};

use super::support::*;
use crate::common::{run, sfprov};

/// A fake `sf` on PATH answering `org display` and `show-access-token` for
/// each (alias, emulator, org id).
fn fake_sf(dir: &Path, orgs: &[(&str, &EmulatorHandle)]) {
    let mut cases = String::new();
    for (alias, h) in orgs {
        cases.push_str(&format!(
            "  *\"org display\"*\"--target-org {alias} \"*|*\"org display\"*\"--target-org {alias}\")\n    echo '{{\"status\":0,\"result\":{{\"id\":\"{id}\",\"apiVersion\":\"63.0\",\"accessToken\":\"[REDACTED]\",\"instanceUrl\":\"{url}\",\"username\":\"{user}\",\"connectedStatus\":\"Connected\",\"alias\":\"{alias}\"}},\"warnings\":[]}}' ;;\n  *\"show-access-token\"*\"--target-org {alias} \"*|*\"show-access-token\"*\"--target-org {alias}\")\n    echo '{{\"status\":0,\"result\":{{\"accessToken\":\"{tok}\",\"username\":\"{user}\"}}}}' ;;\n",
            id = h.org_id,
            url = h.url,
            user = h.username,
            tok = h.access_token.expose(),
        ));
    }
    let script = format!(
        "#!/bin/sh\necho \"$@\" >> \"{}/sf-calls.log\"\ncase \"$*\" in\n{cases}  *) echo '{{\"status\":1,\"name\":\"UnknownCommand\",\"message\":\"unknown\"}}'; exit 1 ;;\nesac\n",
        dir.display()
    );
    let path = dir.join("sf");
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn cmd(project: &Path, bin: &Path, args: &[&str]) -> crate::common::Run {
    let mut c = sfprov(project);
    let path = std::env::join_paths([bin, Path::new("/usr/bin"), Path::new("/bin")]).unwrap();
    c.env("PATH", path)
        .env_remove("SF_ACCESS_TOKEN")
        .env_remove("SFDX_ACCESS_TOKEN")
        .env_remove("SF_TARGET_ORG")
        .args(args);
    run(c)
}

#[test]
fn two_orgs_at_once_one_failing_the_other_converges_and_the_exit_is_1() {
    let good = start();
    // Another org id, so the two orgs take two locks.
    let mut config = sfprov::emulator::Config::default();
    config.seed.org.id = "00D0000000000BADAA".into();
    let bad = sfprov::emulator::spawn(config).unwrap();
    bad.set_faults(vec![FaultRule::new(
        "soap:deploy",
        FaultAction::Status {
            status: 500,
            body: "<html>down</html>".into(),
            content_type: Some("text/html".into()),
        },
    )]);
    let bin = tempfile::tempdir().unwrap();
    fake_sf(bin.path(), &[("good", &good), ("bad", &bad)]);
    let project = tempfile::tempdir().unwrap();
    let t = sfprov::templates::get("zendesk").unwrap();
    std::fs::write(
        project.path().join("sfprov.toml"),
        sfprov::templates::starter_spec(t),
    )
    .unwrap();

    // Without --auto-approve: refused before any change.
    let r = cmd(
        project.path(),
        bin.path(),
        &["apply", "-o", "good", "-o", "bad"],
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--auto-approve"), "{}", r.stderr);

    let r = cmd(
        project.path(),
        bin.path(),
        &["apply", "-o", "good", "-o", "bad", "--auto-approve"],
    );
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("== org good: applied =="), "{}", r.stdout);
    assert!(r.stdout.contains("== org bad: FAILED =="), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("Applied to 2 orgs: 1 succeeded, 1 failed (bad)"),
        "{}",
        r.stdout
    );
    assert!(r.stderr.contains("[good] [ok] "), "{}", r.stderr);
    assert!(r.stderr.contains("[bad] "), "{}", r.stderr);
    for h in [&good, &bad] {
        assert!(!r.stdout.contains(h.access_token.expose()));
        assert!(!r.stderr.contains(h.access_token.expose()));
    }
    // The good org converged; the bad one got nothing.
    let s = spec("zendesk");
    assert!(!s.plan(&remote(&good)).has_changes());
    assert_eq!(provisioned(&good, &s).users, 1);
    assert!(bad
        .component("PermissionSet", "Zendesk_Integration")
        .is_none());

    // JSON: one document with an entry per org.
    let r = cmd(
        project.path(),
        bin.path(),
        &[
            "apply",
            "-o",
            "good",
            "-o",
            "bad",
            "--auto-approve",
            "--json",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["format_version"], 1);
    assert_eq!(doc["orgs"][0]["label"], "good");
    assert_eq!(doc["orgs"][0]["status"], "no_changes");
    assert_eq!(doc["orgs"][1]["status"], "failed");
    assert!(
        doc["orgs"][1]["errors"][0]["message"].is_string(),
        "{doc:#}"
    );
}
