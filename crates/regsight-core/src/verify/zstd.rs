//! Push-based Zstandard decoder (RFC 8878): any number of frames, skippable frames, content
//! checksums, and a cap on the window (the decoder's memory).
//!
//! `ruzstd` decodes, but it wants whole units: a frame header or a whole block. So this module
//! splits the stream itself (magic, frame header, 3-byte block headers, block bodies) and stages
//! one unit at a time in a fixed buffer (a block is at most 128 KiB), then hands it to
//! `ruzstd::decoding::FrameDecoder` and drains the decoded bytes through the output buffer. The
//! decoder keeps at most one window plus one block: memory is bounded by the window cap.

use std::io::Read;

use ruzstd::decoding::errors::FrameDecoderError;
use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};

use super::error::VerifyError;
use super::output::Sink;

/// Largest block content (RFC 8878 `Block_Maximum_Size`).
const MAX_BLOCK: usize = 128 * 1024;
/// Largest unit staged at once: block header, block, content checksum.
const MAX_UNIT: usize = 3 + MAX_BLOCK + 4;
/// Magic number of a zstd frame, as its first four bytes.
const FRAME_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Which unit of the stream is being staged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    /// The 4-byte magic number of the next frame.
    Magic,
    /// A frame header (magic included); `need` grows from 5 once the descriptor byte is known.
    FrameHeader,
    /// A skippable frame's magic and 4-byte length.
    SkipLen,
    /// A 3-byte block header.
    BlockHeader,
    /// A block header, its body and, for the last block, the checksum.
    Block {
        /// The last block of its frame.
        last: bool,
    },
}

/// A zstd stream decoder fed with compressed chunks; decompressed bytes go to a [`Sink`].
pub(crate) struct ZstdDecoder {
    frame: FrameDecoder,
    max_window: u64,
    unit: Unit,
    /// Staging buffer for the current unit.
    stage: Box<[u8]>,
    staged: usize,
    need: usize,
    /// Bytes of a skippable frame still to skip.
    skip: u64,
    /// Whether the current frame has a content checksum.
    checksum: bool,
    /// The current frame's declared content size, if its header has one.
    content_size: Option<u64>,
    /// Bytes the current frame has produced.
    produced: u64,
    /// Complete frames seen (skippable ones included).
    frames: u64,
    /// Compressed bytes consumed.
    offset: u64,
}

impl ZstdDecoder {
    /// A decoder at the start of a stream that rejects windows above `max_window` bytes.
    pub(crate) fn new(max_window: u64) -> Self {
        let mut frame = FrameDecoder::new();
        frame.set_max_window_size(max_window);
        Self {
            frame,
            max_window,
            unit: Unit::Magic,
            stage: vec![0; MAX_UNIT].into_boxed_slice(),
            staged: 0,
            need: 4,
            skip: 0,
            checksum: false,
            content_size: None,
            produced: 0,
            frames: 0,
            offset: 0,
        }
    }

    /// Consumes all of `input`, writing decompressed bytes through `out` into `sink`.
    pub(crate) fn update<S: Sink>(
        &mut self,
        mut input: &[u8],
        out: &mut [u8],
        sink: &mut S,
    ) -> Result<(), VerifyError> {
        while !input.is_empty() {
            let used = if self.skip > 0 {
                usize::try_from(self.skip).unwrap_or(usize::MAX).min(input.len())
            } else {
                (self.need - self.staged).min(input.len())
            };
            self.offset += used as u64;
            if self.skip > 0 {
                self.skip -= used as u64;
            } else {
                self.stage[self.staged..self.staged + used].copy_from_slice(&input[..used]);
                self.staged += used;
                if self.unit == Unit::Magic {
                    self.check_magic_prefix()?;
                }
                if self.staged == self.need {
                    self.unit_complete(out, sink)?;
                }
            }
            input = input.get(used..).unwrap_or_default();
        }
        Ok(())
    }

    /// Checks that the stream ended after a complete frame.
    pub(crate) fn finish(&self) -> Result<(), VerifyError> {
        let part = match self.unit {
            Unit::Magic if self.staged == 0 && self.skip == 0 && self.frames > 0 => return Ok(()),
            Unit::Magic | Unit::FrameHeader => "a frame header",
            Unit::SkipLen => "a skippable frame",
            Unit::BlockHeader | Unit::Block { .. } => "a block",
        };
        let part = if self.skip > 0 { "a skippable frame" } else { part };
        Err(VerifyError::Truncated { format: "zstd", offset: self.offset, part })
    }

