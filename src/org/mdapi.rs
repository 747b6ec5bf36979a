//! The Metadata SOAP API calls sfprov makes.
//! Owns: deploy, checkDeployStatus, cancelDeploy, retrieve,
//! checkRetrieveStatus, listMetadata, readMetadata — their request payloads
//! (WSDL element names and order) and reading their replies. Which calls are
//! idempotent (retried) is decided here: deploy never is.
//! Does not: poll (see `poll`) or unpack zips (see `zipsafe`).

pub mod types;

use base64::Engine;

use super::client::{CallInfo, Org, Protocol};
use super::error::OrgError;
use super::http::{Body, Request};
use super::soap::{envelope, parse_reply, Node, Payload, Reply};
use crate::metadata::{Document, Element};
use crate::secret::Secret;
pub use types::{
    AsyncJob, DeployMessage, DeployOutcome, DeployResult, DeployStatus, FileProperties,
    RetrieveResult,
};

/// `DeployOptions`, with sfprov's defaults: atomic, single package.
#[derive(Debug, Clone)]
pub struct DeployOptions {
    pub check_only: bool,
    pub ignore_warnings: bool,
    pub rollback_on_error: bool,
    pub single_package: bool,
    /// `NoTestRun`, `RunSpecifiedTests`, `RunLocalTests`, `RunAllTestsInOrg`;
    /// `None` lets the org choose.
    pub test_level: Option<String>,
    pub run_tests: Vec<String>,
}

impl Default for DeployOptions {
    fn default() -> Self {
        DeployOptions {
            check_only: false,
            ignore_warnings: false,
            rollback_on_error: true,
            single_package: true,
            test_level: None,
            run_tests: Vec::new(),
        }
    }
}

/// The answer to cancelDeploy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelResult {
    pub id: String,
    /// Canceled at once (it was still queued); otherwise poll on.
    pub done: bool,
}

impl Org {
    /// `{instance}/services/Soap/m/{version}`.
    pub fn metadata_url(&self) -> String {
        format!(
            "{}/services/Soap/m/{}",
            self.instance_url(),
            self.api_version()
        )
    }

    /// One SOAP call; returns the `result` children of `{operation}Response`.
    fn soap(
        &self,
        operation: &str,
        idempotent: bool,
        body: impl Fn(&mut Payload),
    ) -> Result<Node, OrgError> {
        let call = CallInfo {
            operation,
            protocol: Protocol::Soap,
            idempotent,
        };
        if self.token_is_jwt() {
            return Err(OrgError::JwtAccessToken {
                org: self.label().to_string(),
                operation: operation.to_string(),
            });
        }
        let url = self.metadata_url();
        let resp = self.execute(&call, |token: &Secret| Request {
            method: "POST",
            url: url.clone(),
            headers: vec![("SOAPAction", "\"\"".into())],
            body: Body::Text {
                content_type: "text/xml; charset=UTF-8",
                text: envelope(token, operation, &body),
            },
        })?;
        match parse_reply(&resp.body) {
            Ok(Reply::Ok(node)) if node.name == format!("{operation}Response") => Ok(node),
            Ok(Reply::Ok(node)) => Err(self.protocol_error(
                operation,
                format!("expected <{operation}Response>, got <{}>", node.name),
            )),
            Ok(Reply::Fault(error)) => Err(OrgError::Api {
                org: self.label().to_string(),
                operation: operation.to_string(),
                error,
            }),
            Err(reason) => Err(self.protocol_error(operation, reason)),
        }
    }

