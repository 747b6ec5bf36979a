//! The sObjects sfprov touches: their describe, and the rules Salesforce
//! enforces when they are created or updated (unique Username, license from
//! profile and seats, permission set licenses, duplicate assignments, the
//! PushTopic limit). Owns: field tables, create/update validation, errors as
//! `RestError` values. Does not: HTTP (see `rest.rs`) or SOQL (see `soql.rs`).

use serde_json::{json, Map, Value};

use super::access;
use super::state::{id_of, str_field, OrgState, Record};
use sfprov_metadata as metadata;

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
    "PermissionSetGroupId:reference:",
];
const PERMISSION_SET_GROUP: &[&str] = &[
    "DeveloperName:string:",
    "NamespacePrefix:string:",
    "MasterLabel:string:",
    "Status:picklist:",
    "Description:textarea:",
];
const PSG_COMPONENT: &[&str] = &[
    "PermissionSetGroupId:reference:",
    "PermissionSetId:reference:",
];
const PSA: &[&str] = &[
    "AssigneeId:reference:cr",
    // Either a permission set or a permission set group.
    "PermissionSetId:reference:c",
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
    "TrialExpirationDate:datetime:",
];

const SANDBOX_PROCESS: &[&str] = &[
    "SandboxName:string:",
    "LicenseType:picklist:",
    "Status:picklist:",
    "SandboxInfoId:reference:",
    "SandboxOrganization:string:",
    "CopyProgress:int:",
    "Description:string:",
    "EndDate:datetime:",
];

/// The API an sObject is asked through: the REST data API, or the Tooling
/// API (`/services/data/vNN.N/tooling/…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Data,
    Tooling,
}

/// The Tooling API's sObjects the emulator serves. A production org has no
/// sandboxes of its own copying (`SandboxProcess` is empty) and no source
/// tracking (`SourceMember` is not served, which is how the Salesforce CLI
/// tells a tracked org from an untracked one).
pub const TOOLING_SOBJECTS: &[&str] = &["ApexClass", "ApexPage", "SandboxProcess"];

/// The sObjects an API serves, spelled as the org spells them.
pub fn served(st: &OrgState, api: Api) -> Vec<String> {
    match api {
        Api::Data => SOBJECTS
            .iter()
            .map(|s| s.to_string())
            .chain(st.seed.objects.iter().map(|o| o.name.clone()))
            .collect(),
        Api::Tooling => TOOLING_SOBJECTS.iter().map(|s| s.to_string()).collect(),
    }
}

/// The sObjects the emulator serves.
pub const SOBJECTS: &[&str] = &[
    "ApexClass",
    "ApexPage",
    "ConnectedApplication",
    "Organization",
    "PermissionSet",
    "PermissionSetAssignment",
    "PermissionSetGroup",
    "PermissionSetGroupComponent",
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
        "PermissionSetGroup" => PERMISSION_SET_GROUP,
        "PermissionSetGroupComponent" => PSG_COMPONENT,
        "PermissionSetLicense" => PSL,
        "PermissionSetLicenseAssign" => PSLA,
        "UserLicense" => USER_LICENSE,
        "PushTopic" => PUSH_TOPIC,
        "ApexPage" => APEX_PAGE,
        "ApexClass" => APEX_CLASS,
        "ConnectedApplication" => CONNECTED_APP,
        "SetupEntityAccess" => SETUP_ENTITY_ACCESS,
        "Organization" => ORGANIZATION,
        "SandboxProcess" => SANDBOX_PROCESS,
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
        (_, "PermissionSetGroupId") => "PermissionSetGroup",
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
pub fn check_body(
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
