//! Project discovery: where a command's project is, found as `sf` finds its own.
//! Owns: looking upward from a directory for `sfprov.toml` and
//! `sfdx-project.json`; reading `sfdx-project.json` (default package
//! directory, `sourceApiVersion`) with positions; moving source-format files
//! into the default package directory.
//! Does not: choose between flags and discovery (run.rs), write files (generate).

use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, Location};
use crate::generate::GeneratedFile;

/// The spec's file name, looked for upward when `--spec` is not given.
pub const SPEC_FILE: &str = "sfprov.toml";
/// sf's project file; the directory holding it is the sf project root.
pub const SFDX_PROJECT_FILE: &str = "sfdx-project.json";
/// The top directory of source-format files `generate::render` produces.
const RENDERED_PACKAGE_DIR: &str = "force-app";

/// What looking upward from a directory found. Paths are relative to the
/// directory the search started from (`.`, `..`, `../..`), so they read as
/// paths from the working directory in messages and file lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    /// The nearest directory (at or above the start) holding `sfprov.toml`.
    pub spec_dir: Option<PathBuf>,
    /// The nearest directory (at or above the start) holding `sfdx-project.json`.
    pub sfdx_dir: Option<PathBuf>,
}

impl Found {
    /// The nearest `sfprov.toml`, if any.
    pub fn spec(&self) -> Option<PathBuf> {
        self.spec_dir.as_ref().map(|d| join(d, SPEC_FILE))
    }

    /// The project root: the sf project's root when there is one (generated
    /// files must land where `sf project deploy start` looks), else the
    /// directory of `sfprov.toml`. `None` outside any project.
    pub fn root(&self) -> Option<&Path> {
        self.sfdx_dir.as_deref().or(self.spec_dir.as_deref())
    }
}

/// Looks in `start` and each directory above it for `sfprov.toml` and
/// `sfdx-project.json`, keeping the nearest of each. `start` should be
/// absolute (the current directory); the answer is relative to it.
pub fn discover(start: &Path) -> Found {
    let mut found = Found::default();
    for (depth, dir) in start.ancestors().enumerate() {
        if found.spec_dir.is_none() && dir.join(SPEC_FILE).is_file() {
            found.spec_dir = Some(up(depth));
        }
        if found.sfdx_dir.is_none() && dir.join(SFDX_PROJECT_FILE).is_file() {
            found.sfdx_dir = Some(up(depth));
        }
        if found.spec_dir.is_some() && found.sfdx_dir.is_some() {
            break;
        }
    }
    found
}

/// [`discover`] from the current directory; nothing found when there is none.
pub fn discover_from_cwd() -> Found {
    match std::env::current_dir() {
        Ok(cwd) => discover(&cwd),
        Err(_) => Found::default(),
    }
}

/// `.` for depth 0, else `..` repeated: the path up to an ancestor.
fn up(depth: usize) -> PathBuf {
    if depth == 0 {
        PathBuf::from(".")
    } else {
        (0..depth).map(|_| "..").collect()
    }
}

/// `dir/name`, without a leading `./` (messages read `sfprov.toml`).
pub fn join(dir: &Path, name: &str) -> PathBuf {
    if dir == Path::new(".") {
        PathBuf::from(name)
    } else {
        dir.join(name)
    }
}

/// What sfprov reads from an `sfdx-project.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SfdxProject {
    /// The default package directory (the entry with `"default": true`, else
    /// the first), relative to the project root, `/`-separated, no trailing `/`.
    pub package_dir: String,
    /// `sourceApiVersion` and where it is written, when present.
    pub source_api_version: Option<(String, Location)>,
}

/// Reads `<dir>/sfdx-project.json`: `Ok(None)` when there is none.
pub fn read_sfdx_project(dir: &Path) -> Result<Option<SfdxProject>, Diagnostic> {
    let path = join(dir, SFDX_PROJECT_FILE);
    let name = path.display().to_string();
    match std::fs::read(&path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            parse_sfdx_project(&name, &text).map(Some)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Diagnostic::error(format!("cannot read `{name}`: {e}"))
            .hint("check the file's permissions, or write elsewhere with `-d DIR`")),
    }
}

const PACKAGE_DIRS_HINT: &str = "sf needs it too; a project made by `sf project generate` has `\"packageDirectories\": [{ \"path\": \"force-app\", \"default\": true }]`";

