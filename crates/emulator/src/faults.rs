//! Fault injection: rules that make a route or operation fail on purpose.
//! Owns: the rule shape (serde, for `--faults FILE` and the admin route),
//! matching rules to calls, and turning a fired rule into a response or a
//! dropped connection. Targets name an operation (`soap:deploy`,
//! `rest:query`, `oauth:token`), a family (`soap:*`), everything (`*`), or a
//! path prefix (`/services/data`).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use super::{lock, EmulatorError};

/// One rule: which calls, from which call on, how often, and what happens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    /// `soap:deploy`, `soap:*`, `rest:query`, `rest:sobjects`, `oauth:token`,
    /// `*`, or a path prefix starting with `/`.
    pub target: String,
    /// Matching calls that pass untouched before the rule fires (so
    /// `after: 3` + `InvalidSession` = "INVALID_SESSION_ID after 3 calls").
    #[serde(default)]
    pub after: u32,
    /// How many times the rule fires; `None` = every later matching call.
    #[serde(default)]
    pub times: Option<u32>,
    pub action: FaultAction,
}

/// What a fired rule does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultAction {
    /// Answer with this HTTP status and body (e.g. 503 from a load balancer).
    Status {
        status: u16,
        #[serde(default)]
        body: String,
        #[serde(default)]
        content_type: Option<String>,
    },
    /// Close the connection without acting and without answering.
    DropBefore,
    /// Act (deploy, create the record…), then close without answering.
    DropAfter,
    /// Wait, then handle the call normally.
    Delay { ms: u64 },
    /// `INVALID_SESSION_ID` as the protocol words it (SOAP fault / REST 401).
    InvalidSession,
    /// `REQUEST_LIMIT_EXCEEDED` (SOAP fault / REST 403).
    RequestLimit,
    /// `INVALID_CROSS_REFERENCE_KEY: invalid cross reference id` (the transient
    /// fault SDR retries on early checkDeployStatus).
    CrossReference,
    /// On `soap:deploy`: the deploy is accepted, then its first component
    /// fails with this problem when it runs (a validation failure when the
    /// deploy is checkOnly); with rollbackOnError nothing is deployed. Other
    /// calls ignore it: only deploys have components.
    ComponentFailure { problem: String },
}

impl FaultRule {
    pub fn new(target: &str, action: FaultAction) -> Self {
        FaultRule {
            target: target.to_string(),
            after: 0,
            times: None,
            action,
        }
    }

    /// Fires only after `n` matching calls went through.
    pub fn after(mut self, n: u32) -> Self {
        self.after = n;
        self
    }

    /// Fires at most `n` times.
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    fn matches(&self, op: &str, path: &str) -> bool {
        let t = self.target.as_str();
        if t == "*" || t == op {
            return true;
        }
        if let Some(prefix) = t.strip_suffix('*') {
            return op.starts_with(prefix);
        }
        t.starts_with('/') && path.starts_with(t)
    }
}

struct Armed {
    rule: FaultRule,
    seen: u32,
    fired: u32,
}

/// The active rules.
pub struct Faults(Mutex<Vec<Armed>>);

impl Faults {
    pub fn new(rules: Vec<FaultRule>) -> Self {
        let f = Faults(Mutex::new(Vec::new()));
        f.set(rules);
        f
    }

    pub fn set(&self, rules: Vec<FaultRule>) {
        *lock(&self.0) = rules
            .into_iter()
            .map(|rule| Armed {
                rule,
                seen: 0,
                fired: 0,
            })
            .collect();
    }

    pub fn add(&self, rule: FaultRule) {
        lock(&self.0).push(Armed {
            rule,
            seen: 0,
            fired: 0,
        });
    }

    pub fn list(&self) -> Vec<FaultRule> {
        lock(&self.0).iter().map(|a| a.rule.clone()).collect()
    }

    /// Counts this call against every matching rule; returns the first that fires.
    pub fn check(&self, op: &str, path: &str) -> Option<FaultAction> {
        let mut fired = None;
        for a in lock(&self.0).iter_mut() {
            if !a.rule.matches(op, path) {
                continue;
            }
            a.seen += 1;
            let exhausted = a.rule.times.is_some_and(|n| a.fired >= n);
            if fired.is_none() && a.seen > a.rule.after && !exhausted {
                a.fired += 1;
                fired = Some(a.rule.action.clone());
            }
        }
        fired
    }
}

/// Reads `--faults FILE`: a JSON array of rules.
pub fn from_file(path: &Path) -> Result<Vec<FaultRule>, EmulatorError> {
    let text = std::fs::read_to_string(path).map_err(|source| EmulatorError::Read {
        what: "--faults",
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| EmulatorError::Invalid {
        what: "faults",
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Per-connection switch the server puts in each request's extensions: a
/// handler that must drop the connection notifies it and never answers.
#[derive(Clone, Default)]
pub struct ConnControl(pub Arc<Notify>);

impl ConnControl {
    /// Closes the connection; the returned future never completes.
    pub async fn drop_connection(&self) -> Response {
        self.0.notify_one();
        std::future::pending::<()>().await;
        ().into_response()
    }
}

/// What the handler must do after a rule was checked.
pub enum Outcome {
    /// Handle normally.
    Proceed,
    /// Handle, then drop the connection instead of answering.
    DropAfter,
    /// Answer with this instead (already rendered for the protocol).
    Respond(Response),
    /// Drop the connection now.
    DropBefore,
    /// Handle, but the deploy's first component fails with this problem.
    FailComponent(String),
}

/// Checks the rules for one call; `render` turns protocol faults into the
/// protocol's error response.
pub async fn check(
    faults: &Faults,
    op: &str,
    path: &str,
    render: impl Fn(&FaultAction) -> Response,
) -> Outcome {
    let Some(action) = faults.check(op, path) else {
        return Outcome::Proceed;
    };
    match action {
        FaultAction::Delay { ms } => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Outcome::Proceed
        }
        FaultAction::DropBefore => Outcome::DropBefore,
        FaultAction::DropAfter => Outcome::DropAfter,
        FaultAction::ComponentFailure { problem } => Outcome::FailComponent(problem),
        FaultAction::Status {
            status,
            body,
            content_type,
        } => {
            let code = axum::http::StatusCode::from_u16(status)
                .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
            let ct = content_type.unwrap_or_else(|| "text/plain".to_string());
            Outcome::Respond((code, [(axum::http::header::CONTENT_TYPE, ct)], body).into_response())
        }
        other => Outcome::Respond(render(&other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_and_times() {
        let f = Faults::new(vec![FaultRule::new("soap:*", FaultAction::InvalidSession)
            .after(2)
            .times(1)]);
        assert!(f.check("soap:deploy", "/").is_none());
        assert!(f.check("rest:query", "/").is_none());
        assert!(f.check("soap:retrieve", "/").is_none());
        assert_eq!(
            f.check("soap:deploy", "/"),
            Some(FaultAction::InvalidSession)
        );
        assert!(f.check("soap:deploy", "/").is_none());
    }

    #[test]
    fn rules_parse_from_json() {
        let rules: Vec<FaultRule> = serde_json::from_str(
            r#"[{"target":"/services/data","action":{"kind":"status","status":503,"body":"down"}},
                {"target":"soap:deploy","after":1,"action":{"kind":"drop_after"}}]"#,
        )
        .unwrap();
        assert_eq!(rules.len(), 2);
        assert!(rules[0].matches("rest:query", "/services/data/v63.0/query"));
    }
}
