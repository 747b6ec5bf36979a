//! Views of a `Plan`: Terraform-like text and one JSON document.
//! Owns: the legend, component headers (`# PermissionSet.X will be created`),
//! change lines with their reasons (`# why`), grouping the many field lines
//! of one object, the manual-steps and findings blocks, the summary line,
//! and the JSON wire form (`wire`: private structs, so renaming a field of
//! `Plan` cannot silently change the JSON).
//! Does not: decide anything; `show FILE` draws a saved plan with the same code.

use std::fmt::Write as _;

use super::diff::change_detail;
use crate::diff::{Action, Change, ComponentAction};
use crate::plan::apps::AppAccessChange;
use crate::plan::user::{UserAction, UserPlan};
use crate::plan::{ComponentPlan, Plan, PlannedChange, Severity};

mod wire;
pub use wire::{json, json_error, FORMAT_VERSION};

/// The diff renderer's view of one planned change (for `change_detail`).
fn as_change(c: &PlannedChange) -> Change {
    Change {
        section: c.section.clone(),
        key: c.key.clone(),
        action: c.action,
        fields: c.fields.clone(),
        destructive: c.destructive,
        unmanaged: c.unmanaged,
    }
}

/// What an entry gives or what changes; a single value shows as itself
/// (`+ custom: true`, `~ sessionSettings.lockSessionsToIp: true -> false`).
fn detail(c: &PlannedChange) -> String {
    if let [f] = c.fields.as_slice() {
        if f.name.is_empty() && c.key.is_empty() {
            return match (c.action, &f.before, &f.after) {
                (Action::Add, _, Some(a)) => a.clone(),
                (Action::Remove, Some(b), _) => b.clone(),
                _ => change_detail(&as_change(c)),
            };
        }
    }
    change_detail(&as_change(c))
}

fn symbol(c: &PlannedChange) -> char {
    if c.unmanaged {
        '='
    } else {
        c.action.symbol()
    }
}

/// What lines of one section group under: a field's object (`Case` of
/// `Case.Subject`), a page's or class's namespace (`Zendesk` of
/// `Zendesk__Settings`), with the separator.
fn group_of<'k>(section: &str, key: &'k str) -> Option<(&'k str, &'static str)> {
    match section {
        "fieldPermissions" => key.split_once('.').map(|(o, _)| (o, ".")),
        "pageAccesses" | "classAccesses" => key
            .split_once("__")
            .filter(|(_, rest)| !rest.is_empty())
            .map(|(ns, _)| (ns, "__")),
        _ => None,
    }
}

/// `Case.{A, B}`, `Zendesk__{Home, Settings}`, or the one key.
fn grouped(keys: &[&str], sep: &str) -> String {
    match keys {
        [one] => (*one).to_string(),
        _ => {
            let (head, _) = keys[0].split_once(sep).unwrap_or(("", keys[0]));
            let tails: Vec<&str> = keys
                .iter()
                .map(|k| k.split_once(sep).map_or(*k, |(_, t)| t))
                .collect();
            format!("{head}{sep}{{{}}}", tails.join(", "))
        }
    }
}

/// Change lines, one per entry; field lines of one object (and page or
/// class lines of one namespace) that say the same thing for the same
/// reason are grouped: `+ fieldPermissions Case.{A, B}: read`.
fn change_lines(changes: &[&PlannedChange], out: &mut String) {
    let details: Vec<String> = changes.iter().map(|c| detail(c)).collect();
    let mut i = 0;
    while i < changes.len() {
        let c = changes[i];
        let mut j = i + 1;
        let group = group_of(&c.section, &c.key);
        if let Some((g, _)) = group {
            while j < changes.len() {
                let d = changes[j];
                if d.section == c.section
                    && d.action == c.action
                    && d.destructive == c.destructive
                    && d.unmanaged == c.unmanaged
                    && group_of(&d.section, &d.key).map(|(h, _)| h) == Some(g)
                    && details[j] == details[i]
                    && d.reason == c.reason
                {
                    j += 1;
                } else {
                    break;
                }
            }
        }
        let keys: Vec<&str> = changes[i..j].iter().map(|d| d.key.as_str()).collect();
        let key = grouped(&keys, group.map_or(".", |(_, sep)| sep));
        let _ = write!(out, "      {} {}", symbol(c), c.section);
        if !key.is_empty() {
            let _ = write!(out, " {key}");
        }
        if !details[i].is_empty() {
            let _ = write!(out, ": {}", details[i]);
        }
        if let Some(r) = &c.reason {
            let _ = write!(out, "  # {r}");
        }
        out.push('\n');
        i = j;
    }
}

