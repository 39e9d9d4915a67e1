//! Where decompressed bytes go: a byte counter with the size caps, the diff_id hasher and the
//! optional tar listing.

use super::error::VerifyError;
use super::tar::TarWalker;
use crate::{Digest, DigestCheck, DigestVerifier};

/// Receives decompressed bytes from a decoder; an error stops the decoder.
pub(crate) trait Sink {
    /// Takes the next decompressed bytes, in order.
    fn write(&mut self, bytes: &[u8]) -> Result<(), VerifyError>;
}

/// Which cap bounds the decompressed size, and what to say when it is passed.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cap {
    /// The absolute cap.
    Absolute { limit: u64 },
    /// The ratio cap, applied to the declared compressed size.
    Ratio { max_ratio: u64, declared: u64, limit: u64 },
}

impl Cap {
    /// The tighter of the absolute cap and `max_ratio` times `max(declared, ratio_floor)`.
    pub(crate) fn new(max_uncompressed: u64, max_ratio: u64, declared: u64, ratio_floor: u64) -> Self {
        let ratio_limit = max_ratio.saturating_mul(declared.max(ratio_floor));
        if ratio_limit < max_uncompressed {
            Self::Ratio { max_ratio, declared, limit: ratio_limit }
        } else {
            Self::Absolute { limit: max_uncompressed }
        }
    }

    fn limit(self) -> u64 {
        match self {
            Self::Absolute { limit } | Self::Ratio { limit, .. } => limit,
        }
    }

    fn error(self) -> VerifyError {
        match self {
            Self::Absolute { limit } => VerifyError::UncompressedTooLarge { limit },
            Self::Ratio { max_ratio, declared, limit } => {
                VerifyError::RatioExceeded { max_ratio, declared, limit }
            }
        }
    }
}

/// The decompressed side of a layer: counts, caps, hashes and (optionally) lists it.
#[derive(Debug)]
pub(crate) struct Uncompressed {
    /// Bytes accepted so far.
    pub(crate) len: u64,
    cap: Cap,
    diff_id: DigestVerifier,
    /// The tar walker, when a listing was asked for.
    pub(crate) tar: Option<TarWalker>,
}

impl Uncompressed {
    /// An empty output that should hash to `diff_id`, when the config gives one.
    pub(crate) fn new(diff_id: Option<Digest>, cap: Cap, tar: Option<TarWalker>) -> Self {
        Self { len: 0, cap, diff_id: DigestVerifier::new(diff_id), tar }
    }

    /// The digest of everything accepted (the diff_id) against the expected one, and the tar walker.
    pub(crate) fn finish(self) -> (DigestCheck, Option<TarWalker>) {
        (self.diff_id.finish(), self.tar)
    }
}

impl Sink for Uncompressed {
    fn write(&mut self, bytes: &[u8]) -> Result<(), VerifyError> {
        let len = self.len.saturating_add(bytes.len() as u64);
        if len > self.cap.limit() {
            return Err(self.cap.error());
        }
        self.len = len;
        self.diff_id.update(bytes);
        if let Some(tar) = &mut self.tar {
            tar.update(bytes);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tighter_cap_wins_and_the_floor_applies() {
        assert!(
            matches!(Cap::new(1 << 40, 100, 10, 1 << 20), Cap::Ratio { limit, .. } if limit == 100 << 20)
        );
        assert!(
            matches!(Cap::new(1 << 40, 100, 5 << 20, 1 << 20), Cap::Ratio { limit, .. } if limit == 500 << 20)
        );
        assert!(matches!(Cap::new(1 << 30, 100, 1 << 30, 0), Cap::Absolute { limit } if limit == 1 << 30));
        assert!(matches!(Cap::new(u64::MAX, u64::MAX, u64::MAX, 0), Cap::Absolute { limit: u64::MAX }));
    }

    #[test]
    fn output_stops_at_the_cap_without_counting_past_it() {
        let mut out = Uncompressed::new(None, Cap::Absolute { limit: 10 }, None);
        out.write(b"12345").expect("under the cap");
        out.write(b"67890").expect("at the cap");
        assert_eq!(out.write(b"x"), Err(VerifyError::UncompressedTooLarge { limit: 10 }));
        assert_eq!(out.len, 10);
        assert_eq!(out.finish().0.computed, Digest::sha256_of(b"1234567890"));
    }
}
