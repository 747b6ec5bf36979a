//! Spec wildcards resolved against the org: `pages = { namespace =
//! "Zendesk", why = "…" }` grants every Visualforce page of that package,
//! found with one listMetadata ApexPage (a directory: its `pages/`).
//! Owns: turning each wildcard into named page grants (with the wildcard's
//! reason; a page the spec also names keeps its own grant), the findings
//! when it cannot be resolved, and a fingerprint of each resolved list.
//! Does not: retrieve or compare anything (see `build`).

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::{Finding, Severity};
use crate::org::read::{OrgRead, ReadError};
use crate::spec::desired::{Access, Desired, Grant};

/// What resolving found.
pub struct Resolved<'d> {
    /// The desired state with every wildcard's pages named.
    pub desired: Cow<'d, Desired>,
    pub findings: Vec<Finding>,
    /// `ApexPage/namespace:Zendesk` -> the sorted page names, one a line.
    pub listings: BTreeMap<String, String>,
}

fn has_wildcards(d: &Desired) -> bool {
    d.profiles
        .values()
        .chain(d.permission_sets.values())
        .any(|a| !a.page_namespaces.is_empty())
}

/// Resolves every page wildcard of `d` against `org` (one listing at most).
pub fn resolve<'d>(d: &'d Desired, org: &dyn OrgRead) -> Result<Resolved<'d>, ReadError> {
    if !has_wildcards(d) {
        return Ok(Resolved {
            desired: Cow::Borrowed(d),
            findings: Vec::new(),
            listings: BTreeMap::new(),
        });
    }
    let pages = org.list("ApexPage")?;
    let mut out = d.clone();
    let mut findings = Vec::new();
    let mut listings = BTreeMap::new();
    let holders = out
        .profiles
        .iter_mut()
        .map(|(n, a)| (format!("profile `{n}`"), a))
        .chain(
            out.permission_sets
                .iter_mut()
                .map(|(n, a)| (format!("permission set `{n}`"), a)),
        );
    for (holder, access) in holders {
        for (ns, why) in access.page_namespaces.clone() {
            let Some(pages) = &pages else {
                findings.push(Finding {
                    severity: Severity::Note,
                    message: format!(
                        "the pages of namespace `{ns}` ({holder}) were not resolved: {} holds no Visualforce pages",
                        org.label()
                    ),
                    hint: Some("retrieve them with the rest (`sf project retrieve start -m ApexPage`), or plan against the org".into()),
                });
                continue;
            };
            let mut names: Vec<&str> = pages
                .iter()
                .filter(|p| p.in_namespace(&ns))
                .map(|p| p.full_name.as_str())
                .collect();
            names.sort_unstable();
            names.dedup();
            if names.is_empty() {
                findings.push(Finding {
                    severity: Severity::Error,
                    message: format!(
                        "the org has no Visualforce page in namespace `{ns}`, which {holder} grants (`pages = {{ namespace = \"{ns}\" }}`)"
                    ),
                    hint: Some(format!(
                        "install the package first (Setup > Installed Packages shows its namespace prefix), or correct `namespace` if the prefix is not `{ns}`"
                    )),
                });
                continue;
            }
            listings.insert(format!("ApexPage/namespace:{ns}"), names.join("\n"));
            grant_pages(access, &names, &why);
        }
    }
    Ok(Resolved {
        desired: Cow::Owned(out),
        findings,
        listings,
    })
}

/// Names `pages` in `access`; a page the spec names itself keeps its grant.
fn grant_pages(access: &mut Access, pages: &[&str], why: &crate::spec::desired::Why) {
    for p in pages {
        access
            .pages
            .entry((*p).to_string())
            .or_insert_with(|| Grant {
                enabled: true,
                why: why.clone(),
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::read::{Listed, Requests, Retrieval};
    use crate::org::rest::QueryResult;

    struct Pages(Option<Vec<&'static str>>, std::cell::Cell<u32>);

    fn pages(list: Option<Vec<&'static str>>) -> Pages {
        Pages(list, std::cell::Cell::new(0))
    }

    impl OrgRead for Pages {
        fn label(&self) -> String {
            "test".into()
        }
        fn kind(&self) -> &'static str {
            "org"
        }
        fn org_id(&self) -> Option<String> {
            None
        }
        fn api_version(&self) -> String {
            "63.0".into()
        }
        fn api_versions(&self) -> Result<Option<Vec<String>>, ReadError> {
            Ok(None)
        }
        fn retrieve(&self, _: &crate::metadata::Document<'_>) -> Result<Retrieval, ReadError> {
            Ok(Retrieval::default())
        }
        fn list(&self, ty: &str) -> Result<Option<Vec<Listed>>, ReadError> {
            assert_eq!(ty, "ApexPage");
            self.1.set(self.1.get() + 1);
            Ok(self.0.as_ref().map(|v| {
                v.iter()
                    .map(|n| Listed {
                        full_name: n.to_string(),
                        namespace_prefix: n.split_once("__").map(|(p, _)| p.to_string()),
                        id: None,
                    })
                    .collect()
            }))
        }
        fn can_query(&self) -> bool {
            false
        }
        fn query(&self, _: &str) -> Result<QueryResult, ReadError> {
            unreachable!()
        }
        fn requests(&self) -> Requests {
            Requests::default()
        }
    }

    fn spec(pages: &str) -> Desired {
        let text = format!("[permission_sets.Z]\nlabel = \"Z\"\n{pages}\n");
        crate::spec::load_str("sfprov.toml", &text).unwrap().desired
    }

    #[test]
    fn a_namespace_grants_each_of_its_pages_and_named_pages_keep_their_grant() {
        let d = spec("pages = { namespace = \"Zendesk\", why = \"the package\", \"Zendesk__B\" = { enabled = false, why = \"not this one\" } }");
        let org = pages(Some(vec!["Zendesk__A", "Zendesk__B", "Other__C", "Mine"]));
        let r = resolve(&d, &org).unwrap();
        let pages = &r.desired.permission_sets["Z"].pages;
        assert_eq!(
            pages.keys().collect::<Vec<_>>(),
            ["Zendesk__A", "Zendesk__B"]
        );
        assert_eq!(pages["Zendesk__A"].why.text, "the package");
        assert!(!pages["Zendesk__B"].enabled);
        assert!(r.findings.is_empty());
        assert_eq!(org.1.get(), 1);
        assert_eq!(
            r.listings["ApexPage/namespace:Zendesk"],
            "Zendesk__A\nZendesk__B"
        );
    }

    #[test]
    fn a_namespace_without_pages_is_an_error_and_a_bare_directory_a_note() {
        let d = spec("pages = { namespace = \"Zendesk\", why = \"w\" }");
        let r = resolve(&d, &pages(Some(vec!["Mine"]))).unwrap();
        assert_eq!(r.findings[0].severity, Severity::Error);
        assert!(
            r.findings[0]
                .message
                .contains("no Visualforce page in namespace `Zendesk`"),
            "{}",
            r.findings[0].message
        );
        let r = resolve(&d, &pages(None)).unwrap();
        assert_eq!(r.findings[0].severity, Severity::Note);
        assert!(r.desired.permission_sets["Z"].pages.is_empty());
    }

    #[test]
    fn no_wildcard_no_listing() {
        let d = spec("pages.\"Zendesk__A\" = { why = \"w\" }");
        let org = pages(Some(Vec::new()));
        let r = resolve(&d, &org).unwrap();
        assert!(matches!(r.desired, Cow::Borrowed(_)));
        assert_eq!(org.1.get(), 0, "no listing without a wildcard");
    }
}
