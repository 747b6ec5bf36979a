//! `sfprov generate`: the desired state as metadata files for git.
//! Owns: choosing components and paths (source or mdapi format), package.xml,
//! sfdx-project.json, and writing the tree atomically and deterministically.
//! Does not: decide what is desired (spec) or build XML by hand (the metadata
//! writer serializes every file).

pub mod check;
mod components;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::fsutil;
use crate::metadata::schema::registry_for_type;
use crate::metadata::{self, package};
use crate::spec::Desired;

/// The two project layouts Salesforce tools use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `force-app/main/default/<dir>/<Name>.<suffix>-meta.xml` (sf project).
    Source,
    /// `<dir>/<Name>.<suffix>` plus `package.xml` (Metadata API zip layout).
    Mdapi,
}

/// The root of source-format metadata inside a project.
pub const SOURCE_ROOT: &str = "force-app/main/default";

/// One file to write: its path relative to the output directory and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub path: String,
    pub bytes: Vec<u8>,
    /// Package.xml type and member, or `None` for package.xml / sfdx-project.json.
    pub component: Option<(&'static str, String)>,
}

pub use components::Component;

/// The components of a desired state, in type order, each entry with its
/// reason: the one builder (generate writes them, plan diffs them and shows
/// the reasons, apply deploys them).
pub fn documents(desired: &Desired) -> Vec<Component> {
    let mut docs: Vec<Component> = Vec::new();
    for (name, a) in &desired.profiles {
        docs.push(components::profile(name, a));
    }
    for (name, a) in &desired.permission_sets {
        docs.push(components::permission_set(name, a));
    }
    for (name, app) in &desired.connected_apps {
        docs.push(components::connected_app(name, app));
    }
    for (name, app) in &desired.external_client_apps {
        docs.extend(components::external_client_app(name, app));
    }
    docs.extend(components::settings(&desired.settings));
    docs
}

