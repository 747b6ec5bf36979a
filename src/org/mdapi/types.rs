//! Metadata API result values and how they are read from a reply.
//! Owns: `AsyncJob`, `DeployResult` (judged by `status` and
//! `componentFailures`, never the counters; unknown statuses = running),
//! `RetrieveResult`, `FileProperties`, and the Node -> metadata tree bridge.
//! Free text from the org (problems, error messages) is scrubbed as read.
//! Does not: send anything (see `mdapi`).

use std::borrow::Cow;

use base64::Engine;

use super::super::soap::Node;
use crate::metadata::{Document, Element};
use crate::secret::scrub;

/// The answer to deploy and retrieve: the job id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsyncJob {
    pub id: String,
    pub done: bool,
    pub state: String,
}

impl AsyncJob {
    #[doc(hidden)]
    pub fn from_node(r: &Node) -> Option<AsyncJob> {
        Some(AsyncJob {
            id: r.text_of("id").filter(|s| !s.is_empty())?.to_string(),
            done: r.bool_of("done"),
            state: r.text_of("state").unwrap_or_default().to_string(),
        })
    }
}

/// `DeployStatus`, open-ended: values newer than the v63 WSDL are `Other`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeployStatus {
    Pending,
    InProgress,
    Succeeded,
    SucceededPartial,
    Failed,
    Canceling,
    Canceled,
    Other(String),
}

impl DeployStatus {
    pub fn parse(s: &str) -> DeployStatus {
        match s.trim() {
            "Pending" => DeployStatus::Pending,
            "InProgress" => DeployStatus::InProgress,
            "Succeeded" => DeployStatus::Succeeded,
            "SucceededPartial" => DeployStatus::SucceededPartial,
            "Failed" => DeployStatus::Failed,
            "Canceling" => DeployStatus::Canceling,
            "Canceled" => DeployStatus::Canceled,
            other => DeployStatus::Other(other.to_string()),
        }
    }
    pub fn as_str(&self) -> &str {
        match self {
            DeployStatus::Pending => "Pending",
            DeployStatus::InProgress => "InProgress",
            DeployStatus::Succeeded => "Succeeded",
            DeployStatus::SucceededPartial => "SucceededPartial",
            DeployStatus::Failed => "Failed",
            DeployStatus::Canceling => "Canceling",
            DeployStatus::Canceled => "Canceled",
            DeployStatus::Other(s) => s,
        }
    }
}

/// One `DeployMessage` (a component success or failure).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeployMessage {
    pub component_type: String,
    pub file_name: String,
    pub full_name: String,
    pub problem: Option<String>,
    pub problem_type: Option<String>,
    pub line: Option<u64>,
    pub column: Option<u64>,
    pub success: bool,
    pub created: bool,
    pub changed: bool,
    pub deleted: bool,
}

impl DeployMessage {
    fn from_node(n: &Node) -> DeployMessage {
        let s = |k: &str| n.text_of(k).unwrap_or_default().to_string();
        let num = |k: &str| n.text_of(k).and_then(|t| t.trim().parse().ok());
        DeployMessage {
            component_type: s("componentType"),
            file_name: s("fileName"),
            full_name: s("fullName"),
            problem: n.text_of("problem").map(scrub),
            problem_type: n.text_of("problemType").map(str::to_string),
            line: num("lineNumber"),
            column: num("columnNumber"),
            success: n.bool_of("success"),
            created: n.bool_of("created"),
            changed: n.bool_of("changed"),
            deleted: n.bool_of("deleted"),
        }
    }
}

/// Where a deploy stands, judged from `status`, `done`, `success` and
/// `componentFailures` (the counters can say 0 errors on a failed deploy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeployOutcome {
    Running,
    Succeeded,
    Failed,
    Canceled,
}

/// `DeployResult` from checkDeployStatus.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeployResult {
    pub id: String,
    pub done: bool,
    pub status_text: String,
    pub success: bool,
    pub check_only: bool,
    pub error_message: Option<String>,
    pub error_status_code: Option<String>,
    pub state_detail: Option<String>,
    pub component_failures: Vec<DeployMessage>,
    pub component_successes: Vec<DeployMessage>,
    /// Failed Apex tests, `Class.method: message`.
    pub test_failures: Vec<String>,
    pub components_deployed: u64,
    pub components_total: u64,
}

impl DeployResult {
    pub fn status(&self) -> DeployStatus {
        DeployStatus::parse(&self.status_text)
    }

    pub fn outcome(&self) -> DeployOutcome {
        let failures = !self.component_failures.is_empty() || !self.test_failures.is_empty();
        match self.status() {
            DeployStatus::Succeeded if !failures => DeployOutcome::Succeeded,
            DeployStatus::Succeeded | DeployStatus::SucceededPartial | DeployStatus::Failed => {
                DeployOutcome::Failed
            }
            DeployStatus::Canceled => DeployOutcome::Canceled,
            DeployStatus::Pending | DeployStatus::InProgress | DeployStatus::Canceling => {
                DeployOutcome::Running
            }
            // A status newer than sfprov: running until the org says done.
            DeployStatus::Other(_) if !self.done => DeployOutcome::Running,
            DeployStatus::Other(_) if self.success && !failures => DeployOutcome::Succeeded,
            DeployStatus::Other(_) => DeployOutcome::Failed,
        }
    }

