//! Reader: metadata XML text -> element tree.
//! Owns: parsing with quick-xml, keeping every element, attribute, `xsi:nil` and
//! comment; precise line:column positions for malformed input.
//! Does not: reorder anything (see `canon`) or touch the file system.
//!
//! Whitespace between elements is indentation and is dropped; the writer puts
//! back the canonical indentation. Text in a leaf is kept exactly. Mixed content
//! (text beside child elements), DTDs and processing instructions do not occur in
//! metadata and are refused rather than silently lost.
//!
//! Bounded: depth, element count and size are checked as the input is read
//! (see `limits`), so no input makes reading, ordering or writing overflow the
//! stack or take more than linear time and memory.

use std::borrow::Cow;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::limits::{Limit, Limits};
use super::tree::{Content, Document, Element};

/// Why a metadata document could not be read, with its position in the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct ParseError {
    /// 1-based line of the problem.
    pub line: usize,
    /// 1-based column (in characters) of the problem.
    pub column: usize,
    pub message: String,
    /// The limit the document went over, when that is the problem.
    pub limit: Option<Limit>,
}

impl ParseError {
    fn at(input: &str, offset: usize, message: impl Into<String>) -> Self {
        let (line, column) = line_col(input, offset);
        ParseError {
            line,
            column,
            message: message.into(),
            limit: None,
        }
    }

    fn over(input: &str, offset: usize, limit: Limit) -> Self {
        ParseError {
            limit: Some(limit),
            ..Self::at(input, offset, limit.message())
        }
    }
}

/// 1-based line and column of a byte offset.
pub fn line_col(input: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(input.len());
    let before = &input.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// Reads bytes as UTF-8 (the only encoding metadata files use), naming the
/// first invalid byte's position when they are not.
pub fn utf8(bytes: &[u8]) -> Result<&str, ParseError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let valid = &bytes[..e.valid_up_to()];
        let text = std::str::from_utf8(valid).unwrap_or_default();
        ParseError::at(text, text.len(), "the file is not valid UTF-8")
    })
}

/// Parses one metadata document within the default limits. Strings borrow
/// from `input` where possible.
pub fn parse(input: &str) -> Result<Document<'_>, ParseError> {
    parse_with(input, &Limits::DEFAULT)
}

