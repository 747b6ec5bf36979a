//! Building a plan: Desired + an org -> `Plan`.
//! Owns: the order of the work (one retrieve, the keyed diff of each desired
//! component against the retrieved one, reasons, manual steps, the user,
//! findings, fingerprints). Everything above `OrgRead` is the same code for a
//! real org, `--target-org local` and `--org-dir`.
//! Does not: print, or read the spec file (the caller passes its text).

use std::collections::{BTreeMap, HashMap};

use sha2::{Digest, Sha256};

use super::{
    apps, checks, manifest, user, wildcards, ComponentPlan, DesiredDocument, Finding, OrgRef, Plan,
    PlannedChange, Severity, View, FORMAT_VERSION,
};
use crate::diff::{self, Mode};
use crate::generate::{self, Component};
use crate::metadata::schema::{self, registry_for_type};
use crate::metadata::{self, Document, Element};
use crate::org::read::{OrgRead, ReadError};
use crate::spec::desired::{AppPolicy, Desired, IpRelaxation, RefreshPolicy, Why};

/// What the caller tells `build` besides the desired state.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// How messages name the spec (`sfprov.toml`, `template zendesk`).
    pub spec_name: String,
    /// The spec's text, for its digest.
    pub spec_text: String,
    pub view: View,
}

/// sha256 of `bytes` as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Retrieved components: (type, member) -> canonical bytes.
type Current = HashMap<(String, String), Vec<u8>>;

/// A retrieved component that is not UTF-8 or not XML is refused: planning
/// it as absent would show a create where the org has something.
fn index(files: &[crate::org::ZipEntry], org: &dyn OrgRead) -> Result<Current, ReadError> {
    let mut out = Current::new();
    for f in files {
        let (dir, name) = match f.path.rsplit_once('/') {
            Some((d, n)) => (d.rsplit('/').next().unwrap_or(d), n),
            None => continue,
        };
        let Some((ty, member)) = schema::registry_for_file(name) else {
            continue;
        };
        if ty.directory != dir {
            continue;
        }
        let bytes = metadata::canonical_bytes(&f.bytes).map_err(|e| {
            ReadError::Org(crate::org::OrgError::UnsafeZip {
                org: org.label().to_string(),
                reason: format!("`{}` is not a metadata file sfprov can read: {e}", f.path),
            })
        })?;
        out.insert((ty.name.to_string(), member), bytes);
    }
    Ok(out)
}

