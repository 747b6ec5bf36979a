//! The sObjects sfprov touches: their describe, and the rules Salesforce
//! enforces when they are created or updated (unique Username, license from
//! profile and seats, permission set licenses, duplicate assignments, the
//! PushTopic limit). Owns: field tables, create/update validation, errors as
//! `RestError` values. Does not: HTTP (see `rest.rs`) or SOQL (see `soql.rs`).

use serde_json::{json, Map, Value};

use super::access;
use super::state::{id_of, str_field, OrgState, Record};
use crate::metadata;

/// One describe field: name, SOAP type, createable, updateable, required on
/// create, and the sObject a reference points to.
pub struct FieldDef {
    pub name: String,
    pub ty: &'static str,
    pub createable: bool,
    pub updateable: bool,
    pub required: bool,
    pub reference_to: Option<String>,
}

/// A Salesforce REST error: status, errorCode, message, fields.
#[derive(Debug)]
pub struct RestError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub fields: Vec<String>,
}

pub fn err(code: &'static str, message: impl Into<String>, fields: &[&str]) -> RestError {
    RestError {
        status: 400,
        code,
        message: message.into(),
        fields: fields.iter().map(|f| f.to_string()).collect(),
    }
}

// name:type:flags  (c = createable, u = updateable, r = required on create)
const USER: &[&str] = &[
    "Username:string:cur",
    "FirstName:string:cu",
    "LastName:string:cur",
    "Name:string:",
    "Email:email:cur",
    "Alias:string:cur",
    "CommunityNickname:string:cu",
    "ProfileId:reference:cur",
    "UserRoleId:reference:cu",
    "IsActive:boolean:cu",
    "UserType:picklist:",
    "TimeZoneSidKey:picklist:cur",
    "LocaleSidKey:picklist:cur",
    "EmailEncodingKey:picklist:cur",
    "LanguageLocaleKey:picklist:cur",
    "FederationIdentifier:string:cu",
    "Title:string:cu",
    "Department:string:cu",
];
const PROFILE: &[&str] = &[
    "Name:string:cur",
    "UserLicenseId:reference:cr",
    "UserType:picklist:",
    "Description:textarea:cu",
];
const PERMISSION_SET: &[&str] = &[
    "Name:string:cur",
    "Label:string:cur",
    "LicenseId:reference:c",
    "IsOwnedByProfile:boolean:",
    "ProfileId:reference:",
    "NamespacePrefix:string:",
    "Type:picklist:",
    "Description:textarea:cu",
];
const PSA: &[&str] = &[
    "AssigneeId:reference:cr",
    "PermissionSetId:reference:cr",
    "PermissionSetGroupId:reference:c",
    "IsActive:boolean:",
];
const PSL: &[&str] = &[
    "DeveloperName:string:",
    "MasterLabel:string:",
    "PermissionSetLicenseKey:string:",
    "TotalLicenses:int:",
    "UsedLicenses:int:",
    "Status:picklist:",
    "IsAvailableForIntegrations:boolean:",
];
const PSLA: &[&str] = &[
    "AssigneeId:reference:cr",
    "PermissionSetLicenseId:reference:cr",
];
const USER_LICENSE: &[&str] = &[
    "Name:string:",
    "LicenseDefinitionKey:string:",
    "TotalLicenses:int:",
    "UsedLicenses:int:",
    "Status:picklist:",
];
const PUSH_TOPIC: &[&str] = &[
    "Name:string:cr",
    "Query:textarea:cur",
    "ApiVersion:double:cur",
    "Description:string:cu",
    "IsActive:boolean:cu",
    "NotifyForFields:picklist:cu",
    "NotifyForOperationCreate:boolean:cu",
    "NotifyForOperationUpdate:boolean:cu",
    "NotifyForOperationDelete:boolean:cu",
    "NotifyForOperationUndelete:boolean:cu",
];
const APEX_PAGE: &[&str] = &[
    "Name:string:",
    "NamespacePrefix:string:",
    "MasterLabel:string:",
];
const APEX_CLASS: &[&str] = &[
    "Name:string:",
    "NamespacePrefix:string:",
    "Status:picklist:",
];
const CONNECTED_APP: &[&str] = &[
    "Name:string:",
    "NamespacePrefix:string:",
    "OptionsAllowAdminApprovedUsersOnly:boolean:",
];
const SETUP_ENTITY_ACCESS: &[&str] = &[
    "ParentId:reference:cr",
    "SetupEntityId:reference:cr",
    "SetupEntityType:picklist:",
];
const ORGANIZATION: &[&str] = &[
    "Name:string:",
    "OrganizationType:picklist:",
    "IsSandbox:boolean:",
    "NamespacePrefix:string:",
    "InstanceName:string:",
];

