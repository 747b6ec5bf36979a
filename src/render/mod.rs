//! Human views of sfprov's values: diagnostics, error chains, generate and fmt
//! reports. Owns: wording and layout of what users read on a terminal.
//! Does not: decide anything; it reads values and returns text.

pub mod audit;
pub mod diagnostic;
pub mod diff;
pub mod errors;
pub mod plan;

use std::fmt::Write as _;

use crate::diag::Diagnostic;
use crate::fmt::{FileResult, Status};
use crate::generate::WriteReport;

/// Diagnostics as plain text, errors first; notes only when `verbose`
/// (see `diagnostic::human`).
pub fn diagnostics(diags: &[Diagnostic], verbose: bool) -> String {
    let mut sorted = diags.to_vec();
    sorted.sort_by_key(|d| d.severity);
    diagnostic::human(
        &sorted,
        diagnostic::Style {
            color: false,
            verbose,
        },
    )
}

/// An error and its causes, one `caused by:` line each, scrubbed (an error
/// may carry a server's words). Errors with hints: `diag::ToDiagnostic`.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    diagnostic::plain(&Diagnostic::from_error(e))
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

/// `fmt` results: the files that are (or were) not canonical, and failures
/// (drawn by `diagnostic::human` in `style`). Returns (stdout, stderr).
pub fn fmt_results(
    results: &[FileResult],
    check: bool,
    style: diagnostic::Style,
) -> (String, String) {
    let mut out = String::new();
    let mut failures = Vec::new();
    let (mut changed, mut skipped) = (0, 0);
    for r in results {
        match &r.status {
            Status::Unchanged => {}
            Status::Skipped => skipped += 1,
            Status::Formatted | Status::WouldFormat => {
                changed += 1;
                let _ = writeln!(out, "{}", r.path.display());
            }
            Status::Failed(msg) => failures.push(
                Diagnostic::error(format!("cannot format {}", r.path.display()))
                    .caused_by(msg.as_str())
                    .hint("fix the file at that position; fmt left it unchanged"),
            ),
        }
    }
    let mut err = diagnostic::human(&failures, style);
    let verb = if check { "not canonical" } else { "formatted" };
    let _ = writeln!(
        err,
        "{} files checked, {changed} {verb}, {} failed",
        results.len() - skipped,
        failures.len()
    );
    let mut warnings = Vec::new();
    if skipped > 0 {
        warnings.push(Diagnostic::warning(format!(
            "{skipped} metadata file{} of types sfprov does not manage skipped (it formats profiles, permission sets, connected and external client apps, settings and package.xml)",
            if skipped == 1 { "" } else { "s" }
        )));
    }
    if results.len() == skipped {
        warnings.push(Diagnostic::warning(
            "no metadata files sfprov manages were found under the given paths",
        ));
    }
    err.push_str(&diagnostic::human(&warnings, style));
    if check && changed > 0 {
        err.push_str(&diagnostic::hint(
            "run `sfprov fmt` on these paths to rewrite them in canonical form",
            style,
        ));
    }
    (out, err)
}
