//! End to end against the local org emulator (issue 3): `org info` through
//! every target kind (local, sf CLI with a fake `sf`, access token, JWT with
//! an openssl key and certificate), the emulator's fault injection for each
//! retry rule, a real deploy and retrieve, polling limits, cancellation, and
//! the secret check with the emulator's real tokens.

use std::sync::Arc;
use std::time::Duration;

use sfprov::emulator::{self, Config, EmulatorHandle, FaultAction, FaultRule};
use sfprov::metadata::package::manifest;
use sfprov::org::target::{JwtTarget, LOGIN_AUDIENCE};
use sfprov::org::{
    connect, connect_with_clock, gather_info, CancelToken, ConnectOptions, DeployOptions,
    DeployOutcome, FakeClock, NoObserver, Org, OrgError, Target, Wait, ZipLimits,
};
use sfprov::secret::Secret;

use super::support::*;

fn start(config: Config) -> EmulatorHandle {
    emulator::spawn(config).expect("emulator starts")
}

fn token_target(h: &EmulatorHandle) -> Target {
    Target::AccessToken {
        instance_url: h.url.clone(),
        token: Secret::new(h.access_token.expose()),
    }
}

fn org_for(h: &EmulatorHandle, opts: &ConnectOptions) -> (Org, FakeClock) {
    let clock = FakeClock::default();
    let org = connect_with_clock(&token_target(h), opts, Arc::new(clock.clone())).unwrap();
    (org, clock)
}

fn check_info(org: &Org, h: Option<&EmulatorHandle>) {
    let info = gather_info(org).unwrap();
    assert!(info.org_id.starts_with("00D"), "{info:?}");
    assert!(info.username.is_some(), "{info:?}");
    assert_eq!(info.licenses.len(), 3);
    assert_eq!(info.integration_psl.name, "SalesforceAPIIntegrationPsl");
    if let Some(h) = h {
        assert_eq!(info.username.as_deref(), Some(h.username.as_str()));
        assert_eq!(&info.instance_url, &h.url);
        let text =
            sfprov::org::info::render::human(&info) + &sfprov::org::info::render::json(&info);
        assert_no_secret_value(&text, h.access_token.expose());
    }
}

fn assert_no_secret_value(text: &str, token: &str) {
    assert!(
        !text.contains(token),
        "output leaks the emulator token:\n{text}"
    );
}

#[test]
fn org_info_through_the_local_target() {
    let dir = tempfile::tempdir().unwrap();
    let opts = ConnectOptions {
        project_dir: Some(dir.path().to_path_buf()),
        api_version: None,
        ..options()
    };
    // The caller holds the emulator (`local`) while it uses the org.
    let local = sfprov::org::local::start(opts.project_dir.as_deref()).unwrap();
    let org = local.connect(&opts).unwrap();
    assert_eq!(org.login_kind(), "local emulator");
    check_info(&org, None);
    assert!(dir.path().join(".sfprov/local-org").exists());
}

#[test]
fn org_info_through_an_access_token() {
    let h = start(Config::default());
    let (org, _) = org_for(&h, &options());
    check_info(&org, Some(&h));
}

#[test]
fn org_info_through_the_sf_cli_and_a_refresh() {
    let h = start(Config::default());
    let dir = tempfile::tempdir().unwrap();
    let second = h.token_for(&h.username).unwrap();
    let display = display_json(&h.url).replace("admin@acme.test", &h.username);
    let sf = fake_sf_with(
        dir.path(),
        &display,
        h.access_token.expose(),
        second.expose(),
    );
    let opts = ConnectOptions {
        sf_program: sf,
        ..options()
    };
    let org = connect(
        &Target::SfCli {
            name: "acme".into(),
        },
        &opts,
    )
    .unwrap();
    check_info(&org, Some(&h));
    // The first token dies: sf is asked again and the query retried.
    h.add_fault(FaultRule::new("rest:query", FaultAction::InvalidSession).times(1));
    assert!(org.query("SELECT Id FROM User").unwrap().total_size >= 1);
    let calls = std::fs::read_to_string(dir.path().join("sf-calls.log")).unwrap();
    assert_eq!(calls.matches("show-access-token").count(), 2, "{calls}");
}

