//! The plan's core views: additions on a fresh org, no changes once
//! deployed, drift, unmanaged profile entries, JSON, `--org-dir`, `show`,
//! the user and its assignments, preflight findings, `--target-org local`.

use super::*;
use crate::common::{root, run, sfprov};

#[test]
fn a_fresh_org_plans_every_template_as_additions() {
    let dir = tempfile::tempdir().unwrap();
    for t in sfprov::templates::all() {
        let h = start();
        let r = plan(
            dir.path(),
            &h,
            &["--template", t.name, "--detailed-exitcode"],
        );
        assert_eq!(r.code, 2, "{}: {}\n{}", t.name, r.stdout, r.stderr);
        assert!(r.stdout.contains("will be created"), "{}", r.stdout);
        assert!(r.stdout.contains("Plan: "), "{}", r.stdout);
        assert!(r.stdout.contains(" to add, "), "{}", r.stdout);
        assert!(!r.stdout.contains("error:"), "{}: {}", t.name, r.stdout);
        assert!(r.stdout.contains("Symbols used:"), "{}", r.stdout);
    }
}

#[test]
fn the_fresh_zendesk_plan_reads_like_terraform() {
    let dir = tempfile::tempdir().unwrap();
    let h = start();
    let r = plan(dir.path(), &h, &["--template", "zendesk"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("fresh_zendesk_plan", mask(&r.stdout, &h));
    let j = plan(dir.path(), &h, &["--template", "zendesk", "--json"]);
    insta::assert_snapshot!("fresh_zendesk_plan_json", mask(&j.stdout, &h));
}

#[test]
fn a_deployed_template_plans_no_changes() {
    let dir = tempfile::tempdir().unwrap();
    for t in sfprov::templates::all() {
        let h = start();
        deploy_template(&h, t.name);
        let r = plan(
            dir.path(),
            &h,
            &["--template", t.name, "--detailed-exitcode"],
        );
        assert_eq!(r.code, 0, "{}: {}\n{}", t.name, r.stdout, r.stderr);
        assert!(
            r.stdout.contains("No changes. The org matches the spec."),
            "{}: {}",
            t.name,
            r.stdout
        );
    }
}

#[test]
fn an_extra_permission_set_permission_is_a_destructive_removal() {
    let dir = tempfile::tempdir().unwrap();
    let h = start();
    deploy_template(&h, "zendesk");
    // The deployed set (with the package's pages), plus one permission.
    let deployed = h.component("PermissionSet", "Zendesk_Integration").unwrap();
    assert!(deployed.contains("<apexPage>Zendesk__ZendeskOAuth</apexPage>"));
    let xml = deployed.replace(
        "    <userPermissions>\n        <enabled>true</enabled>\n        <name>ApiEnabled</name>",
        "    <userPermissions>\n        <enabled>true</enabled>\n        <name>RunReports</name>\n    </userPermissions>\n    <userPermissions>\n        <enabled>true</enabled>\n        <name>ApiEnabled</name>",
    );
    assert!(xml.contains("RunReports"));
    deploy_one(
        &h,
        "PermissionSet",
        "Zendesk_Integration",
        "permissionsets/Zendesk_Integration.permissionset",
        &xml,
    );
    let r = plan(
        dir.path(),
        &h,
        &["--template", "zendesk", "--detailed-exitcode"],
    );
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("# PermissionSet.Zendesk_Integration will be updated in-place"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("- userPermissions RunReports  # not in the spec"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("Plan: 0 to add, 0 to change, 1 to remove."),
        "{}",
        r.stdout
    );
    assert!(r
        .stdout
        .contains("Warning: 1 of the removals is not in the spec"));
    let j = plan(dir.path(), &h, &["--template", "zendesk", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    assert_eq!(v["summary"]["destructive"], 1);
}

#[test]
fn extra_profile_permissions_are_left_alone_and_shown_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let h = start();
    deploy_template(&h, "zendesk");
    let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Profile xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n    <custom>true</custom>\n    <userPermissions>\n        <enabled>true</enabled>\n        <name>ViewSetup</name>\n    </userPermissions>\n</Profile>\n";
    deploy_one(
        &h,
        "Profile",
        "Zendesk Integration",
        "profiles/Zendesk Integration.profile",
        xml,
    );
    let r = plan(
        dir.path(),
        &h,
        &["--template", "zendesk", "--detailed-exitcode"],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    assert!(!r.stdout.contains("ViewSetup"), "{}", r.stdout);
    assert!(r.stdout.contains("--show-unmanaged"), "{}", r.stdout);
    let r = plan(
        dir.path(),
        &h,
        &["--template", "zendesk", "--show-unmanaged"],
    );
    assert!(
        r.stdout.contains("= userPermissions ViewSetup"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
}

#[test]
fn json_is_one_document_with_a_format_version() {
    let dir = tempfile::tempdir().unwrap();
    let h = start();
    let r = plan(
        dir.path(),
        &h,
        &["--template", "zendesk", "--json", "--diff"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["format_version"], "1");
    assert_eq!(v["has_changes"], true);
    assert_eq!(
        v["manual_steps"][0]["where_in_setup"],
        "Setup > Apps > Connected Apps > Manage Connected Apps > Zendesk > Edit Policies"
    );
    let ps = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "PermissionSet")
        .unwrap();
    assert_eq!(ps["action"], "create");
    assert!(ps["unified_diff"]
        .as_str()
        .unwrap()
        .contains("+<PermissionSet"));
    // A failure is one JSON document too.
    let mut c = sfprov(dir.path());
    c.args([
        "plan",
        "--template",
        "zendesk",
        "--json",
        "--org-dir",
        "/nonexistent/dir",
    ]);
    let r = run(c);
    assert_eq!(r.code, 1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["format_version"], "1");
    assert!(v["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("/nonexistent/dir"));
}

#[test]
fn org_dir_golden_trees_match_their_templates() {
    let dir = tempfile::tempdir().unwrap();
    for t in sfprov::templates::all() {
        for layout in ["source", "mdapi"] {
            let tree = root().join("golden").join(t.name).join(layout);
            let mut c = sfprov(dir.path());
            c.arg("plan")
                .args(["--template", t.name, "--detailed-exitcode", "--org-dir"])
                .arg(&tree);
            let r = run(c);
            assert_eq!(r.code, 0, "{} {layout}: {}\n{}", t.name, r.stdout, r.stderr);
            assert!(r.stdout.contains("No changes."), "{}", r.stdout);
            assert!(
                r.stdout
                    .contains("User: not checked: a directory has no users"),
                "{}",
                r.stdout
            );
        }
    }
}

#[test]
fn show_prints_a_saved_plan_as_plan_did() {
    let dir = tempfile::tempdir().unwrap();
    let h = start();
    let out = dir.path().join("zendesk.plan.json");
    let r = plan(
        dir.path(),
        &h,
        &[
            "--template",
            "zendesk",
            "--diff",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let saved = std::fs::read_to_string(&out).unwrap();
    assert!(
        !saved.contains(h.access_token.expose()),
        "the plan file leaks the token"
    );
    let v: serde_json::Value = serde_json::from_str(&saved).unwrap();
    assert_eq!(v["org"]["org_id"], h.org_id.as_str());
    assert_eq!(v["spec_digest"].as_str().unwrap().len(), 64);
    assert!(v["desired"].as_array().unwrap().len() >= 3);
    let mut c = sfprov(dir.path());
    c.arg("show").arg(&out);
    let shown = run(c);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert_eq!(shown.stdout, r.stdout);
    let mut c = sfprov(dir.path());
    c.arg("show").arg(&out).arg("--json");
    let shown_json = run(c);
    let j = plan(
        dir.path(),
        &h,
        &["--template", "zendesk", "--diff", "--json"],
    );
    let a: serde_json::Value = serde_json::from_str(&shown_json.stdout).unwrap();
    let b: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    assert_eq!(a["components"], b["components"]);
}

#[test]
fn the_user_and_its_assignments_are_planned() {
    let dir = tempfile::tempdir().unwrap();
    let h = start();
    std::fs::write(
        dir.path().join("sfprov.toml"),
        "template = \"classy\"\n\n[user]\nusername = \"classy@acme.test\"\nemail = \"ops@acme.test\"\nlast_name = \"Classy\"\n",
    )
    .unwrap();
    let mut c = sfprov(dir.path());
    c.env("SF_ACCESS_TOKEN", h.access_token.expose()).args([
        "-v",
        "plan",
        "--instance-url",
        &h.url,
    ]);
    let r = run(c);
    assert_no_token(&h, &r);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("# User classy@acme.test will be created"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("+ permission set Classy_Integration"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("+ permission set license SalesforceAPIIntegrationPsl"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains("note: this plan made ") && r.stderr.contains(": 1 retrieve, "),
        "{}",
        r.stderr
    );
}

#[test]
fn an_assignment_the_spec_lacks_is_removed_and_a_deactivated_user_is_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    let h = start();
    deploy_template(&h, "zendesk");
    deploy_template(&h, "integration-user");
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
    let other = id_of("SELECT Id FROM PermissionSet WHERE Name = 'External_App_Integration'");
    org.create(
        "PermissionSetAssignment",
        &record(&[("AssigneeId", &user), ("PermissionSetId", &other)]),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("sfprov.toml"),
        "template = \"zendesk\"\n\n[user]\nusername = \"zendesk@acme.test\"\nemail = \"ops@acme.test\"\nlast_name = \"Zendesk\"\nalias = \"zend\"\ntime_zone = \"America/Los_Angeles\"\n",
    )
    .unwrap();
    let r = plan(dir.path(), &h, &["--detailed-exitcode"]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("+ permission set Zendesk_Integration  # [user] permission_sets in the spec"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("- permission set External_App_Integration  # not in the spec"),
        "{}",
        r.stdout
    );
    org.update("User", &user, &{
        let mut m = serde_json::Map::new();
        m.insert("IsActive".into(), serde_json::Value::Bool(false));
        m
    })
    .unwrap();
    let r = plan(dir.path(), &h, &[]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("error: user `zendesk@acme.test` exists in the org but is deactivated"),
        "{}",
        r.stdout
    );
}

#[test]
fn preflight_findings_are_errors_in_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let h = start();
    std::fs::write(
        dir.path().join("sfprov.toml"),
        "template = \"zendesk\"\n\n[permission_sets.Zendesk_Integration]\nfields.\"Case.Nope__c\" = { access = \"read\", why = \"test\" }\n\n[checks]\npush_topics_needed = 60\n",
    )
    .unwrap();
    let r = plan(dir.path(), &h, &["--detailed-exitcode"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("error: the org has no field `Case.Nope__c`"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("error: the integration needs 60 PushTopics, but the org uses 2 of its 50"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("The plan has errors"), "{}", r.stdout);
}

#[test]
fn target_org_local_plans_against_the_project_emulator() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = sfprov(dir.path());
    c.args([
        "-v",
        "plan",
        "--template",
        "salesscreen",
        "-o",
        "local",
        "--detailed-exitcode",
    ]);
    let r = run(c);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("against org `local`"), "{}", r.stdout);
    assert!(
        r.stdout.contains("# Profile.API Only will be created"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr
            .contains("note: this plan made 3 requests to org `local`: 1 retrieve, 0 listMetadata calls, 1 REST query, 1 API version list"),
        "{}",
        r.stderr
    );
    assert!(dir.path().join(".sfprov/local-org").is_dir());
}
