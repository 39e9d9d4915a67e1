//! regsight-core: everything about registries and image verification that needs no network.
//!
//! The contract (see `ARCHITECTURE.md`): this crate never performs I/O and never reads a clock.
//! Callers pass bytes, responses and `now` in; requests, reports and deadlines come out.

#![forbid(unsafe_code)]

pub mod auth;
pub mod chain;
pub mod check;
pub mod digest;
pub mod endpoint;
pub mod error_code;
pub mod image_id;
pub mod media_type;
pub mod model;
pub mod platform;
pub mod quote;
pub mod reference;
pub mod reported;
pub mod retry;
pub mod transcript;
pub mod url;
pub mod verify;

pub use auth::{
    Action, Attempt, AuthError, AuthHeader, BearerToken, Credentials, Password, Scope, ScopeSet, Session,
    TokenRequest, UnixMillis,
};
pub use chain::{ChainInput, ChainReport, Document, Verdict, verify_chain};
pub use check::Check;
pub use digest::{Algorithm, Digest, DigestCheck, DigestError, DigestVerifier, Hasher};
pub use endpoint::{BaseUrl, EndpointError, Endpoints, NextLink, next_link};
pub use error_code::ErrorCode;
pub use image_id::ImageId;
pub use media_type::{Compression, MANIFEST_ACCEPT, MediaType};
pub use model::{
    DecodeError, Descriptor, ImageConfig, ImageManifest, Index, Manifest, ManifestError, parse_config,
    parse_manifest,
};
pub use platform::{Platform, PlatformError};
pub use reference::{Reference, ReferenceError, Target};
pub use verify::{LayerReport, LayerVerifier, VerifyError, VerifyOptions};
