//! Fixture images: built deterministically into OCI layouts, pushed to the open registry with
//! skopeo (curl only for what skopeo refuses to push, files written into the registry's storage for
//! what distribution cannot be made to store through its API), broken on purpose where asked, and
//! described by ground truth computed from what `curl` downloads with `sha256sum`, `sha512sum`,
//! `wc -c`, `gzip -dc`, `zstd -dc` and `tar -t`.

mod hostile;
mod tag_names;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256, Sha512};

use crate::cmd::{self, sh_quote};
use crate::info::{BlobTruth, Expectation, Fixture, HubImage, ImageTruth, LayerTruth};
use crate::{Result, rig_err};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
const OCI_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const OCI_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const IN_TOTO: &str = "application/vnd.in-toto+json";
/// The `Accept` header the truth's manifest downloads send: every manifest type.
const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";
/// The annotation naming an index entry an attestation (BuildKit)...
const ATTESTATION_TYPE: &str = "vnd.docker.reference.type";
/// ...and the one naming the manifest it attests.
const ATTESTATION_OF: &str = "vnd.docker.reference.digest";
/// The in-toto predicate type of an SPDX SBOM.
const SPDX_PREDICATE: &str = "https://spdx.dev/Document";
/// Every file in every layer carries this modification time (2024-01-01T00:00:00Z).
/// The hub's official images: `(repository, fixture)`, each a copy of `public/<fixture>` under the
/// fixture's tag, so the fixture's ground truth applies (storage is shared, digests are preserved).
const HUB_IMAGES: &[(&str, &str)] =
    &[("library/hello", "docker-v2"), ("library/multi", "multiarch"), ("library/broken", "broken-blob")];

/// The hub's images anyone may pull (Docker Hub's official images live under `library/`).
pub fn hub_images() -> Vec<HubImage> {
    HUB_IMAGES
        .iter()
        .map(|(repository, fixture)| HubImage {
            repository: (*repository).to_owned(),
            tag: "v1".into(),
            fixture: (*fixture).to_owned(),
        })
        .collect()
}

/// The hub's images that need credentials (the fixtures' own `private/` copies).
pub fn hub_private_images() -> Vec<HubImage> {
    vec![HubImage { repository: "private/docker-v2".into(), tag: "v1".into(), fixture: "docker-v2".into() }]
}

/// The fixtures [`Builder::build_all`] builds, in order (the benchmark image is built apart).
pub const FIXTURE_NAMES: [&str; 18] = [
    "docker-v2",
    "oci-gzip",
    "oci-mixed",
    "multiarch",
    "multiarch-docker",
    "multimember",
    "attestation",
    "many-tags",
    "tags-10k",
    "hostile-strings",
    "broken-blob",
    "broken-diffid",
    "broken-size",
    "broken-manifest",
    "corrupt-blob",
    "sha512",
    "layer-1m",
    "layer-64m",
];

const EPOCH: u64 = 1_704_067_200;
const CREATED: &str = "2024-01-01T00:00:00Z";

/// Where fixtures are built and pushed.
pub struct Builder {
    build: PathBuf,
    storage: PathBuf,
    /// `host:port` of the open registry.
    host: String,
}

/// Whether a fixture's truth lists its layers' paths with `tar -t`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Listing {
    Tar,
    /// Not listed (`files` is `null`): the benchmark image's layer is hundreds of MiB.
    Skip,
}

/// How a layer's tar is compressed.
#[derive(Clone, Copy)]
enum Packing {
    Gzip,
    /// Three gzip members concatenated, as some tools write.
    GzipMembers,
    Zstd,
    Plain,
}

/// A built layer blob inside a layout.
#[derive(Clone)]
struct Layer {
    media_type: &'static str,
    digest: String,
    size: u64,
    diff_id: String,
}

impl Layer {
    /// Its descriptor in a manifest.
    fn descriptor(&self) -> Value {
        json!({"mediaType": self.media_type, "digest": self.digest, "size": self.size})
    }
}

/// One entry of a layer's file tree.
enum Entry {
    Dir(&'static str),
    File(String, Vec<u8>),
    Symlink(&'static str, &'static str),
    Hardlink(&'static str, &'static str),
}

/// A deterministic pseudo-random generator (xorshift64*), so fixtures are identical on every machine.
struct Noise(u64);

impl Noise {
    fn new(seed: &str) -> Self {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for b in seed.bytes() {
            state = (state ^ u64::from(b)).wrapping_mul(0x100_0000_01B3);
        }
        Self(state | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Text made of words, compressible like real configuration and source files.
    fn text(&mut self, len: usize) -> Vec<u8> {
        const WORDS: &[&str] = &[
            "registry", "manifest", "layer", "digest", "config", "tar", "gzip", "image", "verify", "python",
            "alpine", "library", "index", "platform", "amd64", "arm64", "token", "realm", "blob", "sha256",
            "the", "a", "of", "to", "and", "in", "is", "=", "{", "}", "fn", "let",
        ];
        let mut out = Vec::with_capacity(len + 16);
        while out.len() < len {
            let word = WORDS[(self.next() % WORDS.len() as u64) as usize];
            out.extend_from_slice(word.as_bytes());
            out.push(if self.next().is_multiple_of(9) { b'\n' } else { b' ' });
        }
        out.truncate(len);
        out
    }

    /// Incompressible bytes, like binaries and already-compressed files.
    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| (self.next() >> 56) as u8).collect()
    }
}

impl Builder {
    /// A builder writing under `build`, pushing to the open registry at `host` backed by `storage`.
    pub fn new(build: &Path, storage: &Path, host: &str) -> Self {
        Self { build: build.to_path_buf(), storage: storage.to_path_buf(), host: host.to_owned() }
    }

    /// Builds, pushes and describes every fixture.
    pub fn build_all(&self) -> Result<Vec<Fixture>> {
        fs::create_dir_all(&self.build)?;
        let fixtures = vec![
            self.docker_v2()?,
            self.oci_gzip()?,
            self.oci_mixed()?,
            self.multiarch()?,
            self.multiarch_docker()?,
            self.multimember()?,
            self.attestation()?,
            self.many_tags()?,
            self.tags_10k()?,
            self.hostile_strings()?,
            self.broken_blob()?,
            self.broken_diff_id()?,
            self.broken_size()?,
            self.broken_manifest()?,
            self.corrupt_blob()?,
            self.sha512()?,
            self.sized("layer-1m", 1)?,
            self.sized("layer-64m", 64)?,
        ];
        let names: Vec<&str> = fixtures.iter().map(|f| f.name.as_str()).collect();
        if names != FIXTURE_NAMES {
            return Err(rig_err!("built fixtures {names:?}, but FIXTURE_NAMES lists {FIXTURE_NAMES:?}"));
        }
        self.check_hub_copies(&fixtures)?;
        Ok(fixtures)
    }

    /// Each hub image is served under its fixture's top digest with the same bytes.
    fn check_hub_copies(&self, fixtures: &[Fixture]) -> Result<()> {
        for image in hub_images().iter().chain(&hub_private_images()) {
            let fixture = fixtures.iter().find(|f| f.name == image.fixture).ok_or_else(|| {
                rig_err!("hub image {} names no fixture {:?}", image.repository, image.fixture)
            })?;
            let served = self.served_manifest(&image.repository, &image.tag)?;
            if served.digest.as_deref() != Some(fixture.manifest.claimed_digest.as_str())
                || served.bytes != fs::read(&fixture.manifest.file)?
            {
                return Err(rig_err!(
                    "{}:{} is served as {:?}, not as {} (fixture {})",
                    image.repository,
                    image.tag,
                    served.digest,
                    fixture.manifest.claimed_digest,
                    fixture.name
                ));
            }
        }
        Ok(())
    }

    fn docker_v2(&self) -> Result<Fixture> {
        let name = "docker-v2";
        let layout = self.layout(name)?;
        let mut noise = Noise::new(name);
        let base = self.layer(name, "base", base_tree(&mut noise), Packing::Gzip, false)?;
        let app = self.layer(name, "app", app_tree(&mut noise), Packing::Gzip, false)?;
        let extra = self.layer(name, "extra", whiteout_tree(&mut noise), Packing::Gzip, true)?;
        let history = json!([
            {"created": CREATED, "created_by": "/bin/sh -c #(nop) ADD file:base in / "},
            {"created": CREATED, "created_by": "/bin/sh -c #(nop)  ENV LANG=C.UTF-8", "empty_layer": true},
            {"created": CREATED, "created_by": "/bin/sh -c #(nop) COPY dir:app in /srv/app "},
            {"created": CREATED, "created_by": "/bin/sh -c rm -rf /etc/old && touch /var/cache/new"},
            {"created": CREATED, "created_by": "/bin/sh -c #(nop)  CMD [\"/srv/app/run.sh\"]", "empty_layer": true}
        ]);
        let layers = [base, app, extra];
        let manifest = self.image(&layout, &layers, ("linux", "amd64", None), history, None)?;
        layout.tag("v1", &manifest)?;
        self.skopeo_push(&layout, "v1", name, "v1", Some("v2s2"))?;
        self.copy_to_private(name, "v1")?;
        self.describe(name, "Docker schema2 image: 3 gzip layers (one GNU-format tar with long names and whiteouts), empty_layer history", "v1", vec![], ok())
    }

