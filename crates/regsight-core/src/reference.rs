//! Image references such as `python:3.12` or `ghcr.io/o/r@sha256:…`: parsed and normalized exactly as
//! Docker's `ParseNormalizedNamed` does (distribution/reference), with errors that say what is wrong
//! and where.
//!
//! The grammar, from distribution/reference:
//!
//! ```text
//! reference  := name [ ":" tag ] [ "@" digest ]
//! name       := [ registry "/" ] path
//! registry   := host [ ":" port ]            host := domain-name | "[" ipv6 "]"
//! path       := component ( "/" component )*  component := [a-z0-9]+ ( separator [a-z0-9]+ )*
//! separator  := "." | "_" | "__" | "-"+       tag := [\w][\w.-]{0,127}
//! ```
//!
//! Normalization: the first path component names a registry only if it contains `.` or `:`, is
//! `localhost`, or holds an upper-case letter; otherwise the registry is `docker.io`.
//! `index.docker.io` becomes `docker.io`, a one-component name on `docker.io` gets `library/`, and a
//! reference without tag or digest gets the tag `latest`. A reference may carry both a tag and a digest;
//! the digest then decides what is fetched.

use std::fmt;
use std::str::FromStr;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::url::is_scheme;
use crate::{Digest, DigestError, ErrorCode};

/// The registry Docker uses when a reference names none.
pub const DOCKER_HUB: &str = "docker.io";
/// The tag Docker uses when a reference has neither tag nor digest.
pub const DEFAULT_TAG: &str = "latest";
/// Longest repository path Docker accepts, in bytes (the registry is not counted).
pub const MAX_REPOSITORY_LEN: usize = 255;
/// Longest tag, in bytes.
pub const MAX_TAG_LEN: usize = 128;
/// Longest input we look at, in bytes: longer than anything Docker can pull (a DNS name has at most
/// 253 bytes), and it keeps error messages, which quote parts of the input, short.
pub const MAX_REFERENCE_LEN: usize = 1024;

/// Docker Hub's old name, normalized to [`DOCKER_HUB`].
const LEGACY_DOCKER_HUB: &str = "index.docker.io";
/// Namespace of Docker Hub's official images.
const OFFICIAL_PREFIX: &str = "library/";

/// The part of a reference an error points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The registry (`host[:port]`).
    Registry,
    /// The repository path.
    Repository,
    /// The tag.
    Tag,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Registry => "registry",
            Self::Repository => "repository",
            Self::Tag => "tag",
        })
    }
}

