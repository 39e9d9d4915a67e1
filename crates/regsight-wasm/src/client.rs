//! The client's operations: tags, manifests, configs and whole-image verification, in Rust. The
//! JS class in `lib.rs` is a thin wrapper around [`ClientCore`].

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use futures::StreamExt as _;
use regsight_core::auth::{Contact, CredentialStore, Scope, ScopeSet};
use regsight_core::chain::LinkStatus;
use regsight_core::chain::{ChainInput, ChainReport, Document, Verdict, verify_chain};
use regsight_core::endpoint::{Endpoints, next_link};
use regsight_core::model::{
    Descriptor, ImageManifest, Manifest, parse_catalog, parse_config, parse_manifest, parse_tag_list,
};
use regsight_core::platform::{Platform, platforms, select};
use regsight_core::reference::Reference;
use regsight_core::transcript::{Purpose, Transcript};
use regsight_core::url::HttpUrl;
use regsight_core::verify::{Check, LayerSummary, Progress, TarListing, VerifyOptions};
use regsight_core::{Compression, Digest, DigestVerifier, ErrorCode, ImageId, MANIFEST_ACCEPT};
use serde::Serialize;
use web_sys::AbortSignal;

use crate::error::{ClientError, cut};
use crate::fetch::HttpRequest;
use crate::layer::LayerJob;
#[cfg(feature = "in-process")]
use crate::layer::verify_body;
use crate::options::Timeouts;
use crate::pool::{WorkerPool, WorkerSource};
use crate::registry::Registry;

/// Largest manifest accepted (as distribution and containerd).
const MANIFEST_LIMIT: usize = 4 * 1024 * 1024;
/// Largest config blob accepted.
const CONFIG_LIMIT: usize = 8 * 1024 * 1024;
/// Largest tag-list or catalog page accepted.
const LIST_PAGE_LIMIT: usize = 16 * 1024 * 1024;
/// Most tag or catalog pages followed (a registry paginating forever is stopped here).
const MAX_LIST_PAGES: u64 = 10_000;
/// Most repositories a catalog may list, over all its pages.
const MAX_REPOSITORIES: u64 = 1_000_000;

/// Client-wide settings.
pub struct Settings {
    /// Registry -> base URL overrides (mirrors).
    pub endpoints: Endpoints,
    /// Credentials, keyed by the endpoint they may be sent to.
    pub credentials: CredentialStore,
    /// Platform chosen from an index when the caller names none.
    pub platform: Platform,
    /// Layers verified at once.
    pub concurrency: usize,
    /// Verifier limits.
    pub verify: VerifyOptions,
    /// Most tags a repository may list.
    pub max_tags: u64,
    /// How long a registry may stay silent.
    pub timeouts: Timeouts,
    /// Where layer-verifying workers come from; `None` verifies in-process (Node, or disabled).
    pub workers: Option<WorkerSource>,
}

/// A registry client in Rust (the JS `Client` and the page both use it): settings, one
/// [`Registry`] per base URL with its token cache, the workers, and a transcript of requests.
pub struct ClientCore {
    settings: Settings,
    registries: RefCell<HashMap<String, Rc<Registry>>>,
    pool: Option<WorkerPool>,
    transcript: Rc<RefCell<Transcript>>,
}

/// A manifest or index as received.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FetchedManifest {
    /// Media type (body, else Content-Type).
    pub media_type: String,
    /// Digest of the bytes received, in the algorithm of the digest they were fetched by (sha256
    /// for a tag).
    pub digest: Digest,
    /// `Docker-Content-Digest` as sent, if any.
    pub header_digest: Option<String>,
    /// Whether the bytes hash to the header (null when there was none, or in an algorithm we
    /// cannot compute).
    pub header_matches: Option<bool>,
    /// Byte count.
    pub size: u64,
    /// The bytes as text.
    pub raw: String,
    /// The parsed JSON.
    pub json: serde_json::Value,
    /// The index's platforms, when it is an index.
    pub platforms: Option<Vec<String>>,
    #[serde(skip)]
    bytes: Vec<u8>,
    #[serde(skip)]
    content_type: Option<String>,
    #[serde(skip)]
    parsed: Option<Manifest>,
}

