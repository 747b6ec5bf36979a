//! `sfprov rollback`: returns an org to a snapshot apply took. Owns: reading
//! and checking a snapshot directory (`load`, refused when files are
//! missing, extra or disagree), the rollback plan (the snapshot's package is
//! the desired side; profiles get explicit `false` for access apply enabled;
//! permission sets apply created are deleted), executing it, and verifying
//! that a retrieve of the same members equals the snapshot (effective access).
//! Does not: print or confirm (see `run/rollback.rs`).

//! Submodules: `dir` (reading and checking a snapshot), `profile` (explicit
//! `false`), `exec` (deploy, deletions, verify), `view` (text).

mod dir;
mod exec;
mod profile;
mod view;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

use crate::diff::{self, ComponentAction, ComponentDiff, Mode};
use crate::metadata::{self, schema};
use crate::org::error::OrgError;
use crate::org::read::{OrgRead, ReadError};
use crate::org::rest::soql_quote;
use crate::plan::Plan;
pub use dir::{load, newest, Loaded};
pub use exec::{execute, same, verify, Done};
use profile::{profile_rollback, uncleared};
pub use view::human;

/// Why a rollback stopped.
#[derive(Debug, thiserror::Error)]
pub enum RollbackError {
    #[error("no snapshot of org {org_id} under {}", root.display())]
    NoSnapshot { org_id: String, root: PathBuf },
    #[error("snapshot {} is not usable: {problem}", dir.display())]
    Corrupt { dir: PathBuf, problem: String },
    #[error("snapshot {} was taken of org {snapshot_org}, not of the org being rolled back ({actual})", dir.display())]
    WrongOrg {
        dir: PathBuf,
        snapshot_org: String,
        actual: String,
    },
    #[error("the rollback deploy failed: {}", failures.join("; "))]
    Deploy { failures: Vec<String> },
    #[error("verify failed: the org still differs from the snapshot: {}", differs.join("; "))]
    Verify { differs: Vec<String> },
    #[error(transparent)]
    Org(Box<OrgError>),
    #[error(transparent)]
    Read(Box<ReadError>),
}

impl From<OrgError> for RollbackError {
    fn from(e: OrgError) -> Self {
        RollbackError::Org(Box::new(e))
    }
}

impl From<ReadError> for RollbackError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Org(o) => RollbackError::Org(Box::new(o)),
            other => RollbackError::Read(Box::new(other)),
        }
    }
}

impl RollbackError {
    /// The runnable next step.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            RollbackError::NoSnapshot { .. } => "`sfprov apply` takes a snapshot before it changes an org; name one with `sfprov rollback .sfprov/snapshots/ORG_ID/TIMESTAMP -o ORG`".into(),
            RollbackError::Corrupt { .. } => "a snapshot is written whole by `sfprov apply` and must not be edited; use another one (`ls .sfprov/snapshots/ORG_ID/`)".into(),
            RollbackError::WrongOrg { .. } => "pass the org the snapshot was taken of with `-o`, or a snapshot of this org (`.sfprov/snapshots/ORG_ID/`)".into(),
            RollbackError::Deploy { .. } => "nothing was changed by the failed deploy (rollbackOnError); fix the org for the components above, then run `sfprov rollback` again".into(),
            RollbackError::Verify { .. } => "something in the org overrides the deploy (a managed component, another process); `sfprov rollback` can be run again".into(),
            RollbackError::Org(e) => match e.hint() {
                Some(h) => format!("{h}; then run `sfprov rollback` again"),
                None => "run `sfprov rollback` again: it plans from the org as it is now".into(),
            },
            RollbackError::Read(e) => return e.hint(),
        })
    }
}

/// A record apply added that rollback can remove.
#[derive(Debug, Clone, Serialize)]
pub struct AddedRow {
    pub sobject: String,
    pub id: String,
    /// The permission set (license) it assigns.
    pub name: String,
}

/// The user as rollback sees it.
#[derive(Debug, Clone, Serialize)]
pub struct UserState {
    pub username: String,
    pub id: String,
    /// No user with this username before apply.
    pub created_by_apply: bool,
    pub active: bool,
}

/// What a rollback will do.
#[derive(Debug, Clone, Serialize)]
pub struct RollbackPlan {
    pub snapshot: PathBuf,
    pub org_id: String,
    /// How each component changes (the org now -> what is deployed).
    pub components: Vec<ComponentDiff>,
    /// (type, member, XML) to deploy.
    #[serde(skip)]
    pub deploy: Vec<(String, String, String)>,
    /// Permission sets apply created, deleted with destructiveChanges.
    pub delete: Vec<String>,
    /// Permission sets apply created that users still hold: left in place.
    pub blocked: Vec<String>,
    /// Other components apply created: a deploy cannot delete them.
    pub left_in_place: Vec<String>,
    pub user: Option<UserState>,
    /// Assignments apply added (removed only with `--remove-user`).
    pub added_assignments: Vec<AddedRow>,
    pub remove_user: bool,
    /// Members retrieved to verify.
    #[serde(skip)]
    pub members: Vec<(String, String)>,
}

