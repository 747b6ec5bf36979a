//! What sfprov knows about Salesforce, as data: permission names and their
//! dependencies, objects and fields that cannot carry some access.
//! Owns: lookups and "did you mean" suggestions over those tables.
//! Does not: talk to an org. An org can know more than this catalog (features
//! add permissions); plan and apply check against the org itself.

pub mod licenses;
mod user_fields;
mod user_permissions;

pub use user_fields::{is_locale, is_time_zone, LOCALES, TIME_ZONES};
pub use user_permissions::USER_PERMISSIONS;

/// System permissions that need others, as Salesforce enforces on deploy
/// ("Permission X depends on permission(s): Y"). Sources: metadata-types.md
/// rows 4, 21, 22 (permission sets seen in two real orgs), jsforce#749
/// (ManageUsers -> ViewRoles), NPSP#3979 (CustomizeApplication ->
/// ManageTranslation). Only direct requirements; `closure` follows chains.
pub static DEPENDENCIES: &[(&str, &[&str])] = &[
    ("ApiUserOnly", &["ApiEnabled"]),
    ("CustomizeApplication", &["ManageTranslation", "ViewSetup"]),
    ("ManageUsers", &["ViewRoles", "ViewSetup"]),
    (
        "ModifyAllData",
        &[
            "AssignTopics",
            "ConnectOrgToEnvironmentHub",
            "ConvertLeads",
            "CreateCustomizeDashboards",
            "CreateCustomizeFilters",
            "CreateCustomizeReports",
            "CreateDashboardFolders",
            "CreateReportFolders",
            "CreateTopics",
            "DeleteTopics",
            "EditEvent",
            "EditMyDashboards",
            "EditMyReports",
            "EditPublicDocuments",
            "EditPublicFilters",
            "EditPublicTemplates",
            "EditTask",
            "EditTopics",
            "ImportLeads",
            "ManageCategories",
            "ManageDashbdsInPubFolders",
            "ManageNetworks",
            "ManageReportsInPubFolders",
            "ModifyMetadata",
            "RunReports",
            "SolutionImport",
            "TransferAnyEntity",
            "TransferAnyLead",
            "UseTeamReassignWizards",
            "ViewAllData",
            "ViewEventLogFiles",
            "ViewPublicDashboards",
            "ViewPublicReports",
            "ViewRoles",
            "ViewSetup",
        ],
    ),
    ("ModifyMetadata", &["ViewRoles", "ViewSetup"]),
    (
        "ViewAllData",
        &[
            "ViewEventLogFiles",
            "ViewPublicDashboards",
            "ViewPublicReports",
            "ViewRoles",
            "ViewSetup",
        ],
    ),
    ("ViewEventLogFiles", &["ApiEnabled"]),
];

/// Whether a user-permission API name is a standard one sfprov knows.
pub fn is_known_permission(name: &str) -> bool {
    USER_PERMISSIONS.binary_search(&name).is_ok()
}

/// The permissions `name` directly requires.
pub fn requires(name: &str) -> &'static [&'static str] {
    DEPENDENCIES
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(&[], |(_, r)| r)
}

/// Everything `name` requires, directly or through others, sorted, without
/// `name` itself.
pub fn closure(name: &str) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    let mut todo: Vec<&'static str> = requires(name).to_vec();
    while let Some(n) = todo.pop() {
        if n != name && !out.contains(&n) {
            out.push(n);
            todo.extend_from_slice(requires(n));
        }
    }
    out.sort_unstable();
    out
}