fn header(c: &ComponentPlan) -> (char, &'static str) {
    match c.action {
        ComponentAction::Create => ('+', "will be created"),
        ComponentAction::Update => ('~', "will be updated in-place"),
        ComponentAction::Delete => ('-', "will be deleted"),
        ComponentAction::Unchanged => (' ', "is unchanged"),
    }
}

fn user_lines(u: &UserPlan, out: &mut String) -> Vec<char> {
    let mut used = Vec::new();
    let (sym, what) = match u.action {
        UserAction::Create => ('+', "will be created"),
        UserAction::Update => ('~', "will be updated in-place"),
        UserAction::Unchanged => (' ', "is unchanged"),
        UserAction::Inactive => ('!', "is deactivated in the org (see findings)"),
    };
    let changes = u
        .permission_set_licenses
        .iter()
        .map(|a| ("permission set license", a))
        .chain(u.permission_sets.iter().map(|a| ("permission set", a)));
    let mut body = String::new();
    for f in &u.fields {
        let line = match (&f.before, &f.after) {
            (None, Some(a)) => {
                used.push('+');
                format!("      + {}: {a}\n", f.name)
            }
            (b, a) => {
                used.push('~');
                format!(
                    "      ~ {}: {} -> {}\n",
                    f.name,
                    b.as_deref().unwrap_or("(none)"),
                    a.as_deref().unwrap_or("(none)")
                )
            }
        };
        body.push_str(&line);
    }
    for (kind, a) in changes {
        used.push(a.action.symbol());
        let _ = writeln!(
            body,
            "      {} {kind} {}  # {}",
            a.action.symbol(),
            a.name,
            a.reason
        );
    }
    if sym == ' ' && body.is_empty() {
        return used;
    }
    if sym != ' ' {
        used.push(sym);
    }
    let _ = writeln!(out, "  # User {} {what}", u.username);
    let _ = writeln!(out, "  {sym} User {}", u.username);
    out.push_str(&body);
    out.push('\n');
    used
}

/// `+ access to connected app Zendesk for profile Zendesk Integration  # why`
fn app_access_lines(access: &[AppAccessChange], out: &mut String) -> Vec<char> {
    if access.is_empty() {
        return Vec::new();
    }
    out.push_str("  # Connected app access (SetupEntityAccess) will be granted\n");
    for a in access {
        let _ = write!(
            out,
            "  {} access to connected app {} for {} {}",
            a.action.symbol(),
            a.app,
            a.holder_kind.noun(),
            a.holder
        );
        if let Some(r) = a.reason.as_deref().filter(|r| !r.is_empty()) {
            let _ = write!(out, "  # {r}");
        }
        out.push('\n');
    }
    out.push('\n');
    access.iter().map(|a| a.action.symbol()).collect()
}

