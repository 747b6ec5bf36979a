//! `sfprov apply`: executes a `Plan` against an `OrgWrite`, step by step in
//! the vendors' order: preflight, snapshot, validation deploy (checkOnly),
//! the deploy (rollbackOnError), the user, license and permission set
//! assignments (then the removals the plan showed), connected-app access,
//! verify (a fresh plan must be empty). Each step is idempotent, so a run
//! that failed or was killed anywhere converges when run again.
//! Owns: the order, `ApplyError` (facts + hints), the report. Reports to an
//! `ApplyObserver`; never prints. Submodules: `package` (zips), `snapshot`,
//! `records` (REST steps), `stale` (saved plans), `lock`, `observer`.

pub mod lock;
pub mod observer;
pub mod package;
pub mod records;
pub mod rollback;
pub mod snapshot;
pub mod stale;

use std::path::PathBuf;

use serde::Serialize;

use crate::org::error::OrgError;
use crate::org::mdapi::{DeployMessage, DeployOptions, DeployOutcome, DeployResult};
use crate::org::poll::PollObserver;
use crate::org::read::ReadError;
use crate::org::write::OrgWrite;
use crate::plan::{Finding, Plan, Severity};
pub use observer::{ApplyObserver, Event, RecordAction, Recorder, Status, Step};
pub use records::AppAccess;

/// What the caller decides for one apply.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Snapshots go under `<this>/<org id>/<UTC timestamp>/`
    /// (the CLI passes `<project>/.sfprov/snapshots`).
    pub snapshot_root: PathBuf,
    /// (type, member) to retrieve for the snapshot: the plan's manifest, so
    /// profiles come back with the permissions the plan touches.
    pub snapshot_members: Vec<(String, String)>,
    /// Ask Salesforce to reset the new user's password (it emails the user).
    pub send_password_email: bool,
}

/// Records added, changed and removed (`Apply complete! X added, …`):
/// metadata entries deployed plus records written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
}

/// A finished apply.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub tally: Tally,
    pub snapshot: Option<PathBuf>,
    /// Components deployed (`Type/Member`).
    pub deployed: Vec<String>,
    pub user_id: Option<String>,
}

/// One component failure of a deploy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComponentFailure {
    pub component: String,
    pub file: String,
    pub problem: String,
    pub line: Option<u64>,
    pub column: Option<u64>,
}

impl ComponentFailure {
    fn from_message(m: &DeployMessage) -> Self {
        ComponentFailure {
            component: if m.component_type.is_empty() {
                m.full_name.clone()
            } else {
                format!("{}/{}", m.component_type, m.full_name)
            },
            file: m.file_name.clone(),
            problem: m.problem.clone().unwrap_or_default(),
            line: m.line,
            column: m.column,
        }
    }
}

/// Why an apply stopped.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("preflight failed: {}", findings.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join("; "))]
    Preflight { findings: Vec<Finding> },
    #[error("the plan was made for {planned}, not for the org being applied to ({actual})")]
    WrongOrg { planned: String, actual: String },
    #[error("the validation deploy (check only) failed with {} component failure{}; nothing was changed", failures.len(), if failures.len() == 1 { "" } else { "s" })]
    Validation { failures: Vec<ComponentFailure> },
    #[error("the deploy failed with {} component failure{}; it was rolled back, nothing was changed", failures.len(), if failures.len() == 1 { "" } else { "s" })]
    Deploy { failures: Vec<ComponentFailure> },
    #[error("the user could not be created or updated: {source}")]
    User {
        #[source]
        source: Box<OrgError>,
        hint: Option<String>,
    },
    #[error("assigning `{name}` failed: {source}")]
    Assignment {
        name: String,
        #[source]
        source: Box<ApplyError>,
    },
    #[error("the org has no {what}")]
    Missing { what: String, hint: String },
    #[error("verify failed: a fresh plan still shows changes (X to add, Y to change, Z to remove: {}, {}, {})", remaining.summary().add, remaining.summary().change, remaining.summary().remove)]
    Verify { remaining: Box<Plan> },
    #[error(transparent)]
    Snapshot(#[from] snapshot::SnapshotError),
    #[error(transparent)]
    Org(Box<OrgError>),
    #[error(transparent)]
    Read(ReadError),
}

impl From<OrgError> for ApplyError {
    fn from(e: OrgError) -> Self {
        ApplyError::Org(Box::new(e))
    }
}

impl From<ReadError> for ApplyError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Org(o) => ApplyError::Org(Box::new(o)),
            other => ApplyError::Read(other),
        }
    }
}

impl ApplyError {
    fn assignment(self, name: &str) -> ApplyError {
        ApplyError::Assignment {
            name: name.to_string(),
            source: Box::new(self),
        }
    }

