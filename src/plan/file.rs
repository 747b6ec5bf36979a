//! The plan file (`plan --out FILE`, `show FILE`, later `apply FILE`).
//! Owns: writing a `Plan` atomically as JSON and reading it back, refusing
//! files of another format version. The file holds the desired documents,
//! the spec digest, the sfprov version, the org id and fingerprints of what
//! the org had; never a token (a `Plan` has no field that could hold one).
//! Does not: decide whether a saved plan is stale (apply compares).

use std::path::{Path, PathBuf};

use super::{Plan, FORMAT_VERSION};
use crate::fsutil;

/// Why a plan file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error(transparent)]
    Write(#[from] fsutil::WriteError),
    #[error("cannot read plan file {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not an sfprov plan file: {reason}", path.display())]
    Invalid { path: PathBuf, reason: String },
    #[error("{} is a plan of format {found}{}; this sfprov ({}) reads format {FORMAT_VERSION}", path.display(), by.as_deref().map(|v| format!(" made by sfprov {v}")).unwrap_or_default(), env!("CARGO_PKG_VERSION"))]
    Version {
        path: PathBuf,
        found: u64,
        /// The `sfprov_version` the file names, if any.
        by: Option<String>,
    },
}

/// The largest plan file `load` reads (a plan holds a few documents; a file
/// past this was not written by `save`).
pub const MAX_PLAN_BYTES: u64 = 64 * 1024 * 1024;

impl FileError {
    pub fn hint(&self) -> Option<String> {
        match self {
            FileError::Version { found, by, .. } if *found > u64::from(FORMAT_VERSION) => {
                Some(format!(
                    "apply it with {}, or make a new one with this sfprov: `sfprov plan --out FILE`",
                    by.as_deref()
                        .map_or("a newer sfprov".to_string(), |v| format!("sfprov {v}"))
                ))
            }
            FileError::Invalid { .. } | FileError::Version { .. } => {
                Some("make a new one with `sfprov plan --out FILE`".into())
            }
            _ => None,
        }
    }
}

/// Writes `plan` to `path` (temp file + rename).
pub fn save(path: &Path, plan: &Plan) -> Result<(), FileError> {
    let mut text = serde_json::to_string_pretty(plan).expect("a plan serializes");
    text.push('\n');
    fsutil::write_atomic(path, text.as_bytes())?;
    Ok(())
}

/// Reads a plan file written by `save`.
pub fn load(path: &Path) -> Result<Plan, FileError> {
    let invalid = |reason: String| FileError::Invalid {
        path: path.to_path_buf(),
        reason,
    };
    // Bounded, and a regular file only: a hand-made or damaged file may be anything.
    let bytes = crate::fsutil::read_limited(path, MAX_PLAN_BYTES).map_err(|e| match e {
        crate::fsutil::ReadLimitError::Io { source, .. } => FileError::Read {
            path: path.to_path_buf(),
            source,
        },
        crate::fsutil::ReadLimitError::NotRegular { kind, .. } => {
            invalid(format!("it is {kind}, not a regular file"))
        }
        crate::fsutil::ReadLimitError::TooLarge { .. } => invalid(format!(
            "it is larger than {} MiB",
            MAX_PLAN_BYTES / (1024 * 1024)
        )),
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        invalid(format!(
            "it is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    parse(path, &text)
}

/// Reads the text of a plan file; `path` is only named in errors. What `load`
/// does after reading the file (public for the `plan_file` fuzz target).
#[doc(hidden)]
pub fn parse(path: &Path, text: &str) -> Result<Plan, FileError> {
    let invalid = |reason: String| FileError::Invalid {
        path: path.to_path_buf(),
        reason,
    };
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
    match value
        .get("format_version")
        .and_then(serde_json::Value::as_u64)
    {
        Some(v) if v == u64::from(FORMAT_VERSION) => {}
        Some(found) => {
            return Err(FileError::Version {
                path: path.to_path_buf(),
                found,
                by: value
                    .get("sfprov_version")
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_string),
            })
        }
        None => return Err(invalid("no format_version".into())),
    }
    serde_json::from_value(value).map_err(|e| invalid(e.to_string()))
}
