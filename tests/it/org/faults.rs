//! The fault matrix of issue 4 against a scripted server: each retry rule,
//! each fault, polling limits and cancellation. Time is a `FakeClock`, so
//! backoff and polling never sleep for real.

use std::time::Duration;

use sfprov::metadata::package::manifest;
use sfprov::org::{
    ApiErrorCode, CancelToken, DeployOptions, DeployOutcome, NoObserver, OrgError, Wait, ZipLimits,
};

use super::mock::{self, deploy_status, envelope, fault, json, soap, Action, Mock};
use super::support::*;

const SOAP: &str = "/services/Soap/m/63.0";
const QUERY: &str = "/services/data/v63.0/query";

fn async_result(op: &str, id: &str) -> Action {
    soap(
        200,
        envelope(&format!(
            "<{op}Response><result><done>false</done><id>{id}</id><state>Queued</state></result></{op}Response>"
        )),
    )
}

#[test]
fn newest_api_version_when_the_spec_has_none() {
    let m = Mock::start();
    m.on("/services/data", "", vec![mock::versions()]);
    let target = sfprov::org::Target::AccessToken {
        instance_url: m.url.clone(),
        token: sfprov::secret::Secret::new(TOKEN),
    };
    let opts = sfprov::org::ConnectOptions {
        api_version: None,
        ..options()
    };
    let org = sfprov::org::connect(&target, &opts).unwrap();
    assert_eq!(org.api_version().as_str(), "64.0");
    let old = sfprov::org::ConnectOptions {
        api_version: Some("39.0".into()),
        ..options()
    };
    let err = sfprov::org::connect(&target, &old).unwrap_err();
    assert!(matches!(err, OrgError::ApiVersionTooOld { .. }), "{err}");
}

#[test]
fn query_follows_pages_and_retries_a_503() {
    let m = Mock::start();
    m.on(
        "/services/data/v63.0/query/01gNEXT",
        "",
        vec![json(
            200,
            r#"{"totalSize":3,"done":true,"records":[{"Id":"005C"}]}"#,
        )],
    );
    m.on(
        QUERY,
        "",
        vec![
            json(503, "<html>Service Unavailable</html>"),
            json(
                200,
                r#"{"totalSize":3,"done":false,"nextRecordsUrl":"/services/data/v63.0/query/01gNEXT-2000","records":[{"Id":"005A"},{"Id":"005B"}]}"#,
            ),
        ],
    );
    let (org, clock) = token_org(&m.url);
    let r = org
        .query("SELECT Id FROM User WHERE Name = 'O''x'")
        .unwrap();
    assert_eq!(r.records.len(), 3);
    assert_eq!(r.total_size, 3);
    assert_eq!(clock.sleeps().len(), 1, "one backoff before the retry");
    let first = &m.requests()[0];
    assert!(first
        .path
        .starts_with("/services/data/v63.0/query?q=SELECT+Id"));
    let auth = first
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .unwrap();
    assert_eq!(auth.1, format!("Bearer {TOKEN}"));
}

