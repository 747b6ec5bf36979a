//! The seed: what a fresh emulated org holds, as data (`seed.json`, embedded).
//! Owns: the serde shape of the seed and loading it. Tests vary an org by
//! editing a `Seed` value (or a copy of the JSON) before `spawn`.
//! Does not: build records or components from it (see `state.rs`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::EmulatorError;

const DEFAULT_SEED: &str = include_str!("seed.json");

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Seed {
    pub org: OrgSeed,
    pub oauth: OAuthSeed,
    /// The user the emulator's own session (printed by `serve`) belongs to.
    pub admin_username: String,
    pub user_licenses: Vec<UserLicenseSeed>,
    pub permission_set_licenses: Vec<PslSeed>,
    pub profiles: Vec<ProfileSeed>,
    pub users: Vec<UserSeed>,
    pub objects: Vec<ObjectSeed>,
    pub permissions: PermissionsSeed,
    pub push_topics: PushTopicSeed,
    /// Settings member (`Event`) -> its XML.
    pub settings: BTreeMap<String, String>,
    pub packages: Vec<PackageSeed>,
    /// Metadata the org starts with besides its profiles (custom profiles,
    /// permission sets), deployed in order as a deploy would write them,
    /// before the users are created.
    #[serde(default)]
    pub components: Vec<ComponentSeed>,
}

