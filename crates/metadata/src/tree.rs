//! The element tree of one metadata component (Profile, PermissionSet, ...).
//! Owns: the in-memory shape of a metadata XML document and small accessors.
//! Does not: parse (see `read`), order (see `canon`) or serialize (see `write`).
//!
//! Strings borrow from the input where they can (`Cow<'a, str>`), so reading a
//! 20 MB profile allocates little beyond the nodes themselves. Generated documents
//! are `Document<'static>`.

use std::borrow::Cow;

/// The XML namespace every metadata file uses.
pub const METADATA_NS: &str = "http://soap.sforce.com/2006/04/metadata";

/// One metadata document: a root element (for example `Profile`) and any
/// comments that stand before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document<'a> {
    pub root: Element<'a>,
    /// Comments before the root element, kept in order.
    pub comments_before_root: Vec<Cow<'a, str>>,
}

/// An element: its name, its content and, rarely, attributes and comments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element<'a> {
    /// The qualified name exactly as written (`fieldPermissions`, `xsi:foo`).
    pub name: Cow<'a, str>,
    pub content: Content<'a>,
    /// Attributes and comments; boxed because almost no element has any.
    extra: Option<Box<Extra<'a>>>,
}

/// What an element holds. Metadata XML has no mixed content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content<'a> {
    /// Written as `<name/>`.
    Empty,
    /// Unescaped text; written as `<name>text</name>` (also when empty).
    Text(Cow<'a, str>),
    /// Child elements; written one per line, indented.
    Children(Vec<Element<'a>>),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Extra<'a> {
    /// Attributes in document order; values unescaped.
    attrs: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// Comments directly before this element (they travel with it when sorted).
    comments_before: Vec<Cow<'a, str>>,
    /// Comments after the last child, before the end tag.
    comments_end: Vec<Cow<'a, str>>,
    /// Comments after the end tag; only the root has any (inside it, a comment
    /// after an element is the next one's `comments_before` or `comments_end`).
    comments_after: Vec<Cow<'a, str>>,
}

impl<'a> Element<'a> {
    /// An element with no content: `<name/>`.
    pub fn empty(name: impl Into<Cow<'a, str>>) -> Self {
        Element {
            name: name.into(),
            content: Content::Empty,
            extra: None,
        }
    }

    /// A leaf element holding text.
    pub fn text(name: impl Into<Cow<'a, str>>, text: impl Into<Cow<'a, str>>) -> Self {
        Element {
            name: name.into(),
            content: Content::Text(text.into()),
            extra: None,
        }
    }

    /// An element holding children.
    pub fn with_children(name: impl Into<Cow<'a, str>>, children: Vec<Element<'a>>) -> Self {
        Element {
            name: name.into(),
            content: Content::Children(children),
            extra: None,
        }
    }

    /// A leaf holding `true` or `false`.
    pub fn boolean(name: impl Into<Cow<'a, str>>, value: bool) -> Self {
        Self::text(name, if value { "true" } else { "false" })
    }

    /// The element's text, when it is a leaf with text.
    pub fn text_value(&self) -> Option<&str> {
        match &self.content {
            Content::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The children, or an empty slice for leaves.
    pub fn children(&self) -> &[Element<'a>] {
        match &self.content {
            Content::Children(c) => c,
            _ => &[],
        }
    }

    /// Mutable children; turns an empty leaf into a parent.
    pub fn children_mut(&mut self) -> &mut Vec<Element<'a>> {
        if !matches!(self.content, Content::Children(_)) {
            self.content = Content::Children(Vec::new());
        }
        match &mut self.content {
            Content::Children(c) => c,
            _ => unreachable!("content was just made Children"),
        }
    }

    /// The first child with this name.
    pub fn child(&self, name: &str) -> Option<&Element<'a>> {
        self.children().iter().find(|c| c.name == name)
    }

    /// The text of the first child with this name.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).and_then(Element::text_value)
    }

    /// Attributes in document order (values unescaped).
    pub fn attrs(&self) -> &[(Cow<'a, str>, Cow<'a, str>)] {
        self.extra.as_deref().map_or(&[], |e| &e.attrs)
    }

    /// Adds an attribute (kept in insertion order).
    pub fn push_attr(&mut self, name: impl Into<Cow<'a, str>>, value: impl Into<Cow<'a, str>>) {
        self.extra_mut().attrs.push((name.into(), value.into()));
    }

    /// The value of an attribute by its qualified name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs()
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_ref())
    }

    /// Comments that stand directly before this element.
    pub fn comments_before(&self) -> &[Cow<'a, str>] {
        self.extra.as_deref().map_or(&[], |e| &e.comments_before)
    }

    /// Comments after the last child, before the end tag.
    pub fn comments_end(&self) -> &[Cow<'a, str>] {
        self.extra.as_deref().map_or(&[], |e| &e.comments_end)
    }

    /// Comments after the end tag (the root's: those at the end of the file).
    pub fn comments_after(&self) -> &[Cow<'a, str>] {
        self.extra.as_deref().map_or(&[], |e| &e.comments_after)
    }

    pub(crate) fn push_comment_after(&mut self, c: Cow<'a, str>) {
        self.extra_mut().comments_after.push(c);
    }

    pub(crate) fn push_comment_before(&mut self, c: Cow<'a, str>) {
        self.extra_mut().comments_before.push(c);
    }

    pub(crate) fn push_comment_end(&mut self, c: Cow<'a, str>) {
        self.extra_mut().comments_end.push(c);
    }

    fn extra_mut(&mut self) -> &mut Extra<'a> {
        self.extra.get_or_insert_with(Default::default)
    }

    /// Copies every borrowed string so the element outlives its input.
    pub fn into_owned(self) -> Element<'static> {
        Element {
            name: own(self.name),
            content: match self.content {
                Content::Empty => Content::Empty,
                Content::Text(t) => Content::Text(own(t)),
                Content::Children(c) => {
                    Content::Children(c.into_iter().map(Element::into_owned).collect())
                }
            },
            extra: self.extra.map(|e| {
                Box::new(Extra {
                    attrs: e.attrs.into_iter().map(|(n, v)| (own(n), own(v))).collect(),
                    comments_before: e.comments_before.into_iter().map(own).collect(),
                    comments_end: e.comments_end.into_iter().map(own).collect(),
                    comments_after: e.comments_after.into_iter().map(own).collect(),
                })
            }),
        }
    }
}

impl<'a> Document<'a> {
    /// A new document whose root carries the metadata namespace.
    pub fn new(root_name: impl Into<Cow<'a, str>>, children: Vec<Element<'a>>) -> Self {
        let mut root = Element::with_children(root_name, children);
        root.push_attr("xmlns", METADATA_NS);
        Document {
            root,
            comments_before_root: Vec::new(),
        }
    }

    /// Copies every borrowed string so the document outlives its input.
    pub fn into_owned(self) -> Document<'static> {
        Document {
            root: self.root.into_owned(),
            comments_before_root: self.comments_before_root.into_iter().map(own).collect(),
        }
    }
}

fn own(c: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(c.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_stays_small() {
        // The 20 MB benchmark profile holds ~400,000 elements; size matters.
        assert!(std::mem::size_of::<Element>() <= 64);
    }

    #[test]
    fn accessors() {
        let e = Element::with_children(
            "fieldPermissions",
            vec![
                Element::boolean("editable", false),
                Element::text("field", "Contact.Email"),
            ],
        );
        assert_eq!(e.child_text("field"), Some("Contact.Email"));
        assert_eq!(e.child_text("editable"), Some("false"));
        assert_eq!(e.child("readable"), None);
        assert!(e.attrs().is_empty());
    }
}
