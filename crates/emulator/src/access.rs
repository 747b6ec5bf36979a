//! Profile and PermissionSet access rules, as Salesforce applies them.
//! Owns: overlaying a deployed Profile on the stored one, normalizing stored
//! access to grants only, checking references and permission grants (with
//! Salesforce's exact problem strings), merging Settings, and cutting a
//! Profile down to what a retrieve names.
//! Does not: read zips or build responses.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::state::{str_field, OrgState};
use sfprov_metadata::schema::{self, Key, Retrieve, TypeSchema};
use sfprov_metadata::{Content, Element};

type El = Element<'static>;

/// The key values of a repeated entry (`fieldPermissions` -> its `field`).
fn entry_key(ty: &TypeSchema, e: &El) -> Option<Vec<String>> {
    match ty.field(&e.name)?.1.key {
        Key::Fields(names) => Some(
            names
                .iter()
                .map(|n| e.child_text(n).unwrap_or("").to_string())
                .collect(),
        ),
        _ => None,
    }
}

/// Profile deploy (and PermissionSet before API 40.0): entries the file names
/// replace (field by field) the stored ones; everything the file does not
/// mention stays as it was.
pub fn overlay(old: &mut El, new: &Element<'_>, type_name: &str) {
    let ty =
        schema::type_named(type_name).expect("Profile and PermissionSet are in the schema table");
    let mut replaced_groups: BTreeSet<String> = BTreeSet::new();
    for c in new.children() {
        let c = c.clone().into_owned();
        let field = ty.field(&c.name).map(|(_, f)| f);
        let olds = old.children_mut();
        match field.map(|f| (f.many, f.key)) {
            Some((true, Key::Fields(_))) => {
                let key = entry_key(ty, &c);
                match olds
                    .iter_mut()
                    .find(|o| o.name == c.name && entry_key(ty, o) == key)
                {
                    Some(o) => {
                        for part in c.children() {
                            let kids = o.children_mut();
                            match kids.iter_mut().find(|k| k.name == part.name) {
                                Some(k) => *k = part.clone(),
                                None => kids.push(part.clone()),
                            }
                        }
                    }
                    None => olds.push(c),
                }
            }
            Some((true, _)) => {
                // Ordered or text lists (loginIpRanges): the file's list wins.
                if replaced_groups.insert(c.name.to_string()) {
                    olds.retain(|o| o.name != c.name);
                }
                olds.push(c);
            }
            _ => {
                olds.retain(|o| o.name != c.name);
                olds.push(c);
            }
        }
    }
}

fn is_true(e: &El, name: &str) -> bool {
    e.child_text(name) == Some("true")
}

/// Keeps grants only: a disabled permission or an all-false entry is the
/// same as no entry in Salesforce's storage.
pub fn normalize(root: &mut El) {
    root.children_mut().retain(|c| match c.name.as_ref() {
        "userPermissions" | "pageAccesses" | "classAccesses" | "customPermissions"
        | "flowAccesses" => is_true(c, "enabled"),
        "objectPermissions" => [
            "allowCreate",
            "allowDelete",
            "allowEdit",
            "allowRead",
            "modifyAllRecords",
            "viewAllRecords",
        ]
        .iter()
        .any(|f| is_true(c, f)),
        "fieldPermissions" => is_true(c, "readable") || is_true(c, "editable"),
        _ => true,
    });
}

fn entries<'e>(root: &'e El, name: &'e str) -> impl Iterator<Item = &'e El> + 'e {
    root.children().iter().filter(move |c| c.name == name)
}

/// The full name of an ApexPage/ApexClass row (`Zendesk__ZendeskOAuth`).
fn full_name(r: &serde_json::Map<String, Value>) -> String {
    match r.get("NamespacePrefix").and_then(Value::as_str) {
        Some(ns) if !ns.is_empty() => format!("{ns}__{}", str_field(r, "Name")),
        _ => str_field(r, "Name").to_string(),
    }
}

