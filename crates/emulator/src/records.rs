//! The rules Salesforce enforces when sfprov writes records: unique Username,
//! the license a user gets from its profile (and its seats), which profile
//! changes a license allows, permission set licenses, duplicate assignments,
//! the PushTopic limit. Owns: `create` and `update` over the org state.
//! Does not: HTTP (see `rest.rs`) or describe (see `sobjects.rs`).

use serde_json::{json, Map, Value};

use super::access;
use super::sobjects::{check_body, err, RestError};
use super::state::{id_of, str_field, OrgState, Record};
use sfprov_metadata as metadata;

/// Fills the fields Salesforce derives on a new User.
pub fn complete_user(_st: &OrgState, r: &mut Record) {
    let name = format!("{} {}", str_field(r, "FirstName"), str_field(r, "LastName"))
        .trim()
        .to_string();
    r.insert("Name".into(), json!(name));
    r.entry("IsActive").or_insert(json!(true));
    r.insert("UserType".into(), json!("Standard"));
    if !r.contains_key("CommunityNickname") {
        let nick = str_field(r, "Username")
            .split('@')
            .next()
            .unwrap_or("user")
            .to_string();
        r.insert("CommunityNickname".into(), json!(nick));
    }
}

const DUPLICATE_USERNAME: &str = "Duplicate Username.<br>The username already exists in this or another Salesforce organization. Usernames must be unique across all Salesforce organizations. To resolve, use a different username (it doesn't need to match the user's email address).";

fn license_of_profile(st: &OrgState, profile_id: &str) -> Option<super::seed::UserLicenseSeed> {
    let name = st.profile_license(profile_id)?;
    st.seed.license(&name).cloned()
}

fn seats_free(st: &OrgState, license: &str, except_user: Option<&str>) -> bool {
    let Some(total) = st.seed.license(license).map(|l| l.total as usize) else {
        return true;
    };
    let used = st
        .rows("User")
        .iter()
        .filter(|u| u.get("IsActive") == Some(&json!(true)) && Some(id_of(u)) != except_user)
        .filter(|u| st.profile_license(str_field(u, "ProfileId")).as_deref() == Some(license))
        .count();
    used < total
}

/// Creates a record after Salesforce's checks; returns its id.
/// The row of `object` whose two id fields hold these values (the pair a
/// junction object such as PermissionSetAssignment keeps unique).
fn row_with<'s>(
    st: &'s OrgState,
    object: &str,
    a: (&str, &str),
    b: (&str, &str),
) -> Option<&'s Record> {
    st.rows(object).iter().find(|r| {
        super::ids::same(str_field(r, a.0), a.1) && super::ids::same(str_field(r, b.0), b.1)
    })
}

/// Salesforce's DUPLICATE_VALUE for a record that repeats `existing`;
/// `field` names the unique field, or `None` for a unique pair (`<unknown>`).
fn duplicate(field: Option<&str>, existing: &Record) -> RestError {
    err(
        "DUPLICATE_VALUE",
        format!(
            "duplicate value found: {} duplicates value on record with id: {}",
            field.unwrap_or("<unknown>"),
            id_of(existing)
        ),
        &field.map_or(Vec::new(), |f| vec![f]),
    )
}

