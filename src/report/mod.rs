//! `sfprov report`: the requirement report, as a value. For each vendor
//! requirement (the spec's `why`), the metadata that meets it (component,
//! entry, value) and, when a plan against an org is given, whether the org
//! meets it now; plus the manual steps with their checks.
//! Owns: the `Report` value (its JSON is the serde form, with
//! `format_version`), building it (`build`; rows in `rows`), the status of a
//! row read from a `Plan`. Does not: connect, plan, or know clap; the views
//! are `markdown` and `html`.

mod apps;
pub mod html;
pub mod markdown;
mod rows;
mod steps;
mod user;

use serde::Serialize;

use crate::diff::FieldChange;
use crate::plan::{self, Plan, Severity};
use crate::spec::Desired;

/// The report's JSON format; bumped when readers must adapt.
pub const FORMAT_VERSION: &str = "1";

/// Everything one report says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub format_version: &'static str,
    pub sfprov_version: String,
    /// `sfprov.toml`, or `template NAME`.
    pub spec: String,
    /// The template the spec starts from.
    pub template: Option<String>,
    /// The spec's `description`.
    pub description: Option<String>,
    /// The org the statuses come from; `None`: every status is unknown.
    pub org: Option<OrgHeader>,
    /// When the org was read (`2026-03-04 05:06 UTC`); set by the caller,
    /// so the report value itself stays a pure function of its inputs.
    pub date: Option<String>,
    pub summary: Summary,
    /// Requirements grouped by where they come from.
    pub groups: Vec<Group>,
    pub manual_steps: Vec<ManualStep>,
    /// The plan's errors and warnings (what would make apply fail).
    pub findings: Vec<Finding>,
    /// What the org has and the spec does not want (a deploy or apply
    /// removes it); not counted as requirements.
    pub beyond_spec: Vec<Extra>,
    /// Why some statuses are unknown.
    pub notes: Vec<String>,
}

/// The org of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgHeader {
    pub label: String,
    pub org_id: Option<String>,
    pub api_version: String,
}

/// Requirement counts over every row of every group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub total: usize,
    pub met: usize,
    /// Would be added, would be changed, or not met.
    pub not_met: usize,
    pub unknown: usize,
}

/// Where a group of requirements comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Profile,
    PermissionSet,
    App,
    Settings,
    User,
    Checks,
}

impl Source {
    /// The group's heading noun.
    pub fn noun(self) -> &'static str {
        match self {
            Source::Profile => "Profile",
            Source::PermissionSet => "Permission set",
            Source::App => "Connected app",
            Source::Settings => "Org settings",
            Source::User => "User",
            Source::Checks => "Org checks",
        }
    }
}

/// The requirements of one profile, permission set, app, the settings, the
/// user or the org checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    pub source: Source,
    /// The profile's or permission set's name, the app's, the username; empty
    /// for settings and checks.
    pub name: String,
    /// The spec's description of the profile or permission set.
    pub description: Option<String>,
    pub rows: Vec<Row>,
}

/// One requirement and the metadata that meets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// The spec's words (its `why`), `required by …` for an implied grant,
    /// or sfprov's words where the spec gives no reason.
    pub requirement: String,
    /// Added by sfprov because another grant needs it (not in the spec).
    pub implied: bool,
    /// The component's type (`PermissionSet`, `Settings`, `User`).
    #[serde(rename = "type")]
    pub type_name: String,
    pub member: String,
    /// The entry (`fieldPermissions`, `Case.Subject`); empty for a whole
    /// component or a single value.
    pub section: String,
    pub key: String,
    /// What the entry gives: `enabled = true`, `read, edit`, `lockSessionsToIp = false`.
    pub value: String,
    pub status: Status,
    /// What would change (`would_change`): before and after per field.
    pub changes: Vec<FieldChange>,
    /// Why the status is what it is, when that needs saying.
    pub note: Option<String>,
}