#[test]
fn create_is_never_retried() {
    let m = Mock::start();
    m.on(
        "/services/data/v63.0/sobjects/User",
        "",
        vec![
            json(503, "<html>Service Unavailable</html>"),
            json(201, r#"{"id":"005X","success":true,"errors":[]}"#),
        ],
    );
    let (org, clock) = token_org(&m.url);
    let fields = serde_json::json!({"LastName":"Bot"})
        .as_object()
        .unwrap()
        .clone();
    let err = org.create("User", &fields).unwrap_err();
    assert!(matches!(err, OrgError::Http { status: 503, .. }), "{err}");
    assert_eq!(m.count("sobjects/User"), 1);
    assert!(clock.sleeps().is_empty());
}

#[test]
fn create_errors_are_typed() {
    let m = Mock::start();
    m.on(
        "/services/data/v63.0/sobjects/User",
        "",
        vec![json(400, r#"[{"message":"Duplicate Username.","errorCode":"DUPLICATE_USERNAME","fields":["Username"]}]"#)],
    );
    let (org, _) = token_org(&m.url);
    let fields = serde_json::json!({"LastName":"Bot"})
        .as_object()
        .unwrap()
        .clone();
    let err = org.create("User", &fields).unwrap_err();
    assert_eq!(err.code(), Some(&ApiErrorCode::DuplicateUsername));
    match &err {
        OrgError::Rest { errors, status, .. } => {
            assert_eq!(*status, 400);
            assert_eq!(errors[0].fields, vec!["Username"]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn dropped_connection_retries_a_status_check_but_not_a_deploy() {
    let m = Mock::start();
    m.on(SOAP, "<met:deploy>", vec![Action::Drop]);
    m.on(
        SOAP,
        "checkDeployStatus",
        vec![
            Action::Drop,
            deploy_status("0AfDROP", "Succeeded", true, true, ""),
        ],
    );
    let (org, _) = token_org(&m.url);
    let err = org.deploy(b"zip", &DeployOptions::default()).unwrap_err();
    assert!(matches!(err, OrgError::Transport { .. }), "{err:?}");
    assert_eq!(m.count("<met:deploy>"), 1);
    let r = org.check_deploy_status("0AfDROP", true).unwrap();
    assert_eq!(r.outcome(), DeployOutcome::Succeeded);
    assert_eq!(m.count("checkDeployStatus"), 2);
}

#[test]
fn request_limit_exceeded_is_retried_with_growing_backoff_then_reported() {
    let m = Mock::start();
    m.on(
        QUERY,
        "",
        vec![json(
            403,
            r#"[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]"#,
        )],
    );
    let (org, clock) = token_org(&m.url);
    let err = org.query("SELECT Id FROM User").unwrap_err();
    assert_eq!(err.code(), Some(&ApiErrorCode::RequestLimitExceeded));
    assert!(err.hint().unwrap().contains("API limit"));
    assert_eq!(m.count("query"), 4);
    let s = clock.sleeps();
    assert_eq!(s.len(), 3);
    // Equal jitter: each wait lies in [d/2, d] of 0.5 s, 1 s, 2 s.
    for (w, full) in s.iter().zip([500u64, 1000, 2000]) {
        assert!(
            *w >= Duration::from_millis(full / 2) && *w <= Duration::from_millis(full),
            "{s:?}"
        );
    }
}

#[test]
fn soap_request_limit_fault_is_retried_for_status_checks() {
    let m = Mock::start();
    m.on(
        SOAP,
        "checkDeployStatus",
        vec![
            fault(
                "REQUEST_LIMIT_EXCEEDED",
                "ConcurrentPerOrgLongTxn Limit exceeded.",
            ),
            deploy_status("0AfRLE", "InProgress", false, false, ""),
        ],
    );
    let (org, _) = token_org(&m.url);
    let r = org.check_deploy_status("0AfRLE", false).unwrap();
    assert_eq!(r.outcome(), DeployOutcome::Running);
}

#[test]
fn a_soap_fault_that_is_an_answer_is_not_retried() {
    let m = Mock::start();
    m.on(
        SOAP,
        "cancelDeploy",
        vec![fault("INVALID_ID_FIELD", "Deployment already completed")],
    );
    let (org, clock) = token_org(&m.url);
    let err = org.cancel_deploy("0AfDONE").unwrap_err();
    assert_eq!(err.code(), Some(&ApiErrorCode::InvalidIdField));
    assert_eq!(m.count("cancelDeploy"), 1);
    assert!(clock.sleeps().is_empty());
}

#[test]
fn invalid_session_with_a_static_token_fails_with_a_login_hint() {
    let m = Mock::start();
    m.on(
        QUERY,
        "",
        vec![json(
            401,
            r#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#,
        )],
    );
    let (org, _) = token_org(&m.url);
    let err = org.query("SELECT Id FROM User").unwrap_err();
    assert_eq!(err.code(), Some(&ApiErrorCode::InvalidSessionId));
    assert!(err.hint().unwrap().contains("SF_ACCESS_TOKEN"));
    assert_eq!(m.count("query"), 1);
}

#[test]
fn invalid_cross_reference_key_right_after_a_deploy_is_polled_through() {
    let m = Mock::start();
    m.on(SOAP, "<met:deploy>", vec![async_result("deploy", "0AfNEW")]);
    m.on(
        SOAP,
        "checkDeployStatus",
        vec![
            fault("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id"),
            deploy_status("0AfNEW", "Pending", false, false, ""),
            deploy_status("0AfNEW", "InProgress", false, false, ""),
            deploy_status("0AfNEW", "Succeeded", true, true, ""),
        ],
    );
    let (org, clock) = token_org(&m.url);
    let r = org
        .deploy_and_wait(
            b"zip",
            &DeployOptions::default(),
            &Wait::default(),
            &mut NoObserver,
        )
        .unwrap();
    assert_eq!(r.outcome(), DeployOutcome::Succeeded);
    assert_eq!(m.count("checkDeployStatus"), 4);
    // Adaptive polling: the waits grow.
    let s = clock.sleeps();
    let total: Duration = s.iter().sum();
    assert!(total >= Duration::from_secs(3), "{s:?}");
    // The deploy envelope carries the zip as base64 and rollbackOnError.
    let deploy = m
        .requests()
        .into_iter()
        .find(|r| r.body.contains("<met:deploy>"))
        .unwrap();
    assert!(deploy.body.contains("<met:ZipFile>emlw</met:ZipFile>"));
    assert!(deploy
        .body
        .contains("<met:rollbackOnError>true</met:rollbackOnError>"));
}

#[test]
fn a_failed_deploy_is_judged_by_status_and_failures_not_counters() {
    let m = Mock::start();
    m.on(
        SOAP,
        "checkDeployStatus",
        vec![deploy_status(
            "0AfBAD",
            "Failed",
            true,
            false,
            "<componentFailures><componentType>PermissionSet</componentType><fileName>permissionsets/X.permissionset</fileName><fullName>X</fullName><problem>Permission ManageUsers depends on permission(s): ViewRoles</problem><problemType>Error</problemType><success>false</success></componentFailures>",
        )],
    );
    let (org, _) = token_org(&m.url);
    let r = org
        .wait_for_deploy("0AfBAD", &Wait::default(), &mut NoObserver)
        .unwrap();
    assert_eq!(r.outcome(), DeployOutcome::Failed);
    assert!(r.component_failures[0]
        .problem
        .as_deref()
        .unwrap()
        .contains("ViewRoles"));
}

#[test]
fn an_unknown_status_keeps_polling() {
    let m = Mock::start();
    m.on(
        SOAP,
        "checkDeployStatus",
        vec![
            deploy_status("0AfFIN", "FinalizingDeploy", false, false, ""),
            deploy_status("0AfFIN", "Succeeded", true, true, ""),
        ],
    );
    let (org, _) = token_org(&m.url);
    let r = org
        .wait_for_deploy("0AfFIN", &Wait::default(), &mut NoObserver)
        .unwrap();
    assert_eq!(r.outcome(), DeployOutcome::Succeeded);
    assert_eq!(m.count("checkDeployStatus"), 2);
}

#[test]
fn the_wait_limit_ends_with_the_job_id_and_how_to_resume() {
    let m = Mock::start();
    m.on(
        SOAP,
        "checkDeployStatus",
        vec![deploy_status("0AfSLOW", "InProgress", false, false, "")],
    );
    let (org, clock) = token_org(&m.url);
    let wait = Wait {
        limit: Some(Duration::from_secs(60)),
        cancel: CancelToken::new(),
    };
    let err = org
        .wait_for_deploy("0AfSLOW", &wait, &mut NoObserver)
        .unwrap_err();
    match &err {
        OrgError::WaitLimit { id, status, .. } => {
            assert_eq!(id, "0AfSLOW");
            assert_eq!(status, "InProgress");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.hint().unwrap().contains("--job-id 0AfSLOW"));
    let total: Duration = clock.sleeps().iter().sum();
    assert_eq!(total, Duration::from_secs(60));
}

#[test]
fn cancel_sends_cancel_deploy_and_follows_it_to_canceled() {
    let m = Mock::start();
    m.on(
        SOAP,
        "cancelDeploy",
        vec![soap(200, envelope("<cancelDeployResponse><result><done>false</done><id>0AfCAN</id></result></cancelDeployResponse>"))],
    );
    m.on(
        SOAP,
        "checkDeployStatus",
        vec![
            deploy_status("0AfCAN", "Canceling", false, false, ""),
            deploy_status("0AfCAN", "Canceled", true, false, ""),
        ],
    );
    let (org, _) = token_org(&m.url);
    let wait = Wait::default();
    wait.cancel.cancel();
    let err = org
        .wait_for_deploy("0AfCAN", &wait, &mut NoObserver)
        .unwrap_err();
    assert!(matches!(err, OrgError::Canceled { .. }), "{err:?}");
    assert_eq!(m.count("cancelDeploy"), 1);
    let cancel = m
        .requests()
        .into_iter()
        .find(|r| r.body.contains("cancelDeploy"))
        .unwrap();
    assert!(cancel.body.contains("<met:String>0AfCAN</met:String>"));
}

fn retrieve_mock(zip: &[u8]) -> Mock {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(zip);
    let m = Mock::start();
    m.on(
        SOAP,
        "<met:retrieve>",
        vec![async_result("retrieve", "09SRET")],
    );
    m.on(
        SOAP,
        "<met:includeZip>true",
        vec![soap(200, envelope(&format!("<checkRetrieveStatusResponse><result><done>true</done><id>09SRET</id><status>Succeeded</status><success>true</success><zipFile>{b64}</zipFile></result></checkRetrieveStatusResponse>")))],
    );
    m.on(
        SOAP,
        "<met:includeZip>false",
        vec![
            soap(200, envelope("<checkRetrieveStatusResponse><result><done>false</done><id>09SRET</id><status>InProgress</status><success>false</success><zipFile/></result></checkRetrieveStatusResponse>")),
            soap(200, envelope("<checkRetrieveStatusResponse><result><done>true</done><id>09SRET</id><messages><fileName>package.xml</fileName><problem>Entity of type 'CustomObject' named 'Nope__c' cannot be found</problem></messages><status>Succeeded</status><success>true</success><zipFile/></result></checkRetrieveStatusResponse>")),
        ],
    );
    m
}

#[test]
fn retrieve_polls_without_the_zip_and_reads_it_once() {
    let zip = zip_of(&[
        ("package.xml", b"<Package/>"),
        ("profiles/Admin.profile", b"<Profile/>"),
    ]);
    let m = retrieve_mock(&zip);
    let (org, _) = token_org(&m.url);
    let man = manifest([("Profile", "Admin"), ("CustomObject", "Nope__c")], "63.0");
    let got = org
        .retrieve_files(
            &man,
            &Wait::default(),
            ZipLimits::default(),
            &mut NoObserver,
        )
        .unwrap();
    assert_eq!(got.files.len(), 2);
    assert_eq!(got.files[1].path, "profiles/Admin.profile");
    assert_eq!(got.result.messages.len(), 1);
    assert_eq!(m.count("<met:includeZip>true"), 1);
    let req = m
        .requests()
        .into_iter()
        .find(|r| r.body.contains("<met:retrieve>"))
        .unwrap();
    assert!(req.body.contains("<met:types><met:members>Nope__c</met:members><met:name>CustomObject</met:name></met:types>"));
    assert!(req
        .body
        .contains("<met:singlePackage>true</met:singlePackage>"));
}

#[test]
fn retrieve_zip_escaping_with_dotdot_is_refused() {
    let zip = zip_of(&[("package.xml", b"<Package/>"), ("../../etc/evil", b"x")]);
    let m = retrieve_mock(&zip);
    let (org, _) = token_org(&m.url);
    let man = manifest([("Profile", "Admin")], "63.0");
    let err = org
        .retrieve_files(
            &man,
            &Wait::default(),
            ZipLimits::default(),
            &mut NoObserver,
        )
        .unwrap_err();
    assert!(matches!(err, OrgError::UnsafeZip { .. }), "{err}");
    assert!(err.to_string().contains(".."));
}

#[test]
fn retrieve_zip_bomb_is_refused() {
    let big = vec![b'a'; 4 * 1024 * 1024];
    let zip = {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        w.start_file("package.xml", o).unwrap();
        w.write_all(&big).unwrap();
        w.finish().unwrap().into_inner()
    };
    let m = retrieve_mock(&zip);
    let (org, _) = token_org(&m.url);
    let man = manifest([("Profile", "Admin")], "63.0");
    let limits = ZipLimits {
        max_total: 1024 * 1024,
        max_entries: 100,
    };
    let err = org
        .retrieve_files(&man, &Wait::default(), limits, &mut NoObserver)
        .unwrap_err();
    assert!(err.to_string().contains("zip bomb"), "{err}");
}

#[test]
fn every_request_has_a_timeout() {
    let m = Mock::start();
    m.on(
        "/services/data/v63.0/sobjects/User",
        "",
        vec![Action::Stall(Duration::from_secs(4))],
    );
    m.on(
        QUERY,
        "",
        vec![
            Action::Stall(Duration::from_secs(4)),
            json(200, r#"{"totalSize":0,"done":true,"records":[]}"#),
        ],
    );
    let clock = sfprov::org::FakeClock::default();
    let target = sfprov::org::Target::AccessToken {
        instance_url: m.url.clone(),
        token: sfprov::secret::Secret::new(TOKEN),
    };
    let opts = sfprov::org::ConnectOptions {
        request_timeout: Duration::from_millis(700),
        ..options()
    };
    let org = sfprov::org::connect_with_clock(&target, &opts, std::sync::Arc::new(clock)).unwrap();
    let fields = serde_json::json!({"LastName":"Bot"})
        .as_object()
        .unwrap()
        .clone();
    let err = org.create("User", &fields).unwrap_err();
    assert!(matches!(err, OrgError::Timeout { .. }), "{err:?}");
    assert_eq!(m.count("sobjects/User"), 1, "a create is not sent twice");
    // A query that timed out is retried and succeeds.
    assert_eq!(org.query("SELECT Id FROM User").unwrap().total_size, 0);
    assert_eq!(m.count("query"), 2);
}

#[test]
fn list_and_read_metadata() {
    let m = Mock::start();
    m.on(
        SOAP,
        "listMetadata",
        vec![soap(200, envelope("<listMetadataResponse><result><createdById>005A</createdById><fileName>profiles/Admin.profile</fileName><fullName>Admin</fullName><id>00eA</id><lastModifiedDate>1970-01-01T00:00:00.000Z</lastModifiedDate><manageableState>unmanaged</manageableState><namespacePrefix/><type>Profile</type></result></listMetadataResponse>"))],
    );
    m.on(
        SOAP,
        "readMetadata",
        vec![soap(200, envelope(r#"<readMetadataResponse><result><records xsi:type="PermissionSet"><fullName>Integration_PS</fullName><label>Integration PS</label><userPermissions><enabled>true</enabled><name>ApiEnabled</name></userPermissions></records><records xsi:nil="true"/></result></readMetadataResponse>"#))],
    );
    let (org, _) = token_org(&m.url);
    let listed = org.list_metadata(&[("Profile", None)]).unwrap();
    assert_eq!(listed[0].full_name, "Admin");
    assert_eq!(listed[0].namespace_prefix, None);
    let req = m
        .requests()
        .into_iter()
        .find(|r| r.body.contains("listMetadata"))
        .unwrap();
    assert!(req.body.contains("<met:queries><met:type>Profile</met:type></met:queries><met:asOfVersion>63.0</met:asOfVersion>"));
    let docs = org
        .read_metadata("PermissionSet", &["Integration_PS", "Missing"])
        .unwrap();
    assert_eq!(docs.len(), 1, "the nil record is left out");
    assert_eq!(docs[0].root.name, "PermissionSet");
    assert_eq!(docs[0].root.child_text("label"), Some("Integration PS"));
    let req = m
        .requests()
        .into_iter()
        .find(|r| r.body.contains("readMetadata"))
        .unwrap();
    assert!(req.body.contains("<met:type>PermissionSet</met:type><met:fullNames>Integration_PS</met:fullNames><met:fullNames>Missing</met:fullNames>"));
    assert!(req.body.contains("<met:SessionHeader><met:sessionId>"));
}

#[test]
fn update_patches_and_is_not_retried() {
    let m = Mock::start();
    m.on(
        "/services/data/v63.0/sobjects/User/005A",
        "",
        vec![
            Action::Reply {
                status: 204,
                content_type: "application/json",
                body: String::new(),
            },
            json(503, "<html>down</html>"),
        ],
    );
    let (org, _) = token_org(&m.url);
    let fields = serde_json::json!({"IsActive": true})
        .as_object()
        .unwrap()
        .clone();
    org.update("User", "005A", &fields).unwrap();
    let req = &m.requests()[0];
    assert_eq!(req.method, "PATCH");
    assert_eq!(req.body, r#"{"IsActive":true}"#);
    let err = org.update("User", "005A", &fields).unwrap_err();
    assert!(matches!(err, OrgError::Http { status: 503, .. }), "{err:?}");
    assert_eq!(m.count("sobjects/User/005A"), 2);
}

#[test]
fn a_jwt_format_access_token_is_refused_before_a_soap_call() {
    let m = Mock::start();
    let target = sfprov::org::Target::AccessToken {
        instance_url: m.url.clone(),
        token: sfprov::secret::Secret::new("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"),
    };
    let org = sfprov::org::connect(&target, &options()).unwrap();
    let err = org.check_deploy_status("0AfX", false).unwrap_err();
    assert!(matches!(err, OrgError::JwtAccessToken { .. }), "{err:?}");
    assert!(err.hint().unwrap().contains("JWT"));
    assert_eq!(m.count("/services/Soap"), 0);
    assert!(!all_renderings(&err).contains("eyJhbGci"));
}