pub fn has_code(st: &OrgState, sobject: &str, name: &str) -> bool {
    st.rows(sobject).iter().any(|r| full_name(r) == name)
}

/// Every ApexPage / ApexClass full name.
pub fn code_names(st: &OrgState, sobject: &str) -> Vec<String> {
    st.rows(sobject).iter().map(full_name).collect()
}

/// Mirrors a permission set's (or profile's owned set's) page and class
/// access into SetupEntityAccess rows, as Salesforce stores them.
pub fn sync_setup_access(st: &mut OrgState, parent_id: &str, root: &El) {
    let mut grants = Vec::new();
    for (entry, key, sobject) in [
        ("pageAccesses", "apexPage", "ApexPage"),
        ("classAccesses", "apexClass", "ApexClass"),
    ] {
        for e in entries(root, entry).filter(|e| is_true(e, "enabled")) {
            let name = e.child_text(key).unwrap_or("");
            if let Some(r) = st.rows(sobject).iter().find(|r| full_name(r) == name) {
                grants.push((super::state::id_of(r).to_string(), sobject));
            }
        }
    }
    if let Some(rows) = st.records.get_mut("SetupEntityAccess") {
        rows.retain(|r| {
            !(super::ids::same(str_field(r, "ParentId"), parent_id)
                && matches!(str_field(r, "SetupEntityType"), "ApexPage" | "ApexClass"))
        });
    }
    for (id, sobject) in grants {
        st.insert(
            "SetupEntityAccess",
            super::state::rec(&[
                ("ParentId", serde_json::json!(parent_id)),
                ("SetupEntityId", serde_json::json!(id)),
                ("SetupEntityType", serde_json::json!(sobject)),
            ]),
        );
    }
}

/// References in a deployed file that must exist in the org.
pub fn check_refs(st: &OrgState, root: &Element<'_>) -> Vec<String> {
    let root = root.clone().into_owned();
    let mut out = Vec::new();
    for p in entries(&root, "userPermissions") {
        let name = p.child_text("name").unwrap_or("");
        if !st.seed.is_permission(name) {
            out.push(format!("Unknown user permission: {name}"));
        }
    }
    for o in entries(&root, "objectPermissions") {
        let name = o.child_text("object").unwrap_or("");
        if st.seed.object(name).is_none() {
            out.push(format!(
                "In field: object - no CustomObject named {name} found"
            ));
        }
    }
    for f in entries(&root, "fieldPermissions") {
        let name = f.child_text("field").unwrap_or("");
        let field = name
            .split_once('.')
            .and_then(|(o, f)| st.seed.object(o)?.fields.iter().find(|x| x.name == f));
        match field {
            None => out.push(format!(
                "In field: field - no CustomField named {name} found"
            )),
            Some(f) if f.required || !f.permissionable => {
                out.push(format!("You cannot deploy to a required field: {name}"))
            }
            Some(_) => {}
        }
    }
    for (entry, key, sobject) in [
        ("pageAccesses", "apexPage", "ApexPage"),
        ("classAccesses", "apexClass", "ApexClass"),
    ] {
        for e in entries(&root, entry) {
            let name = e.child_text(key).unwrap_or("");
            if !has_code(st, sobject, name) {
                out.push(format!("In field: {key} - no {sobject} named {name} found"));
            }
        }
    }
    out
}

/// The enabled user permissions of a (normalized) Profile or PermissionSet.
pub fn enabled_permissions(root: &El) -> BTreeSet<String> {
    entries(root, "userPermissions")
        .filter(|p| is_true(p, "enabled"))
        .filter_map(|p| p.child_text("name").map(str::to_string))
        .collect()
}