/// The plan as text, the same for `plan` and `show`.
pub fn human(p: &Plan) -> String {
    let mut body = String::new();
    let mut used: Vec<char> = Vec::new();
    let mut hidden_total = 0;
    for c in &p.components {
        let shown: Vec<&PlannedChange> = c
            .changes
            .iter()
            .filter(|ch| !ch.unmanaged || p.view.show_unmanaged)
            .collect();
        let hidden = c.changes.iter().filter(|ch| ch.unmanaged).count() - {
            if p.view.show_unmanaged {
                c.changes.iter().filter(|ch| ch.unmanaged).count()
            } else {
                0
            }
        };
        hidden_total += hidden;
        if c.action == ComponentAction::Unchanged && shown.is_empty() {
            continue;
        }
        let (sym, what) = header(c);
        if sym != ' ' {
            used.push(sym);
        }
        used.extend(shown.iter().map(|ch| symbol(ch)));
        let _ = writeln!(body, "  # {}.{} {what}", c.type_name, c.member);
        let _ = writeln!(body, "  {sym} {} {}", c.type_name, c.member);
        change_lines(&shown, &mut body);
        if hidden > 0 {
            let _ = writeln!(
                body,
                "      # ({hidden} {} the org has and the spec does not mention: left as {}; --show-unmanaged lists them)",
                if hidden == 1 { "entry" } else { "entries" },
                if hidden == 1 { "it is" } else { "they are" }
            );
        }
        if let Some(d) = &c.unified_diff {
            if !d.is_empty() {
                body.push('\n');
                for line in d.lines() {
                    let _ = writeln!(body, "      {line}");
                }
            }
        }
        body.push('\n');
    }
    if let Some(u) = &p.user {
        used.extend(user_lines(u, &mut body));
    }
    used.extend(app_access_lines(&p.app_access, &mut body));

    let mut out = String::new();
    let _ = writeln!(
        out,
        "sfprov plan: {} against {} `{}`{}",
        p.spec,
        p.org.kind,
        p.org.label,
        p.org
            .org_id
            .as_deref()
            .map(|id| format!(" ({id})"))
            .unwrap_or_default()
    );
    out.push('\n');
    let legend: Vec<(char, &str)> = [
        ('+', "add or create"),
        ('~', "change in place"),
        ('-', "remove"),
        (
            '=',
            "in the org only, left as it is (a profile deploy keeps entries it does not mention)",
        ),
    ]
    .into_iter()
    .filter(|(s, _)| used.contains(s))
    .collect();
    if !legend.is_empty() {
        out.push_str("Symbols used:\n");
        for (s, what) in legend {
            let _ = writeln!(out, "  {s} {what}");
        }
        out.push('\n');
    }
    out.push_str(&body);

    if let Some(note) = &p.user_note {
        let _ = writeln!(out, "User: {note}.\n");
    }

    if !p.manual_steps.is_empty() {
        out.push_str("Manual steps (no API can make these; do them in Setup before connecting):\n");
        for (i, m) in p.manual_steps.iter().enumerate() {
            let _ = writeln!(out, "  {}. {}", i + 1, m.title);
            let _ = writeln!(out, "     where: {}", m.where_in_setup);
            for (k, w) in m.what.iter().enumerate() {
                let _ = writeln!(out, "     {} {w}", if k == 0 { "set:  " } else { "      " });
            }
            if let Some(why) = &m.why {
                let _ = writeln!(out, "     why:   {why}");
            }
            for (k, (check, ok)) in m.checks.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "     {} [{}] {check}",
                    if k == 0 { "check:" } else { "      " },
                    if *ok { "ok" } else { "not yet" }
                );
            }
        }
        out.push('\n');
    }

    if !p.findings.is_empty() {
        out.push_str("Findings:\n");
        for f in &p.findings {
            let word = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Note => "note",
            };
            let _ = writeln!(out, "  {word}: {}", f.message);
            if let Some(h) = &f.hint {
                let _ = writeln!(out, "    hint: {h}");
            }
        }
        out.push('\n');
    }

    let s = p.summary();
    if p.has_changes() {
        let _ = writeln!(
            out,
            "Plan: {} to add, {} to change, {} to remove.",
            s.add, s.change, s.remove
        );
        if s.destructive > 0 {
            let _ = writeln!(
                out,
                "Warning: {} of the removals {} not in the spec: a permission set deploy replaces the whole set.",
                s.destructive,
                if s.destructive == 1 { "is" } else { "are" }
            );
        }
    } else {
        out.push_str("No changes. The org matches the spec.\n");
    }
    if !p.manual_steps.is_empty() {
        let n = p.manual_steps.len();
        let _ = writeln!(
            out,
            "{n} manual step{} to confirm in Setup (sfprov cannot check {}).",
            if n == 1 { "" } else { "s" },
            if n == 1 { "it" } else { "them" }
        );
    }
    if hidden_total > 0 && !p.view.show_unmanaged {
        let _ = writeln!(
            out,
            "{hidden_total} profile {} only in the org left as {} (--show-unmanaged).",
            if hidden_total == 1 {
                "entry"
            } else {
                "entries"
            },
            if hidden_total == 1 {
                "it is"
            } else {
                "they are"
            }
        );
    }
    if p.has_errors() {
        out.push_str("The plan has errors: apply would stop before changing anything.\n");
    }
    out
}

