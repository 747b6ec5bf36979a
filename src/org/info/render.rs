//! Views of `OrgInfo`: a human table and a JSON document.
//! Owns: the text layout and the JSON wire shape (private structs with
//! `format_version`, so renaming an `OrgInfo` field cannot change the JSON).
//! Every value shown is scrubbed (`secret::scrub`): most come from the server.
//! Does not: gather anything or print; callers write the returned string.

use serde::Serialize;

use super::{OrgInfo, Seats};
use crate::secret::scrub;

/// The JSON shape's version; bump when consumers must adapt.
pub const FORMAT_VERSION: &str = "1";

#[derive(Serialize)]
struct JsonInfo<'a> {
    format_version: &'static str,
    org_id: &'a str,
    org_name: Option<&'a str>,
    instance_url: &'a str,
    username: Option<&'a str>,
    api_version: &'a str,
    edition: Option<&'a str>,
    sandbox: Option<bool>,
    login: &'a str,
    target: &'a str,
    licenses: Vec<JsonSeats<'a>>,
    permission_set_licenses: Vec<JsonSeats<'a>>,
    push_topics: JsonPushTopics,
}

#[derive(Serialize)]
struct JsonSeats<'a> {
    name: &'a str,
    used: Option<u64>,
    total: Option<u64>,
}

#[derive(Serialize)]
struct JsonPushTopics {
    used: u64,
    limit: Option<u64>,
}

fn seats(s: &Seats) -> JsonSeats<'_> {
    JsonSeats {
        name: &s.name,
        used: s.used,
        total: s.total,
    }
}

/// One JSON document (pretty, newline-terminated).
pub fn json(info: &OrgInfo) -> String {
    let doc = JsonInfo {
        format_version: FORMAT_VERSION,
        org_id: &info.org_id,
        org_name: info.org_name.as_deref(),
        instance_url: &info.instance_url,
        username: info.username.as_deref(),
        api_version: &info.api_version,
        edition: info.edition.as_deref(),
        sandbox: info.sandbox,
        login: &info.login,
        target: &info.target,
        licenses: info.licenses.iter().map(seats).collect(),
        permission_set_licenses: vec![seats(&info.integration_psl)],
        push_topics: JsonPushTopics {
            used: info.push_topics.used,
            limit: info.push_topics.limit,
        },
    };
    // Names, editions and usernames come from the server: scrub them.
    let mut v = serde_json::to_value(&doc).expect("plain data serializes");
    scrub_strings(&mut v);
    let mut s = serde_json::to_string_pretty(&v).expect("plain data serializes");
    s.push('\n');
    s
}

fn scrub_strings(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) => *s = scrub(s),
        serde_json::Value::Array(a) => a.iter_mut().for_each(scrub_strings),
        serde_json::Value::Object(o) => o.values_mut().for_each(scrub_strings),
        _ => {}
    }
}

fn seat_text(s: &Seats) -> String {
    match (s.used, s.total) {
        (Some(u), Some(t)) => format!("{u} of {t} used ({} free)", t.saturating_sub(u)),
        _ => "none in this org".to_string(),
    }
}

/// The human view: aligned `key  value` lines.
pub fn human(info: &OrgInfo) -> String {
    let unknown = "(unknown)";
    let mut rows: Vec<(String, String)> = vec![
        (
            "Org".into(),
            match &info.org_name {
                Some(n) => format!("{n} ({})", info.org_id),
                None => info.org_id.clone(),
            },
        ),
        ("Instance URL".into(), info.instance_url.clone()),
        (
            "Username".into(),
            info.username.clone().unwrap_or_else(|| unknown.into()),
        ),
        ("API version".into(), info.api_version.clone()),
        (
            "Edition".into(),
            match (&info.edition, info.sandbox) {
                (Some(e), Some(true)) => format!("{e} (sandbox)"),
                (Some(e), _) => e.clone(),
                (None, _) => unknown.into(),
            },
        ),
        (
            "Connected via".into(),
            format!("{} ({})", info.login, info.target),
        ),
    ];
    for s in &info.licenses {
        rows.push((format!("License {}", s.name), seat_text(s)));
    }
    rows.push((
        format!("PSL {}", info.integration_psl.name),
        seat_text(&info.integration_psl),
    ));
    rows.push((
        "PushTopics".into(),
        match info.push_topics.limit {
            Some(l) => format!("{} of {l} used", info.push_topics.used),
            None => format!("{} used (limit unknown)", info.push_topics.used),
        },
    ));
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (k, v) in rows {
        // Values come from the server: one line each, no escapes, no secrets.
        out.push_str(&format!("{k:<width$}  {}\n", scrub(&v)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::PushTopics;
    use super::*;

    fn sample() -> OrgInfo {
        OrgInfo {
            login: "sf CLI".into(),
            target: "prod".into(),
            org_id: "00D5g000004ABCDEAA".into(),
            org_name: Some("Acme".into()),
            instance_url: "https://acme.my.salesforce.com".into(),
            username: Some("admin@acme.com".into()),
            api_version: "63.0".into(),
            edition: Some("Enterprise Edition".into()),
            sandbox: Some(false),
            licenses: vec![
                Seats {
                    name: "Salesforce".into(),
                    used: Some(7),
                    total: Some(10),
                },
                Seats {
                    name: "Salesforce Integration".into(),
                    used: None,
                    total: None,
                },
            ],
            integration_psl: Seats {
                name: "SalesforceAPIIntegrationPsl".into(),
                used: Some(1),
                total: Some(5),
            },
            push_topics: PushTopics {
                used: 3,
                limit: Some(50),
            },
        }
    }

    #[test]
    fn human_view() {
        assert_eq!(
            human(&sample()),
            "\
Org                              Acme (00D5g000004ABCDEAA)
Instance URL                     https://acme.my.salesforce.com
Username                         admin@acme.com
API version                      63.0
Edition                          Enterprise Edition
Connected via                    sf CLI (prod)
License Salesforce               7 of 10 used (3 free)
License Salesforce Integration   none in this org
PSL SalesforceAPIIntegrationPsl  1 of 5 used (4 free)
PushTopics                       3 of 50 used
"
        );
    }

    #[test]
    fn json_view_has_format_version() {
        let v: serde_json::Value = serde_json::from_str(&json(&sample())).unwrap();
        assert_eq!(v["format_version"], "1");
        assert_eq!(v["licenses"][0]["total"], 10);
        assert_eq!(
            v["permission_set_licenses"][0]["name"],
            "SalesforceAPIIntegrationPsl"
        );
        assert_eq!(v["push_topics"]["limit"], 50);
    }
}
