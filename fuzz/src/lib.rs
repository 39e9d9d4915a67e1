//! Invariants shared by the fuzz targets in `fuzz_targets/`: what must hold of every error and of
//! every value the core accepts, whatever bytes it was given.

use std::fmt::Display;

use regsight_core::auth::HttpUrl;
use regsight_core::reference::{MAX_REFERENCE_LEN, MAX_REPOSITORY_LEN, MAX_TAG_LEN, normalize_registry};
use regsight_core::{Algorithm, BaseUrl, Digest, ErrorCode, Reference, Target};
use sha2::Digest as _;

/// Longest error message expected: messages quote what they are about, and the core cuts what it
/// quotes short (`quote.rs`); 2 KiB leaves room for a whole 1 KiB reference.
pub const MAX_MESSAGE_LEN: usize = 2048;

/// An error must map to one of the codes its entry point is documented to give, name it by a
/// string that parses back to it, and say something short (finding `long-error-message`, fixed).
pub fn check_error(code: ErrorCode, error: &impl Display, allowed: &[ErrorCode]) {
    let message = error.to_string();
    assert!(allowed.contains(&code), "code {code} is not one of {allowed:?}: {message}");
    assert_eq!(code.as_str().parse::<ErrorCode>(), Ok(code));
    assert!(!message.trim().is_empty(), "an error with code {code} says nothing");
    assert!(
        message.len() <= MAX_MESSAGE_LEN,
        "a {}-byte error message: {}...",
        message.len(),
        message.chars().take(200).collect::<String>()
    );
}

/// A URL the core built or resolved must pass the core's own strict URL parser, and be in the
/// normalized form it sends.
pub fn check_sendable(url: &str) -> HttpUrl {
    let parsed = match HttpUrl::parse(url) {
        Ok(parsed) => parsed,
        Err(error) => panic!("the core produced {url:?}, which its own parser refuses: {error}"),
    };
    assert_eq!(parsed.normalized(), url, "{url:?} is not in normalized form");
    parsed
}

/// What must hold of every reference `Reference::parse` accepts.
pub fn check_reference(reference: &Reference) {
    let canonical = reference.canonical();
    assert_eq!(reference.to_string(), canonical);
    // Every printed form reads back as the same reference (finding `printed-over-cap`, fixed).
    let reads_back = |printed: &str, expected: &Reference| {
        assert!(printed.len() <= MAX_REFERENCE_LEN, "printed over the input cap: {printed:?}");
        assert_eq!(Reference::parse(printed).as_ref(), Ok(expected), "printed as {printed:?}");
    };
    reads_back(&canonical, reference);
    // The familiar form too (finding `familiar-reads-as-registry`, fixed).
    reads_back(&reference.familiar(), reference);
    let digest = reference.digest().cloned().unwrap_or_else(|| sha256(canonical.as_bytes()));
    let pinned = reference.pinned_to(digest.clone());
    reads_back(&pinned.canonical(), &pinned);
    let by_digest = reference.with_digest(digest.clone());
    reads_back(&by_digest.canonical(), &by_digest);
    // The parts are normalized and within their caps.
    assert_eq!(normalize_registry(reference.registry()), Ok(reference.registry()));
    assert!(reference.repository().len() <= MAX_REPOSITORY_LEN);
    assert!(reference.tag().is_none_or(|tag| tag.len() <= MAX_TAG_LEN));
    match (reference.target(), reference.digest(), reference.tag()) {
        (Target::Digest(d), Some(digest), _) => assert_eq!(d, digest),
        (Target::Tag(t), None, Some(tag)) => assert_eq!(t, tag),
        (target, digest, tag) => panic!("target {target} for tag {tag:?} and digest {digest:?}"),
    }
    if let Some(tag) = reference.tag() {
        assert!(reference.with_tag(tag).is_ok(), "its own tag {tag:?} is refused");
    }
    assert!(serde_json::to_string(reference).is_ok());

    // A parsed reference always names a registry requests can go to (endpoint.rs relies on it:
    // `BadRegistry` is INVALID_ARGUMENT, "from mirror configuration"), and every URL built from it
    // passes the core's own URL parser (finding `registry-without-endpoint`, fixed).
    let base = match BaseUrl::for_registry(reference.registry()) {
        Ok(base) => base,
        Err(error) => panic!("parsed {canonical:?}, but its registry has no base URL: {error}"),
    };
    for url in [
        base.api_root(),
        base.manifest(reference),
        base.blob(reference, &digest),
        base.tags_list(reference, Some(100), reference.tag()),
        base.referrers(reference, &digest, Some("application/vnd.example+json")),
        base.catalog(Some(1), Some(reference.repository())),
    ] {
        if let Err(error) = HttpUrl::parse(&url) {
            panic!("{canonical:?} builds {url:?}, which the URL parser refuses: {error}");
        }
    }
}

/// SHA-256 of `bytes`, computed with `sha2` directly (not with the core's hasher).
pub fn sha256(bytes: &[u8]) -> Digest {
    digest_of(Algorithm::Sha256, &hex::encode(sha2::Sha256::digest(bytes)))
}

/// SHA-512 of `bytes`, computed with `sha2` directly.
pub fn sha512(bytes: &[u8]) -> Digest {
    digest_of(Algorithm::Sha512, &hex::encode(sha2::Sha512::digest(bytes)))
}

fn digest_of(algorithm: Algorithm, hex: &str) -> Digest {
    match Digest::new(algorithm, hex) {
        Ok(digest) => digest,
        Err(error) => panic!("sha2's {hex} is refused: {error}"),
    }
}
