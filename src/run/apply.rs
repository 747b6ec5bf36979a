//! `sfprov apply`: flags -> spec + org -> lock -> a fresh plan (or a saved
//! one, refused when stale) -> shown and confirmed -> `apply::apply` with an
//! observer (`progress` on stderr, JSON lines, or events kept for the one
//! `--json` document) -> `Apply complete!`, the snapshot and next steps.
//! Streams: stdout carries the plan and the summary (or only JSON under
//! `--json`/`--json-stream`); stderr carries progress, the prompt, errors.

mod multi;
mod progress;

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use sfprov::apply::{self, lock, observer, stale, ApplyError, Event, Recorder};
use sfprov::org::local::LocalOrg;
use sfprov::org::read::{OrgRead, RemoteOrg};
use sfprov::org::write::OrgWrite;
use sfprov::org::{self, Environment, Wait};
use sfprov::plan::{self, file, manifest, Plan, View};
use sfprov::{generate, render, spec, templates};

use super::{spec_failure, unknown_template, Error, Streams};
use crate::cli::{ApplyArgs, TargetArgs};
use crate::Outcome;
use sfprov::diag::Diagnostic;

/// The format of `--json` documents.
pub(super) const FORMAT_VERSION: u32 = 1;

/// The spec an apply works from.
pub(super) struct Spec {
    name: String,
    /// The text its digest covers (the template's text appended).
    digest_text: String,
    /// The spec's own TOML (for `next_steps`), and its template's.
    own_text: String,
    template: Option<&'static templates::Template>,
    loaded: spec::Loaded,
}

/// How the run reports: text, one JSON document, or JSON lines.
#[derive(Clone, Copy, PartialEq, Eq)]
enum View2 {
    Human,
    Json,
    Stream,
}

struct Ctx {
    view: View2,
}

impl Ctx {
    /// The final document: pretty under `--json`, one line under `--json-stream`.
    fn doc(&self, doc: &Value) -> String {
        match self.view {
            View2::Stream => format!("{doc}\n"),
            _ => format!("{doc:#}\n"),
        }
    }
}

fn template_spec(name: &str, starter: bool) -> Result<Spec, Error> {
    let t = templates::get(name).ok_or_else(|| unknown_template(name))?;
    let (own, loaded) = if starter {
        let text = templates::starter_spec(t);
        let l = spec::load_str(&format!("template {name}"), &text);
        (text, l)
    } else {
        (t.text.to_string(), spec::load_template(name))
    };
    let digest_text = if starter {
        format!("{own}\n\0template\n{}", t.text)
    } else {
        own.clone()
    };
    let loaded = loaded?;
    Ok(Spec {
        name: format!("template {name}"),
        digest_text,
        own_text: own,
        template: Some(t),
        loaded,
    })
}

fn file_spec(path: &Path) -> Result<Spec, Error> {
    let text = spec::read_text(path).map_err(|e| {
        Diagnostic::error(format!("cannot read spec `{}`: {e}", path.display()))
            .hint("create one with `sfprov init --template zendesk`, or apply straight from a template with `sfprov apply --template zendesk -o ORG`")
    })?;
    let name = path.display().to_string();
    let loaded = match spec::load_str(&name, &text) {
        Ok(l) => l,
        Err(e) => {
            return Err(spec_failure(
                e,
                "nothing was applied",
                Some(format!("fix {name} and run apply again")),
            ))
        }
    };
    let template = loaded.desired.template.as_deref().and_then(templates::get);
    let mut digest_text = text.clone();
    if let Some(t) = template {
        digest_text.push_str("\n\0template\n");
        digest_text.push_str(t.text);
    }
    Ok(Spec {
        name,
        digest_text,
        own_text: text,
        template,
        loaded,
    })
}

/// The spec: the flags, else the one a saved plan names, else sfprov.toml.
pub(super) fn load_spec(a: &ApplyArgs, saved: Option<&Plan>, local: bool) -> Result<Spec, Error> {
    if let Some(t) = &a.template {
        // A template names no user; on the local org, the starter identity
        // (what `sfprov init` writes) provisions one.
        return template_spec(t, local);
    }
    if let Some(p) = &a.spec {
        return file_spec(p);
    }
    if let Some(p) = saved {
        if let Some(t) = p.spec.strip_prefix("template ") {
            let plain = template_spec(t, false)?;
            if plan::build::sha256_hex(plain.digest_text.as_bytes()) == p.spec_digest {
                return Ok(plain);
            }
            return template_spec(t, true);
        }
        return file_spec(Path::new(&p.spec));
    }
    let path = sfprov::project::discover_from_cwd()
        .spec()
        .unwrap_or_else(|| PathBuf::from("sfprov.toml"));
    file_spec(&path)
}

