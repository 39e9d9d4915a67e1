//! The chain: from the pinned digest through index, manifest and config to every layer, what was
//! checked, what held, and what could not be verified. A pure function over bytes and reports.
//!
//! The links, in order (see the protocol notes):
//! - index / manifest bytes -> their digest, compared with the pin and with `Docker-Content-Digest`;
//! - a platform manifest's bytes -> the digest and size its index entry names;
//! - config bytes -> the config descriptor's digest and size (that digest is the image ID);
//! - the number of layers -> the number of `rootfs.diff_ids`;
//! - each layer's [`LayerSummary`] -> the manifest's descriptor and the config's diff_id.

use serde::Serialize;

use crate::image_id::ImageId;
use crate::model::{Descriptor, Manifest, parse_config, parse_manifest};
use crate::verify::LayerSummary;
use crate::{Check, Digest, DigestCheck, DigestVerifier};

/// One document as received from the registry.
#[derive(Debug, Clone, Copy)]
pub struct Document<'a> {
    /// The exact bytes received.
    pub bytes: &'a [u8],
    /// The response's `Content-Type`, if any.
    pub content_type: Option<&'a str>,
    /// The response's `Docker-Content-Digest`, if any.
    pub header_digest: Option<&'a str>,
}

/// Everything fetched for one image, handed to [`verify_chain`].
#[derive(Debug, Clone, Copy)]
pub struct ChainInput<'a> {
    /// The digest the reference pinned (`name@sha256:...`), if any.
    pub pinned: Option<&'a Digest>,
    /// The index the reference resolved to, when it was multi-platform.
    pub index: Option<Document<'a>>,
    /// The chosen platform's entry in that index.
    pub index_entry: Option<&'a Descriptor>,
    /// The image manifest.
    pub manifest: Document<'a>,
    /// The config blob's bytes.
    pub config: Option<&'a [u8]>,
    /// One summary per manifest layer, in order; `None` where the layer was not streamed.
    pub layers: &'a [Option<LayerSummary>],
    /// The image ID the caller expects (e.g. from `docker images`), if any.
    pub expected_image_id: Option<&'a ImageId>,
}

/// What one document's checks found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentCheck {
    /// Digest of the bytes received.
    pub computed: Digest,
    /// Byte count received.
    pub size: u64,
    /// The `Docker-Content-Digest` header as sent.
    pub header_digest: Option<String>,
    /// Computed digest against the header (`notChecked` when there was none).
    pub header: Check,
    /// The digest the bytes must have (pin, index entry or manifest's config descriptor).
    pub expected_digest: Option<Digest>,
    /// Computed digest against it.
    pub expected: Check,
    /// The size they must have, when a descriptor gave one.
    pub expected_size: Option<u64>,
    /// Received size against it.
    pub size_check: Check,
}

/// How one link of the chain ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum LinkStatus {
    /// Every check of the link passed.
    Verified,
    /// A check failed: the content is not what it claims to be.
    Failed,
    /// The link cannot be checked (foreign layer, not streamed, schema1...).
    Unverifiable,
}

/// One layer's link: manifest descriptor, config diff_id and what streaming it found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerLink {
    /// Position in the manifest (0 = base layer).
    pub index: usize,
    /// The manifest's descriptor.
    pub descriptor: Descriptor,
    /// The config's diff_id for this position, if it has one.
    pub diff_id: Option<Digest>,
    /// How the link ended.
    pub status: LinkStatus,
    /// Why it is not verified, in words.
    pub problem: Option<String>,
}

/// The verdict on a whole image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Verdict {
    /// Every link was checked and held.
    Verified,
    /// At least one link failed.
    Failed,
    /// Nothing failed, but some links could not be checked.
    Unverifiable,
}

