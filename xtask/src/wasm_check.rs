//! Proof that the core is host-neutral: built for `wasm32-unknown-unknown`, its probe
//! (`crates/regsight-core/examples/wasm_probe.rs`) must import nothing from `env`, the module
//! where a clock, a C library or any other host function the core should not need would show up
//! (quinn's CI runs the same check on quinn-proto).
//!
//! The `.wasm` is read with a small parser of the binary format's framing (magic, version,
//! sections) and of the import section (id 2); every other section is skipped by its size.

use std::fmt;
use std::path::PathBuf;

use regsight_rig::paths::workspace_root;
use regsight_rig::{Result, rig_err};

/// The `.wasm` magic number, `\0asm`.
const MAGIC: &[u8; 4] = b"\0asm";
/// The only binary-format version of core modules.
const VERSION: [u8; 4] = [1, 0, 0, 0];
/// Section id of the import section.
const IMPORT_SECTION: u8 = 2;

/// What an import brings in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    /// A function.
    Function,
    /// A table.
    Table,
    /// A memory.
    Memory,
    /// A global.
    Global,
    /// An exception tag.
    Tag,
}

/// One entry of the import section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// The module it is imported from (`env`, `wasi_snapshot_preview1`, ...).
    pub module: String,
    /// The name within that module.
    pub name: String,
    /// What it is.
    pub kind: ImportKind,
}

impl fmt::Display for Import {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{} ({:?})", self.module, self.name, self.kind)
    }
}

/// Why a file is not a wasm module this parser can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WasmError {
    /// The file does not start with `\0asm`.
    BadMagic,
    /// A version other than 1 (a component, or something else).
    BadVersion([u8; 4]),
    /// The bytes end inside what started at `offset`.
    Truncated {
        /// Where the unfinished item starts.
        offset: usize,
    },
    /// A LEB128 number at `offset` is longer than its type allows.
    BadLeb {
        /// Where the number starts.
        offset: usize,
    },
    /// A name at `offset` is not UTF-8.
    BadName {
        /// Where the name starts.
        offset: usize,
    },
    /// An unknown import kind or type byte at `offset`.
    BadByte {
        /// The byte.
        byte: u8,
        /// Where it is.
        offset: usize,
    },
    /// The import section's entries do not end where its size says.
    SectionSize {
        /// Where the section's contents start.
        offset: usize,
    },
}

impl fmt::Display for WasmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadMagic => write!(f, "not a wasm module (no \\0asm magic)"),
            Self::BadVersion(v) => write!(f, "wasm version {v:?} is not a core module's [1, 0, 0, 0]"),
            Self::Truncated { offset } => write!(f, "wasm module ends inside the item at byte {offset}"),
            Self::BadLeb { offset } => write!(f, "LEB128 number at byte {offset} is too long"),
            Self::BadName { offset } => write!(f, "name at byte {offset} is not UTF-8"),
            Self::BadByte { byte, offset } => write!(f, "unexpected byte {byte:#04x} at byte {offset}"),
            Self::SectionSize { offset } => {
                write!(f, "the import section at byte {offset} does not end where its size says")
            }
        }
    }
}

