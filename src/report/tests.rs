//! Report unit tests: grouping, status mapping from a hand-built plan, and
//! the escaping of both views (a `why` holding markup).

use std::collections::BTreeMap;

use super::*;
use crate::plan::apps::{AppAccessChange, Holder};
use crate::plan::user::{AssignmentChange, UserAction, UserPlan};
use crate::plan::{Action, ComponentAction, ComponentPlan, OrgRef, PlannedChange, Requests, View};

const SPEC: &str = r#"
description = "Acme sync"
[user]
username = "acme@example.com"
license = "Salesforce"
profile = "Acme Profile"
permission_sets = ["Acme_Set"]

[profiles."Acme Profile"]
license = "Salesforce"
system.ApiEnabled = { why = "Acme calls the API" }

[permission_sets.Acme_Set]
label = "Acme Set"
description = "What Acme needs"
system.ModifyMetadata = { why = "Acme deploys its sync" }
objects.Case = { access = "edit", why = "Acme updates cases" }
fields."Case.Subject" = { access = "edit", why = "Acme writes <script>alert('x')</script> & | `subjects`\nand more" }

[connected_app.Acme]
why = "Acme authorizes through this app"
admin_approved = true
allowed_profiles = ["Acme Profile"]

[settings]
lock_sessions_to_ip = { value = false, why = "Acme calls from many IPs" }

[checks]
push_topics_needed = 2
"#;

fn desired() -> Desired {
    crate::spec::load_str("sfprov.toml", SPEC)
        .expect("the test spec loads")
        .desired
}

fn change(section: &str, key: &str, action: Action, fields: Vec<FieldChange>) -> PlannedChange {
    PlannedChange {
        section: section.into(),
        key: key.into(),
        action,
        fields,
        destructive: false,
        unmanaged: false,
        reason: None,
        implied: false,
    }
}

fn fc(name: &str, before: &str, after: &str) -> FieldChange {
    FieldChange {
        name: name.into(),
        before: Some(before.into()),
        after: Some(after.into()),
    }
}

fn component(
    ty: &str,
    member: &str,
    action: ComponentAction,
    changes: Vec<PlannedChange>,
) -> ComponentPlan {
    ComponentPlan {
        type_name: ty.into(),
        member: member.into(),
        action,
        changes,
        unified_diff: None,
    }
}

/// A plan of `SPEC` against an org that has the profile, most of the set,
/// the settings to change, no user yet and a full PushTopic quota.
fn plan() -> Plan {
    let mut destructive = change("userPermissions", "ViewAllData", Action::Remove, vec![]);
    destructive.destructive = true;
    Plan {
        format_version: 1,
        sfprov_version: "0".into(),
        spec: "sfprov.toml".into(),
        spec_digest: String::new(),
        org: OrgRef {
            label: "prod".into(),
            kind: "org".into(),
            org_id: Some("00D000000000001".into()),
            api_version: "63.0".into(),
        },
        view: View::default(),
        components: vec![
            component(
                "Profile",
                "Acme Profile",
                ComponentAction::Unchanged,
                vec![],
            ),
            component(
                "PermissionSet",
                "Acme_Set",
                ComponentAction::Update,
                vec![
                    change("fieldPermissions", "Case.Subject", Action::Add, vec![]),
                    change(
                        "objectPermissions",
                        "Case",
                        Action::Change,
                        vec![fc("allowEdit", "false", "true")],
                    ),
                    destructive,
                ],
            ),
            component(
                "Settings",
                "Security",
                ComponentAction::Update,
                vec![change(
                    "sessionSettings.lockSessionsToIp",
                    "",
                    Action::Change,
                    vec![fc("", "true", "false")],
                )],
            ),
        ],
        manual_steps: vec![crate::plan::ManualStep {
            title: "Set the OAuth policy of connected app `Acme`".into(),
            what: vec!["Permitted Users: Admin approved users are pre-authorized".into()],
            where_in_setup: crate::plan::manual::setup_path("Acme"),
            why: Some("Acme authorizes through this app".into()),
            checks: vec![
                ("the org has a connected app named `Acme`".into(), true),
                ("Permitted Users is admin approved".into(), false),
            ],
        }],
        app_access: vec![AppAccessChange {
            app: "Acme".into(),
            holder_kind: Holder::Profile,
            holder: "Acme Profile".into(),
            action: Action::Add,
            reason: None,
        }],
        user: Some(UserPlan {
            username: "acme@example.com".into(),
            action: UserAction::Update,
            fields: vec![fc("Email", "old@example.com", "new@example.com")],
            permission_set_licenses: vec![],
            permission_sets: vec![
                AssignmentChange {
                    name: "Acme_Set".into(),
                    action: Action::Add,
                    reason: String::new(),
                },
                AssignmentChange {
                    name: "Old_Set".into(),
                    action: Action::Remove,
                    reason: "not in the spec".into(),
                },
            ],
        }),
        user_note: None,
        findings: vec![crate::plan::Finding {
            severity: Severity::Error,
            message: "the integration needs 2 PushTopics, but the org uses 49 of its 50".into(),
            hint: None,
        }],
        fingerprints: BTreeMap::new(),
        desired: vec![],
        requests: Requests::default(),
    }
}

