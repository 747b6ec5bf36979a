//! `sfprov plan` and `sfprov show` end to end: the built binary against the
//! emulator on 127.0.0.1:0 (access-token target, the token in
//! SF_ACCESS_TOKEN; the other target kinds in `targets`), and against
//! directories (`--org-dir`). The test holds the emulator, so it can deploy
//! to it and change it between plans.

mod apps;
mod basics;
mod pages;
mod requests;
mod targets;
mod user;
mod version;

use std::path::Path;

use sfprov::emulator::{self, Config, EmulatorHandle};
use sfprov::generate::{self, Format};
use sfprov::org::read::RemoteOrg;
use sfprov::org::{
    connect, ConnectOptions, DeployOptions, DeployOutcome, NoObserver, Target, Wait,
};
use sfprov::secret::Secret;

use crate::common::{run, sfprov, Run};

pub fn start() -> EmulatorHandle {
    emulator::spawn(Config::default()).expect("emulator starts")
}

/// `sfprov plan ARGS` against `h`, in `dir`.
pub fn plan(dir: &Path, h: &EmulatorHandle, args: &[&str]) -> Run {
    let mut c = sfprov(dir);
    c.env("SF_ACCESS_TOKEN", h.access_token.expose())
        .arg("plan")
        .args(["--instance-url", &h.url])
        .args(args);
    let r = run(c);
    assert_no_token(h, &r);
    r
}

pub fn assert_no_token(h: &EmulatorHandle, r: &Run) {
    let token = h.access_token.expose();
    assert!(!r.stdout.contains(token), "stdout leaks the token");
    assert!(!r.stderr.contains(token), "stderr leaks the token");
}

/// Masks what changes from run to run or release to release: the emulator's
/// port, sfprov's version, sha256 digests (spec, fingerprints).
pub fn mask(text: &str, h: &EmulatorHandle) -> String {
    let host = h.url.trim_start_matches("http://");
    let text = text.replace(host, "127.0.0.1:PORT").replace(
        &format!("\"sfprov_version\": \"{}\"", env!("CARGO_PKG_VERSION")),
        "\"sfprov_version\": \"[version]\"",
    );
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    for ch in text.chars() {
        if ch.is_ascii_hexdigit() {
            run.push(ch);
            continue;
        }
        out.push_str(if run.len() == 64 { "[sha256]" } else { &run });
        run.clear();
        out.push(ch);
    }
    out.push_str(if run.len() == 64 { "[sha256]" } else { &run });
    out
}

/// Deploys `files` (mdapi layout, package.xml included) to `h`.
pub fn deploy(h: &EmulatorHandle, files: &[(String, Vec<u8>)]) {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for (path, bytes) in files {
        zip.start_file(path.as_str(), opts).unwrap();
        zip.write_all(bytes).unwrap();
    }
    let bytes = zip.finish().unwrap().into_inner();
    let target = Target::AccessToken {
        instance_url: h.url.clone(),
        token: Secret::new(h.access_token.expose()),
    };
    let opts = ConnectOptions {
        api_version: Some("63.0".into()),
        ..ConnectOptions::default()
    };
    let org = connect(&target, &opts).unwrap();
    let r = org
        .deploy_and_wait(
            &bytes,
            &DeployOptions::default(),
            &Wait::default(),
            &mut NoObserver,
        )
        .unwrap();
    assert_eq!(
        r.outcome(),
        DeployOutcome::Succeeded,
        "{:?}",
        r.component_failures
    );
}

