//! The deploy packages of a plan: the components it changes, as mdapi zips.
//! Owns: choosing the components (those with counted changes), the deploy
//! groups (one zip, unless External Client Apps need Salesforce's order:
//! header and settings, then OAuth settings, then policies) and writing a
//! zip (package.xml + `dir/Name.suffix`).
//! Does not: deploy (see `mod.rs`) or retrieve.

use std::io::Write;

use crate::diff::ComponentAction;
use crate::metadata::{self, schema};
use crate::plan::{DesiredDocument, Plan};

/// One zip to deploy, and what it holds.
#[derive(Debug, Clone)]
pub struct Package {
    /// (type, member) in the zip.
    pub members: Vec<(String, String)>,
    pub zip: Vec<u8>,
}

/// The group a type deploys in: External Client App OAuth settings need the
/// app header deployed first, and its policies need the OAuth settings.
fn group_of(type_name: &str) -> u8 {
    match type_name {
        "ExtlClntAppOauthSettings" | "ExtlClntAppGlobalOauthSettings" => 1,
        "ExtlClntAppOauthConfigurablePolicies" => 2,
        _ => 0,
    }
}

/// The desired documents whose component the plan changes.
pub fn changed(plan: &Plan) -> Vec<&DesiredDocument> {
    plan.desired
        .iter()
        .filter(|d| {
            plan.components.iter().any(|c| {
                c.type_name == d.type_name
                    && c.member == d.member
                    && c.action != ComponentAction::Unchanged
                    && c.counted().next().is_some()
            })
        })
        .collect()
}

/// Every changed component in one package (the validation deploy).
pub fn whole(plan: &Plan) -> Option<Package> {
    let docs = changed(plan);
    (!docs.is_empty()).then(|| build(&docs, &plan.org.api_version))
}

/// The deploys, in order: one unless External Client Apps need more.
pub fn groups(plan: &Plan) -> Vec<Package> {
    let docs = changed(plan);
    let mut out = Vec::new();
    for g in 0..=2u8 {
        let part: Vec<&DesiredDocument> = docs
            .iter()
            .copied()
            .filter(|d| group_of(&d.type_name) == g)
            .collect();
        if !part.is_empty() {
            out.push(build(&part, &plan.org.api_version));
        }
    }
    out
}

/// A singlePackage zip of `docs` with its package.xml.
pub fn build(docs: &[&DesiredDocument], api_version: &str) -> Package {
    let members: Vec<(String, String)> = docs
        .iter()
        .map(|d| (d.type_name.clone(), d.member.clone()))
        .collect();
    let files = docs.iter().filter_map(|d| {
        let reg = schema::registry_for_type(&d.type_name)?;
        Some((reg.file_path(&d.member, false), d.xml.as_bytes().to_vec()))
    });
    Package {
        zip: zip_of(&members, files, api_version),
        members,
    }
}

/// package.xml for `members` plus `files` (path, bytes), zipped.
pub fn zip_of(
    members: &[(String, String)],
    files: impl IntoIterator<Item = (String, Vec<u8>)>,
    api_version: &str,
) -> Vec<u8> {
    let manifest = metadata::package::manifest(
        members.iter().map(|(t, m)| (t.as_str(), m.as_str())),
        api_version,
    );
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    let mut put = |path: &str, bytes: &[u8]| {
        zip.start_file(path, opts)
            .and_then(|()| zip.write_all(bytes).map_err(Into::into))
            .expect("writing a zip in memory does not fail");
    };
    put("package.xml", &metadata::write::to_bytes(&manifest));
    for (path, bytes) in files {
        put(&path, &bytes);
    }
    zip.finish()
        .expect("writing a zip in memory does not fail")
        .into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_client_apps_deploy_in_salesforce_order() {
        assert!(group_of("ExternalClientApplication") < group_of("ExtlClntAppOauthSettings"));
        assert!(
            group_of("ExtlClntAppOauthSettings") < group_of("ExtlClntAppOauthConfigurablePolicies")
        );
        assert_eq!(group_of("Profile"), group_of("Settings"));
    }

    #[test]
    fn a_zip_holds_the_manifest_and_the_files() {
        let doc = DesiredDocument {
            type_name: "Profile".into(),
            member: "A (B)".into(),
            xml: "<Profile/>".into(),
        };
        let p = build(&[&doc], "63.0");
        let files = crate::org::zipsafe::unpack(&p.zip, crate::org::ZipLimits::default()).unwrap();
        let names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(names, ["package.xml", "profiles/A %28B%29.profile"]);
    }
}
