//! Table tests for image references. Valid and invalid cases follow the tables of Docker's own
//! reference parser (distribution/reference `reference_test.go` and `normalize_test.go`); the expected
//! registry/repository/tag/familiar values are what `ParseNormalizedNamed` + `TagNameOnly` produce.

use regsight_core::DigestError;
use regsight_core::reference::{Part, Reference, ReferenceError, Target};

const HEX: &str = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

/// One valid input and what it normalizes to.
struct Valid {
    input: String,
    registry: &'static str,
    repository: String,
    tag: Option<&'static str>,
    digest: bool,
    familiar: String,
}

fn ok(
    input: &str,
    registry: &'static str,
    repository: &str,
    tag: Option<&'static str>,
    familiar: &str,
) -> Valid {
    Valid {
        input: input.to_owned(),
        registry,
        repository: repository.to_owned(),
        tag,
        digest: false,
        familiar: familiar.to_owned(),
    }
}

fn ok_digest(
    input: String,
    registry: &'static str,
    repository: &str,
    tag: Option<&'static str>,
    familiar: String,
) -> Valid {
    Valid { input, registry, repository: repository.to_owned(), tag, digest: true, familiar }
}

fn valid_cases() -> Vec<Valid> {
    let l = Some("latest");
    vec![
        // Docker Hub normalization.
        ok("python:2.7", "docker.io", "library/python", Some("2.7"), "python:2.7"),
        ok("ubuntu", "docker.io", "library/ubuntu", l, "ubuntu:latest"),
        ok("library/ubuntu", "docker.io", "library/ubuntu", l, "ubuntu:latest"),
        ok("docker.io/library/ubuntu", "docker.io", "library/ubuntu", l, "ubuntu:latest"),
        ok("docker.io/ubuntu", "docker.io", "library/ubuntu", l, "ubuntu:latest"),
        ok("index.docker.io/library/debian", "docker.io", "library/debian", l, "debian:latest"),
        ok("index.docker.io/debian", "docker.io", "library/debian", l, "debian:latest"),
        ok("index.docker.io/docker/docker", "docker.io", "docker/docker", l, "docker/docker:latest"),
        ok("docker/docker", "docker.io", "docker/docker", l, "docker/docker:latest"),
        ok("fooo/bar", "docker.io", "fooo/bar", l, "fooo/bar:latest"),
        ok("other/library", "docker.io", "other/library", l, "other/library:latest"),
        ok("library/foo/bar", "docker.io", "library/foo/bar", l, "library/foo/bar:latest"),
        ok("store/foo/bar", "docker.io", "store/foo/bar", l, "store/foo/bar:latest"),
        ok("ubuntu-12.04-base", "docker.io", "library/ubuntu-12.04-base", l, "ubuntu-12.04-base:latest"),
        ok("test_com", "docker.io", "library/test_com", l, "test_com:latest"),
        // Without a slash, a colon is a tag separator even after something that looks like a host.
        ok("test.com:tag", "docker.io", "library/test.com", Some("tag"), "test.com:tag"),
        ok("test.com:5000", "docker.io", "library/test.com", Some("5000"), "test.com:5000"),
        ok("192.168.1.1", "docker.io", "library/192.168.1.1", l, "192.168.1.1:latest"),
        ok("192.168.1.1:5000", "docker.io", "library/192.168.1.1", Some("5000"), "192.168.1.1:5000"),
        ok("localhost:5000", "docker.io", "library/localhost", Some("5000"), "localhost:5000"),
        ok("foo_bar.com:8080", "docker.io", "library/foo_bar.com", Some("8080"), "foo_bar.com:8080"),
        ok("foo/foo_bar.com:8080", "docker.io", "foo/foo_bar.com", Some("8080"), "foo/foo_bar.com:8080"),
        ok("lowercase:Uppercase", "docker.io", "library/lowercase", Some("Uppercase"), "lowercase:Uppercase"),
        // A 64-hex repository is fine once a registry removes the ambiguity with an image ID.
        ok(&format!("docker.io/{HEX}"), "docker.io", &format!("library/{HEX}"), l, &format!("{HEX}:latest")),
        ok(&format!("{HEX}:tag"), "docker.io", &format!("library/{HEX}"), Some("tag"), &format!("{HEX}:tag")),
        // Other registries.
        ok("localhost/fooo", "localhost", "fooo", l, "localhost/fooo:latest"),
        ok("localhost/fooo/bar", "localhost", "fooo/bar", l, "localhost/fooo/bar:latest"),
        ok("localhost:5000/x", "localhost:5000", "x", l, "localhost:5000/x:latest"),
        ok("LOCALDOMAIN/fooo", "LOCALDOMAIN", "fooo", l, "LOCALDOMAIN/fooo:latest"),
        ok("Foo/bar", "Foo", "bar", l, "Foo/bar:latest"),
        ok("FOO/bar", "FOO", "bar", l, "FOO/bar:latest"),
        ok("Docker/docker", "Docker", "docker", l, "Docker/docker:latest"),
        ok(
            "127.0.0.1:5000/library/debian",
            "127.0.0.1:5000",
            "library/debian",
            l,
            "127.0.0.1:5000/library/debian:latest",
        ),
        ok(
            "127.0.0.1:8000/privatebase",
            "127.0.0.1:8000",
            "privatebase",
            l,
            "127.0.0.1:8000/privatebase:latest",
        ),
        ok("192.168.0.1:8/debian", "192.168.0.1:8", "debian", l, "192.168.0.1:8/debian:latest"),
        ok(
            "192.168.1.1:5000/repo:5050",
            "192.168.1.1:5000",
            "repo",
            Some("5050"),
            "192.168.1.1:5000/repo:5050",
        ),
        ok(
            "example.com:8000/private/moonbase",
            "example.com:8000",
            "private/moonbase",
            l,
            "example.com:8000/private/moonbase:latest",
        ),
        ok("test:5000/repo:tag", "test:5000", "repo", Some("tag"), "test:5000/repo:tag"),
        ok(
            "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
            "sub-dom1.foo.com",
            "bar/baz/quux",
            Some("some-long-tag"),
            "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
        ),
        ok(
            "b.gcr.io/test.example.com/my-app:test.example.com",
            "b.gcr.io",
            "test.example.com/my-app",
            Some("test.example.com"),
            "b.gcr.io/test.example.com/my-app:test.example.com",
        ),
        ok(
            "xn--n3h.com/myimage:xn--n3h.com",
            "xn--n3h.com",
            "myimage",
            Some("xn--n3h.com"),
            "xn--n3h.com/myimage:xn--n3h.com",
        ),
        ok("ghcr.io/o/r", "ghcr.io", "o/r", l, "ghcr.io/o/r:latest"),
        // IPv6 registries.
        ok("[2001:db8::1]/repo", "[2001:db8::1]", "repo", l, "[2001:db8::1]/repo:latest"),
        ok("[2001:db8::1]:5000/x", "[2001:db8::1]:5000", "x", l, "[2001:db8::1]:5000/x:latest"),
        ok(
            "[2001:db8:1:2:3:4:5:6]/repo:tag",
            "[2001:db8:1:2:3:4:5:6]",
            "repo",
            Some("tag"),
            "[2001:db8:1:2:3:4:5:6]/repo:tag",
        ),
        ok("[::1]:5000/repo", "[::1]:5000", "repo", l, "[::1]:5000/repo:latest"),
        ok(
            "[fc00::1]:5000/docker/docker",
            "[fc00::1]:5000",
            "docker/docker",
            l,
            "[fc00::1]:5000/docker/docker:latest",
        ),
        // Path component separators.
        ok("docker-rules/docker", "docker.io", "docker-rules/docker", l, "docker-rules/docker:latest"),
        ok("docker---rules/docker", "docker.io", "docker---rules/docker", l, "docker---rules/docker:latest"),
        ok("dock__er/docker", "docker.io", "dock__er/docker", l, "dock__er/docker:latest"),
        ok("d/docker", "docker.io", "d/docker", l, "d/docker:latest"),
        ok("jess/t", "docker.io", "jess/t", l, "jess/t:latest"),
        ok("x/a.b_c-d", "docker.io", "x/a.b_c-d", l, "x/a.b_c-d:latest"),
        // Tags.
        ok("x:_", "docker.io", "library/x", Some("_"), "x:_"),
        ok(
            &format!("x:{}", "t".repeat(128)),
            "docker.io",
            "library/x",
            Some(leak("t".repeat(128))),
            &format!("x:{}", "t".repeat(128)),
        ),
        // Length limits: Docker counts the repository path only (the registry is not counted).
        ok(
            &format!("example.com/{}:tag", "a".repeat(255)),
            "example.com",
            &"a".repeat(255),
            Some("tag"),
            &format!("example.com/{}:tag", "a".repeat(255)),
        ),
        ok(
            &format!("{}a:tag-puts-this-over-max", "a/".repeat(127)),
            "docker.io",
            &format!("{}a", "a/".repeat(127)),
            Some("tag-puts-this-over-max"),
            &format!("{}a:tag-puts-this-over-max", "a/".repeat(127)),
        ),
        // Digests, with and without tags.
        ok_digest(
            format!("busybox@sha256:{HEX}"),
            "docker.io",
            "library/busybox",
            None,
            format!("busybox@sha256:{HEX}"),
        ),
        ok_digest(
            format!("busybox:latest@sha256:{HEX}"),
            "docker.io",
            "library/busybox",
            l,
            format!("busybox:latest@sha256:{HEX}"),
        ),
        ok_digest(
            format!("test:5000/repo@sha256:{HEX}"),
            "test:5000",
            "repo",
            None,
            format!("test:5000/repo@sha256:{HEX}"),
        ),
        ok_digest(
            format!("[2001:db8::1]:5000/repo:tag@sha256:{HEX}"),
            "[2001:db8::1]:5000",
            "repo",
            Some("tag"),
            format!("[2001:db8::1]:5000/repo:tag@sha256:{HEX}"),
        ),
        ok_digest(
            format!("xn--7o8h.com/myimage:xn--7o8h.com@sha256:{HEX}"),
            "xn--7o8h.com",
            "myimage",
            Some("xn--7o8h.com"),
            format!("xn--7o8h.com/myimage:xn--7o8h.com@sha256:{HEX}"),
        ),
    ]
}

