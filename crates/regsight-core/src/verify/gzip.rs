//! Push-based gzip decoder (RFC 1952): member headers, raw deflate, CRC32/ISIZE trailers, and
//! any number of concatenated members.
//!
//! The framing is parsed here byte by byte so that chunks of any size work and every fault has an
//! exact offset; the deflate data goes to `flate2::Decompress` (zlib-rs backend) in raw mode.
//! After the last member only the end of the stream may follow: any other byte is an error, as in
//! Go's `compress/gzip` (what containerd and Docker use).

use flate2::{Decompress, FlushDecompress, Status};

use super::error::{GzipFault, VerifyError};
use super::output::Sink;

/// Header flag bits (RFC 1952 section 2.3.1).
const FHCRC: u8 = 0x02;
const FEXTRA: u8 = 0x04;
const FNAME: u8 = 0x08;
const FCOMMENT: u8 = 0x10;
const RESERVED: u8 = 0xe0;

/// Where the decoder is within the current member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading the fixed 10-byte header; `filled` bytes so far.
    Fixed { filled: usize },
    /// Reading the 2-byte FEXTRA length.
    ExtraLen { filled: usize },
    /// Skipping FEXTRA data.
    Extra { remaining: usize },
    /// Skipping the zero-terminated file name.
    Name,
    /// Skipping the zero-terminated comment.
    Comment,
    /// Reading the 2-byte header CRC.
    HeaderCrc { filled: usize },
    /// Inflating the member's deflate data.
    Body,
    /// Reading the 8-byte trailer.
    Trailer { filled: usize },
}

/// A gzip stream decoder fed with compressed chunks; decompressed bytes go to a [`Sink`].
pub(crate) struct GzipDecoder {
    inflate: Decompress,
    state: State,
    /// Bytes of the fixed header, FEXTRA length, header CRC or trailer being collected.
    scratch: [u8; 10],
    flags: u8,
    /// CRC32 of the header bytes (for FHCRC).
    header_crc: crc32fast::Hasher,
    /// CRC32 of the member's decompressed bytes.
    crc: crc32fast::Hasher,
    /// Decompressed length of the member, mod 2^32.
    isize: u32,
    /// Complete members seen.
    members: u64,
    /// Compressed bytes consumed.
    offset: u64,
}

impl GzipDecoder {
    /// A decoder at the start of a stream.
    pub(crate) fn new() -> Self {
        Self {
            inflate: Decompress::new(false),
            state: State::Fixed { filled: 0 },
            scratch: [0; 10],
            flags: 0,
            header_crc: crc32fast::Hasher::new(),
            crc: crc32fast::Hasher::new(),
            isize: 0,
            members: 0,
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
            let used = if self.state == State::Body {
                self.inflate_some(input, out, sink)?
            } else {
                self.frame_some(input)?
            };
            if used == 0 && self.state == State::Body {
                // zlib always makes progress with input and output space; never spin if it does not.
                let fault = GzipFault::Deflate("the inflater made no progress".into());
                return Err(self.fault(self.offset, fault));
            }
            input = input.get(used..).unwrap_or_default();
            self.offset += used as u64;
        }
        Ok(())
    }

    /// Checks that the stream ended after a complete member.
    pub(crate) fn finish(&self) -> Result<(), VerifyError> {
        let part = match self.state {
            State::Fixed { filled: 0 } if self.members > 0 => return Ok(()),
            State::Body => "compressed data",
            State::Trailer { .. } => "the trailer",
            _ => "a header",
        };
        Err(VerifyError::Truncated { format: "gzip", offset: self.offset, part })
    }

    fn fault(&self, at: u64, fault: GzipFault) -> VerifyError {
        VerifyError::CorruptGzip { offset: at, fault }
    }

    /// Handles framing bytes (header, trailer); returns how many bytes of `input` were used.
    fn frame_some(&mut self, input: &[u8]) -> Result<usize, VerifyError> {
        let Some(&byte) = input.first() else {
            return Ok(0);
        };
        match self.state {
            State::Fixed { filled } => {
                if filled == 0 && self.members > 0 && byte != 0x1f {
                    return Err(VerifyError::TrailingGarbage { format: "gzip", offset: self.offset });
                }
                let used = self.collect(input, filled, 10);
                if filled + used == 10 {
                    self.start_member(self.offset + used as u64 - 10)?;
                } else {
                    self.state = State::Fixed { filled: filled + used };
                }
                Ok(used)
            }
            State::ExtraLen { filled } => {
                let used = self.collect(input, filled, 2);
                self.state = if filled + used == 2 {
                    let len = usize::from(u16::from_le_bytes([self.scratch[0], self.scratch[1]]));
                    State::Extra { remaining: len }
                } else {
                    State::ExtraLen { filled: filled + used }
                };
                if self.state == (State::Extra { remaining: 0 }) {
                    self.after_extra();
                }
                Ok(used)
            }
            State::Extra { remaining } => {
                let used = remaining.min(input.len());
                self.header_crc.update(&input[..used]);
                self.state = State::Extra { remaining: remaining - used };
                if remaining == used {
                    self.after_extra();
                }
                Ok(used)
            }
            State::Name | State::Comment => {
                let (used, done) = match input.iter().position(|&b| b == 0) {
                    Some(nul) => (nul + 1, true),
                    None => (input.len(), false),
                };
                self.header_crc.update(&input[..used]);
                if done {
                    if self.state == State::Name {
                        self.after_name();
                    } else {
                        self.after_comment();
                    }
                }
                Ok(used)
            }
            State::HeaderCrc { filled } => {
                let used = self.collect_raw(input, filled, 2);
                if filled + used == 2 {
                    let stored = u16::from_le_bytes([self.scratch[0], self.scratch[1]]);
                    let computed = (self.header_crc.clone().finalize() & 0xffff) as u16;
                    if stored != computed {
                        let at = self.offset + used as u64 - 2;
                        return Err(self.fault(at, GzipFault::HeaderCrc { stored, computed }));
                    }
                    self.state = State::Body;
                } else {
                    self.state = State::HeaderCrc { filled: filled + used };
                }
                Ok(used)
            }
            State::Trailer { filled } => {
                let used = self.collect_raw(input, filled, 8);
                if filled + used == 8 {
                    self.end_member(self.offset + used as u64 - 8)?;
                } else {
                    self.state = State::Trailer { filled: filled + used };
                }
                Ok(used)
            }
            State::Body => Ok(0),
        }
    }

