//! `sfprov.toml`: what the integration needs, in the vendor's words.
//! Owns: loading a spec (and the template it starts from), checking each
//! source's keys and types (`shape`), merging them, and handing the result to
//! validation, which returns the `Desired` state plus every warning and note.
//! All problems come back at once, each with `file:line:col`.
//! Does not: write files or talk to orgs.

pub mod desired;
pub mod file;
pub mod shape;
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
    let text = read_text(path).map_err(|source| SpecError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    load_str(&path.display().to_string(), &text)
}

/// The largest spec file sfprov reads: a spec is a few KiB (the largest
/// template is under 4 KiB); 16 MiB leaves room for a generated spec and for
/// reporting a file of 100,000 mistakes, and nothing near it is a spec.
pub const MAX_SPEC_BYTES: u64 = 16 * 1024 * 1024;

/// Reads a spec file's text: a regular file of at most `MAX_SPEC_BYTES`, UTF-8.
/// The error reads as an I/O error and says which rule the file broke.
pub fn read_text(path: &Path) -> Result<String, std::io::Error> {
    use crate::fsutil::ReadLimitError as E;
    let bytes = crate::fsutil::read_limited(path, MAX_SPEC_BYTES).map_err(|e| match e {
        E::Io { source, .. } => source,
        E::NotRegular { kind, .. } => {
            std::io::Error::other(format!("it is {kind}, not a regular file"))
        }
        E::TooLarge { limit, .. } => std::io::Error::other(format!(
            "it is larger than {} MiB, the limit for a spec (see README, Limits); is this the right file?",
            limit / (1024 * 1024)
        )),
    })?;
    String::from_utf8(bytes).map_err(|e| {
        std::io::Error::other(format!(
            "it is not UTF-8 text (invalid byte at offset {}); save it as UTF-8",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// Most errors (and, separately, warnings) one run shows; the rest are
/// counted ("… and 39,900 more errors"), so a spec with 100,000 mistakes
/// reports in a moment and fits on a screen.
pub const MAX_SHOWN: usize = 100;

/// Loads and validates a spec given as text; `name` is how messages call it.
pub fn load_str(name: &str, text: &str) -> Result<Loaded, SpecError> {
    let mut diags = Vec::new();
    let mut sources = Sources::default();
    let Some((user_table, user_template)) = read_source(name, text, &mut sources, &mut diags)
    else {
        return Err(SpecError::Invalid(Diagnostics(diags)));
    };
    let mut merged = user_table;
    if let Some(tname) = &user_template {
        match templates::get(tname) {
            Some(t) => {
                let display = format!("template {}", t.name);
                if let Some((table, chained)) =
                    read_source(&display, t.text, &mut sources, &mut diags)
                {
                    if chained.is_some() {
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
            // The shape check found nothing, so this is a gap in it: say what
            // serde said rather than nothing.
            diags.push(Diagnostic::error(format!("invalid spec: {}", e.message())));
            return Err(SpecError::Invalid(Diagnostics(diags)));
        }
    };
    let (desired, more) = validate::validate(&spec, &sources);
    diags.extend(more);
    point_at_templates(&mut diags);
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

/// Keeps the first `MAX_SHOWN` errors and the first `MAX_SHOWN` warnings
/// (notes are few and hidden by default), and returns, for what it dropped,
/// the lines to print after them: "… and 39,900 more errors".
pub fn truncate(diags: &mut Vec<Diagnostic>) -> Vec<String> {
    let mut seen = [0usize; 3];
    diags.retain(|d| {
        let n = &mut seen[d.severity as usize];
        *n += 1;
        d.severity == Severity::Note || *n <= MAX_SHOWN
    });
    [(Severity::Error, "error"), (Severity::Warning, "warning")]
        .into_iter()
        .filter(|(s, _)| seen[*s as usize] > MAX_SHOWN)
        .map(|(s, noun)| {
            let more = seen[s as usize] - MAX_SHOWN;
            format!(
                "{noun}: … and {} more {noun}{} (sfprov shows the first {MAX_SHOWN}; fix these and run again)",
                thousands(more),
                if more == 1 { "" } else { "s" }
            )
        })
        .collect()
}

/// `39900` -> `39,900`.
pub fn thousands(n: usize) -> String {
    crate::metadata::limits::group(n)
}

/// A diagnostic located in a built-in template says how to read it.
fn point_at_templates(diags: &mut [Diagnostic]) {
    for d in diags {
        let Some(t) = d
            .location
            .as_ref()
            .and_then(|l| l.file.strip_prefix("template "))
        else {
            continue;
        };
        let cmd = format!("sfprov templates show {t}");
        if !d.hints.iter().any(|h| h.contains(&cmd)) {
            d.hints.push(format!(
                "that line is in the built-in template `{t}`; `{cmd}` prints it, and any key in your spec overrides it"
            ));
        }
    }
}

/// Parses one source: syntax, types and unknown keys (all of them, with
/// positions). Registers it in `sources` (lowest priority last) and returns
/// its table and the template it names, unless it is not TOML at all.
fn read_source(
    name: &str,
    text: &str,
    sources: &mut Sources,
    diags: &mut Vec<Diagnostic>,
) -> Option<(toml::Table, Option<String>)> {
    let source = match Source::new(name, text) {
        Ok(s) => s,
        Err((message, at)) => {
            diags.push(Diagnostic::error(format!("invalid TOML: {message}")).at(Some(at)));
            return None;
        }
    };
    let problems = source.doc().map(shape::check).unwrap_or_default();
    let template = source
        .doc()
        .and_then(|d| d.get("template"))
        .and_then(|t| t.as_str())
        .map(str::to_string);
    if !problems.is_empty() {
        for p in problems {
            let mut d = Diagnostic::error(p.message).at(Some(source.location_of(p.offset)));
            if let Some(h) = p.hint {
                d = d.hint(h);
            }
            diags.push(d);
        }
        // Nothing will be merged: the spec is refused once all sources are read.
        sources.files.push(source);
        return Some((toml::Table::new(), template));
    }
    let table: toml::Table = match toml::from_str(text) {
        Ok(t) => t,
        Err(e) => {
            let at = e.span().map(|s| source.location_of(s.start));
            diags.push(Diagnostic::error(format!("invalid TOML: {}", e.message().trim())).at(at));
            return None;
        }
    };
    sources.files.push(source);
    Some((table, template))
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
