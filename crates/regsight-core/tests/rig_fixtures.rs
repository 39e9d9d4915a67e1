//! Ground truth from the rig: every fixture image's layers, manifests and configs, verified by
//! the core and compared with what `sha256sum`, `wc -c`, `gzip -dc` and `zstd -dc` computed when
//! the rig was built (its `rig.json`).
//!
//! Every expected value comes from `rig.json`, never from this crate. The file is read as plain
//! JSON (no dependency on the rig crate): `$REGSIGHT_RIG` (relative to the workspace root), else
//! `<workspace>/target/rig/test/rig.json`. Without a rig this test fails: run `cargo xtask test`.

#[path = "verify_support.rs"]
mod support;

use std::path::{Path, PathBuf};

use regsight_core::chain::DocumentCheck;
use regsight_core::model::parse_manifest;
use regsight_core::platform::select;
use regsight_core::verify::{Check, LayerSummary, ListingOptions};
use regsight_core::{
    ChainInput, Descriptor, Digest, Document, ErrorCode, ImageId, LayerReport, Manifest, MediaType, Platform,
    Verdict, VerifyOptions, verify_chain,
};
use serde_json::Value;

/// Chunk sizes the layers are cut into, in turn: odd, prime-ish, across every buffer boundary.
const CHUNKS: [usize; 6] = [1, 7, 4093, 65_537, 333, 131_071];

fn workspace_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// `rig.json`, parsed; panics with instructions when there is none.
fn rig() -> Value {
    let path = match std::env::var_os("REGSIGHT_RIG") {
        Some(path) => workspace_root().join(path),
        None => workspace_root().join("target/rig/test/rig.json"),
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "no rig description at {} ({e}): run `cargo xtask test`, or start a rig with \
             `cargo xtask rig up` and set REGSIGHT_RIG to its rig.json",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// `value[key]` as a string; panics naming the key when it is missing.
fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or_else(|| panic!("rig.json: no string {key:?} in {value}"))
}

/// `value[key]` as a number.
fn number(value: &Value, key: &str) -> u64 {
    value[key].as_u64().unwrap_or_else(|| panic!("rig.json: no number {key:?} in {value}"))
}

/// `value[key]` as a list.
fn list<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value[key].as_array().map(Vec::as_slice).unwrap_or_else(|| panic!("rig.json: no list {key:?} in {value}"))
}

fn digest(value: &Value, key: &str) -> Digest {
    let s = text(value, key);
    s.parse().unwrap_or_else(|e| panic!("rig.json: {key} {s:?}: {e}"))
}

