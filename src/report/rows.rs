//! The rows of a report: one per requirement, grouped by where it comes from.
//! Owns: the entries of each generated component with their reasons
//! (`generate::documents`), page wildcards, connected apps (created, or an
//! existing app's policy and access), settings, the user and its
//! assignments, the PushTopic check, the manual steps, and reading each
//! row's status from the plan. Does not: format anything.

use crate::diff::FieldChange;
use crate::generate::{self, Component};
use crate::metadata::{self, Element};
use crate::plan::apps;
use crate::plan::user::UserAction;
use crate::plan::{manual, Action, ComponentAction, Plan, Severity};
use crate::spec::desired::{Access, AppPolicy, Desired};

use super::{entry_status, planned, Check, Derived, Extra, Group, ManualStep, Row, Source, Status};

/// The key child of each keyed section generate writes, in report order.
const KEY_FIELDS: &[(&str, &str)] = &[
    ("userPermissions", "name"),
    ("objectPermissions", "object"),
    ("fieldPermissions", "field"),
    ("pageAccesses", "apexPage"),
    ("classAccesses", "apexClass"),
];

fn section_rank(section: &str) -> usize {
    KEY_FIELDS
        .iter()
        .position(|(s, _)| *s == section)
        .unwrap_or(KEY_FIELDS.len())
}

fn row(requirement: String, ty: &str, member: &str, entry: (&str, &str), value: String) -> Row {
    Row {
        requirement,
        implied: false,
        type_name: ty.to_string(),
        member: member.to_string(),
        section: entry.0.to_string(),
        key: entry.1.to_string(),
        value,
        status: Status::Unknown,
        changes: Vec::new(),
        note: None,
    }
}

fn with(mut r: Row, (status, changes, note): Derived) -> Row {
    r.status = status;
    r.changes = changes;
    r.note = note;
    r
}

/// Every group, in the order profile, permission set, app, settings, user,
/// checks; groups without a requirement are left out.
pub(super) fn groups(desired: &Desired, plan: Option<&Plan>) -> Vec<Group> {
    let comps = generate::documents(desired);
    let mut out = Vec::new();
    for c in &comps {
        let (source, access) = match c.type_name {
            "Profile" => (Source::Profile, desired.profiles.get(&c.member)),
            "PermissionSet" => (
                Source::PermissionSet,
                desired.permission_sets.get(&c.member),
            ),
            _ => continue,
        };
        out.push(access_group(source, c, access, plan));
    }
    out.extend(app_groups(desired, &comps, plan));
    let settings: Vec<Row> = comps
        .iter()
        .filter(|c| c.type_name == "Settings")
        .flat_map(|c| entry_rows(c, plan))
        .collect();
    out.push(Group {
        source: Source::Settings,
        name: String::new(),
        description: None,
        rows: settings,
    });
    out.extend(user_group(desired, plan));
    out.push(Group {
        source: Source::Checks,
        name: String::new(),
        description: None,
        rows: check_rows(desired, plan),
    });
    out.retain(|g| !g.rows.is_empty());
    out
}

/// The entry `(section, key)` of a document: a keyed entry by its key child,
/// or (empty key) the value at a dotted path (`sessionSettings.lockSessionsToIp`).
fn find_entry<'e>(
    root: &'e Element<'static>,
    section: &str,
    key: &str,
) -> Option<&'e Element<'static>> {
    if key.is_empty() {
        let mut cur = root;
        for part in section.split('.') {
            cur = cur.child(part)?;
        }
        return Some(cur);
    }
    let (_, field) = KEY_FIELDS.iter().find(|(s, _)| *s == section)?;
    root.children()
        .iter()
        .find(|e| e.name == section && e.child_text(field) == Some(key))
}

/// What an entry gives, in Setup's words: `enabled = true`, `read, edit`,
/// `lockSessionsToIp = false`.
pub(super) fn describe(section: &str, e: &Element<'_>) -> String {
    let flags = |names: &[(&str, &str)]| {
        let on: Vec<&str> = names
            .iter()
            .filter(|(n, _)| e.child_text(n) == Some("true"))
            .map(|(_, w)| *w)
            .collect();
        if on.is_empty() {
            "no access".to_string()
        } else {
            on.join(", ")
        }
    };
    match section {
        "objectPermissions" => flags(&[
            ("allowRead", "read"),
            ("allowCreate", "create"),
            ("allowEdit", "edit"),
            ("allowDelete", "delete"),
            ("viewAllRecords", "view all"),
            ("modifyAllRecords", "modify all"),
        ]),
        "fieldPermissions" => flags(&[("readable", "read"), ("editable", "edit")]),
        _ => match (e.text_value(), e.child_text("enabled")) {
            (Some(v), _) => format!("{} = {v}", section.rsplit('.').next().unwrap_or(section)),
            (None, Some(v)) => format!("enabled = {v}"),
            (None, None) => String::new(),
        },
    }
}

