//! Canonical order: what a Metadata API retrieve writes.
//! Owns: putting children in XSD sequence order at every level, placing elements
//! the schema does not know, and sorting keyed entries by their key (byte order).
//! Does not: change any value, drop any element, or serialize (see `write`).
//!
//! Rules, per parent of a known type:
//! - a known child goes to its position in the XSD sequence;
//! - an unknown child (another API version's field) goes right after the known
//!   element whose name precedes it alphabetically (the sequences are
//!   alphabetical), unknown siblings among themselves by name;
//! - entries of one repeated element are sorted as the schema's `Key` says
//!   (text in byte order, IP addresses by numeric value);
//!   entries whose order is data (`Key::Ordered`) keep their relative order.
//!
//! Children of unknown elements keep their order: sfprov cannot know it.

use std::cmp::Ordering;
use std::net::IpAddr;

use super::schema::{self, Field, Key, TypeSchema};
use super::tree::{Content, Document, Element};

/// Puts a document in canonical order, in place.
pub fn canonicalize(doc: &mut Document<'_>) {
    let ty = schema::type_named(local_name(&doc.root.name));
    order(&mut doc.root, ty);
}

/// Puts one element's subtree in canonical order, given its schema type.
/// Children of an element the schema does not know keep their order, so the
/// recursion stops there; it is also bounded by the reader's depth limit.
pub fn order(element: &mut Element<'_>, ty: Option<&'static TypeSchema>) {
    let Some(ty) = ty else {
        return;
    };
    let Content::Children(children) = &mut element.content else {
        return;
    };
    for child in children.iter_mut() {
        if let Some(child_ty) = ty.child_type(&child.name) {
            order(child, Some(child_ty));
        }
    }
    sort_children(children, ty);
}

/// Where a child sorts among its siblings.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct SortKey<'e> {
    /// Index of the known element it is, or that it follows (-1: before all).
    slot: i32,
    /// 0 for a known element, 1 for an unknown one placed after `slot`.
    unknown: u8,
    /// The unknown element's name (empty for known ones).
    name: &'e str,
    /// Entry keys; empty text when the entry has none.
    keys: [EntryKey<'e>; 2],
}

/// One key of a repeated entry. Entries of one element all use the same kind.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum EntryKey<'e> {
    /// An IP address (`Key::IpAddresses`): numeric order, IPv4 before IPv6,
    /// and before every address that does not parse.
    Ip(IpAddr),
    /// Text in byte order (also an address that does not parse, or is missing).
    Text(&'e str),
}

const NO_KEYS: [EntryKey<'static>; 2] = [EntryKey::Text(""), EntryKey::Text("")];

fn sort_key<'e>(ty: &'static TypeSchema, child: &'e Element<'_>) -> SortKey<'e> {
    sort_key_with(ty, child, ty.field(&child.name))
}

fn sort_key_with<'e>(
    ty: &'static TypeSchema,
    child: &'e Element<'_>,
    field: Option<(usize, &'static Field)>,
) -> SortKey<'e> {
    #[cfg(test)]
    tests::KEYS_COMPUTED.with(|n| n.set(n.get() + 1));
    match field {
        Some((slot, field)) => {
            let keys = match field.key {
                Key::Single | Key::Ordered => NO_KEYS,
                Key::Text => [
                    EntryKey::Text(child.text_value().unwrap_or("")),
                    EntryKey::Text(""),
                ],
                Key::Fields(names) => {
                    let get = |i: usize| {
                        EntryKey::Text(names.get(i).and_then(|n| child.child_text(n)).unwrap_or(""))
                    };
                    [get(0), get(1)]
                }
                Key::IpAddresses(names) => {
                    let get = |i: usize| {
                        let text = names.get(i).and_then(|n| child.child_text(n)).unwrap_or("");
                        match text.trim().parse::<IpAddr>() {
                            Ok(ip) => EntryKey::Ip(ip),
                            Err(_) => EntryKey::Text(text),
                        }
                    };
                    [get(0), get(1)]
                }
            };
            SortKey {
                slot: slot as i32,
                unknown: 0,
                name: "",
                keys,
            }
        }
        None => {
            let name: &str = &child.name;
            let slot = ty
                .fields
                .iter()
                .rposition(|f| f.name < name)
                .map_or(-1, |i| i as i32);
            SortKey {
                slot,
                unknown: 1,
                name,
                keys: NO_KEYS,
            }
        }
    }
}