    fn oci_gzip(&self) -> Result<Fixture> {
        let name = "oci-gzip";
        let layout = self.layout(name)?;
        let mut noise = Noise::new(name);
        let base = self.layer(name, "base", base_tree(&mut noise), Packing::Gzip, false)?;
        let app = self.layer(name, "app", app_tree(&mut noise), Packing::Gzip, false)?;
        let manifest = self.image(&layout, &[base, app], ("linux", "amd64", None), history(2), None)?;
        layout.tag("v1", &manifest)?;
        self.skopeo_push(&layout, "v1", name, "v1", None)?;
        self.copy_to_private(name, "v1")?;
        self.describe(name, "OCI image with two gzip layers", "v1", vec![], ok())
    }

    fn oci_mixed(&self) -> Result<Fixture> {
        let name = "oci-mixed";
        let layout = self.layout(name)?;
        let mut noise = Noise::new(name);
        let zstd = self.layer(name, "zstd", base_tree(&mut noise), Packing::Zstd, false)?;
        let plain = self.layer(name, "plain", app_tree(&mut noise), Packing::Plain, false)?;
        let manifest = self.image(&layout, &[zstd, plain], ("linux", "amd64", None), history(2), None)?;
        layout.tag("v1", &manifest)?;
        self.skopeo_push(&layout, "v1", name, "v1", None)?;
        self.copy_to_private(name, "v1")?;
        self.describe(
            name,
            "OCI image with one zstd layer and one uncompressed tar layer",
            "v1",
            vec![],
            ok(),
        )
    }

    /// The three platform images shared by both multi-arch fixtures, written into `layout`.
    fn platform_images(&self, name: &str, layout: &Layout) -> Result<Vec<(Value, Value)>> {
        let mut noise = Noise::new(name);
        let base = self.layer(name, "base", base_tree(&mut noise), Packing::Gzip, false)?;
        let mut out = Vec::new();
        for (arch, variant) in [("amd64", None), ("arm64", Some("v8")), ("arm", Some("v7"))] {
            let tree = vec![
                Entry::Dir("usr"),
                Entry::Dir("usr/bin"),
                Entry::File(format!("usr/bin/hello-{arch}"), noise.bytes(20_000)),
            ];
            let own = self.layer(name, &format!("own-{arch}"), tree, Packing::Gzip, false)?;
            let manifest =
                self.image(layout, &[base.clone(), own], ("linux", arch, variant), history(2), None)?;
            let mut platform = json!({"os": "linux", "architecture": arch});
            if let Some(v) = variant {
                platform["variant"] = json!(v);
            }
            out.push((manifest, platform));
        }
        Ok(out)
    }

