//! The emulated org's state.
//! Owns: `OrgState` (metadata components as canonical XML, sObject records,
//! the seed it came from), building it from a seed, record and component
//! helpers. It is what `state.json` holds (see `shared.rs` for the lock and
//! persistence). Does not: interpret metadata (deploy/retrieve) or HTTP.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::ids;
use super::seed::Seed;
use sfprov_metadata::{self as metadata, Document, Element};

/// One sObject row: field name -> JSON value, always with `Id`.
pub type Record = Map<String, Value>;

/// One metadata component as the org holds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Component {
    /// Canonical XML of the org's full record of the component.
    pub xml: String,
    pub id: String,
    pub created_date: String,
    pub last_modified_date: String,
    pub namespace_prefix: Option<String>,
    /// `installed` for managed-package components; `None` for unmanaged.
    pub manageable_state: Option<String>,
}

/// Everything that makes up the org; serialized whole to `state.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrgState {
    pub seed: Seed,
    /// type -> fullName -> component.
    pub components: BTreeMap<String, BTreeMap<String, Component>>,
    /// sObject type -> rows in insertion order.
    pub records: BTreeMap<String, Vec<Record>>,
    /// User id -> password, for the password grant and SOAP login.
    #[serde(default)]
    pub passwords: BTreeMap<String, String>,
    counter: u64,
}

/// The key prefix of each sObject's ids.
pub fn key_prefix(sobject: &str) -> &'static str {
    match sobject {
        "User" => "005",
        "Profile" => "00e",
        "PermissionSet" => "0PS",
        "PermissionSetGroup" => "0PG",
        "PermissionSetGroupComponent" => "0PH",
        "PermissionSetAssignment" => "0Pa",
        "PermissionSetLicense" => "0PL",
        "PermissionSetLicenseAssign" => "2LA",
        "UserLicense" => "100",
        "PushTopic" => "0IF",
        "ApexPage" => "066",
        "ApexClass" => "01p",
        "ConnectedApplication" => "0H4",
        "SetupEntityAccess" => "0J0",
        "Organization" => "00D",
        "SandboxProcess" => "0GR",
        "Account" => "001",
        "Contact" => "003",
        "Lead" => "00Q",
        "Opportunity" => "006",
        "Case" => "500",
        "StreamingChannel" => "0M6",
        "DeployRequest" => "0Af",
        "RetrieveRequest" => "09S",
        _ => "a00",
    }
}

impl OrgState {
    /// A fresh org built from a seed.
    pub fn from_seed(seed: Seed) -> OrgState {
        Self::try_from_seed(seed).expect("the seed's components deploy")
    }

    /// A fresh org built from a seed; a seed component the org refuses, or
    /// an assignment naming a permission set the org lacks, is an error.
    pub fn try_from_seed(seed: Seed) -> Result<OrgState, String> {
        let mut st = OrgState {
            seed,
            components: BTreeMap::new(),
            records: BTreeMap::new(),
            passwords: BTreeMap::new(),
            counter: 0,
        };
        st.build()?;
        Ok(st)
    }

