//! regsight-core: everything about registries and image verification that needs no network.
//!
//! The contract (see `ARCHITECTURE.md`): this crate never performs I/O and never reads a clock.
//! Callers pass bytes, responses and `now` in; requests, reports and deadlines come out.

pub mod auth;
pub mod chain;
pub mod digest;
pub mod endpoint;
pub mod error_code;
pub mod media_type;
pub mod model;
pub mod platform;
mod quote;
pub mod reference;
pub mod url;
pub mod verify;

pub use digest::{Algorithm, Digest, DigestError, Hasher};
pub use error_code::ErrorCode;
pub use media_type::{Compression, MediaType, MANIFEST_ACCEPT};
