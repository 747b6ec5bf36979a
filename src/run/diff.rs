//! `sfprov diff OLD NEW` and git's external-diff calling forms: arguments ->
//! `diff::tree::diff_paths` -> `render::diff`. Under git, a file of a type
//! sfprov does not compare falls back to a plain unified diff, so
//! `GIT_EXTERNAL_DIFF="sfprov diff" git diff` works on a whole repository.

use std::path::{Path, PathBuf};

use sfprov::diff::tree;
use sfprov::render;

use super::{Error, Streams};
use crate::cli::DiffArgs;
use crate::Outcome;

/// How the arguments were given.
enum Call<'a> {
    /// `sfprov diff OLD NEW`.
    Plain { old: &'a Path, new: &'a Path },
    /// git: `path old-file old-hex old-mode new-file new-hex new-mode [new-path info]`.
    Git {
        path: &'a Path,
        new_path: &'a Path,
        old: &'a Path,
        new: &'a Path,
    },
}

fn call(paths: &[PathBuf]) -> Result<Call<'_>, Error> {
    match paths.len() {
        2 => Ok(Call::Plain {
            old: &paths[0],
            new: &paths[1],
        }),
        7 | 9 => Ok(Call::Git {
            path: &paths[0],
            new_path: paths.get(7).unwrap_or(&paths[0]),
            old: &paths[1],
            new: &paths[4],
        }),
        n => Err(sfprov::diag::Diagnostic::error(format!(
            "diff takes OLD NEW (2 paths) or git's external-diff arguments (7 or 9), not {n}"
        ))
        .hint("sfprov diff profiles/Admin.profile-meta.xml other/Admin.profile-meta.xml")
        .into()),
    }
}

pub fn run(s: &Streams, a: DiffArgs) -> Result<Outcome, Error> {
    let report = match call(&a.paths)? {
        Call::Plain { old, new } => tree::diff_paths(old, new, None)?,
        Call::Git {
            path,
            new_path,
            old,
            new,
        } => {
            let label = new_path.to_string_lossy();
            match tree::diff_paths(old, new, Some(&label)) {
                Ok(r) => {
                    if !a.json {
                        s.out(&format!(
                            "sfprov diff a/{} b/{}\n",
                            path.display(),
                            new_path.display()
                        ))?;
                    }
                    r
                }
                // Not a type sfprov compares: git still expects a diff.
                Err(tree::Error::Unknown { .. }) if !a.json => {
                    s.out(&text_diff(path, new_path, old, new)?)?;
                    return Ok(Outcome::Success);
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    if a.json {
        s.out(&render::diff::json(&report))?;
    } else {
        s.out(&render::diff::human(&report, s.verbose))?;
    }
    Ok(if a.detailed_exitcode && report.has_changes() {
        Outcome::Changes
    } else {
        Outcome::Success
    })
}

/// A plain unified diff, for files git hands over that are not metadata.
fn text_diff(path: &Path, new_path: &Path, old: &Path, new: &Path) -> Result<String, Error> {
    let read = |p: &Path| -> Result<String, Error> {
        if p == Path::new("/dev/null") {
            return Ok(String::new());
        }
        let bytes = tree::read_bounded(p)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    let (o, n) = (read(old)?, read(new)?);
    let a_label = format!("a/{}", path.display());
    let b_label = format!("b/{}", new_path.display());
    Ok(similar::TextDiff::from_lines(&o, &n)
        .unified_diff()
        .context_radius(3)
        .header(&a_label, &b_label)
        .to_string())
}
