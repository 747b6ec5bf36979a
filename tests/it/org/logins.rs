//! Logins through each target kind against a scripted server: the sf CLI
//! (a fake `sf` script, old and new token behaviour, unknown alias, expired
//! login, missing binary), an access token, and the JWT bearer flow (a key
//! and certificate made by openssl, the assertion verified with the
//! certificate's public key). Then `org info` over each, and the
//! secret-leak check over every error and the `-v` log.

use std::sync::Arc;

use sfprov::org::target::{JwtTarget, LOGIN_AUDIENCE};
use sfprov::org::{
    connect, connect_with_clock, gather_info, ConnectOptions, FakeClock, Org, OrgError, Target,
};

use super::mock::{json, Mock};
use super::support::*;

const QUERY: &str = "/services/data/v63.0/query";

/// Answers for the four `org info` queries.
fn info_rules(m: &Mock) {
    m.on(
        QUERY,
        "FROM+Organization",
        vec![json(
            200,
            r#"{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Organization"},"Id":"00DTESTORG000001AAA","Name":"Acme","OrganizationType":"Enterprise Edition","IsSandbox":false}]}"#,
        )],
    );
    m.on(
        QUERY,
        "FROM+UserLicense",
        vec![json(
            200,
            r#"{"totalSize":2,"done":true,"records":[{"Name":"Salesforce","TotalLicenses":10,"UsedLicenses":7},{"Name":"Salesforce Integration","TotalLicenses":5,"UsedLicenses":1}]}"#,
        )],
    );
    m.on(
        QUERY,
        "FROM+PermissionSetLicense",
        vec![json(
            200,
            r#"{"totalSize":1,"done":true,"records":[{"DeveloperName":"SalesforceAPIIntegrationPsl","TotalLicenses":5,"UsedLicenses":1}]}"#,
        )],
    );
    m.on(
        QUERY,
        "FROM+PushTopic",
        vec![json(200, r#"{"totalSize":3,"done":true,"records":[]}"#)],
    );
}

fn check_info(org: &Org, username: Option<&str>) {
    let info = gather_info(org).unwrap();
    assert_eq!(info.org_id, "00DTESTORG000001AAA");
    assert_eq!(info.edition.as_deref(), Some("Enterprise Edition"));
    assert_eq!(info.username.as_deref(), username);
    assert_eq!(info.licenses[0].used, Some(7));
    assert_eq!(info.licenses[1].total, None, "no Salesforce Platform");
    assert_eq!(info.integration_psl.total, Some(5));
    assert_eq!(
        (info.push_topics.used, info.push_topics.limit),
        (3, Some(50))
    );
    let text = sfprov::org::info::render::human(&info) + &sfprov::org::info::render::json(&info);
    assert_no_secret("org info output", &text);
}

fn sf_opts(program: std::path::PathBuf) -> ConnectOptions {
    ConnectOptions {
        sf_program: program,
        ..options()
    }
}

#[test]
fn sf_cli_login_with_a_redacted_token_then_refresh_on_invalid_session() {
    let m = Mock::start();
    info_rules(&m);
    m.on(
        "/services/data/v63.0/sobjects/PushTopic/describe",
        "",
        vec![
            json(
                401,
                r#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#,
            ),
            json(200, r#"{"name":"PushTopic","fields":[]}"#),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let sf = fake_sf(dir.path(), &display_json(&m.url));
    let target = Target::SfCli {
        name: "acme".into(),
    };
    let org = connect(&target, &sf_opts(sf)).unwrap();
    assert_eq!(org.login_kind(), "sf CLI");
    check_info(&org, Some("admin@acme.test"));

    // INVALID_SESSION_ID: sf is asked again, once, and the call retried.
    let d = org.describe("PushTopic").unwrap();
    assert_eq!(d["name"], "PushTopic");
    let calls = std::fs::read_to_string(dir.path().join("sf-calls.log")).unwrap();
    assert_eq!(calls.matches("show-access-token").count(), 2, "{calls}");
    let describes: Vec<_> = m
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("describe"))
        .collect();
    assert_eq!(describes.len(), 2);
    let bearer = |r: &super::mock::Recorded| {
        r.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(bearer(&describes[0]), format!("Bearer {TOKEN}"));
    assert_eq!(bearer(&describes[1]), format!("Bearer {TOKEN2}"));
}

#[test]
fn session_is_refreshed_only_once() {
    let m = Mock::start();
    m.on(
        QUERY,
        "",
        vec![json(
            401,
            r#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#,
        )],
    );
    let dir = tempfile::tempdir().unwrap();
    let sf = fake_sf(dir.path(), &display_json(&m.url));
    let org = connect(
        &Target::SfCli {
            name: "acme".into(),
        },
        &sf_opts(sf),
    )
    .unwrap();
    let err = org.query("SELECT Id FROM User").unwrap_err();
    assert!(err
        .hint()
        .unwrap()
        .contains("sf org login web --alias acme"));
    assert_eq!(m.count("query"), 2);
    assert_no_secret("refresh error", &all_renderings(&err));
}

#[test]
fn old_sf_gives_the_token_in_org_display() {
    let m = Mock::start();
    info_rules(&m);
    let dir = tempfile::tempdir().unwrap();
    let display = display_json(&m.url).replace(
        "[REDACTED] Use 'sf org auth show-access-token' to view",
        TOKEN,
    );
    let sf = fake_sf(dir.path(), &display);
    let org = connect(
        &Target::SfCli {
            name: "acme".into(),
        },
        &sf_opts(sf),
    )
    .unwrap();
    check_info(&org, Some("admin@acme.test"));
    let calls = std::fs::read_to_string(dir.path().join("sf-calls.log")).unwrap();
    assert!(!calls.contains("show-access-token"), "{calls}");
}

#[test]
fn sf_failures_say_which_login_to_run() {
    let dir = tempfile::tempdir().unwrap();
    let unknown = fake_sf(
        dir.path(),
        r#"{"status":1,"name":"NamedOrgNotFoundError","message":"No authorization information found for nope.","exitCode":1}"#,
    );
    let err = connect(
        &Target::SfCli {
            name: "nope".into(),
        },
        &sf_opts(unknown),
    )
    .unwrap_err();
    assert!(matches!(err, OrgError::SfUnknownOrg { .. }), "{err:?}");
    assert!(err
        .hint()
        .unwrap()
        .contains("sf org login web --alias nope"));

    let dir = tempfile::tempdir().unwrap();
    let expired = fake_sf(
        dir.path(),
        r#"{"status":1,"name":"RefreshTokenAuthError","message":"Error authenticating with the refresh token due to: expired access/refresh token","exitCode":1}"#,
    );
    let err = connect(
        &Target::SfCli {
            name: "acme".into(),
        },
        &sf_opts(expired),
    )
    .unwrap_err();
    assert!(matches!(err, OrgError::SfExpired { .. }), "{err:?}");
    assert!(err
        .hint()
        .unwrap()
        .contains("sf org login web --alias acme"));

    let err = connect(
        &Target::SfCli {
            name: "acme".into(),
        },
        &sf_opts("/nonexistent/dir/sf".into()),
    )
    .unwrap_err();
    assert!(matches!(err, OrgError::SfMissing { .. }), "{err:?}");
}

#[test]
fn access_token_login_and_org_info_with_userinfo() {
    let m = Mock::start();
    info_rules(&m);
    m.on(
        "/services/oauth2/userinfo",
        "",
        vec![json(
            200,
            r#"{"preferred_username":"ci@acme.test","organization_id":"00DTESTORG000001AAA"}"#,
        )],
    );
    let (org, _) = token_org(&m.url);
    assert_eq!(org.login_kind(), "access token");
    check_info(&org, Some("ci@acme.test"));
}

fn jwt_target(m: &Mock, key: std::path::PathBuf) -> Target {
    Target::Jwt(JwtTarget {
        client_id: "3MVG9TESTCLIENT".into(),
        key_file: key,
        username: "integration@acme.test".into(),
        token_host: m.url.clone(),
        audience: LOGIN_AUDIENCE.into(),
    })
}

fn granted(url: &str, token: &str) -> super::mock::Action {
    json(
        200,
        format!(
            r#"{{"access_token":"{token}","scope":"api","instance_url":"{url}","id":"https://login.salesforce.com/id/00DTESTORG000001AAA/005TESTUSER00001AAA","token_type":"Bearer"}}"#
        ),
    )
}

#[test]
fn jwt_bearer_login_signs_rs256_and_remints_on_invalid_session() {
    let m = Mock::start();
    info_rules(&m);
    m.on(
        "/services/oauth2/token",
        "",
        vec![granted(&m.url, TOKEN), granted(&m.url, TOKEN2)],
    );
    m.on(
        "/services/data/v63.0/sobjects/User/describe",
        "",
        vec![
            json(
                401,
                r#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#,
            ),
            json(200, r#"{"name":"User"}"#),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let (key, _cert, public) = rsa_key_and_cert(dir.path());
    let clock = FakeClock::default();
    let org = connect_with_clock(&jwt_target(&m, key), &options(), Arc::new(clock)).unwrap();
    assert_eq!(org.login_kind(), "JWT bearer");
    check_info(&org, Some("integration@acme.test"));

    // The assertion verifies with the certificate's public key.
    let req = m
        .requests()
        .into_iter()
        .find(|r| r.path.starts_with("/services/oauth2/token"))
        .unwrap();
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(req.body.as_bytes())
            .into_owned()
            .collect();
    assert_eq!(
        form["grant_type"],
        "urn:ietf:params:oauth:grant-type:jwt-bearer"
    );
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(&std::fs::read(public).unwrap()).unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_audience(&[LOGIN_AUDIENCE]);
    v.set_issuer(&["3MVG9TESTCLIENT"]);
    let claims = jsonwebtoken::decode::<serde_json::Value>(&form["assertion"], &key, &v)
        .unwrap()
        .claims;
    assert_eq!(claims["sub"], "integration@acme.test");

    // INVALID_SESSION_ID: a new JWT is minted and traded, once.
    assert_eq!(org.describe("User").unwrap()["name"], "User");
    assert_eq!(m.count("/services/oauth2/token"), 2);
}

#[test]
fn jwt_refusals_are_explained() {
    let m = Mock::start();
    m.on(
        "/services/oauth2/token",
        "",
        vec![json(
            400,
            r#"{"error":"invalid_grant","error_description":"user hasn't approved this consumer"}"#,
        )],
    );
    let dir = tempfile::tempdir().unwrap();
    let (key, _, _) = rsa_key_and_cert(dir.path());
    let err = connect(&jwt_target(&m, key), &options()).unwrap_err();
    assert!(matches!(err, OrgError::OAuth { .. }), "{err:?}");
    assert!(err.to_string().contains("invalid_grant"));
    assert!(err.hint().unwrap().contains("pre-authorize"));
    assert_no_secret("jwt refusal", &all_renderings(&err));
}

/// Every path above and each failure, with the known token: nothing shown
/// to a user or written to the `-v` log holds it.
#[test]
fn no_secret_in_errors_debug_or_log() {
    let log = captured_log();
    let m = Mock::start();
    info_rules(&m);
    m.on(
        "/services/data/v63.0/sobjects/User",
        "",
        vec![json(
            400,
            r#"[{"message":"bad value","errorCode":"INVALID_FIELD"}]"#,
        )],
    );
    m.on(
        "/services/Soap/m/63.0",
        "",
        vec![super::mock::fault(
            "INVALID_SESSION_ID",
            "Invalid Session ID found in SessionHeader: Illegal Session",
        )],
    );
    let (org, _) = token_org(&m.url);
    let mut shown = format!("{org:?}\n");
    check_info(&org, None);
    let fields = serde_json::json!({"LastName":"Bot"})
        .as_object()
        .unwrap()
        .clone();
    for err in [
        org.create("User", &fields).unwrap_err(),
        org.check_deploy_status("0AfX", true).unwrap_err(),
        org.deploy(b"zip", &Default::default()).unwrap_err(),
        org.list_metadata(&[("Profile", None)]).unwrap_err(),
    ] {
        shown.push_str(&all_renderings(&err));
    }
    let targets = [
        Target::AccessToken {
            instance_url: "http://example.com".into(),
            token: sfprov::secret::Secret::new(TOKEN),
        },
        Target::AccessToken {
            instance_url: "http://127.0.0.1:9".into(),
            token: sfprov::secret::Secret::new(TOKEN),
        },
    ];
    for t in &targets {
        shown.push_str(&format!("{t:?}\n"));
        if let Err(e) = connect(t, &options()) {
            shown.push_str(&all_renderings(&e));
        }
    }
    assert_no_secret("errors and Debug output", &shown);
    assert_no_secret("the -v log", &log.lock().unwrap());
    assert!(
        log.lock().unwrap().contains("/services/Soap/m/63.0"),
        "the log records requests"
    );
}

#[test]
fn jwt_token_endpoint_outage_is_retried() {
    let m = Mock::start();
    m.on(
        "/services/oauth2/token",
        "",
        vec![json(503, "<html>down</html>"), granted(&m.url, TOKEN)],
    );
    let dir = tempfile::tempdir().unwrap();
    let (key, _, _) = rsa_key_and_cert(dir.path());
    let clock = FakeClock::default();
    let org =
        connect_with_clock(&jwt_target(&m, key), &options(), Arc::new(clock.clone())).unwrap();
    assert_eq!(
        org.identity().org_id.as_deref(),
        Some("00DTESTORG000001AAA")
    );
    assert_eq!(m.count("/services/oauth2/token"), 2);
    assert_eq!(clock.sleeps().len(), 1);
}
