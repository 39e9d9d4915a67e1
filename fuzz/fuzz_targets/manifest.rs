//! Manifest responses: `parse_manifest` without a Content-Type and with each kind of one, over any
//! bytes. Never panics; errors are INVALID_RESPONSE or LIMIT_EXCEEDED; the kind agrees with the
//! media type; a Content-Type with no opinion changes nothing; a known non-manifest type is always
//! refused; an image manifest or index reads back from its own serialization; platform selection
//! only ever picks an entry of the index that is not an attestation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use regsight_core::model::{Manifest, ManifestError, parse_manifest};
use regsight_core::platform::{Platform, platforms, select};
use regsight_core::{ErrorCode, MediaType};
use regsight_fuzz::check_error;

const CODES: &[ErrorCode] = &[ErrorCode::InvalidResponse, ErrorCode::LimitExceeded];

/// Content-Types that name a manifest kind.
const MANIFEST_TYPES: &[&str] = &[
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
    " Application/VND.docker.distribution.manifest.v1+json; charset=utf-8",
];

/// Content-Types that give no opinion.
const NO_OPINION: &[&str] = &["application/json", "application/json; charset=utf-8", "text/plain"];

fn check_kind(manifest: &Manifest) {
    let media_type = manifest.media_type();
    match manifest {
        Manifest::Image(m) => {
            assert!(media_type.is_image_manifest(), "{media_type}");
            assert_eq!(m.schema_version, 2);
        }
        Manifest::Index(m) => {
            assert!(media_type.is_index(), "{media_type}");
            assert_eq!(m.schema_version, 2);
        }
        Manifest::Schema1(_) => assert!(media_type.is_schema1(), "{media_type}"),
    }
}

/// Serializing an image manifest or index and parsing it back under its own type gives it back
/// (schema1 keeps only counts of its history and signatures, so it has no such round trip).
fn check_round_trip(manifest: &Manifest) {
    if matches!(manifest, Manifest::Schema1(_)) {
        return;
    }
    let json = serde_json::to_vec(manifest).expect("a manifest serializes");
    let again = parse_manifest(&json, Some(manifest.media_type().as_str()));
    assert_eq!(again.as_ref(), Ok(manifest), "{}", String::from_utf8_lossy(&json));
}

fn check_platforms(manifest: &Manifest) {
    let Manifest::Index(index) = manifest else {
        return;
    };
    for descriptor in &index.manifests {
        if let Some(platform) = &descriptor.platform {
            let normalized = platform.normalized();
            assert_eq!(normalized.normalized(), normalized, "normalizing {platform:?} twice");
        }
    }
    let offered = platforms(index);
    for wanted in [
        Platform::new("linux", "amd64", None),
        Platform::new("linux", "arm64", Some("v8")),
        Platform::new("linux", "arm", Some("v7")),
        Platform::new("windows", "amd64", None),
    ] {
        match select(index, &wanted) {
            Ok(chosen) => {
                assert!(index.manifests.iter().any(|d| std::ptr::eq(d, chosen)));
                assert!(!chosen.is_attestation());
                let platform = chosen.platform.as_ref().expect("a selected entry has a platform");
                assert!(offered.contains(&platform.normalized()));
            }
            Err(error) => check_error(error.code(), &error, &[ErrorCode::ManifestUnknown]),
        }
    }
}

fn check(result: &Result<Manifest, ManifestError>) {
    match result {
        Ok(manifest) => check_kind(manifest),
        Err(error) => check_error(error.code(), error, CODES),
    }
}

fuzz_target!(|data: &[u8]| {
    let bare = parse_manifest(data, None);
    check(&bare);
    if let Ok(manifest) = &bare {
        check_round_trip(manifest);
        check_platforms(manifest);
        // The header that names what the body turned out to be agrees with it.
        assert_eq!(parse_manifest(data, Some(manifest.media_type().as_str())).as_ref(), Ok(manifest));
    }
    for content_type in NO_OPINION {
        assert_eq!(parse_manifest(data, Some(content_type)), bare, "Content-Type {content_type:?}");
    }
    for content_type in MANIFEST_TYPES {
        let typed = parse_manifest(data, Some(content_type));
        check(&typed);
        if let Ok(manifest) = &typed {
            assert_eq!(*manifest.media_type(), MediaType::parse(content_type));
        }
    }
    let config = parse_manifest(data, Some("application/vnd.oci.image.config.v1+json"));
    assert!(config.is_err(), "a config Content-Type gave {config:?}");
    check(&config);
});
