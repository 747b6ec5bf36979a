//! Validation: a merged spec file -> `Desired`, with every problem collected.
//! Owns: the rules of issue 2 point 4 for the spec as a whole (API version,
//! user and license, interactive login, apps, settings); access rules are in
//! `access`. Each diagnostic carries the key path it is about; `Ctx` turns the
//! path into `file:line:col` through the sources.

mod access;
mod apps;
mod license;
mod names;

use std::collections::BTreeMap;

use crate::diag::Diagnostic;
use crate::spec::desired::{Checks, Desired, Grant, Settings, User, Why};
use crate::spec::file::{Setting, SpecFile};
use crate::spec::shape;
use crate::spec::source::Sources;

pub use access::is_api_name;
use access::Holder;

/// The user license of the Salesforce Integration user.
pub const INTEGRATION_LICENSE: &str = "Salesforce Integration";
/// The only profile an Integration-license user can hold.
pub const INTEGRATION_PROFILE: &str = "Minimum Access - API Only Integrations";
/// The permission set license that unlocks access for Integration users.
pub const INTEGRATION_PSL: &str = "SalesforceAPIIntegrationPsl";
/// Metadata API version written when the spec does not say.
pub const DEFAULT_API_VERSION: &str = "63.0";

/// User licenses sfprov knows by name (others are allowed with a warning).
const LICENSES: &[&str] = &[
    "Salesforce",
    "Salesforce Platform",
    "Salesforce Integration",
    "Force.com - App Subscription",
    "Identity",
];

/// Collects diagnostics and resolves their paths to locations.
pub struct Ctx<'s> {
    sources: &'s Sources,
    pub diags: Vec<Diagnostic>,
}

impl<'s> Ctx<'s> {
    pub fn new(sources: &'s Sources) -> Self {
        Ctx {
            sources,
            diags: Vec::new(),
        }
    }

    fn push(&mut self, d: Diagnostic, path: &[&str], hint: Option<String>) {
        let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        let mut d = d.at(self.sources.locate(&path));
        if let Some(h) = hint {
            d = d.hint(h);
        }
        self.diags.push(d);
    }

    pub fn error(&mut self, path: &[&str], message: impl Into<String>, hint: Option<String>) {
        self.push(Diagnostic::error(message), path, hint);
    }

    pub fn warning(&mut self, path: &[&str], message: impl Into<String>, hint: Option<String>) {
        self.push(Diagnostic::warning(message), path, hint);
    }

    pub fn note(&mut self, path: &[&str], message: impl Into<String>, hint: Option<String>) {
        self.push(Diagnostic::note(message), path, hint);
    }

    /// The reason of a grant; a grant without one is allowed but noted, since
    /// plans show reasons to reviewers.
    pub fn why(&mut self, path: &[&str], why: Option<&str>) -> Why {
        match why {
            Some(w) if !w.trim().is_empty() => Why::spec(w.trim()),
            _ => {
                self.warning(
                    path,
                    format!("`{}` has no `why`", path.last().copied().unwrap_or("")),
                    Some("add `why = \"...\"`: plans show it to reviewers".into()),
                );
                Why::spec("")
            }
        }
    }
}

/// Validates a merged spec.
pub fn validate(spec: &SpecFile, sources: &Sources) -> (Desired, Vec<Diagnostic>) {
    let mut ctx = Ctx::new(sources);
    let api_version = api_version(&mut ctx, spec.api_version.as_deref());
    let interactive_login = spec.interactive_login.unwrap_or(false);
    names::names(&mut ctx, spec);

    let mut profiles = BTreeMap::new();
    for (name, p) in &spec.profiles {
        if p.label.is_some() {
            ctx.error(
                &["profiles", name, "label"],
                "profiles have no label; the profile name is the table key",
                None,
            );
        }
        profiles.insert(
            name.clone(),
            access::access(&mut ctx, Holder::Profile, name, p),
        );
    }
    let mut permission_sets = BTreeMap::new();
    for (name, p) in &spec.permission_sets {
        permission_sets.insert(
            name.clone(),
            access::access(&mut ctx, Holder::PermissionSet, name, p),
        );
    }
    let user = spec.user.as_ref().map(|u| user(&mut ctx, u));
    let mut desired = Desired {
        api_version,
        template: spec.template.clone(),
        description: spec.description.clone(),
        interactive_login,
        user,
        profiles,
        permission_sets,
        app_policies: BTreeMap::new(),
        connected_apps: BTreeMap::new(),
        external_client_apps: BTreeMap::new(),
        settings: settings(spec),
        checks: Checks {
            push_topics_needed: spec.checks.as_ref().and_then(|c| c.push_topics_needed),
        },
    };
    licenses(&mut ctx, &mut desired);
    license::object_limits(&mut ctx, &desired);
    apps::apps(&mut ctx, spec, &mut desired);
    let d = &desired;
    let settings_empty = d.settings == Settings::default();
    if d.profiles.is_empty()
        && d.permission_sets.is_empty()
        && d.app_policies.is_empty()
        && d.connected_apps.is_empty()
        && d.external_client_apps.is_empty()
        && settings_empty
        && d.user.is_none()
    {
        ctx.warning(
            &[],
            "the spec asks for nothing: no user, profiles, permission sets, apps or settings",
            Some(
                "start from a template: add `template = \"zendesk\"` (see `sfprov templates`)"
                    .into(),
            ),
        );
    }
    (desired, ctx.diags)
}

