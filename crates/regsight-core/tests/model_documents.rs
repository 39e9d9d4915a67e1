//! Real-looking registry documents through the model parsers and platform selection, and tables
//! of malformed ones.

use regsight_core::model::{
    DecodeError, Document, Manifest, ManifestError, ManifestKind, TypeSource, parse_config, parse_manifest,
    parse_manifest_with_limit,
};
use regsight_core::platform::{Platform, PlatformError, platforms, select};
use regsight_core::{Digest, ErrorCode, MediaType};

const DOCKER_V2: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

const DOCKER_SCHEMA2: &str = r#"{
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {
      "mediaType": "application/vnd.docker.container.image.v1+json",
      "size": 7283,
      "digest": "sha256:b79606fb3afea5bd1609ed40b622142f1c98125abcfe89a76a661b0e8e343910"
   },
   "layers": [
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 27092228,
         "digest": "sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2"
      },
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 2468,
         "digest": "sha256:95cf1a2e1698fe3ca1fcc3f653119146b271d0b62e487ec264441e886a11bd06"
      }
   ]
}"#;

const OCI_IMAGE: &str = r#"{
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "config": {
    "mediaType": "application/vnd.oci.image.config.v1+json",
    "digest": "sha256:b79606fb3afea5bd1609ed40b622142f1c98125abcfe89a76a661b0e8e343910",
    "size": 1472
  },
  "layers": [
    {
      "mediaType": "application/vnd.oci.image.layer.v1.tar+zstd",
      "digest": "sha256:a0e70458d19e37e14d6388030a017c587283e2fb6ef10c0744cad0294c47e8f8",
      "size": 3623807,
      "annotations": {"org.opencontainers.image.title": "rootfs"}
    }
  ],
  "subject": {
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": "sha256:a9491f4c1bf7b0cffbadcba2db8f028e4b3f2867cb59e1f3a0bc1968f3c51242",
    "size": 527
  },
  "annotations": {
    "org.opencontainers.image.created": "2024-01-27T00:00:00Z",
    "org.opencontainers.image.source": "https://github.com/example/app"
  },
  "someFutureField": {"nested": [1, 2, {"x": null}]}
}"#;

const OCI_INDEX_WITH_ATTESTATION: &str = r#"{
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.index.v1+json",
  "manifests": [
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": "sha256:5861314d7fccb39c2192173240eab44fa35ca66426201ca2acd0630a6258dd51",
      "size": 1022,
      "platform": {"architecture": "amd64", "os": "linux"}
    },
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": "sha256:f69162950f235e3cdbbad33f1f912d1a504be90d8a37d002c735d6f3e3882265",
      "size": 1022,
      "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}
    },
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": "sha256:5ba6c8710dd1369ce61603ab9b7a81b25f92d4a9f74956ab72a7ea75884f07ee",
      "size": 1022,
      "platform": {"architecture": "arm", "os": "linux", "variant": "v7"}
    },
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": "sha256:f745a15153c4dacf0ea4bbf57265e73283941f8335939b33c693975315cf5916",
      "size": 839,
      "annotations": {
        "vnd.docker.reference.digest": "sha256:5861314d7fccb39c2192173240eab44fa35ca66426201ca2acd0630a6258dd51",
        "vnd.docker.reference.type": "attestation-manifest"
      },
      "platform": {"architecture": "unknown", "os": "unknown"}
    }
  ]
}"#;

const DOCKER_MANIFEST_LIST: &str = r#"{
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
   "manifests": [
      {
         "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "size": 528,
         "digest": "sha256:5861314d7fccb39c2192173240eab44fa35ca66426201ca2acd0630a6258dd51",
         "platform": {"architecture": "amd64", "os": "linux"}
      },
      {
         "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "size": 528,
         "digest": "sha256:5ba6c8710dd1369ce61603ab9b7a81b25f92d4a9f74956ab72a7ea75884f07ee",
         "platform": {"architecture": "arm", "os": "linux", "variant": "v6"}
      },
      {
         "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "size": 1161,
         "digest": "sha256:1bc04b5291c26a46d918139138b992d2de976d6851d0893b0476b85bfbdfc6e6",
         "platform": {"architecture": "amd64", "os": "windows", "os.version": "10.0.17763.5329", "os.features": null}
      }
   ]
}"#;