/// The template's (or the spec's own) `next_steps`, `{username}` filled in.
pub(super) fn next_steps(sp: &Spec, p: &Plan) -> Vec<String> {
    let list = |text: &str| -> Option<Vec<String>> {
        let v: toml::Value = toml::from_str(text).ok()?;
        let arr = v.get("next_steps")?.as_array()?;
        Some(
            arr.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect(),
        )
    };
    let steps = list(&sp.own_text)
        .or_else(|| sp.template.and_then(|t| list(t.text)))
        .unwrap_or_default();
    let username = p.user.as_ref().map(|u| u.username.as_str());
    let mut out: Vec<String> = steps
        .into_iter()
        .map(|s| s.replace("{username}", username.unwrap_or("the integration user")))
        .collect();
    if username.is_none() {
        out.insert(0, "the spec names no [user] username, so no user was created: `sfprov init --template NAME` writes a spec with one; then run `sfprov apply` again".into());
    }
    out
}

/// The org to apply to; for `--target-org local`, also the emulator, which
/// the caller holds until apply is done.
pub(super) fn connect(t: &TargetArgs) -> Result<(RemoteOrg, Option<LocalOrg>), Error> {
    let env = Environment::from_process();
    let (target_opts, connect) = super::org::target_options(t, &env)?;
    let target = org::resolve_target(&target_opts, &env)?;
    let (connected, local) = org::local::connect_target(&target, &connect)?;
    Ok((
        RemoteOrg::new(connected, Wait::cancel_on_ctrl_c(None)),
        local,
    ))
}

/// The spec, then the org: the spec is read and checked before anything
/// connects (or starts the local org), so a bad spec changes nothing anywhere.
pub(super) fn spec_then_connect(
    a: &ApplyArgs,
    saved: Option<&Plan>,
    target: &TargetArgs,
) -> Result<(Spec, RemoteOrg, Option<LocalOrg>), Error> {
    let sp = load_spec(a, saved, is_local(target)?)?;
    let (org, local) = connect(target)?;
    Ok((sp, org, local))
}

/// Whether the target is the local org (`--target-org local`), without
/// connecting to anything.
fn is_local(t: &TargetArgs) -> Result<bool, Error> {
    let env = Environment::from_process();
    let (target_opts, _) = super::org::target_options(t, &env)?;
    Ok(matches!(
        org::resolve_target(&target_opts, &env)?,
        org::Target::Local
    ))
}

/// The org's id; an access-token login does not know it: ask the org.
pub(super) fn org_id(org: &RemoteOrg) -> Result<String, Error> {
    Ok(match org.org_id() {
        Some(id) => id,
        None => org
            .query("SELECT Id FROM Organization")?
            .records
            .first()
            .and_then(|r| r.get("Id"))
            .and_then(Value::as_str)
            .map_or_else(|| org.label(), str::to_string),
    })
}

