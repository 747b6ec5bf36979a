//! `sfprov report` end to end: the built binary renders every template in
//! every format without an org; against the emulator on 127.0.0.1:0 it shows
//! unmet requirements before apply (exit 2 with --detailed-exitcode) and all
//! met after `sfprov apply` and the manual step; `--out` writes one file;
//! errors are diagnostics (a JSON document under --json); no output holds
//! the access token. Snapshots: the zendesk Markdown, the JSON shape.

use std::path::Path;

use serde_json::Value;
use sfprov::emulator::EmulatorHandle;

use crate::apply::cli::{setup, sf};
use crate::common::{run, sfprov, tree, Run};
use crate::plan::mask_ids;

/// Asserts `text` holds `needle`, showing the text when it does not.
fn has(text: &str, needle: &str) {
    assert!(text.contains(needle), "{needle:?} not in:\n{text}");
}

fn report(dir: &Path, args: &[&str]) -> Run {
    let mut c = sfprov(dir);
    c.arg("report").args(args);
    run(c)
}

/// Checks `html` is one well-formed document: strictly, as XML (quick-xml,
/// end names checked), and as HTML with python3's html.parser (every
/// non-void element closed in order) when python3 is installed. No
/// script, and nothing loaded from anywhere.
fn assert_well_formed_html(html: &str, what: &str) {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(html);
    reader.config_mut().check_end_names = true;
    let mut depth = 0i32;
    loop {
        match reader.read_event() {
            Err(e) => panic!(
                "{what}: not well-formed at {}: {e}",
                reader.buffer_position()
            ),
            Ok(Event::Start(_)) => depth += 1,
            Ok(Event::End(_)) => depth -= 1,
            Ok(Event::Eof) => break,
            Ok(_) => {}
        }
    }
    assert_eq!(depth, 0, "{what}: elements left open");
    assert!(
        html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"),
        "{what}"
    );
    for outside in ["<script", "src=", "href=", "url(", "@import", "<link"] {
        assert!(!html.contains(outside), "{what}: {outside}");
    }
    let checker = r#"
import sys
from html.parser import HTMLParser
VOID = {"meta", "br", "hr", "img", "input", "link"}
class P(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)
    def handle_startendtag(self, tag, attrs):
        pass
    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            sys.exit("unbalanced </%s> at %s, open: %s" % (tag, self.getpos(), self.stack))
        self.stack.pop()
p = P()
p.feed(sys.stdin.read())
p.close()
if p.stack:
    sys.exit("left open: %s" % p.stack)
"#;
    let child = std::process::Command::new("python3")
        .args(["-c", checker])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        eprintln!("python3 not found: {what} checked as XML only");
        return;
    };
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(html.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_template_renders_in_every_format_without_an_org() {
    let dir = tempfile::tempdir().unwrap();
    for t in sfprov::templates::all() {
        let md = report(dir.path(), &["--template", t.name]);
        assert_eq!(md.code, 0, "{}: {}", t.name, md.stderr);
        assert!(
            md.stdout
                .starts_with(&format!("# Requirement report: `template {}`", t.name)),
            "{}",
            md.stdout
        );
        has(
            &md.stdout,
            "| Requirement | Component | Entry | Value | Status |",
        );
        has(&md.stdout, "❔ unknown");
        assert!(
            !md.stdout.contains("❌"),
            "{}: no org, nothing is not met",
            t.name
        );

        let html = report(dir.path(), &["--template", t.name, "--format", "html"]);
        assert_eq!(html.code, 0, "{}: {}", t.name, html.stderr);
        assert_well_formed_html(&html.stdout, t.name);

        let json = report(dir.path(), &["--template", t.name, "--format", "json"]);
        assert_eq!(json.code, 0, "{}: {}", t.name, json.stderr);
        let v: Value = serde_json::from_str(&json.stdout).unwrap();
        assert_eq!(v["format_version"], "1");
        assert_eq!(v["template"], t.name);
        assert_eq!(v["org"], Value::Null);
        let s = &v["summary"];
        assert!(s["total"].as_u64().unwrap() > 0, "{}", t.name);
        assert_eq!(s["unknown"], s["total"], "{}", t.name);
        // --json is --format json; --detailed-exitcode without an org is 0.
        let synonym = report(
            dir.path(),
            &["--template", t.name, "--json", "--detailed-exitcode"],
        );
        assert_eq!(synonym.code, 0);
        assert_eq!(synonym.stdout, json.stdout, "{}", t.name);
    }
}

#[test]
fn the_zendesk_markdown_reads_well_in_a_pull_request() {
    let dir = tempfile::tempdir().unwrap();
    let r = report(dir.path(), &["--template", "zendesk"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = r.stdout.replace(
        &format!("**sfprov:** {}", env!("CARGO_PKG_VERSION")),
        "**sfprov:** [version]",
    );
    insta::assert_snapshot!("zendesk_report_md", text);
}

/// `sfprov report ARGS` against `h` in `dir` (no output holds the token).
fn report_org(dir: &Path, h: &EmulatorHandle, args: &[&str]) -> Run {
    let mut all = vec!["report"];
    all.extend_from_slice(args);
    sf(dir, h, &all)
}

/// The report's date changes from run to run.
fn mask_date(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("\"date\": \"") {
            out.push_str("  \"date\": \"[date]\",");
        } else if line.starts_with("- **Date:** ") {
            out.push_str("- **Date:** [date]");
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

#[test]
fn before_apply_requirements_are_unmet_and_after_apply_and_the_manual_step_all_are_met() {
    let (h, dir) = setup();
    let before = report_org(dir.path(), &h, &["--detailed-exitcode"]);
    assert_eq!(before.code, 2, "{}\n{}", before.stdout, before.stderr);
    has(&before.stdout, "| Ticket-to-case sync writes the ticket subject | `PermissionSet` `Zendesk_Integration` | `fieldPermissions` `Case.Subject` | `read, edit` | ❌ not met: would be added |");
    has(
        &before.stdout,
        "❌ not met: would be changed: `true → false`",
    );
    has(
        &before.stdout,
        "- **Org:** 127.0.0.1 (00D5g000004EmuLEAS), API ",
    );
    has(&before.stdout, "- **Date:** ");
    // Without --detailed-exitcode a rendered report is a success.
    let plain = report_org(dir.path(), &h, &["--json"]);
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    insta::assert_snapshot!(
        "zendesk_report_json_before_apply",
        mask_date(&mask_ids(&plain.stdout, &h))
    );

    let applied = sf(dir.path(), &h, &["apply", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);
    // Apply cannot set the managed app's policy: that requirement alone is open.
    let after = report_org(dir.path(), &h, &["--json", "--detailed-exitcode"]);
    assert_eq!(after.code, 2, "{}", after.stdout);
    let v: Value = serde_json::from_str(&after.stdout).unwrap();
    let open: Vec<String> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["rows"].as_array().unwrap())
        .filter(|r| r["status"] != "met")
        .map(|r| format!("{} {} {}", r["type"], r["section"], r["status"]))
        .collect();
    assert_eq!(open, ["\"ConnectedApp\" \"policy\" \"not_met\""]);
    assert_eq!(v["manual_steps"][0]["status"], "not_met");

    // The admin does the manual step in Setup (Permitted Users: admin approved).
    {
        let shared = h.shared();
        let mut st = shared.lock();
        for app in st.records.get_mut("ConnectedApplication").unwrap() {
            if app["Name"] == "Zendesk" {
                app.insert(
                    "OptionsAllowAdminApprovedUsersOnly".into(),
                    Value::Bool(true),
                );
            }
        }
    }
    let done = report_org(dir.path(), &h, &["--detailed-exitcode"]);
    assert_eq!(done.code, 0, "{}\n{}", done.stdout, done.stderr);
    assert!(!done.stdout.contains("❌"), "{}", done.stdout);
    assert!(!done.stdout.contains("❔"), "{}", done.stdout);
    has(&done.stdout, ", 0 not met, 0 unknown (");
    has(&done.stdout, "- **Status:** ✅ met");
    let html = report_org(dir.path(), &h, &["--format", "html"]);
    assert_eq!(html.code, 0);
    assert_well_formed_html(&html.stdout, "zendesk after apply");
    assert!(
        !html.stdout.contains("class=\"not-met\""),
        "{}",
        html.stdout
    );
}

#[test]
fn out_writes_the_report_to_that_file_only() {
    let (h, dir) = setup();
    let r = report_org(
        dir.path(),
        &h,
        &["--format", "html", "--out", "audit/zendesk.html"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "", "the report goes to the file");
    has(&r.stderr, "wrote the report to audit/zendesk.html: ");
    let files = tree(dir.path());
    let written: Vec<&String> = files.keys().filter(|k| k.starts_with("audit/")).collect();
    assert_eq!(
        written,
        ["audit/zendesk.html"],
        "no temp file is left beside it"
    );
    let html = String::from_utf8(files["audit/zendesk.html"].clone()).unwrap();
    assert_well_formed_html(&html, "--out file");
    assert!(
        !html.contains(h.access_token.expose()),
        "the file leaks the token"
    );
    // The file is replaced whole on a second run.
    let r = report_org(dir.path(), &h, &["--json", "--out", "audit/zendesk.html"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json = std::fs::read_to_string(dir.path().join("audit/zendesk.html")).unwrap();
    assert!(json.starts_with("{\n  \"format_version\": \"1\""), "{json}");
}

#[test]
fn errors_say_what_where_and_what_to_run() {
    let dir = tempfile::tempdir().unwrap();
    let r = report(dir.path(), &["--template", "zendsk"]);
    assert_eq!(r.code, 1);
    has(&r.stderr, "unknown template `zendsk`");
    has(&r.stderr, "did you mean `zendesk`?");
    let r = report(dir.path(), &["--template", "zendsk", "--json"]);
    assert_eq!(r.code, 1);
    let v: Value = serde_json::from_str(&r.stdout).expect("a JSON error document");
    assert!(v.to_string().contains("unknown template"), "{v}");

    let r = report(dir.path(), &[]);
    assert_eq!(r.code, 1);
    has(&r.stderr, "cannot read spec `sfprov.toml`");
    has(&r.stderr, "`sfprov report --template zendesk -o ORG`");
    std::fs::write(
        dir.path().join("sfprov.toml"),
        "template = \"zendesk\"\n[user]\nlicence = 1\n",
    )
    .unwrap();
    let r = report(dir.path(), &[]);
    assert_eq!(r.code, 1);
    has(&r.stderr, "sfprov.toml:3:");
    has(&r.stderr, "no report was made");

    let r = report(
        dir.path(),
        &["--template", "zendesk", "--json", "--format", "md"],
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    let r = report(dir.path(), &["--template", "zendesk", "--out", "."]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    has(&r.stderr, "cannot write `.`");
}