    fn multiarch(&self) -> Result<Fixture> {
        let name = "multiarch";
        let layout = self.layout(name)?;
        let images = self.platform_images(name, &layout)?;
        let manifests: Vec<Value> = images
            .into_iter()
            .map(|(mut m, p)| {
                m["platform"] = p;
                m
            })
            .collect();
        let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests});
        let index = layout.add_json(OCI_INDEX, &index)?;
        layout.tag("v1", &index)?;
        self.skopeo_push(&layout, "v1", name, "v1", None)?;
        self.copy_to_private(name, "v1")?;
        self.describe(name, "OCI index: linux/amd64, linux/arm64/v8, linux/arm/v7", "v1", vec![], ok())
    }

    fn multiarch_docker(&self) -> Result<Fixture> {
        let name = "multiarch-docker";
        let layout = self.layout(name)?;
        let images = self.platform_images(name, &layout)?;
        let mut manifests = Vec::new();
        let mut blobs = Vec::new();
        for (manifest, platform) in images {
            let arch = platform["architecture"].as_str().unwrap_or("unknown").to_owned();
            let tag = format!("v1-{arch}");
            layout.tag(&tag, &manifest)?;
            // skopeo converts each image to Docker schema2; the list is then written to match.
            self.skopeo_push(&layout, &tag, name, &tag, Some("v2s2"))?;
            let raw = self.raw_manifest(&format!("public/{name}"), &tag)?;
            let parsed: Value = serde_json::from_slice(&raw)?;
            blobs.push(json_str(&parsed["config"]["digest"])?);
            for layer in parsed["layers"].as_array().into_iter().flatten() {
                blobs.push(json_str(&layer["digest"])?);
            }
            manifests.push(json!({
                "mediaType": DOCKER_MANIFEST,
                "size": raw.len(),
                "digest": sha256_hex(&raw),
                "platform": platform,
            }));
            self.put_manifest(
                &format!("private/{name}"),
                &tag,
                DOCKER_MANIFEST,
                &raw,
                &blobs,
                &format!("public/{name}"),
            )?;
        }
        let list = json!({"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": manifests});
        let list = serde_json::to_vec_pretty(&list)?;
        for repo in [format!("public/{name}"), format!("private/{name}")] {
            self.put_manifest(&repo, "v1", DOCKER_LIST, &list, &[], &format!("public/{name}"))?;
        }
        let tags = vec!["v1".into(), "v1-amd64".into(), "v1-arm".into(), "v1-arm64".into()];
        self.describe(
            name,
            "Docker manifest list: linux/amd64, linux/arm64/v8, linux/arm/v7",
            "v1",
            tags,
            ok(),
        )
    }

    fn multimember(&self) -> Result<Fixture> {
        let name = "multimember";
        let layout = self.layout(name)?;
        let mut noise = Noise::new(name);
        let layer = self.layer(name, "members", app_tree(&mut noise), Packing::GzipMembers, false)?;
        let manifest = self.image(&layout, &[layer], ("linux", "amd64", None), history(1), None)?;
        layout.tag("v1", &manifest)?;
        self.skopeo_push(&layout, "v1", name, "v1", None)?;
        self.copy_to_private(name, "v1")?;
        self.describe(name, "OCI image whose layer is three concatenated gzip members", "v1", vec![], ok())
    }

    /// An index as BuildKit writes it with `--attest type=sbom`: one linux/amd64 image and its
    /// attestation manifest (platform `unknown/unknown`, `vnd.docker.reference.*` annotations naming
    /// the image's manifest), whose one layer is an in-toto statement with an SPDX predicate.
    fn attestation(&self) -> Result<Fixture> {
        let name = "attestation";
        let layout = self.layout(name)?;
        let mut noise = Noise::new(name);
        let base = self.layer(name, "base", base_tree(&mut noise), Packing::Gzip, false)?;
        let app = self.layer(name, "app", app_tree(&mut noise), Packing::Gzip, false)?;
        let mut image = self.image(&layout, &[base, app], ("linux", "amd64", None), history(2), None)?;
        let image_digest = json_str(&image["digest"])?;
        let statement = json!({
            "_type": "https://in-toto.io/Statement/v0.1",
            "predicateType": SPDX_PREDICATE,
            "subject": [{
                "name": format!("pkg:docker/public/{name}@v1?platform=linux%2Famd64"),
                "digest": {"sha256": hex_part(&image_digest)},
            }],
            "predicate": {
                "spdxVersion": "SPDX-2.3",
                "SPDXID": "SPDXRef-DOCUMENT",
                "name": "regsight fixture",
                "dataLicense": "CC0-1.0",
                "packages": [],
            },
        });
        let mut statement = layout.add_json(IN_TOTO, &statement)?;
        let statement_digest = json_str(&statement["digest"])?;
        statement["annotations"] = json!({"in-toto.io/predicate-type": SPDX_PREDICATE});
        let config = json!({
            "architecture": "unknown",
            "os": "unknown",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": [statement_digest]},
        });
        let config = layout.add_json(OCI_CONFIG, &config)?;
        let mut attestation = layout.add_manifest(config, vec![statement], json!({}))?;
        image["platform"] = json!({"os": "linux", "architecture": "amd64"});
        attestation["platform"] = json!({"os": "unknown", "architecture": "unknown"});
        attestation["annotations"] = json!({
            ATTESTATION_TYPE: "attestation-manifest",
            ATTESTATION_OF: image_digest,
        });
        let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [image, attestation]});
        let index = layout.add_json(OCI_INDEX, &index)?;
        layout.tag("v1", &index)?;
        self.skopeo_push(&layout, "v1", name, "v1", None)?;
        self.copy_to_private(name, "v1")?;
        self.describe(
            name,
            "OCI index as BuildKit writes it: linux/amd64 and its attestation manifest (unknown/unknown, \
             vnd.docker.reference.type attestation-manifest, vnd.docker.reference.digest the image's \
             manifest) whose layer is an in-toto SPDX statement",
            "v1",
            vec![],
            ok(),
        )
    }

    fn many_tags(&self) -> Result<Fixture> {
        let name = "many-tags";
        let layout = self.layout(name)?;
        let mut noise = Noise::new(name);
        let layer = self.layer(
            name,
            "tiny",
            vec![Entry::File("VERSION".into(), noise.text(64))],
            Packing::Gzip,
            false,
        )?;
        let manifest = self.image(&layout, &[layer], ("linux", "amd64", None), history(1), None)?;
        layout.tag("latest", &manifest)?;
        self.skopeo_push(&layout, "latest", name, "latest", None)?;
        let raw = self.raw_manifest(&format!("public/{name}"), "latest")?;
        let mut tags = vec!["latest".to_owned()];
        for major in 0..4 {
            for minor in 0..10 {
                for patch in 0..8 {
                    tags.push(format!("{major}.{minor}.{patch}"));
                }
            }
        }
        tags.extend(["1.10.0-rc.1", "1.10.0", "2.0.0-beta", "stable", "edge"].map(String::from));
        for tag in &tags[1..] {
            self.put_manifest(&format!("public/{name}"), tag, OCI_MANIFEST, &raw, &[], "")?;
        }
        self.copy_to_private(name, "latest")?;
        self.describe(
            name,
            "a repository with 326 tags (semver-like and words) on one image",
            "latest",
            tags,
            ok(),
        )
    }

    /// Exactly [`tag_names::COUNT`] tags on one small image: pushed once as `latest` (and copied to
    /// `private/` under that tag only), then every other tag made a symlink to `latest`'s tag
    /// directory in the registry's storage (10,000 manifest PUTs take minutes, and 10,000 real tag
    /// directories take 274 MB of blocks and seconds to delete); distribution reads through the
    /// links, and the open registry must then list exactly those tags.
    fn tags_10k(&self) -> Result<Fixture> {
        let name = "tags-10k";
        let layout = self.layout(name)?;
        let mut noise = Noise::new(name);
        let tree = vec![Entry::File("VERSION".into(), noise.text(64))];
        let layer = self.layer(name, "tiny", tree, Packing::Gzip, false)?;
        let manifest = self.image(&layout, &[layer], ("linux", "amd64", None), history(1), None)?;
        layout.tag("latest", &manifest)?;
        self.skopeo_push(&layout, "latest", name, "latest", None)?;
        self.copy_to_private(name, "latest")?;
        let tags = tag_names::generate(&mut noise)?;
        let repo = format!("public/{name}");
        let manifests = self.registry_root().join("repositories").join(&repo).join("_manifests");
        for tag in tags.iter().filter(|t| *t != "latest") {
            std::os::unix::fs::symlink("latest", manifests.join("tags").join(tag))?;
        }
        self.check_served_tags(&repo, &tags)?;
        self.describe(
            name,
            "a repository with 10,000 tags (words, semver, v-prefixed, pre-releases, 3.12.1-alpine3.20-like \
             variants, sha-/build-/nightly- and YYYYMMDD dates) on one image, written into the registry's \
             storage; its private copy has only latest",
            "latest",
            tags,
            ok(),
        )
    }

    /// Fails unless `GET /v2/<repo>/tags/list` on the open registry (curl) answers exactly `tags`.
    fn check_served_tags(&self, repo: &str, tags: &[String]) -> Result<()> {
        let url = format!("http://{}/v2/{repo}/tags/list", self.host);
        let body = cmd::run(Command::new("curl").arg("-sf").arg(&url))?;
        let json: Value = serde_json::from_slice(&body)?;
        let mut served = json["tags"]
            .as_array()
            .ok_or_else(|| rig_err!("{url} answered no tags array"))?
            .iter()
            .map(json_str)
            .collect::<Result<Vec<_>>>()?;
        let mut expected = tags.to_vec();
        served.sort_unstable();
        expected.sort_unstable();
        if served != expected {
            return Err(rig_err!("{url} lists {} tags, not the {} written", served.len(), expected.len()));
        }
        Ok(())
    }

    /// A valid, fully verifiable image whose every registry-controlled string is hostile HTML or a
    /// `javascript:` URL: config, history, manifest and layer annotations, and the layer's file names.
    fn hostile_strings(&self) -> Result<Fixture> {
        let name = "hostile-strings";
        let layout = self.layout(name)?;
        let mut noise = Noise::new(name);
        let layer = self.layer(name, "html", hostile::tree(&mut noise), Packing::Gzip, false)?;
        let config = layout.add_json(OCI_CONFIG, &hostile::config(vec![layer.diff_id.clone()]))?;
        let mut descriptor = layer.descriptor();
        descriptor["annotations"] = hostile::layer_annotations();
        let manifest = layout.add_manifest(config, vec![descriptor], hostile::annotations())?;
        layout.tag("v1", &manifest)?;
        self.skopeo_push(&layout, "v1", name, "v1", None)?;
        self.copy_to_private(name, "v1")?;
        let fixture = self.describe(
            name,
            "valid image whose every registry-controlled string is hostile HTML or a javascript: URL: \
             config Env, Labels, Cmd, Entrypoint, User, WorkingDir, ExposedPorts, Volumes, history, \
             manifest and layer annotations, and the layer's file, directory and symlink names",
            "v1",
            vec![],
            ok(),
        )?;
        let built = json_str(&manifest["digest"])?;
        if fixture.manifest.claimed_digest != built {
            return Err(rig_err!(
                "{name}: the registry serves {} for v1, but {built} was pushed",
                fixture.manifest.claimed_digest
            ));
        }
        Ok(fixture)
    }

    /// One gzip layer of `mib` MiB (half incompressible bytes, half text), for memory checks.
    fn sized(&self, name: &str, mib: usize) -> Result<Fixture> {
        let layout = self.layout(name)?;
        let mut noise = Noise::new(name);
        let half = mib * 512 * 1024;
        let tree = vec![
            Entry::Dir("data"),
            Entry::File("data/blob.bin".into(), noise.bytes(half)),
            Entry::File("data/words.txt".into(), noise.text(half)),
        ];
        let layer = self.layer(name, "data", tree, Packing::Gzip, false)?;
        let manifest = self.image(&layout, &[layer], ("linux", "amd64", None), history(1), None)?;
        layout.tag("v1", &manifest)?;
        self.skopeo_push(&layout, "v1", name, "v1", None)?;
        self.copy_to_private(name, "v1")?;
        self.describe(name, &format!("one gzip layer of {mib} MiB, for memory checks"), "v1", vec![], ok())
    }

    fn broken_blob(&self) -> Result<Fixture> {
        let name = "broken-blob";
        // Change the gzip header's MTIME in storage: same size, still valid gzip, same diff_id,
        // but the blob no longer hashes to its digest.
        self.push_with_altered_layer(name, |_| 4, 0x5a)?;
        self.describe(
            name,
            "layer 1's bytes altered in the registry's storage after the push",
            "v1",
            vec![],
            broken(1, "digest"),
        )
    }

    fn broken_diff_id(&self) -> Result<Fixture> {
        let name = "broken-diffid";
        let layout = self.layout(name)?;
        let mut noise = Noise::new(name);
        let first = self.layer(name, "first", app_tree(&mut noise), Packing::Gzip, false)?;
        let second = self.layer(name, "second", base_tree(&mut noise), Packing::Gzip, false)?;
        let wrong = format!("sha256:{}", sha256_hex(b"not the layer").trim_start_matches("sha256:"));
        let manifest =
            self.image(&layout, &[first, second], ("linux", "amd64", None), history(2), Some((0, wrong)))?;
        layout.tag("v1", &manifest)?;
        self.skopeo_push(&layout, "v1", name, "v1", None)?;
        self.copy_to_private(name, "v1")?;
        self.describe(
            name,
            "config rootfs.diff_ids[0] names the wrong value",
            "v1",
            vec![],
            broken(0, "diff_id"),
        )
    }

    fn broken_size(&self) -> Result<Fixture> {
        let name = "broken-size";
        let layout = self.layout(name)?;
        let mut noise = Noise::new(name);
        let first = self.layer(name, "first", app_tree(&mut noise), Packing::Gzip, false)?;
        let second = self.layer(name, "second", base_tree(&mut noise), Packing::Gzip, false)?;
        let manifest = self.image(&layout, &[first, second], ("linux", "amd64", None), history(2), None)?;
        // skopeo refuses a manifest whose sizes lie, so the blobs and the manifest go up with curl.
        let raw = layout.read_blob(&json_str(&manifest["digest"])?)?;
        let mut parsed: Value = serde_json::from_slice(&raw)?;
        let mut blobs = vec![json_str(&parsed["config"]["digest"])?];
        for layer in parsed["layers"].as_array().into_iter().flatten() {
            blobs.push(json_str(&layer["digest"])?);
        }
        let real = parsed["layers"][1]["size"].as_u64().unwrap_or_default();
        parsed["layers"][1]["size"] = json!(real + 1000);
        let lying = serde_json::to_vec_pretty(&parsed)?;
        for repo in [format!("public/{name}"), format!("private/{name}")] {
            for digest in &blobs {
                self.upload_blob(&repo, &layout.blob_path(digest))?;
            }
            self.put_manifest(&repo, "v1", OCI_MANIFEST, &lying, &[], "")?;
        }
        self.describe(
            name,
            "manifest claims layer 1 is 1000 bytes longer than it is",
            "v1",
            vec![],
            broken(1, "size"),
        )
    }

    /// A good image whose stored manifest bytes are altered after the push: same length, same
    /// shape, still valid JSON (one digit of the `created` annotation differs), served by tag and by
    /// its original digest with `Docker-Content-Digest` still naming the original digest.
    fn broken_manifest(&self) -> Result<Fixture> {
        let name = "broken-manifest";
        let layout = self.layout(name)?;
        let mut noise = Noise::new(name);
        let layer = self.layer(name, "app", app_tree(&mut noise), Packing::Gzip, false)?;
        let manifest = self.image(&layout, &[layer], ("linux", "amd64", None), history(1), None)?;
        layout.tag("v1", &manifest)?;
        self.skopeo_push(&layout, "v1", name, "v1", None)?;
        self.copy_to_private(name, "v1")?;
        // The storage is shared, so both repositories (and all registries) serve the altered bytes.
        let pushed = json_str(&manifest["digest"])?;
        let data = self.stored_blob(&pushed)?;
        let altered = alter_created_annotation(&fs::read(&data)?)?;
        fs::write(&data, altered)?;
        let expect = Expectation { ok: false, failing_layer: None, failing_check: Some("manifest".into()) };
        let fixture = self.describe(
            name,
            "manifest bytes altered in the registry's storage after the push (same length, valid JSON): \
             served by tag and by its original digest, Docker-Content-Digest still names the original",
            "v1",
            vec![],
            expect,
        )?;
        if fixture.manifest.claimed_digest != pushed {
            return Err(rig_err!(
                "{name}: the registry names {} for v1, but {pushed} was pushed",
                fixture.manifest.claimed_digest
            ));
        }
        Ok(fixture)
    }

    /// Two gzip layers; layer 1's stored blob has one byte flipped in the middle of its deflate
    /// data: same size, wrong digest, and it no longer decompresses.
    fn corrupt_blob(&self) -> Result<Fixture> {
        let name = "corrupt-blob";
        // gzip -n writes a 10-byte header and an 8-byte trailer: the middle is deflate data.
        self.push_with_altered_layer(name, |len| len / 2, 0xff)?;
        self.describe(
            name,
            "layer 1's stored blob has one byte flipped in the middle of its deflate data: same size, \
             wrong digest, gzip -dc fails",
            "v1",
            vec![],
            broken(1, "stream"),
        )
    }

    /// Pushes a two-layer gzip image as `name` (public and private), then XORs the byte at
    /// `position(len)` of layer 1's stored blob with `mask`: same size, other bytes.
    fn push_with_altered_layer(&self, name: &str, position: fn(usize) -> usize, mask: u8) -> Result<()> {
        let layout = self.layout(name)?;
        let mut noise = Noise::new(name);
        let first = self.layer(name, "first", app_tree(&mut noise), Packing::Gzip, false)?;
        let second = self.layer(name, "second", base_tree(&mut noise), Packing::Gzip, false)?;
        let victim = second.digest.clone();
        let manifest = self.image(&layout, &[first, second], ("linux", "amd64", None), history(2), None)?;
        layout.tag("v1", &manifest)?;
        self.skopeo_push(&layout, "v1", name, "v1", None)?;
        self.copy_to_private(name, "v1")?;
        let data = self.stored_blob(&victim)?;
        let mut bytes = fs::read(&data)?;
        // Layers of these trees are tens of kilobytes; anything much smaller is not what was built.
        if bytes.len() < 1024 {
            return Err(rig_err!("stored blob {} is too short to alter", data.display()));
        }
        let at = position(bytes.len());
        let byte =
            bytes.get_mut(at).ok_or_else(|| rig_err!("byte {at} is past the end of {}", data.display()))?;
        *byte ^= mask;
        fs::write(&data, bytes)?;
        Ok(())
    }

    /// One gzip layer where every link uses sha512: the manifest is stored and tagged under its
    /// sha512 digest, it names the config and the layer by sha512 digests, and the config's diff_id
    /// is sha512. distribution stores only sha256 through its API (a manifest PUT by a sha512 digest
    /// is DIGEST_INVALID; a blob uploaded with `digest=sha512:` lands under sha256 and is served
    /// with a sha256 `Docker-Content-Digest`), so the files are written into its storage directly.
    fn sha512(&self) -> Result<Fixture> {
        let name = "sha512";
        let layout = self.layout(name)?;
        let mut noise = Noise::new(name);
        let layer = self.layer(name, "app", app_tree(&mut noise), Packing::Gzip, false)?;
        let dir = self.build.join(name);
        let blob = layout.read_blob(&layer.digest)?;
        let diff_id = sha512_hex(&fs::read(dir.join("app.tar"))?);
        let config = config_doc(vec![diff_id], ("linux", "amd64", None), history(1));
        let config = serde_json::to_vec_pretty(&config)?;
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": sha512_hex(&config), "size": config.len()},
            "layers": [{"mediaType": layer.media_type, "digest": sha512_hex(&blob), "size": blob.len()}],
            "annotations": {"org.opencontainers.image.created": CREATED},
        });
        let manifest = serde_json::to_vec_pretty(&manifest)?;
        let blobs = [sha512_hex(&config), sha512_hex(&blob)];
        let manifest_digest = sha512_hex(&manifest);
        for bytes in [&config, &blob, &manifest] {
            let path = self.stored_blob(&sha512_hex(bytes))?;
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(&path, bytes)?;
        }
        for repo in [format!("public/{name}"), format!("private/{name}")] {
            let repo_dir = self.registry_root().join("repositories").join(&repo);
            for digest in &blobs {
                write_link(&repo_dir.join("_layers").join(digest_dirs(digest)?).join("link"), digest)?;
            }
            let manifests = repo_dir.join("_manifests");
            let revision = manifests.join("revisions").join(digest_dirs(&manifest_digest)?);
            write_link(&revision.join("link"), &manifest_digest)?;
            write_tag_links(&manifests, "v1", &manifest_digest)?;
        }
        self.describe(
            name,
            "every link in sha512: manifest stored and tagged under its sha512 digest, config and gzip \
             layer named by sha512 digests, sha512 diff_id (written into the registry's storage)",
            "v1",
            vec![],
            ok(),
        )
    }

    /// The root of distribution's filesystem storage (`docker/registry/v2`).
    fn registry_root(&self) -> PathBuf {
        self.storage.join("docker").join("registry").join("v2")
    }

    /// Where distribution stores the bytes of `<algorithm>:<hex>`.
    fn stored_blob(&self, digest: &str) -> Result<PathBuf> {
        let (algorithm, hex) = digest.split_once(':').ok_or_else(|| rig_err!("bad digest {digest:?}"))?;
        let prefix = hex.get(..2).ok_or_else(|| rig_err!("bad digest {digest:?}"))?;
        Ok(self.registry_root().join("blobs").join(algorithm).join(prefix).join(hex).join("data"))
    }

    /// A benchmark image (built only on demand): at least `size_mib` MiB of real files from this
    /// machine (libraries, binaries, documentation) in sorted order, split into `layers` gzip
    /// layers of about equal size. Its fixture is named by [`bench_name`].
    pub fn bench(&self, size_mib: u64, layers: usize) -> Result<Fixture> {
        let name = bench_name(size_mib, layers);
        let layout = self.layout(&name)?;
        let budget = size_mib * 1024 * 1024;
        let mut files = Vec::new();
        let mut total = 0;
        for root in ["/usr/lib", "/usr/share", "/usr/bin", "/usr/libexec"] {
            collect_files(Path::new(root), &mut files, &mut total, budget)?;
        }
        if total < budget {
            return Err(rig_err!(
                "only {total} bytes of files under /usr; cannot build a {size_mib} MiB image"
            ));
        }
        let dir = self.build.join(&name);
        let share = total.div_ceil(layers.max(1) as u64);
        let mut built = Vec::new();
        let mut rest = files.as_slice();
        for index in 0..layers.max(1) {
            let mut bytes = 0;
            let mut count = 0;
            // Leave at least one file for each layer after this one.
            let room = rest.len().saturating_sub(layers.max(1) - index - 1);
            while count < room && (bytes < share || index + 1 == layers.max(1)) {
                bytes += rest[count].1;
                count += 1;
            }
            let (mine, others) = rest.split_at(count);
            if mine.is_empty() {
                return Err(rig_err!("{size_mib} MiB of files do not fill {layers} layers"));
            }
            rest = others;
            built.push(self.bench_layer(&layout, &dir.join(format!("layer-{index}")), mine)?);
        }
        let manifest = self.image(&layout, &built, ("linux", "amd64", None), history(built.len()), None)?;
        layout.tag("v1", &manifest)?;
        self.skopeo_push(&layout, "v1", &name, "v1", None)?;
        self.describe_with(
            &name,
            &format!("benchmark image: {layers} gzip layer(s) of {size_mib} MiB of real files in all"),
            "v1",
            vec![],
            ok(),
            Listing::Skip,
        )
    }

    /// One benchmark layer: `files` (path, size) as a reproducible tar, `gzip -6`, stored in `layout`.
    fn bench_layer(&self, layout: &Layout, dir: &Path, files: &[(String, u64)]) -> Result<Layer> {
        fs::create_dir_all(dir)?;
        let list = dir.join("files.txt");
        fs::write(
            &list,
            files.iter().map(|(f, _)| f.trim_start_matches('/').to_owned() + "\n").collect::<String>(),
        )?;
        let tar = dir.join("layer.tar");
        cmd::run(
            Command::new("tar")
                .arg("--create")
                .arg(format!("--file={}", tar.display()))
                .args(["--directory=/", "--sort=name", "--owner=0", "--group=0", "--numeric-owner"])
                .arg(format!("--mtime=@{EPOCH}"))
                .args(["--format=posix", "--pax-option=delete=atime,delete=ctime"])
                .arg(format!("--files-from={}", list.display())),
        )?;
        let packed = dir.join("layer.tar.gz");
        cmd::pipeline(&format!("gzip -n -6 -c {} > {}", sh_quote(&tar), sh_quote(&packed)))?;
        let diff_id = cmd::sha256sum_file(&tar)?;
        let digest = cmd::sha256sum_file(&packed)?;
        let size = fs::metadata(&packed)?.len();
        fs::rename(&packed, layout.blob_path(&digest))?;
        fs::remove_file(&tar)?;
        Ok(Layer { media_type: OCI_GZIP, digest, size, diff_id })
    }

    fn layout(&self, name: &str) -> Result<Layout> {
        Layout::create(&self.build.join(name).join("layout"))
    }

    /// Materializes `tree`, tars it (GNU or PAX format), packs it and stores it in the layout.
    fn layer(
        &self,
        fixture: &str,
        name: &str,
        tree: Vec<Entry>,
        packing: Packing,
        gnu: bool,
    ) -> Result<Layer> {
        let dir = self.build.join(fixture).join("trees").join(name);
        if dir.exists() {
            fs::remove_dir_all(&dir)?;
        }
        fs::create_dir_all(&dir)?;
        let mut top: Vec<String> = Vec::new();
        for entry in &tree {
            let path = match entry {
                Entry::Dir(p) | Entry::Symlink(p, _) | Entry::Hardlink(p, _) => p.to_string(),
                Entry::File(p, _) => p.clone(),
            };
            let first = path.split('/').next().unwrap_or_default().to_owned();
            if !top.contains(&first) {
                top.push(first);
            }
            let full = dir.join(&path);
            if let Some(parent) = full.parent() {
                fs::create_dir_all(parent)?;
            }
            match entry {
                Entry::Dir(_) => fs::create_dir_all(&full)?,
                Entry::File(_, bytes) => fs::write(&full, bytes)?,
                Entry::Symlink(_, target) => std::os::unix::fs::symlink(target, &full)?,
                Entry::Hardlink(_, target) => fs::hard_link(dir.join(target), &full)?,
            }
        }
        top.sort();
        let tar = self.build.join(fixture).join(format!("{name}.tar"));
        let mut tar_cmd = Command::new("tar");
        tar_cmd
            .arg("--create")
            .arg(format!("--file={}", tar.display()))
            .arg(format!("--directory={}", dir.display()))
            .args(["--sort=name", "--owner=0", "--group=0", "--numeric-owner"])
            .arg(format!("--mtime=@{EPOCH}"))
            .arg("--mode=u+rw,go+r,go-w");
        if gnu {
            tar_cmd.arg("--format=gnu");
        } else {
            tar_cmd
                .arg("--format=posix")
                .arg("--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime");
        }
        tar_cmd.args(&top);
        cmd::run(&mut tar_cmd)?;
        let packed = self.build.join(fixture).join(format!("{name}.blob"));
        let (t, p) = (sh_quote(&tar), sh_quote(&packed));
        let media_type = match packing {
            Packing::Gzip => {
                cmd::pipeline(&format!("gzip -n -6 -c {t} > {p}"))?;
                OCI_GZIP
            }
            Packing::GzipMembers => {
                let len = fs::metadata(&tar)?.len();
                let (a, b) = (len / 3, len / 3 * 2);
                cmd::pipeline(&format!(
                    "{{ head -c {a} {t} | gzip -n -6; head -c {b} {t} | tail -c +{} | gzip -n -1; tail -c +{} {t} | gzip -n -9; }} > {p}",
                    a + 1,
                    b + 1
                ))?;
                OCI_GZIP
            }
            Packing::Zstd => {
                cmd::pipeline(&format!("zstd -q -3 --no-check -c {t} > {p}"))?;
                OCI_ZSTD
            }
            Packing::Plain => {
                fs::copy(&tar, &packed)?;
                OCI_TAR
            }
        };
        let diff_id = sha256_hex(&fs::read(&tar)?);
        let bytes = fs::read(&packed)?;
        let layout = Layout { dir: self.build.join(fixture).join("layout") };
        let (digest, size) = layout.add_blob(&bytes)?;
        Ok(Layer { media_type, digest, size, diff_id })
    }

    /// Writes a config and an OCI manifest for `layers`; returns the manifest's descriptor.
    fn image(
        &self,
        layout: &Layout,
        layers: &[Layer],
        (os, arch, variant): (&str, &str, Option<&str>),
        history: Value,
        wrong_diff_id: Option<(usize, String)>,
    ) -> Result<Value> {
        let mut diff_ids: Vec<String> = layers.iter().map(|l| l.diff_id.clone()).collect();
        if let Some((index, wrong)) = wrong_diff_id
            && let Some(slot) = diff_ids.get_mut(index)
        {
            *slot = wrong;
        }
        let config = layout.add_json(OCI_CONFIG, &config_doc(diff_ids, (os, arch, variant), history))?;
        let layers = layers.iter().map(Layer::descriptor).collect();
        layout.add_manifest(config, layers, json!({"org.opencontainers.image.created": CREATED}))
    }

    fn skopeo_push(
        &self,
        layout: &Layout,
        tag: &str,
        name: &str,
        dest_tag: &str,
        format: Option<&str>,
    ) -> Result<()> {
        let mut c = Command::new("skopeo");
        c.args(["--insecure-policy", "copy", "--all", "--quiet", "--dest-tls-verify=false"]);
        if let Some(f) = format {
            c.args(["--format", f]);
        }
        c.arg(format!("oci:{}:{tag}", layout.dir.display()))
            .arg(format!("docker://{}/public/{name}:{dest_tag}", self.host));
        cmd::run(&mut c)?;
        Ok(())
    }

    /// Copies `public/<name>:<tag>` to `private/<name>:<tag>`, and to each hub repository holding
    /// fixture `name` (see [`hub_images`]), registry to registry (bytes preserved). Runs before a
    /// broken fixture's storage is altered: skopeo would refuse to copy a blob that fails its digest.
    fn copy_to_private(&self, name: &str, tag: &str) -> Result<()> {
        let hub =
            HUB_IMAGES.iter().filter(|(_, fixture)| *fixture == name).map(|(repo, _)| (*repo).to_owned());
        for repo in std::iter::once(format!("private/{name}")).chain(hub) {
            cmd::run(
                Command::new("skopeo")
                    .args(["--insecure-policy", "copy", "--all", "--quiet", "--preserve-digests"])
                    .args(["--src-tls-verify=false", "--dest-tls-verify=false"])
                    .arg(format!("docker://{}/public/{name}:{tag}", self.host))
                    .arg(format!("docker://{}/{repo}:{tag}", self.host)),
            )?;
        }
        Ok(())
    }

    /// The exact manifest bytes the registry serves, read with skopeo.
    fn raw_manifest(&self, repo: &str, reference: &str) -> Result<Vec<u8>> {
        let sep = if reference.starts_with("sha256:") { "@" } else { ":" };
        cmd::run(
            Command::new("skopeo")
                .args(["--insecure-policy", "inspect", "--raw", "--tls-verify=false"])
                .arg(format!("docker://{}/{repo}{sep}{reference}", self.host)),
        )
    }

    /// PUTs manifest bytes with curl, first mounting `blobs` from `from` into `repo`.
    fn put_manifest(
        &self,
        repo: &str,
        tag: &str,
        media_type: &str,
        bytes: &[u8],
        blobs: &[String],
        from: &str,
    ) -> Result<()> {
        for digest in blobs {
            let url = format!("http://{}/v2/{repo}/blobs/uploads/?mount={digest}&from={from}", self.host);
            let code = cmd::pipeline(&format!(
                "curl -s -o /dev/null -w '%{{http_code}}' -X POST {}",
                sh_quote(&url)
            ))?;
            if code != "201" {
                return Err(rig_err!("mounting {digest} from {from} into {repo} answered {code}"));
            }
        }
        let file = self.build.join("manifest-upload.json");
        fs::write(&file, bytes)?;
        let url = format!("http://{}/v2/{repo}/manifests/{tag}", self.host);
        let out = cmd::pipeline(&format!(
            "curl -s -w '\\n%{{http_code}}' -X PUT -H {} --data-binary @{} {}",
            sh_quote(format!("Content-Type: {media_type}")),
            sh_quote(&file),
            sh_quote(&url)
        ))?;
        if !out.ends_with("201") {
            return Err(rig_err!("PUT {url} answered: {out}"));
        }
        Ok(())
    }

    /// Uploads one blob monolithically with curl (POST, then PUT with the digest).
    fn upload_blob(&self, repo: &str, path: &Path) -> Result<()> {
        let digest = sha256_hex(&fs::read(path)?);
        let start = format!("http://{}/v2/{repo}/blobs/uploads/", self.host);
        let location = cmd::pipeline(&format!(
            "curl -s -o /dev/null -w '%{{redirect_url}}' -X POST {}",
            sh_quote(&start)
        ))?;
        let location = if location.is_empty() {
            // curl prints redirect_url only for 3xx: read the Location header instead.
            cmd::pipeline(&format!(
                "curl -s -D - -o /dev/null -X POST {} | tr -d '\\r' | sed -n 's/^[Ll]ocation: //p'",
                sh_quote(&start)
            ))?
        } else {
            location
        };
        let sep = if location.contains('?') { '&' } else { '?' };
        let url = format!("{location}{sep}digest={digest}");
        let code = cmd::pipeline(&format!(
            "curl -s -o /dev/null -w '%{{http_code}}' -X PUT -H 'Content-Type: application/octet-stream' --data-binary @{} {}",
            sh_quote(path),
            sh_quote(&url)
        ))?;
        if code != "201" {
            return Err(rig_err!("uploading {} to {repo} answered {code}", path.display()));
        }
        Ok(())
    }

    /// Ground truth for `public/<name>:<tag>`, from what the registry serves, via independent tools,
    /// every layer's paths listed by `tar -t`.
    fn describe(
        &self,
        name: &str,
        description: &str,
        tag: &str,
        tags: Vec<String>,
        expect: Expectation,
    ) -> Result<Fixture> {
        self.describe_with(name, description, tag, tags, expect, Listing::Tar)
    }

    /// [`Builder::describe`], listing the layers' paths or not.
    fn describe_with(
        &self,
        name: &str,
        description: &str,
        tag: &str,
        tags: Vec<String>,
        expect: Expectation,
        listing: Listing,
    ) -> Result<Fixture> {
        let repo = format!("public/{name}");
        let dir = self.build.join(name).join("truth");
        fs::create_dir_all(&dir)?;
        let (top, top_json) = self.manifest_truth(&repo, tag, &dir)?;
        let mut images = Vec::new();
        if let Some(children) = top_json["manifests"].as_array() {
            for child in children {
                let digest = json_str(&child["digest"])?;
                let p = &child["platform"];
                let mut platform = format!("{}/{}", json_str(&p["os"])?, json_str(&p["architecture"])?);
                if let Some(v) = p["variant"].as_str() {
                    platform = format!("{platform}/{v}");
                }
                let (manifest, json) = self.manifest_truth(&repo, &digest, &dir)?;
                images.push(self.image_truth(&repo, platform, manifest, &json, &dir, listing)?);
            }
        } else {
            let image =
                self.image_truth(&repo, "linux/amd64".into(), top.clone(), &top_json, &dir, listing)?;
            images.push(image);
        }
        let fixture = Fixture {
            name: name.to_owned(),
            description: description.to_owned(),
            repositories: vec![repo, format!("private/{name}")],
            tag: tag.to_owned(),
            tags,
            manifest: top,
            images,
            expect,
        };
        self_check(&fixture)?;
        if listing == Listing::Tar {
            check_listing(&fixture)?;
        }
        Ok(fixture)
    }

    /// Ground truth of the single-platform image `repo:reference` as the registry at this builder's
    /// host serves it (curl, `sha256sum`, `gzip -dc`, `tar -t`), its downloads kept in `dir`.
    pub fn served_image(&self, repo: &str, reference: &str, dir: &Path) -> Result<ImageTruth> {
        fs::create_dir_all(dir)?;
        let (manifest, json) = self.manifest_truth(repo, reference, dir)?;
        self.image_truth(repo, "linux/amd64".into(), manifest, &json, dir, Listing::Tar)
    }

    /// A manifest as the open registry serves it (curl, every manifest type accepted).
    fn served_manifest(&self, repo: &str, reference: &str) -> Result<Served> {
        let headers = self.build.join("manifest-headers.txt");
        let body = self.build.join("manifest-body");
        let url = format!("http://{}/v2/{repo}/manifests/{reference}", self.host);
        cmd::run(
            Command::new("curl")
                .args(["-sf", "-H", &format!("Accept: {MANIFEST_ACCEPT}"), "-D"])
                .arg(&headers)
                .arg("-o")
                .arg(&body)
                .arg(&url),
        )?;
        let headers = fs::read_to_string(&headers)?;
        let digest = headers.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim().eq_ignore_ascii_case("Docker-Content-Digest").then(|| value.trim().to_owned())
        });
        Ok(Served { bytes: fs::read(&body)?, digest })
    }

    /// Truth of the manifest `reference` (a tag or a digest) names: its claimed digest is the
    /// digest reference, or for a tag the `Docker-Content-Digest` the registry answers with; a
    /// tag's bytes must also be served, identical, by that digest.
    fn manifest_truth(&self, repo: &str, reference: &str, dir: &Path) -> Result<(BlobTruth, Value)> {
        let served = self.served_manifest(repo, reference)?;
        let header = served
            .digest
            .ok_or_else(|| rig_err!("{repo}:{reference}: the registry sent no Docker-Content-Digest"))?;
        let claimed = if reference.contains(':') { reference.to_owned() } else { header.clone() };
        if header != claimed {
            return Err(rig_err!("{repo}@{reference}: the registry answered Docker-Content-Digest {header}"));
        }
        if reference != claimed {
            let again = self.served_manifest(repo, &claimed)?;
            if again.bytes != served.bytes || again.digest.as_deref() != Some(claimed.as_str()) {
                return Err(rig_err!("{repo}: {reference} and {claimed} are served differently"));
            }
        }
        let raw = served.bytes;
        let file = dir.join(format!("manifest-{}", hex_part(&sha256_hex(&raw))));
        fs::write(&file, &raw)?;
        let json: Value = serde_json::from_slice(&raw)?;
        let truth = BlobTruth {
            media_type: json_str(&json["mediaType"])?,
            digest: cmd::digest_file(&file, cmd::algorithm_of(&claimed)?)?,
            claimed_digest: claimed,
            size: cmd::byte_count_of(&format!("cat {}", sh_quote(&file)))?,
            file,
        };
        Ok((truth, json))
    }

    /// Truth of one platform image: its manifest, config and layers as the open registry serves them.
    fn image_truth(
        &self,
        repo: &str,
        platform: String,
        manifest: BlobTruth,
        json: &Value,
        dir: &Path,
        listing: Listing,
    ) -> Result<ImageTruth> {
        let config_digest = json_str(&json["config"]["digest"])?;
        let config_file = dir.join(format!("config-{}", hex_part(&config_digest)));
        self.fetch_blob(repo, &config_digest, &config_file)?;
        let config_json: Value = serde_json::from_slice(&fs::read(&config_file)?)?;
        let config = BlobTruth {
            media_type: json_str(&json["config"]["mediaType"])?,
            digest: cmd::digest_file(&config_file, cmd::algorithm_of(&config_digest)?)?,
            claimed_digest: config_digest,
            size: fs::metadata(&config_file)?.len(),
            file: config_file,
        };
        let diff_ids = config_json["rootfs"]["diff_ids"].as_array().cloned().unwrap_or_default();
        let mut layers = Vec::new();
        for (i, layer) in json["layers"].as_array().into_iter().flatten().enumerate() {
            let claimed_diff_id = diff_ids.get(i).and_then(Value::as_str).unwrap_or_default().to_owned();
            layers.push(self.layer_truth(repo, layer, claimed_diff_id, dir, listing)?);
        }
        Ok(ImageTruth { platform, manifest, config, layers })
    }

    /// Truth of one layer (its manifest descriptor `layer`): downloaded with curl, hashed and
    /// counted before and after `gzip -dc` / `zstd -dc`, its paths listed by `tar -t`.
    fn layer_truth(
        &self,
        repo: &str,
        layer: &Value,
        claimed_diff_id: String,
        dir: &Path,
        listing: Listing,
    ) -> Result<LayerTruth> {
        let media_type = json_str(&layer["mediaType"])?;
        let claimed_digest = json_str(&layer["digest"])?;
        let file = dir.join(format!("layer-{}", hex_part(&claimed_digest)));
        self.fetch_blob(repo, &claimed_digest, &file)?;
        let quoted = sh_quote(&file);
        let decompress = if media_type.contains("gzip") {
            format!("gzip -dc {quoted}")
        } else if media_type.contains("zstd") {
            format!("zstd -dc {quoted}")
        } else {
            format!("cat {quoted}")
        };
        let decompresses = cmd::succeeds(&format!("{decompress} > /dev/null"))?;
        let (diff_id, uncompressed_size) = if decompresses {
            (
                Some(cmd::digest_of(&decompress, cmd::algorithm_of(&claimed_diff_id)?)?),
                Some(cmd::byte_count_of(&decompress)?),
            )
        } else {
            (None, None)
        };
        let files = match listing {
            Listing::Tar if is_tar(&media_type) => {
                cmd::lines_if_succeeds(&format!("{decompress} | LC_ALL=C tar -tf -"))?
            }
            Listing::Tar | Listing::Skip => None,
        };
        Ok(LayerTruth {
            media_type,
            digest: cmd::digest_file(&file, cmd::algorithm_of(&claimed_digest)?)?,
            claimed_digest,
            claimed_size: layer["size"].as_u64().unwrap_or_default(),
            claimed_diff_id,
            size: cmd::byte_count_of(&format!("cat {quoted}"))?,
            decompresses,
            diff_id,
            uncompressed_size,
            files,
            file,
        })
    }

    /// Downloads a blob as a client would (curl from the open registry).
    fn fetch_blob(&self, repo: &str, digest: &str, to: &Path) -> Result<()> {
        let url = format!("http://{}/v2/{repo}/blobs/{digest}", self.host);
        cmd::run(Command::new("curl").args(["-sfL", "-o"]).arg(to).arg(&url))?;
        Ok(())
    }
}

