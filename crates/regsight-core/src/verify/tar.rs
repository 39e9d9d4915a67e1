//! Push-based tar walker: lists a layer's entries as its uncompressed bytes stream by.
//!
//! Reads ustar (with the `prefix` field), GNU (`././@LongLink` names and link targets, type `S`
//! sparse files and their extension blocks) and PAX (`x` per-file and `g` global records: `path`,
//! `linkpath`, `size`, `uid`, `gid`, `mtime`, `GNU.sparse.*`). Header checksums are validated and
//! the end of the archive (two zero blocks) is recognised. Data is skipped without copying.
//!
//! Memory is bounded: an extended header is capped, and the listing keeps at most a given number
//! of entries and path bytes (it then says it was truncated but keeps counting). A malformed
//! header stops the listing and is reported; it never affects the digests.

use serde::{Deserialize, Serialize};

use crate::ErrorCode;
use crate::reported::ReportedError;

/// Size of a tar block.
const BLOCK: u64 = 512;

/// Limits for the tar listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListingOptions {
    /// Most entries kept in the listing; later ones are counted but not kept.
    pub max_entries: usize,
    /// Most bytes of paths and link targets kept in the listing.
    pub max_path_bytes: usize,
    /// Largest PAX extended header or GNU long name/link accepted, in bytes.
    pub max_extended_header: u64,
}

impl Default for ListingOptions {
    fn default() -> Self {
        Self { max_entries: 100_000, max_path_bytes: 16 << 20, max_extended_header: 1 << 20 }
    }
}

/// What kind of file a tar entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EntryKind {
    /// A regular file (types `0`, NUL, `7`, and GNU sparse `S`).
    File,
    /// A directory (types `5` and GNU dump dir `D`).
    Dir,
    /// A symbolic link (type `2`).
    Symlink,
    /// A hard link to an earlier entry (type `1`).
    Hardlink,
    /// A character device (type `3`).
    CharDevice,
    /// A block device (type `4`).
    BlockDevice,
    /// A named pipe (type `6`).
    Fifo,
    /// Any other type flag.
    Other,
}

/// What an overlay whiteout entry removes from the layers below.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Whiteout {
    /// `dir/.wh.name` deletes `dir/name`.
    Remove {
        /// The path deleted.
        target: String,
    },
    /// `dir/.wh..wh..opq` hides everything below `dir` from lower layers.
    Opaque {
        /// The directory made opaque (empty for the root).
        dir: String,
    },
}

/// One entry of a layer's tar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TarEntry {
    /// Path inside the layer.
    pub path: String,
    /// Kind of file.
    pub kind: EntryKind,
    /// Size in bytes (the real size for sparse files).
    pub size: u64,
    /// Permission bits and set-id/sticky bits.
    pub mode: u32,
    /// Owner user id.
    pub uid: u64,
    /// Owner group id.
    pub gid: u64,
    /// Modification time, seconds since the Unix epoch.
    pub mtime: i64,
    /// Target of a symlink or hard link.
    pub link_target: Option<String>,
    /// The overlay whiteout this entry stands for, if any.
    pub whiteout: Option<Whiteout>,
    /// True for a GNU sparse file.
    pub sparse: bool,
}

/// Why the tar listing stopped early.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TarError {
    /// A header's checksum does not match its bytes.
    #[error("tar header at byte {offset} has checksum {stored}, but its bytes sum to {computed}")]
    BadChecksum {
        /// Offset of the header in the tar.
        offset: u64,
        /// Checksum stored in the header (0 if unreadable).
        stored: u64,
        /// Sum of the header bytes.
        computed: u64,
    },
    /// A numeric header field is not octal or base-256.
    #[error("tar header at byte {offset} has an unreadable {field} field")]
    BadNumber {
        /// Offset of the header in the tar.
        offset: u64,
        /// Name of the field.
        field: &'static str,
    },
    /// A PAX header or GNU long name is larger than allowed.
    #[error("tar extended header at byte {offset} is {size} bytes, above the cap of {limit}")]
    ExtendedHeaderTooLarge {
        /// Offset of the header in the tar.
        offset: u64,
        /// Its declared size.
        size: u64,
        /// The cap.
        limit: u64,
    },
    /// A PAX record is not `<length> <key>=<value>\n`.
    #[error("malformed pax record in the extended header at byte {offset}")]
    BadPaxRecord {
        /// Offset of the header in the tar.
        offset: u64,
    },
    /// The tar ends in the middle of a header or an entry's data.
    #[error("tar stream ends at byte {offset} in the middle of an entry")]
    Truncated {
        /// Bytes of tar seen.
        offset: u64,
    },
}

