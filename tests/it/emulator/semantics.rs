//! Salesforce semantics sfprov depends on, over HTTP (issue 3, point 6):
//! Profile overlay, PermissionSet replace, partial Profile retrieve, deploy
//! errors worded as Salesforce words them, atomicity and checkOnly.

use super::client::*;

const PROFILE: &str = "profiles/API Integration.profile";
const PS: &str = "permissionsets/Sync.permissionset";

fn profile(inner: &str) -> String {
    doc(
        "Profile",
        &format!("<custom>true</custom><userLicense>Salesforce</userLicense>{inner}"),
    )
}

fn ps(inner: &str) -> String {
    doc("PermissionSet", &format!("<label>Sync</label>{inner}"))
}

fn succeeded(res: &str) {
    assert_eq!(tag(res, "status").as_deref(), Some("Succeeded"), "{res}");
}

fn problems(res: &str) -> Vec<String> {
    tags(res, "problem")
}

#[test]
fn profile_deploy_overlays_and_false_revokes() {
    let org = Org::start();
    succeeded(&org.deploy(&[(
        PROFILE,
        &profile(&format!(
            "{}{}",
            up("ApiEnabled", true),
            up("ViewSetup", true)
        )),
    )]));
    // The new profile exists as a record with its license.
    let row = &org.query("SELECT Id, UserLicense.Name FROM Profile WHERE Name = 'API Integration'")
        ["records"][0];
    assert_eq!(row["UserLicense"]["Name"], "Salesforce");
    // A second file mentions only RunReports and revokes ViewSetup.
    succeeded(&org.deploy(&[(
        PROFILE,
        &profile(&format!(
            "{}{}",
            up("RunReports", true),
            up("ViewSetup", false)
        )),
    )]));
    let (_, files) = org.retrieve(&[("Profile", "API Integration")], true);
    let text = &files["profiles/API Integration.profile"];
    assert!(
        text.contains("<name>ApiEnabled</name>"),
        "not mentioned, kept: {text}"
    );
    assert!(text.contains("<name>RunReports</name>"));
    assert!(
        !text.contains("<name>ViewSetup</name>"),
        "revoked and disabled ones are not retrieved: {text}"
    );
    assert!(!text.contains("<enabled>false</enabled>"));
    // A profile created by a deploy starts from Minimum Access - Salesforce (API 60+).
    assert!(
        text.contains("<name>LightningExperienceUser</name>"),
        "{text}"
    );
    assert!(text.contains("<custom>true</custom>"));
}

#[test]
fn permission_set_deploy_replaces() {
    let org = Org::start();
    let first = ps(&format!(
        "{}{}{}{}",
        fls("Contact.Email", false, true),
        op("Account", false, true, false, false),
        op("Contact", false, true, false, false),
        up("ApiEnabled", true)
    ));
    succeeded(&org.deploy(&[(PS, &first)]));
    succeeded(&org.deploy(&[(PS, &ps(&up("RunReports", true)))]));
    // PermissionSet retrieve returns everything, regardless of what else is named.
    let (_, files) = org.retrieve(&[("PermissionSet", "Sync")], true);
    let text = &files["permissionsets/Sync.permissionset"];
    assert!(text.contains("<name>RunReports</name>"), "{text}");
    assert!(
        !text.contains("ApiEnabled")
            && !text.contains("Contact.Email")
            && !text.contains("<object>Contact</object>"),
        "{text}"
    );
    // The record follows, including computed Permissions* fields.
    let row = &org.query("SELECT Id, Label, IsOwnedByProfile, PermissionsRunReports, PermissionsApiEnabled FROM PermissionSet WHERE Name = 'Sync'")["records"][0];
    assert_eq!(row["Label"], "Sync");
    assert_eq!(row["IsOwnedByProfile"], false);
    assert_eq!(row["PermissionsRunReports"], true);
    assert_eq!(row["PermissionsApiEnabled"], false);
    // And a permission set with everything comes back whole without naming objects.
    succeeded(&org.deploy(&[(PS, &first)]));
    let (_, files) = org.retrieve(&[("PermissionSet", "Sync")], true);
    let text = &files["permissionsets/Sync.permissionset"];
    assert!(
        text.contains("<field>Contact.Email</field>") && text.contains("<object>Contact</object>"),
        "{text}"
    );
}

