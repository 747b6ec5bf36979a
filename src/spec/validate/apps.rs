//! Validation of connected apps and external client apps.
//! Owns: telling policy-on-an-existing-app from an app sfprov creates, and the
//! rules for each (admin approval for allowed lists, scopes, required fields).
//! An existing app gets no file: a partial ConnectedApp fails to deploy, so plan
//! and apply merge the policy into the app retrieved from the org.

use super::Ctx;
use crate::spec::desired::{App, AppPolicy, Desired, IpRelaxation, RefreshPolicy};
use crate::spec::file::{AppSpec, SpecFile};

/// OAuth scopes of ConnectedAppOauthConfig (WSDL v63.0 `ConnectedAppOauthAccessScope`).
pub const SCOPES: &[&str] = &[
    "Address",
    "Api",
    "Basic",
    "CDP",
    "CDPCalculatedInsight",
    "CDPIdentityResolution",
    "CDPIngest",
    "CDPProfile",
    "CDPQuery",
    "CDPSegment",
    "Chatbot",
    "Chatter",
    "Content",
    "CustomApplications",
    "CustomPermissions",
    "Eclair",
    "EinsteinGPT",
    "Email",
    "ForgotPassword",
    "Full",
    "Interaction",
    "Lightning",
    "OfflineAccess",
    "OpenID",
    "Pardot",
    "Phone",
    "Profile",
    "PwdlessLogin",
    "RefreshToken",
    "SFAP",
    "UserRegistration",
    "Wave",
    "Web",
];

/// Scopes a retrieve reports under another name (DOC-ConnectedApp): writing
/// them would make every plan show a change.
const SCOPE_SYNONYMS: &[(&str, &str)] = &[
    ("Address", "Basic"),
    ("Email", "Basic"),
    ("OfflineAccess", "RefreshToken"),
    ("Phone", "Basic"),
    ("Profile", "Basic"),
];

pub fn apps(ctx: &mut Ctx<'_>, spec: &SpecFile, d: &mut Desired) {
    for (name, app) in &spec.connected_app {
        let path = ["connected_app", name.as_str()];
        let definition = has_definition(app);
        let create = match app.kind.as_deref() {
            None => definition,
            Some("existing") => {
                if definition {
                    ctx.error(&path, format!("connected app `{name}` is `kind = \"existing\"` but has a definition (callback_url, contact_email, label or scopes)"), Some("remove the definition, or use `kind = \"create\"`".into()));
                }
                false
            }
            Some("create") => true,
            Some(other) => {
                ctx.error(
                    &[&path[..], &["kind"]].concat(),
                    format!("unknown connected app kind `{other}`"),
                    Some("use `existing` (policy on an app in the org) or `create`".into()),
                );
                continue;
            }
        };
        let policy = policy(ctx, &path, app);
        if create {
            ctx.warning(&path, format!("new connected apps are restricted from Spring '26; connected app `{name}` may fail to deploy in new or updated orgs"), Some(format!("define it as `[external_client_app.{name}]` instead")));
            if let Some(app) = definition_of(ctx, &path, name, app, policy) {
                d.connected_apps.insert(name.clone(), app);
            }
        } else {
            ctx.note(&path, format!("connected app `{name}` exists in the org: generate writes no file for it; plan and apply set its policy on the app retrieved from the org"), None);
            d.app_policies.insert(name.clone(), policy);
        }
    }
    for (name, app) in &spec.external_client_app {
        let path = ["external_client_app", name.as_str()];
        if let Some(kind) = &app.kind {
            if kind != "create" {
                ctx.error(&[&path[..], &["kind"]].concat(), format!("external client apps in a spec are always created; `kind = \"{kind}\"` is not supported"), Some("remove `kind`".into()));
            }
        }
        if !super::is_api_name(name) {
            ctx.error(
                &path,
                format!("`{name}` is not a valid external client app API name"),
                Some("use letters, digits and single underscores, starting with a letter".into()),
            );
        }
        let policy = policy(ctx, &path, app);
        if let Some(app) = definition_of(ctx, &path, name, app, policy) {
            d.external_client_apps.insert(name.clone(), app);
        }
    }
}

fn has_definition(app: &AppSpec) -> bool {
    app.callback_url.is_some()
        || app.contact_email.is_some()
        || app.label.is_some()
        || app.scopes.is_some()
}