/// The sort keys of `children` in order, each computed once, looking a name up
/// in the schema only when it changes (100,000 fieldPermissions in a row are
/// common).
fn keys_of<'e>(ty: &'static TypeSchema, children: &'e [Element<'_>]) -> Vec<SortKey<'e>> {
    let mut keys = Vec::with_capacity(children.len());
    let mut last_name: &str = &children[0].name;
    let mut last_field = ty.field(last_name);
    for child in children {
        if child.name != last_name {
            last_name = &child.name;
            last_field = ty.field(last_name);
        }
        keys.push(sort_key_with(ty, child, last_field));
    }
    keys
}

/// Whether the children are in canonical order already, without allocating:
/// retrieved files are, and `fmt --check` reads mostly those.
fn in_order(ty: &'static TypeSchema, children: &[Element<'_>]) -> bool {
    let mut last_name: &str = &children[0].name;
    let mut last_field = ty.field(last_name);
    let mut prev = sort_key_with(ty, &children[0], last_field);
    for child in &children[1..] {
        if child.name != last_name {
            last_name = &child.name;
            last_field = ty.field(last_name);
        }
        let key = sort_key_with(ty, child, last_field);
        if key < prev {
            return false;
        }
        prev = key;
    }
    true
}

fn sort_children(children: &mut [Element<'_>], ty: &'static TypeSchema) {
    if children.len() < 2 || in_order(ty, children) {
        return;
    }
    // Each key is computed once (recomputing both at every comparison made
    // a shuffled 20 MB profile take 1.9 s), then packed so that most
    // comparisons decide on two integers. The sorts are stable: equal keys
    // (ordered lists, duplicates) keep their relative order, and runs already
    // in order (a file with one entry out of place, a reversed list) cost
    // little.
    let keys = keys_of(ty, children);
    let mut packed = pack(&keys);
    packed.sort_by_key(|p| (p.head, p.prefix));
    let mut start = 0;
    while start < packed.len() {
        let end = run_end(&packed, start);
        if end - start > 1 {
            refine(&mut packed[start..end], &keys, 0);
        }
        start = end;
    }
    let mut perm: Vec<u32> = packed.into_iter().map(|p| p.index).collect();
    apply_permutation(children, &mut perm);
}

/// A sort key packed for comparison without touching its strings, which lie
/// scattered over the input (a shuffled 20 MB profile spent most of its sort
/// on cache misses). Ordering by `(head, prefix)` never contradicts the full
/// key; only equal pairs need it.
struct Packed {
    /// `slot` and `unknown`, in their order.
    head: u32,
    /// The 16 bytes of the entry's first text key (an unknown element's name)
    /// that follow the prefix every entry with this head shares, big-endian,
    /// zero-padded; 0 for heads whose first key is not text.
    prefix: u128,
    index: u32,
}

fn head_of(k: &SortKey<'_>) -> u32 {
    ((k.slot + 1) as u32) << 1 | u32::from(k.unknown)
}

/// The text that leads an entry's order after its head.
fn lead<'e>(k: &SortKey<'e>) -> Option<&'e str> {
    if k.unknown == 1 {
        return Some(k.name);
    }
    match k.keys[0] {
        EntryKey::Text(t) => Some(t),
        EntryKey::Ip(_) => None,
    }
}

fn pack(keys: &[SortKey<'_>]) -> Vec<Packed> {
    // Per head: a text seen, the length all its texts share, and whether every
    // entry has a text lead (an IP key mixes addresses and unparsable text).
    struct Shared<'e> {
        seen: &'e str,
        common: usize,
        text: bool,
    }
    let mut shared: std::collections::HashMap<u32, Shared<'_>> = Default::default();
    for k in keys {
        let lead = lead(k);
        let s = shared.entry(head_of(k)).or_insert(Shared {
            seen: lead.unwrap_or(""),
            common: lead.map_or(0, str::len),
            text: true,
        });
        match lead {
            None => s.text = false,
            Some(t) => s.common = common_len(s.seen, t, s.common),
        }
    }
    keys.iter()
        .enumerate()
        .map(|(i, k)| {
            let head = head_of(k);
            let s = &shared[&head];
            let prefix = match lead(k) {
                Some(t) if s.text => chunk(t, s.common),
                _ => 0,
            };
            Packed {
                head,
                prefix,
                index: i as u32,
            }
        })
        .collect()
}