const SCHEMA1_SIGNED: &str = r##"{
   "schemaVersion": 1,
   "name": "library/busybox",
   "tag": "1.24",
   "architecture": "amd64",
   "fsLayers": [
      {"blobSum": "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4"},
      {"blobSum": "sha256:385e281300cc6d88bdd155e0931fbdfbb1801c2b0265340a40481ee2b733ae66"}
   ],
   "history": [
      {"v1Compatibility": "{\"id\":\"47bcc53f74dc\",\"parent\":\"4aa7fb1f7a9a\",\"created\":\"2016-03-18T18:22:48.810791943Z\",\"container_config\":{\"Cmd\":[\"/bin/sh\",\"-c\",\"#(nop) CMD [\\\"sh\\\"]\"]},\"throwaway\":true}"},
      {"v1Compatibility": "{\"id\":\"4aa7fb1f7a9a\",\"created\":\"2016-03-18T18:22:48.262403239Z\",\"container_config\":{\"Cmd\":[\"/bin/sh\",\"-c\",\"#(nop) ADD file:47ca6e777c36a4cfffe3f918b64a445e8f32b370 in /\"]}}"}
   ],
   "signatures": [
      {
         "header": {"jwk": {"crv": "P-256", "kid": "OD6I:6DRK:JXEJ:KBM4:255X:NSAA:MUSF:E4VM:ZI6W:CUN2:L4Z6:LSF4", "kty": "EC", "x": "3gAwX48IQ5oaYQAYSxor6rYYc_6yjuLCjtQ9LUakg4A", "y": "t72ge6kIA1XOjqjVoEOiPPAURltJFBMGDSQvEGVB010"}, "alg": "ES256"},
         "signature": "XREm0L8WNn27Ga_iE_vRnTxVMhhYY0Zst_FfkKopg6gWSoTOZTuW4rK0fg_IqnKkEKlbBm6VBGqlxHXFmsDjwg",
         "protected": "eyJmb3JtYXRMZW5ndGgiOjYwNjMsImZvcm1hdFRhaWwiOiJDbjAiLCJ0aW1lIjoiMjAxNi0wMy0yMVQxNTowMDowMFoifQ"
      }
   ]
}"##;