#[test]
fn profile_retrieve_is_filtered_by_the_same_retrieve() {
    let org = Org::start();
    let (_, files) = org.retrieve(&[("Profile", "Admin")], true);
    let bare = &files["profiles/Admin.profile"];
    assert!(
        bare.contains("<name>ModifyAllData</name>"),
        "user permissions always come back"
    );
    assert!(
        !bare.contains("<objectPermissions>")
            && !bare.contains("<fieldPermissions>")
            && !bare.contains("<pageAccesses>"),
        "{bare}"
    );
    assert!(bare.contains("<userLicense>Salesforce</userLicense>"));

    let (_, files) = org.retrieve(
        &[
            ("Profile", "Standard"),
            ("CustomObject", "Case"),
            ("ApexPage", "Zendesk__ZendeskOAuth"),
            ("CustomField", "Account.Phone"),
        ],
        true,
    );
    let text = &files["profiles/Standard.profile"];
    assert!(text.contains("<object>Case</object>"), "{text}");
    assert!(
        !text.contains("<object>Account</object>"),
        "Account is not named as an object"
    );
    assert!(text.contains("<field>Case.Subject</field>"));
    assert!(
        text.contains("<field>Account.Phone</field>"),
        "a CustomField member brings its FLS row"
    );
    assert!(!text.contains("<field>Account.Fax</field>"));
    assert!(
        !text.contains("<field>Case.Status</field>"),
        "required fields carry no FLS"
    );
    assert!(text.contains("<pageAccesses>\n        <apexPage>Zendesk__ZendeskOAuth</apexPage>\n        <enabled>false</enabled>"), "{text}");
    assert!(
        files.contains_key("objects/Case.object")
            && files.contains_key("pages/Zendesk__ZendeskOAuth.page"),
        "{:?}",
        files.keys()
    );

    // Minimum Access has no Case read: objectPermissions without read are omitted,
    // FLS rows still come back as false/false.
    let (_, files) = org.retrieve(
        &[
            ("Profile", "Minimum Access - Salesforce"),
            ("CustomObject", "Case"),
        ],
        true,
    );
    let text = &files["profiles/Minimum Access - Salesforce.profile"];
    assert!(!text.contains("<objectPermissions>"), "{text}");
    assert!(text.contains("<editable>false</editable>\n        <field>Case.Subject</field>\n        <readable>false</readable>"));
}

#[test]
fn deploy_errors_are_worded_as_salesforce_words_them() {
    let org = Org::start();
    let res = org.deploy(&[(PS, &ps(&up("AllowUniversalSearchX", true)))]);
    assert_eq!(
        problems(&res),
        ["Unknown user permission: AllowUniversalSearchX"]
    );
    assert_eq!(tag(&res, "componentType").as_deref(), Some("PermissionSet"));
    assert_eq!(tag(&res, "problemType").as_deref(), Some("Error"));

    let res = org.deploy(&[(
        PS,
        &ps(&format!(
            "{}{}",
            up("ManageUsers", true),
            up("ViewSetup", true)
        )),
    )]);
    assert_eq!(
        problems(&res),
        ["Permission ManageUsers depends on permission(s): ViewRoles"]
    );
    let res = org.deploy(&[(PS, &ps(&up("ModifyMetadata", true)))]);
    assert_eq!(
        problems(&res),
        ["Permission ModifyMetadata depends on permission(s): ViewRoles, ViewSetup"]
    );

    // Object access: real orgs tie Account and Contact read together
    // (apex-recipes#22); Edit needs Read.
    let res = org.deploy(&[(PS, &ps(&op("Account", false, true, false, false)))]);
    assert_eq!(
        problems(&res),
        ["Permission Read Account depends on permission(s): Read Contact"]
    );
    let res = org.deploy(&[(PS, &ps(&op("Case", false, false, true, false)))]);
    assert_eq!(
        problems(&res),
        ["Permission Edit Case depends on permission(s): Read Case"]
    );

    let res = org.deploy(&[(PS, &ps(&fls("Case.Foo__c", true, true)))]);
    assert_eq!(
        problems(&res),
        ["In field: field - no CustomField named Case.Foo__c found"]
    );
    let res = org.deploy(&[(PS, &ps(&fls("Account.Name", false, true)))]);
    assert_eq!(
        problems(&res),
        ["You cannot deploy to a required field: Account.Name"]
    );

    let integration = doc(
        "Profile",
        &format!(
            "<custom>true</custom><userLicense>Salesforce Integration</userLicense>{}{}",
            up("ApiEnabled", true),
            up("FreezeUsers", true)
        ),
    );
    let res = org.deploy(&[("profiles/Integ.profile", &integration)]);
    assert_eq!(
        problems(&res),
        ["The user license doesn't allow the permission: FreezeUsers"]
    );
    assert_eq!(tag(&res, "status").as_deref(), Some("Failed"));
}