    /// The runnable next step.
    pub fn hint(&self) -> Option<String> {
        match self {
            ApplyError::Preflight { findings } => findings
                .iter()
                .find_map(|f| f.hint.clone())
                .or_else(|| Some("fix what the plan's findings name, then run `sfprov apply` again".into())),
            ApplyError::WrongOrg { .. } => Some("make the plan against this org: `sfprov plan -o ORG --out FILE`".into()),
            ApplyError::Validation { .. } | ApplyError::Deploy { .. } => Some(
                "fix the spec (or the org) for the components above, then run `sfprov apply` again; `sfprov plan` shows what would be sent".into(),
            ),
            ApplyError::User { hint, .. } => hint.clone(),
            ApplyError::Assignment { source, .. } => source.hint().or_else(|| Some(
                "run `sfprov apply` again: assignments already made are kept and not repeated".into(),
            )),
            ApplyError::Missing { hint, .. } => Some(hint.clone()),
            ApplyError::Verify { .. } => Some(
                "something in the org overrides the deploy (a managed component, another process, a manual change); `sfprov plan` shows it".into(),
            ),
            ApplyError::Snapshot(_) => Some("make sure the project directory is writable; nothing was changed".into()),
            ApplyError::Org(e) => Some(match e.hint() {
                Some(h) => format!("{h}; then run `sfprov apply` again: it resumes where this run stopped"),
                None => "run `sfprov apply` again: every step is idempotent, it resumes where this run stopped".into(),
            }),
            ApplyError::Read(e) => e.hint(),
        }
    }
}

/// Re-plans the org for verify (the caller holds the spec).
pub type Replan<'a> = dyn Fn(&dyn OrgWrite) -> Result<Plan, ReadError> + 'a;

/// Forwards deploy polls to the apply observer.
struct Progress<'o> {
    step: Step,
    obs: &'o mut dyn ApplyObserver,
}

impl PollObserver for Progress<'_> {
    fn deploy_polled(&mut self, r: &DeployResult) {
        self.obs.deploy_progress(
            self.step,
            r.components_deployed,
            r.components_total,
            &r.status_text,
        );
    }
}

fn failures(r: &DeployResult) -> Vec<ComponentFailure> {
    let mut out: Vec<ComponentFailure> = r
        .component_failures
        .iter()
        .map(ComponentFailure::from_message)
        .collect();
    if out.is_empty() {
        out.push(ComponentFailure {
            component: "deploy".into(),
            file: String::new(),
            problem: format!(
                "{}{}",
                r.error_status_code.as_deref().unwrap_or(&r.status_text),
                r.error_message
                    .as_deref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            ),
            line: None,
            column: None,
        });
    }
    out
}

/// Runs `step`, reporting its start and end; `f` returns (status, summary).
fn step<T>(
    obs: &mut dyn ApplyObserver,
    s: Step,
    f: impl FnOnce(&mut dyn ApplyObserver) -> Result<(Status, String, T), ApplyError>,
) -> Result<T, ApplyError> {
    obs.step_started(s);
    match f(obs) {
        Ok((status, summary, v)) => {
            obs.step_finished(s, status, &summary);
            Ok(v)
        }
        Err(e) => {
            obs.step_finished(s, Status::Failed, &crate::secret::scrub(&e.to_string()));
            Err(e)
        }
    }
}

/// Entries a deploy of `plan` adds, changes and removes.
fn metadata_tally(plan: &Plan) -> Tally {
    let mut t = Tally::default();
    for c in &plan.components {
        for ch in c.counted() {
            match ch.action {
                crate::plan::Action::Add => t.added += 1,
                crate::plan::Action::Change => t.changed += 1,
                crate::plan::Action::Remove => t.removed += 1,
            }
        }
    }
    t
}

