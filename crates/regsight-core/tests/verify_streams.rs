//! Layer verifier against streams made by independent tools: known answers, multi-member and
//! multi-frame streams, truncation, corruption, wrong sizes, trailing data and bombs.

#[path = "verify_support.rs"]
mod support;

use regsight_core::verify::{Check, GzipFault, LayerVerifier, VerifyError, VerifyOptions};
use regsight_core::{Digest, ErrorCode, MediaType};
use support::*;

const GZIP: MediaType = MediaType::OciLayerGzip;
const ZSTD: MediaType = MediaType::OciLayerZstd;
const PLAIN: MediaType = MediaType::OciLayerTar;

fn assert_verified(media_type: &MediaType, blob: &[u8], tar: &[u8]) {
    let diff_id = sha256sum(tar);
    let digest = sha256sum(blob);
    for chunk in [1, 7, 512, 65_536, blob.len()] {
        let r = verify_chunked(
            media_type,
            blob,
            &digest,
            blob.len() as u64,
            Some(&diff_id),
            VerifyOptions::default(),
            chunk,
        );
        assert_eq!(r.error, None, "{media_type} in chunks of {chunk}");
        assert!(r.verified);
        assert_eq!((r.digest, r.size, r.diff_id), (Check::Passed, Check::Passed, Check::Passed));
        assert_eq!(r.computed_digest.as_ref(), Some(&digest));
        assert_eq!(r.computed_diff_id.as_ref(), Some(&diff_id));
        assert_eq!(r.compressed_size, blob.len() as u64);
        assert_eq!(r.uncompressed_size, tar.len() as u64);
    }
}

#[test]
fn gzip_zstd_and_plain_layers_match_the_tools_answers() {
    let tar = sample_tar();
    assert_verified(&GZIP, &gzip(&tar), &tar);
    assert_verified(&MediaType::DockerLayerGzip, &run("gzip", &["-9", "-n", "-c"], &tar), &tar);
    assert_verified(&ZSTD, &zstd(&tar, &["-3"]), &tar);
    assert_verified(&ZSTD, &zstd(&tar, &["-19", "--no-check"]), &tar);
    assert_verified(&PLAIN, &tar, &tar);
    assert_verified(&MediaType::OciLayerNondistributableGzip, &gzip(&tar), &tar);
}

#[test]
fn gzip_header_fields_are_skipped() {
    // A member with FNAME, FCOMMENT... made by gzip itself from a named file.
    let dir = temp_dir("named");
    let tar = sample_tar();
    std::fs::write(dir.join("layer.tar"), &tar).expect("write");
    let path = dir.join("layer.tar");
    let blob = run("gzip", &["-c", path.to_str().expect("utf8")], b"");
    assert_eq!(blob[3] & 0x08, 0x08, "gzip stored the file name");
    assert_verified(&GZIP, &blob, &tar);
    // FEXTRA, FCOMMENT and FHCRC are rare; build one by hand around gzip's deflate data.
    let plain = gzip(&tar);
    let mut header = vec![0x1f, 0x8b, 8, 0x04 | 0x10 | 0x02, 0, 0, 0, 0, 0, 3];
    header.extend_from_slice(&[4, 0, b'a', b'b', 2, 0]);
    header.extend_from_slice(b"a comment\0");
    let crc = crc32(&header);
    header.extend_from_slice(&(crc as u16).to_le_bytes());
    header.extend_from_slice(&plain[10..]);
    assert_verified(&GZIP, &header, &tar);
    let _ = std::fs::remove_dir_all(&dir);
}