/// One row per entry with a reason, in section order.
fn entry_rows(c: &Component, plan: Option<&Plan>) -> Vec<Row> {
    let mut entries: Vec<_> = c.reasons.iter().collect();
    entries.sort_by_key(|((s, _), _)| section_rank(s));
    entries
        .into_iter()
        .map(|((section, key), why)| {
            let value = find_entry(&c.document.root, section, key)
                .map(|e| describe(section, e))
                .unwrap_or_default();
            let mut r = row(
                why.text.clone(),
                c.type_name,
                &c.member,
                (section, key),
                value,
            );
            r.implied = why.implied;
            with(r, entry_status(plan, c.type_name, &c.member, section, key))
        })
        .collect()
}

fn access_group(source: Source, c: &Component, a: Option<&Access>, plan: Option<&Plan>) -> Group {
    let mut rows = entry_rows(c, plan);
    for (ns, why) in a.map(|a| &a.page_namespaces).into_iter().flatten() {
        let r = row(
            why.text.clone(),
            c.type_name,
            &c.member,
            ("pageAccesses", &format!("{ns}__*")),
            format!("enabled = true for every page of namespace {ns}"),
        );
        rows.push(with(r, pages_status(plan, c, ns)));
    }
    rows.sort_by_key(|r| section_rank(&r.section));
    Group {
        source,
        name: c.member.clone(),
        description: a.and_then(|a| a.description.clone()),
        rows,
    }
}

/// A page wildcard: met when every page of the namespace the org has is
/// granted; the pages are named in the note.
fn pages_status(plan: Option<&Plan>, c: &Component, ns: &str) -> Derived {
    let Some(p) = plan else {
        return (
            Status::Unknown,
            Vec::new(),
            Some(format!(
                "the pages of namespace {ns} are listed from an org"
            )),
        );
    };
    let prefix = format!("{ns}__");
    let pages = granted_pages(p, c, &prefix);
    let named = |pages: &[String]| {
        format!(
            "{} page{}: {}",
            pages.len(),
            if pages.len() == 1 { "" } else { "s" },
            pages.join(", ")
        )
    };
    let cp = match planned(plan, c.type_name, &c.member) {
        Ok(cp) => cp,
        Err(unknown) => return unknown,
    };
    let missing: Vec<String> = cp
        .counted()
        .filter(|ch| ch.section == "pageAccesses" && ch.key.starts_with(&prefix))
        .map(|ch| ch.key.clone())
        .collect();
    if pages.is_empty() {
        (
            Status::NotMet,
            Vec::new(),
            Some(format!("the org has no Visualforce page in namespace {ns}")),
        )
    } else if cp.action == ComponentAction::Create {
        (Status::WouldAdd, Vec::new(), Some(named(&pages)))
    } else if !missing.is_empty() {
        (
            Status::WouldAdd,
            Vec::new(),
            Some(format!("not yet granted: {}", named(&missing))),
        )
    } else {
        (Status::Met, Vec::new(), Some(named(&pages)))
    }
}

/// The enabled pages `prefix…` the plan would deploy on `c`.
fn granted_pages(p: &Plan, c: &Component, prefix: &str) -> Vec<String> {
    let Some(d) = p
        .desired
        .iter()
        .find(|d| d.type_name == c.type_name && d.member == c.member)
    else {
        return Vec::new();
    };
    let Ok(doc) = metadata::parse(&d.xml) else {
        return Vec::new();
    };
    doc.root
        .children()
        .iter()
        .filter(|e| e.name == "pageAccesses" && e.child_text("enabled") == Some("true"))
        .filter_map(|e| e.child_text("apexPage"))
        .filter(|n| n.starts_with(prefix))
        .map(str::to_string)
        .collect()
}

