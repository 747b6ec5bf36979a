//! The emulator's SOAP responses validate against the Metadata API v63.0 WSDL
//! (issue 3, point 3): the schema embedded in `schema/metadata.wsdl` is
//! extracted, each response's operation element is validated with xmllint.
//! Skipped, with a message, when xmllint is not installed.

use std::process::Command;

use super::client::*;
use sfprov::emulator::Config;

const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// The WSDL's `<types>` schema as a standalone XSD.
fn soap_schema() -> String {
    let wsdl = std::fs::read_to_string(crate::common::root().join("schema/metadata.wsdl")).unwrap();
    let start = wsdl.find("<xsd:schema").unwrap();
    let end = wsdl.find("</xsd:schema>").unwrap() + "</xsd:schema>".len();
    wsdl[start..end].replacen(
        "<xsd:schema ",
        "<xsd:schema xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:tns=\"http://soap.sforce.com/2006/04/metadata\" ",
        1,
    )
}

/// The Body's operation element of a response, as a document of its own.
fn body_element(envelope: &str) -> String {
    let start = envelope.find("<soapenv:Body>").unwrap() + "<soapenv:Body>".len();
    let end = envelope.find("</soapenv:Body>").unwrap();
    let inner = &envelope[start..end];
    let name_end = inner.find(['>', ' ', '/']).unwrap();
    format!(
        "{} xmlns=\"{MD}\" xmlns:xsi=\"{XSI}\"{}",
        &inner[..name_end],
        &inner[name_end..]
    )
}

#[test]
fn soap_responses_validate_against_the_wsdl() {
    if Command::new("xmllint").arg("--version").output().is_err() {
        eprintln!("SKIPPED soap_responses_validate_against_the_wsdl: xmllint not found (apt-get install -y libxml2-utils)");
        return;
    }
    let org = Org::with(Config {
        deploy_polls: 1,
        ..Config::default()
    });
    let mut responses: Vec<(String, String)> = Vec::new();
    let mut keep = |name: &str, r: &Resp| {
        assert_eq!(r.status, 200, "{name}: {}", r.body);
        responses.push((name.to_string(), body_element(&r.body)));
    };
    let ps = doc(
        "PermissionSet",
        &format!(
            "<label>V</label>{}{}{}{}",
            fls("Contact.Email", false, true),
            op("Account", false, true, false, false),
            op("Contact", false, true, false, false),
            up("ApiEnabled", true)
        ),
    );
    let id = org.deploy_start(
        &[("permissionsets/V.permissionset", &ps)],
        "<met:singlePackage>true</met:singlePackage>",
    );
    let check = format!("<met:checkDeployStatus><met:asyncProcessId>{id}</met:asyncProcessId><met:includeDetails>true</met:includeDetails></met:checkDeployStatus>");
    keep("pending", &org.soap(&check));
    keep("in-progress", &org.soap(&check));
    keep("succeeded", &org.soap(&check));
    let id = org.deploy_start(
        &[("profiles/X.profile", &doc("Profile", &up("Nope", true)))],
        "<met:singlePackage>true</met:singlePackage>",
    );
    for _ in 0..2 {
        org.soap(&format!("<met:checkDeployStatus><met:asyncProcessId>{id}</met:asyncProcessId></met:checkDeployStatus>"));
    }
    keep("failed", &org.soap(&format!("<met:checkDeployStatus><met:asyncProcessId>{id}</met:asyncProcessId><met:includeDetails>true</met:includeDetails></met:checkDeployStatus>")));
    let id = org.deploy_start(&[("permissionsets/V.permissionset", &ps)], "");
    keep(
        "cancel",
        &org.soap(&format!(
            "<met:cancelDeploy><met:String>{id}</met:String></met:cancelDeploy>"
        )),
    );
    keep("canceled", &org.soap(&format!("<met:checkDeployStatus><met:asyncProcessId>{id}</met:asyncProcessId></met:checkDeployStatus>")));
    let r = org.soap(
        "<met:retrieve><met:retrieveRequest><met:apiVersion>63.0</met:apiVersion><met:unpackaged><met:types><met:members>Admin</met:members>\
<met:members>Ghost</met:members><met:name>Profile</met:name></met:types><met:types><met:members>V</met:members><met:name>PermissionSet</met:name></met:types>\
<met:version>63.0</met:version></met:unpackaged></met:retrieveRequest></met:retrieve>",
    );
    keep("retrieve", &r);
    let rid = tag(&r.body, "id").unwrap();
    let check = format!("<met:checkRetrieveStatus><met:asyncProcessId>{rid}</met:asyncProcessId><met:includeZip>true</met:includeZip></met:checkRetrieveStatus>");
    keep("retrieve-in-progress", &org.soap(&check));
    keep("retrieve-done", &org.soap(&check));
    keep("list", &org.soap("<met:listMetadata><met:queries><met:type>Profile</met:type></met:queries><met:queries><met:type>ApexPage</met:type></met:queries></met:listMetadata>"));
    // A partial deploy (rollbackOnError=false) and a destructive one.
    let bad = doc("Profile", &up("Nope", true));
    let id = org.deploy_start(
        &[("permissionsets/W.permissionset", &doc("PermissionSet", "<label>W</label>")), ("profiles/X.profile", &bad)],
        "<met:rollbackOnError>false</met:rollbackOnError><met:singlePackage>true</met:singlePackage>",
    );
    let partial = org.deploy_wait(&id);
    assert_eq!(tag(&partial, "status").as_deref(), Some("SucceededPartial"));
    keep(
        "partial",
        &Resp {
            status: 200,
            headers: Vec::new(),
            body: partial,
        },
    );
    keep("list-objects", &org.soap("<met:listMetadata><met:queries><met:type>CustomObject</met:type></met:queries><met:queries><met:type>ConnectedApp</met:type></met:queries></met:listMetadata>"));
    keep("read-app", &org.soap("<met:readMetadata><met:type>ConnectedApp</met:type><met:fullNames>Zendesk__Zendesk</met:fullNames></met:readMetadata>"));
    keep("list-empty", &org.soap("<met:listMetadata><met:queries><met:type>Flow</met:type></met:queries></met:listMetadata>"));
    keep("read-profile", &org.soap("<met:readMetadata><met:type>Profile</met:type><met:fullNames>Admin</met:fullNames></met:readMetadata>"));
    keep("read-permset", &org.soap("<met:readMetadata><met:type>PermissionSet</met:type><met:fullNames>V</met:fullNames></met:readMetadata>"));
    keep("read-settings", &org.soap("<met:readMetadata><met:type>SecuritySettings</met:type><met:fullNames>Security</met:fullNames></met:readMetadata>"));
    keep(
        "describe",
        &org.soap(
            "<met:describeMetadata><met:asOfVersion>63.0</met:asOfVersion></met:describeMetadata>",
        ),
    );

    let dir = tempfile::tempdir().unwrap();
    let xsd = dir.path().join("metadata-soap.xsd");
    std::fs::write(&xsd, soap_schema()).unwrap();
    let mut files = Vec::new();
    for (name, xml) in &responses {
        let p = dir.path().join(format!("{name}.xml"));
        std::fs::write(&p, xml).unwrap();
        files.push(p);
    }
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .args(&files)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "xmllint rejected emulator responses:\n{stderr}"
    );
    assert_eq!(
        stderr.matches(" validates").count(),
        responses.len(),
        "{stderr}"
    );
}