#[test]
fn org_info_through_jwt_and_a_remint_after_expiry() {
    let h = start(Config::default());
    let dir = tempfile::tempdir().unwrap();
    let (key, cert, _) = rsa_key_and_cert(dir.path());
    h.add_oauth_client("3MVG9SFPROVTEST", &std::fs::read_to_string(cert).unwrap());
    let target = Target::Jwt(JwtTarget {
        client_id: "3MVG9SFPROVTEST".into(),
        key_file: key,
        username: h.username.clone(),
        token_host: h.url.clone(),
        audience: LOGIN_AUDIENCE.into(),
    });
    let org = connect(&target, &options()).unwrap();
    assert_eq!(org.login_kind(), "JWT bearer");
    check_info(&org, Some(&h));
    h.expire_tokens();
    assert!(org.query("SELECT Id FROM User").unwrap().total_size >= 1);
    // A wrong client is refused with an explanation.
    let bad = match target {
        Target::Jwt(j) => Target::Jwt(JwtTarget {
            client_id: "3MVG9UNKNOWN".into(),
            ..j
        }),
        _ => unreachable!(),
    };
    let err = connect(&bad, &options()).unwrap_err();
    assert!(matches!(err, OrgError::OAuth { .. }), "{err:?}");
}

#[test]
fn queries_survive_503_drops_limits_and_slowness() {
    let h = start(Config::default());
    let opts = ConnectOptions {
        request_timeout: Duration::from_millis(800),
        ..options()
    };
    let (org, clock) = org_for(&h, &opts);
    let status_503 = FaultAction::Status {
        status: 503,
        body: "<html>Service Unavailable</html>".into(),
        content_type: Some("text/html".into()),
    };
    for action in [
        status_503,
        FaultAction::DropBefore,
        FaultAction::RequestLimit,
        FaultAction::Delay { ms: 2000 },
    ] {
        h.set_faults(vec![FaultRule::new("rest:query", action.clone()).times(2)]);
        let r = org.query("SELECT Id, Username FROM User");
        assert!(r.is_ok(), "{action:?}: {r:?}");
    }
    // Two backoffs per fault, except that ureq itself resends a bodiless GET
    // once when a reused keep-alive connection was closed (RFC 7230 6.3.1),
    // which absorbs one of the two dropped connections.
    assert!(clock.sleeps().len() >= 7, "{:?}", clock.sleeps());
    // Past the retry budget the error is reported.
    h.set_faults(vec![FaultRule::new(
        "rest:query",
        FaultAction::RequestLimit,
    )]);
    let err = org.query("SELECT Id FROM User").unwrap_err();
    assert_eq!(
        err.code(),
        Some(&sfprov::org::ApiErrorCode::RequestLimitExceeded)
    );
}