#[test]
fn deploys_are_atomic_and_check_only_changes_nothing() {
    let org = Org::start();
    let good = ps(&up("ApiEnabled", true));
    let bad = profile(&up("NoSuchPermission", true));
    let res = org.deploy(&[(PS, &good), (PROFILE, &bad)]);
    assert_eq!(tag(&res, "status").as_deref(), Some("Failed"));
    assert_eq!(tag(&res, "success").as_deref(), Some("false"));
    assert!(!res.contains("<componentSuccesses>"));
    assert!(
        org.h.component("PermissionSet", "Sync").is_none(),
        "rolled back"
    );
    assert_eq!(
        org.query("SELECT count() FROM PermissionSet WHERE Name = 'Sync'")["totalSize"],
        0
    );

    // rollbackOnError=false keeps what passed.
    let id = org.deploy_start(&[(PS, &good), (PROFILE, &bad)], "<met:rollbackOnError>false</met:rollbackOnError><met:singlePackage>true</met:singlePackage>");
    let res = org.deploy_wait(&id);
    assert_eq!(
        tag(&res, "status").as_deref(),
        Some("SucceededPartial"),
        "{res}"
    );
    assert!(org.h.component("PermissionSet", "Sync").is_some());

    // checkOnly validates and never changes anything.
    let other = ps(&up("RunReports", true));
    let id = org.deploy_start(
        &[(PS, &other)],
        "<met:checkOnly>true</met:checkOnly><met:singlePackage>true</met:singlePackage>",
    );
    let res = org.deploy_wait(&id);
    assert_eq!(tag(&res, "status").as_deref(), Some("Succeeded"));
    assert_eq!(tag(&res, "checkOnly").as_deref(), Some("true"));
    assert!(!org
        .h
        .component("PermissionSet", "Sync")
        .unwrap()
        .contains("RunReports"));
    let id = org.deploy_start(
        &[(PROFILE, &bad)],
        "<met:checkOnly>true</met:checkOnly><met:singlePackage>true</met:singlePackage>",
    );
    assert_eq!(
        tag(&org.deploy_wait(&id), "status").as_deref(),
        Some("Failed")
    );
}

#[test]
fn settings_merge_and_connected_app_deploy() {
    let org = Org::start();
    let sec = doc(
        "SecuritySettings",
        "<sessionSettings><lockSessionsToIp>false</lockSessionsToIp></sessionSettings>",
    );
    let app = doc(
        "ConnectedApp",
        "<contactEmail>ops@example.com</contactEmail><label>Zendesk Integration</label>\
<oauthConfig><callbackUrl>https://example.com/cb</callbackUrl><consumerKey>3MVGtest</consumerKey><isAdminApproved>true</isAdminApproved>\
<isPkceRequired>true</isPkceRequired><scopes>Api</scopes><scopes>RefreshToken</scopes></oauthConfig>",
    );
    succeeded(&org.deploy(&[
        ("settings/Security.settings", &sec),
        ("connectedApps/Zendesk_Integration.connectedApp", &app),
    ]));
    let (_, files) = org.retrieve(
        &[
            ("Settings", "Security"),
            ("ConnectedApp", "Zendesk_Integration"),
        ],
        true,
    );
    let s = &files["settings/Security.settings"];
    assert!(s.contains("<lockSessionsToIp>false</lockSessionsToIp>"));
    assert!(
        s.contains("<forceRelogin>true</forceRelogin>") && s.contains("<start>203.0.113.0</start>"),
        "other settings stay: {s}"
    );
    assert!(files["connectedApps/Zendesk_Integration.connectedApp"]
        .contains("<isPkceRequired>true</isPkceRequired>"));
    assert_eq!(
        org.query("SELECT Id FROM ConnectedApplication WHERE Name = 'Zendesk Integration'")
            ["totalSize"],
        1
    );
}

