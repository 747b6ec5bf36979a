//! What apply reports while it works: the `ApplyObserver` trait (every
//! method has an empty default), the `Event` value each call stands for
//! (serializable: `--json-stream` writes one per line), a `Recorder` that
//! keeps the events (tests assert their order) and `JsonLines`.
//! Does not: draw progress bars (see `run/apply/progress.rs`).

use std::io::Write;

use serde::Serialize;

/// The steps of an apply, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Preflight,
    Snapshot,
    Validate,
    Deploy,
    User,
    Assignments,
    AppAccess,
    Verify,
}

impl Step {
    pub const ALL: [Step; 8] = [
        Step::Preflight,
        Step::Snapshot,
        Step::Validate,
        Step::Deploy,
        Step::User,
        Step::Assignments,
        Step::AppAccess,
        Step::Verify,
    ];

    /// How progress lines name the step.
    pub fn title(self) -> &'static str {
        match self {
            Step::Preflight => "preflight",
            Step::Snapshot => "snapshot",
            Step::Validate => "validation deploy (check only)",
            Step::Deploy => "deploy",
            Step::User => "user",
            Step::Assignments => "license and permission set assignments",
            Step::AppAccess => "connected app access",
            Step::Verify => "verify",
        }
    }
}

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// It changed something (or wrote the snapshot).
    Done,
    /// Nothing to do: the org already has it.
    Unchanged,
    Failed,
}

/// What happened to one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordAction {
    Created,
    Updated,
    Deleted,
    /// Already as wanted (found by query, or a duplicate answer).
    Existing,
    /// Asked Salesforce to reset the password (it emails the user).
    PasswordReset,
}

/// One thing apply reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    StepStarted {
        step: Step,
    },
    StepFinished {
        step: Step,
        status: Status,
        /// One line: what the step did or why it failed.
        summary: String,
    },
    /// A deploy poll: components deployed of the total.
    DeployProgress {
        step: Step,
        deployed: u64,
        total: u64,
        status: String,
    },
    /// A record written or found.
    Record {
        step: Step,
        action: RecordAction,
        sobject: String,
        /// Username, permission set name, …
        name: String,
    },
    /// A manual step from the plan (shown in preflight).
    ManualStep {
        title: String,
        where_in_setup: String,
    },
}

/// Progress as it happens. Apply never prints; observers draw.
pub trait ApplyObserver {
    fn step_started(&mut self, _step: Step) {}
    fn step_finished(&mut self, _step: Step, _status: Status, _summary: &str) {}
    fn deploy_progress(&mut self, _step: Step, _deployed: u64, _total: u64, _status: &str) {}
    fn record(&mut self, _step: Step, _action: RecordAction, _sobject: &str, _name: &str) {}
    fn manual_step(&mut self, _title: &str, _where_in_setup: &str) {}
}

/// An observer that ignores everything.
pub struct Quiet;
impl ApplyObserver for Quiet {}

/// Turns each call into its `Event` and hands it to `f`.
pub struct Events<F: FnMut(Event)>(pub F);

impl<F: FnMut(Event)> ApplyObserver for Events<F> {
    fn step_started(&mut self, step: Step) {
        (self.0)(Event::StepStarted { step })
    }
    fn step_finished(&mut self, step: Step, status: Status, summary: &str) {
        (self.0)(Event::StepFinished {
            step,
            status,
            summary: summary.to_string(),
        })
    }
    fn deploy_progress(&mut self, step: Step, deployed: u64, total: u64, status: &str) {
        (self.0)(Event::DeployProgress {
            step,
            deployed,
            total,
            status: status.to_string(),
        })
    }
    fn record(&mut self, step: Step, action: RecordAction, sobject: &str, name: &str) {
        (self.0)(Event::Record {
            step,
            action,
            sobject: sobject.to_string(),
            name: name.to_string(),
        })
    }
    fn manual_step(&mut self, title: &str, where_in_setup: &str) {
        (self.0)(Event::ManualStep {
            title: title.to_string(),
            where_in_setup: where_in_setup.to_string(),
        })
    }
}

/// Keeps every event, in order (tests).
#[derive(Debug, Default)]
pub struct Recorder {
    pub events: Vec<Event>,
}

impl Recorder {
    /// The observer that records into `self`.
    pub fn observer(&mut self) -> Events<impl FnMut(Event) + '_> {
        Events(|e| self.events.push(e))
    }

    /// `step_started`/`step_finished` pairs as (step, status), in order.
    pub fn steps(&self) -> Vec<(Step, Status)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::StepFinished { step, status, .. } => Some((*step, *status)),
                _ => None,
            })
            .collect()
    }
}

/// `--json-stream`: each event as one JSON line, flushed at once.
pub fn json_lines<W: Write>(mut out: W) -> Events<impl FnMut(Event)> {
    Events(move |e| {
        if let Ok(line) = serde_json::to_string(&e) {
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        }
    })
}
