//! Spec loading and validation, rule by rule.

use super::*;
use crate::diag::Severity;

fn errors(text: &str) -> Vec<Diagnostic> {
    match load_str("sfprov.toml", text) {
        Ok(l) => panic!("expected errors, got a valid spec: {:?}", l.diagnostics),
        Err(SpecError::Invalid(d)) => {
            d.0.into_iter()
                .filter(|d| d.severity == Severity::Error)
                .collect()
        }
        Err(e) => panic!("{e}"),
    }
}

fn ok(text: &str) -> Loaded {
    match load_str("sfprov.toml", text) {
        Ok(l) => l,
        Err(e) => panic!("expected a valid spec:\n{e}"),
    }
}

fn one_error(text: &str) -> Diagnostic {
    let e = errors(text);
    assert_eq!(e.len(), 1, "{e:#?}");
    e.into_iter().next().unwrap()
}

fn at(d: &Diagnostic) -> (usize, usize) {
    let l = d.location.as_ref().expect("located");
    (l.line, l.column)
}

#[test]
fn every_template_is_valid_and_every_grant_has_a_why() {
    for t in crate::templates::all() {
        let loaded = load_template(t.name).unwrap_or_else(|e| panic!("template {}:\n{e}", t.name));
        let warnings: Vec<_> = loaded
            .diagnostics
            .iter()
            .filter(|d| d.severity != Severity::Note)
            .collect();
        assert!(warnings.is_empty(), "template {}: {warnings:#?}", t.name);
        let d = &loaded.desired;
        for a in d.profiles.values().chain(d.permission_sets.values()) {
            for g in a
                .system
                .values()
                .chain(a.pages.values())
                .chain(a.classes.values())
            {
                assert!(!g.why.text.is_empty(), "template {}", t.name);
            }
            assert!(a.objects.values().all(|o| !o.why.text.is_empty()));
            assert!(a.fields.values().all(|f| !f.why.text.is_empty()));
            assert!(a.page_namespaces.values().all(|w| !w.text.is_empty()));
        }
    }
}

#[test]
fn unknown_keys_are_all_reported_with_positions() {
    let e = errors("api_version = \"63.0\"\nfoo = 1\n[user]\nusernme = \"a@b.example\"\n[permission_sets.X]\nlabel = \"X\"\nsystem.ApiEnabled = { why = \"w\", enabeld = true }\n");
    assert_eq!(e.len(), 3, "{e:#?}");
    assert_eq!(at(&e[0]), (2, 1));
    assert!(e[1].message.contains("usernme"));
    assert_eq!(at(&e[1]), (4, 1));
    assert_eq!(e[1].hints, ["did you mean `username`?"]);
    assert!(e[2].message.contains("enabeld"), "{:?}", e[2]);
    assert_eq!(e[2].hints, ["did you mean `enabled`?"]);
}

#[test]
fn unknown_permission_gets_did_you_mean() {
    let d = one_error("[permission_sets.Z]\nlabel = \"Z\"\nsystem.ApiEnabeld = { why = \"w\" }\n");
    assert!(
        d.message.contains("unknown system permission `ApiEnabeld`"),
        "{d}"
    );
    assert_eq!(at(&d), (3, 8));
    assert_eq!(d.hints, ["did you mean `ApiEnabled`?"]);
    // Accepted on purpose:
    let l = ok("[permission_sets.Z]\nlabel = \"Z\"\nsystem.ManageFancyFeature = { why = \"w\", allow_unknown = true }\n");
    assert!(l.desired.permission_sets["Z"].system["ManageFancyFeature"].enabled);
}

#[test]
fn object_levels_map_to_flags() {
    let l = ok("[permission_sets.Z]\nlabel = \"Z\"\nobjects.Account = { access = \"read\", why = \"w\" }\nobjects.Case = { access = \"edit\", create = true, why = \"w\" }\nobjects.Lead = { access = \"full\", why = \"w\" }\nobjects.PushTopic = { access = \"full\", why = \"w\" }\nobjects.Contact = { access = \"edit\", delete = true, why = \"w\" }\n");
    let o = &l.desired.permission_sets["Z"].objects;
    let f = |n: &str| {
        let f = &o[n].flags;
        (f.create, f.read, f.edit, f.delete, f.view_all, f.modify_all)
    };
    assert_eq!(f("Account"), (false, true, false, false, false, false));
    assert_eq!(f("Case"), (true, true, true, false, false, false));
    assert_eq!(f("Lead"), (true, true, true, true, true, true));
    assert_eq!(f("PushTopic"), (true, true, true, true, false, false));
    assert_eq!(f("Contact"), (false, true, true, true, false, false));
    let d = one_error("[permission_sets.Z]\nlabel = \"Z\"\nobjects.Account = { access = \"write\", why = \"w\" }\n");
    assert!(d.message.contains("unknown object access `write`"));
    let d = one_error("[permission_sets.Z]\nlabel = \"Z\"\nobjects.Account = { access = \"read\", delete = true, why = \"w\" }\n");
    assert!(d
        .message
        .contains("Delete on `Account` needs Read and Edit"));
}

