//! How risky a grant is, and what it lets an attacker holding the
//! integration's credentials do, in one line: a table, so a security
//! reviewer can read and extend it. Owns: `Risk`, the system permission
//! table, the rules for object, field, page, class and app access, and the
//! baseline every new profile gets (never reported).
//! Does not: decide what the spec needs (see `compare`).

use serde::Serialize;

/// Ordered: the most serious first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    Critical,
    High,
    Medium,
    Low,
}

impl Risk {
    pub fn label(self) -> &'static str {
        match self {
            Risk::Critical => "critical",
            Risk::High => "high",
            Risk::Medium => "medium",
            Risk::Low => "low",
        }
    }
}

/// System permissions worth naming: (API name, risk, consequence).
pub const SYSTEM: &[(&str, Risk, &str)] = &[
    ("ModifyAllData", Risk::Critical, "creates, edits and deletes every record in the org, whatever the sharing"),
    ("ViewAllData", Risk::Critical, "reads every record in the org, whatever the sharing"),
    ("ModifyMetadata", Risk::Critical, "changes the org's configuration and code through the Metadata API"),
    ("AuthorApex", Risk::Critical, "writes and runs Apex, which runs in system mode"),
    ("ManageUsers", Risk::Critical, "creates users, resets passwords, assigns profiles and permission sets: can make any user an administrator"),
    ("CustomizeApplication", Risk::Critical, "changes objects, fields, layouts, workflows and org settings"),
    ("ManageEncryptionKeys", Risk::Critical, "manages the org's encryption keys"),
    ("ManageProfilesPermissionsets", Risk::High, "edits profiles and permission sets, its own included"),
    ("AssignPermissionSets", Risk::High, "assigns permission sets to any user, itself included"),
    ("ManageInternalUsers", Risk::High, "creates and edits internal users"),
    ("ResetPasswords", Risk::High, "resets other users' passwords"),
    ("FreezeUsers", Risk::High, "freezes other users' logins"),
    ("BypassMFAForUiLogins", Risk::High, "logs in to the UI without multi-factor authentication (\"Waive Multi-Factor Authentication for Exempt Users\")"),
    ("PasswordNeverExpires", Risk::High, "its password never expires: a leaked password stays valid"),
    ("ManageSharing", Risk::High, "changes the org-wide sharing defaults and sharing rules"),
    ("ManageRoles", Risk::High, "changes the role hierarchy, and so who sees which records"),
    ("ManageIpAddresses", Risk::High, "changes the org's trusted IP ranges"),
    ("ManageLoginAccessPolicies", Risk::High, "changes who may log in as other users"),
    ("ManageRemoteAccess", Risk::High, "creates and edits connected apps and their OAuth policies"),
    ("ManageAuthProviders", Risk::High, "creates and edits authentication providers"),
    ("ManageCertificates", Risk::High, "creates and exports certificates and keys"),
    ("ManageDataIntegrations", Risk::High, "manages data integration rules"),
    ("ManageCustomPermissions", Risk::High, "creates and edits custom permissions"),
    ("ManageSandboxes", Risk::High, "creates, refreshes and deletes sandboxes"),
    ("InstallPackaging", Risk::High, "installs and uninstalls AppExchange packages"),
    ("DataExport", Risk::High, "exports all the org's data (weekly export)"),
    ("ManagePackageLicenses", Risk::High, "assigns managed package licenses to any user"),
    ("UseAnyApiClient", Risk::High, "uses any connected app, bypassing API Access Control"),
    ("CanApproveUninstalledApps", Risk::High, "authorizes connected apps no admin installed"),
    ("ManagePasswordPolicies", Risk::High, "changes the org's password policies"),
    ("ManageInteraction", Risk::High, "creates, edits and runs flows, which may run in system context"),
    ("ManageHealthCheck", Risk::Medium, "changes the org's security baseline in Health Check"),
    ("ViewEventLogFiles", Risk::Medium, "reads the org's event log files (every user's activity)"),
    ("ScheduleJob", Risk::Medium, "schedules Apex and reports to run"),
    ("ManageTranslation", Risk::Low, "edits translations of the org's labels"),
    ("ExportReport", Risk::Medium, "exports report results"),
    ("TransferAnyEntity", Risk::Medium, "transfers any record to another owner"),
    ("EditReadonlyFields", Risk::Medium, "edits fields page layouts make read-only"),
    ("ViewAllUsers", Risk::Medium, "sees every user in the org"),
    ("ViewSetup", Risk::Medium, "sees the org's Setup configuration"),
    ("ViewRoles", Risk::Low, "sees the role hierarchy"),
    ("ApiEnabled", Risk::Medium, "reads and writes data through the API"),
];

/// Permissions that restrict a user: holding one is never excess.
pub const RESTRICTIVE: &[&str] = &["ApiUserOnly"];

/// What every new custom profile starts with (Salesforce's "Minimum Access -
/// Salesforce" baseline): nothing to report, and nothing a deploy can take
/// away.
pub const BASELINE: &[&str] = &["ChatterInternalUser", "LightningExperienceUser"];

/// The risk and consequence of a system permission.
pub fn system(name: &str) -> (Risk, String) {
    match SYSTEM.iter().find(|(n, _, _)| *n == name) {
        Some((_, r, c)) => (*r, (*c).to_string()),
        None => (
            Risk::Low,
            "one more thing the integration can do".to_string(),
        ),
    }
}

/// The risk and consequence of object flags on `object` (Setup names).
pub fn object(object: &str, flags: &[&str]) -> (Risk, String) {
    let has = |f: &str| flags.contains(&f);
    if has("Modify All") {
        (
            Risk::High,
            format!("edits and deletes every {object} record, whatever the sharing"),
        )
    } else if has("View All") || has("View All Fields") {
        (
            Risk::High,
            format!("reads every {object} record, whatever the sharing"),
        )
    } else if has("Delete") {
        (Risk::Medium, format!("deletes {object} records it can see"))
    } else if has("Create") || has("Edit") {
        (Risk::Medium, format!("creates or edits {object} records"))
    } else {
        (Risk::Low, format!("reads {object} records it can see"))
    }
}

/// The risk and consequence of field access.
pub fn field(field: &str, edit: bool) -> (Risk, String) {
    if edit {
        (Risk::Low, format!("edits {field}"))
    } else {
        (Risk::Low, format!("reads {field}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_permission_exists() {
        for (n, _, _) in SYSTEM {
            assert!(crate::catalog::USER_PERMISSIONS.contains(n), "{n}");
        }
        for n in RESTRICTIVE.iter().chain(BASELINE) {
            assert!(crate::catalog::USER_PERMISSIONS.contains(n), "{n}");
        }
    }

    #[test]
    fn the_riskiest_come_first() {
        assert!(Risk::Critical < Risk::Low);
        assert_eq!(system("ModifyAllData").0, Risk::Critical);
        assert_eq!(system("SomethingHarmless").0, Risk::Low);
        assert_eq!(object("Account", &["Read", "View All"]).0, Risk::High);
        assert_eq!(object("Account", &["Read"]).0, Risk::Low);
    }
}
