//! `sfprov apply -o A -o B …`: one apply per org, concurrently (a thread
//! each; one `local` at most), each with its own lock, plan and snapshot.
//! Progress lines go to stderr prefixed `[org]`; each org's summary is
//! printed as one block when all are done, then `Applied to N orgs: X
//! succeeded, Y failed (…)`. One org failing does not stop the others; the
//! exit status is 1 when any failed. `--json`: one document, an array per org.

use serde_json::{json, Value};
use sfprov::apply::{self, ApplyObserver, RecordAction, Status, Step};
use sfprov::diag::Diagnostic;
use sfprov::org::write::OrgWrite;
use sfprov::plan::{self, manifest, View};
use sfprov::render::diagnostic;
use sfprov::{generate, render};

use super::super::{Error, Streams};
use super::{next_steps, org_id, project_root, spec_then_connect, take_lock, FORMAT_VERSION};
use crate::cli::ApplyArgs;
use crate::Outcome;

/// Progress lines, each prefixed with the org.
struct Prefixed<'a> {
    label: &'a str,
    quiet: bool,
}

impl Prefixed<'_> {
    fn line(&self, text: &str) {
        if !self.quiet {
            eprintln!("[{}] {text}", self.label);
        }
    }
}

impl ApplyObserver for Prefixed<'_> {
    fn step_finished(&mut self, step: Step, status: Status, summary: &str) {
        let mark = match status {
            Status::Done => "ok",
            Status::Unchanged => "--",
            Status::Failed => "FAILED",
        };
        self.line(&format!("[{mark}] {}: {summary}", step.title()));
    }

    fn record(&mut self, _step: Step, action: RecordAction, sobject: &str, name: &str) {
        self.line(&format!("{sobject} {name}: {action:?}"));
    }

    fn manual_step(&mut self, title: &str, where_in_setup: &str) {
        self.line(&format!("manual step: {title} (where: {where_in_setup})"));
    }
}

/// One org's result: its block of text and its JSON.
struct Done {
    text: String,
    doc: Value,
}

fn one(s: &Streams, a: &ApplyArgs, label: &str, json: bool) -> Result<Done, Error> {
    // `_emulator` (the local org's, if any) outlives `org`.
    let (sp, org, _emulator) = spec_then_connect(a, None, &a.target.one(Some(label)))?;
    let desired = &sp.loaded.desired;
    let id = org_id(&org)?;
    let root = project_root();
    let _lock = take_lock(&root, &id)?;
    let plan_opts = plan::Options {
        spec_name: sp.name.clone(),
        spec_text: sp.digest_text.clone(),
        view: View::default(),
    };
    let p = plan::build(desired, &org, &plan_opts)?;
    if p.has_errors() {
        return Err(apply::ApplyError::Preflight {
            findings: p
                .findings
                .iter()
                .filter(|f| f.severity == plan::Severity::Error)
                .cloned()
                .collect(),
        }
        .into());
    }
    let steps = next_steps(&sp, &p);
    if !p.has_changes() {
        return Ok(Done {
            text: "Nothing to do: the org already matches the spec. Nothing was changed.\n".into(),
            doc: json!({"status": "no_changes", "org": p.org, "tally": apply::Tally::default(), "next_steps": steps}),
        });
    }
    let opts = apply::Options {
        snapshot_root: root.join(".sfprov/snapshots"),
        snapshot_members: manifest::members(desired, &generate::documents(desired)),
        send_password_email: a.send_password_email,
    };
    let replan = |o: &dyn OrgWrite| plan::build(desired, o, &plan_opts);
    let mut obs = Prefixed {
        label,
        quiet: s.quiet || json,
    };
    let report = apply::apply(&p, &org, &opts, &replan, &mut obs)?;
    let t = report.tally;
    let mut text = render::plan::human(&p);
    text.push_str(&format!(
        "\nApply complete! {} added, {} changed, {} removed.\n",
        t.added, t.changed, t.removed
    ));
    if let Some(snap) = &report.snapshot {
        text.push_str(&format!(
            "The org's previous state of everything touched is saved in {}\n",
            snap.display()
        ));
    }
    for (i, st) in steps.iter().enumerate() {
        text.push_str(&format!("  {}. {st}\n", i + 1));
    }
    drop(org);
    Ok(Done {
        text,
        doc: json!({"status": "applied", "org": p.org, "tally": t, "snapshot": report.snapshot, "deployed": report.deployed, "next_steps": steps}),
    })
}

