//! REST over HTTP (issue 3, points 4 and 6): versions, query with paging,
//! sObject create/get/update/describe, users, licenses and assignments.

use serde_json::{json, Value};

use super::client::*;
use sfprov::emulator::Config;

fn user(username: &str, profile_id: &str) -> Value {
    json!({
        "Username": username, "LastName": "Integration", "FirstName": "Zendesk", "Email": "ops@example.com",
        "Alias": "zdint", "TimeZoneSidKey": "America/Los_Angeles", "LocaleSidKey": "en_US",
        "EmailEncodingKey": "UTF-8", "LanguageLocaleKey": "en_US", "ProfileId": profile_id,
    })
}

fn error_code(r: &Resp) -> String {
    r.json()[0]["errorCode"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn versions_resources_and_describe() {
    let org = Org::start();
    let r = http(&org.h.url, "GET", "/services/data", &[], "").unwrap();
    assert_eq!(r.status, 200);
    let versions = r.json();
    assert!(versions
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["version"] == "63.0"));
    assert_eq!(versions[0]["url"], "/services/data/v59.0");
    let r = org.rest("GET", "/services/data/v63.0/", "");
    assert_eq!(r.json()["query"], "/services/data/v63.0/query");
    let r = org.rest("GET", "/services/data/v63.0/limits", "");
    assert_eq!(r.json()["DailyApiRequests"]["Max"], 15000);
    assert!(r
        .header("Sforce-Limit-Info")
        .unwrap()
        .starts_with("api-usage="));
    for sobject in [
        "User",
        "Profile",
        "PermissionSet",
        "PermissionSetAssignment",
        "PermissionSetLicense",
        "PermissionSetLicenseAssign",
        "UserLicense",
        "PushTopic",
        "ApexPage",
        "ConnectedApplication",
        "SetupEntityAccess",
        "Organization",
        "Case",
    ] {
        let r = org.rest(
            "GET",
            &format!("/services/data/v63.0/sobjects/{sobject}/describe"),
            "",
        );
        assert_eq!(r.status, 200, "{sobject}: {}", r.body);
        let d = r.json();
        assert_eq!(d["name"], sobject);
        assert!(d["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "Id"));
    }
    let d = org
        .rest(
            "GET",
            "/services/data/v63.0/sobjects/PermissionSet/describe",
            "",
        )
        .json();
    assert!(d["fields"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["name"] == "PermissionsModifyMetadata"));
    let r = org.rest("GET", "/services/data/v63.0/sobjects/Nope/describe", "");
    assert_eq!(r.status, 404);
}

#[test]
fn queries_cover_the_subset_and_page() {
    let org = Org::with(Config {
        query_batch: 2,
        ..Config::default()
    });
    let q = org.query(
        "SELECT Id, Name, UserLicense.Name FROM Profile WHERE Name = 'System Administrator'",
    );
    assert_eq!(q["totalSize"], 1);
    assert_eq!(q["done"], true);
    let row = &q["records"][0];
    assert_eq!(row["attributes"]["type"], "Profile");
    assert_eq!(row["UserLicense"]["Name"], "Salesforce");
    assert_eq!(row["UserLicense"]["attributes"]["type"], "UserLicense");
    let q = org.query("select name from profile where name in ('Standard User', 'Minimum Access - Salesforce') limit 5");
    assert_eq!(q["totalSize"], 2);
    assert!(
        q["records"][0].get("Name").is_some(),
        "columns come back with their real names"
    );
    // Paging: 4 profiles, batches of 2.
    let q = org.query("SELECT Id FROM Profile");
    assert_eq!(q["totalSize"], 4);
    assert_eq!(q["done"], false);
    assert_eq!(q["records"].as_array().unwrap().len(), 2);
    let next = q["nextRecordsUrl"].as_str().unwrap().to_string();
    assert!(next.starts_with("/services/data/v63.0/query/01g"), "{next}");
    let q2 = org.rest("GET", &next, "").json();
    assert_eq!(q2["done"], true);
    assert_eq!(q2["records"].as_array().unwrap().len(), 2);
    assert_ne!(q["records"][0]["Id"], q2["records"][0]["Id"]);
    // Licenses and PSL, as sfprov looks them up.
    let q = org.query("SELECT Id, Name, LicenseDefinitionKey, TotalLicenses, UsedLicenses FROM UserLicense WHERE Name = 'Salesforce Integration'");
    assert_eq!(q["records"][0]["TotalLicenses"], 5);
    assert_eq!(q["records"][0]["UsedLicenses"], 1);
    let q = org.query("SELECT Id, MasterLabel FROM PermissionSetLicense WHERE DeveloperName = 'SalesforceAPIIntegrationPsl'");
    assert_eq!(q["records"][0]["MasterLabel"], "Salesforce API Integration");
    let q = org.query("SELECT Name FROM ApexPage WHERE NamespacePrefix = 'Zendesk'");
    assert_eq!(q["totalSize"], 4);
    let q = org.query("SELECT Id, OrganizationType FROM Organization");
    assert_eq!(q["records"][0]["OrganizationType"], "Enterprise Edition");
    // Errors.
    let r = org.rest("GET", "/services/data/v63.0/query?q=SELECT+FROM+User", "");
    assert_eq!(r.status, 400);
    assert_eq!(error_code(&r), "MALFORMED_QUERY");
    let r = org.rest(
        "GET",
        "/services/data/v63.0/query?q=SELECT+Foo+FROM+User",
        "",
    );
    assert_eq!(error_code(&r), "INVALID_FIELD");
    let r = org.rest(
        "GET",
        "/services/data/v63.0/query?q=SELECT+Id+FROM+Nope__c",
        "",
    );
    assert_eq!(error_code(&r), "INVALID_TYPE");
}

#[test]
fn push_topic_count_and_limit() {
    let mut seed = sfprov::emulator::Seed::default_org();
    seed.push_topics.limit = 3;
    let org = Org::with(Config {
        seed,
        ..Config::default()
    });
    let q = org.query("SELECT count() FROM PushTopic");
    assert_eq!(q["totalSize"], 2);
    assert_eq!(q["records"], json!([]));
    let topic =
        |name: &str| json!({"Name": name, "Query": "SELECT Id FROM Account", "ApiVersion": 63.0});
    let r = org.create("PushTopic", topic("ZendeskAccounts"));
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(org.query("SELECT count() FROM PushTopic")["totalSize"], 3);
    let r = org.create("PushTopic", topic("ZendeskContacts"));
    assert_eq!(r.status, 400);
    assert_eq!(error_code(&r), "LIMIT_EXCEEDED");
}

#[test]
fn users_licenses_and_assignments() {
    let org = Org::start();
    let admin = org.id_of("SELECT Id FROM Profile WHERE Name = 'System Administrator'");
    let integ =
        org.id_of("SELECT Id FROM Profile WHERE Name = 'Minimum Access - API Only Integrations'");

    // Required fields.
    let r = org.create(
        "User",
        json!({"Username": "x@example.com", "ProfileId": admin}),
    );
    assert_eq!(r.status, 400);
    assert_eq!(error_code(&r), "REQUIRED_FIELD_MISSING");
    assert!(r.json()[0]["fields"]
        .as_array()
        .unwrap()
        .contains(&json!("LastName")));
    // Unknown profile.
    let r = org.create("User", user("x@example.com", "00e000000000000AAA"));
    assert_eq!(error_code(&r), "INVALID_CROSS_REFERENCE_KEY");

    // Create: 201 + Location; the license comes from the profile.
    let r = org.create("User", user("zendesk@example.com", &integ));
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.header("Location").unwrap().contains("/sobjects/User/005"));
    let uid = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(r.json()["success"], true);
    let q = org.query(&format!(
        "SELECT Id, Profile.UserLicense.Name, IsActive FROM User WHERE Id = '{uid}'"
    ));
    assert_eq!(
        q["records"][0]["Profile"]["UserLicense"]["Name"],
        "Salesforce Integration"
    );
    let got = org
        .rest(
            "GET",
            &format!("/services/data/v63.0/sobjects/User/{uid}"),
            "",
        )
        .json();
    assert_eq!(got["Username"], "zendesk@example.com");
    assert_eq!(got["Name"], "Zendesk Integration");

    // Username is unique.
    let r = org.create("User", user("zendesk@example.com", &admin));
    assert_eq!(r.status, 400);
    assert_eq!(error_code(&r), "DUPLICATE_USERNAME");
    assert_eq!(r.json()[0]["fields"], json!(["Username"]));

    // An Integration-license user cannot take a full-license profile.
    let r = org.rest(
        "PATCH",
        &format!("/services/data/v63.0/sobjects/User/{uid}"),
        &json!({"ProfileId": admin}).to_string(),
    );
    assert_eq!(r.status, 400);
    assert_eq!(error_code(&r), "FIELD_INTEGRITY_EXCEPTION");
    let r = org.rest(
        "PATCH",
        &format!("/services/data/v63.0/sobjects/User/{uid}"),
        &json!({"Title": "Bot"}).to_string(),
    );
    assert_eq!(r.status, 204);

    // A permission set granting object access needs the PSL on an Integration user.
    let ps = doc(
        "PermissionSet",
        &format!(
            "<label>Zendesk Integration</label>{}{}{}",
            op("Account", false, true, false, false),
            op("Contact", false, true, false, false),
            up("ApiEnabled", true)
        ),
    );
    let res = org.deploy(&[("permissionsets/Zendesk_Integration.permissionset", &ps)]);
    assert_eq!(tag(&res, "status").as_deref(), Some("Succeeded"), "{res}");
    let ps_id = org.id_of("SELECT Id FROM PermissionSet WHERE Name = 'Zendesk_Integration' AND IsOwnedByProfile = false");
    let psa = json!({"AssigneeId": uid, "PermissionSetId": ps_id});
    let r = org.create("PermissionSetAssignment", psa.clone());
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()[0]["message"],
        "The user license doesn't allow the permission: Read Accounts"
    );
    let psl = org.id_of(
        "SELECT Id FROM PermissionSetLicense WHERE DeveloperName = 'SalesforceAPIIntegrationPsl'",
    );
    let r = org.create(
        "PermissionSetLicenseAssign",
        json!({"AssigneeId": uid, "PermissionSetLicenseId": psl}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let r = org.create(
        "PermissionSetLicenseAssign",
        json!({"AssigneeId": uid, "PermissionSetLicenseId": psl}),
    );
    assert_eq!(error_code(&r), "DUPLICATE_VALUE");
    let r = org.create("PermissionSetAssignment", psa.clone());
    assert_eq!(r.status, 201, "{}", r.body);
    // A duplicate assignment is DUPLICATE_VALUE.
    let r = org.create("PermissionSetAssignment", psa);
    assert_eq!(r.status, 400);
    assert_eq!(error_code(&r), "DUPLICATE_VALUE");
    assert!(r.json()[0]["message"]
        .as_str()
        .unwrap()
        .starts_with("Duplicate PermissionSetAssignment. Assignee: "));
    // Assignments include the profile-owned one.
    let q = org.query(&format!("SELECT PermissionSetId, PermissionSet.IsOwnedByProfile FROM PermissionSetAssignment WHERE AssigneeId = '{uid}'"));
    assert_eq!(q["totalSize"], 2);
    let q = org.query("SELECT UsedLicenses FROM PermissionSetLicense WHERE DeveloperName = 'SalesforceAPIIntegrationPsl'");
    assert_eq!(q["records"][0]["UsedLicenses"], 1);
    let q = org.query("SELECT UsedLicenses FROM UserLicense WHERE Name = 'Salesforce Integration'");
    assert_eq!(q["records"][0]["UsedLicenses"], 2);

    // A PSL-bound permission set needs the PSL assigned first.
    let bound = doc(
        "PermissionSet",
        &format!(
            "<label>Bound</label><license>Salesforce API Integration</license>{}",
            up("ApiEnabled", true)
        ),
    );
    assert_eq!(
        tag(
            &org.deploy(&[("permissionsets/Bound.permissionset", &bound)]),
            "status"
        )
        .as_deref(),
        Some("Succeeded")
    );
    let bound_id = org.id_of("SELECT Id FROM PermissionSet WHERE Name = 'Bound'");
    let std_profile = org.id_of("SELECT Id FROM Profile WHERE Name = 'Standard User'");
    let r = org.create("User", user("std@example.com", &std_profile));
    let std_user = r.json()["id"].as_str().unwrap().to_string();
    let r = org.create(
        "PermissionSetAssignment",
        json!({"AssigneeId": std_user, "PermissionSetId": bound_id}),
    );
    assert_eq!(error_code(&r), "FIELD_INTEGRITY_EXCEPTION");

    // Child subqueries, as CCI checks assignments: null when there are no rows.
    let q = org.query(
        "SELECT Id, (SELECT PermissionSetId FROM PermissionSetAssignments), (SELECT Id FROM PermissionSetLicenseAssignments) \
         FROM User WHERE Username IN ('zendesk@example.com', 'std@example.com') ORDER BY Username DESC",
    );
    let rows = q["records"].as_array().unwrap();
    assert_eq!(rows[0]["PermissionSetAssignments"]["totalSize"], 2);
    assert_eq!(
        rows[0]["PermissionSetLicenseAssignments"]["records"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(rows[1]["PermissionSetAssignments"]["totalSize"], 1);
    assert_eq!(rows[1]["PermissionSetLicenseAssignments"], Value::Null);
}

#[test]
fn integration_license_seats_run_out() {
    let org = Org::start();
    let integ =
        org.id_of("SELECT Id FROM Profile WHERE Name = 'Minimum Access - API Only Integrations'");
    // The seed has one integration user of five seats.
    for i in 0..4 {
        let r = org.create("User", user(&format!("u{i}@example.com"), &integ));
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let r = org.create("User", user("u5@example.com", &integ));
    assert_eq!(error_code(&r), "LICENSE_LIMIT_EXCEEDED");
}

#[test]
fn retired_and_unknown_versions() {
    let org = Org::start();
    assert_eq!(
        org.rest(
            "GET",
            "/services/data/v30.0/query?q=SELECT+Id+FROM+User",
            ""
        )
        .status,
        410
    );
    assert_eq!(
        org.rest("GET", "/services/data/nope/query?q=SELECT+Id+FROM+User", "")
            .status,
        404
    );
    let env = format!(
        "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:met=\"{MD}\"><soapenv:Header><met:SessionHeader>\
<met:sessionId>{}</met:sessionId></met:SessionHeader></soapenv:Header><soapenv:Body><met:describeMetadata/></soapenv:Body></soapenv:Envelope>",
        org.token()
    );
    let r = http(&org.h.url, "POST", "/services/Soap/m/30.0", &[], &env).unwrap();
    assert_eq!(
        tag(&r.body, "faultcode").as_deref(),
        Some("sf:UNSUPPORTED_API_VERSION")
    );
}

#[test]
fn permission_set_and_profile_created_over_rest() {
    let org = Org::start();
    let r = org.create(
        "PermissionSet",
        json!({"Name": "Rest_PS", "Label": "Rest PS"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(org.h.component("PermissionSet", "Rest_PS").is_some());
    assert_eq!(
        org.create("PermissionSet", json!({"Name": "Rest_PS", "Label": "x"}))
            .status,
        400
    );
    let lic = org.id_of("SELECT Id FROM UserLicense WHERE Name = 'Salesforce'");
    let r = org.create("Profile", json!({"Name": "API Only", "UserLicenseId": lic}));
    assert_eq!(r.status, 201, "{}", r.body);
    let (_, files) = org.retrieve(&[("Profile", "API Only")], true);
    assert!(files["profiles/API Only.profile"].contains("<userLicense>Salesforce</userLicense>"));
    let r = org.create("User", json!({"Username": "x@example.com", "Bogus": 1}));
    assert_eq!(r.json()[0]["errorCode"], "INVALID_FIELD");
    let r = org.create("User", json!({"Username": "x@example.com", "Name": "x"}));
    assert_eq!(r.json()[0]["errorCode"], "INVALID_FIELD_FOR_INSERT_UPDATE");
}

#[test]
fn sobject_collections_answer_per_record() {
    let org = Org::start();
    let res = org.deploy(&[(
        "permissionsets/A.permissionset",
        &doc(
            "PermissionSet",
            &format!("<label>A</label>{}", up("ApiEnabled", true)),
        ),
    )]);
    assert_eq!(tag(&res, "status").as_deref(), Some("Succeeded"), "{res}");
    let ps = org.id_of("SELECT Id FROM PermissionSet WHERE Name = 'A'");
    let psa = json!({"attributes": {"type": "PermissionSetAssignment"}, "AssigneeId": org.h.user_id, "PermissionSetId": ps});
    let bad =
        json!({"attributes": {"type": "PermissionSetAssignment"}, "AssigneeId": org.h.user_id});
    let post = |all_or_none: bool, records: Value| {
        let r = org.rest(
            "POST",
            "/services/data/v63.0/composite/sobjects",
            &json!({"allOrNone": all_or_none, "records": records}).to_string(),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    };
    let out = post(true, json!([psa, bad]));
    assert_eq!(out[0]["success"], false);
    assert_eq!(
        out[0]["errors"][0]["statusCode"],
        "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    );
    assert_eq!(out[1]["errors"][0]["statusCode"], "REQUIRED_FIELD_MISSING");
    let count = |org: &Org| {
        org.query(&format!(
            "SELECT count() FROM PermissionSetAssignment WHERE PermissionSetId = '{ps}'"
        ))["totalSize"]
            .clone()
    };
    assert_eq!(count(&org), 0, "rolled back");
    let out = post(false, json!([psa, psa]));
    assert_eq!(out[0]["success"], true);
    assert!(out[0]["id"].as_str().unwrap().starts_with("0Pa"));
    assert_eq!(out[1]["errors"][0]["statusCode"], "DUPLICATE_VALUE");
    assert_eq!(count(&org), 1);
}

#[test]
fn record_updates_reach_metadata_and_sessions() {
    let org = Org::start();
    let r = org.create("PermissionSet", json!({"Name": "Ops", "Label": "Ops"}));
    let id = r.json()["id"].as_str().unwrap().to_string();
    let r = org.rest(
        "PATCH",
        &format!("/services/data/v63.0/sobjects/PermissionSet/{id}"),
        &json!({"Label": "Operations"}).to_string(),
    );
    assert_eq!(r.status, 204, "{}", r.body);
    let (_, files) = org.retrieve(&[("PermissionSet", "Ops")], true);
    assert!(files["permissionsets/Ops.permissionset"].contains("<label>Operations</label>"));
    // A deactivated user's sessions stop working.
    let std_profile = org.id_of("SELECT Id FROM Profile WHERE Name = 'Standard User'");
    let uid = org
        .create("User", user("temp@example.com", &std_profile))
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let token = org.h.token_for("temp@example.com").unwrap();
    let get = |t: &str| {
        http(
            &org.h.url,
            "GET",
            "/services/data/v63.0/sobjects/User/describe",
            &[("Authorization", &format!("Bearer {t}"))],
            "",
        )
        .unwrap()
        .status
    };
    assert_eq!(get(token.expose()), 200);
    let r = org.rest(
        "PATCH",
        &format!("/services/data/v63.0/sobjects/User/{uid}"),
        &json!({"IsActive": false}).to_string(),
    );
    assert_eq!(r.status, 204);
    assert_eq!(get(token.expose()), 401);
}
