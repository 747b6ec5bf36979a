//! Reading a snapshot directory apply wrote and checking it whole: exactly
//! `package/`, `package.zip`, `plan.json`, `snapshot.json`; the unpacked
//! package equal to the zip; every component snapshot.json lists present and
//! parsing. Also finds the newest snapshot of an org.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::RollbackError;
use crate::metadata::{self, schema};
use crate::plan::Plan;

/// The files a snapshot directory holds, and nothing else.
const FILES: [&str; 4] = ["package", "package.zip", "plan.json", "snapshot.json"];

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
