//! `sfprov audit` end to end against the emulator's `audit` scenario: each
//! planted user shows exactly its planted excess, missing and hygiene
//! findings (snapshots of the text and JSON views); `--fix`, planned and
//! applied, converges each to an audit with no findings; errors, the spec
//! chosen without --spec, and secrets.

use std::path::Path;

use serde_json::Value;
use sfprov::emulator::{self, Config, EmulatorHandle};
use sfprov::scenarios::{self, FLS_USER, LEGACY_USER, SHARED_USER};

use crate::common::{run, sfprov, Run};
use crate::plan::{assert_no_token, mask};

fn start() -> EmulatorHandle {
    let seed = scenarios::get("audit").unwrap().seed().unwrap();
    emulator::spawn(Config {
        seed,
        ..Config::default()
    })
    .expect("emulator starts")
}

/// `sfprov CMD ARGS` against `h`, in `dir`.
fn cmd(dir: &Path, h: &EmulatorHandle, command: &str, args: &[&str]) -> Run {
    let mut c = sfprov(dir);
    c.env("SF_ACCESS_TOKEN", h.access_token.expose())
        .arg(command)
        .args(["--instance-url", &h.url])
        .args(args);
    let r = run(c);
    assert_no_token(h, &r);
    r
}

fn audit(dir: &Path, h: &EmulatorHandle, args: &[&str]) -> Run {
    cmd(dir, h, "audit", args)
}

fn json(r: &Run) -> Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
}

