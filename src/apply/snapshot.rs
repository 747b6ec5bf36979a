//! The snapshot apply takes before it changes anything: the retrieved state
//! of every component the plan touches (a deployable mdapi package), the
//! user and assignment rows, and the plan, under
//! `.sfprov/snapshots/<org id>/<UTC timestamp>/`. Written into a temp
//! directory beside it and renamed, so a snapshot is whole or absent.
//! Never holds a secret: retrieved metadata, query rows and the plan only.
//! Does not: restore (a later `sfprov rollback` reads it).

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::package;
use crate::fsutil;
use crate::metadata::{self, schema};
use crate::org::read::{OrgRead, ReadError};
use crate::org::rest::soql_quote;
use crate::plan::Plan;

/// What went into a snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    pub path: PathBuf,
    /// Components the org had (in the package), `Type/Member`.
    pub components: Vec<String>,
    /// Components the plan creates (the org had none before).
    pub absent: Vec<String>,
    pub records: usize,
}

/// Why a snapshot could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("cannot write the snapshot under {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// `YYYYMMDDTHHMMSSZ` (UTC) for `secs` since the epoch.
pub fn timestamp(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Takes the snapshot of what `plan` touches into `root/<org id>/<now>/`.
pub fn take(
    org: &dyn OrgRead,
    plan: &Plan,
    manifest_members: &[(String, String)],
    root: &Path,
) -> Result<Snapshot, SnapshotError> {
    let org_id = plan.org.org_id.clone().unwrap_or_else(|| "unknown".into());
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let dir = root.join(&org_id);
    // Two applies within one second (a re-run) get distinct directories.
    let mut path = dir.join(timestamp(secs));
    let mut n = 1;
    while path.exists() {
        n += 1;
        path = dir.join(format!("{}-{n}", timestamp(secs)));
    }

    let manifest = metadata::package::manifest(
        manifest_members
            .iter()
            .map(|(t, m)| (t.as_str(), m.as_str())),
        &plan.org.api_version,
    );
    let retrieval = org.retrieve(&manifest)?;
    let touched: Vec<(String, String)> = plan
        .components
        .iter()
        .map(|c| (c.type_name.clone(), c.member.clone()))
        .collect();
    let mut present = Vec::new();
    let mut files = Vec::new();
    for f in &retrieval.files {
        let name = f.path.rsplit('/').next().unwrap_or(&f.path);
        let Some((ty, member)) = schema::registry_for_file(name) else {
            continue;
        };
        if touched.iter().any(|(t, m)| t == ty.name && *m == member) {
            files.push((ty.file_path(&member, false), f.bytes.clone()));
            present.push((ty.name.to_string(), member));
        }
    }
    let absent: Vec<String> = touched
        .iter()
        .filter(|k| !present.contains(k))
        .map(|(t, m)| format!("{t}/{m}"))
        .collect();
    let zip = package::zip_of(&present, files.clone(), &plan.org.api_version);
    let records = records(org, plan)?;

    let write_err = |source| SnapshotError::Write {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(&dir).map_err(write_err)?;
    // An unfinished snapshot of a killed apply is removed here, by the next.
    fsutil::sweep_dead_temps(&dir);
    let tmp = tempfile::Builder::new()
        .prefix(&fsutil::temp_prefix())
        .suffix(".tmp")
        .tempdir_in(&dir)
        .map_err(write_err)?;
    let put = |rel: &str, bytes: &[u8]| -> Result<(), SnapshotError> {
        let p = fsutil::path_inside(tmp.path(), rel).map_err(|e| write_err(e.source))?;
        fsutil::write_atomic(&p, bytes).map_err(|e| write_err(e.source))
    };
    let unpacked =
        crate::org::zipsafe::unpack(&zip, crate::org::ZipLimits::default()).unwrap_or_default();
    for f in &unpacked {
        put(&format!("package/{}", f.path), &f.bytes)?;
    }
    put("package.zip", &zip)?;
    let mut plan_text = serde_json::to_string_pretty(plan).expect("a plan serializes");
    plan_text.push('\n');
    put("plan.json", plan_text.as_bytes())?;
    let index = serde_json::json!({
        "format_version": 1,
        "org_id": org_id,
        "taken_at": timestamp(secs),
        "components": present.iter().map(|(t, m)| format!("{t}/{m}")).collect::<Vec<_>>(),
        "absent": absent,
        "records": records,
    });
    put(
        "snapshot.json",
        format!("{}\n", serde_json::to_string_pretty(&index).expect("json")).as_bytes(),
    )?;
    let tmp = tmp.keep();
    std::fs::rename(&tmp, &path).map_err(|e| {
        let _ = std::fs::remove_dir_all(&tmp);
        write_err(e)
    })?;
    Ok(Snapshot {
        path,
        components: present.iter().map(|(t, m)| format!("{t}/{m}")).collect(),
        absent,
        records: records.len(),
    })
}

/// The user row and its assignment rows, as the org has them.
fn records(org: &dyn OrgRead, plan: &Plan) -> Result<Vec<Value>, ReadError> {
    let Some(u) = &plan.user else {
        return Ok(Vec::new());
    };
    if !org.can_query() {
        return Ok(Vec::new());
    }
    let users = org.query(&format!(
        "SELECT Id, Username, IsActive, Email, FirstName, LastName, Alias, ProfileId, Profile.Name FROM User WHERE Username = {}",
        soql_quote(&u.username)
    ))?;
    let mut out: Vec<Value> = users.records.iter().map(|r| tagged("User", r)).collect();
    if let Some(id) = users
        .records
        .first()
        .and_then(|r| r.get("Id"))
        .and_then(Value::as_str)
    {
        for (sobject, fields) in [
            (
                "PermissionSetAssignment",
                "Id, PermissionSetId, PermissionSet.Name, PermissionSet.IsOwnedByProfile",
            ),
            (
                "PermissionSetLicenseAssign",
                "Id, PermissionSetLicenseId, PermissionSetLicense.DeveloperName",
            ),
        ] {
            let rows = org.query(&format!(
                "SELECT {fields} FROM {sobject} WHERE AssigneeId = {}",
                soql_quote(id)
            ))?;
            out.extend(rows.records.iter().map(|r| tagged(sobject, r)));
        }
    }
    Ok(out)
}

fn tagged(sobject: &str, r: &serde_json::Map<String, Value>) -> Value {
    let mut m: serde_json::Map<String, Value> = r
        .iter()
        .filter(|(k, _)| k.as_str() != "attributes")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    m.insert("sobject".into(), Value::from(sobject));
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::timestamp;

    #[test]
    fn utc_timestamps() {
        assert_eq!(timestamp(0), "19700101T000000Z");
        assert_eq!(timestamp(1_700_000_000), "20231114T221320Z");
        assert_eq!(timestamp(951_782_400), "20000229T000000Z");
    }
}
