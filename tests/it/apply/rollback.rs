//! `sfprov rollback` against the emulator: a retrieve of the touched members
//! before apply equals one after rollback (effective access), for a fresh org
//! and for one whose profile and permission set existed with other access;
//! the user and assignments stay (listed) unless `--remove-user`; a snapshot
//! of another org and a tampered snapshot are refused; the command line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sfprov::apply::rollback::{self, RollbackError};
use sfprov::emulator::{self, Config, EmulatorHandle};
use sfprov::metadata::{self, schema};
use sfprov::org::mdapi::{DeployOptions, DeployOutcome};
use sfprov::org::read::OrgRead;
use sfprov::org::write::OrgWrite;

use super::support::*;
use crate::common::{run, sfprov};

/// The plan's components as the org has them now: (type, member) -> XML,
/// retrieved with the manifest apply's snapshot uses.
fn touched(org: &dyn OrgRead, s: &Spec) -> BTreeMap<(String, String), String> {
    let members =
        sfprov::plan::manifest::members(&s.desired, &sfprov::generate::documents(&s.desired));
    let comps: Vec<(String, String)> = sfprov::generate::documents(&s.desired)
        .iter()
        .map(|c| (c.type_name.to_string(), c.member.clone()))
        .collect();
    let r = org
        .retrieve(&sfprov::plan::manifest::manifest(&members, "63.0"))
        .unwrap();
    let mut out = BTreeMap::new();
    for f in r.files {
        let name = f.path.rsplit('/').next().unwrap().to_string();
        if let Some((ty, m)) = schema::registry_for_file(&name) {
            let key = (ty.name.to_string(), m);
            if comps.contains(&key) {
                out.insert(key, String::from_utf8(f.bytes).unwrap());
            }
        }
    }
    out
}

/// Components whose effective content differs between `a` and `b`, or
/// that only one side has.
fn differing(
    a: &BTreeMap<(String, String), String>,
    b: &BTreeMap<(String, String), String>,
) -> Vec<String> {
    differing_but(a, b, &[])
}

/// `differing`, but for the `Type/Member section` values rollback listed as
/// left in place.
fn differing_but(
    a: &BTreeMap<(String, String), String>,
    b: &BTreeMap<(String, String), String>,
    left: &[String],
) -> Vec<String> {
    let mut out = Vec::new();
    for key in a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))) {
        let label = format!("{}/{}", key.0, key.1);
        match (a.get(key), b.get(key)) {
            (Some(x), Some(y)) => {
                let reg = schema::registry_for_type(&key.0).unwrap();
                let (x, y) = (metadata::parse(x).unwrap(), metadata::parse(y).unwrap());
                let d = sfprov::diff::component(
                    reg,
                    &key.1,
                    Some(&x),
                    Some(&y),
                    sfprov::diff::Mode::Files,
                );
                let counted: Vec<_> = d
                    .counted()
                    .filter(|c| !left.contains(&format!("{label} {}", c.section)))
                    .collect();
                if !counted.is_empty() {
                    out.push(format!("{label}: {counted:?}"));
                }
            }
            _ => out.push(format!("{label}: on one side only")),
        }
    }
    out
}

fn only_snapshot(root: &Path) -> PathBuf {
    let org_dir = std::fs::read_dir(root)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let id = org_dir.file_name().unwrap().to_str().unwrap().to_string();
    rollback::newest(root, &id).unwrap()
}

fn user_row(h: &EmulatorHandle, username: &str) -> Value {
    h.with_state(|st| {
        st.rows("User")
            .iter()
            .find(|u| u.get("Username").and_then(Value::as_str) == Some(username))
            .map(|u| Value::Object(u.clone()))
            .unwrap()
    })
}

