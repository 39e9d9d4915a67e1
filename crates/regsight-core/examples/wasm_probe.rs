//! A cdylib over the core, built for `wasm32-unknown-unknown` by `cargo xtask test`
//! (`xtask/src/wasm_check.rs`), which fails if the `.wasm` imports anything from `env`: cheap
//! proof that the core is host-neutral (no clock, no I/O, no C), as quinn's CI proves it for
//! quinn-proto.
//!
//! Each export runs one part of the core over a small static image (one gzip layer made with
//! Python's `tarfile` and `gzip`, its OCI config and manifest), so that the code is linked in,
//! not dead-stripped. Every export takes a number from the caller so nothing can be folded at
//! compile time, and returns a small number an embedder could check.
//!
//! `#[unsafe(no_mangle)]` is what makes a function a wasm export, and the `unsafe_code` lint
//! counts it as unsafe code; hence the `allow` below, for this file only. It needs the crate's
//! lint level to be `deny`, not the workspace's `forbid` (see the crate's `Cargo.toml`). No
//! `unsafe` block is used.

#![allow(unsafe_code)]

use regsight_core::auth::{
    Action, BearerChallenge, Contact, CredentialStore, Credentials, HttpUrl, Password, Scope, ScopeSet,
    Session, UnixMillis, parse_challenges,
};
use regsight_core::platform::{Platform, select};
use regsight_core::{
    BaseUrl, ChainInput, Digest, Document, Endpoints, ImageId, LayerReport, LayerVerifier, Manifest,
    Reference, Verdict, VerifyOptions, next_link, parse_config, parse_manifest, verify_chain,
};

/// The layer: a ustar archive holding `etc/probe.txt`, gzip -9 with mtime 0.
const LAYER_GZ: &[u8] = &[
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xed, 0xd2, 0x31, 0x0a, 0x83, 0x40, 0x10,
    0x85, 0xe1, 0xa9, 0x73, 0x8a, 0x39, 0x81, 0x8e, 0x59, 0xf1, 0x3e, 0x26, 0xac, 0x58, 0x28, 0x1b, 0xd6,
    0x09, 0xc9, 0xf1, 0xb3, 0xda, 0x04, 0xec, 0x23, 0x01, 0xff, 0xaf, 0x79, 0xc3, 0x6b, 0x5e, 0x33, 0xd1,
    0xef, 0xf5, 0x23, 0xa7, 0x5b, 0xac, 0xfc, 0xed, 0xf2, 0x1b, 0x56, 0x74, 0x6d, 0xbb, 0x65, 0xb1, 0x4f,
    0xb3, 0x70, 0xfd, 0xde, 0x6b, 0xdf, 0x58, 0xe8, 0x82, 0xa8, 0xc9, 0x01, 0x9e, 0x8b, 0xf7, 0xb9, 0xcc,
    0xcb, 0x39, 0x8d, 0x71, 0x9a, 0x92, 0x0e, 0x39, 0xcd, 0xea, 0x63, 0xd4, 0x57, 0xbf, 0xcc, 0xba, 0xfd,
    0xc3, 0x45, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7f,
    0xec, 0x03, 0x24, 0x15, 0x13, 0x5c, 0x00, 0x28, 0x00, 0x00,
];

/// The image config naming the layer's diff_id.
const CONFIG: &str = r#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:5a23e260cbe3094479ba2b6680f765211221ea41429e21245051c067d42d2c59"]}}"#;

/// The OCI image manifest naming the config and the layer.
const MANIFEST: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:8c29220e6db8fc803c05bcd81c132fc3acf21a328205a43839a9d63db92953f1","size":151},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:aedb8b61b38a1e8fc02d87e43fe42e583aacb9f0aca24d79278067eb242af2a5","size":129}]}"#;

/// The manifest's digest, as `name@sha256:...` would pin it.
const PINNED: &str = "sha256:3d79a1da518a2ab6089142e02cb1510f3d14318c1c531bf74f1ee3ed876e4aff";