const PYTHON_27_CONFIG: &str = r#"{
  "architecture": "amd64",
  "config": {
    "Hostname": "",
    "User": "",
    "AttachStdout": false,
    "ExposedPorts": null,
    "Env": [
      "PATH=/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "LANG=C.UTF-8",
      "PYTHONIOENCODING=UTF-8",
      "GPG_KEY=C01E1CAD5EA2C4F0B8E3571504C367C218ADD4FF",
      "PYTHON_VERSION=2.7.18"
    ],
    "Cmd": ["python2"],
    "Image": "sha256:0ad6b3dc7b7cb17cb0a7ed9c62d0a0a8ebc1fd9f4a6c5c6b0e3e1e0f0e6f5ee1",
    "Volumes": null,
    "WorkingDir": "",
    "Entrypoint": null,
    "OnBuild": null,
    "Labels": null
  },
  "container": "a5a66a1f5e5e5a7e2e1ec6b5c0b8e5dca2d9e2b4f6f0e5d2c0f9b6a1e2d3c4b5",
  "created": "2020-04-23T21:20:14.582181932Z",
  "docker_version": "18.09.7",
  "history": [
    {"created": "2020-04-23T00:21:20.226424883Z", "created_by": "/bin/sh -c #(nop) ADD file:3bd8b2b6e0a1f4ad2b0d1b7a2c3b07fe1c5b3e0b9d8b5e4f3c2b1a0f9e8d7c6b in / "},
    {"created": "2020-04-23T00:21:20.592467563Z", "created_by": "/bin/sh -c #(nop)  CMD [\"bash\"]", "empty_layer": true},
    {"created": "2020-04-23T20:23:35.404413342Z", "created_by": "/bin/sh -c apt-get update && apt-get install -y --no-install-recommends ca-certificates curl netbase wget && rm -rf /var/lib/apt/lists/*"},
    {"created": "2020-04-23T21:11:42.812081765Z", "created_by": "/bin/sh -c #(nop)  ENV LANG=C.UTF-8", "empty_layer": true},
    {"created": "2020-04-23T21:20:12.932211082Z", "created_by": "|1 PYTHON_VERSION=2.7.18 /bin/sh -c set -ex && wget -O python.tar.xz ...", "comment": "buildkit.dockerfile.v0"},
    {"created": "2020-04-23T21:20:14.582181932Z", "created_by": "/bin/sh -c #(nop)  CMD [\"python2\"]", "empty_layer": true}
  ],
  "os": "linux",
  "rootfs": {
    "type": "layers",
    "diff_ids": [
      "sha256:0697c0f434f8672811eb1b52d443d0d4cb616fa58e4d10b25e91471b7f45a665",
      "sha256:a9485d17c39b521f9de31b558df98f81dd72a9c7498f57f27b74356ea150fbd9",
      "sha256:03d63cb5ac6da8f21ccf8cb8ee9e410ece553f0bf779d19ac73eb8e9135d5e50"
    ]
  }
}"#;

fn digest(s: &str) -> Digest {
    s.parse().expect("fixture digest")
}

fn index(body: &str) -> regsight_core::model::Index {
    match parse_manifest(body.as_bytes(), None).expect("fixture index") {
        Manifest::Index(index) => index,
        other => panic!("not an index: {other:?}"),
    }
}

#[test]
fn docker_schema2_manifest() {
    let Manifest::Image(m) = parse_manifest(DOCKER_SCHEMA2.as_bytes(), Some(DOCKER_V2)).expect("parses")
    else {
        panic!("not an image manifest")
    };
    assert_eq!(m.media_type, MediaType::DockerManifest);
    assert_eq!(m.config.media_type, MediaType::DockerConfig);
    assert_eq!(m.config.size, 7283);
    assert_eq!(
        m.config.digest,
        digest("sha256:b79606fb3afea5bd1609ed40b622142f1c98125abcfe89a76a661b0e8e343910")
    );
    assert_eq!(m.layers.iter().map(|l| l.size).collect::<Vec<_>>(), [27_092_228, 2468]);
    assert!(m.subject.is_none() && m.annotations.is_empty());
}

#[test]
fn oci_manifest_with_subject_annotations_and_unknown_fields() {
    // No Content-Type, and a charset parameter: both are fine.
    for content_type in [None, Some("application/vnd.oci.image.manifest.v1+json; charset=utf-8")] {
        let Manifest::Image(m) = parse_manifest(OCI_IMAGE.as_bytes(), content_type).expect("ok") else {
            panic!("not an image manifest")
        };
        assert_eq!(m.media_type, MediaType::OciManifest);
        assert_eq!(m.layers[0].media_type, MediaType::OciLayerZstd);
        assert_eq!(m.layers[0].annotations["org.opencontainers.image.title"], "rootfs");
        assert_eq!(m.subject.as_ref().map(|s| s.size), Some(527));
        assert_eq!(m.annotations.len(), 2);
    }
}

