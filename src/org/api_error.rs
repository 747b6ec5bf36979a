//! Typed Salesforce API errors, shared by SOAP faults and REST error arrays.
//! Owns: `ApiErrorCode` (the codes sfprov acts on, plus `Other`), `ApiError`,
//! and parsing a REST error body (`[{"errorCode","message","fields"}]`, the
//! `statusCode` spelling of collections, and OAuth's `{"error", ...}`).
//! Server text in an `ApiError` is scrubbed on the way in (`from_server`).
//! Does not: decide retries (see `retry`), or render hints (see `error`).

use std::fmt;

use serde::Deserialize;

/// An error code from the org, e.g. `INVALID_SESSION_ID`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiErrorCode {
    InvalidSessionId,
    RequestLimitExceeded,
    InvalidCrossReferenceKey,
    InsufficientAccess,
    ApiDisabledForOrg,
    UnsupportedApiVersion,
    UnknownException,
    ServerUnavailable,
    InvalidIdField,
    InvalidType,
    InvalidOperation,
    InvalidField,
    MalformedQuery,
    NotFound,
    DuplicateValue,
    DuplicateUsername,
    RequiredFieldMissing,
    FieldIntegrityException,
    /// Any other code, kept verbatim.
    Other(String),
}

impl ApiErrorCode {
    /// Parses a code as it appears on the wire; a `sf:` prefix is dropped.
    pub fn parse(raw: &str) -> ApiErrorCode {
        let code = raw.rsplit(':').next().unwrap_or(raw).trim();
        match code {
            "INVALID_SESSION_ID" => ApiErrorCode::InvalidSessionId,
            "REQUEST_LIMIT_EXCEEDED" => ApiErrorCode::RequestLimitExceeded,
            "INVALID_CROSS_REFERENCE_KEY" => ApiErrorCode::InvalidCrossReferenceKey,
            "INSUFFICIENT_ACCESS" | "INSUFFICIENT_ACCESS_OR_READONLY" => {
                ApiErrorCode::InsufficientAccess
            }
            "API_DISABLED_FOR_ORG" => ApiErrorCode::ApiDisabledForOrg,
            "UNSUPPORTED_API_VERSION" => ApiErrorCode::UnsupportedApiVersion,
            "UNKNOWN_EXCEPTION" => ApiErrorCode::UnknownException,
            "SERVER_UNAVAILABLE" => ApiErrorCode::ServerUnavailable,
            "INVALID_ID_FIELD" => ApiErrorCode::InvalidIdField,
            "INVALID_TYPE" => ApiErrorCode::InvalidType,
            "INVALID_OPERATION" => ApiErrorCode::InvalidOperation,
            "INVALID_FIELD" => ApiErrorCode::InvalidField,
            "MALFORMED_QUERY" => ApiErrorCode::MalformedQuery,
            "NOT_FOUND" => ApiErrorCode::NotFound,
            "DUPLICATE_VALUE" => ApiErrorCode::DuplicateValue,
            "DUPLICATE_USERNAME" => ApiErrorCode::DuplicateUsername,
            "REQUIRED_FIELD_MISSING" => ApiErrorCode::RequiredFieldMissing,
            "FIELD_INTEGRITY_EXCEPTION" => ApiErrorCode::FieldIntegrityException,
            other => ApiErrorCode::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            ApiErrorCode::InvalidSessionId => "INVALID_SESSION_ID",
            ApiErrorCode::RequestLimitExceeded => "REQUEST_LIMIT_EXCEEDED",
            ApiErrorCode::InvalidCrossReferenceKey => "INVALID_CROSS_REFERENCE_KEY",
            ApiErrorCode::InsufficientAccess => "INSUFFICIENT_ACCESS",
            ApiErrorCode::ApiDisabledForOrg => "API_DISABLED_FOR_ORG",
            ApiErrorCode::UnsupportedApiVersion => "UNSUPPORTED_API_VERSION",
            ApiErrorCode::UnknownException => "UNKNOWN_EXCEPTION",
            ApiErrorCode::ServerUnavailable => "SERVER_UNAVAILABLE",
            ApiErrorCode::InvalidIdField => "INVALID_ID_FIELD",
            ApiErrorCode::InvalidType => "INVALID_TYPE",
            ApiErrorCode::InvalidOperation => "INVALID_OPERATION",
            ApiErrorCode::InvalidField => "INVALID_FIELD",
            ApiErrorCode::MalformedQuery => "MALFORMED_QUERY",
            ApiErrorCode::NotFound => "NOT_FOUND",
            ApiErrorCode::DuplicateValue => "DUPLICATE_VALUE",
            ApiErrorCode::DuplicateUsername => "DUPLICATE_USERNAME",
            ApiErrorCode::RequiredFieldMissing => "REQUIRED_FIELD_MISSING",
            ApiErrorCode::FieldIntegrityException => "FIELD_INTEGRITY_EXCEPTION",
            ApiErrorCode::Other(s) => s,
        }
    }
}