/// Standard objects sfprov knows: every object without a namespace or custom
/// suffix in the object and field permissions of the two real orgs in
/// tests/corpus. Orgs have more (features add objects), so an unknown name is a
/// warning with "did you mean", not an error; plan checks the org itself.
pub static STANDARD_OBJECTS: &[&str] = &[
    "AIInsightReason",
    "AIRecordInsight",
    "Account",
    "AccountBrand",
    "AccountContactRelation",
    "ActionPlan",
    "ActionPlanTemplate",
    "ActiveScratchOrg",
    "Address",
    "AiMetadataSyncStatus",
    "AppAnalyticsQueryRequest",
    "ApprovalSubmission",
    "ArchiveJobSession",
    "Asset",
    "AssetRelationship",
    "AuthDomainStatusEvent",
    "AuthorizationForm",
    "AuthorizationFormConsent",
    "AuthorizationFormDataUse",
    "AuthorizationFormText",
    "BackgroundOperation",
    "BusinessAlert",
    "BusinessAlertStatus",
    "BusinessBrand",
    "Campaign",
    "CampaignMember",
    "Case",
    "CommSubscription",
    "CommSubscriptionChannelType",
    "CommSubscriptionConsent",
    "CommSubscriptionTiming",
    "Contact",
    "ContactPointAddress",
    "ContactPointConsent",
    "ContactPointEmail",
    "ContactPointPhone",
    "ContactPointTypeConsent",
    "ContactRequest",
    "ContentVersion",
    "Contract",
    "ConversationApiLog",
    "ConversationApiLogObjSum",
    "Customer",
    "DataAnlytConfigDeleteEvent",
    "DataAnlytConfigExportEvent",
    "DataAnlytConfigSync",
    "DataUseLegalBasis",
    "DataUsePurpose",
    "DelegatedAccount",
    "Document",
    "DuplicateRecordSet",
    "Employee",
    "EngagementChannelType",
    "Event",
    "Idea",
    "Image",
    "Individual",
    "InternalOrganizationUnit",
    "Lead",
    "Location",
    "LocationTrustMeasure",
    "Macro",
    "MessagingEndUser",
    "MessagingSession",
    "NamespaceRegistry",
    "Opportunity",
    "OpportunityLineItem",
    "Order",
    "OrderItem",
    "PartyConsent",
    "Pricebook2",
    "PrivacyConsent",
    "ProcessException",
    "Product2",
    "PushTopic",
    "Question",
    "QuickText",
    "RebatePayoutSnapshot",
    "Scorecard",
    "ScorecardAssociation",
    "ScorecardMetric",
    "ScratchOrgInfo",
    "Seller",
    "ServiceOpPriorityConfig",
    "SharingRecordCollection",
    "SocialPersona",
    "SocialPost",
    "Solution",
    "SrvcMgmntEmailRoutgAddr",
    "StreamingChannel",
    "SvcCatalogReqRelatedItem",
    "SvcCatalogRequest",
    "Task",
    "User",
    "UserDefinedLabel",
    "UserExternalCredential",
    "WebCartDocument",
];

/// Whether an object API name is custom or namespaced (`Foo__c`, `ns__Bar__c`,
/// `Baz__mdt`, `Evt__e`), so a standard-object list cannot judge it.
pub fn is_custom_object(name: &str) -> bool {
    name.contains("__")
}

/// Whether a standard object name is one sfprov knows.
pub fn is_known_standard_object(name: &str) -> bool {
    STANDARD_OBJECTS.binary_search(&name).is_ok()
}

/// Objects whose Read needs Read on another object. Contact sharing is
/// "Controlled by Parent" in a new org, so Salesforce refuses Read Account
/// without Read Contact and the reverse ("Permission Read Account depends on
/// permission(s): Read Contact", trailheadapps/apex-recipes#22 and #57).
pub static OBJECT_READ_DEPENDENCIES: &[(&str, &[&str])] =
    &[("Account", &["Contact"]), ("Contact", &["Account"])];

/// Objects whose Read `object`'s Read needs.
pub fn object_read_requires(object: &str) -> &'static [&'static str] {
    OBJECT_READ_DEPENDENCIES
        .iter()
        .find(|(o, _)| *o == object)
        .map_or(&[], |(_, r)| r)
}

