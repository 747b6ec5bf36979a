//! Secrets: access tokens, private keys, anything that must never be printed.
//! Owns: the `Secret` wrapper (Debug and Display print `[redacted]`, no
//! Serialize, value only through `expose()`), the process-wide register of
//! live secrets every `Secret::new` feeds, and `scrub`: the one function that
//! makes text from a server (or any outside program) safe to show or log.
//! Does not: store or encrypt anything; it only keeps values out of output.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Mutex, OnceLock};

/// What a redacted secret is replaced with.
pub const REDACTED: &str = "[redacted]";

/// A value that must not reach stdout, logs, plan files or error messages.
///
/// `Debug` and `Display` print `[redacted]`; there is no `Serialize`; the one
/// way to the value is [`Secret::expose`], called where an HTTP header, a SOAP
/// `sessionId` or a signature is built. Creating one registers its value, so
/// [`scrub`] removes it from any text shown later.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        register(&value);
        Secret(value)
    }

    /// The secret value. Call it only where the value leaves for the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Shorter values are not redacted: they would blank ordinary words.
const MIN_LEN: usize = 8;
/// Forms kept; the oldest go first (a long-running emulator mints many).
const MAX_FORMS: usize = 4096;

fn forms() -> &'static Mutex<VecDeque<String>> {
    static FORMS: OnceLock<Mutex<VecDeque<String>>> = OnceLock::new();
    FORMS.get_or_init(Mutex::default)
}

/// Remembers `value` and the forms it may come back in: as is, each long
/// line of a multi-line value (PEM key material), the part after a session
/// id's `!`, and each of these percent-encoded (both hex cases) and with
/// `/` JSON-escaped.
fn register(value: &str) {
    let mut parts: Vec<&str> = vec![value];
    if value.contains('\n') {
        parts.extend(value.lines().map(str::trim).filter(|l| l.len() >= 16));
    }
    if let Some((_, tail)) = value.split_once('!') {
        parts.push(tail);
    }
    let mut new: Vec<String> = Vec::new();
    for p in parts.into_iter().filter(|p| p.trim().len() >= MIN_LEN) {
        new.push(percent_encode(p, true));
        new.push(percent_encode(p, false));
        new.push(p.replace('/', "\\/"));
        new.push(p.to_string());
    }
    let mut g = forms().lock().unwrap_or_else(|e| e.into_inner());
    for f in new {
        if !g.contains(&f) {
            g.push_back(f);
        }
    }
    while g.len() > MAX_FORMS {
        g.pop_front();
    }
}

/// Every byte but RFC 3986 unreserved ones as `%XX` (or `%xx`).
fn percent_encode(s: &str, upper: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&if upper {
                format!("%{b:02X}")
            } else {
                format!("%{b:02x}")
            });
        }
    }
    out
}

/// `text` with every registered secret (in any registered form) replaced by
/// `[redacted]`. Control characters are left alone; see [`scrub`].
pub fn redact(text: &str) -> String {
    let g = forms().lock().unwrap_or_else(|e| e.into_inner());
    let mut found: Vec<&String> = g.iter().filter(|f| text.contains(f.as_str())).collect();
    if found.is_empty() {
        return text.to_string();
    }
    // Longest first, so a whole token goes before its tail.
    found.sort_by_key(|f| std::cmp::Reverse(f.len()));
    let mut out = text.to_string();
    for f in found {
        out = out.replace(f.as_str(), REDACTED);
    }
    out
}

/// Text from outside sfprov (a server's answer, another program's output)
/// made safe to print or log: secrets redacted, and control characters
/// (C0 incl. newline, CR, ESC, BEL; DEL; C1; Unicode bidi overrides and line
/// separators) escaped as `\n`, `\x1b`, `\u{202e}`, so it stays on its line
/// and cannot drive the terminal. Idempotent: scrubbing twice changes nothing.
pub fn scrub(text: &str) -> String {
    escape_controls(&redact(text))
}

/// The control-character half of [`scrub`].
pub fn escape_controls(text: &str) -> String {
    if !text.chars().any(is_unsafe) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 && is_unsafe(c) => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn is_unsafe(c: char) -> bool {
    c.is_control() // C0, DEL, C1
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_are_masked() {
        let s = Secret::new("00Dxx!AQ.token");
        assert_eq!(format!("{s}"), "[redacted]");
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(&s)), "Some([redacted])");
        assert_eq!(s.expose(), "00Dxx!AQ.token");
    }

    #[test]
    fn redacts_exact_percent_encoded_and_split_forms() {
        let t = "00DUNIT0000001!AQ.unit/test+token=xyz";
        let _s = Secret::new(t);
        let text = format!(
            "a {t} b {} c {} d {} e {}",
            percent_encode(t, true),
            percent_encode(t, false),
            t.split_once('!').unwrap().1,
            t.replace('/', "\\/")
        );
        let out = redact(&text);
        assert!(!out.contains("unit/test"), "{out}");
        assert!(!out.contains("unit%2Ftest") && !out.contains("unit%2ftest"));
        assert!(!out.contains("unit\\/test"), "{out}");
        assert_eq!(out.matches(REDACTED).count(), 5, "{out}");
        assert!(out.starts_with("a [redacted] b"), "{out}");
    }

    #[test]
    fn key_lines_are_redacted_one_by_one() {
        let pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQDUNITTESTKEY12\n-----END PRIVATE KEY-----\n";
        let _s = Secret::new(pem);
        let out = redact("echo: BKcwggSjAgEAAoIBAQDUNITTESTKEY12");
        assert_eq!(out, "echo: [redacted]");
    }

    #[test]
    fn short_values_are_not_redacted() {
        let _s = Secret::new("abc");
        assert_eq!(redact("abc abcdef"), "abc abcdef");
    }

    #[test]
    fn controls_are_escaped_and_scrub_is_idempotent() {
        let s = scrub("\x1b[31mred\x07\rerror: forged\n\u{202e}\u{9b}x\ty");
        assert_eq!(
            s,
            "\\x1b[31mred\\x07\\rerror: forged\\n\\u{202e}\\u{9b}x\\ty"
        );
        assert_eq!(scrub(&s), s);
        assert_eq!(scrub("plain: ünïcode ok"), "plain: ünïcode ok");
    }
}
