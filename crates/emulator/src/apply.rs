//! What one deployed file does to the org: overlay, replace or merge as the
//! schema table says per type (`deployed`), the records a component brings
//! (Profile, PermissionSet, ConnectedApplication), with Salesforce's
//! validation problems. Owns: `apply_component`.
//! Does not: read zips or job state (see `deploy.rs`).

use serde_json::{json, Value};

use super::access;
use super::ids;
use super::state::{id_of, rec, OrgState};
use sfprov_metadata::schema::{self, Deploy};
use sfprov_metadata::{self as metadata};

/// Applies one file to the working org: Ok((created, changed, id)) or the problems.
pub fn apply_component(
    st: &mut OrgState,
    ty: &str,
    member: &str,
    bytes: &[u8],
    api_version: f64,
) -> Result<(bool, bool, Option<String>), Vec<String>> {
    // Bounded before a tree is built: depth and element count (`limits.rs`).
    super::limits::check_xml(bytes, "The file", super::limits::MAX_FILE_ELEMENTS)
        .map_err(|e| vec![format!("Error parsing file: {e}")])?;
    let text = metadata::read::utf8(bytes).map_err(|e| vec![format!("Error parsing file: {e}")])?;
    let doc = metadata::parse(text).map_err(|e| vec![format!("Error parsing file: {e}")])?;
    let mut doc = doc.into_owned();
    let before = st.component(ty, member).map(|c| c.xml.clone());
    if before.is_some()
        && st
            .component(ty, member)
            .is_some_and(|c| c.manageable_state.is_some())
    {
        return Err(vec![format!(
            "Cannot modify managed object: entity={ty}, component={member}"
        )]);
    }
    let now = ids::now_iso();
    let new_xml = match ty {
        "Profile" => {
            let mut merged = match &before {
                Some(old) => deployed(ty, old, doc.clone(), api_version)?,
                None => new_profile_base(st, &doc.root, api_version)?,
            };
            access::normalize(&mut merged.root);
            let license = merged
                .root
                .child_text("userLicense")
                .unwrap_or("Salesforce")
                .to_string();
            let mut problems = access::check_refs(st, &doc.root);
            problems.extend(access::check_grants(st, &merged.root, Some(&license)));
            if !problems.is_empty() {
                return Err(problems);
            }
            if before.is_none() {
                if st.seed.license(&license).is_none() {
                    return Err(vec![format!(
                        "In field: userLicense - no UserLicense named {license} found"
                    )]);
                }
                let xml = canonical_string(&mut merged);
                let desc = merged.root.child_text("description").map(str::to_string);
                let id = st.create_profile(member, member, &license, xml, desc.as_deref());
                sync_owned_setup_access(st, &id, &merged.root);
                return Ok((true, true, Some(id)));
            }
            let profile_id = st
                .component(ty, member)
                .map(|c| c.id.clone())
                .unwrap_or_default();
            sync_owned_setup_access(st, &profile_id, &merged.root);
            canonical_string(&mut merged)
        }
        "PermissionSet" => {
            let mut problems = access::check_refs(st, &doc.root);
            let license = doc.root.child_text("license").map(str::to_string);
            let mut user_license = None;
            let mut license_id = Value::Null;
            if let Some(l) = &license {
                if let Some(ul) = st.find_by("UserLicense", "Name", l) {
                    user_license = Some(l.clone());
                    license_id = json!(id_of(ul));
                } else if let Some(psl) = st.rows("PermissionSetLicense").iter().find(|r| {
                    r.get("MasterLabel") == Some(&json!(l))
                        || r.get("DeveloperName") == Some(&json!(l))
                }) {
                    license_id = json!(id_of(psl));
                } else {
                    problems.push(format!(
                        "In field: license - no PermissionSetLicense named {l} found"
                    ));
                }
            }
            if let Some(old) = &before {
                doc = deployed(ty, old, doc, api_version)?;
            }
            access::normalize(&mut doc.root);
            problems.extend(access::check_grants(st, &doc.root, user_license.as_deref()));
            if doc.root.child_text("label").is_none() {
                problems.push("Required field is missing: label".into());
            }
            if !problems.is_empty() {
                return Err(problems);
            }
            let label = doc.root.child_text("label").unwrap_or(member).to_string();
            let fields = [
                ("Name", json!(member)),
                ("Label", json!(label)),
                ("LicenseId", license_id),
                ("IsOwnedByProfile", json!(false)),
                ("NamespacePrefix", Value::Null),
                ("Type", json!("Regular")),
                ("Description", json!(doc.root.child_text("description"))),
            ];
            let xml = canonical_string(&mut doc);
            let created = st.put_component(ty, member, xml.clone(), None, &now);
            let id = st
                .component(ty, member)
                .map(|c| c.id.clone())
                .unwrap_or_default();
            access::sync_setup_access(st, &id, &doc.root);
            upsert(st, "PermissionSet", &id, &fields);
            return Ok((created, before.as_deref() != Some(xml.as_str()), Some(id)));
        }
        "PermissionSetGroup" => {
            let mut problems = Vec::new();
            if doc.root.child_text("label").is_none() {
                problems.push("Required field is missing: label".to_string());
            }
            let mut members = Vec::new();
            for e in doc.root.children() {
                match (e.name.as_ref(), e.text_value()) {
                    ("permissionSets", Some(ps)) => match st.regular_permission_set(ps)
                    {
                        Some(r) => members.push(id_of(r).to_string()),
                        None => problems.push(format!(
                            "In field: permissionSets - no PermissionSet named {ps} found"
                        )),
                    },
                    ("mutingPermissionSets", Some(m)) => problems.push(format!(
                        "In field: mutingPermissionSets - the sfprov emulator does not serve muting permission sets ({m})"
                    )),
                    _ => {}
                }
            }
            if !problems.is_empty() {
                return Err(problems);
            }
            let label = doc.root.child_text("label").unwrap_or(member).to_string();
            let xml = canonical_string(&mut doc);
            let created = st.put_component(ty, member, xml.clone(), None, &now);
            let id = st
                .component(ty, member)
                .map(|c| c.id.clone())
                .unwrap_or_default();
            let fields = [
                ("DeveloperName", json!(member)),
                ("MasterLabel", json!(label)),
                ("Status", json!("Updated")),
                ("Description", json!(doc.root.child_text("description"))),
            ];
            if upsert(st, "PermissionSetGroup", &id, &fields) {
                // The group's aggregate permission set, which assignments name.
                st.insert(
                    "PermissionSet",
                    rec(&[
                        ("Name", json!(member)),
                        ("Label", json!(label)),
                        ("IsOwnedByProfile", json!(false)),
                        ("NamespacePrefix", Value::Null),
                        ("Type", json!("Group")),
                        ("PermissionSetGroupId", json!(id)),
                    ]),
                );
            }
            if let Some(rows) = st.records.get_mut("PermissionSetGroupComponent") {
                rows.retain(|r| {
                    !ids::same(super::state::str_field(r, "PermissionSetGroupId"), &id)
                });
            }
            for m in members {
                st.insert(
                    "PermissionSetGroupComponent",
                    rec(&[
                        ("PermissionSetGroupId", json!(id)),
                        ("PermissionSetId", json!(m)),
                    ]),
                );
            }
            return Ok((created, before.as_deref() != Some(xml.as_str()), Some(id)));
        }
        "Settings" => {
            let expected = format!("{member}Settings");
            if doc.root.name != expected {
                return Err(vec![format!(
                    "Expected a {expected} root element, found {}",
                    doc.root.name
                )]);
            }
            let mut merged = match &before {
                Some(old) => deployed(ty, old, doc, api_version)?,
                None => doc,
            };
            canonical_string(&mut merged)
        }
        "ConnectedApp" => {
            let mut problems = Vec::new();
            for req in ["contactEmail", "label"] {
                if doc.root.child(req).is_none() {
                    problems.push(format!("Required field is missing: {req}"));
                }
            }
            if let Some(o) = doc.root.child("oauthConfig") {
                if o.child("callbackUrl").is_none() {
                    problems.push("Required field is missing: callbackUrl".into());
                }
            }
            if !problems.is_empty() {
                return Err(problems);
            }
            let label = doc.root.child_text("label").unwrap_or(member).to_string();
            let xml = canonical_string(&mut doc);
            if before.is_none() {
                st.insert(
                    "ConnectedApplication",
                    rec(&[
                        ("Name", json!(label)),
                        ("NamespacePrefix", Value::Null),
                        ("OptionsAllowAdminApprovedUsersOnly", json!(false)),
                    ]),
                );
            }
            xml
        }
        other => {
            return Err(vec![format!(
                "The sfprov emulator cannot deploy {other} components"
            )])
        }
    };
    let changed = before.as_deref() != Some(new_xml.as_str());
    let created = st.put_component(ty, member, new_xml, None, &now);
    let id = st
        .component(ty, member)
        .map(|c| c.id.clone())
        .filter(|i| !i.is_empty());
    Ok((created, changed, id))
}

