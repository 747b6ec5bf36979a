//! What the user's license can carry, and the user's time zone and locale.
//! Owns: refusing object grants a user license cannot carry (the catalog's
//! table per license), checked for every profile against its license and for
//! every permission set against the license of the user it is assigned to (or
//! its own); `time_zone` / `locale` against Salesforce's picklist values.
//! Does not: check licenses sfprov has no table for (plan asks the org).

use super::Ctx;
use crate::catalog::{self, licenses};
use crate::diag::{Diagnostic, Location};
use crate::spec::desired::{Access, Desired};
use crate::spec::file::UserSpec;

/// `[user] time_zone` and `locale`: values Salesforce's picklists accept.
pub fn time_zone_and_locale(ctx: &mut Ctx<'_>, u: &UserSpec) {
    let checks: [(&str, Option<&String>, &[&str], &str); 2] = [
        (
            "time_zone",
            u.time_zone.as_ref(),
            catalog::TIME_ZONES,
            "a time zone (TimeZoneSidKey) such as `America/Los_Angeles` or `Europe/Berlin`",
        ),
        (
            "locale",
            u.locale.as_ref(),
            catalog::LOCALES,
            "a locale (LocaleSidKey) such as `en_US` or `de_DE`",
        ),
    ];
    for (key, value, table, what) in checks {
        let Some(v) = value else { continue };
        if table.binary_search(&v.as_str()).is_ok() {
            continue;
        }
        // Case and `-` for `_` are the usual slips (`en-us`, `europe/berlin`).
        let exact = table
            .iter()
            .find(|t| t.eq_ignore_ascii_case(v) || t.eq_ignore_ascii_case(&v.replace('-', "_")));
        let hint = match exact.copied() {
            Some(s) => format!("did you mean `{s}`?"),
            None => match catalog::suggest(v, table.iter().copied()).first() {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("use {what}; Salesforce accepts only its own list of values"),
            },
        };
        ctx.error(
            &["user", key],
            format!("`{v}` is not a Salesforce {} value", key.replace('_', " ")),
            Some(hint),
        );
    }
}

/// One holder whose object grants a license must carry.
struct Holder<'a> {
    table: &'static str,
    noun: &'static str,
    name: &'a str,
    access: &'a Access,
    license: &'a str,
    /// The user's permission set licenses, when the grants reach that user
    /// through a permission set (a profile cannot use them).
    psls: Option<&'a [String]>,
    /// Where the license is set, for messages.
    license_path: Vec<&'a str>,
}

/// Refuses object grants the license of their holder cannot carry.
pub fn object_limits(ctx: &mut Ctx<'_>, d: &Desired) {
    let user = d.user.as_ref();
    let user_profile = user.and_then(|u| u.profile.as_deref());
    // The user's license: its own, else its profile's.
    let user_license = user.and_then(|u| u.license.as_deref()).or_else(|| {
        user_profile
            .and_then(|p| d.profiles.get(p))
            .and_then(|p| p.license.as_deref())
    });
    let user_license_path: Vec<&str> = match user.and_then(|u| u.license.as_deref()) {
        Some(_) => vec!["user", "license"],
        None => vec!["profiles", user_profile.unwrap_or_default(), "license"],
    };
    let mut holders = Vec::new();
    for (name, p) in &d.profiles {
        if let Some(l) = p.license.as_deref() {
            holders.push(Holder {
                table: "profiles",
                noun: "profile",
                name,
                access: p,
                license: l,
                psls: None,
                license_path: if Some(name.as_str()) == user_profile && user_license == Some(l) {
                    user_license_path.clone()
                } else {
                    vec!["profiles", name, "license"]
                },
            });
        }
    }
    let assigned = |n: &str| user.is_some_and(|u| u.permission_sets.iter().any(|p| p == n));
    for (name, p) in &d.permission_sets {
        // A permission set bound to a user license carries at most that;
        // assigned to the user, it carries what the user's license does.
        let own = p
            .license
            .as_deref()
            .filter(|l| licenses::license(l).is_some());
        let (license, psls, license_path) = match (own, user_license) {
            (Some(l), _) => (l, None, vec!["permission_sets", name.as_str(), "license"]),
            (None, Some(l)) if assigned(name) => (
                l,
                user.map(|u| u.permission_set_licenses.as_slice()),
                user_license_path.clone(),
            ),
            _ => continue,
        };
        holders.push(Holder {
            table: "permission_sets",
            noun: "permission set",
            name,
            access: p,
            license,
            psls,
            license_path,
        });
    }
    for h in holders {
        check_holder(ctx, &h);
    }
}

