//! The report's user rows: the user (active, its fields), its profile and
//! license, and its permission set and permission set license assignments,
//! each from the plan's user part (unknown without one, for its reason).
//! Does not: format anything.

use crate::diff::FieldChange;
use crate::plan::user::UserAction;
use crate::plan::{Action, Plan, Severity};
use crate::spec::desired::Desired;

use super::rows::{row, with};
use super::{entry_status, Derived, Group, Source, Status};

/// An error finding about seats of license `name`, if any.
fn seat_finding<'p>(plan: &'p Plan, name: &str) -> Option<&'p str> {
    let needle = format!("license `{name}`");
    plan.findings
        .iter()
        .find(|f| f.severity == Severity::Error && f.message.contains(&needle))
        .map(|f| f.message.as_str())
}

pub(super) fn user_group(desired: &Desired, plan: Option<&Plan>) -> Option<Group> {
    let u = desired.user.as_ref()?;
    let username = u
        .username
        .clone()
        .unwrap_or_else(|| "(no username in the spec)".into());
    let up = plan.and_then(|p| p.user.as_ref());
    // Without a user plan every row is unknown, for the plan's reason.
    let unknown: Derived = (
        Status::Unknown,
        Vec::new(),
        plan.and_then(|p| p.user_note.clone()),
    );
    let mut rows = Vec::new();
    let requirement = desired
        .description
        .clone()
        .unwrap_or_else(|| "the user the integration connects as".into());
    let user_status = match up {
        None => unknown.clone(),
        Some(up) => match up.action {
            UserAction::Create => (Status::WouldAdd, Vec::new(), None),
            UserAction::Inactive => (
                Status::NotMet,
                Vec::new(),
                Some("the user is deactivated in the org".into()),
            ),
            UserAction::Unchanged | UserAction::Update => {
                let fields: Vec<FieldChange> = up
                    .fields
                    .iter()
                    .filter(|f| f.name != "Profile.Name")
                    .cloned()
                    .collect();
                let s = if fields.is_empty() {
                    Status::Met
                } else {
                    Status::WouldChange
                };
                (s, fields, None)
            }
        },
    };
    rows.push(with(
        row(
            requirement,
            "User",
            &username,
            ("IsActive", ""),
            "IsActive = true".into(),
        ),
        user_status,
    ));
    if let Some(profile) = &u.profile {
        let managed = desired.profiles.get(profile);
        let req = managed
            .and_then(|a| a.description.clone())
            .unwrap_or_else(|| "[user] profile in the spec".into());
        let status = match up {
            None => unknown.clone(),
            Some(up) if up.action == UserAction::Create => (Status::WouldAdd, Vec::new(), None),
            Some(up) => match up.fields.iter().find(|f| f.name == "Profile.Name") {
                Some(f) => (Status::WouldChange, vec![f.clone()], None),
                None => (Status::Met, Vec::new(), None),
            },
        };
        rows.push(with(
            row(
                req,
                "User",
                &username,
                ("Profile.Name", ""),
                profile.clone(),
            ),
            status,
        ));
    }
    if let Some(lic) = &u.license {
        let status = match (plan, up) {
            (Some(p), Some(up)) => match seat_finding(p, lic) {
                Some(m) => (Status::NotMet, Vec::new(), Some(m.to_string())),
                None if up.action == UserAction::Create => (Status::WouldAdd, Vec::new(), None),
                None => match u
                    .profile
                    .as_ref()
                    .filter(|n| desired.profiles.contains_key(*n))
                {
                    Some(profile) => entry_status(plan, "Profile", profile, "userLicense", ""),
                    None => (
                        Status::Unknown,
                        Vec::new(),
                        Some("sfprov reads the license of a profile it manages only".into()),
                    ),
                },
            },
            _ => unknown.clone(),
        };
        let req = "[user] license in the spec: the license the user's profile carries".to_string();
        rows.push(with(
            row(req, "User", &username, ("license", ""), lic.clone()),
            status,
        ));
    }
    let assignments = u
        .permission_set_licenses
        .iter()
        .map(|n| {
            (
                "PermissionSetLicenseAssign",
                n,
                "[user] permission_set_licenses in the spec".to_string(),
            )
        })
        .chain(u.permission_sets.iter().map(|n| {
            let req = desired
                .permission_sets
                .get(n)
                .and_then(|a| a.description.clone())
                .unwrap_or_else(|| "[user] permission_sets in the spec".into());
            ("PermissionSetAssignment", n, req)
        }));
    for (ty, name, req) in assignments {
        let status = match (plan, up) {
            (Some(p), Some(up)) => {
                let list = if ty == "PermissionSetAssignment" {
                    &up.permission_sets
                } else {
                    &up.permission_set_licenses
                };
                let add = list
                    .iter()
                    .any(|a| a.name == *name && a.action == Action::Add);
                match seat_finding(p, name) {
                    Some(m) if ty != "PermissionSetAssignment" => {
                        (Status::NotMet, Vec::new(), Some(m.to_string()))
                    }
                    _ if add => (Status::WouldAdd, Vec::new(), None),
                    _ => (Status::Met, Vec::new(), None),
                }
            }
            _ => unknown.clone(),
        };
        rows.push(with(
            row(req, "User", &username, (ty, name), "assigned".into()),
            status,
        ));
    }
    Some(Group {
        source: Source::User,
        name: username,
        description: None,
        rows,
    })
}