/// Sets `fields` on the `sobject` row `id`, creating it when missing;
/// whether it was created.
fn upsert(st: &mut OrgState, sobject: &str, id: &str, fields: &[(&str, Value)]) -> bool {
    if let Some(r) = st.get_mut(sobject, id) {
        for (k, v) in fields {
            r.insert((*k).into(), v.clone());
        }
        return false;
    }
    let mut r = rec(fields);
    r.insert("Id".into(), json!(id));
    st.records.entry(sobject.into()).or_default().push(r);
    true
}

/// What the org holds after deploying `doc` over the stored `old`, by the
/// schema table's deploy semantics for `ty` at `api_version`: Profile
/// overlays, PermissionSet replaces (overlays before 40.0), Settings merge.
fn deployed(
    ty: &str,
    old: &str,
    doc: metadata::Document<'static>,
    api_version: f64,
) -> Result<metadata::Document<'static>, Vec<String>> {
    let mode = schema::registry_for_type(ty).map_or(Deploy::Replace, |t| t.deploy_at(api_version));
    if mode == Deploy::Replace {
        return Ok(doc);
    }
    let mut old = metadata::parse(old)
        .map_err(|e| vec![e.to_string()])?
        .into_owned();
    if mode == Deploy::Overlay {
        access::overlay(&mut old.root, &doc.root, ty);
    } else {
        let settings = schema::type_named(&doc.root.name);
        access::merge_settings(&mut old.root, &doc.root, settings);
    }
    Ok(old)
}

