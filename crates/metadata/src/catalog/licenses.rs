//! Which standard objects, with which access, each user license can carry.
//! Owns: the table per license (Salesforce, Salesforce Platform, Salesforce
//! Integration) that validation checks profile and permission-set grants
//! against, and that plan and audit reuse; `limit` answers one object.
//! Does not: know an org's own limits (plan checks the org), or custom objects
//! (every license here carries them).

/// Object access flags as the Metadata API has them (`allowCreate`, ...);
/// the spec's object grants use the same type (`spec::desired::ObjectFlags`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Flags {
    pub create: bool,
    pub read: bool,
    pub edit: bool,
    pub delete: bool,
    pub view_all: bool,
    pub modify_all: bool,
}

impl Flags {
    /// Nothing at all.
    pub const NONE: Flags = Flags {
        create: false,
        read: false,
        edit: false,
        delete: false,
        view_all: false,
        modify_all: false,
    };
    /// Read only.
    pub const R: Flags = Flags {
        read: true,
        ..Flags::NONE
    };
    /// Read and Create.
    pub const CR: Flags = Flags {
        create: true,
        ..Flags::R
    };
    /// Create, Read, Edit, Delete; no View All / Modify All.
    pub const CRUD: Flags = Flags {
        create: true,
        read: true,
        edit: true,
        delete: true,
        ..Flags::NONE
    };
    /// Everything, View All and Modify All included.
    pub const ALL: Flags = Flags {
        view_all: true,
        modify_all: true,
        ..Flags::CRUD
    };

    /// The names of the flags set in `self` but not in `allowed`, in the
    /// order Setup shows them.
    pub fn beyond(self, allowed: Flags) -> Vec<&'static str> {
        [
            (self.read && !allowed.read, "Read"),
            (self.create && !allowed.create, "Create"),
            (self.edit && !allowed.edit, "Edit"),
            (self.delete && !allowed.delete, "Delete"),
            (self.view_all && !allowed.view_all, "View All"),
            (self.modify_all && !allowed.modify_all, "Modify All"),
        ]
        .into_iter()
        .filter_map(|(over, name)| over.then_some(name))
        .collect()
    }

    /// The names of the flags set, in Setup's order (`Read, Create, Edit`).
    pub fn names(self) -> Vec<&'static str> {
        self.beyond(Flags::NONE)
    }
}

/// What a license allows on one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// The most it can carry.
    pub allowed: Flags,
    /// A permission set license the user must hold for `allowed` to apply
    /// (without it: no access), named as Setup shows it.
    pub needs_psl: Option<&'static str>,
    /// The source's words for this row (footnotes), shown in messages.
    pub note: &'static str,
}

/// One user license: its name and the standard objects it limits. Objects not
/// listed carry any access.
#[derive(Debug)]
pub struct License {
    pub name: &'static str,
    pub objects: &'static [(&'static str, Limit)],
}

/// The Company Communities permission set license, as Setup lists it in an org
/// ("Company Community for Force.com"). Lightning Platform Starter and Plus
/// include it; with it, Salesforce Platform users get Case access.
pub const COMPANY_COMMUNITIES_PSL: &str = "Company Community for Force.com";

const fn none(note: &'static str) -> Limit {
    Limit {
        allowed: Flags::NONE,
        needs_psl: None,
        note,
    }
}

const SALES: &str = "a Sales Cloud object: the Salesforce Platform license has no access to it";

/// Whether Salesforce changes a user's license from `have` to `want` when its
/// profile changes: only between the full licenses (Salesforce, Salesforce
/// Platform); never to or from a limited one such as Salesforce Integration.
pub fn convertible(have: &str, want: &str) -> bool {
    const FULL: &[&str] = &["Salesforce", "Salesforce Platform"];
    have.eq_ignore_ascii_case(want) || (FULL.contains(&have) && FULL.contains(&want))
}