    fn single_result<'n>(&self, operation: &str, n: &'n Node) -> Result<&'n Node, OrgError> {
        n.child("result")
            .ok_or_else(|| self.protocol_error(operation, "the answer has no <result>".into()))
    }

    /// Submits a deploy of `zip`. Never retried: a deploy that may have
    /// started is not sent twice.
    pub fn deploy(&self, zip: &[u8], opts: &DeployOptions) -> Result<AsyncJob, OrgError> {
        let b64 = base64::engine::general_purpose::STANDARD.encode(zip);
        let n = self.soap("deploy", false, |p| {
            p.text("ZipFile", &b64);
            p.element("DeployOptions", |p| {
                p.boolean("allowMissingFiles", false);
                p.boolean("autoUpdatePackage", false);
                p.boolean("checkOnly", opts.check_only);
                p.boolean("ignoreWarnings", opts.ignore_warnings);
                p.boolean("performRetrieve", false);
                p.boolean("purgeOnDelete", false);
                p.boolean("rollbackOnError", opts.rollback_on_error);
                for t in &opts.run_tests {
                    p.text("runTests", t);
                }
                p.boolean("singlePackage", opts.single_package);
                if let Some(level) = &opts.test_level {
                    p.text("testLevel", level);
                }
            });
        })?;
        let r = self.single_result("deploy", &n)?;
        AsyncJob::from_node(r)
            .ok_or_else(|| self.protocol_error("deploy", "the answer has no deploy id".into()))
    }

    pub fn check_deploy_status(
        &self,
        id: &str,
        include_details: bool,
    ) -> Result<DeployResult, OrgError> {
        let n = self.soap("checkDeployStatus", true, |p| {
            p.text("asyncProcessId", id);
            p.boolean("includeDetails", include_details);
        })?;
        Ok(DeployResult::from_node(
            self.single_result("checkDeployStatus", &n)?,
        ))
    }

    /// Asks the org to cancel deploy `id` (the WSDL names the argument
    /// `String`). Repeating it is harmless, so it is retried.
    pub fn cancel_deploy(&self, id: &str) -> Result<CancelResult, OrgError> {
        let n = self.soap("cancelDeploy", true, |p| p.text("String", id))?;
        let r = self.single_result("cancelDeploy", &n)?;
        Ok(CancelResult {
            id: r.text_of("id").unwrap_or(id).to_string(),
            done: r.bool_of("done"),
        })
    }

    /// Starts a retrieve of the members in `manifest` (a package.xml
    /// document, see `metadata::package::manifest`). Read-only, so retried.
    pub fn retrieve(
        &self,
        manifest: &Document<'_>,
        single_package: bool,
    ) -> Result<AsyncJob, OrgError> {
        let version = manifest
            .root
            .child_text("version")
            .unwrap_or(self.api_version().as_str())
            .to_string();
        let n = self.soap("retrieve", true, |p| {
            p.element("retrieveRequest", |p| {
                p.text("apiVersion", self.api_version().as_str());
                p.boolean("singlePackage", single_package);
                p.element("unpackaged", |p| {
                    for types in manifest
                        .root
                        .children()
                        .iter()
                        .filter(|c| c.name == "types")
                    {
                        p.element("types", |p| write_types(p, types));
                    }
                    p.text("version", &version);
                });
            });
        })?;
        let r = self.single_result("retrieve", &n)?;
        AsyncJob::from_node(r)
            .ok_or_else(|| self.protocol_error("retrieve", "the answer has no retrieve id".into()))
    }

    /// Polls a retrieve. Pass `include_zip = true` only once, at the end:
    /// the org deletes the zip after returning it.
    pub fn check_retrieve_status(
        &self,
        id: &str,
        include_zip: bool,
    ) -> Result<RetrieveResult, OrgError> {
        let n = self.soap("checkRetrieveStatus", true, |p| {
            p.text("asyncProcessId", id);
            p.boolean("includeZip", include_zip);
        })?;
        let r = self.single_result("checkRetrieveStatus", &n)?;
        RetrieveResult::from_node(r).map_err(|e| self.protocol_error("checkRetrieveStatus", e))
    }

    /// listMetadata for up to 3 `(type, folder)` queries.
    pub fn list_metadata(
        &self,
        queries: &[(&str, Option<&str>)],
    ) -> Result<Vec<FileProperties>, OrgError> {
        let mut out = Vec::new();
        for chunk in queries.chunks(3) {
            let n = self.soap("listMetadata", true, |p| {
                for (ty, folder) in chunk {
                    p.element("queries", |p| {
                        if let Some(f) = folder {
                            p.text("folder", f);
                        }
                        p.text("type", ty);
                    });
                }
                p.text("asOfVersion", self.api_version().as_str());
            })?;
            out.extend(n.all("result").map(FileProperties::from_node));
        }
        Ok(out)
    }

    /// readMetadata, 10 names per call; missing names (nil or empty records)
    /// are left out. Each record comes back as a metadata document.
    pub fn read_metadata(
        &self,
        type_name: &str,
        full_names: &[&str],
    ) -> Result<Vec<Document<'static>>, OrgError> {
        let mut out = Vec::new();
        for chunk in full_names.chunks(10) {
            let n = self.soap("readMetadata", true, |p| {
                p.text("type", type_name);
                for name in chunk {
                    p.text("fullNames", name);
                }
            })?;
            let result = self.single_result("readMetadata", &n)?;
            for rec in result.all("records") {
                if rec.nil || rec.text_of("fullName").is_none_or(str::is_empty) {
                    continue;
                }
                out.push(types::record_to_document(rec, type_name));
            }
        }
        Ok(out)
    }
}

fn write_types(p: &mut Payload, types: &Element<'_>) {
    for c in types.children() {
        if let Some(t) = c.text_value() {
            if c.name == "members" || c.name == "name" {
                p.text(&c.name, t);
            }
        }
    }
}

#[cfg(test)]
mod tests;