fn api_version(ctx: &mut Ctx<'_>, v: Option<&str>) -> String {
    let Some(v) = v else {
        return DEFAULT_API_VERSION.to_string();
    };
    let parsed = v
        .split_once('.')
        .filter(|(_, minor)| *minor == "0")
        .and_then(|(major, _)| major.parse::<u32>().ok());
    match parsed {
        Some(major) if major >= 40 => {}
        Some(_) => ctx.error(
            &["api_version"],
            format!("API version {v} is older than 40.0, which sfprov does not support"),
            Some(format!("use `api_version = \"{DEFAULT_API_VERSION}\"`")),
        ),
        None => ctx.error(
            &["api_version"],
            format!("`{v}` is not an API version"),
            Some(format!("write it as `\"{DEFAULT_API_VERSION}\"`")),
        ),
    }
    v.to_string()
}

fn user(ctx: &mut Ctx<'_>, u: &crate::spec::file::UserSpec) -> User {
    if let Some(name) = &u.username {
        if !looks_like_email(name) {
            ctx.error(&["user", "username"], format!("username `{name}` is not in the form of an email address"), Some("Salesforce usernames look like `zendesk.integration@acme.example` and are unique across all orgs".into()));
        }
    }
    if let Some(email) = &u.email {
        if !looks_like_email(email) {
            ctx.error(
                &["user", "email"],
                format!("`{email}` is not an email address"),
                None,
            );
        }
    }
    if let Some(alias) = &u.alias {
        if alias.chars().count() > 8 || alias.is_empty() {
            ctx.error(
                &["user", "alias"],
                format!("alias `{alias}` must be 1 to 8 characters"),
                None,
            );
        }
    }
    license::time_zone_and_locale(ctx, u);
    if let Some(license) = &u.license {
        if !LICENSES.contains(&license.as_str()) {
            let hint = crate::catalog::suggest(license, LICENSES.iter().copied())
                .first()
                .map(|s| format!("did you mean `{s}`?"));
            ctx.warning(&["user", "license"], format!("`{license}` is not a user license sfprov knows; plan will check it against the org"), hint);
        }
    }
    User {
        username: u.username.clone(),
        email: u.email.clone(),
        first_name: u.first_name.clone(),
        last_name: u.last_name.clone(),
        alias: u.alias.clone(),
        time_zone: u
            .time_zone
            .clone()
            .unwrap_or_else(|| "America/Los_Angeles".into()),
        locale: u.locale.clone().unwrap_or_else(|| "en_US".into()),
        language: u.language.clone().unwrap_or_else(|| "en_US".into()),
        email_encoding: u.email_encoding.clone().unwrap_or_else(|| "UTF-8".into()),
        license: u.license.clone(),
        profile: u.profile.clone(),
        replaces_profile: u.replaces_profile.clone(),
        permission_sets: u.permission_sets.clone().unwrap_or_default(),
        permission_set_licenses: u.permission_set_licenses.clone().unwrap_or_default(),
    }
}

fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.contains(char::is_whitespace)
}

