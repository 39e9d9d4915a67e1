//! The regsight test rig: real registries configured the ways registries are deployed, filled with
//! fixture images whose ground truth is computed by independent tools.
//!
//! `cargo xtask rig up` starts a rig and writes `rig.json` ([`RigInfo`]); tests read that file.
//! Everything lives under `target/rig/<name>/` and listens on loopback only.

pub mod cmd;
pub mod evil;
pub mod fixtures;
pub mod info;
pub mod jwt;
pub mod paths;
pub mod services;
pub mod web;

pub use info::RigInfo;
pub use paths::RigPaths;

use std::fmt;

/// Any failure of the rig, with a message that says what to do about it.
#[derive(Debug)]
pub struct RigError(pub String);

impl fmt::Display for RigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RigError {}

impl From<std::io::Error> for RigError {
    fn from(e: std::io::Error) -> Self {
        Self(format!("i/o error: {e}"))
    }
}

impl From<serde_json::Error> for RigError {
    fn from(e: serde_json::Error) -> Self {
        Self(format!("json error: {e}"))
    }
}

/// Result type of the rig.
pub type Result<T, E = RigError> = std::result::Result<T, E>;

/// Builds a [`RigError`] from a format string.
#[macro_export]
macro_rules! rig_err {
    ($($arg:tt)*) => { $crate::RigError(format!($($arg)*)) };
}