/// A whole component: created, changed (every field of every change) or met.
fn component_status(plan: Option<&Plan>, ty: &str, member: &str) -> Derived {
    let c = match planned(plan, ty, member) {
        Ok(c) => c,
        Err(unknown) => return unknown,
    };
    match c.action {
        ComponentAction::Create => (Status::WouldAdd, Vec::new(), None),
        ComponentAction::Unchanged | ComponentAction::Delete => (Status::Met, Vec::new(), None),
        ComponentAction::Update => {
            let fields = c
                .counted()
                .flat_map(|ch| {
                    ch.fields.iter().map(move |f| FieldChange {
                        name: [ch.section.as_str(), ch.key.as_str(), f.name.as_str()]
                            .iter()
                            .filter(|s| !s.is_empty())
                            .copied()
                            .collect::<Vec<_>>()
                            .join(" "),
                        before: f.before.clone(),
                        after: f.after.clone(),
                    })
                })
                .collect();
            (Status::WouldChange, fields, None)
        }
    }
}

/// The OAuth policy in Setup's words, one `;`-separated line.
fn policy_value(name: &str, p: &AppPolicy) -> String {
    manual::app_policy(name, p, None, true).what.join("; ")
}

fn app_groups(desired: &Desired, comps: &[Component], plan: Option<&Plan>) -> Vec<Group> {
    let mut out = Vec::new();
    let created = desired
        .connected_apps
        .iter()
        .chain(&desired.external_client_apps);
    for (name, app) in created {
        let why = app
            .policy
            .why
            .clone()
            .unwrap_or_else(|| "the spec creates this app".into());
        let prefix = format!("{name}_");
        let rows = comps
            .iter()
            .filter(|c| c.reasons.is_empty() && c.type_name != "Settings")
            .filter(|c| c.member == *name || c.member.starts_with(&prefix))
            .filter(|c| c.type_name.starts_with("ConnectedApp") || c.type_name.starts_with("Ext"))
            .map(|c| {
                let value = if app.scopes.is_empty() {
                    policy_value(name, &app.policy)
                } else {
                    format!(
                        "scopes {}; {}",
                        app.scopes.join(", "),
                        policy_value(name, &app.policy)
                    )
                };
                let r = row(why.clone(), c.type_name, &c.member, ("", ""), value);
                with(r, component_status(plan, c.type_name, &c.member))
            })
            .collect();
        out.push(Group {
            source: Source::App,
            name: name.clone(),
            description: app.description.clone(),
            rows,
        });
    }
    for (name, p) in &desired.app_policies {
        let why = p
            .why
            .clone()
            .unwrap_or_else(|| "the spec sets this app's OAuth policy".into());
        let merged = plan.is_some_and(|pl| {
            pl.components
                .iter()
                .any(|c| c.type_name == "ConnectedApp" && c.member == *name)
        });
        let policy = row(
            why.clone(),
            "ConnectedApp",
            name,
            ("policy", ""),
            policy_value(name, p),
        );
        let policy_status = match plan {
            _ if merged => component_status(plan, "ConnectedApp", name),
            None => (
                Status::Unknown,
                Vec::new(),
                Some(
                    "a manual step in Setup when a package installed the app (see Manual steps)"
                        .into(),
                ),
            ),
            Some(pl) => {
                let at = manual::setup_path(name);
                match pl.manual_steps.iter().position(|s| s.where_in_setup == at) {
                    Some(i) => {
                        let checks = checks_of(&pl.manual_steps[i].checks);
                        (
                            step_status(true, &checks),
                            Vec::new(),
                            Some(format!("manual step {}", i + 1)),
                        )
                    }
                    None => (Status::Unknown, Vec::new(), None),
                }
            }
        };
        let mut rows = vec![with(policy, policy_status)];
        for (kind, holder) in apps::holders(p) {
            let r = row(
                why.clone(),
                "SetupEntityAccess",
                name,
                (kind.noun(), holder),
                "may use the app".into(),
            );
            let status = match plan {
                _ if merged => component_status(plan, "ConnectedApp", name),
                None => (Status::Unknown, Vec::new(), None),
                Some(pl) => {
                    let add = pl.app_access.iter().any(|a| {
                        a.app == *name
                            && a.holder_kind == kind
                            && a.holder == *holder
                            && a.action == Action::Add
                    });
                    (
                        if add { Status::WouldAdd } else { Status::Met },
                        Vec::new(),
                        None,
                    )
                }
            };
            rows.push(with(r, status));
        }
        out.push(Group {
            source: Source::App,
            name: name.clone(),
            description: None,
            rows,
        });
    }
    out
}

