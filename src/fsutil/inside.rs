//! Paths that must stay inside a directory: the writer's last line of defence
//! against a file name that escapes the output directory (`..`, an absolute
//! path, a symbolic link to elsewhere) or that no file system can hold (a
//! control character, a name over 255 bytes, a path over 4095 bytes).
//! Spec validation rejects such names first, with positions; this check holds
//! even if a name slips past it.

use std::path::{Component, Path, PathBuf};

use super::WriteError;

/// Longest file or directory name, in bytes (ext4, APFS, NTFS: 255).
pub const NAME_MAX: usize = 255;
/// Longest path sfprov writes, in bytes (Linux PATH_MAX is 4096 with the NUL).
pub const PATH_MAX: usize = 4095;

fn refuse(path: PathBuf, why: String) -> WriteError {
    WriteError {
        path,
        source: std::io::Error::other(why),
    }
}

/// `root` joined with `rel`, after checking that `rel` is a plain relative
/// path that cannot leave `root`: no `..`, `.`, root or drive component, no
/// control character, each name at most [`NAME_MAX`] bytes, the whole at most
/// [`PATH_MAX`] bytes, and no existing directory on the way that is a symbolic
/// link resolving outside `root`. Touches nothing; reads only metadata.
pub fn path_inside(root: &Path, rel: &str) -> Result<PathBuf, WriteError> {
    let full = root.join(rel);
    let bug = "; this is a bug in sfprov's name checks, please report it (nothing was written)";
    if rel.is_empty() {
        return Err(refuse(full, format!("the file name is empty{bug}")));
    }
    if let Some(c) = rel.chars().find(|c| c.is_control()) {
        return Err(refuse(
            full,
            format!(
                "the file name contains the control character {}{bug}",
                c.escape_unicode()
            ),
        ));
    }
    for c in Path::new(rel).components() {
        match c {
            Component::Normal(name) => {
                let len = name.as_encoded_bytes().len();
                if len > NAME_MAX {
                    return Err(refuse(full, format!(
                        "the name `{}...` is {len} bytes; file systems allow at most {NAME_MAX} bytes per name; shorten the component name in the spec (nothing was written)",
                        name.to_string_lossy().chars().take(40).collect::<String>()
                    )));
                }
            }
            Component::ParentDir | Component::CurDir => {
                return Err(refuse(
                    full,
                    format!(
                        "`{rel}` leaves the output directory `{}`{bug}",
                        root.display()
                    ),
                ));
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(refuse(full, format!("`{rel}` is an absolute path{bug}")));
            }
        }
    }
    let len = full.as_os_str().as_encoded_bytes().len();
    if len > PATH_MAX {
        return Err(refuse(full, format!(
            "the path is {len} bytes; file systems allow at most {PATH_MAX}; choose a shorter output directory (nothing was written)"
        )));
    }
    no_link_outside(root, rel, &full)?;
    Ok(full)
}

/// Refuses when a directory between `root` and the file is a symbolic link
/// that resolves outside `root`. The file itself may be a link: it is
/// replaced by rename, never written through.
fn no_link_outside(root: &Path, rel: &str, full: &Path) -> Result<(), WriteError> {
    let Some(parent) = Path::new(rel).parent() else {
        return Ok(());
    };
    let Ok(real_root) = std::fs::canonicalize(root) else {
        return Ok(()); // no root yet: nothing below it exists either
    };
    let mut cur = root.to_path_buf();
    for c in parent.components() {
        cur.push(c);
        let Ok(meta) = std::fs::symlink_metadata(&cur) else {
            return Ok(()); // the rest is created by sfprov, as directories
        };
        if meta.file_type().is_symlink() {
            let real = std::fs::canonicalize(&cur).unwrap_or_default();
            if !real.starts_with(&real_root) {
                return Err(refuse(full.to_path_buf(), format!(
                    "`{}` is a symbolic link to `{}`, outside the output directory `{}`; replace the link with a directory or choose another output directory (nothing was written)",
                    cur.display(),
                    real.display(),
                    root.display()
                )));
            }
        } else if !meta.is_dir() {
            return Ok(()); // a file in the way: the caller names it
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cause(e: WriteError) -> String {
        e.source.to_string()
    }

    #[test]
    fn plain_relative_paths_pass() {
        let dir = tempfile::tempdir().unwrap();
        let p = path_inside(
            dir.path(),
            "force-app/main/default/profiles/A%28b%29.profile-meta.xml",
        )
        .unwrap();
        assert!(p.starts_with(dir.path()));
    }

    #[test]
    fn parent_absolute_and_dot_components_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for rel in [
            "connectedApps/../../../X.connectedApp",
            "../X",
            "/etc/passwd",
            "./a",
        ] {
            let e = path_inside(dir.path(), rel).unwrap_err();
            let c = cause(e);
            assert!(c.contains("nothing was written"), "{rel}: {c}");
        }
    }

    #[test]
    fn control_characters_and_long_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            cause(path_inside(dir.path(), "p/a\nb.profile").unwrap_err())
                .contains("control character \\u{a}")
        );
        assert!(cause(path_inside(dir.path(), "p/a\0b").unwrap_err()).contains("control"));
        let long = format!("p/{}.profile", "x".repeat(250));
        assert!(cause(path_inside(dir.path(), &long).unwrap_err()).contains("at most 255 bytes"));
        let deep = vec!["d".repeat(200); 25].join("/");
        assert!(cause(path_inside(dir.path(), &deep).unwrap_err()).contains("at most 4095"));
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_link_leading_outside_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir_all(out.join("inner")).unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), out.join("force-app")).unwrap();
        std::os::unix::fs::symlink(out.join("inner"), out.join("ok")).unwrap();
        let e = path_inside(&out, "force-app/main/X.profile").unwrap_err();
        assert!(cause(e).contains("is a symbolic link to"));
        // A link that stays inside is fine.
        path_inside(&out, "ok/X.profile").unwrap();
    }
}