/// The user licenses sfprov knows object limits for.
///
/// Salesforce: full CRM, every standard object with every access.
///
/// Salesforce Platform: Salesforce Help, "Features Available with Lightning
/// Platform Starter, Lightning Platform Plus, and Salesforce Platform Login
/// Licenses" (platform.users_license_types_communities_lightning_platform_details):
/// Accounts, Contacts, Documents: Read, Create, Edit, Delete, View All, Modify
/// All; Assets, Events and Calendar (and Tasks): Read, Create, Edit, Delete;
/// Ideas: Read (and Create: ISVforce User License Comparison, Lightning
/// Platform column "CR"); Cases: Read, Create, Edit, Delete with footnotes 2-4:
/// the table describes users who hold the Salesforce Platform license *and*
/// the Company Communities permission set license (the article's preface, as
/// quoted in sfblog.markhammer.net 2021/07/31, who reports assigning case
/// access without it fails); Campaigns, Contracts, Entitlements, Leads,
/// Opportunities, Products and Price Books, Quotes, Service Contracts,
/// Solutions, Forecasts: no access (empty cells; ISVforce User License
/// Comparison: "It prohibits Create, Read, Update, and Delete on Leads,
/// Opportunities, Products, Cases, Solutions, and Campaigns").
///
/// Salesforce Integration: API only; object access comes through the
/// Salesforce API Integration permission set license (which sfprov adds), and
/// then "many of the same user and object permissions that are commonly
/// available in the standard System Administrator profile" (Salesforce Help,
/// quoted in blog.taodrive.com): no object limits here.
pub static LICENSES: &[License] = &[
    License {
        name: "Salesforce",
        objects: &[],
    },
    License {
        name: "Salesforce Platform",
        objects: &[
            (
                "Asset",
                Limit {
                    allowed: Flags::CRUD,
                    needs_psl: None,
                    note: "Assets: Read, Create, Edit, Delete (no View All or Modify All)",
                },
            ),
            ("Campaign", none(SALES)),
            ("CampaignMember", none(SALES)),
            (
                "Case",
                Limit {
                    allowed: Flags::CRUD,
                    needs_psl: Some(COMPANY_COMMUNITIES_PSL),
                    note: "Cases: Read, Create, Edit, Delete, only with the Company Communities permission set license (the table's footnotes on Cases); no View All or Modify All",
                },
            ),
            ("Contract", none(SALES)),
            ("Entitlement", none("a Service Cloud object: the Salesforce Platform license has no access to it")),
            (
                "Event",
                Limit {
                    allowed: Flags::CRUD,
                    needs_psl: None,
                    note: "Events and Calendar: Read, Create, Edit, Delete (no View All or Modify All)",
                },
            ),
            ("ForecastingItem", none(SALES)),
            ("ForecastingQuota", none(SALES)),
            (
                "Idea",
                Limit {
                    allowed: Flags::CR,
                    needs_psl: None,
                    note: "Ideas: Read and Create",
                },
            ),
            ("Lead", none(SALES)),
            ("Opportunity", none(SALES)),
            ("OpportunityLineItem", none(SALES)),
            ("Pricebook2", none(SALES)),
            ("PricebookEntry", none(SALES)),
            ("Product2", none(SALES)),
            ("Quote", none(SALES)),
            ("QuoteLineItem", none(SALES)),
            ("ServiceContract", none("a Service Cloud object: the Salesforce Platform license has no access to it")),
            ("Solution", none("a Service Cloud object: the Salesforce Platform license has no access to it")),
            (
                "Task",
                Limit {
                    allowed: Flags::CRUD,
                    needs_psl: None,
                    note: "Tasks (activities): Read, Create, Edit, Delete (no View All or Modify All)",
                },
            ),
        ],
    },
    License {
        name: "Salesforce Integration",
        objects: &[],
    },
];

/// The license named `name`, if sfprov knows its object limits.
pub fn license(name: &str) -> Option<&'static License> {
    LICENSES.iter().find(|l| l.name == name)
}

/// What `license` allows on `object`; `None` when it does not limit it (or
/// sfprov does not know the license).
pub fn limit(license: &str, object: &str) -> Option<&'static Limit> {
    let objects = self::license(license)?.objects;
    objects
        .binary_search_by(|(o, _)| (*o).cmp(object))
        .ok()
        .map(|i| &objects[i].1)
}

/// Whether `psls` (a user's permission set licenses, by API name or by the
/// label Setup shows) holds `wanted` (a label such as
/// "Company Community for Force.com"). Compared loosely (letters and digits
/// only, case-insensitive) since the API name drops spaces and dots.
pub fn holds_psl(psls: &[String], wanted: &str) -> bool {
    let key = |s: &str| -> String {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let w = key(wanted);
    // "Company Community for Force.com" -> "companycommunity..." also matches
    // API names like `CompanyCommunityPsl`.
    let stem = key(wanted.split(" for ").next().unwrap_or(wanted));
    psls.iter().any(|p| {
        let k = key(p);
        k == w || k.starts_with(&stem)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_lists_are_sorted_unique_and_name_known_objects() {
        for l in LICENSES {
            let names: Vec<&str> = l.objects.iter().map(|(o, _)| *o).collect();
            let mut sorted = names.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(names, sorted, "{}", l.name);
        }
    }

    #[test]
    fn platform_limits() {
        let lead = limit("Salesforce Platform", "Lead").unwrap();
        assert_eq!(lead.allowed, Flags::NONE);
        let case = limit("Salesforce Platform", "Case").unwrap();
        assert_eq!(case.allowed, Flags::CRUD);
        assert_eq!(case.needs_psl, Some(COMPANY_COMMUNITIES_PSL));
        assert!(limit("Salesforce Platform", "Account").is_none());
        assert!(limit("Salesforce", "Lead").is_none());
        assert!(limit("Salesforce Integration", "Lead").is_none());
        assert!(limit("Unknown License", "Lead").is_none());
        assert_eq!(Flags::ALL.beyond(Flags::CRUD), ["View All", "Modify All"]);
        assert_eq!(Flags::CR.names(), ["Read", "Create"]);
    }

    #[test]
    fn psl_matching() {
        let held = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(holds_psl(
            &held(&["Company Community for Force.com"]),
            COMPANY_COMMUNITIES_PSL
        ));
        assert!(holds_psl(
            &held(&["CompanyCommunityPsl"]),
            COMPANY_COMMUNITIES_PSL
        ));
        assert!(!holds_psl(
            &held(&["SalesforceAPIIntegrationPsl"]),
            COMPANY_COMMUNITIES_PSL
        ));
    }
}
