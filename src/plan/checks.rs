//! Preflight findings a plan carries as errors: what would make apply fail.
//! Owns: one function per rule: components the spec names that the org
//! lacks, PushTopic headroom, license and permission set license seats.
//! Does not: print, or decide anything about metadata differences.

use super::user::{UserAction, UserPlan};
use super::{Action, Finding, Severity};
use crate::org::read::{OrgRead, ReadError, Retrieval};
use crate::org::rest::soql_quote;

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
