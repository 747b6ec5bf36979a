//! Named starting states of the local org emulator (`sfprov emulator serve
//! --scenario NAME`, `sfprov emulator reset --scenario NAME`): the default
//! org plus the profiles, permission sets and users a scenario plants.
//! Owns: building those seeds from the built-in templates (the same builder
//! `generate` uses, so a planted component is what sfprov would deploy, minus
//! what the scenario takes away). Does not: run the emulator.

use crate::emulator::{ComponentSeed, ProfileSeed, Seed, UserSeed};
use crate::generate;
use crate::metadata::{self, Element};
use crate::spec::{self, desired::Desired};

/// A named state: what it plants, for `--help` and errors.
pub struct Scenario {
    pub name: &'static str,
    pub about: &'static str,
    build: fn() -> Result<Seed, String>,
}

impl Scenario {
    /// The seed of this state.
    pub fn seed(&self) -> Result<Seed, String> {
        (self.build)()
    }
}

/// Every scenario.
pub const ALL: &[Scenario] = &[Scenario {
    name: "audit",
    about: "integration users set up by hand: zendesk.legacy@acme.example on a System Administrator profile cloned before the Zendesk package was installed (so without its pages), with an extra permission set and a permission set group; zendesk.integration@acme.example whose permission set lacks the Case.Subject field permission; integrations@acme.example shared by SalesScreen and Classy",
    build: audit,
}];

/// The scenario called `name`.
pub fn get(name: &str) -> Option<&'static Scenario> {
    ALL.iter().find(|s| s.name == name)
}

/// The users the `audit` scenario plants.
pub const LEGACY_USER: &str = "zendesk.legacy@acme.example";
pub const FLS_USER: &str = "zendesk.integration@acme.example";
pub const SHARED_USER: &str = "integrations@acme.example";

/// Extra access planted on the legacy user, as a spec.
const AUDIT_EXTRAS: &str = r#"
[permission_sets.Data_Loader_Access]
label = "Data Loader Access"
description = "Granted in 2019 for a one-off data migration"
system.ApiEnabled = { why = "Data Loader works through the API" }
system.ExportReport = { why = "Export report results" }
objects.Account = { access = "full", create = true, delete = true, why = "Migration" }
objects.Contact = { access = "full", create = true, delete = true, why = "Migration" }
objects.Lead = { access = "edit", create = true, why = "Migration" }

[permission_sets.Report_Builder]
label = "Report Builder"
description = "Reports on the sync's records"
system.RunReports = { why = "Run reports" }
system.CreateCustomizeReports = { why = "Build reports" }

[permission_sets.Legacy_Sync]
label = "Legacy Sync"
description = "The access the Zendesk sync had before it moved to its own permission set"
system.ApiEnabled = { why = "The sync uses the API" }
system.ModifyMetadata = { why = "The sync configured push topics" }
"#;

fn load(name: &str, text: &str) -> Result<Desired, String> {
    spec::load_str(name, text)
        .map(|l| l.desired)
        .map_err(|e| format!("scenario spec {name}: {e}"))
}

/// Every Profile and PermissionSet `desired` holds, as seed components;
/// page wildcards resolve to the seed's package pages.
fn components(desired: &mut Desired, seed: &Seed) -> Vec<ComponentSeed> {
    let holders = desired
        .profiles
        .values_mut()
        .chain(desired.permission_sets.values_mut());
    for access in holders {
        for (ns, why) in std::mem::take(&mut access.page_namespaces) {
            for pkg in seed.packages.iter().filter(|p| p.namespace == ns) {
                for page in &pkg.pages {
                    access.pages.insert(
                        format!("{ns}__{page}"),
                        spec::desired::Grant {
                            enabled: true,
                            why: why.clone(),
                        },
                    );
                }
            }
        }
    }
    generate::documents(desired)
        .into_iter()
        .filter(|c| matches!(c.type_name, "Profile" | "PermissionSet"))
        .map(|mut c| ComponentSeed {
            type_name: c.type_name.to_string(),
            member: c.member.clone(),
            xml: String::from_utf8_lossy(&metadata::to_canonical_bytes(&mut c.document))
                .into_owned(),
        })
        .collect()
}

