//! Platforms (`linux/arm64/v8`): parsing, normalization, and choosing one manifest from an index.
//!
//! Normalization follows containerd's `platforms` package: `aarch64` is `arm64`, `x86_64` and
//! `x86-64` are `amd64`, `i386` is `386`, `armhf` is `arm/v7`, `armel` is `arm/v6`, plain `arm`
//! is `arm/v7`, `amd64/v1` is `amd64`, `macos` is `darwin`. One deliberate difference: the default
//! arm64 variant is written out as `v8` (containerd drops it), because that is what Docker Hub's
//! indexes say and what users see in `docker manifest inspect`; `arm64` and `arm64/v8` compare equal.
//!
//! Selection also follows containerd's `platforms.Only`: an exact match wins, then compatible
//! fallbacks in order (`arm/v7` also runs `v6` and `v5`; `amd64/v3` runs `v2`, `amd64`, then `386`;
//! `arm64/v8.2` runs `v8.1`, `v8`, then 32-bit `arm/v8`..`v5`). The chosen descriptor carries its
//! own platform, so a caller can tell the user when a fallback was taken.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ErrorCode;
use crate::model::{Descriptor, Index, null_as_default};

/// An OS/architecture pair with optional variant, OS version and OS features, as in an index.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Platform {
    /// CPU architecture in Go's spelling (`amd64`, `arm64`, `arm`, `s390x`, ...).
    #[serde(default)]
    pub architecture: String,
    /// Operating system in Go's spelling (`linux`, `windows`, ...).
    #[serde(default)]
    pub os: String,
    /// OS version, used by Windows images (`10.0.17763.1879`).
    #[serde(rename = "os.version", default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    /// Required OS features (`win32k`).
    #[serde(
        rename = "os.features",
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub os_features: Vec<String>,
    /// CPU variant (`v7` for arm, `v8` for arm64, `v2`/`v3` for amd64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

/// Why a platform string is malformed, or why no manifest fits a platform.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlatformError {
    /// Nothing was given.
    #[error("platform is empty; expected os/arch[/variant], such as linux/amd64")]
    Empty,
    /// Only one component, e.g. `arm64`: the OS cannot be guessed without a host.
    #[error(
        "platform {input:?} lacks an os or an architecture; expected os/arch[/variant], such as linux/amd64"
    )]
    MissingComponent {
        /// The input as given.
        input: String,
    },
    /// More than `os/arch/variant`.
    #[error("platform {input:?} has {parts} parts separated by '/'; expected at most 3 (os/arch/variant)")]
    TooManyParts {
        /// The input as given.
        input: String,
        /// How many parts it has.
        parts: usize,
    },
    /// An empty component such as in `linux//v7`.
    #[error("platform {input:?} has an empty {component}")]
    EmptyComponent {
        /// The input as given.
        input: String,
        /// Which component is empty (`os`, `architecture`, `variant`).
        component: &'static str,
    },
    /// A component holds a character outside `[A-Za-z0-9_.-]`.
    #[error(
        "platform {input:?}: the {component} contains {found:?}; only letters, digits, '_', '.' and '-' are allowed"
    )]
    BadCharacter {
        /// The input as given.
        input: String,
        /// Which component (`os`, `os version`, `architecture`, `variant`).
        component: &'static str,
        /// The offending character.
        found: char,
    },
    /// An OS version in parentheses that is not closed, as in `windows(10.0/amd64`.
    #[error("platform {input:?}: the os version must be written os(version), with a closing ')'")]
    UnclosedOsVersion {
        /// The input as given.
        input: String,
    },
    /// The index has no manifest for the wanted platform or anything compatible with it.
    #[error("no manifest for {wanted}; available: {}", list_or_none(.available))]
    NoMatch {
        /// The platform asked for, normalized (boxed to keep the error small).
        wanted: Box<Platform>,
        /// The selectable platforms of the index, normalized, in index order.
        available: Vec<Platform>,
    },
}

impl PlatformError {
    /// The stable error code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NoMatch { .. } => ErrorCode::ManifestUnknown,
            _ => ErrorCode::InvalidReference,
        }
    }
}

fn list_or_none(platforms: &[Platform]) -> String {
    if platforms.is_empty() {
        return "none".to_owned();
    }
    platforms.iter().map(Platform::to_string).collect::<Vec<_>>().join(", ")
}

impl Platform {
    /// A platform from its parts, normalized.
    pub fn new(os: &str, architecture: &str, variant: Option<&str>) -> Self {
        Self {
            os: os.to_owned(),
            architecture: architecture.to_owned(),
            variant: variant.map(str::to_owned),
            ..Self::default()
        }
        .normalized()
    }