/// The project root (snapshots live under its `.sfprov/`), else here.
pub(super) fn project_root() -> PathBuf {
    sfprov::project::discover_from_cwd()
        .root()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// The per-org lock apply and rollback share (`~/.sfprov/locks`).
pub(super) fn take_lock(root: &Path, org_id: &str) -> Result<lock::Lock, Error> {
    let lock_dir = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map_or_else(
            || root.join(".sfprov/locks"),
            |h| PathBuf::from(h).join(".sfprov/locks"),
        );
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    Ok(lock::acquire(&lock_dir, org_id, &command)?)
}

/// Asks `yes` on the terminal.
fn confirm(p: &Plan) -> Result<(), Error> {
    let manual = match p.manual_steps.len() {
        0 => String::new(),
        n => format!("\n  The plan names {n} manual step{} in Setup that apply cannot make: do {} before connecting the integration.", if n == 1 { "" } else { "s" }, if n == 1 { "it" } else { "them" }),
    };
    eprint!(
        "\nDo you want to apply this plan to org `{}`?{manual}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ",
        p.org.label
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() != "yes" {
        return Err(Diagnostic::error("Apply cancelled: nothing was changed")
            .org(p.org.label.clone())
            .hint("answer `yes` to apply, or pass --auto-approve")
            .into());
    }
    Ok(())
}

pub fn run(s: &Streams, a: ApplyArgs) -> Result<Outcome, Error> {
    if a.target.target_org.len() > 1 {
        return multi::run(s, &a);
    }
    let cx = Ctx {
        view: if a.json_stream {
            View2::Stream
        } else if a.json {
            View2::Json
        } else {
            View2::Human
        },
    };
    let saved = match &a.plan_file {
        Some(path) => Some(file::load(path)?),
        None => None,
    };
    // Refuse before touching the org when nobody can say yes.
    if saved.is_none() && !a.auto_approve && !std::io::stdin().is_terminal() {
        return Err(Diagnostic::error(
            "apply needs a `yes` before it changes the org, and there is no terminal to ask on",
        )
        .hint("review the plan (`sfprov plan`), then run `sfprov apply --auto-approve`; or save it with `sfprov plan --out FILE` and apply exactly that with `sfprov apply FILE`")
        .into());
    }
    let target = a
        .target
        .one(a.target.target_org.first().map(String::as_str));
    // `emulator` (the local org's, if any) outlives `org`.
    let (sp, org, _emulator) = spec_then_connect(&a, saved.as_ref(), &target)?;
    s.err(&render::diagnostics(&sp.loaded.diagnostics, s.verbose));
    let desired = &sp.loaded.desired;

    let org_id = org_id(&org)?;
    let root = project_root();
    let _lock = take_lock(&root, &org_id)?;

    let plan_opts = plan::Options {
        spec_name: sp.name.clone(),
        spec_text: sp.digest_text.clone(),
        view: saved.as_ref().map(|p| p.view).unwrap_or(View::default()),
    };
    let fresh = plan::build(desired, &org, &plan_opts)?;
    let p = match saved {
        Some(saved) => {
            let drift = stale::check(&saved, &fresh);
            if !drift.is_empty() {
                let replan = format!(
                    "sfprov plan {}-o {} --out {}",
                    match &a.template {
                        Some(t) => format!("--template {t} "),
                        None if saved.spec.starts_with("template ") => format!("--{} ", saved.spec),
                        None => format!("--spec {} ", saved.spec),
                    },
                    saved.org.label,
                    a.plan_file
                        .as_deref()
                        .unwrap_or(Path::new("FILE"))
                        .display()
                );
                return Err(stale::Stale { drift, replan }.into());
            }
            saved
        }
        None => fresh,
    };

    if cx.view == View2::Human {
        s.out(&render::plan::human(&p))?;
    }
    if p.has_errors() {
        let e = ApplyError::Preflight {
            findings: p
                .findings
                .iter()
                .filter(|f| f.severity == plan::Severity::Error)
                .cloned()
                .collect(),
        };
        return Err(e.into());
    }
    if !p.has_changes() {
        let steps = next_steps(&sp, &p);
        match cx.view {
            View2::Human => {
                s.out("\nNothing to do: the org already matches the spec. Nothing was changed.\n")?;
            }
            _ => s.out(&cx.doc(&json!({
                "format_version": FORMAT_VERSION,
                "status": "no_changes",
                "org": p.org,
                "tally": apply::Tally::default(),
                "next_steps": steps,
            })))?,
        }
        return Ok(Outcome::Success);
    }
    if a.plan_file.is_none() && !a.auto_approve {
        confirm(&p)?;
    }

    let opts = apply::Options {
        snapshot_root: root.join(".sfprov/snapshots"),
        snapshot_members: manifest::members(desired, &generate::documents(desired)),
        send_password_email: a.send_password_email,
    };
    let replan = |o: &dyn OrgWrite| plan::build(desired, o, &plan_opts);
    let mut rec = Recorder::default();
    let result = match cx.view {
        View2::Human => {
            let mut h = progress::Human::new(s.quiet);
            apply::apply(&p, &org, &opts, &replan, &mut h)
        }
        View2::Json => apply::apply(&p, &org, &opts, &replan, &mut rec.observer()),
        View2::Stream => {
            let mut o = observer::json_lines(std::io::stdout());
            apply::apply(&p, &org, &opts, &replan, &mut o)
        }
    };
    let report = result?;
    let steps = next_steps(&sp, &p);
    let t = report.tally;
    match cx.view {
        View2::Human => {
            let mut text = format!(
                "\nApply complete! {} added, {} changed, {} removed.\n",
                t.added, t.changed, t.removed
            );
            if let Some(snap) = &report.snapshot {
                text.push_str(&format!(
                    "The org's previous state of everything touched is saved in {}\n",
                    snap.display()
                ));
            }
            if !steps.is_empty() {
                text.push_str("\nNext steps:\n");
                for (i, st) in steps.iter().enumerate() {
                    text.push_str(&format!("  {}. {st}\n", i + 1));
                }
            }
            s.out(&text)?;
        }
        _ => {
            let events: Vec<Event> = rec.events;
            let mut doc = json!({
                "format_version": FORMAT_VERSION,
                "status": "applied",
                "org": p.org,
                "tally": t,
                "snapshot": report.snapshot,
                "deployed": report.deployed,
                "next_steps": steps,
            });
            if cx.view == View2::Json {
                doc["events"] = json!(events);
            }
            s.out(&cx.doc(&doc))?;
        }
    }
    Ok(Outcome::Success)
}