pub fn run(s: &Streams, a: &ApplyArgs) -> Result<Outcome, Error> {
    let labels = &a.target.target_org;
    if a.plan_file.is_some() {
        return Err(Diagnostic::error(
            "a saved plan is for one org; it cannot be applied to several",
        )
        .hint("apply the saved plan with one `-o ORG`, or drop PLANFILE to plan each org afresh")
        .into());
    }
    if labels.iter().filter(|l| l.as_str() == "local").count() > 1 {
        return Err(Diagnostic::error("`-o local` is named more than once")
            .hint("name the local org once; other orgs by their sf alias or username")
            .into());
    }
    if !a.auto_approve {
        return Err(Diagnostic::error(format!(
            "applying to {} orgs at once needs --auto-approve: there is one prompt per org otherwise",
            labels.len()
        ))
        .hint("review each org's plan (`sfprov plan -o ORG`), then run `sfprov apply --auto-approve -o A -o B`")
        .into());
    }
    let json = a.json || a.json_stream;
    let results: Vec<Result<Done, Error>> = std::thread::scope(|sc| {
        let handles: Vec<_> = labels
            .iter()
            .map(|l| sc.spawn(move || one(s, a, l, json)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(Diagnostic::error("the apply thread stopped unexpectedly").into())
                })
            })
            .collect()
    });
    let failed: Vec<&str> = labels
        .iter()
        .zip(&results)
        .filter(|(_, r)| r.is_err())
        .map(|(l, _)| l.as_str())
        .collect();
    let summary = format!(
        "Applied to {} orgs: {} succeeded, {} failed{}",
        labels.len(),
        labels.len() - failed.len(),
        failed.len(),
        if failed.is_empty() {
            String::new()
        } else {
            format!(" ({})", failed.join(", "))
        }
    );
    if json {
        let orgs: Vec<Value> = labels
            .iter()
            .zip(&results)
            .map(|(l, r)| match r {
                Ok(d) => {
                    let mut v = d.doc.clone();
                    v["label"] = json!(l);
                    v
                }
                Err(e) => {
                    let diags = serde_json::from_str::<Value>(&diagnostic::json(&e.diagnostics))
                        .map(|d| d["errors"].clone())
                        .unwrap_or(Value::Null);
                    json!({"label": l, "status": "failed", "errors": diags})
                }
            })
            .collect();
        let doc = json!({
            "format_version": FORMAT_VERSION,
            "status": if failed.is_empty() { "applied" } else { "failed" },
            "orgs": orgs,
            "summary": summary,
        });
        s.out(&format!("{doc:#}\n"))?;
    } else {
        let mut text = String::new();
        for (l, r) in labels.iter().zip(&results) {
            match r {
                Ok(d) => {
                    text.push_str(&format!("\n== org {l}: applied ==\n"));
                    text.push_str(&d.text);
                }
                Err(e) => {
                    text.push_str(&format!("\n== org {l}: FAILED ==\n"));
                    let style = diagnostic_style();
                    text.push_str(&diagnostic::human(&e.diagnostics, style));
                }
            }
        }
        text.push_str(&format!("\n{summary}\n"));
        s.out(&text)?;
    }
    Ok(if failed.is_empty() {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

/// Failures inside the stdout blocks: no colour.
fn diagnostic_style() -> diagnostic::Style {
    diagnostic::Style::default()
}
