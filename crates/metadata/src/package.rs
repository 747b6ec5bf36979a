//! package.xml: the manifest of a deploy or retrieve.
//! Owns: building a `Package` document from (type, member) pairs.
//! Does not: decide which members a plan needs (plan and generate do).

use std::collections::BTreeMap;

use super::tree::{Document, Element};

/// Builds a canonical package.xml document: types sorted by name, members by
/// text, duplicates dropped.
pub fn manifest<'a, I>(members: I, api_version: &str) -> Document<'static>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut by_type: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (ty, member) in members {
        by_type.entry(ty).or_default().push(member);
    }
    let mut children: Vec<Element<'static>> = Vec::new();
    for (ty, mut names) in by_type {
        names.sort_unstable();
        names.dedup();
        let mut entry: Vec<Element<'static>> = names
            .into_iter()
            .map(|m| Element::text("members", m.to_string()))
            .collect();
        entry.push(Element::text("name", ty.to_string()));
        children.push(Element::with_children("types", entry));
    }
    children.push(Element::text("version", api_version.to_string()));
    let mut doc = Document::new("Package", children);
    super::canon::canonicalize(&mut doc);
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_is_sorted_and_deduplicated() {
        let doc = manifest(
            [
                ("Settings", "Security"),
                ("Profile", "Zendesk Integration"),
                ("Settings", "Event"),
                ("Settings", "Event"),
            ],
            "63.0",
        );
        let text = String::from_utf8(super::super::write::to_bytes(&doc)).unwrap();
        assert_eq!(
            text,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<Package xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n\
\x20   <types>\n\
\x20       <members>Zendesk Integration</members>\n\
\x20       <name>Profile</name>\n\
\x20   </types>\n\
\x20   <types>\n\
\x20       <members>Event</members>\n\
\x20       <members>Security</members>\n\
\x20       <name>Settings</name>\n\
\x20   </types>\n\
\x20   <version>63.0</version>\n\
</Package>\n"
        );
    }
}
