//! Property: however a blob is cut into chunks (empty and 1-byte chunks included), the verifier
//! reports the same as when it gets the blob in one `update`; and its two stages run apart (on two
//! threads) report exactly what they report in place.

#[path = "verify_support.rs"]
mod support;

use std::sync::OnceLock;

use proptest::prelude::*;
use regsight_core::verify::{LayerReport, ListingOptions, VerifyOptions};
use regsight_core::{Digest, MediaType};
use support::*;

/// A test layer: media type, blob, and the digests it is checked against.
struct Layer {
    media_type: MediaType,
    blob: Vec<u8>,
    digest: Digest,
    diff_id: Digest,
    /// Whether `update` stops early on this blob. How far it got then depends on where the
    /// chunks end, so only the error code and the checks must agree.
    stops: bool,
}

fn layers() -> &'static [Layer] {
    static LAYERS: OnceLock<Vec<Layer>> = OnceLock::new();
    LAYERS.get_or_init(|| {
        let dir = temp_dir("chunking");
        std::fs::write(dir.join("text"), "regsight verifies layers\n".repeat(2000)).expect("write");
        let noise: Vec<u8> = (0..40_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
        std::fs::write(dir.join("noise"), noise).expect("write");
        std::fs::write(dir.join(format!("{}.long", "n".repeat(120))), b"long").expect("write");
        let tar = tar_of(&dir, "pax");
        let _ = std::fs::remove_dir_all(&dir);
        let diff_id = sha256sum(&tar);
        let (a, b) = tar.split_at(tar.len() / 3);
        let mut members = gzip(a);
        members.extend(gzip(b));
        let mut frames = zstd(a, &[]);
        frames.extend(zstd(b, &["--no-check"]));
        let mut flipped = gzip(&tar);
        let mid = flipped.len() / 2;
        flipped[mid] ^= 0x10;
        let cut = gzip(&tar)[..mid].to_vec();
        let mut garbage = zstd(&tar, &[]);
        garbage.extend_from_slice(b"tail");
        let blobs = [
            (MediaType::OciLayerGzip, members, false),
            (MediaType::OciLayerZstd, frames, false),
            (MediaType::OciLayerTar, tar.clone(), false),
            (MediaType::OciLayerGzip, cut, false),
            (MediaType::OciLayerZstd, garbage, true),
            (MediaType::OciLayerGzip, flipped, true),
        ];
        blobs
            .into_iter()
            .map(|(media_type, blob, stops)| Layer {
                media_type,
                digest: sha256sum(&blob),
                blob,
                diff_id: diff_id.clone(),
                stops,
            })
            .collect()
    })
}

fn options() -> VerifyOptions {
    VerifyOptions {
        listing: Some(ListingOptions::default()),
        output_buffer_size: 1024,
        ..VerifyOptions::default()
    }
}

/// Feeds `layer` cut by `sizes` (cycled; a 0 is an empty `update`), in place or split.
fn verify_in_chunks(layer: &Layer, sizes: &[usize], split: bool) -> LayerReport {
    let verify = if split { verify_split } else { verify_in_place };
    let size = layer.blob.len() as u64;
    verify(&layer.media_type, &layer.digest, size, Some(&layer.diff_id), options(), &cut(&layer.blob, sizes))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn any_chunking_gives_the_same_report(
        which in 0..6usize,
        sizes in prop::collection::vec(prop_oneof![Just(0usize), 1..4usize, 1..700usize, 1..20_000usize], 1..12)
            .prop_filter("must make progress", |s| s.iter().any(|&n| n > 0)),
    ) {
        let layer = &layers()[which];
        let whole = verify_in_chunks(layer, &[layer.blob.len().max(1)], false);
        let chunked = verify_in_chunks(layer, &sizes, false);
        // The two stages apart report exactly what they report in place, cut the same way.
        prop_assert_eq!(&verify_in_chunks(layer, &sizes, true), &chunked);
        if layer.stops {
            prop_assert!(!whole.verified);
            prop_assert_eq!(whole.error.map(|e| e.code()), chunked.error.map(|e| e.code()));
            prop_assert_eq!((whole.digest, whole.size, whole.diff_id), (chunked.digest, chunked.size, chunked.diff_id));
        } else {
            prop_assert_eq!(whole, chunked);
        }
    }
}

#[test]
fn the_test_layers_cover_verified_and_failed_cases() {
    let verdicts: Vec<bool> =
        layers().iter().map(|l| verify_in_chunks(l, &[l.blob.len()], false).verified).collect();
    assert_eq!(verdicts, [true, true, true, false, false, false]);
}
