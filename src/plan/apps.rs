//! Connected apps the spec sets a policy on but does not create, when the
//! retrieve did not return them (installed by a managed package, like
//! Zendesk's): the app looked up by name (a finding when the org has none),
//! the OAuth policy as a manual step, and the access the spec grants to the
//! app — `SetupEntityAccess` rows of the app for each allowed profile (its
//! profile-owned permission set) and permission set — as `+` lines.
//! Owns: those two queries (every app in one, every access row in one) and
//! their comparison with the spec. Extra access in the org (an app open to
//! admins too) is left alone: the spec says who must have access, not who
//! must not. Does not: print, or create the rows (apply does).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::user::{row_json, text};
use super::{manual, Action, Finding, ManualStep, Severity};
use crate::org::read::{OrgRead, ReadError};
use crate::org::rest::soql_quote;
use crate::spec::desired::AppPolicy;

/// Who is given access to an app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Holder {
    /// Through the profile's own permission set (Manage Profiles).
    Profile,
    PermissionSet,
}

impl Holder {
    pub fn noun(self) -> &'static str {
        match self {
            Holder::Profile => "profile",
            Holder::PermissionSet => "permission set",
        }
    }
}

/// One grant of access to a connected app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppAccessChange {
    /// The app's name (`ConnectedApplication.Name`).
    pub app: String,
    pub holder_kind: Holder,
    /// A profile name, or a permission set's API name or label.
    pub holder: String,
    pub action: Action,
    /// The spec's `why` of the app's policy.
    pub reason: Option<String>,
}

/// What the app queries found.
#[derive(Default)]
pub struct Found {
    pub steps: Vec<ManualStep>,
    pub access: Vec<AppAccessChange>,
    pub findings: Vec<Finding>,
    /// (fingerprint key, row JSON) of each row read.
    pub rows: Vec<(String, String)>,
}

type Row = Map<String, Value>;

/// Plans the apps in `apps` (name, policy): at most two queries in all.
pub fn plan(org: &dyn OrgRead, apps: &[(&String, &AppPolicy)]) -> Result<Found, ReadError> {
    let mut out = Found::default();
    if apps.is_empty() {
        return Ok(out);
    }
    if !org.can_query() {
        for (name, p) in apps {
            out.steps.push(manual::app_policy(name, p, None, false));
        }
        return Ok(out);
    }
    let names: Vec<String> = apps.iter().map(|(n, _)| soql_quote(n)).collect();
    let found = org.query(&format!(
        "SELECT Id, Name, NamespacePrefix, OptionsAllowAdminApprovedUsersOnly FROM ConnectedApplication WHERE Name IN ({})",
        names.join(", ")
    ))?;
    let row_of = |name: &str| -> Option<&Row> {
        found
            .records
            .iter()
            .find(|r| text(r, "Name").is_some_and(|n| n.eq_ignore_ascii_case(name)))
    };
    let mut ids = Vec::new();
    for (name, p) in apps {
        let row = row_of(name);
        out.steps.push(manual::app_policy(name, p, Some(row), true));
        match row {
            Some(r) => {
                out.rows
                    .push((format!("ConnectedApplication/{name}"), row_json(r)));
                let wants_access =
                    !p.allowed_profiles.is_empty() || !p.allowed_permission_sets.is_empty();
                if let (true, Some(id)) = (wants_access, text(r, "Id")) {
                    ids.push(soql_quote(id));
                }
            }
            None => out.findings.push(Finding {
                severity: Severity::Error,
                message: format!(
                    "the org has no connected app named `{name}`, which the spec sets a policy on ([connected_app.{name}])"
                ),
                hint: Some(format!(
                    "install the vendor's package first; if it is installed, use the app's name as Setup > Apps > Connected Apps > Manage Connected Apps shows it instead of `{name}`"
                )),
            }),
        }
    }
    let access = if ids.is_empty() {
        Vec::new()
    } else {
        org.query(&format!(
            "SELECT Id, ParentId, Parent.Name, Parent.Label, Parent.IsOwnedByProfile, Parent.Profile.Name, SetupEntityId FROM SetupEntityAccess WHERE SetupEntityType = 'ConnectedApplication' AND SetupEntityId IN ({})",
            ids.join(", ")
        ))?
        .records
    };
    for (name, p) in apps {
        let app_id = row_of(name).and_then(|r| text(r, "Id"));
        for (kind, holder) in holders(p) {
            let row = app_id.and_then(|id| {
                access
                    .iter()
                    .find(|r| same_id(text(r, "SetupEntityId"), id) && holds(r, kind, holder))
            });
            match row {
                Some(r) => out.rows.push((
                    format!("SetupEntityAccess/{name}/{}:{holder}", kind.noun()),
                    row_json(r),
                )),
                None => out.access.push(AppAccessChange {
                    app: name.to_string(),
                    holder_kind: kind,
                    holder: holder.clone(),
                    action: Action::Add,
                    reason: p.why.clone(),
                }),
            }
        }
    }
    Ok(out)
}

/// Who the policy gives access to the app: its profiles, then its
/// permission sets (also the report's access rows).
pub fn holders(p: &AppPolicy) -> impl Iterator<Item = (Holder, &String)> {
    let profiles = p.allowed_profiles.iter().map(|h| (Holder::Profile, h));
    let sets = p
        .allowed_permission_sets
        .iter()
        .map(|h| (Holder::PermissionSet, h));
    profiles.chain(sets)
}

/// Ids compare on their first 15 characters (the 18-character form adds a
/// case-safe suffix).
fn same_id(a: Option<&str>, b: &str) -> bool {
    a.is_some_and(|a| a.get(..15).unwrap_or(a) == b.get(..15).unwrap_or(b))
}

/// Whether an access row's parent is `holder`: a profile's own permission
/// set by profile name, else a permission set by API name or label.
fn holds(r: &Row, kind: Holder, holder: &str) -> bool {
    let owned = r
        .get("Parent")
        .and_then(|p| p.get("IsOwnedByProfile"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let eq = |path: &str| text(r, path).is_some_and(|v| v.eq_ignore_ascii_case(holder));
    match kind {
        Holder::Profile => owned && eq("Parent.Profile.Name"),
        Holder::PermissionSet => !owned && (eq("Parent.Name") || eq("Parent.Label")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(json: &str) -> Row {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn access_rows_match_profiles_by_owned_set_and_permission_sets_by_name_or_label() {
        let p = row(
            r#"{"Parent":{"IsOwnedByProfile":true,"Name":"X00ex","Label":null,"Profile":{"Name":"Zendesk Integration"}}}"#,
        );
        assert!(holds(&p, Holder::Profile, "zendesk integration"));
        assert!(!holds(&p, Holder::PermissionSet, "Zendesk Integration"));
        let s = row(
            r#"{"Parent":{"IsOwnedByProfile":false,"Name":"Zendesk_Integration","Label":"Zendesk Integration","Profile":null}}"#,
        );
        assert!(holds(&s, Holder::PermissionSet, "Zendesk_Integration"));
        assert!(holds(&s, Holder::PermissionSet, "Zendesk Integration"));
        assert!(!holds(&s, Holder::Profile, "Zendesk Integration"));
        assert!(same_id(Some("0H4000000000001AAA"), "0H4000000000001"));
        assert!(!same_id(None, "0H4000000000001"));
    }
}
