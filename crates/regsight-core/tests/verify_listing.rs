//! The tar listing: GNU, PAX and ustar archives made by GNU tar, whiteouts, sparse files, caps,
//! and a table of malformed headers built by hand.

#[path = "verify_support.rs"]
mod support;

use regsight_core::reported::ReportedError;
use regsight_core::verify::{
    Check, EntryKind, ListingOptions, TarEntry, TarError, TarListing, TarWalker, VerifyOptions, Whiteout,
};
use regsight_core::{ErrorCode, MediaType};
use support::*;

fn listing_options() -> VerifyOptions {
    VerifyOptions { listing: Some(ListingOptions::default()), ..VerifyOptions::default() }
}

/// Lists `tar` through a gzip layer in small chunks, checking the digests along the way.
fn list(tar: &[u8]) -> TarListing {
    let blob = gzip(tar);
    let r = verify_chunked(
        &MediaType::OciLayerGzip,
        &blob,
        &sha256sum(&blob),
        blob.len() as u64,
        Some(&sha256sum(tar)),
        listing_options(),
        333,
    );
    assert!(r.verified, "{:?}", r.error);
    r.listing.expect("listing asked for")
}

fn find<'a>(listing: &'a TarListing, path: &str) -> &'a TarEntry {
    listing.entries.iter().find(|e| e.path == path).unwrap_or_else(|| {
        let paths: Vec<_> = listing.entries.iter().map(|e| &e.path).collect();
        panic!("{path} not in {paths:?}")
    })
}

/// A tree with long names, links, a fifo and whiteouts.
fn layer_tree() -> std::path::PathBuf {
    let dir = temp_dir("tree");
    let deep = format!("{}/{}", "d".repeat(60), "e".repeat(60));
    std::fs::create_dir_all(dir.join(&deep)).expect("mkdir");
    std::fs::write(dir.join(&deep).join(format!("{}.txt", "f".repeat(90))), b"long name\n").expect("write");
    std::fs::write(dir.join("file"), b"hello\n").expect("write");
    std::fs::hard_link(dir.join("file"), dir.join("hard")).expect("hard link");
    std::os::unix::fs::symlink("x".repeat(150), dir.join("longlink")).expect("symlink");
    std::os::unix::fs::symlink("file", dir.join("short")).expect("symlink");
    run("mkfifo", &[dir.join("pipe").to_str().expect("utf8")], b"");
    std::fs::create_dir_all(dir.join("etc/opaque")).expect("mkdir");
    std::fs::write(dir.join("etc/.wh.removed"), b"").expect("write");
    std::fs::write(dir.join("etc/opaque/.wh..wh..opq"), b"").expect("write");
    std::fs::write(dir.join(".wh.toplevel"), b"").expect("write");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.join("file"), std::fs::Permissions::from_mode(0o4755)).expect("chmod");
    dir
}

