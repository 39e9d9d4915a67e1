//! Properties of the core's entry points over arbitrary and generated input, the stable companion
//! of the cargo-fuzz targets in `fuzz/` (see the "Fuzzing" section of NOTES.md): nothing panics and
//! every error has a code its entry point may give; round trips hold where they exist (a parsed
//! reference re-parses from its printed forms, a digest from its Display, documents from their
//! serialization, headers from their rendering); compressing bytes with flate2 or ruzstd and
//! verifying yields their sha256 as diff_id; and the verifier's report does not depend on how the
//! blob is cut into chunks.
//!
//! Deterministic for CI: a fixed seed and no failure files. Expected digests are computed with
//! `sha2` directly, never with the core's own hasher. Generators keep clear of the core bugs the
//! fuzz targets found (NOTES.md, "Fuzzing"); their exact inputs are regression tests at the end.

use std::collections::BTreeMap;
use std::io::Write as _;

use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use regsight_core::auth::{
    BearerChallenge, BearerToken, ChallengeError, HttpUrl, ScopeSet, TokenResponse, parse_challenges,
};
use regsight_core::model::{
    Catalog, History, ImageConfig, ImageManifest, Index, Manifest, RootFs, RunConfig, TagList, parse_catalog,
    parse_config, parse_manifest, parse_tag_list,
};
use regsight_core::platform::Platform;
use regsight_core::verify::{LayerReport, LayerVerifier, ListingOptions, VerifyError, VerifyOptions};
use regsight_core::{
    Algorithm, BaseUrl, Check, Descriptor, Digest, ErrorCode, MediaType, Reference, next_link,
};
use sha2::Digest as _;

/// A fixed seed and no persisted failures, so every run tries the same cases.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(0x7265_6773_6967_6874),
        ..ProptestConfig::default()
    }
}

fn sha256(bytes: &[u8]) -> Digest {
    Digest::new(Algorithm::Sha256, &hex::encode(sha2::Sha256::digest(bytes))).expect("sha2 gives hex")
}

fn sha512(bytes: &[u8]) -> Digest {
    Digest::new(Algorithm::Sha512, &hex::encode(sha2::Sha512::digest(bytes))).expect("sha2 gives hex")
}

/// An error's code is one of `allowed`, and it says something.
fn assert_error(code: ErrorCode, error: &impl std::fmt::Display, allowed: &[ErrorCode]) {
    let message = error.to_string();
    assert!(allowed.contains(&code), "code {code} is not one of {allowed:?}: {message}");
    assert!(!message.trim().is_empty(), "an error with code {code} says nothing");
}

const RESPONSE_CODES: &[ErrorCode] = &[ErrorCode::InvalidResponse, ErrorCode::LimitExceeded];

// ---------------------------------------------------------------------------------------------
// References and digests

/// Text that is mostly made of what references are made of, with a few hostile characters.
fn reference_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9._:/@\\[\\]-]{0,48}",
        "(docker\\.io/|localhost:[0-9]{1,6}/|[a-z]{1,3}\\.[a-z]{1,3}/)?[a-z0-9._/-]{1,24}(:[\\w.-]{1,8})?(@sha(256|512|1):[0-9a-f]{0,70})?",
        any::<String>(),
    ]
}

/// One repository path component: lower-case runs joined by `.`, `_`, `__` or dashes.
fn component(dots: bool) -> impl Strategy<Value = String> {
    let separator = if dots { "(\\.|_|__|-{1,3})" } else { "(_|__|-{1,3})" };
    regex(&format!("[a-z0-9]{{1,6}}({separator}[a-z0-9]{{1,6}}){{0,2}}"))
}

/// Strings matching a pattern built at run time.
fn regex(pattern: &str) -> impl Strategy<Value = String> + use<> {
    proptest::string::string_regex(pattern).expect("a valid pattern")
}

/// A registry the reference grammar accepts and that has an endpoint: ports 1-65535 and a real
/// IPv6 address (finding `registry-without-endpoint`), at most a DNS name's length (finding
/// `printed-over-cap`).
fn registry() -> impl Strategy<Value = Option<String>> {
    let label = "[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?";
    prop_oneof![
        Just(None),
        Just(Some("docker.io".to_owned())),
        Just(Some("index.docker.io".to_owned())),
        Just(Some("localhost".to_owned())),
        (1..=65535u32).prop_map(|port| Some(format!("localhost:{port}"))),
        (regex(&format!("{label}(\\.{label}){{1,3}}")), prop::option::of(1..=65535u32))
            .prop_map(|(host, port)| Some(port.map_or(host.clone(), |p| format!("{host}:{p}")))),
        "[A-Z][a-zA-Z0-9]{0,5}".prop_map(Some),
        (0..=255u8, 1..=65535u32).prop_map(|(last, port)| Some(format!("127.0.0.{last}:{port}"))),
        prop_oneof![Just("::1"), Just("2001:db8::1"), Just("fe80::a:b")]
            .prop_map(|ip| Some(format!("[{ip}]:5000"))),
    ]
}

