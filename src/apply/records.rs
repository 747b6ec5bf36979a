//! The record steps of apply: the user (matched by Username), permission set
//! license assignments, permission set assignments, the removals the plan
//! showed, and connected-app access rows. Every write is preceded by a
//! query; an existing row or a duplicate answer counts as done, and a write
//! whose answer was lost (dropped connection, timeout, 5xx) is settled by
//! querying again: so a re-run never makes a second user or assignment.
//! Does not: deploy metadata or decide what the plan holds.

use serde_json::{Map, Value};

use super::observer::{ApplyObserver, RecordAction, Step};
use super::{ApplyError, Tally};
use crate::org::error::OrgError;
use crate::org::rest::soql_quote;
use crate::org::write::OrgWrite;
use crate::org::ApiErrorCode;
use crate::plan::user::{UserAction, UserPlan};
use crate::plan::Action;

/// The first row's `Id` of a query.
fn first_id(org: &dyn OrgWrite, soql: &str) -> Result<Option<String>, ApplyError> {
    let r = org.query(soql)?;
    Ok(r.records
        .first()
        .and_then(|r| r.get("Id"))
        .and_then(Value::as_str)
        .map(str::to_string))
}

/// Whether the org may have acted on a write whose answer never came.
fn answer_lost(e: &OrgError) -> bool {
    match e {
        OrgError::Timeout { .. } | OrgError::Transport { .. } => true,
        OrgError::Http { status, .. } => *status >= 500,
        OrgError::Rest { status, .. } => *status >= 500,
        _ => false,
    }
}

fn codes(e: &OrgError) -> Vec<ApiErrorCode> {
    match e {
        OrgError::Rest { errors, .. } => errors.iter().map(|e| e.code.clone()).collect(),
        OrgError::Api { error, .. } => vec![error.code.clone()],
        _ => Vec::new(),
    }
}

fn has_code(e: &OrgError, name: &str) -> bool {
    codes(e).iter().any(|c| c.as_str() == name)
}

/// Creates a record unless `find` finds it; a duplicate answer, or a lost
/// answer after which `find` finds it, counts as done.
fn ensure(
    org: &dyn OrgWrite,
    sobject: &str,
    fields: &Map<String, Value>,
    find: &dyn Fn() -> Result<Option<String>, ApplyError>,
) -> Result<(String, RecordAction), ApplyError> {
    if let Some(id) = find()? {
        return Ok((id, RecordAction::Existing));
    }
    match org.create(sobject, fields) {
        Ok(id) => Ok((id, RecordAction::Created)),
        Err(e) if has_code(&e, "DUPLICATE_VALUE") || answer_lost(&e) => match find()? {
            Some(id) if answer_lost(&e) => Ok((id, RecordAction::Created)),
            Some(id) => Ok((id, RecordAction::Existing)),
            None => Err(e.into()),
        },
        Err(e) => Err(e.into()),
    }
}

/// The user's id by Username, if it exists.
pub fn user_id(org: &dyn OrgWrite, username: &str) -> Result<Option<String>, ApplyError> {
    first_id(
        org,
        &format!(
            "SELECT Id FROM User WHERE Username = {}",
            soql_quote(username)
        ),
    )
}