    fn build(&mut self) -> Result<(), String> {
        let seed = self.seed.clone();
        let org = &seed.org;
        let mut org_rec = Record::new();
        org_rec.insert("Id".into(), json!(org.id));
        org_rec.insert("Name".into(), json!(org.name));
        org_rec.insert("OrganizationType".into(), json!(org.edition));
        org_rec.insert("IsSandbox".into(), json!(org.is_sandbox));
        org_rec.insert("NamespacePrefix".into(), json!(org.namespace_prefix));
        org_rec.insert("InstanceName".into(), json!("EMU1"));
        self.records
            .entry("Organization".into())
            .or_default()
            .push(org_rec);

        for l in &seed.user_licenses {
            self.insert(
                "UserLicense",
                rec(&[
                    ("Name", json!(l.name)),
                    ("LicenseDefinitionKey", json!(l.key)),
                    ("TotalLicenses", json!(l.total)),
                    ("UsedLicenses", json!(0)),
                    ("Status", json!("Active")),
                ]),
            );
        }
        for p in &seed.permission_set_licenses {
            self.insert(
                "PermissionSetLicense",
                rec(&[
                    ("DeveloperName", json!(p.developer_name)),
                    ("MasterLabel", json!(p.label)),
                    ("PermissionSetLicenseKey", json!(p.developer_name)),
                    ("TotalLicenses", json!(p.total)),
                    ("UsedLicenses", json!(0)),
                    ("Status", json!("Active")),
                    ("IsAvailableForIntegrations", json!(true)),
                ]),
            );
        }
        for p in &seed.profiles {
            let xml = profile_xml(&seed, p);
            self.create_profile(&p.name, &p.full_name, &p.license, xml, None);
        }
        for t in &seed.push_topics.existing {
            self.insert(
                "PushTopic",
                rec(&[
                    ("Name", json!(t.name)),
                    ("Query", json!(t.query)),
                    (
                        "ApiVersion",
                        json!(t.api_version.parse::<f64>().unwrap_or(63.0)),
                    ),
                    ("IsActive", json!(true)),
                    ("NotifyForFields", json!("Referenced")),
                ]),
            );
        }
        let now = ids::now_iso();
        for (member, xml) in &seed.settings {
            let xml = canonical(xml);
            self.put_component("Settings", member, xml, None, &now);
        }
        for pkg in &seed.packages {
            for page in &pkg.pages {
                self.insert(
                    "ApexPage",
                    rec(&[
                        ("Name", json!(page)),
                        ("NamespacePrefix", json!(pkg.namespace)),
                        ("MasterLabel", json!(page)),
                    ]),
                );
            }
            for class in &pkg.classes {
                self.insert(
                    "ApexClass",
                    rec(&[
                        ("Name", json!(class)),
                        ("NamespacePrefix", json!(pkg.namespace)),
                        ("Status", json!("Active")),
                    ]),
                );
            }
            for app in &pkg.connected_apps {
                let full = format!("{}__{}", pkg.namespace, app.name);
                let mut oauth = vec![Element::text("callbackUrl", app.callback_url.clone())];
                oauth.push(Element::text("consumerKey", app.consumer_key.clone()));
                for s in &app.scopes {
                    oauth.push(Element::text("scopes", s.clone()));
                }
                let mut doc = Document::new(
                    "ConnectedApp",
                    vec![
                        Element::text("contactEmail", app.contact_email.clone()),
                        Element::text("label", app.label.clone()),
                        Element::with_children("oauthConfig", oauth),
                    ],
                );
                let xml = String::from_utf8(metadata::to_canonical_bytes(&mut doc))
                    .expect("the writer emits UTF-8");
                self.put_component("ConnectedApp", &full, xml, Some(&pkg.namespace), &now);
                self.insert(
                    "ConnectedApplication",
                    rec(&[
                        ("Name", json!(app.label)),
                        ("NamespacePrefix", json!(pkg.namespace)),
                        ("OptionsAllowAdminApprovedUsersOnly", json!(false)),
                    ]),
                );
            }
        }

        // Components may grant the packages' pages; users need their profiles.
        let api: f64 = seed.org.api_version.parse().unwrap_or(63.0);
        for c in &seed.components {
            super::apply::apply_component(self, &c.type_name, &c.member, c.xml.as_bytes(), api)
                .map_err(|problems| {
                    format!(
                        "seed component {} `{}` does not deploy: {}",
                        c.type_name,
                        c.member,
                        problems.join("; ")
                    )
                })?;
        }
        for u in &seed.users {
            let profile_id = self
                .find_by("Profile", "Name", &u.profile)
                .map(|r| id_of(r).to_string())
                .ok_or_else(|| format!("seed user `{}`: no profile `{}`", u.username, u.profile))?;
            let mut r = rec(&[
                ("Username", json!(u.username)),
                ("FirstName", json!(u.first_name)),
                ("LastName", json!(u.last_name)),
                ("Email", json!(u.email)),
                ("Alias", json!(u.alias)),
                ("ProfileId", json!(profile_id)),
                ("IsActive", json!(u.active)),
                ("TimeZoneSidKey", json!("America/Los_Angeles")),
                ("LocaleSidKey", json!("en_US")),
                ("EmailEncodingKey", json!("UTF-8")),
                ("LanguageLocaleKey", json!("en_US")),
            ]);
            super::records::complete_user(self, &mut r);
            let id = self.insert("User", r);
            self.assign_profile_permset(&id, &profile_id);
            if let Some(p) = &u.password {
                self.passwords.insert(id.clone(), p.clone());
            }
            for ps in &u.permission_sets {
                let ps_id = self
                    .regular_permission_set(ps)
                    .map(|r| id_of(r).to_string())
                    .ok_or_else(|| {
                        format!("seed user `{}`: no permission set `{ps}`", u.username)
                    })?;
                self.insert(
                    "PermissionSetAssignment",
                    rec(&[("AssigneeId", json!(id)), ("PermissionSetId", json!(ps_id))]),
                );
            }
            for g in &u.permission_set_groups {
                let agg = self
                    .find_by("PermissionSetGroup", "DeveloperName", g)
                    .map(|r| id_of(r).to_string())
                    .and_then(|gid| {
                        self.rows("PermissionSet")
                            .iter()
                            .find(|p| str_field(p, "PermissionSetGroupId") == gid)
                            .map(|p| (gid, id_of(p).to_string()))
                    })
                    .ok_or_else(|| {
                        format!("seed user `{}`: no permission set group `{g}`", u.username)
                    })?;
                self.insert(
                    "PermissionSetAssignment",
                    rec(&[
                        ("AssigneeId", json!(id)),
                        ("PermissionSetId", json!(agg.1)),
                        ("PermissionSetGroupId", json!(agg.0)),
                    ]),
                );
            }
            for psl in &u.permission_set_licenses {
                let psl_id = self
                    .find_by("PermissionSetLicense", "DeveloperName", psl)
                    .map(|r| id_of(r).to_string())
                    .ok_or_else(|| {
                        format!(
                            "seed user `{}`: no permission set license `{psl}`",
                            u.username
                        )
                    })?;
                self.insert(
                    "PermissionSetLicenseAssign",
                    rec(&[
                        ("AssigneeId", json!(id)),
                        ("PermissionSetLicenseId", json!(psl_id)),
                    ]),
                );
            }
        }
        Ok(())
    }

