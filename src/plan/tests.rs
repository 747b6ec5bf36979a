//! Unit tests of the plan value and its building against a directory org.

use std::path::PathBuf;

use super::*;
use crate::org::dir::DirOrg;

fn golden(template: &str, layout: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("golden")
        .join(template)
        .join(layout)
}

fn plan_against_dir(template: &str, dir: &std::path::Path) -> Plan {
    let d = crate::spec::load_template(template).unwrap().desired;
    let org = DirOrg::open(dir).unwrap();
    build(
        &d,
        &org,
        &Options {
            spec_name: format!("template {template}"),
            spec_text: String::new(),
            view: View::default(),
        },
    )
    .unwrap()
}

#[test]
fn golden_trees_plan_no_changes() {
    for t in crate::templates::all() {
        for layout in ["source", "mdapi"] {
            let p = plan_against_dir(t.name, &golden(t.name, layout));
            assert!(
                !p.has_changes(),
                "{} {layout}: {}",
                t.name,
                crate::render::plan::human(&p)
            );
            assert!(!p.has_errors(), "{}", crate::render::plan::human(&p));
        }
    }
}

#[test]
fn an_empty_directory_plans_everything_as_created() {
    let dir = tempfile::tempdir().unwrap();
    let p = plan_against_dir("zendesk", dir.path());
    assert!(p.has_changes());
    assert!(p
        .components
        .iter()
        .all(|c| c.action == ComponentAction::Create));
    let ps = p
        .components
        .iter()
        .find(|c| c.type_name == "PermissionSet")
        .unwrap();
    let subject = ps.changes.iter().find(|c| c.key == "Case.Subject").unwrap();
    assert_eq!(
        subject.reason.as_deref(),
        Some("Ticket-to-case sync writes the ticket subject")
    );
    // The managed Zendesk app is not in the directory: a manual step.
    assert_eq!(p.manual_steps.len(), 1);
    assert!(p.manual_steps[0]
        .where_in_setup
        .contains("Manage Connected Apps > Zendesk"));
}

#[test]
fn an_extra_permission_in_a_permission_set_is_destructive() {
    let dir = tempfile::tempdir().unwrap();
    let src = golden("zendesk", "mdapi");
    copy_tree(&src, dir.path());
    let ps = dir
        .path()
        .join("permissionsets/Zendesk_Integration.permissionset");
    let text = std::fs::read_to_string(&ps).unwrap().replace(
        "<userPermissions>",
        "<userPermissions>\n        <enabled>true</enabled>\n        <name>ModifyAllData</name>\n    </userPermissions>\n    <userPermissions>",
    );
    std::fs::write(&ps, text).unwrap();
    let p = plan_against_dir("zendesk", dir.path());
    let s = p.summary();
    assert_eq!((s.add, s.change, s.remove, s.destructive), (0, 0, 1, 1));
    let human = crate::render::plan::human(&p);
    assert!(human.contains("- userPermissions ModifyAllData"), "{human}");
    assert!(
        human.contains("Plan: 0 to add, 0 to change, 1 to remove."),
        "{human}"
    );
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_tree(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}