/// (kind, name, access) of each missing grant.
fn missing(j: &Value) -> Vec<(String, String, String)> {
    j["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap().to_string(),
                m["name"].as_str().unwrap().to_string(),
                m["access"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn rules(j: &Value) -> Vec<String> {
    j["hygiene"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["rule"].as_str().unwrap().to_string())
        .collect()
}

/// The distinct sources of the excess: `profile X`, `permission set Y`.
fn excess_sources(j: &Value) -> Vec<String> {
    let mut s: Vec<String> = j["excess"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            format!(
                "{} {}",
                x["source"]["kind"].as_str().unwrap(),
                x["source"]["name"].as_str().unwrap()
            )
        })
        .collect();
    s.dedup();
    s
}

#[test]
fn the_cloned_admin_user_shows_its_admin_powers_extra_sets_and_hygiene() {
    let dir = tempfile::tempdir().unwrap();
    let h = start();
    let r = audit(dir.path(), &h, &["--user", LEGACY_USER]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    insta::assert_snapshot!("audit_legacy_user", mask(&r.stdout, &h));
    let j = json(&audit(dir.path(), &h, &["--user", LEGACY_USER, "--json"]));
    assert_eq!(j["format_version"], 1);
    assert_eq!(j["compared_with"]["template"], "zendesk");
    // Legacy_Sync (in the group) holds only what Zendesk needs; the
    // group's excess is Report_Builder's.
    assert_eq!(
        excess_sources(&j),
        [
            "profile Zendesk Admin Clone",
            "permission set Data_Loader_Access",
            "permission set group Legacy_Access"
        ]
    );
    let critical: Vec<&str> = j["excess"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["risk"] == "critical")
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        critical,
        [
            "AuthorApex",
            "CustomizeApplication",
            "ManageUsers",
            "ModifyAllData",
            "ViewAllData"
        ]
    );
    assert_eq!(rules(&j), ["admin-profile", "profile-fls"]);
    // The clone predates the Zendesk package: its pages are missing.
    let pages: Vec<_> = missing(&j)
        .into_iter()
        .map(|(k, n, _)| format!("{k} {n}"))
        .collect();
    assert_eq!(
        pages,
        [
            "page Zendesk__ZendeskOAuth",
            "page Zendesk__ZendeskOrgSync",
            "page Zendesk__ZendeskSettings",
            "page Zendesk__ZendeskTicketList"
        ]
    );
    // The JSON view lists every grant; the snapshot keeps what is not low.
    let mut j = j;
    j["excess"]
        .as_array_mut()
        .unwrap()
        .retain(|x| x["risk"] != "low");
    let text = serde_json::to_string_pretty(&j).unwrap();
    insta::assert_snapshot!("audit_legacy_user_json_not_low", mask(&text, &h));
    // --all lists the low-risk grants one by one.
    let all = audit(dir.path(), &h, &["--user", LEGACY_USER, "--all"]);
    assert!(
        all.stdout
            .contains("    low       Account.AccountNumber (edit): edits Account.AccountNumber"),
        "{}",
        all.stdout
    );
    assert!(
        !all.stdout.contains("`--all` or `--json` lists them"),
        "{}",
        all.stdout
    );
}

#[test]
fn the_user_whose_set_lost_a_field_misses_exactly_that_field() {
    let dir = tempfile::tempdir().unwrap();
    let h = start();
    let r = audit(dir.path(), &h, &["--user", FLS_USER]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    insta::assert_snapshot!("audit_fls_user", mask(&r.stdout, &h));
    let j = json(&audit(dir.path(), &h, &["--user", FLS_USER, "--json"]));
    assert_eq!(
        missing(&j),
        [("field".into(), "Case.Subject".into(), "edit".into())]
    );
    assert_eq!(j["excess"].as_array().unwrap().len(), 0);
    assert_eq!(rules(&j).len(), 0);
    insta::assert_snapshot!(
        "audit_fls_user_json",
        mask(&serde_json::to_string_pretty(&j).unwrap(), &h)
    );
}

#[test]
fn a_user_shared_by_two_integrations_shows_the_other_ones_access() {
    let dir = tempfile::tempdir().unwrap();
    let h = start();
    let r = audit(
        dir.path(),
        &h,
        &["--user", SHARED_USER, "--template", "salesscreen"],
    );
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    insta::assert_snapshot!("audit_shared_user", mask(&r.stdout, &h));
    let j = json(&audit(
        dir.path(),
        &h,
        &["--user", SHARED_USER, "--template", "salesscreen", "--json"],
    ));
    assert_eq!(excess_sources(&j), ["permission set Classy_Integration"]);
    assert_eq!(rules(&j), ["shared-user"]);
    assert_eq!(missing(&j).len(), 0);
    insta::assert_snapshot!(
        "audit_shared_user_json",
        mask(&serde_json::to_string_pretty(&j).unwrap(), &h)
    );
    // Without a template the best match is named, with the runner-up; the
    // profile's name alone is no evidence of a second integration.
    let r = audit(dir.path(), &h, &["--user", SHARED_USER]);
    assert_eq!(r.code, 2);
    assert!(
        r.stdout.contains("compared with template classy"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("(also matched: salesscreen)"),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("is shared with other integrations"),
        "{}",
        r.stdout
    );
    // Classy's API-only user needs the integration permission set license.
    let j = json(&audit(dir.path(), &h, &["--user", SHARED_USER, "--json"]));
    assert!(
        missing(&j).contains(&(
            "permission set license".into(),
            "SalesforceAPIIntegrationPsl".into(),
            "assigned".into()
        )),
        "{j}"
    );
}

/// `audit --fix`, then plan and apply its spec, then audit again.
fn converge(h: &EmulatorHandle, user: &str, template: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let r = audit(
        d,
        h,
        &["--user", user, "--template", template, "--fix", "-d", "fix"],
    );
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("wrote the least-privilege spec to fix/sfprov.toml"),
        "{}",
        r.stderr
    );
    let spec = std::fs::read_to_string(d.join("fix/sfprov.toml")).unwrap();
    let p = cmd(
        d,
        h,
        "plan",
        &["--spec", "fix/sfprov.toml", "--detailed-exitcode"],
    );
    assert_eq!(p.code, 2, "{spec}\n{}\n{}", p.stdout, p.stderr);
    let a = cmd(
        d,
        h,
        "apply",
        &["--spec", "fix/sfprov.toml", "--auto-approve"],
    );
    assert_eq!(a.code, 0, "{spec}\n{}\n{}", a.stdout, a.stderr);
    // The spec's user: the audited one, or the new one --fix proposes.
    let user = spec
        .lines()
        .find_map(|l| l.strip_prefix("username = \""))
        .and_then(|l| l.strip_suffix('"'))
        .unwrap()
        .to_string();
    let user = user.as_str();
    let again = audit(
        d,
        h,
        &["--user", user, "--spec", "fix/sfprov.toml", "--json"],
    );
    assert_eq!(again.code, 0, "{spec}\n{}", again.stdout);
    let j = json(&again);
    for k in ["excess", "missing", "hygiene"] {
        assert_eq!(j[k].as_array().unwrap().len(), 0, "{k}: {}", again.stdout);
    }
    // A second fix proposes no change, and the plan of the first is empty.
    let p = cmd(
        d,
        h,
        "plan",
        &["--spec", "fix/sfprov.toml", "--detailed-exitcode"],
    );
    assert_eq!(p.code, 0, "{}", p.stdout);
    spec
}

#[test]
fn fix_planned_and_applied_converges_both_zendesk_users_in_one_org() {
    let h = start();
    let spec = converge(&h, FLS_USER, "zendesk");
    assert!(!spec.contains("replaces_profile"), "{spec}");
    let spec = converge(&h, LEGACY_USER, "zendesk");
    assert!(spec.contains("template = \"zendesk\""), "{spec}");
    assert!(
        spec.contains("replaces_profile = \"Zendesk Admin Clone\""),
        "{spec}"
    );
    assert!(
        spec.contains("username = \"zendesk.legacy@acme.example\""),
        "{spec}"
    );
    // The moved user's old assignments are gone.
    let org = crate::plan::admin_org(&h);
    let rows = org
        .query("SELECT PermissionSet.Name FROM PermissionSetAssignment WHERE Assignee.Username = 'zendesk.legacy@acme.example' AND PermissionSet.IsOwnedByProfile = false")
        .unwrap()
        .records;
    let names: Vec<&str> = rows
        .iter()
        .map(|r| r["PermissionSet"]["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Zendesk_Integration"]);
}

#[test]
fn fix_planned_and_applied_converges_the_shared_user() {
    let h = start();
    // The fix says what taking the other integration's set away does.
    let dir = tempfile::tempdir().unwrap();
    let r = audit(
        dir.path(),
        &h,
        &[
            "--user",
            SHARED_USER,
            "--template",
            "salesscreen",
            "--fix",
            "-d",
            "f",
        ],
    );
    assert!(
        r.stderr.contains("WARNING: `Classy_Integration` is template classy's: that integration stops working on this user"),
        "{}",
        r.stderr
    );
    let spec = converge(&h, SHARED_USER, "salesscreen");
    assert!(!spec.contains("replaces_profile"), "{spec}");
}

#[test]
fn a_profile_the_spec_manages_gets_explicit_revocations() {
    let h = start();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Someone padded the Zendesk profile by hand.
    crate::plan::deploy_one(
        &h,
        "Profile",
        "Zendesk Integration",
        "profiles/Zendesk Integration.profile",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Profile xmlns=\"http://soap.sforce.com/2006/04/metadata\"><custom>true</custom><objectPermissions><allowCreate>false</allowCreate><allowDelete>false</allowDelete><allowEdit>false</allowEdit><allowRead>true</allowRead><modifyAllRecords>false</modifyAllRecords><object>Lead</object><viewAllRecords>true</viewAllRecords></objectPermissions><userPermissions><enabled>true</enabled><name>ExportReport</name></userPermissions></Profile>",
    );
    let r = audit(d, &h, &["--user", FLS_USER, "--json"]);
    let j = json(&r);
    assert_eq!(
        excess_sources(&j),
        ["profile Zendesk Integration"],
        "{}",
        r.stdout
    );
    let spec = converge(&h, FLS_USER, "zendesk");
    assert!(
        spec.contains("[profiles.\"Zendesk Integration\"]"),
        "{spec}"
    );
    assert!(
        spec.contains("system.ExportReport = { enabled = false"),
        "{spec}"
    );
    assert!(
        spec.contains("objects.Lead = { access = \"none\""),
        "{spec}"
    );
}

#[test]
fn errors_name_the_user_and_org_and_fix_never_overwrites() {
    let h = start();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let r = audit(d, &h, &["--user", "o'brien@acme.example"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stderr
            .contains("error: no user `o'brien@acme.example` in org `"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("hint: check the username"),
        "{}",
        r.stderr
    );
    let r = audit(d, &h, &["--user", "nobody@acme.example", "--json"]);
    assert_eq!(r.code, 1);
    assert!(!json(&r)["format_version"].is_null(), "{}", r.stdout);
    // --fix needs a directory; an existing spec there is never overwritten.
    let r = audit(d, &h, &["--user", FLS_USER, "--fix"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    std::fs::create_dir(d.join("fix")).unwrap();
    std::fs::write(d.join("fix/sfprov.toml"), "# mine\n").unwrap();
    let r = audit(d, &h, &["--user", FLS_USER, "--fix", "-d", "fix"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("exists; sfprov does not overwrite a spec"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(d.join("fix/sfprov.toml")).unwrap(),
        "# mine\n"
    );
}

#[test]
fn the_nearest_spec_about_this_user_is_the_comparison() {
    let h = start();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("sfprov.toml"),
        format!("template = \"zendesk\"\n\n[user]\nusername = \"{FLS_USER}\"\n"),
    )
    .unwrap();
    let r = audit(d, &h, &["--user", FLS_USER]);
    assert!(
        r.stdout.contains("  compared with sfprov.toml\n"),
        "{}",
        r.stdout
    );
    // Another user is compared with the template that matches it.
    let r = audit(d, &h, &["--user", LEGACY_USER]);
    assert!(
        r.stdout.contains("  compared with template zendesk\n"),
        "{}",
        r.stdout
    );
    // --fix from a spec file keeps its text.
    std::fs::write(
        d.join("sfprov.toml"),
        format!("# our Zendesk user\ntemplate = \"zendesk\" # vendor defaults\n\n[user]\nusername = \"{FLS_USER}\"\n"),
    )
    .unwrap();
    let r = audit(d, &h, &["--user", FLS_USER, "--fix", "-d", "out"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let spec = std::fs::read_to_string(d.join("out/sfprov.toml")).unwrap();
    // The same through --spec: the file as written, not the template's text.
    let r = audit(
        d,
        &h,
        &[
            "--user",
            FLS_USER,
            "--spec",
            "sfprov.toml",
            "--fix",
            "-d",
            "out2",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(d.join("out2/sfprov.toml")).unwrap(),
        spec
    );
    assert!(
        !spec.contains('\0') && !spec.contains("[profiles.\"Zendesk Integration\"]"),
        "{spec}"
    );
    assert!(
        spec.contains("# our Zendesk user\ntemplate = \"zendesk\" # vendor defaults\n"),
        "{spec}"
    );
    // An inline [user] keeps its entries; the user's fields join them.
    std::fs::write(
        d.join("inline.toml"),
        format!("template = \"zendesk\"\nuser = {{ username = \"{FLS_USER}\", permission_sets = [\"Zendesk_Integration\"], profile = \"Zendesk Integration\" }}\n"),
    )
    .unwrap();
    let r = audit(
        d,
        &h,
        &[
            "--user",
            FLS_USER,
            "--spec",
            "inline.toml",
            "--fix",
            "-d",
            "out3",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    let spec = std::fs::read_to_string(d.join("out3/sfprov.toml")).unwrap();
    assert!(
        spec.contains("permission_sets = [\"Zendesk_Integration\"]"),
        "{spec}"
    );
    assert!(spec.contains("profile = \"Zendesk Integration\""), "{spec}");
    assert!(spec.contains("alias = \"zdint\""), "{spec}");
}

#[test]
fn the_local_org_starts_from_the_audit_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut c = sfprov(d);
    c.args(["emulator", "reset", "--scenario", "audit"]);
    let r = run(c);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut c = sfprov(d);
    c.args(["audit", "--user", FLS_USER, "-o", "local", "--json"]);
    let r = run(c);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(missing(&json(&r)).len(), 1);
    // serve refuses a scenario over a saved org rather than ignore it.
    let mut c = sfprov(d);
    c.args([
        "emulator",
        "serve",
        "--state",
        ".sfprov/local-org",
        "--scenario",
        "audit",
    ]);
    let r = run(c);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("already holds an org"), "{}", r.stderr);
    let mut c = sfprov(d);
    c.args(["emulator", "reset", "--scenario", "nope"]);
    let r = run(c);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("hint: the scenarios are: audit"),
        "{}",
        r.stderr
    );
    // A fresh org has no such user.
    let mut c = sfprov(d);
    c.args(["emulator", "reset"]);
    assert_eq!(run(c).code, 0);
    let mut c = sfprov(d);
    c.args(["audit", "--user", FLS_USER, "-o", "local"]);
    assert_eq!(run(c).code, 1);
}

#[test]
fn a_human_licensed_ui_user_for_an_api_only_vendor_moves_to_the_integration_license() {
    let h = start();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Someone set Classy up on a Standard User, years ago.
    crate::plan::create_standard_user(&h, "classy.sync@acme.example", "Classy", "Sync");
    let r = audit(d, &h, &["--user", "classy.sync@acme.example", "--json"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let j = json(&r);
    assert_eq!(j["compared_with"]["template"], "classy", "{}", r.stdout);
    assert_eq!(
        rules(&j),
        ["profile-fls", "full-license", "interactive-login"]
    );
    // Salesforce does not change a user's license to Salesforce Integration:
    // the proposal is a new user, and the old one's deactivation a step.
    let spec = converge(&h, "classy.sync@acme.example", "classy");
    assert!(
        spec.contains("username = \"classy.sync.integration@acme.example\""),
        "{spec}"
    );
    assert!(!spec.contains("replaces_profile"), "{spec}");
    // Moving it by hand to the Integration license's profile is refused
    // by plan, before anything is deployed.
    std::fs::write(
        d.join("sfprov.toml"),
        "template = \"classy\"\n\n[user]\nusername = \"classy.sync@acme.example\"\nreplaces_profile = \"Standard User\"\n",
    )
    .unwrap();
    let p = cmd(d, &h, "plan", &[]);
    assert_eq!(p.code, 1, "{}", p.stdout);
    assert!(
        p.stdout.contains(
            "Salesforce does not move an existing user to the `Salesforce Integration` license"
        ),
        "{}",
        p.stdout
    );
    // The System Administrator user itself, against the generic baseline.
    let r = audit(
        d,
        &h,
        &[
            "--user",
            "admin@sfprov.local",
            "--template",
            "integration-user",
            "--json",
        ],
    );
    assert_eq!(r.code, 2);
    let j = json(&r);
    assert_eq!(
        rules(&j),
        ["admin-profile", "profile-fls", "interactive-login"],
        "{}",
        r.stdout
    );
    assert!(j["hygiene"][0]["message"]
        .as_str()
        .unwrap()
        .contains("is on the System Administrator profile"));
}
