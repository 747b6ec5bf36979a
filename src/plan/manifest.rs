//! The one retrieve a plan makes: every component of `Desired` plus every
//! object, field, page and class it grants access to, so the org's profiles
//! come back with those permissions complete (a retrieved Profile holds only
//! the permissions tied to components named in the same retrieve).
//! Owns: choosing the members. Does not: retrieve (see `org::read`).

use std::collections::BTreeSet;

use crate::generate::Component;
use crate::metadata::package;
use crate::metadata::Document;
use crate::spec::desired::{Access, Desired};

/// Salesforce's limit of members per retrieve.
pub const MAX_MEMBERS: usize = 10_000;

/// (type, member) pairs to retrieve, sorted and unique.
pub fn members(d: &Desired, components: &[Component]) -> Vec<(String, String)> {
    let mut out: BTreeSet<(String, String)> = BTreeSet::new();
    for c in components {
        out.insert((c.type_name.to_string(), c.member.clone()));
    }
    // Policies on apps sfprov does not create: retrieved to tell whether the
    // app is retrievable (an app installed by a managed package is not).
    for name in d.app_policies.keys() {
        out.insert(("ConnectedApp".into(), name.clone()));
    }
    let accesses = d.profiles.values().chain(d.permission_sets.values());
    for a in accesses {
        tied(a, &mut out);
    }
    out.into_iter().collect()
}

fn tied(a: &Access, out: &mut BTreeSet<(String, String)>) {
    for o in a.objects.keys() {
        out.insert(("CustomObject".into(), o.clone()));
    }
    for f in a.fields.keys() {
        if let Some((o, _)) = f.split_once('.') {
            out.insert(("CustomObject".into(), o.to_string()));
        }
        out.insert(("CustomField".into(), f.clone()));
    }
    for p in a.pages.keys() {
        out.insert(("ApexPage".into(), p.clone()));
    }
    for c in a.classes.keys() {
        out.insert(("ApexClass".into(), c.clone()));
    }
}

/// The package.xml of the retrieve.
pub fn manifest(members: &[(String, String)], api_version: &str) -> Document<'static> {
    package::manifest(
        members.iter().map(|(t, m)| (t.as_str(), m.as_str())),
        api_version,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zendesk_names_its_objects_fields_and_app() {
        let d = crate::spec::load_template("zendesk").unwrap().desired;
        let comps = crate::generate::documents(&d);
        let m = members(&d, &comps);
        let has = |t: &str, n: &str| m.contains(&(t.to_string(), n.to_string()));
        assert!(has("Profile", "Zendesk Integration"));
        assert!(has("PermissionSet", "Zendesk_Integration"));
        assert!(has("Settings", "Security"));
        assert!(has("Settings", "Event"));
        assert!(has("ConnectedApp", "Zendesk"));
        assert!(has("CustomObject", "Case"));
        assert!(has("CustomObject", "PushTopic"));
        assert!(has("CustomField", "Case.Subject"));
        assert!(has("CustomField", "Opportunity.AccountId"));
    }
}