/// Parses `ghcr.io/regsight/probe:v<n>@<digest>`; returns the tag's length, or 0 if it failed.
#[unsafe(no_mangle)]
pub extern "C" fn probe_reference(n: u32) -> u32 {
    let text = format!("ghcr.io/regsight/probe:v{n}@{PINNED}");
    match Reference::parse(&text) {
        Ok(reference) => reference.tag().map_or(0, |tag| tag.len() as u32),
        Err(_) => 0,
    }
}

/// Parses the manifest; returns its layer count times `n`, or 0 if it failed.
#[unsafe(no_mangle)]
pub extern "C" fn probe_manifest(n: u32) -> u32 {
    match parse_manifest(MANIFEST.as_bytes(), Some("application/vnd.oci.image.manifest.v1+json")) {
        Ok(Manifest::Image(image)) => image.layers.len() as u32 * n,
        _ => 0,
    }
}

/// Parses a Bearer challenge asking for `n` repositories (at most 16); returns the number of
/// scopes, or 0 if it failed.
#[unsafe(no_mangle)]
pub extern "C" fn probe_challenge(n: u32) -> u32 {
    let scopes: Vec<String> = (0..n.min(16)).map(|i| format!("repository:probe/r{i}:pull")).collect();
    let header = format!(
        r#"Bearer realm="https://auth.example/token",service="registry.example",scope="{}""#,
        scopes.join(" ")
    );
    let Ok(challenges) = parse_challenges(&header) else { return 0 };
    let Ok(request) = HttpUrl::parse("https://registry.example/v2/") else { return 0 };
    challenges
        .first()
        .and_then(|c| BearerChallenge::from_challenge(c, &request).ok())
        .map_or(0, |b| b.scope.len() as u32)
}

/// Streams the gzip layer through the verifier in `chunk`-byte pieces (at least 1), tar listing
/// on; returns 1 if it verified.
#[unsafe(no_mangle)]
pub extern "C" fn probe_verify(chunk: u32) -> u32 {
    u32::from(verify_layer(chunk).is_some_and(|report| report.verified))
}

/// Verifies the whole chain (pin, manifest, config against an abbreviated image ID, the layer
/// streamed in `chunk`-byte pieces); returns 1 if the verdict is verified.
#[unsafe(no_mangle)]
pub extern "C" fn probe_chain(chunk: u32) -> u32 {
    let (Some(report), Ok(pinned)) = (verify_layer(chunk), PINNED.parse::<Digest>()) else { return 0 };
    let layers = [Some(report.summary())];
    // The image ID as `docker images` would show it: the config digest's first 12 hex digits.
    let image_id = "8c29220e6db8".parse::<ImageId>().ok();
    let chain = verify_chain(&ChainInput {
        pinned: Some(&pinned),
        index: None,
        index_entry: None,
        manifest: Document { bytes: MANIFEST.as_bytes(), content_type: None, header_digest: Some(PINNED) },
        config: Some(CONFIG.as_bytes()),
        layers: &layers,
        expected_image_id: image_id.as_ref(),
    });
    u32::from(chain.verdict == Verdict::Verified)
}

/// Drives an auth session through the anonymous token flow at time `now_secs`; returns 1 when
/// the registry request is finally sent with the token and answered.
#[unsafe(no_mangle)]
pub extern "C" fn probe_session(now_secs: u32) -> u32 {
    let now = UnixMillis(u64::from(now_secs) * 1000);
    let Ok(scope) = Scope::repository_pull("probe/app") else { return 0 };
    let url = "https://registry.example/v2/probe/app/manifests/v1";
    let Ok(mut session) = Session::new("https://registry.example", Credentials::Anonymous) else { return 0 };
    let Ok((mut attempt, Action::Send { authorization: None })) =
        session.start(url, ScopeSet::from(scope), now)
    else {
        return 0;
    };
    let challenge = r#"Bearer realm="https://registry.example/token",service="registry.example",scope="repository:probe/app:pull""#;
    let Ok(Action::FetchToken(request)) = session.handle_response(&mut attempt, 401, Some(challenge), now)
    else {
        return 0;
    };
    if !request.url().starts_with("https://registry.example/token?") {
        return 0;
    }
    let body = br#"{"token":"probe-token","expires_in":300}"#;
    let Ok(Action::Send { authorization: Some(header) }) =
        session.handle_token_response(&mut attempt, 200, body, now)
    else {
        return 0;
    };
    let answered = session.handle_response(&mut attempt, 200, None, now);
    u32::from(header.value() == "Bearer probe-token" && answered == Ok(Action::Done))
}