/// Dependencies and license limits of what the component grants.
pub fn check_grants(st: &OrgState, root: &El, license: Option<&str>) -> Vec<String> {
    let enabled = enabled_permissions(root);
    let mut out = Vec::new();
    for p in &enabled {
        let missing: Vec<&str> = st
            .seed
            .permissions
            .dependencies
            .get(p)
            .into_iter()
            .flatten()
            .filter(|d| !enabled.contains(*d))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            out.push(format!(
                "Permission {p} depends on permission(s): {}",
                missing.join(", ")
            ));
        }
    }
    out.extend(object_dependencies(st, root));
    if let Some(lic) = license.and_then(|l| st.seed.license(l)) {
        for p in &enabled {
            if lic.disallowed_permissions.contains(p) {
                out.push(format!(
                    "The user license doesn't allow the permission: {p}"
                ));
            }
        }
    }
    out
}

/// Object access needs the access below it (Delete needs Edit and Read, …;
/// worded by analogy), and Read on some objects needs Read on others (seed
/// `object_read_dependencies`: Account <-> Contact), worded as Salesforce's
/// `Permission Read Account depends on permission(s): Read Contact`.
fn object_dependencies(st: &OrgState, root: &El) -> Vec<String> {
    /// (flag, verb, the (flag, verb) pairs it needs).
    type Rule = (
        &'static str,
        &'static str,
        &'static [(&'static str, &'static str)],
    );
    const RULES: &[Rule] = &[
        ("allowCreate", "Create", &[("allowRead", "Read")]),
        ("allowEdit", "Edit", &[("allowRead", "Read")]),
        (
            "allowDelete",
            "Delete",
            &[("allowRead", "Read"), ("allowEdit", "Edit")],
        ),
        ("viewAllRecords", "View All", &[("allowRead", "Read")]),
        (
            "modifyAllRecords",
            "Modify All",
            &[
                ("allowRead", "Read"),
                ("allowEdit", "Edit"),
                ("allowDelete", "Delete"),
                ("viewAllRecords", "View All"),
            ],
        ),
    ];
    let mut out = Vec::new();
    let reads = |object: &str| {
        entries(root, "objectPermissions")
            .any(|o| o.child_text("object") == Some(object) && is_true(o, "allowRead"))
    };
    for o in entries(root, "objectPermissions") {
        let object = o.child_text("object").unwrap_or("");
        for (flag, verb, needs) in RULES {
            if !is_true(o, flag) {
                continue;
            }
            let missing: Vec<String> = needs
                .iter()
                .filter(|(f, _)| !is_true(o, f))
                .map(|(_, v)| format!("{v} {object}"))
                .collect();
            if !missing.is_empty() {
                out.push(format!(
                    "Permission {verb} {object} depends on permission(s): {}",
                    missing.join(", ")
                ));
            }
        }
    }
    for (a, needs) in &st.seed.permissions.object_read_dependencies {
        let missing: Vec<String> = needs
            .iter()
            .filter(|b| !reads(b))
            .map(|b| format!("Read {b}"))
            .collect();
        if reads(a) && !missing.is_empty() {
            out.push(format!(
                "Permission Read {a} depends on permission(s): {}",
                missing.join(", ")
            ));
        }
    }
    out
}

/// Settings deploy: single complex children merge recursively, repeated
/// children (ipRanges) are replaced as a group, leaves are replaced.
pub fn merge_settings(old: &mut El, new: &Element<'_>, ty: Option<&'static TypeSchema>) {
    let mut replaced: BTreeSet<String> = BTreeSet::new();
    for c in new.children() {
        let c = c.clone().into_owned();
        let field = ty.and_then(|t| t.field(&c.name)).map(|(_, f)| f);
        let olds = old.children_mut();
        match field {
            Some(f) if f.many => {
                if replaced.insert(c.name.to_string()) {
                    olds.retain(|o| o.name != c.name);
                }
                olds.push(c);
            }
            Some(f) if f.child_type().is_some() && matches!(c.content, Content::Children(_)) => {
                match olds.iter_mut().find(|o| o.name == c.name) {
                    Some(o) => merge_settings(o, &c, f.child_type()),
                    None => olds.push(c),
                }
            }
            _ => {
                olds.retain(|o| o.name != c.name);
                olds.push(c);
            }
        }
    }
}

