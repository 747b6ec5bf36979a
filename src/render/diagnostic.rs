//! The one diagnostics renderer: every error and warning sfprov shows, human
//! (stderr: `error:`, `  --> file:line:col`, `  caused by:`, `hint:`) or JSON
//! (one document on stdout: `format_version`, `"ok": false`, `errors`,
//! `warnings`, the same fields). Every string passes `secret::scrub`, so a
//! server echoing a token or a terminal escape never reaches the screen.
//! Does not: decide colour or stream (the binary does), or build diagnostics.

use std::fmt::Write as _;

use serde::Serialize;

use crate::diag::{Diagnostic, Severity};
use crate::secret::scrub;

/// The format version of the JSON error document.
pub const FORMAT_VERSION: &str = "1";

/// Most errors (and, separately, warnings) the human view shows; the rest
/// are counted ("… and 39,900 more errors"). The JSON view lists them all.
pub const MAX_SHOWN: usize = crate::spec::MAX_SHOWN;

/// How to draw human text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// ANSI colour on the labels (the binary sets it only for a terminal,
    /// never with NO_COLOR).
    pub color: bool,
    /// Show notes too (`-v`).
    pub verbose: bool,
}

/// Diagnostics as human text, in the order given (notes only with
/// `verbose`). Past [`MAX_SHOWN`] errors (or warnings) the rest of that kind
/// is one line, "… and 39,900 more errors", where the first of them was.
pub fn human(diags: &[Diagnostic], style: Style) -> String {
    let mut total = [0usize; 3];
    for d in diags {
        total[d.severity as usize] += 1;
    }
    let mut out = String::new();
    let mut seen = [0usize; 3];
    for d in diags {
        if d.severity == Severity::Note && !style.verbose {
            continue;
        }
        let n = &mut seen[d.severity as usize];
        *n += 1;
        if d.severity == Severity::Note || *n <= MAX_SHOWN {
            one(&mut out, d, style.color);
        } else if *n == MAX_SHOWN + 1 {
            let more = total[d.severity as usize] - MAX_SHOWN;
            let noun = label(d.severity);
            let text = format!(
                "… and {} more {noun}{} (sfprov shows the first {MAX_SHOWN}; fix these and run again)",
                crate::spec::thousands(more),
                if more == 1 { "" } else { "s" }
            );
            one(
                &mut out,
                &Diagnostic::error(text).severity(d.severity),
                style.color,
            );
        }
    }
    out
}

/// One diagnostic as human text, without colour and without a final newline
/// (what `Diagnostic`'s `Display` prints).
pub fn plain(d: &Diagnostic) -> String {
    let mut out = String::new();
    one(&mut out, d, false);
    out.pop();
    out
}

/// A `hint:` line on its own (a next step that belongs to no error).
pub fn hint(text: &str, style: Style) -> String {
    format!("{} {}\n", paint(style.color, "1;36", "hint:"), scrub(text))
}

