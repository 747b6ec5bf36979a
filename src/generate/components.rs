//! Desired state -> metadata documents, one builder per component type.
//! Owns: which elements each generated component carries (what a retrieve of
//! the same component would show, plus explicit `false` where a profile must
//! revoke). Does not: order elements (canonicalization does) or write files.

use crate::metadata::{Document, Element};
use crate::spec::desired::{
    Access, App, AppPolicy, IpRelaxation, ObjectFlags, RefreshPolicy, Settings,
};

type E = Element<'static>;

fn text(name: &'static str, value: &str) -> E {
    Element::text(name, value.to_string())
}

fn flag(name: &'static str, value: bool) -> E {
    Element::boolean(name, value)
}

/// The access entries shared by profiles and permission sets.
fn access_entries(a: &Access, profile: bool) -> Vec<E> {
    let mut out = Vec::new();
    for (name, g) in &a.system {
        // A permission set is replaced on deploy: a revoked permission is just
        // absent, as a retrieve shows it. A profile keeps what a deploy does
        // not mention, so revoking takes an explicit `false`.
        if g.enabled || profile {
            out.push(Element::with_children(
                "userPermissions",
                vec![flag("enabled", g.enabled), text("name", name)],
            ));
        }
    }
    for (object, o) in &a.objects {
        if o.flags == ObjectFlags::default() && !profile {
            continue; // no access: absent from a permission set
        }
        let f = &o.flags;
        out.push(Element::with_children(
            "objectPermissions",
            vec![
                flag("allowCreate", f.create),
                flag("allowDelete", f.delete),
                flag("allowEdit", f.edit),
                flag("allowRead", f.read),
                flag("modifyAllRecords", f.modify_all),
                text("object", object),
                flag("viewAllRecords", f.view_all),
            ],
        ));
    }
    for (field, fa) in &a.fields {
        out.push(Element::with_children(
            "fieldPermissions",
            vec![
                flag("editable", fa.editable),
                text("field", field),
                flag("readable", fa.readable),
            ],
        ));
    }
    for (page, g) in &a.pages {
        out.push(Element::with_children(
            "pageAccesses",
            vec![text("apexPage", page), flag("enabled", g.enabled)],
        ));
    }
    for (class, g) in &a.classes {
        out.push(Element::with_children(
            "classAccesses",
            vec![text("apexClass", class), flag("enabled", g.enabled)],
        ));
    }
    out
}

/// A custom profile sfprov manages.
pub fn profile(a: &Access) -> Document<'static> {
    let mut children = vec![flag("custom", true)];
    if let Some(d) = &a.description {
        children.push(text("description", d));
    }
    if let Some(l) = &a.license {
        children.push(text("userLicense", l));
    }
    children.extend(access_entries(a, true));
    Document::new("Profile", children)
}

/// A permission set: the complete set, since a deploy replaces it.
pub fn permission_set(a: &Access) -> Document<'static> {
    let mut children = vec![flag("hasActivationRequired", false)];
    if let Some(d) = &a.description {
        children.push(text("description", d));
    }
    if let Some(l) = &a.label {
        children.push(text("label", l));
    }
    if let Some(l) = &a.license {
        children.push(text("license", l));
    }
    children.extend(access_entries(a, false));
    Document::new("PermissionSet", children)
}

fn ip_relaxation(p: &AppPolicy) -> &'static str {
    match p.ip_relaxation.unwrap_or(IpRelaxation::Enforce) {
        IpRelaxation::Enforce => "ENFORCE",
        IpRelaxation::RelaxWithMfa => "BYPASS_2FACTOR",
        IpRelaxation::Relax => "BYPASS",
    }
}

fn refresh_policy(p: &AppPolicy) -> String {
    match p
        .refresh_token_policy
        .as_ref()
        .unwrap_or(&RefreshPolicy::Infinite)
    {
        RefreshPolicy::Infinite => "infinite".into(),
        RefreshPolicy::Zero => "zero".into(),
        RefreshPolicy::Lifetime(n, unit) => format!("specific_lifetime:{n}:{unit}"),
    }
}

/// `ipRelaxationPolicyType` of an external client app: the same choices as a
/// connected app's `ipRelaxation`, spelled differently
/// (ExtlClntAppOauthConfigurablePolicies: Enforce, Bypass, Bypass_2factor).
fn eca_ip_relaxation(p: &AppPolicy) -> &'static str {
    match p.ip_relaxation.unwrap_or(IpRelaxation::Enforce) {
        IpRelaxation::Enforce => "Enforce",
        IpRelaxation::RelaxWithMfa => "Bypass_2factor",
        IpRelaxation::Relax => "Bypass",
    }
}

