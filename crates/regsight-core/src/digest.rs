//! Content digests (`sha256:<hex>`, `sha512:<hex>`): parsing, display and streaming hashing.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::Digest as _;

use crate::{Check, ErrorCode};

/// A digest algorithm this crate can compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// SHA-256, the registry default.
    Sha256,
    /// SHA-512.
    Sha512,
}

impl Algorithm {
    /// The algorithm's name as written before the colon.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha512 => "sha512",
        }
    }

    /// Number of hex characters of an encoded digest of this algorithm.
    pub const fn hex_len(self) -> usize {
        match self {
            Self::Sha256 => 64,
            Self::Sha512 => 128,
        }
    }
}

/// Why a string is not a digest we can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    /// No `algorithm:` prefix.
    #[error("digest {0:?} has no algorithm prefix (expected \"sha256:<hex>\")")]
    MissingAlgorithm(String),
    /// An algorithm we do not implement.
    #[error("digest algorithm {0:?} is not supported (only sha256 and sha512)")]
    UnsupportedAlgorithm(String),
    /// The hex part has the wrong length.
    #[error("{algorithm} digest must have {expected} hex characters, found {found}")]
    BadLength {
        /// Algorithm named in the digest.
        algorithm: &'static str,
        /// Required number of hex characters.
        expected: usize,
        /// Number found.
        found: usize,
    },
    /// The hex part holds something other than `0-9a-f`.
    #[error("digest hex must be lower-case 0-9a-f; found {found:?} at position {position}")]
    BadHex {
        /// Offending character.
        found: char,
        /// Its position within the hex part.
        position: usize,
    },
}

impl DigestError {
    /// The stable error code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::UnsupportedAlgorithm(_) => ErrorCode::Unsupported,
            _ => ErrorCode::InvalidResponse,
        }
    }
}

/// A validated content digest such as `sha256:e3b0c442...`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    algorithm: Algorithm,
    hex: String,
}

impl Digest {
    /// Builds a digest from an algorithm and its hex encoding, validating both.
    pub fn new(algorithm: Algorithm, hex: &str) -> Result<Self, DigestError> {
        if hex.len() != algorithm.hex_len() {
            return Err(DigestError::BadLength {
                algorithm: algorithm.name(),
                expected: algorithm.hex_len(),
                found: hex.chars().count(),
            });
        }
        if let Some((position, found)) = hex.char_indices().find(|(_, c)| !matches!(c, '0'..='9' | 'a'..='f'))
        {
            return Err(DigestError::BadHex { found, position });
        }
        Ok(Self { algorithm, hex: hex.to_owned() })
    }

    /// SHA-256 of `bytes`, in one shot.
    pub fn sha256_of(bytes: &[u8]) -> Self {
        let mut hasher = Hasher::new(Algorithm::Sha256);
        hasher.update(bytes);
        hasher.finalize()
    }

    /// Checks `bytes` against this digest: the one comparison every caller uses for whole
    /// documents (pin, index entry, `Docker-Content-Digest`, config).
    pub fn check(&self, bytes: &[u8]) -> DigestCheck {
        DigestVerifier::check(Some(self.clone()), bytes)
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The lower-case hex encoding, without the algorithm prefix.
    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// The first 12 hex characters, as `docker images` shows an image ID.
    pub fn short(&self) -> &str {
        &self.hex[..12]
    }
}

impl FromStr for Digest {
    type Err = DigestError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let Some((algorithm, hex)) = s.split_once(':') else {
            return Err(DigestError::MissingAlgorithm(crate::quote::shorten(s)));
        };
        let algorithm = match algorithm {
            "sha256" => Algorithm::Sha256,
            "sha512" => Algorithm::Sha512,
            other => return Err(DigestError::UnsupportedAlgorithm(crate::quote::shorten(other))),
        };
        Self::new(algorithm, hex)
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.name(), self.hex)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The outcome of hashing bytes, and of comparing them with the digest they should have.
#[must_use]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestCheck {
    /// The digest the bytes should have, if one was given.
    pub expected: Option<Digest>,
    /// The digest they have, computed with the expected digest's algorithm.
    pub computed: Digest,
}

impl DigestCheck {
    /// `Passed`, `Failed`, or `NotChecked` when nothing was expected.
    pub fn result(&self) -> Check {
        match &self.expected {
            None => Check::NotChecked,
            Some(expected) => Check::compare(*expected == self.computed),
        }
    }

    /// True when a digest was expected and the bytes hash to it.
    pub fn matches(&self) -> bool {
        self.result() == Check::Passed
    }
}