/// The files of a desired state, sorted by path. Pure: same input, same bytes.
pub fn render(desired: &Desired, format: Format) -> Vec<GeneratedFile> {
    let docs = documents(desired);
    let source = format == Format::Source;
    let mut files: Vec<GeneratedFile> = docs
        .into_iter()
        .map(
            |Component {
                 type_name: ty,
                 member,
                 document: mut doc,
                 ..
             }| {
                let entry = registry_for_type(ty).expect("generated types are in the registry");
                let rel = entry.file_path(&member, source);
                let path = if source {
                    format!("{SOURCE_ROOT}/{rel}")
                } else {
                    rel
                };
                GeneratedFile {
                    path,
                    bytes: metadata::to_canonical_bytes(&mut doc),
                    component: Some((ty, member)),
                }
            },
        )
        .collect();
    if format == Format::Mdapi {
        let manifest = package::manifest(
            files
                .iter()
                .filter_map(|f| f.component.as_ref().map(|(t, m)| (*t, m.as_str()))),
            &desired.api_version,
        );
        files.push(GeneratedFile {
            path: "package.xml".into(),
            bytes: metadata::write::to_bytes(&manifest),
            component: None,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// The sfdx-project.json a source-format tree needs when the directory has none.
pub fn sfdx_project(api_version: &str) -> GeneratedFile {
    let text = format!(
        "{{\n  \"packageDirectories\": [\n    {{\n      \"path\": \"force-app\",\n      \"default\": true\n    }}\n  ],\n  \"name\": \"sfprov\",\n  \"namespace\": \"\",\n  \"sourceApiVersion\": \"{api_version}\"\n}}\n"
    );
    GeneratedFile {
        path: "sfdx-project.json".into(),
        bytes: text.into_bytes(),
        component: None,
    }
}

/// What writing a tree did (or, for `--check`, would do), file by file.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WriteReport {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
}

impl WriteReport {
    /// Whether the tree on disk already matches: nothing to create or update.
    pub fn up_to_date(&self) -> bool {
        self.created.is_empty() && self.updated.is_empty()
    }
}

/// What writing a tree would do, worked out without writing: every target
/// checked (inside `out`, writable shape), every existing file compared.
#[derive(Debug)]
pub struct TreePlan {
    pub report: WriteReport,
    /// The files to write (created or updated), with their full paths.
    writes: Vec<(PathBuf, Vec<u8>)>,
}

/// Plans writing `files` under `out` (see [`write_tree`]); touches nothing,
/// so `generate --check` is this plan's report.
pub fn plan_tree(
    out: &Path,
    files: &[GeneratedFile],
    format: Format,
    api_version: &str,
) -> Result<TreePlan, fsutil::WriteError> {
    let mut all: Vec<GeneratedFile> = files.to_vec();
    let project_exists = format == Format::Source && out.join("sfdx-project.json").exists();
    if format == Format::Source && !project_exists {
        all.push(sfdx_project(api_version));
    }
    // Check every target first, so a path that cannot be written (outside
    // `out`, too long, a file where a directory must be, a directory where a
    // file must be) stops the run before anything is written.
    let mut targets = Vec::with_capacity(all.len());
    for f in &all {
        let path = fsutil::path_inside(out, &f.path)?;
        let blocker = if path.is_dir() {
            Some(path.clone())
        } else {
            path.parent().and_then(fsutil::non_directory_ancestor)
        };
        if let Some(b) = blocker {
            let what = if b.is_dir() {
                "is a directory"
            } else {
                "exists and is not a directory"
            };
            return Err(fsutil::WriteError {
                path,
                source: std::io::Error::other(format!(
                    "`{}` {what}; remove it or choose another directory with -d (nothing was written)",
                    b.display()
                )),
            });
        }
        targets.push(path);
    }
    let mut report = WriteReport::default();
    if project_exists {
        // Not sfprov's to rewrite, but part of the tree: report it.
        report.unchanged.push("sfdx-project.json".into());
    }
    let mut writes = Vec::new();
    for (f, path) in all.into_iter().zip(targets) {
        match std::fs::read(&path) {
            Ok(existing) if existing == f.bytes => report.unchanged.push(f.path),
            Ok(_) => {
                report.updated.push(f.path);
                writes.push((path, f.bytes));
            }
            Err(_) => {
                report.created.push(f.path);
                writes.push((path, f.bytes));
            }
        }
    }
    Ok(TreePlan { report, writes })
}

/// Writes files under `out`, leaving files whose bytes are already right
/// untouched. For source format, adds sfdx-project.json when absent. All or
/// nothing as far as a file system allows: every file is first written to a
/// temp file beside its target, and only when all are complete are they
/// renamed into place; a failure before that removes the temp files and the
/// directories created, so "nothing was written" holds.
pub fn write_tree(
    out: &Path,
    files: &[GeneratedFile],
    format: Format,
    api_version: &str,
) -> Result<WriteReport, fsutil::WriteError> {
    let plan = plan_tree(out, files, format, api_version)?;
    let mut staged: Vec<fsutil::Staged> = Vec::with_capacity(plan.writes.len());
    for (path, bytes) in &plan.writes {
        match fsutil::stage(path, |w| w.write_all(bytes)) {
            Ok(s) => staged.push(s),
            Err(e) => {
                let created: Vec<PathBuf> = staged
                    .iter()
                    .flat_map(|s| s.created_dirs().to_vec())
                    .collect();
                drop(staged);
                fsutil::remove_dirs(&created);
                return Err(nothing_written(e));
            }
        }
    }
    let total = staged.len();
    for (done, s) in staged.into_iter().enumerate() {
        s.commit().map_err(|e| partly_written(e, done, total))?;
    }
    for (path, _) in &plan.writes {
        log::debug!("wrote {}", path.display());
    }
    Ok(plan.report)
}

fn nothing_written(e: fsutil::WriteError) -> fsutil::WriteError {
    let kind = e.source.kind();
    fsutil::WriteError {
        path: e.path,
        source: std::io::Error::new(kind, format!("{}; nothing was written", e.source)),
    }
}

fn partly_written(e: fsutil::WriteError, done: usize, total: usize) -> fsutil::WriteError {
    let kind = e.source.kind();
    fsutil::WriteError {
        path: e.path,
        source: std::io::Error::new(
            kind,
            format!(
                "{}; {done} of {total} files were already written; fix the cause and run generate again to finish",
                e.source
            ),
        ),
    }
}

#[cfg(test)]
mod tests;
