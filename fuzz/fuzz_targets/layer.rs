//! The streaming layer verifier over any bytes, as a gzip, zstd or plain-tar layer with the
//! listing on and small limits (so no input can take much memory or time), fed whole and in
//! chunks of the sizes the input picks, then `finish()`.
//!
//! Input: byte 0 picks the media type, bytes 1-3 the chunk sizes (0 is an empty `update`), the
//! rest is the blob. Checked for every report: the computed values, checks, `verified` and the
//! errors agree with each other (a verified layer has digest and size `passed`, ...), sizes never
//! exceed what was fed or the caps, every error has a layer code; across runs: the blob's digest
//! is found whatever the chunking, the report does not depend on the chunking (only the checks and
//! error codes when decoding stopped early), a diff_id found is then `passed` when expected, a
//! blob longer or shorter than declared fails on its size.
#![no_main]

use libfuzzer_sys::fuzz_target;
use regsight_core::verify::{LayerReport, LayerVerifier, ListingOptions, VerifyError, VerifyOptions};
use regsight_core::{Check, Compression, Digest, ErrorCode, MediaType};
use regsight_fuzz::{check_error, sha256, sha512};

const MAX_UNCOMPRESSED: u64 = 1 << 20;
const MAX_RATIO: u64 = 100;
const RATIO_FLOOR: u64 = 4 << 10;

const LISTING: ListingOptions =
    ListingOptions { max_entries: 64, max_path_bytes: 4 << 10, max_extended_header: 4 << 10 };

fn options() -> VerifyOptions {
    VerifyOptions {
        max_uncompressed_size: MAX_UNCOMPRESSED,
        max_ratio: MAX_RATIO,
        ratio_floor: RATIO_FLOOR,
        max_zstd_window: 1 << 20,
        output_buffer_size: 1024,
        listing: Some(LISTING),
    }
}

const LAYER_CODES: &[ErrorCode] =
    &[ErrorCode::SizeMismatch, ErrorCode::DigestMismatch, ErrorCode::CorruptStream, ErrorCode::LimitExceeded];

/// One verification: what the verifier was told and fed.
struct Run<'a> {
    media_type: &'a MediaType,
    blob: &'a [u8],
    declared: u64,
    digest: Digest,
    diff_id: Option<Digest>,
}

