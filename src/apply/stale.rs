//! Whether a saved plan still describes the org: every fingerprint of a
//! component or row the plan read must match a fresh read, no row may have
//! appeared, the spec must be the one the plan was made from, and the org
//! the same. Terraform refuses a stale saved plan the same way.
//! Owns: the comparison and the `Saved plan is stale` error.
//! Does not: read the org (the caller makes the fresh plan).

use crate::plan::Plan;

/// One reason a saved plan is stale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// A component or row whose fingerprint changed (`Profile/X`, `User/u@x`).
    Changed(String),
    /// Read by the plan, gone now.
    Gone(String),
    /// Not there when the plan was made, there now.
    Appeared(String),
    SpecChanged,
    /// The file says something this spec and org do not give: the desired
    /// document of a component, or the changes shown (`Profile/X`, `user`).
    Edited(String),
    OtherOrg {
        planned: String,
        now: String,
    },
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Drift::Changed(k) => write!(f, "{k} changed in the org since the plan was made"),
            Drift::Gone(k) => write!(f, "{k} was in the org when the plan was made and is gone"),
            Drift::Appeared(k) => write!(f, "{k} appeared in the org since the plan was made"),
            Drift::SpecChanged => write!(f, "the spec changed since the plan was made"),
            Drift::Edited(k) => write!(
                f,
                "{k} in the plan file is not what the spec and the org give (was the file edited?)"
            ),
            Drift::OtherOrg { planned, now } => {
                write!(f, "the plan was made for org {planned}, this is org {now}")
            }
        }
    }
}

/// A saved plan that no longer matches the org.
#[derive(Debug, thiserror::Error)]
#[error("Saved plan is stale: {}", drift.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct Stale {
    pub drift: Vec<Drift>,
    /// The command that makes a new plan.
    pub replan: String,
}

impl Stale {
    pub fn hint(&self) -> String {
        format!(
            "make a new plan and review it: `{}`, then `sfprov apply FILE` (or run `sfprov apply` to plan and apply in one go)",
            self.replan
        )
    }
}

/// Compares a saved plan with a fresh one made from the same spec.
pub fn check(saved: &Plan, fresh: &Plan) -> Vec<Drift> {
    let mut out = Vec::new();
    if saved.org.org_id.is_some()
        && fresh.org.org_id.is_some()
        && saved.org.org_id != fresh.org.org_id
    {
        out.push(Drift::OtherOrg {
            planned: saved.org.org_id.clone().unwrap_or_default(),
            now: fresh.org.org_id.clone().unwrap_or_default(),
        });
        return out;
    }
    if saved.spec_digest != fresh.spec_digest {
        out.push(Drift::SpecChanged);
    }
    for (k, v) in &saved.fingerprints {
        match fresh.fingerprints.get(k) {
            None => out.push(Drift::Gone(k.clone())),
            Some(f) if f != v => out.push(Drift::Changed(k.clone())),
            Some(_) => {}
        }
    }
    for k in fresh.fingerprints.keys() {
        if !saved.fingerprints.contains_key(k) {
            out.push(Drift::Appeared(k.clone()));
        }
    }
    if out.is_empty() {
        edited(saved, fresh, &mut out);
    }
    out
}

/// Same spec, same org: the saved plan must say what a fresh one says, or
/// apply would deploy (or show) what nobody planned.
fn edited(saved: &Plan, fresh: &Plan, out: &mut Vec<Drift>) {
    let mut keys = std::collections::BTreeSet::new();
    for d in saved.desired.iter().chain(&fresh.desired) {
        keys.insert(format!("{}/{}", d.type_name, d.member));
    }
    let find = |p: &'_ Plan, k: &str| {
        p.desired
            .iter()
            .filter(|d| format!("{}/{}", d.type_name, d.member) == k)
            .map(|d| d.xml.clone())
            .collect::<Vec<_>>()
    };
    for k in &keys {
        if find(saved, k) != find(fresh, k) {
            out.push(Drift::Edited(format!("the desired {k}")));
        }
    }
    if out.is_empty() && saved.components != fresh.components {
        out.push(Drift::Edited("the planned component changes".into()));
    }
    if saved.user != fresh.user || saved.app_access != fresh.app_access {
        out.push(Drift::Edited("the planned user and access changes".into()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_each_drifted_key() {
        let base: Plan = serde_json::from_value(serde_json::json!({
            "format_version": 1, "sfprov_version": "0", "spec": "s", "spec_digest": "d",
            "org": {"label": "o", "kind": "org", "org_id": "00D1", "api_version": "63.0"},
            "view": {"show_unmanaged": false, "diff": false},
            "components": [], "manual_steps": [], "user": null, "user_note": null,
            "findings": [], "fingerprints": {"Profile/A": "1", "Settings/Security": "2"},
            "desired": [], "requests": {"retrieves": 0, "queries": 0}
        }))
        .unwrap();
        let mut fresh = base.clone();
        assert!(check(&base, &fresh).is_empty());
        fresh.fingerprints.insert("Profile/A".into(), "9".into());
        fresh.fingerprints.remove("Settings/Security");
        fresh
            .fingerprints
            .insert("User/u@x.test".into(), "3".into());
        let d = check(&base, &fresh);
        assert_eq!(
            d,
            [
                Drift::Changed("Profile/A".into()),
                Drift::Gone("Settings/Security".into()),
                Drift::Appeared("User/u@x.test".into())
            ]
        );
        fresh.org.org_id = Some("00D2".into());
        assert!(matches!(check(&base, &fresh)[..], [Drift::OtherOrg { .. }]));
    }
}
