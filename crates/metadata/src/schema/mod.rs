//! The schema table: what sfprov knows about each metadata type, as data.
//! Owns: child order of every XSD sequence (generated from the v63.0 WSDL into
//! `wsdl.rs`), the key of each repeated entry, and the file-level registry
//! (directory, suffixes, package.xml type name, deploy semantics and
//! retrieve rules from `semantics`) in `REGISTRY`.
//! Does not: read or write XML. Every lookup goes through `type_named`,
//! `registry_for_*` and the methods here; nothing else hard-codes an order.

mod semantics;
mod wsdl;

pub use semantics::{Deploy, Retrieve, Section, Tie, PROFILE_SECTIONS};

/// One complex type of the Metadata API, flattened (base type fields first).
#[derive(Debug)]
pub struct TypeSchema {
    /// The XSD complex type name, e.g. `Profile`, `ProfileFieldLevelSecurity`.
    pub name: &'static str,
    /// Child elements in XSD sequence order.
    pub fields: &'static [Field],
}

/// One child element of a complex type.
#[derive(Debug)]
pub struct Field {
    /// The element name, e.g. `fieldPermissions`.
    pub name: &'static str,
    /// Index into the type table when the element has a complex type; `None`
    /// for simple values (strings, booleans, enumerations).
    pub ty: Option<u16>,
    /// `maxOccurs="unbounded"`.
    pub many: bool,
    /// `minOccurs` is not 0.
    pub required: bool,
    /// How repeated entries of this element are ordered.
    pub key: Key,
}

/// How the entries of one repeated element are ordered in a retrieved file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// Not repeated.
    Single,
    /// Repeated, and the order is data (the `ipRanges` of network access and
    /// connected apps, login flows): kept as given.
    Ordered,
    /// Repeated simple values (`scopes`, `members`) sorted by their text.
    Text,
    /// Repeated entries sorted by the text of these child elements, in turn,
    /// byte order (`fieldPermissions` by `field`; `layoutAssignments` by
    /// `layout` then `recordType`; a missing key sorts first).
    Fields(&'static [&'static str]),
    /// Repeated entries sorted by the IP addresses in these child elements, in
    /// turn, by numeric value (`loginIpRanges` by `startAddress` then
    /// `endAddress`: 63.151.176.0 < 159.142.0.0), as retrieves write them.
    /// IPv4 sorts before IPv6; a missing or unparsable address after every
    /// parsable one, in byte order.
    IpAddresses(&'static [&'static str]),
}

/// The type with this XSD name (`Profile`, `SessionSettings`, ...).
pub fn type_named(name: &str) -> Option<&'static TypeSchema> {
    wsdl::TYPES
        .binary_search_by(|t| t.name.cmp(name))
        .ok()
        .map(|i| &wsdl::TYPES[i])
}

/// Every type in the table, sorted by name.
pub fn all_types() -> &'static [TypeSchema] {
    wsdl::TYPES
}

impl TypeSchema {
    /// The position and definition of a child element.
    pub fn field(&self, name: &str) -> Option<(usize, &'static Field)> {
        self.fields.iter().enumerate().find(|(_, f)| f.name == name)
    }

    /// The complex type of a child element, when it has one.
    pub fn child_type(&self, name: &str) -> Option<&'static TypeSchema> {
        self.field(name).and_then(|(_, f)| f.child_type())
    }
}

impl Field {
    /// The complex type of this element, when it has one.
    pub fn child_type(&self) -> Option<&'static TypeSchema> {
        self.ty.map(|i| &wsdl::TYPES[i as usize])
    }
}

/// A file-level metadata type: where its files live and what they are called.
#[derive(Debug, PartialEq, Eq)]
pub struct MetadataType {
    /// The type name in package.xml (`Profile`, `Settings`).
    pub name: &'static str,
    /// The root element; `None` for Settings, whose root is `<Member>Settings`
    /// (`Security` -> `SecuritySettings`).
    pub root: Option<&'static str>,
    /// Directory in both formats (`profiles`).
    pub directory: &'static str,
    /// File suffix without the dot (`profile`); source format appends `-meta.xml`.
    pub suffix: &'static str,
    /// Whether member names are URL-encoded in file names (Profile: `(` -> `%28`).
    pub encoded_names: bool,
    /// Deploy order within one deploy is Salesforce's; this is sfprov's order of
    /// steps across deploys (settings first, then access, then apps).
    pub step: u8,
    /// What a deploy of a file does to what the org has (at the newest API).
    pub deploy: Deploy,
    /// Before this API version a deploy overlays instead (PermissionSet: 40).
    pub replace_since: Option<u16>,
    /// What a retrieve of one member returns.
    pub retrieve: Retrieve,
    /// Access semantics: an absent boolean is `false`, an entry that grants
    /// nothing equals no entry, and a retrieve leaves disabled user
    /// permissions out (Profile, PermissionSet).
    pub access_flags: bool,
}

