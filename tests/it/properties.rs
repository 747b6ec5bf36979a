//! Property tests (proptest) over random PermissionSet and Profile documents:
//! canonicalize ignores order, a document has no diff with itself, applying a
//! deploy diff's changes yields the deployed effective access (PermissionSet
//! replaces, Profile overlays), and a plan survives its JSON file unchanged.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::test_runner::Config;

use sfprov::catalog::{STANDARD_OBJECTS, USER_PERMISSIONS};
use sfprov::diff::{self, Action, Mode};
use sfprov::metadata::schema::registry_for_type;
use sfprov::metadata::{self, Document, Element};
use sfprov::plan::{self, ComponentPlan, DesiredDocument, Plan, PlannedChange};

use crate::common::{shuffle, Rng};

/// Which type a random document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    PermissionSet,
    Profile,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::PermissionSet => "PermissionSet",
            Kind::Profile => "Profile",
        }
    }
}

/// The parts of a random document, keyed so no section repeats a key.
#[derive(Debug, Clone)]
struct Parts {
    kind: Kind,
    /// label (PermissionSet) or custom (Profile).
    head: Option<String>,
    user: BTreeMap<String, bool>,
    objects: BTreeMap<String, [bool; 6]>,
    fields: BTreeMap<String, [bool; 2]>,
    classes: BTreeMap<String, bool>,
    pages: BTreeMap<String, bool>,
}

const OBJECT_FLAGS: [&str; 6] = [
    "allowCreate",
    "allowDelete",
    "allowEdit",
    "allowRead",
    "modifyAllRecords",
    "viewAllRecords",
];

fn b(v: bool) -> String {
    v.to_string()
}

impl Parts {
    fn document(&self) -> Document<'static> {
        let mut children = Vec::new();
        match (self.kind, &self.head) {
            (Kind::PermissionSet, Some(l)) => children.push(Element::text("label", l.clone())),
            (Kind::Profile, Some(c)) => children.push(Element::text("custom", c.clone())),
            _ => {}
        }
        for (name, on) in &self.user {
            children.push(Element::with_children(
                "userPermissions",
                vec![
                    Element::text("enabled", b(*on)),
                    Element::text("name", name.clone()),
                ],
            ));
        }
        for (object, flags) in &self.objects {
            let mut kids: Vec<Element<'static>> = OBJECT_FLAGS
                .iter()
                .zip(flags)
                .map(|(f, v)| Element::text(*f, b(*v)))
                .collect();
            kids.push(Element::text("object", object.clone()));
            children.push(Element::with_children("objectPermissions", kids));
        }
        for (field, [edit, read]) in &self.fields {
            children.push(Element::with_children(
                "fieldPermissions",
                vec![
                    Element::text("editable", b(*edit)),
                    Element::text("field", field.clone()),
                    Element::text("readable", b(*read)),
                ],
            ));
        }
        for (class, on) in &self.classes {
            children.push(Element::with_children(
                "classAccesses",
                vec![
                    Element::text("apexClass", class.clone()),
                    Element::text("enabled", b(*on)),
                ],
            ));
        }
        for (page, on) in &self.pages {
            children.push(Element::with_children(
                "pageAccesses",
                vec![
                    Element::text("apexPage", page.clone()),
                    Element::text("enabled", b(*on)),
                ],
            ));
        }
        Document::new(self.kind.name(), children)
    }
}

/// A name from a small pool, so two random documents share keys often.
fn pick(pool: &'static [&'static str], n: usize) -> impl Strategy<Value = String> {
    (0..pool.len().min(n)).prop_map(move |i| pool[i].to_string())
}

const CLASSES: &[&str] = &["Api", "Zendesk__Sync", "MyClass", "a_b_c", "X1"];
const PAGES: &[&str] = &["Home", "Zendesk__Setup", "ConfigPage", "P"];
const FIELDS: &[&str] = &[
    "Account.Industry",
    "Contact.Email",
    "Case.Origin",
    "Widget__c.Size__c",
    "Account.Site",
    "Contact.Title",
];
const LABELS: &[&str] = &["Integration", "A & B <c>", "ünïcödé", "  spaced  "];

fn parts(kind: Kind) -> impl Strategy<Value = Parts> {
    let head = match kind {
        Kind::PermissionSet => proptest::option::of(pick(LABELS, LABELS.len())).boxed(),
        Kind::Profile => proptest::option::of(any::<bool>().prop_map(b)).boxed(),
    };
    (
        head,
        proptest::collection::btree_map(pick(USER_PERMISSIONS, 24), any::<bool>(), 0..8),
        proptest::collection::btree_map(pick(STANDARD_OBJECTS, 12), any::<[bool; 6]>(), 0..5),
        proptest::collection::btree_map(pick(FIELDS, FIELDS.len()), any::<[bool; 2]>(), 0..5),
        proptest::collection::btree_map(pick(CLASSES, CLASSES.len()), any::<bool>(), 0..4),
        proptest::collection::btree_map(pick(PAGES, PAGES.len()), any::<bool>(), 0..4),
    )
        .prop_map(move |(head, user, objects, fields, classes, pages)| Parts {
            kind,
            head,
            user,
            objects,
            fields,
            classes,
            pages,
        })
}