/// The hint for a Salesforce error on the user record.
pub fn user_hint(e: &OrgError, username: &str) -> Option<String> {
    let c = codes(e);
    let has = |n: &str| c.iter().any(|x| x.as_str() == n);
    Some(if has("DUPLICATE_USERNAME") {
        format!("usernames are unique across all Salesforce orgs, and `{username}` is taken in another org (a sandbox copy counts): set another [user] username, e.g. with your company's domain")
    } else if has("LICENSE_LIMIT_EXCEEDED") {
        "no seat of the profile's user license is free: deactivate a user holding it or buy a seat (`sfprov org info` shows the seats), then run apply again".into()
    } else if has("REQUIRED_FIELD_MISSING") {
        "set the missing field in [user] (username, email, last_name, alias, time_zone, locale are required for a new user)".into()
    } else if has("INVALID_EMAIL_ADDRESS") {
        "[user] username and email must look like name@domain.example".into()
    } else if has("STRING_TOO_LONG") {
        "[user] alias holds at most 8 characters".into()
    } else if has("FIELD_INTEGRITY_EXCEPTION") {
        "the profile's user license does not allow this: pick a profile of the license the spec names ([user] profile, license)".into()
    } else if has("INVALID_CROSS_REFERENCE_KEY") {
        "a record the user refers to (its profile) is missing: check [user] profile".into()
    } else if has("INSUFFICIENT_ACCESS") || has("INSUFFICIENT_ACCESS_OR_READONLY") {
        "the user sfprov logs in as needs Manage Users to create users".into()
    } else if has("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST") {
        "[user] time_zone, locale, language or email_encoding is not a value Salesforce knows (see GET /sobjects/User/describe)".into()
    } else {
        return e.hint();
    })
}

/// The User fields to send: the plan's `fields`, `Profile.Name` as ProfileId.
fn user_fields(
    org: &dyn OrgWrite,
    u: &UserPlan,
    create: bool,
) -> Result<Map<String, Value>, ApplyError> {
    let mut out = Map::new();
    if create {
        out.insert("Username".into(), Value::from(u.username.clone()));
    }
    for f in &u.fields {
        let Some(v) = &f.after else { continue };
        if f.name == "Profile.Name" {
            let id = first_id(
                org,
                &format!("SELECT Id FROM Profile WHERE Name = {}", soql_quote(v)),
            )?
            .ok_or_else(|| ApplyError::Missing {
                what: format!("profile `{v}`"),
                hint: "the deploy creates the spec's profiles; check [user] profile against Setup > Profiles".into(),
            })?;
            out.insert("ProfileId".into(), Value::from(id));
        } else if !f.name.contains('.') {
            out.insert(f.name.clone(), Value::from(v.clone()));
        }
    }
    Ok(out)
}

/// Step 5: the user, created or updated. Returns its id.
pub fn user(
    org: &dyn OrgWrite,
    u: &UserPlan,
    send_password_email: bool,
    tally: &mut Tally,
    obs: &mut dyn ApplyObserver,
) -> Result<Option<String>, ApplyError> {
    let wrap = |e: OrgError| ApplyError::User {
        hint: user_hint(&e, &u.username),
        source: Box::new(e),
    };
    let existing = user_id(org, &u.username)?;
    let (id, action) = match (existing, u.action) {
        (_, UserAction::Inactive) => return Ok(None),
        (Some(id), UserAction::Unchanged) => (id, RecordAction::Existing),
        (Some(id), _) => {
            // Planned as an update, or a create a previous run already made:
            // send the plan's fields (setting a field to its value is a no-op).
            let fields = user_fields(org, u, false)?;
            if fields.is_empty() {
                (id, RecordAction::Existing)
            } else {
                org.update("User", &id, &fields).map_err(wrap)?;
                (id, RecordAction::Updated)
            }
        }
        (None, _) => {
            let fields = user_fields(org, u, true)?;
            let find = || user_id(org, &u.username);
            match org.create("User", &fields) {
                Ok(id) => (id, RecordAction::Created),
                Err(e) if answer_lost(&e) => match find()? {
                    Some(id) => (id, RecordAction::Created),
                    None => return Err(wrap(e)),
                },
                Err(e) => return Err(wrap(e)),
            }
        }
    };
    match action {
        RecordAction::Created => tally.added += 1,
        RecordAction::Updated => tally.changed += 1,
        _ => {}
    }
    obs.record(Step::User, action, "User", &u.username);
    if send_password_email && action == RecordAction::Created {
        org.reset_password(&id).map_err(wrap)?;
        obs.record(Step::User, RecordAction::PasswordReset, "User", &u.username);
    }
    Ok(Some(id))
}