/// Where a resolved image's bytes came from, and so what a verdict about them proves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    /// `scheme://host[:port]` the bytes came from: the registry, or the mirror or gateway in use.
    pub origin: String,
    /// True when the registry was reached through a configured mirror or gateway.
    pub via_mirror: bool,
    /// True when the caller's reference carried a digest: then a verified image is the pinned
    /// one whoever served it; otherwise it is only what `origin` chose to serve for the tag.
    pub pinned: bool,
}

/// What a reference resolves to: the top document and, for an index, the chosen platform's.
#[derive(Clone)]
pub struct Resolved {
    /// The reference.
    pub reference: Reference,
    /// The registry serving it.
    pub registry: Rc<Registry>,
    /// Whether `registry` is a configured mirror or gateway.
    pub via_mirror: bool,
    /// The index, when the reference names one, with the chosen entry.
    pub index: Option<(FetchedManifest, Descriptor)>,
    /// The image manifest.
    pub manifest: FetchedManifest,
}

impl Resolved {
    /// Where the bytes came from and whether the caller pinned them.
    pub fn source(&self) -> Source {
        Source {
            origin: self.registry.base().origin().to_string(),
            via_mirror: self.via_mirror,
            pinned: self.reference.digest().is_some(),
        }
    }

    /// The reference pinned to the digest of what it resolved to (the index, for a multi-platform
    /// image): what to pull to get these exact bytes from anywhere.
    pub fn pinned_reference(&self) -> Reference {
        let top = self.index.as_ref().map_or(&self.manifest, |(index, _)| index);
        self.reference.pinned_to(top.digest.clone())
    }

    /// The digest the image manifest gives its config, when it is an image manifest.
    pub fn config_digest(&self) -> Option<&Digest> {
        match &self.manifest.parsed {
            Some(Manifest::Image(image)) => Some(&image.config.digest),
            _ => None,
        }
    }

    /// The digest of config `bytes`, in the algorithm of the config's descriptor.
    pub fn config_digest_of(&self, bytes: &[u8]) -> Digest {
        DigestVerifier::check(self.config_digest().cloned(), bytes).computed
    }

    /// The image manifest, parsed.
    pub fn image(&self) -> Option<&Manifest> {
        self.manifest.parsed.as_ref()
    }

    /// The index, parsed, when the reference names one.
    pub fn index(&self) -> Option<&Manifest> {
        self.index.as_ref().and_then(|(index, _)| index.parsed.as_ref())
    }
}

impl FetchedManifest {
    /// The bytes exactly as served (what `digest` is the hash of).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The document, parsed.
    pub fn parsed(&self) -> Option<&Manifest> {
        self.parsed.as_ref()
    }
}

/// Per-call options of `verify`.
pub struct VerifyCall<'a> {
    /// Platform to choose from an index.
    pub platform: Option<Platform>,
    /// Cancels everything.
    pub signal: Option<&'a AbortSignal>,
    /// Whether to list each layer's files.
    pub list_files: bool,
    /// Progress sink: (layer index, progress).
    pub on_progress: &'a dyn Fn(usize, Progress),
    /// Called once per layer as soon as it is verified (or could not be streamed), before the
    /// others end; not called for a layer the signal aborted. [`LayerOutcome::state`] says where it
    /// stands until [`Verification::layer_state`] has the whole chain's word.
    pub on_layer: &'a dyn Fn(&LayerOutcome),
    /// The image ID the caller expects (e.g. from `docker images`).
    pub expected_image_id: Option<ImageId>,
}

/// One layer's outcome: what verifying it found, or why it could not be streamed.
pub struct LayerOutcome {
    /// The job that was run.
    pub job: LayerJob,
    /// The verifier's findings, when the blob could be streamed.
    pub summary: Option<LayerSummary>,
    /// The tar listing, when asked for.
    pub files: Option<TarListing>,
    /// Why it could not be streamed, otherwise.
    pub error: Option<ClientError>,
}