/// Parses one metadata document within `limits`.
pub fn parse_with<'a>(input: &'a str, limits: &Limits) -> Result<Document<'a>, ParseError> {
    if input.len() > limits.max_bytes {
        return Err(ParseError::over(
            input,
            limits.max_bytes,
            Limit::Size(limits.max_bytes),
        ));
    }
    let mut reader = Reader::from_str(input);
    let config = reader.config_mut();
    config.trim_text(false);
    config.check_end_names = true;
    config.expand_empty_elements = false;

    // Open elements, each with any text; their children collected so far sit
    // at the end of `kids`, from `first_kid` on. One shared stack, so each
    // element's children are allocated once at its end tag, at their exact
    // size (a 100,000-entry profile has 100,000 such vectors; growing each
    // and shrinking it left a hole per entry that the next entry could not use).
    struct Open<'a> {
        element: Element<'a>,
        first_kid: usize,
        text: Option<Cow<'a, str>>,
        text_offset: usize,
        pending_comments: Vec<Cow<'a, str>>,
    }
    let mut stack: Vec<Open<'_>> = Vec::new();
    let mut kids: Vec<Element<'_>> = Vec::new();
    let mut root: Option<Element<'_>> = None;
    let mut before_root: Vec<Cow<'_, str>> = Vec::new();
    let mut after_root: Vec<Cow<'_, str>> = Vec::new();
    let mut elements = 0usize;
    // Depth and count are checked before an element is built.
    let mut admit = |depth: usize, offset: usize| {
        elements += 1;
        if depth > limits.max_depth {
            Err(ParseError::over(
                input,
                offset,
                Limit::Depth(limits.max_depth),
            ))
        } else if elements > limits.max_elements {
            Err(ParseError::over(
                input,
                offset,
                Limit::Elements(limits.max_elements),
            ))
        } else {
            Ok(())
        }
    };

    loop {
        let offset = reader.buffer_position() as usize;
        let event = reader
            .read_event()
            .map_err(|e| ParseError::at(input, reader.error_position() as usize, e.to_string()))?;
        match event {
            Event::Decl(_) => {}
            Event::Start(start) => {
                if root.is_some() {
                    return Err(ParseError::at(input, offset, "a second root element"));
                }
                admit(stack.len() + 1, offset)?;
                let mut element = element_from(input, &start, offset)?;
                if let Some(parent) = stack.last_mut() {
                    if let Some(text) = parent.text.take() {
                        if !text.trim().is_empty() {
                            return Err(mixed(input, parent.text_offset, &parent.element.name));
                        }
                    }
                    for c in parent.pending_comments.drain(..) {
                        element.push_comment_before(c);
                    }
                }
                stack.push(Open {
                    element,
                    first_kid: kids.len(),
                    text: None,
                    text_offset: 0,
                    pending_comments: Vec::new(),
                });
            }
            Event::Empty(start) => {
                admit(stack.len() + 1, offset)?;
                let mut element = element_from(input, &start, offset)?;
                match stack.last_mut() {
                    Some(parent) => {
                        if let Some(text) = parent.text.take() {
                            if !text.trim().is_empty() {
                                return Err(mixed(input, parent.text_offset, &parent.element.name));
                            }
                        }
                        for c in parent.pending_comments.drain(..) {
                            element.push_comment_before(c);
                        }
                        kids.push(element);
                    }
                    None => {
                        if root.is_some() {
                            return Err(ParseError::at(input, offset, "a second root element"));
                        }
                        root = Some(element);
                    }
                }
            }
            Event::Text(text) => {
                let Some(open) = stack.last_mut() else {
                    if text.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    return Err(ParseError::at(
                        input,
                        offset,
                        "text outside the root element",
                    ));
                };
                let text = unescaped(input, &text, offset)?;
                // Only the new piece: what came before was checked when it
                // arrived (checking all of it again is quadratic in comments).
                if kids.len() > open.first_kid && !text.trim().is_empty() {
                    return Err(mixed(input, offset, &open.element.name));
                }
                append_text(
                    open_text(&mut open.text, &mut open.text_offset, offset),
                    text,
                );
            }
            Event::CData(cdata) => {
                let Some(open) = stack.last_mut() else {
                    return Err(ParseError::at(
                        input,
                        offset,
                        "CDATA outside the root element",
                    ));
                };
                let text = cdata
                    .decode()
                    .map_err(|e| ParseError::at(input, offset, e.to_string()))?;
                append_text(
                    open_text(&mut open.text, &mut open.text_offset, offset),
                    text,
                );
                if kids.len() > open.first_kid {
                    return Err(mixed(input, offset, &open.element.name));
                }
            }
            Event::Comment(comment) => {
                let text = reborrow(input, &comment)
                    .ok_or_else(|| ParseError::at(input, offset, "a comment is not UTF-8"))?;
                match stack.last_mut() {
                    Some(open) => open.pending_comments.push(text),
                    None if root.is_none() => before_root.push(text),
                    None => after_root.push(text),
                }
            }
            Event::End(_) => {
                let Some(mut open) = stack.pop() else {
                    return Err(ParseError::at(
                        input,
                        offset,
                        "an end tag without a start tag",
                    ));
                };
                open.element.content = if kids.len() > open.first_kid {
                    Content::Children(kids.drain(open.first_kid..).collect())
                } else if let Some(text) = open.text {
                    Content::Text(text)
                } else {
                    Content::Text(Cow::Borrowed(""))
                };
                for c in open.pending_comments {
                    open.element.push_comment_end(c);
                }
                let element = open.element;
                match stack.last_mut() {
                    Some(parent) => {
                        if let Some(text) = parent.text.take() {
                            if !text.trim().is_empty() {
                                return Err(mixed(input, parent.text_offset, &parent.element.name));
                            }
                        }
                        kids.push(element);
                    }
                    None => root = Some(element),
                }
            }
            Event::PI(_) => {
                return Err(ParseError::at(
                    input,
                    offset,
                    "processing instructions are not allowed in metadata files",
                ))
            }
            Event::DocType(_) => {
                return Err(ParseError::at(
                    input,
                    offset,
                    "a DOCTYPE is not allowed in metadata files",
                ))
            }
            Event::Eof => break,
        }
    }
    if let Some(open) = stack.last() {
        return Err(ParseError::at(
            input,
            input.len(),
            format!("the file ends inside <{}>", open.element.name),
        ));
    }
    match root {
        Some(mut root) => {
            for c in after_root {
                root.push_comment_after(c);
            }
            Ok(Document {
                root,
                comments_before_root: before_root,
            })
        }
        None => Err(ParseError::at(input, input.len(), "no root element")),
    }
}

fn open_text<'a, 'b>(
    text: &'b mut Option<Cow<'a, str>>,
    text_offset: &mut usize,
    offset: usize,
) -> &'b mut Option<Cow<'a, str>> {
    if text.is_none() {
        *text_offset = offset;
    }
    text
}

fn append_text<'a>(slot: &mut Option<Cow<'a, str>>, more: Cow<'a, str>) {
    match slot {
        None => *slot = Some(more),
        Some(existing) => existing.to_mut().push_str(&more),
    }
}