/// The sObjects the emulator serves.
pub const SOBJECTS: &[&str] = &[
    "ApexClass",
    "ApexPage",
    "ConnectedApplication",
    "Organization",
    "PermissionSet",
    "PermissionSetAssignment",
    "PermissionSetLicense",
    "PermissionSetLicenseAssign",
    "Profile",
    "PushTopic",
    "SetupEntityAccess",
    "User",
    "UserLicense",
];

fn table(sobject: &str) -> Option<&'static [&'static str]> {
    Some(match sobject {
        "User" => USER,
        "Profile" => PROFILE,
        "PermissionSet" => PERMISSION_SET,
        "PermissionSetAssignment" => PSA,
        "PermissionSetLicense" => PSL,
        "PermissionSetLicenseAssign" => PSLA,
        "UserLicense" => USER_LICENSE,
        "PushTopic" => PUSH_TOPIC,
        "ApexPage" => APEX_PAGE,
        "ApexClass" => APEX_CLASS,
        "ConnectedApplication" => CONNECTED_APP,
        "SetupEntityAccess" => SETUP_ENTITY_ACCESS,
        "Organization" => ORGANIZATION,
        _ => return None,
    })
}

fn reference_target(sobject: &str, field: &str) -> Option<&'static str> {
    Some(match (sobject, field) {
        (_, "ProfileId") => "Profile",
        (_, "UserLicenseId") => "UserLicense",
        (_, "AssigneeId") => "User",
        (_, "PermissionSetId") | ("SetupEntityAccess", "ParentId") => "PermissionSet",
        (_, "PermissionSetLicenseId") => "PermissionSetLicense",
        _ => return None,
    })
}

/// The fields of an sObject, `Id` and audit fields included; `None` if unknown.
pub fn fields(st: &OrgState, sobject: &str) -> Option<Vec<FieldDef>> {
    let mut out = vec![FieldDef {
        name: "Id".into(),
        ty: "id",
        createable: false,
        updateable: false,
        required: false,
        reference_to: None,
    }];
    if let Some(t) = table(sobject) {
        for spec in t {
            let mut parts = spec.split(':');
            let name = parts.next().unwrap_or_default();
            let ty = parts.next().unwrap_or("string");
            let flags = parts.next().unwrap_or("");
            out.push(FieldDef {
                name: name.into(),
                ty,
                createable: flags.contains('c'),
                updateable: flags.contains('u'),
                required: flags.contains('r'),
                reference_to: reference_target(sobject, name).map(str::to_string),
            });
        }
        if sobject == "PermissionSet" || sobject == "Profile" {
            for p in &st.seed.permissions.names {
                out.push(FieldDef {
                    name: format!("Permissions{p}"),
                    ty: "boolean",
                    createable: sobject == "PermissionSet",
                    updateable: sobject == "PermissionSet",
                    required: false,
                    reference_to: None,
                });
            }
        }
    } else {
        let o = st.seed.object(sobject)?;
        for f in o.fields.iter().filter(|f| f.name != "Id") {
            out.push(FieldDef {
                name: f.name.clone(),
                ty: leak_type(&f.ty),
                createable: f.permissionable || f.required,
                updateable: f.permissionable || f.required,
                required: f.required,
                reference_to: f.reference_to.clone(),
            });
        }
    }
    for audit in ["CreatedDate", "LastModifiedDate", "SystemModstamp"] {
        if !out.iter().any(|f| f.name == audit) {
            out.push(FieldDef {
                name: audit.into(),
                ty: "datetime",
                createable: false,
                updateable: false,
                required: false,
                reference_to: None,
            });
        }
    }
    Some(out)
}

