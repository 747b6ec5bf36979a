//! Preflight findings a plan carries as errors: what would make apply fail.
//! Owns: one function per rule: an API version the org does not serve,
//! components the spec names that the org lacks, PushTopic headroom,
//! license and permission set license seats.
//! Does not: print, or decide anything about metadata differences.

use super::user::{UserAction, UserPlan};
use super::{Action, Finding, Severity};
use crate::org::read::{OrgRead, ReadError, Retrieval};
use crate::org::rest::soql_quote;

/// The spec's API version against the versions the org serves
/// (`GET /services/data`); nothing for a directory.
pub fn api_version(org: &dyn OrgRead, wanted: &str) -> Result<Vec<Finding>, ReadError> {
    let Some(served) = org.api_versions()? else {
        return Ok(Vec::new());
    };
    Ok(version_finding(&served, wanted, &org.label())
        .into_iter()
        .collect())
}

fn version_finding(served: &[String], wanted: &str, org: &str) -> Option<Finding> {
    let num = |v: &str| v.trim().parse::<f64>().ok();
    let want = num(wanted)?;
    let mut nums: Vec<(f64, &str)> = served
        .iter()
        .filter_map(|v| Some((num(v)?, v.as_str())))
        .collect();
    if nums.is_empty() || nums.iter().any(|(n, _)| (*n - want).abs() < 1e-9) {
        return None;
    }
    nums.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (oldest, newest) = (nums[0].1, nums[nums.len() - 1].1);
    let why = if want > nums[nums.len() - 1].0 {
        format!("{wanted} is newer than the org's release")
    } else {
        format!("{wanted} is retired or was never released")
    };
    Some(Finding {
        severity: Severity::Error,
        message: format!(
            "the spec asks for API version {wanted}, which org `{org}` does not serve: it serves {oldest} to {newest} ({why})"
        ),
        hint: Some(format!(
            "set `api_version = \"{newest}\"` in the spec (the org's newest), or plan against an org on a release that serves {wanted}"
        )),
    })
}

/// Objects, fields, pages and classes the spec names that the retrieve did
/// not return; types a directory cannot tell about are a note.
pub fn missing_components(r: &Retrieval) -> Vec<Finding> {
    let mut out = Vec::new();
    for (ty, member) in &r.missing {
        let what = match ty.as_str() {
            "CustomObject" => "object",
            "CustomField" => "field",
            "ApexPage" => "Visualforce page",
            "ApexClass" => "Apex class",
            _ => continue,
        };
        out.push(Finding {
            severity: Severity::Error,
            message: format!(
                "the org has no {what} `{member}`, which the spec grants access to ({ty})"
            ),
            hint: Some(format!(
                "install the package or create the {what} first, or remove `{member}` from the spec"
            )),
        });
    }
    for ty in &r.unknown_types {
        out.push(Finding {
            severity: Severity::Note,
            message: format!("{ty} members not checked: the directory holds no files of that type"),
            hint: None,
        });
    }
    out
}

/// PushTopic records in use against the edition's limit.
pub fn push_topics(
    org: &dyn OrgRead,
    needed: u32,
    edition: Option<&str>,
) -> Result<Vec<Finding>, ReadError> {
    let used = org.query("SELECT count() FROM PushTopic")?.total_size;
    let Some(limit) = crate::org::info::push_topic_limit(edition) else {
        return Ok(vec![Finding {
            severity: Severity::Warning,
            message: format!("PushTopic headroom not checked: the org's edition is unknown ({used} in use, {needed} needed)"),
            hint: None,
        }]);
    };
    if used + u64::from(needed) > limit {
        return Ok(vec![Finding {
            severity: Severity::Error,
            message: format!(
                "the integration needs {needed} PushTopics, but the org uses {used} of its {limit}"
            ),
            hint: Some("delete unused PushTopics (SELECT Id, Name FROM PushTopic), or raise the limit with Salesforce".into()),
        }]);
    }
    Ok(Vec::new())
}

/// Seats of the user license (for a new user) and of each permission set
/// license to assign.
pub fn seats(
    org: &dyn OrgRead,
    license: Option<&str>,
    user: &UserPlan,
) -> Result<Vec<Finding>, ReadError> {
    let mut out = Vec::new();
    let short = |name: &str, used: u64, total: u64| Finding {
        severity: Severity::Error,
        message: format!("no free seat of license `{name}`: {used} of {total} in use"),
        hint: Some(format!(
            "free a seat (deactivate a user holding `{name}`) or buy one before apply"
        )),
    };
    let n = |r: &serde_json::Map<String, serde_json::Value>, k: &str| {
        r.get(k).and_then(serde_json::Value::as_u64)
    };
    if let (UserAction::Create, Some(lic)) = (user.action, license) {
        let r = org.query(&format!(
            "SELECT Name, TotalLicenses, UsedLicenses FROM UserLicense WHERE Name = {}",
            soql_quote(lic)
        ))?;
        match r.records.first() {
            None => out.push(Finding {
                severity: Severity::Error,
                message: format!("the org has no user license `{lic}`"),
                hint: Some(
                    "`sfprov org info` lists the org's licenses; set [user] license to one of them"
                        .into(),
                ),
            }),
            Some(row) => {
                if let (Some(used), Some(total)) = (n(row, "UsedLicenses"), n(row, "TotalLicenses"))
                {
                    if used >= total {
                        out.push(short(lic, used, total));
                    }
                }
            }
        }
    }
    let to_add: Vec<&str> = user
        .permission_set_licenses
        .iter()
        .filter(|a| a.action == Action::Add)
        .map(|a| a.name.as_str())
        .collect();
    if !to_add.is_empty() {
        let names: Vec<String> = to_add.iter().map(|n| soql_quote(n)).collect();
        let r = org.query(&format!(
            "SELECT DeveloperName, TotalLicenses, UsedLicenses FROM PermissionSetLicense WHERE DeveloperName IN ({})",
            names.join(", ")
        ))?;
        for name in to_add {
            let row = r.records.iter().find(|row| {
                row.get("DeveloperName").and_then(serde_json::Value::as_str) == Some(name)
            });
            match row {
                None => out.push(Finding {
                    severity: Severity::Error,
                    message: format!("the org has no permission set license `{name}`"),
                    hint: Some("`sfprov org info` shows the integration license; remove it from [user] permission_set_licenses or get it from Salesforce".into()),
                }),
                Some(row) => {
                    if let (Some(used), Some(total)) = (n(row, "UsedLicenses"), n(row, "TotalLicenses")) {
                        if used >= total {
                            out.push(short(name, used, total));
                        }
                    }
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn an_api_version_the_org_does_not_serve_names_both_and_the_fix() {
        let s = served(&["59.0", "60.0", "61.0", "62.0", "63.0"]);
        assert!(version_finding(&s, "63.0", "prod").is_none());
        assert!(version_finding(&s, "63", "prod").is_none());
        let f = version_finding(&s, "64.0", "prod").unwrap();
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(
            f.message,
            "the spec asks for API version 64.0, which org `prod` does not serve: it serves 59.0 to 63.0 (64.0 is newer than the org's release)"
        );
        assert!(f.hint.unwrap().contains("`api_version = \"63.0\"`"));
        let f = version_finding(&s, "45.0", "prod").unwrap();
        assert!(f.message.contains("retired"), "{}", f.message);
        assert!(version_finding(&[], "64.0", "prod").is_none());
    }
}