impl TarError {
    /// The stable error code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::ExtendedHeaderTooLarge { .. } => ErrorCode::LimitExceeded,
            _ => ErrorCode::CorruptStream,
        }
    }
}

impl From<&TarError> for ReportedError {
    fn from(error: &TarError) -> Self {
        Self::new(error.code(), error.to_string())
    }
}

/// The listing of a layer's tar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TarListing {
    /// Entries in archive order, up to the listing caps.
    pub entries: Vec<TarEntry>,
    /// Entries seen in total (more than `entries.len()` when truncated).
    pub total_entries: u64,
    /// True when entries were left out because of the listing caps.
    pub truncated: bool,
    /// True when the end-of-archive marker (two zero blocks) was seen.
    pub end_of_archive: bool,
    /// Why listing stopped early, if it did (a [`TarError`] as data, so a listing crosses into a
    /// page or out of a worker whole).
    pub error: Option<ReportedError>,
}

/// Metadata carried from PAX records or GNU long names to the entry they describe.
#[derive(Debug, Clone, Default)]
struct Overrides {
    path: Option<String>,
    link: Option<String>,
    size: Option<u64>,
    uid: Option<u64>,
    gid: Option<u64>,
    mtime: Option<i64>,
    real_size: Option<u64>,
    sparse: bool,
}

impl Overrides {
    /// `self`'s values where set, else `base`'s.
    fn over(self, base: &Self) -> Self {
        let base = base.clone();
        Self {
            path: self.path.or(base.path),
            link: self.link.or(base.link),
            size: self.size.or(base.size),
            uid: self.uid.or(base.uid),
            gid: self.gid.or(base.gid),
            mtime: self.mtime.or(base.mtime),
            real_size: self.real_size.or(base.real_size),
            sparse: self.sparse || base.sparse,
        }
    }
}

/// Which extended header is being collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Extended {
    /// PAX `x`: applies to the next entry.
    Pax,
    /// PAX `g`: applies to every later entry.
    GlobalPax,
    /// GNU `L`: the next entry's path.
    LongName,
    /// GNU `K`: the next entry's link target.
    LongLink,
}

/// Where the walker is in the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Collecting a 512-byte header.
    Header,
    /// Skipping `remaining` bytes of entry data and padding.
    Skip { remaining: u64 },
    /// Collecting `remaining` more bytes of an extended header, then skipping `padding`.
    Extended { kind: Extended, remaining: u64, padding: u64 },
    /// Collecting GNU sparse extension blocks, then skipping `data` bytes.
    SparseExtension { data: u64 },
    /// After the end-of-archive marker, or after an error: ignore the rest.
    Done,
}

/// A tar walker fed with the layer's uncompressed bytes, in order, in chunks of any size.
#[derive(Debug)]
pub struct TarWalker {
    options: ListingOptions,
    state: State,
    block: [u8; BLOCK as usize],
    filled: usize,
    /// Bytes of tar seen.
    offset: u64,
    /// Offset of the header being handled.
    header_offset: u64,
    zero_blocks: u8,
    extended: Vec<u8>,
    local: Overrides,
    global: Overrides,
    listing: TarListing,
    path_bytes: usize,
}

impl TarWalker {
    /// A walker at the start of an archive.
    pub fn new(options: ListingOptions) -> Self {
        Self {
            options,
            state: State::Header,
            block: [0; BLOCK as usize],
            filled: 0,
            offset: 0,
            header_offset: 0,
            zero_blocks: 0,
            extended: Vec::new(),
            local: Overrides::default(),
            global: Overrides::default(),
            listing: TarListing {
                entries: Vec::new(),
                total_entries: 0,
                truncated: false,
                end_of_archive: false,
                error: None,
            },
            path_bytes: 0,
        }
    }

    /// Takes the next bytes of the tar.
    pub fn update(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() && self.state != State::Done {
            let used = self.step(bytes);
            self.offset += used as u64;
            bytes = bytes.get(used..).unwrap_or_default();
        }
    }

    /// Ends the walk and returns the listing.
    #[must_use]
    pub fn finish(mut self) -> TarListing {
        let at_boundary = self.state == State::Header && self.filled == 0;
        if self.state != State::Done && !at_boundary {
            self.listing.error = Some(ReportedError::from(&TarError::Truncated { offset: self.offset }));
        }
        self.listing
    }