#[test]
fn rollback_of_a_fresh_org_deletes_what_it_can_and_lists_the_rest() {
    let h = start();
    let org = remote(&h);
    let s = spec("zendesk");
    let before = touched(&org, &s);
    let dir = tempfile::tempdir().unwrap();
    let (_, _, r) = s.apply(&org, dir.path());
    r.unwrap();
    assert_ne!(touched(&org, &s), before, "apply changed nothing");
    let snap = rollback::load(&only_snapshot(dir.path())).unwrap();

    // Without --remove-user: the user and its assignments stay, listed; the
    // permission set apply created is assigned to it, so it stays too.
    let rp = rollback::plan(&snap, &org, false).unwrap();
    let user = rp.user.clone().expect("the user is listed");
    assert!(user.created_by_apply && user.active);
    assert!(
        rp.added_assignments
            .iter()
            .any(|a| a.name == "Zendesk_Integration"),
        "{:?}",
        rp.added_assignments
    );
    assert!(
        rp.blocked
            .iter()
            .any(|b| b.starts_with("PermissionSet/Zendesk_Integration")),
        "{:?}",
        rp.blocked
    );
    assert!(
        rp.left_in_place
            .contains(&"Profile/Zendesk Integration".to_string()),
        "{:?}",
        rp.left_in_place
    );
    let text = rollback::human(&rp);
    assert!(text.contains("pass --remove-user"), "{text}");
    rollback::execute(&snap, &rp, &org).unwrap();
    assert_eq!(user_row(&h, &s.username())["IsActive"], Value::Bool(true));
    assert!(provisioned(&h, &s)
        .assignments
        .iter()
        .any(|(_, n)| n == "Zendesk_Integration"));

    // With --remove-user: the user is deactivated (not deleted), the
    // assignments apply added are deleted, then the permission set.
    let rp = rollback::plan(&snap, &org, true).unwrap();
    assert_eq!(rp.delete, ["Zendesk_Integration"]);
    let done = rollback::execute(&snap, &rp, &org).unwrap();
    assert!(done.user_deactivated);
    assert!(done.assignments_removed >= 1);
    let p = provisioned(&h, &s);
    assert_eq!(p.users, 1, "the user is kept");
    // (The profile's own permission set assignment comes with the user.)
    assert!(
        !p.assignments.iter().any(|(_, n)| n.starts_with("Zendesk")),
        "{:?}",
        p.assignments
    );
    assert_eq!(user_row(&h, &s.username())["IsActive"], Value::Bool(false));
    assert!(h
        .component("PermissionSet", "Zendesk_Integration")
        .is_none());

    // Everything but the components left in place is as before apply.
    let mut after = touched(&org, &s);
    for l in &rp.left_in_place {
        let (t, m) = l.split_once('/').unwrap();
        after.remove(&(t.to_string(), m.to_string()));
    }
    assert_eq!(differing(&before, &after), Vec::<String>::new());
    // A second rollback has nothing to do.
    assert!(!rollback::plan(&snap, &org, true).unwrap().has_changes());
}

fn deploy(org: &dyn OrgWrite, files: &[(&str, &str, &str)]) {
    let members: Vec<(String, String)> = files
        .iter()
        .map(|(t, m, _)| (t.to_string(), m.to_string()))
        .collect();
    let zip = sfprov::apply::package::zip_of(
        &members,
        files.iter().map(|(t, m, x)| {
            (
                schema::registry_for_type(t).unwrap().file_path(m, false),
                x.as_bytes().to_vec(),
            )
        }),
        "63.0",
    );
    let r = org
        .deploy(
            &zip,
            &DeployOptions::default(),
            &mut sfprov::org::NoObserver,
        )
        .unwrap();
    assert_eq!(r.outcome(), DeployOutcome::Succeeded, "{r:?}");
}

const NS: &str = "xmlns=\"http://soap.sforce.com/2006/04/metadata\"";

