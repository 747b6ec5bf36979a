//! Executing a rollback plan: the assignments and the user (with
//! `--remove-user`), the deploy of the snapshot's documents, the
//! destructiveChanges of permission sets apply created; then verifying that
//! a retrieve of the snapshot's members equals the snapshot.

use serde::Serialize;
use serde_json::{Map, Value};

use super::profile::uncleared;
use super::{retrieve_current, Loaded, RollbackError, RollbackPlan};
use crate::apply::package;
use crate::diff::{self, Mode};
use crate::metadata::{self, schema, Document};
use crate::org::mdapi::{DeployOptions, DeployOutcome};
use crate::org::read::OrgRead;
use crate::org::write::OrgWrite;

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