/// Why a string is not an image reference. Positions are byte offsets into the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// Nothing was given.
    #[error("image reference is empty")]
    Empty,
    /// The input is longer than [`MAX_REFERENCE_LEN`].
    #[error("image reference is {length} bytes long; the limit is {limit}")]
    TooLong {
        /// The limit in bytes.
        limit: usize,
        /// The input's length in bytes.
        length: usize,
    },
    /// The input is a bare 64-character hex string, which Docker reads as an image ID.
    #[error("{0:?} looks like an image ID, not a repository name; write a digest as name@sha256:<hex>")]
    ImageId(String),
    /// The input starts with a URL scheme such as `https://`.
    #[error("image references take no scheme; remove {scheme:?}")]
    Scheme {
        /// The scheme with its `://`.
        scheme: String,
    },
    /// No repository path where one is required.
    #[error("no repository name at byte {position}")]
    MissingRepository {
        /// Where the repository should start.
        position: usize,
    },
    /// A character that may not appear in this part.
    #[error("invalid character {found:?} at byte {position} in the {part}")]
    BadCharacter {
        /// The part holding it.
        part: Part,
        /// The character.
        found: char,
        /// Its position.
        position: usize,
    },
    /// The repository path holds an upper-case letter.
    #[error("repository name {repository:?} must be lower-case (upper-case letter at byte {position})")]
    UppercaseRepository {
        /// The repository path as written.
        repository: String,
        /// Position of the first upper-case letter.
        position: usize,
    },
    /// An empty component: a doubled `/` or `.`, or one at the start or end.
    #[error("empty {part} component at byte {position} (look for a doubled, leading or trailing '/' or '.')")]
    EmptyComponent {
        /// The part holding it.
        part: Part,
        /// Where the empty component is.
        position: usize,
    },
    /// A separator at the start or end of a component, or a separator sequence that is not allowed.
    #[error(
        "{part} component {component:?} has separator {separator:?} at byte {position}; \
         separators ({allowed}) may only join letters or digits",
        allowed = allowed_separators(*part)
    )]
    BadSeparator {
        /// The part holding it.
        part: Part,
        /// The whole component.
        component: String,
        /// The offending separator sequence.
        separator: String,
        /// Where the sequence starts.
        position: usize,
    },
    /// The registry's `[` has no matching `]`.
    #[error("registry has '[' at byte {position} without a closing ']'")]
    UnclosedBracket {
        /// Position of the `[`.
        position: usize,
    },
    /// The registry port is not a number from 1 to 65535.
    #[error("registry port {port:?} at byte {position} must be a number from 1 to 65535")]
    BadPort {
        /// The port as written.
        port: String,
        /// Where it starts.
        position: usize,
    },
    /// The bracketed registry address is not an IPv6 address.
    #[error("registry [{address}] is not an IPv6 address")]
    BadIpv6 {
        /// What was inside the brackets.
        address: String,
    },
    /// The registry's host name is longer than a DNS name can be.
    #[error("registry host is {length} bytes long; the limit is {limit}")]
    RegistryTooLong {
        /// The limit in bytes.
        limit: usize,
        /// Its length in bytes.
        length: usize,
    },
    /// The repository path is longer than [`MAX_REPOSITORY_LEN`].
    #[error("repository name {repository:?} is {length} bytes long; the limit is {limit}")]
    RepositoryTooLong {
        /// The normalized repository path.
        repository: String,
        /// The limit in bytes.
        limit: usize,
        /// Its length in bytes.
        length: usize,
    },
    /// Nothing after the `:` that starts a tag.
    #[error("empty tag at byte {position}")]
    EmptyTag {
        /// Where the tag should start.
        position: usize,
    },
    /// The tag starts with `.` or `-`.
    #[error("tag must start with a letter, digit or '_', not {found:?} (byte {position})")]
    BadTagStart {
        /// The first character.
        found: char,
        /// Its position.
        position: usize,
    },
    /// The tag is longer than [`MAX_TAG_LEN`].
    #[error("tag is {length} bytes long; the limit is {limit}")]
    TagTooLong {
        /// The limit in bytes.
        limit: usize,
        /// The tag's length in bytes.
        length: usize,
    },
    /// The part after `@` is not a digest we accept.
    #[error("invalid digest at byte {position}: {source}")]
    BadDigest {
        /// Where the digest starts.
        position: usize,
        /// What is wrong with it.
        #[source]
        source: DigestError,
    },
}

impl ReferenceError {
    /// The stable error code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            // A digest in an algorithm we cannot compute is not a typo: say so, never "mismatch".
            Self::BadDigest { source, .. } if source.code() == ErrorCode::Unsupported => {
                ErrorCode::Unsupported
            }
            _ => ErrorCode::InvalidReference,
        }
    }
}

/// Separators a part accepts, as the error message lists them.
fn allowed_separators(part: Part) -> &'static str {
    match part {
        Part::Registry => "'-'",
        Part::Repository | Part::Tag => "'.', '_', '__' or dashes",
    }
}

/// What to fetch from the manifests endpoint: a tag, or a digest (which wins when both are given).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// Fetch by tag.
    Tag(&'a str),
    /// Fetch by digest.
    Digest(&'a Digest),
}

impl fmt::Display for Target<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tag(tag) => f.write_str(tag),
            Self::Digest(digest) => write!(f, "{digest}"),
        }
    }
}

