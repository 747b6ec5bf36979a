//! Hygiene: how an integration user is set up, beside what it can do, in
//! the spirit of Salesforce's integration-user best practice. One rule a
//! function, listed in `RULES`; each returns at most one finding.
//! Owns: the rules and the `Hygiene` value. Does not: compute access.

use serde::Serialize;

use super::access::{Effective, UserFacts};
use crate::spec::desired::Desired;
use crate::templates;

/// One hygiene finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hygiene {
    /// A stable id: `admin-profile`, `profile-fls`, `shared-user`,
    /// `full-license`, `interactive-login`.
    pub rule: &'static str,
    pub message: String,
    pub hint: String,
}

/// What the rules look at.
pub struct Ctx<'a> {
    pub user: &'a UserFacts,
    pub eff: &'a Effective,
    pub desired: &'a Desired,
    /// The template the audit compares with, if it is one.
    pub template: Option<&'a str>,
}

type Rule = fn(&Ctx<'_>) -> Option<Hygiene>;

/// Every rule, in the order findings are shown.
pub const RULES: &[Rule] = &[
    admin_profile,
    profile_fls,
    shared_user,
    full_license,
    interactive_login,
];

/// Runs every rule.
pub fn check(ctx: &Ctx<'_>) -> Vec<Hygiene> {
    RULES.iter().filter_map(|r| r(ctx)).collect()
}

/// Administrator powers a cloned System Administrator profile keeps.
const ADMIN_POWERS: &[&str] = &[
    "ModifyAllData",
    "ViewAllData",
    "CustomizeApplication",
    "ManageUsers",
    "AuthorApex",
    "ModifyMetadata",
];

fn profile_index(ctx: &Ctx<'_>) -> Option<usize> {
    ctx.eff.sources.iter().position(|s| s.kind == "profile")
}

/// A user on System Administrator, or on a custom profile that holds most
/// of its powers (a clone).
fn admin_profile(ctx: &Ctx<'_>) -> Option<Hygiene> {
    let p = profile_index(ctx)?;
    let powers: Vec<&str> = ADMIN_POWERS
        .iter()
        .copied()
        .filter(|perm| ctx.eff.system.get(*perm).is_some_and(|s| s.contains(&p)))
        .collect();
    let profile = &ctx.user.profile;
    let message = if profile.eq_ignore_ascii_case("System Administrator") {
        format!(
            "`{}` is on the System Administrator profile",
            ctx.user.username
        )
    } else if ctx.eff.profile_custom && powers.len() >= 3 {
        format!(
            "`{}` is on `{profile}`, a custom profile with System Administrator's powers ({}): a cloned admin profile",
            ctx.user.username,
            powers.join(", ")
        )
    } else {
        return None;
    };
    Some(Hygiene {
        rule: "admin-profile",
        message,
        hint: "move the user to a minimal profile and grant what the integration needs through a permission set (`sfprov audit --fix` writes that spec)".into(),
    })
}

/// Field-level security granted in the profile, which the spec does not put
/// there: it belongs in permission sets.
fn profile_fls(ctx: &Ctx<'_>) -> Option<Hygiene> {
    let p = profile_index(ctx)?;
    let spec_profile = ctx
        .desired
        .user
        .as_ref()
        .and_then(|u| u.profile.as_deref())
        .and_then(|n| ctx.desired.profiles.get(n).map(|a| (n, a)));
    let mut fields: Vec<&str> = ctx
        .eff
        .fields
        .iter()
        .filter(|(_, srcs)| srcs.contains(&p))
        .map(|((f, _), _)| f.as_str())
        .filter(|f| {
            !spec_profile.is_some_and(|(n, a)| {
                n.eq_ignore_ascii_case(&ctx.user.profile) && a.fields.contains_key(*f)
            })
        })
        .collect();
    fields.dedup();
    if fields.is_empty() {
        return None;
    }
    let shown: Vec<&str> = fields.iter().take(3).copied().collect();
    let more = fields.len().saturating_sub(shown.len());
    Some(Hygiene {
        rule: "profile-fls",
        message: format!(
            "profile `{}` grants field-level security on {} field{} ({}{}): field access belongs in permission sets",
            ctx.user.profile,
            fields.len(),
            if fields.len() == 1 { "" } else { "s" },
            shown.join(", "),
            if more > 0 { format!(", and {more} more") } else { String::new() },
        ),
        hint: "grant the fields the integration needs in its permission set and take them off the profile (or move the user to a profile without field access)".into(),
    })
}

/// Permission sets of other integrations on the same user.
fn shared_user(ctx: &Ctx<'_>) -> Option<Hygiene> {
    let mut others = Vec::new();
    for t in templates::all() {
        if Some(t.name) == ctx.template {
            continue;
        }
        let Ok(loaded) = crate::spec::load_template(t.name) else {
            continue;
        };
        let theirs = &loaded.desired;
        let spec_sets = &ctx.desired.permission_sets;
        for ps in &ctx.user.permission_sets {
            if theirs.permission_sets.contains_key(ps) && !spec_sets.contains_key(ps) {
                others.push(format!("permission set `{ps}` (template {})", t.name));
            }
        }
    }
    if others.is_empty() {
        return None;
    }
    Some(Hygiene {
        rule: "shared-user",
        message: format!(
            "`{}` is shared with other integrations: it holds {}",
            ctx.user.username,
            others.join(", ")
        ),
        hint: "give each integration its own user (`sfprov init --template NAME` for the other one), then take its access off this user; one user per integration keeps each revocable on its own".into(),
    })
}

/// A full license spent on an integration the spec runs on the Salesforce
/// Integration license.
fn full_license(ctx: &Ctx<'_>) -> Option<Hygiene> {
    let want = ctx.desired.user.as_ref()?.license.as_deref()?;
    let have = ctx.user.license.as_deref()?;
    if ctx.desired.interactive_login
        || want != "Salesforce Integration"
        || !matches!(have, "Salesforce" | "Salesforce Platform")
    {
        return None;
    }
    Some(Hygiene {
        rule: "full-license",
        message: format!(
            "`{}` spends a `{have}` license, meant for people, on an API-only integration",
            ctx.user.username
        ),
        hint: "Salesforce does not switch an existing user to the Salesforce Integration license: create a dedicated user on it (`sfprov audit --fix` proposes one) and deactivate this one once the integration connects as the new user".into(),
    })
}

/// A user who can log in to the UI though the integration only uses the API.
fn interactive_login(ctx: &Ctx<'_>) -> Option<Hygiene> {
    if ctx.desired.interactive_login || ctx.eff.has_system("ApiUserOnly") {
        return None;
    }
    Some(Hygiene {
        rule: "interactive-login",
        message: format!(
            "`{}` can log in to the Salesforce UI, which the integration never needs",
            ctx.user.username
        ),
        hint: "give its profile API Only User (`system.ApiUserOnly` in the spec's profile), or move it to a profile that has it".into(),
    })
}