/// The length of the prefix `a` and `b` share, at most `limit`.
fn common_len(a: &str, b: &str, limit: usize) -> usize {
    let limit = limit.min(a.len()).min(b.len());
    let (a, b) = (&a.as_bytes()[..limit], &b.as_bytes()[..limit]);
    // 16 bytes at a time first: keys share long prefixes (`Object__c.Field`).
    let mut i = 0;
    while i + 16 <= limit && a[i..i + 16] == b[i..i + 16] {
        i += 16;
    }
    while i < limit && a[i] == b[i] {
        i += 1;
    }
    i
}

/// The 16 bytes of `text` from `at`, big-endian, zero-padded.
fn chunk(text: &str, at: usize) -> u128 {
    let rest = text.as_bytes().get(at..).unwrap_or(&[]);
    let mut bytes = [0u8; 16];
    let n = rest.len().min(16);
    bytes[..n].copy_from_slice(&rest[..n]);
    u128::from_be_bytes(bytes)
}

/// The end of the run of entries with the same head and prefix from `start`.
fn run_end(packed: &[Packed], start: usize) -> usize {
    let (head, prefix) = (packed[start].head, packed[start].prefix);
    packed[start..]
        .iter()
        .position(|p| p.head != head || p.prefix != prefix)
        .map_or(packed.len(), |n| start + n)
}

/// Orders a run of entries whose head and prefix are equal: by the next 16
/// bytes the run's leads do not share, run by run, and by the full key once
/// that decides nothing more (equal or padded texts, IP keys) or after a few
/// rounds (which bounds the recursion).
fn refine(run: &mut [Packed], keys: &[SortKey<'_>], round: u8) {
    let leads: Option<Vec<&str>> = run.iter().map(|p| lead(&keys[p.index as usize])).collect();
    let full = |run: &mut [Packed]| {
        run.sort_by(|a, b| keys[a.index as usize].cmp(&keys[b.index as usize]))
    };
    let Some(leads) = leads.filter(|_| round < 4) else {
        return full(run);
    };
    let first = leads[0];
    let common = leads[1..]
        .iter()
        .fold(first.len(), |n, t| common_len(first, t, n));
    if leads.iter().all(|t| t.len() == common) {
        // Equal leads: the second key (or the index) decides.
        return full(run);
    }
    for (p, t) in run.iter_mut().zip(&leads) {
        p.prefix = chunk(t, common);
    }
    if run.iter().all(|p| p.prefix == run[0].prefix) {
        // Only zero bytes against ends of text: nothing to split on.
        return full(run);
    }
    run.sort_by_key(|p| p.prefix);
    let mut start = 0;
    while start < run.len() {
        let end = run_end(run, start);
        if end - start > 1 {
            refine(&mut run[start..end], keys, round + 1);
        }
        start = end;
    }
}

/// Reorders `items` so that position i holds what was at `perm[i]`, in place
/// (cycle by cycle; `perm` is consumed), so sorting 100,000 entries needs no
/// second copy of them.
fn apply_permutation<T>(items: &mut [T], perm: &mut [u32]) {
    const DONE: u32 = u32::MAX;
    for start in 0..items.len() {
        if perm[start] == DONE {
            continue;
        }
        let mut i = start;
        loop {
            let from = perm[i] as usize;
            perm[i] = DONE;
            if from == start {
                break;
            }
            items.swap(i, from);
            i = from;
        }
    }
}

/// The name without a namespace prefix.
pub fn local_name(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, local)| local)
}

