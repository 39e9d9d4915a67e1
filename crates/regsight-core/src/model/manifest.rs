//! Manifests: OCI and Docker schema2 image manifests, indexes / manifest lists, and legacy
//! schema1 manifests (recognized so callers can say they cannot be verified), and
//! [`parse_manifest`], which decides which one a response holds.
//!
//! The kind comes from three witnesses that must agree: the `Content-Type` header, the body's
//! `mediaType`, and the body's shape (`manifests` for an index, `layers`/`config` for an image,
//! `fsLayers` for schema1). A body with both `manifests` and `layers` is refused rather than
//! guessed at, since two readers could then see two different images behind one digest.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::decode::{DecodeError, Document, decode, null_as_default};
use super::descriptor::Descriptor;
use crate::{ErrorCode, MediaType};

/// Default cap on a manifest's size: 4 MiB, as distribution and containerd use.
pub const MANIFEST_SIZE_LIMIT: usize = 4 * 1024 * 1024;

/// A single-platform image manifest (OCI image manifest or Docker schema2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    /// Always 2.
    pub schema_version: u32,
    /// The body's `mediaType`, or, when the body omits it, the Content-Type (else OCI manifest).
    #[serde(default = "oci_manifest")]
    pub media_type: MediaType,
    /// The image config blob.
    pub config: Descriptor,
    /// The layer blobs, base layer first.
    pub layers: Vec<Descriptor>,
    /// The manifest this one refers to (signatures, SBOMs; OCI 1.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    /// Free-form metadata.
    #[serde(default, deserialize_with = "null_as_default", skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Artifact type when the manifest describes an artifact rather than an image (OCI 1.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<MediaType>,
}

/// A multi-platform index (OCI image index or Docker manifest list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Index {
    /// Always 2.
    pub schema_version: u32,
    /// The body's `mediaType`, or, when the body omits it, the Content-Type (else OCI index).
    #[serde(default = "oci_index")]
    pub media_type: MediaType,
    /// One descriptor per platform manifest (and attestations), usually with a platform.
    pub manifests: Vec<Descriptor>,
    /// The manifest this one refers to (OCI 1.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    /// Free-form metadata.
    #[serde(default, deserialize_with = "null_as_default", skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Artifact type (OCI 1.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<MediaType>,
}

/// A legacy Docker schema1 manifest: kept only to name it. It has no config and no diff_ids, and
/// its signatures use libtrust keys, so nothing about it can be verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schema1Manifest {
    /// `...manifest.v1+prettyjws` when signed, else `...manifest.v1+json` (or the Content-Type).
    #[serde(skip_deserializing, default = "schema1_unsigned")]
    pub media_type: MediaType,
    /// Repository name as recorded when pushed.
    #[serde(default)]
    pub name: String,
    /// Tag as recorded when pushed.
    #[serde(default)]
    pub tag: String,
    /// Architecture of the image.
    #[serde(default)]
    pub architecture: String,
    /// Layer blobs, **newest first** (the reverse of schema2).
    #[serde(default, deserialize_with = "null_as_default")]
    pub fs_layers: Vec<FsLayer>,
    /// Number of `history` entries (their v1 JSON is not kept).
    #[serde(rename(deserialize = "history"), default, deserialize_with = "count_entries")]
    pub history_count: usize,
    /// Number of JWS signatures (0 for unsigned).
    #[serde(rename(deserialize = "signatures"), default, deserialize_with = "count_entries")]
    pub signature_count: usize,
}

/// One layer of a schema1 manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FsLayer {
    /// Digest of the layer blob, kept as written (it cannot be verified anyway).
    pub blob_sum: String,
}

/// Any manifest a registry can return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
// One value per response, built once and rarely moved: boxing would only add noise for callers.
#[allow(clippy::large_enum_variant)]
pub enum Manifest {
    /// A single-platform image.
    Image(ImageManifest),
    /// A multi-platform index.
    Index(Index),
    /// A legacy schema1 manifest, which cannot be verified.
    Schema1(Schema1Manifest),
}

impl Manifest {
    /// The manifest's media type (as in the body, else as deduced).
    pub fn media_type(&self) -> &MediaType {
        match self {
            Self::Image(m) => &m.media_type,
            Self::Index(m) => &m.media_type,
            Self::Schema1(m) => &m.media_type,
        }
    }
}

fn oci_manifest() -> MediaType {
    MediaType::OciManifest
}

fn oci_index() -> MediaType {
    MediaType::OciIndex
}

fn schema1_unsigned() -> MediaType {
    MediaType::DockerSchema1
}

