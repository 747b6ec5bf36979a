//! The rows of a report: one per requirement, grouped by where it comes from.
//! Owns: the group order, the entries of each generated component with their
//! reasons (`generate::documents`: profiles, permission sets, settings), what
//! an entry gives (`describe`), page wildcards, and each entry's status from
//! the plan. Apps, the user, checks and manual steps are in `apps`, `user`
//! and `steps`. Does not: format anything.

use crate::generate::{self, Component};
use crate::metadata::{self, Element};
use crate::plan::{ComponentAction, Plan};
use crate::spec::desired::{Access, Desired};

use super::apps::app_groups;
use super::steps::check_rows;
use super::user::user_group;
use super::{entry_status, planned, Derived, Group, Row, Source, Status};

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

pub(super) fn row(
    requirement: String,
    ty: &str,
    member: &str,
    entry: (&str, &str),
    value: String,
) -> Row {
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

pub(super) fn with(mut r: Row, (status, changes, note): Derived) -> Row {
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
