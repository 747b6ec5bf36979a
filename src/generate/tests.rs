//! Generate: paths, file names and component contents per format.

use super::*;
use crate::spec;

fn zendesk() -> Desired {
    spec::load_template("zendesk").unwrap().desired
}

#[test]
fn source_and_mdapi_paths() {
    let d = zendesk();
    let src: Vec<String> = render(&d, Format::Source)
        .into_iter()
        .map(|f| f.path)
        .collect();
    assert_eq!(
        src,
        [
            "force-app/main/default/permissionsets/Zendesk_Integration.permissionset-meta.xml",
            "force-app/main/default/profiles/Zendesk Integration.profile-meta.xml",
            "force-app/main/default/settings/Event.settings-meta.xml",
            "force-app/main/default/settings/Security.settings-meta.xml",
        ]
    );
    let md = render(&d, Format::Mdapi);
    let pkg = md.iter().find(|f| f.path == "package.xml").unwrap();
    let pkg = String::from_utf8(pkg.bytes.clone()).unwrap();
    assert!(
        pkg.contains("<members>Zendesk Integration</members>\n        <name>Profile</name>"),
        "{pkg}"
    );
    assert!(pkg.contains("<members>Event</members>\n        <members>Security</members>\n        <name>Settings</name>"));
    assert!(pkg.ends_with("    <version>63.0</version>\n</Package>\n"));
}

#[test]
fn profile_names_are_url_encoded() {
    let text = "[profiles.\"Integration (API)\"]\nlicense = \"Salesforce\"\nsystem.ApiEnabled = { why = \"w\" }\n";
    let d = spec::load_str("sfprov.toml", text).unwrap().desired;
    let files = render(&d, Format::Mdapi);
    assert!(files
        .iter()
        .any(|f| f.path == "profiles/Integration %28API%29.profile"));
    let pkg = String::from_utf8(
        files
            .iter()
            .find(|f| f.path == "package.xml")
            .unwrap()
            .bytes
            .clone(),
    )
    .unwrap();
    assert!(pkg.contains("<members>Integration (API)</members>"));
}

#[test]
fn profile_revokes_explicitly_and_settings_hold_only_spec_fields() {
    let d = zendesk();
    let files = render(&d, Format::Source);
    let get = |suffix: &str| {
        String::from_utf8(
            files
                .iter()
                .find(|f| f.path.ends_with(suffix))
                .unwrap()
                .bytes
                .clone(),
        )
        .unwrap()
    };
    let profile = get("Zendesk Integration.profile-meta.xml");
    assert!(profile.contains("<custom>true</custom>"));
    assert!(profile.contains("<userLicense>Salesforce</userLicense>"));
    assert!(profile.contains("<enabled>false</enabled>\n        <name>ApiUserOnly</name>"));
    assert_eq!(
        get("Security.settings-meta.xml"),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<SecuritySettings xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n    <sessionSettings>\n        <lockSessionsToIp>false</lockSessionsToIp>\n    </sessionSettings>\n</SecuritySettings>\n"
    );
    let ps = get("Zendesk_Integration.permissionset-meta.xml");
    assert!(!ps.contains("ApiUserOnly"));
    assert!(
        ps.contains("<name>ViewSetup</name>"),
        "dependency of ModifyMetadata"
    );
}