/// Counts the elements of an array without keeping them (`null` counts as 0).
fn count_entries<'de, D: Deserializer<'de>>(deserializer: D) -> Result<usize, D::Error> {
    struct Counter;

    impl<'de> Visitor<'de> for Counter {
        type Value = usize;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array")
        }

        fn visit_unit<E>(self) -> Result<usize, E> {
            Ok(0)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
            let mut count = 0;
            while seq.next_element::<IgnoredAny>()?.is_some() {
                count += 1;
            }
            Ok(count)
        }
    }

    deserializer.deserialize_any(Counter)
}

/// The three kinds of manifest, as far as deciding between them goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestKind {
    /// Image manifest (OCI or Docker schema2).
    Image,
    /// Index or manifest list.
    Index,
    /// Docker schema1.
    Schema1,
}

impl ManifestKind {
    /// The kind a media type names, if it names a manifest at all.
    pub fn of(media_type: &MediaType) -> Option<Self> {
        if media_type.is_image_manifest() {
            Some(Self::Image)
        } else if media_type.is_index() {
            Some(Self::Index)
        } else if media_type.is_schema1() {
            Some(Self::Schema1)
        } else {
            None
        }
    }
}

impl fmt::Display for ManifestKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Image => "an image manifest",
            Self::Index => "an index",
            Self::Schema1 => "a schema1 manifest",
        })
    }
}

/// Where a media type was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeSource {
    /// The `Content-Type` response header.
    ContentType,
    /// The body's `mediaType` field.
    Body,
}

impl fmt::Display for TypeSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ContentType => "Content-Type",
            Self::Body => "the body's mediaType",
        })
    }
}

/// Why a response body is not a manifest we can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// Too large, not JSON, too deep, or a field with a wrong type or value.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The media type is known but is not a manifest type (e.g. a config or layer type).
    #[error("{origin} is {media_type}, which is not a manifest or index type")]
    NotAManifestType {
        /// Where the type was read.
        origin: TypeSource,
        /// The type found.
        media_type: MediaType,
    },
    /// The header and the body name different manifest types.
    #[error("Content-Type says {content_type} but the body's mediaType is {body}")]
    ContentTypeMismatch {
        /// Type from the Content-Type header.
        content_type: MediaType,
        /// Type from the body.
        body: MediaType,
    },
    /// A declared type of one kind, and a body shaped like another.
    #[error("{origin} says {declared}, but the body has `{field}`, so it is {found}")]
    KindContradiction {
        /// Where the declared type was read.
        origin: TypeSource,
        /// The declared type.
        declared: MediaType,
        /// The field that betrays the other kind.
        field: &'static str,
        /// The kind the body's shape indicates.
        found: ManifestKind,
    },
    /// Both `manifests` and `layers`/`config`: two readers could see two different things.
    #[error(
        "manifest has both `manifests` and `{field}`; refusing to guess whether it is an index or an image"
    )]
    Ambiguous {
        /// `layers` or `config`.
        field: &'static str,
    },
    /// No type declared and no telling field in the body.
    #[error(
        "cannot tell what kind of manifest this is: no mediaType, and none of manifests, layers, config or fsLayers"
    )]
    UnknownKind,
    /// `schemaVersion` is absent.
    #[error("manifest has no schemaVersion (expected {expected} for {kind})")]
    MissingSchemaVersion {
        /// The version the kind requires.
        expected: u32,
        /// The kind of manifest.
        kind: ManifestKind,
    },
    /// `schemaVersion` does not fit the manifest's kind.
    #[error("manifest schemaVersion is {found}; {kind} requires {expected}")]
    WrongSchemaVersion {
        /// The version found.
        found: i64,
        /// The version the kind requires.
        expected: u32,
        /// The kind of manifest.
        kind: ManifestKind,
    },
}

impl ManifestError {
    /// The stable error code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Decode(err) => err.code(),
            _ => ErrorCode::InvalidResponse,
        }
    }
}

/// The few top-level fields that decide a manifest's kind; everything else is skipped.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", expecting = "a JSON object")]
struct Probe {
    schema_version: Option<i64>,
    media_type: Option<MediaType>,
    manifests: Option<IgnoredAny>,
    layers: Option<IgnoredAny>,
    config: Option<IgnoredAny>,
    fs_layers: Option<IgnoredAny>,
    signatures: Option<IgnoredAny>,
}

impl Probe {
    /// The kind the body's fields indicate, and the field that shows it.
    fn shape(&self) -> Result<Option<(ManifestKind, &'static str)>, ManifestError> {
        let image_field = match (&self.layers, &self.config) {
            (Some(_), _) => Some("layers"),
            (None, Some(_)) => Some("config"),
            (None, None) => None,
        };
        Ok(match (&self.manifests, image_field, &self.fs_layers) {
            (Some(_), Some(field), _) => return Err(ManifestError::Ambiguous { field }),
            (Some(_), None, _) => Some((ManifestKind::Index, "manifests")),
            (None, Some(field), _) => Some((ManifestKind::Image, field)),
            (None, None, Some(_)) => Some((ManifestKind::Schema1, "fsLayers")),
            (None, None, None) => None,
        })
    }
}