/// An error finding about seats of license `name`, if any.
fn seat_finding<'p>(plan: &'p Plan, name: &str) -> Option<&'p str> {
    let needle = format!("license `{name}`");
    plan.findings
        .iter()
        .find(|f| f.severity == Severity::Error && f.message.contains(&needle))
        .map(|f| f.message.as_str())
}

fn user_group(desired: &Desired, plan: Option<&Plan>) -> Option<Group> {
    let u = desired.user.as_ref()?;
    let username = u
        .username
        .clone()
        .unwrap_or_else(|| "(no username in the spec)".into());
    let up = plan.and_then(|p| p.user.as_ref());
    // Without a user plan every row is unknown, for the plan's reason.
    let unknown: Derived = (
        Status::Unknown,
        Vec::new(),
        plan.and_then(|p| p.user_note.clone()),
    );
    let mut rows = Vec::new();
    let requirement = desired
        .description
        .clone()
        .unwrap_or_else(|| "the user the integration connects as".into());
    let user_status = match up {
        None => unknown.clone(),
        Some(up) => match up.action {
            UserAction::Create => (Status::WouldAdd, Vec::new(), None),
            UserAction::Inactive => (
                Status::NotMet,
                Vec::new(),
                Some("the user is deactivated in the org".into()),
            ),
            UserAction::Unchanged | UserAction::Update => {
                let fields: Vec<FieldChange> = up
                    .fields
                    .iter()
                    .filter(|f| f.name != "Profile.Name")
                    .cloned()
                    .collect();
                let s = if fields.is_empty() {
                    Status::Met
                } else {
                    Status::WouldChange
                };
                (s, fields, None)
            }
        },
    };
    rows.push(with(
        row(
            requirement,
            "User",
            &username,
            ("IsActive", ""),
            "IsActive = true".into(),
        ),
        user_status,
    ));
    if let Some(profile) = &u.profile {
        let managed = desired.profiles.get(profile);
        let req = managed
            .and_then(|a| a.description.clone())
            .unwrap_or_else(|| "[user] profile in the spec".into());
        let status = match up {
            None => unknown.clone(),
            Some(up) if up.action == UserAction::Create => (Status::WouldAdd, Vec::new(), None),
            Some(up) => match up.fields.iter().find(|f| f.name == "Profile.Name") {
                Some(f) => (Status::WouldChange, vec![f.clone()], None),
                None => (Status::Met, Vec::new(), None),
            },
        };
        rows.push(with(
            row(
                req,
                "User",
                &username,
                ("Profile.Name", ""),
                profile.clone(),
            ),
            status,
        ));
    }
    if let Some(lic) = &u.license {
        let status = match (plan, up) {
            (Some(p), Some(up)) => match seat_finding(p, lic) {
                Some(m) => (Status::NotMet, Vec::new(), Some(m.to_string())),
                None if up.action == UserAction::Create => (Status::WouldAdd, Vec::new(), None),
                None => match u
                    .profile
                    .as_ref()
                    .filter(|n| desired.profiles.contains_key(*n))
                {
                    Some(profile) => entry_status(plan, "Profile", profile, "userLicense", ""),
                    None => (
                        Status::Unknown,
                        Vec::new(),
                        Some("sfprov reads the license of a profile it manages only".into()),
                    ),
                },
            },
            _ => unknown.clone(),
        };
        let req = "[user] license in the spec: the license the user's profile carries".to_string();
        rows.push(with(
            row(req, "User", &username, ("license", ""), lic.clone()),
            status,
        ));
    }
    let assignments = u
        .permission_set_licenses
        .iter()
        .map(|n| {
            (
                "PermissionSetLicenseAssign",
                n,
                "[user] permission_set_licenses in the spec".to_string(),
            )
        })
        .chain(u.permission_sets.iter().map(|n| {
            let req = desired
                .permission_sets
                .get(n)
                .and_then(|a| a.description.clone())
                .unwrap_or_else(|| "[user] permission_sets in the spec".into());
            ("PermissionSetAssignment", n, req)
        }));
    for (ty, name, req) in assignments {
        let status = match (plan, up) {
            (Some(p), Some(up)) => {
                let list = if ty == "PermissionSetAssignment" {
                    &up.permission_sets
                } else {
                    &up.permission_set_licenses
                };
                let add = list
                    .iter()
                    .any(|a| a.name == *name && a.action == Action::Add);
                match seat_finding(p, name) {
                    Some(m) if ty != "PermissionSetAssignment" => {
                        (Status::NotMet, Vec::new(), Some(m.to_string()))
                    }
                    _ if add => (Status::WouldAdd, Vec::new(), None),
                    _ => (Status::Met, Vec::new(), None),
                }
            }
            _ => unknown.clone(),
        };
        rows.push(with(
            row(req, "User", &username, (ty, name), "assigned".into()),
            status,
        ));
    }
    Some(Group {
        source: Source::User,
        name: username,
        description: None,
        rows,
    })
}