/// [`mask`], and every Salesforce record id (`005…`, 15 or 18 characters:
/// three-character key prefix, then digits and letters) as `[id]`.
pub fn mask_ids(text: &str, h: &EmulatorHandle) -> String {
    let text = mask(text, h);
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let is_id = (word.len() == 15 || word.len() == 18)
            && word.chars().all(|c| c.is_ascii_alphanumeric())
            && word[3..].chars().filter(char::is_ascii_digit).count() >= 6;
        out.push_str(if is_id { "[id]" } else { word });
        word.clear();
    };
    for ch in text.chars() {
        if ch.is_ascii_alphanumeric() {
            word.push(ch);
        } else {
            flush(&mut word, &mut out);
            out.push(ch);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Deploys what `generate --format mdapi` writes for a template, its page
/// wildcards resolved against `h` first (as plan resolves them).
pub fn deploy_template(h: &EmulatorHandle, template: &str) {
    let d = sfprov::spec::load_template(template).unwrap().desired;
    let org = RemoteOrg::new(admin_org(h), Wait::default());
    let resolved = sfprov::plan::wildcards::resolve(&d, &org).unwrap();
    assert!(resolved.findings.is_empty(), "{:?}", resolved.findings);
    let files: Vec<(String, Vec<u8>)> = generate::render(&resolved.desired, Format::Mdapi)
        .into_iter()
        .map(|f| (f.path, f.bytes))
        .collect();
    deploy(h, &files);
    // What apply does for apps it does not create: their access rows.
    for (app, p) in &d.app_policies {
        for profile in &p.allowed_profiles {
            grant_app_access(h, app, "Profile.Name", profile);
        }
        for set in &p.allowed_permission_sets {
            grant_app_access(h, app, "Label", set);
        }
    }
}

/// Gives the permission set found by `field = value` (a profile's own set:
/// `Profile.Name`) access to connected app `app` (a SetupEntityAccess row).
pub fn grant_app_access(h: &EmulatorHandle, app: &str, field: &str, value: &str) {
    let org = admin_org(h);
    let q = |soql: String| -> String {
        org.query(&soql).unwrap().records[0]["Id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let app_id = q(format!(
        "SELECT Id FROM ConnectedApplication WHERE Name = '{app}'"
    ));
    let parent = q(format!(
        "SELECT Id FROM PermissionSet WHERE {field} = '{value}'"
    ));
    org.create(
        "SetupEntityAccess",
        &record(&[("ParentId", &parent), ("SetupEntityId", &app_id)]),
    )
    .unwrap();
}

/// Deploys one extra file (with its own package.xml).
pub fn deploy_one(h: &EmulatorHandle, ty: &str, member: &str, path: &str, xml: &str) {
    let manifest = sfprov::metadata::package::manifest([(ty, member)], "63.0");
    deploy(
        h,
        &[
            (
                "package.xml".into(),
                sfprov::metadata::write::to_bytes(&manifest),
            ),
            (path.into(), xml.as_bytes().to_vec()),
        ],
    );
}

pub fn admin_org(h: &EmulatorHandle) -> sfprov::org::Org {
    let target = Target::AccessToken {
        instance_url: h.url.clone(),
        token: Secret::new(h.access_token.expose()),
    };
    let opts = ConnectOptions {
        api_version: Some("63.0".into()),
        ..ConnectOptions::default()
    };
    connect(&target, &opts).unwrap()
}

/// Creates a Standard User `username` (first, last name) over REST, as an
/// admin would by hand; returns its id.
pub fn create_standard_user(h: &EmulatorHandle, username: &str, first: &str, last: &str) -> String {
    let org = admin_org(h);
    let profile = org
        .query("SELECT Id FROM Profile WHERE Name = 'Standard User'")
        .unwrap()
        .records[0]["Id"]
        .as_str()
        .unwrap()
        .to_string();
    let email = format!("{}@acme.test", first.to_lowercase());
    let alias: String = first.to_lowercase().chars().take(8).collect();
    org.create(
        "User",
        &record(&[
            ("Username", username),
            ("FirstName", first),
            ("LastName", last),
            ("Email", &email),
            ("Alias", &alias),
            ("ProfileId", &profile),
            ("TimeZoneSidKey", "America/Los_Angeles"),
            ("LocaleSidKey", "en_US"),
            ("EmailEncodingKey", "UTF-8"),
            ("LanguageLocaleKey", "en_US"),
        ]),
    )
    .unwrap()
}

pub fn record(pairs: &[(&str, &str)]) -> serde_json::Map<String, serde_json::Value> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
        .collect()
}