/// Whether the org meets a requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Met,
    /// The org lacks it; applying the spec adds it.
    WouldAdd,
    /// The org has it otherwise; applying the spec changes it.
    WouldChange,
    /// The org lacks it and apply cannot add it (a check or a manual step).
    NotMet,
    /// No org was given, or the org could not tell.
    Unknown,
}

impl Status {
    /// How the status is spelled out (never colour alone).
    pub fn label(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::WouldAdd => "not met: would be added",
            Status::WouldChange => "not met: would be changed",
            Status::NotMet => "not met",
            Status::Unknown => "unknown",
        }
    }

    /// `met`, `not-met` or `unknown`: the three the summary counts.
    pub fn class(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::WouldAdd | Status::WouldChange | Status::NotMet => "not-met",
            Status::Unknown => "unknown",
        }
    }
}

/// Something a person does in Setup, with what sfprov could check of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManualStep {
    pub title: String,
    pub what: Vec<String>,
    pub where_in_setup: String,
    pub why: Option<String>,
    pub checks: Vec<Check>,
    /// Not met when a check fails; met when every check passes; unknown
    /// without an org or without checks.
    pub status: Status,
}

/// One check sfprov made by query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub check: String,
    pub satisfied: bool,
}

/// A plan finding the report repeats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub message: String,
    pub hint: Option<String>,
}

/// An entry or assignment the org has beyond the spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Extra {
    #[serde(rename = "type")]
    pub type_name: String,
    pub member: String,
    pub section: String,
    pub key: String,
    pub note: String,
}

impl Row {
    /// The entry as one line: `userPermissions ApiEnabled`, a single value's
    /// path, or the whole component.
    pub fn entry(&self) -> String {
        match (self.section.is_empty(), self.key.is_empty()) {
            (true, true) => "(the whole component)".into(),
            (false, true) => self.section.clone(),
            (true, false) => self.key.clone(),
            (false, false) => format!("{} {}", self.section, self.key),
        }
    }

    /// The component as one line: `PermissionSet Zendesk_Integration`.
    pub fn component(&self) -> String {
        if self.member.is_empty() {
            self.type_name.clone()
        } else {
            format!("{} {}", self.type_name, self.member)
        }
    }
}

impl Group {
    /// `Profile`, and the name when it has one.
    pub fn title(&self) -> (&'static str, Option<&str>) {
        (
            self.source.noun(),
            (!self.name.is_empty()).then_some(self.name.as_str()),
        )
    }
}

/// `error`, `warning`, `note`.
pub fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// One field change as text: `allowEdit: false → true`, `true → false`.
pub fn change_text(f: &FieldChange) -> String {
    let b = f.before.as_deref().unwrap_or("(none)");
    let a = f.after.as_deref().unwrap_or("(none)");
    if f.name.is_empty() {
        format!("{b} → {a}")
    } else {
        format!("{}: {b} → {a}", f.name)
    }
}

/// The header lines both views show: (label, value), in order.
pub fn header(r: &Report) -> Vec<(&'static str, String)> {
    let mut out = vec![("Spec", r.spec.clone())];
    if let Some(t) = &r.template {
        out.push(("Template", t.clone()));
    }
    match &r.org {
        Some(o) => {
            let id = o
                .org_id
                .as_deref()
                .map(|i| format!(" ({i})"))
                .unwrap_or_default();
            out.push(("Org", format!("{}{id}, API {}", o.label, o.api_version)));
        }
        None => out.push(("Org", "none given: statuses are unknown".into())),
    }
    if let Some(d) = &r.date {
        out.push(("Date", d.clone()));
    }
    out.push(("sfprov", r.sfprov_version.clone()));
    out
}

/// `3 met, 2 not met, 1 unknown (6 requirements)`.
pub fn summary_line(s: &Summary) -> String {
    format!(
        "{} met, {} not met, {} unknown ({} requirement{})",
        s.met,
        s.not_met,
        s.unknown,
        s.total,
        if s.total == 1 { "" } else { "s" }
    )
}