/// A position in the module's bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    fn at_end(&self) -> bool {
        self.offset >= self.bytes.len()
    }

    /// The next `len` bytes.
    fn take(&mut self, len: usize) -> Result<&'a [u8], WasmError> {
        let start = self.offset;
        let end = start.checked_add(len).filter(|&end| end <= self.bytes.len());
        let end = end.ok_or(WasmError::Truncated { offset: start })?;
        self.offset = end;
        Ok(&self.bytes[start..end])
    }

    fn byte(&mut self) -> Result<u8, WasmError> {
        Ok(self.take(1)?[0])
    }

    /// An unsigned LEB128 number of at most `bits` bits.
    fn leb(&mut self, bits: u32) -> Result<u64, WasmError> {
        let start = self.offset;
        let mut value: u64 = 0;
        let mut shift = 0;
        loop {
            let byte = self.byte().map_err(|_| WasmError::Truncated { offset: start })?;
            let payload = u64::from(byte & 0x7f);
            // The last byte may only hold the bits that are left.
            if shift >= bits || (bits - shift < 7 && payload >> (bits - shift) != 0) {
                return Err(WasmError::BadLeb { offset: start });
            }
            value |= payload << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
    }

    /// A `u32` length or index.
    fn u32(&mut self) -> Result<usize, WasmError> {
        let start = self.offset;
        usize::try_from(self.leb(32)?).map_err(|_| WasmError::BadLeb { offset: start })
    }

    /// A length-prefixed UTF-8 name.
    fn name(&mut self) -> Result<String, WasmError> {
        let start = self.offset;
        let len = self.u32()?;
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| WasmError::BadName { offset: start })
    }

    /// Limits of a table or memory: flags, minimum, optional maximum (64-bit for memory64).
    fn limits(&mut self) -> Result<(), WasmError> {
        let offset = self.offset;
        let flags = self.byte()?;
        if flags > 0x07 {
            return Err(WasmError::BadByte { byte: flags, offset });
        }
        let bits = if flags & 0x04 != 0 { 64 } else { 32 };
        self.leb(bits)?;
        if flags & 0x01 != 0 {
            self.leb(bits)?;
        }
        Ok(())
    }

    /// A value or reference type; `(ref null? heaptype)` carries a signed LEB heap type.
    fn value_type(&mut self) -> Result<(), WasmError> {
        let offset = self.offset;
        match self.byte()? {
            0x7b..=0x7f | 0x69..=0x74 => Ok(()),
            0x63 | 0x64 => self.leb(33).map(|_| ()),
            byte => Err(WasmError::BadByte { byte, offset }),
        }
    }

    /// One import entry.
    fn import(&mut self) -> Result<Import, WasmError> {
        let module = self.name()?;
        let name = self.name()?;
        let offset = self.offset;
        let kind = match self.byte()? {
            0x00 => {
                self.u32()?;
                ImportKind::Function
            }
            0x01 => {
                self.value_type()?;
                self.limits()?;
                ImportKind::Table
            }
            0x02 => {
                self.limits()?;
                ImportKind::Memory
            }
            0x03 => {
                self.value_type()?;
                self.byte()?;
                ImportKind::Global
            }
            0x04 => {
                self.byte()?;
                self.u32()?;
                ImportKind::Tag
            }
            byte => return Err(WasmError::BadByte { byte, offset }),
        };
        Ok(Import { module, name, kind })
    }
}

/// Every import of a core wasm module, in order.
pub fn imports(bytes: &[u8]) -> Result<Vec<Import>, WasmError> {
    let mut reader = Reader { bytes, offset: 0 };
    if reader.take(4).map_err(|_| WasmError::BadMagic)? != MAGIC {
        return Err(WasmError::BadMagic);
    }
    let version = reader.take(4)?;
    if version != VERSION {
        let mut v = [0; 4];
        v.copy_from_slice(version);
        return Err(WasmError::BadVersion(v));
    }
    let mut found = Vec::new();
    while !reader.at_end() {
        let id = reader.byte()?;
        let size = reader.u32()?;
        let start = reader.offset;
        let contents = reader.take(size)?;
        if id != IMPORT_SECTION {
            continue;
        }
        let mut section = Reader { bytes: &bytes[..start + contents.len()], offset: start };
        let count = section.u32()?;
        for _ in 0..count {
            found.push(section.import()?);
        }
        if !section.at_end() {
            return Err(WasmError::SectionSize { offset: start });
        }
    }
    Ok(found)
}

/// Where cargo puts the probe: `$CARGO_TARGET_DIR` (relative to the workspace root) or `target/`.
fn probe_path() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root().join("target"), |dir| workspace_root().join(dir));
    target.join("wasm32-unknown-unknown").join("release").join("examples").join("wasm_probe.wasm")
}