    /// A new id for an sObject type.
    pub fn next_id(&mut self, sobject: &str) -> String {
        self.counter += 1;
        ids::record_id(key_prefix(sobject), self.counter)
    }

    /// Inserts a row (giving it an `Id`) and returns the id.
    pub fn insert(&mut self, sobject: &str, mut r: Record) -> String {
        let id = self.next_id(sobject);
        let mut full = Record::new();
        full.insert("Id".into(), json!(id));
        full.append(&mut r);
        self.records
            .entry(sobject.to_string())
            .or_default()
            .push(full);
        id
    }

    pub fn rows(&self, sobject: &str) -> &[Record] {
        self.records.get(sobject).map_or(&[], |v| v.as_slice())
    }

    pub fn get(&self, sobject: &str, id: &str) -> Option<&Record> {
        self.rows(sobject).iter().find(|r| ids::same(id_of(r), id))
    }

    pub fn get_mut(&mut self, sobject: &str, id: &str) -> Option<&mut Record> {
        self.records
            .get_mut(sobject)?
            .iter_mut()
            .find(|r| ids::same(id_of(r), id))
    }

    /// The first row whose `field` equals `value` (string comparison).
    pub fn find_by(&self, sobject: &str, field: &str, value: &str) -> Option<&Record> {
        self.rows(sobject)
            .iter()
            .find(|r| r.get(field).and_then(Value::as_str) == Some(value))
    }

    /// Which sObject an id belongs to, by its key prefix.
    pub fn type_of_id(&self, id: &str) -> Option<String> {
        self.records
            .iter()
            .find(|(_, rows)| rows.iter().any(|r| ids::same(id_of(r), id)))
            .map(|(t, _)| t.clone())
    }

    pub fn component(&self, ty: &str, name: &str) -> Option<&Component> {
        self.components.get(ty)?.get(name)
    }