/// The verification report of a whole image.
#[must_use]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainReport {
    /// The overall verdict.
    pub verdict: Verdict,
    /// The index's checks, when the reference resolved to one.
    pub index: Option<DocumentCheck>,
    /// The image manifest's checks.
    pub manifest: DocumentCheck,
    /// The config's checks; its computed digest is the image ID.
    pub config: Option<DocumentCheck>,
    /// The config against the image ID the caller expected (`notChecked` when none was given).
    pub image_id: Check,
    /// One link per manifest layer.
    pub layers: Vec<LayerLink>,
    /// Every failed or unverifiable link, one sentence each, in chain order.
    pub problems: Vec<String>,
}

impl ChainReport {
    /// True when every link was checked and held.
    pub fn is_verified(&self) -> bool {
        self.verdict == Verdict::Verified
    }

    /// The image ID (the config digest as computed), when the config was fetched.
    pub fn image_id(&self) -> Option<&Digest> {
        self.config.as_ref().map(|c| &c.computed)
    }
}

/// Checks the whole chain of one image; see the module documentation for the links.
pub fn verify_chain(input: &ChainInput<'_>) -> ChainReport {
    let mut problems = Problems::default();

    // The top document is the one the reference named: the pin applies to it.
    let index = input.index.map(|doc| check_document("index", &doc, input.pinned, None, &mut problems));
    let (manifest_expected, manifest_size) = match (&input.index, input.index_entry) {
        (Some(_), Some(entry)) => (Some(&entry.digest), Some(entry.size)),
        (Some(_), None) => {
            problems.fail("the index entry the manifest was chosen from is missing".into());
            (None, None)
        }
        (None, _) => (input.pinned, None),
    };
    let manifest =
        check_document("manifest", &input.manifest, manifest_expected, manifest_size, &mut problems);

    let image = match parse_manifest(input.manifest.bytes, input.manifest.content_type) {
        Ok(Manifest::Image(image)) => Some(image),
        Ok(Manifest::Schema1(_)) => {
            problems.unverifiable(
                "the manifest is Docker schema1: it names no config and no diff_ids, so its layers cannot be verified".into(),
            );
            None
        }
        Ok(Manifest::Index(_)) => {
            problems.fail("the document given as the image manifest is an index".into());
            None
        }
        Err(e) => {
            problems.fail(format!("the manifest cannot be read: {e}"));
            None
        }
    };
    let Some(image) = image else {
        let image_id = if input.expected_image_id.is_some() { Check::Incomplete } else { Check::NotChecked };
        return problems.report(index, manifest, None, image_id, Vec::new());
    };

    let config = match input.config {
        Some(bytes) => {
            let doc = Document { bytes, content_type: None, header_digest: None };
            Some(check_document(
                "config",
                &doc,
                Some(&image.config.digest),
                Some(image.config.size),
                &mut problems,
            ))
        }
        None => {
            problems.unverifiable("the config was not fetched".into());
            None
        }
    };
    let image_id = match (input.expected_image_id, input.config, &config) {
        (None, _, _) => Check::NotChecked,
        (Some(expected), Some(bytes), Some(checked)) => {
            let result = expected.check(bytes, &checked.computed);
            if result == Check::Failed {
                problems
                    .fail(format!("the image ID is {}, not the {expected} you expected", checked.computed));
            }
            result
        }
        (Some(_), _, _) => Check::Incomplete,
    };
    let diff_ids = match input.config.map(parse_config) {
        Some(Ok(parsed)) => parsed.rootfs.diff_ids,
        Some(Err(e)) => {
            problems.fail(format!("the config cannot be read: {e}"));
            Vec::new()
        }
        None => Vec::new(),
    };
    if input.config.is_some() && diff_ids.len() != image.layers.len() {
        problems.fail(format!(
            "the manifest has {} layers but the config lists {} diff_ids",
            image.layers.len(),
            diff_ids.len()
        ));
    }

    let layers = image
        .layers
        .iter()
        .enumerate()
        .map(|(i, descriptor)| {
            let diff_id = diff_ids.get(i).cloned();
            let report = input.layers.get(i).and_then(Option::as_ref);
            let (status, problem) = layer_status(i, descriptor, diff_id.as_ref(), report);
            if let Some(p) = &problem {
                match status {
                    LinkStatus::Failed => problems.fail(p.clone()),
                    _ => problems.unverifiable(p.clone()),
                }
            }
            LayerLink { index: i, descriptor: descriptor.clone(), diff_id, status, problem }
        })
        .collect();
    if input.layers.len() > image.layers.len() {
        problems.fail(format!(
            "{} layer reports were given for {} layers",
            input.layers.len(),
            image.layers.len()
        ));
    }
    problems.report(index, manifest, config, image_id, layers)
}

