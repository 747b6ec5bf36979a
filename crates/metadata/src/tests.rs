//! Unit tests for reading and writing: one round trip per node kind we keep.

use super::*;

const NS: &str = "xmlns=\"http://soap.sforce.com/2006/04/metadata\"";

fn roundtrip(input: &str) {
    let out = canonical_bytes(input.as_bytes()).expect("parses");
    assert_eq!(String::from_utf8(out).unwrap(), input);
    assert!(is_canonical(input.as_bytes()).unwrap());
}

#[test]
fn leaf_text_and_nesting() {
    roundtrip(&format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PermissionSet {NS}>\n    <description>a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;</description>\n    <label>X</label>\n    <userPermissions>\n        <enabled>true</enabled>\n        <name>ApiEnabled</name>\n    </userPermissions>\n</PermissionSet>\n"
    ));
}

#[test]
fn empty_element_nil_and_extra_namespaces() {
    roundtrip(&format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<EventSettings {NS} xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n    <enableEventLogObjectFeature xsi:nil=\"true\"/>\n    <enableStreamingApi>true</enableStreamingApi>\n</EventSettings>\n"
    ));
    roundtrip(&format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<SecuritySettings {NS}>\n    <networkAccess/>\n</SecuritySettings>\n"
    ));
}

#[test]
fn empty_text_and_whitespace_text_are_kept() {
    roundtrip(&format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ConnectedApp {NS}>\n    <description>  two  spaces  </description>\n    <label></label>\n</ConnectedApp>\n"
    ));
}

#[test]
fn comments_travel_with_their_element() {
    let input = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- top -->\n<PermissionSet {NS}>\n    <!-- about Y -->\n    <userPermissions>\n        <enabled>true</enabled>\n        <name>Y</name>\n    </userPermissions>\n    <!-- about X -->\n    <userPermissions>\n        <enabled>true</enabled>\n        <name>X</name>\n    </userPermissions>\n    <!-- end -->\n</PermissionSet>\n"
    );
    let out = String::from_utf8(canonical_bytes(input.as_bytes()).unwrap()).unwrap();
    let x = out.find("about X").unwrap();
    let y = out.find("about Y").unwrap();
    assert!(x < out.find("<name>X</name>").unwrap());
    assert!(x < y, "entry X sorts first and carries its comment:\n{out}");
    assert!(out.contains("    <!-- end -->\n</PermissionSet>\n"));
    roundtrip(&out);
}

#[test]
fn cdata_becomes_escaped_text() {
    let input =
        format!("<PermissionSet {NS}><description><![CDATA[a < b]]></description></PermissionSet>");
    let out = String::from_utf8(canonical_bytes(input.as_bytes()).unwrap()).unwrap();
    assert!(out.contains("<description>a &lt; b</description>"), "{out}");
}

#[test]
fn canonical_order_schema_keys_and_unknown_elements() {
    let input = format!(
        "<Profile {NS}><userPermissions><name>B</name><enabled>true</enabled></userPermissions>\
<zzzFuture>1</zzzFuture><custom>true</custom><fieldPermissions><readable>true</readable><field>Broker__c.Picture__c</field><editable>false</editable></fieldPermissions>\
<fieldPermissions><field>Broker__c.Picture_IMG__c</field><editable>false</editable><readable>true</readable></fieldPermissions>\
<agentAccesses><agentName>A</agentName></agentAccesses><userLicense>Salesforce</userLicense>\
<userPermissions><enabled>true</enabled><name>A</name></userPermissions></Profile>"
    );
    let out = String::from_utf8(canonical_bytes(input.as_bytes()).unwrap()).unwrap();
    let expected = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Profile {NS}>\n\
\x20   <agentAccesses>\n\x20       <agentName>A</agentName>\n\x20   </agentAccesses>\n\
\x20   <custom>true</custom>\n\
\x20   <fieldPermissions>\n\x20       <editable>false</editable>\n\x20       <field>Broker__c.Picture_IMG__c</field>\n\x20       <readable>true</readable>\n\x20   </fieldPermissions>\n\
\x20   <fieldPermissions>\n\x20       <editable>false</editable>\n\x20       <field>Broker__c.Picture__c</field>\n\x20       <readable>true</readable>\n\x20   </fieldPermissions>\n\
\x20   <userLicense>Salesforce</userLicense>\n\
\x20   <userPermissions>\n\x20       <enabled>true</enabled>\n\x20       <name>A</name>\n\x20   </userPermissions>\n\
\x20   <userPermissions>\n\x20       <enabled>true</enabled>\n\x20       <name>B</name>\n\x20   </userPermissions>\n\
\x20   <zzzFuture>1</zzzFuture>\n\
</Profile>\n"
    );
    assert_eq!(out, expected);
    assert!(!is_canonical(input.as_bytes()).unwrap());
}

#[test]
fn ordered_lists_keep_their_order() {
    let input = format!(
        "<SecuritySettings {NS}><networkAccess><ipRanges><end>9.0.0.1</end><start>9.0.0.0</start></ipRanges><ipRanges><end>1.0.0.1</end><start>1.0.0.0</start></ipRanges></networkAccess></SecuritySettings>"
    );
    let out = String::from_utf8(canonical_bytes(input.as_bytes()).unwrap()).unwrap();
    assert!(out.find("9.0.0.0").unwrap() < out.find("1.0.0.0").unwrap());
}

#[test]
fn malformed_input_is_an_error_with_position() {
    let err = canonical_bytes(b"<Profile>\n  <custom>true</custm>\n</Profile>").unwrap_err();
    assert_eq!(err.line, 2, "{err}");
    let err = canonical_bytes(b"<Profile><custom>true</custom>text</Profile>").unwrap_err();
    assert!(err.message.contains("mixes text"), "{err}");
    let err = canonical_bytes(b"<Profile><custom>").unwrap_err();
    assert!(err.message.contains("ends inside"), "{err}");
    let err = canonical_bytes(b"").unwrap_err();
    assert!(err.message.contains("no root"), "{err}");
    let err = canonical_bytes(b"<a/><b/>").unwrap_err();
    assert!(err.message.contains("second root"), "{err}");
    let err = canonical_bytes(b"<!DOCTYPE x [<!ENTITY e \"x\">]><a/>").unwrap_err();
    assert!(err.message.contains("DOCTYPE"), "{err}");
    let err = canonical_bytes(b"<a>\xff</a>").unwrap_err();
    assert!(err.message.contains("UTF-8"), "{err}");
    let err = canonical_bytes(b"<a>&bogus;</a>").unwrap_err();
    assert_eq!((err.line, err.column), (1, 4), "{err}");
}