/// Objects that have no View All / Modify All records flags: `full` access
/// there means create, read, edit, delete only. A Modify-All-Data permission
/// set in a real org lists PushTopic with both flags false (metadata-types.md
/// row 5).
pub static NO_VIEW_ALL_OBJECTS: &[&str] = &["PushTopic"];

/// Standard fields that cannot carry field-level security, with the reason.
/// Required fields have no FLS from API 30.0 (they are readable whenever the
/// object is); system and audit fields are read-only for everyone.
pub static NO_FLS_FIELDS: &[(&str, &str)] = &[
    (
        "Account.Name",
        "Account Name is required; it is readable whenever Account is",
    ),
    ("Case.CaseNumber", "Case Number is a system-generated field"),
    (
        "Case.Status",
        "Status is required on Case; object Edit access is enough to change it",
    ),
    (
        "Contact.LastName",
        "Last Name is required on Contact; it is readable whenever Contact is",
    ),
    (
        "Lead.Company",
        "Company is required on Lead; it is readable whenever Lead is",
    ),
    (
        "Lead.LastName",
        "Last Name is required on Lead; it is readable whenever Lead is",
    ),
    ("Lead.Status", "Lead Status is required on Lead"),
    (
        "Opportunity.CloseDate",
        "Close Date is required on Opportunity",
    ),
    (
        "Opportunity.Name",
        "Opportunity Name is required; it is readable whenever Opportunity is",
    ),
    ("Opportunity.StageName", "Stage is required on Opportunity"),
];

/// Fields on every object that cannot carry field-level security.
pub static NO_FLS_ANY_OBJECT: &[(&str, &str)] = &[
    (
        "CreatedById",
        "audit fields are set by Salesforce and readable by everyone",
    ),
    (
        "CreatedDate",
        "audit fields are set by Salesforce and readable by everyone",
    ),
    ("Id", "the record Id is always readable"),
    ("IsDeleted", "a system field"),
    (
        "LastModifiedById",
        "audit fields are set by Salesforce and readable by everyone",
    ),
    (
        "LastModifiedDate",
        "audit fields are set by Salesforce and readable by everyone",
    ),
    (
        "OwnerId",
        "Owner is required; ownership is governed by sharing, not FLS",
    ),
    (
        "SystemModstamp",
        "audit fields are set by Salesforce and readable by everyone",
    ),
];

/// Address components and the compound field that carries their FLS.
pub static ADDRESS_COMPONENTS: &[(&str, &str)] = &[
    ("Billing", "BillingAddress"),
    ("Shipping", "ShippingAddress"),
    ("Mailing", "MailingAddress"),
    ("Other", "OtherAddress"),
    ("", "Address"),
];

/// Why a field cannot carry FLS, or `None` when it can.
pub fn no_fls_reason(field: &str) -> Option<&'static str> {
    if let Some((_, why)) = NO_FLS_FIELDS.iter().find(|(f, _)| *f == field) {
        return Some(why);
    }
    let (_, name) = field.split_once('.')?;
    NO_FLS_ANY_OBJECT
        .iter()
        .find(|(f, _)| *f == name)
        .map(|(_, why)| *why)
}

/// The compound address field to use instead of an address component
/// (`Account.BillingStreet` -> `Account.BillingAddress`), if `field` is one.
pub fn compound_address(field: &str) -> Option<String> {
    let (object, name) = field.split_once('.')?;
    for part in [
        "Street",
        "City",
        "State",
        "PostalCode",
        "Country",
        "Latitude",
        "Longitude",
        "GeocodeAccuracy",
        "StateCode",
        "CountryCode",
    ] {
        if let Some(prefix) = name.strip_suffix(part) {
            if let Some((_, compound)) = ADDRESS_COMPONENTS.iter().find(|(p, _)| *p == prefix) {
                return Some(format!("{object}.{compound}"));
            }
        }
    }
    None
}

/// The closest names to `input` (edit distance, case-insensitive), best first;
/// empty when nothing is close.
pub fn suggest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let lower = input.to_ascii_lowercase();
    let limit = (input.len() / 3).max(2);
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter_map(|c| levenshtein_within(&lower, &c.to_ascii_lowercase(), limit).map(|d| (d, c)))
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