/// Digest, header and size checks of one document; failures are recorded in `problems`.
fn check_document(
    what: &str,
    doc: &Document<'_>,
    expected: Option<&Digest>,
    expected_size: Option<u64>,
    problems: &mut Problems,
) -> DocumentCheck {
    let size = doc.bytes.len() as u64;
    // The header is the registry's own claim: checked in its own algorithm.
    let (header, header_check) = match doc.header_digest.map(|value| value.trim().parse::<Digest>()) {
        None => (Check::NotChecked, None),
        Some(Ok(claimed)) => {
            let against_header = claimed.check(doc.bytes);
            let result = against_header.result();
            if result == Check::Failed {
                problems.fail(format!(
                    "the {what}'s bytes hash to {} but the registry's Docker-Content-Digest says {claimed}",
                    against_header.computed
                ));
            }
            (result, Some(against_header))
        }
        // A header in an algorithm we cannot compute proves nothing either way; the pin and the
        // descriptors are the chain, the header only the registry's own claim.
        Some(Err(e)) if e.code() == crate::ErrorCode::Unsupported => (Check::Unsupported, None),
        Some(Err(e)) => {
            problems.fail(format!("the registry sent a malformed Docker-Content-Digest for the {what}: {e}"));
            (Check::Failed, None)
        }
    };
    // Computed in the algorithm of what the bytes must be; without that, of the registry's header.
    let check = match (expected, header_check) {
        (None, Some(against_header)) => DigestCheck { expected: None, computed: against_header.computed },
        (expected, _) => DigestVerifier::check(expected.cloned(), doc.bytes),
    };
    let expected_check = check.result();
    if expected_check == Check::Failed
        && let Some(want) = &check.expected
    {
        problems.fail(format!("the {what}'s bytes hash to {}, expected {want}", check.computed));
    }
    let size_check = match expected_size {
        None => Check::NotChecked,
        Some(want) => {
            let result = Check::compare(want == size);
            if result == Check::Failed {
                problems.fail(format!("the {what} is {size} bytes, its descriptor says {want}"));
            }
            result
        }
    };
    DocumentCheck {
        computed: check.computed,
        size,
        header_digest: doc.header_digest.map(str::to_owned),
        header,
        expected_digest: check.expected,
        expected: expected_check,
        expected_size,
        size_check,
    }
}

