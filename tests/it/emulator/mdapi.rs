//! Metadata API operations over HTTP: deploy lifecycle, cancel, retrieve,
//! list/read/describe, SOAP parsing leniency and faults (issue 3, point 3).

use super::client::*;
use sfprov::emulator::Config;

const PS: &str = "permissionsets/Zendesk_Integration.permissionset";

fn ps_file() -> String {
    doc(
        "PermissionSet",
        &format!(
            "<label>Zendesk Integration</label>{}{}{}",
            op("Account", false, true, false, false),
            op("Contact", false, true, false, false),
            up("ApiEnabled", true)
        ),
    )
}

#[test]
fn deploy_moves_pending_in_progress_then_succeeded() {
    let org = Org::start();
    let id = org.deploy_start(
        &[(PS, &ps_file())],
        "<met:singlePackage>true</met:singlePackage>",
    );
    assert!(id.starts_with("0Af") && id.len() == 18, "{id}");
    let check = |details: bool| {
        org.soap(&format!(
            "<met:checkDeployStatus><met:asyncProcessId>{id}</met:asyncProcessId><met:includeDetails>{details}</met:includeDetails></met:checkDeployStatus>"
        ))
    };
    let first = check(true);
    assert_eq!(tag(&first.body, "status").as_deref(), Some("Pending"));
    assert_eq!(tag(&first.body, "done").as_deref(), Some("false"));
    assert!(tag(&first.body, "startDate").is_none());
    let second = check(true);
    assert_eq!(tag(&second.body, "status").as_deref(), Some("InProgress"));
    assert!(tag(&second.body, "startDate").is_some());
    // Nothing is applied before the deploy runs.
    assert!(org
        .h
        .component("PermissionSet", "Zendesk_Integration")
        .is_none());
    let done = check(true).body;
    assert_eq!(tag(&done, "status").as_deref(), Some("Succeeded"));
    assert_eq!(tag(&done, "success").as_deref(), Some("true"));
    assert_eq!(tag(&done, "numberComponentsTotal").as_deref(), Some("1"));
    assert_eq!(tag(&done, "numberComponentsDeployed").as_deref(), Some("1"));
    assert_eq!(tag(&done, "numberComponentErrors").as_deref(), Some("0"));
    let names = tags(&done, "fullName");
    assert!(
        names.contains(&"Zendesk_Integration".to_string())
            && names.contains(&"package.xml".to_string()),
        "{names:?}"
    );
    assert!(tags(&done, "fileName").contains(&PS.to_string()));
    assert!(done.contains("<created>true</created>"));
    assert!(
        done.contains("<componentType></componentType>"),
        "package.xml entry has an empty componentType"
    );
    // Without details, no component messages.
    let plain = check(false).body;
    assert!(!plain.contains("componentSuccesses"), "{plain}");
    assert!(org
        .h
        .component("PermissionSet", "Zendesk_Integration")
        .is_some());
    // Same deploy again: success, but nothing changed or created.
    let again = org.deploy(&[(PS, &ps_file())]);
    assert!(again.contains("<changed>false</changed><componentType>PermissionSet</componentType><created>false</created>"), "{again}");
}

#[test]
fn deploy_without_package_xml_fails_and_not_single_package_needs_a_folder() {
    let org = Org::start();
    let zip = zip_raw(&[(PS.to_string(), ps_file().into_bytes())]);
    let id_of = |zip: Vec<u8>, single: bool| {
        use base64::Engine;
        let r = org.soap(&format!(
            "<met:deploy><met:ZipFile>{}</met:ZipFile><met:DeployOptions><met:singlePackage>{single}</met:singlePackage></met:DeployOptions></met:deploy>",
            base64::engine::general_purpose::STANDARD.encode(zip)
        ));
        tag(&r.body, "id").unwrap()
    };
    let res = org.deploy_wait(&id_of(zip, true));
    assert_eq!(tag(&res, "status").as_deref(), Some("Failed"));
    assert_eq!(
        tag(&res, "problem").as_deref(),
        Some("No package.xml found")
    );
    assert_eq!(tag(&res, "fileName").as_deref(), Some("package.xml"));
    assert_eq!(
        tag(&res, "numberComponentErrors").as_deref(),
        Some("0"),
        "as in the real fixture"
    );
    // singlePackage=false: package.xml one folder down; file names keep the folder.
    let zip = zip_with_manifest(&[(PS, &ps_file())], "unpackaged/");
    let res = org.deploy_wait(&id_of(zip, false));
    assert_eq!(tag(&res, "status").as_deref(), Some("Succeeded"), "{res}");
    assert!(tags(&res, "fileName").contains(&format!("unpackaged/{PS}")));
}

