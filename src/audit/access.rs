//! A user's effective access, read from an org: who the user is (one query
//! with its assignments), then one retrieve of its profile and every
//! permission set assigned to it, naming every object, page and class the
//! org lists so the profile comes back whole, and the connected apps its
//! profile and permission sets open. Every grant keeps the sources it comes
//! from. Owns: `read` and the `Effective` value.
//! Does not: compare with a spec (see `compare`), or print.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Map, Value};

type Row = Map<String, Value>;

use super::AuditError;
use crate::metadata::{self, Element};
use crate::org::read::OrgRead;
use crate::org::rest::soql_quote;
use crate::plan::manifest;
use crate::plan::user::{children, text};

/// Where access comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Source {
    /// `profile` or `permission set`.
    pub kind: &'static str,
    /// A profile's name as Setup shows it; a permission set's API name.
    pub name: String,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} `{}`", self.kind, self.name)
    }
}

/// The object flags as the Metadata API names them, with their Setup names.
pub const OBJECT_FLAGS: &[(&str, &str)] = &[
    ("allowRead", "Read"),
    ("allowCreate", "Create"),
    ("allowEdit", "Edit"),
    ("allowDelete", "Delete"),
    ("viewAllRecords", "View All"),
    ("modifyAllRecords", "Modify All"),
    ("viewAllFields", "View All Fields"),
];

/// Who the user is.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UserFacts {
    pub id: String,
    pub username: String,
    pub name: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub alias: Option<String>,
    pub time_zone: Option<String>,
    pub locale: Option<String>,
    pub language: Option<String>,
    pub email_encoding: Option<String>,
    pub active: bool,
    /// The profile's name as Setup shows it.
    pub profile: String,
    pub profile_id: String,
    /// The user license (from the profile).
    pub license: Option<String>,
    /// Permission sets assigned (API names), not the profile's own.
    pub permission_sets: Vec<String>,
    /// Permission set groups assigned (developer names).
    pub permission_set_groups: Vec<String>,
    pub permission_set_licenses: Vec<String>,
}