    /// This platform in canonical spelling (see the module documentation for the rules).
    #[must_use]
    pub fn normalized(&self) -> Self {
        let os = self.os.to_ascii_lowercase();
        let os = if os == "macos" { "darwin".to_owned() } else { os };
        let (architecture, variant) = normalize_arch(&self.architecture, self.variant.as_deref());
        Self {
            os,
            architecture,
            variant,
            os_version: self.os_version.clone().filter(|v| !v.is_empty()),
            os_features: self.os_features.clone(),
        }
    }

    /// True when both are the same platform after normalization (os, architecture, variant).
    pub fn matches(&self, other: &Platform) -> bool {
        let (a, b) = (self.normalized(), other.normalized());
        a.os == b.os && a.architecture == b.architecture && a.variant == b.variant
    }
}

/// Canonical architecture and variant, following containerd's `normalizeArch`.
fn normalize_arch(architecture: &str, variant: Option<&str>) -> (String, Option<String>) {
    let arch = architecture.to_ascii_lowercase();
    let variant = variant.map(str::to_ascii_lowercase).filter(|v| !v.is_empty());
    let (arch, variant) = match arch.as_str() {
        "i386" => ("386", None),
        "x86_64" | "x86-64" | "amd64" => ("amd64", variant.filter(|v| v != "v1")),
        "aarch64" | "arm64" => {
            let variant = match variant.as_deref() {
                None | Some("8" | "v8" | "v8.0") => Some("v8".to_owned()),
                Some("9" | "9.0" | "v9.0") => Some("v9".to_owned()),
                _ => variant,
            };
            ("arm64", variant)
        }
        "armhf" => ("arm", Some("v7".to_owned())),
        "armel" => ("arm", Some("v6".to_owned())),
        "arm" => {
            let variant = match variant.as_deref() {
                None | Some("7") => Some("v7".to_owned()),
                Some(n @ ("5" | "6" | "8")) => Some(format!("v{n}")),
                _ => variant,
            };
            ("arm", variant)
        }
        _ => return (arch, variant),
    };
    (arch.to_owned(), variant)
}

impl FromStr for Platform {
    type Err = PlatformError;

    /// Parses `os[(os.version)]/arch[/variant]`, e.g. `linux/arm/v7` or `windows(10.0.17763)/amd64`,
    /// and normalizes it.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(PlatformError::Empty);
        }
        let parts: Vec<&str> = trimmed.split('/').collect();
        let (os_part, arch, variant) = match parts.as_slice() {
            [_] => {
                return Err(PlatformError::MissingComponent { input: input.to_owned() });
            }
            [os, arch] => (*os, *arch, None),
            [os, arch, variant] => (*os, *arch, Some(*variant)),
            _ => {
                return Err(PlatformError::TooManyParts { input: input.to_owned(), parts: parts.len() });
            }
        };
        let (os, os_version) = split_os_version(input, os_part)?;
        check_component(input, "os", os, false)?;
        if let Some(version) = os_version {
            check_component(input, "os version", version, true)?;
        }
        check_component(input, "architecture", arch, true)?;
        if let Some(variant) = variant {
            check_component(input, "variant", variant, true)?;
        }
        let platform = Platform {
            os: os.to_owned(),
            architecture: arch.to_owned(),
            variant: variant.map(str::to_owned),
            os_version: os_version.map(str::to_owned),
            os_features: Vec::new(),
        };
        Ok(platform.normalized())
    }
}

/// Splits `windows(10.0.17763)` into `windows` and `10.0.17763`.
fn split_os_version<'a>(input: &str, os_part: &'a str) -> Result<(&'a str, Option<&'a str>), PlatformError> {
    match os_part.split_once('(') {
        None => Ok((os_part, None)),
        Some((os, rest)) => match rest.strip_suffix(')') {
            Some(version) => Ok((os, Some(version))),
            None => Err(PlatformError::UnclosedOsVersion { input: input.to_owned() }),
        },
    }
}