#[test]
fn missing_file_named_in_package_xml_fails() {
    let org = Org::start();
    let manifest = sfprov::metadata::package::manifest([("PermissionSet", "Ghost")], "63.0");
    let bytes = sfprov::metadata::to_canonical_bytes(&mut manifest.clone());
    let zip = zip_raw(&[("package.xml".into(), bytes)]);
    use base64::Engine;
    let r = org.soap(&format!(
        "<met:deploy><met:ZipFile>{}</met:ZipFile><met:DeployOptions><met:singlePackage>true</met:singlePackage></met:DeployOptions></met:deploy>",
        base64::engine::general_purpose::STANDARD.encode(zip)
    ));
    let res = org.deploy_wait(&tag(&r.body, "id").unwrap());
    assert_eq!(
        tag(&res, "problem").as_deref(),
        Some("An object 'Ghost' of type PermissionSet was named in package.xml, but was not found in zipped directory")
    );
}

#[test]
fn cancel_deploy_queued_and_running() {
    let org = Org::with(Config {
        deploy_polls: 2,
        ..Config::default()
    });
    let id = org.deploy_start(&[(PS, &ps_file())], "");
    // Queued: cancelled at once. JSF sends <id>, the WSDL says <String>.
    let r = org.soap(&format!(
        "<met:cancelDeploy><met:String>{id}</met:String></met:cancelDeploy>"
    ));
    assert_eq!(tag(&r.body, "done").as_deref(), Some("true"), "{}", r.body);
    let res = org.deploy_wait(&id);
    assert_eq!(tag(&res, "status").as_deref(), Some("Canceled"));
    assert!(org
        .h
        .component("PermissionSet", "Zendesk_Integration")
        .is_none());
    let r = org.soap(&format!(
        "<met:cancelDeploy><met:id>{id}</met:id></met:cancelDeploy>"
    ));
    assert_eq!(r.status, 500);
    assert_eq!(
        tag(&r.body, "faultcode").as_deref(),
        Some("sf:INVALID_ID_FIELD")
    );
    // Running: Canceling, then Canceled.
    let id = org.deploy_start(&[(PS, &ps_file())], "");
    for _ in 0..3 {
        org.soap(&format!("<met:checkDeployStatus><met:asyncProcessId>{id}</met:asyncProcessId></met:checkDeployStatus>"));
    }
    let r = org.soap(&format!(
        "<met:cancelDeploy><met:String>{id}</met:String></met:cancelDeploy>"
    ));
    assert_eq!(tag(&r.body, "done").as_deref(), Some("false"));
    let poll = || {
        org.soap(&format!("<met:checkDeployStatus><met:asyncProcessId>{id}</met:asyncProcessId></met:checkDeployStatus>")).body
    };
    let mid = poll();
    assert_eq!(tag(&mid, "status").as_deref(), Some("Canceling"));
    assert_eq!(tag(&mid, "done").as_deref(), Some("false"));
    let end = poll();
    assert_eq!(tag(&end, "status").as_deref(), Some("Canceled"));
    assert_eq!(tag(&end, "done").as_deref(), Some("true"));
    assert!(tag(&end, "canceledBy").is_some());
    assert!(org
        .h
        .component("PermissionSet", "Zendesk_Integration")
        .is_none());
    let r = org
        .soap("<met:cancelDeploy><met:String>0Af000000000000AAA</met:String></met:cancelDeploy>");
    assert_eq!(
        tag(&r.body, "faultstring").as_deref(),
        Some("INVALID_ID_FIELD: Invalid deploy ID")
    );
}

#[test]
fn retrieve_zip_layout_messages_and_zip_once() {
    let org = Org::start();
    let (res, files) = org.retrieve(
        &[
            ("Profile", "Admin"),
            ("Profile", "Nope"),
            ("Settings", "Security"),
        ],
        false,
    );
    assert_eq!(tag(&res, "status").as_deref(), Some("Succeeded"));
    assert_eq!(tag(&res, "success").as_deref(), Some("true"));
    let keys: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "unpackaged/package.xml",
            "unpackaged/profiles/Admin.profile",
            "unpackaged/settings/Security.settings"
        ]
    );
    assert_eq!(
        tag(&res, "problem").as_deref(),
        Some("Entity of type 'Profile' named 'Nope' cannot be found")
    );
    assert!(tags(&res, "fileName").contains(&"unpackaged/package.xml".to_string()));
    assert!(res.contains("<id></id>"), "package.xml has an empty id");
    // Retrieved files are canonical.
    for (name, text) in &files {
        assert!(
            sfprov::metadata::is_canonical(text.as_bytes()).unwrap(),
            "{name} is not canonical"
        );
    }
    assert!(files["unpackaged/settings/Security.settings"]
        .contains("<lockSessionsToIp>true</lockSessionsToIp>"));
    // singlePackage=true: root layout.
    let (_, files) = org.retrieve(
        &[("Profile", "Minimum Access - API Only Integrations")],
        true,
    );
    assert!(
        files.contains_key("profiles/Minimum Access - API Only Integrations.profile"),
        "{:?}",
        files.keys()
    );
    assert!(files.contains_key("package.xml"));
    // Wildcards: every profile; no settings (they must be named).
    let (_, files) = org.retrieve(&[("Profile", "*"), ("Settings", "*")], true);
    assert_eq!(
        files.keys().filter(|k| k.starts_with("profiles/")).count(),
        4
    );
    assert!(!files.keys().any(|k| k.starts_with("settings/")));
}

