//! The integration user and its access in a plan: the User row (matched by
//! Username), its permission set license assignments and permission set
//! assignments. For a dedicated integration user the spec is the whole
//! truth: an assignment the spec lacks is removed, except the rows a profile
//! owns (`PermissionSet.IsOwnedByProfile`). A username the org gives a user
//! of another profile is a finding; one taken in another org shows only on
//! insert (DUPLICATE_USERNAME), so a new user carries a note.
//! Owns: the query (one: the user with its assignments as child
//! subqueries) and its comparison with the spec.
//! Does not: create or assign anything (apply does), or print.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Action, FieldChange, Finding, Severity, Summary};
use crate::org::read::{OrgRead, ReadError};
use crate::org::rest::soql_quote;
use crate::spec::desired::User;

/// What happens to the User row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserAction {
    Create,
    Update,
    Unchanged,
    /// Deactivated in the org: a finding; sfprov never reactivates silently.
    Inactive,
}

/// One assignment added or removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentChange {
    pub name: String,
    pub action: Action,
    pub reason: String,
}

/// The user part of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPlan {
    pub username: String,
    pub action: UserAction,
    /// User fields that are set (create) or change (update).
    pub fields: Vec<FieldChange>,
    pub permission_set_licenses: Vec<AssignmentChange>,
    pub permission_sets: Vec<AssignmentChange>,
}

impl UserPlan {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        match self.action {
            UserAction::Create => s.add += 1,
            UserAction::Update => s.change += 1,
            _ => {}
        }
        for a in self
            .permission_set_licenses
            .iter()
            .chain(&self.permission_sets)
        {
            match a.action {
                Action::Add => s.add += 1,
                Action::Remove => s.remove += 1,
                Action::Change => s.change += 1,
            }
        }
        s
    }
}

/// What the user queries found, for fingerprints and findings.
pub struct Found {
    pub plan: UserPlan,
    /// (fingerprint key, row JSON) of each row read.
    pub rows: Vec<(String, String)>,
    pub findings: Vec<Finding>,
}

pub(crate) fn text<'r>(r: &'r Map<String, Value>, path: &str) -> Option<&'r str> {
    let mut cur: &Value = r.get(path.split('.').next()?)?;
    for part in path.split('.').skip(1) {
        cur = cur.get(part)?;
    }
    cur.as_str()
}

/// The row without `attributes` (which carries a URL with the id only).
pub(crate) fn row_json(r: &Map<String, Value>) -> String {
    fn strip(v: &Value) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .filter(|(k, _)| k.as_str() != "attributes")
                    .map(|(k, v)| (k.clone(), strip(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    strip(&Value::Object(r.clone())).to_string()
}

/// The spec's user fields as (User field, value).
fn desired_fields(u: &User) -> Vec<(&'static str, Option<String>)> {
    vec![
        ("Email", u.email.clone()),
        ("FirstName", u.first_name.clone()),
        ("LastName", u.last_name.clone()),
        ("Alias", u.alias.clone()),
        ("Profile.Name", u.profile.clone()),
        ("TimeZoneSidKey", Some(u.time_zone.clone())),
        ("LocaleSidKey", Some(u.locale.clone())),
        ("LanguageLocaleKey", Some(u.language.clone())),
        ("EmailEncodingKey", Some(u.email_encoding.clone())),
    ]
}

/// The child rows of subquery `rel` on `row`; `None` when the answer was cut
/// short (more rows than one answer holds) and must be read on its own.
pub(crate) fn children<'r>(
    row: &'r Map<String, Value>,
    rel: &str,
) -> Option<Vec<&'r Map<String, Value>>> {
    match row.get(rel) {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(v) => {
            if v.get("done").and_then(Value::as_bool) == Some(false) {
                return None;
            }
            Some(
                v.get("records")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_object).collect())
                    .unwrap_or_default(),
            )
        }
    }
}

/// The user query: the row and both kinds of assignment in one request.
fn user_soql(username: &str) -> String {
    format!(
        "SELECT Id, Username, Name, IsActive, Email, FirstName, LastName, Alias, TimeZoneSidKey, LocaleSidKey, LanguageLocaleKey, EmailEncodingKey, Profile.Name, Profile.UserLicense.Name, \
         (SELECT Id, PermissionSet.Name, PermissionSet.IsOwnedByProfile, PermissionSetGroupId FROM PermissionSetAssignments), \
         (SELECT Id, PermissionSetLicense.DeveloperName FROM PermissionSetLicenseAssignments) \
         FROM User WHERE Username = {}",
        soql_quote(username)
    )
}