/// A reference written from parts the grammar accepts, and the parts.
#[derive(Debug, Clone)]
struct Written {
    text: String,
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

fn written_reference() -> impl Strategy<Value = Written> {
    let digest = prop::option::of((any::<bool>(), prop::collection::vec(any::<u8>(), 0..8)))
        .prop_map(|d| d.map(|(long, bytes)| if long { sha512(&bytes) } else { sha256(&bytes) }));
    let tag =
        prop::option::of(prop_oneof!["[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", "[A-Za-z0-9_][A-Za-z0-9_.-]{127}",]);
    // The first component has no `.` (finding `familiar-reads-as-registry`) and is not `localhost`.
    let first = component(false).prop_filter("localhost names a registry", |c| c != "localhost");
    let rest = prop::collection::vec(component(true), 0..4);
    (registry(), first, rest, tag, digest).prop_map(|(registry, first, rest, tag, digest)| {
        let path: Vec<String> = std::iter::once(first).chain(rest).collect();
        let mut text = registry.as_ref().map_or(String::new(), |r| format!("{r}/"));
        text.push_str(&path.join("/"));
        if let Some(tag) = &tag {
            text.push(':');
            text.push_str(tag);
        }
        if let Some(digest) = &digest {
            text.push('@');
            text.push_str(&digest.to_string());
        }
        let hub = matches!(registry.as_deref(), None | Some("docker.io" | "index.docker.io"));
        let repository = if hub && path.len() == 1 { format!("library/{}", path[0]) } else { path.join("/") };
        let registry = if hub { "docker.io".to_owned() } else { registry.unwrap_or_default() };
        let tag = tag.or_else(|| digest.is_none().then(|| "latest".to_owned()));
        Written { text, registry, repository, tag, digest }
    })
}

/// What holds of every parsed reference: its printed forms read back as itself.
fn assert_reads_back(reference: &Reference) {
    let canonical = reference.canonical();
    assert_eq!(reference.to_string(), canonical);
    assert_eq!(Reference::parse(&canonical).as_ref(), Ok(reference), "canonical {canonical:?}");
    let familiar = reference.familiar();
    assert_eq!(Reference::parse(&familiar).as_ref(), Ok(reference), "familiar {familiar:?}");
}

/// Whether the familiar form of `reference` hits finding `familiar-reads-as-registry`: a Hub
/// reference whose first path component would read as a registry once `docker.io/` is dropped.
fn familiar_misread(reference: &Reference) -> bool {
    reference.registry() == "docker.io"
        && reference
            .repository()
            .split('/')
            .next()
            .is_some_and(|first| first.contains('.') || first == "localhost")
}

proptest! {
    #![proptest_config(config(2048))]

    #[test]
    fn any_text_parses_as_a_reference_or_fails_with_a_code(input in reference_like()) {
        match Reference::parse(&input) {
            // Past finding `familiar-reads-as-registry` only the canonical form is checked.
            Ok(reference) if familiar_misread(&reference) => {
                prop_assert_eq!(Reference::parse(&reference.canonical()), Ok(reference));
            }
            Ok(reference) => assert_reads_back(&reference),
            Err(error) => assert_error(error.code(), &error, &[ErrorCode::InvalidReference, ErrorCode::Unsupported]),
        }
    }

    #[test]
    fn any_text_parses_as_a_digest_that_prints_as_it_was_written(input in prop_oneof![
        "(sha256|sha512|sha384|SHA256|)(:)?[0-9a-fA-F]{0,130}",
        any::<String>(),
    ]) {
        match input.parse::<Digest>() {
            Ok(digest) => prop_assert_eq!(digest.to_string(), input),
            Err(error) => assert_error(error.code(), &error, &[ErrorCode::InvalidResponse, ErrorCode::Unsupported]),
        }
    }
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn written_references_parse_to_their_parts_and_round_trip(written in written_reference()) {
        let reference = Reference::parse(&written.text).map_err(|e| TestCaseError::fail(format!("{:?}: {e}", written.text)))?;
        prop_assert_eq!(reference.registry(), written.registry.as_str());
        prop_assert_eq!(reference.repository(), written.repository.as_str());
        prop_assert_eq!(reference.tag(), written.tag.as_deref());
        prop_assert_eq!(reference.digest(), written.digest.as_ref());
        assert_reads_back(&reference);
        let pin = sha256(written.text.as_bytes());
        let pinned = reference.pinned_to(pin.clone());
        prop_assert_eq!(Reference::parse(&pinned.canonical()), Ok(pinned));
        // Its registry has an endpoint, and every URL built from it passes the URL parser.
        let base = BaseUrl::for_registry(reference.registry()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for url in [base.manifest(&reference), base.blob(&reference, &pin), base.tags_list(&reference, Some(10), reference.tag())] {
            prop_assert!(HttpUrl::parse(&url).is_ok(), "{}", url);
            prop_assert!(url.starts_with(&format!("{base}/v2/{}/", reference.repository())), "{}", url);
        }
    }

    #[test]
    fn a_digest_reads_back_from_its_display(sha512_wanted in any::<bool>(), bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let digest = if sha512_wanted { sha512(&bytes) } else { sha256(&bytes) };
        let text = digest.to_string();
        prop_assert_eq!(text.parse::<Digest>(), Ok(digest.clone()));
        prop_assert_eq!(Digest::new(digest.algorithm(), digest.hex()), Ok(digest.clone()));
        prop_assert_eq!(digest.check(&bytes).result(), Check::Passed);
        let json = serde_json::to_string(&digest).expect("a digest serializes");
        prop_assert_eq!(serde_json::from_str::<Digest>(&json).expect("and reads back"), digest);
    }
}

// ---------------------------------------------------------------------------------------------
// WWW-Authenticate, token answers, Link headers

const CHALLENGED: &str = "https://registry.example:5000/v2/library/alpine/manifests/latest";

/// A parameter value as a quoted string, escaping `"` and `\`.
fn quoted(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

proptest! {
    #![proptest_config(config(2048))]

    #[test]
    fn any_challenge_header_parses_or_fails_with_a_code(header in prop_oneof![
        "(Bearer|Basic|bearer|Negotiate)?[ ,]{0,2}([a-z_]{1,8}(=|= )?(\"[^\"]{0,12}\"?|[a-zA-Z0-9/:.=]{0,10})[ ,]{0,3}){0,4}",
        any::<String>(),
    ]) {
        let request = HttpUrl::parse(CHALLENGED).expect("fixed URL");
        match parse_challenges(&header) {
            Ok(challenges) => {
                for challenge in &challenges {
                    match BearerChallenge::from_challenge(challenge, &request) {
                        Ok(bearer) => prop_assert!(HttpUrl::parse(bearer.realm.as_str()).is_ok()),
                        Err(ChallengeError::WrongScheme { .. }) => prop_assert!(!challenge.is_scheme("bearer")),
                        Err(error) => assert_error(error.code(), &error, RESPONSE_CODES),
                    }
                }
            }
            Err(error) => assert_error(error.code(), &error, RESPONSE_CODES),
        }
    }

    #[test]
    fn a_rendered_bearer_challenge_reads_back(
        segments in prop::collection::vec("[a-z0-9_-]{1,8}", 0..4),
        absolute in any::<bool>(),
        service in "[ -~]{0,24}",
        scopes in prop::collection::btree_map("[a-z0-9]{1,6}(/[a-z0-9._-]{1,6}){0,2}", prop::sample::subsequence(vec!["pull", "push", "delete", "*"], 1..=4), 0..4),
        description in prop::option::of("[ -~\t]{0,24}"),
        space in prop_oneof![Just(""), Just(" "), Just("\t ")],
    ) {
        let path: String = segments.iter().map(|s| format!("/{s}")).collect();
        let realm = if absolute { format!("https://auth.example{path}") } else { format!("{path}/token") };
        let scope_text: Vec<String> = scopes.iter().map(|(name, actions)| format!("repository:{name}:{}", actions.join(","))).collect();
        let mut header = format!("Bearer realm={},{space}service={}", quoted(&realm), quoted(&service));
        if !scope_text.is_empty() {
            header.push_str(&format!(",scope={}", quoted(&scope_text.join(" "))));
        }
        if let Some(description) = &description {
            header.push_str(&format!(",{space}error=invalid_token,error_description={}", quoted(description)));
        }
        let challenges = parse_challenges(&header).map_err(|e| TestCaseError::fail(format!("{header:?}: {e}")))?;
        prop_assert_eq!(challenges.len(), 1);
        let request = HttpUrl::parse(CHALLENGED).expect("fixed URL");
        let bearer = BearerChallenge::from_challenge(&challenges[0], &request).map_err(|e| TestCaseError::fail(format!("{header:?}: {e}")))?;
        let expected_realm = if absolute { realm.clone() } else { format!("https://registry.example:5000{realm}") };
        let expected_realm = if expected_realm.ends_with("example") { format!("{expected_realm}/") } else { expected_realm };
        prop_assert_eq!(bearer.realm.as_str(), expected_realm.as_str());
        prop_assert_eq!(bearer.service.as_deref(), Some(service.as_str()));
        prop_assert_eq!(&bearer.scope, &ScopeSet::parse(&scope_text.join(" ")).expect("generated scopes"));
        prop_assert_eq!(bearer.scope.len(), scopes.len());
        prop_assert_eq!(bearer.error_description, description);
        prop_assert_eq!(ScopeSet::parse(&bearer.scope.to_string()), Ok(bearer.scope));
    }

    #[test]
    fn any_token_answer_parses_or_fails_with_a_code(body in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        "\\{(\"(token|access_token|expires_in|issued_at|refresh_token)\":(\"[ -~]{0,30}\"|-?[0-9]{1,22}(\\.[0-9]{1,3})?|null|\\[\\]),?){0,4}\\}"
            .prop_map(String::into_bytes),
    ]) {
        match TokenResponse::parse(&body) {
            Ok(response) => {
                prop_assert!(BearerToken::new(response.token.as_str()).is_ok());
                prop_assert!((60..=86_400).contains(&response.lifetime_secs()));
            }
            Err(error) => assert_error(error.code(), &error, RESPONSE_CODES),
        }
    }

    #[test]
    fn a_token_answer_reads_back(token in "[!-~]{1,64}", expires_in in prop::option::of(any::<i64>()), access in any::<bool>()) {
        let mut body = serde_json::Map::new();
        body.insert(if access { "access_token" } else { "token" }.to_owned(), token.clone().into());
        if let Some(seconds) = expires_in {
            body.insert("expires_in".to_owned(), seconds.into());
        }
        let bytes = serde_json::to_vec(&body).expect("json");
        let response = TokenResponse::parse(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(response.token.as_str(), token.as_str());
        let lifetime = expires_in.map_or(60, |s| u64::try_from(s).unwrap_or(0).clamp(60, 86_400));
        prop_assert_eq!(response.lifetime_secs(), lifetime);
    }
}

const PAGE: &str = "https://registry.example/v2/library/alpine/tags/list?n=100";

proptest! {
    #![proptest_config(config(2048))]

    #[test]
    fn any_link_header_parses_or_fails_with_a_code(header in prop_oneof![
        "(<[a-zA-Z0-9/:?&=.%#-]{0,24}>)?( ?; ?[a-z]{1,5}(=\"?[a-z ]{0,8}\"?)?){0,3}(, ?)?",
        any::<String>(),
    ]) {
        match next_link(&header, PAGE) {
            Ok(Some(next)) => {
                let url = HttpUrl::parse(&next.url).map_err(|e| TestCaseError::fail(format!("{next:?}: {e}")))?;
                prop_assert_eq!(url.normalized(), next.url.clone());
                prop_assert_ne!(next.url.as_str(), PAGE);
            }
            Ok(None) => {}
            Err(error) => assert_error(error.code(), &error, &[ErrorCode::InvalidResponse]),
        }
    }

    #[test]
    fn a_rendered_next_link_reads_back(
        last in "[a-zA-Z0-9_.-]{1,16}",
        n in 1..10_000u32,
        origin in prop_oneof![Just(""), Just("https://registry.example"), Just("https://cdn.example:8443"), Just("http://registry.example")],
        before in prop::option::of("[a-z]{1,8}".prop_filter("another rel", |rel| rel != "next")),
    ) {
        let target = format!("{origin}/v2/library/alpine/tags/list?n={n}&last={last}");
        let mut header = String::new();
        if let Some(rel) = &before {
            header.push_str(&format!("</v2/other>; rel=\"{rel}\", "));
        }
        header.push_str(&format!("<{target}>; rel=\"next\""));
        let next = next_link(&header, PAGE).map_err(|e| TestCaseError::fail(format!("{header:?}: {e}")))?;
        let next = next.ok_or_else(|| TestCaseError::fail(format!("no next link in {header:?}")))?;
        let expected = if origin.is_empty() { format!("https://registry.example{target}") } else { target };
        prop_assert_eq!(&next.url, &expected);
        prop_assert_eq!(next.same_origin, origin.is_empty() || origin == "https://registry.example");
    }
}

// ---------------------------------------------------------------------------------------------
// Registry documents

const MANIFEST_TYPES: &[Option<&str>] = &[
    None,
    Some("application/json"),
    Some("application/vnd.oci.image.manifest.v1+json"),
    Some("application/vnd.oci.image.index.v1+json"),
    Some("application/vnd.docker.distribution.manifest.v2+json"),
    Some("application/vnd.docker.distribution.manifest.list.v2+json"),
    Some("application/vnd.docker.distribution.manifest.v1+prettyjws"),
    Some("application/vnd.oci.image.config.v1+json"),
];

/// JSON-ish bytes: keys the documents have, values of every type.
fn json_like() -> impl Strategy<Value = Vec<u8>> {
    let key = "(schemaVersion|mediaType|config|layers|manifests|fsLayers|signatures|digest|size|rootfs|diff_ids|history|tags|repositories|name|platform|annotations)";
    let value = "(2|1|-1|1\\.5|null|true|\"\"|\"sha256:[0-9a-f]{0,64}\"|\"application/vnd\\.oci\\.image\\.[a-z]{5,8}\\.v1\\+json\"|\\[\\]|\\{\\}|\\[\"a\"\\]|\\[\\{\\}\\])";
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..96),
        regex(&format!("\\{{(\"{key}\":{value},?){{0,6}}\\}}")).prop_map(String::into_bytes),
    ]
}

fn descriptor() -> impl Strategy<Value = Descriptor> {
    let media_type = prop_oneof![
        Just(MediaType::OciLayerGzip),
        Just(MediaType::OciLayerZstd),
        Just(MediaType::DockerLayerGzip),
        Just(MediaType::OciManifest),
        "[a-z]{1,8}/[a-z.+-]{1,12}".prop_map(|t| MediaType::parse(&t)),
    ];
    let platform = prop::option::of(("[a-z0-9]{1,8}", "[a-z0-9]{1,8}", prop::option::of("v[0-9]")).prop_map(
        |(os, architecture, variant)| Platform { os, architecture, variant, ..Platform::default() },
    ));
    (
        media_type,
        prop::collection::vec(any::<u8>(), 0..4),
        0..=i64::MAX as u64,
        prop::collection::vec("https://[a-z]{1,8}\\.example/[a-z]{0,8}", 0..2),
        prop::collection::btree_map("[a-z.]{1,12}", "[ -~]{0,12}", 0..3),
        platform,
    )
        .prop_map(|(media_type, seed, size, urls, annotations, platform)| Descriptor {
            media_type,
            digest: sha256(&seed),
            size,
            urls,
            annotations,
            platform,
            artifact_type: None,
        })
}

fn annotations() -> impl Strategy<Value = BTreeMap<String, String>> {
    prop::collection::btree_map("[a-z.]{1,16}", any::<String>(), 0..3)
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn any_bytes_decode_as_documents_or_fail_with_a_code(bytes in json_like()) {
        for content_type in MANIFEST_TYPES {
            match parse_manifest(&bytes, *content_type) {
                Ok(manifest) => {
                    let t = manifest.media_type();
                    prop_assert!(t.is_image_manifest() || t.is_index() || t.is_schema1(), "{}", t);
                }
                Err(error) => assert_error(error.code(), &error, RESPONSE_CODES),
            }
        }
        if let Err(error) = parse_config(&bytes) {
            assert_error(error.code(), &error, RESPONSE_CODES);
        }
        if let Err(error) = parse_tag_list(&bytes) {
            assert_error(error.code(), &error, RESPONSE_CODES);
        }
        if let Err(error) = parse_catalog(&bytes) {
            assert_error(error.code(), &error, RESPONSE_CODES);
        }
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn an_image_manifest_reads_back_from_its_serialization(
        docker in any::<bool>(),
        config in descriptor(),
        layers in prop::collection::vec(descriptor(), 0..5),
        subject in prop::option::of(descriptor()),
        annotations in annotations(),
        artifact in prop::option::of("[a-z]{1,8}/[a-z.+]{1,16}"),
    ) {
        let media_type = if docker { MediaType::DockerManifest } else { MediaType::OciManifest };
        let manifest = ImageManifest {
            schema_version: 2,
            media_type: media_type.clone(),
            config,
            layers,
            subject,
            annotations,
            artifact_type: artifact.map(|a| MediaType::parse(&a)),
        };
        let bytes = serde_json::to_vec(&manifest).expect("json");
        let expected = Manifest::Image(manifest);
        prop_assert_eq!(parse_manifest(&bytes, Some(media_type.as_str())), Ok(expected.clone()));
        prop_assert_eq!(parse_manifest(&bytes, None), Ok(expected));
    }

    #[test]
    fn an_index_reads_back_from_its_serialization(
        docker in any::<bool>(),
        manifests in prop::collection::vec(descriptor(), 0..6),
        annotations in annotations(),
    ) {
        let media_type = if docker { MediaType::DockerManifestList } else { MediaType::OciIndex };
        let index = Index {
            schema_version: 2,
            media_type: media_type.clone(),
            manifests,
            subject: None,
            annotations,
            artifact_type: None,
        };
        let bytes = serde_json::to_vec(&index).expect("json");
        let expected = Manifest::Index(index);
        prop_assert_eq!(parse_manifest(&bytes, Some(media_type.as_str())), Ok(expected.clone()));
        prop_assert_eq!(parse_manifest(&bytes, Some("application/json")), Ok(expected));
    }

    #[test]
    fn a_config_tag_list_and_catalog_read_back_from_their_serialization(
        os in "[a-z]{0,8}",
        architecture in "[a-z0-9]{0,8}",
        variant in prop::option::of("v[0-9]"),
        diff_ids in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..4), 0..4),
        env in prop::collection::vec("[A-Z]{1,4}=[ -~]{0,8}", 0..3),
        cmd in prop::option::of(prop::collection::vec(any::<String>(), 0..3)),
        ports in prop::collection::btree_set("[0-9]{1,5}/(tcp|udp)", 0..3),
        history in prop::collection::vec((prop::option::of("[ -~]{0,16}"), any::<bool>()), 0..5),
        name in any::<String>(),
        tags in prop::collection::vec(any::<String>(), 0..6),
    ) {
        let config = ImageConfig {
            architecture,
            os,
            variant,
            config: Some(RunConfig { env, cmd, exposed_ports: ports, ..RunConfig::default() }),
            rootfs: RootFs { kind: "layers".to_owned(), diff_ids: diff_ids.iter().map(|b| sha256(b)).collect() },
            history: history
                .into_iter()
                .map(|(created_by, empty_layer)| History { created_by, empty_layer, ..History::default() })
                .collect(),
            ..ImageConfig::default()
        };
        let bytes = serde_json::to_vec(&config).expect("json");
        prop_assert_eq!(parse_config(&bytes), Ok(config));

        let list = TagList { name, tags: tags.clone() };
        prop_assert_eq!(parse_tag_list(&serde_json::to_vec(&list).expect("json")), Ok(list));
        let page = Catalog { repositories: tags };
        prop_assert_eq!(parse_catalog(&serde_json::to_vec(&page).expect("json")), Ok(page));
    }
}

