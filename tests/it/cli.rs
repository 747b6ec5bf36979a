//! The built binary, as a new user runs it: templates, init, generate, fmt.

use std::path::Path;

use crate::common::{
    corpus_files, generate_with_spec, reindent, root, run, sfprov, shuffle, tree, Rng,
};

fn files_under(dir: &Path) -> Vec<String> {
    tree(dir).into_keys().collect()
}

#[test]
fn templates_lists_every_template_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let r = run({
        let mut c = sfprov(dir.path());
        c.arg("templates");
        c
    });
    assert_eq!(r.code, 0);
    let names: Vec<&str> = r
        .stdout
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        names,
        ["classy", "integration-user", "salesscreen", "zendesk"]
    );
    assert!(r.stderr.contains("sfprov init --template"));
}

#[test]
fn init_then_generate_both_formats() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut c = sfprov(d);
    c.args(["init", "--template", "zendesk"]);
    let r = run(c);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "created sfprov.toml\n");
    // init refuses to overwrite.
    let mut c = sfprov(d);
    c.args(["init", "--template", "classy"]);
    let r = run(c);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("already exists") && r.stderr.contains("--force"),
        "{}",
        r.stderr
    );

    let mut c = sfprov(d);
    c.args(["generate"]);
    let r = run(c);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r
        .stdout
        .contains("created force-app/main/default/profiles/Zendesk Integration.profile-meta.xml"));
    assert!(r.stderr.contains("no file is written"), "{}", r.stderr);
    // Same spec, same files: the second run changes nothing and says so.
    let mut c = sfprov(d);
    c.args(["generate"]);
    let r = run(c);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""));
    assert!(
        r.stderr.contains("0 created, 0 updated, 5 unchanged"),
        "{}",
        r.stderr
    );

    let mut c = sfprov(d);
    c.args(["generate", "--format", "mdapi", "-d", "mdapi"]);
    let r = run(c);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        files_under(&d.join("mdapi")),
        [
            "package.xml",
            "permissionsets/Zendesk_Integration.permissionset",
            "profiles/Zendesk Integration.profile",
            "settings/Event.settings",
            "settings/Security.settings"
        ]
    );
}

#[test]
fn generate_straight_from_a_template() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = sfprov(dir.path());
    c.args(["generate", "--template", "classy", "--output-dir", "out"]);
    let r = run(c);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(dir
        .path()
        .join("out/force-app/main/default/permissionsets/Classy_Integration.permissionset-meta.xml")
        .exists());
    assert!(dir.path().join("out/sfdx-project.json").exists());
}

#[test]
fn a_bad_spec_writes_nothing_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("sfprov.toml"),
        "template = \"zendesk\"\n\n[permission_sets.Zendesk_Integration]\nsystem.ApiEnabeld = { why = \"x\" }\nfields.\"Case.Status\" = { access = \"edit\", why = \"x\" }\n",
    )
    .unwrap();
    let mut c = sfprov(d);
    c.args(["generate", "--output-dir", "out"]);
    let r = run(c);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr
            .contains("error: unknown system permission `ApiEnabeld`"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--> sfprov.toml:4:8"), "{}", r.stderr);
    assert!(r.stderr.contains("hint: did you mean `ApiEnabled`?"));
    assert!(r.stderr.contains("--> sfprov.toml:5:8"), "{}", r.stderr);
    assert!(r
        .stderr
        .contains("the spec has 2 errors; nothing was written"));
    assert!(!d.join("out").exists());
    assert!(!r.stderr.contains("panicked"));
}

#[test]
fn missing_spec_and_unknown_template_have_hints() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = sfprov(dir.path());
    c.arg("generate");
    let r = run(c);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("no spec at `sfprov.toml`")
            && r.stderr.contains("sfprov init --template"),
        "{}",
        r.stderr
    );
    let mut c = sfprov(dir.path());
    c.args(["init", "--template", "zendsk"]);
    let r = run(c);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("did you mean `zendesk`?"), "{}", r.stderr);
}

/// Issue 2, point 3: on the real corpus `fmt --check` passes 81 files and flags
/// toronto Admin; `fmt` then makes the whole corpus canonical.
#[test]
fn fmt_check_and_fmt_on_the_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    copy_dir(&root().join("tests/corpus"), &corpus);
    let mut c = sfprov(dir.path());
    c.args(["fmt", "--check", "corpus"]);
    let r = run(c);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stdout.trim(),
        Path::new("corpus/toronto/profiles/Admin.profile-meta.xml")
            .display()
            .to_string()
    );
    assert!(
        r.stderr
            .contains("82 files checked, 1 not canonical, 0 failed"),
        "{}",
        r.stderr
    );
    let admin = corpus.join("toronto/profiles/Admin.profile-meta.xml");
    let before = std::fs::read(&admin).unwrap();

    let mut c = sfprov(dir.path());
    c.args(["fmt", "corpus"]);
    let r = run(c);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("82 files checked, 1 formatted, 0 failed"),
        "{}",
        r.stderr
    );
    assert_ne!(std::fs::read(&admin).unwrap(), before);
    assert_eq!(
        std::fs::read(&admin).unwrap(),
        sfprov::metadata::canonical_bytes(&before).unwrap()
    );

    let mut c = sfprov(dir.path());
    c.args(["fmt", "--check", "corpus"]);
    assert_eq!(run(c).code, 0);
}