/// The human view with ANSI colours: `+` green, `~` yellow, `-` red, headers
/// bold. The caller decides (a terminal, and no NO_COLOR).
pub fn colorize(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let code = match trimmed.chars().next() {
            Some('+') if !trimmed.starts_with("+++") => Some("32"),
            Some('-') if !trimmed.starts_with("---") => Some("31"),
            Some('~') => Some("33"),
            Some('#') if line.starts_with("  # ") => Some("1"),
            _ if line.starts_with("Plan: ") || line.starts_with("No changes.") => Some("1"),
            _ if trimmed.starts_with("error:") => Some("31;1"),
            _ => None,
        };
        match code {
            Some(c) => {
                let body = line.trim_end_matches('\n');
                out.push_str(&format!("\x1b[{c}m{body}\x1b[0m"));
                if line.ends_with('\n') {
                    out.push('\n');
                }
            }
            None => out.push_str(line),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::FieldChange;
    use crate::plan::{OrgRef, Requests, View, FORMAT_VERSION as PLAN_FORMAT};

    fn change(key: &str, action: Action, reason: &str) -> PlannedChange {
        PlannedChange {
            section: "fieldPermissions".into(),
            key: key.into(),
            action,
            fields: vec![FieldChange {
                name: "readable".into(),
                before: None,
                after: Some("true".into()),
            }],
            destructive: false,
            unmanaged: false,
            reason: Some(reason.into()),
            implied: false,
        }
    }

    fn plan(components: Vec<ComponentPlan>) -> Plan {
        Plan {
            format_version: PLAN_FORMAT,
            sfprov_version: "0.1.0".into(),
            spec: "sfprov.toml".into(),
            spec_digest: "0".repeat(64),
            org: OrgRef {
                label: "prod".into(),
                kind: "org".into(),
                org_id: Some("00D000000000001".into()),
                api_version: "63.0".into(),
            },
            view: View::default(),
            components,
            manual_steps: Vec::new(),
            app_access: Vec::new(),
            user: None,
            user_note: None,
            findings: Vec::new(),
            fingerprints: Default::default(),
            desired: Vec::new(),
            requests: Requests::default(),
        }
    }

    #[test]
    fn field_lines_with_the_same_reason_are_grouped_and_the_legend_lists_used_symbols() {
        let p = plan(vec![ComponentPlan {
            type_name: "PermissionSet".into(),
            member: "X".into(),
            action: ComponentAction::Update,
            changes: vec![
                change("Case.A", Action::Add, "sync"),
                change("Case.B", Action::Add, "sync"),
                change("Case.C", Action::Add, "other"),
            ],
            unified_diff: None,
        }]);
        let text = human(&p);
        assert!(
            text.contains("      + fieldPermissions Case.{A, B}: read  # sync\n"),
            "{text}"
        );
        assert!(
            text.contains("      + fieldPermissions Case.C: read  # other\n"),
            "{text}"
        );
        let page = |key: &str| PlannedChange {
            section: "pageAccesses".into(),
            key: key.into(),
            fields: Vec::new(),
            ..change(key, Action::Add, "the package")
        };
        let p = plan(vec![ComponentPlan {
            type_name: "PermissionSet".into(),
            member: "X".into(),
            action: ComponentAction::Update,
            changes: vec![page("Mine"), page("Zendesk__A"), page("Zendesk__B")],
            unified_diff: None,
        }]);
        let text = human(&p);
        assert!(
            text.contains("      + pageAccesses Mine  # the package\n      + pageAccesses Zendesk__{A, B}  # the package\n"),
            "{text}"
        );
        assert!(
            text.contains("  + add or create\n  ~ change in place\n"),
            "{text}"
        );
        assert!(!text.contains("  - remove"), "{text}");
        assert!(text.contains("# PermissionSet.X will be updated in-place"));
        assert!(
            text.ends_with("Plan: 3 to add, 0 to change, 0 to remove.\n"),
            "{text}"
        );
    }

    #[test]
    fn colour_marks_symbols_and_leaves_other_lines() {
        let text = "  # PermissionSet.X will be created\n  + PermissionSet X\n      - a\nUser: b\n";
        let c = colorize(text);
        assert!(c.contains("\x1b[32m  + PermissionSet X\x1b[0m\n"), "{c:?}");
        assert!(c.contains("\x1b[31m      - a\x1b[0m\n"), "{c:?}");
        assert!(c.ends_with("User: b\n"), "{c:?}");
    }

    #[test]
    fn an_empty_plan_says_no_changes_and_json_has_a_format_version() {
        let p = plan(Vec::new());
        let text = human(&p);
        assert!(
            text.ends_with("No changes. The org matches the spec.\n"),
            "{text}"
        );
        assert!(!text.contains("Symbols used"), "{text}");
        let v: serde_json::Value = serde_json::from_str(&json(&p)).unwrap();
        assert_eq!(v["format_version"], FORMAT_VERSION);
        assert_eq!(v["has_changes"], false);
    }
}