#[test]
fn gnu_and_pax_archives_list_the_same_entries() {
    let dir = layer_tree();
    let long_file = format!("./{}/{}/{}.txt", "d".repeat(60), "e".repeat(60), "f".repeat(90));
    for format in ["gnu", "pax"] {
        let tar = tar_of(&dir, format);
        let listing = list(&tar);
        assert!(listing.end_of_archive, "{format}");
        assert_eq!(listing.error, None, "{format}");
        assert!(!listing.truncated);
        assert_eq!(listing.total_entries, listing.entries.len() as u64);

        let long = find(&listing, &long_file);
        assert_eq!((long.kind, long.size), (EntryKind::File, 10), "{format}");
        assert_eq!(long.mtime, 1_700_000_000);

        let file = find(&listing, "./file");
        assert_eq!((file.kind, file.size, file.mode, file.uid, file.gid), (EntryKind::File, 6, 0o4755, 0, 0));
        let hard = find(&listing, "./hard");
        assert_eq!(
            (hard.kind, hard.link_target.as_deref()),
            (EntryKind::Hardlink, Some("./file")),
            "{format}"
        );
        let link = find(&listing, "./longlink");
        assert_eq!(link.kind, EntryKind::Symlink);
        assert_eq!(link.link_target.as_deref(), Some("x".repeat(150).as_str()), "{format}");
        assert_eq!(find(&listing, "./short").link_target.as_deref(), Some("file"));
        assert_eq!(find(&listing, "./pipe").kind, EntryKind::Fifo);
        assert_eq!(find(&listing, "./etc/").kind, EntryKind::Dir);

        assert_eq!(
            find(&listing, "./etc/.wh.removed").whiteout,
            Some(Whiteout::Remove { target: "./etc/removed".into() })
        );
        assert_eq!(
            find(&listing, "./etc/opaque/.wh..wh..opq").whiteout,
            Some(Whiteout::Opaque { dir: "./etc/opaque".into() })
        );
        assert_eq!(
            find(&listing, "./.wh.toplevel").whiteout,
            Some(Whiteout::Remove { target: "./toplevel".into() })
        );
        assert_eq!(file.whiteout, None);
        // GNU tar lists the same entries.
        let names = String::from_utf8(run("tar", &["-tf", "-"], &tar)).expect("utf8");
        let ours: Vec<&str> = listing.entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(names.lines().collect::<Vec<_>>(), ours, "{format}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ustar_prefix_and_pax_ids_are_read() {
    let dir = temp_dir("ustar");
    let deep = format!("{}/{}", "p".repeat(70), "q".repeat(70));
    std::fs::create_dir_all(dir.join(&deep)).expect("mkdir");
    std::fs::write(dir.join(&deep).join("name"), b"x").expect("write");
    let d = dir.to_str().expect("utf8");
    let tar = run(
        "tar",
        &["--format=ustar", "--owner=1234", "--group=99", "--numeric-owner", "-C", d, "-cf", "-", "."],
        b"",
    );
    let listing = list(&tar);
    assert_eq!(find(&listing, &format!("./{deep}/name")).uid, 1234);
    // PAX records override the header: an id too large for the 7-digit octal field.
    let tar = run(
        "tar",
        &["--format=pax", "--owner=3000000", "--group=4000000", "--numeric-owner", "-C", d, "-cf", "-", "."],
        b"",
    );
    let entry = find(&list(&tar), &format!("./{deep}/name")).clone();
    assert_eq!((entry.uid, entry.gid), (3_000_000, 4_000_000));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn gnu_and_pax_sparse_files_are_recognised() {
    let dir = temp_dir("sparse");
    let path = dir.join("sparse.img");
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = std::fs::File::create(&path).expect("create");
        f.write_all(b"start").expect("write");
        f.seek(SeekFrom::Start(50 << 20)).expect("seek");
        f.write_all(b"end").expect("write");
    }
    let d = dir.to_str().expect("utf8");
    for args in [
        &["--format=gnu", "--sparse"][..],
        &["--format=pax", "--sparse"],
        &["--format=pax", "--sparse", "--sparse-version=0.0"],
    ] {
        let mut all = args.to_vec();
        all.extend(["-C", d, "-cf", "-", "sparse.img"]);
        let tar = run("tar", &all, b"");
        assert!(tar.len() < 1 << 20, "{args:?}: stored sparsely");
        let listing = list(&tar);
        let entry = listing.entries.first().expect("one entry");
        assert_eq!(listing.entries.len(), 1, "{args:?}: {:?}", listing.entries);
        assert!(entry.sparse, "{args:?}");
        assert_eq!((entry.path.as_str(), entry.size), ("sparse.img", (50 << 20) + 3), "{args:?}");
        assert!(listing.end_of_archive && listing.error.is_none(), "{args:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn listing_caps_truncate_but_keep_counting() {
    let dir = layer_tree();
    let tar = tar_of(&dir, "pax");
    let full = list(&tar);
    for options in [
        ListingOptions { max_entries: 3, ..ListingOptions::default() },
        ListingOptions { max_path_bytes: 40, ..ListingOptions::default() },
    ] {
        let mut walker = TarWalker::new(options);
        walker.update(&tar);
        let capped = walker.finish();
        assert!(capped.truncated);
        assert_eq!(capped.total_entries, full.total_entries);
        assert!(capped.entries.len() < full.entries.len());
        assert_eq!(capped.entries[..], full.entries[..capped.entries.len()]);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A ustar header with a valid checksum, computed here independently of the walker.
fn header(name: &str, flag: u8, size: u64) -> [u8; 512] {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..107].copy_from_slice(b"0000644");
    h[108..115].copy_from_slice(b"0000000");
    h[116..123].copy_from_slice(b"0000000");
    h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
    h[136..147].copy_from_slice(b"00000000000");
    h[156] = flag;
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    seal(&mut h);
    h
}

/// Writes the checksum field of `h`.
fn seal(h: &mut [u8; 512]) {
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
}

/// An archive of `parts` (headers and data, padded to blocks) and the end marker.
fn archive(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in parts {
        out.extend_from_slice(part);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.extend_from_slice(&[0; 1024]);
    out
}

fn walk(tar: &[u8], chunk: usize) -> TarListing {
    let mut walker =
        TarWalker::new(ListingOptions { max_extended_header: 4096, ..ListingOptions::default() });
    for piece in tar.chunks(chunk) {
        walker.update(piece);
    }
    walker.finish()
}

#[test]
fn hand_made_headers_devices_base256_and_prefix() {
    let mut dev = header("dev/null", b'3', 0);
    dev[329..336].copy_from_slice(b"0000001");
    seal(&mut dev);
    let mut big = header("big", b'0', 0);
    // A base-256 size field: 3.
    big[124..136].copy_from_slice(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3]);
    seal(&mut big);
    let mut prefixed = header("name", b'0', 0);
    prefixed[345..351].copy_from_slice(b"prefix");
    seal(&mut prefixed);
    let tar = archive(&[&dev, &header("blk", b'4', 0), &big, b"abc", &prefixed, &header("vol", b'V', 0)]);
    for chunk in [1, 100, 512, tar.len()] {
        let l = walk(&tar, chunk);
        let kinds: Vec<_> = l.entries.iter().map(|e| (e.path.as_str(), e.kind, e.size)).collect();
        assert_eq!(
            kinds,
            [
                ("dev/null", EntryKind::CharDevice, 0),
                ("blk", EntryKind::BlockDevice, 0),
                ("big", EntryKind::File, 3),
                ("prefix/name", EntryKind::File, 0),
                ("vol", EntryKind::Other, 0),
            ]
        );
        assert!(l.end_of_archive && l.error.is_none());
    }
}

#[test]
fn malformed_headers_are_reported_with_offsets() {
    let file = header("file", b'0', 5);
    let mut bad_sum = header("bad", b'0', 0);
    bad_sum[0] = b'B';
    let mut bad_size = header("bad", b'0', 0);
    bad_size[124..136].copy_from_slice(b"12z456789012");
    seal(&mut bad_size);
    let huge_pax = header("pax", b'x', 5000);
    let mut pax_body = b"99 path=x\n".to_vec();
    pax_body.resize(512, 0);
    let bad_pax = header("pax", b'x', 10);
    let cases: Vec<(Vec<u8>, TarError)> = vec![
        (
            archive(&[&file, b"hello", &bad_sum]),
            TarError::BadChecksum {
                offset: 1024,
                stored: checksum_of(&bad_sum),
                computed: checksum_of(&bad_sum) - u64::from(b'b' - b'B'),
            },
        ),
        (archive(&[&bad_size]), TarError::BadNumber { offset: 0, field: "size" }),
        (archive(&[&huge_pax]), TarError::ExtendedHeaderTooLarge { offset: 0, size: 5000, limit: 4096 }),
        (archive(&[&bad_pax, &pax_body[..10]]), TarError::BadPaxRecord { offset: 0 }),
        (archive(&[&file, b"hel"])[..515].to_vec(), TarError::Truncated { offset: 515 }),
        (file.to_vec(), TarError::Truncated { offset: 512 }),
    ];
    for (i, (tar, expected)) in cases.iter().enumerate() {
        for chunk in [1, 7, tar.len()] {
            let l = walk(tar, chunk);
            assert_eq!(l.error, Some(ReportedError::from(expected)), "case {i} chunk {chunk}");
        }
        let code = expected.code();
        let expected_code = if i == 2 { ErrorCode::LimitExceeded } else { ErrorCode::CorruptStream };
        assert_eq!(code, expected_code);
    }
    // An archive cut at a header boundary has no error, but no end marker either.
    let l = walk(&archive(&[&file, b"hello"])[..1024], 100);
    assert_eq!((l.error, l.end_of_archive, l.total_entries), (None, false, 1));
}

/// The checksum stored in a sealed header.
fn checksum_of(h: &[u8; 512]) -> u64 {
    let text = std::str::from_utf8(&h[148..154]).expect("octal");
    u64::from_str_radix(text, 8).expect("octal")
}

#[test]
fn a_corrupt_tar_header_does_not_change_the_digests() {
    let mut tar = sample_tar();
    tar[0] ^= 0x20; // first header's name: its checksum no longer matches
    let blob = gzip(&tar);
    let plain =
        verify_whole(&MediaType::OciLayerGzip, &blob, Some(&sha256sum(&tar)), VerifyOptions::default());
    let listed = verify_whole(&MediaType::OciLayerGzip, &blob, Some(&sha256sum(&tar)), listing_options());
    assert!(plain.verified && listed.verified);
    assert_eq!((listed.digest, listed.diff_id), (Check::Passed, Check::Passed));
    assert_eq!(plain.computed_diff_id, listed.computed_diff_id);
    let listing = listed.listing.expect("listing");
    let error = listing.error.clone().expect("a listing error");
    assert!(error.message.starts_with("tar header at byte 0 has checksum"), "{error:?}");
    let json = serde_json::to_value(&listing).expect("json");
    assert_eq!(json["error"]["code"], "CORRUPT_STREAM");
    assert_eq!(json["endOfArchive"], false);
}
