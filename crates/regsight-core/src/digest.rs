//! Content digests (`sha256:<hex>`, `sha512:<hex>`): parsing, display and streaming hashing.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::Digest as _;

use crate::ErrorCode;

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

    /// Digest of `bytes` with this digest's own algorithm; use it to check bytes against it.
    pub fn recompute(&self, bytes: &[u8]) -> Self {
        let mut hasher = Hasher::new(self.algorithm);
        hasher.update(bytes);
        hasher.finalize()
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
            return Err(DigestError::MissingAlgorithm(s.to_owned()));
        };
        let algorithm = match algorithm {
            "sha256" => Algorithm::Sha256,
            "sha512" => Algorithm::Sha512,
            other => return Err(DigestError::UnsupportedAlgorithm(other.to_owned())),
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
    fn streaming_equals_one_shot() {
        let mut h = Hasher::new(Algorithm::Sha512);
        h.update(b"hello ");
        h.update(b"world");
        let mut one = Hasher::new(Algorithm::Sha512);
        one.update(b"hello world");
        assert_eq!(h.finalize(), one.finalize());
    }
}
