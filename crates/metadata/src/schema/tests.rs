//! Invariant tests over the whole schema table (style: SDR's registryValidation).

use std::collections::{BTreeMap, HashSet};

use quick_xml::events::Event;
use quick_xml::Reader;

use super::*;

#[test]
fn type_names_are_sorted_and_unique() {
    let names: Vec<&str> = all_types().iter().map(|t| t.name).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(names, sorted);
}

#[test]
fn every_key_is_a_child_of_its_entry_type() {
    for ty in all_types() {
        for f in ty.fields {
            match f.key {
                Key::Fields(keys) => {
                    assert!(f.many, "{}.{} keyed but not repeated", ty.name, f.name);
                    assert!(keys.len() <= 2, "canon compares at most two keys");
                    let entry = f.child_type().unwrap_or_else(|| {
                        panic!("{}.{} keyed by fields but simple", ty.name, f.name)
                    });
                    for k in keys {
                        assert!(
                            entry.field(k).is_some(),
                            "{}.{}: key {k} is not a child of {}",
                            ty.name,
                            f.name,
                            entry.name
                        );
                    }
                }
                Key::IpAddresses(keys) => {
                    assert!(f.many, "{}.{} keyed but not repeated", ty.name, f.name);
                    assert!(keys.len() <= 2, "canon compares at most two keys");
                    let entry = f.child_type().expect("IP-keyed entries have children");
                    for k in keys {
                        assert!(entry.field(k).is_some(), "{}.{}: key {k}", ty.name, f.name);
                    }
                }
                Key::Text => assert!(f.many && f.ty.is_none(), "{}.{}", ty.name, f.name),
                Key::Single => assert!(!f.many),
                Key::Ordered => assert!(f.many),
            }
        }
    }
}

#[test]
fn keys_the_design_names_are_in_the_table() {
    let expect = [
        ("Profile", "fieldPermissions", "field"),
        ("Profile", "objectPermissions", "object"),
        ("Profile", "userPermissions", "name"),
        ("Profile", "classAccesses", "apexClass"),
        ("Profile", "pageAccesses", "apexPage"),
        ("Profile", "tabVisibilities", "tab"),
        ("Profile", "layoutAssignments", "layout"),
        ("Profile", "recordTypeVisibilities", "recordType"),
        ("Profile", "applicationVisibilities", "application"),
        ("Profile", "customPermissions", "name"),
        ("Profile", "flowAccesses", "flow"),
        ("PermissionSet", "tabSettings", "tab"),
        ("PermissionSet", "fieldPermissions", "field"),
        ("Package", "types", "name"),
    ];
    for (ty, field, key) in expect {
        let (_, f) = type_named(ty).unwrap().field(field).unwrap();
        match f.key {
            Key::Fields(keys) => assert_eq!(keys[0], key, "{ty}.{field}"),
            other => panic!("{ty}.{field}: {other:?}"),
        }
    }
    for (ty, field) in [
        ("ConnectedAppOauthConfig", "scopes"),
        ("PackageTypeMembers", "members"),
    ] {
        assert_eq!(
            type_named(ty).unwrap().field(field).unwrap().1.key,
            Key::Text
        );
    }
    for (ty, field) in [("NetworkAccess", "ipRanges"), ("ConnectedApp", "ipRanges")] {
        assert_eq!(
            type_named(ty).unwrap().field(field).unwrap().1.key,
            Key::Ordered
        );
    }
    assert_eq!(
        type_named("Profile")
            .unwrap()
            .field("loginIpRanges")
            .unwrap()
            .1
            .key,
        Key::IpAddresses(&["startAddress", "endAddress"])
    );
}

