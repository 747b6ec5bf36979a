//! The desired state: what the integration needs, resolved and validated.
//! Owns: the value generate writes files from and plan will diff against an
//! org. Every grant keeps its reason (`why`); grants sfprov added because
//! another needs them say so (`implied`).
//! Does not: know about XML (see `generate`) or files (see `source`).

use std::collections::BTreeMap;

use serde::Serialize;

/// Everything one spec asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Desired {
    pub api_version: String,
    pub template: Option<String>,
    pub description: Option<String>,
    pub interactive_login: bool,
    pub user: Option<User>,
    /// Custom profiles sfprov manages, by name.
    pub profiles: BTreeMap<String, Access>,
    /// Permission sets sfprov manages, by API name.
    pub permission_sets: BTreeMap<String, Access>,
    /// OAuth policy on connected apps that already exist in the org.
    pub app_policies: BTreeMap<String, AppPolicy>,
    /// Connected apps sfprov creates.
    pub connected_apps: BTreeMap<String, App>,
    /// External client apps sfprov creates.
    pub external_client_apps: BTreeMap<String, App>,
    pub settings: Settings,
    pub checks: Checks,
}

impl Desired {
    /// Every page wildcard: (`profile` or `permission set`, holder, namespace).
    pub fn page_namespaces(&self) -> Vec<(&'static str, &str, &str)> {
        let profiles = self.profiles.iter().map(|(n, a)| ("profile", n, a));
        let sets = self
            .permission_sets
            .iter()
            .map(|(n, a)| ("permission set", n, a));
        profiles
            .chain(sets)
            .flat_map(|(kind, n, a)| {
                a.page_namespaces
                    .keys()
                    .map(move |ns| (kind, n.as_str(), ns.as_str()))
            })
            .collect()
    }
}

/// A reason shown next to a grant in plans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Why {
    pub text: String,
    /// Added by sfprov because another grant needs it (not in the spec).
    pub implied: bool,
}

impl Why {
    pub fn spec(text: impl Into<String>) -> Self {
        Why {
            text: text.into(),
            implied: false,
        }
    }
    pub fn implied(text: impl Into<String>) -> Self {
        Why {
            text: text.into(),
            implied: true,
        }
    }
}

/// Access held by a profile or permission set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Access {
    pub label: Option<String>,
    pub description: Option<String>,
    pub license: Option<String>,
    pub system: BTreeMap<String, Grant>,
    pub objects: BTreeMap<String, ObjectAccess>,
    pub fields: BTreeMap<String, FieldAccess>,
    pub pages: BTreeMap<String, Grant>,
    /// Every Visualforce page of these namespaces (`Zendesk`), with the
    /// reason: resolved against an org by plan (listMetadata ApexPage);
    /// generate, which has no org, cannot write them.
    pub page_namespaces: BTreeMap<String, Why>,
    pub classes: BTreeMap<String, Grant>,
}

/// A permission, page or class: granted or explicitly revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    pub enabled: bool,
    pub why: Why,
}

/// Object permissions, flag by flag as the Metadata API has them: the
/// catalog's type, so license limits compare with grants directly.
pub use crate::catalog::licenses::Flags as ObjectFlags;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectAccess {
    pub flags: ObjectFlags,
    pub why: Why,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldAccess {
    pub readable: bool,
    pub editable: bool,
    pub why: Why,
}

/// The integration user (a data record, not metadata).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct User {
    pub username: Option<String>,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub alias: Option<String>,
    pub time_zone: String,
    pub locale: String,
    pub language: String,
    pub email_encoding: String,
    pub license: Option<String>,
    pub profile: Option<String>,
    /// The user may be on this profile now: plan moves it to `profile`.
    pub replaces_profile: Option<String>,
    pub permission_sets: Vec<String>,
    pub permission_set_licenses: Vec<String>,
}

/// `ipRelaxation` of a connected app's OAuth policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum IpRelaxation {
    /// Enforce IP restrictions (`ENFORCE`).
    Enforce,
    /// Relax with second factor (`BYPASS_2FACTOR`).
    RelaxWithMfa,
    /// Relax IP restrictions (`BYPASS`).
    Relax,
}

/// Refresh token policy of a connected app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum RefreshPolicy {
    Infinite,
    Zero,
    /// Valid for this long: amount and unit (`HOURS`, `DAYS`, `MONTHS`).
    Lifetime(u32, String),
}

/// OAuth policy of a connected app or external client app.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AppPolicy {
    pub pkce_required: Option<bool>,
    pub admin_approved: Option<bool>,
    /// Profile names as shown in Setup (`System Administrator`).
    pub allowed_profiles: Vec<String>,
    /// Permission set labels as shown in Setup.
    pub allowed_permission_sets: Vec<String>,
    pub ip_relaxation: Option<IpRelaxation>,
    pub refresh_token_policy: Option<RefreshPolicy>,
    pub why: Option<String>,
}

/// An app sfprov creates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct App {
    pub label: String,
    pub contact_email: String,
    pub description: Option<String>,
    pub callback_url: String,
    /// OAuth scopes as the Metadata API names them (`Api`, `RefreshToken`).
    pub scopes: Vec<String>,
    pub policy: AppPolicy,
}

/// Org settings the spec sets; `None` is "leave as it is".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Settings {
    pub streaming_api: Option<(bool, Why)>,
    pub lock_sessions_to_ip: Option<(bool, Why)>,
    pub lock_sessions_to_domain: Option<(bool, Why)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Checks {
    pub push_topics_needed: Option<u32>,
}
