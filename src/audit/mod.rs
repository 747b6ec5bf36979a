//! `sfprov audit`: what an existing integration user can do beyond what its
//! vendor needs, what it lacks, and how it is set up, as a value.
//! Owns: the `Audit` value (serialized as the JSON view), building it
//! (`build`: read the user's effective access, pick the spec, compare),
//! choosing a template when no spec is given (`matching`), and the
//! least-privilege spec `--fix` writes (`fix`). Reads the org through
//! `OrgRead` only. Does not: print (see `render::audit`) or know clap.

pub mod access;
pub mod compare;
pub mod fix;
pub mod hygiene;
pub mod matching;
pub mod risk;

use serde::Serialize;

pub use access::{Effective, Source, UserFacts};
pub use compare::{Excess, Missing};
pub use hygiene::Hygiene;
pub use risk::Risk;

use crate::org::read::{OrgRead, ReadError, Requests};
use crate::plan::OrgRef;
use crate::spec::desired::Desired;

/// The JSON view's format; bumped when readers must adapt.
pub const FORMAT_VERSION: u32 = 1;

/// Why an audit could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("no user `{username}` in org `{org}`")]
    NoUser { username: String, org: String },
    #[error("the retrieve from org `{org}` returned no {what}")]
    NotRetrieved { what: String, org: String },
    #[error("cannot read `{path}` retrieved from org `{org}`: {reason}")]
    Unreadable {
        path: String,
        org: String,
        reason: String,
    },
}

impl From<crate::org::OrgError> for AuditError {
    fn from(e: crate::org::OrgError) -> Self {
        AuditError::Read(ReadError::Org(e))
    }
}

/// What the audit compared the user with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Compared {
    /// `sfprov.toml`, `template zendesk`.
    pub spec: String,
    /// The template, when the spec is one or starts from one.
    pub template: Option<String>,
    /// How it was chosen when no spec was given (`None`: the caller named it).
    pub chosen_because: Option<String>,
}

/// A note that does not count as a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Advisory {
    pub message: String,
    pub hint: Option<String>,
}

/// Everything one audit found.
#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    pub format_version: u32,
    pub sfprov_version: String,
    pub org: OrgRef,
    pub user: UserFacts,
    pub compared_with: Compared,
    /// Where the user's access comes from: its profile, then each
    /// permission set.
    pub sources: Vec<Source>,
    pub excess: Vec<Excess>,
    pub missing: Vec<Missing>,
    pub hygiene: Vec<Hygiene>,
    pub advisories: Vec<Advisory>,
    pub requests: Requests,
}

impl Audit {
    /// Whether anything was found (exit 2).
    pub fn has_findings(&self) -> bool {
        !self.excess.is_empty() || !self.missing.is_empty() || !self.hygiene.is_empty()
    }
}

/// Audits `username` in `org` against `desired` (named `compared`).
pub fn build(
    org: &dyn OrgRead,
    username: &str,
    desired: &Desired,
    compared: Compared,
) -> Result<Audit, AuditError> {
    let found = access::user(org, username)?;
    let read = access::access(org, found, &spec_objects(desired), &desired.api_version)?;
    audit_of(org, read, desired, compared)
}

/// The objects the spec grants on (fields name theirs): named in the
/// retrieve even when the org's listing leaves them out.
fn spec_objects(desired: &Desired) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for a in desired
        .profiles
        .values()
        .chain(desired.permission_sets.values())
    {
        out.extend(a.objects.keys().cloned());
        out.extend(
            a.fields
                .keys()
                .filter_map(|f| f.split_once('.').map(|(o, _)| o.to_string())),
        );
    }
    out.sort();
    out.dedup();
    out.into_iter()
        .map(|o| ("CustomObject".to_string(), o))
        .collect()
}

/// Audits `username`, comparing with the template that matches it best.
pub fn build_matching(org: &dyn OrgRead, username: &str) -> Result<Audit, AuditError> {
    let found = access::user(org, username)?;
    let (name, because) = matching::best(&found.user);
    let desired = crate::spec::load_template(name)
        .map(|l| l.desired)
        .expect("built-in templates load");
    let read = access::access(org, found, &spec_objects(&desired), &desired.api_version)?;
    let compared = Compared {
        spec: format!("template {name}"),
        template: Some(name.to_string()),
        chosen_because: Some(because),
    };
    audit_of(org, read, &desired, compared)
}

fn audit_of(
    org: &dyn OrgRead,
    read: access::Read,
    desired: &Desired,
    compared: Compared,
) -> Result<Audit, AuditError> {
    // Page wildcards name the org's pages, as plan resolves them.
    let resolved = crate::plan::wildcards::resolve(desired, org)?;
    let desired: &Desired = &resolved.desired;
    let needs = compare::needs(desired);
    let eff = &read.effective;
    let excess = compare::excess(eff, &needs);
    let mut missing = compare::missing(eff, &needs);
    for psl in desired.user.iter().flat_map(|u| &u.permission_set_licenses) {
        if !read.user.permission_set_licenses.contains(psl) {
            missing.push(Missing {
                kind: "permission set license",
                name: psl.clone(),
                access: "assigned".into(),
                why: "the spec's permission sets need it on this user's license".into(),
                implied: false,
                granted_by: "[user] permission_set_licenses".into(),
            });
        }
    }
    let hygiene = hygiene::check(&hygiene::Ctx {
        user: &read.user,
        eff,
        desired,
        template: compared.template.as_deref(),
    });
    let advisories = advisories(&read.user, eff, &needs);
    // A token target does not say which org it is: ask it, as plan does.
    let org_id = match org.org_id() {
        Some(id) => Some(id),
        None => org
            .query("SELECT Id FROM Organization")?
            .records
            .first()
            .and_then(|r| r.get("Id"))
            .and_then(|v| v.as_str())
            .map(str::to_string),
    };
    let org_ref = OrgRef {
        label: org.label(),
        kind: org.kind().to_string(),
        org_id,
        api_version: org.api_version(),
    };
    Ok(Audit {
        format_version: FORMAT_VERSION,
        sfprov_version: env!("CARGO_PKG_VERSION").to_string(),
        org: org_ref,
        sources: eff.sources.clone(),
        user: read.user,
        compared_with: compared,
        excess,
        missing,
        hygiene,
        advisories,
        requests: org.requests(),
    })
}

/// Notes that are not findings: what no spec can fix, and risky grants the
/// vendor asks for.
fn advisories(user: &UserFacts, eff: &Effective, needs: &compare::Needs) -> Vec<Advisory> {
    let mut out = Vec::new();
    if !user.active {
        out.push(Advisory {
            message: format!(
                "`{}` is deactivated: the integration cannot log in as it",
                user.username
            ),
            hint: None,
        });
    }
    if eff.login_ip_ranges.is_empty() {
        out.push(Advisory {
            message: format!(
                "profile `{}` has no login IP ranges: its credentials work from any address",
                user.profile
            ),
            hint: Some(format!(
                "if the vendor publishes the addresses it calls from, add them in Setup > Profiles > {} > Login IP Ranges",
                user.profile
            )),
        });
    }
    for (perm, n) in &needs.system {
        let (r, consequence) = risk::system(perm);
        if r == Risk::Critical {
            out.push(Advisory {
                message: format!(
                    "the spec grants {perm} ({}): it {consequence}",
                    if n.why.is_empty() {
                        "no reason given"
                    } else {
                        &n.why
                    }
                ),
                hint: Some("confirm with the vendor that nothing narrower would do".into()),
            });
        }
    }
    out
}
