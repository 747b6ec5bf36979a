//! The HTML view of a report: one self-contained file an auditor opens
//! offline (inline CSS; no script, image, font or link to anything), every
//! text HTML-escaped, laid out for print, and written so it is well-formed
//! XML too (every element closed), which the tests check.
//! Owns: the markup and the style sheet. Statuses are spelled out in words
//! and marked by shape (✔ ✘ ?) and border, never by colour alone.

use std::fmt::Write as _;

use super::{change_text, header, severity_word, summary_line, Report, Row, Status};

/// Text as HTML (and XML): `& < > " '` escaped.
pub fn esc(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

fn code(s: &str) -> String {
    if s.is_empty() {
        String::new()
    } else {
        format!("<code>{}</code>", esc(s))
    }
}

fn mark(s: Status) -> &'static str {
    match s {
        Status::Met => "✔",
        Status::WouldAdd | Status::WouldChange | Status::NotMet => "✘",
        Status::Unknown => "?",
    }
}

/// A status badge: the mark and the words, classed for colour and border.
fn badge(s: Status) -> String {
    format!(
        "<span class=\"badge {}\"><span class=\"mark\" aria-hidden=\"true\">{}</span> {}</span>",
        s.class(),
        mark(s),
        esc(s.label())
    )
}

const STYLE: &str = "
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1b1b1b; background: #fff; max-width: 78rem; margin: 2rem auto; padding: 0 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 .5rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; border-bottom: 1px solid #ccc; padding-bottom: .2rem; }
h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
code { font: .9em/1.3 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f3f3f3; padding: 0 .2em; border-radius: 3px; overflow-wrap: anywhere; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: 1rem 0; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; }
p.description { font-style: italic; }
p.summary { font-size: 1.05rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { border: 1px solid #bbb; padding: .35rem .5rem; text-align: left; vertical-align: top; }
th { background: #eee; }
tr.met td.status { background: #e7f4ea; border-left: 4px solid #1e7b3a; }
tr.not-met td.status { background: #fde8e6; border-left: 4px double #a1261b; font-weight: 600; }
tr.unknown td.status { background: #f2f2f2; border-left: 4px dashed #666; }
.badge { white-space: nowrap; padding: 0 .35em; border-radius: 3px; border: 1px solid transparent; }
.badge.met { color: #125426; border-color: #1e7b3a; }
.badge.not-met { color: #7d1a12; border-color: #a1261b; border-style: double; border-width: 3px; }
.badge.unknown { color: #444; border-color: #666; border-style: dashed; }
.note { font-size: .9em; color: #444; margin-top: .2rem; }
.implied { font-size: .85em; font-style: italic; color: #555; }
ul.checks { list-style: none; padding-left: 0; }
footer { margin-top: 3rem; font-size: .85em; color: #555; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  h2 { break-after: avoid; }
  tr, li { break-inside: avoid; }
  thead { display: table-header-group; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
";

fn row_html(r: &Row, out: &mut String) {
    let _ = write!(
        out,
        "<tr class=\"{}\"><td>{}",
        r.status.class(),
        esc(&r.requirement)
    );
    if r.implied {
        out.push_str(" <span class=\"implied\">(implied: added by sfprov)</span>");
    }
    out.push_str("</td>");
    let _ = write!(out, "<td>{} {}</td>", code(&r.type_name), code(&r.member));
    if r.section.is_empty() && r.key.is_empty() {
        let _ = write!(out, "<td>{}</td>", esc(&r.entry()));
    } else {
        let _ = write!(out, "<td>{} {}</td>", code(&r.section), code(&r.key));
    }
    let _ = write!(
        out,
        "<td>{}</td><td class=\"status\">{}",
        code(&r.value),
        badge(r.status)
    );
    if !r.changes.is_empty() {
        let changes: Vec<String> = r.changes.iter().map(|f| code(&change_text(f))).collect();
        let _ = write!(out, "<div class=\"note\">{}</div>", changes.join(", "));
    }
    if let Some(n) = &r.note {
        let _ = write!(out, "<div class=\"note\">{}</div>", esc(n));
    }
    out.push_str("</td></tr>\n");
}

/// The whole report as one HTML document.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\n");
    let _ = writeln!(out, "<title>Requirement report: {}</title>", esc(&r.spec));
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>\n<header>");
    let _ = writeln!(out, "<h1>Requirement report: {}</h1>", code(&r.spec));
    if let Some(d) = &r.description {
        let _ = writeln!(out, "<p class=\"description\">{}</p>", esc(d));
    }
    out.push_str("<dl class=\"meta\">\n");
    for (label, value) in header(r) {
        let _ = writeln!(out, "<dt>{}</dt><dd>{}</dd>", esc(label), esc(&value));
    }
    out.push_str("</dl>\n");
    let s = &r.summary;
    let _ = writeln!(
        out,
        "<p class=\"summary\"><strong>Summary: {}.</strong><br />{} {} {}</p>",
        esc(&summary_line(s)),
        badge_count(Status::Met, s.met),
        badge_count(Status::NotMet, s.not_met),
        badge_count(Status::Unknown, s.unknown),
    );
    for n in &r.notes {
        let _ = writeln!(out, "<p class=\"note\">Note: {}</p>", esc(n));
    }
    out.push_str("</header>\n<main>\n");
    for g in &r.groups {
        let (noun, name) = g.title();
        out.push_str("<section class=\"group\">\n");
        let _ = writeln!(
            out,
            "<h2>{} {}</h2>",
            esc(noun),
            name.map(code).unwrap_or_default()
        );
        if let Some(d) = &g.description {
            let _ = writeln!(out, "<p>{}</p>", esc(d));
        }
        out.push_str("<table>\n<thead><tr><th scope=\"col\">Requirement</th><th scope=\"col\">Component</th><th scope=\"col\">Entry</th><th scope=\"col\">Value</th><th scope=\"col\">Status</th></tr></thead>\n<tbody>\n");
        for row in &g.rows {
            row_html(row, &mut out);
        }
        out.push_str("</tbody>\n</table>\n</section>\n");
    }
    manual_steps(r, &mut out);
    if !r.findings.is_empty() {
        out.push_str("<section class=\"findings\">\n<h2>Findings</h2>\n<ul>\n");
        for f in &r.findings {
            let _ = write!(
                out,
                "<li><strong>{}:</strong> {}",
                severity_word(f.severity),
                esc(&f.message)
            );
            if let Some(h) = &f.hint {
                let _ = write!(out, "<br />hint: {}", esc(h));
            }
            out.push_str("</li>\n");
        }
        out.push_str("</ul>\n</section>\n");
    }
    if !r.beyond_spec.is_empty() {
        out.push_str("<section class=\"beyond\">\n<h2>Beyond the spec</h2>\n<p>In the org, not in the spec (not counted as requirements):</p>\n<table>\n<thead><tr><th scope=\"col\">Component</th><th scope=\"col\">Entry</th><th scope=\"col\">Note</th></tr></thead>\n<tbody>\n");
        for e in &r.beyond_spec {
            let _ = writeln!(
                out,
                "<tr><td>{} {}</td><td>{} {}</td><td>{}</td></tr>",
                code(&e.type_name),
                code(&e.member),
                code(&e.section),
                code(&e.key),
                esc(&e.note)
            );
        }
        out.push_str("</tbody>\n</table>\n</section>\n");
    }
    let _ = writeln!(
        out,
        "</main>\n<footer>Made by sfprov {} from {}.</footer>\n</body>\n</html>",
        esc(&r.sfprov_version),
        esc(&r.spec)
    );
    out
}

fn badge_count(s: Status, n: usize) -> String {
    let word = match s {
        Status::Met => "met",
        Status::Unknown => "unknown",
        _ => "not met",
    };
    format!(
        "<span class=\"badge {}\"><span class=\"mark\" aria-hidden=\"true\">{}</span> {n} {word}</span>",
        s.class(),
        mark(s)
    )
}

fn manual_steps(r: &Report, out: &mut String) {
    if r.manual_steps.is_empty() {
        return;
    }
    out.push_str("<section class=\"manual\">\n<h2>Manual steps</h2>\n<p>No API can make these; a person does them in Setup.</p>\n<ol>\n");
    for s in &r.manual_steps {
        let _ = writeln!(
            out,
            "<li class=\"{}\">\n<h3>{}</h3>",
            s.status.class(),
            esc(&s.title)
        );
        let _ = writeln!(out, "<p><strong>Status:</strong> {}</p>", badge(s.status));
        let _ = writeln!(
            out,
            "<p><strong>Where:</strong> {}</p>",
            esc(&s.where_in_setup)
        );
        if !s.what.is_empty() {
            out.push_str("<p><strong>Set:</strong></p>\n<ul>\n");
            for w in &s.what {
                let _ = writeln!(out, "<li>{}</li>", esc(w));
            }
            out.push_str("</ul>\n");
        }
        if let Some(w) = &s.why {
            let _ = writeln!(out, "<p><strong>Why:</strong> {}</p>", esc(w));
        }
        if !s.checks.is_empty() {
            out.push_str("<p><strong>Checked by sfprov:</strong></p>\n<ul class=\"checks\">\n");
            for c in &s.checks {
                let st = if c.satisfied {
                    Status::Met
                } else {
                    Status::NotMet
                };
                let word = if c.satisfied { "met" } else { "not met" };
                let _ = writeln!(
                    out,
                    "<li><span class=\"badge {}\"><span class=\"mark\" aria-hidden=\"true\">{}</span> {word}</span> {}</li>",
                    st.class(),
                    mark(st),
                    esc(&c.check)
                );
            }
            out.push_str("</ul>\n");
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ol>\n</section>\n");
}
