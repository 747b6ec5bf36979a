//! Human views of sfprov's values: diagnostics, error chains, generate and fmt
//! reports. Owns: wording and layout of what users read on a terminal.
//! Does not: decide anything; it reads values and returns text.

pub mod diff;
pub mod plan;

use std::fmt::Write as _;

use crate::diag::{Diagnostic, Severity};
use crate::fmt::{FileResult, Status};
use crate::generate::WriteReport;
use crate::secret::scrub;

/// Diagnostics as text, errors first; notes only when `verbose`.
pub fn diagnostics(diags: &[Diagnostic], verbose: bool) -> String {
    let mut sorted: Vec<&Diagnostic> = diags
        .iter()
        .filter(|d| verbose || d.severity != Severity::Note)
        .collect();
    sorted.sort_by_key(|d| d.severity);
    let mut out = String::new();
    for d in sorted {
        let _ = writeln!(out, "{d}");
    }
    out
}

/// An error and its causes, one `caused by:` line each. Each part is
/// scrubbed (`secret::scrub`): an error may carry a server's words.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = format!("error: {}", scrub(&e.to_string()));
    let mut source = e.source();
    while let Some(s) = source {
        let _ = write!(out, "\n  caused by: {}", scrub(&s.to_string()));
        source = s.source();
    }
    out
}

/// Files `generate` created or updated, one per line (stdout: the product),
/// as paths from the working directory (the output directory included).
pub fn written_files(r: &WriteReport, out_dir: &std::path::Path, verbose: bool) -> String {
    let show = |p: &str| {
        if out_dir == std::path::Path::new(".") {
            p.to_string()
        } else {
            out_dir.join(p).display().to_string()
        }
    };
    let mut out = String::new();
    for p in &r.created {
        let _ = writeln!(out, "created {}", show(p));
    }
    for p in &r.updated {
        let _ = writeln!(out, "updated {}", show(p));
    }
    if verbose {
        for p in &r.unchanged {
            let _ = writeln!(out, "unchanged {}", show(p));
        }
    }
    out
}

/// One summary line for stderr.
pub fn generate_summary(r: &WriteReport, out_dir: &str) -> String {
    format!(
        "{} created, {} updated, {} unchanged in {out_dir}",
        r.created.len(),
        r.updated.len(),
        r.unchanged.len()
    )
}

/// `fmt` results: the files that are (or were) not canonical, and failures.
/// Returns (stdout text, stderr text).
pub fn fmt_results(results: &[FileResult], check: bool) -> (String, String) {
    let mut out = String::new();
    let mut err = String::new();
    let (mut changed, mut failed, mut skipped) = (0, 0, 0);
    for r in results {
        match &r.status {
            Status::Unchanged => {}
            Status::Skipped => skipped += 1,
            Status::Formatted | Status::WouldFormat => {
                changed += 1;
                let _ = writeln!(out, "{}", r.path.display());
            }
            Status::Failed(msg) => {
                failed += 1;
                let _ = writeln!(
                    err,
                    "error: cannot format {}\n  caused by: {msg}\nhint: fix the file at that position; fmt left it unchanged",
                    r.path.display()
                );
            }
        }
    }
    let verb = if check { "not canonical" } else { "formatted" };
    let _ = writeln!(
        err,
        "{} files checked, {changed} {verb}, {failed} failed",
        results.len() - skipped
    );
    if skipped > 0 {
        let _ = writeln!(
            err,
            "warning: {skipped} metadata file{} of types sfprov does not manage skipped (it formats profiles, permission sets, connected and external client apps, settings and package.xml)",
            if skipped == 1 { "" } else { "s" }
        );
    }
    if results.len() == skipped {
        let _ = writeln!(
            err,
            "warning: no metadata files sfprov manages were found under the given paths"
        );
    }
    if check && changed > 0 {
        let _ = writeln!(
            err,
            "hint: run `sfprov fmt` on these paths to rewrite them in canonical form"
        );
    }
    (out, err)
}
