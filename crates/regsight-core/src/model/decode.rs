//! Bounded JSON decoding shared by every registry document: the size cap is checked before any
//! parsing, and errors say which document, what is wrong, and where (field path, line, column).
//!
//! Deep nesting (`[[[[...]]]]`) cannot overflow the stack: serde_json skips unknown fields
//! without recursing, and values it does build (an error body's free-form `detail`) stop at its
//! recursion limit of 128 levels, reported as [`DecodeError::TooDeep`]. Memory stays bounded by
//! the size cap.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::ErrorCode;

/// The kind of document being decoded, named in error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Document {
    /// An image manifest, index or schema1 manifest.
    Manifest,
    /// An image config blob.
    ImageConfig,
    /// A `tags/list` response.
    TagList,
    /// A `_catalog` response.
    Catalog,
    /// A registry error response body.
    ErrorBody,
}

impl fmt::Display for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Manifest => "manifest",
            Self::ImageConfig => "image config",
            Self::TagList => "tag list",
            Self::Catalog => "catalog",
            Self::ErrorBody => "error body",
        })
    }
}

/// Why a JSON document could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The document is bigger than the cap; nothing was parsed.
    #[error("{document} is {actual} bytes, over the {limit}-byte limit")]
    TooLarge {
        /// Which document.
        document: Document,
        /// The cap in bytes.
        limit: usize,
        /// The document's size in bytes.
        actual: usize,
    },
    /// The JSON nests deeper than serde_json's recursion limit (128).
    #[error("{document} nests JSON deeper than 128 levels (line {line}, column {column})")]
    TooDeep {
        /// Which document.
        document: Document,
        /// 1-based line where the limit was hit.
        line: usize,
        /// 1-based column where the limit was hit.
        column: usize,
    },
    /// Not JSON at all, truncated, or followed by trailing data.
    #[error("{document} is not valid JSON: {message} (line {line}, column {column})")]
    Syntax {
        /// Which document.
        document: Document,
        /// What the JSON parser found wrong.
        message: String,
        /// 1-based line of the problem.
        line: usize,
        /// Column of the problem.
        column: usize,
    },
    /// Valid JSON with a field of the wrong type or value, or a required field missing.
    #[error("invalid {document} at {}: {message} (line {line}, column {column})", describe_path(.path))]
    Invalid {
        /// Which document.
        document: Document,
        /// Path of the offending value, such as `layers[0].size`; empty for the top level.
        path: String,
        /// What is wrong.
        message: String,
        /// 1-based line of the problem.
        line: usize,
        /// Column of the problem.
        column: usize,
    },
}

fn describe_path(path: &str) -> String {
    if path.is_empty() { "the top level".to_owned() } else { format!("`{path}`") }
}

impl DecodeError {
    /// The stable error code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::TooLarge { .. } | Self::TooDeep { .. } => ErrorCode::LimitExceeded,
            Self::Syntax { .. } | Self::Invalid { .. } => ErrorCode::InvalidResponse,
        }
    }

    /// Which document failed to decode.
    pub fn document(&self) -> Document {
        match self {
            Self::TooLarge { document, .. }
            | Self::TooDeep { document, .. }
            | Self::Syntax { document, .. }
            | Self::Invalid { document, .. } => *document,
        }
    }
}

/// Decodes `bytes` as one JSON value of type `T`, refusing documents over `limit` bytes.
pub(crate) fn decode<T: DeserializeOwned>(
    bytes: &[u8],
    limit: usize,
    document: Document,
) -> Result<T, DecodeError> {
    if bytes.len() > limit {
        return Err(DecodeError::TooLarge { document, limit, actual: bytes.len() });
    }
    refuse_top_level_array(bytes, document)?;
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = if err.path().iter().next().is_none() { String::new() } else { err.path().to_string() };
        classify(document, path, err.inner())
    })?;
    deserializer.end().map_err(|err| classify(document, String::new(), &err))?;
    Ok(value)
}