fn leak_type(t: &str) -> &'static str {
    match t {
        "id" => "id",
        "reference" => "reference",
        "boolean" => "boolean",
        "date" => "date",
        "datetime" => "datetime",
        "email" => "email",
        "phone" => "phone",
        "picklist" => "picklist",
        "textarea" => "textarea",
        "currency" => "currency",
        "int" => "int",
        "double" => "double",
        "percent" => "percent",
        "url" => "url",
        "address" => "address",
        _ => "string",
    }
}

/// Values computed from metadata rather than stored: `Permissions*` of a
/// PermissionSet or Profile come from the component's user permissions.
pub fn virtual_field(st: &OrgState, sobject: &str, r: &Record, field: &str) -> Option<Value> {
    let perm = field.strip_prefix("Permissions")?;
    let xml = match sobject {
        "Profile" => st
            .component("Profile", st.profile_full_name(id_of(r))?)?
            .xml
            .clone(),
        "PermissionSet" => match r.get("ProfileId").and_then(Value::as_str) {
            Some(p) if r.get("IsOwnedByProfile") == Some(&json!(true)) => st
                .component("Profile", st.profile_full_name(p)?)?
                .xml
                .clone(),
            _ => st
                .component("PermissionSet", str_field(r, "Name"))?
                .xml
                .clone(),
        },
        _ => return None,
    };
    let root = metadata::parse(&xml).ok()?.into_owned().root;
    Some(json!(access::enabled_permissions(&root).contains(perm)))
}

/// Describe JSON of one sObject.
pub fn describe(st: &OrgState, sobject: &str, version: &str) -> Option<Value> {
    let fs = fields(st, sobject)?;
    let label = st
        .seed
        .object(sobject)
        .map_or(sobject.to_string(), |o| o.label.clone());
    let plural = st
        .seed
        .object(sobject)
        .map_or(format!("{sobject}s"), |o| o.plural_label.clone());
    let createable = fs.iter().any(|f| f.createable);
    let fields: Vec<Value> = fs
        .iter()
        .map(|f| {
            json!({
                "name": f.name, "type": f.ty, "label": f.name,
                "nillable": !f.required && f.ty != "boolean" && f.name != "Id",
                "createable": f.createable, "updateable": f.updateable,
                "defaultedOnCreate": f.ty == "boolean" || f.name == "Id",
                "referenceTo": f.reference_to.iter().collect::<Vec<_>>(),
                "relationshipName": f.reference_to.as_ref().map(|_| f.name.trim_end_matches("Id").to_string()),
            })
        })
        .collect();
    let prefix = super::state::key_prefix(sobject);
    let base = format!("/services/data/{version}/sobjects/{sobject}");
    Some(json!({
        "name": sobject, "label": label, "labelPlural": plural, "keyPrefix": prefix,
        "createable": createable, "updateable": fs.iter().any(|f| f.updateable),
        "deletable": matches!(sobject, "PermissionSetAssignment" | "PermissionSetLicenseAssign" | "PushTopic" | "SetupEntityAccess"),
        "queryable": true, "retrieveable": true, "custom": false,
        "fields": fields,
        "urls": {"sobject": base, "describe": format!("{base}/describe"), "rowTemplate": format!("{base}/{{ID}}")},
    }))
}