/// CRC-32 (IEEE), bitwise: independent of the verifier's table-driven crate.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[test]
fn concatenated_gzip_members_and_zstd_frames_are_one_layer() {
    let tar = sample_tar();
    let (a, b) = tar.split_at(123_457);
    let mut gz = gzip(a);
    gz.extend(gzip(b));
    gz.extend(gzip(b"")); // an empty member is still a member
    assert_verified(&GZIP, &gz, &tar);
    // `gzip -dc` agrees it is the same tar.
    assert_eq!(run("gzip", &["-dc"], &gz), tar);

    let mut zst = zstd(a, &[]);
    // A skippable frame between the two data frames.
    zst.extend_from_slice(&[0x5a, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);
    zst.extend(zstd(b, &["--no-check"]));
    assert_eq!(run("zstd", &["-dc"], &zst), tar);
    assert_verified(&ZSTD, &zst, &tar);
}

#[test]
fn wrong_digest_and_wrong_diff_id_are_reported_with_both_values() {
    let tar = sample_tar();
    let blob = gzip(&tar);
    let wrong = Digest::sha256_of(b"something else");
    let r = verify_chunked(
        &GZIP,
        &blob,
        &wrong,
        blob.len() as u64,
        Some(&sha256sum(&tar)),
        VerifyOptions::default(),
        4096,
    );
    assert_eq!((r.digest, r.diff_id), (Check::Failed, Check::Passed));
    assert!(matches!(&r.error, Some(VerifyError::DigestMismatch { expected, .. }) if *expected == wrong));
    assert_eq!(r.error.as_ref().map(VerifyError::code), Some(ErrorCode::DigestMismatch));

    let r = verify_whole(&GZIP, &blob, Some(&wrong), VerifyOptions::default());
    assert_eq!((r.digest, r.diff_id), (Check::Passed, Check::Failed));
    assert!(
        matches!(&r.error, Some(VerifyError::DiffIdMismatch { computed, .. }) if *computed == sha256sum(&tar))
    );
    assert!(!r.verified);

    let r = verify_whole(&GZIP, &blob, None, VerifyOptions::default());
    assert_eq!(r.diff_id, Check::NotChecked);
    assert!(r.verified);
    assert_eq!(r.computed_diff_id, Some(sha256sum(&tar)));
}

#[test]
fn a_stream_longer_than_declared_stops_at_once() {
    let tar = sample_tar();
    let blob = gzip(&tar);
    let declared = blob.len() as u64 - 10;
    let mut v =
        LayerVerifier::new(&GZIP, sha256sum(&blob), declared, None, VerifyOptions::default()).expect("gzip");
    v.update(&blob[..1000]).expect("first chunk fits");
    let err = v.update(&blob[1000..]).expect_err("too long");
    assert_eq!(err, VerifyError::TooLong { declared, received: blob.len() as u64 });
    assert_eq!(err.code(), ErrorCode::SizeMismatch);
    assert_eq!(v.update(b"").expect_err("stays stopped"), err);
    let r = v.finish();
    assert_eq!((r.size, r.digest, r.diff_id), (Check::Failed, Check::Incomplete, Check::NotChecked));
    assert_eq!(r.compressed_size, 1000);
    assert_eq!(r.computed_digest, None);
    assert_eq!(r.error, Some(err));
}

#[test]
fn a_stream_shorter_than_declared_fails_at_finish() {
    let tar = sample_tar();
    let blob = gzip(&tar);
    let digest = sha256sum(&blob);
    // The whole stream, but the descriptor claims more: digest still checked.
    let r = verify_chunked(
        &GZIP,
        &blob,
        &digest,
        blob.len() as u64 + 1,
        Some(&sha256sum(&tar)),
        VerifyOptions::default(),
        999,
    );
    assert_eq!(
        r.error,
        Some(VerifyError::TooShort { declared: blob.len() as u64 + 1, received: blob.len() as u64 })
    );
    assert_eq!((r.size, r.digest, r.diff_id), (Check::Failed, Check::Passed, Check::Passed));
    // A cut download: size first, and the diff_id cannot be known.
    let cut = &blob[..blob.len() / 2];
    let r = verify_chunked(
        &GZIP,
        cut,
        &digest,
        blob.len() as u64,
        Some(&sha256sum(&tar)),
        VerifyOptions::default(),
        999,
    );
    assert!(matches!(r.error, Some(VerifyError::TooShort { .. })));
    assert_eq!((r.size, r.digest, r.diff_id), (Check::Failed, Check::Failed, Check::Incomplete));
    assert_eq!(r.computed_diff_id, None);
}

#[test]
fn truncation_at_any_cut_point_is_never_verified() {
    let tar = sample_tar();
    for (media_type, blob) in
        [(GZIP, gzip(&tar)), (ZSTD, zstd(&tar, &[])), (ZSTD, zstd(&tar, &["--no-check"]))]
    {
        let len = blob.len();
        let mut cuts: Vec<usize> = (0..24).chain(len - 24..len).collect();
        cuts.extend((1..60).map(|i| len * i / 60));
        for cut in cuts {
            let part = &blob[..cut];
            // Declared size and digest match the cut blob: only the decoder can notice.
            let r = verify_whole(&media_type, part, None, VerifyOptions::default());
            let err = r.error.unwrap_or_else(|| panic!("{media_type} cut at {cut} of {len} verified"));
            assert_eq!(err.code(), ErrorCode::CorruptStream, "{media_type} cut at {cut}: {err}");
            assert!(matches!(err, VerifyError::Truncated { .. }), "{media_type} cut at {cut}: {err}");
            assert_eq!((r.digest, r.diff_id), (Check::Passed, Check::NotChecked));
            assert_eq!(r.computed_diff_id, None);
        }
    }
}

#[test]
fn flipped_bits_are_caught_as_corruption_or_mismatch() {
    let tar = sample_tar();
    let diff_id = sha256sum(&tar);
    for (media_type, blob) in [(GZIP, gzip(&tar)), (ZSTD, zstd(&tar, &[]))] {
        let len = blob.len();
        let positions: Vec<usize> = [
            0,
            1,
            2,
            3,
            4,
            8,
            9,
            10,
            11,
            20,
            100,
            len / 3,
            len / 2,
            len - 9,
            len - 8,
            len - 5,
            len - 4,
            len - 1,
        ]
        .into();
        for pos in positions {
            for bit in [0, 3, 7] {
                let mut bad = blob.clone();
                bad[pos] ^= 1 << bit;
                let r = verify_whole(&media_type, &bad, Some(&diff_id), VerifyOptions::default());
                // Some bits do not matter (gzip's FTEXT, MTIME, XFL and OS, padding after the final
                // deflate block, some zstd table bits): then the tar must come out intact.
                if r.verified {
                    assert_eq!(r.diff_id, Check::Passed);
                    let ignored = (4..10).contains(&pos) || (pos, bit) == (3, 0) || pos == len - 9;
                    assert!(media_type == ZSTD || ignored, "gzip bit {bit} at {pos} went unnoticed");
                    continue;
                }
                let err = r.error.expect("error");
                assert!(
                    matches!(
                        err.code(),
                        ErrorCode::CorruptStream | ErrorCode::DigestMismatch | ErrorCode::LimitExceeded
                    ),
                    "{media_type} bit {bit} at {pos}: {err}"
                );
            }
        }
    }
}

#[test]
fn a_tampered_blob_reports_its_digest_first_and_the_gzip_fault_second() {
    let tar = sample_tar();
    let blob = gzip(&tar);
    let (claimed, size) = (sha256sum(&blob), blob.len() as u64);
    let mut tampered = blob.clone();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 0x55;
    let diff_id = sha256sum(&tar);
    for chunk in [1, 7, 4096, tampered.len()] {
        let r =
            verify_chunked(&GZIP, &tampered, &claimed, size, Some(&diff_id), VerifyOptions::default(), chunk);
        // Every byte was read: the blob's digest is the primary fact, computed as sha256sum does.
        assert_eq!(r.compressed_size, size, "chunk {chunk}");
        assert_eq!(r.computed_digest.as_ref(), Some(&sha256sum(&tampered)), "chunk {chunk}");
        assert_eq!((r.digest, r.size, r.diff_id), (Check::Failed, Check::Passed, Check::Incomplete));
        assert_eq!(
            r.error,
            Some(VerifyError::DigestMismatch { expected: claimed.clone(), computed: sha256sum(&tampered) })
        );
        assert_eq!(r.other_errors.len(), 1, "chunk {chunk}: {:?}", r.other_errors);
        assert_eq!(r.other_errors[0].code(), ErrorCode::CorruptStream, "{:?}", r.other_errors);
        let summary = r.summary();
        assert_eq!(summary.error.as_ref().map(|e| e.code.as_str()), Some("DIGEST_MISMATCH"));
        assert_eq!(summary.other_errors[0].code, "CORRUPT_STREAM");
    }
}

#[test]
fn gzip_faults_are_named_precisely() {
    let tar = sample_tar();
    let blob = gzip(&tar);
    let len = blob.len();
    let fault = |edit: &dyn Fn(&mut Vec<u8>)| {
        let mut bad = blob.clone();
        edit(&mut bad);
        verify_whole(&GZIP, &bad, None, VerifyOptions::default()).error.expect("error")
    };
    assert_eq!(
        fault(&|b| b[0] = 0x1e),
        VerifyError::CorruptGzip { offset: 0, fault: GzipFault::BadMagic { found: [0x1e, 0x8b] } }
    );
    assert_eq!(
        fault(&|b| b[2] = 7),
        VerifyError::CorruptGzip { offset: 2, fault: GzipFault::BadMethod { method: 7 } }
    );
    assert_eq!(
        fault(&|b| b[3] = 0x20),
        VerifyError::CorruptGzip { offset: 3, fault: GzipFault::ReservedFlags { flags: 0x20 } }
    );
    assert!(
        matches!(fault(&|b| b[len - 8] ^= 1), VerifyError::CorruptGzip { fault: GzipFault::Crc { .. }, offset } if offset == len as u64 - 8)
    );
    assert!(
        matches!(fault(&|b| b[len - 1] ^= 1), VerifyError::CorruptGzip { fault: GzipFault::Isize { .. }, offset } if offset == len as u64 - 4)
    );
    // A stored block whose length check fails: invalid deflate data.
    let stored = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0x01, 5, 0, 5, 0, b'h', b'e', b'l', b'l', b'o'];
    let r = verify_whole(&GZIP, &stored, None, VerifyOptions::default());
    assert!(
        matches!(r.error, Some(VerifyError::CorruptGzip { fault: GzipFault::Deflate(_), offset: 10.. })),
        "{:?}",
        r.error
    );
    assert_eq!(
        verify_whole(&GZIP, b"", None, VerifyOptions::default()).error.map(|e| e.code()),
        Some(ErrorCode::CorruptStream)
    );
}

