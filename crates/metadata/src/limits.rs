//! Limits every metadata reader enforces: nesting depth, element count and
//! document size. Owns the values (documented in README "## Limits") and the
//! `Limit` a `ParseError` names, so callers (fmt, the emulator's deploy and
//! package.xml handling) can tell "over a limit" from "malformed" and answer
//! as they should. Real metadata nests fewer than 10 levels.

/// Deepest element nesting accepted (the root is level 1). Every recursion over
/// an element tree (canonical order, writer, drop) is bounded by it.
pub const MAX_DEPTH: usize = 64;

/// Most elements in one document. A 20 MB profile with 100,000 field
/// permissions has ~400,000; a 100 MiB one about 2,600,000.
pub const MAX_ELEMENTS: usize = 4_000_000;

/// Largest document, in bytes (100 MiB); also the largest file `fmt` reads.
pub const MAX_DOCUMENT_BYTES: usize = 100 * 1024 * 1024;

/// The limits one read enforces; `parse` uses [`Limits::DEFAULT`], callers
/// with tighter needs (or tests) pass their own to `parse_with`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Also bounds every recursion over the tree (ordering, writing, drop):
    /// keep it in the hundreds at most.
    pub max_depth: usize,
    pub max_elements: usize,
    pub max_bytes: usize,
}

impl Limits {
    pub const DEFAULT: Limits = Limits {
        max_depth: MAX_DEPTH,
        max_elements: MAX_ELEMENTS,
        max_bytes: MAX_DOCUMENT_BYTES,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Which limit a document went over, with the limit's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Elements nest deeper than this many levels.
    Depth(usize),
    /// More elements than this.
    Elements(usize),
    /// More bytes than this.
    Size(usize),
}

impl Limit {
    /// The sentence a parse error says when this limit is hit.
    pub(crate) fn message(self) -> String {
        let what = match self {
            Limit::Depth(n) => format!(
                "elements nest deeper than {n} levels, the limit for a metadata file \
                 (real metadata nests fewer than 10)"
            ),
            Limit::Elements(n) => format!(
                "the document has more than {} elements, the limit for a metadata file",
                group(n)
            ),
            Limit::Size(n) => format!(
                "the document is larger than {}, the limit for a metadata file",
                bytes(n)
            ),
        };
        format!("{what}; this is not a metadata file sfprov can read (see README, Limits)")
    }
}

/// `104857600` -> `100 MiB`; `1000` -> `1,000 bytes`.
pub fn bytes(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else {
        format!("{} bytes", group(n))
    }
}

/// `4000000` -> `4,000,000`.
pub fn group(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_limit() {
        assert!(Limit::Depth(MAX_DEPTH).message().contains("64 levels"));
        assert!(Limit::Elements(MAX_ELEMENTS)
            .message()
            .contains("4,000,000 elements"));
        assert!(Limit::Size(MAX_DOCUMENT_BYTES)
            .message()
            .contains("100 MiB"));
        assert_eq!(bytes(1000), "1,000 bytes");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
    }
}