/// How one layer's link ended, and why in words when it is not verified.
fn layer_status(
    i: usize,
    descriptor: &Descriptor,
    diff_id: Option<&Digest>,
    report: Option<&LayerSummary>,
) -> (LinkStatus, Option<String>) {
    let Some(report) = report else {
        let why = if descriptor.media_type.is_foreign() {
            format!(
                "layer {i} is a foreign layer ({}): the registry does not serve it",
                descriptor.media_type
            )
        } else {
            format!("layer {i} ({}) was not verified", descriptor.digest)
        };
        return (LinkStatus::Unverifiable, Some(why));
    };
    if report.expected_digest != descriptor.digest || report.declared_size != descriptor.size {
        return (
            LinkStatus::Failed,
            Some(format!(
                "layer {i}: the report given is for blob {}, not {}",
                report.expected_digest, descriptor.digest
            )),
        );
    }
    if report.expected_diff_id.as_ref() != diff_id {
        return (
            LinkStatus::Failed,
            Some(format!("layer {i}: the report was checked against another diff_id than the config's")),
        );
    }
    if let Some(error) = &report.error {
        let mut sentence = format!("layer {i}: {}", error.message);
        for other in &report.other_errors {
            sentence.push_str(&format!("; also {}", other.message));
        }
        return (LinkStatus::Failed, Some(sentence));
    }
    if !report.verified {
        return (LinkStatus::Failed, Some(format!("layer {i} did not verify")));
    }
    match (diff_id, report.diff_id) {
        (None, _) => (LinkStatus::Unverifiable, Some(format!("layer {i} has no diff_id in the config"))),
        (Some(_), Check::Passed) => (LinkStatus::Verified, None),
        (Some(_), other) => (LinkStatus::Failed, Some(format!("layer {i}: diff_id check {other:?}"))),
    }
}

/// Collects problems in chain order and decides the verdict.
#[derive(Default)]
struct Problems {
    sentences: Vec<String>,
    failed: bool,
    unverifiable: bool,
}

impl Problems {
    fn fail(&mut self, sentence: String) {
        self.failed = true;
        self.sentences.push(sentence);
    }

    fn unverifiable(&mut self, sentence: String) {
        self.unverifiable = true;
        self.sentences.push(sentence);
    }

