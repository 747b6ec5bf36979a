//! Keyed semantic diff of metadata documents.
//! Owns: matching entries by the schema's keys, comparing *effective access*
//! (an entry that grants nothing equals no entry; an absent flag is `false`),
//! and classifying each difference under a type's deploy semantics.
//! Does not: read files, talk to orgs, or format text (see `render::diff`).
//!
//! Two uses share this code:
//! - [`Mode::Deploy`]: `old` is what the org has, `new` is what will be deployed;
//!   the type's [`Deploy`] semantics decide what an entry only the org has means
//!   (Profile: left alone; PermissionSet: removed; Settings: not compared);
//! - [`Mode::Files`]: two versions of a file (`sfprov diff`, git's external
//!   diff); every entry is compared both ways.

mod entry;
pub mod tree;

use std::borrow::Cow;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::metadata::canon::local_name;
use crate::metadata::schema::{self, Deploy, Key, MetadataType, TypeSchema};
use crate::metadata::{Document, Element};

pub use entry::{element_text, FieldValues};

/// What the comparison is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `old` is the org's current state, `new` the document a deploy sends.
    Deploy,
    /// Two versions of one file: every difference counts, both ways.
    Files,
}

/// What happens to one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Access or a value appears.
    Add,
    /// A value or some flags change.
    Change,
    /// Access or a value goes away.
    Remove,
}

impl Action {
    /// The one-character symbol plans and diffs print.
    pub fn symbol(self) -> char {
        match self {
            Action::Add => '+',
            Action::Change => '~',
            Action::Remove => '-',
        }
    }
}

/// One value of an entry that differs (`editable`: `false` -> `true`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub name: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// One difference, keyed as the schema keys it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The element path from the root: `fieldPermissions`,
    /// `sessionSettings.lockSessionsToIp`, `oauthConfig.scopes`.
    pub section: String,
    /// The entry's key (`Contact.Email`; `Account-Account Layout / Account.B2B`);
    /// empty for a single value.
    pub key: String,
    pub action: Action,
    /// The entry's values before and after (keys excluded), only those that
    /// differ for a change, all of them for an add or a remove.
    pub fields: Vec<FieldChange>,
    /// A deploy removes this though the new document does not say so
    /// (PermissionSet replace semantics): the plan counts it as destructive.
    pub destructive: bool,
    /// The org has it and the deploy leaves it alone (Profile overlay): shown
    /// only on request (`--show-unmanaged`), never counted.
    pub unmanaged: bool,
}

/// How one component differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentAction {
    /// Only the new side has it.
    Create,
    /// Both have it and some entry differs.
    Update,
    /// Only the old side has it (file diffs; a deploy never deletes).
    Delete,
    /// Both have it and nothing counted differs.
    Unchanged,
}

/// The differences of one component (one file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComponentDiff {
    /// The package.xml type (`Profile`, `Settings`).
    #[serde(rename = "type")]
    pub type_name: String,
    pub member: String,
    pub action: ComponentAction,
    pub changes: Vec<Change>,
}

impl ComponentDiff {
    /// Changes that count (unmanaged entries excluded).
    pub fn counted(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| !c.unmanaged)
    }
}

/// Compares two versions of one component. `None` stands for "does not exist".
pub fn component(
    ty: &'static MetadataType,
    member: &str,
    old: Option<&Document<'_>>,
    new: Option<&Document<'_>>,
    mode: Mode,
) -> ComponentDiff {
    let root_name = old.or(new).map(|d| d.root.name.as_ref()).unwrap_or("");
    let schema = schema::type_named(local_name(root_name));
    let rules = Rules {
        deploy: match mode {
            Mode::Deploy => ty.deploy,
            Mode::Files => Deploy::Replace,
        },
        access: ty.access_flags,
        mode,
    };
    let mut changes = Vec::new();
    let empty = Element::empty(root_name.to_string());
    let (o, n) = (
        old.map_or(&empty, |d| &d.root),
        new.map_or(&empty, |d| &d.root),
    );
    diff_children(&rules, "", schema, o.children(), n.children(), &mut changes);
    let action = match (old, new) {
        (None, Some(_)) => ComponentAction::Create,
        (Some(_), None) => ComponentAction::Delete,
        _ if changes.iter().any(|c| !c.unmanaged) => ComponentAction::Update,
        _ => ComponentAction::Unchanged,
    };
    ComponentDiff {
        type_name: ty.name.to_string(),
        member: member.to_string(),
        action,
        changes,
    }
}

