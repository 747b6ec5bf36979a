//! `sfprov plan` and `sfprov show`: flags -> spec + org (`RemoteOrg` for
//! `-o`, `DirOrg` for `--org-dir`) -> `plan::build` -> `render::plan`.
//! Streams: stdout carries the plan (text, or one JSON document, also on
//! failure under `--json`); stderr carries spec warnings, `-v` notes (the
//! requests a plan sent) and errors.

use std::path::PathBuf;

use sfprov::org::dir::DirOrg;
use sfprov::org::local::LocalOrg;
use sfprov::org::read::{OrgRead, ReadError, RemoteOrg};
use sfprov::org::{self, Environment, Wait};
use sfprov::plan::{self, file, Plan, View};
use sfprov::{render, spec, templates};

use super::{unknown_template, Error, Reported, Streams};
use crate::cli::{PlanArgs, ShowArgs};
use crate::Outcome;

/// A failure, rendered for the chosen view: under `--json` stdout still gets
/// one document.
fn fail(s: &Streams, json: bool, message: String, hint: Option<String>) -> Error {
    if json {
        let _ = s.out(&render::plan::json_error(&message, hint.as_deref()));
    }
    let mut text = format!("error: {message}");
    if let Some(h) = hint {
        text.push_str(&format!("\nhint: {h}"));
    }
    Box::new(Reported(text))
}

/// The spec's name, text (for its digest) and loaded desired state.
fn load_spec(s: &Streams, a: &PlanArgs) -> Result<(String, String, spec::Loaded), Error> {
    let (name, text, loaded) = match &a.template {
        Some(t) => {
            let tpl = templates::get(t).ok_or_else(|| unknown_template(t))?;
            (
                format!("template {t}"),
                tpl.text.to_string(),
                spec::load_template(t),
            )
        }
        None => {
            // Explicit --spec wins; else the nearest sfprov.toml here or above.
            let path = a.spec.clone().unwrap_or_else(|| {
                sfprov::project::discover_from_cwd()
                    .spec()
                    .unwrap_or_else(|| PathBuf::from("sfprov.toml"))
            });
            let text = std::fs::read_to_string(&path).map_err(|e| {
                fail(
                    s,
                    a.json,
                    format!("cannot read spec `{}`: {e}", path.display()),
                    Some("create one with `sfprov init --template zendesk`, or plan straight from a template with `sfprov plan --template zendesk -o ORG`".into()),
                )
            })?;
            let name = path.display().to_string();
            let loaded = spec::load_str(&name, &text);
            (name, text, loaded)
        }
    };
    match loaded {
        Ok(l) => {
            s.err(&render::diagnostics(&l.diagnostics, s.verbose));
            Ok((name, text, l))
        }
        Err(spec::SpecError::Invalid(d)) => {
            let errors = d.errors().count();
            s.err(&render::diagnostics(&d.0, s.verbose));
            Err(fail(
                s,
                a.json,
                format!(
                    "the spec has {errors} error{}; no plan was made",
                    if errors == 1 { "" } else { "s" }
                ),
                Some(format!("fix {name} and run the plan again")),
            ))
        }
        Err(e) => Err(fail(s, a.json, e.to_string(), None)),
    }
}

fn read_error(s: &Streams, json: bool, e: ReadError) -> Error {
    match e {
        ReadError::Org(e) => {
            if json {
                let _ = s.out(&render::plan::json_error(
                    &e.to_string(),
                    e.hint().as_deref(),
                ));
            }
            Box::new(Reported(super::org::human_error(&e)))
        }
        other => {
            let hint = other.hint();
            fail(s, json, other.to_string(), hint)
        }
    }
}

