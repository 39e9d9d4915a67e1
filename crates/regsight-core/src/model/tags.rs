//! The `GET /v2/<name>/tags/list` response body: `{"name": ..., "tags": [...]}`.

use serde::{Deserialize, Serialize};

use super::decode::{DecodeError, Document, decode, null_as_default};

/// Cap on one tag-list page: 16 MiB, room for ~300,000 tags in a registry that does not paginate.
pub const TAG_LIST_SIZE_LIMIT: usize = 16 * 1024 * 1024;

/// One page of a repository's tags.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagList {
    /// The repository name as the registry spells it.
    #[serde(default)]
    pub name: String,
    /// The tags, in the registry's order (distribution 2.8 does not sort); `null` reads as empty.
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: Vec<String>,
}

/// Parses a tag-list page.
pub fn parse_tag_list(bytes: &[u8]) -> Result<TagList, DecodeError> {
    decode(bytes, TAG_LIST_SIZE_LIMIT, Document::TagList)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_and_missing_tags_are_empty() {
        for body in [r#"{"name":"library/x","tags":null}"#, r#"{"name":"library/x"}"#] {
            let list = parse_tag_list(body.as_bytes()).expect(body);
            assert_eq!(list.name, "library/x");
            assert!(list.tags.is_empty());
        }
    }

    #[test]
    fn reads_tags_in_order_and_rejects_non_strings() {
        let list = parse_tag_list(br#"{"name":"a","tags":["b","a","1.0"],"child":[]}"#).expect("ok");
        assert_eq!(list.tags, ["b", "a", "1.0"]);
        let err = parse_tag_list(br#"{"name":"a","tags":["b",7]}"#).expect_err("bad tag");
        assert!(err.to_string().contains("`tags[1]`"), "{err}");
    }
}
