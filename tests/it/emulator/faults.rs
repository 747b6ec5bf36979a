//! Fault injection over HTTP (issue 3, point 7): status with body, dropped
//! connections before and after acting, delay, INVALID_SESSION_ID after N
//! calls, REQUEST_LIMIT_EXCEEDED; from Rust, from the admin route and from a file.

use std::time::{Duration, Instant};

use serde_json::json;

use super::client::*;
use sfprov::emulator::{FaultAction, FaultRule};

const DESCRIBE: &str =
    "<met:describeMetadata><met:asOfVersion>63.0</met:asOfVersion></met:describeMetadata>";

#[test]
fn status_and_protocol_faults() {
    let org = Org::start();
    org.h.add_fault(
        FaultRule::new(
            "/services/data",
            FaultAction::Status {
                status: 503,
                body: "Service Unavailable".into(),
                content_type: None,
            },
        )
        .times(1),
    );
    let r = org.rest(
        "GET",
        "/services/data/v63.0/query?q=SELECT+Id+FROM+User",
        "",
    );
    assert_eq!((r.status, r.body.as_str()), (503, "Service Unavailable"));
    assert_eq!(
        org.rest(
            "GET",
            "/services/data/v63.0/query?q=SELECT+Id+FROM+User",
            ""
        )
        .status,
        200,
        "times(1)"
    );

    org.h.set_faults(vec![FaultRule::new(
        "soap:describeMetadata",
        FaultAction::RequestLimit,
    )
    .times(1)]);
    let r = org.soap(DESCRIBE);
    assert_eq!(r.status, 500);
    assert_eq!(
        tag(&r.body, "faultcode").as_deref(),
        Some("sf:REQUEST_LIMIT_EXCEEDED")
    );
    assert_eq!(org.soap(DESCRIBE).status, 200);

    org.h
        .set_faults(vec![FaultRule::new("rest:*", FaultAction::RequestLimit)]);
    let r = org.rest(
        "GET",
        "/services/data/v63.0/query?q=SELECT+Id+FROM+User",
        "",
    );
    assert_eq!(r.status, 403);
    assert_eq!(r.json()[0]["errorCode"], "REQUEST_LIMIT_EXCEEDED");
    org.h.clear_faults();

    org.h.set_faults(vec![FaultRule::new(
        "soap:checkDeployStatus",
        FaultAction::CrossReference,
    )
    .times(1)]);
    let r = org.soap("<met:checkDeployStatus><met:asyncProcessId>0Af000000000001AAA</met:asyncProcessId></met:checkDeployStatus>");
    assert_eq!(
        tag(&r.body, "faultstring").as_deref(),
        Some("INVALID_CROSS_REFERENCE_KEY: invalid cross reference id")
    );
}

#[test]
fn invalid_session_after_n_calls() {
    let org = Org::start();
    org.h
        .add_fault(FaultRule::new("soap:*", FaultAction::InvalidSession).after(2));
    assert_eq!(org.soap(DESCRIBE).status, 200);
    assert_eq!(org.soap(DESCRIBE).status, 200);
    let r = org.soap(DESCRIBE);
    assert_eq!(
        tag(&r.body, "faultcode").as_deref(),
        Some("sf:INVALID_SESSION_ID")
    );
    org.h
        .add_fault(FaultRule::new("rest:query", FaultAction::InvalidSession));
    let r = org.rest(
        "GET",
        "/services/data/v63.0/query?q=SELECT+Id+FROM+User",
        "",
    );
    assert_eq!(r.status, 401);
}

#[test]
fn dropped_connections_before_and_after_acting() {
    let org = Org::start();
    let integ =
        org.id_of("SELECT Id FROM Profile WHERE Name = 'Minimum Access - API Only Integrations'");
    let body = json!({
        "Username": "drop@example.com", "LastName": "Drop", "Email": "d@example.com", "Alias": "drop",
        "TimeZoneSidKey": "UTC", "LocaleSidKey": "en_US", "EmailEncodingKey": "UTF-8", "LanguageLocaleKey": "en_US", "ProfileId": integ,
    })
    .to_string();
    let post = |org: &Org| {
        let auth = format!("Bearer {}", org.token());
        http(
            &org.h.url,
            "POST",
            "/services/data/v63.0/sobjects/User",
            &[("Authorization", &auth)],
            &body,
        )
    };
    org.h.set_faults(vec![FaultRule::new(
        "rest:sobjects",
        FaultAction::DropBefore,
    )
    .times(1)]);
    assert!(post(&org).is_err(), "no response");
    assert_eq!(
        org.query("SELECT count() FROM User WHERE Username = 'drop@example.com'")["totalSize"],
        0,
        "not acted"
    );
    org.h.set_faults(vec![FaultRule::new(
        "rest:sobjects",
        FaultAction::DropAfter,
    )
    .times(1)]);
    assert!(post(&org).is_err(), "no response");
    assert_eq!(
        org.query("SELECT count() FROM User WHERE Username = 'drop@example.com'")["totalSize"],
        1,
        "acted"
    );
    // The retry sees the user already there.
    assert_eq!(
        post(&org).unwrap().json()[0]["errorCode"],
        "DUPLICATE_USERNAME"
    );
    // SOAP deploy dropped after acting: the job exists and can be polled.
    org.h.set_faults(vec![
        FaultRule::new("soap:deploy", FaultAction::DropAfter).times(1)
    ]);
    let r = org.soap_as(
        &org.token(),
        "<met:deploy><met:ZipFile>UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==</met:ZipFile></met:deploy>",
    );
    assert!(r.is_err());
}