/// The rules in force for one comparison.
struct Rules {
    deploy: Deploy,
    /// Absent booleans are `false` and an entry granting nothing is no entry.
    access: bool,
    mode: Mode,
}

impl Rules {
    /// What an entry or value that only the old side has means.
    fn old_only(&self) -> OldOnly {
        match (self.mode, self.deploy) {
            (Mode::Files, _) => OldOnly::Removed { destructive: false },
            (Mode::Deploy, Deploy::Replace) => OldOnly::Removed { destructive: true },
            (Mode::Deploy, Deploy::Overlay) => OldOnly::Unmanaged,
            (Mode::Deploy, Deploy::Merge) => OldOnly::Ignored,
        }
    }
}

enum OldOnly {
    Removed { destructive: bool },
    Unmanaged,
    Ignored,
}

/// Children of one element grouped by name, in first-seen order.
fn group<'e, 'a>(children: &'e [Element<'a>]) -> Vec<(&'e str, Vec<&'e Element<'a>>)> {
    let mut out: Vec<(&str, Vec<&Element>)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for c in children {
        let name: &str = &c.name;
        match index.get(name) {
            Some(&i) => out[i].1.push(c),
            None => {
                index.insert(name, out.len());
                out.push((name, vec![c]));
            }
        }
    }
    out
}