/// Edit distance between two strings (insert, delete, substitute).
pub fn levenshtein(a: &str, b: &str) -> usize {
    levenshtein_within(a, b, usize::MAX).unwrap_or(usize::MAX)
}

/// The edit distance if it is at most `limit`, else `None`, giving up as soon
/// as a row exceeds it (so "did you mean" over thousands of mistyped keys
/// costs little).
pub fn levenshtein_within(a: &str, b: &str, limit: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        let mut row_min = cur[0];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
            row_min = row_min.min(cur[j + 1]);
        }
        if row_min > limit {
            return None;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    Some(prev[b.len()]).filter(|d| *d <= limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_list_is_sorted_unique_and_covers_the_corpus_and_seeds() {
        let mut sorted = USER_PERMISSIONS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, USER_PERMISSIONS);
        assert!(USER_PERMISSIONS.len() >= 195);
        for p in [
            "ApiEnabled",
            "ApiUserOnly",
            "ModifyMetadata",
            "ModifyAllData",
            "ViewAllData",
            "ManagePackageLicenses",
            "BypassMFAForUiLogins",
        ] {
            assert!(is_known_permission(p), "{p}");
        }
    }

    #[test]
    fn every_dependency_names_known_permissions() {
        for (name, reqs) in DEPENDENCIES {
            assert!(is_known_permission(name), "{name}");
            for r in *reqs {
                assert!(is_known_permission(r), "{name} -> {r}");
            }
        }
    }

    #[test]
    fn closure_follows_chains() {
        assert_eq!(closure("ModifyMetadata"), ["ViewRoles", "ViewSetup"]);
        let mad = closure("ModifyAllData");
        assert!(mad.contains(&"ViewAllData") && mad.contains(&"ApiEnabled"));
        assert!(closure("ApiEnabled").is_empty());
    }

    #[test]
    fn standard_objects() {
        let mut sorted = STANDARD_OBJECTS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, STANDARD_OBJECTS);
        for o in [
            "Account",
            "Case",
            "Contact",
            "Lead",
            "Opportunity",
            "PushTopic",
            "StreamingChannel",
        ] {
            assert!(is_known_standard_object(o), "{o}");
        }
        assert!(is_custom_object("Zendesk__Zendesk_Ticket__c"));
        assert_eq!(
            suggest("Acount", STANDARD_OBJECTS.iter().copied())[0],
            "Account"
        );
    }

    #[test]
    fn did_you_mean() {
        assert_eq!(
            suggest("ApiEnabeld", USER_PERMISSIONS.iter().copied())[0],
            "ApiEnabled"
        );
        assert_eq!(
            suggest("modifymetadata", USER_PERMISSIONS.iter().copied())[0],
            "ModifyMetadata"
        );
        assert!(suggest("Xyzzy", USER_PERMISSIONS.iter().copied()).is_empty());
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein_within("kitten", "sitting", 2), None);
        assert_eq!(levenshtein_within("kitten", "sitting", 3), Some(3));
        assert_eq!(levenshtein("", "abc"), 3);
    }

    #[test]
    fn fields_without_fls() {
        assert!(no_fls_reason("Account.Name").is_some());
        assert!(no_fls_reason("Case.Status").is_some());
        assert!(no_fls_reason("Case.OwnerId").is_some());
        assert!(no_fls_reason("Lead.Company").is_some());
        assert!(no_fls_reason("Opportunity.AccountId").is_none());
        assert!(no_fls_reason("Contact.Email").is_none());
        assert_eq!(
            compound_address("Account.BillingStreet").as_deref(),
            Some("Account.BillingAddress")
        );
        assert_eq!(
            compound_address("Lead.City").as_deref(),
            Some("Lead.Address")
        );
        assert_eq!(compound_address("Contact.Email"), None);
    }
}