/// Compares two entries of a repeated element the way canonical order does;
/// used by code that inserts into an already canonical list.
pub fn compare_entries(ty: &'static TypeSchema, a: &Element<'_>, b: &Element<'_>) -> Ordering {
    sort_key(ty, a).cmp(&sort_key(ty, b))
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::apply_permutation;
    use crate::{schema, Document, Element};

    thread_local! {
        /// Sort keys computed on this thread (tests count work, not time).
        pub(super) static KEYS_COMPUTED: Cell<usize> = const { Cell::new(0) };
    }

    /// Issue 8, item 14: keys were recomputed at every comparison (a shuffled
    /// 20 MB profile took 1.9 s); now each child's key is computed at most
    /// twice (the in-order check, then once for the sort).
    #[test]
    fn issue_08_sorting_computes_each_key_once() {
        let n = 10_000;
        let entries: Vec<Element<'static>> = (0..n)
            .map(|i| {
                Element::with_children(
                    "fieldPermissions",
                    vec![
                        Element::boolean("editable", false),
                        Element::text("field", format!("A__c.F{:05}__c", (i * 7919) % n)),
                        Element::boolean("readable", true),
                    ],
                )
            })
            .collect();
        let mut doc = Document::new("Profile", entries);
        KEYS_COMPUTED.with(|c| c.set(0));
        super::order(&mut doc.root, schema::type_named("Profile"));
        let computed = KEYS_COMPUTED.with(Cell::get);
        // 3n for the in-order check inside the entries, at most 2n for the
        // root's children; comparing recomputed keys took ~28n.
        assert!(computed <= 5 * n, "{computed} keys for {n} entries");
        let fields: Vec<&str> = doc
            .root
            .children()
            .iter()
            .map(|c| c.child_text("field").unwrap())
            .collect();
        assert!(fields.windows(2).all(|w| w[0] < w[1]));
    }

    /// The packed sort (integers first, texts in 16-byte rounds, the full key
    /// last) gives exactly the order of a stable sort by the full key, for
    /// texts that share long prefixes, end early, hold zero bytes or repeat,
    /// unknown elements, second keys and IP keys.
    #[test]
    fn packed_sort_matches_the_full_key() {
        let ty = schema::type_named("Profile").unwrap();
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let parts = [
            "",
            "a",
            "A",
            "\0",
            "Object__c.",
            "Synchronized_Field_Number_0000",
            "é",
            "z",
        ];
        let ips = ["10.0.0.1", "9.0.0.0", "::1", "bad", ""];
        for round in 0..200 {
            let n = 2 + next(60);
            let mut children: Vec<Element<'static>> = Vec::new();
            for i in 0..n {
                let text: String = (0..next(6)).map(|_| parts[next(parts.len())]).collect();
                let other: String = (0..next(3)).map(|_| parts[next(parts.len())]).collect();
                let e = match next(6) {
                    0 => Element::with_children(
                        "fieldPermissions",
                        vec![
                            Element::text("field", text),
                            Element::text("readable", format!("{i}")),
                        ],
                    ),
                    1 => Element::with_children(
                        "layoutAssignments",
                        vec![
                            Element::text("layout", text),
                            Element::text("recordType", other),
                        ],
                    ),
                    2 => Element::with_children(
                        "loginIpRanges",
                        vec![
                            Element::text("endAddress", ips[next(ips.len())]),
                            Element::text("startAddress", ips[next(ips.len())]),
                        ],
                    ),
                    3 => Element::text(format!("zz{}", text.replace('\0', "")), format!("{i}")),
                    4 => Element::text("custom", format!("{i}")),
                    _ => Element::with_children(
                        "fieldPermissions",
                        vec![Element::text("field", text)],
                    ),
                };
                children.push(e);
            }
            let mut expected = children.clone();
            expected.sort_by(|a, b| super::compare_entries(ty, a, b));
            super::sort_children(&mut children, ty);
            assert!(children == expected, "round {round}");
        }
    }

    #[test]
    fn permutation_in_place() {
        let mut items = vec!['a', 'b', 'c', 'd', 'e'];
        let mut perm = vec![3, 0, 4, 1, 2];
        apply_permutation(&mut items, &mut perm);
        assert_eq!(items, ['d', 'a', 'e', 'b', 'c']);
    }
}