    /// Uses some of `bytes` in the current state; returns how many.
    fn step(&mut self, bytes: &[u8]) -> usize {
        match self.state {
            State::Header | State::SparseExtension { .. } => {
                let used = (BLOCK as usize - self.filled).min(bytes.len());
                self.block[self.filled..self.filled + used].copy_from_slice(&bytes[..used]);
                self.filled += used;
                if self.filled == BLOCK as usize {
                    self.filled = 0;
                    self.header_offset = self.offset + used as u64 - BLOCK;
                    let result = match self.state {
                        State::SparseExtension { data } => {
                            self.sparse_extension(data);
                            Ok(())
                        }
                        _ => self.header(),
                    };
                    if let Err(error) = result {
                        self.fail(error);
                    }
                }
                used
            }
            State::Skip { remaining } => {
                let used = usize::try_from(remaining).unwrap_or(usize::MAX).min(bytes.len());
                let remaining = remaining - used as u64;
                self.state = if remaining == 0 { State::Header } else { State::Skip { remaining } };
                used
            }
            State::Extended { kind, remaining, padding } => {
                let used = usize::try_from(remaining).unwrap_or(usize::MAX).min(bytes.len());
                self.extended.extend_from_slice(&bytes[..used]);
                let remaining = remaining - used as u64;
                if remaining > 0 {
                    self.state = State::Extended { kind, remaining, padding };
                } else {
                    self.state =
                        if padding == 0 { State::Header } else { State::Skip { remaining: padding } };
                    if let Err(error) = self.extended_done(kind) {
                        self.fail(error);
                    }
                }
                used
            }
            State::Done => bytes.len(),
        }
    }

    fn fail(&mut self, error: TarError) {
        self.listing.error = Some(ReportedError::from(&error));
        self.state = State::Done;
    }

    /// Handles a complete header block.
    fn header(&mut self) -> Result<(), TarError> {
        let block = self.block;
        if block.iter().all(|&b| b == 0) {
            self.zero_blocks += 1;
            if self.zero_blocks == 2 {
                self.listing.end_of_archive = true;
                self.state = State::Done;
            }
            return Ok(());
        }
        self.zero_blocks = 0;
        self.check_checksum(&block)?;
        let flag = block[156];
        let size = self.number(&block[124..136], "size")?;
        match flag {
            b'x' | b'g' | b'L' | b'K' => {
                let kind = match flag {
                    b'x' => Extended::Pax,
                    b'g' => Extended::GlobalPax,
                    b'L' => Extended::LongName,
                    _ => Extended::LongLink,
                };
                let limit = self.options.max_extended_header;
                if size > limit {
                    return Err(TarError::ExtendedHeaderTooLarge { offset: self.header_offset, size, limit });
                }
                self.extended.clear();
                let padding = padded(size) - size;
                self.state = if size == 0 {
                    self.extended_done(kind)?;
                    if padding == 0 { State::Header } else { State::Skip { remaining: padding } }
                } else {
                    State::Extended { kind, remaining: size, padding }
                };
                Ok(())
            }
            _ => self.entry(&block, flag, size),
        }
    }

    /// Validates the header checksum (unsigned sum, or the historic signed sum).
    fn check_checksum(&self, block: &[u8; BLOCK as usize]) -> Result<(), TarError> {
        let field = &block[148..156];
        let spaces = 8 * u64::from(b' ');
        let unsigned: u64 = block.iter().map(|&b| u64::from(b)).sum::<u64>()
            - field.iter().map(|&b| u64::from(b)).sum::<u64>()
            + spaces;
        let signed: i64 = block.iter().map(|&b| i64::from(b as i8)).sum::<i64>()
            - field.iter().map(|&b| i64::from(b as i8)).sum::<i64>()
            + spaces as i64;
        let stored = parse_number(field);
        match stored {
            Some(s) if s == unsigned || i64::try_from(s).ok() == Some(signed) => Ok(()),
            _ => Err(TarError::BadChecksum {
                offset: self.header_offset,
                stored: stored.unwrap_or_default(),
                computed: unsigned,
            }),
        }
    }

    fn number(&self, field: &[u8], name: &'static str) -> Result<u64, TarError> {
        parse_number(field).ok_or(TarError::BadNumber { offset: self.header_offset, field: name })
    }

