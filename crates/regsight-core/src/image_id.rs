//! The image ID a person already has: `docker images` shows the first 12 hex digits of the config
//! digest (`f67e752245d6`), `docker inspect` the whole `sha256:…`. Either can be checked against
//! the config an image is built from.

use std::fmt;
use std::str::FromStr;

use crate::{Algorithm, Check, Digest, DigestError, ErrorCode};

/// Fewest hex digits accepted for an abbreviated image ID (as `docker images` shows).
pub const MIN_PREFIX_LEN: usize = 12;

/// An expected image ID: a full digest, or a hex prefix of at least [`MIN_PREFIX_LEN`] digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageId {
    /// A full digest (`sha256:<64 hex>`, `sha512:<128 hex>`, or 64 hex digits alone).
    Full(Digest),
    /// The first hex digits of an image ID, lower case.
    Prefix {
        /// The algorithm, when it was written (`sha256:f67e752245d6`).
        algorithm: Option<Algorithm>,
        /// The digits.
        hex: String,
    },
}

/// Why a string is not an image ID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageIdError {
    /// Too few hex digits to name one image.
    #[error(
        "an image ID needs at least {MIN_PREFIX_LEN} hex digits (as `docker images` shows), found {found}"
    )]
    TooShort {
        /// Hex digits given.
        found: usize,
    },
    /// Not hex, or more digits than the digest has.
    #[error("an image ID is `sha256:` and 64 hex digits, or its first 12 or more; {0:?} is neither")]
    Malformed(String),
    /// A digest in an algorithm we do not know.
    #[error("image ID: {0}")]
    Digest(#[from] DigestError),
}

impl ImageIdError {
    /// The stable error code: the caller gave it, so a bad one is an invalid argument, unless its
    /// algorithm is one we cannot compute.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Digest(e) if e.code() == ErrorCode::Unsupported => ErrorCode::Unsupported,
            _ => ErrorCode::InvalidArgument,
        }
    }
}

impl FromStr for ImageId {
    type Err = ImageIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let (algorithm, hex) = match text.split_once(':') {
            Some(("sha256", hex)) => (Some(Algorithm::Sha256), hex),
            Some(("sha512", hex)) => (Some(Algorithm::Sha512), hex),
            // An algorithm we do not know: the digest parser names it.
            Some(_) => return Ok(Self::Full(text.parse()?)),
            None => (None, text),
        };
        let longest = algorithm.unwrap_or(Algorithm::Sha512).hex_len();
        if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) || hex.len() > longest {
            return Err(ImageIdError::Malformed(crate::quote::shorten(text)));
        }
        if hex.len() < MIN_PREFIX_LEN {
            return Err(ImageIdError::TooShort { found: hex.len() });
        }
        let hex = hex.to_ascii_lowercase();
        match algorithm {
            Some(algorithm) if hex.len() == algorithm.hex_len() => {
                Ok(Self::Full(Digest::new(algorithm, &hex)?))
            }
            None if hex.len() == Algorithm::Sha256.hex_len() => {
                Ok(Self::Full(Digest::new(Algorithm::Sha256, &hex)?))
            }
            _ => Ok(Self::Prefix { algorithm, hex }),
        }
    }
}

impl fmt::Display for ImageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(digest) => write!(f, "{digest}"),
            Self::Prefix { algorithm: Some(algorithm), hex } => write!(f, "{}:{hex}", algorithm.name()),
            Self::Prefix { algorithm: None, hex } => f.write_str(hex),
        }
    }
}

impl ImageId {
    /// Checks an image's config against this image ID. A full ID is checked by hashing `config`
    /// with its algorithm; a prefix is compared with `image_id`, the config digest computed in the
    /// algorithm of the config's descriptor (what `docker images` abbreviates).
    pub fn check(&self, config: &[u8], image_id: &Digest) -> Check {
        match self {
            Self::Full(digest) => digest.check(config).result(),
            Self::Prefix { algorithm, hex } => Check::compare(
                algorithm.is_none_or(|a| a == image_id.algorithm())
                    && image_id.hex().starts_with(hex.as_str()),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // sha256("abc"), from FIPS 180-2 appendix B.1.
    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn docker_images_prefixes_and_full_ids_are_accepted() {
        let abc: Digest = format!("sha256:{ABC}").parse().expect("digest");
        let abd = Digest::sha256_of(b"abd");
        let written = [ABC[..12].to_owned(), ABC[..20].to_owned(), format!("sha256:{}", &ABC[..12])];
        let full = [ABC.to_owned(), format!("sha256:{ABC}"), ABC[..12].to_ascii_uppercase()];
        for given in written.iter().chain(&full) {
            let id: ImageId = given.parse().unwrap_or_else(|e| panic!("{given}: {e}"));
            assert_eq!(id.check(b"abc", &abc), Check::Passed, "{given}");
            assert_eq!(id.check(b"abd", &abd), Check::Failed, "{given}");
        }
        // A sha256 prefix never matches a sha512 image ID, even with the same leading digits.
        let sha512: Digest = format!("sha512:{ABC}{ABC}").parse().expect("digest");
        let with_algorithm: ImageId = format!("sha256:{}", &ABC[..12]).parse().expect("prefix");
        assert_eq!(with_algorithm.check(b"abc", &sha512), Check::Failed);
        let bare: ImageId = ABC[..12].parse().expect("prefix");
        assert_eq!(bare.check(b"abc", &sha512), Check::Passed);
    }

    #[test]
    fn bad_image_ids_say_what_is_wrong() {
        assert_eq!("ba7816bf".parse::<ImageId>(), Err(ImageIdError::TooShort { found: 8 }));
        assert!(matches!("not-an-id-at-all".parse::<ImageId>(), Err(ImageIdError::Malformed(_))));
        assert!(matches!(format!("sha256:{ABC}00").parse::<ImageId>(), Err(ImageIdError::Malformed(_))));
        let unknown = "md5:0123456789abcdef".parse::<ImageId>().expect_err("md5");
        assert_eq!(unknown.code(), ErrorCode::Unsupported);
    }
}
