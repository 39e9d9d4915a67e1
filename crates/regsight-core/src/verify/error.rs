//! Why a layer failed verification: one typed error per way a layer can be wrong.

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::{Digest, ErrorCode};

/// Why a layer is not verified: the error that stopped the verifier, or the first failed check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The media type is not a layer type we can decompress.
    #[error("media type {media_type:?} is not a layer type this verifier understands")]
    UnsupportedMediaType {
        /// The media type as given.
        media_type: String,
    },
    /// More bytes arrived than the descriptor declares; the stream was stopped there.
    #[error("blob is longer than its declared size: {received} bytes received, {declared} declared")]
    TooLong {
        /// Size from the descriptor.
        declared: u64,
        /// Bytes received so far, including the chunk that went past the declared size.
        received: u64,
    },
    /// The stream ended before the declared size was reached.
    #[error("blob is shorter than its declared size: {received} bytes received, {declared} declared")]
    TooShort {
        /// Size from the descriptor.
        declared: u64,
        /// Bytes received in total.
        received: u64,
    },
    /// The decompressed stream passed the absolute size cap.
    #[error(
        "decompressed layer passed the cap of {limit} bytes; raise `maxUncompressedSize` if this layer is trusted"
    )]
    UncompressedTooLarge {
        /// The cap in bytes.
        limit: u64,
    },
    /// The decompressed stream passed the compression ratio cap (a decompression bomb).
    #[error(
        "decompressed layer passed {limit} bytes, more than {max_ratio}x its declared size of {declared} bytes; \
         this looks like a decompression bomb (raise `maxRatio` if the layer is trusted)"
    )]
    RatioExceeded {
        /// The ratio cap.
        max_ratio: u64,
        /// The declared compressed size the ratio is applied to.
        declared: u64,
        /// The byte count the ratio cap allows.
        limit: u64,
    },
    /// A zstd frame asks for a window (decoder memory) above the cap.
    #[error("zstd frame at byte {offset} needs a {window}-byte window, above the cap of {limit} bytes")]
    ZstdWindowTooLarge {
        /// Offset of the frame in the compressed stream.
        offset: u64,
        /// Window size the frame declares.
        window: u64,
        /// The cap in bytes.
        limit: u64,
    },
    /// The gzip stream is malformed.
    #[error("corrupt gzip stream at byte {offset}: {fault}")]
    CorruptGzip {
        /// Offset in the compressed stream where the fault was seen.
        offset: u64,
        /// What is wrong.
        fault: GzipFault,
    },
    /// The zstd stream is malformed.
    #[error("corrupt zstd stream at byte {offset}: {reason}")]
    CorruptZstd {
        /// Offset in the compressed stream where the fault was seen.
        offset: u64,
        /// What is wrong, as the decoder put it.
        reason: String,
    },
    /// The compressed stream stopped in the middle (no complete final member or frame).
    #[error("{format} stream is truncated: it ends at byte {offset} in the middle of {part}")]
    Truncated {
        /// `gzip` or `zstd`.
        format: &'static str,
        /// Total compressed bytes seen.
        offset: u64,
        /// Which part was cut (`a header`, `compressed data`, `the trailer`...).
        part: &'static str,
    },
    /// Bytes after the last complete gzip member or zstd frame that do not start a new one.
    #[error("{format} stream has trailing data at byte {offset} that is not another {format} member")]
    TrailingGarbage {
        /// `gzip` or `zstd`.
        format: &'static str,
        /// Offset of the first trailing byte.
        offset: u64,
    },
    /// The blob's digest differs from the descriptor's.
    #[error("blob digest mismatch: expected {expected}, computed {computed}")]
    DigestMismatch {
        /// Digest from the descriptor.
        expected: Digest,
        /// Digest of the bytes received.
        computed: Digest,
    },
    /// The uncompressed layer's digest differs from the config's diff_id.
    #[error("diff_id mismatch: config says {expected}, uncompressed layer is {computed}")]
    DiffIdMismatch {
        /// diff_id from the image config.
        expected: Digest,
        /// Digest of the uncompressed bytes.
        computed: Digest,
    },
}

/// What exactly is wrong in a gzip stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GzipFault {
    /// The first two bytes of a member are not `1f 8b`.
    #[error("bad magic bytes {found:02x?} (expected [1f, 8b])")]
    BadMagic {
        /// The two bytes found.
        found: [u8; 2],
    },
    /// The compression method is not deflate (8).
    #[error("unknown compression method {method} (only 8, deflate, exists)")]
    BadMethod {
        /// The method byte found.
        method: u8,
    },
    /// Reserved header flag bits are set.
    #[error("reserved header flag bits set (flags {flags:#04x})")]
    ReservedFlags {
        /// The flag byte found.
        flags: u8,
    },
    /// The optional header CRC16 does not match the header.
    #[error("header crc16 {stored:#06x} does not match computed {computed:#06x}")]
    HeaderCrc {
        /// CRC stored in the header.
        stored: u16,
        /// CRC of the header bytes.
        computed: u16,
    },
    /// The deflate data is invalid.
    #[error("invalid deflate data ({0})")]
    Deflate(String),
    /// The member's CRC32 does not match its decompressed bytes.
    #[error("crc32 {stored:#010x} in the trailer does not match computed {computed:#010x}")]
    Crc {
        /// CRC stored in the trailer.
        stored: u32,
        /// CRC of the decompressed bytes.
        computed: u32,
    },
    /// The member's ISIZE does not match its decompressed length (mod 2^32).
    #[error("isize {stored} in the trailer does not match the decompressed length {computed} (mod 2^32)")]
    Isize {
        /// ISIZE stored in the trailer.
        stored: u32,
        /// Decompressed length mod 2^32.
        computed: u32,
    },
}

impl VerifyError {
    /// The stable error code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::UnsupportedMediaType { .. } => ErrorCode::Unsupported,
            Self::TooLong { .. } | Self::TooShort { .. } => ErrorCode::SizeMismatch,
            Self::UncompressedTooLarge { .. }
            | Self::RatioExceeded { .. }
            | Self::ZstdWindowTooLarge { .. } => ErrorCode::LimitExceeded,
            Self::CorruptGzip { .. }
            | Self::CorruptZstd { .. }
            | Self::Truncated { .. }
            | Self::TrailingGarbage { .. } => ErrorCode::CorruptStream,
            Self::DigestMismatch { .. } | Self::DiffIdMismatch { .. } => ErrorCode::DigestMismatch,
        }
    }
}

/// Serialized as `{ "code": "SIZE_MISMATCH", "message": "..." }` for JavaScript.
impl Serialize for VerifyError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("VerifyError", 2)?;
        s.serialize_field("code", self.code().as_str())?;
        s.serialize_field("message", &self.to_string())?;
        s.end()
    }
}