/// Builds the core's wasm probe and fails if it imports anything from `env`, listing what it does.
pub fn check_core_wasm() -> Result<()> {
    crate::cargo(&[
        "build",
        "-p",
        "regsight-core",
        "--example",
        "wasm_probe",
        "--target",
        "wasm32-unknown-unknown",
        "--release",
    ])?;
    let path = probe_path();
    let bytes = std::fs::read(&path).map_err(|e| rig_err!("cannot read {}: {e}", path.display()))?;
    let imports = imports(&bytes).map_err(|e| rig_err!("{}: {e}", path.display()))?;
    let from_env: Vec<String> = imports.iter().filter(|i| i.module == "env").map(Import::to_string).collect();
    if !from_env.is_empty() {
        return Err(rig_err!(
            "{} imports {} item(s) from env, so the core needs something from its host: {}",
            path.display(),
            from_env.len(),
            from_env.join(", ")
        ));
    }
    println!("{}: {} bytes, {} import(s), none from env", path.display(), bytes.len(), imports.len());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A length-prefixed name, for building modules by hand.
    fn name(text: &str) -> Vec<u8> {
        let mut out = vec![u8::try_from(text.len()).expect("short name")];
        out.extend_from_slice(text.as_bytes());
        out
    }

    /// A section with a one-byte size.
    fn section(id: u8, contents: &[u8]) -> Vec<u8> {
        let mut out = vec![id, u8::try_from(contents.len()).expect("small section")];
        out.extend_from_slice(contents);
        out
    }

    /// magic + version + a type section + an import section of five kinds + a custom section.
    fn module() -> Vec<u8> {
        let mut imports = vec![5];
        for (module, field, desc) in [
            ("env", "memcpy", &[0x00, 0x00][..]),
            ("wasi_snapshot_preview1", "fd_write", &[0x00, 0x00]),
            ("js", "mem", &[0x02, 0x01, 0x01, 0x02]),
            ("env", "g", &[0x03, 0x7f, 0x00]),
            ("t", "tab", &[0x01, 0x70, 0x00, 0x01]),
        ] {
            imports.extend(name(module));
            imports.extend(name(field));
            imports.extend_from_slice(desc);
        }
        let mut bytes = b"\0asm\x01\0\0\0".to_vec();
        bytes.extend(section(1, &[0x01, 0x60, 0x00, 0x00]));
        bytes.extend(section(2, &imports));
        bytes.extend(section(0, &[name("note"), b"hello".to_vec()].concat()));
        bytes
    }

    #[test]
    fn lists_the_imports_of_a_hand_made_module() {
        let found = imports(&module()).expect("valid module");
        let summary: Vec<String> = found.iter().map(Import::to_string).collect();
        assert_eq!(
            summary,
            [
                "env.memcpy (Function)",
                "wasi_snapshot_preview1.fd_write (Function)",
                "js.mem (Memory)",
                "env.g (Global)",
                "t.tab (Table)",
            ]
        );
        assert_eq!(imports(b"\0asm\x01\0\0\0"), Ok(Vec::new()));
    }

    #[test]
    fn reads_multi_byte_leb128() {
        let mut reader = Reader { bytes: &[0xe5, 0x8e, 0x26], offset: 0 };
        assert_eq!(reader.leb(32), Ok(624_485));
        // A padded encoding of 5 is still 5; a 6-byte u32 and a fifth byte over 32 bits are not.
        let mut reader = Reader { bytes: &[0x85, 0x80, 0x80, 0x80, 0x00], offset: 0 };
        assert_eq!(reader.leb(32), Ok(5));
        let mut reader = Reader { bytes: &[0x80, 0x80, 0x80, 0x80, 0x80, 0x00], offset: 0 };
        assert_eq!(reader.leb(32), Err(WasmError::BadLeb { offset: 0 }));
        let mut reader = Reader { bytes: &[0xff, 0xff, 0xff, 0xff, 0x1f], offset: 0 };
        assert_eq!(reader.leb(32), Err(WasmError::BadLeb { offset: 0 }));
        let mut reader = Reader { bytes: &[0xff, 0xff, 0xff, 0xff, 0x0f], offset: 0 };
        assert_eq!(reader.leb(32), Ok(u64::from(u32::MAX)));
    }

    #[test]
    fn malformed_modules_are_errors() {
        let good = module();
        assert_eq!(imports(b"\0asn\x01\0\0\0"), Err(WasmError::BadMagic));
        assert_eq!(imports(b"\0as"), Err(WasmError::BadMagic));
        assert_eq!(imports(b"\0asm\x0d\0\x01\0"), Err(WasmError::BadVersion([0x0d, 0, 1, 0])));
        // Cut anywhere after the header: never a panic, and an error unless the cut falls
        // between two sections (after the type section, after the import section).
        let custom_section_len = 2 + 5 + 5;
        let section_ends = [8 + 6, good.len() - custom_section_len];
        for len in 9..good.len() {
            let result = imports(&good[..len]);
            assert_eq!(result.is_ok(), section_ends.contains(&len), "cut at {len}: {result:?}");
        }
        // A section size running past the end.
        assert_eq!(imports(b"\0asm\x01\0\0\0\x02\x10\x00"), Err(WasmError::Truncated { offset: 10 }));
        // An import section with a byte left over after its entries.
        assert_eq!(imports(b"\0asm\x01\0\0\0\x02\x02\x00\x00"), Err(WasmError::SectionSize { offset: 10 }));
        // An unknown import kind.
        let bad_kind = [b"\0asm\x01\0\0\0\x02\x06\x01".to_vec(), name("m"), name("f"), vec![0x09]].concat();
        assert_eq!(imports(&bad_kind), Err(WasmError::BadByte { byte: 0x09, offset: 15 }));
    }
}
