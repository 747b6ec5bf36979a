//! Desired state -> metadata documents, one builder per component type.
//! Owns: which elements each generated component carries (what a retrieve of
//! the same component would show, plus explicit `false` where a profile must
//! revoke), and the reason of each entry, recorded as the entry is made.
//! Does not: order elements (canonicalization does) or write files.

use std::collections::BTreeMap;

use crate::metadata::{Document, Element};
use crate::spec::desired::{
    Access, App, AppPolicy, IpRelaxation, ObjectFlags, RefreshPolicy, Settings, Why,
};

/// One component of a desired state: its package.xml type and member, the
/// document generate writes and plan diffs, and why each entry is there.
#[derive(Debug, Clone)]
pub struct Component {
    pub type_name: &'static str,
    pub member: String,
    pub document: Document<'static>,
    /// The reason of each entry by the diff's (section, key):
    /// (`fieldPermissions`, `Case.Subject`), or (`sessionSettings.lockSessionsToIp`,
    /// ``) for a settings field. Implied entries keep their "required by …".
    pub reasons: BTreeMap<(String, String), Why>,
    /// The component's own reason (an app policy's `why`), for its entries
    /// without one.
    pub why: Option<Why>,
}

impl Component {
    fn new(
        type_name: &'static str,
        member: impl Into<String>,
        document: Document<'static>,
    ) -> Self {
        Component {
            type_name,
            member: member.into(),
            document,
            reasons: BTreeMap::new(),
            why: None,
        }
    }

    /// The reason of one entry: its own, else the component's.
    pub fn why(&self, section: &str, key: &str) -> Option<&Why> {
        self.reasons
            .get(&(section.to_string(), key.to_string()))
            .or(self.why.as_ref())
            .filter(|w| !w.text.is_empty())
    }
}

/// Children of a document being built, with the reason of each entry.
#[derive(Default)]
struct Entries {
    children: Vec<E>,
    reasons: BTreeMap<(String, String), Why>,
}

impl Entries {
    fn push(&mut self, e: E, section: &str, key: &str, why: &Why) {
        self.children.push(e);
        self.reasons
            .insert((section.to_string(), key.to_string()), why.clone());
    }
}

type E = Element<'static>;

fn text(name: &'static str, value: &str) -> E {
    Element::text(name, value.to_string())
}

fn flag(name: &'static str, value: bool) -> E {
    Element::boolean(name, value)
}

/// The access entries shared by profiles and permission sets, each with
/// the reason the spec (or the dependency that implied it) gives.
fn access_entries(a: &Access, profile: bool, out: &mut Entries) {
    for (name, g) in &a.system {
        // A permission set is replaced on deploy: a revoked permission is just
        // absent, as a retrieve shows it. A profile keeps what a deploy does
        // not mention, so revoking takes an explicit `false`.
        if g.enabled || profile {
            let e = Element::with_children(
                "userPermissions",
                vec![flag("enabled", g.enabled), text("name", name)],
            );
            out.push(e, "userPermissions", name, &g.why);
        }
    }
    for (object, o) in &a.objects {
        if o.flags == ObjectFlags::default() && !profile {
            continue; // no access: absent from a permission set
        }
        let f = &o.flags;
        let e = Element::with_children(
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
        );
        out.push(e, "objectPermissions", object, &o.why);
    }
    for (field, fa) in &a.fields {
        let e = Element::with_children(
            "fieldPermissions",
            vec![
                flag("editable", fa.editable),
                text("field", field),
                flag("readable", fa.readable),
            ],
        );
        out.push(e, "fieldPermissions", field, &fa.why);
    }
    for (page, g) in &a.pages {
        let e = Element::with_children(
            "pageAccesses",
            vec![text("apexPage", page), flag("enabled", g.enabled)],
        );
        out.push(e, "pageAccesses", page, &g.why);
    }
    for (class, g) in &a.classes {
        let e = Element::with_children(
            "classAccesses",
            vec![text("apexClass", class), flag("enabled", g.enabled)],
        );
        out.push(e, "classAccesses", class, &g.why);
    }
}

/// A custom profile sfprov manages.
pub fn profile(name: &str, a: &Access) -> Component {
    let mut out = Entries::default();
    out.children.push(flag("custom", true));
    if let Some(d) = &a.description {
        out.children.push(text("description", d));
    }
    if let Some(l) = &a.license {
        out.children.push(text("userLicense", l));
    }
    access_entries(a, true, &mut out);
    let mut c = Component::new("Profile", name, Document::new("Profile", out.children));
    c.reasons = out.reasons;
    c
}

/// A permission set: the complete set, since a deploy replaces it.
pub fn permission_set(name: &str, a: &Access) -> Component {
    let mut out = Entries::default();
    out.children.push(flag("hasActivationRequired", false));
    if let Some(d) = &a.description {
        out.children.push(text("description", d));
    }
    if let Some(l) = &a.label {
        out.children.push(text("label", l));
    }
    if let Some(l) = &a.license {
        out.children.push(text("license", l));
    }
    access_entries(a, false, &mut out);
    let doc = Document::new("PermissionSet", out.children);
    let mut c = Component::new("PermissionSet", name, doc);
    c.reasons = out.reasons;
    c
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
pub fn connected_app(name: &str, app: &App) -> Component {
    let mut c = Component::new("ConnectedApp", name, connected_app_document(app));
    c.why = app.policy.why.clone().map(Why::spec);
    c
}

fn connected_app_document(app: &App) -> Document<'static> {
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

/// The four components of an external client app, in deploy order.
pub fn external_client_app(name: &str, app: &App) -> Vec<Component> {
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
    let why = p.why.clone().map(Why::spec);
    [
        ("ExternalClientApplication", name.to_string(), header),
        ("ExtlClntAppOauthSettings", oauth, settings),
        ("ExtlClntAppGlobalOauthSettings", global, global_doc),
        ("ExtlClntAppOauthConfigurablePolicies", plcy, policies),
    ]
    .into_iter()
    .map(|(ty, member, children)| {
        let mut c = Component::new(ty, member, Document::new(ty, children));
        c.why = why.clone();
        c
    })
    .collect()
}

/// Settings files holding only the fields the spec sets, each field with its
/// reason. Deploying a full SecuritySettings fails on privileged fields.
pub fn settings(s: &Settings) -> Vec<Component> {
    let mut out = Vec::new();
    if let Some((v, why)) = &s.streaming_api {
        let doc = Document::new("EventSettings", vec![flag("enableStreamingApi", *v)]);
        let mut c = Component::new("Settings", "Event", doc);
        c.reasons
            .insert(("enableStreamingApi".into(), String::new()), why.clone());
        out.push(c);
    }
    let mut session = Vec::new();
    let mut reasons = BTreeMap::new();
    for (field, value) in [
        ("lockSessionsToIp", &s.lock_sessions_to_ip),
        ("lockSessionsToDomain", &s.lock_sessions_to_domain),
    ] {
        if let Some((v, why)) = value {
            session.push(flag(field, *v));
            reasons.insert(
                (format!("sessionSettings.{field}"), String::new()),
                why.clone(),
            );
        }
    }
    if !session.is_empty() {
        let doc = Document::new(
            "SecuritySettings",
            vec![Element::with_children("sessionSettings", session)],
        );
        let mut c = Component::new("Settings", "Security", doc);
        c.reasons = reasons;
        out.push(c);
    }
    out
}
