//! `sfprov fmt`: rewrite metadata files in canonical form.
//! Owns: finding metadata files under the given paths, checking or rewriting
//! each (atomically, permissions kept), and reporting file by file.
//! Does not: print (the CLI renders the report) or know the canonical rules
//! (`metadata` does).

use std::path::{Path, PathBuf};

use crate::fsutil;
use crate::metadata::limits::{self, MAX_DOCUMENT_BYTES};
use crate::metadata::{self, schema};

/// What `fmt` did with one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Already canonical.
    Unchanged,
    /// Rewritten in canonical form.
    Formatted,
    /// Not canonical; `--check` wrote nothing.
    WouldFormat,
    /// Could not be read or parsed: the message says where.
    Failed(String),
    /// A metadata file of a type sfprov does not manage (ApexClass,
    /// CustomObject, ...): not checked, since its canonical order is unknown.
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileResult {
    pub path: PathBuf,
    pub status: Status,
}

/// Options of one `fmt` run.
#[derive(Debug, Clone)]
pub struct Options {
    pub paths: Vec<PathBuf>,
    /// Write nothing; report files that are not canonical.
    pub check: bool,
}

/// Why a path given to `fmt` could not be used at all.
#[derive(Debug, thiserror::Error)]
#[error("cannot read `{}`", path.display())]
pub struct PathError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// Formats (or checks) every metadata file under the given paths, in path order.
pub fn run(opts: &Options) -> Result<Vec<FileResult>, PathError> {
    let mut files = Vec::new();
    // A directory below a given path that cannot be read is reported like a
    // file that cannot be; the run goes on.
    let mut unreadable = Vec::new();
    for p in &opts.paths {
        let meta = std::fs::metadata(p).map_err(|source| PathError {
            path: p.clone(),
            source,
        })?;
        if meta.is_dir() {
            let top = std::fs::read_dir(p).map_err(|source| PathError {
                path: p.clone(),
                source,
            })?;
            walk(p, top, &mut files, &mut unreadable);
        } else {
            files.push(p.clone());
        }
    }
    files.sort();
    files.dedup();
    let mut results: Vec<FileResult> = files
        .into_iter()
        .map(|path| {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let status = if is_metadata_file(&name) {
                one(&path, opts.check)
            } else {
                Status::Skipped
            };
            FileResult { path, status }
        })
        .collect();
    if !unreadable.is_empty() {
        results.extend(unreadable);
        results.sort_by(|a, b| a.path.cmp(&b.path));
    }
    Ok(results)
}

/// Whether a file name is a metadata file `fmt` handles when walking a directory:
/// a type in the schema registry (either format) or package.xml.
pub fn is_metadata_file(name: &str) -> bool {
    name == "package.xml" || schema::registry_for_file(name).is_some()
}

/// Collects metadata files under `dir` (whose entries are `entries`).
fn walk(
    dir: &Path,
    entries: std::fs::ReadDir,
    out: &mut Vec<PathBuf>,
    unreadable: &mut Vec<FileResult>,
) {
    let fail = |path: PathBuf, e: std::io::Error| FileResult {
        path,
        status: Status::Failed(format!("cannot read directory: {e}")),
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                unreadable.push(fail(dir.to_path_buf(), e));
                break;
            }
        };
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Ok(ty) = entry.file_type() else { continue };
        if ty.is_dir() {
            if !name.starts_with('.') && name != "node_modules" && name != "target" {
                match std::fs::read_dir(entry.path()) {
                    Ok(sub) => walk(&entry.path(), sub, out, unreadable),
                    Err(e) => unreadable.push(fail(entry.path(), e)),
                }
            }
        } else if ty.is_file() && (is_metadata_file(&name) || name.ends_with("-meta.xml")) {
            // Other types' files are reported as skipped, not silently ignored.
            out.push(entry.path());
        }
    }
}

fn one(path: &Path, check: bool) -> Status {
    let bytes = match read_bounded(path) {
        Ok(b) => b,
        Err(message) => return Status::Failed(message),
    };
    let failed = |e: metadata::ParseError| {
        Status::Failed(format!(
            "{}:{}:{}: {}",
            path.display(),
            e.line,
            e.column,
            e.message
        ))
    };
    match metadata::is_canonical(&bytes) {
        Err(e) => return failed(e),
        Ok(true) => return Status::Unchanged,
        Ok(false) if check => return Status::WouldFormat,
        Ok(false) => {}
    }
    let text = match metadata::read::utf8(&bytes) {
        Ok(t) => t,
        Err(e) => return failed(e),
    };
    let mut doc = match metadata::parse(text) {
        Ok(d) => d,
        Err(e) => return failed(e),
    };
    // Write through a symlink to its target instead of replacing the link.
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    match fsutil::write_with(&target, |w| metadata::write_canonical(&mut doc, w)) {
        Ok(()) => Status::Formatted,
        Err(e) => Status::Failed(format!("{e}: {}", e.source)),
    }
}

/// Reads a regular file of at most `MAX_DOCUMENT_BYTES` (`fsutil::read_limited`).
pub fn read_bounded(path: &Path) -> Result<Vec<u8>, String> {
    fsutil::read_limited(path, MAX_DOCUMENT_BYTES as u64).map_err(|e| match e {
        fsutil::ReadLimitError::NotRegular { kind, .. } => format!(
            "{} is {kind}, not a regular file; fmt reads only regular files",
            path.display()
        ),
        fsutil::ReadLimitError::TooLarge { .. } => format!(
            "{} is larger than {}, the limit for a metadata file (see README, Limits)",
            path.display(),
            limits::bytes(MAX_DOCUMENT_BYTES)
        ),
        fsutil::ReadLimitError::Io { source, .. } => format!("cannot read: {source}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn formats_through_symlinks_without_replacing_them() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.xml");
        std::fs::write(&real, "<PermissionSet xmlns=\"http://soap.sforce.com/2006/04/metadata\"><label>X</label></PermissionSet>").unwrap();
        let link = dir.path().join("X.permissionset-meta.xml");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let r = run(&Options {
            paths: vec![link.clone()],
            check: false,
        })
        .unwrap();
        assert_eq!(r[0].status, Status::Formatted);
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert!(std::fs::read_to_string(&real).unwrap().starts_with("<?xml"));
    }

    #[test]
    fn directories_select_metadata_files_only() {
        assert!(is_metadata_file("Admin.profile-meta.xml"));
        assert!(is_metadata_file("Admin.profile"));
        assert!(is_metadata_file("package.xml"));
        assert!(is_metadata_file("Security.settings-meta.xml"));
        assert!(!is_metadata_file("MyClass.cls-meta.xml"));
        assert!(!is_metadata_file("sfdx-project.json"));
    }
}
