//! What a profile deploy must send to take access back: a profile deploy
//! overlays, so an entry left out is kept; each access entry the org has and
//! the snapshot lacks goes out with its flags `false`.

use crate::diff;
use crate::metadata::{self, canon, schema, Content, Element};

/// An entry with every `true` flag turned `false`; `None` when it grants
/// nothing (nothing to take back).
fn revoked(e: &Element<'_>) -> Option<Element<'static>> {
    let mut out = e.clone().into_owned();
    let mut any = false;
    if let Content::Children(children) = &mut out.content {
        for c in children.iter_mut() {
            if c.text_value() == Some("true") {
                *c = Element::boolean(c.name.to_string(), false);
                any = true;
            }
        }
    }
    any.then_some(out)
}

/// The profile to deploy: the snapshot's, plus an explicit `false` for each
/// access entry the org has now and the snapshot lacks (a profile deploy
/// overlays, so leaving an entry out would keep it).
pub(super) fn profile_rollback(snapshot: &str, current: &str) -> Option<String> {
    let mut snap = metadata::parse(snapshot).ok()?.into_owned();
    let cur = metadata::parse(current).ok()?;
    let ty = schema::type_named(canon::local_name(&snap.root.name));
    let mut extra = Vec::new();
    for e in cur.root.children() {
        // Only repeated entries with a schema (access entries) are taken back.
        let Some(ty) = ty.filter(|t| t.child_type(&e.name).is_some()) else {
            continue;
        };
        let known = snap.root.children().iter().any(|s| {
            s.name == e.name && canon::compare_entries(ty, s, e) == std::cmp::Ordering::Equal
        });
        if !known {
            extra.extend(revoked(e));
        }
    }
    snap.root.children_mut().extend(extra);
    Some(String::from_utf8_lossy(&metadata::to_canonical_bytes(&mut snap)).into_owned())
}

/// A single value (`description`) apply set where the snapshot has none: a
/// profile deploy overlays, so it cannot clear it (listed, not verified).
pub(super) fn uncleared(c: &diff::Change) -> bool {
    c.action == diff::Action::Add && c.key.is_empty()
}

#[cfg(test)]
mod tests {
    use super::profile_rollback;

    const NS: &str = "xmlns=\"http://soap.sforce.com/2006/04/metadata\"";

    fn perm(name: &str, on: bool) -> String {
        format!("<userPermissions><enabled>{on}</enabled><name>{name}</name></userPermissions>")
    }

    #[test]
    fn a_profile_gets_explicit_false_for_access_the_snapshot_lacks() {
        let snap = format!(
            "<Profile {NS}><custom>true</custom>{}</Profile>",
            perm("ViewSetup", true)
        );
        let now = format!(
            "<Profile {NS}><custom>true</custom>{}{}{}<fieldPermissions><editable>true</editable><field>Case.Subject</field><readable>true</readable></fieldPermissions></Profile>",
            perm("ApiEnabled", true),
            perm("ViewSetup", false),
            perm("ApiUserOnly", false),
        );
        let out = profile_rollback(&snap, &now).unwrap();
        // Taken back: the flag and the field apply enabled.
        assert!(
            out.contains("<enabled>false</enabled>\n        <name>ApiEnabled</name>"),
            "{out}"
        );
        assert!(out.contains("<editable>false</editable>\n        <field>Case.Subject</field>\n        <readable>false</readable>"), "{out}");
        // The snapshot's own entry wins; an entry granting nothing is not sent.
        assert!(
            out.contains("<enabled>true</enabled>\n        <name>ViewSetup</name>"),
            "{out}"
        );
        assert!(!out.contains("ApiUserOnly"), "{out}");
    }
}