#[test]
fn missing_body_media_type_is_taken_from_the_content_type() {
    let body =
        DOCKER_SCHEMA2.replace(r#""mediaType": "application/vnd.docker.distribution.manifest.v2+json","#, "");
    let parsed = parse_manifest(body.as_bytes(), Some(DOCKER_V2)).expect("ok");
    assert_eq!(parsed.media_type(), &MediaType::DockerManifest);
    let parsed = parse_manifest(body.as_bytes(), Some("application/json")).expect("ok");
    assert_eq!(parsed.media_type(), &MediaType::OciManifest);
}

#[test]
fn oci_index_selection_skips_attestations() {
    let index = index(OCI_INDEX_WITH_ATTESTATION);
    assert_eq!(index.manifests.len(), 4);
    assert!(index.manifests[3].is_attestation());
    let shown: Vec<String> = platforms(&index).iter().map(Platform::to_string).collect();
    assert_eq!(shown, ["linux/amd64", "linux/arm64/v8", "linux/arm/v7"]);

    let amd64 = "sha256:5861314d7fccb39c2192173240eab44fa35ca66426201ca2acd0630a6258dd51";
    let arm64 = "sha256:f69162950f235e3cdbbad33f1f912d1a504be90d8a37d002c735d6f3e3882265";
    let armv7 = "sha256:5ba6c8710dd1369ce61603ab9b7a81b25f92d4a9f74956ab72a7ea75884f07ee";
    // The attestation names the manifest it attests; platform entries attest nothing.
    assert_eq!(index.manifests[3].attests().map(|d| d.to_string()).as_deref(), Some(amd64));
    assert!(index.manifests[..3].iter().all(|d| d.attests().is_none()));
    let cases = [
        ("linux/amd64", Some(amd64)),
        ("linux/x86_64", Some(amd64)),
        ("linux/arm64", Some(arm64)),
        ("linux/aarch64", Some(arm64)),
        ("linux/arm64/v8", Some(arm64)),
        ("linux/arm", Some(armv7)),
        ("linux/armhf", Some(armv7)),
        ("linux/arm/v8", Some(armv7)),
        ("linux/arm/v6", None),
        ("linux/armel", None),
        ("linux/s390x", None),
        ("windows/amd64", None),
        ("unknown/unknown", None),
    ];
    for (wanted, want) in cases {
        let got = select(&index, &wanted.parse().expect(wanted)).map(|d| d.digest.to_string());
        match want {
            Some(want) => assert_eq!(got.as_deref(), Ok(want), "{wanted}"),
            None => assert!(matches!(got, Err(PlatformError::NoMatch { .. })), "{wanted}: {got:?}"),
        }
    }
    let err = select(&index, &"linux/s390x".parse().expect("ok")).expect_err("no s390x");
    assert_eq!(
        err.to_string(),
        "no manifest for linux/s390x; available: linux/amd64, linux/arm64/v8, linux/arm/v7"
    );
    assert_eq!(err.code(), ErrorCode::ManifestUnknown);
}

#[test]
fn docker_manifest_list_with_windows_and_fallbacks() {
    let list = index(DOCKER_MANIFEST_LIST);
    assert_eq!(list.media_type, MediaType::DockerManifestList);
    let parsed = parse_manifest(DOCKER_MANIFEST_LIST.as_bytes(), Some(DOCKER_LIST)).expect("ok");
    assert!(matches!(parsed, Manifest::Index(_)));

    let pick = |wanted: &str| select(&list, &wanted.parse().expect(wanted)).map(|d| d.size);
    assert_eq!(pick("linux/amd64"), Ok(528));
    assert_eq!(pick("linux/arm/v7"), Ok(528), "arm/v7 runs arm/v6");
    assert_eq!(pick("linux/arm64"), Ok(528), "arm64 falls back to 32-bit arm");
    assert_eq!(pick("windows/amd64"), Ok(1161));
    assert_eq!(pick("windows(10.0.17763.5329)/amd64"), Ok(1161));
    assert!(pick("windows(10.0.20348.1)/amd64").is_err());
    let shown: Vec<String> = platforms(&list).iter().map(Platform::to_string).collect();
    assert_eq!(shown, ["linux/amd64", "linux/arm/v6", "windows(10.0.17763.5329)/amd64"]);
}

#[test]
fn exact_match_beats_an_earlier_fallback() {
    let body = r#"{"schemaVersion":2,"manifests":[
        {"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1,"platform":{"os":"linux","architecture":"386"},
         "digest":"sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2"},
        {"mediaType":"application/vnd.oci.image.manifest.v1+json","size":2,"platform":{"os":"linux","architecture":"amd64"},
         "digest":"sha256:95cf1a2e1698fe3ca1fcc3f653119146b271d0b62e487ec264441e886a11bd06"},
        {"mediaType":"application/vnd.oci.image.manifest.v1+json","size":3,
         "digest":"sha256:a0e70458d19e37e14d6388030a017c587283e2fb6ef10c0744cad0294c47e8f8"}]}"#;
    let index = index(body);
    assert_eq!(index.media_type, MediaType::OciIndex, "default when the body omits it");
    let pick = |wanted: &str| select(&index, &wanted.parse().expect(wanted)).map(|d| d.size);
    assert_eq!(pick("linux/amd64"), Ok(2));
    assert_eq!(pick("linux/386"), Ok(1));
    assert_eq!(pick("linux/amd64/v3"), Ok(2));
    assert_eq!(platforms(&index).len(), 2, "entries without a platform are not listed");
}

