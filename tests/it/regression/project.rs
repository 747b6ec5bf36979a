//! Regressions in the command line and project discovery (issue 7, items 13,
//! 14 and 16): `-o` is the org everywhere, the output directory is `-d`; an
//! existing sf project (found upward, as sf finds it) decides where generate
//! writes and where the local org lives; the README installs from the lock file.

use std::path::Path;

use crate::common::{root, run, sfprov, tree};

fn go(dir: &Path, args: &[&str]) -> crate::common::Run {
    let mut c = sfprov(dir);
    c.args(args);
    run(c)
}

/// Item 13: `generate -o prod`, from sf habit, wrote a directory named `prod`.
/// `-o` is `--target-org` in every command; the output directory is `-d`.
#[test]
fn issue_07_o_is_the_org_and_d_the_output_dir() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    let r = go(d, &["generate", "--template", "zendesk", "-o", "prod"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(!d.join("prod").exists(), "generate -o wrote a directory");
    assert!(r.stderr.contains("--target-org"), "{}", r.stderr);
    assert!(r.stderr.contains("hint:") && r.stderr.contains("-d prod"));
    assert!(!r.stderr.contains("panicked"));
    assert_eq!(tree(d).len(), 0, "nothing may be written");

    for flag in ["-d", "--output-dir", "--out"] {
        let r = go(d, &["generate", "--template", "classy", flag, "x"]);
        assert_eq!(r.code, 0, "{flag}: {}", r.stderr);
        assert!(d.join("x/sfdx-project.json").is_file(), "{flag}");
        std::fs::remove_dir_all(d.join("x")).unwrap();
    }

    // init: the spec is a file (`--spec`, as generate reads it); `-d` is
    // the directory it goes in; `-o` is refused the same way.
    let r = go(d, &["init", "--template", "zendesk", "-o", "prod"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("--target-org"), "{}", r.stderr);
    assert!(!d.join("prod").exists());
    let r = go(d, &["init", "--template", "zendesk", "-d", "sub"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(d.join("sub/sfprov.toml").is_file());
    let r = go(
        d,
        &["init", "--template", "classy", "--spec", "classy.toml"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(d.join("classy.toml").is_file());
    assert!(r.stderr.contains("--spec classy.toml"), "{}", r.stderr);

    // org info keeps -o as the org (no login here: the error names it).
    let r = go(d, &["org", "info", "-o", "nosuchalias"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("nosuchalias"), "{}", r.stderr);
}

const SFDX: &str = r#"{
  "packageDirectories": [
    { "path": "force-app" },
    { "path": "packages/integrations", "default": true }
  ],
  "name": "acme",
  "sourceApiVersion": "62.0"
}
"#;

/// Item 14: in an sf project whose default package directory is
/// `packages/integrations`, generate wrote `force-app/...`, which sf does not
/// deploy, and said nothing about the project's API version. Run from a
/// subdirectory, it must find the project (and the spec) upward.
#[test]
fn issue_07_generate_writes_into_the_projects_default_package_directory() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("sfdx-project.json"), SFDX).unwrap();
    std::fs::write(d.join("sfprov.toml"), "template = \"zendesk\"\n").unwrap();
    let sub = d.join("packages/integrations/main");
    std::fs::create_dir_all(&sub).unwrap();

    let r = go(&sub, &["generate"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let profile =
        "packages/integrations/main/default/profiles/Zendesk Integration.profile-meta.xml";
    assert!(d.join(profile).is_file(), "{}", r.stdout);
    assert!(!d.join("force-app").exists());
    assert!(!sub.join("force-app").exists() && !sub.join("sfdx-project.json").exists());
    // stdout paths are from the working directory.
    assert!(
        r.stdout.contains(&format!("created ../../../{profile}")),
        "{}",
        r.stdout
    );
    assert_eq!(
        std::fs::read_to_string(d.join("sfdx-project.json")).unwrap(),
        SFDX
    );
    assert!(
        r.stderr.contains("warning:")
            && r.stderr.contains("sourceApiVersion")
            && r.stderr.contains("62.0"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("sfdx-project.json:7:3"), "{}", r.stderr);

    // Explicit -d wins over the project root.
    let r = go(&sub, &["generate", "-d", "elsewhere"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(sub.join("elsewhere/force-app/main/default").is_dir());
}

/// Item 14: an sfdx-project.json that is not valid JSON, or has no
/// packageDirectories, is an error naming file:line:col, and nothing is written.
#[test]
fn issue_07_a_broken_sfdx_project_json_is_an_error_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases = [
        (
            "{\n  \"packageDirectories\": [\n    { \"path\": \"force-app\", }\n  ]\n}\n",
            "sfdx-project.json:3:",
        ),
        ("{\n  \"name\": \"acme\"\n}\n", "sfdx-project.json:1:1"),
        (
            "{\n  \"packageDirectories\": []\n}\n",
            "sfdx-project.json:2:3",
        ),
    ];
    for (text, at) in cases {
        std::fs::write(d.join("sfdx-project.json"), text).unwrap();
        let r = go(d, &["generate", "--template", "zendesk"]);
        assert_eq!(r.code, 1, "{text}: {}", r.stderr);
        assert!(r.stderr.contains(at), "{text}: {}", r.stderr);
        assert!(r.stderr.contains("hint:"), "{}", r.stderr);
        assert!(!r.stderr.contains("panicked"));
        assert_eq!(tree(d).len(), 1, "only sfdx-project.json: {text}");
    }
}

/// Item 14: `--target-org local` keeps one org per project, under the
/// project root, whichever subdirectory it runs from.
#[test]
fn issue_07_the_local_org_lives_under_the_project_root() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("sfdx-project.json"), SFDX).unwrap();
    let sub = d.join("packages/integrations");
    std::fs::create_dir_all(&sub).unwrap();
    let r = go(&sub, &["org", "info", "--target-org", "local"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(d.join(".sfprov/local-org").is_dir());
    assert!(!sub.join(".sfprov").exists());
}

/// Item 16: the install line ignored Cargo.lock; the README did not say what
/// the tests need besides Rust.
#[test]
fn issue_07_readme_installs_from_the_lock_file_and_names_test_tools() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(readme.contains("cargo install --locked --path ."));
    assert!(!readme.contains("cargo install --path ."));
    for tool in ["xmllint", "openssl", "procps", "kill", ".ci/run"] {
        assert!(readme.contains(tool), "README does not mention {tool}");
    }
    let ci = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    for pkg in ["libxml2-utils", "openssl", "procps"] {
        assert!(ci.contains(pkg), ".ci/run does not install {pkg}");
    }
}
