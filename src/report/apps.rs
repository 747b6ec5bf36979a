//! The report's connected-app rows: apps sfprov creates (one row per
//! component), and the policy and access of apps a package installed (the
//! policy is a manual step unless the retrieve returns the app).
//! Does not: format anything.

use crate::diff::FieldChange;
use crate::generate::Component;
use crate::plan::{apps, manual, Action, ComponentAction, Plan};
use crate::spec::desired::{AppPolicy, Desired};

use super::rows::{row, with};
use super::steps::{checks_of, step_status};
use super::{planned, Derived, Group, Source, Status};

/// A whole component: created, changed (every field of every change) or met.
fn component_status(plan: Option<&Plan>, ty: &str, member: &str) -> Derived {
    let c = match planned(plan, ty, member) {
        Ok(c) => c,
        Err(unknown) => return unknown,
    };
    match c.action {
        ComponentAction::Create => (Status::WouldAdd, Vec::new(), None),
        ComponentAction::Unchanged | ComponentAction::Delete => (Status::Met, Vec::new(), None),
        ComponentAction::Update => {
            let fields = c
                .counted()
                .flat_map(|ch| {
                    ch.fields.iter().map(move |f| FieldChange {
                        name: [ch.section.as_str(), ch.key.as_str(), f.name.as_str()]
                            .iter()
                            .filter(|s| !s.is_empty())
                            .copied()
                            .collect::<Vec<_>>()
                            .join(" "),
                        before: f.before.clone(),
                        after: f.after.clone(),
                    })
                })
                .collect();
            (Status::WouldChange, fields, None)
        }
    }
}

/// The OAuth policy in Setup's words, one `;`-separated line.
fn policy_value(name: &str, p: &AppPolicy) -> String {
    manual::app_policy(name, p, None, true).what.join("; ")
}

pub(super) fn app_groups(
    desired: &Desired,
    comps: &[Component],
    plan: Option<&Plan>,
) -> Vec<Group> {
    let mut out = Vec::new();
    let created = desired
        .connected_apps
        .iter()
        .chain(&desired.external_client_apps);
    for (name, app) in created {
        let why = app
            .policy
            .why
            .clone()
            .unwrap_or_else(|| "the spec creates this app".into());
        let prefix = format!("{name}_");
        let rows = comps
            .iter()
            .filter(|c| c.reasons.is_empty() && c.type_name != "Settings")
            .filter(|c| c.member == *name || c.member.starts_with(&prefix))
            .filter(|c| c.type_name.starts_with("ConnectedApp") || c.type_name.starts_with("Ext"))
            .map(|c| {
                let value = if app.scopes.is_empty() {
                    policy_value(name, &app.policy)
                } else {
                    format!(
                        "scopes {}; {}",
                        app.scopes.join(", "),
                        policy_value(name, &app.policy)
                    )
                };
                let r = row(why.clone(), c.type_name, &c.member, ("", ""), value);
                with(r, component_status(plan, c.type_name, &c.member))
            })
            .collect();
        out.push(Group {
            source: Source::App,
            name: name.clone(),
            description: app.description.clone(),
            rows,
        });
    }
    for (name, p) in &desired.app_policies {
        let why = p
            .why
            .clone()
            .unwrap_or_else(|| "the spec sets this app's OAuth policy".into());
        let merged = plan.is_some_and(|pl| {
            pl.components
                .iter()
                .any(|c| c.type_name == "ConnectedApp" && c.member == *name)
        });
        let policy = row(
            why.clone(),
            "ConnectedApp",
            name,
            ("policy", ""),
            policy_value(name, p),
        );
        let policy_status = match plan {
            _ if merged => component_status(plan, "ConnectedApp", name),
            None => (
                Status::Unknown,
                Vec::new(),
                Some(
                    "a manual step in Setup when a package installed the app (see Manual steps)"
                        .into(),
                ),
            ),
            Some(pl) => {
                let at = manual::setup_path(name);
                match pl.manual_steps.iter().position(|s| s.where_in_setup == at) {
                    Some(i) => {
                        let checks = checks_of(&pl.manual_steps[i].checks);
                        (
                            step_status(true, &checks),
                            Vec::new(),
                            Some(format!("manual step {}", i + 1)),
                        )
                    }
                    None => (Status::Unknown, Vec::new(), None),
                }
            }
        };
        let mut rows = vec![with(policy, policy_status)];
        for (kind, holder) in apps::holders(p) {
            let r = row(
                why.clone(),
                "SetupEntityAccess",
                name,
                (kind.noun(), holder),
                "may use the app".into(),
            );
            let status = match plan {
                _ if merged => component_status(plan, "ConnectedApp", name),
                None => (Status::Unknown, Vec::new(), None),
                Some(pl) => {
                    let add = pl.app_access.iter().any(|a| {
                        a.app == *name
                            && a.holder_kind == kind
                            && a.holder == *holder
                            && a.action == Action::Add
                    });
                    (
                        if add { Status::WouldAdd } else { Status::Met },
                        Vec::new(),
                        None,
                    )
                }
            };
            rows.push(with(r, status));
        }
        out.push(Group {
            source: Source::App,
            name: name.clone(),
            description: None,
            rows,
        });
    }
    out
}
