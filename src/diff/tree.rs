//! Diffs of files and directory trees (`sfprov diff OLD NEW`).
//! Owns: finding the components on each side (either format, by file name),
//! pairing them by type and member, reading and comparing each pair.
//! Does not: format anything (see `render::diff`).
//!
//! A side may be a file, a directory (every metadata file below it, in source
//! or Metadata API format: `profiles/X.profile` pairs with
//! `force-app/.../profiles/X.profile-meta.xml`), or `/dev/null` (git's name for
//! a file that does not exist on that side).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{component, ComponentDiff, Mode};
use crate::metadata::schema::{self, MetadataType};
use crate::metadata::{self, ParseError};

/// Why a diff could not be made.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{source}", path.display())]
    Parse { path: PathBuf, source: ParseError },
    #[error("{} is not a metadata file sfprov knows (name it like `Admin.profile-meta.xml` or `profiles/Admin.profile`)", path.display())]
    Unknown { path: PathBuf },
    #[error("{}: {message}", path.display())]
    Refused { path: PathBuf, message: String },
    #[error("{} is not a regular file or directory", path.display())]
    NotFile { path: PathBuf },
    #[error("cannot compare the file {} with the directory {}: give two files or two directories", file.display(), dir.display())]
    Mixed { file: PathBuf, dir: PathBuf },
}

/// Every compared component, and the files skipped because sfprov does not
/// know their type.
#[derive(Debug, Serialize)]
pub struct Report {
    pub components: Vec<ComponentDiff>,
    pub skipped: Vec<String>,
}

impl Report {
    /// Whether any component differs.
    pub fn has_changes(&self) -> bool {
        self.components
            .iter()
            .any(|c| c.action != super::ComponentAction::Unchanged)
    }
}

/// One side's component: where its file is.
type Found = BTreeMap<(&'static str, String), PathBuf>;

/// Compares OLD with NEW. `label`, when given, is the file's name in the
/// repository (git's external diff passes temporary files whose names do not
/// say their type).
pub fn diff_paths(old: &Path, new: &Path, label: Option<&str>) -> Result<Report, Error> {
    let old_kind = kind(old)?;
    let new_kind = kind(new)?;
    match (old_kind, new_kind) {
        (Kind::Dir, Kind::Dir) => diff_dirs(old, new),
        (Kind::Dir, _) => Err(Error::Mixed {
            file: new.into(),
            dir: old.into(),
        }),
        (_, Kind::Dir) => Err(Error::Mixed {
            file: old.into(),
            dir: new.into(),
        }),
        _ => {
            let name_from = label.map(Path::new).unwrap_or(match new_kind {
                Kind::Absent => old,
                _ => new,
            });
            let (ty, member) = identify(name_from).ok_or_else(|| Error::Unknown {
                path: name_from.into(),
            })?;
            let old = (old_kind == Kind::File).then_some(old);
            let new = (new_kind == Kind::File).then_some(new);
            Ok(Report {
                components: vec![diff_pair(ty, &member, old, new)?],
                skipped: Vec::new(),
            })
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Dir,
    Absent,
}

fn kind(p: &Path) -> Result<Kind, Error> {
    if p == Path::new("/dev/null") {
        return Ok(Kind::Absent);
    }
    let meta = std::fs::metadata(p).map_err(|source| Error::Read {
        path: p.into(),
        source,
    })?;
    if meta.is_dir() {
        Ok(Kind::Dir)
    } else if meta.is_file() {
        Ok(Kind::File)
    } else {
        Err(Error::NotFile { path: p.into() })
    }
}

/// The type and member a file name stands for.
fn identify(p: &Path) -> Option<(&'static MetadataType, String)> {
    let name = p.file_name()?.to_str()?;
    schema::registry_for_file(name)
}

fn diff_dirs(old: &Path, new: &Path) -> Result<Report, Error> {
    let mut skipped = Vec::new();
    let o = find(old, &mut skipped)?;
    let n = find(new, &mut skipped)?;
    let mut keys: Vec<&(&'static str, String)> = o.keys().chain(n.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut components = Vec::new();
    for key in keys {
        let ty = schema::registry_for_type(key.0).expect("found types are registry types");
        let c = diff_pair(
            ty,
            &key.1,
            o.get(key).map(|p| p.as_path()),
            n.get(key).map(|p| p.as_path()),
        )?;
        components.push(c);
    }
    skipped.sort();
    Ok(Report {
        components,
        skipped,
    })
}

/// Every metadata file below `root`, by (type, member). Symbolic links are
/// not followed (a tree from git has none that matter, and a loop must not hang).
fn find(root: &Path, skipped: &mut Vec<String>) -> Result<Found, Error> {
    let mut found = Found::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|source| Error::Read {
            path: dir.clone(),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| Error::Read {
                path: dir.clone(),
                source,
            })?;
            let path = entry.path();
            let ft = entry.file_type().map_err(|source| Error::Read {
                path: path.clone(),
                source,
            })?;
            if ft.is_dir() {
                let hidden = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.'));
                if !hidden {
                    stack.push(path);
                }
            } else if ft.is_file() {
                match identify(&path) {
                    Some((ty, member)) => {
                        found.insert((ty.name, member), path);
                    }
                    None if is_xml_like(&path) => {
                        skipped.push(path.display().to_string());
                    }
                    None => {}
                }
            }
        }
    }
    Ok(found)
}

fn is_xml_like(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.ends_with("-meta.xml") && !name.ends_with("package.xml")
}

/// Reads a metadata file with `fmt`'s bounds: regular files only (a FIFO or
/// /dev/zero must not hang or exhaust memory), at most the metadata size limit.
pub fn read_bounded(path: &Path) -> Result<Vec<u8>, Error> {
    crate::fmt::read_bounded(path).map_err(|message| Error::Refused {
        path: path.into(),
        message,
    })
}

/// Above this size both sides of a pair are parsed in parallel.
const PARALLEL_PARSE_BYTES: usize = 1 << 20;

fn diff_pair(
    ty: &'static MetadataType,
    member: &str,
    old: Option<&Path>,
    new: Option<&Path>,
) -> Result<ComponentDiff, Error> {
    let old_bytes = old.map(read_bounded).transpose()?;
    let new_bytes = new.map(read_bounded).transpose()?;
    // Two big files parse at once, one on another core.
    let big = |b: &Option<Vec<u8>>| b.as_ref().is_some_and(|b| b.len() > PARALLEL_PARSE_BYTES);
    let (old_doc, new_doc) = if big(&old_bytes) && big(&new_bytes) {
        std::thread::scope(|s| {
            let old_side = s.spawn(|| parse_side(old_bytes.as_deref(), old));
            let new_doc = parse_side(new_bytes.as_deref(), new);
            let old_doc = old_side
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (old_doc, new_doc)
        })
    } else {
        (
            parse_side(old_bytes.as_deref(), old),
            parse_side(new_bytes.as_deref(), new),
        )
    };
    let (old_doc, new_doc) = (old_doc?, new_doc?);
    Ok(component(
        ty,
        member,
        old_doc.as_ref(),
        new_doc.as_ref(),
        Mode::Files,
    ))
}

fn parse_side<'b>(
    bytes: Option<&'b [u8]>,
    path: Option<&Path>,
) -> Result<Option<metadata::Document<'b>>, Error> {
    let (Some(b), Some(p)) = (bytes, path) else {
        return Ok(None);
    };
    metadata::read::utf8(b)
        .and_then(metadata::parse)
        .map(Some)
        .map_err(|source| Error::Parse {
            path: p.into(),
            source,
        })
}
