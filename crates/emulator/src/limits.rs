//! The emulator's input limits (issue 7, item 3) and the bounded readers that
//! enforce them: request bodies read incrementally up to a limit, a bounded
//! XML scan (depth and element count) run before any tree is built, and the
//! deploy zip read entry by entry through `take(limit + 1)`.
//! Does not: decide which fault or deploy failure answers a limit (callers do).

use std::collections::BTreeMap;
use std::io::Read;
use std::pin::Pin;

use quick_xml::events::Event;
use quick_xml::Reader;

/// Salesforce's limit on a SOAP message: 50 MB (52,428,800 bytes). A request
/// past it is answered `EXCEEDED_MAX_SIZE_REQUEST`.
pub const MAX_SOAP_REQUEST_BYTES: usize = 50 * 1024 * 1024;
/// Salesforce limits a `login()` request to 10 KB.
pub const MAX_LOGIN_REQUEST_BYTES: usize = 10 * 1024;
/// How much of a Metadata API request is read before its session is checked:
/// the SessionHeader and the operation's name must appear in this prefix.
pub const PRESCAN_BYTES: usize = 64 * 1024;
/// Deepest element nesting the emulator reads, in a SOAP request or in a
/// deployed metadata file (real ones nest under 10 levels).
pub const MAX_XML_DEPTH: usize = 100;
/// Most elements in one SOAP request (a Metadata API call needs hundreds).
pub const MAX_SOAP_ELEMENTS: usize = 100_000;
/// Most elements in one deployed metadata file (a large Admin profile has a
/// few hundred thousand).
pub const MAX_FILE_ELEMENTS: usize = 1_000_000;
/// Salesforce: a deploy holds at most 10,000 files.
pub const MAX_DEPLOY_FILES: usize = 10_000;
/// Salesforce: the files of a deploy add up to at most 600 MB uncompressed
/// (629,145,600 bytes).
pub const MAX_DEPLOY_UNCOMPRESSED: u64 = 600 * 1024 * 1024;
/// The emulator's own limit on one file of a deploy zip, uncompressed.
pub const MAX_DEPLOY_FILE_BYTES: u64 = 100 * 1024 * 1024;

/// Why a request body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// Longer than the limit (by its Content-Length or by what arrived).
    TooLarge,
    /// The connection failed while reading.
    Io(String),
}

/// Whether a declared Content-Length already exceeds `limit`.
pub fn declared_too_large(headers: &axum::http::HeaderMap, limit: usize) -> bool {
    headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|n| n > limit as u64)
}

/// Reads `body` into `buf` until `buf` holds at least `want` bytes or the body
/// ends; `Ok(true)` when it ended. Never holds more than `limit` bytes.
pub async fn fill(
    body: &mut axum::body::Body,
    buf: &mut Vec<u8>,
    want: usize,
    limit: usize,
) -> Result<bool, BodyError> {
    use hyper::body::Body as _;
    while buf.len() < want {
        let frame = std::future::poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await;
        match frame {
            None => return Ok(true),
            Some(Err(e)) => return Err(BodyError::Io(e.to_string())),
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    if buf.len() + data.len() > limit {
                        return Err(BodyError::TooLarge);
                    }
                    buf.extend_from_slice(&data);
                }
            }
        }
    }
    Ok(body.is_end_stream())
}

/// Reads the whole body (after what `buf` already holds) up to `limit` bytes.
pub async fn read_all(
    body: &mut axum::body::Body,
    buf: &mut Vec<u8>,
    limit: usize,
) -> Result<(), BodyError> {
    fill(body, buf, usize::MAX, limit).await.map(|_| ())
}

/// A limit an XML document went past, worded for the reader.
pub fn depth_message(what: &str) -> String {
    format!("{what} nests elements deeper than {MAX_XML_DEPTH} levels (the emulator's limit)")
}

pub fn elements_message(what: &str, max: usize) -> String {
    format!("{what} has more than {max} elements (the emulator's limit)")
}

/// Scans XML for its nesting depth and element count without building a
/// tree: `Err` names the limit passed. Syntax errors are left to the parser
/// that runs next (it reports them with their position).
pub fn check_xml(bytes: &[u8], what: &str, max_elements: usize) -> Result<(), String> {
    let mut reader = Reader::from_reader(bytes);
    let mut buf = Vec::new();
    let (mut depth, mut elements) = (0usize, 0usize);
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(_)) => {
                depth += 1;
                elements += 1;
                if depth > MAX_XML_DEPTH {
                    return Err(depth_message(what));
                }
            }
            Ok(Event::Empty(_)) => elements += 1,
            Ok(Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(Event::Eof) | Err(_) => return Ok(()),
            Ok(_) => {}
        }
        if elements > max_elements {
            return Err(elements_message(what, max_elements));
        }
        buf.clear();
    }
}

