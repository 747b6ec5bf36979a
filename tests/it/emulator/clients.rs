//! What the real clients need of the emulator (issue 10), pinned here so
//! `cargo test` catches a regression without Node: the Salesforce CLI's
//! trailing-slash paths, `columns=true`, Organization.TrialExpirationDate,
//! OR/NOT/semi-join SOQL, the Tooling API and the resource list; Python's
//! `True` in SOAP; HTTPS. The clients themselves run in tests/conformance.

use serde_json::{json, Value};

use super::client::*;

#[test]
fn paths_joined_onto_a_trailing_slash_are_served() {
    let org = Org::start();
    // `sf org login access-token` keeps `http://127.0.0.1:PORT/`.
    let r = org.rest(
        "GET",
        "//services/data/v63.0/query?q=SELECT+Id+FROM+Organization",
        "",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["totalSize"], 1);
    let r = org.rest("GET", "//services/data//v63.0//", "");
    assert_eq!(r.status, 200, "{}", r.body);
    let auth = format!("Bearer {}", org.token());
    let r = http(
        &org.h.url,
        "POST",
        "//services/Soap/m/63.0",
        &[("Authorization", &auth), ("Content-Type", "text/xml")],
        &format!(
            "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:met=\"{MD}\">\
<soapenv:Header><met:SessionHeader><met:sessionId>{}</met:sessionId></met:SessionHeader></soapenv:Header>\
<soapenv:Body><met:describeMetadata><met:asOfVersion>63.0</met:asOfVersion></met:describeMetadata></soapenv:Body></soapenv:Envelope>",
            org.token()
        ),
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("<xmlName>PermissionSet</xmlName>"));
}

#[test]
fn organization_has_the_fields_sf_core_asks_for() {
    let org = Org::start();
    let q = org.query("SELECT Name, InstanceName, IsSandbox, TrialExpirationDate, NamespacePrefix, OrganizationType FROM Organization");
    let row = &q["records"][0];
    // A production org: no trial end, not a sandbox.
    assert_eq!(row["TrialExpirationDate"], Value::Null);
    assert_eq!(row["IsSandbox"], false);
    assert_eq!(row["OrganizationType"], "Enterprise Edition");
}

fn columns(org: &Org, soql: &str) -> Value {
    let r = org.rest(
        "GET",
        &format!(
            "/services/data/v63.0/query?q={}&columns=true",
            urlencode(soql)
        ),
        "",
    );
    assert_eq!(r.status, 200, "{soql}: {}", r.body);
    r.json()
}