/// A parsed, normalized image reference: registry, repository, and a tag and/or a digest.
///
/// Build it with [`Reference::parse`] (or `str::parse`); it displays as [`Reference::canonical`] and
/// serializes as `{ registry, repository, tag, digest, familiar, canonical }`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

impl Reference {
    /// Parses and normalizes `input` the way `docker pull` does.
    pub fn parse(input: &str) -> Result<Self, ReferenceError> {
        if input.is_empty() {
            return Err(ReferenceError::Empty);
        }
        if input.len() > MAX_REFERENCE_LEN {
            return Err(ReferenceError::TooLong { limit: MAX_REFERENCE_LEN, length: input.len() });
        }
        if input.len() == 64 && input.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(ReferenceError::ImageId(input.to_owned()));
        }

        if let Some(end) = input.find("://").filter(|&end| is_scheme(&input[..end])) {
            return Err(ReferenceError::Scheme { scheme: input[..end + 3].to_owned() });
        }

        // Neither name nor tag may hold `@`, so the first one starts the digest.
        let (name_and_tag, digest) = match input.split_once('@') {
            Some((before, after)) => (before, Some((before.len() + 1, after))),
            None => (input, None),
        };

        let (registry, path_start) = match name_and_tag.split_once('/') {
            Some((first, _)) if names_a_registry(first) => (normalize_registry(first)?, first.len() + 1),
            _ => (DOCKER_HUB, 0),
        };
        let remainder = &name_and_tag[path_start..];
        // The path holds no `:`, so the first one (after the registry) starts the tag.
        let (path, tag) = match remainder.split_once(':') {
            Some((path, tag)) => (path, Some((path_start + path.len() + 1, tag))),
            None => (remainder, None),
        };
        check_path(path, path_start)?;
        if let Some((position, tag)) = tag {
            check_tag(tag, position)?;
        }
        let digest = match digest {
            Some((position, text)) => Some(
                text.parse::<Digest>().map_err(|source| ReferenceError::BadDigest { position, source })?,
            ),
            None => None,
        };

        let repository = if registry == DOCKER_HUB && !path.contains('/') {
            format!("{OFFICIAL_PREFIX}{path}")
        } else {
            path.to_owned()
        };
        if repository.len() > MAX_REPOSITORY_LEN {
            return Err(ReferenceError::RepositoryTooLong {
                length: repository.len(),
                repository,
                limit: MAX_REPOSITORY_LEN,
            });
        }

        let tag = match (tag, &digest) {
            (Some((_, tag)), _) => Some(tag.to_owned()),
            (None, Some(_)) => None,
            (None, None) => Some(DEFAULT_TAG.to_owned()),
        };
        Ok(Self { registry: registry.to_owned(), repository, tag, digest })
    }

    /// The registry as `host[:port]`, e.g. `docker.io` or `127.0.0.1:5000`.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The repository path within the registry, e.g. `library/python`.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The tag, if any (`latest` when the input named neither tag nor digest).
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, if the input pinned one.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// What to fetch: the digest if there is one, otherwise the tag.
    pub fn target(&self) -> Target<'_> {
        match (&self.digest, &self.tag) {
            (Some(digest), _) => Target::Digest(digest),
            (None, Some(tag)) => Target::Tag(tag),
            // Unreachable by construction; `latest` is what Docker would use.
            (None, None) => Target::Tag(DEFAULT_TAG),
        }
    }

    /// The short form `docker images` shows: `python:2.7`, `someone/app:1`, `ghcr.io/o/r:tag`.
    ///
    /// Unlike Docker's, it always reads back as the same reference: a Docker Hub repository whose
    /// first component would read as a registry (`docker.io/r.y/a`) keeps its `docker.io/`.
    pub fn familiar(&self) -> String {
        let first = self.repository.split('/').next().unwrap_or_default();
        let name = if self.registry == DOCKER_HUB && !names_a_registry(first) {
            match self.repository.strip_prefix(OFFICIAL_PREFIX) {
                Some(rest) if !rest.contains('/') => rest.to_owned(),
                _ => self.repository.clone(),
            }
        } else {
            format!("{}/{}", self.registry, self.repository)
        };
        self.with_suffix(name)
    }

    /// The full form: `docker.io/library/python:2.7`, with `@digest` if there is one.
    pub fn canonical(&self) -> String {
        self.with_suffix(format!("{}/{}", self.registry, self.repository))
    }

    /// The same repository at `digest`, without a tag (the digest now names the content).
    #[must_use]
    pub fn with_digest(&self, digest: Digest) -> Self {
        Self { digest: Some(digest), tag: None, ..self.clone() }
    }

    /// The same reference pinned to `digest`, keeping its tag for people (`python:2.7@sha256:…`);
    /// the digest decides what is fetched, as in `docker pull`.
    #[must_use]
    pub fn pinned_to(&self, digest: Digest) -> Self {
        Self { digest: Some(digest), ..self.clone() }
    }

    /// The same repository at `tag`, without a digest; the tag is checked like a parsed one.
    pub fn with_tag(&self, tag: &str) -> Result<Self, ReferenceError> {
        check_tag(tag, 0)?;
        Ok(Self { tag: Some(tag.to_owned()), digest: None, ..self.clone() })
    }

    /// Appends `:tag` and `@digest` to a name.
    fn with_suffix(&self, mut name: String) -> String {
        if let Some(tag) = &self.tag {
            name.push(':');
            name.push_str(tag);
        }
        if let Some(digest) = &self.digest {
            name.push('@');
            name.push_str(&digest.to_string());
        }
        name
    }
}

