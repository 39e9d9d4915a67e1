//! The `GET /v2/_catalog` response body: `{"repositories": [...]}`.

use serde::{Deserialize, Serialize};

use super::decode::{DecodeError, Document, decode, null_as_default};

/// Cap on one catalog page (as for tag lists).
pub const CATALOG_SIZE_LIMIT: usize = 16 * 1024 * 1024;

/// One page of a registry's repositories.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    /// Repository names, in the registry's order; `null` reads as empty.
    #[serde(default, deserialize_with = "null_as_default")]
    pub repositories: Vec<String>,
}

/// Parses a catalog page.
pub fn parse_catalog(bytes: &[u8]) -> Result<Catalog, DecodeError> {
    decode(bytes, CATALOG_SIZE_LIMIT, Document::Catalog)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_repositories_and_treats_null_as_none() {
        let page = parse_catalog(br#"{"repositories":["a/b","c"]}"#).expect("catalog");
        assert_eq!(page.repositories, ["a/b", "c"]);
        assert!(parse_catalog(br#"{"repositories":null}"#).expect("null").repositories.is_empty());
        assert!(parse_catalog(br#"{"repositories":[1]}"#).is_err());
    }
}