fn policy(ctx: &mut Ctx<'_>, path: &[&str], app: &AppSpec) -> AppPolicy {
    let allowed_profiles = app.allowed_profiles.clone().unwrap_or_default();
    let allowed_permission_sets = app.allowed_permission_sets.clone().unwrap_or_default();
    let mut admin_approved = app.admin_approved;
    if !allowed_profiles.is_empty() || !allowed_permission_sets.is_empty() {
        match admin_approved {
            Some(false) => ctx.error(
                &[path, &["admin_approved"]].concat(),
                "allowed profiles and permission sets only apply when users must be admin-approved",
                Some("set `admin_approved = true`".into()),
            ),
            None => {
                admin_approved = Some(true);
                ctx.note(
                    path,
                    "set `admin_approved = true`: allowed profiles and permission sets need it",
                    None,
                );
            }
            Some(true) => {}
        }
    }
    for (i, p) in allowed_profiles.iter().enumerate() {
        if p == "Admin" {
            let idx = i.to_string();
            ctx.error(
                &[path, &["allowed_profiles", idx.as_str()]].concat(),
                "connected apps list profiles by the name shown in Setup",
                Some("use `System Administrator`".into()),
            );
        }
    }
    let ip_relaxation = match app.ip_relaxation.as_deref() {
        None => None,
        Some("enforce") => Some(IpRelaxation::Enforce),
        Some("relax_with_mfa") => Some(IpRelaxation::RelaxWithMfa),
        Some("relax") => Some(IpRelaxation::Relax),
        Some(other) => {
            ctx.error(
                &[path, &["ip_relaxation"]].concat(),
                format!("unknown IP relaxation `{other}`"),
                Some("use `enforce`, `relax_with_mfa` or `relax`".into()),
            );
            None
        }
    };
    let refresh_token_policy = app.refresh_token_policy.as_deref().and_then(|r| match refresh(r) {
        Some(p) => Some(p),
        None => {
            ctx.error(&[path, &["refresh_token_policy"]].concat(), format!("unknown refresh token policy `{r}`"), Some("use `infinite`, `zero`, or a lifetime such as `90 days` (hours, days, months)".into()));
            None
        }
    });
    AppPolicy {
        pkce_required: app.pkce_required,
        admin_approved,
        allowed_profiles,
        allowed_permission_sets,
        ip_relaxation,
        refresh_token_policy,
        why: app.why.clone(),
    }
}

fn refresh(s: &str) -> Option<RefreshPolicy> {
    match s {
        "infinite" => Some(RefreshPolicy::Infinite),
        "zero" => Some(RefreshPolicy::Zero),
        _ => {
            let (n, unit) = s.split_once(' ')?;
            let n: u32 = n.parse().ok().filter(|n| *n > 0)?;
            let unit = match unit.trim_end_matches('s') {
                "hour" => "HOURS",
                "day" => "DAYS",
                "month" => "MONTHS",
                _ => return None,
            };
            Some(RefreshPolicy::Lifetime(n, unit.into()))
        }
    }
}

fn definition_of(
    ctx: &mut Ctx<'_>,
    path: &[&str],
    name: &str,
    app: &AppSpec,
    policy: AppPolicy,
) -> Option<App> {
    let mut ok = true;
    let mut required = |key: &str, v: &Option<String>, hint: &str| -> String {
        match v {
            Some(v) if !v.trim().is_empty() => v.clone(),
            _ => {
                ctx.error(
                    path,
                    format!("app `{name}` has no `{key}`"),
                    Some(hint.to_string()),
                );
                ok = false;
                String::new()
            }
        }
    };
    let contact_email = required(
        "contact_email",
        &app.contact_email,
        "set `contact_email = \"salesforce-admins@example.com\"`",
    );
    let callback_url = required(
        "callback_url",
        &app.callback_url,
        "set `callback_url`; OAuth apps need one even for JWT or client-credentials flows",
    );
    let mut scopes = Vec::new();
    for (i, s) in app
        .scopes
        .clone()
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        let idx = i.to_string();
        let spath = [path, &["scopes", idx.as_str()]].concat();
        if !SCOPES.contains(&s.as_str()) {
            let hint = crate::catalog::suggest(&s, SCOPES.iter().copied())
                .first()
                .map(|x| format!("did you mean `{x}`?"));
            ctx.error(&spath, format!("unknown OAuth scope `{s}`"), hint);
            ok = false;
        } else if let Some((_, canonical)) = SCOPE_SYNONYMS.iter().find(|(a, _)| *a == s) {
            ctx.note(
                &spath,
                format!("Salesforce reports scope `{s}` as `{canonical}`; using `{canonical}`"),
                None,
            );
            scopes.push(canonical.to_string());
        } else {
            scopes.push(s);
        }
    }
    scopes.sort();
    scopes.dedup();
    if app.scopes.as_ref().is_none_or(Vec::is_empty) {
        ctx.error(
            path,
            format!("app `{name}` has no OAuth `scopes`"),
            Some("e.g. `scopes = [\"Api\", \"RefreshToken\"]`".into()),
        );
        ok = false;
    }
    ok.then(|| App {
        label: app.label.clone().unwrap_or_else(|| name.replace('_', " ")),
        contact_email,
        description: app.description.clone(),
        callback_url,
        scopes,
        policy,
    })
}