/// Reads the user and its assignments and compares them with the spec.
pub fn plan(org: &dyn OrgRead, u: &User, username: &str) -> Result<Found, ReadError> {
    let mut rows = Vec::new();
    let mut findings = Vec::new();
    let users = org.query(&user_soql(username))?;
    let spec_ps = |name: &str| AssignmentChange {
        name: name.to_string(),
        action: Action::Add,
        reason: "[user] permission_sets in the spec".into(),
    };
    let spec_psl = |name: &str| AssignmentChange {
        name: name.to_string(),
        action: Action::Add,
        reason: "[user] permission_set_licenses in the spec".into(),
    };
    let Some(row) = users.records.first() else {
        // A new user: every field set, every assignment added.
        let fields = desired_fields(u)
            .into_iter()
            .filter_map(|(n, v)| {
                v.map(|v| FieldChange {
                    name: n.to_string(),
                    before: None,
                    after: Some(v),
                })
            })
            .collect();
        findings.push(Finding {
            severity: Severity::Note,
            message: format!(
                "usernames are unique across every Salesforce org: if `{username}` is taken in another org (a sandbox copy or another company's org), creating the user fails with DUPLICATE_USERNAME, which no query here can see"
            ),
            hint: Some("use a username under a domain you own, with a suffix per org (e.g. `zendesk.integration@acme.com.prod`)".into()),
        });
        return Ok(Found {
            plan: UserPlan {
                username: username.to_string(),
                action: UserAction::Create,
                fields,
                permission_set_licenses: u
                    .permission_set_licenses
                    .iter()
                    .map(|n| spec_psl(n))
                    .collect(),
                permission_sets: u.permission_sets.iter().map(|n| spec_ps(n)).collect(),
            },
            rows,
            findings,
        });
    };
    let mut fingerprint_row = row.clone();
    fingerprint_row.remove("PermissionSetAssignments");
    fingerprint_row.remove("PermissionSetLicenseAssignments");
    rows.push((format!("User/{username}"), row_json(&fingerprint_row)));
    let id = text(row, "Id").unwrap_or_default().to_string();
    let active = row.get("IsActive").and_then(Value::as_bool).unwrap_or(true);
    let fields: Vec<FieldChange> = desired_fields(u)
        .into_iter()
        .filter_map(|(n, want)| {
            let want = want?;
            let have = text(row, n).map(str::to_string);
            (have.as_deref() != Some(want.as_str())).then(|| FieldChange {
                name: n.to_string(),
                before: have,
                after: Some(want),
            })
        })
        .collect();
    if let (Some(want), Some(have)) = (u.profile.as_deref(), text(row, "Profile.Name")) {
        // `replaces_profile` names the profile the user moves away from: the
        // change is then planned as a User update like any other field.
        let moving = u
            .replaces_profile
            .as_deref()
            .is_some_and(|old| old.eq_ignore_ascii_case(have));
        let licenses = (u.license.as_deref(), text(row, "Profile.UserLicense.Name"));
        if let (true, Some(to), Some(from)) = (moving, licenses.0, licenses.1) {
            if !crate::catalog::licenses::convertible(from, to) {
                findings.push(Finding {
                    severity: Severity::Error,
                    message: format!(
                        "user `{username}` is on the `{from}` license; Salesforce does not move an existing user to the `{to}` license, so it cannot move from profile `{have}` to `{want}`"
                    ),
                    hint: Some(format!(
                        "create a dedicated user on `{to}` (another [user] username, without replaces_profile) and deactivate `{username}` once the integration connects as it; `sfprov audit --user {username} --fix` writes that spec"
                    )),
                });
            }
        }
        if !want.eq_ignore_ascii_case(have) && !moving {
            let who = text(row, "Name").unwrap_or(username);
            findings.push(Finding {
                severity: Severity::Error,
                message: format!(
                    "username `{username}` is taken in the org by {who} ({id}), a user of profile `{have}`; the spec's user has profile `{want}`"
                ),
                hint: Some(format!(
                    "if that is someone else's user, pick another [user] username; if it is the integration user, set [user] replaces_profile = \"{have}\" to move it to `{want}` (or set [user] profile = \"{have}\")"
                )),
            });
        }
    }
    let action = if !active {
        findings.push(Finding {
            severity: Severity::Error,
            message: format!("user `{username}` exists in the org but is deactivated; sfprov does not reactivate users silently"),
            hint: Some("reactivate it in Setup > Users if it is the integration user, or set another [user] username".into()),
        });
        UserAction::Inactive
    } else if fields.is_empty() {
        UserAction::Unchanged
    } else {
        UserAction::Update
    };

    let psa_rows = match children(row, "PermissionSetAssignments") {
        Some(c) => c.into_iter().cloned().collect(),
        None => {
            org.query(&format!(
                "SELECT Id, PermissionSet.Name, PermissionSet.IsOwnedByProfile, PermissionSetGroupId FROM PermissionSetAssignment WHERE AssigneeId = {}",
                soql_quote(&id)
            ))?
            .records
        }
    };
    let mut have_ps = Vec::new();
    // Groups are assigned through their aggregate permission set.
    let mut groups = Vec::new();
    for r in &psa_rows {
        let owned = r
            .get("PermissionSet")
            .and_then(|p| p.get("IsOwnedByProfile"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if owned {
            continue;
        }
        if let Some(n) = text(r, "PermissionSet.Name") {
            rows.push((format!("PermissionSetAssignment/{n}"), row_json(r)));
            have_ps.push(n.to_string());
            if text(r, "PermissionSetGroupId").is_some() {
                groups.push(n.to_string());
            }
        }
    }
    let psla_rows = match children(row, "PermissionSetLicenseAssignments") {
        Some(c) => c.into_iter().cloned().collect(),
        None => {
            org.query(&format!(
                "SELECT Id, PermissionSetLicense.DeveloperName FROM PermissionSetLicenseAssign WHERE AssigneeId = {}",
                soql_quote(&id)
            ))?
            .records
        }
    };
    let mut have_psl = Vec::new();
    for r in &psla_rows {
        if let Some(n) = text(r, "PermissionSetLicense.DeveloperName") {
            rows.push((format!("PermissionSetLicenseAssign/{n}"), row_json(r)));
            have_psl.push(n.to_string());
        }
    }
    let diff = |want: &[String], have: &[String], add: &dyn Fn(&str) -> AssignmentChange| {
        let mut out: Vec<AssignmentChange> = want
            .iter()
            .filter(|w| !have.contains(w))
            .map(|w| add(w))
            .collect();
        out.extend(have.iter().filter(|h| !want.contains(h)).map(|h| {
            AssignmentChange {
                name: h.clone(),
                action: Action::Remove,
                reason: format!(
                    "{}not in the spec (the spec is the whole truth for a dedicated integration user)",
                    if groups.contains(h) { "a permission set group, " } else { "" }
                ),
            }
        }));
        out
    };
    Ok(Found {
        plan: UserPlan {
            username: username.to_string(),
            action,
            fields,
            permission_set_licenses: diff(&u.permission_set_licenses, &have_psl, &spec_psl),
            permission_sets: diff(&u.permission_sets, &have_ps, &spec_ps),
        },
        rows,
        findings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_rows_come_from_the_subquery_unless_cut_short() {
        let row: Map<String, Value> = serde_json::from_str(
            r#"{"A": null, "B": {"totalSize": 1, "done": true, "records": [{"Id": "x"}]}, "C": {"totalSize": 300, "done": false, "nextRecordsUrl": "/services/data/v63.0/query/01g-200", "records": []}}"#,
        )
        .unwrap();
        assert_eq!(children(&row, "A").unwrap().len(), 0);
        assert_eq!(children(&row, "Missing").unwrap().len(), 0);
        assert_eq!(children(&row, "B").unwrap()[0]["Id"], "x");
        assert!(children(&row, "C").is_none());
    }

    #[test]
    fn the_user_query_reads_assignments_as_subqueries() {
        let q = user_soql("a'b@acme.test");
        assert!(q.contains("FROM PermissionSetAssignments)"), "{q}");
        assert!(q.contains("FROM PermissionSetLicenseAssignments)"), "{q}");
        assert!(q.ends_with("WHERE Username = 'a\\'b@acme.test'"), "{q}");
    }
}