fn zip_of(entries: &[(&str, &str)]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(text.as_bytes()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

const PS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<PermissionSet xmlns="http://soap.sforce.com/2006/04/metadata">
    <label>Sfprov Test</label>
    <userPermissions>
        <enabled>true</enabled>
        <name>ApiEnabled</name>
    </userPermissions>
</PermissionSet>
"#;

fn ps_zip() -> Vec<u8> {
    let pkg = String::from_utf8(sfprov::metadata::write::to_bytes(&manifest(
        [("PermissionSet", "Sfprov_Test")],
        "63.0",
    )))
    .unwrap();
    zip_of(&[
        ("package.xml", &pkg),
        ("permissionsets/Sfprov_Test.permissionset", PS),
    ])
}

#[test]
fn deploy_through_cross_reference_then_retrieve_it_back() {
    let h = start(Config::default());
    h.add_fault(FaultRule::new("soap:checkDeployStatus", FaultAction::CrossReference).times(1));
    let (org, _) = org_for(&h, &options());
    let r = org
        .deploy_and_wait(
            &ps_zip(),
            &DeployOptions::default(),
            &Wait::default(),
            &mut NoObserver,
        )
        .unwrap();
    assert_eq!(r.outcome(), DeployOutcome::Succeeded, "{r:?}");
    let man = manifest([("PermissionSet", "Sfprov_Test")], "63.0");
    let got = org
        .retrieve_files(
            &man,
            &Wait::default(),
            ZipLimits::default(),
            &mut NoObserver,
        )
        .unwrap();
    let ps = got
        .files
        .iter()
        .find(|f| f.path.ends_with("Sfprov_Test.permissionset"))
        .expect("the permission set comes back");
    assert!(String::from_utf8_lossy(&ps.bytes).contains("ApiEnabled"));
}

#[test]
fn a_dropped_deploy_is_not_sent_again() {
    let h = start(Config::default());
    h.add_fault(FaultRule::new("soap:deploy", FaultAction::DropBefore).times(1));
    let (org, _) = org_for(&h, &options());
    let err = org
        .deploy(&ps_zip(), &DeployOptions::default())
        .unwrap_err();
    assert!(matches!(err, OrgError::Transport { .. }), "{err:?}");
    // The next, deliberate deploy goes through: the fault fired once only
    // because the client did not retry.
    assert!(org.deploy(&ps_zip(), &DeployOptions::default()).is_ok());
}

#[test]
fn a_failed_deploy_carries_its_component_failures() {
    let h = start(Config::default());
    let (org, _) = org_for(&h, &options());
    let bad = PS.replace("ApiEnabled", "NoSuchPermissionXyz");
    let pkg = String::from_utf8(sfprov::metadata::write::to_bytes(&manifest(
        [("PermissionSet", "Sfprov_Test")],
        "63.0",
    )))
    .unwrap();
    let zip = zip_of(&[
        ("package.xml", &pkg),
        ("permissionsets/Sfprov_Test.permissionset", &bad),
    ]);
    let r = org
        .deploy_and_wait(
            &zip,
            &DeployOptions::default(),
            &Wait::default(),
            &mut NoObserver,
        )
        .unwrap();
    assert_eq!(r.outcome(), DeployOutcome::Failed);
    assert!(!r.component_failures.is_empty(), "{r:?}");
}

#[test]
fn wait_limit_and_cancel_against_a_slow_deploy() {
    let h = start(Config {
        deploy_polls: 1000,
        ..Config::default()
    });
    let (org, _) = org_for(&h, &options());
    let job = org.deploy(&ps_zip(), &DeployOptions::default()).unwrap();
    let wait = Wait {
        limit: Some(Duration::from_secs(30)),
        cancel: CancelToken::new(),
    };
    let err = org
        .wait_for_deploy(&job.id, &wait, &mut NoObserver)
        .unwrap_err();
    assert!(matches!(err, OrgError::WaitLimit { .. }), "{err:?}");
    assert!(err.hint().unwrap().contains(&job.id));

    let cancel = Wait::default();
    cancel.cancel.cancel();
    let err = org
        .wait_for_deploy(&job.id, &cancel, &mut NoObserver)
        .unwrap_err();
    assert!(matches!(err, OrgError::Canceled { .. }), "{err:?}");
}

#[test]
fn emulator_tokens_never_show_in_errors_or_log() {
    let log = captured_log();
    let h = start(Config::default());
    let (org, _) = org_for(&h, &options());
    let token = h.access_token.expose().to_string();
    let mut shown = format!("{org:?}\n{h:?}\n");
    h.set_faults(vec![FaultRule::new("*", FaultAction::InvalidSession)]);
    for err in [
        org.query("SELECT Id FROM User").unwrap_err(),
        org.check_deploy_status("0Af000000000000AAA", true)
            .unwrap_err(),
    ] {
        shown.push_str(&all_renderings(&err));
    }
    h.clear_faults();
    check_info(&org, Some(&h));
    assert_no_secret_value(&shown, &token);
    assert_no_secret_value(&log.lock().unwrap(), &token);
}

#[test]
fn a_create_whose_answer_is_lost_is_not_sent_again() {
    let h = start(Config::default());
    let (org, _) = org_for(&h, &options());
    h.add_fault(FaultRule::new("rest:sobjects", FaultAction::DropAfter).times(1));
    let fields = serde_json::json!({"Name": "sfprovLost", "Query": "SELECT Id FROM Case", "ApiVersion": 63.0})
        .as_object()
        .unwrap()
        .clone();
    let err = org.create("PushTopic", &fields).unwrap_err();
    assert!(matches!(err, OrgError::Transport { .. }), "{err:?}");
    // The org did create it, once: a query (what apply does first) finds
    // exactly one, where a blind retry would have made two or failed.
    let n = org
        .count("SELECT count() FROM PushTopic WHERE Name = 'sfprovLost'")
        .unwrap();
    assert_eq!(n, 1);
}
