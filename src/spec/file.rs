//! The shape of `sfprov.toml` and of the built-in templates, as serde types.
//! Owns: field names, types and defaults of the spec file format.
//! Does not: validate meaning (see `validate`) or know where a value came from
//! (see `source`). Unknown keys and wrong types are found first, all at
//! once with positions, by `shape`; serde reads a source only after that.

use std::collections::BTreeMap;

use serde::Deserialize;

/// One spec file, before templates are merged.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SpecFile {
    /// Metadata API version of the generated files ("63.0").
    pub api_version: Option<String>,
    /// A built-in template to start from (`sfprov templates` lists them).
    pub template: Option<String>,
    pub description: Option<String>,
    /// The integration needs a user who can log in through a browser (an OAuth
    /// web flow): no API-only user, no Salesforce Integration license.
    pub interactive_login: Option<bool>,
    pub user: Option<UserSpec>,
    #[serde(default)]
    pub profiles: BTreeMap<String, AccessSpec>,
    #[serde(default)]
    pub permission_sets: BTreeMap<String, AccessSpec>,
    /// Connected apps: policy on an app already in the org, or (with a
    /// definition) a new app.
    #[serde(default)]
    pub connected_app: BTreeMap<String, AppSpec>,
    /// External client apps sfprov creates (preferred for new integrations).
    #[serde(default)]
    pub external_client_app: BTreeMap<String, AppSpec>,
    pub settings: Option<SettingsSpec>,
    pub checks: Option<ChecksSpec>,
}

/// The integration user and what it is assigned.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserSpec {
    pub username: Option<String>,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub alias: Option<String>,
    pub time_zone: Option<String>,
    pub locale: Option<String>,
    pub language: Option<String>,
    pub email_encoding: Option<String>,
    /// User license name: `Salesforce`, `Salesforce Platform`, `Salesforce Integration`.
    pub license: Option<String>,
    pub profile: Option<String>,
    pub permission_sets: Option<Vec<String>>,
    pub permission_set_licenses: Option<Vec<String>>,
    /// The profile the user has now and moves away from (`sfprov audit
    /// --fix` writes it): without it, a user on another profile is refused.
    pub replaces_profile: Option<String>,
    pub why: Option<String>,
}

/// Access held by a profile or a permission set.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AccessSpec {
    /// Permission sets only: the label (required by the Metadata API).
    pub label: Option<String>,
    pub description: Option<String>,
    /// Profiles: the user license. Permission sets: a permission set license
    /// or user license the set is bound to (usually leave it out).
    pub license: Option<String>,
    /// System permissions by API name (`ApiEnabled`).
    #[serde(default)]
    pub system: BTreeMap<String, GrantSpec>,
    /// Object access by object API name.
    #[serde(default)]
    pub objects: BTreeMap<String, ObjectSpec>,
    /// Field-level security by `Object.Field`.
    #[serde(default)]
    pub fields: BTreeMap<String, FieldSpec>,
    /// Visualforce pages by name (`Zendesk__Page`), and optionally every
    /// page of a managed package (`namespace = "Zendesk"`).
    #[serde(default)]
    pub pages: PagesSpec,
    /// Apex classes by name.
    #[serde(default)]
    pub classes: BTreeMap<String, GrantSpec>,
}

/// `pages`: pages by name (`pages."Zendesk__Page" = { why = "…" }`) and a
/// wildcard for every page of a managed package, written in the same table:
/// `pages = { namespace = "Zendesk", why = "…" }`. `namespace` and `why`
/// are the wildcard only when their value is a string (a page named `why`
/// still takes a grant).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(from = "BTreeMap<String, PageEntry>")]
pub struct PagesSpec {
    pub named: BTreeMap<String, GrantSpec>,
    /// The namespace prefix whose pages are all granted.
    pub namespace: Option<String>,
    /// The wildcard's reason.
    pub why: Option<String>,
}

impl PagesSpec {
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.named.keys()
    }
    pub fn iter(&self) -> impl Iterator<Item = (&String, &GrantSpec)> {
        self.named.iter()
    }
}

/// One value in `pages`: a grant, or a string (`namespace`, `why`).
#[derive(Deserialize)]
#[serde(untagged)]
enum PageEntry {
    Text(String),
    Grant(GrantSpec),
}

