use super::*;
use crate::metadata::parse;
use crate::metadata::schema::registry_for_type;

fn doc(xml: &str) -> Document<'_> {
    parse(xml).expect("test XML parses")
}

fn profile(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Profile xmlns="http://soap.sforce.com/2006/04/metadata">{body}</Profile>"#
    )
}

fn permset(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<PermissionSet xmlns="http://soap.sforce.com/2006/04/metadata">{body}</PermissionSet>"#
    )
}

fn fp(field: &str, read: bool, edit: bool) -> String {
    format!("<fieldPermissions><editable>{edit}</editable><field>{field}</field><readable>{read}</readable></fieldPermissions>")
}

fn up(name: &str, enabled: bool) -> String {
    format!("<userPermissions><enabled>{enabled}</enabled><name>{name}</name></userPermissions>")
}

fn run(ty: &str, old: &str, new: &str, mode: Mode) -> ComponentDiff {
    let (o, n) = (doc(old), doc(new));
    component(
        registry_for_type(ty).unwrap(),
        "X",
        Some(&o),
        Some(&n),
        mode,
    )
}

#[test]
fn identical_documents_have_no_changes() {
    let x = permset(&(fp("Contact.Email", true, false) + &up("ApiEnabled", true)));
    for mode in [Mode::Deploy, Mode::Files] {
        let d = run("PermissionSet", &x, &x, mode);
        assert_eq!(d.action, ComponentAction::Unchanged);
        assert!(d.changes.is_empty());
    }
}

#[test]
fn entry_order_does_not_matter() {
    let a = permset(&(fp("Contact.Email", true, false) + &fp("Account.Phone", true, true)));
    let b = permset(&(fp("Account.Phone", true, true) + &fp("Contact.Email", true, false)));
    assert!(run("PermissionSet", &a, &b, Mode::Files).changes.is_empty());
}

#[test]
fn an_entry_granting_nothing_equals_no_entry() {
    // A retrieve leaves disabled user permissions out; all-false FLS is no FLS.
    let a = permset(&up("ApiEnabled", true));
    let b = permset(
        &(up("ApiEnabled", true) + &up("ViewSetup", false) + &fp("Contact.Email", false, false)),
    );
    assert!(run("PermissionSet", &a, &b, Mode::Deploy)
        .changes
        .is_empty());
    assert!(run("PermissionSet", &b, &a, Mode::Files).changes.is_empty());
}

#[test]
fn an_absent_flag_is_false() {
    let a = permset("<objectPermissions><allowRead>true</allowRead><object>Account</object></objectPermissions>");
    let b = permset("<objectPermissions><allowCreate>false</allowCreate><allowRead>true</allowRead><object>Account</object></objectPermissions>");
    assert!(run("PermissionSet", &a, &b, Mode::Files).changes.is_empty());
}

#[test]
fn flipped_flags_are_one_change_per_entry() {
    let a = permset(&fp("Contact.Email", true, false));
    let b = permset(&fp("Contact.Email", true, true));
    let d = run("PermissionSet", &a, &b, Mode::Files);
    assert_eq!(d.action, ComponentAction::Update);
    assert_eq!(d.changes.len(), 1);
    let c = &d.changes[0];
    assert_eq!(
        (c.section.as_str(), c.key.as_str(), c.action),
        ("fieldPermissions", "Contact.Email", Action::Change)
    );
    assert_eq!(
        c.fields,
        vec![FieldChange {
            name: "editable".into(),
            before: Some("false".into()),
            after: Some("true".into())
        }]
    );
}

#[test]
fn permission_set_deploy_removes_what_the_file_lacks() {
    let org = permset(&(up("ApiEnabled", true) + &up("ModifyAllData", true)));
    let spec = permset(&up("ApiEnabled", true));
    let d = run("PermissionSet", &org, &spec, Mode::Deploy);
    assert_eq!(d.changes.len(), 1);
    let c = &d.changes[0];
    assert_eq!(
        (c.key.as_str(), c.action, c.destructive, c.unmanaged),
        ("ModifyAllData", Action::Remove, true, false)
    );
}