impl FromStr for Reference {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

impl Serialize for Reference {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Reference", 6)?;
        s.serialize_field("registry", &self.registry)?;
        s.serialize_field("repository", &self.repository)?;
        s.serialize_field("tag", &self.tag)?;
        s.serialize_field("digest", &self.digest)?;
        s.serialize_field("familiar", &self.familiar())?;
        s.serialize_field("canonical", &self.canonical())?;
        s.end()
    }
}

/// Checks a registry written as `host[:port]` and returns its normalized name (`index.docker.io`
/// becomes `docker.io`); error positions are byte offsets into `registry`.
pub fn normalize_registry(registry: &str) -> Result<&str, ReferenceError> {
    check_registry(registry)?;
    Ok(if registry == LEGACY_DOCKER_HUB { DOCKER_HUB } else { registry })
}

/// Whether Docker reads the first path component as a registry rather than as a namespace.
fn names_a_registry(first: &str) -> bool {
    first == "localhost" || first.contains(['.', ':']) || first.bytes().any(|b| b.is_ascii_uppercase())
}

/// Checks `host[:port]`, where host is a dotted domain name or a bracketed IPv6 address.
fn check_registry(registry: &str) -> Result<(), ReferenceError> {
    let port_start = if let Some(inner) = registry.strip_prefix('[') {
        let close = inner.find(']').ok_or(ReferenceError::UnclosedBracket { position: 0 })?;
        check_ipv6(&inner[..close])?;
        let after = close + 2;
        match registry[after..].chars().next() {
            None => None,
            Some(':') => Some(after + 1),
            Some(found) => {
                return Err(ReferenceError::BadCharacter { part: Part::Registry, found, position: after });
            }
        }
    } else {
        let host_end = registry.find(':').unwrap_or(registry.len());
        if host_end > MAX_HOST_LEN {
            return Err(ReferenceError::RegistryTooLong { limit: MAX_HOST_LEN, length: host_end });
        }
        check_domain_name(&registry[..host_end])?;
        (host_end < registry.len()).then_some(host_end + 1)
    };
    if let Some(start) = port_start {
        let port = &registry[start..];
        let number = if port.bytes().all(|b| b.is_ascii_digit()) { port.parse::<u16>().ok() } else { None };
        if number.is_none_or(|n| n == 0) {
            return Err(ReferenceError::BadPort { port: crate::quote::shorten(port), position: start });
        }
    }
    Ok(())
}

/// Longest host name (a DNS name's limit).
const MAX_HOST_LEN: usize = 253;

