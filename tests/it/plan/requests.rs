//! Round trips per plan, exactly: a regression that adds a query fails here.
//! A zendesk plan with a user reads, against the emulator:
//! the API version list (at login), the Organization row, the PushTopic
//! count, the user with both kinds of assignment (one query with child
//! subqueries), the user license's seats (a new user only), the Zendesk
//! connected app and its access rows (two queries for every app), the
//! package's pages (one listMetadata) and one retrieve.

use super::*;
use crate::common::{run, sfprov};

const SPEC: &str = "template = \"zendesk\"\n\n[user]\nusername = \"zendesk@acme.test\"\nemail = \"ops@acme.test\"\nlast_name = \"Zendesk\"\nalias = \"zend\"\ntime_zone = \"America/Los_Angeles\"\n";

fn requests(dir: &Path, h: &EmulatorHandle) -> serde_json::Value {
    let r = plan(dir, h, &["--json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    v["requests"].clone()
}

#[test]
fn a_zendesk_plan_makes_exactly_nine_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let h = start();
    std::fs::write(dir.path().join("sfprov.toml"), SPEC).unwrap();
    // A fresh org: the user is new, so its license's seats are read too.
    assert_eq!(
        requests(dir.path(), &h),
        serde_json::json!({
            "retrieves": 1,
            "queries": 6,
            "list_metadata": 1,
            "api_versions": 1,
            "total": 9,
        })
    );

    // Configured, the user existing with assignments: no seat query, and
    // the assignments come with the user (no query per kind).
    deploy_template(&h, "zendesk");
    let org = admin_org(&h);
    let id_of = |soql: &str| -> String {
        org.query(soql).unwrap().records[0]["Id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let profile = id_of("SELECT Id FROM Profile WHERE Name = 'Zendesk Integration'");
    let user = org
        .create(
            "User",
            &record(&[
                ("Username", "zendesk@acme.test"),
                ("LastName", "Zendesk"),
                ("Email", "ops@acme.test"),
                ("Alias", "zend"),
                ("ProfileId", &profile),
                ("TimeZoneSidKey", "America/Los_Angeles"),
                ("LocaleSidKey", "en_US"),
                ("EmailEncodingKey", "UTF-8"),
                ("LanguageLocaleKey", "en_US"),
            ]),
        )
        .unwrap();
    let set = id_of("SELECT Id FROM PermissionSet WHERE Name = 'Zendesk_Integration'");
    org.create(
        "PermissionSetAssignment",
        &record(&[("AssigneeId", &user), ("PermissionSetId", &set)]),
    )
    .unwrap();
    let mut c = sfprov(dir.path());
    c.env("SF_ACCESS_TOKEN", h.access_token.expose()).args([
        "-v",
        "plan",
        "--detailed-exitcode",
        "--instance-url",
        &h.url,
    ]);
    let r = run(c);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    assert!(
        r.stderr.contains("note: this plan made 8 requests to org `127.0.0.1`: 1 retrieve, 1 listMetadata, 5 REST queries, 1 API version list"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_directory_plan_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = sfprov(dir.path());
    c.args(["plan", "--template", "zendesk", "--json", "--org-dir"])
        .arg(crate::common::root().join("golden/zendesk/mdapi"));
    let r = run(c);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["requests"]["total"], 0, "{}", v["requests"]);
}