    /// Copies up to `want - filled` header bytes into `scratch[filled..]`, hashing them for FHCRC.
    fn collect(&mut self, input: &[u8], filled: usize, want: usize) -> usize {
        let used = self.collect_raw(input, filled, want);
        self.header_crc.update(&input[..used]);
        used
    }

    /// Copies up to `want - filled` bytes into `scratch[filled..]`; returns how many.
    fn collect_raw(&mut self, input: &[u8], filled: usize, want: usize) -> usize {
        let used = (want - filled).min(input.len());
        self.scratch[filled..filled + used].copy_from_slice(&input[..used]);
        used
    }

    /// Validates the fixed header in `scratch` and moves to its optional fields.
    /// `at` is the offset of the header's first byte.
    fn start_member(&mut self, at: u64) -> Result<(), VerifyError> {
        let [id1, id2, method, flags, ..] = self.scratch;
        if [id1, id2] != [0x1f, 0x8b] {
            if self.members > 0 {
                return Err(VerifyError::TrailingGarbage { format: "gzip", offset: at });
            }
            return Err(self.fault(at, GzipFault::BadMagic { found: [id1, id2] }));
        }
        if method != 8 {
            return Err(self.fault(at + 2, GzipFault::BadMethod { method }));
        }
        if flags & RESERVED != 0 {
            return Err(self.fault(at + 3, GzipFault::ReservedFlags { flags }));
        }
        self.flags = flags;
        if flags & FEXTRA != 0 {
            self.state = State::ExtraLen { filled: 0 };
        } else {
            self.after_extra();
        }
        Ok(())
    }

    fn after_extra(&mut self) {
        if self.flags & FNAME != 0 {
            self.state = State::Name;
        } else {
            self.after_name();
        }
    }

    fn after_name(&mut self) {
        if self.flags & FCOMMENT != 0 {
            self.state = State::Comment;
        } else {
            self.after_comment();
        }
    }

    fn after_comment(&mut self) {
        self.state = if self.flags & FHCRC != 0 { State::HeaderCrc { filled: 0 } } else { State::Body };
    }

    /// Checks the trailer in `scratch[..8]` against the member just inflated, then resets for the
    /// next member.
    fn end_member(&mut self, at: u64) -> Result<(), VerifyError> {
        let s = self.scratch;
        let stored_crc = u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
        let stored_isize = u32::from_le_bytes([s[4], s[5], s[6], s[7]]);
        let crc = std::mem::take(&mut self.crc).finalize();
        if stored_crc != crc {
            return Err(self.fault(at, GzipFault::Crc { stored: stored_crc, computed: crc }));
        }
        if stored_isize != self.isize {
            let fault = GzipFault::Isize { stored: stored_isize, computed: self.isize };
            return Err(self.fault(at + 4, fault));
        }
        self.members += 1;
        self.isize = 0;
        self.header_crc = crc32fast::Hasher::new();
        self.inflate.reset(false);
        self.state = State::Fixed { filled: 0 };
        Ok(())
    }

    /// Inflates from `input` until it is used up or the member ends; returns the bytes used.
    fn inflate_some<S: Sink>(
        &mut self,
        input: &[u8],
        out: &mut [u8],
        sink: &mut S,
    ) -> Result<usize, VerifyError> {
        let mut used_total = 0;
        loop {
            let rest = input.get(used_total..).unwrap_or_default();
            let (in_before, out_before) = (self.inflate.total_in(), self.inflate.total_out());
            let status = self.inflate.decompress(rest, out, FlushDecompress::None).map_err(|e| {
                let at = self.offset + used_total as u64;
                self.fault(at, GzipFault::Deflate(e.to_string()))
            })?;
            let used = (self.inflate.total_in() - in_before) as usize;
            let produced = (self.inflate.total_out() - out_before) as usize;
            used_total += used;
            if produced > 0 {
                let bytes = &out[..produced];
                self.crc.update(bytes);
                self.isize = self.isize.wrapping_add(produced as u32);
                sink.write(bytes)?;
            }
            if status == Status::StreamEnd {
                self.state = State::Trailer { filled: 0 };
                return Ok(used_total);
            }
            let out_full = produced == out.len();
            if (used_total == input.len() && !out_full) || (used == 0 && produced == 0) {
                return Ok(used_total);
            }
        }
    }
}