#[test]
fn profile_deploy_leaves_what_the_file_lacks_alone() {
    let org = profile(&(up("ApiEnabled", true) + &up("ModifyAllData", true)));
    let spec = profile(&up("ApiEnabled", true));
    let d = run("Profile", &org, &spec, Mode::Deploy);
    assert_eq!(d.action, ComponentAction::Unchanged);
    assert_eq!(d.changes.len(), 1);
    assert!(d.changes[0].unmanaged);
    assert_eq!(d.counted().count(), 0);
}

#[test]
fn profile_revocation_written_in_the_spec_is_a_remove() {
    let org = profile(&up("ApiUserOnly", true));
    let spec = profile(&up("ApiUserOnly", false));
    let d = run("Profile", &org, &spec, Mode::Deploy);
    assert_eq!(d.changes.len(), 1);
    let c = &d.changes[0];
    assert_eq!(
        (c.action, c.destructive, c.unmanaged),
        (Action::Remove, false, false)
    );
}

#[test]
fn settings_compare_only_fields_the_spec_sets() {
    let org = r#"<SecuritySettings xmlns="http://soap.sforce.com/2006/04/metadata"><sessionSettings><lockSessionsToIp>true</lockSessionsToIp><sessionTimeout>TwoHours</sessionTimeout></sessionSettings></SecuritySettings>"#;
    let spec = r#"<SecuritySettings xmlns="http://soap.sforce.com/2006/04/metadata"><sessionSettings><lockSessionsToIp>false</lockSessionsToIp></sessionSettings></SecuritySettings>"#;
    let d = run("Settings", org, spec, Mode::Deploy);
    assert_eq!(d.changes.len(), 1, "{:?}", d.changes);
    assert_eq!(d.changes[0].section, "sessionSettings.lockSessionsToIp");
    assert_eq!(d.changes[0].action, Action::Change);
    // The same files compared as files: the timeout went away too.
    let f = run("Settings", org, spec, Mode::Files);
    assert_eq!(f.changes.len(), 2);
}

#[test]
fn scopes_compare_as_a_set() {
    let a = r#"<ConnectedApp xmlns="http://soap.sforce.com/2006/04/metadata"><label>A</label><oauthConfig><callbackUrl>https://x</callbackUrl><scopes>Api</scopes><scopes>RefreshToken</scopes></oauthConfig></ConnectedApp>"#;
    let b = r#"<ConnectedApp xmlns="http://soap.sforce.com/2006/04/metadata"><label>A</label><oauthConfig><callbackUrl>https://x</callbackUrl><scopes>RefreshToken</scopes><scopes>Full</scopes></oauthConfig></ConnectedApp>"#;
    let d = run("ConnectedApp", a, b, Mode::Files);
    let got: Vec<(&str, &str, Action)> = d
        .changes
        .iter()
        .map(|c| (c.section.as_str(), c.key.as_str(), c.action))
        .collect();
    assert_eq!(
        got,
        vec![
            ("oauthConfig.scopes", "Full", Action::Add),
            ("oauthConfig.scopes", "Api", Action::Remove)
        ]
    );
}

#[test]
fn created_and_deleted_components() {
    let x = doc(&permset(&up("ApiEnabled", true))).into_owned();
    let ty = registry_for_type("PermissionSet").unwrap();
    let c = component(ty, "X", None, Some(&x), Mode::Deploy);
    assert_eq!(c.action, ComponentAction::Create);
    assert_eq!(c.changes[0].action, Action::Add);
    let d = component(ty, "X", Some(&x), None, Mode::Files);
    assert_eq!(d.action, ComponentAction::Delete);
    assert_eq!(d.changes[0].action, Action::Remove);
}
