//! The least-privilege proposal of `sfprov audit --fix`: the spec that gives
//! the audited user exactly what its integration needs, ready for `plan`.
//! It is the compared spec (a template reference, or the spec file with its
//! comments kept) plus: the user's identity, `replaces_profile` when the
//! user moves to the spec's profile, and explicit revocations for excess in
//! a profile the spec manages (profile deploys overlay: what the file does
//! not mention stays). Permission sets need nothing: their deploys replace,
//! and plan removes the assignments the spec does not list.
//! Owns: `propose`. Does not: write files, or plan.

use toml_edit::{value, DocumentMut, InlineTable, Item, Table};

use super::Audit;
use crate::spec::desired::Desired;

/// Why every revocation is there.
const WHY: &str = "least privilege (sfprov audit): the integration does not need it";

/// The proposal: the spec text and what it changes, one line each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub text: String,
    pub changes: Vec<String>,
    /// A new user the spec creates, when the audited one cannot move to the
    /// spec's license (Salesforce refuses a license change to or from a
    /// limited license such as Salesforce Integration).
    pub new_user: Option<String>,
    /// Excess the spec cannot take away (a profile it does not manage).
    pub left: Vec<String>,
}

/// The spec the fix starts from.
pub enum Base<'a> {
    /// A built-in template, by name.
    Template(&'a str),
    /// A spec file's text (kept, comments and all).
    Spec { name: &'a str, text: &'a str },
}

/// The table `key` of `parent`, made when missing; an inline table becomes
/// a table with the same entries. `None` when `key` holds something else (a
/// value, such as `pages = { namespace = … }`): nothing is overwritten.
fn table<'d>(parent: &'d mut Table, key: &str) -> Option<&'d mut Table> {
    let item = parent.entry(key).or_insert_with(|| {
        let mut t = Table::new();
        t.set_implicit(true);
        Item::Table(t)
    });
    if let Some(inline) = item.as_inline_table() {
        let t = inline.clone().into_table();
        *item = Item::Table(t);
    }
    item.as_table_mut()
}

fn revoke(access: Option<&str>) -> InlineTable {
    let mut t = InlineTable::new();
    match access {
        None => {
            t.insert("enabled", false.into());
        }
        Some(a) => {
            t.insert("access", a.into());
        }
    }
    t.insert("why", WHY.into());
    t
}

