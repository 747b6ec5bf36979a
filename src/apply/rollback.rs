//! `sfprov rollback`: returns an org to a snapshot apply took. Owns: reading
//! and checking a snapshot directory (`load`, refused when files are
//! missing, extra or disagree), the rollback plan (the snapshot's package is
//! the desired side; profiles get explicit `false` for access apply enabled;
//! permission sets apply created are deleted), executing it, and verifying
//! that a retrieve of the same members equals the snapshot (effective access).
//! Does not: print or confirm (see `run/rollback.rs`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value};

use super::package;
use crate::diff::{self, ComponentAction, ComponentDiff, Mode};
use crate::metadata::{self, canon, schema, Content, Document, Element};
use crate::org::error::OrgError;
use crate::org::mdapi::{DeployOptions, DeployOutcome};
use crate::org::read::{OrgRead, ReadError};
use crate::org::rest::soql_quote;
use crate::org::write::OrgWrite;
use crate::plan::Plan;

/// The files a snapshot directory holds, and nothing else.
const FILES: [&str; 4] = ["package", "package.zip", "plan.json", "snapshot.json"];

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

/// A checked snapshot directory.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub dir: PathBuf,
    pub org_id: String,
    pub plan: Plan,
    /// Components the org had before apply: (type, member) -> XML.
    pub present: BTreeMap<(String, String), String>,
    /// Components apply created.
    pub absent: Vec<(String, String)>,
    /// The user and assignment rows before apply (tagged with `sobject`).
    pub records: Vec<Value>,
}

fn split(s: &str) -> Option<(String, String)> {
    s.split_once('/')
        .map(|(t, m)| (t.to_string(), m.to_string()))
}

/// The newest snapshot of `org_id` under `root` (names sort by time).
pub fn newest(root: &Path, org_id: &str) -> Result<PathBuf, RollbackError> {
    let none = || RollbackError::NoSnapshot {
        org_id: org_id.to_string(),
        root: root.to_path_buf(),
    };
    let dir = root.join(org_id);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|_| none())?
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.'))
        .collect();
    // `T…Z-2` (a second snapshot within one second) after `T…Z`.
    names.sort_by_key(|n| {
        let (base, k) = n.split_once('-').unwrap_or((n, "1"));
        (base.to_string(), k.parse::<u32>().unwrap_or(0))
    });
    names.pop().map(|n| dir.join(n)).ok_or_else(none)
}

/// Every file under `dir`, relative, `/`-separated.
fn walk(dir: &Path, rel: &str, out: &mut BTreeMap<String, Vec<u8>>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        let r = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        if e.file_type()?.is_dir() {
            walk(&e.path(), &r, out)?;
        } else {
            out.insert(r, std::fs::read(e.path())?);
        }
    }
    Ok(())
}