    /// Handles the header of a real entry (not an extended header).
    fn entry(&mut self, block: &[u8; BLOCK as usize], flag: u8, header_size: u64) -> Result<(), TarError> {
        let over = std::mem::take(&mut self.local).over(&self.global);
        let mode = self.number(&block[100..108], "mode")?;
        let uid = self.number(&block[108..116], "uid")?;
        let gid = self.number(&block[116..124], "gid")?;
        let mtime = self.number(&block[136..148], "mtime")?;
        let kind = match flag {
            b'0' | 0 | b'7' | b'S' => EntryKind::File,
            b'1' => EntryKind::Hardlink,
            b'2' => EntryKind::Symlink,
            b'3' => EntryKind::CharDevice,
            b'4' => EntryKind::BlockDevice,
            b'5' | b'D' => EntryKind::Dir,
            b'6' => EntryKind::Fifo,
            _ => EntryKind::Other,
        };
        let stored = over.size.unwrap_or(header_size);
        // Like Go's archive/tar (used by Docker and containerd): these types never carry data.
        let data = if matches!(flag, b'1'..=b'6') { 0 } else { stored };
        let mut size = over.real_size.unwrap_or(stored);
        let mut sparse = over.sparse;
        self.state = State::Skip { remaining: padded(data) };
        if flag == b'S' {
            sparse = true;
            size = self.number(&block[483..495], "realsize")?;
            if block[482] != 0 {
                self.state = State::SparseExtension { data: padded(data) };
            }
        }
        if self.state == (State::Skip { remaining: 0 }) {
            self.state = State::Header;
        }
        let path = over.path.unwrap_or_else(|| header_path(block));
        let link_target = over.link.or_else(|| {
            let link = text(&block[157..257]);
            (!link.is_empty()).then_some(link)
        });
        let entry = TarEntry {
            whiteout: whiteout(&path),
            path,
            kind,
            size,
            mode: (mode & 0o7777) as u32,
            uid: over.uid.unwrap_or(uid),
            gid: over.gid.unwrap_or(gid),
            mtime: over.mtime.unwrap_or(i64::try_from(mtime).unwrap_or(i64::MAX)),
            link_target,
            sparse,
        };
        self.keep(entry);
        Ok(())
    }

    /// Adds an entry to the listing unless a listing cap is reached; once one is, the listing
    /// stays a prefix of the archive (no holes).
    fn keep(&mut self, entry: TarEntry) {
        self.listing.total_entries += 1;
        let bytes = entry.path.len() + entry.link_target.as_ref().map_or(0, String::len);
        let fits = !self.listing.truncated
            && self.listing.entries.len() < self.options.max_entries
            && self.path_bytes + bytes <= self.options.max_path_bytes;
        if fits {
            self.path_bytes += bytes;
            self.listing.entries.push(entry);
        } else {
            self.listing.truncated = true;
        }
    }

    /// Handles a GNU sparse extension block; more follow while its `isextended` byte is set.
    fn sparse_extension(&mut self, data: u64) {
        self.state = if self.block[504] != 0 {
            State::SparseExtension { data }
        } else if data == 0 {
            State::Header
        } else {
            State::Skip { remaining: data }
        };
    }

    /// Applies a fully collected extended header.
    fn extended_done(&mut self, kind: Extended) -> Result<(), TarError> {
        let bytes = std::mem::take(&mut self.extended);
        match kind {
            Extended::LongName => self.local.path = Some(text(&bytes)),
            Extended::LongLink => self.local.link = Some(text(&bytes)),
            Extended::Pax => parse_pax(&bytes, &mut self.local)
                .ok_or(TarError::BadPaxRecord { offset: self.header_offset })?,
            Extended::GlobalPax => parse_pax(&bytes, &mut self.global)
                .ok_or(TarError::BadPaxRecord { offset: self.header_offset })?,
        }
        self.extended = bytes;
        self.extended.clear();
        Ok(())
    }
}

/// `size` rounded up to whole blocks.
fn padded(size: u64) -> u64 {
    size.div_ceil(BLOCK).saturating_mul(BLOCK)
}