impl LayerOutcome {
    /// Where this layer stands by its own findings (its digest, size and diff_id): for a layer
    /// streamed on its own, or one just finished while a verification runs; once the verification
    /// is done, [`Verification::layer_state`] decides.
    pub fn state(&self) -> LayerState {
        match (&self.error, &self.summary) {
            (None, Some(summary)) if summary.verified => LayerState::Ok,
            (None, Some(summary))
                if [summary.digest, summary.size, summary.diff_id].contains(&Check::Failed) =>
            {
                LayerState::Mismatch
            }
            _ => LayerState::Error,
        }
    }
}

/// Where one layer stands once verified: the one place that decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerState {
    /// Size, digest and diff_id all hold.
    Ok,
    /// The bytes are not what the manifest or config claims.
    Mismatch,
    /// It could not be checked (network, unsupported, a stream that would not decompress
    /// although its digest holds).
    Error,
}

impl LayerState {
    /// `ok`, `mismatch` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Mismatch => "mismatch",
            Self::Error => "error",
        }
    }
}

/// What verifying one layer produced.
struct Streamed {
    summary: LayerSummary,
    files: Option<TarListing>,
}

/// Everything `verify` found.
pub struct Verification {
    /// The resolved image.
    pub resolved: Resolved,
    /// The config bytes.
    pub config: Vec<u8>,
    /// The layers.
    pub layers: Vec<LayerOutcome>,
    /// The chain verdict.
    pub chain: ChainReport,
}

impl Verification {
    /// True when the verdict and every layer say the image is what it claims to be.
    pub fn is_ok(&self) -> bool {
        self.chain.verdict == Verdict::Verified && self.layers.iter().all(|l| l.error.is_none())
    }

    /// Where layer `index` stands.
    pub fn layer_state(&self, index: usize) -> LayerState {
        let streamed = self.layers.get(index).is_some_and(|l| l.error.is_none());
        match self.chain.layers.get(index).map(|link| link.status) {
            Some(LinkStatus::Verified) if streamed => LayerState::Ok,
            Some(LinkStatus::Failed) => LayerState::Mismatch,
            _ => LayerState::Error,
        }
    }

    /// The platform verified: the index entry's, else the config's.
    pub fn platform(&self) -> Option<String> {
        match &self.resolved.index {
            Some((_, entry)) => entry.platform.as_ref().map(ToString::to_string),
            None => parse_config(&self.config).ok().map(|c| c.platform().to_string()),
        }
    }

    /// Whether the image ID equals the one expected (`None` when none was given).
    pub fn image_id_match(&self) -> Option<bool> {
        match self.chain.image_id {
            Check::Passed => Some(true),
            Check::Failed => Some(false),
            _ => None,
        }
    }

    /// Every problem found, one sentence each: the chain's, then each layer that could not be
    /// streamed.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = self.chain.problems.clone();
        for l in &self.layers {
            if let Some(e) = &l.error {
                problems.push(format!("layer {}: {e}", l.job.index));
            }
        }
        problems
    }
}

impl ClientCore {
    /// A client with these settings.
    pub fn new(settings: Settings) -> Self {
        let pool = settings.workers.clone().map(WorkerPool::new);
        Self {
            settings,
            registries: RefCell::new(HashMap::new()),
            pool,
            transcript: Rc::new(RefCell::new(Transcript::new())),
        }
    }

    /// The requests made so far (secrets are never recorded).
    pub fn transcript(&self) -> Transcript {
        self.transcript.borrow().clone()
    }

    /// Forgets the requests made so far.
    pub fn clear_transcript(&self) {
        self.transcript.borrow_mut().clear();
    }

    /// The registry (and session) serving `reference`, created on first use.
    fn registry(&self, reference: &Reference) -> Result<Rc<Registry>, ClientError> {
        self.registry_named(reference.registry())
    }