/// Applies `plan` to `org`. `replan` makes the fresh plan verify compares.
pub fn apply(
    plan: &Plan,
    org: &dyn OrgWrite,
    opts: &Options,
    replan: &Replan<'_>,
    obs: &mut dyn ApplyObserver,
) -> Result<Report, ApplyError> {
    let mut tally = Tally::default();

    step(obs, Step::Preflight, |obs| {
        let actual = org.org_id();
        if plan.org.org_id.is_some() && actual.is_some() && plan.org.org_id != actual {
            return Err(ApplyError::WrongOrg {
                planned: plan.org.org_id.clone().unwrap_or_default(),
                actual: actual.unwrap_or_default(),
            });
        }
        let errors: Vec<Finding> = plan
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .cloned()
            .collect();
        if !errors.is_empty() {
            return Err(ApplyError::Preflight { findings: errors });
        }
        for m in &plan.manual_steps {
            obs.manual_step(&m.title, &m.where_in_setup);
        }
        let n = plan.manual_steps.len();
        Ok((
            Status::Done,
            match n {
                0 => "no errors in the plan's findings".to_string(),
                _ => format!(
                    "no errors in the plan's findings; {n} manual step{} to do in Setup",
                    if n == 1 { "" } else { "s" }
                ),
            },
            (),
        ))
    })?;

    let snap = step(obs, Step::Snapshot, |_| {
        let s = snapshot::take(org, plan, &opts.snapshot_members, &opts.snapshot_root)?;
        Ok((
            Status::Done,
            format!(
                "{} component{} and {} record{} saved to {}",
                s.components.len(),
                if s.components.len() == 1 { "" } else { "s" },
                s.records,
                if s.records == 1 { "" } else { "s" },
                s.path.display()
            ),
            s,
        ))
    })?;

    let whole = package::whole(plan);
    step(obs, Step::Validate, |obs| {
        let Some(p) = &whole else {
            return Ok((
                Status::Unchanged,
                "no metadata changes to validate".into(),
                (),
            ));
        };
        let opts = DeployOptions {
            check_only: true,
            ..DeployOptions::default()
        };
        let mut progress = Progress {
            step: Step::Validate,
            obs,
        };
        let r = org.deploy(&p.zip, &opts, &mut progress)?;
        if r.outcome() != DeployOutcome::Succeeded {
            return Err(ApplyError::Validation {
                failures: failures(&r),
            });
        }
        Ok((
            Status::Done,
            format!(
                "{} component{} valid",
                p.members.len(),
                if p.members.len() == 1 { "" } else { "s" }
            ),
            (),
        ))
    })?;

    let mut deployed = Vec::new();
    step(obs, Step::Deploy, |obs| {
        let groups = package::groups(plan);
        if groups.is_empty() {
            return Ok((
                Status::Unchanged,
                "the org's metadata already matches".into(),
                (),
            ));
        }
        for p in &groups {
            let mut progress = Progress {
                step: Step::Deploy,
                obs: &mut *obs,
            };
            let r = org.deploy(&p.zip, &DeployOptions::default(), &mut progress)?;
            if r.outcome() != DeployOutcome::Succeeded {
                return Err(ApplyError::Deploy {
                    failures: failures(&r),
                });
            }
            deployed.extend(p.members.iter().map(|(t, m)| format!("{t}/{m}")));
        }
        let t = metadata_tally(plan);
        tally.added += t.added;
        tally.changed += t.changed;
        tally.removed += t.removed;
        Ok((
            Status::Done,
            format!(
                "{} component{} deployed in {} deploy{}",
                deployed.len(),
                if deployed.len() == 1 { "" } else { "s" },
                groups.len(),
                if groups.len() == 1 { "" } else { "s" }
            ),
            (),
        ))
    })?;

    let user_id = step(obs, Step::User, |obs| {
        let Some(u) = &plan.user else {
            return Ok((
                Status::Unchanged,
                plan.user_note
                    .clone()
                    .unwrap_or_else(|| "no user in the plan".into()),
                None,
            ));
        };
        let before = tally;
        let id = records::user(org, u, opts.send_password_email, &mut tally, obs)?;
        let status = if tally == before {
            Status::Unchanged
        } else {
            Status::Done
        };
        let summary = match (status, id.is_some()) {
            (_, false) => format!("`{}` is deactivated; left as it is", u.username),
            (Status::Unchanged, _) => format!("`{}` already as planned", u.username),
            _ => format!(
                "`{}` {}",
                u.username,
                if tally.added > before.added {
                    "created"
                } else {
                    "updated"
                }
            ),
        };
        Ok((status, summary, id))
    })?;

    step(obs, Step::Assignments, |obs| {
        let (Some(u), Some(id)) = (&plan.user, &user_id) else {
            return Ok((Status::Unchanged, "no user to assign to".into(), ()));
        };
        let before = tally;
        records::assignments(org, u, id, &mut tally, obs)?;
        let (a, r) = (tally.added - before.added, tally.removed - before.removed);
        Ok(if a + r == 0 {
            (
                Status::Unchanged,
                "every assignment already as planned".into(),
                (),
            )
        } else {
            (Status::Done, format!("{a} assigned, {r} removed"), ())
        })
    })?;

    step(obs, Step::AppAccess, |obs| {
        let rows = records::app_access_rows(plan);
        if rows.is_empty() {
            return Ok((
                Status::Unchanged,
                "the plan grants no app access by record".into(),
                (),
            ));
        }
        let before = tally;
        records::app_access(org, &rows, &mut tally, obs)?;
        let a = tally.added - before.added;
        Ok(if a == 0 {
            (Status::Unchanged, "app access already granted".into(), ())
        } else {
            (
                Status::Done,
                format!("{a} access row{} granted", if a == 1 { "" } else { "s" }),
                (),
            )
        })
    })?;

    step(obs, Step::Verify, |_| {
        let fresh = replan(org)?;
        if fresh.has_changes() {
            return Err(ApplyError::Verify {
                remaining: Box::new(fresh),
            });
        }
        Ok((Status::Done, "a fresh plan shows no changes".into(), ()))
    })?;

    Ok(Report {
        tally,
        snapshot: Some(snap.path),
        deployed,
        user_id,
    })
}