    /// Fails as soon as the staged bytes cannot begin a frame or a skippable frame, so trailing
    /// garbage is named as such even when it is shorter than a magic number.
    fn check_magic_prefix(&self) -> Result<(), VerifyError> {
        let staged = &self.stage[..self.staged];
        let frame = FRAME_MAGIC.starts_with(staged);
        let skippable = staged.first().is_none_or(|b| b & 0xf0 == 0x50)
            && [0x2a, 0x4d, 0x18].starts_with(staged.get(1..).unwrap_or_default());
        if frame || skippable {
            Ok(())
        } else if self.frames > 0 {
            Err(VerifyError::TrailingGarbage { format: "zstd", offset: self.unit_offset() })
        } else {
            Err(self.corrupt(format!("bad magic number {staged:02x?}")))
        }
    }

    /// Offset of the first byte of the staged unit.
    fn unit_offset(&self) -> u64 {
        self.offset - self.staged as u64
    }

    fn corrupt(&self, reason: impl Into<String>) -> VerifyError {
        VerifyError::CorruptZstd { offset: self.unit_offset(), reason: reason.into() }
    }

    /// Acts on a fully staged unit and sets up the next one.
    fn unit_complete<S: Sink>(&mut self, out: &mut [u8], sink: &mut S) -> Result<(), VerifyError> {
        match self.unit {
            Unit::Magic => {
                // `check_magic_prefix` let only the two kinds of magic number through.
                if self.stage[..4] == FRAME_MAGIC {
                    self.expect(Unit::FrameHeader, 5);
                } else {
                    self.expect(Unit::SkipLen, 8);
                }
            }
            Unit::FrameHeader if self.need == 5 => {
                // Every header is longer than 5 bytes, so this only sets the real length.
                if self.stage[4] & 0x08 != 0 {
                    return Err(self.corrupt("reserved bit set in the frame header descriptor"));
                }
                self.checksum = self.stage[4] & 0x04 != 0;
                self.need = frame_header_len(self.stage[4]);
            }
            Unit::FrameHeader => {
                let mut header = &self.stage[..self.need];
                self.frame.reset(&mut header).map_err(|e| self.frame_error(e))?;
                self.content_size = content_size(&self.stage[..self.need]);
                self.produced = 0;
                self.expect(Unit::BlockHeader, 3);
            }
            Unit::SkipLen => {
                let len = u32::from_le_bytes([self.stage[4], self.stage[5], self.stage[6], self.stage[7]]);
                self.skip = u64::from(len);
                self.frames += 1;
                self.expect(Unit::Magic, 4);
            }
            Unit::BlockHeader => {
                let header = u32::from_le_bytes([self.stage[0], self.stage[1], self.stage[2], 0]);
                let last = header & 1 == 1;
                let size = (header >> 3) as usize;
                let body = match (header >> 1) & 3 {
                    0 | 2 => size,
                    1 => 1,
                    _ => return Err(self.corrupt("reserved block type 3")),
                };
                if size > MAX_BLOCK {
                    return Err(self.corrupt(format!("block size {size} is above the 128 KiB maximum")));
                }
                let tail = if last && self.checksum { 4 } else { 0 };
                self.unit = Unit::Block { last };
                self.need = 3 + body + tail;
            }
            Unit::Block { last } => {
                let mut block = &self.stage[..self.need];
                self.frame
                    .decode_blocks(&mut block, BlockDecodingStrategy::UptoBlocks(1))
                    .map_err(|e| self.frame_error(e))?;
                if !block.is_empty() {
                    return Err(self.corrupt("block decoder stopped before the end of the block"));
                }
                self.drain(out, sink)?;
                if last {
                    self.end_frame()?;
                    self.expect(Unit::Magic, 4);
                } else {
                    self.expect(Unit::BlockHeader, 3);
                }
            }
        }
        Ok(())
    }