/// Fails the rig when a fixture is not what it claims to be: good ones must be consistent, broken
/// ones must be broken exactly where their expectation says.
fn self_check(fixture: &Fixture) -> Result<()> {
    let expect = &fixture.expect;
    let name = &fixture.name;
    let check = expect.failing_check.as_deref();
    let manifest_broken = check == Some("manifest");
    let coherent = matches!(
        (expect.ok, expect.failing_layer, check),
        (true, None, None)
            | (false, None, Some("manifest"))
            | (false, Some(_), Some("digest" | "size" | "diff_id" | "stream"))
    );
    if !coherent {
        return Err(rig_err!("fixture {name}: incoherent expectation {expect:?}"));
    }
    let verdict = |what: &str, holds: bool, should_fail: bool| {
        if holds == should_fail {
            return Err(rig_err!(
                "fixture {name} {what}: check {} but should {}",
                if holds { "holds" } else { "fails" },
                if should_fail { "fail" } else { "hold" }
            ));
        }
        Ok(())
    };
    let top = &fixture.manifest;
    verdict("top manifest digest", top.digest == top.claimed_digest, manifest_broken)?;
    for image in &fixture.images {
        let m = &image.manifest;
        // Only the manifest the expectation names is broken (for a plain image, it is the top one).
        let should_fail = manifest_broken && m.claimed_digest == top.claimed_digest;
        verdict(&format!("{} manifest digest", image.platform), m.digest == m.claimed_digest, should_fail)?;
        let c = &image.config;
        verdict(&format!("{} config digest", image.platform), c.digest == c.claimed_digest, false)?;
        for (i, layer) in image.layers.iter().enumerate() {
            let failing: &[&str] = match (expect.failing_layer == Some(i), check) {
                (true, Some("stream")) => &["digest", "stream"],
                (true, Some("digest")) => &["digest"],
                (true, Some("size")) => &["size"],
                (true, Some("diff_id")) => &["diff_id"],
                _ => &[],
            };
            if layer.diff_id.is_none() != failing.contains(&"stream") {
                return Err(rig_err!(
                    "fixture {name} layer {i}: diff_id is {:?} but the expectation is {expect:?}",
                    layer.diff_id
                ));
            }
            let checks = [
                ("digest", Some(layer.digest == layer.claimed_digest)),
                ("size", Some(layer.size == layer.claimed_size)),
                ("stream", Some(layer.decompresses)),
                ("diff_id", layer.diff_id.as_ref().map(|d| *d == layer.claimed_diff_id)),
            ];
            for (check, holds) in checks {
                if let Some(holds) = holds {
                    verdict(&format!("layer {i}: {check}"), holds, failing.contains(&check))?;
                }
            }
        }
    }
    Ok(())
}

