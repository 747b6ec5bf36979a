//! `sfprov apply` as a user runs it: the built binary against the emulator
//! (access-token target). Saved plans are applied exactly and refused when
//! stale; without a terminal apply refuses unless --auto-approve; a second
//! apply to the same org waits for no one but names the lock's holder; JSON
//! views; and no token in any output, snapshot or plan file.

use std::path::Path;

use serde_json::Value;
use sfprov::emulator::EmulatorHandle;

use super::support::{dump, start};
use crate::common::{run, sfprov, tree, Run};

pub(crate) fn setup() -> (EmulatorHandle, tempfile::TempDir) {
    let h = start();
    let dir = tempfile::tempdir().unwrap();
    let t = sfprov::templates::get("zendesk").unwrap();
    std::fs::write(
        dir.path().join("sfprov.toml"),
        sfprov::templates::starter_spec(t),
    )
    .unwrap();
    (h, dir)
}

/// `sfprov ARGS` against `h` in `dir`; asserts no output holds the token.
pub(crate) fn sf(dir: &Path, h: &EmulatorHandle, args: &[&str]) -> Run {
    let mut c = sfprov(dir);
    c.env("SF_ACCESS_TOKEN", h.access_token.expose())
        .args(args)
        .args(["--instance-url", &h.url]);
    let r = run(c);
    let token = h.access_token.expose();
    assert!(!r.stdout.contains(token), "stdout leaks the token");
    assert!(!r.stderr.contains(token), "stderr leaks the token");
    r
}

/// No file sfprov wrote under `dir` (snapshots, plan files) holds the token.
fn assert_no_token_in_files(dir: &Path, h: &EmulatorHandle) {
    let token = h.access_token.expose().as_bytes();
    let files = tree(dir);
    assert!(files.keys().any(|k| k.contains(".sfprov/snapshots/")));
    for (path, bytes) in files {
        assert!(
            !bytes.windows(token.len()).any(|w| w == token),
            "{path} holds the token"
        );
    }
}