fn any_kind() -> impl Strategy<Value = Kind> {
    prop_oneof![Just(Kind::PermissionSet), Just(Kind::Profile)]
}

/// Two random documents of the same type.
fn pair() -> impl Strategy<Value = (Parts, Parts)> {
    any_kind().prop_flat_map(|k| (parts(k), parts(k)))
}

fn canonical(doc: &Document<'_>) -> Vec<u8> {
    let mut d = doc.clone();
    metadata::to_canonical_bytes(&mut d)
}

/// Effective access: (section, key) -> the values that are not `false`;
/// an entry (or a simple value) that grants nothing is absent.
type Access = BTreeMap<(String, String), BTreeMap<String, String>>;

fn effective(p: &Parts) -> Access {
    let doc = p.document();
    let mut out = Access::new();
    for c in doc.root.children() {
        let (key_names, section): (&[&str], &str) = match c.name.as_ref() {
            "userPermissions" => (&["name"], "userPermissions"),
            "objectPermissions" => (&["object"], "objectPermissions"),
            "fieldPermissions" => (&["field"], "fieldPermissions"),
            "classAccesses" => (&["apexClass"], "classAccesses"),
            "pageAccesses" => (&["apexPage"], "pageAccesses"),
            other => {
                let v = c.text_value().unwrap_or("").to_string();
                if v != "false" {
                    out.insert(
                        (other.to_string(), String::new()),
                        BTreeMap::from([(String::new(), v)]),
                    );
                }
                continue;
            }
        };
        let key = c.child_text(key_names[0]).unwrap_or("").to_string();
        let values: BTreeMap<String, String> = c
            .children()
            .iter()
            .filter(|k| !key_names.contains(&k.name.as_ref()))
            .filter_map(|k| {
                let v = k.text_value().unwrap_or("");
                (v != "false").then(|| (k.name.to_string(), v.to_string()))
            })
            .collect();
        if !values.is_empty() {
            out.insert((section.to_string(), key), values);
        }
    }
    out
}

/// Applies the counted changes of a deploy diff to `a`'s effective access.
fn apply_changes(mut access: Access, changes: &[diff::Change]) -> Access {
    for c in changes.iter().filter(|c| !c.unmanaged) {
        let slot = (c.section.clone(), c.key.clone());
        match c.action {
            Action::Remove => {
                access.remove(&slot);
            }
            Action::Add | Action::Change => {
                let entry = access.entry(slot.clone()).or_default();
                for f in &c.fields {
                    match f.after.as_deref() {
                        Some(v) if v != "false" => {
                            entry.insert(f.name.clone(), v.to_string());
                        }
                        _ => {
                            entry.remove(&f.name);
                        }
                    }
                }
                if entry.is_empty() {
                    access.remove(&slot);
                }
            }
        }
    }
    access
}

