//! The image config blob (OCI `config.v1` and Docker `container.image.v1`): platform, run
//! settings, `rootfs.diff_ids` and build history, plus the pairing of history with layers.
//!
//! Field names follow the wire, which mixes styles: `os.version`, `PascalCase` run settings,
//! and `snake_case` in `rootfs` and `history`. Docker writes `null` for empty lists and maps;
//! those read as empty.

use std::collections::{BTreeMap, BTreeSet};

use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::decode::{DecodeError, Document, decode, null_as_default};
use crate::platform::Platform;
use crate::{Digest, ErrorCode};

/// Cap on a config blob's size: 8 MiB. Real configs are 1-50 KiB; the largest seen in the wild
/// (long histories, big labels) stay well under 1 MiB.
pub const CONFIG_SIZE_LIMIT: usize = 8 * 1024 * 1024;

/// An image config.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageConfig {
    /// CPU architecture (`amd64`).
    #[serde(default)]
    pub architecture: String,
    /// Operating system (`linux`).
    #[serde(default)]
    pub os: String,
    /// CPU variant (`v8`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// OS version (Windows).
    #[serde(rename = "os.version", default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    /// Required OS features (Windows).
    #[serde(
        rename = "os.features",
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub os_features: Vec<String>,
    /// Creation time as written (RFC 3339), not interpreted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Default run settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<RunConfig>,
    /// The layers' uncompressed digests.
    pub rootfs: RootFs,
    /// Build steps, oldest first, including steps that made no layer.
    #[serde(default, deserialize_with = "null_as_default", skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<History>,
}

/// Default run settings of a container made from the image (`config` in the blob).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RunConfig {
    /// User (name or `uid[:gid]`); empty means root.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user: String,
    /// Ports to expose (`80/tcp`).
    #[serde(default, deserialize_with = "map_keys", serialize_with = "as_empty_objects")]
    pub exposed_ports: BTreeSet<String>,
    /// Environment, `NAME=value` each.
    #[serde(default, deserialize_with = "null_as_default")]
    pub env: Vec<String>,
    /// Entrypoint; `None` when unset.
    #[serde(default)]
    pub entrypoint: Option<Vec<String>>,
    /// Default command; `None` when unset.
    #[serde(default)]
    pub cmd: Option<Vec<String>>,
    /// Volume mount points.
    #[serde(default, deserialize_with = "map_keys", serialize_with = "as_empty_objects")]
    pub volumes: BTreeSet<String>,
    /// Working directory; empty means `/`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub working_dir: String,
    /// Labels.
    #[serde(default, deserialize_with = "null_as_default")]
    pub labels: BTreeMap<String, String>,
    /// Signal that stops the container (`SIGTERM`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
}

/// The layer list by uncompressed digest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootFs {
    /// Always `layers`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// sha256 of each uncompressed layer tar, in manifest layer order.
    pub diff_ids: Vec<Digest>,
}

/// One build step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    /// When the step ran (RFC 3339), as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The command that ran (`/bin/sh -c #(nop) ADD file:...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// True when the step made no layer (ENV, CMD, LABEL...).
    #[serde(default, deserialize_with = "null_as_default")]
    pub empty_layer: bool,
}

/// A history entry with the index of the layer it made, if it made one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryStep<'a> {
    /// The entry.
    pub entry: &'a History,
    /// Index into the manifest's layers, or `None` for an `empty_layer` step.
    pub layer: Option<usize>,
}

/// History and layers disagree in number, so they cannot be paired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("image config history has {layer_steps} steps that made a layer, but the image has {layers} layers")]
pub struct HistoryMismatch {
    /// History entries without `empty_layer`.
    pub layer_steps: usize,
    /// Layers in the manifest.
    pub layers: usize,
}

impl HistoryMismatch {
    /// The stable error code for this error.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::InvalidResponse
    }
}

/// Parses a config blob with the default [`CONFIG_SIZE_LIMIT`].
pub fn parse_config(bytes: &[u8]) -> Result<ImageConfig, DecodeError> {
    parse_config_with_limit(bytes, CONFIG_SIZE_LIMIT)
}

/// Parses a config blob, refusing blobs over `limit` bytes before parsing.
pub fn parse_config_with_limit(bytes: &[u8], limit: usize) -> Result<ImageConfig, DecodeError> {
    decode(bytes, limit, Document::ImageConfig)
}

impl ImageConfig {
    /// The platform the config declares, normalized.
    pub fn platform(&self) -> Platform {
        Platform {
            os: self.os.clone(),
            architecture: self.architecture.clone(),
            variant: self.variant.clone(),
            os_version: self.os_version.clone(),
            os_features: self.os_features.clone(),
        }
        .normalized()
    }

    /// Every history entry, oldest first, with the layer it made: entries without `empty_layer`
    /// take layer indices 0, 1, 2... in order. Indices may run past the real layer count; use
    /// [`ImageConfig::layer_history`] to check.
    pub fn history_steps(&self) -> Vec<HistoryStep<'_>> {
        let mut next_layer = 0;
        self.history
            .iter()
            .map(|entry| {
                let layer = (!entry.empty_layer).then(|| {
                    next_layer += 1;
                    next_layer - 1
                });
                HistoryStep { entry, layer }
            })
            .collect()
    }

    /// The history entry that made each of `layer_count` layers, in layer order; an error when
    /// the number of layer-making entries differs from `layer_count`.
    pub fn layer_history(&self, layer_count: usize) -> Result<Vec<&History>, HistoryMismatch> {
        let made: Vec<&History> =
            self.history_steps().into_iter().filter(|s| s.layer.is_some()).map(|s| s.entry).collect();
        if made.len() != layer_count {
            return Err(HistoryMismatch { layer_steps: made.len(), layers: layer_count });
        }
        Ok(made)
    }
}

/// Reads Docker's set-as-map (`{"80/tcp": {}}`), or `null`, as the set of its keys.
fn map_keys<'de, D: Deserializer<'de>>(deserializer: D) -> Result<BTreeSet<String>, D::Error> {
    let map: Option<BTreeMap<String, IgnoredAny>> = Option::deserialize(deserializer)?;
    Ok(map.map(|m| m.into_keys().collect()).unwrap_or_default())
}

/// Writes a set back in Docker's set-as-map form.
fn as_empty_objects<S: Serializer>(set: &BTreeSet<String>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_map(set.iter().map(|key| (key, serde_json::Map::new())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(empty_layer: bool) -> History {
        History { empty_layer, ..History::default() }
    }

    #[test]
    fn history_pairs_with_layers_skipping_empty_steps() {
        let config = ImageConfig {
            history: vec![step(false), step(true), step(true), step(false), step(true)],
            ..ImageConfig::default()
        };
        let layers: Vec<_> = config.history_steps().iter().map(|s| s.layer).collect();
        assert_eq!(layers, [Some(0), None, None, Some(1), None]);
        assert_eq!(config.layer_history(2).map(|h| h.len()), Ok(2));
        assert_eq!(config.layer_history(3), Err(HistoryMismatch { layer_steps: 2, layers: 3 }));
        assert_eq!(ImageConfig::default().layer_history(0).map(|h| h.len()), Ok(0));
    }
}