fn find<'r>(r: &'r Report, section: &str, key: &str) -> &'r Row {
    r.groups
        .iter()
        .flat_map(|g| &g.rows)
        .find(|row| row.section == section && row.key == key)
        .unwrap_or_else(|| panic!("no row {section} {key}"))
}

#[test]
fn rows_are_grouped_by_where_the_requirement_comes_from() {
    let r = build(&desired(), "sfprov.toml", None);
    let groups: Vec<(Source, &str)> = r
        .groups
        .iter()
        .map(|g| (g.source, g.name.as_str()))
        .collect();
    assert_eq!(
        groups,
        [
            (Source::Profile, "Acme Profile"),
            (Source::PermissionSet, "Acme_Set"),
            (Source::App, "Acme"),
            (Source::Settings, ""),
            (Source::User, "acme@example.com"),
            (Source::Checks, ""),
        ]
    );
    // The set's rows in section order: permissions, objects, fields; the
    // implied grants of ModifyMetadata are marked and say why.
    let set = &r.groups[1];
    let keys: Vec<&str> = set.rows.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "ModifyMetadata",
            "ViewRoles",
            "ViewSetup",
            "Case",
            "Case.Subject"
        ]
    );
    assert!(set.rows[1].implied);
    assert_eq!(set.rows[1].requirement, "required by ModifyMetadata");
    assert!(!set.rows[0].implied);
    assert_eq!(set.rows[3].value, "read, edit");
    assert_eq!(set.rows[4].value, "read, edit");
    assert_eq!(set.description.as_deref(), Some("What Acme needs"));
    assert_eq!(
        find(&r, "sessionSettings.lockSessionsToIp", "").value,
        "lockSessionsToIp = false"
    );
    // Without an org: every status unknown, the app policy listed as a step.
    assert_eq!(r.summary.unknown, r.summary.total);
    assert_eq!((r.summary.met, r.summary.not_met), (0, 0));
    assert_eq!(r.manual_steps.len(), 1);
    assert_eq!(r.manual_steps[0].status, Status::Unknown);
    assert!(r.org.is_none());
}

#[test]
fn statuses_come_from_the_plans_changes() {
    let r = build(&desired(), "sfprov.toml", Some(&plan()));
    assert_eq!(
        find(&r, "userPermissions", "ApiEnabled").status,
        Status::Met
    );
    assert_eq!(
        find(&r, "userPermissions", "ModifyMetadata").status,
        Status::Met
    );
    assert_eq!(
        find(&r, "fieldPermissions", "Case.Subject").status,
        Status::WouldAdd
    );
    let obj = find(&r, "objectPermissions", "Case");
    assert_eq!(obj.status, Status::WouldChange);
    assert_eq!(obj.changes, [fc("allowEdit", "false", "true")]);
    assert_eq!(change_text(&obj.changes[0]), "allowEdit: false → true");
    let s = find(&r, "sessionSettings.lockSessionsToIp", "");
    assert_eq!(
        (s.status, change_text(&s.changes[0])),
        (Status::WouldChange, "true → false".into())
    );
    // The app: its policy is the manual step (a check fails), its access a row to add.
    assert_eq!(find(&r, "policy", "").status, Status::NotMet);
    assert_eq!(
        find(&r, "policy", "").note.as_deref(),
        Some("manual step 1")
    );
    assert_eq!(find(&r, "profile", "Acme Profile").status, Status::WouldAdd);
    assert_eq!(r.manual_steps[0].status, Status::NotMet);
    // The user: a field changes, the profile and license hold, the set is to assign.
    let user = find(&r, "IsActive", "");
    assert_eq!((user.status, user.changes.len()), (Status::WouldChange, 1));
    assert_eq!(find(&r, "Profile.Name", "").status, Status::Met);
    assert_eq!(find(&r, "license", "").status, Status::Met);
    assert_eq!(
        find(&r, "PermissionSetAssignment", "Acme_Set").status,
        Status::WouldAdd
    );
    // The PushTopic finding.
    let pt = find(&r, "headroom", "");
    assert_eq!(pt.status, Status::NotMet);
    assert!(pt.note.as_deref().unwrap().contains("49 of its 50"));
    // Removals beyond the spec are listed, not counted.
    let extra: Vec<&str> = r.beyond_spec.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(extra, ["ViewAllData", "Old_Set"]);
    assert_eq!(r.findings.len(), 1);
    let s = r.summary;
    assert_eq!(s.met + s.not_met + s.unknown, s.total);
    assert_eq!((s.met, s.not_met, s.unknown), (6, 8, 0), "{s:?}");
    assert_eq!(
        r.org.as_ref().unwrap().org_id.as_deref(),
        Some("00D000000000001")
    );
}

