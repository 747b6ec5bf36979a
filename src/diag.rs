//! Diagnostics: problems found in user input, collected rather than thrown,
//! and every error the library returns, as one value.
//! Owns: the `Diagnostic` value (severity, message, where: file:line:col,
//! component, org; `caused by:` chain; hints) and `ToDiagnostic`, which each
//! library error type implements. Does not: print (see `render::diagnostic`).

use std::fmt;

/// How bad a diagnostic is: errors stop the command; warnings and notes do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
    Note,
}

/// A place in a file: `sfprov.toml:14:8` or `template zendesk:3:1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One problem or remark, with where it is and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub location: Option<Location>,
    /// Runnable or copyable next steps.
    pub hints: Vec<String>,
    /// Component, org and causes, when known (boxed: most diagnostics, the
    /// spec's, have none, and a `Result<_, Diagnostic>` stays small).
    context: Option<Box<Context>>,
}

/// The rarer facts of a diagnostic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Context {
    component: Option<String>,
    org: Option<String>,
    causes: Vec<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            location: None,
            hints: Vec::new(),
            context: None,
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message)
        }
    }

    pub fn note(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Note,
            ..Diagnostic::error(message)
        }
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn at(mut self, location: Option<Location>) -> Self {
        self.location = location;
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    /// Adds a hint when there is one.
    pub fn hint_opt(self, hint: Option<String>) -> Self {
        match hint {
            Some(h) => self.hint(h),
            None => self,
        }
    }

    /// The metadata component concerned (`PermissionSet.Zendesk_Integration`).
    pub fn component(mut self, component: impl Into<String>) -> Self {
        self.context_mut().component = Some(component.into());
        self
    }

    /// The org concerned, as the user named it (alias, `local`, a directory).
    pub fn org(mut self, org: impl Into<String>) -> Self {
        self.context_mut().org = Some(org.into());
        self
    }

    /// One more `caused by:` line (outermost first).
    pub fn caused_by(mut self, cause: impl Into<String>) -> Self {
        self.context_mut().causes.push(cause.into());
        self
    }

    fn context_mut(&mut self) -> &mut Context {
        self.context.get_or_insert_with(Default::default)
    }

    pub fn component_name(&self) -> Option<&str> {
        self.context.as_ref()?.component.as_deref()
    }

    pub fn org_name(&self) -> Option<&str> {
        self.context.as_ref()?.org.as_deref()
    }

    pub fn causes(&self) -> &[String] {
        self.context.as_ref().map_or(&[], |c| &c.causes)
    }

    /// An error's message with its `source()` chain as causes. A cause whose
    /// text the message (or the cause before it) already shows is left out,
    /// so `cannot read x: No such file` does not repeat `No such file`.
    pub fn from_error(e: &(dyn std::error::Error + 'static)) -> Self {
        let mut d = Diagnostic::error(e.to_string());
        let mut shown = d.message.clone();
        let mut source = e.source();
        while let Some(s) = source {
            let text = s.to_string();
            if !text.is_empty() && !shown.contains(&text) {
                shown.push('\n');
                shown.push_str(&text);
                d = d.caused_by(text);
            }
            source = s.source();
        }
        d
    }
}

/// An error as the diagnostics renderer shows it. Every error type the
/// library returns implements this: the type carries the facts (file:line,
/// component, org, field), this says where they go and adds the next step.
pub trait ToDiagnostic {
    /// The error as one diagnostic (`error:`, `-->`, `caused by:`, `hint:`).
    fn to_diagnostic(&self) -> Diagnostic;

    /// Every diagnostic the error holds (a spec with 12 errors has 12);
    /// by default the one.
    fn to_diagnostics(&self) -> Vec<Diagnostic> {
        vec![self.to_diagnostic()]
    }
}

impl ToDiagnostic for Diagnostic {
    fn to_diagnostic(&self) -> Diagnostic {
        self.clone()
    }
}

impl ToDiagnostic for Diagnostics {
    fn to_diagnostic(&self) -> Diagnostic {
        self.errors()
            .next()
            .cloned()
            .unwrap_or_else(|| Diagnostic::error("invalid input"))
    }
    fn to_diagnostics(&self) -> Vec<Diagnostic> {
        self.0.clone()
    }
}

/// Plain text, as `render::diagnostic` draws it (scrubbed, no colour).
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::render::diagnostic::plain(self))
    }
}

/// Several diagnostics at least one of which is an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", render_all(.0))]
pub struct Diagnostics(pub Vec<Diagnostic>);

fn render_all(d: &[Diagnostic]) -> String {
    d.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

impl Diagnostics {
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.severity == Severity::Error)
    }
}