#[test]
fn rollback_restores_a_profile_and_permission_set_that_existed_with_other_access() {
    let h = start();
    let org = remote(&h);
    let s = spec("zendesk");
    deploy(
        &org,
        &[
            ("Profile", "Zendesk Integration", &format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Profile {NS}>\n    <custom>true</custom>\n    <userLicense>Salesforce</userLicense>\n    <userPermissions>\n        <enabled>true</enabled>\n        <name>ViewSetup</name>\n    </userPermissions>\n    <userPermissions>\n        <enabled>false</enabled>\n        <name>ApiEnabled</name>\n    </userPermissions>\n</Profile>\n")),
            ("PermissionSet", "Zendesk_Integration", &format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PermissionSet {NS}>\n    <fieldPermissions>\n        <editable>false</editable>\n        <field>Case.Subject</field>\n        <readable>true</readable>\n    </fieldPermissions>\n    <hasActivationRequired>false</hasActivationRequired>\n    <label>Old Label</label>\n    <objectPermissions>\n        <allowCreate>false</allowCreate>\n        <allowDelete>false</allowDelete>\n        <allowEdit>false</allowEdit>\n        <allowRead>true</allowRead>\n        <modifyAllRecords>false</modifyAllRecords>\n        <object>Case</object>\n        <viewAllRecords>false</viewAllRecords>\n    </objectPermissions>\n</PermissionSet>\n")),
        ],
    );
    let before = touched(&org, &s);
    assert!(before.contains_key(&("Profile".into(), "Zendesk Integration".into())));
    let dir = tempfile::tempdir().unwrap();
    let (_, _, r) = s.apply(&org, dir.path());
    r.unwrap();
    assert!(!differing(&before, &touched(&org, &s)).is_empty());
    let snap = rollback::load(&only_snapshot(dir.path())).unwrap();
    let rp = rollback::plan(&snap, &org, false).unwrap();
    // The profile gets an explicit false for the access apply enabled.
    let profile = rp
        .deploy
        .iter()
        .find(|(t, _, _)| t == "Profile")
        .map(|(_, _, x)| x.clone())
        .unwrap_or_else(|| {
            panic!(
                "the profile is restored: {rp:?}\n{:?}\n{:?}",
                snap.present.keys(),
                snap.absent
            )
        });
    assert!(
        profile.contains("<enabled>false</enabled>\n        <name>ApiEnabled</name>"),
        "{profile}"
    );
    assert!(rp.delete.is_empty() && rp.blocked.is_empty(), "{rp:?}");
    assert!(rollback::human(&rp).contains("~ Profile/Zendesk Integration will be restored"));
    // A profile deploy cannot clear the description apply set: listed.
    assert_eq!(
        rp.left_in_place,
        ["Profile/Zendesk Integration description"]
    );
    rollback::execute(&snap, &rp, &org).unwrap();
    assert_eq!(
        differing_but(&before, &touched(&org, &s), &rp.left_in_place),
        Vec::<String>::new()
    );
    // The user apply created stays, with its assignments.
    assert_eq!(user_row(&h, &s.username())["IsActive"], Value::Bool(true));
}

#[test]
fn a_snapshot_of_another_org_is_refused() {
    let h = start();
    let org = remote(&h);
    let s = spec("zendesk");
    let dir = tempfile::tempdir().unwrap();
    s.apply(&org, dir.path()).2.unwrap();
    let snap = rollback::load(&only_snapshot(dir.path())).unwrap();

    let mut config = Config::default();
    config.seed.org.id = "00D0000000000OTHER".into();
    let other = emulator::spawn(config).unwrap();
    let other_org = remote(&other);
    let err = rollback::plan(&snap, &other_org, true).unwrap_err();
    assert!(matches!(err, RollbackError::WrongOrg { .. }), "{err}");
    assert!(err.to_string().contains("00D0000000000OTHER"), "{err}");
    assert!(err.hint().unwrap().contains("-o"));
    assert!(other
        .component("PermissionSet", "Zendesk_Integration")
        .is_none());
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn a_tampered_snapshot_is_refused_with_what_is_wrong() {
    let h = start();
    let org = remote(&h);
    let s = spec("zendesk");
    let dir = tempfile::tempdir().unwrap();
    s.apply(&org, dir.path()).2.unwrap();
    let good = only_snapshot(dir.path());
    rollback::load(&good).unwrap();
    let work = tempfile::tempdir().unwrap();
    type Tamper = Box<dyn Fn(&Path)>;
    let cases: Vec<(&str, Tamper, &str)> = vec![
        (
            "edited",
            Box::new(|d: &Path| {
                let p = d.join("package/settings/Security.settings");
                let t = std::fs::read_to_string(&p).unwrap();
                std::fs::write(
                    &p,
                    t.replace("</SecuritySettings>", "<x>1</x></SecuritySettings>"),
                )
                .unwrap();
            }),
            "differs from package.zip",
        ),
        (
            "extra",
            Box::new(|d: &Path| std::fs::write(d.join("notes.txt"), "hi").unwrap()),
            "`notes.txt` is not part of a snapshot",
        ),
        (
            "missing",
            Box::new(|d: &Path| std::fs::remove_file(d.join("plan.json")).unwrap()),
            "`plan.json` is missing",
        ),
        (
            "corrupt",
            Box::new(|d: &Path| std::fs::write(d.join("snapshot.json"), "{").unwrap()),
            "`snapshot.json` is not valid JSON",
        ),
        (
            "extra in package",
            Box::new(|d: &Path| std::fs::write(d.join("package/x.profile"), "<Profile/>").unwrap()),
            "`package/x.profile` is not in package.zip",
        ),
    ];
    for (name, tamper, expect) in cases {
        let d = work.path().join(name);
        copy_dir(&good, &d);
        tamper(&d);
        let err = rollback::load(&d).unwrap_err();
        assert!(
            matches!(err, RollbackError::Corrupt { .. }),
            "{name}: {err}"
        );
        assert!(err.to_string().contains(expect), "{name}: {err}");
        assert!(err.hint().is_some());
    }
}

fn sf(dir: &Path, h: &EmulatorHandle, args: &[&str]) -> crate::common::Run {
    let mut c = sfprov(dir);
    c.env("SF_ACCESS_TOKEN", h.access_token.expose())
        .args(args)
        .args(["--instance-url", &h.url]);
    let r = run(c);
    assert!(!r.stdout.contains(h.access_token.expose()));
    assert!(!r.stderr.contains(h.access_token.expose()));
    r
}

#[test]
fn the_command_rolls_back_the_newest_snapshot_and_refuses_without_a_terminal() {
    let h = start();
    let dir = tempfile::tempdir().unwrap();
    let t = sfprov::templates::get("zendesk").unwrap();
    std::fs::write(
        dir.path().join("sfprov.toml"),
        sfprov::templates::starter_spec(t),
    )
    .unwrap();
    let r = sf(dir.path(), &h, &["rollback"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("--auto-approve"), "{}", r.stderr);
    let r = sf(dir.path(), &h, &["rollback", "--auto-approve"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("no snapshot of org"), "{}", r.stderr);

    let r = sf(dir.path(), &h, &["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Rollback takes the lock apply takes.
    let held = sfprov::apply::lock::acquire(
        &dir.path().join(".sfprov/locks"),
        &h.org_id,
        "sfprov apply (test)",
    )
    .unwrap();
    let r = sf(dir.path(), &h, &["rollback", "--auto-approve"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stderr.contains(&format!("pid {}", std::process::id())),
        "{}",
        r.stderr
    );
    drop(held);
    let r = sf(dir.path(), &h, &["rollback", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("Rollback complete!"), "{}", r.stdout);
    assert!(
        r.stdout.contains("zendesk.integration@example.com"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("left in place"), "{}", r.stdout);
    let r = sf(
        dir.path(),
        &h,
        &["rollback", "--auto-approve", "--remove-user", "--json"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["format_version"], 1);
    assert_eq!(doc["status"], "rolled_back");
    assert_eq!(doc["done"]["user_deactivated"], true);
    assert_eq!(
        doc["done"]["deleted"][0],
        "PermissionSet/Zendesk_Integration"
    );
}
