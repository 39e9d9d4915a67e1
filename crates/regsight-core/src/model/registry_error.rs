//! Registry error bodies (`{"errors":[{"code","message","detail"}]}`), their mapping to
//! [`ErrorCode`], and a one-line message for people, falling back to the HTTP status.
//!
//! Parsing is lenient: every field may be missing or `null`, `detail` may be any JSON, and other
//! fields are ignored. Some registries (Artifactory) omit `code`; the status then decides.

use serde::Deserialize;

use super::decode::{DecodeError, Document, decode, null_as_default};
use crate::ErrorCode;

/// Cap on an error body's size: 1 MiB. Bigger bodies are not error JSON; the status speaks.
pub const ERROR_BODY_SIZE_LIMIT: usize = 1024 * 1024;

/// Longest one-line message [`summarize_error`] returns, in characters.
pub const SUMMARY_MAX_CHARS: usize = 300;

/// An error response body.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ErrorBody {
    /// The errors, usually one.
    #[serde(default, deserialize_with = "null_as_default")]
    pub errors: Vec<RegistryError>,
}

/// One error of an error body.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct RegistryError {
    /// The code, such as `MANIFEST_UNKNOWN`; empty when absent.
    #[serde(default, deserialize_with = "null_as_default")]
    pub code: String,
    /// The registry's message; empty when absent.
    #[serde(default, deserialize_with = "null_as_default")]
    pub message: String,
    /// Extra detail, any JSON; `None` when absent or `null`.
    #[serde(default)]
    pub detail: Option<serde_json::Value>,
}

impl RegistryError {
    /// The stable code closest to this error's `code` (see [`error_code_for`]).
    pub fn error_code(&self) -> ErrorCode {
        error_code_for(&self.code)
    }
}

/// Maps a registry error code (distribution's list, plus `TOOMANYREQUESTS`) to ours.
pub fn error_code_for(code: &str) -> ErrorCode {
    match code.trim().to_ascii_uppercase().as_str() {
        "NAME_UNKNOWN" => ErrorCode::NameUnknown,
        "MANIFEST_UNKNOWN" => ErrorCode::ManifestUnknown,
        "BLOB_UNKNOWN" | "MANIFEST_BLOB_UNKNOWN" => ErrorCode::BlobUnknown,
        "UNAUTHORIZED" => ErrorCode::Unauthorized,
        "DENIED" => ErrorCode::Denied,
        "TOOMANYREQUESTS" => ErrorCode::TooManyRequests,
        "NAME_INVALID" | "TAG_INVALID" | "DIGEST_INVALID" => ErrorCode::InvalidReference,
        "UNSUPPORTED" => ErrorCode::Unsupported,
        "SIZE_INVALID" => ErrorCode::SizeMismatch,
        _ => ErrorCode::Registry,
    }
}

/// The stable code for an HTTP status when the body says nothing useful.
pub fn error_code_for_status(status: u16) -> ErrorCode {
    match status {
        401 => ErrorCode::Unauthorized,
        403 => ErrorCode::Denied,
        429 => ErrorCode::TooManyRequests,
        // A bare 404 does not say whether the repository, manifest or blob is missing; the
        // caller knows what it asked for and may refine this.
        _ => ErrorCode::Registry,
    }
}

/// Parses an error body.
pub fn parse_error_body(bytes: &[u8]) -> Result<ErrorBody, DecodeError> {
    decode(bytes, ERROR_BODY_SIZE_LIMIT, Document::ErrorBody)
}

/// A failed response boiled down for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorSummary {
    /// The HTTP status.
    pub status: u16,
    /// The stable code: from the first error's `code`, else from the status.
    pub code: ErrorCode,
    /// One line for people, at most [`SUMMARY_MAX_CHARS`] characters, no control characters.
    pub message: String,
}

/// Summarizes a failed response from its status and body, e.g.
/// `HTTP 404: manifest unknown (MANIFEST_UNKNOWN)`, or `HTTP 502 Bad Gateway` when the body is
/// not registry error JSON.
#[must_use]
pub fn summarize_error(status: u16, body: &[u8]) -> ErrorSummary {
    let errors = parse_error_body(body).map(|b| b.errors).unwrap_or_default();
    let Some(first) = errors.first() else {
        let message = match reason_phrase(status) {
            Some(reason) => format!("HTTP {status} {reason}"),
            None => format!("HTTP {status}"),
        };
        return ErrorSummary { status, code: error_code_for_status(status), message };
    };
    let code = if first.code.trim().is_empty() { error_code_for_status(status) } else { first.error_code() };
    let parts: Vec<String> = errors.iter().map(describe).collect();
    let message = one_line(&format!("HTTP {status}: {}", parts.join("; ")));
    ErrorSummary { status, code, message }
}