// ---------------------------------------------------------------------------------------------
// The layer verifier

/// Small caps, as in the fuzz target: nothing here can take much memory or time.
fn verify_options() -> VerifyOptions {
    VerifyOptions {
        max_uncompressed_size: 4 << 20,
        ratio_floor: 64 << 10,
        max_zstd_window: 8 << 20,
        output_buffer_size: 1024,
        listing: Some(ListingOptions {
            max_entries: 64,
            max_path_bytes: 4 << 10,
            max_extended_header: 4 << 10,
        }),
        ..VerifyOptions::default()
    }
}

/// Verifies `blob` as a `media_type` layer declared at its own size and digest, fed in chunks of
/// `sizes` (cycled; 0 is an empty update).
fn verify(media_type: &MediaType, blob: &[u8], diff_id: Option<Digest>, sizes: &[usize]) -> LayerReport {
    let mut verifier =
        LayerVerifier::new(media_type, sha256(blob), blob.len() as u64, diff_id, verify_options())
            .expect("a layer media type");
    let mut rest = blob;
    for size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at((*size).min(rest.len()));
        rest = tail;
        verifier.update(chunk).expect("never longer than declared");
    }
    verifier.finish()
}

fn chunk_sizes() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(prop_oneof![Just(0usize), 1..4usize, 1..600usize, 1..40_000usize], 1..8)
        .prop_filter("must make progress", |s| s.iter().any(|&n| n > 0))
}