#[test]
fn field_rules() {
    let d = one_error("[permission_sets.Z]\nlabel = \"Z\"\nfields.\"Account.Name\" = { access = \"read\", why = \"w\" }\n");
    assert!(
        d.message.contains("cannot carry field-level security") && d.message.contains("required"),
        "{d}"
    );
    let d = one_error("[permission_sets.Z]\nlabel = \"Z\"\nfields.\"Case.Status\" = { access = \"edit\", why = \"w\" }\n");
    assert!(d.message.contains("Case.Status"));
    let d = one_error("[permission_sets.Z]\nlabel = \"Z\"\nfields.\"Case.OwnerId\" = { access = \"edit\", why = \"w\" }\n");
    assert!(d.message.contains("OwnerId"));
    let d = one_error("[permission_sets.Z]\nlabel = \"Z\"\nfields.\"Account.BillingStreet\" = { access = \"read\", why = \"w\" }\n");
    assert_eq!(d.hints, ["use `\"Account.BillingAddress\"`"]);
    let d = one_error("[permission_sets.Z]\nlabel = \"Z\"\nfields.\"Opportunity.Account\" = { access = \"read\", why = \"w\" }\n");
    assert_eq!(d.hints, ["use `\"Opportunity.AccountId\"`"]);
    let d = one_error(
        "[permission_sets.Z]\nlabel = \"Z\"\nfields.Email = { access = \"read\", why = \"w\" }\n",
    );
    assert!(d.message.contains("not a field name"));
    // Edit implies read; the object gets read access, said in a note.
    let l = ok("[permission_sets.Z]\nlabel = \"Z\"\nfields.\"Case.Subject\" = { access = \"edit\", why = \"w\" }\n");
    let ps = &l.desired.permission_sets["Z"];
    assert!(ps.fields["Case.Subject"].readable && ps.fields["Case.Subject"].editable);
    assert!(ps.objects["Case"].flags.read && ps.objects["Case"].why.implied);
    assert!(
        l.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Note
                && d.message.contains("added read access to `Case`"))
    );
}

#[test]
fn dependencies_are_added_and_said() {
    let l = ok("[permission_sets.Z]\nlabel = \"Z\"\nsystem.ModifyMetadata = { why = \"w\" }\n");
    let s = &l.desired.permission_sets["Z"].system;
    assert!(s["ViewSetup"].enabled && s["ViewSetup"].why.implied);
    assert_eq!(s["ViewRoles"].why.text, "required by ModifyMetadata");
    let note = l
        .diagnostics
        .iter()
        .find(|d| d.message.contains("depends on"))
        .unwrap();
    assert_eq!(
        note.message,
        "`ModifyMetadata` depends on `ViewRoles`, `ViewSetup`: added to permission set `Z`"
    );
    let d = one_error("[permission_sets.Z]\nlabel = \"Z\"\nsystem.ModifyMetadata = { why = \"w\" }\nsystem.ViewSetup = { why = \"w\", enabled = false }\n");
    assert!(
        d.message
            .contains("revokes `ViewSetup`, which `ModifyMetadata` depends on"),
        "{d}"
    );
    assert_eq!(at(&d), (4, 8));
}

#[test]
fn interactive_login_rules() {
    let d = one_error("template = \"zendesk\"\n[user]\nlicense = \"Salesforce Integration\"\nprofile = \"Minimum Access - API Only Integrations\"\n");
    assert!(
        d.message.contains("interactive login") && d.message.contains("Integration license"),
        "{d}"
    );
    assert_eq!(at(&d), (3, 1));
    let e = errors("template = \"zendesk\"\n[permission_sets.Zendesk_Integration]\nsystem.ApiUserOnly = { why = \"w\" }\n");
    assert!(
        e.iter()
            .any(|d| d.message.contains("makes the user API-only")),
        "{e:#?}"
    );
}