/// One metadata file of the seed: `Profile`/`PermissionSet` and its XML.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ComponentSeed {
    #[serde(rename = "type")]
    pub type_name: String,
    pub member: String,
    pub xml: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrgSeed {
    pub id: String,
    pub name: String,
    pub edition: String,
    pub namespace_prefix: Option<String>,
    pub is_sandbox: bool,
    pub api_version: String,
    pub my_domain: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OAuthSeed {
    pub clients: Vec<OAuthClientSeed>,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct OAuthClientSeed {
    pub client_id: String,
    pub client_secret: String,
    /// PEM certificate or public key that verifies JWT bearer assertions.
    pub certificate: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserLicenseSeed {
    pub name: String,
    pub key: String,
    pub total: u32,
    /// A full CRM license (Salesforce, Salesforce Platform) versus a limited one.
    pub full: bool,
    /// `The user license doesn't allow the permission: X` for these.
    #[serde(default)]
    pub disallowed_permissions: Vec<String>,
    /// Users of this license need this PSL before a permission set may give
    /// them object access.
    #[serde(default)]
    pub requires_psl_for_objects: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PslSeed {
    pub developer_name: String,
    pub label: String,
    pub total: u32,
    pub user_license: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProfileSeed {
    /// The UI name (`System Administrator`), Profile.Name in SOQL.
    pub name: String,
    /// The Metadata API fullName (`Admin`).
    pub full_name: String,
    pub license: String,
    pub custom: bool,
    pub user_permissions: Vec<String>,
    pub object_permissions: Vec<ObjectPermissionSeed>,
    /// Field-level security on every permissionable field: `edit`, `read`, `none`.
    pub all_fields: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectPermissionSeed {
    pub object: String,
    pub allow_create: bool,
    pub allow_delete: bool,
    pub allow_edit: bool,
    pub allow_read: bool,
    pub modify_all_records: bool,
    pub view_all_records: bool,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct UserSeed {
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub alias: String,
    /// Profile UI name.
    pub profile: String,
    pub active: bool,
    /// For the OAuth password grant and SOAP `login` (a made-up local
    /// credential; users created over REST have none).
    #[serde(default)]
    pub password: Option<String>,
    /// Permission sets assigned to the user (API names).
    #[serde(default)]
    pub permission_sets: Vec<String>,
    /// Permission set licenses assigned to the user (developer names).
    #[serde(default)]
    pub permission_set_licenses: Vec<String>,
    /// Permission set groups assigned to the user (developer names).
    #[serde(default)]
    pub permission_set_groups: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectSeed {
    pub name: String,
    pub label: String,
    pub plural_label: String,
    pub fields: Vec<FieldSeed>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FieldSeed {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    /// Required fields take no field-level security.
    #[serde(default)]
    pub required: bool,
    /// Whether FLS may be set (false for required and system fields).
    #[serde(default = "yes")]
    pub permissionable: bool,
    #[serde(default)]
    pub reference_to: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PermissionsSeed {
    /// Every valid user-permission API name.
    pub names: Vec<String>,
    /// Permission -> the permissions it depends on.
    pub dependencies: BTreeMap<String, Vec<String>>,
    /// Object -> objects whose Read its Read needs (Account and Contact go
    /// together while Contact sharing is controlled by its parent: "Permission
    /// Read Account depends on permission(s): Read Contact", apex-recipes#22).
    #[serde(default)]
    pub object_read_dependencies: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushTopicSeed {
    /// The edition's limit (Enterprise: 50).
    pub limit: usize,
    pub existing: Vec<PushTopicRow>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushTopicRow {
    pub name: String,
    pub query: String,
    pub api_version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PackageSeed {
    pub namespace: String,
    pub name: String,
    pub pages: Vec<String>,
    pub classes: Vec<String>,
    pub connected_apps: Vec<InstalledAppSeed>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstalledAppSeed {
    pub name: String,
    pub label: String,
    pub contact_email: String,
    pub callback_url: String,
    pub consumer_key: String,
    pub scopes: Vec<String>,
}

impl Seed {
    /// The built-in Enterprise Edition org.
    pub fn default_org() -> Seed {
        serde_json::from_str(DEFAULT_SEED).expect("the embedded seed.json is valid")
    }

    /// A seed from a JSON file.
    pub fn from_file(path: &Path) -> Result<Seed, EmulatorError> {
        let text = std::fs::read_to_string(path).map_err(|source| EmulatorError::Read {
            what: "--seed",
            path: path.to_path_buf(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|e| EmulatorError::Invalid {
            what: "seed",
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    pub fn object(&self, name: &str) -> Option<&ObjectSeed> {
        self.objects.iter().find(|o| o.name == name)
    }

    pub fn license(&self, name: &str) -> Option<&UserLicenseSeed> {
        self.user_licenses.iter().find(|l| l.name == name)
    }

    pub fn is_permission(&self, name: &str) -> bool {
        self.permissions.names.iter().any(|n| n == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_seed_is_consistent() {
        let seed = Seed::default_org();
        assert!(seed.permissions.names.len() > 190);
        for (p, deps) in &seed.permissions.dependencies {
            assert!(seed.is_permission(p), "{p}");
            for d in deps {
                assert!(seed.is_permission(d), "{p} -> {d}");
            }
        }
        for profile in &seed.profiles {
            assert!(seed.license(&profile.license).is_some());
            for p in &profile.user_permissions {
                assert!(seed.is_permission(p), "{p}");
                for d in seed.permissions.dependencies.get(p).into_iter().flatten() {
                    assert!(profile.user_permissions.contains(d), "{p} needs {d}");
                }
            }
        }
        assert!(seed.users.iter().any(|u| u.username == seed.admin_username));
        // The emulated org agrees with sfprov's catalog (both come from the
        // same sources); the org may know more dependencies, never fewer.
        let mut names = seed.permissions.names.clone();
        names.sort();
        let mut catalog: Vec<String> = sfprov_metadata::catalog::USER_PERMISSIONS
            .iter()
            .map(|s| s.to_string())
            .collect();
        catalog.sort();
        assert_eq!(names, catalog);
        for (p, deps) in sfprov_metadata::catalog::DEPENDENCIES {
            let ours = &seed.permissions.dependencies[*p];
            for d in *deps {
                assert!(ours.iter().any(|o| o == d), "{p} -> {d}");
            }
        }
        assert_eq!(seed.push_topics.limit, 50);
    }
}

/// Debug without the client secret: even made-up credentials stay out of logs.
impl std::fmt::Debug for OAuthClientSeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClientSeed")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("certificate", &self.certificate.as_ref().map(|_| "[pem]"))
            .finish()
    }
}

/// Debug without the password.
impl std::fmt::Debug for UserSeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserSeed")
            .field("username", &self.username)
            .field("profile", &self.profile)
            .field("active", &self.active)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod redaction_tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let c = OAuthClientSeed {
            client_id: "id".into(),
            client_secret: "s3cr3t-client".into(),
            certificate: None,
        };
        let u = UserSeed {
            username: "u@x.example".into(),
            first_name: "U".into(),
            last_name: "X".into(),
            email: "u@x.example".into(),
            alias: "ux".into(),
            profile: "Standard User".into(),
            active: true,
            password: Some("s3cr3t-pass".into()),
            permission_sets: Vec::new(),
            permission_set_licenses: Vec::new(),
            permission_set_groups: Vec::new(),
        };
        let text = format!("{c:?} {u:?}");
        assert!(!text.contains("s3cr3t"), "{text}");
    }
}