pub fn create(
    st: &mut OrgState,
    sobject: &str,
    body: Map<String, Value>,
) -> Result<String, RestError> {
    check_body(st, sobject, &body, true)?;
    let mut r: Record = body
        .into_iter()
        .filter(|(k, _)| k != "attributes")
        .collect();
    match sobject {
        "User" => {
            let username = str_field(&r, "Username").to_string();
            if !username.contains('@') || username.starts_with('@') || username.ends_with('@') {
                return Err(err(
                    "INVALID_EMAIL_ADDRESS",
                    format!("Username: invalid email address: {username}"),
                    &["Username"],
                ));
            }
            if st
                .rows("User")
                .iter()
                .any(|u| str_field(u, "Username").eq_ignore_ascii_case(&username))
            {
                return Err(err("DUPLICATE_USERNAME", DUPLICATE_USERNAME, &["Username"]));
            }
            if str_field(&r, "Alias").chars().count() > 8 {
                return Err(err(
                    "STRING_TOO_LONG",
                    format!(
                        "Alias: data value too large: {} (max length=8)",
                        str_field(&r, "Alias")
                    ),
                    &["Alias"],
                ));
            }
            let profile = str_field(&r, "ProfileId").to_string();
            let license = st.profile_license(&profile).unwrap_or_default();
            if r.get("IsActive") != Some(&json!(false)) && !seats_free(st, &license, None) {
                return Err(err("LICENSE_LIMIT_EXCEEDED", "License Limit Exceeded", &[]));
            }
            complete_user(st, &mut r);
            let full_profile = st
                .get("Profile", &profile)
                .map(|p| id_of(p).to_string())
                .unwrap_or(profile);
            r.insert("ProfileId".into(), json!(full_profile));
            let id = st.insert("User", r);
            st.assign_profile_permset(&id, &full_profile);
            Ok(id)
        }
        "PermissionSetAssignment" => {
            let user = str_field(&r, "AssigneeId").to_string();
            // A group is assigned through its aggregate permission set.
            let group = str_field(&r, "PermissionSetGroupId").to_string();
            if !group.is_empty() {
                let Some(agg) = st
                    .rows("PermissionSet")
                    .iter()
                    .find(|p| super::ids::same(str_field(p, "PermissionSetGroupId"), &group))
                    .map(|p| id_of(p).to_string())
                else {
                    return Err(err(
                        "INVALID_CROSS_REFERENCE_KEY",
                        format!("invalid cross reference id: {group}"),
                        &["PermissionSetGroupId"],
                    ));
                };
                r.insert("PermissionSetId".into(), json!(agg));
            } else if str_field(&r, "PermissionSetId").is_empty() {
                return Err(err(
                    "REQUIRED_FIELD_MISSING",
                    "Required fields are missing: [PermissionSetId]",
                    &["PermissionSetId"],
                ));
            }
            let ps = str_field(&r, "PermissionSetId").to_string();
            if row_with(
                st,
                "PermissionSetAssignment",
                ("AssigneeId", &user),
                ("PermissionSetId", &ps),
            )
            .is_some()
            {
                return Err(err(
                    "DUPLICATE_VALUE",
                    format!(
                        "Duplicate PermissionSetAssignment. Assignee: {user}; Permission Set: {ps}"
                    ),
                    &[],
                ));
            }
            check_assignment(st, &user, &ps)?;
            r.insert("IsActive".into(), json!(true));
            Ok(st.insert("PermissionSetAssignment", r))
        }
        "PermissionSetLicenseAssign" => {
            let user = str_field(&r, "AssigneeId").to_string();
            let psl = str_field(&r, "PermissionSetLicenseId").to_string();
            if let Some(dup) = row_with(
                st,
                "PermissionSetLicenseAssign",
                ("AssigneeId", &user),
                ("PermissionSetLicenseId", &psl),
            ) {
                return Err(duplicate(None, dup));
            }
            let (total, used) = {
                let l = st.get("PermissionSetLicense", &psl);
                let total = l
                    .and_then(|l| l.get("TotalLicenses"))
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
                let used = st
                    .rows("PermissionSetLicenseAssign")
                    .iter()
                    .filter(|a| super::ids::same(str_field(a, "PermissionSetLicenseId"), &psl))
                    .count() as u64;
                (total, used)
            };
            if used >= total {
                return Err(err("LICENSE_LIMIT_EXCEEDED", "License Limit Exceeded", &[]));
            }
            Ok(st.insert("PermissionSetLicenseAssign", r))
        }
        "PushTopic" => {
            let name = str_field(&r, "Name").to_string();
            if name.chars().count() > 25 {
                return Err(err(
                    "STRING_TOO_LONG",
                    format!("Name: data value too large: {name} (max length=25)"),
                    &["Name"],
                ));
            }
            if let Some(dup) = st.find_by("PushTopic", "Name", &name) {
                return Err(duplicate(Some("Name"), dup));
            }
            if st.rows("PushTopic").len() >= st.seed.push_topics.limit {
                return Err(err(
                    "LIMIT_EXCEEDED",
                    format!(
                        "Maximum of {} PushTopics per organization exceeded",
                        st.seed.push_topics.limit
                    ),
                    &[],
                ));
            }
            r.entry("IsActive").or_insert(json!(true));
            r.entry("NotifyForFields").or_insert(json!("Referenced"));
            Ok(st.insert("PushTopic", r))
        }
        "Profile" => {
            let name = str_field(&r, "Name").to_string();
            if let Some(dup) = st.find_by("Profile", "Name", &name) {
                return Err(duplicate(Some("Name"), dup));
            }
            let license = st
                .get("UserLicense", str_field(&r, "UserLicenseId"))
                .map(|l| str_field(l, "Name").to_string())
                .unwrap_or_default();
            let xml = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Profile xmlns=\"{}\">\n    <custom>true</custom>\n    <userLicense>{}</userLicense>\n</Profile>\n",
                metadata::METADATA_NS,
                super::soap::esc(&license)
            );
            let desc = r
                .get("Description")
                .and_then(Value::as_str)
                .map(str::to_string);
            Ok(st.create_profile(&name, &name, &license, xml, desc.as_deref()))
        }
        "PermissionSet" => {
            let name = str_field(&r, "Name").to_string();
            if st.component("PermissionSet", &name).is_some() {
                return Err(err(
                    "DUPLICATE_DEVELOPER_NAME",
                    "The permission set API name is already in use.",
                    &["Name"],
                ));
            }
            let label = str_field(&r, "Label").to_string();
            let mut doc = metadata::Document::new(
                "PermissionSet",
                vec![metadata::Element::text("label", label.clone())],
            );
            let xml = String::from_utf8(metadata::to_canonical_bytes(&mut doc))
                .expect("the writer emits UTF-8");
            st.put_component("PermissionSet", &name, xml, None, &super::ids::now_iso());
            let id = st.components["PermissionSet"][&name].id.clone();
            let mut row = Record::new();
            row.insert("Id".into(), json!(id));
            row.insert("Name".into(), json!(name));
            row.insert("Label".into(), json!(label));
            row.insert(
                "LicenseId".into(),
                r.get("LicenseId").cloned().unwrap_or(Value::Null),
            );
            row.insert("IsOwnedByProfile".into(), json!(false));
            row.insert("NamespacePrefix".into(), Value::Null);
            row.insert("Type".into(), json!("Regular"));
            row.insert(
                "Description".into(),
                r.get("Description").cloned().unwrap_or(Value::Null),
            );
            st.records
                .entry("PermissionSet".into())
                .or_default()
                .push(row);
            Ok(id)
        }
        "SetupEntityAccess" => {
            let parent = str_field(&r, "ParentId").to_string();
            let entity = str_field(&r, "SetupEntityId").to_string();
            let Some(entity_type) = st.type_of_id(&entity) else {
                return Err(err(
                    "INVALID_CROSS_REFERENCE_KEY",
                    format!("SetupEntityId: id value of incorrect type: {entity}"),
                    &["SetupEntityId"],
                ));
            };
            if let Some(dup) = row_with(
                st,
                "SetupEntityAccess",
                ("ParentId", &parent),
                ("SetupEntityId", &entity),
            ) {
                return Err(duplicate(None, dup));
            }
            r.insert("SetupEntityType".into(), json!(entity_type));
            Ok(st.insert("SetupEntityAccess", r))
        }
        other => Err(err(
            "INVALID_TYPE",
            format!("Cannot create records of type {other} in the sfprov emulator"),
            &[],
        )),
    }
}