/// Checks field names and writability of a create or update body.
fn check_body(
    st: &OrgState,
    sobject: &str,
    body: &Map<String, Value>,
    create: bool,
) -> Result<(), RestError> {
    let fs = fields(st, sobject).ok_or_else(|| not_supported(sobject))?;
    let mut readonly = Vec::new();
    for key in body.keys().filter(|k| *k != "attributes") {
        let Some(f) = fs.iter().find(|f| f.name.eq_ignore_ascii_case(key)) else {
            return Err(err(
                "INVALID_FIELD",
                format!("No such column '{key}' on sobject of type {sobject}"),
                &[],
            ));
        };
        if (create && !f.createable) || (!create && !f.updateable) {
            readonly.push(f.name.clone());
        }
    }
    if !readonly.is_empty() {
        return Err(err(
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            format!(
                "Unable to create/update fields: {}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.",
                readonly.join(", ")
            ),
            &readonly.iter().map(String::as_str).collect::<Vec<_>>(),
        ));
    }
    if create {
        let missing: Vec<&str> = fs
            .iter()
            .filter(|f| f.required)
            .filter(|f| !matches!(body.get(&f.name), Some(v) if !v.is_null() && v != ""))
            .map(|f| f.name.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(err(
                "REQUIRED_FIELD_MISSING",
                format!("Required fields are missing: [{}]", missing.join(", ")),
                &missing,
            ));
        }
    }
    for f in fs.iter().filter(|f| f.reference_to.is_some()) {
        if let Some(v) = body
            .get(&f.name)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
        {
            let target = f.reference_to.as_deref().unwrap_or("");
            if st.get(target, v).is_none() {
                return Err(err(
                    "INVALID_CROSS_REFERENCE_KEY",
                    format!("{}: id value of incorrect type: {v}", f.name),
                    &[&f.name],
                ));
            }
        }
    }
    Ok(())
}

pub fn not_supported(sobject: &str) -> RestError {
    RestError {
        status: 404,
        code: "NOT_FOUND",
        message: format!(
            "The requested resource does not exist: sObject type '{sobject}' is not supported."
        ),
        fields: vec![],
    }
}

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
            let ps = str_field(&r, "PermissionSetId").to_string();
            if st.rows("PermissionSetAssignment").iter().any(|a| {
                super::ids::same(str_field(a, "AssigneeId"), &user)
                    && super::ids::same(str_field(a, "PermissionSetId"), &ps)
            }) {
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
            if let Some(dup) = st.rows("PermissionSetLicenseAssign").iter().find(|a| {
                super::ids::same(str_field(a, "AssigneeId"), &user)
                    && super::ids::same(str_field(a, "PermissionSetLicenseId"), &psl)
            }) {
                return Err(err(
                    "DUPLICATE_VALUE",
                    format!(
                        "duplicate value found: <unknown> duplicates value on record with id: {}",
                        id_of(dup)
                    ),
                    &[],
                ));
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
            if st.find_by("PushTopic", "Name", &name).is_some() {
                return Err(err(
                    "DUPLICATE_VALUE",
                    format!(
                        "duplicate value found: Name duplicates value on record with id: {}",
                        id_of(st.find_by("PushTopic", "Name", &name).expect("just found"))
                    ),
                    &["Name"],
                ));
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
            if st.find_by("Profile", "Name", &name).is_some() {
                return Err(err(
                    "DUPLICATE_VALUE",
                    format!(
                        "duplicate value found: Name duplicates value on record with id: {name}"
                    ),
                    &["Name"],
                ));
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
            if let Some(dup) = st.rows("SetupEntityAccess").iter().find(|a| {
                super::ids::same(str_field(a, "ParentId"), &parent)
                    && super::ids::same(str_field(a, "SetupEntityId"), &entity)
            }) {
                return Err(err(
                    "DUPLICATE_VALUE",
                    format!(
                        "duplicate value found: <unknown> duplicates value on record with id: {}",
                        id_of(dup)
                    ),
                    &[],
                ));
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
    Ok(())
}