#[test]
fn permission_set_before_api_40_merges() {
    use base64::Engine;
    let org = Org::start();
    succeeded(&org.deploy(&[(
        PS,
        &ps(&format!(
            "{}{}",
            up("ApiEnabled", true),
            up("RunReports", true)
        )),
    )]));
    let mut manifest = sfprov::metadata::package::manifest([("PermissionSet", "Sync")], "39.0");
    let zip = zip_raw(&[
        (
            "package.xml".into(),
            sfprov::metadata::to_canonical_bytes(&mut manifest),
        ),
        (
            PS.into(),
            ps(&format!(
                "{}{}",
                up("ViewSetup", true),
                up("RunReports", false)
            ))
            .into_bytes(),
        ),
    ]);
    let r = org.soap(&format!(
        "<met:deploy><met:ZipFile>{}</met:ZipFile><met:DeployOptions><met:singlePackage>true</met:singlePackage></met:DeployOptions></met:deploy>",
        base64::engine::general_purpose::STANDARD.encode(zip)
    ));
    succeeded(&org.deploy_wait(&tag(&r.body, "id").unwrap()));
    let stored = org.h.component("PermissionSet", "Sync").unwrap();
    assert!(
        stored.contains("<name>ApiEnabled</name>") && stored.contains("<name>ViewSetup</name>"),
        "{stored}"
    );
    assert!(!stored.contains("<name>RunReports</name>"));
}

#[test]
fn page_access_shows_as_setup_entity_access() {
    let org = Org::start();
    let page = "<pageAccesses><apexPage>Zendesk__ZendeskOAuth</apexPage><enabled>true</enabled></pageAccesses>";
    succeeded(&org.deploy(&[(PS, &ps(page))]));
    let ps_id = org.id_of("SELECT Id FROM PermissionSet WHERE Name = 'Sync'");
    let page_id = org.id_of(
        "SELECT Id FROM ApexPage WHERE Name = 'ZendeskOAuth' AND NamespacePrefix = 'Zendesk'",
    );
    let q = org.query(&format!(
        "SELECT SetupEntityId, SetupEntityType FROM SetupEntityAccess WHERE ParentId = '{ps_id}'"
    ));
    assert_eq!(q["totalSize"], 1);
    assert_eq!(q["records"][0]["SetupEntityId"], page_id.as_str());
    assert_eq!(q["records"][0]["SetupEntityType"], "ApexPage");
    let res = org.deploy(&[(PS, &ps("<pageAccesses><apexPage>Zendesk__Nope</apexPage><enabled>true</enabled></pageAccesses>"))]);
    assert_eq!(
        problems(&res),
        ["In field: apexPage - no ApexPage named Zendesk__Nope found"]
    );
    // Access to the installed connected app is a SetupEntityAccess row made over REST.
    let app = org.id_of("SELECT Id FROM ConnectedApplication WHERE NamespacePrefix = 'Zendesk'");
    let body = serde_json::json!({"ParentId": ps_id, "SetupEntityId": app});
    let r = org.create("SetupEntityAccess", body.clone());
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        org.create("SetupEntityAccess", body).json()[0]["errorCode"],
        "DUPLICATE_VALUE"
    );
    let q = org.query(&format!("SELECT Id FROM SetupEntityAccess WHERE ParentId = '{ps_id}' AND SetupEntityType = 'ConnectedApplication'"));
    assert_eq!(q["totalSize"], 1);
}