/// Hashes a stream of bytes with the algorithm of the digest they should have, so a sha512
/// expectation is never compared with a sha256 computation; with no expectation, sha256.
///
/// Call order: [`DigestVerifier::new`], [`DigestVerifier::update`] for each chunk, then
/// [`DigestVerifier::finish`] once. Every digest comparison in the workspace ends here.
#[derive(Debug, Clone)]
pub struct DigestVerifier {
    expected: Option<Digest>,
    hasher: Hasher,
}

impl DigestVerifier {
    /// A verifier for bytes that should hash to `expected` (or that are only to be hashed).
    pub fn new(expected: Option<Digest>) -> Self {
        let algorithm = expected.as_ref().map_or(Algorithm::Sha256, Digest::algorithm);
        Self { hasher: Hasher::new(algorithm), expected }
    }

    /// Hashes `bytes` in one go and compares them with `expected`, if given.
    pub fn check(expected: Option<Digest>, bytes: &[u8]) -> DigestCheck {
        let mut verifier = Self::new(expected);
        verifier.update(bytes);
        verifier.finish()
    }

    /// Absorbs more bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.hasher.update(bytes);
    }

    /// Ends hashing and compares.
    pub fn finish(self) -> DigestCheck {
        DigestCheck { computed: self.hasher.finalize(), expected: self.expected }
    }
}

/// A streaming hasher for one [`Algorithm`]; feed it with `update`, end it with `finalize`.
#[derive(Clone)]
pub enum Hasher {
    /// SHA-256 state.
    Sha256(sha2::Sha256),
    /// SHA-512 state.
    Sha512(sha2::Sha512),
}

impl Hasher {
    /// A fresh hasher for `algorithm`.
    pub fn new(algorithm: Algorithm) -> Self {
        match algorithm {
            Algorithm::Sha256 => Self::Sha256(sha2::Sha256::new()),
            Algorithm::Sha512 => Self::Sha512(sha2::Sha512::new()),
        }
    }

    /// Absorbs more bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Self::Sha256(h) => h.update(bytes),
            Self::Sha512(h) => h.update(bytes),
        }
    }

    /// Ends hashing and returns the digest.
    #[must_use]
    pub fn finalize(self) -> Digest {
        let (algorithm, hex) = match self {
            Self::Sha256(h) => (Algorithm::Sha256, hex::encode(h.finalize())),
            Self::Sha512(h) => (Algorithm::Sha512, hex::encode(h.finalize())),
        };
        Digest { algorithm, hex }
    }
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sha256(_) => f.write_str("Hasher(sha256)"),
            Self::Sha512(_) => f.write_str("Hasher(sha512)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_sha256_matches_the_known_value() {
        assert_eq!(
            Digest::sha256_of(b"").to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn parses_and_prints_round_trip() {
        let s = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let d: Digest = s.parse().expect("valid digest");
        assert_eq!(d.to_string(), s);
        assert_eq!(d.short(), "e3b0c44298fc");
    }

    #[test]
    fn rejects_malformed_digests_with_specific_errors() {
        type Expect = fn(&DigestError) -> bool;
        let cases: &[(&str, Expect)] = &[
            ("e3b0c442", |e| matches!(e, DigestError::MissingAlgorithm(_))),
            ("md5:abcd", |e| matches!(e, DigestError::UnsupportedAlgorithm(_))),
            ("sha256:abc", |e| matches!(e, DigestError::BadLength { found: 3, .. })),
            ("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", |e| {
                matches!(e, DigestError::BadHex { position: 0, .. })
            }),
            ("sha512:00", |e| matches!(e, DigestError::BadLength { expected: 128, .. })),
        ];
        for (input, check) in cases {
            let err = input.parse::<Digest>().expect_err(input);
            assert!(check(&err), "{input}: unexpected {err:?}");
        }
    }

    #[test]
    fn a_check_hashes_with_the_expected_algorithm() {
        // sha512("abc"), from FIPS 180-2 appendix C.1.
        let expected: Digest = "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
                                2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
            .parse()
            .expect("valid sha512 digest");
        let check = expected.check(b"abc");
        assert_eq!(check.result(), Check::Passed, "{check:?}");
        assert_eq!(check.computed.algorithm(), Algorithm::Sha512);
        let other = expected.check(b"abd");
        assert_eq!(other.result(), Check::Failed);
        assert_eq!(other.computed.algorithm(), Algorithm::Sha512);
    }

    #[test]
    fn streaming_equals_one_shot() {
        let mut h = Hasher::new(Algorithm::Sha512);
        h.update(b"hello ");
        h.update(b"world");
        let mut one = Hasher::new(Algorithm::Sha512);
        one.update(b"hello world");
        assert_eq!(h.finalize(), one.finalize());
    }
}