/// Builds the report of `desired` (named `spec_name`); statuses come from
/// `plan` (a plan of the same desired state against an org), else unknown.
pub fn build(desired: &Desired, spec_name: &str, plan: Option<&Plan>) -> Report {
    let groups = rows::groups(desired, plan);
    let manual_steps = steps::manual_steps(desired, plan);
    let mut summary = Summary::default();
    for r in groups.iter().flat_map(|g| &g.rows) {
        summary.total += 1;
        match r.status {
            Status::Met => summary.met += 1,
            Status::Unknown => summary.unknown += 1,
            Status::WouldAdd | Status::WouldChange | Status::NotMet => summary.not_met += 1,
        }
    }
    let mut notes = Vec::new();
    let (org, findings, beyond_spec) = match plan {
        None => {
            notes.push(
                "no org was given: every status is unknown; `sfprov report -o ORG` checks an org"
                    .into(),
            );
            (None, Vec::new(), Vec::new())
        }
        Some(p) => {
            notes.extend(p.user_note.iter().map(|n| format!("user: {n}")));
            let findings = p
                .findings
                .iter()
                .filter(|f| f.severity != Severity::Note)
                .map(|f| Finding {
                    severity: f.severity,
                    message: f.message.clone(),
                    hint: f.hint.clone(),
                })
                .collect();
            let org = OrgHeader {
                label: p.org.label.clone(),
                org_id: p.org.org_id.clone(),
                api_version: p.org.api_version.clone(),
            };
            (Some(org), findings, steps::beyond_spec(p))
        }
    };
    Report {
        format_version: FORMAT_VERSION,
        sfprov_version: env!("CARGO_PKG_VERSION").to_string(),
        spec: spec_name.to_string(),
        template: desired.template.clone(),
        description: desired.description.clone(),
        org,
        date: None,
        summary,
        groups,
        manual_steps,
        findings,
        beyond_spec,
        notes,
    }
}

/// The JSON view: one document with `format_version`.
pub fn json(r: &Report) -> String {
    let mut s = serde_json::to_string_pretty(r).expect("a report serializes");
    s.push('\n');
    s
}

/// `2026-03-04 05:06 UTC` for `secs` since the epoch.
pub fn utc_date(secs: u64) -> String {
    // `YYYYMMDDTHHMMSSZ`, the snapshot's form.
    let t = crate::apply::snapshot::timestamp(secs);
    format!(
        "{}-{}-{} {}:{} UTC",
        &t[0..4],
        &t[4..6],
        &t[6..8],
        &t[9..11],
        &t[11..13]
    )
}

/// A status, what would change, and why (when that needs saying).
type Derived = (Status, Vec<FieldChange>, Option<String>);

/// The plan's component `ty`/`member`; without one (no plan, or the plan
/// lacks it) the unknown status to give instead.
fn planned<'p>(
    plan: Option<&'p Plan>,
    ty: &str,
    member: &str,
) -> Result<&'p plan::ComponentPlan, Derived> {
    let p = plan.ok_or((Status::Unknown, Vec::new(), None))?;
    p.components
        .iter()
        .find(|c| c.type_name == ty && c.member == member)
        .ok_or_else(|| {
            let note = format!("the plan has no {ty} `{member}`");
            (Status::Unknown, Vec::new(), Some(note))
        })
}

/// A row's status, changes and note from the plan's change of entry
/// (`section`, `key`) of component `ty`/`member`: no change is met.
fn entry_status(plan: Option<&Plan>, ty: &str, member: &str, section: &str, key: &str) -> Derived {
    let c = match planned(plan, ty, member) {
        Ok(c) => c,
        Err(unknown) => return unknown,
    };
    if c.action == plan::ComponentAction::Create {
        return (Status::WouldAdd, Vec::new(), None);
    }
    let change = c
        .counted()
        .find(|ch| ch.section == section && ch.key == key);
    match change {
        None => (Status::Met, Vec::new(), None),
        Some(ch) if ch.action == plan::Action::Add => (Status::WouldAdd, Vec::new(), None),
        Some(ch) => (Status::WouldChange, ch.fields.clone(), None),
    }
}

#[cfg(test)]
mod tests;
