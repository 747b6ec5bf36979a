//! Canonical writer: element tree -> the bytes a Metadata API retrieve writes.
//! Owns: the XML declaration, 4-space indentation, escaping, `<x/>` for empty
//! elements, a final newline. It is the only XML serializer in sfprov: generate,
//! fmt, package.xml, plan's text diff and the emulator all call it.
//! Does not: order children (call `canon::canonicalize` first) or touch files.

use std::io::{self, Write};

use super::tree::{Content, Document, Element};

/// The declaration every retrieved file starts with.
pub const DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// Writes a document as it stands (call `canonicalize` first for canonical bytes).
pub fn write<W: Write>(doc: &Document<'_>, out: &mut W) -> io::Result<()> {
    out.write_all(DECLARATION.as_bytes())?;
    for comment in &doc.comments_before_root {
        write_comment(out, 0, comment)?;
    }
    write_element(out, &doc.root, 0)?;
    for comment in doc.root.comments_after() {
        write_comment(out, 0, comment)?;
    }
    Ok(())
}

/// The document's bytes.
pub fn to_bytes(doc: &Document<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(4096);
    write(doc, &mut out).expect("writing to a Vec cannot fail");
    out
}

fn indent<W: Write>(out: &mut W, depth: usize) -> io::Result<()> {
    const SPACES: &[u8] = &[b' '; 64];
    let mut n = depth * 4;
    while n > 0 {
        let k = n.min(SPACES.len());
        out.write_all(&SPACES[..k])?;
        n -= k;
    }
    Ok(())
}

fn write_comment<W: Write>(out: &mut W, depth: usize, text: &str) -> io::Result<()> {
    indent(out, depth)?;
    out.write_all(b"<!--")?;
    out.write_all(text.as_bytes())?;
    out.write_all(b"-->\n")
}

fn write_element<W: Write>(out: &mut W, e: &Element<'_>, depth: usize) -> io::Result<()> {
    for comment in e.comments_before() {
        write_comment(out, depth, comment)?;
    }
    indent(out, depth)?;
    out.write_all(b"<")?;
    out.write_all(e.name.as_bytes())?;
    for (name, value) in e.attrs() {
        out.write_all(b" ")?;
        out.write_all(name.as_bytes())?;
        out.write_all(b"=\"")?;
        escape(out, value)?;
        out.write_all(b"\"")?;
    }
    match &e.content {
        Content::Children(children) if !children.is_empty() => {
            out.write_all(b">\n")?;
            for child in children {
                write_element(out, child, depth + 1)?;
            }
            for comment in e.comments_end() {
                write_comment(out, depth + 1, comment)?;
            }
            indent(out, depth)?;
            end_tag(out, e)
        }
        Content::Text(text) => {
            out.write_all(b">")?;
            escape(out, text)?;
            inline_comments(out, e)?;
            end_tag(out, e)
        }
        _ if e.comments_end().is_empty() => out.write_all(b"/>\n"),
        _ => {
            out.write_all(b">")?;
            inline_comments(out, e)?;
            end_tag(out, e)
        }
    }
}

fn inline_comments<W: Write>(out: &mut W, e: &Element<'_>) -> io::Result<()> {
    for comment in e.comments_end() {
        out.write_all(b"<!--")?;
        out.write_all(comment.as_bytes())?;
        out.write_all(b"-->")?;
    }
    Ok(())
}

fn end_tag<W: Write>(out: &mut W, e: &Element<'_>) -> io::Result<()> {
    out.write_all(b"</")?;
    out.write_all(e.name.as_bytes())?;
    out.write_all(b">\n")
}

/// Writes text with the five XML entities escaped, as retrieves do.
pub fn escape<W: Write>(out: &mut W, text: &str) -> io::Result<()> {
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let entity: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' => b"&quot;",
            b'\'' => b"&apos;",
            _ => continue,
        };
        out.write_all(&bytes[start..i])?;
        out.write_all(entity)?;
        start = i + 1;
    }
    out.write_all(&bytes[start..])
}