impl From<BTreeMap<String, PageEntry>> for PagesSpec {
    fn from(m: BTreeMap<String, PageEntry>) -> Self {
        let mut out = PagesSpec::default();
        for (k, v) in m {
            match (k.as_str(), v) {
                ("namespace", PageEntry::Text(t)) => out.namespace = Some(t),
                ("why", PageEntry::Text(t)) => out.why = Some(t),
                // The shape check refuses other strings before serde runs.
                (_, PageEntry::Text(_)) => {}
                (_, PageEntry::Grant(g)) => {
                    out.named.insert(k, g);
                }
            }
        }
        out
    }
}

/// A permission, page or class, granted (default) or explicitly revoked:
/// `{ why = "…" }`, or plainly `true` / `false`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(from = "GrantRepr")]
pub struct GrantSpec {
    pub why: Option<String>,
    /// `false` revokes (profiles keep what a deploy does not mention).
    pub enabled: Option<bool>,
    /// Accept a permission name sfprov does not know (a feature's permission).
    pub allow_unknown: Option<bool>,
}

/// How a grant may be written: a flag or a table.
#[derive(Deserialize)]
#[serde(untagged)]
enum GrantRepr {
    Flag(bool),
    Table {
        why: Option<String>,
        enabled: Option<bool>,
        allow_unknown: Option<bool>,
    },
}

impl From<GrantRepr> for GrantSpec {
    fn from(r: GrantRepr) -> Self {
        match r {
            GrantRepr::Flag(enabled) => GrantSpec {
                enabled: Some(enabled),
                ..GrantSpec::default()
            },
            GrantRepr::Table {
                why,
                enabled,
                allow_unknown,
            } => GrantSpec {
                why,
                enabled,
                allow_unknown,
            },
        }
    }
}

/// Access to one object.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ObjectSpec {
    /// `read`, `edit` (read + edit), `full` (create, read, edit, delete, View All,
    /// Modify All), or `none` (revoke everything).
    pub access: Option<String>,
    /// Add Create to `read` or `edit`.
    pub create: Option<bool>,
    /// Add Delete to `edit`.
    pub delete: Option<bool>,
    pub why: Option<String>,
}

/// Field-level security on one field.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FieldSpec {
    /// `read`, `edit` (read + edit) or `none`.
    pub access: Option<String>,
    pub why: Option<String>,
}

/// A connected app or external client app: its OAuth policy and, for an app
/// sfprov creates, its definition.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AppSpec {
    /// `existing` (policy on an app already in the org) or `create`. Inferred
    /// from the presence of a definition (callback_url, contact_email, ...).
    pub kind: Option<String>,
    pub why: Option<String>,
    // Policy.
    pub pkce_required: Option<bool>,
    pub admin_approved: Option<bool>,
    pub allowed_profiles: Option<Vec<String>>,
    pub allowed_permission_sets: Option<Vec<String>>,
    /// `enforce`, `relax_with_mfa` or `relax`.
    pub ip_relaxation: Option<String>,
    /// `infinite`, `zero`, or e.g. `90 days` (lifetime).
    pub refresh_token_policy: Option<String>,
    // Definition.
    pub label: Option<String>,
    pub contact_email: Option<String>,
    pub description: Option<String>,
    pub callback_url: Option<String>,
    pub scopes: Option<Vec<String>>,
}

/// Org-wide settings. Only what the spec sets is deployed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SettingsSpec {
    /// EventSettings.enableStreamingApi.
    pub streaming_api: Option<Setting<bool>>,
    /// SecuritySettings.sessionSettings.lockSessionsToIp.
    pub lock_sessions_to_ip: Option<Setting<bool>>,
    /// SecuritySettings.sessionSettings.lockSessionsToDomain.
    pub lock_sessions_to_domain: Option<Setting<bool>>,
}

/// A setting given plainly (`true`) or with its reason (`{ value, why }`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Setting<T> {
    Plain(T),
    Explained { value: T, why: Option<String> },
}

impl<T: Clone> Setting<T> {
    pub fn value(&self) -> T {
        match self {
            Setting::Plain(v) | Setting::Explained { value: v, .. } => v.clone(),
        }
    }
    pub fn why(&self) -> Option<&str> {
        match self {
            Setting::Plain(_) => None,
            Setting::Explained { why, .. } => why.as_deref(),
        }
    }
}

/// Preflight checks plan and apply run against the org.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ChecksSpec {
    /// PushTopics the integration creates; the org must have that many free.
    pub push_topics_needed: Option<u32>,
    pub why: Option<String>,
}