fn path(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

fn diff_children(
    rules: &Rules,
    prefix: &str,
    ty: Option<&'static TypeSchema>,
    old: &[Element<'_>],
    new: &[Element<'_>],
    out: &mut Vec<Change>,
) {
    let old_groups = group(old);
    let new_groups = group(new);
    // Names in schema order, then names the schema does not know, by name.
    let mut names: Vec<&str> = old_groups
        .iter()
        .chain(new_groups.iter())
        .map(|(n, _)| *n)
        .collect();
    names.sort_by_key(|n| {
        let slot = ty.and_then(|t| t.field(n)).map_or(usize::MAX, |(i, _)| i);
        (slot, *n)
    });
    names.dedup();
    let find = |groups: &[(&str, Vec<&'_ Element<'_>>)], n: &str| -> usize {
        groups
            .iter()
            .position(|(g, _)| *g == n)
            .unwrap_or(usize::MAX)
    };
    for name in names {
        let o = old_groups
            .get(find(&old_groups, name))
            .map(|g| g.1.as_slice());
        let n = new_groups
            .get(find(&new_groups, name))
            .map(|g| g.1.as_slice());
        let (o, n) = (o.unwrap_or(&[]), n.unwrap_or(&[]));
        let field = ty.and_then(|t| t.field(name)).map(|(_, f)| f);
        let section = path(prefix, name);
        match field.map(|f| f.key) {
            Some(Key::Fields(keys)) => {
                let child_ty = field.and_then(|f| f.child_type());
                diff_keyed(rules, &section, child_ty, keys, o, n, out);
            }
            Some(Key::Text) => diff_text_set(rules, &section, o, n, out),
            Some(Key::Ordered) => diff_ordered(rules, &section, o, n, out),
            Some(Key::Single) if field.and_then(|f| f.child_type()).is_some() => {
                let child_ty = field.and_then(|f| f.child_type());
                match (o.first(), n.first()) {
                    (Some(a), Some(b)) => {
                        diff_children(rules, &section, child_ty, a.children(), b.children(), out)
                    }
                    (None, Some(b)) => {
                        diff_children(rules, &section, child_ty, &[], b.children(), out)
                    }
                    (Some(a), None) => {
                        diff_children(rules, &section, child_ty, a.children(), &[], out)
                    }
                    (None, None) => {}
                }
            }
            // Simple values and elements the schema does not know.
            _ => diff_value(rules, &section, o, n, out),
        }
    }
}

/// A single simple value (or an unknown element, compared by its content).
fn diff_value(
    rules: &Rules,
    section: &str,
    old: &[&Element<'_>],
    new: &[&Element<'_>],
    out: &mut Vec<Change>,
) {
    let o = (!old.is_empty()).then(|| entry::values_text(old));
    let n = (!new.is_empty()).then(|| entry::values_text(new));
    let same = match (&o, &n) {
        (Some(a), Some(b)) => a == b,
        (None, None) => true,
        (Some(v), None) | (None, Some(v)) => rules.access && v == "false",
    };
    if same {
        return;
    }
    let field = FieldChange {
        name: String::new(),
        before: o.clone(),
        after: n.clone(),
    };
    let (action, destructive, unmanaged) = match (&o, &n) {
        (None, Some(_)) => (Action::Add, false, false),
        (Some(_), Some(_)) => (Action::Change, false, false),
        (Some(_), None) => match rules.old_only() {
            OldOnly::Removed { destructive } => (Action::Remove, destructive, false),
            OldOnly::Unmanaged => (Action::Remove, false, true),
            OldOnly::Ignored => return,
        },
        (None, None) => return,
    };
    out.push(Change {
        section: section.to_string(),
        key: String::new(),
        action,
        fields: vec![field],
        destructive,
        unmanaged,
    });
}

/// Repeated simple values whose order does not matter (`scopes`).
fn diff_text_set(
    rules: &Rules,
    section: &str,
    old: &[&Element<'_>],
    new: &[&Element<'_>],
    out: &mut Vec<Change>,
) {
    let text = |e: &&Element<'_>| entry::element_text(e);
    let o: std::collections::BTreeSet<String> = old.iter().map(text).collect();
    let n: std::collections::BTreeSet<String> = new.iter().map(text).collect();
    for added in n.difference(&o) {
        out.push(Change {
            section: section.to_string(),
            key: added.clone(),
            action: Action::Add,
            fields: Vec::new(),
            destructive: false,
            unmanaged: false,
        });
    }
    for removed in o.difference(&n) {
        let (destructive, unmanaged) = match rules.old_only() {
            OldOnly::Removed { destructive } => (destructive, false),
            OldOnly::Unmanaged => (false, true),
            OldOnly::Ignored => continue,
        };
        out.push(Change {
            section: section.to_string(),
            key: removed.clone(),
            action: Action::Remove,
            fields: Vec::new(),
            destructive,
            unmanaged,
        });
    }
}

/// Repeated entries whose order is data (IP ranges): one value, the list.
fn diff_ordered(
    rules: &Rules,
    section: &str,
    old: &[&Element<'_>],
    new: &[&Element<'_>],
    out: &mut Vec<Change>,
) {
    let o: Vec<String> = old.iter().map(|e| entry::element_text(e)).collect();
    let n: Vec<String> = new.iter().map(|e| entry::element_text(e)).collect();
    if o == n || (new.is_empty() && matches!(rules.old_only(), OldOnly::Ignored)) {
        return;
    }
    let show = |v: &[String]| (!v.is_empty()).then(|| v.join("; "));
    let (action, destructive, unmanaged) = match (o.is_empty(), n.is_empty()) {
        (true, _) => (Action::Add, false, false),
        (false, false) => (Action::Change, false, false),
        (false, true) => match rules.old_only() {
            OldOnly::Removed { destructive } => (Action::Remove, destructive, false),
            OldOnly::Unmanaged => (Action::Remove, false, true),
            OldOnly::Ignored => return,
        },
    };
    out.push(Change {
        section: section.to_string(),
        key: String::new(),
        action,
        fields: vec![FieldChange {
            name: String::new(),
            before: show(&o),
            after: show(&n),
        }],
        destructive,
        unmanaged,
    });
}

/// Repeated entries matched by their key fields.
fn diff_keyed<'e, 'a>(
    rules: &Rules,
    section: &str,
    ty: Option<&'static TypeSchema>,
    keys: &'static [&'static str],
    old: &[&'e Element<'a>],
    new: &[&'e Element<'a>],
    out: &mut Vec<Change>,
) {
    // One key field (nearly every entry): borrowed, no allocation.
    let key_of = |e: &'e Element<'a>| -> Cow<'e, str> {
        if let [k] = keys {
            return Cow::Borrowed(e.child_text(k).unwrap_or(""));
        }
        let parts: Vec<&str> = keys
            .iter()
            .map(|k| e.child_text(k).unwrap_or(""))
            .filter(|s| !s.is_empty())
            .collect();
        Cow::Owned(parts.join(" / "))
    };
    // One map for both sides: key -> (the old entry, whether the new side
    // has been seen with it). Three hash lookups per entry in all.
    let mut by_key: HashMap<Cow<'e, str>, (Option<&'e Element<'a>>, bool)> =
        HashMap::with_capacity(old.len().max(new.len()));
    for e in old {
        by_key.insert(key_of(e), (Some(e), false));
    }
    let mut pending: Vec<Change> = Vec::new();
    for e in new {
        let key = key_of(e);
        let slot = by_key.entry(key.clone()).or_insert((None, false));
        if std::mem::replace(&mut slot.1, true) {
            continue; // a repeated key: the first one counts
        }
        let old_entry = slot.0;
        // Identical entries (most of them) need no closer look.
        if old_entry.is_some_and(|o| *o == **e) {
            continue;
        }
        let after = FieldValues::of(e, keys, ty, rules.access);
        let before = old_entry.map(|o| FieldValues::of(o, keys, ty, rules.access));
        let granted_before = before.as_ref().is_some_and(|b| b.grants(rules.access));
        let granted_after = after.grants(rules.access);
        let action = match (granted_before, granted_after) {
            (false, false) => continue,
            (false, true) => Action::Add,
            (true, false) => Action::Remove,
            (true, true) => {
                if before.as_ref().is_some_and(|b| b.same_as(&after, rules)) {
                    continue;
                }
                Action::Change
            }
        };
        let fields = match (&before, action) {
            (Some(b), Action::Change) => b.changes_to(&after, rules),
            (Some(b), Action::Remove) => b.all_before(),
            _ => after.all_after(),
        };
        pending.push(Change {
            section: section.to_string(),
            key: key.into_owned(),
            action,
            fields,
            destructive: false,
            unmanaged: false,
        });
    }
    let old_only = rules.old_only();
    if !matches!(old_only, OldOnly::Ignored) {
        for e in old {
            let key = key_of(e);
            match by_key.get_mut(&key) {
                Some((_, seen)) if !*seen => *seen = true,
                _ => continue,
            }
            let before = FieldValues::of(e, keys, ty, rules.access);
            if !before.grants(rules.access) {
                continue;
            }
            let (destructive, unmanaged) = match old_only {
                OldOnly::Removed { destructive } => (destructive, false),
                OldOnly::Unmanaged => (false, true),
                OldOnly::Ignored => unreachable!("checked above"),
            };
            pending.push(Change {
                section: section.to_string(),
                key: key.into_owned(),
                action: Action::Remove,
                fields: before.all_before(),
                destructive,
                unmanaged,
            });
        }
    }
    pending.sort_by(|a, b| a.key.cmp(&b.key));
    out.extend(pending);
}

#[cfg(test)]
mod tests;