/// Every file-level type sfprov reads or writes.
pub static REGISTRY: &[MetadataType] = &[
    MetadataType {
        name: "Settings",
        root: None,
        directory: "settings",
        suffix: "settings",
        encoded_names: false,
        step: 1,
        deploy: Deploy::Merge,
        replace_since: None,
        retrieve: Retrieve::Whole,
        access_flags: false,
    },
    MetadataType {
        name: "Profile",
        root: Some("Profile"),
        directory: "profiles",
        suffix: "profile",
        encoded_names: true,
        step: 2,
        deploy: Deploy::Overlay,
        replace_since: None,
        retrieve: Retrieve::Sections(PROFILE_SECTIONS),
        access_flags: true,
    },
    MetadataType {
        name: "PermissionSet",
        root: Some("PermissionSet"),
        directory: "permissionsets",
        suffix: "permissionset",
        encoded_names: false,
        step: 2,
        deploy: Deploy::Replace,
        replace_since: Some(40),
        retrieve: Retrieve::Whole,
        access_flags: true,
    },
    MetadataType {
        name: "PermissionSetGroup",
        root: Some("PermissionSetGroup"),
        directory: "permissionsetgroups",
        suffix: "permissionsetgroup",
        encoded_names: false,
        step: 2,
        deploy: Deploy::Replace,
        replace_since: None,
        retrieve: Retrieve::Whole,
        access_flags: false,
    },
    MetadataType {
        name: "ConnectedApp",
        root: Some("ConnectedApp"),
        directory: "connectedApps",
        suffix: "connectedApp",
        encoded_names: false,
        step: 3,
        deploy: Deploy::Replace,
        replace_since: None,
        retrieve: Retrieve::Whole,
        access_flags: false,
    },
    MetadataType {
        name: "ExternalClientApplication",
        root: Some("ExternalClientApplication"),
        directory: "externalClientApps",
        suffix: "eca",
        encoded_names: false,
        step: 3,
        deploy: Deploy::Replace,
        replace_since: None,
        retrieve: Retrieve::Whole,
        access_flags: false,
    },
    MetadataType {
        name: "ExtlClntAppOauthSettings",
        root: Some("ExtlClntAppOauthSettings"),
        directory: "extlClntAppOauthSettings",
        suffix: "ecaOauth",
        encoded_names: false,
        step: 4,
        deploy: Deploy::Replace,
        replace_since: None,
        retrieve: Retrieve::Whole,
        access_flags: false,
    },
    MetadataType {
        name: "ExtlClntAppGlobalOauthSettings",
        root: Some("ExtlClntAppGlobalOauthSettings"),
        directory: "extlClntAppGlobalOauthSets",
        suffix: "ecaGlblOauth",
        encoded_names: false,
        step: 4,
        deploy: Deploy::Replace,
        replace_since: None,
        retrieve: Retrieve::Whole,
        access_flags: false,
    },
    MetadataType {
        name: "ExtlClntAppOauthConfigurablePolicies",
        root: Some("ExtlClntAppOauthConfigurablePolicies"),
        directory: "extlClntAppOauthPolicies",
        suffix: "ecaOauthPlcy",
        encoded_names: false,
        step: 4,
        deploy: Deploy::Replace,
        replace_since: None,
        retrieve: Retrieve::Whole,
        access_flags: false,
    },
];

/// The registry entry for a package.xml type name.
pub fn registry_for_type(name: &str) -> Option<&'static MetadataType> {
    REGISTRY.iter().find(|t| t.name == name)
}

/// The registry entry and member name for a file name in either format
/// (`Admin.profile-meta.xml`, `Admin.profile`, `Security.settings`).
/// The member name is URL-decoded where the type encodes it.
pub fn registry_for_file(file_name: &str) -> Option<(&'static MetadataType, String)> {
    let stem = file_name.strip_suffix("-meta.xml").unwrap_or(file_name);
    let (member, suffix) = stem.rsplit_once('.')?;
    let ty = REGISTRY.iter().find(|t| t.suffix == suffix)?;
    let member = if ty.encoded_names {
        super::names::decode(member)
    } else {
        member.to_string()
    };
    Some((ty, member))
}

impl MetadataType {
    /// What a deploy does at `api_version` (`63.0`): PermissionSet overlays
    /// before 40.0 and replaces from then on.
    pub fn deploy_at(&self, api_version: f64) -> Deploy {
        match self.replace_since {
            Some(v) if api_version < f64::from(v) => Deploy::Overlay,
            _ => self.deploy,
        }
    }

    /// The root element for a member of this type.
    pub fn root_for(&self, member: &str) -> String {
        match self.root {
            Some(root) => root.to_string(),
            None => format!("{member}Settings"),
        }
    }

    /// `profiles/Name.profile` (mdapi) or `profiles/Name.profile-meta.xml` (source).
    pub fn file_path(&self, member: &str, source_format: bool) -> String {
        let name = if self.encoded_names {
            super::names::encode(member)
        } else {
            member.to_string()
        };
        let meta = if source_format { "-meta.xml" } else { "" };
        format!("{}/{}.{}{}", self.directory, name, self.suffix, meta)
    }
}

#[cfg(test)]
mod tests;
