//! `ToDiagnostic` for the library's error types that do not implement it
//! beside their definition (metadata, emulator, spec, plan files, diff, fmt,
//! file writes, I/O): which fact goes to `-->`, org or component, and the
//! runnable next step. `OrgError`'s is in `org/error.rs`, with its hints.
//! Does not: draw anything (see `diagnostic`).

use std::path::Path;

use crate::apply::lock::LockError;
use crate::apply::stale::Stale;
use crate::apply::ApplyError;
use crate::diag::{Diagnostic, Location, ToDiagnostic};
use crate::diff::tree;
use crate::emulator::EmulatorError;
use crate::metadata::ParseError;
use crate::org::read::ReadError;
use crate::plan::file::FileError;
use crate::spec::SpecError;

/// A parse error of the file at `path`: `-->` at its line and column.
pub fn parse_error(path: &Path, e: &ParseError) -> Diagnostic {
    Diagnostic::error(format!("cannot read {}: {}", path.display(), e.message))
        .at(Some(Location {
            file: path.display().to_string(),
            line: e.line,
            column: e.column,
        }))
        .hint(match e.limit {
            Some(_) => "sfprov refuses files this large or deep; check that it is the metadata file you meant".to_string(),
            None => format!(
                "fix the XML at that position (`xmllint --noout {}` shows the same); a retrieve from the org gives a well-formed copy",
                path.display()
            ),
        })
}

impl ToDiagnostic for ParseError {
    fn to_diagnostic(&self) -> Diagnostic {
        parse_error(Path::new("<input>"), self)
    }
}

/// The next step for an I/O error on `path`, by its kind.
fn io_hint(path: &Path, e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    let p = path.display();
    match e.kind() {
        NotFound => format!("check the path `{p}` (`ls {p}`)"),
        PermissionDenied => format!("check the permissions of `{p}` (`ls -l {p}`)"),
        AlreadyExists => format!("remove `{p}` or choose another path"),
        StorageFull => "free some disk space and run the command again".to_string(),
        _ => format!("check `{p}` and run the command again"),
    }
}

impl ToDiagnostic for std::io::Error {
    fn to_diagnostic(&self) -> Diagnostic {
        Diagnostic::from_error(self).hint(match self.kind() {
            std::io::ErrorKind::PermissionDenied => "check the permissions of the files involved",
            _ => "run the command again; `-v` shows what sfprov was doing",
        })
    }
}

impl ToDiagnostic for crate::fsutil::WriteError {
    fn to_diagnostic(&self) -> Diagnostic {
        let d = Diagnostic::from_error(self);
        // Causes sfprov wrote itself already say what to do.
        if self.source.to_string().contains(" -d ") {
            return d.hint("choose another output directory with `-d DIR`");
        }
        d.hint(io_hint(&self.path, &self.source))
    }
}

impl ToDiagnostic for crate::fmt::PathError {
    fn to_diagnostic(&self) -> Diagnostic {
        Diagnostic::from_error(self).hint(io_hint(&self.path, &self.source))
    }
}

impl ToDiagnostic for SpecError {
    fn to_diagnostic(&self) -> Diagnostic {
        match self {
            SpecError::Read { path, source } => Diagnostic::from_error(self).hint(
                if source.kind() == std::io::ErrorKind::NotFound {
                    format!(
                        "create it with `sfprov init --template zendesk --spec {}` (see `sfprov templates`)",
                        path.display()
                    )
                } else {
                    io_hint(path, source)
                },
            ),
            SpecError::Invalid(d) => d.to_diagnostic(),
        }
    }
    fn to_diagnostics(&self) -> Vec<Diagnostic> {
        match self {
            SpecError::Invalid(d) => d.to_diagnostics(),
            _ => vec![self.to_diagnostic()],
        }
    }
}

