//! `rig.json`: what a running rig offers, written by `rig up` and read by every test.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{Result, rig_err};

/// Environment variable naming the `rig.json` a test should use.
pub const RIG_ENV: &str = "REGSIGHT_RIG";

/// Everything a test needs to know about a running rig.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RigInfo {
    /// The rig's name.
    pub name: String,
    /// The registry without auth, CORS via `http.headers`.
    pub open: RegistryInfo,
    /// The token-auth registry behind nginx.
    pub token: RegistryInfo,
    /// The htpasswd registry behind nginx.
    pub basic: RegistryInfo,
    /// The token registry again, behind a front that 307-redirects blobs to [`RigInfo::cdn`].
    pub redirecting: RegistryInfo,
    /// Where those redirects go.
    pub cdn: CdnInfo,
    /// The token server as the token registry announces it.
    pub token_server: TokenServerInfo,
    /// A registry deployed like Docker Hub: no CORS anywhere, token realm and blob CDN on other
    /// origins, official images under `library/`.
    pub hub: HubInfo,
    /// A CORS-enabled pull-through cache (distribution `proxy`) of the token registry.
    pub pull_through: PullThroughInfo,
    /// Accounts known to the token server and the htpasswd registry.
    pub users: Vec<User>,
    /// The fixture images with their ground truth.
    pub fixtures: Vec<Fixture>,
    /// Directory of the services' logs.
    pub logs: PathBuf,
    /// The registries' shared storage directory.
    pub storage: PathBuf,
    /// The evil registry (`regsight-evil`): one hostile behaviour per repository. Absent from the
    /// `rig.json` of a rig started before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evil: Option<EvilInfo>,
}

/// The evil registry: a server of our own (`regsight-evil`) that misbehaves in one way per
/// repository, `evil/<name>` (also under `evil/<name>/<anything>`: the same behaviour with its own
/// retry counters). It answers CORS itself (the request's `Origin` or `*`) except where the
/// behaviour is the connection itself, and `GET /v2/` with 200.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvilInfo {
    /// Base URL, e.g. `http://127.0.0.1:15014`.
    pub url: String,
    /// `host:port`, as written in an image reference.
    pub host: String,
    /// Base URL of its other origin (another port of the same server): `/cdn/<digest>` serves any
    /// of its blobs without auth; the target of `evil/redirect-cross`'s blob redirects.
    pub other_url: String,
    /// The tag each repository that serves an image answers (its manifest digest works too).
    pub tag: String,
    /// The `service` of its challenges and token endpoints.
    pub service: String,
    /// Its request log, one line per request:
    /// `<main|other> <METHOD> <target> origin=<Origin|-> auth=<who> [form=<fields>] -> <outcome>`;
    /// `<who>` is `-` without `Authorization`, `bearer`, `basic:<user>` (never the password) or
    /// `?<scheme>`; `form=` lists a POST body's fields with `password` and `refresh_token` values
    /// written `*`; `<outcome>` is the status, followed by `drip`, `lie` (a `Content-Length` larger
    /// than what is sent before the connection closes) or nothing, or `hang` (nothing is sent).
    /// Targets and values are written with spaces and non-printable bytes as `%XX`. A malformed
    /// request: `<main|other> - - origin=- auth=- -> <status> (<why>)`.
    pub log: PathBuf,
    /// Every repository (`evil/<name>`) and what it does.
    pub repositories: BTreeMap<String, String>,
    /// Ground truth of `evil/good` at [`EvilInfo::tag`] (curl, `sha256sum`, `gzip -dc`, `tar -t`):
    /// the control, whose bytes the misbehaving repositories reuse.
    pub good: ImageTruth,
    /// The layer of `evil/gzip-bomb`, its digest and size by `curl | sha256sum` and `wc -c`.
    pub gzip_bomb: StreamTruth,
    /// The manifest of `evil/huge-manifest`, its digest and size by `curl | sha256sum` and `wc -c`.
    pub huge_manifest: StreamTruth,
}

/// Digest and size of a large object of the evil registry, from what curl downloads (not kept).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamTruth {
    /// `sha256:<hex>` by `sha256sum`.
    pub digest: String,
    /// Byte count by `wc -c`.
    pub size: u64,
    /// What it is said to inflate to (the gzip bomb: 10 GiB, its gzip trailer's claim too), not
    /// measured at rig up; `null` for anything else.
    #[serde(default)]
    pub inflated_size: Option<u64>,
}

/// One registry of the rig.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistryInfo {
    /// `open`, `token` or `basic`.
    pub kind: String,
    /// Base URL, e.g. `http://127.0.0.1:15000`.
    pub url: String,
    /// `host:port`, as written in an image reference.
    pub host: String,
    /// Repository prefixes anyone may pull (`public/`); others need credentials.
    pub anonymous_pull: Vec<String>,
}

