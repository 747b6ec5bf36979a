//! Atomic file writes.
//! Owns: writing a file so that readers see the old bytes or the new bytes,
//! never half a file: a temp file in the same directory, flushed, then renamed
//! over the target. New files follow the umask; a replaced file keeps its mode.
//! Temp files are listed process-wide (`temps`) so a signal removes them, and
//! `inside` keeps every path within its output directory. Does not: decide
//! what to write.

mod inside;
mod read;
mod temps;

use std::io::Write;
use std::path::{Path, PathBuf};

pub use inside::{path_inside, NAME_MAX, PATH_MAX};
pub use read::{read_limited, ReadLimitError};
pub use temps::{remove_temp_files, sweep as sweep_dead_temps, RemovedTemps};

/// The name prefix of a temp file or directory of this process: `.sfprov-<pid>-`
/// (followed by random letters or digits and `.tmp`).
pub fn temp_prefix() -> String {
    format!("{}{}-", temps::PREFIX, std::process::id())
}

/// A file could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write `{}`", path.display())]
pub struct WriteError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// Writes `bytes` to `path` atomically, creating parent directories.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    write_with(path, |f| f.write_all(bytes))
}

/// Like `write_atomic`, with the content produced by a writer callback (so a
/// large file need not exist in memory first).
pub fn write_with<F>(path: &Path, fill: F) -> Result<(), WriteError>
where
    F: FnOnce(&mut std::io::BufWriter<&mut std::fs::File>) -> std::io::Result<()>,
{
    let staged = stage(path, fill)?;
    let created = staged.created_dirs().to_vec();
    staged.commit().inspect_err(|_| remove_dirs(&created))
}

/// A complete temp file waiting to be renamed over its target. Dropping it
/// without `commit` removes the temp file (directories it created stay; see
/// [`Staged::created_dirs`]).
#[derive(Debug)]
pub struct Staged {
    tmp: PathBuf,
    target: PathBuf,
    created: Vec<PathBuf>,
}

impl Staged {
    /// Directories created for this file, outermost first.
    pub fn created_dirs(&self) -> &[PathBuf] {
        &self.created
    }

    /// Renames the temp file over the target.
    pub fn commit(self) -> Result<(), WriteError> {
        let mut list = temps::lock();
        let renamed = std::fs::rename(&self.tmp, &self.target);
        if renamed.is_ok() {
            temps::unregister(&mut list, &self.tmp);
        }
        drop(list);
        // On failure, Drop removes the temp file.
        renamed.map_err(|source| WriteError {
            path: self.target.clone(),
            source,
        })
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        let mut list = temps::lock();
        if list.contains(&self.tmp) {
            let _ = std::fs::remove_file(&self.tmp);
            temps::unregister(&mut list, &self.tmp);
        }
    }
}

/// Writes the content of `path` to a temp file beside it, flushed to disk,
/// creating parent directories; the target is untouched until `commit`.
/// On failure, the temp file and the directories created are removed.
pub fn stage<F>(path: &Path, fill: F) -> Result<Staged, WriteError>
where
    F: FnOnce(&mut std::io::BufWriter<&mut std::fs::File>) -> std::io::Result<()>,
{
    let err = |source| WriteError {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Some(blocker) = non_directory_ancestor(dir) {
        return Err(err(std::io::Error::other(format!(
            "`{}` exists and is not a directory; remove it or write elsewhere",
            blocker.display()
        ))));
    }
    let created = create_dirs(dir).map_err(err)?;
    let (mut file, tmp) = match create_temp(dir) {
        Ok(t) => t,
        Err(e) => {
            remove_dirs(&created);
            return Err(err(e));
        }
    };
    // From here on, dropping `staged` removes the temp file.
    let staged = Staged {
        tmp,
        target: path.to_path_buf(),
        created,
    };
    let filled = (|| {
        let mut w = std::io::BufWriter::new(&mut file);
        fill(&mut w)?;
        w.flush()?;
        drop(w);
        if let Ok(meta) = std::fs::metadata(path) {
            file.set_permissions(meta.permissions())?;
        }
        file.sync_all()
    })();
    match filled {
        Ok(()) => Ok(staged),
        Err(e) => {
            let created = staged.created.clone();
            drop(staged);
            remove_dirs(&created);
            Err(err(e))
        }
    }
}

/// Creates `.sfprov-<pid>-XXXXXXXX.tmp` in `dir` and registers it, under the
/// temp list's lock so a signal cannot fall between the two. The mode is 0666
/// before the umask, as for any file a program creates. The first write into
/// a directory removes the temp files there of sfprov processes that died
/// without cleaning up (`kill -9`; see [`temps::sweep`]).
fn create_temp(dir: &Path) -> std::io::Result<(std::fs::File, PathBuf)> {
    let mut list = temps::lock();
    temps::sweep(dir);
    let mut last = None;
    for _ in 0..16 {
        let name = format!(
            "{}{}-{:016x}.tmp",
            temps::PREFIX,
            std::process::id(),
            fastrand::u64(..)
        );
        let path = dir.join(name);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(f) => {
                temps::register(&mut list, &path);
                return Ok((f, path));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free temp file name")))
}

/// `create_dir_all` that returns the directories it created, outermost first.
fn create_dirs(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let missing: Vec<PathBuf> = dir
        .ancestors()
        .filter(|a| !a.as_os_str().is_empty())
        .take_while(|a| std::fs::symlink_metadata(a).is_err())
        .map(Path::to_path_buf)
        .collect();
    let mut created = Vec::new();
    for d in missing.into_iter().rev() {
        match std::fs::create_dir(&d) {
            Ok(()) => created.push(d),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && d.is_dir() => {}
            Err(e) => {
                remove_dirs(&created);
                return Err(e);
            }
        }
    }
    Ok(created)
}

/// Removes directories sfprov created (innermost first), if still empty.
pub fn remove_dirs(created: &[PathBuf]) {
    for d in created.iter().rev() {
        let _ = std::fs::remove_dir(d);
    }
}

/// The first existing ancestor of `dir` (or `dir` itself) that is not a
/// directory: the real reason behind "File exists" or "Not a directory".
pub fn non_directory_ancestor(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .filter(|a| !a.as_os_str().is_empty())
        .find(|a| a.exists() || a.is_symlink())
        .filter(|a| !a.is_dir())
        .map(Path::to_path_buf)
}

#[cfg(test)]
mod tests;