/// Checks a component is non-empty and uses only `[A-Za-z0-9_-]`, plus `.` when `dots` is set.
fn check_component(
    input: &str,
    component: &'static str,
    value: &str,
    dots: bool,
) -> Result<(), PlatformError> {
    if value.is_empty() {
        return Err(PlatformError::EmptyComponent { input: input.to_owned(), component });
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-' || (dots && c == '.');
    match value.chars().find(|c| !allowed(*c)) {
        Some(found) => Err(PlatformError::BadCharacter { input: input.to_owned(), component, found }),
        None => Ok(()),
    }
}

impl fmt::Display for Platform {
    /// Writes `os[(os.version)]/arch[/variant]`, the form [`Platform::from_str`] reads;
    /// a missing os or architecture is written `unknown`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let or_unknown = |s: &str| {
            if s.is_empty() { "unknown".to_owned() } else { s.to_owned() }
        };
        f.write_str(&or_unknown(&self.os))?;
        if let Some(version) = &self.os_version {
            write!(f, "({version})")?;
        }
        write!(f, "/{}", or_unknown(&self.architecture))?;
        if let Some(variant) = &self.variant {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

/// The descriptor in `index` that best fits `wanted`, skipping attestations and entries without
/// a platform.
///
/// An exact (normalized) match wins over a compatible fallback; among equals the first in index
/// order wins. When `wanted` names an OS version, entries naming a different one are skipped.
/// OS features are not compared.
pub fn select<'a>(index: &'a Index, wanted: &Platform) -> Result<&'a Descriptor, PlatformError> {
    let wanted = wanted.normalized();
    let preference = compatible_platforms(&wanted);
    let mut best: Option<(usize, &Descriptor)> = None;
    for descriptor in index.manifests.iter().filter(|d| !d.is_attestation()) {
        let Some(offered) = descriptor.platform.as_ref().map(Platform::normalized) else {
            continue;
        };
        if let (Some(want), Some(have)) = (&wanted.os_version, &offered.os_version) {
            if want != have {
                continue;
            }
        }
        let rank = preference.iter().position(|p| p.matches(&offered));
        if let Some(rank) = rank {
            if best.is_none_or(|(best_rank, _)| rank < best_rank) {
                best = Some((rank, descriptor));
            }
        }
    }
    best.map(|(_, descriptor)| descriptor)
        .ok_or_else(|| PlatformError::NoMatch { available: platforms(index), wanted: Box::new(wanted) })
}

/// The platforms an index offers, normalized, without attestations or duplicates, in index order.
pub fn platforms(index: &Index) -> Vec<Platform> {
    let mut seen = Vec::new();
    for platform in index
        .manifests
        .iter()
        .filter(|d| !d.is_attestation())
        .filter_map(|d| d.platform.as_ref().map(Platform::normalized))
    {
        if !seen.contains(&platform) {
            seen.push(platform);
        }
    }
    seen
}

/// `wanted` followed by the platforms it can also run, best first (containerd's `Only`).
fn compatible_platforms(wanted: &Platform) -> Vec<Platform> {
    let with = |architecture: &str, variant: Option<String>| Platform {
        architecture: architecture.to_owned(),
        variant,
        ..wanted.clone()
    };
    let mut out = vec![wanted.clone()];
    let version = wanted.variant.as_deref().and_then(parse_variant);
    match (wanted.architecture.as_str(), version) {
        ("amd64", Some((major, _))) => {
            out.extend((2..major).rev().map(|n| with("amd64", Some(format!("v{n}")))));
            if major > 1 {
                out.push(with("amd64", None));
            }
            out.push(with("386", None));
        }
        ("amd64", None) if wanted.variant.is_none() => out.push(with("386", None)),
        ("arm", Some((major, _))) => {
            out.extend((5..major).rev().map(|n| with("arm", Some(format!("v{n}")))));
        }
        ("arm64", Some((major @ (8 | 9), minor))) => {
            let mut older = Vec::new();
            if major == 9 {
                older.extend((0..minor).rev().map(|m| (9, m)));
                older.extend((0..=(minor + 5).min(9)).rev().map(|m| (8, m)));
            } else {
                older.extend((0..minor).rev().map(|m| (8, m)));
            }
            out.extend(
                older.into_iter().map(|(major, minor)| with("arm64", Some(arm64_variant(major, minor)))),
            );
            out.extend((5..=8).rev().map(|n| with("arm", Some(format!("v{n}")))));
        }
        _ => {}
    }
    out
}

/// `v8` for (8, 0), `v8.2` for (8, 2).
fn arm64_variant(major: u32, minor: u32) -> String {
    if minor == 0 { format!("v{major}") } else { format!("v{major}.{minor}") }
}