/// Removes the `section` entry whose key child `key_child` is `key`.
fn without_entry(xml: &str, section: &str, key_child: &str, key: &str) -> Result<String, String> {
    let mut doc = metadata::parse(xml)
        .map_err(|e| e.to_string())?
        .into_owned();
    let before = doc.root.children().len();
    doc.root
        .children_mut()
        .retain(|e: &Element<'_>| !(e.name == section && e.child_text(key_child) == Some(key)));
    if doc.root.children().len() == before {
        return Err(format!("no {section} `{key}` to take away"));
    }
    Ok(String::from_utf8_lossy(&metadata::to_canonical_bytes(&mut doc)).into_owned())
}

fn user(username: &str, first: &str, last: &str, alias: &str, profile: &str) -> UserSeed {
    UserSeed {
        username: username.into(),
        first_name: first.into(),
        last_name: last.into(),
        email: "salesforce-admins@acme.example".into(),
        alias: alias.into(),
        profile: profile.into(),
        active: true,
        password: None,
        permission_sets: Vec::new(),
        permission_set_licenses: Vec::new(),
        permission_set_groups: Vec::new(),
    }
}

/// See `ALL`.
fn audit() -> Result<Seed, String> {
    let mut seed = Seed::default_org();
    // A custom profile cloned from System Administrator, as admins make them.
    let admin = seed
        .profiles
        .iter()
        .find(|p| p.full_name == "Admin")
        .cloned()
        .ok_or("the default org has no System Administrator profile")?;
    seed.profiles.push(ProfileSeed {
        name: "Zendesk Admin Clone".into(),
        full_name: "Zendesk Admin Clone".into(),
        custom: true,
        ..admin
    });
    let mut planted = Vec::new();
    for (name, text) in [
        ("template zendesk", "template = \"zendesk\"\n"),
        ("template salesscreen", "template = \"salesscreen\"\n"),
        ("template classy", "template = \"classy\"\n"),
        ("audit extras", AUDIT_EXTRAS),
    ] {
        let mut d = load(name, text)?;
        planted.extend(components(&mut d, &seed));
    }
    // Someone removed one field permission the vendor needs.
    for c in planted.iter_mut() {
        if c.type_name == "PermissionSet" && c.member == "Zendesk_Integration" {
            c.xml = without_entry(&c.xml, "fieldPermissions", "field", "Case.Subject")?;
        }
    }
    seed.components.extend(planted);
    seed.components.push(ComponentSeed {
        type_name: "PermissionSetGroup".into(),
        member: "Legacy_Access".into(),
        xml: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PermissionSetGroup xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n    <label>Legacy Access</label>\n    <permissionSets>Legacy_Sync</permissionSets>\n    <permissionSets>Report_Builder</permissionSets>\n    <status>Updated</status>\n</PermissionSetGroup>\n".into(),
    });

    let mut legacy = user(
        LEGACY_USER,
        "Zendesk",
        "Legacy",
        "zdlegacy",
        "Zendesk Admin Clone",
    );
    legacy.permission_sets = vec!["Data_Loader_Access".into()];
    legacy.permission_set_groups = vec!["Legacy_Access".into()];
    let mut fls = user(
        FLS_USER,
        "Zendesk",
        "Integration",
        "zdint",
        "Zendesk Integration",
    );
    fls.permission_sets = vec!["Zendesk_Integration".into()];
    let mut shared = user(SHARED_USER, "Shared", "Integrations", "integ2", "API Only");
    shared.permission_sets = vec!["Classy_Integration".into()];
    seed.users.extend([legacy, fls, shared]);
    Ok(seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scenario_builds_an_org() {
        for s in ALL {
            let seed = s.seed().unwrap_or_else(|e| panic!("{}: {e}", s.name));
            crate::emulator::OrgState::try_from_seed(seed)
                .unwrap_or_else(|e| panic!("{}: {e}", s.name));
        }
    }

    #[test]
    fn the_fls_user_lacks_exactly_case_subject() {
        let seed = audit().unwrap();
        let ps = seed
            .components
            .iter()
            .find(|c| c.member == "Zendesk_Integration")
            .unwrap();
        assert!(!ps.xml.contains("<field>Case.Subject</field>"));
        assert!(ps.xml.contains("<field>Case.Priority</field>"));
    }
}