/// `message (CODE): detail`, leaving out what is absent.
fn describe(error: &RegistryError) -> String {
    let mut out = error.message.trim().to_owned();
    let code = error.code.trim();
    if out.is_empty() {
        out = code.to_ascii_lowercase().replace('_', " ");
    } else if !code.is_empty() {
        out.push_str(&format!(" ({code})"));
    }
    if out.is_empty() {
        out.push_str("unspecified error");
    }
    match &error.detail {
        Some(serde_json::Value::String(s)) if !s.trim().is_empty() => {
            out.push_str(&format!(": {}", s.trim()));
        }
        Some(detail @ (serde_json::Value::Array(_) | serde_json::Value::Object(_)))
            if !is_empty_json(detail) =>
        {
            out.push_str(&format!(": {detail}"));
        }
        Some(detail @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => {
            out.push_str(&format!(": {detail}"));
        }
        _ => {}
    }
    out
}

fn is_empty_json(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Array(a) => a.is_empty(),
        serde_json::Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Replaces control characters with spaces, collapses runs of spaces, and caps the length.
fn one_line(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().map(|c| if c.is_control() { ' ' } else { c }) {
        if !(c == ' ' && out.ends_with(' ')) {
            out.push(c);
        }
    }
    if out.chars().count() > SUMMARY_MAX_CHARS {
        out = out.chars().take(SUMMARY_MAX_CHARS - 1).collect();
        out.push('…');
    }
    out.trim().to_owned()
}

fn reason_phrase(status: u16) -> Option<&'static str> {
    Some(match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        413 => "Content Too Large",
        416 => "Range Not Satisfiable",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_the_closest_stable_code() {
        let cases = [
            ("NAME_UNKNOWN", ErrorCode::NameUnknown),
            ("MANIFEST_UNKNOWN", ErrorCode::ManifestUnknown),
            ("BLOB_UNKNOWN", ErrorCode::BlobUnknown),
            ("MANIFEST_BLOB_UNKNOWN", ErrorCode::BlobUnknown),
            ("UNAUTHORIZED", ErrorCode::Unauthorized),
            ("DENIED", ErrorCode::Denied),
            ("TOOMANYREQUESTS", ErrorCode::TooManyRequests),
            ("NAME_INVALID", ErrorCode::InvalidReference),
            ("TAG_INVALID", ErrorCode::InvalidReference),
            ("DIGEST_INVALID", ErrorCode::InvalidReference),
            ("UNSUPPORTED", ErrorCode::Unsupported),
            ("SIZE_INVALID", ErrorCode::SizeMismatch),
            ("manifest_unknown", ErrorCode::ManifestUnknown),
            ("PAGINATION_NUMBER_INVALID", ErrorCode::Registry),
            ("SOMETHING_NEW", ErrorCode::Registry),
        ];
        for (code, want) in cases {
            assert_eq!(error_code_for(code), want, "{code}");
        }
    }

    #[test]
    fn summaries() {
        let cases: &[(u16, &str, ErrorCode, &str)] = &[
            (
                404,
                r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"nope"}}]}"#,
                ErrorCode::ManifestUnknown,
                r#"HTTP 404: manifest unknown (MANIFEST_UNKNOWN): {"Tag":"nope"}"#,
            ),
            (
                401,
                r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":[{"Type":"repository","Name":"library/x","Action":"pull"}]}]}"#,
                ErrorCode::Unauthorized,
                r#"HTTP 401: authentication required (UNAUTHORIZED): [{"Action":"pull","Name":"library/x","Type":"repository"}]"#,
            ),
            (
                429,
                r#"{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit.\nUpgrade.","detail":null}]}"#,
                ErrorCode::TooManyRequests,
                "HTTP 429: You have reached your pull rate limit. Upgrade. (TOOMANYREQUESTS)",
            ),
            (
                403,
                r#"{"errors":[{"code":"DENIED"},{"code":"NAME_UNKNOWN","message":"no such repo","detail":"x"}],"extra":1}"#,
                ErrorCode::Denied,
                "HTTP 403: denied; no such repo (NAME_UNKNOWN): x",
            ),
            (
                401,
                r#"{"errors":[{"status":401,"message":"Authentication is required"}]}"#,
                ErrorCode::Unauthorized,
                "HTTP 401: Authentication is required",
            ),
            (502, "<html><body>Bad Gateway</body></html>", ErrorCode::Registry, "HTTP 502 Bad Gateway"),
            (429, "", ErrorCode::TooManyRequests, "HTTP 429 Too Many Requests"),
            (404, r#"{"errors":[]}"#, ErrorCode::Registry, "HTTP 404 Not Found"),
            (418, r#"{"errors":null}"#, ErrorCode::Registry, "HTTP 418"),
            (500, r#"{"errors":[{"code":5}]}"#, ErrorCode::Registry, "HTTP 500 Internal Server Error"),
        ];
        for (status, body, code, message) in cases {
            let summary = summarize_error(*status, body.as_bytes());
            assert_eq!(summary.code, *code, "{body}");
            assert_eq!(summary.message, *message, "{body}");
        }
    }

    #[test]
    fn a_nesting_bomb_in_detail_is_refused_and_the_status_speaks() {
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        let body = format!(r#"{{"errors":[{{"code":"DENIED","message":"m","detail":{deep}}}]}}"#);
        let err = parse_error_body(body.as_bytes()).expect_err("too deep");
        assert!(matches!(err, DecodeError::TooDeep { .. }), "{err:?}");
        let summary = summarize_error(403, body.as_bytes());
        assert_eq!((summary.code, summary.message.as_str()), (ErrorCode::Denied, "HTTP 403 Forbidden"));
    }

    #[test]
    fn summary_is_capped() {
        let body = format!(r#"{{"errors":[{{"code":"DENIED","message":"{}"}}]}}"#, "x".repeat(5000));
        let summary = summarize_error(403, body.as_bytes());
        assert_eq!(summary.message.chars().count(), SUMMARY_MAX_CHARS);
        assert!(summary.message.ends_with('…'));
    }
}
