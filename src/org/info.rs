//! `sfprov org info`: what an admin checks before provisioning.
//! Owns: `OrgInfo` (a value) and `gather` (the queries that fill it: the
//! Organization row, user licenses, the SalesforceAPIIntegrationPsl
//! permission set license, PushTopic count and the edition's limit).
//! Rendering lives apart in `info::render` (human and JSON views).
//! Does not: print.

pub mod render;

use serde_json::Value;

use super::client::{CallInfo, Org, Protocol};
use super::error::OrgError;
use super::http::{Body, Request};

/// User licenses `org info` reports, by `UserLicense.Name`.
pub const LICENSES: [&str; 3] = [
    "Salesforce",
    "Salesforce Platform",
    "Salesforce Integration",
];

/// The permission set license the integration user needs.
pub const INTEGRATION_PSL: &str = "SalesforceAPIIntegrationPsl";

/// Seats of one license; `None` counts when the org has no such license.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seats {
    pub name: String,
    pub used: Option<u64>,
    pub total: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushTopics {
    pub used: u64,
    /// From the edition (Streaming API allocations); `None` if unknown.
    pub limit: Option<u64>,
}

/// What `org info` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgInfo {
    /// How sfprov logged in (`sf CLI`, `access token`, `JWT bearer`, `local emulator`).
    pub login: String,
    /// The target's name in messages (alias, `local`, host, username).
    pub target: String,
    pub org_id: String,
    pub org_name: Option<String>,
    pub instance_url: String,
    pub username: Option<String>,
    pub api_version: String,
    /// `Organization.OrganizationType`, e.g. `Enterprise Edition`.
    pub edition: Option<String>,
    pub sandbox: Option<bool>,
    pub licenses: Vec<Seats>,
    pub integration_psl: Seats,
    pub push_topics: PushTopics,
}

/// PushTopic records per org by edition (Streaming API allocations):
/// Performance and Unlimited 100, Enterprise 50, all others 40.
pub fn push_topic_limit(edition: Option<&str>) -> Option<u64> {
    let e = edition?.to_ascii_lowercase();
    Some(if e.contains("performance") || e.contains("unlimited") {
        100
    } else if e.contains("enterprise") {
        50
    } else {
        40
    })
}

/// `sfprov org info` as one call: resolve the target, log in, gather.
/// The CLI renders the value with `info::render::{human, json}`.
pub fn org_info(
    target: &super::TargetOptions,
    env: &super::Environment,
    connect: &super::ConnectOptions,
) -> Result<OrgInfo, OrgError> {
    let target = super::resolve_target(target, env)?;
    // `local`: the emulator runs while `_local` lives, i.e. for this call.
    let (org, _local) = super::local::connect_target(&target, connect)?;
    gather(&org)
}

/// Runs the queries behind `org info`.
pub fn gather(org: &Org) -> Result<OrgInfo, OrgError> {
    let orgs = org.query("SELECT Id, Name, OrganizationType, IsSandbox FROM Organization")?;
    let row = orgs.records.first();
    let s = |k: &str| {
        row.and_then(|r| r.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let edition = s("OrganizationType");
    let org_id = s("Id")
        .or_else(|| org.identity().org_id.clone())
        .ok_or_else(|| org.protocol_error("query Organization", "no Organization row".into()))?;

    let names = LICENSES
        .iter()
        .map(|n| super::rest::soql_quote(n))
        .collect::<Vec<_>>()
        .join(", ");
    let lic = org.query(&format!(
        "SELECT Name, TotalLicenses, UsedLicenses FROM UserLicense WHERE Name IN ({names})"
    ))?;
    let licenses = LICENSES
        .iter()
        .map(|name| seats(name, &lic.records, "Name"))
        .collect();
    let psl = org.query(&format!(
        "SELECT DeveloperName, TotalLicenses, UsedLicenses FROM PermissionSetLicense WHERE DeveloperName = {}",
        super::rest::soql_quote(INTEGRATION_PSL)
    ))?;
    let integration_psl = seats(INTEGRATION_PSL, &psl.records, "DeveloperName");
    let push_used = org.count("SELECT count() FROM PushTopic")?;

    let username = match &org.identity().username {
        Some(u) => Some(u.clone()),
        None => userinfo_username(org),
    };
    Ok(OrgInfo {
        login: org.login_kind().to_string(),
        target: org.label().to_string(),
        org_id,
        org_name: s("Name"),
        instance_url: org.instance_url().to_string(),
        username,
        api_version: org.api_version().to_string(),
        sandbox: row
            .and_then(|r| r.get("IsSandbox"))
            .and_then(Value::as_bool),
        push_topics: PushTopics {
            used: push_used,
            limit: push_topic_limit(edition.as_deref()),
        },
        edition,
        licenses,
        integration_psl,
    })
}

fn seats(name: &str, records: &[serde_json::Map<String, Value>], key: &str) -> Seats {
    let row = records
        .iter()
        .find(|r| r.get(key).and_then(Value::as_str) == Some(name));
    let n = |k: &str| row.and_then(|r| r.get(k)).and_then(Value::as_u64);
    Seats {
        name: name.to_string(),
        used: n("UsedLicenses"),
        total: n("TotalLicenses"),
    }
}

/// The username behind an access token, from the OpenID userinfo endpoint;
/// `None` when the org does not answer it.
fn userinfo_username(org: &Org) -> Option<String> {
    let url = format!("{}/services/oauth2/userinfo", org.instance_url());
    let call = CallInfo {
        operation: "userinfo",
        protocol: Protocol::Rest,
        idempotent: true,
    };
    let resp = org
        .execute(&call, |token| Request {
            method: "GET",
            url: url.clone(),
            headers: vec![
                ("Authorization", format!("Bearer {}", token.expose())),
                ("Accept", "application/json".into()),
            ],
            body: Body::Empty,
        })
        .ok()?;
    let v: Value = serde_json::from_str(&resp.body).ok()?;
    v.get("preferred_username")
        .and_then(Value::as_str)
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_topic_limits_by_edition() {
        assert_eq!(push_topic_limit(Some("Unlimited Edition")), Some(100));
        assert_eq!(push_topic_limit(Some("Performance Edition")), Some(100));
        assert_eq!(push_topic_limit(Some("Enterprise Edition")), Some(50));
        assert_eq!(push_topic_limit(Some("Developer Edition")), Some(40));
        assert_eq!(push_topic_limit(None), None);
    }

    #[test]
    fn seats_from_records() {
        let recs: Vec<serde_json::Map<String, Value>> = serde_json::from_str(
            r#"[{"attributes":{"type":"UserLicense"},"Name":"Salesforce","TotalLicenses":10,"UsedLicenses":7}]"#,
        )
        .unwrap();
        assert_eq!(
            seats("Salesforce", &recs, "Name"),
            Seats {
                name: "Salesforce".into(),
                used: Some(7),
                total: Some(10)
            }
        );
        assert_eq!(seats("Salesforce Platform", &recs, "Name").total, None);
    }
}
