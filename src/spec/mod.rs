//! `sfprov.toml`: what the integration needs, in the vendor's words.
//! Owns: loading a spec (and the template it starts from), merging them,
//! finding unknown keys, and handing the result to validation, which returns
//! the `Desired` state plus every warning and note. All problems come back at
//! once, each with `file:line:col`.
//! Does not: write files or talk to orgs.

pub mod desired;
pub mod file;
pub mod source;
pub mod validate;

use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::templates;

pub use desired::Desired;
use file::SpecFile;
use source::{Source, Sources};

/// A valid spec: the desired state and the warnings and notes about it.
#[derive(Debug)]
pub struct Loaded {
    pub desired: Desired,
    pub diagnostics: Vec<Diagnostic>,
}

/// Why a spec could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("cannot read spec `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(Diagnostics),
}

/// Loads and validates a spec file.
pub fn load_file(path: &Path) -> Result<Loaded, SpecError> {
    let text = std::fs::read_to_string(path).map_err(|source| SpecError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    load_str(&path.display().to_string(), &text)
}

/// Loads and validates a spec given as text; `name` is how messages call it.
pub fn load_str(name: &str, text: &str) -> Result<Loaded, SpecError> {
    let mut diags = Vec::new();
    let mut sources = Sources::default();
    let Some((user_table, user_file)) = read_source(name, text, &mut sources, &mut diags) else {
        return Err(SpecError::Invalid(Diagnostics(diags)));
    };
    let mut merged = user_table;
    if let Some(tname) = &user_file.template {
        match templates::get(tname) {
            Some(t) => {
                let display = format!("template {}", t.name);
                if let Some((table, tfile)) =
                    read_source(&display, t.text, &mut sources, &mut diags)
                {
                    if tfile.template.is_some() {
                        diags.push(Diagnostic::error(format!(
                            "template `{tname}` names another template; templates do not chain"
                        )));
                    }
                    merged = merge(table, merged);
                }
            }
            None => {
                let names: Vec<&str> = templates::all().iter().map(|t| t.name).collect();
                let mut d = Diagnostic::error(format!("unknown template `{tname}`"))
                    .at(sources.locate(&["template".to_string()]));
                if let Some(s) = crate::catalog::suggest(tname, names.iter().copied()).first() {
                    d = d.hint(format!("did you mean `{s}`?"));
                }
                diags.push(d.hint(format!(
                    "`sfprov templates` lists them: {}",
                    names.join(", ")
                )));
            }
        }
    }
    if diags.iter().any(|d| d.severity == Severity::Error) {
        return Err(SpecError::Invalid(Diagnostics(diags)));
    }
    let spec: SpecFile = match toml::Value::Table(merged).try_into() {
        Ok(s) => s,
        Err(e) => {
            diags.push(Diagnostic::error(format!("invalid spec: {}", e.message())));
            return Err(SpecError::Invalid(Diagnostics(diags)));
        }
    };
    let (desired, more) = validate::validate(&spec, &sources);
    diags.extend(more);
    if diags.iter().any(|d| d.severity == Severity::Error) {
        diags.sort_by_key(|d| d.severity);
        return Err(SpecError::Invalid(Diagnostics(diags)));
    }
    Ok(Loaded {
        desired,
        diagnostics: diags,
    })
}

/// Loads a built-in template on its own, as if a spec said only `template = NAME`.
pub fn load_template(name: &str) -> Result<Loaded, SpecError> {
    load_str("sfprov.toml", &format!("template = \"{name}\"\n"))
}

/// Parses one source: syntax, types and unknown keys. Registers it in
/// `sources` (lowest priority last) and returns its table and typed form.
fn read_source(
    name: &str,
    text: &str,
    sources: &mut Sources,
    diags: &mut Vec<Diagnostic>,
) -> Option<(toml::Table, SpecFile)> {
    let source = match Source::new(name, text) {
        Ok(s) => s,
        Err((message, at)) => {
            diags.push(Diagnostic::error(format!("invalid TOML: {message}")).at(Some(at)));
            return None;
        }
    };
    let mut unknown: Vec<Vec<String>> = Vec::new();
    let typed: Result<SpecFile, _> =
        serde_ignored::deserialize(toml::Deserializer::new(text), |path| {
            unknown.push(path_segments(&path));
        });
    let typed = match typed {
        Ok(t) => t,
        Err(e) => {
            let at = e.span().map(|s| source.location_of(s.start));
            let message = e.message().trim().to_string();
            let mut d = Diagnostic::error(format!("invalid spec: {message}")).at(at);
            if message.contains("expected a string") {
                d = d.hint("quote the value, e.g. `api_version = \"63.0\"`");
            }
            diags.push(d);
            sources.files.push(source);
            return None;
        }
    };
    for path in unknown {
        let key = path.last().cloned().unwrap_or_default();
        let parent = &path[..path.len().saturating_sub(1)];
        let at = source.find(&path).map(|(l, _)| l);
        let mut d = Diagnostic::error(format!(
            "unknown key `{key}`{}",
            if parent.is_empty() {
                String::new()
            } else {
                format!(" in `{}`", parent.join("."))
            }
        ))
        .at(at);
        if let Some(s) = crate::catalog::suggest(&key, known_keys(parent)).first() {
            d = d.hint(format!("did you mean `{s}`?"));
        }
        diags.push(d);
    }
    let table: toml::Table = toml::from_str(text).ok()?;
    sources.files.push(source);
    Some((table, typed))
}

/// Keys a table at `parent` accepts, for "did you mean".
fn known_keys(parent: &[String]) -> Vec<&'static str> {
    const TOP: &[&str] = &[
        "api_version",
        "template",
        "description",
        "interactive_login",
        "user",
        "profiles",
        "permission_sets",
        "connected_app",
        "external_client_app",
        "settings",
        "checks",
    ];
    const USER: &[&str] = &[
        "username",
        "email",
        "first_name",
        "last_name",
        "alias",
        "time_zone",
        "locale",
        "language",
        "email_encoding",
        "license",
        "profile",
        "permission_sets",
        "permission_set_licenses",
        "why",
    ];
    const ACCESS: &[&str] = &[
        "label",
        "description",
        "license",
        "system",
        "objects",
        "fields",
        "pages",
        "classes",
    ];
    const GRANT: &[&str] = &["why", "enabled", "allow_unknown"];
    const OBJECT: &[&str] = &["access", "create", "delete", "why"];
    const FIELD: &[&str] = &["access", "why"];
    const APP: &[&str] = &[
        "kind",
        "why",
        "pkce_required",
        "admin_approved",
        "allowed_profiles",
        "allowed_permission_sets",
        "ip_relaxation",
        "refresh_token_policy",
        "label",
        "contact_email",
        "description",
        "callback_url",
        "scopes",
    ];
    const SETTINGS: &[&str] = &[
        "streaming_api",
        "lock_sessions_to_ip",
        "lock_sessions_to_domain",
    ];
    const CHECKS: &[&str] = &["push_topics_needed", "why"];
    let p: Vec<&str> = parent.iter().map(String::as_str).collect();
    match p.as_slice() {
        [] => TOP,
        ["user"] => USER,
        ["profiles" | "permission_sets", _] => ACCESS,
        ["profiles" | "permission_sets", _, "system" | "pages" | "classes", _] => GRANT,
        ["profiles" | "permission_sets", _, "objects", _] => OBJECT,
        ["profiles" | "permission_sets", _, "fields", _] => FIELD,
        ["connected_app" | "external_client_app", _] => APP,
        ["settings"] => SETTINGS,
        ["checks"] => CHECKS,
        _ => &[],
    }
    .to_vec()
}

fn path_segments(path: &serde_ignored::Path<'_>) -> Vec<String> {
    use serde_ignored::Path;
    match path {
        Path::Root => Vec::new(),
        Path::Seq { parent, index } => {
            let mut v = path_segments(parent);
            v.push(index.to_string());
            v
        }
        Path::Map { parent, key } => {
            let mut v = path_segments(parent);
            v.push(key.clone());
            v
        }
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => path_segments(parent),
    }
}

/// Deep merge: tables merge key by key; anything else in `over` replaces.
fn merge(mut base: toml::Table, over: toml::Table) -> toml::Table {
    for (k, v) in over {
        match (base.remove(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => {
                base.insert(k, toml::Value::Table(merge(b, o)));
            }
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
    base
}

#[cfg(test)]
mod tests;
