//! The values of one keyed entry, compared under effective-access rules.
//! Owns: flattening an entry into (name, value) pairs (keys excluded), and
//! deciding whether two entries grant the same thing.
//! Does not: match entries (see `mod.rs`) or format them.

use crate::metadata::schema::TypeSchema;
use crate::metadata::{Content, Element};

use super::{FieldChange, Rules};

/// An entry's values, keys excluded, in document order.
#[derive(Debug)]
pub struct FieldValues {
    values: Vec<(String, String)>,
}

impl FieldValues {
    /// The values of `e`; nested elements become their compact text.
    pub(super) fn of(
        e: &Element<'_>,
        keys: &[&str],
        _ty: Option<&'static TypeSchema>,
        _access: bool,
    ) -> Self {
        let values = e
            .children()
            .iter()
            .filter(|c| !keys.contains(&c.name.as_ref()))
            .map(|c| (c.name.to_string(), element_text(c)))
            .collect();
        FieldValues { values }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the entry gives anything: under access rules, an entry whose
    /// every value is `false` is the same as no entry (a retrieve leaves
    /// disabled user permissions out). An entry of keys only (a layout
    /// assignment) exists, so it gives something.
    pub(super) fn grants(&self, access: bool) -> bool {
        !access || self.values.is_empty() || self.values.iter().any(|(_, v)| v != "false")
    }

    /// Names of both sides, first side's order, then the other's new names.
    fn names<'s>(&'s self, other: &'s FieldValues) -> Vec<&'s str> {
        let mut names: Vec<&str> = self.values.iter().map(|(n, _)| n.as_str()).collect();
        for (n, _) in &other.values {
            if !names.contains(&n.as_str()) {
                names.push(n);
            }
        }
        names
    }

    fn equal(a: Option<&str>, b: Option<&str>, access: bool) -> bool {
        match (a, b) {
            (Some(x), Some(y)) => x == y,
            (None, None) => true,
            (Some(v), None) | (None, Some(v)) => access && v == "false",
        }
    }

    pub(super) fn same_as(&self, other: &FieldValues, rules: &Rules) -> bool {
        self.names(other)
            .into_iter()
            .all(|n| Self::equal(self.get(n), other.get(n), rules.access))
    }

    /// The values that differ from `self` to `after`. Under access rules an
    /// absent flag reads as `false`, so it shows as `false`, not as missing.
    pub(super) fn changes_to(&self, after: &FieldValues, rules: &Rules) -> Vec<FieldChange> {
        let fill = |v: Option<&str>| match v {
            None if rules.access => Some("false".to_string()),
            v => v.map(str::to_string),
        };
        self.names(after)
            .into_iter()
            .filter(|n| !Self::equal(self.get(n), after.get(n), rules.access))
            .map(|n| FieldChange {
                name: n.to_string(),
                before: fill(self.get(n)),
                after: fill(after.get(n)),
            })
            .collect()
    }

    pub(super) fn all_before(&self) -> Vec<FieldChange> {
        self.values
            .iter()
            .map(|(n, v)| FieldChange {
                name: n.clone(),
                before: Some(v.clone()),
                after: None,
            })
            .collect()
    }

    pub(super) fn all_after(&self) -> Vec<FieldChange> {
        self.values
            .iter()
            .map(|(n, v)| FieldChange {
                name: n.clone(),
                before: None,
                after: Some(v.clone()),
            })
            .collect()
    }
}

/// An element's content as one line: its text, or `name=value` pairs of its
/// children (nested ones in braces), so nested values compare and print.
pub fn element_text(e: &Element<'_>) -> String {
    let mut out = String::new();
    push_text(e, &mut out);
    out
}

fn push_text(e: &Element<'_>, out: &mut String) {
    match &e.content {
        Content::Empty => {}
        Content::Text(t) => out.push_str(t),
        Content::Children(children) => {
            for (i, c) in children.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&c.name);
                out.push('=');
                if matches!(c.content, Content::Children(_)) {
                    out.push('{');
                    push_text(c, out);
                    out.push('}');
                } else {
                    push_text(c, out);
                }
            }
        }
    }
}

/// Several same-named values as one text (unknown repeated elements).
pub(super) fn values_text(elements: &[&Element<'_>]) -> String {
    elements
        .iter()
        .map(|e| element_text(e))
        .collect::<Vec<_>>()
        .join("; ")
}
