//! The report's org checks (PushTopic headroom), manual steps with their
//! checks, and what the org has beyond the spec.
//! Does not: format anything.

use crate::plan::{manual, Action, Plan, Severity};
use crate::spec::desired::Desired;

use super::rows::{row, with};
use super::{Check, Extra, ManualStep, Row, Status};

/// PushTopic headroom: not met on the plan's error about it.
pub(super) fn check_rows(desired: &Desired, plan: Option<&Plan>) -> Vec<Row> {
    let Some(n) = desired.checks.push_topics_needed else {
        return Vec::new();
    };
    let r = row(
        format!("the integration creates {n} PushTopics: the org must have room for them under its edition's limit"),
        "PushTopic",
        "",
        ("headroom", ""),
        format!("{n} PushTopics free"),
    );
    let status = match plan {
        None => (Status::Unknown, Vec::new(), None),
        Some(p) if p.org.kind != "org" => (
            Status::Unknown,
            Vec::new(),
            Some(format!("a {} has no records", p.org.kind)),
        ),
        Some(p) => match p.findings.iter().find(|f| f.message.contains("PushTopic")) {
            Some(f) if f.severity == Severity::Error => {
                (Status::NotMet, Vec::new(), Some(f.message.clone()))
            }
            Some(f) => (Status::Unknown, Vec::new(), Some(f.message.clone())),
            None => (Status::Met, Vec::new(), None),
        },
    };
    vec![with(r, status)]
}

pub(super) fn checks_of(checks: &[(String, bool)]) -> Vec<Check> {
    checks
        .iter()
        .map(|(check, satisfied)| Check {
            check: check.clone(),
            satisfied: *satisfied,
        })
        .collect()
}

/// Not met when a check fails, met when all pass, else unknown.
pub(super) fn step_status(org: bool, checks: &[Check]) -> Status {
    if !org || checks.is_empty() {
        Status::Unknown
    } else if checks.iter().any(|c| !c.satisfied) {
        Status::NotMet
    } else {
        Status::Met
    }
}

/// The plan's manual steps; without a plan, the step of every app policy
/// (a step when the org's retrieve does not return the app).
pub(super) fn manual_steps(desired: &Desired, plan: Option<&Plan>) -> Vec<ManualStep> {
    let steps: Vec<crate::plan::ManualStep> = match plan {
        Some(p) => p.manual_steps.clone(),
        None => desired
            .app_policies
            .iter()
            .map(|(name, p)| manual::app_policy(name, p, None, true))
            .collect(),
    };
    steps
        .into_iter()
        .map(|s| {
            let checks = checks_of(&s.checks);
            ManualStep {
                status: step_status(plan.is_some(), &checks),
                title: s.title,
                what: s.what,
                where_in_setup: s.where_in_setup,
                why: s.why,
                checks,
            }
        })
        .collect()
}

/// What a deploy or apply removes because the spec does not have it.
pub(super) fn beyond_spec(p: &Plan) -> Vec<Extra> {
    let mut out: Vec<Extra> = p
        .components
        .iter()
        .flat_map(|c| {
            c.changes
                .iter()
                .filter(|ch| ch.destructive)
                .map(|ch| Extra {
                    type_name: c.type_name.clone(),
                    member: c.member.clone(),
                    section: ch.section.clone(),
                    key: ch.key.clone(),
                    note: ch.reason.clone().unwrap_or_default(),
                })
        })
        .collect();
    if let Some(u) = &p.user {
        let lists = [
            ("PermissionSetLicenseAssign", &u.permission_set_licenses),
            ("PermissionSetAssignment", &u.permission_sets),
        ];
        for (ty, list) in lists {
            out.extend(
                list.iter()
                    .filter(|a| a.action == Action::Remove)
                    .map(|a| Extra {
                        type_name: "User".into(),
                        member: u.username.clone(),
                        section: ty.into(),
                        key: a.name.clone(),
                        note: a.reason.clone(),
                    }),
            );
        }
    }
    out
}