/// The bytes of the file `value["file"]` names (relative paths from the workspace root).
fn file(value: &Value) -> Vec<u8> {
    let path = workspace_root().join(Path::new(text(value, "file")));
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (is the rig's build directory intact?)", path.display()))
}

/// What `expect` says about one layer check: `(failing layer, failing check)` names the one
/// that fails; every other check passes.
struct Expectation {
    ok: bool,
    failing_layer: Option<usize>,
    failing_check: Option<String>,
}

impl Expectation {
    fn of(fixture: &Value) -> Self {
        let expect = &fixture["expect"];
        Self {
            ok: expect["ok"].as_bool().unwrap_or_else(|| panic!("rig.json: expect.ok missing in {expect}")),
            failing_layer: expect["failingLayer"].as_u64().and_then(|i| usize::try_from(i).ok()),
            failing_check: expect["failingCheck"].as_str().map(str::to_owned),
        }
    }

    /// The check that must fail on layer `index`, if any.
    fn failing(&self, index: usize) -> Option<&str> {
        (self.failing_layer == Some(index)).then_some(self.failing_check.as_deref()).flatten()
    }
}

/// The stable code a failing check must be reported with, in the rig's vocabulary (`stream`: the
/// digest differs and the bytes do not decompress; the digest is reported first).
fn code_for(check: &str) -> ErrorCode {
    match check {
        "digest" | "diff_id" | "stream" => ErrorCode::DigestMismatch,
        "size" => ErrorCode::SizeMismatch,
        other => panic!("rig.json: unknown failingCheck {other:?}"),
    }
}

/// Streams `bytes` through a verifier built from the claimed descriptor, in [`CHUNKS`], with its
/// two stages in place and apart (on two threads, as two Web Workers run them): both must report
/// the same, which the caller then checks against the truth.
fn stream(layer: &Value, bytes: &[u8]) -> LayerReport {
    let options = VerifyOptions { listing: Some(ListingOptions::default()), ..VerifyOptions::default() };
    let media_type = MediaType::parse(text(layer, "mediaType"));
    let (claimed, diff_id) = (digest(layer, "claimedDigest"), digest(layer, "claimedDiffId"));
    let size = number(layer, "claimedSize");
    let pieces = support::cut(bytes, &CHUNKS);
    let in_place = support::verify_in_place(&media_type, &claimed, size, Some(&diff_id), options, &pieces);
    let split = support::verify_split(&media_type, &claimed, size, Some(&diff_id), options, &pieces);
    assert_eq!(split, in_place, "{}: split and in place differ", text(layer, "file"));
    in_place
}

/// Checks one layer's report against the truth and the expectation; returns its summary.
fn check_layer(fixture: &str, index: usize, layer: &Value, expectation: &Expectation) -> LayerSummary {
    let at = format!("{fixture} layer {index} ({})", text(layer, "file"));
    let report = stream(layer, &file(layer));
    // The blob's digest and size are reported whatever else is wrong with it.
    assert_eq!(report.computed_digest.as_ref(), Some(&digest(layer, "digest")), "{at}: digest");
    assert_eq!(report.compressed_size, number(layer, "size"), "{at}: size");
    let decompresses = layer["decompresses"].as_bool().unwrap_or_else(|| panic!("{at}: no decompresses"));
    if decompresses {
        assert_eq!(report.computed_diff_id.as_ref(), Some(&digest(layer, "diffId")), "{at}: diff_id");
        assert_eq!(report.uncompressed_size, number(layer, "uncompressedSize"), "{at}: uncompressed size");
    } else {
        assert_eq!(report.computed_diff_id, None, "{at}: a diff_id for bytes gzip -dc refuses");
    }

    let failing = expectation.failing(index);
    let checks = [("digest", report.digest), ("size", report.size), ("diff_id", report.diff_id)];
    for (name, check) in checks {
        let expected = match (failing, name) {
            (Some(f), n) if f == n => Check::Failed,
            (Some("stream"), "digest") => Check::Failed,
            (Some("stream"), "diff_id") => Check::Incomplete,
            _ => Check::Passed,
        };
        assert_eq!(check, expected, "{at}: {name} check; report: {:?}", report.error);
    }
    match failing {
        None => {
            assert!(report.verified, "{at}: not verified: {:?}", report.error);
            assert_eq!(report.error, None, "{at}");
        }
        Some(check) => {
            assert!(!report.verified, "{at}: verified although its {check} is wrong");
            let code = report.error.as_ref().map(|e| e.code());
            assert_eq!(code, Some(code_for(check)), "{at}: {:?}", report.error);
            // The decompression failure behind a digest mismatch is kept as a second problem.
            let others: Vec<ErrorCode> = report.other_errors.iter().map(|e| e.code()).collect();
            let expected_others = if check == "stream" { vec![ErrorCode::CorruptStream] } else { vec![] };
            assert_eq!(others, expected_others, "{at}: {:?}", report.other_errors);
        }
    }
    let listing = report.listing.as_ref().unwrap_or_else(|| panic!("{at}: listing was asked for"));
    if decompresses {
        assert_eq!(listing.error, None, "{at}: tar listing");
        assert!(listing.end_of_archive && listing.total_entries > 0, "{at}: listing {listing:?}");
    }
    report.summary()
}

/// A document as the registry serves it: the truth's bytes, media type, and the digest it is
/// addressed by as `Docker-Content-Digest`.
fn document<'a>(truth: &'a Value, bytes: &'a [u8]) -> Document<'a> {
    Document {
        bytes,
        content_type: Some(text(truth, "mediaType")),
        header_digest: Some(text(truth, "claimedDigest")),
    }
}

fn assert_verdict(at: &str, verdict: Verdict, problems: &[String], expectation: &Expectation) {
    let expected = if expectation.ok { Verdict::Verified } else { Verdict::Failed };
    assert_eq!(verdict, expected, "{at}: {problems:#?}");
}

/// The manifest's own checks: a broken manifest fails its pin and its header, naming the digest
/// `sha256sum` computed; every other manifest passes both.
fn assert_manifest(at: &str, check: &DocumentCheck, truth: &Value, expectation: &Expectation) {
    assert_eq!(check.computed, digest(truth, "digest"), "{at}: computed manifest digest");
    let broken = expectation.failing_check.as_deref() == Some("manifest");
    let expected = if broken { Check::Failed } else { Check::Passed };
    assert_eq!((check.expected, check.header), (expected, expected), "{at}: manifest checks");
}

/// The index entry the core selects for the rig's platform string; it must be the image's
/// manifest as the rig recorded it.
fn entry_for(at: &str, index_bytes: &[u8], media_type: &str, image: &Value) -> Descriptor {
    let Ok(Manifest::Index(index)) = parse_manifest(index_bytes, Some(media_type)) else {
        panic!("{at}: the top manifest is not an index");
    };
    let platform: Platform = text(image, "platform").parse().unwrap_or_else(|e| panic!("{at}: {e}"));
    let entry = select(&index, &platform).unwrap_or_else(|e| panic!("{at}: {e}")).clone();
    let manifest = &image["manifest"];
    assert_eq!(entry.digest, digest(manifest, "digest"), "{at}: selected entry");
    assert_eq!(entry.size, number(manifest, "size"), "{at}: selected entry size");
    entry
}

/// An attestation manifest (its layer an in-toto statement, not a file system) is marked as one in
/// its index and never chosen, whatever platform is wanted.
fn assert_attestation_is_never_selected(at: &str, index_bytes: &[u8], media_type: &str, image: &Value) {
    let Ok(Manifest::Index(index)) = parse_manifest(index_bytes, Some(media_type)) else {
        panic!("{at}: an attestation outside an index");
    };
    let own = digest(&image["manifest"], "digest");
    let entry = index.manifests.iter().find(|d| d.digest == own);
    assert!(entry.is_some_and(Descriptor::is_attestation), "{at}: not marked an attestation: {entry:?}");
    for wanted in ["linux/amd64", "unknown/unknown"] {
        let chosen = select(&index, &wanted.parse().unwrap_or_else(|e| panic!("{wanted}: {e}")));
        assert!(!chosen.is_ok_and(|d| d.digest == own), "{at}: {wanted} chose it");
    }
}

#[test]
fn every_fixture_verifies_as_the_rig_says() {
    let rig = rig();
    let fixtures = list(&rig, "fixtures");
    assert!(!fixtures.is_empty(), "rig.json lists no fixtures");
    let mut layers_checked = 0;
    for fixture in fixtures {
        let name = text(fixture, "name");
        let expectation = Expectation::of(fixture);
        assert!(
            expectation.ok
                || expectation.failing_layer.is_some()
                || expectation.failing_check.as_deref() == Some("manifest"),
            "{name}: a broken fixture names its broken link"
        );
        let top = &fixture["manifest"];
        let top_bytes = file(top);
        let images = list(fixture, "images");
        let is_index = images.iter().all(|image| image["manifest"]["digest"] != top["digest"]);

        for image in images {
            let at = format!("{name} {}", text(image, "platform"));
            if text(image, "platform") == "unknown/unknown" {
                assert_attestation_is_never_selected(&at, &top_bytes, text(top, "mediaType"), image);
                continue;
            }
            let summaries: Vec<Option<LayerSummary>> = list(image, "layers")
                .iter()
                .enumerate()
                .map(|(i, layer)| Some(check_layer(&at, i, layer, &expectation)))
                .collect();
            layers_checked += summaries.len();
            let manifest_truth = &image["manifest"];
            let manifest_bytes = file(manifest_truth);
            let config_bytes = file(&image["config"]);

            // The image manifest pinned by the digest the registry stores it under, as
            // `name@sha256:...` would fetch it, and the image ID as `docker images` shows it (the
            // first 12 hex digits that sha256sum or sha512sum computed).
            let pinned = digest(manifest_truth, "claimedDigest");
            let short_id = digest(&image["config"], "digest").hex()[..12].parse::<ImageId>();
            let short_id = short_id.unwrap_or_else(|e| panic!("{at}: {e}"));
            let report = verify_chain(&ChainInput {
                pinned: Some(&pinned),
                index: None,
                index_entry: None,
                manifest: document(manifest_truth, &manifest_bytes),
                config: Some(&config_bytes),
                layers: &summaries,
                expected_image_id: Some(&short_id),
            });
            assert_eq!(report.image_id, Check::Passed, "{at}: image ID {short_id}");
            assert_manifest(&at, &report.manifest, manifest_truth, &expectation);
            assert_verdict(&at, report.verdict, &report.problems, &expectation);
            assert_eq!(report.image_id(), Some(&digest(&image["config"], "digest")), "{at}: image id");
            assert_eq!(report.manifest.size, number(manifest_truth, "size"), "{at}: manifest size");
            if let Some(failing) = expectation.failing_layer {
                let link = report.layers.get(failing).unwrap_or_else(|| panic!("{at}: no layer {failing}"));
                assert_eq!(
                    link.status,
                    regsight_core::chain::LinkStatus::Failed,
                    "{at}: {:#?}",
                    report.problems
                );
            }

            // Through the index, as `name:tag` on a multi-platform image resolves.
            if is_index {
                let entry = entry_for(&at, &top_bytes, text(top, "mediaType"), image);
                let index_pin = digest(top, "claimedDigest");
                let report = verify_chain(&ChainInput {
                    pinned: Some(&index_pin),
                    index: Some(document(top, &top_bytes)),
                    index_entry: Some(&entry),
                    manifest: document(manifest_truth, &manifest_bytes),
                    config: Some(&config_bytes),
                    layers: &summaries,
                    expected_image_id: None,
                });
                assert_verdict(&format!("{at} via index"), report.verdict, &report.problems, &expectation);
                let index_check = report.index.as_ref().unwrap_or_else(|| panic!("{at}: no index check"));
                assert_eq!(index_check.computed, index_pin, "{at}: index digest");
                assert_eq!(index_check.size, number(top, "size"), "{at}: index size");
            }
        }
    }
    assert!(layers_checked > 0, "rig.json lists no layers");
}
