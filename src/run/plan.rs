//! `sfprov plan` and `sfprov show`: flags -> spec + org (`RemoteOrg` for
//! `-o`, `DirOrg` for `--org-dir`) -> `plan::build` -> `render::plan`.
//! Streams: stdout carries the plan (text, or one JSON document; a failure
//! under `--json` is the binary's JSON error document); stderr carries spec
//! warnings, `-v` notes (the requests a plan sent) and errors.

use std::path::{Path, PathBuf};

use sfprov::diag::Diagnostic;
use sfprov::org::dir::DirOrg;
use sfprov::org::local::LocalOrg;
use sfprov::org::read::{OrgRead, RemoteOrg};
use sfprov::org::{self, Environment, Wait};
use sfprov::plan::{self, file, Plan, View};
use sfprov::{render, spec, templates};

use super::{spec_failure, unknown_template, Error, Streams};
use crate::cli::{PlanArgs, ShowArgs, TargetArgs};
use crate::Outcome;

/// The spec's name, text (as written) and loaded desired state, from `--spec FILE` or `--template NAME` (else
/// the nearest sfprov.toml). `command` names the command in messages
/// (`plan`, `report`). Shared by `plan` and `report`.
pub(crate) fn load_spec(
    s: &Streams,
    spec_file: Option<&Path>,
    template: Option<&str>,
    command: &str,
) -> Result<(String, String, spec::Loaded), Error> {
    let (name, text, loaded) = match template {
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
            let path = spec_file.map(Path::to_path_buf).unwrap_or_else(|| {
                sfprov::project::discover_from_cwd()
                    .spec()
                    .unwrap_or_else(|| PathBuf::from("sfprov.toml"))
            });
            let text = spec::read_text(&path).map_err(|e| {
                Diagnostic::error(format!("cannot read spec `{}`: {e}", path.display()))
                    .hint(format!("create one with `sfprov init --template zendesk`, or {command} straight from a template with `sfprov {command} --template zendesk -o ORG`"))
            })?;
            let name = path.display().to_string();
            let loaded = spec::load_str(&name, &text);
            (name, text, loaded)
        }
    };
    match loaded {
        Ok(l) => {
            s.diagnostics(&l.diagnostics);
            Ok((name, text, l))
        }
        Err(e) => Err(spec_failure(
            e,
            &format!("no {command} was made"),
            Some(format!("fix {name} and run the {command} again")),
        )),
    }
}

/// The org to plan against: a directory, or a connected org. For
/// `--target-org local` the running emulator comes back too: the caller
/// holds it until the plan is made. Shared by `plan` and `report`.
pub(crate) fn open_org(
    target: &TargetArgs,
    org_dir: Option<&Path>,
) -> Result<(Box<dyn OrgRead>, Option<LocalOrg>), Error> {
    if let Some(dir) = org_dir {
        return Ok((Box::new(DirOrg::open(dir)?), None));
    }
    let env = Environment::from_process();
    let (target_opts, connect) = super::org::target_options(target, &env)?;
    let (connected, local) = org::resolve_target(&target_opts, &env)
        .and_then(|target| org::local::connect_target(&target, &connect))?;
    Ok((
        Box::new(RemoteOrg::new(connected, Wait::cancel_on_ctrl_c(None))),
        local,
    ))
}

pub fn run(s: &Streams, a: PlanArgs) -> Result<Outcome, Error> {
    let (name, mut text, loaded) = load_spec(s, a.spec.as_deref(), a.template.as_deref(), "plan")?;
    // The digest covers the template a spec file starts from, too.
    if a.template.is_none() {
        if let Some(t) = loaded.desired.template.as_deref().and_then(templates::get) {
            text.push_str("\n\0template\n");
            text.push_str(t.text);
        }
    }
    // `_local` (the emulator of `--target-org local`) outlives `org`.
    let (org, _local) = open_org(&a.target, a.org_dir.as_deref())?;
    let opts = plan::Options {
        spec_name: name,
        spec_text: text,
        view: View {
            show_unmanaged: a.show_unmanaged,
            diff: a.diff,
        },
    };
    let p = plan::build(&loaded.desired, org.as_ref(), &opts)?;
    drop(org);
    if let Some(path) = &a.out {
        file::save(path, &p)?;
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
    let p = file::load(&a.file)?;
    s.out(&view(&p, a.json))?;
    Ok(Outcome::Success)
}
