//! Member names <-> file names.
//! Owns: the URL-style encoding Salesforce applies to Profile file names
//! (`System Admin(Without Super Access)` -> `System Admin%28Without Super Access%29`,
//! `Custom: Sales Profile` -> `Custom%3A Sales Profile`). Spaces stay as they are.
//! Does not: decide which types are encoded (the schema registry says so).

/// Characters Salesforce percent-encodes in metadata file names: those that are
/// unsafe in a file name on some system, plus `%` itself so decoding is exact.
const ENCODED: &[char] = &[
    '%', '(', ')', ':', '/', '\\', '?', '*', '"', '<', '>', '|', '#', '\'',
];

/// Encodes a member name for use as a file name.
pub fn encode(member: &str) -> String {
    let mut out = String::with_capacity(member.len());
    for c in member.chars() {
        if ENCODED.contains(&c) {
            out.push_str(&format!("%{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Decodes a file name back to the member name; malformed escapes stay literal.
pub fn decode(file_name: &str) -> String {
    let bytes = file_name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
        {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("00");
            out.push(u8::from_str_radix(hex, 16).unwrap_or(0));
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| file_name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names_match_salesforce() {
        assert_eq!(
            encode("System Admin(Without Super Access)"),
            "System Admin%28Without Super Access%29"
        );
        assert_eq!(encode("Custom: Sales Profile"), "Custom%3A Sales Profile");
        assert_eq!(
            encode("Minimum Access - API Only Integrations"),
            "Minimum Access - API Only Integrations"
        );
    }

    #[test]
    fn decode_inverts_encode() {
        for name in ["A(b)", "100% / done", "x%y", "plain", "Custom: x", "ünï(c)"] {
            assert_eq!(decode(&encode(name)), name);
        }
        assert_eq!(decode("bad%zzescape%"), "bad%zzescape%");
        assert_eq!(decode("end%2"), "end%2");
        assert_eq!(decode("a%+1b"), "a%+1b");
    }
}