#[test]
fn schema1_is_recognized_not_verified() {
    for content_type in [Some("application/vnd.docker.distribution.manifest.v1+prettyjws"), None] {
        let Manifest::Schema1(m) = parse_manifest(SCHEMA1_SIGNED.as_bytes(), content_type).expect("parses")
        else {
            panic!("not schema1")
        };
        assert_eq!(m.media_type, MediaType::DockerSchema1Signed);
        assert_eq!((m.name.as_str(), m.tag.as_str()), ("library/busybox", "1.24"));
        assert_eq!(m.architecture, "amd64");
        assert_eq!(m.fs_layers.len(), 2);
        assert_eq!((m.history_count, m.signature_count), (2, 1));
    }
    let unsigned =
        r#"{"schemaVersion":1,"name":"a/b","tag":"t","architecture":"arm","fsLayers":[],"history":null}"#;
    let parsed = parse_manifest(unsigned.as_bytes(), Some("application/json")).expect("ok");
    assert_eq!(parsed.media_type(), &MediaType::DockerSchema1);
}

#[test]
fn python_config_history_pairs_with_layers() {
    let config = parse_config(PYTHON_27_CONFIG.as_bytes()).expect("parses");
    assert_eq!(config.platform().to_string(), "linux/amd64");
    assert_eq!(config.created.as_deref(), Some("2020-04-23T21:20:14.582181932Z"));
    let run = config.config.as_ref().expect("run config");
    assert_eq!(run.cmd.as_deref(), Some(&["python2".to_owned()][..]));
    assert_eq!(run.entrypoint, None);
    assert!(run.exposed_ports.is_empty() && run.volumes.is_empty() && run.labels.is_empty());
    assert_eq!(run.env[1], "LANG=C.UTF-8");
    assert_eq!(config.rootfs.kind, "layers");
    assert_eq!(config.rootfs.diff_ids.len(), 3);

    let steps = config.history_steps();
    let layers: Vec<Option<usize>> = steps.iter().map(|s| s.layer).collect();
    assert_eq!(layers, [Some(0), None, Some(1), None, Some(2), None]);
    let per_layer = config.layer_history(3).expect("three layers");
    assert_eq!(per_layer[2].comment.as_deref(), Some("buildkit.dockerfile.v0"));
    let mismatch = config.layer_history(2).expect_err("two layers");
    assert_eq!(
        mismatch.to_string(),
        "image config history has 3 steps that made a layer, but the image has 2 layers"
    );
}