#[test]
fn integration_license_gets_its_profile_and_psl() {
    let l = ok("[user]\nlicense = \"Salesforce Integration\"\n");
    let u = l.desired.user.unwrap();
    assert_eq!(
        u.profile.as_deref(),
        Some("Minimum Access - API Only Integrations")
    );
    assert_eq!(u.permission_set_licenses, ["SalesforceAPIIntegrationPsl"]);
    let d =
        one_error("[user]\nlicense = \"Salesforce Integration\"\nprofile = \"Standard User\"\n");
    assert!(d
        .message
        .contains("must have the profile `Minimum Access - API Only Integrations`"));
}

#[test]
fn template_merge_and_override_positions() {
    let l = ok("template = \"zendesk\"\n[user]\nusername = \"zd@acme.example\"\n[permission_sets.Zendesk_Integration.fields]\n\"Case.Subject\" = { access = \"read\", why = \"we only read subjects\" }\n");
    let ps = &l.desired.permission_sets["Zendesk_Integration"];
    assert!(!ps.fields["Case.Subject"].editable);
    assert!(
        ps.fields["Case.Description"].editable,
        "the template's other fields stay"
    );
    assert_eq!(
        l.desired.user.as_ref().unwrap().license.as_deref(),
        Some("Salesforce")
    );
    // An error in the user's override points at the user's file.
    let d = one_error("template = \"zendesk\"\n[permission_sets.Zendesk_Integration.fields]\n\"Case.Status\" = { access = \"edit\", why = \"w\" }\n");
    assert_eq!(d.location.as_ref().unwrap().file, "sfprov.toml");
    assert_eq!(at(&d), (3, 1));
    let d = one_error("template = \"zendeks\"\n");
    assert!(d.hints[0].contains("did you mean `zendesk`?"));
}

#[test]
fn syntax_and_type_errors_have_positions() {
    let d = one_error("[user]\nusername = \n");
    assert!(d.message.starts_with("invalid TOML"));
    assert_eq!(at(&d).0, 2);
    let d = one_error("[user]\nusername = 5\n");
    assert_eq!(
        d.message,
        "`user.username` must be a string (in quotes), found an integer"
    );
    assert_eq!(at(&d), (2, 12));
    // Every type error at once, and a grant may be a plain flag.
    let e = errors("[user]\nalias = 1\nemail = 2\n[checks]\npush_topics_needed = \"3\"\n");
    assert_eq!(e.len(), 3, "{e:#?}");
    let l = ok("[permission_sets.Z]\nlabel = \"Z\"\nsystem.ApiEnabled = true\nsystem.ApiUserOnly = false\n");
    let s = &l.desired.permission_sets["Z"].system;
    assert!(s["ApiEnabled"].enabled && !s["ApiUserOnly"].enabled);
}

#[test]
fn connected_app_kinds() {
    let l = ok("[connected_app.Zendesk]\nwhy = \"w\"\npkce_required = true\nallowed_profiles = [\"Zendesk Integration\"]\n");
    let p = &l.desired.app_policies["Zendesk"];
    assert_eq!(
        p.admin_approved,
        Some(true),
        "allowed lists need admin approval"
    );
    assert!(l.desired.connected_apps.is_empty());
    let l = ok("[connected_app.Acme]\ncallback_url = \"https://acme.example/cb\"\ncontact_email = \"a@acme.example\"\nscopes = [\"RefreshToken\", \"Api\", \"OfflineAccess\"]\n");
    assert_eq!(
        l.desired.connected_apps["Acme"].scopes,
        ["Api", "RefreshToken"]
    );
    assert!(l
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Warning && d.message.contains("Spring '26")));
    let d = one_error("[external_client_app.Acme]\ncallback_url = \"https://acme.example/cb\"\ncontact_email = \"a@acme.example\"\nscopes = [\"Apii\"]\n");
    assert_eq!(d.hints, ["did you mean `Api`?"]);
    let d =
        one_error("[connected_app.Z]\nkind = \"existing\"\ncallback_url = \"https://x.example\"\n");
    assert!(d.message.contains("has a definition"));
}

#[test]
fn user_fields_and_api_version() {
    let e = errors("api_version = \"39.0\"\n[user]\nusername = \"not-an-email\"\nalias = \"waytoolongalias\"\n");
    assert_eq!(e.len(), 3, "{e:#?}");
    assert!(e[0].message.contains("older than 40.0"));
}