/// What one retrieve names, for cutting profiles down.
#[derive(Debug, Default)]
pub struct Scope {
    pub objects: BTreeSet<String>,
    /// `Object.Field`, from named objects and CustomField members.
    pub fields: BTreeSet<String>,
    pub pages: BTreeSet<String>,
    pub classes: BTreeSet<String>,
    /// Other package.xml types -> members (CustomApplication, CustomTab, …).
    pub other: BTreeMap<String, BTreeSet<String>>,
}

impl Scope {
    /// Whether the retrieve names this component of a package.xml type.
    fn names(&self, component: &str, name: &str) -> bool {
        match component {
            "CustomObject" => self.objects.contains(name),
            "CustomField" => self.fields.contains(name),
            "ApexPage" => self.pages.contains(name),
            "ApexClass" => self.classes.contains(name),
            other => self.other.get(other).is_some_and(|m| m.contains(name)),
        }
    }
}

fn flag(name: &str, v: bool) -> El {
    Element::boolean(name.to_string(), v)
}

/// A Profile as a retrieve naming `scope` returns it, by the schema table's
/// retrieve rules (`PROFILE_SECTIONS`): access only for named components;
/// user permissions always, enabled ones only; object permissions only with
/// read; FLS rows for every permissionable field of
/// named objects (false/false where nothing is granted).
pub fn profile_for_retrieve(st: &OrgState, stored: &El, scope: &Scope) -> El {
    let mut out: Vec<El> = Vec::new();
    let find = |entry: &str, key: &str, value: &str| {
        entries(stored, entry)
            .find(|e| e.child_text(key) == Some(value))
            .cloned()
    };
    // Which sections come back, and when, is the schema table's (one place
    // to be right); FLS, page and class rows are written below for every
    // named field, page and class, granted or not, as a retrieve does.
    let rules = schema::registry_for_type("Profile").map_or(Retrieve::Whole, |t| t.retrieve);
    for c in stored.children() {
        let Some(section) = rules.section(&c.name) else {
            out.push(c.clone());
            continue;
        };
        if section.only_if.is_some_and(|flag| !is_true(c, flag)) {
            continue;
        }
        match section.tied_to {
            None => out.push(c.clone()),
            Some(tie) if matches!(tie.component, "CustomField" | "ApexPage" | "ApexClass") => {}
            Some(tie) => {
                if scope.names(tie.component, c.child_text(tie.key).unwrap_or("")) {
                    out.push(c.clone());
                }
            }
        }
    }
    for f in &scope.fields {
        let permissionable = f
            .split_once('.')
            .and_then(|(o, n)| st.seed.object(o)?.fields.iter().find(|x| x.name == n))
            .is_some_and(|x| x.permissionable);
        if !permissionable {
            continue;
        }
        out.push(find("fieldPermissions", "field", f).unwrap_or_else(|| {
            Element::with_children(
                "fieldPermissions",
                vec![
                    flag("editable", false),
                    Element::text("field", f.clone()),
                    flag("readable", false),
                ],
            )
        }));
    }
    for (names, entry, key) in [
        (&scope.pages, "pageAccesses", "apexPage"),
        (&scope.classes, "classAccesses", "apexClass"),
    ] {
        for n in names {
            out.push(find(entry, key, n).unwrap_or_else(|| {
                Element::with_children(
                    entry,
                    vec![Element::text(key, n.clone()), flag("enabled", false)],
                )
            }));
        }
    }
    let mut root = Element::with_children("Profile", out);
    root.push_attr("xmlns", sfprov_metadata::METADATA_NS);
    root
}