#[test]
fn without_a_terminal_apply_refuses_and_names_auto_approve() {
    let (h, dir) = setup();
    let before = dump(&h);
    let r = sf(dir.path(), &h, &["apply"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("--auto-approve"), "{}", r.stderr);
    assert!(dump(&h) == before, "the org changed");
}

#[test]
fn apply_then_plan_shows_no_changes_and_a_second_apply_has_nothing_to_do() {
    let (h, dir) = setup();
    let r = sf(dir.path(), &h, &["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("Apply complete! 37 added, 1 changed, 0 removed."),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains(".sfprov/snapshots/"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("Zendesk Admin Center (Apps and integrations > Integrations > Salesforce) while logged in as zendesk.integration@example.com"),
        "{}",
        r.stdout
    );
    assert!(r.stderr.contains("[ok] verify"), "{}", r.stderr);
    // The managed Zendesk app is opened to the profile (its own permission
    // set) by a SetupEntityAccess row, and the package's pages are granted.
    let access = h.with_state(|st| {
        let app = st
            .rows("ConnectedApplication")
            .iter()
            .find(|a| a["Name"] == "Zendesk")
            .map(|a| a["Id"].as_str().unwrap().to_string())
            .unwrap();
        st.rows("SetupEntityAccess")
            .iter()
            .filter(|r| r["SetupEntityId"].as_str() == Some(app.as_str()))
            .count()
    });
    assert_eq!(access, 1);
    let profile = h.component("PermissionSet", "Zendesk_Integration").unwrap();
    assert!(profile.contains("<apexPage>Zendesk__"), "{profile}");
    let plan = sf(dir.path(), &h, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}", plan.stdout);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);

    let before = dump(&h);
    let again = sf(dir.path(), &h, &["apply", "--auto-approve"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stdout.contains("Nothing to do"), "{}", again.stdout);
    assert!(dump(&h) == before, "the org changed");
    assert_no_token_in_files(dir.path(), &h);
}

#[test]
fn a_saved_plan_is_applied_exactly_and_refused_once_stale() {
    let (h, dir) = setup();
    let saved = sf(dir.path(), &h, &["plan", "--out", "plan.json"]);
    assert_eq!(saved.code, 0, "{}", saved.stderr);
    let stale_too = sf(dir.path(), &h, &["plan", "--out", "old.json"]);
    assert_eq!(stale_too.code, 0);

    // A saved plan needs no `yes`: reviewing it was the approval.
    let r = sf(dir.path(), &h, &["apply", "plan.json"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("Apply complete!"), "{}", r.stdout);

    // The org changed since old.json was made: refused, naming what changed.
    let before = dump(&h);
    let r = sf(dir.path(), &h, &["apply", "old.json"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("Saved plan is stale"), "{}", r.stderr);
    assert!(r.stderr.contains("Settings/Security"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("User/zendesk.integration@example.com appeared"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("sfprov plan --spec sfprov.toml -o ")
            && r.stderr.contains("--out old.json"),
        "{}",
        r.stderr
    );
    assert!(dump(&h) == before, "a stale plan changed the org");

    // A changed spec makes a saved plan stale too.
    let fresh = sf(dir.path(), &h, &["plan", "--out", "new.json"]);
    assert_eq!(fresh.code, 0);
    let spec = dir.path().join("sfprov.toml");
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(
        &spec,
        text.replace("alias = \"zendeint\"", "alias = \"zdint\""),
    )
    .unwrap();
    let r = sf(dir.path(), &h, &["apply", "new.json"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("the spec changed"), "{}", r.stderr);
    assert_no_token_in_files(dir.path(), &h);
}

#[test]
fn a_second_apply_to_the_same_org_names_the_lock_holder() {
    let (h, dir) = setup();
    let held = sfprov::apply::lock::acquire(
        &dir.path().join(".sfprov/locks"),
        &h.org_id,
        "sfprov apply (test)",
    )
    .unwrap();
    // A plan first: queries bring the emulator's derived counts up to date.
    assert_eq!(sf(dir.path(), &h, &["plan"]).code, 0);
    let before = dump(&h);
    let r = sf(dir.path(), &h, &["apply", "--auto-approve"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("another apply to org"), "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("pid {}", std::process::id())),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(&sfprov::apply::lock::hostname()),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("rm "), "{}", r.stderr);
    assert!(dump(&h) == before, "the refused apply changed the org");
    drop(held);
    let r = sf(dir.path(), &h, &["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn json_views_and_the_password_email() {
    let (h, dir) = setup();
    let r = sf(
        dir.path(),
        &h,
        &["apply", "--auto-approve", "--json", "--send-password-email"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).expect("one JSON document");
    assert_eq!(doc["format_version"], 1);
    assert_eq!(doc["status"], "applied");
    assert_eq!(doc["tally"]["added"], 37);
    let events = doc["events"].as_array().unwrap();
    assert!(events
        .iter()
        .any(|e| e["event"] == "record" && e["action"] == "password_reset"));
    assert!(!r.stdout.contains("NewPassword"));
    let resets = h.with_state(|st| {
        st.rows("User")
            .iter()
            .find(|u| u["Username"] == "zendesk.integration@example.com")
            .and_then(|u| u.get("PasswordResets").cloned())
    });
    assert_eq!(resets, Some(Value::from(1)));

    let r = sf(
        dir.path(),
        &h,
        &["apply", "--auto-approve", "--json-stream"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let last: Value = serde_json::from_str(r.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["status"], "no_changes");
}

#[test]
fn json_stream_writes_one_event_per_line_then_the_document() {
    let (h, dir) = setup();
    let r = sf(
        dir.path(),
        &h,
        &["apply", "--auto-approve", "--json-stream"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    let first: Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(first["event"], "step_started");
    assert_eq!(first["step"], "preflight");
    assert!(lines
        .iter()
        .any(|l| l.contains("\"event\":\"deploy_progress\"")));
    // Every line is JSON; the last is the final document.
    for l in &lines {
        serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{e}: {l}"));
    }
    let doc: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    assert_eq!(doc["status"], "applied");
    assert_eq!(doc["format_version"], 1);
}
