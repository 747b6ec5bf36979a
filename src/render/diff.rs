//! Views of keyed diffs (`sfprov diff`, and the entry lines plans reuse).
//! Owns: the wording of one change (`+ fieldPermissions Contact.Email: read`),
//! grouping many field lines of one object, the summary line, and the JSON
//! wire form (private structs, so renaming a library field cannot change it).
//! Does not: compute differences (see `crate::diff`).

use std::fmt::Write as _;

use serde::Serialize;

use crate::diff::tree::Report;
use crate::diff::{Action, Change, ComponentAction, ComponentDiff, FieldChange};

/// The JSON format of `sfprov diff --json`; bumped when consumers must adapt.
pub const FORMAT_VERSION: &str = "1";

/// Words for access flags, as Setup shows them.
fn flag_word(name: &str) -> &str {
    match name {
        "allowRead" | "readable" => "read",
        "allowCreate" => "create",
        "allowEdit" | "editable" => "edit",
        "allowDelete" => "delete",
        "viewAllRecords" => "view all",
        "modifyAllRecords" => "modify all",
        "viewAllFields" => "view all fields",
        other => other,
    }
}

/// The values of an added or removed entry, compactly: the flags that are
/// `true` by their Setup word, other values as `name=value`.
fn values(fields: &[FieldChange], before: bool) -> String {
    let mut parts = Vec::new();
    for f in fields {
        let v = if before { &f.before } else { &f.after };
        match v.as_deref() {
            Some("true") if f.name == "enabled" => {}
            Some("true") => parts.push(flag_word(&f.name).to_string()),
            Some("false") | None => {}
            Some(v) if f.name.is_empty() => parts.push(v.to_string()),
            Some(v) => parts.push(format!("{}={v}", f.name)),
        }
    }
    parts.join(", ")
}