/// Parses the text of an sfdx-project.json; `name` is how messages call it.
/// Errors name `file:line:col` and how to fix the file.
pub fn parse_sfdx_project(name: &str, text: &str) -> Result<SfdxProject, Diagnostic> {
    let at = |line: usize, column: usize| {
        Some(Location {
            file: name.to_string(),
            line,
            column,
        })
    };
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        Diagnostic::error(format!(
            "`{name}` is not valid JSON: {}",
            json_message(&e)
        ))
        .at(at(e.line(), e.column()))
        .hint("fix the file at that position (sf cannot read it either), or write elsewhere with `-d DIR`")
    })?;
    let (root_line, root_col) = first_char(text);
    let Some(obj) = value.as_object() else {
        return Err(Diagnostic::error(format!("`{name}` is not a JSON object"))
            .at(at(root_line, root_col))
            .hint(PACKAGE_DIRS_HINT));
    };
    let key_at = |key: &str| {
        let (l, c) = key_position(text, key).unwrap_or((root_line, root_col));
        at(l, c)
    };
    let Some(dirs) = obj.get("packageDirectories") else {
        return Err(
            Diagnostic::error(format!("`{name}` has no `packageDirectories`"))
                .at(at(root_line, root_col))
                .hint(PACKAGE_DIRS_HINT),
        );
    };
    let entries = match dirs.as_array() {
        Some(a) if !a.is_empty() => a,
        _ => {
            return Err(Diagnostic::error(format!(
            "`packageDirectories` in `{name}` must be a list of at least one {{ \"path\": ... }}"
        ))
            .at(key_at("packageDirectories"))
            .hint(PACKAGE_DIRS_HINT))
        }
    };
    let chosen = entries
        .iter()
        .find(|e| e.get("default").and_then(|d| d.as_bool()) == Some(true))
        .unwrap_or(&entries[0]);
    let Some(raw) = chosen.get("path").and_then(|p| p.as_str()) else {
        return Err(Diagnostic::error(format!(
            "the default package directory in `{name}` has no `path`"
        ))
        .at(key_at("packageDirectories"))
        .hint(PACKAGE_DIRS_HINT));
    };
    let package_dir = normalize(raw).ok_or_else(|| {
        Diagnostic::error(format!(
            "package directory `{raw}` in `{name}` is not a relative path inside the project"
        ))
        .at(key_at("packageDirectories"))
        .hint("sf reads package directories relative to the project root: use a path such as `force-app` or `packages/integrations`")
    })?;
    let source_api_version = obj.get("sourceApiVersion").and_then(|v| {
        let s = match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => return None,
        };
        Some((s, key_at("sourceApiVersion")?))
    });
    Ok(SfdxProject {
        package_dir,
        source_api_version,
    })
}

/// serde_json's message without its trailing " at line L column C" (the
/// position is printed as `file:line:col`).
fn json_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    match full.rfind(" at line ") {
        Some(i) => full[..i].to_string(),
        None => full,
    }
}

/// Line and column (1-based, in characters) of the first non-blank character.
fn first_char(text: &str) -> (usize, usize) {
    let offset = text.len() - text.trim_start().len();
    line_col(text, offset)
}

/// Where `"key"` first appears as a key (followed by `:`), 1-based.
fn key_position(text: &str, key: &str) -> Option<(usize, usize)> {
    let quoted = format!("\"{key}\"");
    let mut from = 0;
    while let Some(i) = text[from..].find(&quoted) {
        let start = from + i;
        let rest = text[start + quoted.len()..].trim_start();
        if rest.starts_with(':') {
            return Some(line_col(text, start));
        }
        from = start + quoted.len();
    }
    None
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// A package directory as a clean relative path, or `None` when it is
/// absolute or leaves the project (`..`). `.` is the project root itself.
fn normalize(raw: &str) -> Option<String> {
    let unified = raw.trim().replace('\\', "/");
    if unified.starts_with('/') || unified.contains(':') {
        return None;
    }
    let mut parts = Vec::new();
    for part in unified.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            p => parts.push(p),
        }
    }
    Some(if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    })
}

