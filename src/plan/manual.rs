//! Manual steps: what no API can do, as values in the plan.
//! Owns: the OAuth policy of a connected app the retrieve does not return
//! (installed by a managed package, like Zendesk's) as a step in Setup, and
//! the part of it the app's `ConnectedApplication` row shows (its option
//! fields), read by `apps`. Does not: query or print (see `render::plan`).

use serde_json::{Map, Value};

use super::ManualStep;
use crate::spec::desired::{AppPolicy, IpRelaxation, RefreshPolicy};

/// The Setup path of a connected app's policies.
pub fn setup_path(app: &str) -> String {
    format!("Setup > Apps > Connected Apps > Manage Connected Apps > {app} > Edit Policies")
}

/// What to set, in Setup's words; who may use the app only when the plan
/// does not carry it as access rows (`with_access`).
fn settings(p: &AppPolicy, with_access: bool) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(a) = p.admin_approved {
        out.push(format!(
            "Permitted Users: {}",
            if a {
                "Admin approved users are pre-authorized"
            } else {
                "All users may self-authorize"
            }
        ));
    }
    if let Some(ip) = p.ip_relaxation {
        out.push(format!(
            "IP Relaxation: {}",
            match ip {
                IpRelaxation::Enforce => "Enforce IP restrictions",
                IpRelaxation::RelaxWithMfa => "Relax IP restrictions with second factor",
                IpRelaxation::Relax => "Relax IP restrictions",
            }
        ));
    }
    if let Some(r) = &p.refresh_token_policy {
        out.push(format!(
            "Refresh Token Policy: {}",
            match r {
                RefreshPolicy::Infinite => "Refresh token is valid until revoked".to_string(),
                RefreshPolicy::Zero => "Immediately expire refresh token".to_string(),
                RefreshPolicy::Lifetime(n, unit) =>
                    format!("Expire refresh token after {n} {}", unit.to_lowercase()),
            }
        ));
    }
    if let Some(pkce) = p.pkce_required {
        out.push(format!(
            "Require Proof Key for Code Exchange (PKCE): {}",
            if pkce { "on" } else { "off" }
        ));
    }
    if with_access {
        return out;
    }
    if !p.allowed_profiles.is_empty() {
        out.push(format!(
            "Profiles (Manage Profiles on the app's page): add {}",
            p.allowed_profiles.join(", ")
        ));
    }
    if !p.allowed_permission_sets.is_empty() {
        out.push(format!(
            "Permission Sets (Manage Permission Sets on the app's page): add {}",
            p.allowed_permission_sets.join(", ")
        ));
    }
    out
}

/// The step for a policy on `app`. `row` is the app's `ConnectedApplication`
/// row when the org could be asked (`Some(None)`: it has no such app);
/// `access_planned` says the plan carries who may use the app as access
/// lines, so the step leaves it out.
pub fn app_policy(
    app: &str,
    p: &AppPolicy,
    row: Option<Option<&Map<String, Value>>>,
    access_planned: bool,
) -> ManualStep {
    let mut checks = Vec::new();
    match row {
        None => {}
        Some(None) => checks.push((
            format!(
                "the org has a connected app named `{app}` (install the vendor's package first)"
            ),
            false,
        )),
        Some(Some(row)) => {
            checks.push((format!("the org has a connected app named `{app}`"), true));
            if let Some(want) = p.admin_approved {
                let have = row
                    .get("OptionsAllowAdminApprovedUsersOnly")
                    .and_then(Value::as_bool);
                if let Some(have) = have {
                    checks.push((
                        format!(
                            "Permitted Users is {}",
                            if want {
                                "admin approved"
                            } else {
                                "self-authorized"
                            }
                        ),
                        have == want,
                    ));
                }
            }
        }
    }
    ManualStep {
        title: format!("Set the OAuth policy of connected app `{app}` (installed by a package; the Metadata API does not return it)"),
        what: settings(p, access_planned),
        where_in_setup: setup_path(app),
        why: p.why.clone(),
        checks,
    }
}
