//! `sfprov audit`: flags -> the user, the spec to compare with (a spec
//! file, a template, the nearest sfprov.toml about this user, or the
//! template that matches best) and the org -> `audit::build` ->
//! `render::audit`; with `--fix`, the least-privilege spec in DIR.
//! Streams: stdout carries the audit (text, or one JSON document); stderr
//! what --fix wrote and what it changes. Exit 2 when anything is found.

use std::path::Path;

use sfprov::audit::{self, fix, Audit, Compared};
use sfprov::diag::Diagnostic;
use sfprov::fsutil;
use sfprov::spec::desired::Desired;
use sfprov::{render, spec};

use super::plan::{load_spec, open_org};
use super::{Error, Streams};
use crate::cli::AuditArgs;
use crate::Outcome;

/// The spec the audit compares with, and the text `--fix` starts from.
struct Chosen {
    desired: Desired,
    compared: Compared,
    /// (name, text) of a spec file; `None` for a template.
    file: Option<(String, String)>,
}

/// `--spec` or `--template`; else the nearest sfprov.toml when its [user]
/// is this user; else `None` (the best-matching template, once the user is
/// read).
fn choose(s: &Streams, a: &AuditArgs) -> Result<Option<Chosen>, Error> {
    if a.spec.is_some() || a.template.is_some() {
        let (name, text, loaded) = load_spec(s, a.spec.as_deref(), a.template.as_deref(), "audit")?;
        return Ok(Some(chosen(
            name,
            text,
            loaded.desired,
            a.template.is_some(),
        )));
    }
    let Some(path) = sfprov::project::discover_from_cwd().spec() else {
        return Ok(None);
    };
    let name = path.display().to_string();
    let ignored = |why: String| {
        s.err(&format!(
            "warning: not comparing with {name}: {why}; pass --spec or --template to choose"
        ));
        Ok(None)
    };
    let text = match spec::read_text(&path) {
        Ok(t) => t,
        Err(e) => return ignored(format!("it cannot be read ({e})")),
    };
    let loaded = match spec::load_str(&name, &text) {
        Ok(l) => l,
        Err(_) => return ignored("it does not load (`sfprov plan` shows why)".into()),
    };
    let about_user = loaded
        .desired
        .user
        .as_ref()
        .and_then(|u| u.username.as_deref())
        .is_some_and(|u| u.eq_ignore_ascii_case(&a.user));
    if !about_user {
        return Ok(None);
    }
    s.diagnostics(&loaded.diagnostics);
    Ok(Some(chosen(name, text, loaded.desired, false)))
}

fn chosen(name: String, text: String, desired: Desired, template: bool) -> Chosen {
    Chosen {
        compared: Compared {
            spec: name.clone(),
            template: desired
                .template
                .clone()
                .or_else(|| template.then(|| name.trim_start_matches("template ").to_string())),
            chosen_because: None,
        },
        file: (!template).then_some((name, text)),
        desired,
    }
}

pub fn run(s: &Streams, a: AuditArgs) -> Result<Outcome, Error> {
    let chosen = choose(s, &a)?;
    let (org, _local) = open_org(&a.target, None)?;
    let (audit, desired, file) = match chosen {
        Some(c) => (
            audit::build(org.as_ref(), &a.user, &c.desired, c.compared)?,
            c.desired,
            c.file,
        ),
        None => {
            let audit = audit::build_matching(org.as_ref(), &a.user)?;
            let t = audit.compared_with.template.clone().unwrap_or_default();
            let desired = spec::load_template(&t)
                .map(|l| l.desired)
                .map_err(|e| Error::from(Diagnostic::error(e.to_string())))?;
            (audit, desired, None)
        }
    };
    drop(org);
    let view = if a.json {
        render::audit::json(&audit)
    } else {
        render::audit::human(&audit, a.all)
    };
    s.out(&view)?;
    if s.verbose {
        let r = &audit.requests;
        s.err(&format!(
            "note: this audit made {} requests to {} `{}`: {} retrieves, {} listMetadata calls, {} REST queries, {} API version lists",
            r.total(),
            audit.org.kind,
            audit.org.label,
            r.retrieves,
            r.list_metadata,
            r.queries,
            r.api_versions
        ));
    }
    if a.fix {
        let dir = a.output_dir.as_deref().unwrap_or(Path::new("."));
        write_fix(s, &audit, &desired, file.as_ref(), dir)?;
    }
    Ok(if audit.has_findings() {
        Outcome::Changes
    } else {
        Outcome::Success
    })
}

/// Writes a new file whole (a temp file in its directory, then a rename
/// that refuses to replace: `AlreadyExists` if another process made one).
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(&fsutil::temp_prefix())
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist_noclobber(path).map_err(|e| e.error)?;
    Ok(())
}

/// Writes DIR/sfprov.toml; an existing different file is left alone.
fn write_fix(
    s: &Streams,
    audit: &Audit,
    desired: &Desired,
    file: Option<&(String, String)>,
    dir: &Path,
) -> Result<(), Error> {
    let base = match (file, &audit.compared_with.template) {
        (Some((name, text)), _) => fix::Base::Spec { name, text },
        (None, Some(t)) => fix::Base::Template(t),
        (None, None) => fix::Base::Template("integration-user"),
    };
    let proposal = fix::propose(audit, desired, base).map_err(|e| {
        Diagnostic::error(format!("cannot write the least-privilege spec: {e}"))
            .hint("fix the spec file so that it parses, then run the audit again")
    })?;
    let path = dir.join("sfprov.toml");
    let exists = || -> Error {
        Diagnostic::error(format!(
            "`{}` exists; sfprov does not overwrite a spec",
            path.display()
        ))
        .hint("pass another directory with -d, or move the file away first")
        .into()
    };
    match std::fs::symlink_metadata(&path) {
        Ok(_) if std::fs::read(&path).ok().as_deref() == Some(proposal.text.as_bytes()) => {}
        Ok(_) => return Err(exists()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            write_new(&path, proposal.text.as_bytes()).map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => exists(),
                _ => Error::from(fsutil::WriteError {
                    path: path.clone(),
                    source: e,
                }),
            })?
        }
        Err(e) => {
            return Err(Error::from(fsutil::WriteError {
                path: path.clone(),
                source: e,
            }))
        }
    }
    let mut text = format!("wrote the least-privilege spec to {}", path.display());
    if proposal.changes.is_empty() {
        text.push_str("; applying it changes nothing for this user's assignments");
    } else {
        text.push_str("; applying it:");
        for c in &proposal.changes {
            text.push_str(&format!("\n  - {c}"));
        }
    }
    for l in &proposal.left {
        text.push_str(&format!("\n  left as it is: {l}"));
    }
    text.push_str(&format!(
        "\nnext: sfprov plan --spec {p} -o {org}, then sfprov apply --spec {p} -o {org}",
        p = path.display(),
        org = audit.org.label
    ));
    s.err(&text);
    Ok(())
}
