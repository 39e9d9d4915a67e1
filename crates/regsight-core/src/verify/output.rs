//! Where decompressed bytes go first: the size caps (absolute and ratio), checked by stage A
//! before stage B (the diff_id hash and the listing) sees a byte.

use super::error::VerifyError;

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

/// Stage A's way out: counts the decompressed bytes against the cap and passes them on to stage B
/// (in place or across threads), which only ever sees bytes under the cap.
pub(crate) struct Capped<'a, F: FnMut(&[u8])> {
    /// Bytes passed on so far.
    pub(crate) len: &'a mut u64,
    pub(crate) cap: Cap,
    /// Where the bytes go: stage B.
    pub(crate) out: &'a mut F,
}

impl<F: FnMut(&[u8])> Sink for Capped<'_, F> {
    fn write(&mut self, bytes: &[u8]) -> Result<(), VerifyError> {
        let len = self.len.saturating_add(bytes.len() as u64);
        if len > self.cap.limit() {
            return Err(self.cap.error());
        }
        *self.len = len;
        (self.out)(bytes);
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
        let (mut len, mut passed) = (0, Vec::new());
        let mut out = |bytes: &[u8]| passed.extend_from_slice(bytes);
        let mut capped = Capped { len: &mut len, cap: Cap::Absolute { limit: 10 }, out: &mut out };
        capped.write(b"12345").expect("under the cap");
        capped.write(b"67890").expect("at the cap");
        assert_eq!(capped.write(b"x"), Err(VerifyError::UncompressedTooLarge { limit: 10 }));
        assert_eq!(len, 10);
        assert_eq!(passed, b"1234567890");
    }
}