/// Builds endpoints (a mirror for docker.io), follows a relative `Link`, picks credentials for
/// the mirror; returns the number of path segments of the next page's URL, or 0 if a step failed.
#[unsafe(no_mangle)]
pub extern "C" fn probe_endpoint(page: u32) -> u32 {
    let mut endpoints = Endpoints::new();
    let Ok(mirror) = BaseUrl::resolve("/hub", "https://mirror.example/index.html") else { return 0 };
    if endpoints.set_base_url("docker.io", mirror).is_err() {
        return 0;
    }
    let Ok(reference) = Reference::parse("python:2.7") else { return 0 };
    let Ok(base) = endpoints.base_url(reference.registry()) else { return 0 };
    let mut store = CredentialStore::new();
    let Ok(password) = Password::new("probe", "secret") else { return 0 };
    if store.insert("docker.io", Credentials::Password(password)).is_err() {
        return 0;
    }
    let via_mirror = endpoints.is_overridden(reference.registry());
    let contact = Contact { base: &base, registry: reference.registry(), via_mirror };
    if store.for_contact(contact) != Credentials::Anonymous {
        return 0;
    }
    let tags = base.tags_list(&reference, Some(page), None);
    let link = format!(r#"</hub/v2/library/python/tags/list?n={page}&last=v{page}>; rel="next""#);
    match next_link(&link, &tags) {
        Ok(Some(next)) if next.same_origin => next.url.split('/').count() as u32,
        _ => 0,
    }
}

/// Chooses linux/arm64 from a two-entry index (entry sizes `n` and `n + 1`); returns the chosen
/// entry's size, or 0 if it failed.
#[unsafe(no_mangle)]
pub extern "C" fn probe_platform(n: u32) -> u32 {
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
        {{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{PINNED}","size":{n},"platform":{{"os":"linux","architecture":"amd64"}}}},
        {{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{PINNED}","size":{},"platform":{{"os":"linux","architecture":"arm64","variant":"v8"}}}}]}}"#,
        n + 1
    );
    let Ok(Manifest::Index(index)) = parse_manifest(index.as_bytes(), None) else { return 0 };
    let wanted = Platform::new("linux", "arm64", None);
    select(&index, &wanted).map_or(0, |entry| entry.size as u32)
}

/// The layer's report, checked against the manifest's descriptor and the config's diff_id.
fn verify_layer(chunk: u32) -> Option<LayerReport> {
    let Ok(Manifest::Image(image)) = parse_manifest(MANIFEST.as_bytes(), None) else { return None };
    let diff_id = parse_config(CONFIG.as_bytes()).ok()?.rootfs.diff_ids.first().cloned();
    let layer = image.layers.first()?;
    let options = VerifyOptions { listing: Some(Default::default()), ..VerifyOptions::default() };
    let mut verifier =
        LayerVerifier::new(&layer.media_type, layer.digest.clone(), layer.size, diff_id, options).ok()?;
    for piece in LAYER_GZ.chunks(chunk.max(1) as usize) {
        verifier.update(piece).ok()?;
    }
    Some(verifier.finish())
}

/// Natively, `cargo test` also runs this file's tests: every export must give its expected answer.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_probe_gives_its_answer() {
        assert_eq!(probe_reference(12), 3);
        assert_eq!(probe_manifest(5), 5);
        assert_eq!(probe_challenge(3), 3);
        assert_eq!(probe_session(1_700_000_000), 1);
        // https: / / mirror.example / hub / v2 / library / python / tags / list?…
        assert_eq!(probe_endpoint(50), 9);
        assert_eq!(probe_platform(7), 8);
        for chunk in [0, 1, 7, 64, 1 << 20] {
            assert_eq!(probe_verify(chunk), 1, "chunk {chunk}");
            assert_eq!(probe_chain(chunk), 1, "chunk {chunk}");
        }
    }
}