#[test]
fn registry_suffixes_and_roots_resolve() {
    let mut suffixes = HashSet::new();
    for t in REGISTRY {
        assert!(suffixes.insert(t.suffix), "suffix {} repeats", t.suffix);
        if let Some(root) = t.root {
            assert!(type_named(root).is_some(), "root {root} not in the table");
        }
    }
    for settings in ["SecuritySettings", "EventSettings", "ConnectedAppSettings"] {
        assert!(type_named(settings).is_some());
    }
    let (ty, member) =
        registry_for_file("System Admin%28Without Super Access%29.profile-meta.xml").unwrap();
    assert_eq!(
        (ty.name, member.as_str()),
        ("Profile", "System Admin(Without Super Access)")
    );
    assert_eq!(
        ty.file_path("System Admin(Without Super Access)", false),
        "profiles/System Admin%28Without Super Access%29.profile"
    );
    let (ty, member) = registry_for_file("Security.settings").unwrap();
    assert_eq!(ty.root_for(&member), "SecuritySettings");
    assert!(registry_for_file("README.md").is_none());
}

#[test]
fn deploy_semantics_follow_the_metadata_api() {
    let mode = |name: &str, api: f64| registry_for_type(name).unwrap().deploy_at(api);
    assert_eq!(mode("Profile", 63.0), Deploy::Overlay);
    assert_eq!(mode("PermissionSet", 63.0), Deploy::Replace);
    assert_eq!(mode("PermissionSet", 40.0), Deploy::Replace);
    assert_eq!(mode("PermissionSet", 39.0), Deploy::Overlay);
    assert_eq!(mode("Settings", 63.0), Deploy::Merge);
    assert_eq!(mode("ConnectedApp", 63.0), Deploy::Replace);
    for t in REGISTRY {
        // Only a type that replaces can have overlaid before; only Settings merge.
        if t.replace_since.is_some() {
            assert_eq!(t.deploy, Deploy::Replace, "{}", t.name);
        }
        assert_eq!(t.deploy == Deploy::Merge, t.root.is_none(), "{}", t.name);
        // Access semantics (absent flag = false) belong to the access types.
        assert_eq!(
            t.access_flags,
            matches!(t.name, "Profile" | "PermissionSet"),
            "{}",
            t.name
        );
    }
}

#[test]
fn retrieve_rules_name_real_sections_keys_and_flags() {
    for t in REGISTRY {
        let Retrieve::Sections(sections) = t.retrieve else {
            continue;
        };
        let root = type_named(t.root.expect("sectioned types have a root")).unwrap();
        let mut seen = HashSet::new();
        for s in sections {
            assert!(seen.insert(s.entry), "{}: {} listed twice", t.name, s.entry);
            let (_, f) = root
                .field(s.entry)
                .unwrap_or_else(|| panic!("{}: no section {}", t.name, s.entry));
            assert!(f.many, "{}.{} is not repeated", t.name, s.entry);
            let entry = f.child_type().expect("sections are complex entries");
            assert!(
                s.tied_to.is_some() || s.only_if.is_some(),
                "{}.{}: a rule that says nothing",
                t.name,
                s.entry
            );
            if let Some(tie) = s.tied_to {
                // The tie's key is the entry's sort key: one entry per component.
                assert!(
                    matches!(f.key, Key::Fields(k) if k[0] == tie.key),
                    "{}.{}: tied by {} but keyed {:?}",
                    t.name,
                    s.entry,
                    tie.key,
                    f.key
                );
            }
            if let Some(flag) = s.only_if {
                let (_, flag_field) = entry
                    .field(flag)
                    .unwrap_or_else(|| panic!("{}.{}: no flag {flag}", t.name, s.entry));
                assert!(flag_field.ty.is_none() && !flag_field.many);
            }
        }
        // Every repeated section of a Profile is either ruled or always
        // returned on purpose: login IP ranges (DOC-Profile), login flows,
        // and action overrides (no evidence either way: returned as stored).
        for f in root
            .fields
            .iter()
            .filter(|f| f.many && f.child_type().is_some())
        {
            let always = ["loginIpRanges", "loginFlows", "profileActionOverrides"];
            assert!(
                t.retrieve.section(f.name).is_some() || always.contains(&f.name),
                "{}.{}: no retrieve rule; say whether it is tied",
                t.name,
                f.name
            );
        }
    }
    let profile = registry_for_type("Profile").unwrap().retrieve;
    assert_eq!(
        profile.tied_types(),
        [
            "ApexClass",
            "ApexPage",
            "CustomApplication",
            "CustomField",
            "CustomObject",
            "CustomPermission",
            "CustomTab",
            "DataCategoryGroup",
            "ExternalDataSource",
            "Flow",
            "Layout",
            "RecordType",
        ]
    );
    assert_eq!(
        registry_for_type("PermissionSet").unwrap().retrieve,
        Retrieve::Whole
    );
}