/// The blob "CDN": another origin whose access log records the `Authorization` header of every
/// request, so tests can prove no credential followed a redirect.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CdnInfo {
    /// Base URL.
    pub url: String,
    /// Its access log: one line per request, `<request line> auth="<Authorization or ->"`.
    pub log: PathBuf,
}

/// The hub-like registry: like `registry-1.docker.io`, `auth.docker.io` and Docker Hub's blob CDN,
/// three origins none of which sends an `Access-Control-*` header or answers a preflight, so a page
/// cannot reach them; anonymous pull of `library/*` (and `public/*`), credentials for `private/*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HubInfo {
    /// Always `hub`.
    pub kind: String,
    /// Base URL of the registry front.
    pub url: String,
    /// `host:port`, as written in an image reference.
    pub host: String,
    /// The realm its Bearer challenge names (on [`HubInfo::auth_url`], another origin).
    pub realm: String,
    /// Base URL of the token origin.
    pub auth_url: String,
    /// Where its blob GETs are redirected (307): no CORS, logs any `Authorization`.
    pub cdn: CdnInfo,
    /// Images anyone may pull, as Docker Hub's official images under `library/`.
    pub images: Vec<HubImage>,
    /// Images that need credentials (a user of [`RigInfo::users`]).
    pub private: Vec<HubImage>,
}

/// An image of the hub: a copy (same bytes, same digests) of a fixture.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HubImage {
    /// Repository, e.g. `library/hello`.
    pub repository: String,
    /// The tag to pull.
    pub tag: String,
    /// The name of the fixture in [`RigInfo::fixtures`] whose ground truth applies.
    pub fixture: String,
}

/// A pull-through cache: distribution with `proxy.remoteurl` (and the upstream user's credentials),
/// CORS via `http.headers` and no `auth:`, so a page pulls upstream's private images through it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PullThroughInfo {
    /// Base URL.
    pub url: String,
    /// `host:port`, as written in an image reference.
    pub host: String,
    /// Base URL of the registry it caches (the token front).
    pub upstream: String,
    /// Its generated, commented `config.yml` (a recipe to copy).
    pub config: PathBuf,
}

/// The token server behind the token registry's realm.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenServerInfo {
    /// The realm URL (through the CORS-answering nginx).
    pub realm: String,
    /// The `service` parameter.
    pub service: String,
    /// The `iss` claim.
    pub issuer: String,
    /// `expires_in` of issued tokens, in seconds.
    pub expires_in: u64,
    /// Its request log: one line per token request,
    /// `token <METHOD> [scope=<value>]... basic=<username|none|?malformed|?<scheme>> -> <status>`
    /// (one `scope=` per `scope` query parameter, in order, spaces inside a value written `%20`;
    /// `basic=` names the user of a Basic `Authorization` header, never its password).
    #[serde(default)]
    pub log: PathBuf,
}

/// An account of the rig.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
    /// What is special about it.
    pub note: String,
}

/// A fixture image, pushed under every repository in `repositories`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fixture {
    /// Short name, e.g. `docker-v2`.
    pub name: String,
    /// What it exercises.
    pub description: String,
    /// Repositories holding it, e.g. `public/docker-v2`, `private/docker-v2`.
    pub repositories: Vec<String>,
    /// The tag to pull.
    pub tag: String,
    /// Every tag of the repository (only listed when there are more than the one above).
    pub tags: Vec<String>,
    /// The top manifest (an index for multi-arch fixtures).
    pub manifest: BlobTruth,
    /// The images below it: one for a plain image, one per platform for an index.
    pub images: Vec<ImageTruth>,
    /// What a correct verifier must conclude.
    pub expect: Expectation,
}

/// Digest, size and media type of a blob or manifest, computed by `sha256sum` (`sha512sum` for
/// objects addressed by a sha512 digest) and `wc -c`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlobTruth {
    /// Media type as declared.
    pub media_type: String,
    /// The digest the object is addressed by: for the top manifest the one the registry stores it
    /// under and sends as `Docker-Content-Digest` (what a user pins), for an index entry or a
    /// config the digest its parent names. Equals `digest` unless the stored bytes were altered.
    #[serde(default)]
    pub claimed_digest: String,
    /// `<algorithm>:<hex>` of the bytes the registry serves, the algorithm being that of
    /// `claimed_digest` (`sha256` or `sha512`).
    pub digest: String,
    /// Byte count of the bytes the registry serves.
    pub size: u64,
    /// A copy of those bytes, as downloaded for the truth.
    pub file: PathBuf,
}

/// One platform image.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageTruth {
    /// `os/arch[/variant]`.
    pub platform: String,
    /// The image manifest.
    pub manifest: BlobTruth,
    /// The config blob (its digest is the image ID).
    pub config: BlobTruth,
    /// The layers in manifest order.
    pub layers: Vec<LayerTruth>,
}