/// Whether a layer's media type says it is a tar (compressed or not), not an artifact such as an
/// in-toto statement.
pub fn is_tar(media_type: &str) -> bool {
    media_type.contains(".tar")
}

/// Every fixture layer that is a tar: `tar -t` must list each one that decompresses (with at least
/// one path) and none that does not.
fn check_listing(fixture: &Fixture) -> Result<()> {
    for image in &fixture.images {
        for (i, layer) in image.layers.iter().enumerate().filter(|(_, l)| is_tar(&l.media_type)) {
            let listed = layer.files.as_ref().is_some_and(|files| !files.is_empty());
            if listed != layer.decompresses {
                return Err(rig_err!(
                    "fixture {} {} layer {i}: decompresses is {} but tar -t listed {:?}",
                    fixture.name,
                    image.platform,
                    layer.decompresses,
                    layer.files.as_ref().map(Vec::len)
                ));
            }
        }
    }
    Ok(())
}

/// A manifest download: the bytes and the `Docker-Content-Digest` header.
struct Served {
    bytes: Vec<u8>,
    digest: Option<String>,
}

/// An OCI image layout being written.
struct Layout {
    dir: PathBuf,
}

impl Layout {
    fn create(dir: &Path) -> Result<Self> {
        if dir.exists() {
            fs::remove_dir_all(dir)?;
        }
        fs::create_dir_all(dir.join("blobs").join("sha256"))?;
        fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#)?;
        fs::write(dir.join("index.json"), r#"{"schemaVersion":2,"manifests":[]}"#)?;
        Ok(Self { dir: dir.to_path_buf() })
    }

    fn blob_path(&self, digest: &str) -> PathBuf {
        self.dir.join("blobs").join("sha256").join(digest.trim_start_matches("sha256:"))
    }

    fn add_blob(&self, bytes: &[u8]) -> Result<(String, u64)> {
        let digest = sha256_hex(bytes);
        fs::write(self.blob_path(&digest), bytes)?;
        Ok((digest, bytes.len() as u64))
    }

    fn read_blob(&self, digest: &str) -> Result<Vec<u8>> {
        Ok(fs::read(self.blob_path(digest))?)
    }

    /// Stores a JSON document and returns its descriptor.
    fn add_json(&self, media_type: &str, doc: &Value) -> Result<Value> {
        let bytes = serde_json::to_vec_pretty(doc)?;
        let (digest, size) = self.add_blob(&bytes)?;
        Ok(json!({"mediaType": media_type, "digest": digest, "size": size}))
    }

    /// Stores an OCI manifest naming the `config` and `layers` descriptors, with `annotations`, and
    /// returns its descriptor.
    fn add_manifest(&self, config: Value, layers: Vec<Value>, annotations: Value) -> Result<Value> {
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": config,
            "layers": layers,
            "annotations": annotations,
        });
        self.add_json(OCI_MANIFEST, &manifest)
    }

    /// Names a manifest or index in `index.json` so `oci:DIR:<tag>` finds it.
    fn tag(&self, tag: &str, descriptor: &Value) -> Result<()> {
        let path = self.dir.join("index.json");
        let mut index: Value = serde_json::from_slice(&fs::read(&path)?)?;
        let mut entry = descriptor.clone();
        entry["annotations"] = json!({"org.opencontainers.image.ref.name": tag});
        if let Some(list) = index["manifests"].as_array_mut() {
            list.push(entry);
        }
        fs::write(&path, serde_json::to_vec_pretty(&index)?)?;
        Ok(())
    }
}