impl RollbackPlan {
    /// Whether running it would change the org.
    pub fn has_changes(&self) -> bool {
        !self.deploy.is_empty()
            || !self.delete.is_empty()
            || (self.remove_user
                && (!self.added_assignments.is_empty()
                    || self
                        .user
                        .as_ref()
                        .is_some_and(|u| u.created_by_apply && u.active)))
    }
}

/// Members the snapshot's retrieve named: the plan's components plus the
/// objects, fields, pages and classes its documents grant access to.
fn members(plan: &Plan) -> Vec<(String, String)> {
    let mut out = std::collections::BTreeSet::new();
    for c in &plan.components {
        out.insert((c.type_name.clone(), c.member.clone()));
    }
    for d in &plan.desired {
        let Ok(doc) = metadata::parse(&d.xml) else {
            continue;
        };
        for e in doc.root.children() {
            let tied = |name: &str| e.child_text(name).map(str::to_string);
            match e.name.as_ref() {
                "fieldPermissions" => {
                    if let Some(f) = tied("field") {
                        if let Some((o, _)) = f.split_once('.') {
                            out.insert(("CustomObject".into(), o.to_string()));
                        }
                        out.insert(("CustomField".into(), f));
                    }
                }
                "objectPermissions" => {
                    if let Some(o) = tied("object") {
                        out.insert(("CustomObject".into(), o));
                    }
                }
                "pageAccesses" => {
                    if let Some(p) = tied("apexPage") {
                        out.insert(("ApexPage".into(), p));
                    }
                }
                "classAccesses" => {
                    if let Some(c) = tied("apexClass") {
                        out.insert(("ApexClass".into(), c));
                    }
                }
                _ => {}
            }
        }
    }
    out.into_iter().collect()
}

/// The org's current documents of `members` that are components of the plan.
pub(super) fn retrieve_current(
    org: &dyn OrgRead,
    plan: &Plan,
    members: &[(String, String)],
) -> Result<BTreeMap<(String, String), String>, RollbackError> {
    let manifest = metadata::package::manifest(
        members.iter().map(|(t, m)| (t.as_str(), m.as_str())),
        &plan.org.api_version,
    );
    let r = org.retrieve(&manifest)?;
    let mut out = BTreeMap::new();
    for f in &r.files {
        let name = f.path.rsplit('/').next().unwrap_or(&f.path);
        let Some((ty, member)) = schema::registry_for_file(name) else {
            continue;
        };
        if plan
            .components
            .iter()
            .any(|c| c.type_name == ty.name && c.member == member)
        {
            out.insert(
                (ty.name.to_string(), member),
                String::from_utf8_lossy(&f.bytes).into_owned(),
            );
        }
    }
    Ok(out)
}

/// Salesforce ids compare on their first 15 characters.
fn ids_same(a: &str, b: &str) -> bool {
    a.get(..15.min(a.len())) == b.get(..15.min(b.len()))
}

fn str_of<'v>(r: &'v Value, k: &str) -> &'v str {
    r.get(k).and_then(Value::as_str).unwrap_or("")
}

