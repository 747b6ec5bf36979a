//! Hostile files sfprov reads back: hand-edited, truncated, non-UTF-8 and
//! huge plan files (`apply FILE`, `show FILE`), snapshot directories with
//! extra or missing files (`rollback`), retrieved zips with absolute paths,
//! duplicate or non-UTF-8 entries. Each is refused with its exact error and
//! the org (the emulator's whole state) stays as it was.

use std::path::Path;

use serde_json::Value;
use sfprov::emulator::EmulatorHandle;
use sfprov::metadata::package::manifest;
use sfprov::org::{NoObserver, OrgError, Wait, ZipLimits};

use crate::common::{root, run, sfprov, tree};
use crate::org::mock::{envelope, soap, Mock};
use crate::org::support::{token_org, zip_of};

/// An emulator and a project holding the zendesk starter spec; `sf` runs
/// sfprov against it and checks no output holds the token.
use crate::apply::cli::{setup as start, sf};

fn dump(h: &EmulatorHandle) -> Value {
    h.with_state(|s| serde_json::to_value(s).unwrap())
}

/// A plan file made by `sfprov plan --out`, edited by `edit`.
fn edited(good: &Value, edit: impl Fn(&mut Value)) -> Vec<u8> {
    let mut v = good.clone();
    edit(&mut v);
    serde_json::to_vec_pretty(&v).unwrap()
}