#[test]
fn a_component_the_org_lacks_makes_every_row_of_it_an_addition() {
    let mut p = plan();
    p.components[0].action = ComponentAction::Create;
    let r = build(&desired(), "sfprov.toml", Some(&p));
    assert_eq!(
        find(&r, "userPermissions", "ApiEnabled").status,
        Status::WouldAdd
    );
    // A component the plan does not have cannot be told.
    p.components.retain(|c| c.type_name != "Settings");
    let r = build(&desired(), "sfprov.toml", Some(&p));
    let s = find(&r, "sessionSettings.lockSessionsToIp", "");
    assert_eq!(s.status, Status::Unknown);
}

#[test]
fn markdown_escapes_cell_text_and_code_spans() {
    assert_eq!(markdown::text("a | b"), "a \\| b");
    assert_eq!(markdown::text("one\ntwo"), "one<br>two");
    assert_eq!(markdown::text("<script> & `x`"), "\\<script> \\& \\`x\\`");
    assert_eq!(
        markdown::text("Zendesk_Integration _em_"),
        "Zendesk_Integration \\_em\\_"
    );
    assert_eq!(markdown::code("a|b", true), "`a\\|b`");
    assert_eq!(markdown::code("a|b", false), "`a|b`");
    assert_eq!(markdown::code("x `y` z", true), "`` x `y` z ``");
    assert_eq!(markdown::code("a\nb", true), "`a b`");
    let md = markdown::render(&build(&desired(), "sfprov.toml", Some(&plan())));
    // Every table line has exactly its columns' pipes (escaped ones aside).
    for line in md.lines().filter(|l| l.starts_with('|')) {
        let pipes = line.replace("\\|", "").matches('|').count();
        assert!(pipes == 6 || pipes == 4, "{pipes} pipes: {line}");
    }
    assert!(
        md.contains(
            "Acme writes \\<script>alert('x')\\</script> \\& \\| \\`subjects\\`<br>and more"
        ),
        "{md}"
    );
    assert!(md.contains("## Permission set `Acme_Set`"), "{md}");
    assert!(
        md.contains("❌ not met: would be changed: `allowEdit: false → true`"),
        "{md}"
    );
    assert!(
        md.contains("**Summary: 6 met, 8 not met, 0 unknown (14 requirements).**"),
        "{md}"
    );
    assert!(
        md.contains("  - ❌ not met: Permitted Users is admin approved"),
        "{md}"
    );
}

/// Parses `html` as XML (every element closed, every entity known) and
/// returns the text of every `<script>` element (there must be none).
fn well_formed(html: &str) -> Result<usize, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(html);
    reader.config_mut().check_end_names = true;
    let (mut depth, mut scripts) = (0i32, 0);
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => {
                depth += 1;
                if e.name().as_ref() == b"script" {
                    scripts += 1;
                }
            }
            Event::End(_) => depth -= 1,
            Event::Text(t) => {
                t.unescape().map_err(|e| e.to_string())?;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if depth != 0 {
        return Err(format!("{depth} elements left open"));
    }
    Ok(scripts)
}

#[test]
fn html_escapes_every_text_and_is_one_well_formed_document() {
    let r = build(&desired(), "sfprov.toml", Some(&plan()));
    let html = html::render(&r);
    assert_eq!(well_formed(&html), Ok(0), "{html}");
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains("Acme writes &lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp; | `subjects`\nand more"), "{html}");
    for outside in ["http://", "https://", "src=", "href=", "url(", "@import"] {
        assert!(!html.contains(outside), "{outside} in {html}");
    }
    // Not met is spelled out, not colour only.
    assert!(html.contains("<tr class=\"not-met\">"), "{html}");
    assert!(
        html.contains("✘</span> not met: would be added</span>"),
        "{html}"
    );
    assert!(html.contains("✔</span> met</span>"), "{html}");
    assert!(html.contains("@media print"));
    let none = html::render(&build(&desired(), "sfprov.toml", None));
    assert_eq!(well_formed(&none), Ok(0));
    assert!(none.contains("?</span> unknown</span>"), "{none}");
    assert_eq!(
        html::esc("<a href=\"x\">&'"),
        "&lt;a href=&quot;x&quot;&gt;&amp;&apos;"
    );
}

#[test]
fn the_json_view_has_its_format_version_and_snake_case_statuses() {
    let r = build(&desired(), "sfprov.toml", Some(&plan()));
    let v: serde_json::Value = serde_json::from_str(&json(&r)).unwrap();
    assert_eq!(v["format_version"], "1");
    assert_eq!(v["summary"]["not_met"], 8);
    assert_eq!(v["groups"][1]["source"], "permission_set");
    let statuses: Vec<&str> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["rows"].as_array().unwrap())
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert!(
        statuses.contains(&"would_change")
            && statuses.contains(&"would_add")
            && statuses.contains(&"met")
    );
}

#[test]
fn dates_are_utc_minutes() {
    assert_eq!(utc_date(0), "1970-01-01 00:00 UTC");
    assert_eq!(utc_date(1_700_000_000), "2023-11-14 22:13 UTC");
}

#[test]
fn sfprov_quoted_names_become_code_spans_in_markdown() {
    assert_eq!(
        markdown::inline("app `Zendesk` is `a|b`", true),
        "app `Zendesk` is `a\\|b`"
    );
    assert_eq!(markdown::inline("odd ` tick", false), "odd \\` tick");
}