/// A `'static` tag for the table (test-only, a few bytes).
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

#[test]
fn valid_references_normalize_like_docker() {
    for case in valid_cases() {
        let r = Reference::parse(&case.input).unwrap_or_else(|e| panic!("{}: {e}", case.input));
        let label = &case.input;
        assert_eq!(r.registry(), case.registry, "{label}: registry");
        assert_eq!(r.repository(), case.repository, "{label}: repository");
        assert_eq!(r.tag(), case.tag, "{label}: tag");
        assert_eq!(r.digest().is_some(), case.digest, "{label}: digest");
        assert_eq!(r.familiar(), case.familiar, "{label}: familiar");
        let canonical = r.canonical();
        assert!(
            canonical.starts_with(&format!("{}/{}", case.registry, case.repository)),
            "{label}: {canonical}"
        );
        // Canonical and familiar forms parse back to the same reference.
        assert_eq!(Reference::parse(&canonical).as_ref(), Ok(&r), "{label}: canonical round trip");
        assert_eq!(Reference::parse(&case.familiar).as_ref(), Ok(&r), "{label}: familiar round trip");
        assert_eq!(r.to_string(), canonical);
        match (case.digest, r.target()) {
            (true, Target::Digest(_)) => {}
            (false, Target::Tag(tag)) => assert_eq!(Some(tag), case.tag),
            (_, target) => panic!("{label}: wrong target {target:?}"),
        }
    }
}