/// What changed within an entry: `edit false -> true`.
fn deltas(fields: &[FieldChange]) -> String {
    fields
        .iter()
        .map(|f| {
            let b = f.before.as_deref().unwrap_or("(none)");
            let a = f.after.as_deref().unwrap_or("(none)");
            if f.name.is_empty() {
                format!("{b} -> {a}")
            } else {
                format!("{} {b} -> {a}", flag_word(&f.name))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The text after the key: what the entry gives or what changes.
pub fn change_detail(c: &Change) -> String {
    match c.action {
        Action::Add => values(&c.fields, false),
        Action::Remove => values(&c.fields, true),
        Action::Change => deltas(&c.fields),
    }
}

/// One line per change, the many field lines of one object grouped when they
/// say the same thing: `+ fieldPermissions Contact.{Email, Phone}: read`.
pub fn change_lines(changes: &[&Change], indent: &str) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < changes.len() {
        let c = changes[i];
        let detail = change_detail(c);
        let object = c.key.split_once('.').map(|(o, _)| o);
        let mut j = i + 1;
        if let Some(object) = object {
            while j < changes.len() {
                let d = changes[j];
                if d.section == c.section
                    && d.action == c.action
                    && d.destructive == c.destructive
                    && d.key.split_once('.').map(|(o, _)| o) == Some(object)
                    && change_detail(d) == detail
                {
                    j += 1;
                } else {
                    break;
                }
            }
        }
        let key = grouped_key(changes[i..j].iter().map(|d| d.key.as_str()));
        let _ = write!(out, "{indent}{} {}", c.action.symbol(), c.section);
        if !key.is_empty() {
            let _ = write!(out, " {key}");
        }
        if !detail.is_empty() {
            let _ = write!(out, ": {detail}");
        }
        if c.destructive {
            out.push_str("  (not in the new file)");
        }
        out.push('\n');
        i = j;
    }
    out
}

/// The key of a run of entries of one object: `Contact.{Email, Phone}`, or
/// the one key itself.
pub fn grouped_key<'k>(mut keys: impl ExactSizeIterator<Item = &'k str>) -> String {
    if keys.len() == 1 {
        return keys.next().unwrap_or_default().to_string();
    }
    let mut object = "";
    let names: Vec<&str> = keys
        .map(|k| {
            let (o, f) = k.split_once('.').unwrap_or(("", k));
            object = o;
            f
        })
        .collect();
    format!("{object}.{{{}}}", names.join(", "))
}

fn component_header(c: &ComponentDiff) -> Option<String> {
    let symbol = match c.action {
        ComponentAction::Create => '+',
        ComponentAction::Update => '~',
        ComponentAction::Delete => '-',
        ComponentAction::Unchanged => return None,
    };
    Some(format!("{symbol} {} {}\n", c.type_name, c.member))
}

/// `sfprov diff` as text: per component a header and its changes, then one
/// summary line. Empty components are left out.
pub fn human(r: &Report, verbose: bool) -> String {
    let mut out = String::new();
    let (mut created, mut updated, mut deleted) = (0, 0, 0);
    let (mut add, mut change, mut remove) = (0, 0, 0);
    for c in &r.components {
        let Some(header) = component_header(c) else {
            continue;
        };
        match c.action {
            ComponentAction::Create => created += 1,
            ComponentAction::Update => updated += 1,
            _ => deleted += 1,
        }
        out.push_str(&header);
        let counted: Vec<&Change> = c.counted().collect();
        for ch in &counted {
            match ch.action {
                Action::Add => add += 1,
                Action::Change => change += 1,
                Action::Remove => remove += 1,
            }
        }
        out.push_str(&change_lines(&counted, "    "));
    }
    if verbose {
        for s in &r.skipped {
            let _ = writeln!(out, "note: skipped {s}: not a type sfprov compares");
        }
    }
    if created + updated + deleted == 0 {
        out.push_str("No differences.\n");
    } else {
        let entries = |n: usize| if n == 1 { "entry" } else { "entries" };
        let _ = writeln!(
            out,
            "Diff: {created} created, {updated} changed, {deleted} deleted; {add} {} added, {change} {} changed, {remove} {} removed.",
            entries(add),
            entries(change),
            entries(remove)
        );
    }
    out
}

#[derive(Serialize)]
struct JsonReport<'r> {
    format_version: &'static str,
    has_changes: bool,
    components: Vec<JsonComponent<'r>>,
    skipped: &'r [String],
}

#[derive(Serialize)]
struct JsonComponent<'r> {
    #[serde(rename = "type")]
    type_name: &'r str,
    member: &'r str,
    action: ComponentAction,
    changes: Vec<JsonChange<'r>>,
}

#[derive(Serialize)]
struct JsonChange<'r> {
    section: &'r str,
    key: &'r str,
    action: Action,
    fields: Vec<JsonField<'r>>,
    destructive: bool,
}

#[derive(Serialize)]
struct JsonField<'r> {
    name: &'r str,
    before: Option<&'r str>,
    after: Option<&'r str>,
}

/// `sfprov diff --json`: one document with `format_version`.
pub fn json(r: &Report) -> String {
    let doc = JsonReport {
        format_version: FORMAT_VERSION,
        has_changes: r.has_changes(),
        components: r
            .components
            .iter()
            .filter(|c| c.action != ComponentAction::Unchanged)
            .map(|c| JsonComponent {
                type_name: &c.type_name,
                member: &c.member,
                action: c.action,
                changes: c
                    .counted()
                    .map(|ch| JsonChange {
                        section: &ch.section,
                        key: &ch.key,
                        action: ch.action,
                        fields: ch
                            .fields
                            .iter()
                            .map(|f| JsonField {
                                name: &f.name,
                                before: f.before.as_deref(),
                                after: f.after.as_deref(),
                            })
                            .collect(),
                        destructive: ch.destructive,
                    })
                    .collect(),
            })
            .collect(),
        skipped: &r.skipped,
    };
    let mut s = serde_json::to_string_pretty(&doc).expect("plain data serializes");
    s.push('\n');
    s
}