impl ToDiagnostic for ReadError {
    fn to_diagnostic(&self) -> Diagnostic {
        match self {
            ReadError::Org(e) => e.to_diagnostic(),
            ReadError::Dir { path, .. } => Diagnostic::from_error(self)
                .org(path.display().to_string())
                .hint_opt(self.hint()),
        }
    }
}

impl ToDiagnostic for FileError {
    fn to_diagnostic(&self) -> Diagnostic {
        let d = Diagnostic::from_error(self);
        match self {
            FileError::Write(w) => w.to_diagnostic(),
            FileError::Read { path, source } => {
                d.hint(if source.kind() == std::io::ErrorKind::NotFound {
                    format!(
                        "save a plan first: `sfprov plan -o ORG --out {}`",
                        path.display()
                    )
                } else {
                    io_hint(path, source)
                })
            }
            FileError::Version { found, .. } if *found > u64::from(crate::plan::FORMAT_VERSION) => {
                d.hint_opt(self.hint())
            }
            FileError::Invalid { path, .. } | FileError::Version { path, .. } => d.hint(format!(
                "make a new one with `sfprov plan -o ORG --out {}`",
                path.display()
            )),
        }
    }
}

impl ToDiagnostic for tree::Error {
    fn to_diagnostic(&self) -> Diagnostic {
        let d = Diagnostic::from_error(self);
        match self {
            tree::Error::Read { path, source } => d.hint(io_hint(path, source)),
            tree::Error::Parse { path, source } => parse_error(path, source),
            tree::Error::Unknown { .. } => d.hint(
                "sfprov diff compares profiles, permission sets, connected and external client apps, settings and package.xml; for other files use `git diff --no-ext-diff` or `diff -u`",
            ),
            tree::Error::Refused { path, .. } => d.hint(format!(
                "give a regular metadata file; check `{}`",
                path.display()
            )),
            tree::Error::NotFile { path } => d.hint(format!(
                "give a file, a directory or /dev/null; `{}` is neither",
                path.display()
            )),
            tree::Error::Mixed { file, dir } => d.hint(format!(
                "compare the file with its counterpart in the directory, e.g. `sfprov diff {} {}`",
                file.display(),
                dir.join(file.file_name().unwrap_or_default()).display()
            )),
        }
    }
}

impl ToDiagnostic for EmulatorError {
    fn to_diagnostic(&self) -> Diagnostic {
        let d = Diagnostic::from_error(self);
        match self {
            EmulatorError::Bind { port, .. } => d.hint(format!(
                "port {port} is taken or not allowed; pick another with `--port N`, or leave `--port` out for any free port"
            )),
            EmulatorError::Read { what, path, source } => {
                d.hint(format!("{}; it is the {what} file", io_hint(path, source)))
            }
            EmulatorError::Invalid { what, .. } => d.hint(match *what {
                "seed" => "fix the seed file: it has the shape of crates/emulator/src/seed.json (`sfprov emulator serve` without `--seed` starts from that org)",
                "faults" => "fix the faults file: a JSON array of rules like [{\"target\": \"rest:query\", \"action\": {\"kind\": \"request_limit\"}}]",
                _ => "the saved org is damaged: remove the state directory to start a fresh org",
            }),
            EmulatorError::Seed { .. } => d.hint(
                "fix the seed's `components` or `users` (each user's profile and permission sets must exist in the org the seed builds)",
            ),
            EmulatorError::Busy { .. } => {
                d.hint("stop the other emulator (Ctrl-C), or use another `--state` directory")
            }
            EmulatorError::Persist { path, source } => d.hint(io_hint(path, source)),
            EmulatorError::Runtime(_) => {
                d.hint("run the command again; if it persists, report it with the output of `-v`")
            }
        }
    }
}

