//! Where each part of a spec came from: file name, text, and key positions.
//! Owns: parsing TOML text for positions (toml_edit keeps spans) and resolving a
//! key path (`permission_sets.X.system.ApiEnabled`) to `file:line:col`, looking
//! in the user's file before the template it starts from.
//! Does not: interpret values (serde does, in `mod.rs`).

use crate::diag::Location;

/// One TOML source: the user's `sfprov.toml` or a built-in template.
pub struct Source {
    /// How diagnostics name it: a path, or `template zendesk`.
    pub name: String,
    pub text: String,
    /// Byte offset where each line starts, so a location costs a binary
    /// search, not a scan from the top (40,000 positions in a large spec were
    /// quadratic).
    lines: Vec<usize>,
    doc: Option<toml_edit::ImDocument<String>>,
}

impl Source {
    /// Parses for positions; a syntax error is returned with its location.
    pub fn new(
        name: impl Into<String>,
        text: impl Into<String>,
    ) -> Result<Self, (String, Location)> {
        let name = name.into();
        let text = text.into();
        let lines = line_starts(&text);
        match toml_edit::ImDocument::parse(text.clone()) {
            Ok(doc) => Ok(Source {
                name,
                text,
                lines,
                doc: Some(doc),
            }),
            Err(e) => {
                let offset = e.span().map_or(0, |s| s.start);
                let message = e.message().trim().to_string();
                let source = Source {
                    name,
                    text,
                    lines,
                    doc: None,
                };
                Err((message, source.location_of(offset)))
            }
        }
    }

    /// The parsed document (with spans), when the text is valid TOML.
    pub fn doc(&self) -> Option<&toml_edit::ImDocument<String>> {
        self.doc.as_ref()
    }

    /// Whether this is a built-in template rather than the user's file.
    pub fn template_name(&self) -> Option<&str> {
        self.name.strip_prefix("template ")
    }

    /// The location of a byte offset: 1-based line, and column in characters.
    pub fn location_of(&self, offset: usize) -> Location {
        let offset = offset.min(self.text.len());
        let line = self.lines.partition_point(|&start| start <= offset);
        let start = self.lines[line - 1];
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        Location {
            file: self.name.clone(),
            line,
            column,
        }
    }

    /// The position of the deepest key of `path` present in this file, and
    /// whether the whole path was found.
    pub fn find(&self, path: &[String]) -> Option<(Location, bool)> {
        let doc = self.doc.as_ref()?;
        let mut item: &toml_edit::Item = doc.as_item();
        let mut found: Option<usize> = None;
        for (depth, seg) in path.iter().enumerate() {
            let last = depth + 1 == path.len();
            if let Some(table) = item.as_table_like() {
                let Some((key, next)) = table.get_key_value(seg) else {
                    break;
                };
                found = key.span().map(|s| s.start).or(found);
                if last {
                    return found.map(|o| (self.location_of(o), true));
                }
                item = next;
            } else if let (Some(array), Ok(i)) = (item.as_array(), seg.parse::<usize>()) {
                // Array elements are leaves for our purposes.
                let Some(value) = array.get(i) else { break };
                found = value.span().map(|s| s.start).or(found);
                return found.map(|o| (self.location_of(o), last));
            } else {
                break;
            }
        }
        found.map(|o| (self.location_of(o), false))
    }
}

/// Byte offsets of the starts of lines (the first is 0).
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// The sources of one spec, highest priority first (the user's file, then the
/// template it starts from).
#[derive(Default)]
pub struct Sources {
    pub files: Vec<Source>,
}

impl Sources {
    /// Where `path` is defined: the first file holding the whole path, else the
    /// deepest partial match, else the top of the first file.
    pub fn locate(&self, path: &[String]) -> Option<Location> {
        let mut partial: Option<Location> = None;
        for file in &self.files {
            match file.find(path) {
                Some((loc, true)) => return Some(loc),
                Some((loc, false)) if partial.is_none() => partial = Some(loc),
                _ => {}
            }
        }
        partial.or_else(|| self.files.first().map(|f| f.location_of(0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Vec<String> {
        s.split('/').map(str::to_string).collect()
    }

    #[test]
    fn finds_dotted_inline_and_nested_keys() {
        let src = Source::new(
            "sfprov.toml",
            "api_version = \"63.0\"\n\n[permission_sets.Z]\nlabel = \"Z\"\nsystem.ApiEnabled = { why = \"x\" }\nfields.\"Contact.Email\" = { access = \"read\" }\n",
        )
        .unwrap();
        let (loc, whole) = src.find(&p("permission_sets/Z/system/ApiEnabled")).unwrap();
        assert!(whole);
        assert_eq!((loc.line, loc.column), (5, 8));
        let (loc, _) = src
            .find(&p("permission_sets/Z/fields/Contact.Email/access"))
            .unwrap();
        assert_eq!((loc.line, loc.column), (6, 28));
        let (loc, whole) = src.find(&p("permission_sets/Z/objects/Case")).unwrap();
        assert!(!whole);
        assert_eq!(loc.line, 3);
    }

    #[test]
    fn locations_count_lines_and_characters() {
        let src = Source::new("s.toml", "a = 1\nb = \"é\"\nc = 2").unwrap();
        let at = |o: usize| {
            let l = src.location_of(o);
            (l.line, l.column)
        };
        assert_eq!(at(0), (1, 1));
        assert_eq!(at(6), (2, 1));
        assert_eq!(at(13), (2, 7)); // after the two-byte é
        assert_eq!(at(15), (3, 1));
        assert_eq!(at(999), (3, 6));
    }

    #[test]
    fn syntax_errors_have_positions() {
        let (msg, loc) = match Source::new("s.toml", "a = 1\nb = \n") {
            Err(e) => e,
            Ok(_) => panic!("should fail"),
        };
        assert_eq!(loc.line, 2, "{msg}");
    }
}