/// Expected error for an invalid input.
fn invalid_cases() -> Vec<(String, ReferenceError)> {
    use ReferenceError as E;
    let sep = |part, component: &str, separator: &str, position| E::BadSeparator {
        part,
        component: component.to_owned(),
        separator: separator.to_owned(),
        position,
    };
    let chr = |part, found, position| E::BadCharacter { part, found, position };
    let upper =
        |repository: &str, position| E::UppercaseRepository { repository: repository.to_owned(), position };
    let long_namespace = ["this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255"; 4].join("_");
    vec![
        ("".into(), E::Empty),
        (HEX.into(), E::ImageId(HEX.into())),
        ("https://github.com/docker/docker".into(), E::Scheme { scheme: "https://".into() }),
        (":justtag".into(), E::MissingRepository { position: 0 }),
        (format!("@sha256:{HEX}"), E::MissingRepository { position: 0 }),
        ("docker.io/".into(), E::MissingRepository { position: 10 }),
        ("docker.io/:tag".into(), E::MissingRepository { position: 10 }),
        // Upper case in the repository (a leading upper-case component would be a registry).
        ("Uppercase:tag".into(), upper("Uppercase", 0)),
        ("docker/Docker".into(), upper("docker/Docker", 7)),
        ("docker.io/docker/Docker".into(), upper("docker/Docker", 17)),
        ("test:5000/Uppercase/lowercase:tag".into(), upper("Uppercase/lowercase", 10)),
        // Empty components.
        ("docker///docker".into(), E::EmptyComponent { part: Part::Repository, position: 7 }),
        ("docker.io/docker///docker".into(), E::EmptyComponent { part: Part::Repository, position: 17 }),
        ("docker/".into(), E::EmptyComponent { part: Part::Repository, position: 7 }),
        ("/docker".into(), E::EmptyComponent { part: Part::Repository, position: 0 }),
        ("a..b.com/x".into(), E::EmptyComponent { part: Part::Registry, position: 2 }),
        (".com/x".into(), E::EmptyComponent { part: Part::Registry, position: 0 }),
        (":5000/x".into(), E::EmptyComponent { part: Part::Registry, position: 0 }),
        // Leading, trailing and invalid separators.
        ("-docker".into(), sep(Part::Repository, "-docker", "-", 0)),
        ("-docker/docker".into(), sep(Part::Repository, "-docker", "-", 0)),
        ("docker-/docker".into(), sep(Part::Repository, "docker-", "-", 6)),
        ("-docker-/docker".into(), sep(Part::Repository, "-docker-", "-", 0)),
        ("____/____".into(), sep(Part::Repository, "____", "____", 0)),
        ("_docker/_docker".into(), sep(Part::Repository, "_docker", "_", 0)),
        ("dock___er/docker".into(), sep(Part::Repository, "dock___er", "___", 4)),
        ("x/dock..er".into(), sep(Part::Repository, "dock..er", "..", 6)),
        ("x/dock_.er".into(), sep(Part::Repository, "dock_.er", "_.", 6)),
        ("x/dock-.er".into(), sep(Part::Repository, "dock-.er", "-.", 6)),
        ("x/a-_b".into(), sep(Part::Repository, "a-_b", "-_", 3)),
        // With a dot, Docker reads the first component as a registry, whose labels are stricter.
        ("dock..er/docker".into(), E::EmptyComponent { part: Part::Registry, position: 5 }),
        ("dock_.er/docker".into(), chr(Part::Registry, '_', 4)),
        ("dock-.er/docker".into(), sep(Part::Registry, "dock-", "-", 4)),
        ("-docker.io/docker/docker".into(), sep(Part::Registry, "-docker", "-", 0)),
        ("docker-.io/x".into(), sep(Part::Registry, "docker-", "-", 6)),
        // Bad characters, with their byte positions.
        ("aa/asdf$$^/aa".into(), chr(Part::Repository, '$', 7)),
        ("foo_bar.com/x".into(), chr(Part::Registry, '_', 3)),
        ("python ".into(), chr(Part::Repository, ' ', 6)),
        ("pyth\u{f6}n".into(), chr(Part::Repository, '\u{f6}', 4)),
        ("ex\u{e4}mple.com/x".into(), chr(Part::Registry, '\u{e4}', 2)),
        ("x:a/b".into(), E::BadPort { port: "a".into(), position: 2 }),
        // IPv6 and ports.
        ("[2001:db8::1]".into(), chr(Part::Repository, '[', 0)),
        ("[2001:db8::1]:5000".into(), chr(Part::Repository, '[', 0)),
        ("[2001:db8::1]:tag".into(), chr(Part::Repository, '[', 0)),
        ("[fc00::1]".into(), chr(Part::Repository, '[', 0)),
        ("fc00::1:5000/debian".into(), E::BadPort { port: ":1:5000".into(), position: 5 }),
        ("[fe80::1%eth0]:5000/repo".into(), chr(Part::Registry, '%', 8)),
        ("[2001:db8:3:4::192.0.2.33]:5000/debian".into(), chr(Part::Registry, '.', 18)),
        ("[::1/x".into(), E::UnclosedBracket { position: 0 }),
        ("[]:5000/x".into(), E::EmptyComponent { part: Part::Registry, position: 1 }),
        ("[::1]x/y".into(), chr(Part::Registry, 'x', 5)),
        ("host:/x".into(), E::BadPort { port: String::new(), position: 5 }),
        ("host:50a0/x".into(), E::BadPort { port: "50a0".into(), position: 5 }),
        // Tags.
        ("x:".into(), E::EmptyTag { position: 2 }),
        ("x:-foo".into(), E::BadTagStart { found: '-', position: 2 }),
        ("x:.foo".into(), E::BadTagStart { found: '.', position: 2 }),
        ("x:a:b".into(), chr(Part::Tag, ':', 3)),
        ("x:a+b".into(), chr(Part::Tag, '+', 3)),
        ("x:+b".into(), chr(Part::Tag, '+', 2)),
        (format!("x:{}", "t".repeat(129)), E::TagTooLong { limit: 128, length: 129 }),
        // Digests.
        (
            "repo@sha256:ffffffffffffffffffffffffffffffffff".into(),
            E::BadDigest {
                position: 5,
                source: DigestError::BadLength { algorithm: "sha256", expected: 64, found: 34 },
            },
        ),
        (
            format!("validname@invaliddigest:{HEX}"),
            E::BadDigest { position: 10, source: DigestError::UnsupportedAlgorithm("invaliddigest".into()) },
        ),
        (
            format!("x@sha256:{}", HEX.to_uppercase()),
            E::BadDigest { position: 2, source: DigestError::BadHex { found: 'F', position: 0 } },
        ),
        ("x@".into(), E::BadDigest { position: 2, source: DigestError::MissingAlgorithm(String::new()) }),
        (
            format!("x@sha256:{HEX}@sha256:{HEX}"),
            E::BadDigest {
                position: 2,
                source: DigestError::BadLength { algorithm: "sha256", expected: 64, found: 136 },
            },
        ),
        // Length limits.
        (
            format!("domain/{}:tag", "a".repeat(256)),
            E::RepositoryTooLong {
                repository: format!("domain/{}", "a".repeat(256)),
                limit: 255,
                length: 263,
            },
        ),
        (
            format!("example.com/{}", "a".repeat(256)),
            E::RepositoryTooLong { repository: "a".repeat(256), limit: 255, length: 256 },
        ),
        (
            // 248 bytes become 256 with `library/`.
            "a".repeat(248),
            E::RepositoryTooLong {
                repository: format!("library/{}", "a".repeat(248)),
                limit: 255,
                length: 256,
            },
        ),
        (
            format!("{long_namespace}/docker"),
            E::RepositoryTooLong {
                length: long_namespace.len() + 7,
                repository: format!("{long_namespace}/docker"),
                limit: 255,
            },
        ),
        ("a".repeat(1025), E::TooLong { limit: 1024, length: 1025 }),
    ]
}