/// The fixture name of the benchmark image of `size_mib` MiB in `layers` layers
/// (`bench-300m`, `bench-300m-x4`): every benchmark fixture's name starts with `bench-`.
pub fn bench_name(size_mib: u64, layers: usize) -> String {
    if layers <= 1 { format!("bench-{size_mib}m") } else { format!("bench-{size_mib}m-x{layers}") }
}

/// Appends regular files under `dir` below 64 MiB each, with their sizes (sorted, depth first),
/// until `total` reaches `budget`.
fn collect_files(dir: &Path, files: &mut Vec<(String, u64)>, total: &mut u64, budget: u64) -> Result<()> {
    let Ok(entries) = fs::read_dir(dir) else { return Ok(()) };
    let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if *total >= budget {
            break;
        }
        let Ok(meta) = fs::symlink_metadata(&path) else { continue };
        if meta.is_dir() {
            collect_files(&path, files, total, budget)?;
        } else if meta.is_file() && meta.len() < 64 * 1024 * 1024 {
            *total += meta.len();
            files.push((path.display().to_string(), meta.len()));
        }
    }
    Ok(())
}

fn ok() -> Expectation {
    Expectation { ok: true, failing_layer: None, failing_check: None }
}

fn broken(layer: usize, check: &str) -> Expectation {
    Expectation { ok: false, failing_layer: Some(layer), failing_check: Some(check.to_owned()) }
}