#[test]
fn retrieve_zip_is_gone_after_the_first_read() {
    let org = Org::start();
    let r = org.soap(
        "<met:retrieve><met:request><met:apiVersion>63.0</met:apiVersion><met:unpackaged><met:types><met:members>Event</met:members>\
<met:name>Settings</met:name></met:types><met:version>63.0</met:version></met:unpackaged></met:request></met:retrieve>",
    );
    let id = tag(&r.body, "id").unwrap();
    assert!(id.starts_with("09S"));
    let poll = |zip: bool| {
        org.soap(&format!(
            "<met:checkRetrieveStatus><met:asyncProcessId>{id}</met:asyncProcessId><met:includeZip>{zip}</met:includeZip></met:checkRetrieveStatus>"
        ))
        .body
    };
    let first = poll(true);
    assert_eq!(tag(&first, "status").as_deref(), Some("InProgress"));
    let done_no_zip = poll(false);
    assert_eq!(tag(&done_no_zip, "status").as_deref(), Some("Succeeded"));
    assert_eq!(tag(&done_no_zip, "zipFile").as_deref(), Some(""));
    let with_zip = poll(true);
    assert!(!tag(&with_zip, "zipFile").unwrap().is_empty());
    let files = unzip(&tag(&with_zip, "zipFile").unwrap());
    assert!(files["unpackaged/settings/Event.settings"]
        .contains("<enableStreamingApi>true</enableStreamingApi>"));
    assert_eq!(
        tag(&poll(true), "zipFile").as_deref(),
        Some(""),
        "the zip is handed out once"
    );
}

#[test]
fn retrieve_unknown_package_is_a_fault() {
    let org = Org::start();
    let r = org.soap("<met:retrieve><met:retrieveRequest><met:apiVersion>63.0</met:apiVersion><met:packageNames>Nope</met:packageNames></met:retrieveRequest></met:retrieve>");
    assert_eq!(r.status, 500);
    assert_eq!(
        tag(&r.body, "faultcode").as_deref(),
        Some("sf:INVALID_CROSS_REFERENCE_KEY")
    );
    assert_eq!(
        tag(&r.body, "faultstring").as_deref(),
        Some("INVALID_CROSS_REFERENCE_KEY: No package named 'Nope' found")
    );
}

#[test]
fn list_read_describe() {
    let org = Org::start();
    let r = org.soap("<met:listMetadata><met:queries><met:type>Profile</met:type></met:queries><met:asOfVersion>63.0</met:asOfVersion></met:listMetadata>");
    let names = tags(&r.body, "fullName");
    for p in [
        "Admin",
        "Standard",
        "Minimum Access - Salesforce",
        "Minimum Access - API Only Integrations",
    ] {
        assert!(names.contains(&p.to_string()), "{names:?}");
    }
    assert!(tags(&r.body, "fileName").contains(&"profiles/Admin.profile".to_string()));
    let r = org.soap("<met:listMetadata><met:queries><met:type>ApexPage</met:type></met:queries><met:queries><met:type>ConnectedApp</met:type></met:queries></met:listMetadata>");
    assert!(
        tags(&r.body, "fullName").contains(&"Zendesk__ZendeskOAuth".to_string()),
        "{}",
        r.body
    );
    assert!(tags(&r.body, "fullName").contains(&"Zendesk__Zendesk".to_string()));
    assert!(tags(&r.body, "namespacePrefix").contains(&"Zendesk".to_string()));
    let r = org.soap("<met:listMetadata><met:queries><met:type>PermissionSet</met:type></met:queries></met:listMetadata>");
    assert!(
        r.body
            .contains("<listMetadataResponse></listMetadataResponse>"),
        "{}",
        r.body
    );

    let r = org.soap("<met:readMetadata><met:type>Profile</met:type><met:fullNames>Minimum Access - API Only Integrations</met:fullNames><met:fullNames>Missing</met:fullNames></met:readMetadata>");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("<records xsi:type=\"Profile\"><fullName>Minimum Access - API Only Integrations</fullName>"), "{}", r.body);
    assert_eq!(tags(&r.body, "fullName").len(), 1);
    assert_eq!(
        tag(&r.body, "userLicense").as_deref(),
        Some("Salesforce Integration")
    );

    let r = org.soap(
        "<met:describeMetadata><met:asOfVersion>63.0</met:asOfVersion></met:describeMetadata>",
    );
    let names = tags(&r.body, "xmlName");
    for t in [
        "Profile",
        "PermissionSet",
        "ConnectedApp",
        "Settings",
        "CustomObject",
        "ApexPage",
    ] {
        assert!(names.contains(&t.to_string()), "{names:?}");
    }
    assert_eq!(tag(&r.body, "partialSaveAllowed").as_deref(), Some("true"));
}

