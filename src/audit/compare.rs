//! Comparing a user's effective access with what a spec needs: excess
//! (held, not needed; by source, ranked by risk) and missing (needed, not
//! held; with the vendor's reason). What the spec needs comes from the same
//! documents `generate` writes for the user's profile and permission sets,
//! implied grants included. Owns: `Needs`, `excess`, `missing`.
//! Does not: read the org (see `access`) or judge hygiene (see `hygiene`).

use std::collections::BTreeMap;

use serde::Serialize;

use super::access::{Effective, Source, OBJECT_FLAGS};
use super::risk::{self, Risk};
use crate::generate;
use crate::metadata::Element;
use crate::spec::desired::Desired;

/// Why the spec needs a grant, and where it grants it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub why: String,
    pub implied: bool,
    /// `permission set `Zendesk_Integration``.
    pub granted_by: String,
}

/// Every grant the spec gives the user, and what it takes away.
#[derive(Debug, Clone, Default)]
pub struct Needs {
    pub system: BTreeMap<String, Need>,
    /// Permissions the spec switches off (`enabled = false`).
    pub revoked: BTreeMap<String, Need>,
    pub objects: BTreeMap<(String, &'static str), Need>,
    pub fields: BTreeMap<(String, &'static str), Need>,
    pub pages: BTreeMap<String, Need>,
    pub classes: BTreeMap<String, Need>,
    /// Connected apps the spec opens to the user.
    pub apps: BTreeMap<String, Need>,
}

/// One grant the user holds and the spec does not need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Excess {
    pub source: Source,
    pub risk: Risk,
    /// `system`, `object`, `field`, `page`, `class`, `app`.
    pub kind: &'static str,
    pub name: String,
    /// `enabled`, `View All, Modify All`, `read`, `edit`.
    pub access: String,
    pub consequence: String,
}

/// One grant the spec needs and the user lacks (or holds against the spec).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Missing {
    pub kind: &'static str,
    pub name: String,
    /// `enabled`, `disabled` (the user must not have it), `Read`, `edit`.
    pub access: String,
    pub why: String,
    pub implied: bool,
    pub granted_by: String,
}

fn on(e: &Element<'_>, name: &str) -> bool {
    e.child_text(name) == Some("true")
}

/// What `desired` gives the user: its profile (when the spec manages it)
/// and its permission sets (all of them when the spec has no `[user]`).
pub fn needs(desired: &Desired) -> Needs {
    let user = desired.user.as_ref();
    let wanted = |ty: &str, member: &str| match (ty, user) {
        (_, None) => true,
        ("Profile", Some(u)) => u.profile.as_deref() == Some(member),
        ("PermissionSet", Some(u)) => u.permission_sets.iter().any(|p| p == member),
        _ => false,
    };
    let mut n = Needs::default();
    for c in generate::documents(desired) {
        if !wanted(c.type_name, &c.member) {
            continue;
        }
        let holder = match c.type_name {
            "Profile" => format!("profile `{}`", c.member),
            _ => format!("permission set `{}`", c.member),
        };
        let need = |section: &str, key: &str| {
            let why = c.reasons.get(&(section.to_string(), key.to_string()));
            Need {
                why: why.map(|w| w.text.clone()).unwrap_or_default(),
                implied: why.is_some_and(|w| w.implied),
                granted_by: holder.clone(),
            }
        };
        for e in c.document.root.children() {
            match e.name.as_ref() {
                "userPermissions" => {
                    let Some(name) = e.child_text("name") else {
                        continue;
                    };
                    let map = if on(e, "enabled") {
                        &mut n.system
                    } else {
                        &mut n.revoked
                    };
                    map.insert(name.to_string(), need("userPermissions", name));
                }
                "objectPermissions" => {
                    let Some(o) = e.child_text("object") else {
                        continue;
                    };
                    for (f, _) in OBJECT_FLAGS {
                        if on(e, f) {
                            n.objects
                                .insert((o.to_string(), *f), need("objectPermissions", o));
                        }
                    }
                }
                "fieldPermissions" => {
                    let Some(field) = e.child_text("field") else {
                        continue;
                    };
                    for (f, level) in [("readable", "read"), ("editable", "edit")] {
                        if on(e, f) {
                            n.fields.insert(
                                (field.to_string(), level),
                                need("fieldPermissions", field),
                            );
                        }
                    }
                }
                "pageAccesses" if on(e, "enabled") => {
                    if let Some(p) = e.child_text("apexPage") {
                        n.pages.insert(p.to_string(), need("pageAccesses", p));
                    }
                }
                "classAccesses" if on(e, "enabled") => {
                    if let Some(p) = e.child_text("apexClass") {
                        n.classes.insert(p.to_string(), need("classAccesses", p));
                    }
                }
                _ => {}
            }
        }
    }
    for (app, policy) in &desired.app_policies {
        n.apps.insert(
            app.clone(),
            Need {
                why: policy.why.clone().unwrap_or_default(),
                implied: false,
                granted_by: format!("connected app `{app}` policy"),
            },
        );
    }
    n
}