    /// The registry (and session) serving registry `name`, created on first use.
    fn registry_named(&self, name: &str) -> Result<Rc<Registry>, ClientError> {
        let base = self.settings.endpoints.base_url(name)?;
        let key = base.to_string();
        if let Some(existing) = self.registries.borrow().get(&key) {
            return Ok(existing.clone());
        }
        // Credentials go by the endpoint actually contacted: a mirror never gets the mirrored
        // registry's credentials, only those keyed by its own host or base URL.
        let contact =
            Contact { base: &base, registry: name, via_mirror: self.settings.endpoints.is_overridden(name) };
        let credentials = self.settings.credentials.for_contact(contact);
        let registry =
            Rc::new(Registry::new(base, credentials, self.transcript.clone(), self.settings.timeouts)?);
        self.registries.borrow_mut().insert(key, registry.clone());
        Ok(registry)
    }

    /// True when the reference's registry is reached through a configured mirror or gateway.
    pub fn via_mirror(&self, reference: &Reference) -> bool {
        self.settings.endpoints.is_overridden(reference.registry())
    }

    /// Every tag of the reference's repository, following `Link` pages.
    pub async fn tags(
        &self,
        reference: &Reference,
        signal: Option<&AbortSignal>,
    ) -> Result<Vec<String>, ClientError> {
        let registry = self.registry(reference)?;
        let first = registry.base().tags_list(reference, None, None);
        let pages = Pages {
            what: "tag list",
            scopes: pull_scope(reference)?,
            purpose: Purpose::Tags,
            unit: "tags (limits.maxTags)",
            max_items: self.settings.max_tags,
        };
        let missing = ErrorCode::NameUnknown;
        list_pages(&registry, first, &pages, missing, signal, |bytes| Ok(parse_tag_list(bytes)?.tags)).await
    }

    /// Every repository of the registry `name` (`docker.io`, `127.0.0.1:5000`), following `Link`
    /// pages. Registries that keep their catalog closed answer `UNAUTHORIZED` or `UNSUPPORTED`.
    pub async fn catalog(
        &self,
        name: &str,
        signal: Option<&AbortSignal>,
    ) -> Result<Vec<String>, ClientError> {
        let registry = self.registry_named(name)?;
        let first = registry.base().catalog(None, None);
        let pages = Pages {
            what: "catalog",
            scopes: ScopeSet::from(Scope::registry_catalog()),
            purpose: Purpose::Catalog,
            unit: "repositories",
            max_items: MAX_REPOSITORIES,
        };
        list_pages(&registry, first, &pages, ErrorCode::Unsupported, signal, |bytes| {
            Ok(parse_catalog(bytes)?.repositories)
        })
        .await
    }

    /// The digest the registry gives the reference's manifest (`Docker-Content-Digest` of a
    /// HEAD), without fetching it; `None` when the registry sends none.
    pub async fn manifest_digest(
        &self,
        reference: &Reference,
        signal: Option<&AbortSignal>,
    ) -> Result<Option<String>, ClientError> {
        let registry = self.registry(reference)?;
        let url = registry.base().manifest(reference);
        let answer = registry
            .send("HEAD", &url, pull_scope(reference)?, Some(MANIFEST_ACCEPT), Purpose::Manifest, signal)
            .await?;
        let response = Registry::expect_ok(answer.response, ErrorCode::ManifestUnknown, signal).await?;
        Ok(response.header("Docker-Content-Digest"))
    }

