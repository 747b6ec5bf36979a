//! The audit's views: text for a terminal (findings first, riskiest first,
//! low-risk grants counted rather than listed unless asked) and the JSON
//! document (the `Audit` value, every finding).
//! Owns: wording and layout. Does not: decide what is excess or missing.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::audit::{Audit, Excess, Risk, Source};

/// The JSON view: one document with `format_version`.
pub fn json(a: &Audit) -> String {
    let mut s = serde_json::to_string_pretty(a).expect("an audit serializes");
    s.push('\n');
    s
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The text view; `all` lists low-risk grants one by one too.
pub fn human(a: &Audit, all: bool) -> String {
    let mut out = String::new();
    let u = &a.user;
    let _ = writeln!(
        out,
        "Audit of {} in org `{}`{}",
        u.username,
        a.org.label,
        a.org
            .org_id
            .as_deref()
            .map(|i| format!(" ({i})"))
            .unwrap_or_default()
    );
    let sets = if u.permission_sets.is_empty() {
        "no permission sets".to_string()
    } else {
        format!(
            "permission sets {}",
            u.permission_sets
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let groups: Vec<String> = u
        .permission_set_groups
        .iter()
        .map(|g| format!("`{g}`"))
        .collect();
    let sets = if groups.is_empty() {
        sets
    } else {
        format!(
            "{sets}, permission set group{} {}",
            if groups.len() == 1 { "" } else { "s" },
            groups.join(", ")
        )
    };
    let _ = writeln!(
        out,
        "  profile `{}`{}, {sets}",
        u.profile,
        u.license
            .as_deref()
            .map(|l| format!(" ({l} license)"))
            .unwrap_or_default()
    );
    let _ = writeln!(out, "  compared with {}", a.compared_with.spec);
    if let Some(why) = &a.compared_with.chosen_because {
        let _ = writeln!(out, "  ({why})");
    }

    if !a.excess.is_empty() {
        let _ = writeln!(
            out,
            "\nExcess: {} the integration does not need",
            plural(a.excess.len(), "grant", "grants")
        );
        let mut by_source: BTreeMap<&Source, Vec<&Excess>> = BTreeMap::new();
        for x in &a.excess {
            by_source.entry(&x.source).or_default().push(x);
        }
        // The profile first, then permission sets, as `sources` lists them.
        let mut order: Vec<&Source> = by_source.keys().copied().collect();
        order.sort_by_key(|s| a.sources.iter().position(|x| x == *s));
        for src in order {
            let xs = &by_source[src];
            let _ = writeln!(out, "  from {src}:");
            let mut low: BTreeMap<&str, usize> = BTreeMap::new();
            for x in xs {
                if x.risk == Risk::Low && !all {
                    *low.entry(x.kind).or_default() += 1;
                    continue;
                }
                let what = match x.kind {
                    "system" => x.name.clone(),
                    "object" => format!("{}: {}", x.name, x.access),
                    "field" => format!("{} ({})", x.name, x.access),
                    kind => format!("{kind} {}", x.name),
                };
                let _ = writeln!(out, "    {:<8}  {what}: {}", x.risk.label(), x.consequence);
            }
            if !low.is_empty() {
                let parts: Vec<String> = low
                    .iter()
                    .map(|(k, n)| match *k {
                        "system" => plural(*n, "system permission", "system permissions"),
                        "object" => plural(*n, "object", "objects"),
                        "field" => plural(*n, "field", "fields"),
                        "page" => plural(*n, "page", "pages"),
                        "class" => plural(*n, "Apex class", "Apex classes"),
                        other => plural(*n, other, other),
                    })
                    .collect();
                let _ = writeln!(
                    out,
                    "    low       and {} (`--all` or `--json` lists them)",
                    parts.join(", ")
                );
            }
        }
    }
    if !a.missing.is_empty() {
        let _ = writeln!(
            out,
            "\nMissing: {} the integration needs",
            plural(a.missing.len(), "grant", "grants")
        );
        for m in &a.missing {
            let what = match (m.kind, m.access.as_str()) {
                ("system", "disabled") => format!("{} must be off", m.name),
                ("system", _) => m.name.clone(),
                ("object", acc) => format!("{}: {acc}", m.name),
                ("field", acc) => format!("{} ({acc})", m.name),
                (kind, _) => format!("{kind} {}", m.name),
            };
            let implied = if m.implied { " [implied]" } else { "" };
            let _ = writeln!(out, "  {what}: {}{implied}", m.why);
            let _ = writeln!(out, "    granted by {} in the spec", m.granted_by);
        }
    }
    if !a.hygiene.is_empty() {
        let _ = writeln!(
            out,
            "\nHygiene: {}",
            plural(a.hygiene.len(), "finding", "findings")
        );
        for h in &a.hygiene {
            let _ = writeln!(out, "  {}", h.message);
            let _ = writeln!(out, "    hint: {}", h.hint);
        }
    }
    if !a.advisories.is_empty() {
        let _ = writeln!(out, "\nNotes (not findings):");
        for n in &a.advisories {
            let _ = writeln!(out, "  {}", n.message);
            if let Some(h) = &n.hint {
                let _ = writeln!(out, "    hint: {h}");
            }
        }
    }
    out.push('\n');
    if a.has_findings() {
        let _ = writeln!(
            out,
            "Audit: {} excess, {} missing, {}. `sfprov audit --user {} --fix -d DIR` writes the least-privilege spec.",
            a.excess.len(),
            a.missing.len(),
            plural(a.hygiene.len(), "hygiene finding", "hygiene findings"),
            u.username
        );
    } else {
        let _ = writeln!(
            out,
            "Audit: no findings: {} holds no excess, lacks nothing and has no hygiene finding against {}.",
            u.username, a.compared_with.spec
        );
    }
    out
}