/// The text of a NUL-terminated header field (lossy for non-UTF-8 names).
fn text(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

/// The entry path from `name`, prefixed by `prefix` for POSIX ustar headers.
fn header_path(block: &[u8; BLOCK as usize]) -> String {
    let name = text(&block[..100]);
    if &block[257..263] == b"ustar\0" {
        let prefix = text(&block[345..500]);
        if !prefix.is_empty() {
            return format!("{prefix}/{name}");
        }
    }
    name
}

/// Parses a numeric header field: octal text (space/NUL padded) or GNU base-256.
fn parse_number(field: &[u8]) -> Option<u64> {
    let (&first, rest) = field.split_first()?;
    if first & 0x80 != 0 {
        if first != 0x80 {
            return None; // negative base-256 values make no sense for sizes, ids or our mtimes
        }
        return rest.iter().try_fold(0u64, |acc, &b| acc.checked_mul(256)?.checked_add(u64::from(b)));
    }
    let is_octal = |b: &&u8| (b'0'..=b'7').contains(*b);
    let trimmed = field.iter().skip_while(|&&b| b == b' ' || b == 0);
    let mut value = 0u64;
    for &b in trimmed.clone().take_while(is_octal) {
        value = value.checked_mul(8)?.checked_add(u64::from(b - b'0'))?;
    }
    let tail_ok = trimmed.skip_while(is_octal).all(|&b| b == b' ' || b == 0);
    tail_ok.then_some(value)
}

/// Reads PAX records (`<len> <key>=<value>\n`) into `into`; `None` if malformed.
fn parse_pax(mut bytes: &[u8], into: &mut Overrides) -> Option<()> {
    while !bytes.is_empty() {
        let space = bytes.iter().position(|&b| b == b' ')?;
        let len: usize = std::str::from_utf8(&bytes[..space]).ok()?.parse().ok()?;
        let record = bytes.get(..len)?;
        let body = record.get(space + 1..)?.strip_suffix(b"\n")?;
        let eq = body.iter().position(|&b| b == b'=')?;
        let (key, value) = (&body[..eq], String::from_utf8_lossy(&body[eq + 1..]).into_owned());
        let number = || value.parse::<u64>().ok();
        match key {
            b"path" => into.path = Some(value.clone()),
            b"linkpath" => into.link = Some(value.clone()),
            b"size" => into.size = Some(number()?),
            b"uid" => into.uid = Some(number()?),
            b"gid" => into.gid = Some(number()?),
            b"mtime" => {
                let seconds = value.split('.').next().unwrap_or_default();
                into.mtime = Some(seconds.parse().ok()?);
            }
            b"GNU.sparse.name" => {
                into.path = Some(value.clone());
                into.sparse = true;
            }
            b"GNU.sparse.realsize" | b"GNU.sparse.size" => {
                into.real_size = Some(number()?);
                into.sparse = true;
            }
            b"GNU.sparse.major" => into.sparse = true,
            _ => {}
        }
        bytes = &bytes[len..];
    }
    Some(())
}

/// The whiteout an entry path stands for (overlay conventions of the OCI image spec).
fn whiteout(path: &str) -> Option<Whiteout> {
    let trimmed = path.trim_end_matches('/');
    let (dir, base) = trimmed.rsplit_once('/').unwrap_or(("", trimmed));
    if base == ".wh..wh..opq" {
        return Some(Whiteout::Opaque { dir: dir.to_owned() });
    }
    let name = base.strip_prefix(".wh.")?;
    let target = if dir.is_empty() { name.to_owned() } else { format!("{dir}/{name}") };
    Some(Whiteout::Remove { target })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_octal_and_base_256() {
        let cases: &[(&[u8], Option<u64>)] = &[
            (b"0000644\0", Some(0o644)),
            (b"  755 \0", Some(0o755)),
            (b"\0\0\0\0", Some(0)),
            (b"00000000012\0", Some(10)),
            (b"0008\0", None),
            (b"12 34", None),
            (&[0x80, 0, 0, 1, 0], Some(256)),
            (&[0xff, 0xff, 0xff, 0xfe], None),
            (&[0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], None),
        ];
        for (field, expected) in cases {
            assert_eq!(parse_number(field), *expected, "{field:?}");
        }
    }

    #[test]
    fn pax_records() {
        let mut o = Overrides::default();
        let body = b"30 mtime=1700000000.123456789\n18 path=a/b/c.txt\n13 size=4096\n";
        assert_eq!(parse_pax(body, &mut o), Some(()));
        assert_eq!(
            (o.path.as_deref(), o.size, o.mtime),
            (Some("a/b/c.txt"), Some(4096), Some(1_700_000_000))
        );
        for bad in [&b"5 a=b\n"[..], b"x path=a\n", b"11 path=a\n", b"12 size=abc\n", b"8 noeq\n", b"0 \n"] {
            assert_eq!(parse_pax(bad, &mut Overrides::default()), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn whiteouts() {
        assert_eq!(whiteout("a/.wh.b"), Some(Whiteout::Remove { target: "a/b".into() }));
        assert_eq!(whiteout(".wh.b"), Some(Whiteout::Remove { target: "b".into() }));
        assert_eq!(whiteout("a/.wh..wh..opq"), Some(Whiteout::Opaque { dir: "a".into() }));
        assert_eq!(whiteout(".wh..wh..opq"), Some(Whiteout::Opaque { dir: String::new() }));
        assert_eq!(whiteout("a/b.wh.c"), None);
        assert_eq!(whiteout("a/.wh/b"), None);
    }
}