    /// The manifest or index the reference names, exactly as served; when the reference carries a
    /// digest, the bytes must hash to it.
    pub async fn fetch_manifest(
        &self,
        registry: &Registry,
        reference: &Reference,
        what: &str,
        signal: Option<&AbortSignal>,
    ) -> Result<FetchedManifest, ClientError> {
        let url = registry.base().manifest(reference);
        let answer = registry
            .send("GET", &url, pull_scope(reference)?, Some(MANIFEST_ACCEPT), Purpose::Manifest, signal)
            .await?;
        let response = Registry::expect_ok(answer.response, ErrorCode::ManifestUnknown, signal).await?;
        let content_type = response.header("Content-Type");
        let header_digest = response.header("Docker-Content-Digest");
        let bytes = response.bytes("manifest", MANIFEST_LIMIT, signal).await?;
        // The digest check comes first: bytes that are not what was pinned are not parsed.
        let pin_check = reference.digest().map(|pin| pin.check(&bytes));
        if let Some(check) = pin_check.as_ref().filter(|c| !c.matches()) {
            return Err(ClientError::DigestMismatch {
                what: format!("{what} ({} bytes from {url})", bytes.len()),
                expected: check.expected.as_ref().map(ToString::to_string).unwrap_or_default(),
                computed: check.computed.to_string(),
            });
        }
        let header_check =
            header_digest.as_deref().and_then(|h| h.trim().parse::<Digest>().ok()).map(|h| h.check(&bytes));
        let header_matches = header_check.as_ref().map(|c| c.matches());
        // Shown in the algorithm the document is addressed by: the pin's, else the header's.
        let digest = match pin_check.or(header_check) {
            Some(check) => check.computed,
            None => DigestVerifier::check(None, &bytes).computed,
        };
        let parsed = parse_manifest(&bytes, content_type.as_deref())?;
        let platforms = match &parsed {
            Manifest::Index(index) => Some(platforms(index).iter().map(ToString::to_string).collect()),
            _ => None,
        };
        Ok(FetchedManifest {
            media_type: parsed.media_type().to_string(),
            digest,
            header_digest,
            header_matches,
            size: bytes.len() as u64,
            raw: String::from_utf8_lossy(&bytes).into_owned(),
            json: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
            platforms,
            bytes,
            content_type,
            parsed: Some(parsed),
        })
    }

    /// The one manifest or index the reference names, exactly as served, without resolving an
    /// index (e.g. each platform's manifest, to show its size).
    pub async fn manifest(
        &self,
        reference: &Reference,
        signal: Option<&AbortSignal>,
    ) -> Result<FetchedManifest, ClientError> {
        let registry = self.registry(reference)?;
        let what = format!("the manifest {}", reference.familiar());
        self.fetch_manifest(&registry, reference, &what, signal).await
    }

    /// Resolves a reference to its image manifest, through an index when it names one.
    ///
    /// Throws when a document is not what it was pinned to be (then nothing below it can be trusted).
    pub async fn resolve(
        &self,
        reference: &Reference,
        platform: Option<&Platform>,
        signal: Option<&AbortSignal>,
    ) -> Result<Resolved, ClientError> {
        let registry = self.registry(reference)?;
        let what = format!("the manifest of {}", reference.familiar());
        let top = self.fetch_manifest(&registry, reference, &what, signal).await?;
        let Some(Manifest::Index(index)) = &top.parsed else {
            return Ok(Resolved {
                reference: reference.clone(),
                registry,
                via_mirror: self.via_mirror(reference),
                index: None,
                manifest: top,
            });
        };
        let wanted = platform.unwrap_or(&self.settings.platform);
        let entry = select(index, wanted)?.clone();
        let child_ref = reference.with_digest(entry.digest.clone());
        let what = format!("the {wanted} manifest of {}", reference.familiar());
        let child = self.fetch_manifest(&registry, &child_ref, &what, signal).await?;
        if matches!(child.parsed, Some(Manifest::Index(_))) {
            return Err(ClientError::Unsupported("an index entry points at another index".into()));
        }
        Ok(Resolved {
            reference: reference.clone(),
            registry,
            via_mirror: self.via_mirror(reference),
            index: Some((top, entry)),
            manifest: child,
        })
    }

    /// The config blob of the resolved image (bytes and digest as computed).
    pub async fn fetch_config(
        &self,
        resolved: &Resolved,
        signal: Option<&AbortSignal>,
    ) -> Result<Vec<u8>, ClientError> {
        let image = match &resolved.manifest.parsed {
            Some(Manifest::Image(image)) => image,
            _ => {
                return Err(ClientError::Unsupported(
                    "this manifest is Docker schema1: it has no config (and cannot be verified)".into(),
                ));
            }
        };
        let url = resolved.registry.base().blob(&resolved.reference, &image.config.digest);
        let scopes = pull_scope(&resolved.reference)?;
        let answer = resolved.registry.send("GET", &url, scopes, None, Purpose::Config, signal).await?;
        let response = Registry::expect_ok(answer.response, ErrorCode::BlobUnknown, signal).await?;
        response.bytes("config", CONFIG_LIMIT, signal).await
    }