fn gzip(data: &[u8], level: u32) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
    encoder.write_all(data).expect("in memory");
    encoder.finish().expect("in memory")
}

fn zstd(data: &[u8], compress: bool) -> Vec<u8> {
    use ruzstd::encoding::{CompressionLevel, compress_to_vec};
    let level = if compress { CompressionLevel::Fastest } else { CompressionLevel::Uncompressed };
    compress_to_vec(data, level)
}

/// Data worth compressing: random bytes, runs, and repeated text, mixed.
fn layer_data() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..300),
            (any::<u8>(), 0..20_000usize).prop_map(|(b, n)| vec![b; n]),
            ("[a-z /\n]{1,12}", 1..200usize).prop_map(|(s, n)| s.repeat(n).into_bytes()),
        ],
        0..6,
    )
    .prop_map(|parts| parts.concat())
}

/// How to spoil a valid stream, if at all.
#[derive(Debug, Clone)]
enum Spoil {
    None,
    Flip { at: prop::sample::Index, bit: u8 },
    Cut { at: prop::sample::Index },
    Append(Vec<u8>),
}

fn spoil() -> impl Strategy<Value = Spoil> {
    prop_oneof![
        Just(Spoil::None),
        (any::<prop::sample::Index>(), 0..8u8).prop_map(|(at, bit)| Spoil::Flip { at, bit }),
        any::<prop::sample::Index>().prop_map(|at| Spoil::Cut { at }),
        prop::collection::vec(any::<u8>(), 1..16).prop_map(Spoil::Append),
    ]
}