    /// Stores a component (creating or replacing it) and returns whether it was new.
    pub fn put_component(
        &mut self,
        ty: &str,
        name: &str,
        xml: String,
        namespace: Option<&str>,
        now: &str,
    ) -> bool {
        if let Some(c) = self.components.get_mut(ty).and_then(|m| m.get_mut(name)) {
            c.xml = xml;
            c.last_modified_date = now.to_string();
            return false;
        }
        let prefix = match ty {
            "Profile" => "Profile",
            "PermissionSet" => "PermissionSet",
            "PermissionSetGroup" => "PermissionSetGroup",
            "ConnectedApp" => "ConnectedApplication",
            _ => "Settings",
        };
        let id = match ty {
            "Settings" => String::new(),
            _ => self.next_id(prefix),
        };
        self.components.entry(ty.to_string()).or_default().insert(
            name.to_string(),
            Component {
                xml,
                id,
                created_date: now.to_string(),
                last_modified_date: now.to_string(),
                namespace_prefix: namespace.map(str::to_string),
                manageable_state: namespace.map(|_| "installed".to_string()),
            },
        );
        true
    }

    /// Creates a Profile record, its component and its profile-owned permission set.
    pub fn create_profile(
        &mut self,
        name: &str,
        full_name: &str,
        license: &str,
        xml: String,
        description: Option<&str>,
    ) -> String {
        let license_id = self
            .find_by("UserLicense", "Name", license)
            .map(|r| id_of(r).to_string())
            .unwrap_or_default();
        let now = ids::now_iso();
        self.put_component("Profile", full_name, xml, None, &now);
        let id = self.components["Profile"][full_name].id.clone();
        let mut r = Record::new();
        r.insert("Id".into(), json!(id));
        r.insert("Name".into(), json!(name));
        r.insert("UserLicenseId".into(), json!(license_id));
        r.insert("UserType".into(), json!("Standard"));
        r.insert("Description".into(), json!(description));
        self.records.entry("Profile".into()).or_default().push(r);
        let owned = format!("X{}", ids::short(&id));
        self.insert(
            "PermissionSet",
            rec(&[
                ("Name", json!(owned)),
                ("Label", json!(owned)),
                ("IsOwnedByProfile", json!(true)),
                ("ProfileId", json!(id)),
                ("LicenseId", json!(license_id)),
                ("NamespacePrefix", Value::Null),
                ("Type", json!("Profile")),
            ]),
        );
        id
    }

    /// The active user with this username and password, if any.
    pub fn authenticate(&self, username: &str, password: &str) -> Option<String> {
        let u = self
            .rows("User")
            .iter()
            .find(|u| str_field(u, "Username").eq_ignore_ascii_case(username))?;
        let ok = u.get("IsActive") == Some(&json!(true))
            && self.passwords.get(id_of(u)).is_some_and(|p| p == password);
        ok.then(|| id_of(u).to_string())
    }

    /// The permission set row named `name` that is neither a profile's nor
    /// a group's aggregate (`Type = 'Regular'`).
    pub fn regular_permission_set(&self, name: &str) -> Option<&Record> {
        self.rows("PermissionSet")
            .iter()
            .find(|r| str_field(r, "Name") == name && str_field(r, "Type") == "Regular")
    }

    /// The profile fullName (metadata name) of a Profile record id.
    pub fn profile_full_name(&self, profile_id: &str) -> Option<&str> {
        self.components
            .get("Profile")?
            .iter()
            .find(|(_, c)| ids::same(&c.id, profile_id))
            .map(|(n, _)| n.as_str())
    }

    /// The user license name of a profile record.
    pub fn profile_license(&self, profile_id: &str) -> Option<String> {
        let lic = self
            .get("Profile", profile_id)?
            .get("UserLicenseId")?
            .as_str()?;
        Some(
            self.get("UserLicense", lic)?
                .get("Name")?
                .as_str()?
                .to_string(),
        )
    }