fn history(layers: usize) -> Value {
    let entries: Vec<Value> = (0..layers)
        .map(|i| json!({"created": CREATED, "created_by": format!("/bin/sh -c #(nop) ADD layer-{i} /")}))
        .collect();
    Value::Array(entries)
}

fn json_str(v: &Value) -> Result<String> {
    v.as_str().map(str::to_owned).ok_or_else(|| rig_err!("expected a string, found {v}"))
}

/// `sha256:<hex>` computed in-process, used only to *build* fixtures (truth uses `sha256sum`).
fn sha256_hex(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// `sha512:<hex>` computed in-process, used only to *build* fixtures (truth uses `sha512sum`).
fn sha512_hex(bytes: &[u8]) -> String {
    format!("sha512:{}", hex::encode(Sha512::digest(bytes)))
}

/// The hex part of `<algorithm>:<hex>`.
fn hex_part(digest: &str) -> &str {
    digest.split_once(':').map_or(digest, |(_, hex)| hex)
}

/// `<algorithm>/<hex>`: how distribution names a digest's directory below `_layers`,
/// `_manifests/revisions` and a tag's `index`.
fn digest_dirs(digest: &str) -> Result<PathBuf> {
    let (algorithm, hex) = digest.split_once(':').ok_or_else(|| rig_err!("bad digest {digest:?}"))?;
    Ok(Path::new(algorithm).join(hex))
}

/// Points `tag` at the manifest `digest` as distribution does below a repository's `_manifests`:
/// `tags/<tag>/current/link` and `tags/<tag>/index/<algorithm>/<hex>/link`.
fn write_tag_links(manifests: &Path, tag: &str, digest: &str) -> Result<()> {
    let dir = manifests.join("tags").join(tag);
    write_link(&dir.join("current").join("link"), digest)?;
    write_link(&dir.join("index").join(digest_dirs(digest)?).join("link"), digest)
}

/// Writes one of distribution's link files: the digest, no newline.
fn write_link(path: &Path, digest: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(path, digest)?;
    Ok(())
}

/// The manifest with the last digit of its `org.opencontainers.image.created` annotation changed
/// (`...:00Z` becomes `...:07Z`): same length, same shape, still valid JSON.
fn alter_created_annotation(bytes: &[u8]) -> Result<Vec<u8>> {
    let key = br#""org.opencontainers.image.created": ""#;
    let start = bytes
        .windows(key.len())
        .position(|w| w == key)
        .map(|i| i + key.len())
        .ok_or_else(|| rig_err!("the pushed manifest has no created annotation"))?;
    if bytes.get(start..start + CREATED.len()) != Some(CREATED.as_bytes()) {
        return Err(rig_err!("the pushed manifest's created annotation is not {CREATED}"));
    }
    let mut altered = bytes.to_vec();
    // CREATED ends in `0Z`: change that digit.
    altered[start + CREATED.len() - 2] = b'7';
    Ok(altered)
}

/// An image config for `diff_ids` on a platform, with the fixtures' usual settings.
fn config_doc(
    diff_ids: Vec<String>,
    (os, arch, variant): (&str, &str, Option<&str>),
    history: Value,
) -> Value {
    let mut config = json!({
        "created": CREATED,
        "architecture": arch,
        "os": os,
        "config": {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"],
            "Cmd": ["/srv/app/run.sh"],
            "WorkingDir": "/srv/app",
            "User": "1000:1000",
            "ExposedPorts": {"8080/tcp": {}},
            "Labels": {"org.opencontainers.image.title": "regsight fixture", "org.opencontainers.image.source": "regsight rig"}
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    });
    if let Some(v) = variant {
        config["variant"] = json!(v);
    }
    config
}

/// A small root file system: text files, an incompressible binary, a symlink and a hard link.
fn base_tree(noise: &mut Noise) -> Vec<Entry> {
    vec![
        Entry::Dir("bin"),
        Entry::Dir("etc"),
        Entry::Dir("usr/share/doc/regsight"),
        Entry::File("bin/busybox".into(), noise.bytes(150_000)),
        Entry::Symlink("bin/sh", "busybox"),
        Entry::Hardlink("bin/ash", "bin/busybox"),
        Entry::File("etc/os-release".into(), b"NAME=\"regsight fixture\"\nID=fixture\n".to_vec()),
        Entry::File("etc/old/config".into(), noise.text(2_000)),
        Entry::File("usr/share/doc/regsight/README".into(), noise.text(60_000)),
        Entry::File("usr/share/doc/regsight/CHANGES".into(), noise.text(30_000)),
        Entry::Dir("var/cache"),
    ]
}

/// An application layer: mostly text, some data.
fn app_tree(noise: &mut Noise) -> Vec<Entry> {
    vec![
        Entry::Dir("srv/app"),
        Entry::File("srv/app/run.sh".into(), b"#!/bin/sh\nexec /srv/app/server\n".to_vec()),
        Entry::File("srv/app/server".into(), noise.bytes(80_000)),
        Entry::File("srv/app/static/index.html".into(), noise.text(40_000)),
        Entry::File("srv/app/static/app.js".into(), noise.text(90_000)),
    ]
}

/// Deletions and long names: whiteouts, an opaque directory, paths over 100 bytes.
fn whiteout_tree(noise: &mut Noise) -> Vec<Entry> {
    let long_dir = "very/deep/directory/structure/that/goes/on/and/on/beyond/the/hundred/byte/limit/of/ustar";
    vec![
        Entry::File("etc/.wh.old".into(), Vec::new()),
        Entry::File("var/cache/.wh..wh..opq".into(), Vec::new()),
        Entry::File("var/cache/new".into(), noise.text(500)),
        Entry::File(format!("{long_dir}/a-file-with-a-rather-long-name-as-well.txt"), noise.text(3_000)),
        Entry::Symlink(
            "srv/latest",
            "very/deep/directory/structure/that/goes/on/and/on/beyond/the/hundred/byte/limit/of/ustar/a-file-with-a-rather-long-name-as-well.txt",
        ),
    ]
}