#[test]
fn root_types_follow_the_wsdl() {
    // Spot checks of the order a retrieve writes (metadata-types.md §2.1-2.2).
    let profile: Vec<&str> = type_named("Profile")
        .unwrap()
        .fields
        .iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(profile[0], "fullName");
    let pos = |n: &str| profile.iter().position(|f| *f == n).unwrap();
    assert!(pos("classAccesses") < pos("custom"));
    assert!(pos("custom") < pos("customMetadataTypeAccesses"));
    assert!(pos("userLicense") + 1 == pos("userPermissions"));
    let fls: Vec<&str> = type_named("ProfileFieldLevelSecurity")
        .unwrap()
        .fields
        .iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(fls, ["editable", "field", "readable"]);
}

/// Re-reads the WSDL committed under schema/ and checks that every type in the
/// table has exactly the WSDL's sequence (base type first). Fails when
/// `tools/gen-schema.py` was not re-run after a WSDL update.
#[test]
fn table_matches_wsdl() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema/metadata.wsdl");
    let text = std::fs::read_to_string(path).expect("schema/metadata.wsdl is committed");
    let types = wsdl_sequences(&text);
    for ty in all_types() {
        let expected = flatten(&types, ty.name);
        let actual: Vec<(String, bool)> = ty
            .fields
            .iter()
            .map(|f| (f.name.to_string(), f.many))
            .collect();
        assert_eq!(actual, expected, "type {} differs from the WSDL", ty.name);
    }
}

struct WsdlType {
    base: Option<String>,
    fields: Vec<(String, bool)>,
}

fn flatten(types: &BTreeMap<String, WsdlType>, name: &str) -> Vec<(String, bool)> {
    let t = &types[name];
    let mut out = t
        .base
        .as_deref()
        .map(|b| flatten(types, b))
        .unwrap_or_default();
    out.extend(t.fields.iter().cloned());
    out
}

fn wsdl_sequences(text: &str) -> BTreeMap<String, WsdlType> {
    let mut reader = Reader::from_str(text);
    let mut out = BTreeMap::new();
    let mut current: Option<(String, WsdlType)> = None;
    let mut depth_in_type = 0usize;
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) | Event::Empty(e)
                if e.local_name().as_ref() == b"complexType" && current.is_none() =>
            {
                let name = e
                    .try_get_attribute("name")
                    .unwrap()
                    .map(|a| String::from_utf8(a.value.to_vec()).unwrap());
                if let Some(name) = name {
                    current = Some((
                        name,
                        WsdlType {
                            base: None,
                            fields: Vec::new(),
                        },
                    ));
                    depth_in_type = 1;
                }
            }
            Event::Start(e) if current.is_some() => {
                depth_in_type += 1;
                note(&mut current, &e);
            }
            Event::Empty(e) if current.is_some() => note(&mut current, &e),
            Event::End(_) if current.is_some() => {
                depth_in_type -= 1;
                if depth_in_type == 0 {
                    let (name, ty) = current.take().unwrap();
                    out.insert(name, ty);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

fn note(current: &mut Option<(String, WsdlType)>, e: &quick_xml::events::BytesStart<'_>) {
    let Some((_, ty)) = current else { return };
    let attr = |n: &str| {
        e.try_get_attribute(n)
            .unwrap()
            .map(|a| String::from_utf8(a.value.to_vec()).unwrap())
    };
    match e.local_name().as_ref() {
        b"extension" => ty.base = attr("base").map(|b| b.trim_start_matches("tns:").to_string()),
        b"element" => {
            if let Some(name) = attr("name") {
                ty.fields
                    .push((name, attr("maxOccurs").as_deref() == Some("unbounded")));
            }
        }
        _ => {}
    }
}