#[test]
fn invalid_references_get_specific_errors() {
    for (input, expected) in invalid_cases() {
        match Reference::parse(&input) {
            Ok(r) => panic!("{input:?} parsed as {r}, expected {expected}"),
            Err(err) => assert_eq!(err, expected, "{input:?}: got \"{err}\""),
        }
    }
}

#[test]
fn the_longest_single_name_on_docker_hub_fits() {
    let r = Reference::parse(&"a".repeat(247)).expect("library/ + 247 = 255 bytes");
    assert_eq!(r.repository().len(), 255);
}

#[test]
fn arbitrary_input_never_panics_and_valid_output_reparses() {
    // A small deterministic fuzz over the grammar's alphabet plus a few hostile characters.
    let alphabet: Vec<char> = "aaaab0000Z..::_-//@[]%\u{e9} ".chars().collect();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |bound: usize| {
        // xorshift64
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % bound as u64) as usize
    };
    let mut parsed = 0;
    for _ in 0..20_000 {
        let len = next(14);
        let input: String = (0..len).map(|_| alphabet[next(alphabet.len())]).collect();
        if let Ok(r) = Reference::parse(&input) {
            parsed += 1;
            assert_eq!(Reference::parse(&r.canonical()).as_ref(), Ok(&r), "{input:?}");
            assert_eq!(Reference::parse(&r.familiar()).as_ref(), Ok(&r), "{input:?}");
        }
    }
    assert!(parsed > 800, "only {parsed} inputs parsed: the generator no longer reaches valid references");
}