/// A connected app sfprov creates. No consumer key: Salesforce generates one
/// (a key is globally unique and a second org would refuse it).
pub fn connected_app(app: &App) -> Document<'static> {
    let p = &app.policy;
    let mut oauth = vec![
        text("callbackUrl", &app.callback_url),
        flag("isAdminApproved", p.admin_approved.unwrap_or(false)),
        flag("isPkceRequired", p.pkce_required.unwrap_or(false)),
    ];
    oauth.extend(app.scopes.iter().map(|s| text("scopes", s)));
    let mut children = vec![
        text("contactEmail", &app.contact_email),
        text("label", &app.label),
        Element::with_children("oauthConfig", oauth),
        Element::with_children(
            "oauthPolicy",
            vec![
                text("ipRelaxation", ip_relaxation(p)),
                text("refreshTokenPolicy", &refresh_policy(p)),
            ],
        ),
    ];
    if let Some(d) = &app.description {
        children.push(text("description", d));
    }
    children.extend(p.allowed_profiles.iter().map(|n| text("profileName", n)));
    children.extend(
        p.allowed_permission_sets
            .iter()
            .map(|n| text("permissionSetName", n)),
    );
    Document::new("ConnectedApp", children)
}

/// The four components of an external client app: (type, member, document).
pub fn external_client_app(
    name: &str,
    app: &App,
) -> Vec<(&'static str, String, Document<'static>)> {
    let p = &app.policy;
    let mut header = vec![
        text("contactEmail", &app.contact_email),
        text("distributionState", "Local"),
        flag("isProtected", false),
        text("label", &app.label),
    ];
    if let Some(d) = &app.description {
        header.push(text("description", d));
    }
    // Each child component is labelled with its own member name (`Acme_oauth`),
    // as ECA source retrieved from orgs is; the app's label is on the header.
    let (oauth, global, plcy) = (
        format!("{name}_oauth"),
        format!("{name}_glbloauth"),
        format!("{name}_oauthPlcy"),
    );
    let link = |extra: Vec<E>, member: &str| {
        let mut c = vec![
            text("externalClientApplication", name),
            text("label", member),
        ];
        c.extend(extra);
        c
    };
    let settings = link(
        vec![text("commaSeparatedOauthScopes", &app.scopes.join(", "))],
        &oauth,
    );
    let global_doc = link(
        vec![
            text("callbackUrl", &app.callback_url),
            flag("isPkceRequired", p.pkce_required.unwrap_or(false)),
        ],
        &global,
    );
    let permitted = if p.admin_approved == Some(true) {
        "AdminApprovedPreAuthorized"
    } else {
        "AllSelfAuthorized"
    };
    let mut policies = link(
        vec![
            text("ipRelaxationPolicyType", eca_ip_relaxation(p)),
            text("permittedUsersPolicyType", permitted),
        ],
        &plcy,
    );
    if !p.allowed_profiles.is_empty() {
        policies.push(text("commaSeparatedProfile", &p.allowed_profiles.join(",")));
    }
    if !p.allowed_permission_sets.is_empty() {
        policies.push(text(
            "commaSeparatedPermissionSet",
            &p.allowed_permission_sets.join(","),
        ));
    }
    if let Some(r) = &p.refresh_token_policy {
        let (ty, n) = match r {
            RefreshPolicy::Infinite => ("Infinite", None),
            RefreshPolicy::Zero => ("Zero", None),
            RefreshPolicy::Lifetime(n, unit) => ("SpecificLifetime", Some((*n, unit.clone()))),
        };
        policies.push(text("refreshTokenPolicyType", ty));
        if let Some((n, unit)) = n {
            policies.push(text("refreshTokenValidityPeriod", &n.to_string()));
            let unit = match unit.as_str() {
                "HOURS" => "Hours",
                "DAYS" => "Days",
                _ => "Months",
            };
            policies.push(text("refreshTokenValidityUnit", unit));
        }
    }
    vec![
        (
            "ExternalClientApplication",
            name.to_string(),
            Document::new("ExternalClientApplication", header),
        ),
        (
            "ExtlClntAppOauthSettings",
            oauth,
            Document::new("ExtlClntAppOauthSettings", settings),
        ),
        (
            "ExtlClntAppGlobalOauthSettings",
            global,
            Document::new("ExtlClntAppGlobalOauthSettings", global_doc),
        ),
        (
            "ExtlClntAppOauthConfigurablePolicies",
            plcy,
            Document::new("ExtlClntAppOauthConfigurablePolicies", policies),
        ),
    ]
}

/// Settings files holding only the fields the spec sets: (member, document).
/// Deploying a full SecuritySettings fails on privileged fields.
pub fn settings(s: &Settings) -> Vec<(&'static str, Document<'static>)> {
    let mut out = Vec::new();
    if let Some((v, _)) = &s.streaming_api {
        out.push((
            "Event",
            Document::new("EventSettings", vec![flag("enableStreamingApi", *v)]),
        ));
    }
    let mut session = Vec::new();
    if let Some((v, _)) = &s.lock_sessions_to_ip {
        session.push(flag("lockSessionsToIp", *v));
    }
    if let Some((v, _)) = &s.lock_sessions_to_domain {
        session.push(flag("lockSessionsToDomain", *v));
    }
    if !session.is_empty() {
        out.push((
            "Security",
            Document::new(
                "SecuritySettings",
                vec![Element::with_children("sessionSettings", session)],
            ),
        ));
    }
    out
}
