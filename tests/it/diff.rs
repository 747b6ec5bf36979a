//! `sfprov diff`: the built binary on corpus files, shuffled copies, golden
//! trees in both formats, JSON, exit codes and git's external-diff form.

use std::path::Path;

use crate::common::{self, Rng};

fn diff(dir: &Path, args: &[&str]) -> common::Run {
    let mut c = common::sfprov(dir);
    c.arg("diff").args(args);
    common::run(c)
}

#[test]
fn a_file_against_its_shuffled_copy_has_no_differences() {
    let dir = tempfile::tempdir().unwrap();
    let src = common::root().join("tests/corpus/toronto/profiles/Admin.profile-meta.xml");
    let text = std::fs::read_to_string(&src).unwrap();
    let mut doc = sfprov::metadata::parse(&text).unwrap();
    common::shuffle(&mut doc, &mut Rng::new(7));
    let shuffled = dir.path().join("Admin.profile-meta.xml");
    std::fs::write(&shuffled, common::reindent(&doc)).unwrap();
    let r = diff(
        dir.path(),
        &[
            "--detailed-exitcode",
            src.to_str().unwrap(),
            shuffled.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stdout, "No differences.\n");
}

#[test]
fn flipped_flags_and_removed_permissions_are_listed_by_key() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.permissionset-meta.xml");
    let new = dir.path().join("Zendesk.permissionset-meta.xml");
    let ps = |body: &str| {
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PermissionSet xmlns=\"http://soap.sforce.com/2006/04/metadata\">{body}<label>Z</label></PermissionSet>\n")
    };
    let fp = |f: &str, e: bool| {
        format!("<fieldPermissions><editable>{e}</editable><field>{f}</field><readable>true</readable></fieldPermissions>")
    };
    std::fs::write(
        &old,
        ps(&format!(
            "{}{}{}<userPermissions><enabled>true</enabled><name>ModifyAllData</name></userPermissions>",
            fp("Case.Subject", false),
            fp("Contact.Email", false),
            fp("Contact.Phone", false)
        )),
    )
    .unwrap();
    std::fs::write(
        &new,
        ps(&format!(
            "{}{}{}<userPermissions><enabled>true</enabled><name>ApiEnabled</name></userPermissions>",
            fp("Case.Subject", false),
            fp("Contact.Phone", true),
            fp("Contact.Email", true)
        )),
    )
    .unwrap();
    let r = diff(
        dir.path(),
        &[
            "--detailed-exitcode",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "~ PermissionSet Zendesk\n\
         \x20   ~ fieldPermissions Contact.{Email, Phone}: edit false -> true\n\
         \x20   + userPermissions ApiEnabled\n\
         \x20   - userPermissions ModifyAllData\n\
         Diff: 0 created, 1 changed, 0 deleted; 1 entry added, 2 entries changed, 1 entry removed.\n"
    );
    let j = diff(
        dir.path(),
        &["--json", old.to_str().unwrap(), new.to_str().unwrap()],
    );
    assert_eq!(j.code, 0);
    let v: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    assert_eq!(v["format_version"], "1");
    assert_eq!(v["has_changes"], true);
    assert_eq!(v["components"][0]["changes"].as_array().unwrap().len(), 4);
}

#[test]
fn source_and_mdapi_trees_of_one_template_are_the_same() {
    let dir = tempfile::tempdir().unwrap();
    for t in ["zendesk", "classy", "salesscreen", "integration-user"] {
        let g = common::root().join("golden").join(t);
        let r = diff(
            dir.path(),
            &[
                "--detailed-exitcode",
                g.join("source").to_str().unwrap(),
                g.join("mdapi").to_str().unwrap(),
            ],
        );
        assert_eq!(r.code, 0, "{t}: {}{}", r.stdout, r.stderr);
        assert_eq!(r.stdout, "No differences.\n", "{t}");
    }
    // Two templates differ by components created and deleted.
    let r = diff(
        dir.path(),
        &[
            common::root()
                .join("golden/zendesk/mdapi")
                .to_str()
                .unwrap(),
            common::root().join("golden/classy/mdapi").to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("+ PermissionSet "), "{}", r.stdout);
    assert!(
        r.stdout.contains("- Profile Zendesk Integration"),
        "{}",
        r.stdout
    );
}

#[test]
fn bad_input_is_named_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("X.profile-meta.xml");
    std::fs::write(&bad, "<Profile><a></Profile>").unwrap();
    let r = diff(dir.path(), &[bad.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("X.profile-meta.xml:1:"), "{}", r.stderr);
    let txt = dir.path().join("notes.txt");
    std::fs::write(&txt, "x").unwrap();
    let r = diff(dir.path(), &[txt.to_str().unwrap(), txt.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("not a metadata file"), "{}", r.stderr);
    let r = diff(
        dir.path(),
        &[txt.to_str().unwrap(), dir.path().to_str().unwrap()],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("two files or two directories"),
        "{}",
        r.stderr
    );
}

#[test]
fn works_as_gits_external_diff() {
    if std::process::Command::new("git")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: git not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .current_dir(repo)
            .args(["-c", "user.email=t@example.com", "-c", "user.name=t"])
            .args(args)
            .env(
                "GIT_EXTERNAL_DIFF",
                env!("CARGO_BIN_EXE_sfprov").to_string() + " diff",
            )
            .env("HOME", repo)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    git(&["init", "-q"]);
    std::fs::create_dir(repo.join("profiles")).unwrap();
    let profile = repo.join("profiles/Admin.profile-meta.xml");
    std::fs::copy(
        common::root().join("tests/corpus/toronto/profiles/Admin.profile-meta.xml"),
        &profile,
    )
    .unwrap();
    std::fs::write(repo.join("notes.txt"), "one\n").unwrap();
    git(&["add", "-A"]);
    git(&["commit", "-qm", "start"]);
    let text = std::fs::read_to_string(&profile).unwrap();
    let changed = text.replacen(
        "<enabled>true</enabled>\n        <name>ApiEnabled</name>",
        "<enabled>false</enabled>\n        <name>ApiEnabled</name>",
        1,
    );
    assert_ne!(text, changed);
    std::fs::write(&profile, changed).unwrap();
    std::fs::write(repo.join("notes.txt"), "one\ntwo\n").unwrap();
    let out = git(&["diff", "--ext-diff"]);
    assert!(
        out.contains("sfprov diff a/profiles/Admin.profile-meta.xml b/profiles/Admin.profile-meta.xml\n~ Profile Admin\n    - userPermissions ApiEnabled\n"),
        "{out}"
    );
    assert!(
        out.contains("+two"),
        "plain files still get a text diff: {out}"
    );
}