    /// Points a user's profile-owned permission set assignment at a profile.
    pub fn assign_profile_permset(&mut self, user_id: &str, profile_id: &str) {
        let Some(ps) = self
            .rows("PermissionSet")
            .iter()
            .find(|r| r.get("ProfileId").and_then(Value::as_str) == Some(profile_id))
            .map(|r| id_of(r).to_string())
        else {
            return;
        };
        let owned: Vec<String> = self
            .rows("PermissionSet")
            .iter()
            .filter(|r| r.get("IsOwnedByProfile") == Some(&json!(true)))
            .map(|r| id_of(r).to_string())
            .collect();
        if let Some(rows) = self.records.get_mut("PermissionSetAssignment") {
            rows.retain(|r| {
                !(str_field(r, "AssigneeId") == user_id
                    && owned.iter().any(|o| o == str_field(r, "PermissionSetId")))
            });
        }
        self.insert(
            "PermissionSetAssignment",
            rec(&[
                ("AssigneeId", json!(user_id)),
                ("PermissionSetId", json!(ps)),
            ]),
        );
    }

    /// Recomputes derived fields (seats in use) before a read.
    pub fn refresh_derived(&mut self) {
        let mut used: HashMap<String, u64> = HashMap::new();
        for u in self.rows("User") {
            if u.get("IsActive") != Some(&json!(true)) {
                continue;
            }
            let lic = self
                .get("Profile", str_field(u, "ProfileId"))
                .map(|p| str_field(p, "UserLicenseId").to_string())
                .unwrap_or_default();
            *used.entry(lic).or_default() += 1;
        }
        for l in self.records.get_mut("UserLicense").into_iter().flatten() {
            let n = used.get(id_of(l)).copied().unwrap_or(0);
            l.insert("UsedLicenses".into(), json!(n));
        }
        let mut psl_used: HashMap<String, u64> = HashMap::new();
        for a in self.rows("PermissionSetLicenseAssign") {
            *psl_used
                .entry(str_field(a, "PermissionSetLicenseId").to_string())
                .or_default() += 1;
        }
        for l in self
            .records
            .get_mut("PermissionSetLicense")
            .into_iter()
            .flatten()
        {
            let n = psl_used.get(id_of(l)).copied().unwrap_or(0);
            l.insert("UsedLicenses".into(), json!(n));
        }
    }
}

/// The `Id` of a row.
pub fn id_of(r: &Record) -> &str {
    str_field(r, "Id")
}

/// A string field of a row, or "".
pub fn str_field<'r>(r: &'r Record, field: &str) -> &'r str {
    r.get(field).and_then(Value::as_str).unwrap_or("")
}

pub fn rec(fields: &[(&str, Value)]) -> Record {
    fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// Canonical XML text through the metadata model.
pub fn canonical(xml: &str) -> String {
    let bytes =
        metadata::canonical_bytes(xml.as_bytes()).unwrap_or_else(|_| xml.as_bytes().to_vec());
    String::from_utf8(bytes).expect("the writer emits UTF-8")
}

fn profile_xml(seed: &Seed, p: &super::seed::ProfileSeed) -> String {
    let mut children = vec![Element::boolean("custom", p.custom)];
    for op in &p.object_permissions {
        if let (Some(o), true) = (seed.object(&op.object), p.all_fields != "none") {
            for f in o.fields.iter().filter(|f| f.permissionable) {
                children.push(Element::with_children(
                    "fieldPermissions",
                    vec![
                        Element::boolean("editable", p.all_fields == "edit"),
                        Element::text("field", format!("{}.{}", o.name, f.name)),
                        Element::boolean("readable", true),
                    ],
                ));
            }
        }
        children.push(Element::with_children(
            "objectPermissions",
            vec![
                Element::boolean("allowCreate", op.allow_create),
                Element::boolean("allowDelete", op.allow_delete),
                Element::boolean("allowEdit", op.allow_edit),
                Element::boolean("allowRead", op.allow_read),
                Element::boolean("modifyAllRecords", op.modify_all_records),
                Element::text("object", op.object.clone()),
                Element::boolean("viewAllRecords", op.view_all_records),
            ],
        ));
    }
    children.push(Element::text("userLicense", p.license.clone()));
    for name in &p.user_permissions {
        children.push(Element::with_children(
            "userPermissions",
            vec![
                Element::boolean("enabled", true),
                Element::text("name", name.clone()),
            ],
        ));
    }
    let mut doc = Document::new("Profile", children);
    String::from_utf8(metadata::to_canonical_bytes(&mut doc)).expect("the writer emits UTF-8")
}
