//! What a deploy does and what a retrieve returns, per metadata type, as data.
//! Owns: `Deploy` (overlay, replace, merge, and from which API version), the
//! retrieve rules of Profile and PermissionSet (sections tied to components
//! named in the same retrieve, entries returned only when a flag is true).
//! Does not: apply them — the emulator's deploy and retrieve, plan's manifest
//! and the diff read them from `REGISTRY` (metadata-types.md §2.4–2.5).

/// What deploying a file of a type does to the component the org has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deploy {
    /// Entries the file does not mention stay as the org has them; removing
    /// access means deploying it `false` (Profile).
    Overlay,
    /// The file is the whole component: entries it lacks are removed
    /// (PermissionSet from API 40.0, ConnectedApp, External Client Apps).
    Replace,
    /// Field by field: only the fields the file sets change (Settings).
    Merge,
}

/// What a retrieve of one member returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retrieve {
    /// The whole component (PermissionSet from API 40.0, apps, Settings).
    Whole,
    /// Every child, except that the sections listed come back only as their
    /// rule says (Profile).
    Sections(&'static [Section]),
}

/// A repeated section of a retrieved file that does not always come back whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section {
    /// The repeated element (`fieldPermissions`).
    pub entry: &'static str,
    /// Returned only for components named in the same retrieve: the key child
    /// naming the component and its package.xml type (`field`, `CustomField`).
    pub tied_to: Option<Tie>,
    /// Returned only when this boolean child is true (`userPermissions` when
    /// `enabled`, `objectPermissions` when `allowRead`).
    pub only_if: Option<&'static str>,
}

/// The component a section's entry belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tie {
    /// The child holding the component's name (`object`, `apexPage`).
    pub key: &'static str,
    /// Its package.xml type (`CustomObject`, `ApexPage`).
    pub component: &'static str,
}

const fn tied(entry: &'static str, key: &'static str, component: &'static str) -> Section {
    Section {
        entry,
        tied_to: Some(Tie { key, component }),
        only_if: None,
    }
}

/// A retrieved Profile (DOC-Profile "Usage"): access to objects, fields,
/// pages, classes, apps, tabs, record types, layouts and the rest only for
/// components named in the same retrieve (`CustomObject:*` does not match
/// standard objects; naming an object as CustomObject brings its fields'
/// FLS too); object permissions only with read (28.0+); user permissions
/// always, enabled ones only (29.0+); login IP ranges and hours always.
pub static PROFILE_SECTIONS: &[Section] = &[
    tied(
        "applicationVisibilities",
        "application",
        "CustomApplication",
    ),
    tied(
        "categoryGroupVisibilities",
        "dataCategoryGroup",
        "DataCategoryGroup",
    ),
    tied("classAccesses", "apexClass", "ApexClass"),
    tied("customMetadataTypeAccesses", "name", "CustomObject"),
    tied("customPermissions", "name", "CustomPermission"),
    tied("customSettingAccesses", "name", "CustomObject"),
    tied(
        "externalDataSourceAccesses",
        "externalDataSource",
        "ExternalDataSource",
    ),
    tied("fieldPermissions", "field", "CustomField"),
    tied("flowAccesses", "flow", "Flow"),
    tied("layoutAssignments", "layout", "Layout"),
    Section {
        entry: "objectPermissions",
        tied_to: Some(Tie {
            key: "object",
            component: "CustomObject",
        }),
        only_if: Some("allowRead"),
    },
    tied("pageAccesses", "apexPage", "ApexPage"),
    tied("recordTypeVisibilities", "recordType", "RecordType"),
    tied("tabVisibilities", "tab", "CustomTab"),
    Section {
        entry: "userPermissions",
        tied_to: None,
        only_if: Some("enabled"),
    },
];

impl Retrieve {
    /// The rule for a child element, when it has one.
    pub fn section(&self, entry: &str) -> Option<&'static Section> {
        match self {
            Retrieve::Whole => None,
            Retrieve::Sections(s) => s.iter().find(|s| s.entry == entry),
        }
    }

    /// The package.xml types a manifest must name for tied sections to come
    /// back (`CustomObject`, `CustomField`, `ApexPage`, …), sorted, unique.
    pub fn tied_types(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = match self {
            Retrieve::Whole => Vec::new(),
            Retrieve::Sections(s) => s
                .iter()
                .filter_map(|s| s.tied_to.map(|t| t.component))
                .collect(),
        };
        out.sort_unstable();
        out.dedup();
        out
    }
}