    fn report(
        self,
        index: Option<DocumentCheck>,
        manifest: DocumentCheck,
        config: Option<DocumentCheck>,
        image_id: Check,
        layers: Vec<LayerLink>,
    ) -> ChainReport {
        let verdict = if self.failed {
            Verdict::Failed
        } else if self.unverifiable {
            Verdict::Unverifiable
        } else {
            Verdict::Verified
        };
        ChainReport { verdict, index, manifest, config, image_id, layers, problems: self.sentences }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MediaType;
    use crate::verify::{LayerVerifier, VerifyOptions};

    const TAR: &str = "application/vnd.oci.image.layer.v1.tar";
    const FOREIGN: &str = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

    /// An image of plain-tar layers with matching config, and the reports of streaming them.
    struct Image {
        manifest: Vec<u8>,
        config: Vec<u8>,
        reports: Vec<Option<LayerSummary>>,
    }

    fn image(layers: &[&[u8]], diff_ids: Option<Vec<String>>) -> Image {
        let digests: Vec<Digest> = layers.iter().map(|l| Digest::sha256_of(l)).collect();
        let diff_ids = diff_ids.unwrap_or_else(|| digests.iter().map(ToString::to_string).collect());
        let config = serde_json::to_vec(&serde_json::json!({
            "architecture": "amd64", "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        }))
        .expect("config json");
        let layer_descriptors: Vec<_> = layers
            .iter()
            .zip(&digests)
            .map(|(l, d)| serde_json::json!({"mediaType": TAR, "digest": d.to_string(), "size": l.len()}))
            .collect();
        let manifest = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": Digest::sha256_of(&config).to_string(), "size": config.len()},
            "layers": layer_descriptors,
        }))
        .expect("manifest json");
        let parsed: Vec<Option<Digest>> = diff_ids.iter().map(|d| d.parse().ok()).collect();
        let reports = layers
            .iter()
            .zip(&digests)
            .zip(parsed)
            .map(|((bytes, digest), diff_id)| {
                let mut v = LayerVerifier::new(
                    &MediaType::parse(TAR),
                    digest.clone(),
                    bytes.len() as u64,
                    diff_id,
                    VerifyOptions::default(),
                )
                .expect("verifier");
                let _ = v.update(bytes);
                Some(v.finish().summary())
            })
            .collect();
        Image { manifest, config, reports }
    }

    fn input<'a>(img: &'a Image, pinned: Option<&'a Digest>, header: Option<&'a str>) -> ChainInput<'a> {
        ChainInput {
            pinned,
            index: None,
            index_entry: None,
            manifest: Document { bytes: &img.manifest, content_type: None, header_digest: header },
            config: Some(&img.config),
            layers: &img.reports,
            expected_image_id: None,
        }
    }

    #[test]
    fn a_consistent_image_is_verified() {
        let img = image(&[b"base layer", b"app layer"], None);
        let pin = Digest::sha256_of(&img.manifest);
        let header = pin.to_string();
        let report = verify_chain(&input(&img, Some(&pin), Some(&header)));
        assert_eq!(report.verdict, Verdict::Verified, "{:?}", report.problems);
        assert_eq!(report.manifest.header, Check::Passed);
        assert_eq!(report.manifest.expected, Check::Passed);
        assert_eq!(report.image_id(), Some(&Digest::sha256_of(&img.config)));
        assert!(report.layers.iter().all(|l| l.status == LinkStatus::Verified));
    }

    #[test]
    fn a_wrong_header_or_pin_fails_the_manifest() {
        let img = image(&[b"layer"], None);
        let other = Digest::sha256_of(b"another manifest");
        let header = other.to_string();
        let report = verify_chain(&input(&img, None, Some(&header)));
        assert_eq!(report.verdict, Verdict::Failed);
        assert_eq!(report.manifest.header, Check::Failed);
        assert!(report.problems[0].contains("Docker-Content-Digest"), "{:?}", report.problems);

        let report = verify_chain(&input(&img, Some(&other), None));
        assert_eq!(report.manifest.expected, Check::Failed);
        assert_eq!(report.manifest.header, Check::NotChecked);

        let report = verify_chain(&input(&img, None, Some("sha256:nothex")));
        assert!(report.problems[0].contains("malformed Docker-Content-Digest"), "{:?}", report.problems);
    }

    #[test]
    fn an_expected_image_id_must_match_the_config() {
        let img = image(&[b"layer"], None);
        let config_id = Digest::sha256_of(&img.config);
        let short: ImageId = config_id.hex()[..12].parse().expect("prefix");
        let mut chain = input(&img, None, None);
        chain.expected_image_id = Some(&short);
        let report = verify_chain(&chain);
        assert_eq!((report.image_id, report.verdict), (Check::Passed, Verdict::Verified));

        let other: ImageId = Digest::sha256_of(b"another config").hex()[..12].parse().expect("prefix");
        chain.expected_image_id = Some(&other);
        let report = verify_chain(&chain);
        assert_eq!((report.image_id, report.verdict), (Check::Failed, Verdict::Failed));
        assert!(report.problems.iter().any(|p| p.contains(&other.to_string())), "{:?}", report.problems);
    }

    #[test]
    fn a_header_in_an_unknown_algorithm_is_unsupported_not_a_mismatch() {
        let img = image(&[b"layer"], None);
        let header = format!("blake3:{}", "ab".repeat(32));
        let report = verify_chain(&input(&img, None, Some(&header)));
        assert_eq!(report.manifest.header, Check::Unsupported);
        assert_eq!(report.verdict, Verdict::Verified, "{:?}", report.problems);
    }

    #[test]
    fn an_index_entry_binds_the_platform_manifest_by_digest_and_size() {
        let img = image(&[b"layer"], None);
        let entry: Descriptor = serde_json::from_value(serde_json::json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": Digest::sha256_of(&img.manifest).to_string(),
            "size": img.manifest.len() + 1,
            "platform": {"os": "linux", "architecture": "amd64"},
        }))
        .expect("descriptor");
        let index = br#"{"schemaVersion":2,"manifests":[]}"#;
        let pin = Digest::sha256_of(index);
        let mut chain = input(&img, Some(&pin), None);
        chain.index = Some(Document { bytes: index, content_type: None, header_digest: None });
        chain.index_entry = Some(&entry);
        let report = verify_chain(&chain);
        assert_eq!(report.index.as_ref().map(|i| i.expected), Some(Check::Passed));
        assert_eq!(report.manifest.expected, Check::Passed);
        assert_eq!(report.manifest.size_check, Check::Failed);
        assert_eq!(report.verdict, Verdict::Failed);
    }

    #[test]
    fn config_bytes_must_match_the_config_descriptor() {
        let mut img = image(&[b"layer"], None);
        img.config.push(b' ');
        let report = verify_chain(&input(&img, None, None));
        let config = report.config.as_ref().expect("config checked");
        assert_eq!((config.expected, config.size_check), (Check::Failed, Check::Failed));
        assert_eq!(report.verdict, Verdict::Failed);
    }

    #[test]
    fn layer_and_diff_id_counts_must_agree() {
        let wrong = vec![Digest::sha256_of(b"a").to_string()];
        let img = image(&[b"a", b"b"], Some(wrong));
        let report = verify_chain(&input(&img, None, None));
        assert!(
            report.problems.iter().any(|p| p.contains("2 layers but the config lists 1")),
            "{:?}",
            report.problems
        );
        assert_eq!(report.verdict, Verdict::Failed);
    }

    #[test]
    fn a_wrong_diff_id_fails_that_layer_only() {
        let wrong = vec![Digest::sha256_of(b"a").to_string(), Digest::sha256_of(b"not b").to_string()];
        let img = image(&[b"a", b"b"], Some(wrong));
        let report = verify_chain(&input(&img, None, None));
        assert_eq!(report.layers[0].status, LinkStatus::Verified);
        assert_eq!(report.layers[1].status, LinkStatus::Failed);
        assert!(report.layers[1].problem.as_deref().unwrap_or_default().starts_with("layer 1"));
    }

    #[test]
    fn missing_reports_are_unverifiable_not_passed() {
        let mut img = image(&[b"a", b"b"], None);
        img.reports[1] = None;
        let report = verify_chain(&input(&img, None, None));
        assert_eq!(report.verdict, Verdict::Unverifiable);
        assert_eq!(report.layers[1].status, LinkStatus::Unverifiable);
    }

    #[test]
    fn foreign_layers_are_named_as_such() {
        let mut img = image(&[b"a"], None);
        let text = String::from_utf8(img.manifest.clone()).expect("utf8").replace(TAR, FOREIGN);
        img.manifest = text.into_bytes();
        img.reports[0] = None;
        let report = verify_chain(&input(&img, None, None));
        assert!(report.problems[0].contains("foreign layer"), "{:?}", report.problems);
        assert_eq!(report.verdict, Verdict::Unverifiable);
    }

    #[test]
    fn a_report_for_another_blob_is_refused() {
        let img = image(&[b"a"], None);
        let other = image(&[b"z"], None);
        let mut chain = input(&img, None, None);
        chain.layers = &other.reports;
        let report = verify_chain(&chain);
        assert_eq!(report.layers[0].status, LinkStatus::Failed);
        assert!(report.problems[0].contains("not sha256:"), "{:?}", report.problems);
    }

    #[test]
    fn schema1_is_unverifiable_and_said_plainly() {
        let schema1 = br#"{"schemaVersion":1,"name":"x","tag":"y","architecture":"amd64","fsLayers":[{"blobSum":"sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4"}],"history":[{"v1Compatibility":"{}"}]}"#;
        let chain = ChainInput {
            pinned: None,
            index: None,
            index_entry: None,
            manifest: Document {
                bytes: schema1,
                content_type: Some("application/vnd.docker.distribution.manifest.v1+json"),
                header_digest: None,
            },
            config: None,
            layers: &[],
            expected_image_id: None,
        };
        let report = verify_chain(&chain);
        assert_eq!(report.verdict, Verdict::Unverifiable);
        assert!(report.problems[0].contains("schema1"), "{:?}", report.problems);
    }
}
