//! `sfprov rollback`: flags -> org -> the lock apply takes -> the snapshot
//! (named, or the org's newest) checked -> the rollback plan shown and
//! confirmed -> executed and verified -> a summary (or one `--json` document).
//! Streams: stdout carries the plan and summary; stderr the prompt, errors.

use std::io::{BufRead, IsTerminal, Write};

use serde_json::json;
use sfprov::apply::rollback::{self, RollbackPlan};
use sfprov::diag::Diagnostic;
use sfprov::org::read::OrgRead;

use super::apply::{connect, org_id, project_root, take_lock};
use super::{Error, Streams};
use crate::cli::RollbackArgs;
use crate::Outcome;

const FORMAT_VERSION: u32 = 1;

fn confirm(label: &str) -> Result<(), Error> {
    eprint!(
        "\nDo you want to roll back org `{label}` to this snapshot?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() != "yes" {
        return Err(Diagnostic::error("Rollback cancelled: nothing was changed")
            .org(label.to_string())
            .hint("answer `yes` to roll back, or pass --auto-approve")
            .into());
    }
    Ok(())
}

pub fn run(s: &Streams, a: RollbackArgs) -> Result<Outcome, Error> {
    if !a.auto_approve && !std::io::stdin().is_terminal() {
        return Err(Diagnostic::error(
            "rollback needs a `yes` before it changes the org, and there is no terminal to ask on",
        )
        .hint("review what it would do on a terminal, or run `sfprov rollback --auto-approve`")
        .into());
    }
    let (org, _emulator) = connect(&a.target)?;
    let id = org_id(&org)?;
    let root = project_root();
    let _lock = take_lock(&root, &id)?;
    let dir = match &a.snapshot_dir {
        Some(d) => d.clone(),
        None => rollback::newest(&root.join(".sfprov/snapshots"), &id)?,
    };
    let snap = rollback::load(&dir)?;
    let rp = rollback::plan(&snap, &org, a.remove_user)?;
    if !a.json {
        s.out(&rollback::human(&rp))?;
    }
    if !rp.has_changes() {
        if a.json {
            s.out(&doc(&org.label(), &rp, "no_changes", None))?;
        } else {
            s.out("\nNothing to roll back: the org already matches the snapshot. Nothing was changed.\n")?;
        }
        return Ok(Outcome::Success);
    }
    if !a.auto_approve {
        confirm(&org.label())?;
    }
    let done = rollback::execute(&snap, &rp, &org)?;
    if a.json {
        s.out(&doc(&org.label(), &rp, "rolled_back", Some(&done)))?;
    } else {
        let mut text = format!(
            "\nRollback complete! {} component{} restored, {} deleted, {} assignment{} removed{}.\nA retrieve of the snapshot's members equals the snapshot.\n",
            done.deployed.len(),
            if done.deployed.len() == 1 { "" } else { "s" },
            done.deleted.len(),
            done.assignments_removed,
            if done.assignments_removed == 1 { "" } else { "s" },
            if done.user_deactivated { ", user deactivated" } else { "" },
        );
        let left = rp.left_in_place.len() + rp.blocked.len();
        if left > 0 {
            text.push_str(&format!(
                "{left} component{} apply created {} left in place (listed above).\n",
                if left == 1 { "" } else { "s" },
                if left == 1 { "is" } else { "are" }
            ));
        }
        s.out(&text)?;
    }
    Ok(Outcome::Success)
}

fn doc(label: &str, rp: &RollbackPlan, status: &str, done: Option<&rollback::Done>) -> String {
    let d = json!({
        "format_version": FORMAT_VERSION,
        "status": status,
        "org": { "label": label, "org_id": rp.org_id },
        "plan": rp,
        "done": done,
    });
    format!("{d:#}\n")
}