/// Plans the return to `snap` for `org` as it is now.
pub fn plan(
    snap: &Loaded,
    org: &dyn OrgRead,
    remove_user: bool,
) -> Result<RollbackPlan, RollbackError> {
    // An access-token login does not know the org id: ask the org.
    let actual = match org.org_id() {
        Some(id) => Some(id),
        None if org.can_query() => org
            .query("SELECT Id FROM Organization")?
            .records
            .first()
            .and_then(|r| r.get("Id"))
            .and_then(Value::as_str)
            .map(str::to_string),
        None => None,
    };
    if let Some(actual) = actual {
        if !ids_same(&actual, &snap.org_id) {
            return Err(RollbackError::WrongOrg {
                dir: snap.dir.clone(),
                snapshot_org: snap.org_id.clone(),
                actual,
            });
        }
    }
    let members = members(&snap.plan);
    let current = retrieve_current(org, &snap.plan, &members)?;
    let mut rp = RollbackPlan {
        snapshot: snap.dir.clone(),
        org_id: snap.org_id.clone(),
        components: Vec::new(),
        deploy: Vec::new(),
        delete: Vec::new(),
        blocked: Vec::new(),
        left_in_place: Vec::new(),
        user: None,
        added_assignments: Vec::new(),
        remove_user,
        members,
    };

    // The user and the assignments apply added.
    if let (Some(u), true) = (&snap.plan.user, org.can_query()) {
        let users = org.query(&format!(
            "SELECT Id, IsActive FROM User WHERE Username = {}",
            soql_quote(&u.username)
        ))?;
        if let Some(row) = users.records.first() {
            let id = row
                .get("Id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let before = |sobject: &str| -> Vec<&Value> {
                snap.records
                    .iter()
                    .filter(|r| str_of(r, "sobject") == sobject)
                    .collect()
            };
            rp.user = Some(UserState {
                username: u.username.clone(),
                id: id.clone(),
                created_by_apply: before("User").is_empty(),
                active: row.get("IsActive").and_then(Value::as_bool).unwrap_or(true),
            });
            for (sobject, target, fields, name) in [
                (
                    "PermissionSetAssignment",
                    "PermissionSetId",
                    "Id, PermissionSetId, PermissionSet.Name, PermissionSet.IsOwnedByProfile",
                    ["PermissionSet", "Name"],
                ),
                (
                    "PermissionSetLicenseAssign",
                    "PermissionSetLicenseId",
                    "Id, PermissionSetLicenseId, PermissionSetLicense.DeveloperName",
                    ["PermissionSetLicense", "DeveloperName"],
                ),
            ] {
                let had: Vec<String> = before(sobject)
                    .iter()
                    .map(|r| str_of(r, target).to_string())
                    .collect();
                let now = org.query(&format!(
                    "SELECT {fields} FROM {sobject} WHERE AssigneeId = {}",
                    soql_quote(&id)
                ))?;
                for r in &now.records {
                    let r = Value::Object(r.clone());
                    if r[name[0]]["IsOwnedByProfile"].as_bool() == Some(true) {
                        continue;
                    }
                    let t = str_of(&r, target);
                    if !had.iter().any(|h| ids_same(h, t)) {
                        rp.added_assignments.push(AddedRow {
                            sobject: sobject.into(),
                            id: str_of(&r, "Id").into(),
                            name: r[name[0]][name[1]].as_str().unwrap_or(t).to_string(),
                        });
                    }
                }
            }
        }
    }

    for c in &snap.plan.components {
        let key = (c.type_name.clone(), c.member.clone());
        let Some(reg) = schema::registry_for_type(&c.type_name) else {
            continue;
        };
        let label = format!("{}/{}", c.type_name, c.member);
        let now = current.get(&key);
        if let Some(before) = snap.present.get(&key) {
            let xml = match (reg.deploy, now) {
                (schema::Deploy::Overlay, Some(now)) => {
                    profile_rollback(before, now).unwrap_or_else(|| before.clone())
                }
                _ => before.clone(),
            };
            if let (schema::Deploy::Overlay, Some(now)) = (reg.deploy, now) {
                if let (Ok(b), Ok(n)) = (metadata::parse(before), metadata::parse(now)) {
                    let d = diff::component(reg, &c.member, Some(&b), Some(&n), Mode::Files);
                    for ch in d.counted().filter(|ch| uncleared(ch)) {
                        rp.left_in_place.push(format!("{label} {}", ch.section));
                    }
                }
            }
            let new_doc = metadata::parse(&xml).ok();
            let old_doc = now.and_then(|n| metadata::parse(n).ok());
            let d = diff::component(
                reg,
                &c.member,
                old_doc.as_ref(),
                new_doc.as_ref(),
                Mode::Deploy,
            );
            if d.action != ComponentAction::Unchanged {
                rp.components.push(d);
                rp.deploy.push((c.type_name.clone(), c.member.clone(), xml));
            }
        } else if now.is_none() {
            // Created by apply and already gone.
        } else if c.type_name == "PermissionSet" {
            let ps = org.query(&format!(
                "SELECT Id FROM PermissionSet WHERE Name = {}",
                soql_quote(&c.member)
            ))?;
            let mut holders = 0;
            if let Some(id) = ps
                .records
                .first()
                .and_then(|r| r.get("Id"))
                .and_then(Value::as_str)
            {
                let rows = org.query(&format!(
                    "SELECT Id FROM PermissionSetAssignment WHERE PermissionSetId = {}",
                    soql_quote(id)
                ))?;
                holders = rows
                    .records
                    .iter()
                    .filter(|r| {
                        let rid = r.get("Id").and_then(Value::as_str).unwrap_or("");
                        !(remove_user && rp.added_assignments.iter().any(|a| a.id == rid))
                    })
                    .count();
            }
            if holders == 0 {
                rp.delete.push(c.member.clone());
            } else {
                rp.blocked.push(format!(
                    "{label}: assigned to {holders} user{}",
                    if holders == 1 { "" } else { "s" }
                ));
            }
        } else {
            rp.left_in_place.push(label);
        }
    }
    Ok(rp)
}
