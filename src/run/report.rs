//! How a command failed, and showing it: `Failure` (the diagnostics of any
//! library error, via `ToDiagnostic`), the view chosen before the command
//! runs (`--json` sniffed from the arguments, so a usage error of a command
//! with `--json` is JSON too), clap's usage errors as diagnostics, and the
//! one place a failure is printed: human on stderr, plus one JSON document on
//! stdout under `--json`.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};

use clap::CommandFactory;
use sfprov::diag::{Diagnostic, ToDiagnostic};
use sfprov::render::diagnostic::{self, Style};

use crate::cli::Cli;

/// A command's failure: what to show. A closed stdout (`sfprov ... | head`)
/// is no failure and shows nothing.
#[derive(Debug)]
pub struct Failure {
    pub diagnostics: Vec<Diagnostic>,
    /// The last word ("the spec has 3 errors; nothing was written"), shown
    /// even when the diagnostics before it are cut at `MAX_SHOWN`.
    pub conclusion: Option<Box<Diagnostic>>,
    pub broken_pipe: bool,
}

impl Failure {
    pub fn broken_pipe() -> Failure {
        Failure {
            diagnostics: Vec::new(),
            conclusion: None,
            broken_pipe: true,
        }
    }

    /// The failure with `d` as its last word.
    pub fn concluded(mut self, d: Diagnostic) -> Failure {
        self.conclusion = Some(Box::new(d));
        self
    }
}

/// Every library error becomes a failure through its `ToDiagnostic`.
impl<E: ToDiagnostic> From<E> for Failure {
    fn from(e: E) -> Failure {
        Failure {
            diagnostics: e.to_diagnostics(),
            conclusion: None,
            broken_pipe: false,
        }
    }
}

/// How stderr is drawn: colour only on a terminal and never with NO_COLOR.
pub fn stderr_style(verbose: bool) -> Style {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    Style {
        color: std::io::stderr().is_terminal() && !no_color,
        verbose,
    }
}

/// The command the arguments name (`sfprov org info`), found by walking
/// clap's command tree, so it works before and without parsing; and whether
/// they ask for `--json` on a command that has it.
fn walk(args: &[OsString]) -> (String, bool) {
    let mut cmd = Cli::command();
    let mut path = vec!["sfprov".to_string()];
    let mut asked = false;
    for a in args.iter().skip(1) {
        let Some(a) = a.to_str() else { continue };
        if a == "--" {
            break;
        }
        if a == "--json" || a == "--json-stream" {
            asked = true;
        } else if !a.starts_with('-') {
            if let Some(sub) = cmd.find_subcommand(a) {
                cmd = sub.clone();
                path.push(cmd.get_name().to_string());
            }
        }
    }
    let json = asked
        && cmd
            .get_arguments()
            .any(|arg| matches!(arg.get_long(), Some("json" | "json-stream")));
    (path.join(" "), json)
}

/// Whether the arguments ask for `--json` on a command that has it.
pub fn wants_json(args: &[OsString]) -> bool {
    walk(args).1
}

/// Prints a failure: human text on stderr and, under `--json`, the JSON
/// document on stdout.
pub fn show(f: &Failure, json: bool, style: Style) {
    let last = f
        .conclusion
        .as_deref()
        .map(std::slice::from_ref)
        .unwrap_or_default();
    if json {
        let all: Vec<Diagnostic> = f.diagnostics.iter().chain(last).cloned().collect();
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(diagnostic::json(&all).as_bytes());
        let _ = out.flush();
    }
    eprint!(
        "{}{}",
        diagnostic::human(&f.diagnostics, style),
        diagnostic::human(last, style)
    );
}

/// A clap error as a diagnostic: its first line the message, its extra
/// lines and `tip:`s hints, and how to see the options of the command the
/// arguments name.
pub fn usage_diagnostic(e: &clap::Error, args: &[OsString]) -> Diagnostic {
    let text = e.render().to_string();
    let mut paragraphs = text.split("\n\n");
    let first = paragraphs.next().unwrap_or_default();
    let mut lines = first.lines();
    let message = lines
        .next()
        .unwrap_or("invalid arguments")
        .trim_start_matches("error: ")
        .to_string();
    let rest: Vec<&str> = lines
        .map(|l| l.trim().trim_start_matches('[').trim_end_matches(']'))
        .filter(|l| !l.is_empty())
        .collect();
    // "the following required arguments were not provided:" + a list.
    let mut d = match message.strip_suffix(':') {
        Some(m) => required_list(m, &rest),
        None => rest
            .iter()
            .fold(Diagnostic::error(message.clone()), |d, l| d.hint(*l)),
    };
    for p in paragraphs {
        if let Some(tip) = p.trim().strip_prefix("tip: ") {
            d = d.hint(tip);
        }
    }
    d.hint(format!("`{} --help` lists the options", walk(args).0))
}

fn required_list(message: &str, items: &[&str]) -> Diagnostic {
    Diagnostic::error(format!("{message}: {}", items.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    #[test]
    fn json_only_for_commands_that_have_it() {
        assert!(wants_json(&args(&["sfprov", "plan", "--json", "--bogus"])));
        assert!(wants_json(&args(&[
            "sfprov", "-v", "org", "info", "--json"
        ])));
        assert!(!wants_json(&args(&["sfprov", "generate", "--json"])));
        assert!(!wants_json(&args(&["sfprov", "diff", "--", "--json", "x"])));
        assert!(!wants_json(&args(&["sfprov", "plan"])));
    }

    #[test]
    fn a_clap_error_keeps_its_message_and_tips() {
        let a = args(&["sfprov", "generate", "--format", "bogus"]);
        let e = Cli::try_parse_from(&a).unwrap_err();
        let d = usage_diagnostic(&e, &a);
        assert!(d.message.contains("invalid value 'bogus'"), "{d:?}");
        assert!(d.hints.iter().any(|h| h.contains("source, mdapi")), "{d:?}");
        assert_eq!(
            d.hints.last().unwrap(),
            "`sfprov generate --help` lists the options"
        );
        let a = args(&["sfprov", "templates", "show"]);
        let d = usage_diagnostic(&Cli::try_parse_from(&a).unwrap_err(), &a);
        assert_eq!(
            d.message,
            "the following required arguments were not provided: <NAME>"
        );
        assert_eq!(
            d.hints,
            ["`sfprov templates show --help` lists the options"]
        );
    }
}