#[test]
fn unknown_standard_objects_are_warnings_with_did_you_mean() {
    let l = ok("[permission_sets.Z]\nlabel = \"Z\"\nobjects.Acount = { access = \"read\", why = \"w\" }\nobjects.Acme__c = { access = \"read\", why = \"w\" }\n");
    let w: Vec<_> = l
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .collect();
    assert_eq!(w.len(), 1, "{w:#?}");
    assert!(w[0].message.contains("`Acount` is not a standard object"));
    assert_eq!(w[0].hints, ["did you mean `Account`?"]);
}

#[test]
fn account_and_contact_read_go_together() {
    let l = ok("[permission_sets.Z]\nlabel = \"Z\"\nobjects.Account = { access = \"full\", why = \"w\" }\n");
    let c = &l.desired.permission_sets["Z"].objects["Contact"];
    assert!(c.flags.read && !c.flags.edit && c.why.implied);
    let d = one_error("[permission_sets.Z]\nlabel = \"Z\"\nobjects.Account = { access = \"read\", why = \"w\" }\nobjects.Contact = { access = \"none\", why = \"w\" }\n");
    assert!(
        d.message
            .contains("removes read access to `Contact`, which Read `Account` depends on"),
        "{d}"
    );
}

#[test]
fn an_empty_spec_warns_and_a_number_for_a_string_gets_a_hint() {
    let l = ok("");
    assert!(l
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Warning && d.message.contains("asks for nothing")));
    let d = one_error("template = \"zendesk\"\napi_version = 63\n");
    assert_eq!(d.hints, ["quote the value, e.g. `api_version = \"63.0\"`"]);
}

#[test]
fn license_limits_cover_implied_access_and_profiles_cannot_use_psls() {
    // Read on Lead added for a field grant is refused, at the field.
    let e = errors("[user]\nlicense = \"Salesforce Platform\"\nprofile = \"P\"\n[profiles.P]\nfields.\"Lead.Email\" = { access = \"read\", why = \"w\" }\n");
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(
        e[0].message.contains("Read on `Lead`") && e[0].message.contains("needed to read"),
        "{}",
        e[0]
    );
    assert_eq!(at(&e[0]), (5, 8));
    // Case on a Platform profile: the PSL reaches permission sets only.
    let e = errors("[user]\nlicense = \"Salesforce Platform\"\nprofile = \"P\"\npermission_set_licenses = [\"Company Community for Force.com\"]\n[profiles.P]\nobjects.Case = { access = \"read\", why = \"w\" }\n");
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(e[0]
        .hints
        .iter()
        .any(|h| h.contains("permission set assigned to the user")));
    // A permission set bound to the Platform license is checked on its own.
    let e = errors("[permission_sets.S]\nlabel = \"S\"\nlicense = \"Salesforce Platform\"\nobjects.Quote = { access = \"read\", why = \"w\" }\n");
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(e[0].message.contains("`Quote`"));
}

#[test]
fn a_page_namespace_wildcard_is_kept_with_its_reason_and_checked() {
    let l = ok("[permission_sets.Z]\nlabel = \"Z\"\npages = { namespace = \"Zendesk\", why = \"the package's pages\", \"Zendesk__One\" = { enabled = false, why = \"w\" } }\n");
    let a = &l.desired.permission_sets["Z"];
    assert_eq!(a.page_namespaces["Zendesk"].text, "the package's pages");
    assert!(!a.pages["Zendesk__One"].enabled);
    assert!(!a.pages.contains_key("namespace"));
    // Not a prefix: at the value, with what to write instead.
    let d = one_error(
        "[permission_sets.Z]\nlabel = \"Z\"\npages.namespace = \"Zendesk__\"\npages.why = \"w\"\n",
    );
    assert!(
        d.message
            .contains("`Zendesk__` is not a valid namespace prefix: it contains `__`"),
        "{d}"
    );
    assert_eq!(at(&d), (3, 7));
    assert!(d.hints[0].contains("Installed Packages"), "{:?}", d.hints);
    for bad in ["9lives", "a-b", "ThisPrefixIsTooLong"] {
        let d = one_error(&format!(
            "[profiles.P]\npages = {{ namespace = \"{bad}\", why = \"w\" }}\n"
        ));
        assert!(d.message.contains("is not a valid namespace prefix"), "{d}");
        assert_eq!(at(&d).0, 2);
    }
    // A reason with no namespace is a mistake, not a page named `why`.
    let d = one_error("[profiles.P]\npages.why = \"w\"\n");
    assert!(d.message.contains("has no `namespace`"), "{d}");
    // Without a reason: a warning, like any grant.
    let l = ok("[profiles.P]\npages.namespace = \"Zendesk\"\n");
    assert!(l
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Warning && d.message.contains("has no `why`")));
}