#[test]
fn hand_edited_plan_files_are_refused_and_change_nothing() {
    let (h, dir) = start();
    let r = sf(dir.path(), &h, &["plan", "--out", "plan.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let bytes = std::fs::read(dir.path().join("plan.json")).unwrap();
    let good: Value = serde_json::from_slice(&bytes).unwrap();
    let fingerprint = good["fingerprints"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    let ps = good["desired"]
        .as_array()
        .unwrap()
        .iter()
        .position(|d| d["type"] == "PermissionSet")
        .unwrap();
    let ps_member = good["desired"][ps]["member"].as_str().unwrap().to_string();
    let ours = env!("CARGO_PKG_VERSION");

    // (name, file bytes, what `apply` says, whether `show` refuses it too)
    let cases: Vec<(&str, Vec<u8>, String, bool)> = vec![
        (
            "changed fingerprint",
            edited(&good, |v| {
                v["fingerprints"][&fingerprint] = Value::from("0".repeat(64));
            }),
            format!("{fingerprint} changed in the org since the plan was made"),
            false,
        ),
        (
            "changed desired document",
            edited(&good, |v| {
                let xml = v["desired"][ps]["xml"].as_str().unwrap().replace(
                    "</PermissionSet>",
                    "    <userPermissions>\n        <enabled>true</enabled>\n        <name>ModifyAllData</name>\n    </userPermissions>\n</PermissionSet>",
                );
                v["desired"][ps]["xml"] = Value::from(xml);
            }),
            format!("the desired PermissionSet/{ps_member} in the plan file is not what the spec and the org give (was the file edited?)"),
            false,
        ),
        (
            "changed planned changes",
            edited(&good, |v| {
                let c = v["components"]
                    .as_array_mut()
                    .unwrap()
                    .iter_mut()
                    .find(|c| !c["changes"].as_array().unwrap().is_empty())
                    .unwrap();
                c["changes"] = Value::Array(Vec::new());
            }),
            "the planned component changes in the plan file is not what the spec and the org give"
                .to_string(),
            false,
        ),
        (
            "wrong format version",
            edited(&good, |v| v["format_version"] = Value::from(0)),
            format!("plan.bad.json is a plan of format 0 made by sfprov {ours}; this sfprov ({ours}) reads format 1"),
            true,
        ),
        (
            "from a newer sfprov",
            edited(&good, |v| {
                v["format_version"] = Value::from(2);
                v["sfprov_version"] = Value::from("99.0.0");
                v["something_new"] = Value::from(true);
            }),
            format!("plan.bad.json is a plan of format 2 made by sfprov 99.0.0; this sfprov ({ours}) reads format 1"),
            true,
        ),
        (
            "no format version",
            edited(&good, |v| {
                v.as_object_mut().unwrap().remove("format_version");
            }),
            "plan.bad.json is not an sfprov plan file: no format_version".to_string(),
            true,
        ),
        (
            "truncated",
            bytes[..bytes.len() / 2].to_vec(),
            "plan.bad.json is not an sfprov plan file: EOF while parsing".to_string(),
            true,
        ),
        (
            "not UTF-8",
            {
                let mut b = bytes.clone();
                let at = b.windows(6).position(|w| w == b"\"spec\"").unwrap() + 10;
                b.insert(at, 0xff);
                b
            },
            "plan.bad.json is not an sfprov plan file: it is not UTF-8 text (invalid byte at offset"
                .to_string(),
            true,
        ),
    ];
    for (name, bad, expect, show_refuses) in cases {
        std::fs::write(dir.path().join("plan.bad.json"), &bad).unwrap();
        let before = dump(&h);
        let r = sf(dir.path(), &h, &["apply", "plan.bad.json"]);
        assert_eq!(r.code, 1, "{name}: {}\n{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(&expect), "{name}: {}", r.stderr);
        assert!(
            r.stderr.contains("sfprov plan"),
            "{name}: no hint: {}",
            r.stderr
        );
        assert!(dump(&h) == before, "{name}: the org changed");
        let mut c = sfprov(dir.path());
        c.args(["show", "plan.bad.json"]);
        let r = run(c);
        if show_refuses {
            assert_eq!(r.code, 1, "{name}: {}", r.stdout);
            assert!(r.stderr.contains(&expect), "{name}: {}", r.stderr);
        }
    }

    // Huge: refused from its size, before it is read.
    let huge = dir.path().join("plan.bad.json");
    let f = std::fs::File::create(&huge).unwrap();
    f.set_len(sfprov::plan::file::MAX_PLAN_BYTES + 1).unwrap();
    drop(f);
    for cmd in ["apply", "show"] {
        let before = dump(&h);
        let r = if cmd == "apply" {
            sf(dir.path(), &h, &[cmd, "plan.bad.json"])
        } else {
            let mut c = sfprov(dir.path());
            c.args([cmd, "plan.bad.json"]);
            run(c)
        };
        assert_eq!(r.code, 1, "huge {cmd}: {}", r.stdout);
        assert!(
            r.stderr
                .contains("plan.bad.json is not an sfprov plan file: it is larger than 64 MiB"),
            "huge {cmd}: {}",
            r.stderr
        );
        assert!(dump(&h) == before, "huge {cmd}: the org changed");
    }

    // The untouched file still applies: the refusals above came from the edits.
    let r = sf(dir.path(), &h, &["apply", "plan.json"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
}

fn only_snapshot(root: &Path) -> std::path::PathBuf {
    let dirs: Vec<_> = std::fs::read_dir(root.join(".sfprov/snapshots"))
        .unwrap()
        .flat_map(|org| std::fs::read_dir(org.unwrap().path()).unwrap())
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs.into_iter().next().unwrap()
}

#[test]
fn rollback_refuses_a_snapshot_with_extra_or_missing_files_and_changes_nothing() {
    let (h, dir) = start();
    let r = sf(dir.path(), &h, &["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let snap = only_snapshot(dir.path());
    let package = snap.join("package");
    let a_file = tree(&package).keys().next().unwrap().clone();

    type Tamper = Box<dyn Fn(&Path)>;
    let cases: Vec<(&str, Tamper, String)> = vec![
        (
            "extra file",
            Box::new(|d: &Path| std::fs::write(d.join("extra.json"), "{}").unwrap()),
            "`extra.json` is not part of a snapshot".into(),
        ),
        (
            "missing package file",
            Box::new({
                let a_file = a_file.clone();
                move |d: &Path| std::fs::remove_file(d.join("package").join(&a_file)).unwrap()
            }),
            format!("`package/{a_file}` is missing (package.zip has it)"),
        ),
        (
            "missing package.zip",
            Box::new(|d: &Path| std::fs::remove_file(d.join("package.zip")).unwrap()),
            "`package.zip` is missing".into(),
        ),
    ];
    let pristine = tree(&snap);
    for (name, tamper, expect) in cases {
        // Put the snapshot back as apply wrote it, then tamper.
        std::fs::remove_dir_all(&snap).unwrap();
        for (rel, bytes) in &pristine {
            let p = snap.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, bytes).unwrap();
        }
        tamper(&snap);
        let before = dump(&h);
        let r = sf(dir.path(), &h, &["rollback", "--auto-approve"]);
        assert_eq!(r.code, 1, "{name}: {}", r.stdout);
        assert!(r.stderr.contains(&expect), "{name}: {}", r.stderr);
        assert!(dump(&h) == before, "{name}: the org changed");
    }
}

const SOAP: &str = "/services/Soap/m/63.0";

/// A scripted org whose retrieve returns `zip`.
fn retrieve_mock(zip: &[u8]) -> Mock {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(zip);
    let m = Mock::start();
    m.on(
        SOAP,
        "<met:retrieve>",
        vec![soap(
            200,
            envelope("<retrieveResponse><result><done>false</done><id>09SRET</id><state>Queued</state></result></retrieveResponse>"),
        )],
    );
    m.on(
        SOAP,
        "<met:checkRetrieveStatus>",
        vec![soap(200, envelope(&format!("<checkRetrieveStatusResponse><result><done>true</done><id>09SRET</id><status>Succeeded</status><success>true</success><zipFile>{b64}</zipFile></result></checkRetrieveStatusResponse>")))],
    );
    m
}

/// Retrieves through `sfprov::org` from a server answering `zip`: the error,
/// after checking the server saw no deploy.
fn retrieve_error(zip: &[u8]) -> OrgError {
    let m = retrieve_mock(zip);
    let (org, _) = token_org(&m.url);
    let err = org
        .retrieve_files(
            &manifest([("Profile", "Admin")], "63.0"),
            &Wait::default(),
            ZipLimits::default(),
            &mut NoObserver,
        )
        .unwrap_err();
    assert_eq!(m.count("<met:deploy>"), 0);
    err
}

#[test]
fn retrieved_zips_with_absolute_or_duplicate_paths_are_refused() {
    let profile: &[u8] = b"<Profile xmlns=\"http://soap.sforce.com/2006/04/metadata\"/>";
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "absolute",
            zip_of(&[("package.xml", b"<Package/>"), ("/etc/evil", b"x")]),
            "entry `/etc/evil` has an absolute path",
        ),
        (
            "windows absolute",
            zip_of(&[("package.xml", b"<Package/>"), ("C:\\evil", b"x")]),
            "entry `C:\\evil` has an absolute path",
        ),
        (
            "duplicate",
            {
                // The zip writer refuses a repeated name: write another,
                // then make it the same in both headers.
                let z = zip_of(&[
                    ("profiles/Admin.profile", profile),
                    ("profiles/Admin.profilf", b"<Profile/>"),
                ]);
                let mut out = z.clone();
                for (i, w) in z.windows(22).enumerate() {
                    if w == b"profiles/Admin.profilf" {
                        out[i + 21] = b'e';
                    }
                }
                out
            },
            "it declares 2 entries but has 1 distinct names: an entry's name repeats",
        ),
        (
            "duplicate after normalizing",
            zip_of(&[
                ("profiles/Admin.profile", profile),
                ("profiles/./Admin.profile", b"<Profile/>"),
            ]),
            "entry `profiles/./Admin.profile` is a second entry for `profiles/Admin.profile`",
        ),
    ];
    for (name, zip, expect) in cases {
        let err = retrieve_error(&zip);
        assert!(matches!(err, OrgError::UnsafeZip { .. }), "{name}: {err}");
        let text = err.to_string();
        assert!(
            text.starts_with("refusing the zip retrieved from org"),
            "{name}: {text}"
        );
        assert!(text.contains(expect), "{name}: {text}");
    }
}

/// A zip whose one entry's name, flagged as UTF-8, is not UTF-8.
fn zip_with_non_utf8_name() -> Vec<u8> {
    let mut zip = zip_of(&[("profiles/A\u{e9}.profile", b"<Profile/>")]);
    // Both copies of the name (local header, central directory).
    let mut i = 0;
    while let Some(p) = zip[i..].windows(2).position(|w| w == [0xc3, 0xa9]) {
        zip[i + p] = 0xff;
        zip[i + p + 1] = 0xfe;
        i += p + 2;
    }
    zip
}

#[test]
fn a_retrieved_entry_whose_name_is_not_utf8_is_refused() {
    let m = retrieve_mock(&zip_with_non_utf8_name());
    let (org, _) = token_org(&m.url);
    let got = org.retrieve_files(
        &manifest([("Profile", "Admin")], "63.0"),
        &Wait::default(),
        ZipLimits::default(),
        &mut NoObserver,
    );
    let Err(e) = got else {
        panic!("a name that is not UTF-8 was accepted")
    };
    let e = e.to_string();
    assert!(
        e.starts_with("refusing the zip retrieved from org")
            && e.contains("entry 0's name is not UTF-8 (profiles/A\u{fffd}\u{fffd}.profile)"),
        "{e}"
    );
    assert_eq!(m.count("<met:deploy>"), 0);
}

#[test]
fn a_retrieved_component_that_is_not_utf8_fails_the_plan_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let org = dir.path().join("org");
    let golden = root().join("golden/zendesk/mdapi");
    for (rel, bytes) in tree(&golden) {
        let p = org.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    let profile = org.join("profiles/Zendesk Integration.profile");
    let mut bytes = std::fs::read(&profile).unwrap();
    let at = bytes.windows(7).position(|w| w == b"<custom").unwrap();
    bytes.insert(at, 0xff);
    std::fs::write(&profile, &bytes).unwrap();
    let before = tree(dir.path());
    let mut c = sfprov(dir.path());
    c.args(["plan", "--template", "zendesk", "--org-dir"])
        .arg(&org);
    let r = run(c);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(
            "Zendesk Integration.profile: not a metadata document: 3:5: the file is not valid UTF-8"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(tree(dir.path()), before, "plan wrote or changed a file");
}

#[test]
fn a_retrieved_component_that_is_not_xml_fails_the_plan_instead_of_planning_a_create() {
    let (h, dir) = start();
    h.shared().lock().put_component(
        "PermissionSet",
        "Zendesk_Integration",
        "<PermissionSet xmlns=\"http://soap.sforce.com/2006/04/metadata\"><label>x</lab".into(),
        None,
        "2026-01-01T00:00:00.000Z",
    );
    let r = sf(dir.path(), &h, &["plan"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("refusing the zip retrieved from org `127.0.0.1`: `permissionsets/Zendesk_Integration.permissionset` is not a metadata file sfprov can read"),
        "{}",
        r.stderr
    );
    let before = dump(&h);
    let r = sf(dir.path(), &h, &["apply", "--auto-approve"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("is not a metadata file"), "{}", r.stderr);
    // UsedLicenses is the emulator's own count, refreshed when read.
    let strip = |mut v: Value| {
        v["records"].as_object_mut().unwrap().remove("UserLicense");
        v
    };
    assert!(strip(dump(&h)) == strip(before), "the org changed");
}