/// License rules: the user's license, its profile, interactive login, and the
/// Integration license's profile and permission set license.
fn licenses(ctx: &mut Ctx<'_>, d: &mut Desired) {
    let Some(user) = d.user.as_mut() else { return };
    let license = user.license.clone();
    let profile = user.profile.clone();
    // A profile sfprov manages takes the user's license unless it has its own.
    if let Some(p) = profile.as_deref().and_then(|p| d.profiles.get_mut(p)) {
        match (&p.license, &license) {
            (None, Some(l)) => p.license = Some(l.clone()),
            (Some(pl), Some(ul)) if pl != ul => {
                let name = profile.as_deref().unwrap_or_default();
                let holder = shape::dotted(&["profiles".to_string(), name.to_string()]);
                license::error_at_cause(
                    ctx,
                    &["profiles", name, "license"],
                    &["user", "license"],
                    format!("profile `{name}` has license `{pl}` but the user's license is `{ul}`"),
                    vec!["a user's license comes from its profile: make them the same".into()],
                    &format!("override it in your spec: `[{holder}] license = \"{ul}\"`"),
                );
            }
            _ => {}
        }
    }
    for (name, p) in &d.profiles {
        if p.license.is_none() {
            ctx.error(&["profiles", name], format!("profile `{name}` has no user license"), Some("set `license = \"Salesforce\"` on the profile (or on [user] if the user holds it)".into()));
        }
    }
    if license.as_deref() == Some(INTEGRATION_LICENSE) {
        if d.interactive_login {
            ctx.error(&["user", "license"], "this integration needs interactive login, but the Salesforce Integration license is API-only", Some("use `license = \"Salesforce\"` or `\"Salesforce Platform\"`".into()));
        }
        match profile.as_deref() {
            Some(INTEGRATION_PROFILE) | None => user.profile = Some(INTEGRATION_PROFILE.into()),
            Some(other) => ctx.error(&["user", "profile"], format!("a Salesforce Integration user must have the profile `{INTEGRATION_PROFILE}`, not `{other}`"), Some(format!("set `profile = \"{INTEGRATION_PROFILE}\"` and grant access through permission sets"))),
        }
        if !user
            .permission_set_licenses
            .iter()
            .any(|p| p == INTEGRATION_PSL)
        {
            user.permission_set_licenses.push(INTEGRATION_PSL.into());
            ctx.note(&["user", "license"], format!("added permission set license `{INTEGRATION_PSL}`: Integration users need it to be granted object access"), None);
        }
    }
    if d.interactive_login {
        let mut holders: Vec<(&str, String)> = Vec::new();
        if let Some(p) = profile.as_deref() {
            holders.push(("profiles", p.to_string()));
        }
        holders.extend(
            user.permission_sets
                .iter()
                .map(|p| ("permission_sets", p.clone())),
        );
        for (table, name) in holders {
            let access = if table == "profiles" {
                d.profiles.get(&name)
            } else {
                d.permission_sets.get(&name)
            };
            if access
                .and_then(|a| a.system.get("ApiUserOnly"))
                .is_some_and(|g| g.enabled)
            {
                ctx.error(&[table, &name, "system", "ApiUserOnly"], format!("this integration needs interactive login, but `{name}` makes the user API-only"), Some("remove `ApiUserOnly`, or set `enabled = false`".into()));
            }
        }
        if let Some(p) = profile.as_deref().and_then(|p| d.profiles.get_mut(p)) {
            if !p.system.contains_key("ApiUserOnly") {
                p.system.insert("ApiUserOnly".into(), Grant { enabled: false, why: Why::implied("the integration needs interactive login; profiles keep what a deploy does not mention, so API Only User is switched off explicitly") });
                let name = profile.as_deref().unwrap_or_default();
                ctx.note(&["profiles", name], format!("added `ApiUserOnly = false` to profile `{name}`: the integration needs interactive login"), None);
            }
        }
    }
    let defined: Vec<&str> = d.permission_sets.keys().map(String::as_str).collect();
    for (i, ps) in user.permission_sets.iter().enumerate() {
        if !d.permission_sets.contains_key(ps) {
            let idx = i.to_string();
            let hint = crate::catalog::suggest(ps, defined.iter().copied())
                .first()
                .map(|s| format!("did you mean `{s}`?"));
            ctx.warning(&["user", "permission_sets", &idx], format!("permission set `{ps}` is not defined in this spec; it must already exist in the org"), hint);
        }
    }
}

fn settings(spec: &SpecFile) -> Settings {
    let Some(s) = &spec.settings else {
        return Settings::default();
    };
    // A plain value (`streaming_api = true`) is fine: settings are few and
    // self-explaining; templates give reasons with `{ value, why }`.
    let one = |v: &Option<Setting<bool>>| {
        v.as_ref()
            .map(|v| (v.value(), Why::spec(v.why().unwrap_or_default())))
    };
    Settings {
        streaming_api: one(&s.streaming_api),
        lock_sessions_to_ip: one(&s.lock_sessions_to_ip),
        lock_sessions_to_domain: one(&s.lock_sessions_to_domain),
    }
}
