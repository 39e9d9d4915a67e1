//! Media types of the Docker and OCI image formats, and the Accept header to request manifests.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A media type as found in a `Content-Type` header or a descriptor's `mediaType`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MediaType {
    /// `application/vnd.oci.image.index.v1+json`
    OciIndex,
    /// `application/vnd.oci.image.manifest.v1+json`
    OciManifest,
    /// `application/vnd.oci.image.config.v1+json`
    OciConfig,
    /// `application/vnd.oci.empty.v1+json`
    OciEmpty,
    /// `application/vnd.oci.image.layer.v1.tar`
    OciLayerTar,
    /// `application/vnd.oci.image.layer.v1.tar+gzip`
    OciLayerGzip,
    /// `application/vnd.oci.image.layer.v1.tar+zstd`
    OciLayerZstd,
    /// `application/vnd.oci.image.layer.nondistributable.v1.tar`
    OciLayerNondistributableTar,
    /// `application/vnd.oci.image.layer.nondistributable.v1.tar+gzip`
    OciLayerNondistributableGzip,
    /// `application/vnd.oci.image.layer.nondistributable.v1.tar+zstd`
    OciLayerNondistributableZstd,
    /// `application/vnd.docker.distribution.manifest.list.v2+json`
    DockerManifestList,
    /// `application/vnd.docker.distribution.manifest.v2+json`
    DockerManifest,
    /// `application/vnd.docker.distribution.manifest.v1+json`
    DockerSchema1,
    /// `application/vnd.docker.distribution.manifest.v1+prettyjws`
    DockerSchema1Signed,
    /// `application/vnd.docker.container.image.v1+json`
    DockerConfig,
    /// `application/vnd.docker.image.rootfs.diff.tar.gzip`
    DockerLayerGzip,
    /// `application/vnd.docker.image.rootfs.foreign.diff.tar.gzip`
    DockerLayerForeignGzip,
    /// Any other type, kept verbatim (parameters removed).
    Other(String),
}

/// How a layer blob is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compression {
    /// A plain tar.
    None,
    /// gzip, possibly several members.
    Gzip,
    /// Zstandard, possibly several frames.
    Zstd,
}

const TABLE: &[(MediaType, &str)] = &[
    (MediaType::OciIndex, "application/vnd.oci.image.index.v1+json"),
    (MediaType::OciManifest, "application/vnd.oci.image.manifest.v1+json"),
    (MediaType::OciConfig, "application/vnd.oci.image.config.v1+json"),
    (MediaType::OciEmpty, "application/vnd.oci.empty.v1+json"),
    (MediaType::OciLayerTar, "application/vnd.oci.image.layer.v1.tar"),
    (MediaType::OciLayerGzip, "application/vnd.oci.image.layer.v1.tar+gzip"),
    (MediaType::OciLayerZstd, "application/vnd.oci.image.layer.v1.tar+zstd"),
    (MediaType::OciLayerNondistributableTar, "application/vnd.oci.image.layer.nondistributable.v1.tar"),
    (MediaType::OciLayerNondistributableGzip, "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"),
    (MediaType::OciLayerNondistributableZstd, "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"),
    (MediaType::DockerManifestList, "application/vnd.docker.distribution.manifest.list.v2+json"),
    (MediaType::DockerManifest, "application/vnd.docker.distribution.manifest.v2+json"),
    (MediaType::DockerSchema1, "application/vnd.docker.distribution.manifest.v1+json"),
    (MediaType::DockerSchema1Signed, "application/vnd.docker.distribution.manifest.v1+prettyjws"),
    (MediaType::DockerConfig, "application/vnd.docker.container.image.v1+json"),
    (MediaType::DockerLayerGzip, "application/vnd.docker.image.rootfs.diff.tar.gzip"),
    (MediaType::DockerLayerForeignGzip, "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"),
];