/// Parses a manifest response with the default [`MANIFEST_SIZE_LIMIT`].
///
/// `content_type` is the response's `Content-Type`, if any; `application/json` or an unknown
/// type gives no opinion, a known non-manifest type is an error.
pub fn parse_manifest(bytes: &[u8], content_type: Option<&str>) -> Result<Manifest, ManifestError> {
    parse_manifest_with_limit(bytes, content_type, MANIFEST_SIZE_LIMIT)
}

/// Parses a manifest response, refusing bodies over `limit` bytes before parsing.
pub fn parse_manifest_with_limit(
    bytes: &[u8],
    content_type: Option<&str>,
    limit: usize,
) -> Result<Manifest, ManifestError> {
    let probe: Probe = decode(bytes, limit, Document::Manifest)?;
    let header = content_type.map(MediaType::parse).map(manifest_type_or_none).transpose()?;
    let header = header.flatten();
    let body = probe.media_type.clone().map(|t| checked_manifest_type(t, TypeSource::Body)).transpose()?;
    if let (Some(header), Some(body)) = (&header, &body) {
        if header != body {
            return Err(ManifestError::ContentTypeMismatch {
                content_type: header.clone(),
                body: body.clone(),
            });
        }
    }
    let declared =
        body.map(|t| (t, TypeSource::Body)).or_else(|| header.clone().map(|t| (t, TypeSource::ContentType)));
    let shape = probe.shape()?;
    let kind = match (&declared, shape) {
        (Some((declared, origin)), Some((found, field))) => {
            let kind = ManifestKind::of(declared).unwrap_or(found);
            if kind != found {
                return Err(ManifestError::KindContradiction {
                    origin: *origin,
                    declared: declared.clone(),
                    field,
                    found,
                });
            }
            kind
        }
        (Some((declared, _)), None) => ManifestKind::of(declared).ok_or(ManifestError::UnknownKind)?,
        (None, Some((found, _))) => found,
        (None, None) if probe.schema_version == Some(1) => ManifestKind::Schema1,
        (None, None) => return Err(ManifestError::UnknownKind),
    };
    check_schema_version(kind, probe.schema_version)?;
    let declared = declared.map(|(t, _)| t);
    Ok(match kind {
        ManifestKind::Image => {
            let mut manifest: ImageManifest = decode(bytes, limit, Document::Manifest)?;
            manifest.media_type = declared.unwrap_or(MediaType::OciManifest);
            Manifest::Image(manifest)
        }
        ManifestKind::Index => {
            let mut index: Index = decode(bytes, limit, Document::Manifest)?;
            index.media_type = declared.unwrap_or(MediaType::OciIndex);
            Manifest::Index(index)
        }
        ManifestKind::Schema1 => {
            let mut manifest: Schema1Manifest = decode(bytes, limit, Document::Manifest)?;
            manifest.media_type = declared.unwrap_or(if probe.signatures.is_some() {
                MediaType::DockerSchema1Signed
            } else {
                MediaType::DockerSchema1
            });
            Manifest::Schema1(manifest)
        }
    })
}

/// A Content-Type that names a manifest type, `None` for no opinion, or an error for a known
/// type that is not a manifest (a config or layer type).
fn manifest_type_or_none(media_type: MediaType) -> Result<Option<MediaType>, ManifestError> {
    match media_type {
        MediaType::Other(_) => Ok(None),
        known => checked_manifest_type(known, TypeSource::ContentType).map(Some),
    }
}

/// `media_type` if it names a manifest kind, else an error naming where it came from.
fn checked_manifest_type(media_type: MediaType, source: TypeSource) -> Result<MediaType, ManifestError> {
    match ManifestKind::of(&media_type) {
        Some(_) => Ok(media_type),
        None => Err(ManifestError::NotAManifestType { origin: source, media_type }),
    }
}

fn check_schema_version(kind: ManifestKind, found: Option<i64>) -> Result<(), ManifestError> {
    let expected = match kind {
        ManifestKind::Schema1 => 1,
        ManifestKind::Image | ManifestKind::Index => 2,
    };
    match found {
        None => Err(ManifestError::MissingSchemaVersion { expected, kind }),
        Some(found) if found != i64::from(expected) => {
            Err(ManifestError::WrongSchemaVersion { found, expected, kind })
        }
        Some(_) => Ok(()),
    }
}
