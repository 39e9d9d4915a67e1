//! The image format as read from a registry: descriptors, manifests, indexes, image configs,
//! tag lists, catalogs and error bodies. Every parser caps the input size before parsing and reports what
//! is wrong and where.

mod catalog;
mod config;
mod decode;
mod descriptor;
mod manifest;
mod registry_error;
mod tags;

pub use catalog::{CATALOG_SIZE_LIMIT, Catalog, parse_catalog};
pub use config::{
    CONFIG_SIZE_LIMIT, History, HistoryMismatch, HistoryStep, ImageConfig, RootFs, RunConfig, parse_config,
    parse_config_with_limit,
};
pub(crate) use decode::null_as_default;
pub use decode::{DecodeError, Document};
pub use descriptor::{Descriptor, REFERENCE_DIGEST_ANNOTATION, REFERENCE_TYPE_ANNOTATION};
pub use manifest::{
    FsLayer, ImageManifest, Index, MANIFEST_SIZE_LIMIT, Manifest, ManifestError, ManifestKind,
    Schema1Manifest, TypeSource, parse_manifest, parse_manifest_with_limit,
};
pub use registry_error::{
    ERROR_BODY_SIZE_LIMIT, ErrorBody, ErrorSummary, RegistryError, SUMMARY_MAX_CHARS, error_code_for,
    error_code_for_status, parse_error_body, summarize_error,
};
pub use tags::{TAG_LIST_SIZE_LIMIT, TagList, parse_tag_list};