#[test]
fn columns_true_answers_query_result_metadata() {
    let org = Org::start();
    let m = columns(
        &org,
        "SELECT Id, Username, IsActive, Profile.Name, Profile.UserLicense.Name, Profile.Id FROM User",
    );
    assert!(m.get("records").is_none(), "no rows: {m}");
    assert_eq!(m["entityName"], "User");
    assert_eq!(m["keyPrefix"], "005");
    assert_eq!(m["idSelected"], true);
    assert_eq!(m["groupBy"], false);
    let cols = m["columnMetadata"].as_array().unwrap();
    let names: Vec<&str> = cols
        .iter()
        .map(|c| c["columnName"].as_str().unwrap())
        .collect();
    // Paths through Profile share one column.
    assert_eq!(names, ["Id", "Username", "IsActive", "Profile"]);
    assert_eq!(
        cols[1],
        json!({"aggregate": false, "apexType": "String", "booleanType": false, "columnName": "Username",
               "custom": false, "displayName": "Username", "foreignKeyName": null, "insertable": true,
               "joinColumns": [], "numberType": false, "textType": true, "updatable": true})
    );
    assert_eq!(cols[2]["apexType"], "Boolean");
    assert_eq!(cols[2]["booleanType"], true);
    let profile = &cols[3];
    assert_eq!(profile["apexType"], Value::Null);
    let joins: Vec<&str> = profile["joinColumns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(joins, ["Profile.Name", "Profile.UserLicense", "Profile.Id"]);
    assert_eq!(
        profile["joinColumns"][1]["joinColumns"][0]["displayName"],
        "Profile.UserLicense.Name"
    );
    // count() has no columns; a child subquery is an aggregate column.
    let m = columns(&org, "SELECT count() FROM Profile");
    assert_eq!(m["columnMetadata"], json!([]));
    assert_eq!(m["idSelected"], false);
    let m = columns(
        &org,
        "SELECT Name, (SELECT AssigneeId FROM Assignments) FROM PermissionSet",
    );
    let child = &m["columnMetadata"][1];
    assert_eq!(child["columnName"], "Assignments");
    assert_eq!(child["aggregate"], true);
    assert_eq!(child["joinColumns"][0]["columnName"], "AssigneeId");
    // An unknown column is the same error a query gives.
    let r = org.rest(
        "GET",
        "/services/data/v63.0/query?q=SELECT+Nope+FROM+User&columns=true",
        "",
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.json()[0]["errorCode"], "INVALID_FIELD");
}

fn names(q: &Value) -> Vec<String> {
    let mut v: Vec<String> = q["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Name"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn where_clauses_with_or_not_and_parentheses() {
    let org = Org::start();
    // `sf org assign permsetlicense` looks a license up by either name.
    let q = org.query("select Id from PermissionSetLicense where DeveloperName = 'SalesforceAPIIntegrationPsl' or MasterLabel = 'SalesforceAPIIntegrationPsl'");
    assert_eq!(q["totalSize"], 1);
    let q = org.query(
        "SELECT Name FROM Profile WHERE (Name = 'Standard User' OR Name = 'System Administrator') AND NOT Name LIKE 'Sys%'",
    );
    assert_eq!(names(&q), ["Standard User"]);
    let q =
        org.query("SELECT Name FROM Profile WHERE NOT (Name LIKE 'Minimum%' OR Name LIKE 'S%')");
    assert_eq!(q["totalSize"], 0, "{q}");
    for (bad, why) in [
        (
            "SELECT Id FROM Profile WHERE Name = 'a' AND Name = 'b' OR Name = 'c'",
            "parentheses",
        ),
        ("SELECT Id FROM Profile WHERE (Name = 'a'", "expecting ')'"),
        (
            &format!(
                "SELECT Id FROM Profile WHERE {}Name = 'a'{}",
                "(".repeat(10_000),
                ")".repeat(10_000)
            ),
            "deeper than 32",
        ),
    ] {
        let r = org.rest(
            "GET",
            &format!("/services/data/v63.0/query?q={}", urlencode(bad)),
            "",
        );
        assert_eq!(r.status, 400, "{bad}");
        assert_eq!(r.json()[0]["errorCode"], "MALFORMED_QUERY");
        assert!(r.body.contains(why), "{}", r.body);
    }
}

#[test]
fn semi_joins_select_by_another_query() {
    let org = Org::start();
    // `sf org display user`.
    let q = org.query("SELECT name FROM Profile WHERE Id IN (SELECT ProfileId FROM User WHERE username='admin@sfprov.local')");
    assert_eq!(names(&q), ["System Administrator"]);
    let q = org.query(
        "SELECT Name FROM Profile WHERE Name LIKE 'S%' AND Id NOT IN (SELECT ProfileId FROM User)",
    );
    assert_eq!(names(&q), ["Standard User"]);
    let r = org.rest(
        "GET",
        &format!(
            "/services/data/v63.0/query?q={}",
            urlencode("SELECT Id FROM Profile WHERE Id IN (SELECT ProfileId FROM User WHERE Id IN (SELECT AssigneeId FROM PermissionSetAssignment))")
        ),
        "",
    );
    assert_eq!(r.status, 400);
    assert!(r.body.contains("cannot nest"), "{}", r.body);
}

#[test]
fn tooling_api_and_the_resource_list() {
    let org = Org::start();
    let r = org.rest("GET", "/services/data/v63.0/", "");
    let mut keys: Vec<String> = r.json().as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "composite",
            "limits",
            "query",
            "queryAll",
            "sobjects",
            "tooling"
        ]
    );
    assert_eq!(r.json()["tooling"], "/services/data/v63.0/tooling");
    // A production org copies no sandbox of its own.
    let r = org.rest(
        "GET",
        "/services/data/v63.0/tooling/query?q=SELECT+Id,SandboxName+FROM+SandboxProcess",
        "",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json(),
        json!({"totalSize": 0, "done": true, "records": []})
    );
    let r = org.rest(
        "GET",
        &format!(
            "/services/data/v63.0/tooling/query?q={}",
            urlencode("SELECT Id, Name FROM ApexPage WHERE NamespacePrefix = 'Zendesk' LIMIT 1")
        ),
        "",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let url = r.json()["records"][0]["attributes"]["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        url.starts_with("/services/data/v63.0/tooling/sobjects/ApexPage/066"),
        "{url}"
    );
    let r = org.rest(
        "GET",
        "/services/data/v63.0/tooling/sobjects/SandboxProcess/describe",
        "",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json()["urls"]["describe"],
        "/services/data/v63.0/tooling/sobjects/SandboxProcess/describe"
    );
    let list = org.rest("GET", "/services/data/v63.0/tooling/sobjects", "");
    assert!(list.body.contains("\"SandboxProcess\""));
    // No source tracking: SourceMember is not served (how sf tells).
    let r = org.rest(
        "GET",
        "/services/data/v63.0/tooling/sobjects/SourceMember/describe",
        "",
    );
    assert_eq!(r.status, 404);
    let r = org.rest(
        "GET",
        "/services/data/v63.0/tooling/query?q=SELECT+Id+FROM+SourceMember",
        "",
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.json()[0]["errorCode"], "INVALID_TYPE");
    // Data-API objects are not Tooling objects here.
    let r = org.rest(
        "GET",
        "/services/data/v63.0/tooling/query?q=SELECT+Id+FROM+User",
        "",
    );
    assert_eq!(r.json()[0]["errorCode"], "INVALID_TYPE");
    // queryAll answers as query does (the emulator keeps no deleted rows).
    let r = org.rest(
        "GET",
        "/services/data/v63.0/queryAll?q=SELECT+count()+FROM+Organization",
        "",
    );
    assert_eq!(r.json()["totalSize"], 1);
}

#[test]
fn soap_booleans_are_read_regardless_of_case() {
    // simple-salesforce sends Python's `True`: singlePackage must hold.
    let org = Org::start();
    let ps = doc("PermissionSet", "<label>Py</label>");
    let id = org.deploy_start(
        &[("permissionsets/Py.permissionset", &ps)],
        "<met:singlePackage>True</met:singlePackage><met:rollbackOnError>False</met:rollbackOnError>",
    );
    let res = org.deploy_wait(&id);
    assert_eq!(tag(&res, "status").as_deref(), Some("Succeeded"), "{res}");
    assert_eq!(tag(&res, "rollbackOnError").as_deref(), Some("false"));
}

#[test]
fn https_with_the_users_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
    // A CA and a certificate for 127.0.0.1 signed by it (rustls, unlike
    // OpenSSL, will not take a self-signed CA as the server's certificate).
    let ca = (dir.path().join("ca.crt"), dir.path().join("ca.key"));
    let ext = dir.path().join("ext.cnf");
    std::fs::write(&ext, "subjectAltName=IP:127.0.0.1,DNS:localhost\n").unwrap();
    let openssl = |args: &[&std::ffi::OsStr]| {
        std::process::Command::new("openssl")
            .args(args)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let os = |s: &str| std::ffi::OsString::from(s);
    let made = openssl(&[
        &os("req"),
        &os("-x509"),
        &os("-newkey"),
        &os("rsa:2048"),
        &os("-nodes"),
        &os("-days"),
        &os("1"),
        &os("-subj"),
        &os("/CN=sfprov-test-ca"),
        &os("-keyout"),
        ca.1.as_os_str(),
        &os("-out"),
        ca.0.as_os_str(),
    ]) && openssl(&[
        &os("req"),
        &os("-newkey"),
        &os("rsa:2048"),
        &os("-nodes"),
        &os("-subj"),
        &os("/CN=127.0.0.1"),
        &os("-keyout"),
        key.as_os_str(),
        &os("-out"),
        dir.path().join("tls.csr").as_os_str(),
    ]) && openssl(&[
        &os("x509"),
        &os("-req"),
        &os("-in"),
        dir.path().join("tls.csr").as_os_str(),
        &os("-CA"),
        ca.0.as_os_str(),
        &os("-CAkey"),
        ca.1.as_os_str(),
        &os("-CAcreateserial"),
        &os("-days"),
        &os("1"),
        &os("-extfile"),
        ext.as_os_str(),
        &os("-out"),
        cert.as_os_str(),
    ]);
    if !made {
        eprintln!("SKIPPED https_with_the_users_certificate: openssl CLI not found");
        return;
    }
    let (stop_tx, stop_rx) = std::sync::mpsc::channel();
    let (tx, rx) = std::sync::mpsc::channel();
    let opts = sfprov::emulator::ServeOptions {
        tls: Some((cert.clone(), key.clone())),
        ..Default::default()
    };
    let t = std::thread::spawn(move || {
        sfprov::emulator::serve(
            opts,
            |r| {
                tx.send((r.instance_url.clone(), r.access_token.expose().to_string()))
                    .unwrap()
            },
            Some(stop_rx),
        )
    });
    let (url, token) = rx.recv().unwrap();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let pem = std::fs::read(&ca.0).unwrap();
    let client = reqwest::blocking::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .build()
        .unwrap();
    let r = client
        .get(format!(
            "{url}/services/data/v63.0/query?q=SELECT+Name+FROM+Organization"
        ))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = serde_json::from_str(&r.text().unwrap()).unwrap();
    assert_eq!(body["records"][0]["Name"], "sfprov Local Org");
    // Plain HTTP to the TLS port gets no answer, and a client that does not
    // trust the certificate is refused.
    assert!(http(
        url.trim_start_matches("https://"),
        "GET",
        "/services/data",
        &[],
        ""
    )
    .map_or(true, |r| r.status != 200));
    assert!(reqwest::blocking::get(format!("{url}/services/data")).is_err());
    stop_tx.send(()).unwrap();
    t.join().unwrap().unwrap();

    // A key that is not PEM is a clear error naming the file, not a panic.
    std::fs::write(dir.path().join("bad.key"), "not a key").unwrap();
    let e = sfprov::emulator::serve(
        sfprov::emulator::ServeOptions {
            tls: Some((cert, dir.path().join("bad.key"))),
            ..Default::default()
        },
        |_| {},
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("bad.key") && e.contains("PEM private key"),
        "{e}"
    );
}