impl Run<'_> {
    /// Feeds the blob cut by `sizes` (cycled; a 0 is an empty update), stopping when `update`
    /// says to, and checks the report against what was fed.
    fn verify(&self, sizes: &[usize]) -> LayerReport {
        let mut verifier = LayerVerifier::new(
            self.media_type,
            self.digest.clone(),
            self.declared,
            self.diff_id.clone(),
            options(),
        )
        .expect("a layer media type");
        let mut rest = self.blob;
        let mut fed = 0u64;
        let mut stopped = false;
        let mut last = verifier.progress();
        for size in sizes.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (chunk, tail) = rest.split_at((*size).min(rest.len()));
            rest = tail;
            fed += chunk.len() as u64;
            let result = verifier.update(chunk);
            let progress = verifier.progress();
            assert!(progress.received <= fed && progress.received <= self.declared, "{progress:?}");
            assert!(progress.received >= last.received && progress.uncompressed >= last.uncompressed);
            last = progress;
            if let Err(error) = result {
                assert!(matches!(error, VerifyError::TooLong { .. }), "update stopped on {error:?}");
                assert!(fed > self.declared);
                assert_eq!(verifier.update(b"").err(), Some(error), "a stopped verifier must stay stopped");
                stopped = true;
                break;
            }
        }
        assert_eq!(stopped, self.blob.len() as u64 > self.declared);
        let report = verifier.finish();
        self.check(&report, fed, stopped);
        report
    }

    /// What must hold of any report, given `fed` bytes and whether `update` stopped.
    fn check(&self, report: &LayerReport, fed: u64, stopped: bool) {
        assert_eq!(&report.media_type, self.media_type);
        assert_eq!(Some(report.compression), self.media_type.layer_compression());
        assert_eq!(report.declared_size, self.declared);
        assert_eq!(report.expected_digest, self.digest);
        assert_eq!(report.expected_diff_id, self.diff_id);
        // Sizes: never more than fed, declared, or the caps allow.
        assert!(report.compressed_size <= fed && report.compressed_size <= self.declared);
        let cap = MAX_UNCOMPRESSED.min(MAX_RATIO * self.declared.max(RATIO_FLOOR));
        assert!(report.uncompressed_size <= cap, "{} > {cap}", report.uncompressed_size);

        // verified <=> no error; a verified layer passed every check it had.
        assert_eq!(report.verified, report.error.is_none());
        if report.verified {
            assert!(report.other_errors.is_empty());
            assert_eq!((report.digest, report.size), (Check::Passed, Check::Passed));
            assert!(matches!(report.diff_id, Check::Passed | Check::NotChecked), "{:?}", report.diff_id);
            assert!(report.computed_diff_id.is_some());
        }
        if report.error.is_none() {
            assert!(report.other_errors.is_empty());
        }

        // The size check.
        let whole = !stopped && fed == self.declared;
        assert_eq!(report.size, if whole { Check::Passed } else { Check::Failed });
        if !whole {
            let first = report.error.as_ref().expect("a size failure is the first error");
            match first {
                VerifyError::TooLong { declared, received } => {
                    assert!(stopped && *declared == self.declared && *received > self.declared);
                }
                VerifyError::TooShort { declared, received } => {
                    assert!(!stopped && *declared == self.declared && *received == fed);
                }
                other => panic!("size failed but the first error is {other:?}"),
            }
        }

        // The digest check: the whole blob is hashed unless the stream was stopped.
        if stopped {
            assert_eq!(report.digest, Check::Incomplete);
            assert_eq!(report.computed_digest, None);
            assert_eq!(report.computed_diff_id, None);
        } else {
            let algorithm = self.digest.algorithm();
            let computed = if algorithm == regsight_core::Algorithm::Sha256 {
                sha256(self.blob)
            } else {
                sha512(self.blob)
            };
            assert_eq!(report.computed_digest.as_ref(), Some(&computed));
            let passed = computed == self.digest;
            assert_eq!(report.digest, if passed { Check::Passed } else { Check::Failed });
            let mismatches =
                report.errors().filter(|e| matches!(e, VerifyError::DigestMismatch { .. })).count();
            assert_eq!(mismatches, usize::from(!passed));
        }

        // The diff_id check, and decoding.
        let decode_failed =
            report.errors().any(|e| matches!(e.code(), ErrorCode::CorruptStream | ErrorCode::LimitExceeded));
        if decode_failed || stopped {
            assert_eq!(report.computed_diff_id, None);
        }
        match (&self.diff_id, &report.computed_diff_id) {
            (None, _) => assert_eq!(report.diff_id, Check::NotChecked),
            (Some(_), None) => assert_eq!(report.diff_id, Check::Incomplete),
            (Some(expected), Some(computed)) => {
                assert_eq!(report.diff_id, if expected == computed { Check::Passed } else { Check::Failed });
            }
        }
        if let Some(computed) = &report.computed_diff_id {
            let algorithm = self.diff_id.as_ref().map_or(regsight_core::Algorithm::Sha256, Digest::algorithm);
            assert_eq!(computed.algorithm(), algorithm);
        }
        // A plain tar is its own uncompressed stream.
        if report.compression == Compression::None && !stopped && !decode_failed {
            assert_eq!(report.uncompressed_size, report.compressed_size);
            assert_eq!(report.computed_diff_id.as_ref().map(Digest::hex), Some(sha256(self.blob).hex()));
        }

        // Errors: layer codes, said in words, and the same in the summary that crosses to the page.
        for error in report.errors() {
            check_error(error.code(), error, LAYER_CODES);
        }
        let summary = report.summary();
        assert_eq!(
            summary.error.as_ref().map(|e| e.code.as_str()),
            report.error.as_ref().map(|e| e.code().as_str())
        );
        assert_eq!(summary.other_errors.len(), report.other_errors.len());
        serde_json::to_string(report).expect("a report serializes");

        // The listing stays within its caps.
        let listing = report.listing.as_ref().expect("the listing was asked for");
        assert!(listing.entries.len() <= LISTING.max_entries);
        assert!(listing.total_entries >= listing.entries.len() as u64);
        assert_eq!(listing.truncated, listing.total_entries > listing.entries.len() as u64);
        let path_bytes: usize = listing
            .entries
            .iter()
            .map(|e| e.path.len() + e.link_target.as_ref().map_or(0, String::len))
            .sum();
        assert!(path_bytes <= LISTING.max_path_bytes);
        if let Some(error) = &listing.error {
            let code = error.code.parse::<ErrorCode>();
            assert!(matches!(code, Ok(ErrorCode::CorruptStream | ErrorCode::LimitExceeded)), "{error:?}");
        }
    }
}

