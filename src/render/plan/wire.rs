//! The JSON view of a plan (`plan --json`, `show --json`): one document with
//! `format_version`, drawn from the same `Plan` as the text view.
//! Owns: the wire structs (private, so renaming a field of `Plan` cannot
//! silently change the JSON) and the error document.
//! Does not: decide anything.

use serde::Serialize;

use crate::diff::{Action, ComponentAction, FieldChange};
use crate::plan::user::UserAction;
use crate::plan::{Plan, Severity};

/// The JSON format of `plan --json` and `show --json`.
pub const FORMAT_VERSION: &str = "1";

#[derive(Serialize)]
struct JsonPlan<'p> {
    format_version: &'static str,
    sfprov_version: &'p str,
    spec: &'p str,
    spec_digest: &'p str,
    org: JsonOrg<'p>,
    has_changes: bool,
    has_errors: bool,
    summary: JsonSummary,
    components: Vec<JsonComponent<'p>>,
    manual_steps: Vec<JsonManual<'p>>,
    app_access: Vec<JsonAppAccess<'p>>,
    user: Option<JsonUser<'p>>,
    user_note: Option<&'p str>,
    findings: Vec<JsonFinding<'p>>,
    fingerprints: &'p std::collections::BTreeMap<String, String>,
    requests: JsonRequests,
}

#[derive(Serialize)]
struct JsonOrg<'p> {
    label: &'p str,
    kind: &'p str,
    org_id: Option<&'p str>,
    api_version: &'p str,
}

#[derive(Serialize)]
struct JsonSummary {
    add: usize,
    change: usize,
    remove: usize,
    destructive: usize,
}

#[derive(Serialize)]
struct JsonRequests {
    retrieves: u32,
    queries: u32,
    list_metadata: u32,
    api_versions: u32,
    total: u32,
}

#[derive(Serialize)]
struct JsonAppAccess<'p> {
    app: &'p str,
    holder_kind: crate::plan::apps::Holder,
    holder: &'p str,
    action: Action,
    reason: Option<&'p str>,
}

#[derive(Serialize)]
struct JsonComponent<'p> {
    #[serde(rename = "type")]
    type_name: &'p str,
    member: &'p str,
    action: ComponentAction,
    changes: Vec<JsonChange<'p>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unified_diff: Option<&'p str>,
}

#[derive(Serialize)]
struct JsonChange<'p> {
    section: &'p str,
    key: &'p str,
    action: Action,
    fields: Vec<JsonField<'p>>,
    destructive: bool,
    unmanaged: bool,
    reason: Option<&'p str>,
    implied: bool,
}

#[derive(Serialize)]
struct JsonField<'p> {
    name: &'p str,
    before: Option<&'p str>,
    after: Option<&'p str>,
}

#[derive(Serialize)]
struct JsonManual<'p> {
    title: &'p str,
    what: &'p [String],
    where_in_setup: &'p str,
    why: Option<&'p str>,
    checks: Vec<JsonCheck<'p>>,
}

#[derive(Serialize)]
struct JsonCheck<'p> {
    check: &'p str,
    satisfied: bool,
}

#[derive(Serialize)]
struct JsonUser<'p> {
    username: &'p str,
    action: UserAction,
    fields: Vec<JsonField<'p>>,
    permission_set_licenses: Vec<JsonAssignment<'p>>,
    permission_sets: Vec<JsonAssignment<'p>>,
}

#[derive(Serialize)]
struct JsonAssignment<'p> {
    name: &'p str,
    action: Action,
    reason: &'p str,
}

#[derive(Serialize)]
struct JsonFinding<'p> {
    severity: Severity,
    message: &'p str,
    hint: Option<&'p str>,
}

fn assignments(a: &[crate::plan::user::AssignmentChange]) -> Vec<JsonAssignment<'_>> {
    a.iter()
        .map(|a| JsonAssignment {
            name: &a.name,
            action: a.action,
            reason: &a.reason,
        })
        .collect()
}

fn fields(f: &[FieldChange]) -> Vec<JsonField<'_>> {
    f.iter()
        .map(|f| JsonField {
            name: &f.name,
            before: f.before.as_deref(),
            after: f.after.as_deref(),
        })
        .collect()
}

/// The plan as one JSON document with `format_version`.
pub fn json(p: &Plan) -> String {
    let s = p.summary();
    let doc = JsonPlan {
        format_version: FORMAT_VERSION,
        sfprov_version: &p.sfprov_version,
        spec: &p.spec,
        spec_digest: &p.spec_digest,
        org: JsonOrg {
            label: &p.org.label,
            kind: &p.org.kind,
            org_id: p.org.org_id.as_deref(),
            api_version: &p.org.api_version,
        },
        has_changes: p.has_changes(),
        has_errors: p.has_errors(),
        summary: JsonSummary {
            add: s.add,
            change: s.change,
            remove: s.remove,
            destructive: s.destructive,
        },
        components: p
            .components
            .iter()
            .map(|c| JsonComponent {
                type_name: &c.type_name,
                member: &c.member,
                action: c.action,
                changes: c
                    .changes
                    .iter()
                    .filter(|ch| !ch.unmanaged || p.view.show_unmanaged)
                    .map(|ch| JsonChange {
                        section: &ch.section,
                        key: &ch.key,
                        action: ch.action,
                        fields: fields(&ch.fields),
                        destructive: ch.destructive,
                        unmanaged: ch.unmanaged,
                        reason: ch.reason.as_deref(),
                        implied: ch.implied,
                    })
                    .collect(),
                unified_diff: c.unified_diff.as_deref(),
            })
            .collect(),
        manual_steps: p
            .manual_steps
            .iter()
            .map(|m| JsonManual {
                title: &m.title,
                what: &m.what,
                where_in_setup: &m.where_in_setup,
                why: m.why.as_deref(),
                checks: m
                    .checks
                    .iter()
                    .map(|(c, ok)| JsonCheck {
                        check: c,
                        satisfied: *ok,
                    })
                    .collect(),
            })
            .collect(),
        app_access: p
            .app_access
            .iter()
            .map(|a| JsonAppAccess {
                app: &a.app,
                holder_kind: a.holder_kind,
                holder: &a.holder,
                action: a.action,
                reason: a.reason.as_deref(),
            })
            .collect(),
        user: p.user.as_ref().map(|u| JsonUser {
            username: &u.username,
            action: u.action,
            fields: fields(&u.fields),
            permission_set_licenses: assignments(&u.permission_set_licenses),
            permission_sets: assignments(&u.permission_sets),
        }),
        user_note: p.user_note.as_deref(),
        findings: p
            .findings
            .iter()
            .map(|f| JsonFinding {
                severity: f.severity,
                message: &f.message,
                hint: f.hint.as_deref(),
            })
            .collect(),
        fingerprints: &p.fingerprints,
        requests: JsonRequests {
            retrieves: p.requests.retrieves,
            queries: p.requests.queries,
            list_metadata: p.requests.list_metadata,
            api_versions: p.requests.api_versions,
            total: p.requests.total(),
        },
    };
    let mut s = serde_json::to_string_pretty(&doc).expect("plain data serializes");
    s.push('\n');
    s
}

/// An error as one JSON document (`plan --json` when there is no plan).
pub fn json_error(message: &str, hint: Option<&str>) -> String {
    let doc = serde_json::json!({
        "format_version": FORMAT_VERSION,
        "error": { "message": message, "hint": hint },
    });
    format!("{doc:#}\n")
}