    /// Starts staging `unit`, `need` bytes long. A frame header or skippable length keeps the
    /// magic already staged; other units start empty.
    fn expect(&mut self, unit: Unit, need: usize) {
        self.unit = unit;
        self.need = need;
        if !matches!(unit, Unit::FrameHeader | Unit::SkipLen) {
            self.staged = 0;
        }
    }

    /// Moves every byte the frame decoder can release into `sink`.
    fn drain<S: Sink>(&mut self, out: &mut [u8], sink: &mut S) -> Result<(), VerifyError> {
        loop {
            let n = self.frame.read(out).map_err(|e| self.corrupt(e.to_string()))?;
            if n == 0 {
                return Ok(());
            }
            self.produced += n as u64;
            sink.write(out.get(..n).unwrap_or_default())?;
        }
    }

    /// Checks the frame's content size and checksum, where its header has them.
    fn end_frame(&mut self) -> Result<(), VerifyError> {
        if let Some(declared) = self.content_size.filter(|&size| size != self.produced) {
            return Err(self.corrupt(format!(
                "frame declares {declared} bytes of content but decodes to {}",
                self.produced
            )));
        }
        if self.checksum {
            let stored = self.frame.get_checksum_from_data();
            let computed = self.frame.get_calculated_checksum();
            if stored != computed {
                return Err(self.corrupt(format!(
                    "content checksum {:#010x} does not match computed {:#010x}",
                    stored.unwrap_or_default(),
                    computed.unwrap_or_default()
                )));
            }
        }
        self.frames += 1;
        Ok(())
    }

    fn frame_error(&self, error: FrameDecoderError) -> VerifyError {
        match error {
            FrameDecoderError::WindowSizeTooBig { requested, .. } => VerifyError::ZstdWindowTooLarge {
                offset: self.unit_offset(),
                window: requested,
                limit: self.max_window,
            },
            other => self.corrupt(other.to_string()),
        }
    }
}

/// The content size a complete frame header (magic included) declares, if it declares one.
fn content_size(header: &[u8]) -> Option<u64> {
    let descriptor = *header.get(4)?;
    let field = match descriptor >> 6 {
        0 if descriptor & 0x20 == 0 => return None,
        0 => 1,
        1 => 2,
        2 => 4,
        _ => 8,
    };
    let bytes = header.get(header.len() - field..)?;
    let value = bytes.iter().rev().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    // A 2-byte field is stored minus 256 (RFC 8878 3.1.1.1.4).
    Some(if field == 2 { value + 256 } else { value })
}

/// Length of a frame header (magic included) from its descriptor byte (RFC 8878 3.1.1.1).
fn frame_header_len(descriptor: u8) -> usize {
    let single_segment = descriptor & 0x20 != 0;
    let window = if single_segment { 0 } else { 1 };
    let dict_id = [0, 1, 2, 4][usize::from(descriptor & 3)];
    let content_size = match descriptor >> 6 {
        0 if single_segment => 1,
        0 => 0,
        1 => 2,
        2 => 4,
        _ => 8,
    };
    4 + 1 + window + dict_id + content_size
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lengths_and_content_sizes() {
        // descriptor, header length, content size field bytes after the magic and descriptor
        let cases: &[(u8, usize, &[u8], Option<u64>)] = &[
            (0x00, 6, &[0x58], None),                       // window byte only
            (0x20, 6, &[0x05], Some(5)),                    // single segment, 1-byte size
            (0x60, 7, &[0x00, 0x01], Some(256 + 256)),      // single segment, 2-byte size + 256
            (0x80, 10, &[0x58, 1, 0, 0, 0], Some(1)),       // window + 4-byte size
            (0x03, 10, &[0x58, 1, 2, 3, 4], None),          // window + 4-byte dictionary id
            (0xe0, 13, &[1, 0, 0, 0, 0, 0, 0, 0], Some(1)), // single segment, 8-byte size
        ];
        for &(descriptor, len, rest, size) in cases {
            assert_eq!(frame_header_len(descriptor), len, "{descriptor:#x}");
            let mut header = FRAME_MAGIC.to_vec();
            header.push(descriptor);
            header.extend_from_slice(rest);
            assert_eq!(header.len(), len, "{descriptor:#x}");
            assert_eq!(content_size(&header), size, "{descriptor:#x}");
        }
    }
}