#[test]
fn destructive_changes_delete_unassigned_permission_sets() {
    use base64::Engine;
    let org = Org::start();
    succeeded(&org.deploy(&[(PS, &ps(&up("ApiEnabled", true)))]));
    let delete = |org: &Org| {
        let mut empty =
            sfprov::metadata::package::manifest(std::iter::empty::<(&str, &str)>(), "63.0");
        let mut gone = sfprov::metadata::package::manifest([("PermissionSet", "Sync")], "63.0");
        let zip = zip_raw(&[
            (
                "package.xml".into(),
                sfprov::metadata::to_canonical_bytes(&mut empty),
            ),
            (
                "destructiveChanges.xml".into(),
                sfprov::metadata::to_canonical_bytes(&mut gone),
            ),
        ]);
        let r = org.soap(&format!(
            "<met:deploy><met:ZipFile>{}</met:ZipFile><met:DeployOptions><met:singlePackage>true</met:singlePackage></met:DeployOptions></met:deploy>",
            base64::engine::general_purpose::STANDARD.encode(zip)
        ));
        org.deploy_wait(&tag(&r.body, "id").unwrap())
    };
    // Assigned: refused, nothing changes.
    let ps_id = org.id_of("SELECT Id FROM PermissionSet WHERE Name = 'Sync'");
    let r = org.create(
        "PermissionSetAssignment",
        serde_json::json!({"AssigneeId": org.h.user_id, "PermissionSetId": ps_id}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let res = delete(&org);
    assert_eq!(tag(&res, "status").as_deref(), Some("Failed"), "{res}");
    assert!(org.h.component("PermissionSet", "Sync").is_some());
    let psa = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(
        org.rest(
            "DELETE",
            &format!("/services/data/v63.0/sobjects/PermissionSetAssignment/{psa}"),
            ""
        )
        .status,
        204
    );
    let res = delete(&org);
    succeeded(&res);
    assert!(res.contains("<deleted>true</deleted>"), "{res}");
    assert!(org.h.component("PermissionSet", "Sync").is_none());
    assert_eq!(
        org.query("SELECT count() FROM PermissionSet WHERE Name = 'Sync'")["totalSize"],
        0
    );
}

#[test]
fn installed_package_objects_and_fields() {
    let org = Org::start();
    let res = org.deploy(&[(
        PS,
        &ps(&format!(
            "{}{}{}",
            fls("Account.Zendesk__Zendesk_Organization_Id__c", false, true),
            fls("Zendesk__Zendesk_Ticket__c.Zendesk__Subject__c", true, true),
            op("Zendesk__Zendesk_Ticket__c", true, true, true, false)
        )),
    )]);
    succeeded(&res);
    // CustomObject:* names custom objects only (the package's), never standard ones.
    let (_, files) = org.retrieve(&[("CustomObject", "*"), ("Profile", "Admin")], true);
    assert!(
        files.contains_key("objects/Zendesk__Zendesk_Ticket__c.object"),
        "{:?}",
        files.keys()
    );
    assert!(!files.contains_key("objects/Account.object"));
    assert!(!files["profiles/Admin.profile"].contains("<object>Account</object>"));
}

#[test]
fn permission_set_groups_deploy_assign_and_retrieve() {
    let org = Org::start();
    succeeded(&org.deploy(&[(PS, &ps(&up("RunReports", true)))]));
    let group = |sets: &str| {
        doc(
            "PermissionSetGroup",
            &format!("<label>Reporting</label>{sets}<status>Updated</status>"),
        )
    };
    const PSG: &str = "permissionsetgroups/Reporting.permissionsetgroup";
    // A group of a permission set the org lacks is refused, as Salesforce does.
    let res = org.deploy(&[(PSG, &group("<permissionSets>Nope</permissionSets>"))]);
    assert!(
        problems(&res)
            .iter()
            .any(|p| p.contains("no PermissionSet named Nope")),
        "{res}"
    );
    succeeded(&org.deploy(&[(PSG, &group("<permissionSets>Sync</permissionSets>"))]));
    let (_, files) = org.retrieve(&[("PermissionSetGroup", "Reporting")], true);
    assert!(files[PSG].contains("<permissionSets>Sync</permissionSets>"));
    let gid = org.id_of("SELECT Id FROM PermissionSetGroup WHERE DeveloperName = 'Reporting'");
    let comps = org.query(&format!(
        "SELECT PermissionSet.Name FROM PermissionSetGroupComponent WHERE PermissionSetGroupId = '{gid}'"
    ));
    assert_eq!(comps["records"][0]["PermissionSet"]["Name"], "Sync");
    // A group is assigned by its id; the row names the group's aggregate set.
    let user = org.id_of("SELECT Id FROM User WHERE Username = 'admin@sfprov.local'");
    let r = org.create(
        "PermissionSetAssignment",
        serde_json::json!({"AssigneeId": user, "PermissionSetGroupId": gid}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let row = &org.query(&format!(
        "SELECT PermissionSetGroup.DeveloperName, PermissionSet.Type FROM PermissionSetAssignment WHERE AssigneeId = '{user}' AND PermissionSetGroupId != null"
    ))["records"][0];
    assert_eq!(row["PermissionSetGroup"]["DeveloperName"], "Reporting");
    assert_eq!(row["PermissionSet"]["Type"], "Group");
    // Neither a permission set nor a group: REQUIRED_FIELD_MISSING.
    let r = org.create(
        "PermissionSetAssignment",
        serde_json::json!({"AssigneeId": user}),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("REQUIRED_FIELD_MISSING"), "{}", r.body);
}
