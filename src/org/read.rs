//! `OrgRead`: what plan needs from an org, at the level plan thinks in.
//! Owns: the trait (identity, one retrieve of a manifest, SOQL queries when
//! the org can answer them) and its implementation for the connected `Org`
//! (real orgs and `--target-org local`). `DirOrg` (`dir.rs`) is the other one.
//! Does not: decide what to retrieve or compare (see `plan`), or print.

use std::cell::Cell;

use super::error::OrgError;
use super::rest::QueryResult;
use super::{Org, Wait, ZipEntry, ZipLimits};
use crate::metadata::Document;

/// Why reading an org failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Org(#[from] OrgError),
    #[error("cannot read org directory {}: {reason}", path.display())]
    Dir {
        path: std::path::PathBuf,
        reason: String,
    },
}

impl ReadError {
    /// The runnable next step, when there is one.
    pub fn hint(&self) -> Option<String> {
        match self {
            ReadError::Org(e) => e.hint(),
            ReadError::Dir { .. } => Some(
                "pass the directory `sf project retrieve start` wrote (source format) or an unzipped retrieve (with package.xml)".into(),
            ),
        }
    }
}

/// What one retrieve returned.
#[derive(Debug, Clone, Default)]
pub struct Retrieval {
    /// Paths relative to the package root (`profiles/X.profile`), mdapi layout.
    pub files: Vec<ZipEntry>,
    /// Members the org does not have: (type, member).
    pub missing: Vec<(String, String)>,
    /// Types whose absence cannot be told (a directory without that kind of
    /// file): their members are neither found nor missing.
    pub unknown_types: Vec<String>,
}

/// An org plan can read.
pub trait OrgRead {
    /// The name used in messages (alias, `local`, a directory).
    fn label(&self) -> String;
    /// `org` or `directory`.
    fn kind(&self) -> &'static str;
    fn org_id(&self) -> Option<String>;
    fn api_version(&self) -> String;
    /// Retrieves every member of `manifest` (one package.xml document).
    fn retrieve(&self, manifest: &Document<'_>) -> Result<Retrieval, ReadError>;
    /// Whether `query` can answer (a directory has no records).
    fn can_query(&self) -> bool;
    /// A SOQL query, every page.
    fn query(&self, soql: &str) -> Result<QueryResult, ReadError>;
    /// How many requests were sent so far (retrieve calls, queries).
    fn requests(&self) -> Requests;
}

/// Requests one plan sent, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Requests {
    pub retrieves: u32,
    pub queries: u32,
}

/// A connected org (`RemoteOrg` in DESIGN.md) counting its requests.
pub struct RemoteOrg {
    pub org: Org,
    pub wait: Wait,
    pub limits: ZipLimits,
    retrieves: Cell<u32>,
    queries: Cell<u32>,
}

impl RemoteOrg {
    pub fn new(org: Org, wait: Wait) -> Self {
        RemoteOrg {
            org,
            wait,
            limits: ZipLimits::default(),
            retrieves: Cell::new(0),
            queries: Cell::new(0),
        }
    }
}

/// `Entity of type 'ApexPage' named 'X' cannot be found` -> (ApexPage, X).
pub fn parse_missing(problem: &str) -> Option<(String, String)> {
    let rest = problem.strip_prefix("Entity of type '")?;
    let (ty, rest) = rest.split_once("' named '")?;
    let (member, _) = rest.rsplit_once("' cannot be found")?;
    Some((ty.to_string(), member.to_string()))
}

impl OrgRead for RemoteOrg {
    fn label(&self) -> String {
        self.org.label().to_string()
    }
    fn kind(&self) -> &'static str {
        "org"
    }
    fn org_id(&self) -> Option<String> {
        self.org.identity().org_id.clone()
    }
    fn api_version(&self) -> String {
        self.org.api_version().to_string()
    }
    fn retrieve(&self, manifest: &Document<'_>) -> Result<Retrieval, ReadError> {
        self.retrieves.set(self.retrieves.get() + 1);
        let r =
            self.org
                .retrieve_files(manifest, &self.wait, self.limits, &mut super::NoObserver)?;
        let missing = r
            .result
            .messages
            .iter()
            .filter_map(|(_, p)| parse_missing(p))
            .collect::<Vec<_>>();
        log::info!(
            "retrieved {} files from org `{}`; {} named members missing",
            r.files.len(),
            self.org.label(),
            missing.len()
        );
        Ok(Retrieval {
            files: r.files,
            missing,
            unknown_types: Vec::new(),
        })
    }
    fn can_query(&self) -> bool {
        true
    }
    fn query(&self, soql: &str) -> Result<QueryResult, ReadError> {
        self.queries.set(self.queries.get() + 1);
        log::debug!("query: {soql}");
        Ok(self.org.query(soql)?)
    }
    fn requests(&self) -> Requests {
        Requests {
            retrieves: self.retrieves.get(),
            queries: self.queries.get(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_missing;

    #[test]
    fn missing_members_from_retrieve_messages() {
        assert_eq!(
            parse_missing("Entity of type 'CustomField' named 'Case.Foo__c' cannot be found"),
            Some(("CustomField".into(), "Case.Foo__c".into()))
        );
        assert_eq!(parse_missing("something else"), None);
    }
}
