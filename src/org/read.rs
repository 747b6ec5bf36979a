//! `OrgRead`: what plan needs from an org, at the level plan thinks in.
//! Owns: the trait (identity, the API versions served, one retrieve of a
//! manifest, listing the components of a type, SOQL queries when the org can
//! answer them) and its implementation for the connected `Org` (real orgs
//! and `--target-org local`), counting every request. `DirOrg` (`dir.rs`) is
//! the other one. Does not: decide what to retrieve or compare (see
//! `plan`), or print.

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

/// One component a listing found (listMetadata `FileProperties`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// `Zendesk__ZendeskOAuth`.
    pub full_name: String,
    /// `Zendesk`, for a component of a managed package.
    pub namespace_prefix: Option<String>,
    /// The component's record id, when the listing says (an org does).
    pub id: Option<String>,
}

impl Listed {
    /// Whether the component belongs to namespace `ns` (prefixes compare
    /// without case, as Salesforce compares them).
    pub fn in_namespace(&self, ns: &str) -> bool {
        match &self.namespace_prefix {
            Some(p) => p.eq_ignore_ascii_case(ns),
            None => self
                .full_name
                .split_once("__")
                .is_some_and(|(p, rest)| p.eq_ignore_ascii_case(ns) && !rest.is_empty()),
        }
    }
}

/// An org plan can read.
pub trait OrgRead {
    /// The name used in messages (alias, `local`, a directory).
    fn label(&self) -> String;
    /// `org` or `directory`.
    fn kind(&self) -> &'static str;
    fn org_id(&self) -> Option<String>;
    fn api_version(&self) -> String;
    /// The API versions the org serves (`63.0`); `None` when it cannot tell
    /// (a directory).
    fn api_versions(&self) -> Result<Option<Vec<String>>, ReadError>;
    /// Retrieves every member of `manifest` (one package.xml document).
    fn retrieve(&self, manifest: &Document<'_>) -> Result<Retrieval, ReadError>;
    /// Every component of `type_name` the org has (listMetadata); `None`
    /// when it cannot tell (a directory holding no file of that type).
    fn list(&self, type_name: &str) -> Result<Option<Vec<Listed>>, ReadError>;
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
    /// Metadata API retrieves (each polled until done; polls not counted).
    pub retrieves: u32,
    /// REST SOQL queries (a query whose answer spans pages counts once).
    pub queries: u32,
    /// Metadata API listMetadata calls.
    #[serde(default)]
    pub list_metadata: u32,
    /// `GET /services/data` (the API versions the org serves): read once per
    /// connection, at login when no `--api-version` was given.
    #[serde(default)]
    pub api_versions: u32,
}

impl Requests {
    /// Every round trip counted.
    pub fn total(&self) -> u32 {
        self.retrieves + self.queries + self.list_metadata + self.api_versions
    }
}

/// A connected org (`RemoteOrg` in DESIGN.md) counting its requests.
pub struct RemoteOrg {
    pub org: Org,
    pub wait: Wait,
    pub limits: ZipLimits,
    counts: Cell<Requests>,
}

impl RemoteOrg {
    pub fn new(org: Org, wait: Wait) -> Self {
        // Login already read the version list when it chose the version.
        let counts = Requests {
            api_versions: u32::from(org.knows_api_versions()),
            ..Requests::default()
        };
        RemoteOrg {
            org,
            wait,
            limits: ZipLimits::default(),
            counts: Cell::new(counts),
        }
    }

    fn count(&self, f: impl FnOnce(&mut Requests)) {
        let mut c = self.counts.get();
        f(&mut c);
        self.counts.set(c);
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
    fn api_versions(&self) -> Result<Option<Vec<String>>, ReadError> {
        if !self.org.knows_api_versions() {
            self.count(|c| c.api_versions += 1);
        }
        Ok(Some(self.org.served_api_versions()?.to_vec()))
    }
    fn retrieve(&self, manifest: &Document<'_>) -> Result<Retrieval, ReadError> {
        self.count(|c| c.retrieves += 1);
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
    fn list(&self, type_name: &str) -> Result<Option<Vec<Listed>>, ReadError> {
        self.count(|c| c.list_metadata += 1);
        let props = self.org.list_metadata(&[(type_name, None)])?;
        Ok(Some(
            props
                .into_iter()
                .filter(|p| p.type_name.is_empty() || p.type_name == type_name)
                .map(|p| Listed {
                    full_name: p.full_name,
                    namespace_prefix: p.namespace_prefix,
                    id: Some(p.id).filter(|i| !i.is_empty()),
                })
                .collect(),
        ))
    }
    fn can_query(&self) -> bool {
        true
    }
    fn query(&self, soql: &str) -> Result<QueryResult, ReadError> {
        self.count(|c| c.queries += 1);
        log::debug!("query: {soql}");
        Ok(self.org.query(soql)?)
    }
    fn requests(&self) -> Requests {
        self.counts.get()
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_missing, Listed};

    #[test]
    fn namespace_membership_by_prefix_or_name() {
        let l = |n: &str, p: Option<&str>| Listed {
            full_name: n.into(),
            namespace_prefix: p.map(Into::into),
            id: None,
        };
        assert!(l("Zendesk__ZendeskOAuth", Some("Zendesk")).in_namespace("zendesk"));
        assert!(l("Zendesk__ZendeskOAuth", None).in_namespace("Zendesk"));
        assert!(!l("ZendeskOAuth", None).in_namespace("Zendesk"));
        assert!(!l("Zendesk__", None).in_namespace("Zendesk"));
        assert!(!l("Other__Page", Some("Other")).in_namespace("Zendesk"));
    }

    #[test]
    fn missing_members_from_retrieve_messages() {
        assert_eq!(
            parse_missing("Entity of type 'CustomField' named 'Case.Foo__c' cannot be found"),
            Some(("CustomField".into(), "Case.Foo__c".into()))
        );
        assert_eq!(parse_missing("something else"), None);
    }
}
