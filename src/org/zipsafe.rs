//! Unpacking a retrieved zip without trusting it.
//! Owns: `unpack` — refuses entries whose path is absolute or escapes with
//! `..`, two entries with one path, a name that is not UTF-8, too many
//! entries, and an uncompressed total past a limit (counted while inflating,
//! not from the headers, so a zip bomb stops early).
//! Does not: write files; callers get (path, bytes) pairs in memory.

use std::io::{Cursor, Read};

/// Limits for one retrieved zip.
#[derive(Debug, Clone, Copy)]
pub struct ZipLimits {
    /// Uncompressed bytes in all (Salesforce's own cap is about 600 MB).
    pub max_total: u64,
    pub max_entries: usize,
}

impl Default for ZipLimits {
    fn default() -> Self {
        ZipLimits {
            max_total: 600 * 1024 * 1024,
            max_entries: 20_000,
        }
    }
}

/// One file from the zip: a relative path with `/` separators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipEntry {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// Reads every file of `zip`, or says why the zip is refused.
pub fn unpack(zip: &[u8], limits: ZipLimits) -> Result<Vec<ZipEntry>, String> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(zip)).map_err(|e| format!("not a zip file: {e}"))?;
    // The reader keeps one entry per name: a name that repeats shows as
    // fewer entries than the central directory declares.
    if let Some(declared) = declared_entries(zip) {
        if declared != archive.len() {
            return Err(format!(
                "it declares {declared} entries but has {} distinct names: an entry's name repeats",
                archive.len()
            ));
        }
    }
    if archive.len() > limits.max_entries {
        return Err(format!(
            "it has {} entries, more than the limit of {}",
            archive.len(),
            limits.max_entries
        ));
    }
    let mut total: u64 = 0;
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for i in 0..archive.len() {
        let mut file = archive
            .by_index(i)
            .map_err(|e| format!("entry {i} is unreadable: {e}"))?;
        // Salesforce writes UTF-8 names; anything else (a CP437 name the zip
        // reader would reinterpret, or bytes flagged UTF-8 that are not) is
        // not a retrieve of a real org.
        if std::str::from_utf8(file.name_raw()).is_err() {
            return Err(format!(
                "entry {i}'s name is not UTF-8 ({})",
                String::from_utf8_lossy(file.name_raw())
            ));
        }
        let raw_name = file.name().to_string();
        let path = safe_path(&raw_name)?;
        if file.is_dir() {
            continue;
        }
        if !seen.insert(path.clone()) {
            return Err(format!(
                "entry `{raw_name}` is a second entry for `{path}` (which one holds the file?)"
            ));
        }
        let left = limits.max_total - total;
        let mut bytes = Vec::new();
        (&mut file)
            .take(left + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("entry `{raw_name}` is corrupt: {e}"))?;
        total += bytes.len() as u64;
        if total > limits.max_total {
            return Err(format!(
                "it unpacks to more than {} bytes (zip bomb?)",
                limits.max_total
            ));
        }
        out.push(ZipEntry { path, bytes });
    }
    Ok(out)
}

/// The entry count the end of central directory record declares (`None`
/// for zip64 counts or when the record is not found).
fn declared_entries(zip: &[u8]) -> Option<usize> {
    let tail = zip.len().saturating_sub(22 + 65_535);
    let at = (tail..zip.len().saturating_sub(21))
        .rev()
        .find(|&i| zip[i..i + 4] == *b"PK\x05\x06")?;
    let total = u16::from_le_bytes([zip[at + 10], zip[at + 11]]);
    (total != u16::MAX).then_some(usize::from(total))
}

/// A relative, normalized path, or an error for absolute or escaping ones.
fn safe_path(name: &str) -> Result<String, String> {
    let refuse = |why: &str| Err(format!("entry `{name}` {why}"));
    if name.contains('\0') {
        return refuse("has a NUL byte in its name");
    }
    let unified = name.replace('\\', "/");
    let bytes = unified.as_bytes();
    let drive = bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
    if unified.starts_with('/') || drive {
        return refuse("has an absolute path");
    }
    let mut parts = Vec::new();
    for part in unified.split('/') {
        match part {
            "" | "." => {}
            ".." => return refuse("escapes the target directory with `..`"),
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return refuse("has an empty path");
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use zip::write::SimpleFileOptions;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in entries {
            w.start_file(*name, opts).unwrap();
            w.write_all(bytes).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn ordinary_zip_unpacks() {
        let z = zip_of(&[
            ("unpackaged/package.xml", b"<Package/>"),
            ("unpackaged/profiles/Admin.profile", b"<Profile/>"),
        ]);
        let e = unpack(&z, ZipLimits::default()).unwrap();
        assert_eq!(e[1].path, "unpackaged/profiles/Admin.profile");
        assert_eq!(e[1].bytes, b"<Profile/>");
    }

    #[test]
    fn escaping_and_absolute_paths_are_refused() {
        for bad in [
            "../evil",
            "a/../../evil",
            "/etc/passwd",
            "C:\\evil",
            "..\\evil",
        ] {
            let z = zip_of(&[(bad, b"x")]);
            let err = unpack(&z, ZipLimits::default()).unwrap_err();
            assert!(err.contains("entry"), "{bad}: {err}");
        }
        assert_eq!(safe_path("./a//b").unwrap(), "a/b");
    }

    #[test]
    fn a_repeated_entry_name_is_refused() {
        // The writer refuses a repeated name: write another of the same
        // length, then make it the same in both headers.
        let z = zip_of(&[("a/x", b"1"), ("a/y", b"2")]);
        let mut dup = z.clone();
        for (i, w) in z.windows(3).enumerate() {
            if w == b"a/y" {
                dup[i + 2] = b'x';
            }
        }
        let err = unpack(&dup, ZipLimits::default()).unwrap_err();
        assert!(
            err.contains("declares 2 entries but has 1 distinct names"),
            "{err}"
        );
        let z = zip_of(&[("a/x", b"1"), ("a//x", b"2")]);
        let err = unpack(&z, ZipLimits::default()).unwrap_err();
        assert!(err.contains("is a second entry for `a/x`"), "{err}");
    }

    #[test]
    fn zip_bomb_is_refused_while_inflating() {
        let big = vec![0u8; 2 * 1024 * 1024];
        let z = zip_of(&[("a", &big), ("b", &big)]);
        assert!(z.len() < 64 * 1024, "compresses well: {}", z.len());
        let limits = ZipLimits {
            max_total: 3 * 1024 * 1024,
            max_entries: 10,
        };
        let err = unpack(&z, limits).unwrap_err();
        assert!(err.contains("zip bomb"), "{err}");
        let few = ZipLimits {
            max_total: u64::MAX / 2,
            max_entries: 1,
        };
        assert!(unpack(&z, few).unwrap_err().contains("entries"));
    }

    #[test]
    fn garbage_is_not_a_zip() {
        assert!(unpack(b"nope", ZipLimits::default()).is_err());
    }
}