/// Makes the plan.
pub fn build(desired: &Desired, org: &dyn OrgRead, opts: &Options) -> Result<Plan, ReadError> {
    let mut findings = checks::api_version(org, &desired.api_version)?;
    // Wildcards first: the pages they resolve to are retrieved with the rest.
    let resolved = wildcards::resolve(desired, org)?;
    findings.extend(resolved.findings);
    let desired: &Desired = &resolved.desired;
    let mut comps = generate::documents(desired);
    let members = manifest::members(desired, &comps);
    // One retrieve; more only past Salesforce's 10,000 members per retrieve.
    let mut retrieval = crate::org::read::Retrieval::default();
    for chunk in members.chunks(manifest::MAX_MEMBERS) {
        let r = org.retrieve(&manifest::manifest(chunk, &desired.api_version))?;
        retrieval.files.extend(r.files);
        retrieval.missing.extend(r.missing);
        retrieval.unknown_types.extend(r.unknown_types);
    }
    retrieval.unknown_types.sort();
    retrieval.unknown_types.dedup();
    let current = index(&retrieval.files, org)?;

    let mut fingerprints = BTreeMap::new();
    for ((ty, member), bytes) in &current {
        fingerprints.insert(format!("{ty}/{member}"), sha256_hex(bytes));
    }
    for (key, list) in &resolved.listings {
        fingerprints.insert(key.clone(), sha256_hex(list.as_bytes()));
    }

    // A policy on an app that exists and is retrievable is merged into the
    // retrieved definition; one that is not becomes a manual step, and the
    // access it grants is planned as SetupEntityAccess rows.
    let mut unretrieved = Vec::new();
    for (name, policy) in &desired.app_policies {
        match current.get(&("ConnectedApp".to_string(), name.clone())) {
            Some(bytes) => {
                if let Some(doc) = merged_app(bytes, policy) {
                    comps.push(Component {
                        type_name: "ConnectedApp",
                        member: name.clone(),
                        document: doc,
                        reasons: BTreeMap::new(),
                        why: policy.why.clone().map(Why::spec),
                    });
                }
            }
            None => unretrieved.push((name, policy)),
        }
    }

    comps.sort_by_key(|c| registry_for_type(c.type_name).map_or(u8::MAX, |t| t.step));
    let mut components = Vec::new();
    let mut desired_docs = Vec::new();
    for mut c in comps {
        let after = metadata::to_canonical_bytes(&mut c.document);
        let before = current.get(&(c.type_name.to_string(), c.member.clone()));
        components.push(component_plan(&c, before, &after, org, opts.view));
        desired_docs.push(DesiredDocument {
            type_name: c.type_name.to_string(),
            member: c.member,
            xml: String::from_utf8_lossy(&after).into_owned(),
        });
    }

    findings.extend(checks::missing_components(&retrieval));
    let apps = apps::plan(org, &unretrieved)?;
    findings.extend(apps.findings);
    for (k, row) in &apps.rows {
        fingerprints.insert(k.clone(), sha256_hex(row.as_bytes()));
    }
    let mut user_plan = None;
    let mut user_note = None;
    let mut org_id = org.org_id();
    if org.can_query() {
        let orgs = org.query("SELECT Id, OrganizationType FROM Organization")?;
        let row = orgs.records.first();
        let s = |k: &str| row.and_then(|r| r.get(k)).and_then(|v| v.as_str());
        if let Some(id) = s("Id") {
            org_id = Some(id.to_string());
        }
        if let Some(n) = desired.checks.push_topics_needed {
            findings.extend(checks::push_topics(org, n, s("OrganizationType"))?);
        }
        match desired.user.as_ref().map(|u| (u, u.username.as_deref())) {
            Some((u, Some(username))) => {
                let found = user::plan(org, u, username)?;
                for (k, row) in &found.rows {
                    fingerprints.insert(k.clone(), sha256_hex(row.as_bytes()));
                }
                findings.extend(found.findings);
                findings.extend(checks::seats(org, u.license.as_deref(), &found.plan)?);
                user_plan = Some(found.plan);
            }
            Some((_, None)) => user_note = Some(
                "the spec names no [user] username: the user and its assignments were not checked"
                    .into(),
            ),
            None => user_note = Some("the spec has no [user]".into()),
        }
    } else {
        user_note = Some(format!(
            "not checked: a {} has no users or assignments (plan against an org for them)",
            org.kind()
        ));
        if desired.checks.push_topics_needed.is_some() {
            findings.push(Finding {
                severity: Severity::Note,
                message: "PushTopic headroom not checked: a directory has no records".into(),
                hint: None,
            });
        }
    }
    findings.sort_by_key(|f| f.severity);

    Ok(Plan {
        format_version: FORMAT_VERSION,
        sfprov_version: env!("CARGO_PKG_VERSION").to_string(),
        spec: opts.spec_name.clone(),
        spec_digest: sha256_hex(opts.spec_text.as_bytes()),
        org: OrgRef {
            label: org.label(),
            kind: org.kind().to_string(),
            org_id,
            api_version: org.api_version(),
        },
        view: opts.view,
        components,
        manual_steps: apps.steps,
        app_access: apps.access,
        user: user_plan,
        user_note,
        findings,
        fingerprints,
        desired: desired_docs,
        requests: org.requests(),
    })
}

fn component_plan(
    c: &Component,
    before: Option<&Vec<u8>>,
    after: &[u8],
    org: &dyn OrgRead,
    view: View,
) -> ComponentPlan {
    let (ty, member, doc) = (c.type_name, c.member.as_str(), &c.document);
    let reg = registry_for_type(ty).expect("desired types are in the registry");
    let before_text = before.map(|b| String::from_utf8_lossy(b).into_owned());
    let before_doc = before_text.as_deref().and_then(|t| metadata::parse(t).ok());
    let d = diff::component(reg, member, before_doc.as_ref(), Some(doc), Mode::Deploy);
    let changes = d
        .changes
        .into_iter()
        .map(|ch| {
            let why = c.why(&ch.section, &ch.key);
            let reason = if ch.destructive {
                Some("not in the spec: a permission set deploy replaces the whole set".into())
            } else if ch.unmanaged {
                Some("in the org, not in the spec: a profile deploy leaves it as it is".into())
            } else {
                why.map(|w| w.text.clone())
            };
            PlannedChange {
                implied: !ch.destructive && !ch.unmanaged && why.is_some_and(|w| w.implied),
                section: ch.section,
                key: ch.key,
                action: ch.action,
                fields: ch.fields,
                destructive: ch.destructive,
                unmanaged: ch.unmanaged,
                reason,
            }
        })
        .collect();
    let unified_diff = view.diff.then(|| {
        let path = reg.file_path(member, false);
        let old = before_text.unwrap_or_default();
        let new = String::from_utf8_lossy(after);
        let a = if before.is_some() {
            format!("org:{}/{path}", org.label())
        } else {
            "/dev/null".to_string()
        };
        similar::TextDiff::configure()
            .algorithm(similar::Algorithm::Patience)
            .timeout(std::time::Duration::from_secs(2))
            .diff_lines(old.as_str(), new.as_ref())
            .unified_diff()
            .context_radius(3)
            .header(&a, &format!("sfprov:{path}"))
            .to_string()
    });
    ComponentPlan {
        type_name: ty.to_string(),
        member: member.to_string(),
        action: d.action,
        changes,
        unified_diff,
    }
}