/// Every grant the user holds, with its sources (indexes into `sources`).
#[derive(Debug, Clone, Default)]
pub struct Effective {
    pub sources: Vec<Source>,
    /// Whether the profile is a custom one (false for System Administrator).
    pub profile_custom: bool,
    pub system: BTreeMap<String, BTreeSet<usize>>,
    /// (object, flag) -> sources.
    pub objects: BTreeMap<(String, &'static str), BTreeSet<usize>>,
    /// (field, `read` | `edit`) -> sources.
    pub fields: BTreeMap<(String, &'static str), BTreeSet<usize>>,
    pub pages: BTreeMap<String, BTreeSet<usize>>,
    pub classes: BTreeMap<String, BTreeSet<usize>>,
    /// Connected apps (ConnectedApplication.Name) -> sources.
    pub apps: BTreeMap<String, BTreeSet<usize>>,
    /// Login IP ranges on the profile: (start, end).
    pub login_ip_ranges: Vec<(String, String)>,
    /// Whether the profile limits login hours.
    pub login_hours: bool,
}

impl Effective {
    /// Whether any source grants the system permission.
    pub fn has_system(&self, name: &str) -> bool {
        self.system.contains_key(name)
    }
}

/// The Metadata API name of a profile Setup shows as `name`: standard
/// profiles have their own (System Administrator is `Admin`).
pub fn profile_full_name(name: &str) -> &str {
    const STANDARD: &[(&str, &str)] = &[
        ("System Administrator", "Admin"),
        ("Standard User", "Standard"),
        ("Read Only", "ReadOnly"),
        ("Solution Manager", "SolutionManager"),
        ("Marketing User", "MarketingProfile"),
        ("Contract Manager", "ContractManager"),
        ("Standard Platform User", "StandardAul"),
    ];
    STANDARD
        .iter()
        .find(|(ui, _)| ui.eq_ignore_ascii_case(name))
        .map_or(name, |(_, full)| full)
}

/// Salesforce ids compare on their first 15 characters.
fn same_id(a: &str, b: &str) -> bool {
    a.len() >= 15 && a.get(..15).is_some_and(|x| Some(x) == b.get(..15))
}

/// The user row with its assignments.
fn user_soql(username: &str) -> String {
    format!(
        "SELECT Id, Username, Name, IsActive, Email, FirstName, LastName, Alias, TimeZoneSidKey, LocaleSidKey, LanguageLocaleKey, EmailEncodingKey, ProfileId, Profile.Name, Profile.UserLicense.Name, \
         (SELECT PermissionSetId, PermissionSet.Name, PermissionSet.NamespacePrefix, PermissionSet.IsOwnedByProfile, PermissionSetGroupId, PermissionSetGroup.DeveloperName, PermissionSetGroup.NamespacePrefix FROM PermissionSetAssignments), \
         (SELECT PermissionSetLicense.DeveloperName FROM PermissionSetLicenseAssignments) \
         FROM User WHERE Username = {}",
        soql_quote(username)
    )
}

/// What `read` found.
pub struct Read {
    pub user: UserFacts,
    pub effective: Effective,
}

/// The user and the ids of the permission sets it holds (its profile's
/// own, assigned ones, groups' aggregates): what `access` reads next.
pub struct Found {
    pub user: UserFacts,
    holder_ids: Vec<String>,
}

/// Reads the user `username` and everything it can do.
pub fn user(org: &dyn OrgRead, username: &str) -> Result<Found, AuditError> {
    let users = org.query(&user_soql(username))?;
    let Some(row) = users.records.first() else {
        return Err(AuditError::NoUser {
            username: username.to_string(),
            org: org.label(),
        });
    };
    let s = |k: &str| text(row, k).map(str::to_string);
    let mut user = UserFacts {
        id: s("Id").unwrap_or_default(),
        username: s("Username").unwrap_or_else(|| username.to_string()),
        name: s("Name").unwrap_or_default(),
        email: s("Email"),
        first_name: s("FirstName"),
        last_name: s("LastName"),
        alias: s("Alias"),
        time_zone: s("TimeZoneSidKey"),
        locale: s("LocaleSidKey"),
        language: s("LanguageLocaleKey"),
        email_encoding: s("EmailEncodingKey"),
        active: row.get("IsActive").and_then(Value::as_bool).unwrap_or(true),
        profile: s("Profile.Name").unwrap_or_default(),
        profile_id: s("ProfileId").unwrap_or_default(),
        license: s("Profile.UserLicense.Name"),
        permission_sets: Vec::new(),
        permission_set_groups: Vec::new(),
        permission_set_licenses: Vec::new(),
    };
    let psa = match children(row, "PermissionSetAssignments") {
        Some(c) => c.into_iter().cloned().collect(),
        None => {
            org.query(&format!(
                "SELECT PermissionSetId, PermissionSet.Name, PermissionSet.NamespacePrefix, PermissionSet.IsOwnedByProfile, PermissionSetGroupId, PermissionSetGroup.DeveloperName, PermissionSetGroup.NamespacePrefix FROM PermissionSetAssignment WHERE AssigneeId = {}",
                soql_quote(&user.id)
            ))?
            .records
        }
    };
    let mut holder_ids = Vec::new();
    for r in &psa {
        if let Some(id) = text(r, "PermissionSetId") {
            holder_ids.push(id.to_string());
        }
        let owned = r
            .get("PermissionSet")
            .and_then(|p| p.get("IsOwnedByProfile"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        // A managed package's set is `ns__Name` in the Metadata API.
        let full = |rel: &str, name: &str| {
            text(r, &format!("{rel}.{name}")).map(|n| {
                match text(r, &format!("{rel}.NamespacePrefix")).filter(|p| !p.is_empty()) {
                    Some(ns) => format!("{ns}__{n}"),
                    None => n.to_string(),
                }
            })
        };
        if let Some(g) = full("PermissionSetGroup", "DeveloperName") {
            user.permission_set_groups.push(g);
        } else if let (false, Some(n)) = (owned, full("PermissionSet", "Name")) {
            user.permission_sets.push(n);
        }
    }
    user.permission_sets.sort();
    user.permission_set_groups.sort();
    let psla: Vec<Row> = match children(row, "PermissionSetLicenseAssignments") {
        Some(c) => c.into_iter().cloned().collect(),
        None => {
            org.query(&format!(
                "SELECT PermissionSetLicense.DeveloperName FROM PermissionSetLicenseAssign WHERE AssigneeId = {}",
                soql_quote(&user.id)
            ))?
            .records
        }
    };
    for r in &psla {
        if let Some(n) = text(r, "PermissionSetLicense.DeveloperName") {
            user.permission_set_licenses.push(n.to_string());
        }
    }

    Ok(Found { user, holder_ids })
}

/// Everything `found.user` can do. `extra` names more components for the
/// retrieve (the spec's objects, which a listing may not return).
pub fn access(
    org: &dyn OrgRead,
    found: Found,
    extra: &[(String, String)],
    api_version: &str,
) -> Result<Read, AuditError> {
    let mut effective = retrieve_access(org, &found.user, extra, api_version)?;
    apps(org, &found.holder_ids, &found.user, &mut effective)?;
    Ok(Read {
        user: found.user,
        effective,
    })
}

/// Retrieved documents by (type, member).
type Docs = BTreeMap<(String, String), Element<'static>>;

/// Retrieves `members` (in chunks of Salesforce's limit) and parses the
/// profiles, permission sets, groups and muting permission sets returned.
/// With `profile`, the profile is named in every retrieve (it returns only
/// the access tied to what the same retrieve names) and its parts merged.
fn fetch(
    org: &dyn OrgRead,
    members: &[(String, String)],
    profile: Option<&(String, String)>,
    api_version: &str,
) -> Result<Docs, AuditError> {
    let mut out = Docs::new();
    let room = manifest::MAX_MEMBERS - usize::from(profile.is_some());
    let mut chunks: Vec<&[(String, String)]> = members.chunks(room).collect();
    if chunks.is_empty() {
        chunks.push(&[]);
    }
    for chunk in chunks {
        let mut named = chunk.to_vec();
        named.extend(profile.cloned());
        for f in org
            .retrieve(&manifest::manifest(&named, api_version))?
            .files
        {
            let Some((dir, file)) = f.path.rsplit_once('/') else {
                continue;
            };
            let dir = dir.rsplit('/').next().unwrap_or(dir);
            let (ty, member) = match file.strip_suffix(".mutingpermissionset") {
                Some(m) if dir == "mutingpermissionsets" => ("MutingPermissionSet", m.to_string()),
                _ => match crate::metadata::schema::registry_for_file(file) {
                    Some((ty, m)) if ty.directory == dir => (ty.name, m),
                    _ => continue,
                },
            };
            if !matches!(
                ty,
                "Profile" | "PermissionSet" | "PermissionSetGroup" | "MutingPermissionSet"
            ) {
                continue;
            }
            let unreadable = |reason: String| AuditError::Unreadable {
                path: f.path.clone(),
                org: org.label(),
                reason,
            };
            let text = metadata::read::utf8(&f.bytes).map_err(|e| unreadable(e.to_string()))?;
            let doc = metadata::parse(text).map_err(|e| unreadable(e.to_string()))?;
            let key = (ty.to_string(), member);
            let root = doc.root.into_owned();
            match out.get_mut(&key) {
                // A later chunk's part of the profile: its entries join.
                Some(have) if ty == "Profile" => {
                    have.children_mut().extend(root.children().iter().cloned())
                }
                _ => {
                    out.insert(key, root);
                }
            }
        }
    }
    Ok(out)
}

/// The retrieve: the profile, the permission sets and groups, and every
/// object, page and class the org lists (a profile holds only the access
/// tied to the components named beside it); a second one for the groups'
/// permission sets and muting permission sets.
fn retrieve_access(
    org: &dyn OrgRead,
    user: &UserFacts,
    extra: &[(String, String)],
    api_version: &str,
) -> Result<Effective, AuditError> {
    // The profile's Metadata API name: the listing's entry with its id,
    // else Setup's name (standard profiles have their own).
    let listed = org
        .list("Profile")?
        .unwrap_or_default()
        .into_iter()
        .find(|l| {
            l.id.as_deref()
                .is_some_and(|i| same_id(i, &user.profile_id))
        });
    let profile_member = match listed {
        Some(l) => l.full_name,
        None => profile_full_name(&user.profile).to_string(),
    };
    let mut members = Vec::new();
    for ps in &user.permission_sets {
        members.push(("PermissionSet".into(), ps.clone()));
    }
    for g in &user.permission_set_groups {
        members.push(("PermissionSetGroup".into(), g.clone()));
    }
    for ty in ["CustomObject", "ApexPage", "ApexClass"] {
        for l in org.list(ty)?.unwrap_or_default() {
            members.push((ty.to_string(), l.full_name));
        }
    }
    members.extend(extra.iter().cloned());
    members.sort();
    members.dedup();
    let profile_key = ("Profile".to_string(), profile_member.clone());
    let mut docs = fetch(org, &members, Some(&profile_key), api_version)?;
    let missing = |what: String| AuditError::NotRetrieved {
        what,
        org: org.label(),
    };
    let mut eff = Effective::default();
    let profile = docs
        .get(&("Profile".to_string(), profile_member.clone()))
        .ok_or_else(|| {
            missing(format!(
                "profile `{}` (Metadata API name `{profile_member}`)",
                user.profile
            ))
        })?;
    eff.profile_custom = profile.child_text("custom") == Some("true");
    eff.sources.push(Source {
        kind: "profile",
        name: user.profile.clone(),
    });
    add(&mut eff, 0, profile);
    for ps in &user.permission_sets {
        let doc = docs
            .get(&("PermissionSet".to_string(), ps.clone()))
            .ok_or_else(|| missing(format!("permission set `{ps}`")))?;
        eff.sources.push(Source {
            kind: "permission set",
            name: ps.clone(),
        });
        let idx = eff.sources.len() - 1;
        add(&mut eff, idx, doc);
    }
    // Groups: their permission sets, less what their muting sets mute.
    let mut groups = Vec::new();
    let mut more = Vec::new();
    for g in &user.permission_set_groups {
        let doc = docs
            .get(&("PermissionSetGroup".to_string(), g.clone()))
            .ok_or_else(|| missing(format!("permission set group `{g}`")))?;
        let list = |name: &str| -> Vec<String> {
            doc.children()
                .iter()
                .filter(|e| e.name == name)
                .filter_map(|e| e.text_value().map(str::to_string))
                .collect()
        };
        let (sets, mutes) = (list("permissionSets"), list("mutingPermissionSets"));
        for ps in &sets {
            if !docs.contains_key(&("PermissionSet".to_string(), ps.clone())) {
                more.push(("PermissionSet".to_string(), ps.clone()));
            }
        }
        more.extend(
            mutes
                .iter()
                .map(|m| ("MutingPermissionSet".to_string(), m.clone())),
        );
        groups.push((g.clone(), sets, mutes));
    }
    if !more.is_empty() {
        more.sort();
        more.dedup();
        docs.extend(fetch(org, &more, None, api_version)?);
    }
    for (g, sets, mutes) in groups {
        let mut grp = Effective::default();
        for ps in &sets {
            let doc = docs
                .get(&("PermissionSet".to_string(), ps.clone()))
                .ok_or_else(|| missing(format!("permission set `{ps}` of group `{g}`")))?;
            add(&mut grp, 0, doc);
        }
        for m in &mutes {
            let doc = docs
                .get(&("MutingPermissionSet".to_string(), m.clone()))
                .ok_or_else(|| missing(format!("muting permission set `{m}` of group `{g}`")))?;
            let mut muted = Effective::default();
            add(&mut muted, 0, doc);
            mute(&mut grp, &muted);
        }
        eff.sources.push(Source {
            kind: "permission set group",
            name: g,
        });
        let idx = eff.sources.len() - 1;
        merge(&mut eff, idx, &grp);
    }
    Ok(eff)
}

/// Takes away from `grp` every grant `muted` holds (a muting permission
/// set lists what it mutes as enabled).
fn mute(grp: &mut Effective, muted: &Effective) {
    grp.system.retain(|k, _| !muted.system.contains_key(k));
    grp.objects.retain(|k, _| !muted.objects.contains_key(k));
    grp.fields.retain(|k, _| !muted.fields.contains_key(k));
    grp.pages.retain(|k, _| !muted.pages.contains_key(k));
    grp.classes.retain(|k, _| !muted.classes.contains_key(k));
}

/// Adds every grant of `g` to `eff` as coming from source `idx`.
fn merge(eff: &mut Effective, idx: usize, g: &Effective) {
    fn into<K: Ord + Clone>(
        to: &mut BTreeMap<K, BTreeSet<usize>>,
        from: &BTreeMap<K, BTreeSet<usize>>,
        idx: usize,
    ) {
        for k in from.keys() {
            to.entry(k.clone()).or_default().insert(idx);
        }
    }
    into(&mut eff.system, &g.system, idx);
    into(&mut eff.objects, &g.objects, idx);
    into(&mut eff.fields, &g.fields, idx);
    into(&mut eff.pages, &g.pages, idx);
    into(&mut eff.classes, &g.classes, idx);
}

fn flag(e: &Element<'_>, name: &str) -> bool {
    e.child_text(name) == Some("true")
}

/// Adds the grants of one profile or permission set document.
fn add(eff: &mut Effective, idx: usize, root: &Element<'_>) {
    for e in root.children() {
        match e.name.as_ref() {
            "userPermissions" if flag(e, "enabled") => {
                if let Some(n) = e.child_text("name") {
                    eff.system.entry(n.to_string()).or_default().insert(idx);
                }
            }
            "objectPermissions" => {
                let Some(o) = e.child_text("object") else {
                    continue;
                };
                for (f, _) in OBJECT_FLAGS {
                    if flag(e, f) {
                        eff.objects
                            .entry((o.to_string(), *f))
                            .or_default()
                            .insert(idx);
                    }
                }
            }
            "fieldPermissions" => {
                let Some(field) = e.child_text("field") else {
                    continue;
                };
                for (f, level) in [("readable", "read"), ("editable", "edit")] {
                    if flag(e, f) {
                        eff.fields
                            .entry((field.to_string(), level))
                            .or_default()
                            .insert(idx);
                    }
                }
            }
            "pageAccesses" if flag(e, "enabled") => {
                if let Some(p) = e.child_text("apexPage") {
                    eff.pages.entry(p.to_string()).or_default().insert(idx);
                }
            }
            "classAccesses" if flag(e, "enabled") => {
                if let Some(c) = e.child_text("apexClass") {
                    eff.classes.entry(c.to_string()).or_default().insert(idx);
                }
            }
            "loginIpRanges" => eff.login_ip_ranges.push((
                e.child_text("startAddress").unwrap_or_default().to_string(),
                e.child_text("endAddress").unwrap_or_default().to_string(),
            )),
            "loginHours" => eff.login_hours = !e.children().is_empty(),
            _ => {}
        }
    }
}

/// The connected apps the user's profile and permission sets open
/// (SetupEntityAccess rows): two queries.
fn apps(
    org: &dyn OrgRead,
    holder_ids: &[String],
    user: &UserFacts,
    eff: &mut Effective,
) -> Result<(), AuditError> {
    if holder_ids.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = holder_ids.iter().map(|i| soql_quote(i)).collect();
    let rows = org
        .query(&format!(
            "SELECT ParentId, Parent.Name, Parent.IsOwnedByProfile, SetupEntityId FROM SetupEntityAccess WHERE SetupEntityType = 'ConnectedApplication' AND ParentId IN ({})",
            ids.join(", ")
        ))?
        .records;
    if rows.is_empty() {
        return Ok(());
    }
    let app_ids: BTreeSet<String> = rows
        .iter()
        .filter_map(|r| text(r, "SetupEntityId").map(soql_quote))
        .collect();
    let apps = org
        .query(&format!(
            "SELECT Id, Name FROM ConnectedApplication WHERE Id IN ({})",
            app_ids.into_iter().collect::<Vec<_>>().join(", ")
        ))?
        .records;
    let same = same_id;
    for r in &rows {
        let Some(app) = text(r, "SetupEntityId")
            .and_then(|id| {
                apps.iter()
                    .find(|a| text(a, "Id").is_some_and(|x| same(x, id)))
            })
            .and_then(|a| text(a, "Name"))
        else {
            continue;
        };
        let owned = r
            .get("Parent")
            .and_then(|p| p.get("IsOwnedByProfile"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let source = if owned {
            Source {
                kind: "profile",
                name: user.profile.clone(),
            }
        } else {
            Source {
                kind: "permission set",
                name: text(r, "Parent.Name").unwrap_or_default().to_string(),
            }
        };
        let idx = match eff.sources.iter().position(|s| *s == source) {
            Some(i) => i,
            None => {
                eff.sources.push(source);
                eff.sources.len() - 1
            }
        };
        eff.apps.entry(app.to_string()).or_default().insert(idx);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_profiles_have_their_own_metadata_names() {
        assert_eq!(profile_full_name("System Administrator"), "Admin");
        assert_eq!(profile_full_name("standard user"), "Standard");
        assert_eq!(
            profile_full_name("Zendesk Admin Clone"),
            "Zendesk Admin Clone"
        );
    }

    #[test]
    fn a_group_holds_its_sets_less_what_its_muting_set_mutes() {
        let ps = metadata::parse("<PermissionSet><fieldPermissions><editable>true</editable><field>Case.Subject</field><readable>true</readable></fieldPermissions><objectPermissions><allowCreate>true</allowCreate><allowDelete>false</allowDelete><allowEdit>true</allowEdit><allowRead>true</allowRead><modifyAllRecords>false</modifyAllRecords><object>Case</object><viewAllRecords>false</viewAllRecords></objectPermissions><userPermissions><enabled>true</enabled><name>ApiEnabled</name></userPermissions><userPermissions><enabled>true</enabled><name>ExportReport</name></userPermissions></PermissionSet>").unwrap();
        let muting = metadata::parse("<MutingPermissionSet><label>M</label><fieldPermissions><editable>true</editable><field>Case.Subject</field><readable>false</readable></fieldPermissions><objectPermissions><allowCreate>true</allowCreate><allowDelete>false</allowDelete><allowEdit>false</allowEdit><allowRead>false</allowRead><modifyAllRecords>false</modifyAllRecords><object>Case</object><viewAllRecords>false</viewAllRecords></objectPermissions><userPermissions><enabled>true</enabled><name>ExportReport</name></userPermissions></MutingPermissionSet>").unwrap();
        let mut grp = Effective::default();
        add(&mut grp, 0, &ps.root);
        let mut muted = Effective::default();
        add(&mut muted, 0, &muting.root);
        mute(&mut grp, &muted);
        let mut eff = Effective::default();
        merge(&mut eff, 3, &grp);
        assert_eq!(eff.system.keys().collect::<Vec<_>>(), ["ApiEnabled"]);
        assert_eq!(eff.system["ApiEnabled"], BTreeSet::from([3]));
        let flags: Vec<_> = eff.objects.keys().map(|(_, f)| *f).collect();
        assert_eq!(flags, ["allowEdit", "allowRead"]);
        let fields: Vec<_> = eff.fields.keys().map(|(_, l)| *l).collect();
        assert_eq!(fields, ["read"]);
    }

    #[test]
    fn grants_keep_their_sources() {
        let doc = metadata::parse(
            "<Profile><custom>true</custom><fieldPermissions><editable>false</editable><field>Case.Subject</field><readable>true</readable></fieldPermissions><loginIpRanges><endAddress>10.0.0.255</endAddress><startAddress>10.0.0.0</startAddress></loginIpRanges><objectPermissions><allowCreate>false</allowCreate><allowDelete>false</allowDelete><allowEdit>true</allowEdit><allowRead>true</allowRead><modifyAllRecords>false</modifyAllRecords><object>Case</object><viewAllRecords>true</viewAllRecords></objectPermissions><pageAccesses><apexPage>P</apexPage><enabled>false</enabled></pageAccesses><userPermissions><enabled>true</enabled><name>ApiEnabled</name></userPermissions><userPermissions><enabled>false</enabled><name>ModifyAllData</name></userPermissions></Profile>",
        )
        .unwrap();
        let mut eff = Effective::default();
        add(&mut eff, 0, &doc.root);
        add(&mut eff, 1, &doc.root);
        assert_eq!(eff.system.keys().collect::<Vec<_>>(), ["ApiEnabled"]);
        assert_eq!(eff.system["ApiEnabled"].len(), 2);
        let flags: Vec<_> = eff.objects.keys().map(|(_, f)| *f).collect();
        assert_eq!(flags, ["allowEdit", "allowRead", "viewAllRecords"]);
        assert!(eff.fields.contains_key(&("Case.Subject".into(), "read")));
        assert!(!eff.fields.contains_key(&("Case.Subject".into(), "edit")));
        assert!(eff.pages.is_empty());
        assert_eq!(eff.login_ip_ranges.len(), 2);
    }
}
