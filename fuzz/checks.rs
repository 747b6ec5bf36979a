//! What each fuzz target calls and asserts, shared by the targets in
//! `fuzz_targets/` and the replay test `tests/it/regression/fuzz.rs` (which
//! includes this file by path), so a committed input replays exactly as it
//! was found. Each function: never panics on any bytes, plus the invariants
//! its parser promises.
#![allow(dead_code)]

use std::path::Path;

use sfprov::metadata::{self, read, write};
use sfprov::org::mdapi::types::record_to_document;
use sfprov::org::mdapi::{AsyncJob, DeployResult, FileProperties, RetrieveResult};
use sfprov::org::soap::{parse_reply, Reply};
use sfprov::org::{api_error, rest, zipsafe};

/// One target's check.
pub type Check = fn(&[u8]);

/// The targets, by name, for the replay test.
pub const TARGETS: &[(&str, Check)] = &[
    ("metadata_xml", metadata_xml),
    ("spec", spec),
    ("soap_reply", soap_reply),
    ("rest_json", rest_json),
    ("retrieve_zip", retrieve_zip),
    ("plan_file", plan_file),
];

/// The metadata reader, canonical order and writer: canonicalizing is
/// idempotent, its output is canonical, and writing what was read (without
/// reordering) is a fixed point after one pass.
pub fn metadata_xml(data: &[u8]) {
    let Ok(text) = read::utf8(data) else {
        return;
    };
    let Ok(doc) = read::parse(text) else {
        // Whatever is refused is refused by `is_canonical` too, not a panic.
        assert!(metadata::is_canonical(data).is_err());
        return;
    };
    // Writing as read: the output reads back and writes the same bytes.
    let as_read = write::to_bytes(&doc);
    let again = metadata::read::parse(std::str::from_utf8(&as_read).expect("writer writes UTF-8"))
        .expect("what the writer wrote reads back");
    assert_eq!(
        write::to_bytes(&again),
        as_read,
        "write(read(x)) is a fixed point"
    );

    // Canonical bytes: idempotent, and recognized as canonical.
    let mut doc = doc;
    let canon = metadata::to_canonical_bytes(&mut doc);
    assert_eq!(
        metadata::canonical_bytes(data).expect("parsed once, parses again"),
        canon
    );
    let twice = metadata::canonical_bytes(&canon).expect("canonical output reads back");
    assert_eq!(twice, canon, "canon(canon(x)) == canon(x)");
    assert!(metadata::is_canonical(&canon).expect("reads"));
    // Read -> write is byte-identical for canonical input (what a retrieve writes).
    if metadata::is_canonical(data).expect("parsed once") {
        assert_eq!(canon, data);
    }
}

/// The spec loader (TOML, shape check, template merge, validation).
pub fn spec(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match sfprov::spec::load_str("fuzz.toml", text) {
        Ok(loaded) => {
            let _ = format!("{:?}", loaded.desired);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// The SOAP reply parser and the Metadata API result readers on its answer.
pub fn soap_reply(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_reply(text) {
        Ok(Reply::Ok(node)) => {
            let _ = AsyncJob::from_node(&node);
            let d = DeployResult::from_node(&node);
            let _ = (d.status(), d.outcome());
            let _ = FileProperties::from_node(&node);
            if let Ok(r) = RetrieveResult::from_node(&node) {
                let _ = (r.is_finished(), r.is_failed());
                if let Some(zip) = r.zip {
                    retrieve_zip(&zip);
                }
            }
            for rec in node.all("result").chain(node.all("records")) {
                let mut doc = record_to_document(rec, "PermissionSet");
                let _ = metadata::to_canonical_bytes(&mut doc);
            }
        }
        Ok(Reply::Fault(e)) => {
            let _ = e.to_string();
        }
        Err(_) => {}
    }
}

/// REST error bodies and query pages.
pub fn rest_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(errors) = api_error::parse_rest_errors(text) {
        for e in errors {
            let _ = (e.to_string(), e.code.as_str().len());
        }
    }
    let _ = rest::parse_query_page(text);
}

/// The retrieve-zip reader, with small limits: every entry it returns has a
/// relative path with no `..`, and the total stays within the limit.
pub fn retrieve_zip(data: &[u8]) {
    let limits = zipsafe::ZipLimits {
        max_total: 8 * 1024 * 1024,
        max_entries: 1000,
    };
    if let Ok(entries) = zipsafe::unpack(data, limits) {
        let mut total = 0u64;
        for e in &entries {
            assert!(!e.path.is_empty());
            assert!(!e.path.starts_with('/') && !e.path.contains('\\'));
            assert!(!e.path.split('/').any(|p| p == ".." || p.is_empty()));
            total += e.bytes.len() as u64;
        }
        assert!(total <= limits.max_total);
    }
}

/// The plan-file reader: what it accepts saves and reads back equal.
pub fn plan_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("fuzz.plan.json");
    if let Ok(plan) = sfprov::plan::file::parse(path, text) {
        let json = serde_json::to_string_pretty(&plan).expect("a plan serializes");
        let back = sfprov::plan::file::parse(path, &json).expect("a saved plan reads back");
        assert_eq!(back, plan);
    }
}
