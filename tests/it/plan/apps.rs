//! Connected app access (SetupEntityAccess) in the plan: a `+` line with
//! the spec's reason while the row is missing, nothing (and a fingerprint)
//! once it is there, and a finding for a managed app the org lacks.

use super::*;
use crate::common::{run, sfprov};

const ZENDESK_WHY: &str = "Zendesk authorizes as the integration user through this app; allowed profiles must be in place before connecting, they do not apply retroactively";

#[test]
fn profile_access_to_a_managed_app_is_planned_until_the_row_exists() {
    let dir = tempfile::tempdir().unwrap();
    let h = start();
    let r = plan(dir.path(), &h, &["--template", "zendesk"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let line = format!(
        "  + access to connected app Zendesk for profile Zendesk Integration  # {ZENDESK_WHY}\n"
    );
    assert!(r.stdout.contains(&line), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("# Connected app access (SetupEntityAccess) will be granted"),
        "{}",
        r.stdout
    );
    // The manual step no longer asks for it: the plan carries it.
    assert!(!r.stdout.contains("Manage Profiles"), "{}", r.stdout);
    let j = plan(dir.path(), &h, &["--template", "zendesk", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    assert_eq!(
        v["app_access"],
        serde_json::json!([{
            "app": "Zendesk",
            "holder_kind": "profile",
            "holder": "Zendesk Integration",
            "action": "add",
            "reason": ZENDESK_WHY,
        }])
    );

    // Deployed, and the profile given access: nothing to do, and the rows
    // read are fingerprinted in the plan file.
    deploy_template(&h, "zendesk");
    let out = dir.path().join("p.json");
    let r = plan(
        dir.path(),
        &h,
        &[
            "--template",
            "zendesk",
            "--detailed-exitcode",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        !r.stdout.contains("access to connected app"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let fp = &saved["fingerprints"];
    for key in [
        "SetupEntityAccess/Zendesk/profile:Zendesk Integration",
        "ConnectedApplication/Zendesk",
    ] {
        assert_eq!(fp[key].as_str().map(str::len), Some(64), "{key}: {fp}");
    }
}

#[test]
fn permission_set_access_is_matched_by_label_or_api_name() {
    let dir = tempfile::tempdir().unwrap();
    let h = start();
    deploy_template(&h, "zendesk");
    std::fs::write(
        dir.path().join("sfprov.toml"),
        "template = \"zendesk\"\n\n[connected_app.Zendesk]\nallowed_permission_sets = [\"Zendesk Integration\"]\n",
    )
    .unwrap();
    let r = plan(dir.path(), &h, &["--detailed-exitcode"]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(&format!(
            "  + access to connected app Zendesk for permission set Zendesk Integration  # {ZENDESK_WHY}\n"
        )),
        "{}",
        r.stdout
    );
    // The profile's row (made by deploy_template) is there: no line for it.
    assert!(
        !r.stdout.contains("for profile Zendesk Integration"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("Plan: 1 to add, 0 to change, 0 to remove."),
        "{}",
        r.stdout
    );
    grant_app_access(&h, "Zendesk", "Name", "Zendesk_Integration");
    let r = plan(dir.path(), &h, &["--detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
}

#[test]
fn a_managed_app_the_org_lacks_is_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    let h = start();
    std::fs::write(
        dir.path().join("sfprov.toml"),
        "template = \"zendesk\"\n\n[connected_app.Zendesk_Support]\nwhy = \"the app of another vendor package\"\nadmin_approved = true\nallowed_profiles = [\"Zendesk Integration\"]\n",
    )
    .unwrap();
    let r = plan(dir.path(), &h, &[]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(
            "error: the org has no connected app named `Zendesk_Support`, which the spec sets a policy on ([connected_app.Zendesk_Support])"
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("hint: install the vendor's package first; if it is installed, use the app's name as Setup > Apps > Connected Apps > Manage Connected Apps shows it"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("[not yet] the org has a connected app named `Zendesk_Support`"),
        "{}",
        r.stdout
    );
    // The Zendesk app itself is still found.
    assert!(
        r.stdout
            .contains("[ok] the org has a connected app named `Zendesk`"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_directory_keeps_app_access_as_a_manual_setting() {
    let dir = tempfile::tempdir().unwrap();
    let tree = crate::common::root().join("golden/zendesk/source");
    let mut c = sfprov(dir.path());
    c.arg("plan")
        .args(["--template", "zendesk", "--org-dir"])
        .arg(&tree);
    let r = run(c);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("Profiles (Manage Profiles on the app's page): add Zendesk Integration"),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("access to connected app"),
        "{}",
        r.stdout
    );
}