fn label(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// Paint `text` with an ANSI style when `color`.
fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn one(out: &mut String, d: &Diagnostic, color: bool) {
    let code = match d.severity {
        Severity::Error => "1;31",
        Severity::Warning => "1;33",
        Severity::Note => "1;32",
    };
    let message = scrub(&d.message);
    let _ = writeln!(
        out,
        "{} {message}",
        paint(color, code, &format!("{}:", label(d.severity)))
    );
    let arrow = paint(color, "1;34", "-->");
    if let Some(at) = &d.location {
        let _ = writeln!(out, "  {arrow} {}", scrub(&at.to_string()));
    }
    if let Some(place) = place(d, &message) {
        let _ = writeln!(out, "  {arrow} {place}");
    }
    for c in d.causes() {
        let _ = writeln!(out, "  caused by: {}", scrub(c));
    }
    let hint = paint(color, "1;36", "hint:");
    for h in &d.hints {
        let _ = writeln!(out, "{hint} {}", scrub(h));
    }
}

/// `component X, org `acme`` for what the message does not already name.
fn place(d: &Diagnostic, message: &str) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(c) = d.component_name() {
        let c = scrub(c);
        if !message.contains(&c) {
            parts.push(format!("component {c}"));
        }
    }
    if let Some(o) = d.org_name() {
        let o = scrub(o);
        if !message.contains(&format!("`{o}`")) {
            parts.push(format!("org `{o}`"));
        }
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// The JSON error document: `{"format_version", "ok": false, "errors": [..],
/// "warnings": [..]}` with a trailing newline. Notes are left out.
pub fn json(diags: &[Diagnostic]) -> String {
    let pick = |s: Severity| {
        diags
            .iter()
            .filter(|d| d.severity == s)
            .map(wire::Diag::from)
            .collect()
    };
    let doc = wire::Doc {
        format_version: FORMAT_VERSION,
        ok: false,
        errors: pick(Severity::Error),
        warnings: pick(Severity::Warning),
    };
    let mut text = serde_json::to_string_pretty(&doc).expect("diagnostics serialize");
    text.push('\n');
    text
}

/// The JSON shapes, private so renaming a field of `Diagnostic` cannot
/// silently change the document.
mod wire {
    use super::*;

    #[derive(Serialize)]
    pub struct Doc {
        pub format_version: &'static str,
        pub ok: bool,
        pub errors: Vec<Diag>,
        pub warnings: Vec<Diag>,
    }

    #[derive(Serialize)]
    pub struct Diag {
        severity: &'static str,
        message: String,
        location: Option<Location>,
        component: Option<String>,
        org: Option<String>,
        causes: Vec<String>,
        hints: Vec<String>,
    }

    #[derive(Serialize)]
    struct Location {
        file: String,
        line: usize,
        column: usize,
    }

    impl From<&Diagnostic> for Diag {
        fn from(d: &Diagnostic) -> Self {
            let all = |v: &[String]| v.iter().map(|s| scrub(s)).collect();
            Diag {
                severity: label(d.severity),
                message: scrub(&d.message),
                location: d.location.as_ref().map(|l| Location {
                    file: scrub(&l.file),
                    line: l.line,
                    column: l.column,
                }),
                component: d.component_name().map(scrub),
                org: d.org_name().map(scrub),
                causes: all(d.causes()),
                hints: all(&d.hints),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Location;

    fn sample() -> Diagnostic {
        Diagnostic::error("cannot read `x.profile`")
            .at(Some(Location {
                file: "x.profile".into(),
                line: 3,
                column: 7,
            }))
            .component("Profile.Admin")
            .org("acme")
            .caused_by("no such file")
            .hint("run `sfprov fmt x.profile`")
    }

    #[test]
    fn human_has_every_part_in_order() {
        let text = human(&[sample()], Style::default());
        assert_eq!(
            text,
            "error: cannot read `x.profile`\n  --> x.profile:3:7\n  --> component Profile.Admin, org `acme`\n  caused by: no such file\nhint: run `sfprov fmt x.profile`\n"
        );
    }

    #[test]
    fn colour_only_when_asked() {
        let style = Style {
            color: true,
            verbose: false,
        };
        let text = human(&[sample()], style);
        assert!(text.starts_with("\x1b[1;31merror:\x1b[0m cannot read"));
        assert!(!human(&[sample()], Style::default()).contains('\x1b'));
    }

    #[test]
    fn json_has_the_same_facts() {
        let v: serde_json::Value =
            serde_json::from_str(&json(&[sample(), Diagnostic::warning("w").hint("h")])).unwrap();
        assert_eq!(v["format_version"], "1");
        assert_eq!(v["ok"], false);
        let e = &v["errors"][0];
        assert_eq!(e["message"], "cannot read `x.profile`");
        assert_eq!(e["location"]["line"], 3);
        assert_eq!(e["component"], "Profile.Admin");
        assert_eq!(e["org"], "acme");
        assert_eq!(e["causes"][0], "no such file");
        assert_eq!(e["hints"][0], "run `sfprov fmt x.profile`");
        assert_eq!(v["warnings"][0]["message"], "w");
    }

    #[test]
    fn server_text_cannot_forge_lines_or_leak_a_secret() {
        let token = crate::secret::Secret::new("00Dtoken!render.test.secret");
        let d = Diagnostic::error(format!("bad: {}\nerror: forged", token.expose()))
            .caused_by("\x1b[2Jcleared")
            .hint(format!("use {}", token.expose()));
        for text in [
            human(std::slice::from_ref(&d), Style::default()),
            json(&[d]),
        ] {
            assert!(!text.contains(token.expose()), "{text}");
            assert!(
                !text.lines().any(|l| l.starts_with("error: forged")),
                "{text}"
            );
            assert!(!text.contains('\x1b'), "{text}");
        }
    }

    #[test]
    fn many_errors_are_cut_with_a_count() {
        let diags: Vec<Diagnostic> = (0..MAX_SHOWN + 3)
            .map(|i| Diagnostic::error(format!("e{i}")))
            .collect();
        let text = human(&diags, Style::default());
        assert_eq!(text.lines().count(), MAX_SHOWN + 1);
        assert!(text.ends_with(
            "error: … and 3 more errors (sfprov shows the first 100; fix these and run again)\n"
        ));
        let v: serde_json::Value = serde_json::from_str(&json(&diags)).unwrap();
        assert_eq!(v["errors"].as_array().unwrap().len(), MAX_SHOWN + 3);
    }
}