/// Proposes the least-privilege spec for the audited user. `desired` is the
/// spec the audit compared with.
pub fn propose(audit: &Audit, desired: &Desired, base: Base<'_>) -> Result<Proposal, String> {
    let (mut doc, origin) = match base {
        Base::Template(t) => (
            format!("template = \"{t}\"\n")
                .parse::<DocumentMut>()
                .map_err(|e| e.to_string())?,
            format!("template {t}"),
        ),
        Base::Spec { name, text } => (
            text.parse::<DocumentMut>()
                .map_err(|e| format!("{name}: {e}"))?,
            name.to_string(),
        ),
    };
    let u = &audit.user;
    let mut changes = Vec::new();
    let mut left = Vec::new();
    let spec_user = desired.user.clone().unwrap_or_default();
    let new_user = match (spec_user.license.as_deref(), u.license.as_deref()) {
        (Some(want), Some(have)) if !crate::catalog::licenses::convertible(have, want) => {
            Some(new_username(&u.username))
        }
        _ => None,
    };
    {
        let user = table(doc.as_table_mut(), "user").ok_or("the spec's `user` is not a table")?;
        user.set_implicit(false);
        user.insert(
            "username",
            value(new_user.as_deref().unwrap_or(&u.username)),
        );
        let fields = [
            ("email", &u.email),
            ("first_name", &u.first_name),
            ("last_name", &u.last_name),
            ("alias", &u.alias),
            ("time_zone", &u.time_zone),
            ("locale", &u.locale),
            ("language", &u.language),
            ("email_encoding", &u.email_encoding),
        ];
        // The user as it is, where the spec does not say otherwise.
        for (key, v) in fields {
            if let (false, Some(v)) = (user.contains_key(key), v) {
                user.insert(key, value(v));
            }
        }
        // A spec without [user] gives the user every permission set it has.
        if desired.user.is_none() && !user.contains_key("permission_sets") {
            let mut sets = toml_edit::Array::new();
            for ps in desired.permission_sets.keys() {
                sets.push(ps.as_str());
            }
            user.insert("permission_sets", value(sets));
        }
        if let (Some(n), Some(want), Some(have)) = (&new_user, &spec_user.license, &u.license) {
            changes.push(format!(
                "creates the user `{n}` on the `{want}` license: Salesforce does not change an existing user's license from `{have}` to `{want}`"
            ));
            changes.push(format!(
                "once the integration connects as `{n}`, deactivate `{}` (Setup > Users)",
                u.username
            ));
        } else if let Some(p) = spec_user.profile.as_deref() {
            if !p.eq_ignore_ascii_case(&u.profile) {
                user.insert("replaces_profile", value(&u.profile));
                changes.push(format!(
                    "moves the user from profile `{}` to `{p}`",
                    u.profile
                ));
            }
        }
    }
    let removed: Vec<&String> = u
        .permission_sets
        .iter()
        .filter(|p| !spec_user.permission_sets.contains(p) && new_user.is_none())
        .collect();
    // Another integration's permission set: removing it stops that one.
    for ps in &removed {
        for t in crate::templates::all() {
            let theirs = crate::spec::load_template(t.name)
                .map(|l| l.desired.permission_sets.contains_key(*ps))
                .unwrap_or(false);
            if theirs && !desired.permission_sets.contains_key(*ps) {
                changes.push(format!(
                    "WARNING: `{ps}` is template {}'s: that integration stops working on this user; give it its own user first (`sfprov init --template {}`)",
                    t.name, t.name
                ));
            }
        }
    }
    if !removed.is_empty() {
        let names: Vec<String> = removed.iter().map(|p| format!("`{p}`")).collect();
        changes.push(format!(
            "removes permission set{} {}",
            if removed.len() == 1 { "" } else { "s" },
            names.join(", ")
        ));
    }
    if !u.permission_set_groups.is_empty() && new_user.is_none() {
        let names: Vec<String> = u
            .permission_set_groups
            .iter()
            .map(|g| format!("`{g}`"))
            .collect();
        changes.push(format!(
            "removes permission set group{} {}",
            if names.len() == 1 { "" } else { "s" },
            names.join(", ")
        ));
    }
    for ps in &spec_user.permission_sets {
        if !u.permission_sets.contains(ps) && new_user.is_none() {
            changes.push(format!("assigns permission set `{ps}`"));
        }
    }
    // Excess in the profile the spec manages, when the user stays on it.
    let managed = spec_user
        .profile
        .as_deref()
        .filter(|p| p.eq_ignore_ascii_case(&u.profile) && new_user.is_none())
        .and_then(|p| desired.profiles.get_key_value(p));
    let mut revoked = 0;
    for x in audit.excess.iter().filter(|x| x.source.kind == "profile") {
        let Some((name, access)) = managed else {
            // Moving to the spec's profile (or a new user) leaves this
            // profile behind; staying on one the spec does not manage
            // leaves its excess in place.
            let stays = new_user.is_none()
                && spec_user
                    .profile
                    .as_deref()
                    .is_none_or(|p| p.eq_ignore_ascii_case(&u.profile));
            if stays {
                left.push(format!(
                    "{} {} ({}) in profile `{}`, which the spec does not manage",
                    x.kind, x.name, x.access, u.profile
                ));
            }
            continue;
        };
        let entry = match x.kind {
            "system" => Some(("system", revoke(None))),
            // Entries the spec's profile has are deployed whole (every flag).
            "object" if !access.objects.contains_key(&x.name) => {
                Some(("objects", revoke(Some("none"))))
            }
            "field" if !access.fields.contains_key(&x.name) => {
                Some(("fields", revoke(Some("none"))))
            }
            "page" if access.page_namespaces.is_empty() => Some(("pages", revoke(None))),
            "class" => Some(("classes", revoke(None))),
            _ => None,
        };
        let section = entry.and_then(|(section, t)| {
            let profiles = table(doc.as_table_mut(), "profiles")?;
            let sect = table(table(profiles, name)?, section)?;
            sect.set_dotted(true);
            sect.insert(&x.name, Item::Value(t.into()));
            Some(())
        });
        match section {
            Some(()) => revoked += 1,
            None => left.push(format!(
                "{} {} ({}) in profile `{}`: the spec cannot revoke it here; revoke it in Setup",
                x.kind, x.name, x.access, u.profile
            )),
        }
    }
    if revoked > 0 {
        changes.push(format!(
            "revokes {revoked} grant{} in profile `{}`",
            if revoked == 1 { "" } else { "s" },
            u.profile
        ));
    }
    // Names from the org go into comments: no line breaks or controls.
    let clean = |t: &str| t.chars().filter(|c| !c.is_control()).collect::<String>();
    let header = format!(
        "# Least-privilege spec for {} (org `{}`), written by `sfprov audit --fix`\n# from {}. Review it, then run `sfprov plan` and `sfprov apply` with it.\n",
        clean(&u.username),
        clean(&audit.org.label),
        clean(&origin)
    );
    let text = format!("{header}{doc}");
    Ok(Proposal {
        text,
        changes,
        new_user,
        left,
    })
}

/// `classy.sync@acme.example` -> `classy.sync.integration@acme.example`.
fn new_username(old: &str) -> String {
    match old.split_once('@') {
        Some((local, domain)) => format!("{local}.integration@{domain}"),
        None => format!("{old}.integration"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_full_licenses_convert() {
        use crate::catalog::licenses::convertible;
        assert!(convertible("Salesforce", "Salesforce Platform"));
        assert!(convertible("Salesforce", "Salesforce"));
        assert!(!convertible("Salesforce", "Salesforce Integration"));
        assert!(!convertible("Salesforce Integration", "Salesforce"));
        assert_eq!(new_username("a.b@x.example"), "a.b.integration@x.example");
    }
}
