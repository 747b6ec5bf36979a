//! `sfprov plan`: what an org would get from a spec, and why, as a value.
//! Owns: the `Plan` value (serializable: it is also the plan file), building
//! it from a `Desired` and an `OrgRead` (`build`), the retrieve manifest
//! (`manifest`), spec wildcards resolved against the org (`wildcards`), the
//! user and its assignments (`user`), connected apps sfprov does not create
//! and the access to them (`apps`), manual steps (`manual`), preflight
//! findings (`checks`) and the plan file (`file`). Reasons come with the
//! components (`generate::documents`).
//! Does not: print (see `render::plan`), know clap, or deploy anything.

pub mod apps;
pub mod build;
pub mod checks;
pub mod file;
pub mod manifest;
pub mod manual;
pub mod user;
pub mod wildcards;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::diff::{Action, ComponentAction, FieldChange};
pub use crate::org::read::Requests;
pub use build::{build, Options};

/// The plan value's (and plan file's) format; bumped when readers must adapt.
pub const FORMAT_VERSION: u32 = 1;

/// Everything one plan found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    pub sfprov_version: String,
    /// `sfprov.toml`, or `template NAME`.
    pub spec: String,
    /// sha256 of the spec text (hex).
    pub spec_digest: String,
    pub org: OrgRef,
    /// How the plan was asked to be shown (so `show` draws it the same way).
    pub view: View,
    /// Components in deploy step order.
    pub components: Vec<ComponentPlan>,
    pub manual_steps: Vec<ManualStep>,
    /// Access to connected apps sfprov does not create (SetupEntityAccess).
    #[serde(default)]
    pub app_access: Vec<apps::AppAccessChange>,
    /// The user and its assignments; `None` when they could not be checked
    /// (`user_note` says why).
    pub user: Option<user::UserPlan>,
    pub user_note: Option<String>,
    pub findings: Vec<Finding>,
    /// sha256 (hex) of each retrieved component's canonical bytes
    /// (`Profile/Zendesk Integration`), each user/assignment row
    /// (`User/<username>`, `PermissionSetAssignment/<name>`), each connected
    /// app and access row (`ConnectedApplication/<app>`,
    /// `SetupEntityAccess/<app>/profile:<name>`) and each resolved wildcard
    /// (`ApexPage/namespace:<ns>`: the page names).
    pub fingerprints: BTreeMap<String, String>,
    /// What a deploy would send: canonical XML per component.
    pub desired: Vec<DesiredDocument>,
    /// Requests sent to the org for this plan.
    pub requests: Requests,
}

/// Which org a plan was made against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgRef {
    /// The name used in messages (alias, `local`, a directory).
    pub label: String,
    /// `org` or `directory`.
    pub kind: String,
    pub org_id: Option<String>,
    pub api_version: String,
}

/// Display options recorded with the plan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    /// Show entries a profile deploy leaves alone.
    pub show_unmanaged: bool,
    /// Include a unified diff per component.
    pub diff: bool,
}

/// One component and what a deploy would do to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentPlan {
    #[serde(rename = "type")]
    pub type_name: String,
    pub member: String,
    pub action: ComponentAction,
    pub changes: Vec<PlannedChange>,
    /// The org's canonical XML against what will be deployed (`--diff`).
    pub unified_diff: Option<String>,
}

impl ComponentPlan {
    /// Changes that count (entries a profile deploy leaves alone excluded).
    pub fn counted(&self) -> impl Iterator<Item = &PlannedChange> {
        self.changes.iter().filter(|c| !c.unmanaged)
    }
}

/// One keyed change with the reason it is needed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedChange {
    pub section: String,
    pub key: String,
    pub action: Action,
    pub fields: Vec<FieldChange>,
    /// Removed by the deploy though the spec does not say so (PermissionSet).
    pub destructive: bool,
    /// In the org, left alone by the deploy (Profile overlay).
    pub unmanaged: bool,
    /// Why: the spec's words, "required by …", or "not in the spec".
    pub reason: Option<String>,
    /// Added by sfprov because another grant needs it.
    pub implied: bool,
}

/// Something no API can do: a person does it in Setup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManualStep {
    /// One line: what this step is about.
    pub title: String,
    /// The settings to make, one per line.
    pub what: Vec<String>,
    /// The Setup path.
    pub where_in_setup: String,
    pub why: Option<String>,
    /// What sfprov could check by query: (check, satisfied).
    pub checks: Vec<(String, bool)>,
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

/// A preflight finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub severity: Severity,
    pub message: String,
    pub hint: Option<String>,
}

/// The counts of `Plan: X to add, Y to change, Z to remove.`
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub add: usize,
    pub change: usize,
    pub remove: usize,
    pub destructive: usize,
}

/// One desired component as deployed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredDocument {
    #[serde(rename = "type")]
    pub type_name: String,
    pub member: String,
    pub xml: String,
}

impl Plan {
    /// Entry counts over components, the user and assignments.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.components {
            for ch in c.counted() {
                match ch.action {
                    Action::Add => s.add += 1,
                    Action::Change => s.change += 1,
                    Action::Remove => s.remove += 1,
                }
                if ch.destructive {
                    s.destructive += 1;
                }
            }
        }
        for a in &self.app_access {
            match a.action {
                Action::Add => s.add += 1,
                Action::Change => s.change += 1,
                Action::Remove => s.remove += 1,
            }
        }
        if let Some(u) = &self.user {
            let us = u.summary();
            s.add += us.add;
            s.change += us.change;
            s.remove += us.remove;
        }
        s
    }

    /// Whether applying would change anything. Manual steps do not count:
    /// sfprov cannot see whether they were done, and a plan that is never
    /// empty would make drift checks useless.
    pub fn has_changes(&self) -> bool {
        let s = self.summary();
        s.add + s.change + s.remove > 0
    }

    /// Whether a finding stops apply.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

#[cfg(test)]
mod tests;