    /// Verifies the whole chain of an image; content problems are in the result, not errors.
    pub async fn verify(
        &self,
        reference: &Reference,
        call: VerifyCall<'_>,
    ) -> Result<Verification, ClientError> {
        self.warm_workers();
        let resolved = self.resolve(reference, call.platform.as_ref(), call.signal).await?;
        self.verify_resolved(resolved, None, call).await
    }

    /// Starts the layer workers loading, so they are ready when the layers are known (`verify`
    /// and `verify_resolved` do it themselves; a caller that resolves first may do it sooner).
    pub fn warm_workers(&self) {
        if let Some(pool) = self.pool.as_ref().filter(|p| p.usable()) {
            pool.warm();
        }
    }

    /// Verifies an image already resolved (and its config, when already fetched): the verdict is
    /// about exactly these documents, never about what a tag points to by now.
    pub async fn verify_resolved(
        &self,
        resolved: Resolved,
        config: Option<Vec<u8>>,
        call: VerifyCall<'_>,
    ) -> Result<Verification, ClientError> {
        let image = match &resolved.manifest.parsed {
            Some(Manifest::Image(image)) => image.clone(),
            _ => {
                let chain = chain_of(&resolved, None, &[], call.expected_image_id.as_ref());
                return Ok(Verification { resolved, config: Vec::new(), layers: Vec::new(), chain });
            }
        };
        self.warm_workers();
        let config = match config {
            Some(config) => config,
            None => self.fetch_config(&resolved, call.signal).await?,
        };
        let jobs = self.layer_jobs(&resolved, &image, &config, call.list_files);
        let scopes = pull_scope(&resolved.reference)?;
        let registry = resolved.registry.clone();
        let pool = self.pool.as_ref();
        let mut layers: Vec<LayerOutcome> = futures::stream::iter(jobs)
            .map(|job| {
                let scopes = scopes.clone();
                let registry = registry.clone();
                let (on_progress, on_layer) = (call.on_progress, call.on_layer);
                async move {
                    let mut progress = |p| on_progress(job.index, p);
                    let outcome = match run_layer(&registry, pool, &job, scopes, call.signal, &mut progress)
                        .await
                    {
                        Ok(done) => {
                            LayerOutcome { job, summary: Some(done.summary), files: done.files, error: None }
                        }
                        Err(error) => LayerOutcome { job, summary: None, files: None, error: Some(error) },
                    };
                    if !matches!(outcome.error, Some(ClientError::Aborted)) {
                        on_layer(&outcome);
                    }
                    outcome
                }
            })
            .buffer_unordered(self.settings.concurrency.max(1))
            .collect()
            .await;
        if layers.iter().any(|l| matches!(l.error, Some(ClientError::Aborted))) {
            return Err(ClientError::Aborted);
        }
        layers.sort_by_key(|l| l.job.index);
        let reports: Vec<Option<LayerSummary>> = layers.iter().map(|l| l.summary.clone()).collect();
        let chain = chain_of(&resolved, Some(&config), &reports, call.expected_image_id.as_ref());
        Ok(Verification { resolved, config, layers, chain })
    }
}

impl ClientCore {
    /// One job per layer of `image`, paired with the config's diff_ids.
    fn layer_jobs(
        &self,
        resolved: &Resolved,
        image: &ImageManifest,
        config: &[u8],
        list_files: bool,
    ) -> Vec<LayerJob> {
        let diff_ids = parse_config(config).map(|c| c.rootfs.diff_ids).unwrap_or_default();
        image
            .layers
            .iter()
            .enumerate()
            .map(|(index, layer)| LayerJob {
                index,
                url: resolved.registry.base().blob(&resolved.reference, &layer.digest),
                authorization: None,
                media_type: layer.media_type.clone(),
                digest: layer.digest.clone(),
                size: layer.size,
                diff_id: diff_ids.get(index).cloned(),
                options: self.settings.verify,
                timeouts: self.settings.timeouts,
                list_files,
            })
            .collect()
    }