/// The `Accept` header for manifest requests: every manifest and index type we can read.
///
/// Registries convert or hide manifests whose type is missing here (see the protocol notes), so
/// all four are always sent. It is longer than 128 bytes, so browsers preflight it.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json";

impl MediaType {
    /// Parses a media type, ignoring parameters (`; charset=...`), surrounding space and case.
    pub fn parse(s: &str) -> Self {
        let essence = s.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        TABLE
            .iter()
            .find(|(_, name)| *name == essence)
            .map(|(ty, _)| ty.clone())
            .unwrap_or(Self::Other(essence))
    }

    /// The media type string.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Other(s) => s,
            known => TABLE.iter().find(|(ty, _)| ty == known).map(|(_, name)| *name).unwrap_or_default(),
        }
    }

    /// True for a multi-platform index (OCI index or Docker manifest list).
    pub fn is_index(&self) -> bool {
        matches!(self, Self::OciIndex | Self::DockerManifestList)
    }

    /// True for a single-image manifest we can verify (OCI or Docker schema2).
    pub fn is_image_manifest(&self) -> bool {
        matches!(self, Self::OciManifest | Self::DockerManifest)
    }

    /// True for the legacy Docker schema1 manifests, which carry no config and no diff_ids.
    pub fn is_schema1(&self) -> bool {
        matches!(self, Self::DockerSchema1 | Self::DockerSchema1Signed)
    }

    /// True for an image config blob type.
    pub fn is_config(&self) -> bool {
        matches!(self, Self::OciConfig | Self::DockerConfig)
    }

    /// True for foreign / non-distributable layers, which registries usually do not serve.
    pub fn is_foreign(&self) -> bool {
        matches!(
            self,
            Self::DockerLayerForeignGzip
                | Self::OciLayerNondistributableTar
                | Self::OciLayerNondistributableGzip
                | Self::OciLayerNondistributableZstd
        )
    }

    /// The compression of a layer of this type, or `None` if it is not a known layer type.
    pub fn layer_compression(&self) -> Option<Compression> {
        match self {
            Self::OciLayerTar | Self::OciLayerNondistributableTar => Some(Compression::None),
            Self::OciLayerGzip
            | Self::OciLayerNondistributableGzip
            | Self::DockerLayerGzip
            | Self::DockerLayerForeignGzip => Some(Compression::Gzip),
            Self::OciLayerZstd | Self::OciLayerNondistributableZstd => Some(Compression::Zstd),
            _ => None,
        }
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for MediaType {
    fn from(s: &str) -> Self {
        Self::parse(s)
    }
}

impl Serialize for MediaType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for MediaType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(Self::parse(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_type_round_trips() {
        for (ty, name) in TABLE {
            assert_eq!(MediaType::parse(name), *ty);
            assert_eq!(ty.as_str(), *name);
        }
    }

    #[test]
    fn parameters_case_and_space_are_ignored() {
        assert_eq!(
            MediaType::parse(" Application/VND.OCI.image.manifest.v1+json; charset=utf-8"),
            MediaType::OciManifest
        );
        assert_eq!(MediaType::parse("text/html"), MediaType::Other("text/html".into()));
    }

    #[test]
    fn layer_compressions() {
        assert_eq!(MediaType::DockerLayerGzip.layer_compression(), Some(Compression::Gzip));
        assert_eq!(MediaType::OciLayerZstd.layer_compression(), Some(Compression::Zstd));
        assert_eq!(MediaType::OciLayerTar.layer_compression(), Some(Compression::None));
        assert_eq!(MediaType::OciConfig.layer_compression(), None);
        assert!(MediaType::DockerLayerForeignGzip.is_foreign());
    }

    #[test]
    fn accept_lists_every_manifest_type() {
        for ty in [
            MediaType::OciIndex,
            MediaType::OciManifest,
            MediaType::DockerManifestList,
            MediaType::DockerManifest,
        ] {
            assert!(MANIFEST_ACCEPT.contains(ty.as_str()), "{ty}");
        }
    }
}