#[test]
fn trailing_bytes_after_the_last_member_or_frame_are_rejected() {
    let tar = sample_tar();
    for (media_type, blob, format) in [(GZIP, gzip(&tar), "gzip"), (ZSTD, zstd(&tar, &[]), "zstd")] {
        for tail in [&[0u8][..], b"\0\0\0\0\0\0\0\0", b"garbage", b"\x1f", b"\x1f\x8b\x08"] {
            let mut bad = blob.clone();
            bad.extend_from_slice(tail);
            let r = verify_whole(&media_type, &bad, None, VerifyOptions::default());
            let err = r.error.unwrap_or_else(|| panic!("{format} + {tail:?} verified"));
            assert_eq!(err.code(), ErrorCode::CorruptStream, "{format} + {tail:?}");
            if tail[0] != 0x1f {
                assert_eq!(
                    err,
                    VerifyError::TrailingGarbage { format, offset: blob.len() as u64 },
                    "{tail:?}"
                );
            }
        }
    }
}

#[test]
fn gzip_bomb_is_stopped_by_the_ratio_cap_quickly() {
    // 1 GiB of zeros through `gzip -1`, streamed: neither side holds 1 GiB.
    let bomb = {
        let mut child = std::process::Command::new("sh")
            .args(["-c", "head -c 1073741824 /dev/zero | gzip -1 -n -c"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("sh");
        let mut out = Vec::new();
        std::io::Read::read_to_end(child.stdout.as_mut().expect("stdout"), &mut out).expect("read");
        assert!(child.wait().expect("wait").success());
        out
    };
    assert!(bomb.len() < 8 << 20, "bomb is {} bytes", bomb.len());
    let started = std::time::Instant::now();
    let r = verify_chunked(
        &GZIP,
        &bomb,
        &sha256sum(&bomb),
        bomb.len() as u64,
        None,
        VerifyOptions::default(),
        1 << 16,
    );
    let declared = bomb.len() as u64;
    let limit = 100 * declared.max(1 << 20);
    assert_eq!(r.error, Some(VerifyError::RatioExceeded { max_ratio: 100, declared, limit }));
    assert_eq!(r.error.as_ref().map(VerifyError::code), Some(ErrorCode::LimitExceeded));
    assert!(r.uncompressed_size <= limit);
    // Decoding stopped at the cap; hashing went on, so the blob's digest is still known.
    assert_eq!(r.compressed_size, declared);
    assert_eq!(r.computed_digest.as_ref(), Some(&sha256sum(&bomb)));
    assert_eq!(r.digest, Check::Passed);
    assert_eq!(r.diff_id, Check::NotChecked);
    assert_eq!(r.computed_diff_id, None, "no diff_id for a layer that was not decoded to its end");
    assert!(started.elapsed().as_secs() < 20, "took {:?}", started.elapsed());

    // The absolute cap, when it is the tighter one.
    let options = VerifyOptions { max_uncompressed_size: 10 << 20, ..VerifyOptions::default() };
    let r = verify_chunked(&GZIP, &bomb, &sha256sum(&bomb), declared, None, options, 1 << 16);
    assert_eq!(r.error, Some(VerifyError::UncompressedTooLarge { limit: 10 << 20 }));
    assert_eq!(r.uncompressed_size, 10 << 20);
}

#[test]
fn zstd_window_above_the_cap_is_rejected_before_decoding() {
    let data = vec![7u8; 4096];
    // From a pipe zstd cannot size the input, so it keeps the 2^28-byte window --long=28 asks for.
    let blob = run("sh", &["-c", "head -c 4096 /dev/zero | zstd -q -c --long=28"], b"");
    let r = verify_whole(&ZSTD, &blob, None, VerifyOptions::default());
    assert_eq!(
        r.error,
        Some(VerifyError::ZstdWindowTooLarge { offset: 0, window: 1 << 28, limit: 128 << 20 })
    );
    let options = VerifyOptions { max_zstd_window: 1 << 28, ..VerifyOptions::default() };
    assert!(verify_whole(&ZSTD, &blob, None, options).verified);
    assert!(verify_whole(&ZSTD, &zstd(&data, &[]), None, VerifyOptions::default()).verified);
}

#[test]
fn zstd_faults_are_corrupt_streams() {
    let tar = sample_tar();
    let blob = zstd(&tar, &[]);
    let mut bad = blob.clone();
    bad[0] = 0x29;
    let r = verify_whole(&ZSTD, &bad, None, VerifyOptions::default());
    assert!(matches!(r.error, Some(VerifyError::CorruptZstd { offset: 0, .. })), "{:?}", r.error);
    // A hand-made frame: single segment, 5-byte content size, then a block of reserved type 3.
    let reserved = [0x28, 0xb5, 0x2f, 0xfd, 0x20, 5, 0x07, 0, 0];
    let r = verify_whole(&ZSTD, &reserved, None, VerifyOptions::default());
    assert!(
        matches!(&r.error, Some(VerifyError::CorruptZstd { offset: 6, reason }) if reason.contains("reserved")),
        "{:?}",
        r.error
    );
    // A frame whose content size does not match what it decodes to.
    let mut bad = zstd(&tar, &["--no-check", &format!("--stream-size={}", tar.len())]);
    assert_eq!(bad[4] & 0xc7, 0x80, "a 4-byte content size, no checksum, no dictionary");
    let single_segment = bad[4] & 0x20 != 0;
    bad[if single_segment { 5 } else { 6 }] ^= 1; // the content size's low byte
    let r = verify_whole(&ZSTD, &bad, None, VerifyOptions::default());
    assert!(
        matches!(&r.error, Some(VerifyError::CorruptZstd { reason, .. }) if reason.contains("declares")),
        "{:?}",
        r.error
    );
    // Without checksum or content size a damaged raw block decodes "fine": the diff_id catches it.
    let mut bad = zstd(&tar, &["--no-check"]);
    let last = bad.len() - 1;
    bad[last] ^= 0xff;
    let r = verify_whole(&ZSTD, &bad, Some(&sha256sum(&tar)), VerifyOptions::default());
    assert_eq!(r.error.map(|e| e.code()), Some(ErrorCode::DigestMismatch));
}

#[test]
fn unsupported_media_types_are_refused() {
    let digest = Digest::sha256_of(b"");
    let err = LayerVerifier::new(&MediaType::OciConfig, digest.clone(), 0, None, VerifyOptions::default())
        .err()
        .expect("config is not a layer");
    assert_eq!(err.code(), ErrorCode::Unsupported);
    assert!(
        LayerVerifier::new(&MediaType::DockerLayerForeignGzip, digest, 0, None, VerifyOptions::default())
            .is_ok()
    );
}

#[test]
fn report_serializes_in_camel_case_with_error_codes() {
    let tar = sample_tar();
    let blob = gzip(&tar);
    let r = verify_whole(&GZIP, &blob[..blob.len() - 3], None, VerifyOptions::default());
    let json = serde_json::to_value(&r).expect("json");
    assert_eq!(json["mediaType"], "application/vnd.oci.image.layer.v1.tar+gzip");
    assert_eq!(json["compression"], "gzip");
    assert_eq!(json["digest"], "passed");
    assert_eq!(json["diffId"], "notChecked");
    assert_eq!(json["error"]["code"], "CORRUPT_STREAM");
    assert!(json["error"]["message"].as_str().expect("message").contains("truncated"));
    assert_eq!(json["verified"], false);
    assert_eq!(json["compressedSize"], blob.len() - 3);
}

#[test]
fn progress_counts_both_sides() {
    let tar = sample_tar();
    let blob = gzip(&tar);
    let mut v =
        LayerVerifier::new(&GZIP, sha256sum(&blob), blob.len() as u64, None, VerifyOptions::default())
            .expect("gzip");
    v.update(&blob).expect("valid");
    let p = v.progress();
    assert_eq!(
        (p.received, p.uncompressed, p.declared),
        (blob.len() as u64, tar.len() as u64, blob.len() as u64)
    );
    assert!(v.finish().verified);
}
