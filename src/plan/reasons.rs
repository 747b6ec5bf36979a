//! The reason of every entry a plan shows, taken from `Desired`.
//! Owns: the side map (type, member, section, key) -> `Why`, since the
//! metadata documents the builder makes carry no reasons, plus a reason per
//! component (an app's policy `why`).
//! Does not: build documents (see `generate::documents`) or compare them.

use std::collections::HashMap;

use crate::spec::desired::{Access, Desired, Why};

/// Reasons by entry, and by component for entries without their own.
#[derive(Debug, Default)]
pub struct Reasons {
    entries: HashMap<(String, String, String, String), Why>,
    components: HashMap<(String, String), Why>,
}

impl Reasons {
    pub fn from_desired(d: &Desired) -> Reasons {
        let mut r = Reasons::default();
        for (name, a) in &d.profiles {
            r.access("Profile", name, a);
        }
        for (name, a) in &d.permission_sets {
            r.access("PermissionSet", name, a);
        }
        let settings = [
            ("Event", "enableStreamingApi", &d.settings.streaming_api),
            (
                "Security",
                "sessionSettings.lockSessionsToIp",
                &d.settings.lock_sessions_to_ip,
            ),
            (
                "Security",
                "sessionSettings.lockSessionsToDomain",
                &d.settings.lock_sessions_to_domain,
            ),
        ];
        for (member, section, value) in settings {
            if let Some((_, why)) = value {
                r.insert("Settings", member, section, "", why.clone());
            }
        }
        for (name, app) in &d.connected_apps {
            if let Some(w) = &app.policy.why {
                r.components
                    .insert(("ConnectedApp".into(), name.clone()), Why::spec(w.clone()));
            }
        }
        for (name, app) in &d.external_client_apps {
            if let Some(w) = &app.policy.why {
                for (ty, member) in [
                    ("ExternalClientApplication", name.clone()),
                    ("ExtlClntAppOauthSettings", format!("{name}_oauth")),
                    (
                        "ExtlClntAppGlobalOauthSettings",
                        format!("{name}_glbloauth"),
                    ),
                    (
                        "ExtlClntAppOauthConfigurablePolicies",
                        format!("{name}_oauthPlcy"),
                    ),
                ] {
                    r.components
                        .insert((ty.into(), member), Why::spec(w.clone()));
                }
            }
        }
        r
    }

    fn insert(&mut self, ty: &str, member: &str, section: &str, key: &str, why: Why) {
        self.entries
            .insert((ty.into(), member.into(), section.into(), key.into()), why);
    }

    fn access(&mut self, ty: &str, member: &str, a: &Access) {
        for (k, g) in &a.system {
            self.insert(ty, member, "userPermissions", k, g.why.clone());
        }
        for (k, o) in &a.objects {
            self.insert(ty, member, "objectPermissions", k, o.why.clone());
        }
        for (k, f) in &a.fields {
            self.insert(ty, member, "fieldPermissions", k, f.why.clone());
        }
        for (k, g) in &a.pages {
            self.insert(ty, member, "pageAccesses", k, g.why.clone());
        }
        for (k, g) in &a.classes {
            self.insert(ty, member, "classAccesses", k, g.why.clone());
        }
    }

    /// The reason of one entry: its own, else its component's.
    pub fn get(&self, ty: &str, member: &str, section: &str, key: &str) -> Option<&Why> {
        self.entries
            .get(&(ty.into(), member.into(), section.into(), key.into()))
            .or_else(|| self.components.get(&(ty.into(), member.into())))
            .filter(|w| !w.text.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_zendesk_grant_has_its_reason() {
        let d = crate::spec::load_template("zendesk").unwrap().desired;
        let r = Reasons::from_desired(&d);
        let why = r
            .get(
                "PermissionSet",
                "Zendesk_Integration",
                "fieldPermissions",
                "Case.Subject",
            )
            .unwrap();
        assert_eq!(why.text, "Ticket-to-case sync writes the ticket subject");
        assert!(r
            .get(
                "Settings",
                "Security",
                "sessionSettings.lockSessionsToIp",
                ""
            )
            .is_some());
        assert!(r
            .get(
                "PermissionSet",
                "Zendesk_Integration",
                "userPermissions",
                "Nope"
            )
            .is_none());
    }
}
