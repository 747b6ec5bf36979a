//! The fault matrix, shared by the test (`faults.rs`, asserts every cell
//! converged) and the report (`cargo run --example fault-matrix`): for each
//! apply step, each fault injected once at that step's first request of its
//! kind, then re-runs until a fresh plan is empty; the org is compared with
//! a clean run's (components, users, assignments, app access).

#![allow(dead_code)]

use sfprov::emulator::{FaultAction, FaultRule};

use super::support::*;

/// Where each step's first request of its kind falls in one apply of a
/// fresh plan (the plan itself retrieves once and queries before).
pub fn steps() -> Vec<(&'static str, FaultRule)> {
    vec![
        (
            "snapshot",
            FaultRule::new("soap:retrieve", FaultAction::DropBefore),
        ),
        (
            "validate",
            FaultRule::new("soap:deploy", FaultAction::DropBefore),
        ),
        (
            "deploy",
            FaultRule::new("soap:deploy", FaultAction::DropBefore).after(1),
        ),
        (
            "status poll",
            FaultRule::new("soap:checkDeployStatus", FaultAction::DropBefore).after(1),
        ),
        (
            "user",
            FaultRule::new("rest:sobjects", FaultAction::DropBefore),
        ),
        (
            "assignments",
            FaultRule::new("rest:sobjects", FaultAction::DropBefore).after(1),
        ),
        (
            "app access",
            FaultRule::new("rest:sobjects", FaultAction::DropBefore).after(2),
        ),
        (
            "verify",
            FaultRule::new("soap:retrieve", FaultAction::DropBefore).after(1),
        ),
    ]
}

/// A fault, and the steps it can happen at (`None`: every step).
pub struct Fault {
    pub name: &'static str,
    pub action: FaultAction,
    pub only: Option<&'static [&'static str]>,
}

pub fn faults() -> Vec<Fault> {
    let status = |s: u16| FaultAction::Status {
        status: s,
        body: "<html>unavailable</html>".into(),
        content_type: Some("text/html".into()),
    };
    let every = |name, action| Fault {
        name,
        action,
        only: None,
    };
    vec![
        every("500", status(500)),
        every("503", status(503)),
        every("drop before", FaultAction::DropBefore),
        every("drop after", FaultAction::DropAfter),
        every("timeout", FaultAction::Delay { ms: 2_500 }),
        every("expired session", FaultAction::InvalidSession),
        every("rate limit", FaultAction::RequestLimit),
        Fault {
            name: "validation failure",
            action: FaultAction::ComponentFailure {
                problem: "In field: field - no CustomField named Account.Region__c found".into(),
            },
            only: Some(&["validate"]),
        },
        Fault {
            name: "component failure",
            action: FaultAction::ComponentFailure {
                problem: "An unexpected error occurred. Please include this ErrorId if you contact support: 1234-5678".into(),
            },
            only: Some(&["deploy"]),
        },
    ]
}

/// One cell of the matrix.
pub struct Cell {
    pub step: &'static str,
    pub fault: &'static str,
    /// `None`: the fault cannot happen at this step.
    pub result: Option<Outcome>,
}

pub struct Outcome {
    /// Whether the first run (with the fault) succeeded anyway.
    pub first_run_ok: bool,
    /// Re-runs needed until a fresh plan was empty.
    pub reruns: usize,
    /// `None` when the org equals a clean run's; else what differs.
    pub difference: Option<String>,
}

/// Runs the whole matrix for a template's starter spec.
pub fn run(template: &str) -> (Provisioned, Vec<Cell>) {
    let s = spec(template);
    let clean = {
        let h = start();
        let org = remote(&h);
        let dir = tempfile::tempdir().unwrap();
        s.apply(&org, dir.path()).2.unwrap();
        provisioned(&h, &s)
    };
    let mut cells = Vec::new();
    for (step, rule) in steps() {
        for f in faults() {
            if f.only.is_some_and(|only| !only.contains(&step)) {
                cells.push(Cell {
                    step,
                    fault: f.name,
                    result: None,
                });
                continue;
            }
            let h = start();
            let org = remote(&h);
            let dir = tempfile::tempdir().unwrap();
            // The plan is made before the fault is armed.
            let p = s.plan(&org);
            let mut r = rule.clone();
            r.action = f.action.clone();
            h.add_fault(r.times(1));
            let (_, first) = s.apply_plan(&p, &org, dir.path());
            h.clear_faults();
            let reruns = rerun_counted(&s, &org, dir.path());
            let got = provisioned(&h, &s);
            let difference = (got != clean).then(|| format!("{got:?} != clean {clean:?}"));
            cells.push(Cell {
                step,
                fault: f.name,
                result: Some(Outcome {
                    first_run_ok: first.is_ok(),
                    reruns,
                    difference,
                }),
            });
        }
    }
    (clean, cells)
}

/// Re-runs apply until a fresh plan is empty (at most 3 times); how many ran.
fn rerun_counted(
    s: &Spec,
    org: &dyn sfprov::org::write::OrgWrite,
    snapshots: &std::path::Path,
) -> usize {
    for n in 0..3 {
        if !s.plan(org).has_changes() {
            return n;
        }
        let _ = s.apply_plan(&s.plan(org), org, snapshots);
    }
    3
}

/// The matrix as Markdown: steps down, faults across.
pub fn markdown(template: &str, clean: &Provisioned, cells: &[Cell]) -> String {
    let names: Vec<&str> = faults().iter().map(|f| f.name).collect();
    let mut out = format!(
        "# Fault matrix: `sfprov apply`, template `{template}`\n\n\
Each cell: one fault injected once at the step's first request of its kind, then \
`apply` re-run until a fresh plan is empty; **converged** means the org then equals a \
clean run's ({} components, {} user, {} assignments, {} connected-app access row). \
`(failed)` marks a first run that stopped on the fault; `—`: the fault cannot occur there.\n\n",
        clean.components.len(),
        clean.users,
        clean.assignments.len(),
        clean.app_access
    );
    out.push_str(&format!("| step | {} |\n", names.join(" | ")));
    out.push_str(&format!("|---|{}\n", "---|".repeat(names.len())));
    for (step, _) in steps() {
        let row: Vec<String> = names
            .iter()
            .map(|f| {
                let c = cells.iter().find(|c| c.step == step && c.fault == *f);
                match c.and_then(|c| c.result.as_ref()) {
                    None => "—".to_string(),
                    Some(o) => {
                        let verdict = if o.difference.is_none() {
                            "converged"
                        } else {
                            "**NOT converged**"
                        };
                        let first = if o.first_run_ok { "" } else { " (failed)" };
                        format!("{verdict}{first}")
                    }
                }
            })
            .collect();
        out.push_str(&format!("| {step} | {} |\n", row.join(" | ")));
    }
    let ran: Vec<&Outcome> = cells.iter().filter_map(|c| c.result.as_ref()).collect();
    let converged = ran.iter().filter(|o| o.difference.is_none()).count();
    out.push_str(&format!(
        "\n{converged} of {} converged; {} first runs stopped on their fault; re-runs needed: at most {}.\n",
        ran.len(),
        ran.iter().filter(|o| !o.first_run_ok).count(),
        ran.iter().map(|o| o.reruns).max().unwrap_or(0)
    ));
    for c in cells {
        if let Some(d) = c.result.as_ref().and_then(|o| o.difference.as_ref()) {
            out.push_str(&format!("\n- {} × {}: {d}\n", c.step, c.fault));
        }
    }
    out
}