#[test]
fn soap_envelopes_are_read_namespace_aware_and_leniently() {
    let org = Org::start();
    // Default namespace on Body, other prefix, a trailing path, SOAPAction ignored.
    let env = format!(
        "<e:Envelope xmlns:e=\"http://schemas.xmlsoap.org/soap/envelope/\"><e:Header><SessionHeader xmlns=\"{MD}\"><sessionId>{}</sessionId></SessionHeader></e:Header>\
<e:Body xmlns=\"{MD}\"><listMetadata><queries><type>Profile</type><runAllTests>false</runAllTests></queries></listMetadata></e:Body></e:Envelope>",
        org.token()
    );
    let r = http(
        &org.h.url,
        "POST",
        &format!("/services/Soap/m/63.0/{}", org.h.org_id),
        &[("SOAPAction", "describemetadatatypes")],
        &env,
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("<fullName>Admin</fullName>"));
    assert!(r.body.starts_with("<?xml"));
    assert!(r
        .body
        .contains("xmlns=\"http://soap.sforce.com/2006/04/metadata\""));
    // Not XML / not an envelope: a client fault.
    let r = http(&org.h.url, "POST", "/services/Soap/m/63.0", &[], "<nope").unwrap();
    assert_eq!(r.status, 500);
    assert_eq!(tag(&r.body, "faultcode").as_deref(), Some("soapenv:Client"));
}

#[test]
fn bad_or_expired_session_is_invalid_session_id() {
    let org = Org::start();
    let r = org
        .soap_as(
            "00Dbogus!AQxyz",
            "<met:describeMetadata><met:asOfVersion>63.0</met:asOfVersion></met:describeMetadata>",
        )
        .unwrap();
    assert_eq!(r.status, 500);
    assert_eq!(
        tag(&r.body, "faultcode").as_deref(),
        Some("sf:INVALID_SESSION_ID")
    );
    assert_eq!(
        tag(&r.body, "faultstring").as_deref(),
        Some("INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session")
    );
    assert!(r
        .body
        .contains("xmlns:sf=\"http://soap.sforce.com/2006/04/metadata\""));
    let org = Org::with(Config {
        token_ttl: std::time::Duration::from_millis(50),
        ..Config::default()
    });
    std::thread::sleep(std::time::Duration::from_millis(120));
    let r = org.soap("<met:describeMetadata/>");
    assert_eq!(
        tag(&r.body, "faultcode").as_deref(),
        Some("sf:INVALID_SESSION_ID")
    );
    let r = org.rest(
        "GET",
        "/services/data/v63.0/query?q=SELECT+Id+FROM+User",
        "",
    );
    assert_eq!(r.status, 401);
    assert_eq!(
        r.json(),
        serde_json::json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
    );
}

#[test]
fn deploys_larger_than_axum_s_default_body_limit_are_accepted() {
    let org = Org::start();
    // ~4 MB of incompressible text: the SOAP body is well over 2 MB.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let noise: String = (0..4_000_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (b'a' + (x % 26) as u8) as char
        })
        .collect();
    let file = doc(
        "PermissionSet",
        &format!("<description>{noise}</description><label>Big</label>"),
    );
    let res = org.deploy(&[("permissionsets/Big.permissionset", &file)]);
    assert_eq!(tag(&res, "status").as_deref(), Some("Succeeded"));
}

#[test]
fn concurrent_polls_run_a_deploy_once() {
    let org = Org::with(Config {
        deploy_polls: 0,
        ..Config::default()
    });
    let id = org.deploy_start(
        &[(PS, &ps_file())],
        "<met:singlePackage>true</met:singlePackage>",
    );
    let bodies: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    org.soap(&format!(
                        "<met:checkDeployStatus><met:asyncProcessId>{id}</met:asyncProcessId><met:includeDetails>true</met:includeDetails></met:checkDeployStatus>"
                    ))
                    .body
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for b in &bodies {
        assert_eq!(tag(b, "status").as_deref(), Some("Succeeded"), "{b}");
        assert!(
            b.contains("<created>true</created>"),
            "every poll sees the one run: {b}"
        );
    }
}