/// Deletes a component named in destructiveChanges.xml. A permission set
/// still assigned to users cannot be deleted; profiles and settings cannot
/// be deleted this way in the emulator.
pub fn delete_component(st: &mut OrgState, ty: &str, member: &str) -> Result<(), String> {
    let Some(c) = st.component(ty, member) else {
        return Err(format!("No {ty} named: {member} found"));
    };
    if c.manageable_state.is_some() {
        return Err(format!(
            "Cannot delete managed object: entity={ty}, component={member}"
        ));
    }
    let id = c.id.clone();
    match ty {
        "PermissionSet" => {
            let assigned = st
                .rows("PermissionSetAssignment")
                .iter()
                .any(|a| ids::same(super::state::str_field(a, "PermissionSetId"), &id));
            if assigned {
                return Err(format!(
                    "This permission set is assigned to one or more users. Remove the assignments before deleting {member}."
                ));
            }
            for sobject in ["PermissionSet", "SetupEntityAccess"] {
                if let Some(rows) = st.records.get_mut(sobject) {
                    rows.retain(|r| {
                        !ids::same(id_of(r), &id)
                            && !ids::same(super::state::str_field(r, "ParentId"), &id)
                    });
                }
            }
        }
        "ConnectedApp" => {
            let label = metadata::parse(&c.xml)
                .ok()
                .and_then(|d| d.root.child_text("label").map(str::to_string))
                .unwrap_or_default();
            if let Some(rows) = st.records.get_mut("ConnectedApplication") {
                rows.retain(|r| super::state::str_field(r, "Name") != label);
            }
        }
        other => {
            return Err(format!(
                "The sfprov emulator cannot delete {other} components"
            ))
        }
    }
    if let Some(m) = st.components.get_mut(ty) {
        m.remove(member);
    }
    Ok(())
}

/// A profile created by a deploy starts from Minimum Access - Salesforce
/// (API 60.0+) or Standard User (before), when that profile has the new
/// profile's license; the file is laid over it. It is always custom.
fn new_profile_base(
    st: &OrgState,
    file: &metadata::Element<'static>,
    api_version: f64,
) -> Result<metadata::Document<'static>, Vec<String>> {
    let license = file.child_text("userLicense").unwrap_or("Salesforce");
    let base_name = if api_version >= 60.0 {
        "Minimum Access - Salesforce"
    } else {
        "Standard User"
    };
    let base = st
        .find_by("Profile", "Name", base_name)
        .filter(|p| st.profile_license(id_of(p)).as_deref() == Some(license))
        .and_then(|p| st.profile_full_name(id_of(p)))
        .and_then(|full| st.component("Profile", full));
    let mut doc = match base {
        Some(c) => {
            let mut d = metadata::parse(&c.xml)
                .map_err(|e| vec![e.to_string()])?
                .into_owned();
            // The baseline's object and field access does not carry over.
            d.root
                .children_mut()
                .retain(|e| !matches!(e.name.as_ref(), "objectPermissions" | "fieldPermissions"));
            access::overlay(&mut d.root, file, "Profile");
            d
        }
        None => metadata::Document {
            root: file.clone(),
            comments_before_root: Vec::new(),
        },
    };
    let kids = doc.root.children_mut();
    kids.retain(|e| e.name != "custom" && e.name != "userLicense");
    kids.push(metadata::Element::boolean("custom", true));
    kids.push(metadata::Element::text("userLicense", license.to_string()));
    Ok(doc)
}

/// Page/class access of a profile lives on its profile-owned permission set.
fn sync_owned_setup_access(st: &mut OrgState, profile_id: &str, root: &metadata::Element<'static>) {
    let owned = st
        .rows("PermissionSet")
        .iter()
        .find(|r| r.get("ProfileId").and_then(Value::as_str) == Some(profile_id))
        .map(|r| id_of(r).to_string());
    if let Some(owned) = owned {
        access::sync_setup_access(st, &owned, root);
    }
}

fn canonical_string(doc: &mut metadata::Document<'_>) -> String {
    String::from_utf8(metadata::to_canonical_bytes(doc)).expect("the writer emits UTF-8")
}