fn check_holder(ctx: &mut Ctx<'_>, h: &Holder<'_>) {
    for (object, oa) in &h.access.objects {
        let Some(limit) = licenses::limit(h.license, object) else {
            continue;
        };
        let granted = oa.flags;
        if granted == licenses::Flags::NONE {
            continue;
        }
        let psl_missing = limit.needs_psl.filter(|psl| match h.psls {
            Some(held) => !licenses::holds_psl(held, psl),
            None => true,
        });
        let allowed = if psl_missing.is_some() {
            licenses::Flags::NONE
        } else {
            limit.allowed
        };
        let over = granted.beyond(allowed);
        if over.is_empty() {
            continue;
        }
        let mut message = format!(
            "the `{}` license cannot carry {} on `{object}`, which {} `{}` grants",
            h.license,
            over.join(", "),
            h.noun,
            h.name
        );
        if oa.why.implied {
            message.push_str(&format!(" ({})", oa.why.text));
        }
        message.push_str(&format!(": {}", limit.note));
        let mut hints = Vec::new();
        match psl_missing {
            Some(psl) if h.psls.is_some() => {
                hints.push(format!(
                    "add the permission set license to the user: `permission_set_licenses = [\"{psl}\"]` in [user]"
                ));
            }
            Some(psl) => hints.push(format!(
                "a {} cannot get this through the `{psl}` permission set license: grant it in a permission set assigned to the user, and add that license to [user] `permission_set_licenses`",
                h.noun
            )),
            None => {}
        }
        if allowed != licenses::Flags::NONE {
            let instead = if over.contains(&"View All") || over.contains(&"Modify All") {
                " (e.g. `access = \"edit\"` with `create = true, delete = true` instead of `full`)"
            } else {
                ""
            };
            hints.push(format!(
                "grant at most {} on `{object}`{instead}",
                allowed.names().join(", ")
            ));
        }
        hints.push(format!(
            "use the Salesforce license (`license = \"Salesforce\"`) or drop the grant on `{object}`"
        ));
        report(ctx, h, object, message, hints);
    }
}

/// Puts the error where the user can fix it: at the grant, or, when the grant
/// comes from a template and the license from the user's file, at the license
/// with the grant's place in a hint.
fn report(ctx: &mut Ctx<'_>, h: &Holder<'_>, object: &str, message: String, hints: Vec<String>) {
    let grant_path = grant_path(h, object);
    let grant: Vec<&str> = grant_path.iter().map(String::as_str).collect();
    let holder = crate::spec::shape::dotted(&[h.table.to_string(), h.name.to_string()]);
    let override_hint = format!(
        "override it in your spec, e.g. `[{holder}] objects.{object} = {{ access = \"none\" }}`"
    );
    error_at_cause(ctx, &grant, &h.license_path, message, hints, &override_hint);
}

/// Reports an error about the key at `at`, which `cause` (another key) makes
/// wrong. Errors caused by the user's spec point at the user's line: when `at`
/// is in a built-in template and `cause` in the user's file, the error is put
/// at `cause` and a hint says where the template line is, how to print the
/// template, and `override_hint`. Otherwise it is put at `at`, with a hint
/// naming where `cause` is.
pub(super) fn error_at_cause(
    ctx: &mut Ctx<'_>,
    at: &[&str],
    cause: &[&str],
    message: String,
    mut hints: Vec<String>,
    override_hint: &str,
) {
    let owned = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let at_loc = ctx.sources.locate(&owned(at));
    let cause_loc = ctx.sources.locate(&owned(cause));
    let template = |l: &Option<Location>| {
        l.as_ref()
            .and_then(|l| l.file.strip_prefix("template "))
            .map(str::to_string)
    };
    let location = match (template(&at_loc), &at_loc, &cause_loc) {
        (Some(t), Some(a), Some(c)) if template(&cause_loc).is_none() => {
            hints.insert(
                0,
                format!(
                    "`{}` is set at {a}, in the built-in template `{t}` (`sfprov templates show {t}` prints it); {override_hint}",
                    crate::spec::shape::dotted(&owned(at))
                ),
            );
            Some(c.clone())
        }
        _ => {
            if let Some(c) = &cause_loc {
                hints.push(format!(
                    "`{}` is set at {c}",
                    crate::spec::shape::dotted(&owned(cause))
                ));
            }
            at_loc
        }
    };
    let mut d = Diagnostic::error(message).at(location);
    for hint in hints {
        d = d.hint(hint);
    }
    ctx.diags.push(d);
}

/// The key of the grant: the object, or for read access sfprov added for
/// fields, the first such field.
fn grant_path(h: &Holder<'_>, object: &str) -> Vec<String> {
    let base = [h.table, h.name];
    let direct: Vec<String> = base
        .iter()
        .chain(&["objects", object])
        .map(|s| s.to_string())
        .collect();
    if h.access.objects.get(object).is_some_and(|o| o.why.implied) {
        let prefix = format!("{object}.");
        if let Some(field) = h.access.fields.keys().find(|f| f.starts_with(&prefix)) {
            return base
                .iter()
                .chain(&["fields", field.as_str()])
                .map(|s| s.to_string())
                .collect();
        }
    }
    direct
}