/// Salesforce's checks when a permission set is assigned.
fn check_assignment(st: &OrgState, user: &str, ps_id: &str) -> Result<(), RestError> {
    let Some(ps) = st.get("PermissionSet", ps_id) else {
        return Ok(());
    };
    let Some(u) = st.get("User", user) else {
        return Ok(());
    };
    let Some(lic) = license_of_profile(st, str_field(u, "ProfileId")) else {
        return Ok(());
    };
    let has_psl = |psl_id: &str| {
        st.rows("PermissionSetLicenseAssign").iter().any(|a| {
            super::ids::same(str_field(a, "AssigneeId"), user)
                && super::ids::same(str_field(a, "PermissionSetLicenseId"), psl_id)
        })
    };
    let label = str_field(ps, "Label").to_string();
    if let Some(lid) = ps
        .get("LicenseId")
        .and_then(Value::as_str)
        .filter(|l| !l.is_empty())
    {
        if let Some(psl) = st.get("PermissionSetLicense", lid) {
            if !has_psl(lid) {
                return Err(err(
                    "FIELD_INTEGRITY_EXCEPTION",
                    format!(
                        "Can't assign permission set {label} to user {}. The user doesn't have the permission set license {} that the permission set requires.",
                        str_field(u, "Username"),
                        str_field(psl, "MasterLabel")
                    ),
                    &["PermissionSetId"],
                ));
            }
        } else if let Some(ul) = st.get("UserLicense", lid) {
            if str_field(ul, "Name") != lic.name {
                return Err(err(
                    "FIELD_INTEGRITY_EXCEPTION",
                    format!("The user license doesn't match the permission set license: {} (permission set {label})", str_field(ul, "Name")),
                    &["PermissionSetId"],
                ));
            }
        }
    }
    let xml = st
        .component("PermissionSet", str_field(ps, "Name"))
        .map(|c| c.xml.clone());
    let Some(root) = xml.and_then(|x| metadata::parse(&x).ok().map(|d| d.into_owned().root)) else {
        return Ok(());
    };
    for p in access::enabled_permissions(&root) {
        if lic.disallowed_permissions.contains(&p) {
            return Err(err(
                "FIELD_INTEGRITY_EXCEPTION",
                format!("The user license doesn't allow the permission: {p}"),
                &["PermissionSetId"],
            ));
        }
    }
    if let Some(psl_name) = &lic.requires_psl_for_objects {
        let psl_id = st
            .find_by("PermissionSetLicense", "DeveloperName", psl_name)
            .map(|r| id_of(r).to_string());
        if !psl_id.as_deref().is_some_and(has_psl) {
            let read = root
                .children()
                .iter()
                .filter(|c| {
                    c.name == "objectPermissions" && c.child_text("allowRead") == Some("true")
                })
                .filter_map(|c| c.child_text("object"))
                .next()
                .map(str::to_string);
            if let Some(object) = read {
                let plural = st
                    .seed
                    .object(&object)
                    .map_or(object.clone(), |o| o.plural_label.clone());
                return Err(err(
                    "FIELD_INTEGRITY_EXCEPTION",
                    format!("The user license doesn't allow the permission: Read {plural}"),
                    &["PermissionSetId"],
                ));
            }
        }
    }
    Ok(())
}