/// Moves source-format files from `force-app/` to the project's default
/// package directory (`force-app/main/default/x` -> `<dir>/main/default/x`),
/// where `sf project deploy start` and `sf project retrieve start` put them.
pub fn place_in_package_dir(files: &mut [GeneratedFile], package_dir: &str) {
    if package_dir == RENDERED_PACKAGE_DIR {
        return;
    }
    let prefix = format!("{RENDERED_PACKAGE_DIR}/");
    for f in files.iter_mut() {
        if let Some(rest) = f.path.strip_prefix(&prefix) {
            f.path = if package_dir == "." {
                rest.to_string()
            } else {
                format!("{package_dir}/{rest}")
            };
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
}

/// A warning when the spec's API version differs from the project's
/// `sourceApiVersion`, which sf deploys the project's files as.
pub fn api_version_warning(project: &SfdxProject, spec_version: &str) -> Option<Diagnostic> {
    let (source, at) = project.source_api_version.as_ref()?;
    if source.trim() == spec_version.trim() {
        return None;
    }
    Some(
        Diagnostic::warning(format!(
            "the spec's api_version {spec_version} differs from the project's sourceApiVersion {source}; sf deploys the project's files as {source}"
        ))
        .at(Some(at.clone()))
        .hint(format!(
            "set `api_version = \"{source}\"` in the spec, or sourceApiVersion to \"{spec_version}\" in {}",
            at.file
        )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discover_finds_the_nearest_of_each_upward() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join(SFDX_PROJECT_FILE), "{}").unwrap();
        let sub = root.join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(root.join("a").join(SPEC_FILE), "").unwrap();
        let f = discover(&sub);
        assert_eq!(f.sfdx_dir, Some(PathBuf::from("../..")));
        assert_eq!(f.spec_dir, Some(PathBuf::from("..")));
        assert_eq!(f.spec(), Some(PathBuf::from("../sfprov.toml")));
        assert_eq!(f.root(), Some(Path::new("../..")));
        let f = discover(root);
        assert_eq!(f.root(), Some(Path::new(".")));
        assert_eq!(f.spec(), None);
        // A directory named sfprov.toml is not a spec.
        let other = tempfile::tempdir().unwrap();
        std::fs::create_dir(other.path().join(SPEC_FILE)).unwrap();
        assert_eq!(discover(other.path()).spec_dir, None);
    }

    #[test]
    fn default_package_directory_and_api_version() {
        let p = parse_sfdx_project(
            "sfdx-project.json",
            "{\"packageDirectories\": [{\"path\": \"force-app\"}, {\"path\": \"./packages/x/\", \"default\": true}],\n \"sourceApiVersion\": \"62.0\"}",
        )
        .unwrap();
        assert_eq!(p.package_dir, "packages/x");
        let (v, at) = p.source_api_version.clone().unwrap();
        assert_eq!((v.as_str(), at.line, at.column), ("62.0", 2, 2));
        assert!(api_version_warning(&p, "62.0").is_none());
        let w = api_version_warning(&p, "63.0").unwrap().to_string();
        assert!(w.contains("sfdx-project.json:2:2"), "{w}");
        // Without a default entry: the first.
        let p = parse_sfdx_project(
            "f",
            "{\"packageDirectories\": [{\"path\": \"a\"}, {\"path\": \"b\"}]}",
        )
        .unwrap();
        assert_eq!((p.package_dir.as_str(), p.source_api_version), ("a", None));
    }

    #[test]
    fn bad_files_name_their_position() {
        let e =
            parse_sfdx_project("p.json", "{\n  \"packageDirectories\": [\n  ,]\n}").unwrap_err();
        assert_eq!(
            e.location.as_ref().map(|l| (l.line, l.column)),
            Some((3, 3))
        );
        assert!(!e.message.contains(" at line "), "{}", e.message);
        let e = parse_sfdx_project("p.json", "\n  {\"name\": 1}").unwrap_err();
        assert!(e.message.contains("no `packageDirectories`"));
        assert_eq!(e.location.map(|l| (l.line, l.column)), Some((2, 3)));
        let e = parse_sfdx_project("p.json", "[1]").unwrap_err();
        assert!(e.message.contains("not a JSON object"));
        for bad in ["\"/abs\"", "\"../up\"", "\"a/../../b\"", "\"C:/x\""] {
            let text = format!("{{\"packageDirectories\": [{{\"path\": {bad}}}]}}");
            let e = parse_sfdx_project("p.json", &text).unwrap_err();
            assert!(e.message.contains("inside the project"), "{bad}");
        }
        let e = parse_sfdx_project("p.json", "{\"packageDirectories\": [{\"default\": true}]}")
            .unwrap_err();
        assert!(e.message.contains("no `path`"));
    }

    #[test]
    fn files_move_into_the_package_directory() {
        let file = |p: &str| GeneratedFile {
            path: p.into(),
            bytes: Vec::new(),
            component: None,
        };
        let mut files = vec![
            file("force-app/main/default/profiles/A.profile-meta.xml"),
            file("sfdx-project.json"),
        ];
        place_in_package_dir(&mut files, "packages/integrations");
        assert_eq!(
            files[0].path,
            "packages/integrations/main/default/profiles/A.profile-meta.xml"
        );
        assert_eq!(files[1].path, "sfdx-project.json");
        place_in_package_dir(&mut files, "force-app");
        assert_eq!(files[1].path, "sfdx-project.json");
    }
}