/// Every corpus file shuffled and re-indented: `fmt` gives the original back.
#[test]
fn fmt_restores_shuffled_files() {
    let dir = tempfile::tempdir().unwrap();
    let files = corpus_files();
    let mut expected = Vec::new();
    for (i, path) in files.iter().enumerate() {
        let bytes = std::fs::read(path).unwrap();
        let mut doc = sfprov::metadata::parse(std::str::from_utf8(&bytes).unwrap()).unwrap();
        shuffle(&mut doc, &mut Rng::new(42 + i as u64));
        let name = path.file_name().unwrap();
        let target = dir.path().join(format!("{i:02}")).join(name);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(&target, reindent(&doc)).unwrap();
        expected.push((
            target,
            sfprov::metadata::canonical_bytes(&bytes).unwrap(),
            bytes,
        ));
    }
    let mut c = sfprov(dir.path());
    c.args(["fmt", "."]);
    let r = run(c);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut identical = 0;
    for (target, canonical, original) in expected {
        let got = std::fs::read(&target).unwrap();
        assert!(got == canonical, "{}", target.display());
        identical += usize::from(got == original);
    }
    assert_eq!(
        identical, 81,
        "all but toronto Admin come back byte for byte"
    );
}

#[test]
fn fmt_reports_malformed_files_and_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("Bad.permissionset-meta.xml");
    std::fs::write(
        &bad,
        "<PermissionSet>\n  <label>x</lable>\n</PermissionSet>\n",
    )
    .unwrap();
    let mut c = sfprov(dir.path());
    c.args(["fmt", "."]);
    let r = run(c);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("Bad.permissionset-meta.xml:2:"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&bad).unwrap(),
        "<PermissionSet>\n  <label>x</lable>\n</PermissionSet>\n"
    );
    let mut c = sfprov(dir.path());
    c.args(["fmt", "nope"]);
    let r = run(c);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("cannot read `nope`"), "{}", r.stderr);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let t = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &t);
        } else {
            std::fs::copy(&p, &t).unwrap();
        }
    }
}

/// The exact text a user reads for a spec with problems (inline snapshot).
#[test]
fn spec_errors_read_well() {
    let dir = tempfile::tempdir().unwrap();
    let access = "[permission_sets.Zendesk_Integration]\nsystem.ModifyMetadata = { why = \"x\" }\nsystem.ViewSetup = { why = \"x\", enabled = false }\nobjects.Acount = { access = \"read\", why = \"x\" }\n";
    let r = generate_with_spec(
        dir.path(),
        &format!("template = \"zendesk\"\n\n[user]\nlicence = \"Salesforce\"\n\n{access}"),
    );
    assert_eq!(r.code, 1);
    insta::assert_snapshot!(r.stderr, @r"
    error: unknown key `licence` in `user`
      --> sfprov.toml:4:1
    hint: did you mean `license`?
    error: the spec has 1 error; nothing was written
    ");
    let r = generate_with_spec(dir.path(), &format!("template = \"zendesk\"\n\n{access}"));
    assert_eq!(r.code, 1);
    insta::assert_snapshot!(r.stderr, @r"
    error: permission set `Zendesk_Integration` revokes `ViewSetup`, which `ModifyMetadata` depends on
      --> sfprov.toml:5:8
    hint: remove `enabled = false` from `ViewSetup`, or remove `ModifyMetadata`
    warning: `Acount` is not a standard object sfprov knows; plan will check that the org has it
      --> sfprov.toml:6:9
    hint: did you mean `Account`?
    error: the spec has 1 error; nothing was written
    ");
}

/// Review findings: usage errors exit 1 (2 is reserved), paths on stdout are
/// from the working directory, and an unwritable target stops the run before
/// anything is written.
#[test]
fn usage_errors_paths_and_blocked_targets() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut c = sfprov(d);
    c.args(["generate", "--format", "bogus"]);
    assert_eq!(run(c).code, 1);
    let mut c = sfprov(d);
    c.arg("--help");
    assert_eq!(run(c).code, 0);

    let mut c = sfprov(d);
    c.args(["generate", "--template", "zendesk", "-d", "zm"]);
    let r = run(c);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let first = r
        .stdout
        .lines()
        .next()
        .unwrap()
        .trim_start_matches("created ")
        .to_string();
    assert!(
        d.join(&first).is_file(),
        "{first} is not a path from the working directory"
    );

    std::fs::create_dir_all(d.join("part/force-app/main/default")).unwrap();
    std::fs::write(d.join("part/force-app/main/default/settings"), "").unwrap();
    let mut c = sfprov(d);
    c.args(["generate", "--template", "zendesk", "-d", "part"]);
    let r = run(c);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("settings` exists and is not a directory"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("nothing was written"), "{}", r.stderr);
    assert!(!d.join("part/force-app/main/default/profiles").exists());
    assert_eq!(
        r.stderr.matches("exists and is not a directory").count(),
        1,
        "{}",
        r.stderr
    );
}

/// Files of types sfprov does not manage are reported as skipped, never
/// counted as checked.
#[test]
fn fmt_reports_unmanaged_types_as_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let classes = dir.path().join("fb/classes");
    std::fs::create_dir_all(&classes).unwrap();
    std::fs::write(classes.join("A.cls-meta.xml"), "<ApexClass xmlns=\"http://soap.sforce.com/2006/04/metadata\"><status>Active</status><apiVersion>63.0</apiVersion></ApexClass>").unwrap();
    let mut c = sfprov(dir.path());
    c.args(["fmt", "--check", "fb"]);
    let r = run(c);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("0 files checked"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("1 metadata file of types sfprov does not manage skipped"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("no metadata files sfprov manages were found"),
        "{}",
        r.stderr
    );
    let mut c = sfprov(dir.path());
    c.args(["fmt", "fb/classes/A.cls-meta.xml"]);
    let r = run(c);
    assert!(r.stderr.contains("skipped"), "{}", r.stderr);
    assert!(std::fs::read_to_string(classes.join("A.cls-meta.xml"))
        .unwrap()
        .starts_with("<ApexClass"));
}