/// Updates a record after Salesforce's checks.
pub fn update(
    st: &mut OrgState,
    sobject: &str,
    id: &str,
    body: Map<String, Value>,
) -> Result<(), RestError> {
    if st.get(sobject, id).is_none() {
        return Err(RestError {
            status: 404,
            code: "NOT_FOUND",
            message: "The requested resource does not exist".into(),
            fields: vec![],
        });
    }
    check_body(st, sobject, &body, false)?;
    if sobject == "User" {
        let old = st.get("User", id).cloned().unwrap_or_default();
        if let Some(u) = body.get("Username").and_then(Value::as_str) {
            if st.rows("User").iter().any(|x| {
                id_of(x) != id_of(&old) && str_field(x, "Username").eq_ignore_ascii_case(u)
            }) {
                return Err(err("DUPLICATE_USERNAME", DUPLICATE_USERNAME, &["Username"]));
            }
        }
        if let Some(p) = body.get("ProfileId").and_then(Value::as_str) {
            let from = license_of_profile(st, str_field(&old, "ProfileId"));
            let to = license_of_profile(st, p);
            if let (Some(from), Some(to)) = (from, to) {
                if from.name != to.name && (!from.full || !to.full) {
                    let profile = st
                        .get("Profile", p)
                        .map(|r| str_field(r, "Name").to_string())
                        .unwrap_or_default();
                    return Err(err(
                        "FIELD_INTEGRITY_EXCEPTION",
                        format!(
                            "Can't change the user license from {} to {}: the profile {profile} belongs to another kind of user license.",
                            from.name, to.name
                        ),
                        &["ProfileId"],
                    ));
                }
                if from.name != to.name && !seats_free(st, &to.name, Some(id)) {
                    return Err(err("LICENSE_LIMIT_EXCEEDED", "License Limit Exceeded", &[]));
                }
            }
        }
    }
    let full_id = st
        .get(sobject, id)
        .map(|r| id_of(r).to_string())
        .unwrap_or_default();
    let r = st.get_mut(sobject, id).expect("checked above");
    for (k, v) in body.into_iter().filter(|(k, _)| k != "attributes") {
        r.insert(k, v);
    }
    if sobject == "User" {
        let profile = str_field(r, "ProfileId").to_string();
        let name = format!("{} {}", str_field(r, "FirstName"), str_field(r, "LastName"))
            .trim()
            .to_string();
        r.insert("Name".into(), json!(name));
        st.assign_profile_permset(&full_id, &profile);
    }
    if sobject == "PermissionSet" {
        // The record and the metadata component are one thing in Salesforce.
        let r = st.get(sobject, id).expect("checked above");
        let name = str_field(r, "Name").to_string();
        let (label, description) = (
            str_field(r, "Label").to_string(),
            r.get("Description").cloned(),
        );
        let xml = st.component("PermissionSet", &name).map(|c| c.xml.clone());
        if let Some(mut doc) = xml.and_then(|x| metadata::parse(&x).ok().map(|d| d.into_owned())) {
            let kids = doc.root.children_mut();
            kids.retain(|e| e.name != "label" && e.name != "description");
            kids.push(metadata::Element::text("label", label));
            if let Some(Value::String(d)) = description {
                kids.push(metadata::Element::text("description", d));
            }
            let xml = String::from_utf8(metadata::to_canonical_bytes(&mut doc))
                .expect("the writer emits UTF-8");
            st.put_component("PermissionSet", &name, xml, None, &super::ids::now_iso());
        }
    }
    Ok(())
}