/// The report's errors, first one first.
trait Errors {
    fn errors(&self) -> impl Iterator<Item = &VerifyError>;
}

impl Errors for LayerReport {
    fn errors(&self) -> impl Iterator<Item = &VerifyError> {
        self.error.iter().chain(&self.other_errors)
    }
}

/// Whether decoding stopped before the end (then how far it got depends on the chunking):
/// corrupt data or a cap, but not a stream that merely ends early (found at `finish`).
fn decoding_stopped(report: &LayerReport) -> bool {
    report.errors().any(|e| match e {
        VerifyError::Truncated { .. } => false,
        other => matches!(other.code(), ErrorCode::CorruptStream | ErrorCode::LimitExceeded),
    })
}

fn codes(report: &LayerReport) -> Vec<ErrorCode> {
    report.errors().map(VerifyError::code).collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&[kind, a, b, c], blob)) = data.split_first_chunk::<4>() else {
        return;
    };
    let media_type = match kind % 4 {
        0 => MediaType::OciLayerGzip,
        1 => MediaType::OciLayerZstd,
        2 => MediaType::OciLayerTar,
        _ => MediaType::DockerLayerGzip,
    };
    let mut sizes = vec![usize::from(a), usize::from(b) * 8, usize::from(c) * 64];
    if sizes.iter().all(|&n| n == 0) {
        sizes = vec![1];
    }
    let len = blob.len() as u64;
    let exact = Run { media_type: &media_type, blob, declared: len, digest: sha256(blob), diff_id: None };

    let whole = exact.verify(&[blob.len().max(1)]);
    assert_eq!(whole.digest, Check::Passed);
    assert_eq!(whole.size, Check::Passed);
    let chunked = exact.verify(&sizes);
    if decoding_stopped(&whole) || decoding_stopped(&chunked) {
        assert_eq!(decoding_stopped(&whole), decoding_stopped(&chunked), "{whole:?}\n{chunked:?}");
        assert_eq!(codes(&whole), codes(&chunked));
        assert_eq!(
            (whole.digest, whole.size, whole.diff_id),
            (chunked.digest, chunked.size, chunked.diff_id)
        );
        assert_eq!(whole.computed_digest, chunked.computed_digest);
    } else {
        assert_eq!(whole, chunked);
    }

    // The diff_id it found, when expected, passes (in chunks too), and changes nothing else.
    if let Some(diff_id) = &whole.computed_diff_id {
        let expecting = Run { diff_id: Some(diff_id.clone()), ..exact };
        let mut report = expecting.verify(&sizes);
        assert_eq!(report.diff_id, Check::Passed);
        report.expected_diff_id = None;
        report.diff_id = Check::NotChecked;
        assert_eq!(report, whole);
    }

    // One byte more than declared: stopped, its digest unknown.
    if len > 0 {
        let short_declared = Run {
            media_type: &media_type,
            blob,
            declared: len - 1,
            digest: sha256(blob),
            diff_id: whole.computed_diff_id.clone(),
        };
        let report = short_declared.verify(&sizes);
        assert!(!report.verified);
        assert!(matches!(report.error, Some(VerifyError::TooLong { .. })), "{:?}", report.error);
    }

    // One byte fewer than declared, checked in sha512: hashed whole in the expected algorithm.
    let long_declared =
        Run { media_type: &media_type, blob, declared: len + 1, digest: sha512(blob), diff_id: None };
    let report = long_declared.verify(&sizes);
    assert_eq!(report.digest, Check::Passed);
    assert!(matches!(report.error, Some(VerifyError::TooShort { .. })), "{:?}", report.error);
});
