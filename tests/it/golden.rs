//! Golden trees: for every template, the full generated tree in both formats,
//! compared byte for byte and by file list. `SFPROV_BLESS=1 cargo test`
//! rewrites them (refused under CI); review the diff before committing.

use std::collections::BTreeMap;
use std::path::PathBuf;

use sfprov::generate::{self, Format};
use sfprov::{spec, templates};

use crate::common::{root, tree};

fn generated(template: &str, format: Format) -> (tempfile::TempDir, BTreeMap<String, Vec<u8>>) {
    let loaded = spec::load_template(template).unwrap();
    let files = generate::render(&loaded.desired, format);
    let dir = tempfile::tempdir().unwrap();
    generate::write_tree(dir.path(), &files, format, &loaded.desired.api_version).unwrap();
    let t = tree(dir.path());
    (dir, t)
}

fn golden_dir(template: &str, format: &str) -> PathBuf {
    root().join("golden").join(template).join(format)
}

#[test]
fn golden_trees_match() {
    let bless = std::env::var_os("SFPROV_BLESS").is_some_and(|v| v == "1");
    if bless && std::env::var_os("CI").is_some() {
        panic!(
            "SFPROV_BLESS=1 is refused under CI: golden files change only on a developer's request"
        );
    }
    let mut failures = Vec::new();
    for t in templates::all() {
        for (format, fname) in [(Format::Source, "source"), (Format::Mdapi, "mdapi")] {
            let (_tmp, actual) = generated(t.name, format);
            let dir = golden_dir(t.name, fname);
            if bless {
                let _ = std::fs::remove_dir_all(&dir);
                for (rel, bytes) in &actual {
                    let p = dir.join(rel);
                    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                    std::fs::write(p, bytes).unwrap();
                }
                continue;
            }
            let expected = tree(&dir);
            let (a, e): (Vec<&String>, Vec<&String>) =
                (actual.keys().collect(), expected.keys().collect());
            if a != e {
                failures.push(format!(
                    "{}/{fname}: file list differs\n  generated: {a:?}\n  golden:    {e:?}",
                    t.name
                ));
                continue;
            }
            for (rel, bytes) in &actual {
                if expected[rel] != *bytes {
                    let diff = similar::TextDiff::from_lines(
                        std::str::from_utf8(&expected[rel]).unwrap(),
                        std::str::from_utf8(bytes).unwrap(),
                    )
                    .unified_diff()
                    .header(&format!("golden/{}/{fname}/{rel}", t.name), "generated")
                    .to_string();
                    failures.push(diff);
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{}\nhint: if the change is intended, run `SFPROV_BLESS=1 cargo test golden` and review `git diff golden/`",
        failures.join("\n")
    );
}

#[test]
fn generation_is_deterministic() {
    for t in templates::all() {
        let a = generated(t.name, Format::Mdapi).1;
        let b = generated(t.name, Format::Mdapi).1;
        assert_eq!(a, b);
    }
}

#[test]
fn golden_files_validate_against_the_metadata_xsd() {
    if std::process::Command::new("xmllint")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: xmllint not installed (apt-get install -y libxml2-utils); .ci/run installs it");
        return;
    }
    let xsd = root().join("schema/metadata.xsd");
    let mut checked = 0;
    for (rel, _) in tree(&root().join("golden")) {
        if rel.ends_with(".json") || rel.ends_with(".md") {
            continue;
        }
        let path = root().join("golden").join(&rel);
        let out = std::process::Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(&xsd)
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{rel}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        checked += 1;
    }
    assert!(checked >= 16, "only {checked} golden XML files");
}