/// Every registry document is a JSON object, but serde's derived structs also accept an array
/// of field values in declaration order; a reader in another language would refuse such a body,
/// so we refuse it too rather than see a document nobody else sees.
fn refuse_top_level_array(bytes: &[u8], document: Document) -> Result<(), DecodeError> {
    let Some(start) = bytes.iter().position(|b| !b.is_ascii_whitespace()) else {
        return Ok(());
    };
    if bytes.get(start) != Some(&b'[') {
        return Ok(());
    }
    let before = bytes.get(..start).unwrap_or_default();
    let line = 1 + before.iter().filter(|b| **b == b'\n').count();
    let column = 1 + before.iter().rev().take_while(|b| **b != b'\n').count();
    Err(DecodeError::Invalid {
        document,
        path: String::new(),
        message: "expected a JSON object, found an array".to_owned(),
        line,
        column,
    })
}

/// Longest parser message or field path quoted in an error, in characters.
const MAX_MESSAGE_CHARS: usize = 300;

/// Sorts a serde_json error into our variants, keeping the message without its location suffix.
fn classify(document: Document, path: String, err: &serde_json::Error) -> DecodeError {
    let (line, column) = (err.line(), err.column());
    let full = err.to_string();
    let suffix = format!(" at line {line} column {column}");
    // serde quotes the offending value, which is registry text of any length: cut it.
    let message = crate::quote::truncate(full.strip_suffix(&suffix).unwrap_or(&full), MAX_MESSAGE_CHARS);
    let path = crate::quote::truncate(&path, MAX_MESSAGE_CHARS);
    match err.classify() {
        serde_json::error::Category::Data => DecodeError::Invalid { document, path, message, line, column },
        _ if message.starts_with("recursion limit exceeded") => {
            DecodeError::TooDeep { document, line, column }
        }
        _ => DecodeError::Syntax { document, message, line, column },
    }
}

/// Deserializes `null` as `T::default()`; Go encoders write `null` for empty slices and maps.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Doc {
        #[allow(dead_code)]
        items: Vec<u32>,
        #[allow(dead_code)]
        #[serde(default)]
        any: Option<serde_json::Value>,
    }

    #[test]
    fn size_is_checked_before_parsing() {
        let err = decode::<Doc>(b"not even json", 4, Document::TagList).expect_err("too large");
        assert_eq!(err, DecodeError::TooLarge { document: Document::TagList, limit: 4, actual: 13 });
        assert_eq!(err.to_string(), "tag list is 13 bytes, over the 4-byte limit");
        assert_eq!(err.code(), ErrorCode::LimitExceeded);
    }

    #[test]
    fn errors_say_what_and_where() {
        let cases: &[(&[u8], &str)] = &[
            (b"<html>", "tag list is not valid JSON: expected value (line 1, column 1)"),
            (b"", "tag list is not valid JSON: EOF while parsing a value (line 1, column 0)"),
            (b"{\"items\":[1]} x", "tag list is not valid JSON: trailing characters (line 1, column 15)"),
            (
                b"{\"items\":[1,-2]}",
                "invalid tag list at `items[1]`: invalid value: integer `-2`, expected u32 (line 1, column 14)",
            ),
            (b"{}", "invalid tag list at the top level: missing field `items` (line 1, column 2)"),
            (
                b"\n  [[1]]",
                "invalid tag list at the top level: expected a JSON object, found an array (line 2, column 3)",
            ),
            (
                b"7",
                "invalid tag list at the top level: invalid type: integer `7`, expected struct Doc (line 1, column 1)",
            ),
        ];
        for (input, want) in cases {
            let err = decode::<Doc>(input, 1024, Document::TagList).expect_err(want);
            assert_eq!(err.to_string(), *want);
        }
    }

    #[test]
    fn deep_nesting_is_a_limit_not_a_crash() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        // Built values stop at serde_json's recursion limit.
        let bomb = format!("{{\"any\":{},\"items\":[]}}", deep(10_000));
        let err = decode::<Doc>(bomb.as_bytes(), 1 << 20, Document::ErrorBody).expect_err("bomb");
        assert!(matches!(err, DecodeError::TooDeep { line: 1, .. }), "{err:?}");
        assert_eq!(err.code(), ErrorCode::LimitExceeded);
        // Skipped (unknown) fields are walked without recursion, so they cannot overflow either.
        let skipped = format!("{{\"x\":{},\"items\":[]}}", deep(100_000));
        assert!(decode::<Doc>(skipped.as_bytes(), 1 << 20, Document::Manifest).is_ok());
    }
}