/// Checks the inside of `[…]`: hex digits and colons, as Docker's grammar allows (position 1 on).
fn check_ipv6(inner: &str) -> Result<(), ReferenceError> {
    if inner.is_empty() {
        return Err(ReferenceError::EmptyComponent { part: Part::Registry, position: 1 });
    }
    match inner.char_indices().find(|&(_, c)| !(c.is_ascii_hexdigit() || c == ':')) {
        Some((i, found)) => {
            Err(ReferenceError::BadCharacter { part: Part::Registry, found, position: 1 + i })
        }
        // The grammar's hex and colons, and also an address (`[1:2]` is not one).
        None if inner.parse::<std::net::Ipv6Addr>().is_err() => {
            Err(ReferenceError::BadIpv6 { address: crate::quote::shorten(inner) })
        }
        None => Ok(()),
    }
}

/// Checks a dotted domain name: components of letters, digits and inner dashes.
fn check_domain_name(host: &str) -> Result<(), ReferenceError> {
    let mut start = 0;
    for label in host.split('.') {
        check_component(label, start, Part::Registry)?;
        start += label.len() + 1;
    }
    Ok(())
}

/// Checks a repository path at byte `offset` of the input: lower-case components joined by `/`.
fn check_path(path: &str, offset: usize) -> Result<(), ReferenceError> {
    if path.is_empty() {
        return Err(ReferenceError::MissingRepository { position: offset });
    }
    if let Some(i) = path.bytes().position(|b| b.is_ascii_uppercase()) {
        return Err(ReferenceError::UppercaseRepository {
            repository: path.to_owned(),
            position: offset + i,
        });
    }
    let mut start = offset;
    for component in path.split('/') {
        check_component(component, start, Part::Repository)?;
        start += component.len() + 1;
    }
    Ok(())
}

/// Checks one registry label or repository component starting at byte `offset`: runs of letters and
/// digits joined by separators the part allows, never starting or ending with a separator.
fn check_component(component: &str, offset: usize, part: Part) -> Result<(), ReferenceError> {
    if component.is_empty() {
        return Err(ReferenceError::EmptyComponent { part, position: offset });
    }
    let registry = part == Part::Registry;
    let is_alnum = |c: char| {
        if registry { c.is_ascii_alphanumeric() } else { c.is_ascii_lowercase() || c.is_ascii_digit() }
    };
    let is_separator = |c: char| if registry { c == '-' } else { matches!(c, '.' | '_' | '-') };
    let mut run_start: Option<usize> = None;
    for (i, c) in component.char_indices() {
        if is_alnum(c) {
            if let Some(start) = run_start.take() {
                check_separator(component, start, i, offset, part)?;
            }
        } else if is_separator(c) {
            run_start.get_or_insert(i);
        } else {
            return Err(ReferenceError::BadCharacter { part, found: c, position: offset + i });
        }
    }
    if let Some(start) = run_start {
        return Err(bad_separator(component, start, component.len(), offset, part));
    }
    Ok(())
}

/// Checks the separator run `component[start..end]`, which is followed by a letter or digit.
fn check_separator(
    component: &str,
    start: usize,
    end: usize,
    offset: usize,
    part: Part,
) -> Result<(), ReferenceError> {
    let run = &component[start..end];
    let allowed = start > 0 && (matches!(run, "." | "_" | "__") || run.bytes().all(|b| b == b'-'));
    if allowed { Ok(()) } else { Err(bad_separator(component, start, end, offset, part)) }
}

/// The error for the separator run `component[start..end]`.
fn bad_separator(component: &str, start: usize, end: usize, offset: usize, part: Part) -> ReferenceError {
    ReferenceError::BadSeparator {
        part,
        component: component.to_owned(),
        separator: component[start..end].to_owned(),
        position: offset + start,
    }
}