/// Sets the text of `path` (`oauthPolicy.ipRelaxation`) under `e`, creating
/// the elements it needs.
fn set(e: &mut Element<'static>, path: &[&str], value: String) {
    let (head, rest) = match path.split_first() {
        Some(p) => p,
        None => return,
    };
    let children = e.children_mut();
    let pos = children.iter().position(|c| c.name == *head);
    if rest.is_empty() {
        match pos {
            Some(i) => children[i] = Element::text(head.to_string(), value),
            None => children.push(Element::text(head.to_string(), value)),
        }
        return;
    }
    let i = match pos {
        Some(i) => i,
        None => {
            children.push(Element::with_children(head.to_string(), Vec::new()));
            children.len() - 1
        }
    };
    set(&mut children[i], rest, value);
}

/// The retrieved connected app with the spec's policy written into it.
fn merged_app(bytes: &[u8], p: &AppPolicy) -> Option<Document<'static>> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut doc = metadata::parse(text).ok()?.into_owned();
    let root = &mut doc.root;
    if let Some(v) = p.admin_approved {
        set(root, &["oauthConfig", "isAdminApproved"], v.to_string());
    }
    if let Some(v) = p.pkce_required {
        set(root, &["oauthConfig", "isPkceRequired"], v.to_string());
    }
    if let Some(ip) = p.ip_relaxation {
        let v = match ip {
            IpRelaxation::Enforce => "ENFORCE",
            IpRelaxation::RelaxWithMfa => "BYPASS_2FACTOR",
            IpRelaxation::Relax => "BYPASS",
        };
        set(root, &["oauthPolicy", "ipRelaxation"], v.into());
    }
    if let Some(r) = &p.refresh_token_policy {
        let v = match r {
            RefreshPolicy::Infinite => "infinite".to_string(),
            RefreshPolicy::Zero => "zero".to_string(),
            RefreshPolicy::Lifetime(n, unit) => format!("specific_lifetime:{n}:{unit}"),
        };
        set(root, &["oauthPolicy", "refreshTokenPolicy"], v);
    }
    let children = root.children_mut();
    for n in &p.allowed_profiles {
        if !children
            .iter()
            .any(|c| c.name == "profileName" && c.text_value() == Some(n.as_str()))
        {
            children.push(Element::text("profileName", n.clone()));
        }
    }
    for n in &p.allowed_permission_sets {
        if !children
            .iter()
            .any(|c| c.name == "permissionSetName" && c.text_value() == Some(n.as_str()))
        {
            children.push(Element::text("permissionSetName", n.clone()));
        }
    }
    Some(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retrievable_app_gets_the_spec_policy_merged_in() {
        let retrieved = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ConnectedApp xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n    <contactEmail>a@b.test</contactEmail>\n    <label>Acme</label>\n    <oauthConfig>\n        <callbackUrl>https://acme.test/cb</callbackUrl>\n        <isAdminApproved>false</isAdminApproved>\n    </oauthConfig>\n</ConnectedApp>\n";
        let policy = AppPolicy {
            admin_approved: Some(true),
            pkce_required: Some(true),
            ip_relaxation: Some(IpRelaxation::Relax),
            allowed_profiles: vec!["Acme Integration".into()],
            ..AppPolicy::default()
        };
        let mut doc = merged_app(retrieved, &policy).unwrap();
        let text = String::from_utf8(metadata::to_canonical_bytes(&mut doc)).unwrap();
        assert!(
            text.contains("<isAdminApproved>true</isAdminApproved>"),
            "{text}"
        );
        assert!(
            text.contains("<isPkceRequired>true</isPkceRequired>"),
            "{text}"
        );
        assert!(
            text.contains("<ipRelaxation>BYPASS</ipRelaxation>"),
            "{text}"
        );
        assert!(
            text.contains("<profileName>Acme Integration</profileName>"),
            "{text}"
        );
        assert!(
            text.contains("<callbackUrl>https://acme.test/cb</callbackUrl>"),
            "{text}"
        );
    }
}