/// Reads `v7` as (7, 0) and `v8.2` as (8, 2); anything else is `None`.
fn parse_variant(variant: &str) -> Option<(u32, u32)> {
    let digits = variant.strip_prefix('v')?;
    let (major, minor) = match digits.split_once('.') {
        Some((major, minor)) => (major, minor.parse().ok()?),
        None => (digits, 0),
    };
    Some((major.parse().ok()?, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Platform {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_and_normalizes() {
        let cases = [
            ("linux/amd64", "linux/amd64"),
            ("linux/x86_64", "linux/amd64"),
            ("linux/x86-64", "linux/amd64"),
            ("linux/amd64/v1", "linux/amd64"),
            ("linux/amd64/v3", "linux/amd64/v3"),
            ("linux/aarch64", "linux/arm64/v8"),
            ("linux/arm64", "linux/arm64/v8"),
            ("linux/arm64/8", "linux/arm64/v8"),
            ("linux/arm64/v8.0", "linux/arm64/v8"),
            ("linux/arm64/9.0", "linux/arm64/v9"),
            ("linux/arm64/v8.2", "linux/arm64/v8.2"),
            ("linux/armhf", "linux/arm/v7"),
            ("linux/armel", "linux/arm/v6"),
            ("linux/arm", "linux/arm/v7"),
            ("linux/arm/7", "linux/arm/v7"),
            ("linux/arm/5", "linux/arm/v5"),
            ("linux/i386", "linux/386"),
            ("Linux/AMD64", "linux/amd64"),
            ("macos/arm64", "darwin/arm64/v8"),
            (" linux/s390x ", "linux/s390x"),
            ("windows(10.0.17763.1879)/amd64", "windows(10.0.17763.1879)/amd64"),
            ("linux/riscv64", "linux/riscv64"),
        ];
        for (input, want) in cases {
            assert_eq!(p(input).to_string(), want, "{input}");
        }
    }

    #[test]
    fn display_round_trips_through_parse() {
        for s in ["linux/arm/v6", "windows(10.0.20348)/amd64", "linux/ppc64le", "linux/arm64/v8"] {
            assert_eq!(p(&p(s).to_string()), p(s));
        }
    }

    #[test]
    fn rejects_malformed_platforms() {
        type Check = fn(&PlatformError) -> bool;
        let cases: &[(&str, Check)] = &[
            ("", |e| matches!(e, PlatformError::Empty)),
            ("   ", |e| matches!(e, PlatformError::Empty)),
            ("arm64", |e| matches!(e, PlatformError::MissingComponent { .. })),
            ("linux/arm/v7/extra", |e| matches!(e, PlatformError::TooManyParts { parts: 4, .. })),
            ("linux//v7", |e| matches!(e, PlatformError::EmptyComponent { component: "architecture", .. })),
            ("/amd64", |e| matches!(e, PlatformError::EmptyComponent { component: "os", .. })),
            ("linux/arm/", |e| matches!(e, PlatformError::EmptyComponent { component: "variant", .. })),
            ("linux/amd 64", |e| matches!(e, PlatformError::BadCharacter { found: ' ', .. })),
            ("lin.ux/amd64", |e| {
                matches!(e, PlatformError::BadCharacter { component: "os", found: '.', .. })
            }),
            ("linux/*", |e| matches!(e, PlatformError::BadCharacter { found: '*', .. })),
            ("windows(10.0/amd64", |e| matches!(e, PlatformError::UnclosedOsVersion { .. })),
            ("windows(1 0)/amd64", |e| {
                matches!(e, PlatformError::BadCharacter { component: "os version", .. })
            }),
        ];
        for (input, check) in cases {
            let err = input.parse::<Platform>().expect_err(input);
            assert!(check(&err), "{input:?}: unexpected {err:?}");
            assert_eq!(err.code(), ErrorCode::InvalidReference);
        }
    }

    #[test]
    fn fallback_order_follows_containerd() {
        let names = |s: &str| compatible_platforms(&p(s)).iter().map(Platform::to_string).collect::<Vec<_>>();
        assert_eq!(names("linux/arm/v7"), ["linux/arm/v7", "linux/arm/v6", "linux/arm/v5"]);
        assert_eq!(names("linux/amd64"), ["linux/amd64", "linux/386"]);
        assert_eq!(names("linux/amd64/v3"), ["linux/amd64/v3", "linux/amd64/v2", "linux/amd64", "linux/386"]);
        assert_eq!(
            names("linux/arm64"),
            ["linux/arm64/v8", "linux/arm/v8", "linux/arm/v7", "linux/arm/v6", "linux/arm/v5"]
        );
        assert_eq!(
            names("linux/arm64/v8.2")[..3],
            ["linux/arm64/v8.2", "linux/arm64/v8.1", "linux/arm64/v8"]
        );
        assert_eq!(
            names("linux/arm64/v9.1")[..4],
            ["linux/arm64/v9.1", "linux/arm64/v9", "linux/arm64/v8.6", "linux/arm64/v8.5"]
        );
        assert_eq!(names("linux/s390x"), ["linux/s390x"]);
    }
}