impl ToDiagnostic for ApplyError {
    fn to_diagnostic(&self) -> Diagnostic {
        let d = match self {
            ApplyError::Org(e) => return e.to_diagnostic(),
            ApplyError::Read(e) => return e.to_diagnostic(),
            ApplyError::Assignment { source, .. } => {
                let inner = source.to_diagnostic();
                let mut d = Diagnostic::error(self.to_string());
                for c in inner.causes() {
                    d = d.caused_by(c.clone());
                }
                return d.hint_opt(self.hint().or_else(|| inner.hints.first().cloned()));
            }
            ApplyError::Verify { remaining } => {
                let mut d = Diagnostic::error(self.to_string());
                for line in crate::render::plan::human(remaining).lines() {
                    let line = line.trim_end();
                    if line.trim_start().starts_with(['+', '~', '-']) {
                        d = d.caused_by(line.trim().to_string());
                    }
                }
                d
            }
            _ => Diagnostic::from_error(self),
        };
        d.hint_opt(self.hint())
    }

    /// A failed deploy: the summary, then one diagnostic per component
    /// failure (component, problem, file:line:col).
    fn to_diagnostics(&self) -> Vec<Diagnostic> {
        let (ApplyError::Validation { failures } | ApplyError::Deploy { failures }) = self else {
            return vec![self.to_diagnostic()];
        };
        let mut out = vec![self.to_diagnostic()];
        for f in failures {
            let location = f.line.map(|line| Location {
                file: f.file.clone(),
                line: line as usize,
                column: f.column.unwrap_or(1) as usize,
            });
            out.push(
                Diagnostic::error(f.problem.clone())
                    .component(f.component.clone())
                    .at(location),
            );
        }
        out
    }
}

impl ToDiagnostic for LockError {
    fn to_diagnostic(&self) -> Diagnostic {
        Diagnostic::from_error(self).hint(self.hint())
    }
}

impl ToDiagnostic for Stale {
    fn to_diagnostic(&self) -> Diagnostic {
        Diagnostic::error("Saved plan is stale: the org or the spec changed since it was made")
            .hint(self.hint())
    }

    /// The summary, then one line per component or row that drifted.
    fn to_diagnostics(&self) -> Vec<Diagnostic> {
        let mut d = self.to_diagnostic();
        for drift in &self.drift {
            d = d.caused_by(drift.to_string());
        }
        vec![d]
    }
}

impl ToDiagnostic for crate::audit::AuditError {
    fn to_diagnostic(&self) -> Diagnostic {
        use crate::audit::AuditError;
        match self {
            AuditError::Read(e) => e.to_diagnostic(),
            AuditError::NoUser { username, org } => Diagnostic::from_error(self)
                .org(org.clone())
                .hint(format!(
                    "check the username (Setup > Users; usernames are unique across orgs and often carry a suffix per org), e.g. `sf data query -o {org} -q \"SELECT Username FROM User WHERE Username LIKE '{}%'\"`",
                    username.split('@').next().unwrap_or(username)
                )),
            AuditError::NotRetrieved { org, .. } => Diagnostic::from_error(self)
                .org(org.clone())
                .hint("the user's profile and permission sets must be retrievable by the user sfprov logs in as (Modify Metadata or View Setup); a profile whose Setup name differs from its Metadata API name can be audited with --spec naming it"),
            AuditError::Unreadable { org, .. } => Diagnostic::from_error(self)
                .org(org.clone())
                .hint("retrieve it with `sf project retrieve start` and check the file; report it if the org wrote it"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parse_error_points_at_its_line_and_column() {
        let e = crate::metadata::parse("<Profile>\n  <x></y>\n</Profile>").unwrap_err();
        let d = parse_error(Path::new("a.profile"), &e);
        let at = d.location.clone().unwrap();
        assert_eq!((at.file.as_str(), at.line), ("a.profile", 2));
        assert!(!d.hints.is_empty());
    }

    #[test]
    fn io_errors_hint_by_kind() {
        let e = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert!(io_hint(Path::new("x"), &e).contains("ls x"));
        let e = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert!(io_hint(Path::new("x"), &e).contains("permissions"));
    }
}