/// PushTopic headroom: not met on the plan's error about it.
fn check_rows(desired: &Desired, plan: Option<&Plan>) -> Vec<Row> {
    let Some(n) = desired.checks.push_topics_needed else {
        return Vec::new();
    };
    let r = row(
        format!("the integration creates {n} PushTopics: the org must have room for them under its edition's limit"),
        "PushTopic",
        "",
        ("headroom", ""),
        format!("{n} PushTopics free"),
    );
    let status = match plan {
        None => (Status::Unknown, Vec::new(), None),
        Some(p) if p.org.kind != "org" => (
            Status::Unknown,
            Vec::new(),
            Some(format!("a {} has no records", p.org.kind)),
        ),
        Some(p) => match p.findings.iter().find(|f| f.message.contains("PushTopic")) {
            Some(f) if f.severity == Severity::Error => {
                (Status::NotMet, Vec::new(), Some(f.message.clone()))
            }
            Some(f) => (Status::Unknown, Vec::new(), Some(f.message.clone())),
            None => (Status::Met, Vec::new(), None),
        },
    };
    vec![with(r, status)]
}

fn checks_of(checks: &[(String, bool)]) -> Vec<Check> {
    checks
        .iter()
        .map(|(check, satisfied)| Check {
            check: check.clone(),
            satisfied: *satisfied,
        })
        .collect()
}

/// Not met when a check fails, met when all pass, else unknown.
pub(super) fn step_status(org: bool, checks: &[Check]) -> Status {
    if !org || checks.is_empty() {
        Status::Unknown
    } else if checks.iter().any(|c| !c.satisfied) {
        Status::NotMet
    } else {
        Status::Met
    }
}

/// The plan's manual steps; without a plan, the step of every app policy
/// (a step when the org's retrieve does not return the app).
pub(super) fn manual_steps(desired: &Desired, plan: Option<&Plan>) -> Vec<ManualStep> {
    let steps: Vec<crate::plan::ManualStep> = match plan {
        Some(p) => p.manual_steps.clone(),
        None => desired
            .app_policies
            .iter()
            .map(|(name, p)| manual::app_policy(name, p, None, true))
            .collect(),
    };
    steps
        .into_iter()
        .map(|s| {
            let checks = checks_of(&s.checks);
            ManualStep {
                status: step_status(plan.is_some(), &checks),
                title: s.title,
                what: s.what,
                where_in_setup: s.where_in_setup,
                why: s.why,
                checks,
            }
        })
        .collect()
}

/// What a deploy or apply removes because the spec does not have it.
pub(super) fn beyond_spec(p: &Plan) -> Vec<Extra> {
    let mut out: Vec<Extra> = p
        .components
        .iter()
        .flat_map(|c| {
            c.changes
                .iter()
                .filter(|ch| ch.destructive)
                .map(|ch| Extra {
                    type_name: c.type_name.clone(),
                    member: c.member.clone(),
                    section: ch.section.clone(),
                    key: ch.key.clone(),
                    note: ch.reason.clone().unwrap_or_default(),
                })
        })
        .collect();
    if let Some(u) = &p.user {
        let lists = [
            ("PermissionSetLicenseAssign", &u.permission_set_licenses),
            ("PermissionSetAssignment", &u.permission_sets),
        ];
        for (ty, list) in lists {
            out.extend(
                list.iter()
                    .filter(|a| a.action == Action::Remove)
                    .map(|a| Extra {
                        type_name: "User".into(),
                        member: u.username.clone(),
                        section: ty.into(),
                        key: a.name.clone(),
                        note: a.reason.clone(),
                    }),
            );
        }
    }
    out
}
