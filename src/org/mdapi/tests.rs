//! Reading deploy and retrieve results in the shapes real orgs send
//! (protocol.md §3.3 and §4.2; simple-salesforce and CumulusCI fixtures).

use super::types::*;
use crate::org::soap::{parse_reply, Reply};

fn result_of(xml: &str) -> crate::org::soap::Node {
    let env = format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="http://soap.sforce.com/2006/04/metadata" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>{xml}</soapenv:Body></soapenv:Envelope>"#
    );
    match parse_reply(&env).unwrap() {
        Reply::Ok(n) => n.child("result").unwrap().clone(),
        Reply::Fault(f) => panic!("{f:?}"),
    }
}

#[test]
fn failed_deploy_with_zero_error_counter_is_a_failure() {
    let r = result_of(
        r#"<checkDeployStatusResponse><result><checkOnly>false</checkOnly><completedDate>2020-10-28T13:33:29.000Z</completedDate>
<createdBy>0053D0000052Xaq</createdBy><details><componentFailures><changed>false</changed><componentType></componentType><created>false</created>
<createdDate>2020-10-28T13:33:29.000Z</createdDate><deleted>false</deleted><fileName>package.xml</fileName><fullName>package.xml</fullName>
<problem>No package.xml found</problem><problemType>Error</problemType><success>false</success></componentFailures>
<runTestResult><numFailures>0</numFailures><numTestsRun>0</numTestsRun><totalTime>0.0</totalTime></runTestResult></details>
<done>true</done><id>0Af3D00001NViC1SAL</id><ignoreWarnings>false</ignoreWarnings><numberComponentErrors>0</numberComponentErrors>
<numberComponentsDeployed>0</numberComponentsDeployed><numberComponentsTotal>0</numberComponentsTotal><numberTestErrors>0</numberTestErrors>
<rollbackOnError>true</rollbackOnError><status>Failed</status><success>false</success></result></checkDeployStatusResponse>"#,
    );
    let d = DeployResult::from_node(&r);
    assert_eq!(d.outcome(), DeployOutcome::Failed);
    assert_eq!(d.component_failures.len(), 1);
    assert_eq!(
        d.component_failures[0].problem.as_deref(),
        Some("No package.xml found")
    );
    assert_eq!(d.component_failures[0].component_type, "");
}

#[test]
fn succeeded_deploy_and_package_xml_entry() {
    let r = result_of(
        r#"<checkDeployStatusResponse><result><checkOnly>false</checkOnly><details>
<componentSuccesses><changed>true</changed><componentType>ApexSettings</componentType><created>false</created><deleted>false</deleted><fileName>shape/settings/Apex.settings</fileName><fullName>Apex</fullName><success>true</success></componentSuccesses>
<componentSuccesses><changed>true</changed><componentType></componentType><created>false</created><deleted>false</deleted><fileName>shape/package.xml</fileName><fullName>package.xml</fullName><success>true</success></componentSuccesses>
<runTestResult><numFailures>0</numFailures><numTestsRun>0</numTestsRun><totalTime>0.0</totalTime></runTestResult></details>
<done>true</done><id>0Af3D00001NVCnwSAH</id><numberComponentErrors>0</numberComponentErrors><numberComponentsDeployed>4</numberComponentsDeployed><numberComponentsTotal>4</numberComponentsTotal>
<status>Succeeded</status><success>true</success></result></checkDeployStatusResponse>"#,
    );
    let d = DeployResult::from_node(&r);
    assert_eq!(d.outcome(), DeployOutcome::Succeeded);
    assert_eq!(d.component_successes.len(), 2);
    assert_eq!((d.components_deployed, d.components_total), (4, 4));
}

#[test]
fn statuses_running_unknown_partial_canceled() {
    let mk = |status: &str, done: bool, success: bool, failure: bool| {
        let mut d = DeployResult {
            status_text: status.into(),
            done,
            success,
            ..DeployResult::default()
        };
        if failure {
            d.component_failures.push(DeployMessage::default());
        }
        d.outcome()
    };
    assert_eq!(mk("Pending", false, false, false), DeployOutcome::Running);
    assert_eq!(
        mk("InProgress", false, false, false),
        DeployOutcome::Running
    );
    assert_eq!(mk("Canceling", false, false, false), DeployOutcome::Running);
    assert_eq!(
        mk("FinalizingDeploy", false, false, false),
        DeployOutcome::Running
    );
    assert_eq!(mk("Finalizing", false, true, false), DeployOutcome::Running);
    assert_eq!(
        mk("FinalizingDeployFailed", true, false, false),
        DeployOutcome::Failed
    );
    assert_eq!(
        mk("SucceededPartial", true, true, true),
        DeployOutcome::Failed
    );
    // Succeeded yet with a component failure: the failures win.
    assert_eq!(mk("Succeeded", true, true, true), DeployOutcome::Failed);
    assert_eq!(mk("Canceled", true, false, false), DeployOutcome::Canceled);
}

#[test]
fn retrieve_with_missing_members_and_zip() {
    let r = result_of(
        r#"<checkRetrieveStatusResponse><result><done>true</done>
 <fileProperties><createdById>0051m0000069dpxAAA</createdById><createdByName>User User</createdByName><createdDate>2023-10-09T08:47:44.875Z</createdDate>
  <fileName>unpackaged/package.xml</fileName><fullName>unpackaged/package.xml</fullName><id></id>
  <lastModifiedById>0051m0000069dpxAAA</lastModifiedById><lastModifiedByName>User User</lastModifiedByName>
  <lastModifiedDate>2023-10-09T08:47:44.875Z</lastModifiedDate><manageableState>unmanaged</manageableState><type>Package</type></fileProperties>
 <id>09S1m000001EKBkEAO</id>
 <messages><fileName>unpackaged/package.xml</fileName><problem>Entity of type &apos;CustomObject&apos; named &apos;Delivery__c&apos; cannot be found</problem></messages>
 <status>Succeeded</status><success>true</success><zipFile>UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==</zipFile>
</result></checkRetrieveStatusResponse>"#,
    );
    let rr = RetrieveResult::from_node(&r).unwrap();
    assert!(rr.is_finished() && !rr.is_failed());
    assert_eq!(rr.messages.len(), 1);
    assert_eq!(rr.file_properties[0].type_name, "Package");
    assert_eq!(rr.file_properties[0].id, "");
    assert_eq!(rr.zip.as_deref().map(<[u8]>::len), Some(22));
}

#[test]
fn retrieve_in_progress_has_no_zip() {
    let r = result_of(
        r#"<checkRetrieveStatusResponse><result><done>false</done><id>09S1m000001EKBkEAO</id><status>InProgress</status><success>false</success><zipFile/></result></checkRetrieveStatusResponse>"#,
    );
    let rr = RetrieveResult::from_node(&r).unwrap();
    assert!(!rr.is_finished());
    assert!(rr.zip.is_none());
}

#[test]
fn read_metadata_record_becomes_a_document() {
    let r = result_of(
        r#"<readMetadataResponse><result><records xsi:type="PermissionSet"><fullName>Integration_PS</fullName><label>Integration &amp; PS</label><userPermissions><enabled>true</enabled><name>ApiEnabled</name></userPermissions></records></result></readMetadataResponse>"#,
    );
    let rec = r.child("records").unwrap();
    let doc = record_to_document(rec, "PermissionSet");
    assert_eq!(doc.root.name, "PermissionSet");
    assert_eq!(doc.root.child_text("label"), Some("Integration & PS"));
    let up = doc.root.child("userPermissions").unwrap();
    assert_eq!(up.child_text("name"), Some("ApiEnabled"));
}