/// Limits on reading a deploy zip (the constants above; smaller in tests).
#[derive(Debug, Clone, Copy)]
pub struct ZipLimits {
    pub files: usize,
    pub file_bytes: u64,
    pub total_bytes: u64,
}

impl Default for ZipLimits {
    fn default() -> Self {
        ZipLimits {
            files: MAX_DEPLOY_FILES,
            file_bytes: MAX_DEPLOY_FILE_BYTES,
            total_bytes: MAX_DEPLOY_UNCOMPRESSED,
        }
    }
}

/// The files of a deploy zip by name. Each entry is inflated through
/// `take(limit + 1)`, so the sizes its headers declare are never trusted;
/// the error is the deploy failure's message.
pub fn read_zip(bytes: &[u8], limits: ZipLimits) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("Error parsing the deploy zip file: {e}"))?;
    if zip.len() > limits.files {
        return Err(format!(
            "The deploy zip file holds {} entries, more than the limit of {} files; deploy the components in smaller batches",
            zip.len(),
            limits.files
        ));
    }
    let mut files = BTreeMap::new();
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let f = zip
            .by_index(i)
            .map_err(|e| format!("Error reading the deploy zip file: {e}"))?;
        if f.is_dir() {
            continue;
        }
        let name = f.name().trim_start_matches("./").to_string();
        // Neither limit may be passed by this entry: read one byte past the smaller.
        let room = limits
            .file_bytes
            .min(limits.total_bytes.saturating_sub(total));
        let mut buf = Vec::new();
        f.take(room + 1)
            .read_to_end(&mut buf)
            .map_err(|e| format!("Error reading {name} in the deploy zip file: {e}"))?;
        let len = buf.len() as u64;
        if len > limits.file_bytes {
            return Err(format!(
                "The file {name} in the deploy zip file is larger than {} bytes uncompressed, the limit for one file; split the component or deploy it without the emulator",
                limits.file_bytes
            ));
        }
        if len > room {
            return Err(format!(
                "The files in the deploy zip file exceed the maximum uncompressed size of {} bytes; deploy the components in smaller batches",
                limits.total_bytes
            ));
        }
        total += len;
        files.insert(name, buf);
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(files: &[(&str, usize)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, size) in files {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(&vec![b'x'; *size]).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn zip_limits_per_file_in_total_and_by_count() {
        let small = ZipLimits {
            files: 3,
            file_bytes: 100,
            total_bytes: 250,
        };
        let ok = read_zip(&zip_of(&[("a", 100), ("b", 100), ("c", 50)]), small).unwrap();
        assert_eq!(ok.len(), 3);
        let e = read_zip(&zip_of(&[("a", 100), ("big", 101)]), small).unwrap_err();
        assert!(e.contains("big") && e.contains("100 bytes"), "{e}");
        let e = read_zip(&zip_of(&[("a", 100), ("b", 100), ("c", 51)]), small).unwrap_err();
        assert!(e.contains("maximum uncompressed size of 250 bytes"), "{e}");
        let e = read_zip(&zip_of(&[("a", 1), ("b", 1), ("c", 1), ("d", 1)]), small).unwrap_err();
        assert!(e.contains("4 entries") && e.contains("3 files"), "{e}");
    }

    #[test]
    fn xml_depth_and_element_count_are_bounded() {
        let deep = format!(
            "{}{}",
            "<a>".repeat(MAX_XML_DEPTH + 1),
            "</a>".repeat(MAX_XML_DEPTH + 1)
        );
        assert!(check_xml(deep.as_bytes(), "x", 10_000)
            .unwrap_err()
            .contains("deeper than 100"));
        let ok = format!(
            "{}{}",
            "<a>".repeat(MAX_XML_DEPTH),
            "</a>".repeat(MAX_XML_DEPTH)
        );
        assert!(check_xml(ok.as_bytes(), "x", 10_000).is_ok());
        let many = format!("<r>{}</r>", "<e/>".repeat(20));
        assert!(check_xml(many.as_bytes(), "f", 20)
            .unwrap_err()
            .contains("more than 20 elements"));
        assert!(check_xml(many.as_bytes(), "f", 21).is_ok());
    }
}