fn mixed(input: &str, offset: usize, name: &str) -> ParseError {
    ParseError::at(
        input,
        offset,
        format!("<{name}> mixes text and child elements; metadata elements hold one or the other"),
    )
}

/// Builds an element (name and attributes) whose strings borrow from `input`.
fn element_from<'a>(
    input: &'a str,
    start: &BytesStart<'a>,
    offset: usize,
) -> Result<Element<'a>, ParseError> {
    let name = reborrow(input, start.name().as_ref())
        .ok_or_else(|| ParseError::at(input, offset, "an element name is not UTF-8"))?;
    if !xml_name(&name) {
        return Err(ParseError::at(
            input,
            offset,
            format!("`<{name}` does not start an element: `{name}` is not an XML name"),
        ));
    }
    let mut element = Element::empty(name);
    // quick-xml's duplicate check compares each attribute with every earlier
    // one (quadratic: 200,000 attributes took a minute); `unique` is linear.
    let mut unique = UniqueNames::default();
    for attr in start.attributes().with_checks(false) {
        let attr = attr.map_err(|e| ParseError::at(input, offset, e.to_string()))?;
        let key = reborrow(input, attr.key.as_ref())
            .ok_or_else(|| ParseError::at(input, offset, "an attribute name is not UTF-8"))?;
        if !xml_name(&key) {
            return Err(ParseError::at(
                input,
                offset,
                format!("`{key}` is not an XML attribute name"),
            ));
        }
        if !unique.insert(attr.key.into_inner()) {
            return Err(ParseError::at(
                input,
                offset,
                format!("<{}> has the attribute `{key}` twice", start_name(start)),
            ));
        }
        let value = unescaped(input, &attr.value, offset)?;
        element.push_attr(key, value);
    }
    Ok(element)
}

/// XML's Name production, close enough for metadata: a letter, `_` or `:`,
/// then letters, digits, `-`, `.`, `_` or `:` (`<` followed by a space or
/// `/>` is not an element; the fuzzer found `<\n/>` read as one named "").
fn xml_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '-' | '.' | '_' | ':' | '\u{b7}'))
}

/// Text or an attribute value (a slice quick-xml handed out) with entities
/// replaced, borrowing from `input` when there are none. The input is a
/// `&str` already, so this does not validate UTF-8 again.
fn unescaped<'a>(input: &'a str, raw: &[u8], offset: usize) -> Result<Cow<'a, str>, ParseError> {
    let raw = reborrow(input, raw)
        .ok_or_else(|| ParseError::at(input, offset, "the text is not UTF-8"))?;
    match raw {
        Cow::Borrowed(raw) => quick_xml::escape::unescape(raw),
        Cow::Owned(raw) => quick_xml::escape::unescape(&raw).map(|v| Cow::Owned(v.into_owned())),
    }
    .map_err(|e| ParseError::at(input, offset, e.to_string()))
}

fn start_name(start: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(start.name().as_ref()).into_owned()
}

/// Names seen so far on one element: a short list scanned in place (elements
/// have 0 to 2 attributes), a hash set once there are many.
#[derive(Default)]
struct UniqueNames<'s> {
    few: Vec<&'s [u8]>,
    many: std::collections::HashSet<&'s [u8]>,
}

impl<'s> UniqueNames<'s> {
    /// Adds a name; false when it was there already.
    fn insert(&mut self, name: &'s [u8]) -> bool {
        const FEW: usize = 8;
        if self.few.len() < FEW {
            if self.few.contains(&name) {
                return false;
            }
            self.few.push(name);
            return true;
        }
        if self.many.is_empty() {
            self.many.extend(self.few.iter().copied());
        }
        self.many.insert(name)
    }
}

/// The `&'a str` of `input` that `part` (a slice quick-xml handed out) covers.
/// quick-xml borrows names and attribute values from the input it reads, so
/// this finds them by address instead of copying.
fn reborrow<'a>(input: &'a str, part: &[u8]) -> Option<Cow<'a, str>> {
    let base = input.as_ptr() as usize;
    let at = part.as_ptr() as usize;
    if at >= base && at + part.len() <= base + input.len() {
        let start = at - base;
        input.get(start..start + part.len()).map(Cow::Borrowed)
    } else {
        std::str::from_utf8(part)
            .ok()
            .map(|s| Cow::Owned(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_angle_bracket_is_not_an_element() {
        // Found by the metadata_xml fuzz target: `<\n/>` read as an element
        // named "" that the writer could not write back.
        for bad in ["<\n/>", "< />", "<1a/>", "<a\n 1b=\"x\"/>"] {
            let e = parse(bad).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains("XML"), "{bad:?}: {e}");
        }
        assert!(parse("<ns:a-b.c_d x:y=\"1\"/>").is_ok());
    }
}