#[test]
fn delay_and_admin_route() {
    let org = Org::start();
    let rules =
        json!([{"target": "oauth:token", "action": {"kind": "delay", "ms": 300}, "times": 1}])
            .to_string();
    let r = http(
        &org.h.url,
        "PUT",
        "/__emulator/faults",
        &[("Content-Type", "application/json")],
        &rules,
    )
    .unwrap();
    assert_eq!(r.status, 204, "{}", r.body);
    let listed = http(&org.h.url, "GET", "/__emulator/faults", &[], "")
        .unwrap()
        .json();
    assert_eq!(listed[0]["action"]["kind"], "delay");
    let start = Instant::now();
    let r = http(
        &org.h.url,
        "POST",
        "/services/oauth2/token",
        &[],
        "grant_type=nope",
    )
    .unwrap();
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert_eq!(r.status, 400);
    let r = http(&org.h.url, "DELETE", "/__emulator/faults", &[], "").unwrap();
    assert_eq!(r.status, 204);
    let state = http(&org.h.url, "GET", "/__emulator/state", &[], "")
        .unwrap()
        .json();
    assert!(state["components"]["Profile"]["Admin"]["xml"]
        .as_str()
        .unwrap()
        .contains("<Profile"));
}

#[test]
fn faults_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("faults.json");
    std::fs::write(&path, r#"[{"target": "rest:query", "action": {"kind": "status", "status": 500, "body": "boom"}}]"#).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let opts = sfprov::emulator::ServeOptions {
        faults_file: Some(path),
        ..Default::default()
    };
    let t = std::thread::spawn(move || {
        sfprov::emulator::serve(opts, |r| ready_tx.send(r.to_json_line()).unwrap(), Some(rx))
            .unwrap();
    });
    let line: serde_json::Value = serde_json::from_str(&ready_rx.recv().unwrap()).unwrap();
    let url = line["instance_url"].as_str().unwrap();
    let auth = format!("Bearer {}", line["access_token"].as_str().unwrap());
    let r = http(
        url,
        "GET",
        "/services/data/v63.0/query?q=SELECT+Id+FROM+User",
        &[("Authorization", &auth)],
        "",
    )
    .unwrap();
    assert_eq!((r.status, r.body.as_str()), (500, "boom"));
    tx.send(()).unwrap();
    t.join().unwrap();
}

#[test]
fn component_failure_fails_the_deploy_it_fires_on() {
    let org = Org::start();
    let rule: FaultRule = serde_json::from_value(json!({
        "target": "soap:deploy", "after": 1, "times": 1,
        "action": {"kind": "component_failure", "problem": "no CustomField named Account.Region__c found"}
    }))
    .unwrap();
    org.h.add_fault(rule);
    let ps = doc("PermissionSet", "<label>Hit</label>");
    let files = [("permissionsets/Hit.permissionset", ps.as_str())];
    // The first deploy passes untouched; the second (after: 1) fails in its
    // component, whole (rollbackOnError), and the org keeps the first's.
    let first = org.deploy(&files);
    assert_eq!(
        tag(&first, "status").as_deref(),
        Some("Succeeded"),
        "{first}"
    );
    let changed = doc("PermissionSet", "<label>Changed</label>");
    let second = org.deploy(&[("permissionsets/Hit.permissionset", &changed)]);
    assert_eq!(
        tag(&second, "status").as_deref(),
        Some("Failed"),
        "{second}"
    );
    assert_eq!(
        tag(&second, "problem").as_deref(),
        Some("no CustomField named Account.Region__c found")
    );
    assert_eq!(tag(&second, "fullName").as_deref(), Some("Hit"));
    assert!(org
        .h
        .component("PermissionSet", "Hit")
        .unwrap()
        .contains("<label>Hit</label>"));
    // Fired once: the next deploy goes through; REST ignores the kind.
    let third = org.deploy(&[("permissionsets/Hit.permissionset", &changed)]);
    assert_eq!(
        tag(&third, "status").as_deref(),
        Some("Succeeded"),
        "{third}"
    );
}