#[cfg(test)]
mod tests {
    use super::*;
    use sfprov_metadata as metadata;

    fn doc(x: &str) -> El {
        metadata::parse(x).unwrap().into_owned().root
    }

    #[test]
    fn overlay_keeps_what_the_file_does_not_mention() {
        let mut old = doc("<Profile xmlns=\"http://soap.sforce.com/2006/04/metadata\"><userPermissions><enabled>true</enabled><name>A</name></userPermissions><userPermissions><enabled>true</enabled><name>B</name></userPermissions></Profile>");
        let new = doc("<Profile xmlns=\"http://soap.sforce.com/2006/04/metadata\"><userPermissions><enabled>false</enabled><name>B</name></userPermissions><userPermissions><enabled>true</enabled><name>C</name></userPermissions></Profile>");
        overlay(&mut old, &new, "Profile");
        normalize(&mut old);
        let names: Vec<_> = enabled_permissions(&old).into_iter().collect();
        assert_eq!(names, ["A", "C"]);
    }

    #[test]
    fn a_retrieve_returns_the_sections_the_schema_table_ties_to_named_components() {
        let st = OrgState::from_seed(super::super::seed::Seed::default_org());
        let stored = doc(concat!(
            "<Profile xmlns=\"http://soap.sforce.com/2006/04/metadata\">",
            "<applicationVisibilities><application>Named</application><default>false</default><visible>true</visible></applicationVisibilities>",
            "<applicationVisibilities><application>Other</application><default>false</default><visible>true</visible></applicationVisibilities>",
            "<categoryGroupVisibilities><dataCategoryGroup>Other</dataCategoryGroup><visibility>ALL</visibility></categoryGroupVisibilities>",
            "<custom>true</custom>",
            "<customSettingAccesses><enabled>true</enabled><name>Named__c</name></customSettingAccesses>",
            "<loginIpRanges><endAddress>10.0.0.9</endAddress><startAddress>10.0.0.1</startAddress></loginIpRanges>",
            "<objectPermissions><allowCreate>false</allowCreate><allowDelete>false</allowDelete><allowEdit>false</allowEdit><allowRead>true</allowRead><modifyAllRecords>false</modifyAllRecords><object>Named__c</object><viewAllRecords>false</viewAllRecords></objectPermissions>",
            "<objectPermissions><allowCreate>false</allowCreate><allowDelete>false</allowDelete><allowEdit>false</allowEdit><allowRead>true</allowRead><modifyAllRecords>false</modifyAllRecords><object>Other__c</object><viewAllRecords>false</viewAllRecords></objectPermissions>",
            "<tabVisibilities><tab>Other</tab><visibility>DefaultOn</visibility></tabVisibilities>",
            "<userLicense>Salesforce</userLicense>",
            "<userPermissions><enabled>true</enabled><name>ApiEnabled</name></userPermissions>",
            "<userPermissions><enabled>false</enabled><name>ViewSetup</name></userPermissions>",
            "</Profile>"
        ));
        let mut scope = Scope::default();
        scope.objects.insert("Named__c".into());
        scope
            .other
            .entry("CustomApplication".into())
            .or_default()
            .insert("Named".into());
        let out = profile_for_retrieve(&st, &stored, &scope);
        let kept: Vec<String> = out
            .children()
            .iter()
            .map(|c| {
                let key = [
                    "application",
                    "name",
                    "object",
                    "name",
                    "tab",
                    "dataCategoryGroup",
                ]
                .iter()
                .find_map(|k| c.child_text(k))
                .unwrap_or("");
                format!("{}:{key}", c.name)
            })
            .collect();
        assert_eq!(
            kept,
            [
                "applicationVisibilities:Named",
                "custom:",
                "customSettingAccesses:Named__c",
                "loginIpRanges:",
                "objectPermissions:Named__c",
                "userLicense:",
                "userPermissions:ApiEnabled",
            ]
        );
    }
}
