//! Descriptors: typed, sized, content-addressed references from a manifest to blobs and manifests.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::decode::null_as_default;
use crate::platform::Platform;
use crate::{Digest, MediaType};

/// Annotation BuildKit puts on attestation manifests inside an index (value `attestation-manifest`).
pub const REFERENCE_TYPE_ANNOTATION: &str = "vnd.docker.reference.type";

/// Annotation BuildKit puts on an attestation manifest: the digest of the manifest it attests.
pub const REFERENCE_DIGEST_ANNOTATION: &str = "vnd.docker.reference.digest";

/// A reference to content: its media type, digest and size, plus optional metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// Media type of the referenced content.
    pub media_type: MediaType,
    /// Digest of the referenced bytes.
    pub digest: Digest,
    /// Exact size of the referenced bytes (never negative on the wire; at most `i64::MAX`).
    #[serde(deserialize_with = "non_negative_size")]
    pub size: u64,
    /// Alternative download locations (foreign layers).
    #[serde(default, deserialize_with = "null_as_default", skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
    /// Free-form metadata.
    #[serde(default, deserialize_with = "null_as_default", skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Platform of the referenced manifest (index entries only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// Artifact type of the referenced manifest (OCI 1.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<MediaType>,
}

impl Descriptor {
    /// True for an attestation (provenance/SBOM) entry of an index: platform `unknown/unknown`
    /// or a [`REFERENCE_TYPE_ANNOTATION`]. These never run and are never selected.
    pub fn is_attestation(&self) -> bool {
        let unknown_platform =
            self.platform.as_ref().is_some_and(|p| p.os == "unknown" && p.architecture == "unknown");
        unknown_platform || self.annotations.contains_key(REFERENCE_TYPE_ANNOTATION)
    }

    /// For an attestation entry, the manifest it attests (its [`REFERENCE_DIGEST_ANNOTATION`]),
    /// when that annotation holds a valid digest.
    pub fn attests(&self) -> Option<Digest> {
        if !self.is_attestation() {
            return None;
        }
        self.annotations.get(REFERENCE_DIGEST_ANNOTATION)?.parse().ok()
    }
}

/// Reads a size as an integer in `0..=i64::MAX` (the range of Go's `int64`, as in the spec).
fn non_negative_size<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    struct SizeVisitor;

    impl Visitor<'_> for SizeVisitor {
        type Value = u64;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a size in bytes (an integer >= 0)")
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
            if i64::try_from(v).is_err() {
                return Err(E::custom(format_args!("size {v} exceeds the int64 range")));
            }
            Ok(v)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
            u64::try_from(v).map_err(|_| E::custom(format_args!("size must be >= 0, found {v}")))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
            Err(E::custom(format_args!("size must be a whole number of bytes, found {v}")))
        }
    }

    deserializer.deserialize_i64(SizeVisitor)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn parse(size: &str) -> Result<Descriptor, String> {
        let json = format!(
            r#"{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{DIGEST}","size":{size}}}"#
        );
        serde_json::from_str(&json).map_err(|e| e.to_string())
    }

    #[test]
    fn size_bounds() {
        assert_eq!(parse("0").map(|d| d.size), Ok(0));
        assert_eq!(parse("9223372036854775807").map(|d| d.size), Ok(i64::MAX as u64));
        let cases = [
            ("-1", "size must be >= 0, found -1"),
            ("9223372036854775808", "size 9223372036854775808 exceeds the int64 range"),
            ("1.5", "size must be a whole number of bytes, found 1.5"),
            ("\"12\"", "expected a size in bytes"),
            ("null", "expected a size in bytes"),
        ];
        for (size, want) in cases {
            let err = parse(size).expect_err(size);
            assert!(err.contains(want), "{size}: {err}");
        }
    }

    #[test]
    fn tolerates_unknown_fields_and_nulls() {
        let json = format!(
            r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{DIGEST}",
               "size":7,"urls":null,"annotations":null,"data":"e30=","futureField":{{"a":[1]}}}}"#
        );
        let d: Descriptor = serde_json::from_str(&json).expect("lenient");
        assert!(d.urls.is_empty() && d.annotations.is_empty());
        assert!(!d.is_attestation());
    }
}