fn spoiled(mut blob: Vec<u8>, how: &Spoil) -> Vec<u8> {
    match how {
        Spoil::None => {}
        Spoil::Flip { at, bit } if !blob.is_empty() => {
            let i = at.index(blob.len());
            blob[i] ^= 1 << bit;
        }
        Spoil::Flip { .. } => {}
        Spoil::Cut { at } => blob.truncate(at.index(blob.len() + 1)),
        Spoil::Append(tail) => blob.extend_from_slice(tail),
    }
    blob
}

/// Whether decoding stopped before the end: corrupt data or a cap, but not a stream that merely
/// ends early (found at `finish`). How far it got then depends on the chunking (NOTES.md).
fn decoding_stopped(report: &LayerReport) -> bool {
    report.error.iter().chain(&report.other_errors).any(|e| {
        !matches!(e, VerifyError::Truncated { .. })
            && matches!(e.code(), ErrorCode::CorruptStream | ErrorCode::LimitExceeded)
    })
}

fn codes(report: &LayerReport) -> Vec<ErrorCode> {
    report.error.iter().chain(&report.other_errors).map(VerifyError::code).collect()
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn gzip_compressed_bytes_verify_with_their_sha256_as_diff_id(
        data in layer_data(),
        level in 0..=9u32,
        split in any::<prop::sample::Index>(),
        members in 1..=3usize,
        docker in any::<bool>(),
        sizes in chunk_sizes(),
    ) {
        // One member, or the data cut in two or three members.
        let cut = split.index(data.len() + 1);
        let blob = match members {
            1 => gzip(&data, level),
            2 => [gzip(&data[..cut], level), gzip(&data[cut..], level)].concat(),
            _ => [gzip(&data[..cut], level), gzip(&[], level), gzip(&data[cut..], level)].concat(),
        };
        let media_type = if docker { MediaType::DockerLayerGzip } else { MediaType::OciLayerGzip };
        let diff_id = sha256(&data);
        let report = verify(&media_type, &blob, Some(diff_id.clone()), &sizes);
        prop_assert!(report.verified, "{:?}", report.error);
        prop_assert_eq!(report.computed_diff_id, Some(diff_id));
        prop_assert_eq!(report.uncompressed_size, data.len() as u64);
        prop_assert_eq!(report.compressed_size, blob.len() as u64);
        prop_assert_eq!((report.digest, report.size, report.diff_id), (Check::Passed, Check::Passed, Check::Passed));
    }

    #[test]
    fn zstd_compressed_bytes_verify_with_their_sha256_as_diff_id(
        data in layer_data(),
        compress in any::<bool>(),
        split in any::<prop::sample::Index>(),
        frames in 1..=2usize,
        sizes in chunk_sizes(),
    ) {
        let cut = split.index(data.len() + 1);
        let blob = match frames {
            1 => zstd(&data, compress),
            _ => [zstd(&data[..cut], compress), zstd(&data[cut..], !compress)].concat(),
        };
        let diff_id = sha256(&data);
        let report = verify(&MediaType::OciLayerZstd, &blob, Some(diff_id.clone()), &sizes);
        prop_assert!(report.verified, "{:?}", report.error);
        prop_assert_eq!(report.computed_diff_id, Some(diff_id));
        prop_assert_eq!(report.uncompressed_size, data.len() as u64);
    }

    #[test]
    fn a_plain_layer_is_its_own_diff_id(data in layer_data(), sizes in chunk_sizes()) {
        let report = verify(&MediaType::OciLayerTar, &data, None, &sizes);
        prop_assert!(report.verified, "{:?}", report.error);
        prop_assert_eq!(report.computed_diff_id.as_ref(), report.computed_digest.as_ref());
        prop_assert_eq!(report.computed_digest, Some(sha256(&data)));
        prop_assert_eq!(report.uncompressed_size, data.len() as u64);
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn the_report_does_not_depend_on_the_chunking(
        data in layer_data(),
        format in 0..4usize,
        how in spoil(),
        sizes in chunk_sizes(),
        other_sizes in chunk_sizes(),
    ) {
        let (media_type, blob) = match format {
            0 => (MediaType::OciLayerGzip, gzip(&data, 6)),
            1 => (MediaType::OciLayerZstd, zstd(&data, true)),
            2 => (MediaType::OciLayerTar, data.clone()),
            // Not a stream at all: arbitrary bytes read as gzip.
            _ => (MediaType::OciLayerGzip, data.clone()),
        };
        let blob = spoiled(blob, &how);
        let whole = verify(&media_type, &blob, None, &[blob.len().max(1)]);
        prop_assert_eq!(whole.digest, Check::Passed);
        for cut in [&sizes, &other_sizes] {
            let chunked = verify(&media_type, &blob, None, cut);
            if decoding_stopped(&whole) || decoding_stopped(&chunked) {
                prop_assert_eq!(codes(&whole), codes(&chunked));
                prop_assert_eq!((whole.digest, whole.size, whole.diff_id), (chunked.digest, chunked.size, chunked.diff_id));
                prop_assert_eq!(&whole.computed_digest, &chunked.computed_digest);
                prop_assert_eq!(chunked.computed_diff_id, None);
            } else {
                prop_assert_eq!(&whole, &chunked);
            }
        }
        // A verified report passed every check; an unverified one says why.
        prop_assert_eq!(whole.verified, whole.error.is_none());
        if whole.verified {
            prop_assert_eq!((whole.digest, whole.size), (Check::Passed, Check::Passed));
            prop_assert!(whole.other_errors.is_empty());
        }
        for error in whole.error.iter().chain(&whole.other_errors) {
            assert_error(error.code(), error, &[ErrorCode::CorruptStream, ErrorCode::LimitExceeded]);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs the fuzz targets found to break the core's invariants (fuzz/README.md, NOTES.md
// "Fuzzing"), fixed since: each stays here as a regression test.

#[test]
fn a_parsed_reference_always_has_an_endpoint() {
    for input in ["i:0/i", "example.com:99999/x", "[::::::]/x", "[1:2]/x"] {
        let error = Reference::parse(input).expect_err("no endpoint can serve it, so it does not parse");
        assert_eq!(error.code(), ErrorCode::InvalidReference, "{input:?}: {error}");
    }
    for input in ["example.com:65535/x", "[::1]:5000/x", "[2001:db8::1]/x"] {
        let reference = Reference::parse(input).expect("a valid reference");
        let base = BaseUrl::for_registry(reference.registry());
        assert!(base.is_ok(), "{input:?}: {base:?}");
    }
}

#[test]
fn the_familiar_form_reads_back() {
    for input in ["docker.io/r.y/a", "docker.io/localhost/a", "docker.io/a__b.c/d"] {
        match Reference::parse(input) {
            Ok(reference) => assert_reads_back(&reference),
            Err(error) => panic!("{input:?}: {error}"),
        }
    }
}

#[test]
fn printed_forms_stay_under_the_input_cap() {
    // A host longer than a DNS name is refused, so no printed form can outgrow the input cap.
    let input = format!("{}.b/c", "a".repeat(1014));
    let error = Reference::parse(&input).expect_err("a 1016-byte host");
    assert!(error.to_string().contains("limit is 253"), "{error}");
    let longest = format!("{}.b:65535/{}", "a".repeat(249), "c".repeat(200));
    assert_reads_back(&Reference::parse(&longest).expect("a 253-byte host"));
}

#[test]
fn decode_errors_are_short() {
    let body = format!("{{\"rootfs\":\"{}\"}}", "x".repeat(3000));
    let error = parse_config(body.as_bytes()).expect_err("rootfs is not a string");
    assert!(error.to_string().len() <= 2048, "a {}-byte message", error.to_string().len());
}