/// Checks a tag starting at byte `offset`: `[\w][\w.-]{0,127}`.
fn check_tag(tag: &str, offset: usize) -> Result<(), ReferenceError> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut chars = tag.char_indices();
    match chars.next() {
        None => return Err(ReferenceError::EmptyTag { position: offset }),
        Some((_, c)) if is_word(c) => {}
        Some((_, c)) if matches!(c, '.' | '-') => {
            return Err(ReferenceError::BadTagStart { found: c, position: offset });
        }
        Some((_, found)) => {
            return Err(ReferenceError::BadCharacter { part: Part::Tag, found, position: offset });
        }
    }
    if let Some((i, found)) = chars.find(|&(_, c)| !(is_word(c) || matches!(c, '.' | '-'))) {
        return Err(ReferenceError::BadCharacter { part: Part::Tag, found, position: offset + i });
    }
    if tag.len() > MAX_TAG_LEN {
        return Err(ReferenceError::TagTooLong { limit: MAX_TAG_LEN, length: tag.len() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

    fn parse(s: &str) -> Reference {
        Reference::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn pinning_keeps_the_tag_for_people_and_fetches_the_digest() {
        let digest: Digest = format!("sha256:{HEX}").parse().expect("digest");
        let pinned = parse("python:2.7").pinned_to(digest.clone());
        assert_eq!(pinned.canonical(), format!("docker.io/library/python:2.7@sha256:{HEX}"));
        assert_eq!(pinned.target(), Target::Digest(&digest));
        assert_eq!(parse(&pinned.canonical()), pinned);
    }

    #[test]
    fn serializes_to_the_js_shape() {
        let json = serde_json::to_value(parse("python:2.7")).expect("serializable");
        assert_eq!(
            json,
            serde_json::json!({
                "registry": "docker.io",
                "repository": "library/python",
                "tag": "2.7",
                "digest": null,
                "familiar": "python:2.7",
                "canonical": "docker.io/library/python:2.7",
            })
        );
    }

    #[test]
    fn digest_wins_over_tag_and_both_are_kept() {
        let r = parse(&format!("busybox:1@sha256:{HEX}"));
        assert_eq!(r.tag(), Some("1"));
        assert!(matches!(r.target(), Target::Digest(d) if d.hex() == HEX));
        assert_eq!(r.familiar(), format!("busybox:1@sha256:{HEX}"));
        assert_eq!(r.to_string(), format!("docker.io/library/busybox:1@sha256:{HEX}"));
        let json = serde_json::to_value(&r).expect("serializable");
        assert_eq!(json["digest"], format!("sha256:{HEX}"));
    }

    #[test]
    fn digest_only_has_no_tag() {
        let r = parse(&format!("busybox@sha256:{HEX}"));
        assert_eq!(r.tag(), None);
        assert_eq!(r.target().to_string(), format!("sha256:{HEX}"));
    }

    #[test]
    fn with_tag_and_with_digest_replace_the_target() {
        let r = parse(&format!("busybox:1@sha256:{HEX}"));
        let digest: Digest = format!("sha256:{}", "0".repeat(64)).parse().expect("digest");
        let pinned = r.with_digest(digest.clone());
        assert_eq!((pinned.tag(), pinned.digest()), (None, Some(&digest)));
        let tagged = r.with_tag("sha256-abc").expect("valid tag");
        assert_eq!((tagged.tag(), tagged.digest()), (Some("sha256-abc"), None));
        assert_eq!(r.with_tag("-x"), Err(ReferenceError::BadTagStart { found: '-', position: 0 }));
    }

    #[test]
    fn error_messages_say_what_and_where() {
        let err = Reference::parse("docker/Docker").expect_err("upper-case");
        assert_eq!(
            err.to_string(),
            "repository name \"docker/Docker\" must be lower-case (upper-case letter at byte 7)"
        );
        let err = Reference::parse("x/dock..er").expect_err("double dot");
        assert_eq!(
            err.to_string(),
            "repository component \"dock..er\" has separator \"..\" at byte 6; \
             separators ('.', '_', '__' or dashes) may only join letters or digits"
        );
        assert_eq!(err.code(), ErrorCode::InvalidReference);
    }
}
