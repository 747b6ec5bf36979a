//! Page wildcards: `pages = { namespace = "Zendesk", why = "…" }` resolved
//! against the org (listMetadata ApexPage: the emulator's seed installs the
//! Zendesk package with four pages), against `--org-dir` (its `pages/`),
//! and not at all by generate, which says so.

use super::*;
use crate::common::{root, run, sfprov};

const PAGES_WHY: &str =
    "Users other than admins open the Zendesk package's pages (ticket view, settings, sync)";

/// The four pages the seed's Zendesk package installs.
const SEEDED: [&str; 4] = [
    "Zendesk__ZendeskOAuth",
    "Zendesk__ZendeskOrgSync",
    "Zendesk__ZendeskSettings",
    "Zendesk__ZendeskTicketList",
];

#[test]
fn the_zendesk_template_grants_every_page_of_its_package() {
    let dir = tempfile::tempdir().unwrap();
    let h = start();
    let r = plan(dir.path(), &h, &["--template", "zendesk"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // One line for the package's pages: they share the namespace and reason.
    let names: Vec<&str> = SEEDED
        .iter()
        .map(|p| p.trim_start_matches("Zendesk__"))
        .collect();
    let line = format!(
        "      + pageAccesses Zendesk__{{{}}}  # {PAGES_WHY}\n",
        names.join(", ")
    );
    assert!(r.stdout.contains(&line), "{line}{}", r.stdout);
    let j = plan(dir.path(), &h, &["--template", "zendesk", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    let ps = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "PermissionSet")
        .unwrap();
    let pages: Vec<&str> = ps["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["section"] == "pageAccesses")
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    assert_eq!(pages, SEEDED);
    // Deployed with its pages: nothing left, and the page list is
    // fingerprinted (a package upgrade adding a page changes it).
    deploy_template(&h, "zendesk");
    let out = dir.path().join("p.json");
    let r = plan(
        dir.path(),
        &h,
        &["--template", "zendesk", "--out", out.to_str().unwrap()],
    );
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert!(
        saved["fingerprints"]["ApexPage/namespace:Zendesk"].is_string(),
        "{}",
        saved["fingerprints"]
    );
}

#[test]
fn a_namespace_with_no_page_in_the_org_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let h = start();
    std::fs::write(
        dir.path().join("sfprov.toml"),
        "template = \"zendesk\"\n\n[permission_sets.Zendesk_Integration]\npages.namespace = \"Zendesk2\"\n",
    )
    .unwrap();
    let r = plan(dir.path(), &h, &[]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("error: the org has no Visualforce page in namespace `Zendesk2`, which permission set `Zendesk_Integration` grants"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("hint: install the package first (Setup > Installed Packages"),
        "{}",
        r.stdout
    );
}

#[test]
fn an_invalid_namespace_is_a_spec_error_at_its_position() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sfprov.toml"),
        "template = \"zendesk\"\n\n[permission_sets.Zendesk_Integration]\npages.namespace = \"Zendesk__\"\n",
    )
    .unwrap();
    let mut c = sfprov(dir.path());
    c.args(["plan", "--org-dir"]).arg(dir.path());
    let r = run(c);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("sfprov.toml:4:7"),
        "file:line:col of the value's key: {}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("`Zendesk__` is not a valid namespace prefix"),
        "{}",
        r.stderr
    );
}

#[test]
fn org_dir_resolves_the_namespace_from_its_pages() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    copy_dir(&root().join("golden/zendesk/source"), &tree);
    let pages = tree.join("force-app/main/default/pages");
    std::fs::create_dir_all(&pages).unwrap();
    for p in ["Zendesk__TicketView", "Acme_Home"] {
        std::fs::write(
            pages.join(format!("{p}.page-meta.xml")),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ApexPage xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n    <label>x</label>\n</ApexPage>\n",
        )
        .unwrap();
    }
    let mut c = sfprov(dir.path());
    c.args(["plan", "--template", "zendesk", "--org-dir"])
        .arg(&tree);
    let r = run(c);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(&format!(
            "+ pageAccesses Zendesk__TicketView  # {PAGES_WHY}"
        )),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("Acme_Home"), "{}", r.stdout);

    // The golden tree has no pages: the wildcard is a note, not an error.
    let mut c = sfprov(dir.path());
    c.args(["plan", "--template", "zendesk", "--org-dir"])
        .arg(root().join("golden/zendesk/mdapi"));
    let r = run(c);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("note: the pages of namespace `Zendesk` (permission set `Zendesk_Integration`) were not resolved"),
        "{}",
        r.stdout
    );
}

#[test]
fn generate_says_it_cannot_resolve_a_namespace_and_writes_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = sfprov(dir.path());
    c.args([
        "generate",
        "--template",
        "zendesk",
        "--format",
        "mdapi",
        "-d",
    ])
    .arg(dir.path().join("out"));
    let r = run(c);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("note: permission set Zendesk_Integration: the pages of namespace `Zendesk` are not written: generate has no org to list them from; `sfprov plan -o ORG` resolves them"),
        "{}",
        r.stderr
    );
    let ps = std::fs::read_to_string(
        dir.path()
            .join("out/permissionsets/Zendesk_Integration.permissionset"),
    )
    .unwrap();
    assert!(!ps.contains("pageAccesses"), "{ps}");
    assert!(ps.contains("<name>ApiEnabled</name>"), "{ps}");
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}