fn flag_label(flag: &str) -> &'static str {
    OBJECT_FLAGS
        .iter()
        .find(|(f, _)| *f == flag)
        .map_or("?", |(_, l)| l)
}

/// Access the user holds that `needs` does not, by source, riskiest first.
pub fn excess(eff: &Effective, needs: &Needs) -> Vec<Excess> {
    let mut out = Vec::new();
    for (perm, srcs) in &eff.system {
        if needs.system.contains_key(perm)
            || risk::RESTRICTIVE.contains(&perm.as_str())
            || risk::BASELINE.contains(&perm.as_str())
        {
            continue;
        }
        let (r, consequence) = risk::system(perm);
        for &s in srcs {
            out.push(Excess {
                source: eff.sources[s].clone(),
                risk: r,
                kind: "system",
                name: perm.clone(),
                access: "enabled".into(),
                consequence: consequence.clone(),
            });
        }
    }
    // Object flags grouped per (source, object).
    let mut objects: BTreeMap<(usize, &str), Vec<&str>> = BTreeMap::new();
    for ((object, flag), srcs) in &eff.objects {
        if needs.objects.contains_key(&(object.clone(), *flag)) {
            continue;
        }
        for &s in srcs {
            objects
                .entry((s, object))
                .or_default()
                .push(flag_label(flag));
        }
    }
    for ((s, object), mut flags) in objects {
        flags.sort_by_key(|l| OBJECT_FLAGS.iter().position(|(_, x)| x == l));
        let (r, consequence) = risk::object(object, &flags);
        out.push(Excess {
            source: eff.sources[s].clone(),
            risk: r,
            kind: "object",
            name: object.to_string(),
            access: flags.join(", "),
            consequence,
        });
    }
    // Fields: each source's highest level (edit includes read) against the
    // spec's.
    let names: std::collections::BTreeSet<&String> = eff.fields.keys().map(|(f, _)| f).collect();
    for field in names {
        let need_edit = needs.fields.contains_key(&(field.clone(), "edit"));
        let need_read = need_edit || needs.fields.contains_key(&(field.clone(), "read"));
        let at = |level| eff.fields.get(&(field.clone(), level));
        let mut srcs: std::collections::BTreeSet<usize> = at("read").cloned().unwrap_or_default();
        srcs.extend(at("edit").into_iter().flatten());
        for s in srcs {
            let edit = at("edit").is_some_and(|e| e.contains(&s));
            if (edit && need_edit) || (!edit && need_read) {
                continue;
            }
            let (r, consequence) = risk::field(field, edit);
            out.push(Excess {
                source: eff.sources[s].clone(),
                risk: r,
                kind: "field",
                name: field.clone(),
                access: if edit { "edit" } else { "read" }.into(),
                consequence,
            });
        }
    }
    for (kind, held, needed) in [
        ("page", &eff.pages, &needs.pages),
        ("class", &eff.classes, &needs.classes),
    ] {
        for (name, srcs) in held {
            if needed.contains_key(name) {
                continue;
            }
            for &s in srcs {
                out.push(Excess {
                    source: eff.sources[s].clone(),
                    risk: Risk::Low,
                    kind,
                    name: name.clone(),
                    access: "enabled".into(),
                    consequence: format!(
                        "runs the {} `{name}`",
                        if kind == "page" {
                            "Visualforce page"
                        } else {
                            "Apex class"
                        }
                    ),
                });
            }
        }
    }
    for (app, srcs) in &eff.apps {
        if needs.apps.contains_key(app) {
            continue;
        }
        for &s in srcs {
            out.push(Excess {
                source: eff.sources[s].clone(),
                risk: Risk::Medium,
                kind: "app",
                name: app.clone(),
                access: "enabled".into(),
                consequence: format!("authorizes the connected app `{app}` as this user"),
            });
        }
    }
    // The profile first, then permission sets by name; riskiest first.
    let key = |x: &Excess| {
        (
            x.source.kind != "profile",
            x.source.name.clone(),
            x.risk,
            x.kind,
            x.name.clone(),
        )
    };
    out.sort_by_key(key);
    out
}

