//! The Markdown view of a report, for a pull request: a header list, the
//! summary, one table per group of requirements, the manual steps, findings
//! and what the org has beyond the spec.
//! Owns: the layout and Markdown escaping (a cell's `|`, backticks and
//! newlines; Markdown and HTML punctuation in text). Does not: decide a status.

use std::fmt::Write as _;

use super::{change_text, header, severity_word, summary_line, Report, Row, Status};

/// The status as a mark and words (never the mark alone).
fn mark(s: Status) -> &'static str {
    match s {
        Status::Met => "✅",
        Status::WouldAdd | Status::WouldChange | Status::NotMet => "❌",
        Status::Unknown => "❔",
    }
}

/// Text with every character Markdown or HTML could read as markup within
/// a line escaped (`>` only starts a quote at a line's start, where text
/// never is), and newlines as `<br>` (so a table cell stays one line).
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    for (i, &ch) in chars.iter().enumerate() {
        // `_` between two letters or digits emphasizes nothing (`Zendesk_Integration`).
        let intraword = |i: usize| {
            i > 0
                && chars[i - 1].is_alphanumeric()
                && chars.get(i + 1).is_some_and(|c| c.is_alphanumeric())
        };
        match ch {
            '_' if intraword(i) => out.push(ch),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '|' | '#' | '&' | '~' => {
                out.push('\\');
                out.push(ch);
            }
            '\n' => out.push_str("<br>"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// A code span that holds any text: a fence longer than any run of
/// backticks inside, newlines as spaces; in a table cell (`cell`) `|` is
/// escaped too (GitHub reads `\|` in a code span in a table as `|`).
pub fn code(s: &str, cell: bool) -> String {
    if s.is_empty() {
        return String::new();
    }
    let mut body = s.replace(['\r', '\n'], " ");
    if cell {
        body = body.replace('|', "\\|");
    }
    let (mut longest, mut run) = (0, 0);
    for ch in body.chars() {
        run = if ch == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if longest > 0 { " " } else { "" };
    format!("{fence}{pad}{body}{pad}{fence}")
}

/// sfprov's own words, whose `quoted` names become code spans (an odd
/// number of backticks: all text).
pub fn inline(s: &str, cell: bool) -> String {
    let parts: Vec<&str> = s.split('`').collect();
    if parts.len().is_multiple_of(2) {
        return text(s);
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| if i % 2 == 1 { code(p, cell) } else { text(p) })
        .collect()
}

/// The status cell: mark, words, what would change, the note.
fn status_cell(r: &Row) -> String {
    let mut out = format!("{} {}", mark(r.status), r.status.label());
    if !r.changes.is_empty() {
        let changes: Vec<String> = r
            .changes
            .iter()
            .map(|f| code(&change_text(f), true))
            .collect();
        let _ = write!(out, ": {}", changes.join(", "));
    }
    if let Some(n) = &r.note {
        let _ = write!(out, "<br>{}", inline(n, true));
    }
    out
}

fn requirement_cell(r: &Row) -> String {
    let mut out = text(&r.requirement);
    if r.implied {
        out.push_str(" *(implied: added by sfprov)*");
    }
    out
}

/// Two words as code spans: `` `PermissionSet` `Zendesk_Integration` ``.
fn pair(a: &str, b: &str) -> String {
    [code(a, true), code(b, true)]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn entry_cell(r: &Row) -> String {
    if r.section.is_empty() && r.key.is_empty() {
        text(&r.entry())
    } else {
        pair(&r.section, &r.key)
    }
}

/// The whole report as Markdown.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Requirement report: {}\n", code(&r.spec, false));
    if let Some(d) = &r.description {
        let _ = writeln!(out, "> {}\n", text(d));
    }
    for (label, value) in header(r) {
        let _ = writeln!(out, "- **{label}:** {}", text(&value));
    }
    let _ = writeln!(out, "\n**Summary: {}.**\n", summary_line(&r.summary));
    for n in &r.notes {
        let _ = writeln!(out, "> Note: {}", inline(n, false));
    }
    if !r.notes.is_empty() {
        out.push('\n');
    }
    for g in &r.groups {
        let (noun, name) = g.title();
        match name {
            Some(n) => {
                let _ = writeln!(out, "## {noun} {}\n", code(n, false));
            }
            None => {
                let _ = writeln!(out, "## {noun}\n");
            }
        }
        if let Some(d) = &g.description {
            let _ = writeln!(out, "{}\n", text(d));
        }
        out.push_str("| Requirement | Component | Entry | Value | Status |\n");
        out.push_str("| --- | --- | --- | --- | --- |\n");
        for row in &g.rows {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                requirement_cell(row),
                pair(&row.type_name, &row.member),
                entry_cell(row),
                code(&row.value, true),
                status_cell(row)
            );
        }
        out.push('\n');
    }
    manual_steps(r, &mut out);
    if !r.findings.is_empty() {
        out.push_str("## Findings\n\n");
        for f in &r.findings {
            let _ = write!(
                out,
                "- **{}:** {}",
                severity_word(f.severity),
                text(&f.message)
            );
            if let Some(h) = &f.hint {
                let _ = write!(out, "<br>hint: {}", inline(h, false));
            }
            out.push('\n');
        }
        out.push('\n');
    }
    if !r.beyond_spec.is_empty() {
        out.push_str(
            "## Beyond the spec\n\nIn the org, not in the spec (not counted as requirements):\n\n",
        );
        out.push_str("| Component | Entry | Note |\n| --- | --- | --- |\n");
        for e in &r.beyond_spec {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                pair(&e.type_name, &e.member),
                pair(&e.section, &e.key),
                inline(&e.note, true)
            );
        }
        out.push('\n');
    }
    out
}

fn manual_steps(r: &Report, out: &mut String) {
    if r.manual_steps.is_empty() {
        return;
    }
    out.push_str("## Manual steps\n\nNo API can make these; a person does them in Setup.\n\n");
    for (i, s) in r.manual_steps.iter().enumerate() {
        let _ = writeln!(out, "### {}. {}\n", i + 1, inline(&s.title, false));
        let _ = writeln!(out, "- **Status:** {} {}", mark(s.status), s.status.label());
        let _ = writeln!(out, "- **Where:** {}", text(&s.where_in_setup));
        if !s.what.is_empty() {
            out.push_str("- **Set:**\n");
            for w in &s.what {
                let _ = writeln!(out, "  - {}", text(w));
            }
        }
        if let Some(w) = &s.why {
            let _ = writeln!(out, "- **Why:** {}", text(w));
        }
        if !s.checks.is_empty() {
            out.push_str("- **Checked by sfprov:**\n");
            for c in &s.checks {
                let (m, word) = if c.satisfied {
                    ("✅", "met")
                } else {
                    ("❌", "not met")
                };
                let _ = writeln!(out, "  - {m} {word}: {}", inline(&c.check, false));
            }
        }
        out.push('\n');
    }
}
