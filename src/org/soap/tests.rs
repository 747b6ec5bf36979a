//! Envelope building and reply parsing against response shapes captured from
//! real orgs (protocol.md §3, §4, §6 and the fixtures it lists).

use super::*;
use crate::org::api_error::ApiErrorCode;

#[test]
fn envelope_has_headers_and_escapes_values() {
    let token = Secret::new("00D!tok<&>\"");
    let xml = envelope(&token, "listMetadata", |p| {
        p.element("queries", |p| p.text("type", "Profile & <x>"));
        p.text("asOfVersion", "63.0");
    });
    assert!(xml.contains("<met:CallOptions><met:client>sfprov/"));
    assert!(xml.contains("<met:sessionId>00D!tok&lt;&amp;&gt;&quot;</met:sessionId>"));
    assert!(xml.contains("<met:type>Profile &amp; &lt;x&gt;</met:type>"));
    // Round trip: the session id reads back unchanged.
    let tree = parse_tree(&xml).unwrap();
    let header = tree.child("Header").unwrap();
    assert_eq!(
        header.child("SessionHeader").unwrap().text_of("sessionId"),
        Some("00D!tok<&>\"")
    );
}

#[test]
fn metadata_fault_without_detail() {
    let xml = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="http://soap.sforce.com/2006/04/metadata">
  <soapenv:Body><soapenv:Fault>
    <faultcode>sf:INVALID_SESSION_ID</faultcode>
    <faultstring>INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session</faultstring>
  </soapenv:Fault></soapenv:Body>
</soapenv:Envelope>"#;
    match parse_reply(xml).unwrap() {
        Reply::Fault(e) => {
            assert_eq!(e.code, ApiErrorCode::InvalidSessionId);
            assert_eq!(
                e.message,
                "Invalid Session ID found in SessionHeader: Illegal Session"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn partner_fault_with_detail_and_unprefixed_code() {
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: Invalid username, password, security token; or user locked out.</faultstring><detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode><sf:exceptionMessage>Invalid username, password, security token; or user locked out.</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"#;
    let Reply::Fault(e) = parse_reply(xml).unwrap() else {
        panic!()
    };
    assert_eq!(e.code.as_str(), "INVALID_LOGIN");
    assert!(e.message.starts_with("Invalid username"));
}

#[test]
fn default_namespace_response_reads_by_local_name() {
    let xml = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="http://soap.sforce.com/2006/04/metadata">
 <soapenv:Body><deployResponse><result><done>false</done><id>0Af3B00001CMyfASAT</id><state>Queued</state></result></deployResponse></soapenv:Body></soapenv:Envelope>"#;
    let Reply::Ok(n) = parse_reply(xml).unwrap() else {
        panic!()
    };
    assert_eq!(n.name, "deployResponse");
    let r = n.child("result").unwrap();
    assert_eq!(r.text_of("id"), Some("0Af3B00001CMyfASAT"));
    assert!(!r.bool_of("done"));
}

#[test]
fn prefixed_payload_and_nil_and_entities() {
    let xml = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://soap.sforce.com/2006/04/metadata" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><s:Body><m:checkRetrieveStatusResponse><m:result><m:messages><m:problem>Entity of type &apos;CustomObject&apos; named &apos;Delivery__c&apos; cannot be found</m:problem></m:messages><m:zipFile xsi:nil="true"/></m:result></m:checkRetrieveStatusResponse></s:Body></s:Envelope>"#;
    let Reply::Ok(n) = parse_reply(xml).unwrap() else {
        panic!()
    };
    let r = n.child("result").unwrap();
    assert_eq!(
        r.child("messages").unwrap().text_of("problem"),
        Some("Entity of type 'CustomObject' named 'Delivery__c' cannot be found")
    );
    assert!(r.child("zipFile").unwrap().nil);
    assert_eq!(r.text_of("zipFile"), None);
}

#[test]
fn envelope_in_wrong_namespace_is_refused() {
    let xml = r#"<Envelope xmlns="urn:nope"><Body><x/></Body></Envelope>"#;
    assert!(parse_reply(xml).unwrap_err().contains("namespace"));
    assert!(parse_reply("<html>502 Bad Gateway").is_err());
    assert!(parse_reply("").is_err());
}

#[test]
fn deep_nesting_is_refused_not_a_stack_overflow() {
    let env = |depth: usize| {
        format!(
            "<soapenv:Envelope xmlns:soapenv=\"{ENVELOPE_NS}\"><soapenv:Body>{}{}</soapenv:Body></soapenv:Envelope>",
            "<a>".repeat(depth),
            "</a>".repeat(depth)
        )
    };
    let err = parse_reply(&env(100_000)).unwrap_err();
    assert!(err.contains("nest deeper than 128 levels"), "{err}");
    assert!(matches!(parse_reply(&env(120)), Ok(Reply::Ok(_))));
}
