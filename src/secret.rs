//! Secrets: access tokens, private keys, anything that must never be printed.
//! Owns: the `Secret` wrapper, whose Debug and Display print `[redacted]`, which
//! implements no Serialize, and whose value is reached only through `expose()`.
//! Does not: store or encrypt anything; it only keeps values out of output.

use std::fmt;

/// A value that must not reach stdout, logs, plan files or error messages.
///
/// `Debug` and `Display` print `[redacted]`; there is no `Serialize`; the one
/// way to the value is [`Secret::expose`], called where an HTTP header, a SOAP
/// `sessionId` or a signature is built.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
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
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
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
}
