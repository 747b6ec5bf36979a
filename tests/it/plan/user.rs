//! The username: taken in the org by a user of another profile (an error
//! naming the user, both profiles and the fix), or not in the org at all (a
//! note: another org may hold it, which only the insert can tell).

use super::*;

const SPEC: &str = "template = \"zendesk\"\n\n[user]\nusername = \"zendesk@acme.test\"\nemail = \"ops@acme.test\"\nlast_name = \"Zendesk\"\n";

#[test]
fn a_username_held_by_a_user_of_another_profile_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let h = start();
    let user = create_standard_user(&h, "zendesk@acme.test", "Dana", "Support");
    std::fs::write(dir.path().join("sfprov.toml"), SPEC).unwrap();
    let r = plan(dir.path(), &h, &["--detailed-exitcode"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(&format!(
            "error: username `zendesk@acme.test` is taken in the org by Dana Support ({user}), a user of profile `Standard User`; the spec's user has profile `Zendesk Integration`"
        )),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("hint: if that is someone else's user, pick another [user] username; if it is the integration user, set [user] replaces_profile = \"Standard User\" to move it to `Zendesk Integration`"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("~ Profile.Name: Standard User -> Zendesk Integration"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("DUPLICATE_USERNAME"), "{}", r.stdout);

    // Saying which profile the user leaves makes the move a planned change.
    let moving = SPEC.replace("[user]\n", "[user]\nreplaces_profile = \"Standard User\"\n");
    assert_ne!(moving, SPEC);
    std::fs::write(dir.path().join("sfprov.toml"), moving).unwrap();
    let r = plan(dir.path(), &h, &["--detailed-exitcode"]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains("error:"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("~ Profile.Name: Standard User -> Zendesk Integration"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_new_user_carries_the_duplicate_username_note() {
    let dir = tempfile::tempdir().unwrap();
    let h = start();
    std::fs::write(dir.path().join("sfprov.toml"), SPEC).unwrap();
    let r = plan(dir.path(), &h, &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("# User zendesk@acme.test will be created"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("note: usernames are unique across every Salesforce org: if `zendesk@acme.test` is taken in another org (a sandbox copy or another company's org), creating the user fails with DUPLICATE_USERNAME"),
        "{}",
        r.stdout
    );
    let j = plan(dir.path(), &h, &["--json"]);
    let v: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["severity"] == "note"
            && f["message"]
                .as_str()
                .unwrap()
                .contains("DUPLICATE_USERNAME")));
    assert_eq!(v["has_errors"], false);
}
