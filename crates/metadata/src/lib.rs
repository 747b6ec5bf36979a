//! Metadata documents: a faithful, ordered element tree per component.
//! Owns: reading (`read`), canonical ordering (`canon`), the one serializer
//! (`write`), the schema table (`schema`), file names (`names`) and package.xml
//! (`package`), the permission catalog (`catalog`) and the `Secret` wrapper
//! every crate shares (`secret`). Does not: network I/O, file-system walking,
//! or deciding changes.
//!
//! Reading keeps everything (unknown elements, `xsi:nil`, extra namespace
//! declarations, comments, also before and after the root) within the limits in
//! `limits`; canonical writing gives the bytes a Metadata API
//! retrieve writes, so reading then writing a retrieved file is byte-identical.

pub mod canon;
pub mod catalog;
pub mod limits;
pub mod names;
pub mod package;
pub mod read;
pub mod schema;
pub mod secret;
pub mod tree;
pub mod write;

pub use limits::{Limit, Limits};
pub use read::{parse, parse_with, ParseError};
pub use tree::{Content, Document, Element, METADATA_NS};

/// Parses `bytes` and returns its canonical form.
pub fn canonical_bytes(bytes: &[u8]) -> Result<Vec<u8>, ParseError> {
    let text = read::utf8(bytes)?;
    let mut doc = parse(text)?;
    canon::canonicalize(&mut doc);
    let mut out = Vec::with_capacity(bytes.len() + 64);
    write::write(&doc, &mut out).expect("writing to a Vec cannot fail");
    Ok(out)
}

/// Writes the canonical form of a document to `out`.
pub fn write_canonical<W: std::io::Write>(
    doc: &mut Document<'_>,
    out: &mut W,
) -> std::io::Result<()> {
    canon::canonicalize(doc);
    write::write(doc, out)
}

/// The canonical bytes of a document (canonicalizes it in place first).
pub fn to_canonical_bytes(doc: &mut Document<'_>) -> Vec<u8> {
    canon::canonicalize(doc);
    write::to_bytes(doc)
}

/// Whether `bytes` are already canonical, without building the output: the
/// writer's bytes are compared against the input as they are produced.
pub fn is_canonical(bytes: &[u8]) -> Result<bool, ParseError> {
    let text = read::utf8(bytes)?;
    let mut doc = parse(text)?;
    canon::canonicalize(&mut doc);
    let mut cmp = CompareWriter {
        expected: bytes,
        pos: 0,
    };
    Ok(write::write(&doc, &mut cmp).is_ok() && cmp.pos == bytes.len())
}

/// A `Write` that fails at the first byte that differs from `expected`.
struct CompareWriter<'e> {
    expected: &'e [u8],
    pos: usize,
}

impl std::io::Write for CompareWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let end = self.pos + buf.len();
        if self.expected.get(self.pos..end) == Some(buf) {
            self.pos = end;
            Ok(buf.len())
        } else {
            Err(std::io::Error::other("differs"))
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests;