impl fmt::Display for ApiErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One error reported by the org.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: ApiErrorCode,
    pub message: String,
    /// Fields the error is about (REST `fields`), possibly empty.
    pub fields: Vec<String>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if !self.fields.is_empty() {
            write!(f, " (fields: {})", self.fields.join(", "))?;
        }
        Ok(())
    }
}

impl ApiError {
    /// An error as a server reported it: code, message and fields are
    /// scrubbed (secrets redacted, control characters escaped) here, where
    /// they enter sfprov, so every later view of them is safe.
    pub fn from_server(code: &str, message: &str, fields: Vec<String>) -> ApiError {
        use crate::secret::scrub;
        ApiError {
            code: ApiErrorCode::parse(&scrub(code)),
            message: scrub(message),
            fields: fields.iter().map(|f| scrub(f)).collect(),
        }
    }
}

#[derive(Deserialize)]
struct WireError {
    #[serde(rename = "errorCode", alias = "statusCode", default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    fields: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct WireOAuthError {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// Parses a REST error body: the usual array, a single object, or an OAuth
/// `{"error": ...}` object. `None` when the body is none of these.
pub fn parse_rest_errors(body: &str) -> Option<Vec<ApiError>> {
    fn convert(w: WireError) -> ApiError {
        ApiError::from_server(
            w.code.as_deref().unwrap_or("UNKNOWN_ERROR"),
            &w.message.unwrap_or_default(),
            w.fields.unwrap_or_default(),
        )
    }
    if let Ok(list) = serde_json::from_str::<Vec<WireError>>(body) {
        return Some(list.into_iter().map(convert).collect());
    }
    if let Ok(o) = serde_json::from_str::<WireOAuthError>(body) {
        return Some(vec![ApiError::from_server(
            &o.error,
            &o.error_description.unwrap_or_default(),
            Vec::new(),
        )]);
    }
    if let Ok(one) = serde_json::from_str::<WireError>(body) {
        if one.code.is_some() {
            return Some(vec![convert(one)]);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_error_array_is_typed() {
        let body = r#"[{"message":"Required fields are missing: [Name]","errorCode":"REQUIRED_FIELD_MISSING","fields":["Name"]}]"#;
        let errs = parse_rest_errors(body).unwrap();
        assert_eq!(errs[0].code, ApiErrorCode::RequiredFieldMissing);
        assert_eq!(errs[0].fields, vec!["Name"]);
        assert_eq!(
            errs[0].to_string(),
            "REQUIRED_FIELD_MISSING: Required fields are missing: [Name] (fields: Name)"
        );
    }

    #[test]
    fn session_expired_and_collections_spelling() {
        let errs = parse_rest_errors(
            r#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#,
        )
        .unwrap();
        assert_eq!(errs[0].code, ApiErrorCode::InvalidSessionId);
        assert!(errs[0].fields.is_empty());
        let errs = parse_rest_errors(
            r#"[{"statusCode":"DUPLICATE_VALUE","message":"Duplicate PermissionSetAssignment","fields":[]}]"#,
        )
        .unwrap();
        assert_eq!(errs[0].code, ApiErrorCode::DuplicateValue);
    }

    #[test]
    fn oauth_error_and_garbage() {
        let errs = parse_rest_errors(
            r#"{"error":"invalid_grant","error_description":"user hasn't approved this consumer"}"#,
        )
        .unwrap();
        assert_eq!(errs[0].code, ApiErrorCode::Other("invalid_grant".into()));
        assert!(parse_rest_errors("<html>bad gateway</html>").is_none());
    }

    #[test]
    fn prefix_is_optional() {
        assert_eq!(
            ApiErrorCode::parse("sf:INVALID_SESSION_ID"),
            ApiErrorCode::InvalidSessionId
        );
        assert_eq!(
            ApiErrorCode::parse("INVALID_LOGIN").as_str(),
            "INVALID_LOGIN"
        );
    }
}