    /// Streams layer `index` of a resolved image again, this time listing its files (the
    /// verifier's tar walk; the layer is verified once more on the way).
    pub async fn layer_files(
        &self,
        resolved: &Resolved,
        config: &[u8],
        index: usize,
        signal: Option<&AbortSignal>,
        on_progress: &dyn Fn(Progress),
    ) -> Result<LayerOutcome, ClientError> {
        let Some(Manifest::Image(image)) = &resolved.manifest.parsed else {
            return Err(ClientError::Unsupported("this manifest has no layers to list".into()));
        };
        let job = self
            .layer_jobs(resolved, image, config, true)
            .into_iter()
            .nth(index)
            .ok_or_else(|| ClientError::Options(format!("the image has no layer {index}")))?;
        let scopes = pull_scope(&resolved.reference)?;
        let streamed =
            run_layer(&resolved.registry, self.pool.as_ref(), &job, scopes, signal, &mut |p| on_progress(p))
                .await?;
        Ok(LayerOutcome { job, summary: Some(streamed.summary), files: streamed.files, error: None })
    }
}

/// Verifies one layer: in a worker when there is a pool (the main thread authorizes with a HEAD
/// and hands the worker the header), else in-process over an authorized GET.
async fn run_layer(
    registry: &Registry,
    pool: Option<&WorkerPool>,
    job: &LayerJob,
    scopes: ScopeSet,
    signal: Option<&AbortSignal>,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<Streamed, ClientError> {
    if job.media_type.is_foreign() {
        return Err(ClientError::Unsupported(format!(
            "layer {} is a foreign layer ({}), which registries do not serve",
            job.index, job.media_type
        )));
    }
    let compression = job.media_type.layer_compression().unwrap_or(Compression::None);
    let purpose = Purpose::Layer { compression };
    if let Some(pool) = pool.filter(|p| p.usable()) {
        // A token can die between the HEAD and the worker's GET: authorize again once.
        let mut retried = false;
        loop {
            let answer = registry.send("HEAD", &job.url, scopes.clone(), None, purpose, signal).await?;
            Registry::expect_ok(answer.response, ErrorCode::BlobUnknown, signal).await?;
            let authorized = LayerJob { authorization: answer.authorization, ..job.clone() };
            // The worker's GET, recorded here where the transcript lives.
            let request = HttpRequest {
                method: "GET",
                url: &job.url,
                accept: None,
                authorization: authorized.authorization.as_deref(),
                form: None,
            };
            registry.record(&request, purpose);
            match pool.run(&authorized, signal, &mut *on_progress).await {
                Err(ClientError::Worker { code: ErrorCode::Unauthorized, .. }) if !retried => retried = true,
                // A worker that cannot start or dies is no reason to fail: verify here instead.
                #[cfg(feature = "in-process")]
                Err(ClientError::WorkerFailed(_)) => break,
                Err(e) => return Err(e),
                Ok(result) => return Ok(Streamed { summary: result.summary, files: result.files }),
            }
        }
    }
    in_process(registry, job, scopes, purpose, signal, on_progress).await
}

/// Verifies one layer on this thread, over an authorized GET.
#[cfg(feature = "in-process")]
async fn in_process(
    registry: &Registry,
    job: &LayerJob,
    scopes: ScopeSet,
    purpose: Purpose,
    signal: Option<&AbortSignal>,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<Streamed, ClientError> {
    let answer = registry.send("GET", &job.url, scopes, None, purpose, signal).await?;
    let response = Registry::expect_ok(answer.response, ErrorCode::BlobUnknown, signal).await?;
    let verified = verify_body(job, response, signal, on_progress).await?;
    Ok(Streamed { summary: verified.summary, files: verified.files })
}

/// Without the in-process verifier (the page's build), a layer is verified in a worker or not at
/// all: a failed worker is then the layer's error, `WORKER`, never a hang.
#[cfg(not(feature = "in-process"))]
async fn in_process(
    _registry: &Registry,
    _job: &LayerJob,
    _scopes: ScopeSet,
    _purpose: Purpose,
    _signal: Option<&AbortSignal>,
    _on_progress: &mut dyn FnMut(Progress),
) -> Result<Streamed, ClientError> {
    Err(ClientError::WorkerFailed(
        "could not verify this layer, and this build verifies layers only in Web Workers".into(),
    ))
}

/// The chain verdict over what was fetched.
fn chain_of(
    resolved: &Resolved,
    config: Option<&[u8]>,
    layers: &[Option<LayerSummary>],
    expected_image_id: Option<&ImageId>,
) -> ChainReport {
    let input = ChainInput {
        pinned: resolved.reference.digest(),
        index: resolved.index.as_ref().map(|(m, _)| document(m)),
        index_entry: resolved.index.as_ref().map(|(_, entry)| entry),
        manifest: document(&resolved.manifest),
        config,
        layers,
        expected_image_id,
    };
    verify_chain(&input)
}

/// A fetched manifest as the chain sees it.
fn document(m: &FetchedManifest) -> Document<'_> {
    Document {
        bytes: &m.bytes,
        content_type: m.content_type.as_deref(),
        header_digest: m.header_digest.as_deref(),
    }
}

/// The pull scope of the reference's repository.
fn pull_scope(reference: &Reference) -> Result<ScopeSet, ClientError> {
    Ok(ScopeSet::from(Scope::repository_pull(reference.repository())?))
}

/// One paginated list: what it is called in errors, the scopes it needs, its transcript purpose,
/// and the most items it may hold (what they are called in errors).
struct Pages {
    what: &'static str,
    scopes: ScopeSet,
    purpose: Purpose,
    unit: &'static str,
    max_items: u64,
}

/// Every item of a paginated list (tags, catalog), following `Link` pages on the same origin,
/// refusing loops, stopping at [`MAX_LIST_PAGES`].
async fn list_pages(
    registry: &Registry,
    first: String,
    pages: &Pages,
    missing: ErrorCode,
    signal: Option<&AbortSignal>,
    parse: impl Fn(&[u8]) -> Result<Vec<String>, ClientError>,
) -> Result<Vec<String>, ClientError> {
    let mut url = first;
    let mut seen = HashSet::new();
    let mut items = Vec::new();
    for _ in 0..MAX_LIST_PAGES {
        seen.insert(url.clone());
        let answer = registry
            .send("GET", &url, pages.scopes.clone(), Some("application/json"), pages.purpose, signal)
            .await?;
        let response = Registry::expect_ok(answer.response, missing, signal).await?;
        let link = response.header("Link");
        let answered_by = response.url().to_owned();
        items.extend(parse(&response.bytes(pages.what, LIST_PAGE_LIMIT, signal).await?)?);
        if items.len() as u64 > pages.max_items {
            return Err(ClientError::TooLarge {
                what: pages.what.to_owned(),
                limit: pages.max_items,
                unit: pages.unit,
            });
        }
        let Some(link) = link else { return Ok(items) };
        // Relative to the URL that answered (after redirects); followed only on the registry's
        // own origin, where its credentials may go.
        let Some(next) = next_link(&link, &answered_by)? else { return Ok(items) };
        let on_registry = HttpUrl::parse(&next.url).is_ok_and(|u| u.origin() == registry.base().origin());
        if !on_registry {
            return Err(ClientError::Refused(format!(
                "the registry's next {} page is on another origin ({}); not following it",
                pages.what,
                cut(&next.url)
            )));
        }
        if !seen.insert(next.url.clone()) {
            return Err(ClientError::Refused(format!(
                "the registry's {} pages loop back to {}",
                pages.what,
                cut(&next.url)
            )));
        }
        url = next.url;
    }
    Err(ClientError::TooLarge { what: pages.what.to_owned(), limit: MAX_LIST_PAGES, unit: "pages" })
}