/// What the org has after deploying `b` over `a`: PermissionSet replaces,
/// Profile overlays entry by entry (every generated entry names all its flags).
fn deployed(a: &Parts, b: &Parts) -> Access {
    match b.kind {
        Kind::PermissionSet => effective(b),
        Kind::Profile => {
            let mut out = effective(a);
            let b_doc = b.document();
            let b_access = effective(b);
            for c in b_doc.root.children() {
                let key = ["name", "object", "field", "apexClass", "apexPage"]
                    .iter()
                    .find_map(|k| c.child_text(k))
                    .filter(|_| !matches!(c.content, metadata::Content::Text(_)))
                    .unwrap_or("")
                    .to_string();
                let slot = (c.name.to_string(), key);
                match b_access.get(&slot) {
                    Some(v) => out.insert(slot, v.clone()),
                    None => out.remove(&slot),
                };
            }
            out
        }
    }
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config(192))]

    /// (a) Canonical bytes do not depend on the order of children.
    #[test]
    fn canonicalize_ignores_shuffling(p in any_kind().prop_flat_map(parts), seed in any::<u64>()) {
        let doc = p.document();
        let mut shuffled = doc.clone();
        shuffle(&mut shuffled, &mut Rng::new(seed));
        prop_assert_eq!(
            String::from_utf8(canonical(&shuffled)).unwrap(),
            String::from_utf8(canonical(&doc)).unwrap()
        );
        // And the canonical bytes read back to the same canonical bytes.
        let again = metadata::canonical_bytes(&canonical(&doc)).unwrap();
        prop_assert_eq!(again, canonical(&doc));
    }

    /// (b) A document has no differences with itself, nor with a shuffle of it.
    #[test]
    fn diff_with_itself_is_empty(p in any_kind().prop_flat_map(parts), seed in any::<u64>()) {
        let ty = registry_for_type(p.kind.name()).unwrap();
        let doc = p.document();
        let mut shuffled = doc.clone();
        shuffle(&mut shuffled, &mut Rng::new(seed));
        for mode in [Mode::Files, Mode::Deploy] {
            for other in [&doc, &shuffled] {
                let d = diff::component(ty, "X", Some(&doc), Some(other), mode);
                prop_assert!(d.changes.is_empty(), "{:?}: {:?}", mode, d.changes);
                prop_assert_eq!(d.action, diff::ComponentAction::Unchanged);
            }
        }
    }

    /// (c) The changes of diff(a, b) applied to a give what deploying b over a
    /// gives: b's effective access (PermissionSet), a overlaid with b (Profile).
    #[test]
    fn applying_a_deploy_diff_gives_the_deployed_access((a, b) in pair()) {
        let ty = registry_for_type(a.kind.name()).unwrap();
        let d = diff::component(ty, "X", Some(&a.document()), Some(&b.document()), Mode::Deploy);
        prop_assert_eq!(apply_changes(effective(&a), &d.changes), deployed(&a, &b));
        // Files mode: every difference counts both ways, so a becomes b.
        let f = diff::component(ty, "X", Some(&a.document()), Some(&b.document()), Mode::Files);
        prop_assert_eq!(apply_changes(effective(&a), &f.changes), effective(&b));
    }
}

/// A plan made of the diff of two random documents, with random text where
/// people and orgs put text.
fn random_plan(a: &Parts, b: &Parts, text: String, n: u64) -> Plan {
    let bit = |k: u32| (n >> k) & 1 == 1;
    let ty = registry_for_type(a.kind.name()).unwrap();
    let d = diff::component(
        ty,
        &text,
        Some(&a.document()),
        Some(&b.document()),
        Mode::Deploy,
    );
    let changes = d
        .changes
        .iter()
        .map(|c| PlannedChange {
            section: c.section.clone(),
            key: c.key.clone(),
            action: c.action,
            fields: c.fields.clone(),
            destructive: c.destructive,
            unmanaged: c.unmanaged,
            reason: bit(0).then(|| text.clone()),
            implied: bit(1),
        })
        .collect();
    let xml = String::from_utf8(canonical(&b.document())).unwrap();
    Plan {
        format_version: plan::FORMAT_VERSION,
        sfprov_version: env!("CARGO_PKG_VERSION").into(),
        spec: format!("{text}.toml"),
        spec_digest: format!("{n:064x}"),
        org: plan::OrgRef {
            label: text.clone(),
            kind: "org".into(),
            org_id: (!bit(2)).then(|| format!("00D{n}")),
            api_version: "63.0".into(),
        },
        view: plan::View {
            show_unmanaged: bit(6),
            diff: bit(3),
        },
        components: vec![ComponentPlan {
            type_name: d.type_name.clone(),
            member: d.member.clone(),
            action: d.action,
            changes,
            unified_diff: bit(4).then(|| format!("--- a\n+++ b\n-{text}\n")),
        }],
        manual_steps: vec![plan::ManualStep {
            title: text.clone(),
            what: vec![text.clone(), String::new()],
            where_in_setup: "Setup > X".into(),
            why: None,
            checks: vec![(text.clone(), bit(5))],
        }],
        app_access: Vec::new(),
        user: None,
        user_note: Some(text.clone()),
        findings: vec![plan::Finding {
            severity: plan::Severity::Warning,
            message: text.clone(),
            hint: Some(text.clone()),
        }],
        fingerprints: BTreeMap::from([(format!("{}/{text}", d.type_name), format!("{n:x}"))]),
        desired: vec![DesiredDocument {
            type_name: d.type_name,
            member: text,
            xml,
        }],
        requests: Default::default(),
    }
}

proptest! {
    #![proptest_config(config(64))]

    /// (d) A plan written to a plan file reads back as the same plan.
    #[test]
    fn a_plan_file_reads_back_as_the_same_plan(
        (a, b) in pair(),
        text in "\\PC{0,24}",
        n in any::<u64>(),
    ) {
        let plan = random_plan(&a, &b, text, n);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        plan::file::save(&path, &plan).unwrap();
        let back = plan::file::load(&path).unwrap();
        prop_assert_eq!(back, plan);
    }
}