/// One layer: what the manifest and config claim, and what the stored bytes really are.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerTruth {
    /// Media type from the manifest.
    pub media_type: String,
    /// Digest the manifest claims.
    pub claimed_digest: String,
    /// Size the manifest claims.
    pub claimed_size: u64,
    /// diff_id the config claims for this layer.
    pub claimed_diff_id: String,
    /// `sha256sum` (`sha512sum` for a sha512 claimed digest) of the bytes the registry serves.
    pub digest: String,
    /// `wc -c` of the bytes the registry serves.
    pub size: u64,
    /// Whether `gzip -dc` / `zstd -dc` decompress the served bytes without error (always true for
    /// an uncompressed tar).
    #[serde(default = "yes")]
    pub decompresses: bool,
    /// `sha256sum` (`sha512sum` for a sha512 claimed diff_id) of the decompressed bytes (`gzip -dc`,
    /// `zstd -dc` or the bytes themselves); `null` when they do not decompress.
    pub diff_id: Option<String>,
    /// `wc -c` of the decompressed bytes; `null` when they do not decompress.
    pub uncompressed_size: Option<u64>,
    /// The paths in the layer's tar, exactly the lines GNU `tar -t` prints for the decompressed
    /// bytes (`gzip -dc`, `zstd -dc` or the bytes themselves piped to `LC_ALL=C tar -tf -`), in
    /// archive order: directories end in `/`; a backslash is written `\\`, a byte that is not
    /// printable ASCII an octal escape (`caf\303\251`). `null` when tar cannot list them (a layer
    /// broken on purpose) or they were not listed (the benchmark image).
    #[serde(default)]
    pub files: Option<Vec<String>>,
    /// A copy of the bytes the registry serves.
    pub file: PathBuf,
}

/// The verdict a verifier must reach on a fixture.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Expectation {
    /// True when every check passes.
    pub ok: bool,
    /// For a broken fixture: the index of the layer that fails (`null` when the broken link is
    /// not a layer).
    pub failing_layer: Option<usize>,
    /// For a broken fixture: which check fails: on the layer, `digest`, `size`, `diff_id`, or
    /// `stream` (its digest differs and its bytes do not decompress); or `manifest` (no failing
    /// layer: the served manifest bytes do not hash to the digest they are addressed by).
    pub failing_check: Option<String>,
}

/// Serde default for flags that were always true before they were recorded.
fn yes() -> bool {
    true
}

impl RigInfo {
    /// Reads a `rig.json`.
    pub fn load(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).map_err(|e| rig_err!("cannot read {}: {e}", path.display()))?;
        Ok(serde_json::from_str(&text)?)
    }

    /// Writes the description (pretty JSON).
    pub fn save(&self, path: &Path) -> Result<()> {
        std::fs::write(path, serde_json::to_vec_pretty(self)?)?;
        Ok(())
    }

    /// The rig a test should use: `$REGSIGHT_RIG`, else the `test` rig's `rig.json`.
    ///
    /// Fails with instructions when no rig is running.
    pub fn from_env() -> Result<Self> {
        // Relative paths are taken from the workspace root: test binaries run in their crate's folder.
        let path = std::env::var_os(RIG_ENV)
            .map(|p| crate::paths::workspace_root().join(p))
            .unwrap_or_else(|| crate::paths::rigs_dir().join("test").join("rig.json"));
        if !path.is_file() {
            return Err(rig_err!(
                "no rig description at {}: run `cargo xtask test`, or start one with \
                 `cargo xtask rig up` and set {RIG_ENV} to its rig.json",
                path.display()
            ));
        }
        Self::load(&path)
    }

    /// The fixture called `name`.
    pub fn fixture(&self, name: &str) -> Result<&Fixture> {
        self.fixtures
            .iter()
            .find(|f| f.name == name)
            .ok_or_else(|| rig_err!("the rig has no fixture {name:?}"))
    }

    /// The fixture whose ground truth applies to a hub image.
    pub fn hub_fixture(&self, image: &HubImage) -> Result<&Fixture> {
        self.fixture(&image.fixture)
    }

    /// The evil registry, or instructions when this rig started before it existed.
    pub fn evil(&self) -> Result<&EvilInfo> {
        self.evil.as_ref().ok_or_else(|| {
            rig_err!(
                "rig {:?} has no evil registry: it was started before there was one; restart it with \
                 `cargo xtask rig up --name {}`",
                self.name,
                self.name
            )
        })
    }

    /// The user called `name`.
    pub fn user(&self, name: &str) -> Result<&User> {
        self.users.iter().find(|u| u.username == name).ok_or_else(|| rig_err!("the rig has no user {name:?}"))
    }
}