    #[doc(hidden)]
    pub fn from_node(r: &Node) -> DeployResult {
        let details = r.child("details");
        let msgs = |name: &str| -> Vec<DeployMessage> {
            details
                .map(|d| d.all(name).map(DeployMessage::from_node).collect())
                .unwrap_or_default()
        };
        let test_failures = details
            .and_then(|d| d.child("runTestResult"))
            .map(|t| {
                t.all("failures")
                    .map(|f| {
                        format!(
                            "{}.{}: {}",
                            f.text_of("name").unwrap_or_default(),
                            f.text_of("methodName").unwrap_or_default(),
                            scrub(f.text_of("message").unwrap_or_default())
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        DeployResult {
            id: r.text_of("id").unwrap_or_default().to_string(),
            done: r.bool_of("done"),
            status_text: r.text_of("status").unwrap_or_default().to_string(),
            success: r.bool_of("success"),
            check_only: r.bool_of("checkOnly"),
            error_message: r.text_of("errorMessage").map(scrub),
            error_status_code: r.text_of("errorStatusCode").map(str::to_string),
            state_detail: r.text_of("stateDetail").map(str::to_string),
            component_failures: msgs("componentFailures"),
            component_successes: msgs("componentSuccesses"),
            test_failures,
            components_deployed: r.int_of("numberComponentsDeployed"),
            components_total: r.int_of("numberComponentsTotal"),
        }
    }
}

/// `FileProperties` from listMetadata and retrieve.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileProperties {
    pub type_name: String,
    pub full_name: String,
    pub file_name: String,
    pub id: String,
    pub last_modified_date: String,
    pub manageable_state: Option<String>,
    pub namespace_prefix: Option<String>,
}

impl FileProperties {
    #[doc(hidden)]
    pub fn from_node(n: &Node) -> FileProperties {
        let s = |k: &str| n.text_of(k).unwrap_or_default().to_string();
        let o = |k: &str| n.text_of(k).filter(|t| !t.is_empty()).map(str::to_string);
        FileProperties {
            type_name: s("type"),
            full_name: s("fullName"),
            file_name: s("fileName"),
            id: s("id"),
            last_modified_date: s("lastModifiedDate"),
            manageable_state: o("manageableState"),
            namespace_prefix: o("namespacePrefix"),
        }
    }
}

/// `RetrieveResult` from checkRetrieveStatus.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetrieveResult {
    pub id: String,
    pub done: bool,
    pub status_text: String,
    pub success: bool,
    pub error_message: Option<String>,
    pub error_status_code: Option<String>,
    /// `(fileName, problem)`: e.g. members that do not exist (not a failure).
    pub messages: Vec<(String, String)>,
    pub file_properties: Vec<FileProperties>,
    /// The zip, present only on the one `includeZip=true` answer.
    pub zip: Option<Vec<u8>>,
}

impl RetrieveResult {
    #[doc(hidden)]
    pub fn from_node(r: &Node) -> Result<RetrieveResult, String> {
        let zip = match r
            .text_of("zipFile")
            .map(str::trim)
            .filter(|z| !z.is_empty())
        {
            Some(b64) => {
                let clean: String = b64.split_ascii_whitespace().collect();
                Some(
                    base64::engine::general_purpose::STANDARD
                        .decode(clean)
                        .map_err(|e| format!("zipFile is not base64: {e}"))?,
                )
            }
            None => None,
        };
        Ok(RetrieveResult {
            id: r.text_of("id").unwrap_or_default().to_string(),
            done: r.bool_of("done"),
            status_text: r.text_of("status").unwrap_or_default().to_string(),
            success: r.bool_of("success"),
            error_message: r.text_of("errorMessage").map(scrub),
            error_status_code: r.text_of("errorStatusCode").map(str::to_string),
            messages: r
                .all("messages")
                .map(|m| {
                    (
                        m.text_of("fileName").unwrap_or_default().to_string(),
                        scrub(m.text_of("problem").unwrap_or_default()),
                    )
                })
                .collect(),
            file_properties: r
                .all("fileProperties")
                .map(FileProperties::from_node)
                .collect(),
            zip,
        })
    }

    /// Finished: `done`, or a final status (there is no Canceled here).
    pub fn is_finished(&self) -> bool {
        matches!(self.status_text.as_str(), "Succeeded" | "Failed") || self.done
    }

    pub fn is_failed(&self) -> bool {
        self.status_text == "Failed" || (self.done && !self.success)
    }
}

/// A readMetadata record as a metadata document (root named by `xsi:type`).
#[doc(hidden)]
pub fn record_to_document(n: &Node, type_name: &str) -> Document<'static> {
    let root = n.xsi_type.clone().unwrap_or_else(|| type_name.to_string());
    let children = n.children.iter().map(node_to_element).collect();
    Document::new(root, children).into_owned()
}

fn node_to_element(n: &Node) -> Element<'static> {
    let name: Cow<'static, str> = Cow::Owned(n.name.clone());
    if n.children.is_empty() {
        if n.text.is_empty() {
            Element::empty(name)
        } else {
            Element::text(name, Cow::Owned(n.text.clone()))
        }
    } else {
        Element::with_children(name, n.children.iter().map(node_to_element).collect())
    }
}