#[test]
fn apps_have_no_consumer_key_and_full_definitions() {
    let text = "[connected_app.Acme]\nkind = \"create\"\nlabel = \"Acme\"\ncontact_email = \"a@acme.example\"\ncallback_url = \"https://acme.example/cb\"\nscopes = [\"Api\", \"RefreshToken\"]\npkce_required = true\nallowed_permission_sets = [\"Acme Integration\"]\n\n[external_client_app.Acme_ECA]\nlabel = \"Acme\"\ncontact_email = \"a@acme.example\"\ncallback_url = \"https://acme.example/cb\"\nscopes = [\"Api\"]\nadmin_approved = true\nallowed_profiles = [\"Acme\"]\nrefresh_token_policy = \"90 days\"\n";
    let d = spec::load_str("sfprov.toml", text).unwrap().desired;
    let files = render(&d, Format::Mdapi);
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "connectedApps/Acme.connectedApp",
            "externalClientApps/Acme_ECA.eca",
            "extlClntAppGlobalOauthSets/Acme_ECA_glbloauth.ecaGlblOauth",
            "extlClntAppOauthPolicies/Acme_ECA_oauthPlcy.ecaOauthPlcy",
            "extlClntAppOauthSettings/Acme_ECA_oauth.ecaOauth",
            "package.xml",
        ]
    );
    for f in &files {
        let text = String::from_utf8(f.bytes.clone()).unwrap();
        assert!(
            !text.contains("consumerKey") && !text.contains("consumerSecret"),
            "{}",
            f.path
        );
    }
    let ca = String::from_utf8(files[0].bytes.clone()).unwrap();
    assert!(
        ca.contains("<isAdminApproved>true</isAdminApproved>")
            && ca.contains("<permissionSetName>Acme Integration</permissionSetName>")
    );
    assert!(
        ca.contains("<ipRelaxation>ENFORCE</ipRelaxation>")
            && ca.contains("<refreshTokenPolicy>infinite</refreshTokenPolicy>")
    );
    let global = String::from_utf8(files[2].bytes.clone()).unwrap();
    assert!(
        global.contains("<label>Acme_ECA_glbloauth</label>"),
        "{global}"
    );
    let oauth = String::from_utf8(files[4].bytes.clone()).unwrap();
    assert!(oauth.contains("<commaSeparatedOauthScopes>Api</commaSeparatedOauthScopes>"));
    assert!(oauth.contains("<label>Acme_ECA_oauth</label>"));
    let plcy = String::from_utf8(files[3].bytes.clone()).unwrap();
    assert!(plcy.contains(
        "<permittedUsersPolicyType>AdminApprovedPreAuthorized</permittedUsersPolicyType>"
    ));
    assert!(plcy.contains("<refreshTokenValidityPeriod>90</refreshTokenValidityPeriod>"));
}

#[test]
fn every_generated_file_is_canonical() {
    for t in crate::templates::all() {
        let d = spec::load_template(t.name).unwrap().desired;
        for format in [Format::Source, Format::Mdapi] {
            for f in render(&d, format) {
                assert!(
                    crate::metadata::is_canonical(&f.bytes).unwrap(),
                    "{}: {}",
                    t.name,
                    f.path
                );
            }
        }
    }
}

#[test]
fn every_entry_keeps_its_reason_and_implied_ones_say_what_needs_them() {
    let docs = documents(&zendesk());
    let ps = docs
        .iter()
        .find(|c| c.type_name == "PermissionSet" && c.member == "Zendesk_Integration")
        .unwrap();
    let why = ps.why("fieldPermissions", "Case.Subject").unwrap();
    assert_eq!(why.text, "Ticket-to-case sync writes the ticket subject");
    assert!(!why.implied);
    assert!(ps.why("userPermissions", "Nope").is_none());
    // Every access entry in every document has a reason, and the map holds
    // nothing the document lacks.
    for c in &docs {
        let mut entries = 0;
        for e in c.document.root.children() {
            let key = ["name", "object", "field", "apexPage", "apexClass"]
                .iter()
                .find_map(|k| e.child_text(k));
            let (Some(key), true) = (
                key,
                e.name.ends_with("Permissions") || e.name.ends_with("Accesses"),
            ) else {
                continue;
            };
            entries += 1;
            let why = c.why(&e.name, key);
            assert!(
                why.is_some(),
                "{} {}: {} {key} has no reason",
                c.type_name,
                c.member,
                e.name
            );
        }
        let access = c
            .reasons
            .keys()
            .filter(|(s, _)| s.ends_with("Permissions") || s.ends_with("Accesses"));
        assert_eq!(access.count(), entries, "{} {}", c.type_name, c.member);
    }
    // Implied grants say what needs them.
    let implied: Vec<_> = docs
        .iter()
        .flat_map(|c| c.reasons.values())
        .filter(|w| w.implied)
        .collect();
    assert!(!implied.is_empty());
    for w in implied {
        assert!(
            w.text.contains("required by")
                || w.text.contains("depends on")
                || w.text.contains("explicitly"),
            "{}",
            w.text
        );
    }
    let security = docs.iter().find(|c| c.member == "Security").unwrap();
    assert!(security
        .why("sessionSettings.lockSessionsToIp", "")
        .is_some());
}