/// An assignment record: the user and one permission set (license).
struct Junction {
    sobject: &'static str,
    /// The field naming what is assigned (`PermissionSetId`).
    reference: &'static str,
    /// The query finding what is assigned by name (`{}`: the quoted name).
    lookup: &'static str,
    missing: &'static str,
    hint: &'static str,
}

impl Junction {
    /// Query first; an existing row or a duplicate answer counts as done.
    fn assign(
        &self,
        org: &dyn OrgWrite,
        user_id: &str,
        name: &str,
        tally: &mut Tally,
        obs: &mut dyn ApplyObserver,
    ) -> Result<(), ApplyError> {
        let target =
            first_id(org, &self.lookup.replace("{}", &soql_quote(name)))?.ok_or_else(|| {
                ApplyError::Missing {
                    what: format!("{} `{name}`", self.missing),
                    hint: self.hint.into(),
                }
            })?;
        let mut fields = Map::new();
        fields.insert("AssigneeId".into(), Value::from(user_id));
        fields.insert(self.reference.into(), Value::from(target.clone()));
        let find = || {
            first_id(
                org,
                &format!(
                    "SELECT Id FROM {} WHERE AssigneeId = {} AND {} = {}",
                    self.sobject,
                    soql_quote(user_id),
                    self.reference,
                    soql_quote(&target)
                ),
            )
        };
        let (_, action) =
            ensure(org, self.sobject, &fields, &find).map_err(|e| e.assignment(name))?;
        if action == RecordAction::Created {
            tally.added += 1;
        }
        obs.record(Step::Assignments, action, self.sobject, name);
        Ok(())
    }
}

/// Step 6: permission set licenses, then permission sets, then removals.
pub fn assignments(
    org: &dyn OrgWrite,
    u: &UserPlan,
    user_id: &str,
    tally: &mut Tally,
    obs: &mut dyn ApplyObserver,
) -> Result<(), ApplyError> {
    let psl = Junction {
        sobject: "PermissionSetLicenseAssign",
        reference: "PermissionSetLicenseId",
        lookup: "SELECT Id FROM PermissionSetLicense WHERE DeveloperName = {}",
        missing: "permission set license",
        hint: "`sfprov org info` lists the org's licenses; fix [user] permission_set_licenses",
    };
    let ps = Junction {
        sobject: "PermissionSetAssignment",
        reference: "PermissionSetId",
        // Not a group's aggregate set, which may carry the same name.
        lookup: "SELECT Id FROM PermissionSet WHERE Name = {} AND IsOwnedByProfile = false AND PermissionSetGroupId = null",
        missing: "permission set",
        hint:
            "add it to the spec's [permission_sets] (the deploy creates it) or create it in the org",
    };
    for (j, list) in [
        (&psl, &u.permission_set_licenses),
        (&ps, &u.permission_sets),
    ] {
        for a in list.iter().filter(|a| a.action == Action::Add) {
            j.assign(org, user_id, &a.name, tally, obs)?;
        }
    }
    let uid = soql_quote(user_id);
    // Removals: permission sets first, since a license cannot go while a
    // permission set that needs it is assigned.
    let removals = u
        .permission_sets
        .iter()
        .map(|a| (a, "PermissionSetAssignment", "PermissionSet.Name"))
        .chain(u.permission_set_licenses.iter().map(|a| {
            (
                a,
                "PermissionSetLicenseAssign",
                "PermissionSetLicense.DeveloperName",
            )
        }))
        .filter(|(a, _, _)| a.action == Action::Remove);
    for (a, sobject, name_field) in removals {
        let row = first_id(
            org,
            &format!(
                "SELECT Id FROM {sobject} WHERE AssigneeId = {uid} AND {name_field} = {}",
                soql_quote(&a.name)
            ),
        )?;
        let action = match row {
            None => RecordAction::Existing,
            Some(id) => match org.delete(sobject, &id) {
                Ok(()) => RecordAction::Deleted,
                Err(e) if has_code(&e, "NOT_FOUND") => RecordAction::Existing,
                Err(e) if answer_lost(&e) => {
                    if first_id(
                        org,
                        &format!("SELECT Id FROM {sobject} WHERE Id = {}", soql_quote(&id)),
                    )?
                    .is_some()
                    {
                        return Err(ApplyError::from(e).assignment(&a.name));
                    }
                    RecordAction::Deleted
                }
                Err(e) => return Err(ApplyError::from(e).assignment(&a.name)),
            },
        };
        if action == RecordAction::Deleted {
            tally.removed += 1;
        }
        obs.record(Step::Assignments, action, sobject, &a.name);
    }
    Ok(())
}