/// The org to plan against: a directory, or a connected org. For
/// `--target-org local` the running emulator comes back too: the caller
/// holds it until the plan is made.
fn open_org(s: &Streams, a: &PlanArgs) -> Result<(Box<dyn OrgRead>, Option<LocalOrg>), Error> {
    if let Some(dir) = &a.org_dir {
        return DirOrg::open(dir)
            .map(|o| (Box::new(o) as Box<dyn OrgRead>, None))
            .map_err(|e| read_error(s, a.json, e));
    }
    let env = Environment::from_process();
    let (target_opts, connect) = super::org::target_options(&a.target, &env)
        .map_err(|e| read_error(s, a.json, ReadError::Org(e)))?;
    let (connected, local) = org::resolve_target(&target_opts, &env)
        .and_then(|target| org::local::connect_target(&target, &connect))
        .map_err(|e| read_error(s, a.json, ReadError::Org(e)))?;
    Ok((
        Box::new(RemoteOrg::new(connected, Wait::cancel_on_ctrl_c(None))),
        local,
    ))
}

pub fn run(s: &Streams, a: PlanArgs) -> Result<Outcome, Error> {
    let (name, mut text, loaded) = load_spec(s, &a)?;
    // The digest covers the template a spec file starts from, too.
    if a.template.is_none() {
        if let Some(t) = loaded.desired.template.as_deref().and_then(templates::get) {
            text.push_str("\n\0template\n");
            text.push_str(t.text);
        }
    }
    // `_local` (the emulator of `--target-org local`) outlives `org`.
    let (org, _local) = open_org(s, &a)?;
    let opts = plan::Options {
        spec_name: name,
        spec_text: text,
        view: View {
            show_unmanaged: a.show_unmanaged,
            diff: a.diff,
        },
    };
    let p =
        plan::build(&loaded.desired, org.as_ref(), &opts).map_err(|e| read_error(s, a.json, e))?;
    drop(org);
    if let Some(path) = &a.out {
        file::save(path, &p).map_err(|e| {
            let hint = e.hint();
            fail(s, a.json, e.to_string(), hint)
        })?;
    }
    s.out(&view(&p, a.json))?;
    if s.verbose {
        s.err(&requests_note(&p));
    }
    if let Some(path) = &a.out {
        s.err(&format!(
            "saved the plan to {}; `sfprov show {}` prints it again",
            path.display(),
            path.display()
        ));
    }
    Ok(outcome(&p, a.detailed_exitcode))
}

/// `note: this plan made 9 requests to org `local`: 1 retrieve, …`.
fn requests_note(p: &Plan) -> String {
    let r = &p.requests;
    let n = |k: u32, one: &str, many: &str| format!("{k} {}", if k == 1 { one } else { many });
    format!(
        "note: this plan made {} to {} `{}`: {}, {}, {}, {}",
        n(r.total(), "request", "requests"),
        p.org.kind,
        p.org.label,
        n(r.retrieves, "retrieve", "retrieves"),
        n(r.list_metadata, "listMetadata", "listMetadata calls"),
        n(r.queries, "REST query", "REST queries"),
        n(r.api_versions, "API version list", "API version lists"),
    )
}

/// The chosen view; colour only on a terminal and never with NO_COLOR.
fn view(p: &Plan, json: bool) -> String {
    use std::io::IsTerminal;
    if json {
        return render::plan::json(p);
    }
    let text = render::plan::human(p);
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    if std::io::stdout().is_terminal() && !no_color {
        render::plan::colorize(&text)
    } else {
        text
    }
}

fn outcome(p: &Plan, detailed: bool) -> Outcome {
    if p.has_errors() {
        Outcome::Failure
    } else if detailed && p.has_changes() {
        Outcome::Changes
    } else {
        Outcome::Success
    }
}

pub fn show(s: &Streams, a: ShowArgs) -> Result<Outcome, Error> {
    let p = file::load(&a.file).map_err(|e| {
        let hint = e.hint();
        fail(s, a.json, e.to_string(), hint)
    })?;
    s.out(&view(&p, a.json))?;
    Ok(Outcome::Success)
}