/// Reads `dir` and checks it: exactly the four entries apply writes, the
/// unpacked package equal to package.zip, every component snapshot.json
/// lists in the package and parsing as XML.
pub fn load(dir: &Path) -> Result<Loaded, RollbackError> {
    let bad = |problem: String| RollbackError::Corrupt {
        dir: dir.to_path_buf(),
        problem,
    };
    let entries: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| bad(format!("cannot read the directory: {e}")))?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    for f in FILES {
        if !entries.iter().any(|e| e == f) {
            return Err(bad(format!("`{f}` is missing")));
        }
    }
    if let Some(extra) = entries.iter().find(|e| !FILES.contains(&e.as_str())) {
        return Err(bad(format!("`{extra}` is not part of a snapshot")));
    }
    let read = |name: &str| {
        std::fs::read(dir.join(name)).map_err(|e| bad(format!("cannot read `{name}`: {e}")))
    };
    let index: Value = serde_json::from_slice(&read("snapshot.json")?)
        .map_err(|e| bad(format!("`snapshot.json` is not valid JSON: {e}")))?;
    let org_id = index["org_id"]
        .as_str()
        .ok_or_else(|| bad("`snapshot.json` names no org_id".into()))?
        .to_string();
    let list = |k: &str| -> Result<Vec<(String, String)>, RollbackError> {
        index[k]
            .as_array()
            .ok_or_else(|| bad(format!("`snapshot.json` has no `{k}` list")))?
            .iter()
            .map(|v| {
                v.as_str().and_then(split).ok_or_else(|| {
                    bad(format!(
                        "`snapshot.json` `{k}` holds `{v}`, not Type/Member"
                    ))
                })
            })
            .collect()
    };
    let components = list("components")?;
    let absent = list("absent")?;
    let records = index["records"].as_array().cloned().unwrap_or_default();
    let plan: Plan = serde_json::from_slice(&read("plan.json")?)
        .map_err(|e| bad(format!("`plan.json` is not a plan: {e}")))?;

    let zip = read("package.zip")?;
    let unpacked = crate::org::zipsafe::unpack(&zip, crate::org::ZipLimits::default())
        .map_err(|e| bad(format!("`package.zip` cannot be read: {e}")))?;
    let zipped: BTreeMap<String, Vec<u8>> =
        unpacked.into_iter().map(|f| (f.path, f.bytes)).collect();
    let mut files = BTreeMap::new();
    walk(&dir.join("package"), "", &mut files)
        .map_err(|e| bad(format!("cannot read `package/`: {e}")))?;
    for (path, bytes) in &files {
        match zipped.get(path) {
            None => return Err(bad(format!("`package/{path}` is not in package.zip"))),
            Some(z) if z != bytes => {
                return Err(bad(format!("`package/{path}` differs from package.zip")))
            }
            _ => {}
        }
    }
    if let Some(p) = zipped.keys().find(|p| !files.contains_key(*p)) {
        return Err(bad(format!(
            "`package/{p}` is missing (package.zip has it)"
        )));
    }
    let mut present = BTreeMap::new();
    for (t, m) in components {
        let reg = schema::registry_for_type(&t)
            .ok_or_else(|| bad(format!("`snapshot.json` names the unknown type {t}")))?;
        let path = reg.file_path(&m, false);
        let bytes = files
            .get(&path)
            .ok_or_else(|| bad(format!("`package/{path}` ({t}/{m}) is missing")))?;
        let text = String::from_utf8(bytes.clone())
            .map_err(|_| bad(format!("`package/{path}` is not UTF-8")))?;
        metadata::parse(&text).map_err(|e| bad(format!("`package/{path}`: {e}")))?;
        present.insert((t, m), text);
    }
    Ok(Loaded {
        dir: dir.to_path_buf(),
        org_id,
        plan,
        present,
        absent,
        records,
    })
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
fn retrieve_current(
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

/// An entry with every `true` flag turned `false`; `None` when it grants
/// nothing (nothing to take back).
fn revoked(e: &Element<'_>) -> Option<Element<'static>> {
    let mut out = e.clone().into_owned();
    let mut any = false;
    if let Content::Children(children) = &mut out.content {
        for c in children.iter_mut() {
            if c.text_value() == Some("true") {
                *c = Element::boolean(c.name.to_string(), false);
                any = true;
            }
        }
    }
    any.then_some(out)
}

/// The profile to deploy: the snapshot's, plus an explicit `false` for each
/// access entry the org has now and the snapshot lacks (a profile deploy
/// overlays, so leaving an entry out would keep it).
fn profile_rollback(snapshot: &str, current: &str) -> Option<String> {
    let mut snap = metadata::parse(snapshot).ok()?.into_owned();
    let cur = metadata::parse(current).ok()?;
    let ty = schema::type_named(canon::local_name(&snap.root.name));
    let mut extra = Vec::new();
    for e in cur.root.children() {
        // Only repeated entries with a schema (access entries) are taken back.
        let Some(ty) = ty.filter(|t| t.child_type(&e.name).is_some()) else {
            continue;
        };
        let known = snap.root.children().iter().any(|s| {
            s.name == e.name && canon::compare_entries(ty, s, e) == std::cmp::Ordering::Equal
        });
        if !known {
            extra.extend(revoked(e));
        }
    }
    snap.root.children_mut().extend(extra);
    Some(String::from_utf8_lossy(&metadata::to_canonical_bytes(&mut snap)).into_owned())
}

/// A single value (`description`) apply set where the snapshot has none: a
/// profile deploy overlays, so it cannot clear it (listed, not verified).
fn uncleared(c: &diff::Change) -> bool {
    c.action == diff::Action::Add && c.key.is_empty()
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

/// What a rollback did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Done {
    pub deployed: Vec<String>,
    pub deleted: Vec<String>,
    pub assignments_removed: usize,
    pub user_deactivated: bool,
}

fn deploy_failures(r: &crate::org::mdapi::DeployResult) -> Vec<String> {
    let mut out: Vec<String> = r
        .component_failures
        .iter()
        .map(|m| {
            format!(
                "{}/{}: {}",
                m.component_type,
                m.full_name,
                m.problem.as_deref().unwrap_or("failed")
            )
        })
        .collect();
    if out.is_empty() {
        out.push(
            r.error_message
                .clone()
                .unwrap_or_else(|| r.status_text.clone()),
        );
    }
    out
}

/// Runs `rp`: the assignments and the user (with `--remove-user`), the
/// deploy, the deletions; then verifies.
pub fn execute(
    snap: &Loaded,
    rp: &RollbackPlan,
    org: &dyn OrgWrite,
) -> Result<Done, RollbackError> {
    let mut done = Done::default();
    if rp.remove_user {
        for a in &rp.added_assignments {
            match org.delete(&a.sobject, &a.id) {
                Ok(()) => done.assignments_removed += 1,
                // Already gone (a re-run): nothing to do.
                Err(e)
                    if e.to_string().contains("ENTITY_IS_DELETED")
                        || e.to_string().contains("NOT_FOUND") => {}
                Err(e) => return Err(e.into()),
            }
        }
        if let Some(u) = rp.user.as_ref().filter(|u| u.created_by_apply && u.active) {
            let mut f = Map::new();
            f.insert("IsActive".into(), Value::Bool(false));
            org.update("User", &u.id, &f)?;
            done.user_deactivated = true;
        }
    }
    let api = &snap.plan.org.api_version;
    if !rp.deploy.is_empty() {
        let members: Vec<(String, String)> = rp
            .deploy
            .iter()
            .map(|(t, m, _)| (t.clone(), m.clone()))
            .collect();
        let files = rp.deploy.iter().filter_map(|(t, m, x)| {
            let reg = schema::registry_for_type(t)?;
            Some((reg.file_path(m, false), x.as_bytes().to_vec()))
        });
        let zip = package::zip_of(&members, files, api);
        let r = org.deploy(&zip, &DeployOptions::default(), &mut crate::org::NoObserver)?;
        if r.outcome() != DeployOutcome::Succeeded {
            return Err(RollbackError::Deploy {
                failures: deploy_failures(&r),
            });
        }
        done.deployed = members.iter().map(|(t, m)| format!("{t}/{m}")).collect();
    }
    if !rp.delete.is_empty() {
        let doomed: Vec<(String, String)> = rp
            .delete
            .iter()
            .map(|m| ("PermissionSet".to_string(), m.clone()))
            .collect();
        let destructive = metadata::write::to_bytes(&metadata::package::manifest(
            doomed.iter().map(|(t, m)| (t.as_str(), m.as_str())),
            api,
        ));
        let zip = package::zip_of(
            &[],
            [("destructiveChanges.xml".to_string(), destructive)],
            api,
        );
        let r = org.deploy(&zip, &DeployOptions::default(), &mut crate::org::NoObserver)?;
        if r.outcome() != DeployOutcome::Succeeded {
            return Err(RollbackError::Deploy {
                failures: deploy_failures(&r),
            });
        }
        done.deleted = doomed.iter().map(|(t, m)| format!("{t}/{m}")).collect();
    }
    verify(snap, rp, org)?;
    Ok(done)
}

/// A retrieve of the snapshot's members must equal the snapshot (effective
/// access), and the deleted permission sets must be gone.
pub fn verify(snap: &Loaded, rp: &RollbackPlan, org: &dyn OrgRead) -> Result<(), RollbackError> {
    let now = retrieve_current(org, &snap.plan, &rp.members)?;
    let mut differs = Vec::new();
    for ((t, m), before) in &snap.present {
        let Some(reg) = schema::registry_for_type(t) else {
            continue;
        };
        let Some(after) = now.get(&(t.clone(), m.clone())) else {
            differs.push(format!("{t}/{m} is gone"));
            continue;
        };
        let (Ok(b), Ok(a)) = (metadata::parse(before), metadata::parse(after)) else {
            continue;
        };
        let d = diff::component(reg, m, Some(&b), Some(&a), Mode::Files);
        let changes: Vec<&diff::Change> = d
            .counted()
            .filter(|c| !(reg.deploy == schema::Deploy::Overlay && uncleared(c)))
            .collect();
        if !changes.is_empty() {
            let lines = crate::render::diff::change_lines(&changes, "");
            differs.push(format!(
                "{t}/{m} differs ({})",
                lines.trim_end().replace('\n', "; ")
            ));
        }
    }
    for m in &rp.delete {
        if now.contains_key(&("PermissionSet".to_string(), m.clone())) {
            differs.push(format!("PermissionSet/{m} still exists"));
        }
    }
    if differs.is_empty() {
        Ok(())
    } else {
        Err(RollbackError::Verify { differs })
    }
}

/// Whether two versions of a component grant the same (Files mode: every
/// difference counts, absent flags are `false`).
pub fn same(
    reg: &'static schema::MetadataType,
    member: &str,
    a: &Document<'_>,
    b: &Document<'_>,
) -> bool {
    diff::component(reg, member, Some(a), Some(b), Mode::Files)
        .counted()
        .next()
        .is_none()
}

impl crate::diag::ToDiagnostic for RollbackError {
    fn to_diagnostic(&self) -> crate::diag::Diagnostic {
        use crate::diag::Diagnostic;
        match self {
            RollbackError::Org(e) => e.to_diagnostic().hint_opt(self.hint()),
            RollbackError::Read(e) => e.to_diagnostic(),
            RollbackError::WrongOrg { actual, .. } => Diagnostic::from_error(self)
                .org(actual.clone())
                .hint_opt(self.hint()),
            _ => Diagnostic::from_error(self).hint_opt(self.hint()),
        }
    }
}

/// The rollback plan as text: each component's changes, then what is
/// deleted, left in place, and the user and assignments.
pub fn human(rp: &RollbackPlan) -> String {
    use std::fmt::Write as _;
    let mut out = format!(
        "Rollback of org {} to snapshot {}\n",
        rp.org_id,
        rp.snapshot.display()
    );
    if rp.components.is_empty() && rp.delete.is_empty() {
        out.push_str("\nThe metadata already matches the snapshot.\n");
    }
    for c in &rp.components {
        let _ = writeln!(out, "\n  ~ {}/{} will be restored", c.type_name, c.member);
        let changes: Vec<&diff::Change> = c.counted().collect();
        out.push_str(&crate::render::diff::change_lines(&changes, "      "));
    }
    for m in &rp.delete {
        let _ = writeln!(
            out,
            "\n  - PermissionSet/{m} will be deleted (apply created it)"
        );
    }
    for b in &rp.blocked {
        let _ = writeln!(
            out,
            "\n  ! {b}: apply created it, but it cannot be deleted while assigned; left in place (`--remove-user` removes the assignments apply made)"
        );
    }
    for l in &rp.left_in_place {
        let _ = writeln!(
            out,
            "\n  ! {l}: apply created it; a deploy cannot delete it, so it is left in place (delete it in Setup if unwanted)"
        );
    }
    if let Some(u) = &rp.user {
        if u.created_by_apply {
            let _ = writeln!(
                out,
                "\n  User {} ({}) was created by apply: {}",
                u.username,
                u.id,
                match (rp.remove_user, u.active) {
                    (_, false) => "already inactive",
                    (true, true) => "will be deactivated (IsActive=false; users are never deleted)",
                    (false, true) => "left active (pass --remove-user to deactivate it)",
                }
            );
        }
    }
    for a in &rp.added_assignments {
        let _ = writeln!(
            out,
            "  {} {} `{}` ({}) was added by apply: {}",
            if rp.remove_user { "-" } else { "!" },
            a.sobject,
            a.name,
            a.id,
            if rp.remove_user {
                "will be deleted"
            } else {
                "left (pass --remove-user to delete it)"
            }
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::profile_rollback;

    const NS: &str = "xmlns=\"http://soap.sforce.com/2006/04/metadata\"";

    fn perm(name: &str, on: bool) -> String {
        format!("<userPermissions><enabled>{on}</enabled><name>{name}</name></userPermissions>")
    }

    #[test]
    fn a_profile_gets_explicit_false_for_access_the_snapshot_lacks() {
        let snap = format!(
            "<Profile {NS}><custom>true</custom>{}</Profile>",
            perm("ViewSetup", true)
        );
        let now = format!(
            "<Profile {NS}><custom>true</custom>{}{}{}<fieldPermissions><editable>true</editable><field>Case.Subject</field><readable>true</readable></fieldPermissions></Profile>",
            perm("ApiEnabled", true),
            perm("ViewSetup", false),
            perm("ApiUserOnly", false),
        );
        let out = profile_rollback(&snap, &now).unwrap();
        // Taken back: the flag and the field apply enabled.
        assert!(
            out.contains("<enabled>false</enabled>\n        <name>ApiEnabled</name>"),
            "{out}"
        );
        assert!(out.contains("<editable>false</editable>\n        <field>Case.Subject</field>\n        <readable>false</readable>"), "{out}");
        // The snapshot's own entry wins; an entry granting nothing is not sent.
        assert!(
            out.contains("<enabled>true</enabled>\n        <name>ViewSetup</name>"),
            "{out}"
        );
        assert!(!out.contains("ApiUserOnly"), "{out}");
    }
}