/// One access row a plan asks for: the app `app` (a connected app or an
/// External Client App) opened to permission set `parent` (a profile's own
/// permission set when `profile` is set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppAccess {
    pub parent: String,
    pub profile: bool,
    pub app: String,
    pub external: bool,
}

/// The access rows the plan adds (`+ access to connected app …`): apps
/// sfprov does not create, opened to a profile (its own permission set) or a
/// permission set. Apps sfprov creates carry access in their own files.
pub fn app_access_rows(plan: &crate::plan::Plan) -> Vec<AppAccess> {
    use crate::plan::apps::Holder;
    plan.app_access
        .iter()
        .filter(|a| a.action == crate::diff::Action::Add)
        .map(|a| AppAccess {
            parent: a.holder.clone(),
            profile: a.holder_kind == Holder::Profile,
            app: a.app.clone(),
            external: false,
        })
        .collect()
}

/// Step 7: SetupEntityAccess rows, query first, duplicates count as done.
pub fn app_access(
    org: &dyn OrgWrite,
    rows: &[AppAccess],
    tally: &mut Tally,
    obs: &mut dyn ApplyObserver,
) -> Result<(), ApplyError> {
    for r in rows {
        let parent_q = if r.profile {
            format!(
                "SELECT Id FROM PermissionSet WHERE Profile.Name = {} AND IsOwnedByProfile = true",
                soql_quote(&r.parent)
            )
        } else {
            format!(
                "SELECT Id FROM PermissionSet WHERE Name = {} AND IsOwnedByProfile = false",
                soql_quote(&r.parent)
            )
        };
        let missing = |what: String| {
            ApplyError::Missing {
            what,
            hint: "the deploy step creates the spec's profiles and permission sets; install the app's package first".into(),
        }
        };
        // A permission set is named by API name or, as Setup shows it, by label.
        let by_label = (!r.profile).then(|| {
            format!(
                "SELECT Id FROM PermissionSet WHERE Label = {} AND IsOwnedByProfile = false",
                soql_quote(&r.parent)
            )
        });
        let parent = match first_id(org, &parent_q)? {
            Some(id) => Some(id),
            None => match &by_label {
                Some(q) => first_id(org, q)?,
                None => None,
            },
        }
        .ok_or_else(|| missing(format!("`{}`", r.parent)))?;
        let app_q = if r.external {
            format!(
                "SELECT Id FROM ExternalClientApplication WHERE DeveloperName = {}",
                soql_quote(&r.app)
            )
        } else {
            format!(
                "SELECT Id FROM ConnectedApplication WHERE Name = {}",
                soql_quote(&r.app)
            )
        };
        let app = first_id(org, &app_q)?.ok_or_else(|| missing(format!("app `{}`", r.app)))?;
        let mut fields = Map::new();
        fields.insert("ParentId".into(), Value::from(parent.clone()));
        fields.insert("SetupEntityId".into(), Value::from(app.clone()));
        let find = || {
            first_id(
                org,
                &format!(
                    "SELECT Id FROM SetupEntityAccess WHERE ParentId = {} AND SetupEntityId = {}",
                    soql_quote(&parent),
                    soql_quote(&app)
                ),
            )
        };
        let (_, action) = ensure(org, "SetupEntityAccess", &fields, &find)?;
        if action == RecordAction::Created {
            tally.added += 1;
        }
        obs.record(
            Step::AppAccess,
            action,
            "SetupEntityAccess",
            &format!("{} -> {}", r.parent, r.app),
        );
    }
    Ok(())
}