/// What `needs` grants that the user lacks, and what it revokes that the
/// user holds.
pub fn missing(eff: &Effective, needs: &Needs) -> Vec<Missing> {
    let mk = |kind, name: &str, access: &str, n: &Need| Missing {
        kind,
        name: name.to_string(),
        access: access.to_string(),
        why: n.why.clone(),
        implied: n.implied,
        granted_by: n.granted_by.clone(),
    };
    let mut out = Vec::new();
    for (perm, n) in &needs.system {
        if !eff.has_system(perm) {
            out.push(mk("system", perm, "enabled", n));
        }
    }
    for (perm, n) in &needs.revoked {
        if eff.has_system(perm) {
            out.push(mk("system", perm, "disabled", n));
        }
    }
    let mut objects: BTreeMap<&str, (Vec<&str>, &Need)> = BTreeMap::new();
    for ((object, flag), n) in &needs.objects {
        if !eff.objects.contains_key(&(object.clone(), *flag)) {
            objects
                .entry(object)
                .or_insert((Vec::new(), n))
                .0
                .push(flag_label(flag));
        }
    }
    for (object, (mut flags, n)) in objects {
        flags.sort_by_key(|l| OBJECT_FLAGS.iter().position(|(_, x)| x == l));
        out.push(mk("object", object, &flags.join(", "), n));
    }
    for ((field, level), n) in &needs.fields {
        let object = field.split_once('.').map_or("", |(o, _)| o);
        let held = eff.fields.contains_key(&(field.clone(), *level))
            || (*level == "read" && eff.fields.contains_key(&(field.clone(), "edit")))
            || (*level == "read"
                && eff
                    .objects
                    .contains_key(&(object.to_string(), "viewAllFields")));
        // A read the spec also asks to edit is reported once, as edit.
        let reported_as_edit =
            *level == "read" && needs.fields.contains_key(&(field.clone(), "edit"));
        if !held && !reported_as_edit {
            out.push(mk("field", field, level, n));
        }
    }
    for (kind, needed, held) in [
        ("page", &needs.pages, &eff.pages),
        ("class", &needs.classes, &eff.classes),
    ] {
        for (name, n) in needed {
            if !held.contains_key(name) {
                out.push(mk(kind, name, "enabled", n));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn eff() -> Effective {
        let mut e = Effective {
            sources: vec![
                Source {
                    kind: "profile",
                    name: "P".into(),
                },
                Source {
                    kind: "permission set",
                    name: "S".into(),
                },
            ],
            ..Effective::default()
        };
        let one = |i: usize| BTreeSet::from([i]);
        e.system.insert("ApiEnabled".into(), one(1));
        e.system.insert("ModifyAllData".into(), one(0));
        e.system.insert("ChatterInternalUser".into(), one(0));
        e.system.insert("ApiUserOnly".into(), one(0));
        e.objects.insert(("Case".into(), "allowRead"), one(1));
        e.objects.insert(("Case".into(), "viewAllRecords"), one(1));
        e.fields.insert(("Case.Subject".into(), "read"), one(0));
        e.fields.insert(("Case.Subject".into(), "edit"), one(0));
        e
    }

    fn need() -> Need {
        Need {
            why: "because".into(),
            implied: false,
            granted_by: "permission set `S`".into(),
        }
    }

    #[test]
    fn excess_skips_needs_baseline_and_restrictions_and_groups_object_flags() {
        let mut n = Needs::default();
        n.system.insert("ApiEnabled".into(), need());
        n.objects.insert(("Case".into(), "allowRead"), need());
        n.fields.insert(("Case.Subject".into(), "read"), need());
        let x = excess(&eff(), &n);
        let names: Vec<_> = x
            .iter()
            .map(|e| (e.kind, e.name.as_str(), e.access.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("system", "ModifyAllData", "enabled"),
                ("field", "Case.Subject", "edit"),
                ("object", "Case", "View All"),
            ]
        );
        assert_eq!(x[0].risk, Risk::Critical);
        assert_eq!(x[2].source.name, "S");
    }

    #[test]
    fn missing_names_what_is_lacking_and_what_must_go() {
        let mut n = Needs::default();
        n.system.insert("ModifyMetadata".into(), need());
        n.revoked.insert("ApiUserOnly".into(), need());
        n.objects.insert(("Case".into(), "allowCreate"), need());
        n.objects.insert(("Case".into(), "allowEdit"), need());
        n.fields.insert(("Case.Subject".into(), "read"), need());
        n.fields.insert(("Case.Origin".into(), "edit"), need());
        let m = missing(&eff(), &n);
        let got: Vec<_> = m
            .iter()
            .map(|e| (e.kind, e.name.as_str(), e.access.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("system", "ModifyMetadata", "enabled"),
                ("system", "ApiUserOnly", "disabled"),
                ("object", "Case", "Create, Edit"),
                ("field", "Case.Origin", "edit"),
            ]
        );
    }
}