#[test]
fn config_with_ports_volumes_and_labels() {
    let body = r#"{"architecture":"arm64","variant":"v8","os":"linux",
        "config":{"ExposedPorts":{"80/tcp":{},"443/tcp":{}},"Volumes":{"/data":{}},
                  "Labels":{"maintainer":"x"},"StopSignal":"SIGQUIT","Entrypoint":["/docker-entrypoint.sh"],
                  "WorkingDir":"/srv","User":"101:101"},
        "rootfs":{"type":"layers","diff_ids":[]},"history":null}"#;
    let config = parse_config(body.as_bytes()).expect("parses");
    assert_eq!(config.platform().to_string(), "linux/arm64/v8");
    let run = config.config.expect("run config");
    assert_eq!(run.exposed_ports.iter().collect::<Vec<_>>(), ["443/tcp", "80/tcp"]);
    assert!(run.volumes.contains("/data"));
    assert_eq!(run.stop_signal.as_deref(), Some("SIGQUIT"));
    assert_eq!((run.user.as_str(), run.working_dir.as_str()), ("101:101", "/srv"));
    let json = serde_json::to_value(&run).expect("serializes");
    assert_eq!(json["ExposedPorts"]["80/tcp"], serde_json::json!({}));
}

#[test]
fn malformed_configs() {
    let cases: &[(&str, &str)] = &[
        ("", "image config is not valid JSON: EOF while parsing a value"),
        (r#"{"os":"linux"}"#, "invalid image config at the top level: missing field `rootfs`"),
        (
            r#"{"rootfs":{"type":"layers","diff_ids":["sha256:abc"]}}"#,
            "invalid image config at `rootfs.diff_ids[0]`: sha256 digest must have 64 hex characters, found 3",
        ),
        (
            r#"{"rootfs":{"type":"layers","diff_ids":[]},"history":[{"empty_layer":"yes"}]}"#,
            "invalid image config at `history[0].empty_layer`: invalid type: string \"yes\", expected a boolean",
        ),
        (
            r#"{"rootfs":{"type":"layers","diff_ids":[]},"config":{"Cmd":"python"}}"#,
            "invalid image config at `config.Cmd`: invalid type: string \"python\", expected a sequence",
        ),
    ];
    for (body, want) in cases {
        let err = parse_config(body.as_bytes()).expect_err(body);
        assert!(err.to_string().starts_with(want), "{body}\n got: {err}\nwant: {want}");
        assert_eq!(err.document(), Document::ImageConfig);
    }
}

const D: &str = "sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2";

/// A manifest body with `fields` spliced in.
fn body(fields: &str) -> String {
    format!("{{{fields}}}")
}

fn layer(size: &str) -> String {
    format!(r#"{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{D}","size":{size}}}"#)
}

fn config_desc() -> String {
    format!(r#"{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{D}","size":2}}"#)
}

#[test]
fn malformed_manifests() {
    type Check = fn(&ManifestError) -> bool;
    let good_layers = format!(r#""layers":[{}]"#, layer("5"));
    let cfg = format!(r#""config":{}"#, config_desc());
    let bomb = format!(
        r#"{{"schemaVersion":2,{cfg},{good_layers},"annotations":{{"a":{}{}}}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let cases: Vec<(String, Option<&str>, Check, &str)> = vec![
        (
            "\"a string\"".into(),
            None,
            |e| matches!(e, ManifestError::Decode(DecodeError::Invalid { .. })),
            "invalid manifest at the top level: invalid type: string \"a string\", expected a JSON object",
        ),
        (
            "<html>not json</html>".into(),
            None,
            |e| matches!(e, ManifestError::Decode(DecodeError::Syntax { .. })),
            "manifest is not valid JSON: expected value (line 1, column 1)",
        ),
        (
            r#"["not", "an", "object"]"#.into(),
            None,
            |e| matches!(e, ManifestError::Decode(DecodeError::Invalid { .. })),
            "invalid manifest at the top level: expected a JSON object, found an array",
        ),
        (
            bomb,
            None,
            |e| matches!(e, ManifestError::Decode(DecodeError::Invalid { path, .. }) if path == "annotations.a"),
            "invalid manifest at `annotations.a`: invalid type: sequence, expected a string",
        ),
        (
            body(&format!(r#""schemaVersion":2,{cfg},{good_layers}}} trailing"#)),
            None,
            |e| matches!(e, ManifestError::Decode(DecodeError::Syntax { .. })),
            "manifest is not valid JSON: trailing characters",
        ),
        (
            body(&format!(r#""schemaVersion":1,"mediaType":"{DOCKER_V2}",{cfg},{good_layers}"#)),
            None,
            |e| {
                matches!(
                    e,
                    ManifestError::WrongSchemaVersion { found: 1, expected: 2, kind: ManifestKind::Image }
                )
            },
            "manifest schemaVersion is 1; an image manifest requires 2",
        ),
        (
            body(&format!(r#""schemaVersion":3,"mediaType":"{OCI_INDEX}","manifests":[]"#)),
            None,
            |e| matches!(e, ManifestError::WrongSchemaVersion { found: 3, .. }),
            "manifest schemaVersion is 3; an index requires 2",
        ),
        (
            body(&format!(r#"{cfg},{good_layers}"#)),
            None,
            |e| matches!(e, ManifestError::MissingSchemaVersion { expected: 2, .. }),
            "manifest has no schemaVersion",
        ),
        (
            body(&format!(r#""schemaVersion":"2",{cfg},{good_layers}"#)),
            None,
            |e| matches!(e, ManifestError::Decode(DecodeError::Invalid { path, .. }) if path == "schemaVersion"),
            "invalid manifest at `schemaVersion`: invalid type: string \"2\"",
        ),
        (
            body(&format!(r#""schemaVersion":2,"mediaType":"{OCI_MANIFEST}",{good_layers}"#)),
            None,
            |e| matches!(e, ManifestError::Decode(DecodeError::Invalid { path, .. }) if path.is_empty()),
            "invalid manifest at the top level: missing field `config`",
        ),
        (
            body(&format!(r#""schemaVersion":2,{cfg},"layers":[{},{}]"#, layer("5"), layer("-20"))),
            None,
            |e| matches!(e, ManifestError::Decode(DecodeError::Invalid { path, .. }) if path == "layers[1].size"),
            "invalid manifest at `layers[1].size`: size must be >= 0, found -20",
        ),
        (
            body(&format!(
                r#""schemaVersion":2,"config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:xyz","size":2}},{good_layers}"#
            )),
            None,
            |e| matches!(e, ManifestError::Decode(DecodeError::Invalid { path, .. }) if path == "config.digest"),
            "invalid manifest at `config.digest`: sha256 digest must have 64 hex characters, found 3",
        ),
        (
            body(&format!(
                r#""schemaVersion":2,"config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"md5:00","size":2}},{good_layers}"#
            )),
            None,
            |e| matches!(e, ManifestError::Decode(DecodeError::Invalid { .. })),
            "invalid manifest at `config.digest`: digest algorithm \"md5\" is not supported",
        ),
        (
            DOCKER_SCHEMA2.into(),
            Some(OCI_INDEX),
            |e| matches!(e, ManifestError::ContentTypeMismatch { .. }),
            "Content-Type says application/vnd.oci.image.index.v1+json but the body's mediaType is application/vnd.docker.distribution.manifest.v2+json",
        ),
        (
            body(&format!(r#""schemaVersion":2,{cfg},{good_layers}"#)),
            Some(OCI_INDEX),
            |e| {
                matches!(
                    e,
                    ManifestError::KindContradiction {
                        origin: TypeSource::ContentType,
                        found: ManifestKind::Image,
                        ..
                    }
                )
            },
            "Content-Type says application/vnd.oci.image.index.v1+json, but the body has `layers`, so it is an image manifest",
        ),
        (
            body(&format!(r#""schemaVersion":2,"mediaType":"{DOCKER_LIST}",{cfg}"#)),
            None,
            |e| {
                matches!(
                    e,
                    ManifestError::KindContradiction { origin: TypeSource::Body, field: "config", .. }
                )
            },
            "the body's mediaType says application/vnd.docker.distribution.manifest.list.v2+json, but the body has `config`",
        ),
        (
            body(&format!(r#""schemaVersion":2,"manifests":[],{good_layers}"#)),
            None,
            |e| matches!(e, ManifestError::Ambiguous { field: "layers" }),
            "manifest has both `manifests` and `layers`",
        ),
        (
            body(r#""schemaVersion":2"#),
            None,
            |e| matches!(e, ManifestError::UnknownKind),
            "cannot tell what kind of manifest this is",
        ),
        (
            DOCKER_SCHEMA2.into(),
            Some("application/vnd.oci.image.config.v1+json"),
            |e| matches!(e, ManifestError::NotAManifestType { origin: TypeSource::ContentType, .. }),
            "Content-Type is application/vnd.oci.image.config.v1+json, which is not a manifest or index type",
        ),
        (
            body(&format!(r#""schemaVersion":2,"mediaType":"text/html",{cfg},{good_layers}"#)),
            None,
            |e| matches!(e, ManifestError::NotAManifestType { origin: TypeSource::Body, .. }),
            "the body's mediaType is text/html, which is not a manifest or index type",
        ),
        (
            body(&format!(r#""schemaVersion":2,{cfg},{cfg},{good_layers}"#)),
            None,
            |e| matches!(e, ManifestError::Decode(DecodeError::Invalid { .. })),
            "invalid manifest at the top level: duplicate field `config`",
        ),
        (
            body(&format!(
                r#""schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[{{"mediaType":"{OCI_MANIFEST}","digest":"{D}"}}]"#
            )),
            None,
            |e| matches!(e, ManifestError::Decode(DecodeError::Invalid { path, .. }) if path == "manifests[0]"),
            "invalid manifest at `manifests[0]`: missing field `size`",
        ),
    ];
    for (input, content_type, check, want) in &cases {
        let err = parse_manifest(input.as_bytes(), *content_type).expect_err(want);
        assert!(check(&err), "{want}: unexpected {err:?}");
        assert!(err.to_string().starts_with(want), "\n got: {err}\nwant: {want}");
        let code = err.code();
        assert!(matches!(code, ErrorCode::InvalidResponse | ErrorCode::LimitExceeded), "{code}");
    }
}

#[test]
fn deeply_nested_unknown_fields_neither_crash_nor_matter() {
    let deep = format!("{}{}", "[".repeat(1_000_000), "]".repeat(1_000_000));
    let body = DOCKER_SCHEMA2.replacen('{', &format!(r#"{{"x-vendor":{deep},"#), 1);
    assert!(matches!(parse_manifest(body.as_bytes(), None), Ok(Manifest::Image(_))));
}

#[test]
fn size_limit_is_enforced_before_parsing() {
    let err = parse_manifest_with_limit(b"{ not even looked at", None, 8).expect_err("too big");
    assert_eq!(
        err,
        ManifestError::Decode(DecodeError::TooLarge { document: Document::Manifest, limit: 8, actual: 20 })
    );
    assert_eq!(err.to_string(), "manifest is 20 bytes, over the 8-byte limit");
    assert_eq!(err.code(), ErrorCode::LimitExceeded);
    let big = vec![b' '; regsight_core::model::MANIFEST_SIZE_LIMIT + 1];
    assert!(matches!(
        parse_manifest(&big, None),
        Err(ManifestError::Decode(DecodeError::TooLarge { limit: 4_194_304, .. }))
    ));
}
