//! The one place the page talks to the client: [`regsight_wasm::Client`] (the class the npm package
//! exports), called from Rust. Its results are JS objects; they cross back through JSON into the
//! plain structs below, which is what the components show.

use std::collections::BTreeMap;

use js_sys::{Function, Object, Promise, Reflect};
use regsight_core::Reference;
use serde::Deserialize;
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

use crate::site::SiteConfig;

/// The worker script that `web/` ships next to the page (it imports the page's own glue).
pub const WORKER_SCRIPT: &str = "./worker.js";

/// What the page lets a person set for a client: nothing secret, so it may live in the URL.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Base URL that serves docker.io (a CORS-enabled mirror), or empty.
    pub mirror: String,
    /// Platform chosen from multi-arch indexes (`os/arch[/variant]`), or empty for linux/amd64.
    pub platform: String,
}

/// What a person typed to sign in to the registry in use: kept in memory only, never in the URL.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Login {
    /// Username, with `password`.
    pub username: String,
    /// Password (or access token used as one).
    pub password: String,
    /// A bearer token obtained elsewhere, instead of a username and password.
    pub token: String,
}

impl Login {
    /// The client's credentials object, when something was typed.
    fn to_js(&self) -> Option<Object> {
        let object = Object::new();
        if !self.token.trim().is_empty() {
            set(&object, "token", &self.token.trim().into());
        } else if !self.username.trim().is_empty() {
            set(&object, "username", &self.username.trim().into());
            set(&object, "password", &self.password.as_str().into());
        } else {
            return None;
        }
        Some(object)
    }
}

/// A failure of a whole operation: the client's stable code and its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// Stable code, e.g. `NETWORK`, `MANIFEST_UNKNOWN`, `ABORTED`.
    pub code: String,
    /// The message for people.
    pub message: String,
}

impl ApiError {
    /// True when the operation was cancelled.
    pub fn is_abort(&self) -> bool {
        self.code == "ABORTED"
    }

    fn from_js(error: &JsValue) -> Self {
        let text = |name: &str| Reflect::get(error, &name.into()).ok().and_then(|v| v.as_string());
        let message =
            text("message").unwrap_or_else(|| error.as_string().unwrap_or_else(|| format!("{error:?}")));
        // An AbortSignal's own DOMException says AbortError rather than our code.
        let code = text("code")
            .or_else(|| (text("name").as_deref() == Some("AbortError")).then(|| "ABORTED".into()));
        Self { code: code.unwrap_or_else(|| "UNKNOWN".into()), message }
    }

    fn decode(what: &str, error: impl std::fmt::Display) -> Self {
        Self { code: "INTERNAL".into(), message: format!("unexpected {what} from the client: {error}") }
    }
}

/// One manifest or index document, as received.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    /// Media type.
    pub media_type: String,
    /// sha256 of the bytes received.
    pub digest: String,
    /// `Docker-Content-Digest` as sent.
    pub header_digest: Option<String>,
    /// Whether it equals the computed digest (None when the registry sent none).
    pub header_matches: Option<bool>,
    /// Byte count.
    pub size: u64,
    /// The parsed JSON.
    pub json: serde_json::Value,
    /// An index's platforms.
    #[serde(default)]
    pub platforms: Option<Vec<String>>,
}

/// `client.manifest()`: the top document and, for an index, the chosen platform's manifest.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestResult {
    /// The document the reference names.
    #[serde(flatten)]
    pub top: Document,
    /// The platform chosen from an index.
    #[serde(default)]
    pub platform: Option<String>,
    /// The chosen platform's manifest.
    #[serde(default)]
    pub resolved: Option<Document>,
}

impl ManifestResult {
    /// The image manifest (the resolved one for an index).
    pub fn image(&self) -> &Document {
        self.resolved.as_ref().unwrap_or(&self.top)
    }

    /// The image manifest's layers, none verified yet.
    pub fn pending_layers(&self) -> Vec<LayerRow> {
        let layers = self.image().json.get("layers").and_then(|l| l.as_array()).cloned().unwrap_or_default();
        layers
            .iter()
            .enumerate()
            .map(|(index, layer)| LayerRow {
                index,
                media_type: layer.get("mediaType").and_then(|v| v.as_str()).unwrap_or_default().into(),
                digest: layer.get("digest").and_then(|v| v.as_str()).unwrap_or_default().into(),
                size: layer.get("size").and_then(serde_json::Value::as_u64).unwrap_or(0),
                ..LayerRow::default()
            })
            .collect()
    }
}

/// `client.config()`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ConfigResult {
    /// sha256 of the config bytes: the image ID.
    pub digest: String,
    /// Byte count.
    pub size: u64,
    /// The parsed config.
    pub json: serde_json::Value,
}

/// `error` of a layer result.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ErrorInfo {
    /// Stable code.
    pub code: String,
    /// Message.
    pub message: String,
}

/// One layer of `client.verify()`'s result.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LayerResult {
    index: usize,
    media_type: String,
    digest: String,
    size: u64,
    diff_id: Option<String>,
    computed_digest: Option<String>,
    computed_diff_id: Option<String>,
    bytes: u64,
    uncompressed_bytes: u64,
    ok: bool,
    error: Option<ErrorInfo>,
    #[serde(default)]
    other_errors: Vec<ErrorInfo>,
}

/// Where the verified bytes came from (`client.verify()`'s `source`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    /// `scheme://host[:port]` that served the bytes.
    pub origin: String,
    /// True when a mirror or gateway served them.
    pub via_mirror: bool,
    /// True when the reference carried a digest.
    pub pinned: bool,
}

/// `client.verify()`'s result.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VerifyResult {
    ok: bool,
    verdict: String,
    reference: String,
    pinned_reference: String,
    source: Source,
    index_digest: Option<String>,
    manifest_digest: String,
    platform: Option<String>,
    image_id: Option<String>,
    image_id_match: Option<bool>,
    layers: Vec<LayerResult>,
    problems: Vec<String>,
}

/// Where one layer row stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LayerStatus {
    /// Not started.
    #[default]
    Pending,
    /// Streaming.
    Running,
    /// Digest, size and diff_id all hold.
    Ok,
    /// The bytes are not what the manifest or config claims.
    Mismatch,
    /// It could not be checked.
    Error,
}

impl LayerStatus {
    /// The `data-status` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Ok => "ok",
            Self::Mismatch => "mismatch",
            Self::Error => "error",
        }
    }
}

/// One layer as the page shows it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LayerRow {
    /// Position in the manifest.
    pub index: usize,
    /// Media type.
    pub media_type: String,
    /// Digest the manifest claims.
    pub digest: String,
    /// Size the manifest claims.
    pub size: u64,
    /// Where it stands.
    pub status: LayerStatus,
    /// Compressed bytes received so far.
    pub bytes: u64,
    /// Uncompressed bytes produced so far.
    pub uncompressed: u64,
    /// `performance.now()` of the first progress event.
    pub started_ms: Option<f64>,
    /// Bytes per second, once measurable.
    pub rate: Option<f64>,
    /// The config's diff_id for it.
    pub diff_id: Option<String>,
    /// Digest of the bytes received.
    pub computed_digest: Option<String>,
    /// Digest of the uncompressed tar.
    pub computed_diff_id: Option<String>,
    /// Why it is not ok.
    pub error: Option<ErrorInfo>,
    /// Further problems (e.g. the gzip error behind a digest mismatch).
    pub other_errors: Vec<ErrorInfo>,
}

impl LayerRow {
    /// Folds a progress event in.
    pub fn progress(&mut self, bytes: u64, uncompressed: u64, now_ms: f64) {
        if matches!(self.status, LayerStatus::Pending) {
            self.status = LayerStatus::Running;
        }
        let started = *self.started_ms.get_or_insert(now_ms);
        self.bytes = bytes;
        self.uncompressed = uncompressed;
        let elapsed = (now_ms - started) / 1000.0;
        if elapsed > 0.05 {
            self.rate = Some(bytes as f64 / elapsed);
        }
    }

    fn finish(&mut self, result: LayerResult) {
        let digest_differs = result.computed_digest.as_ref().is_some_and(|c| *c != result.digest);
        let diff_id_differs = match (&result.computed_diff_id, &result.diff_id) {
            (Some(computed), Some(expected)) => computed != expected,
            _ => false,
        };
        let mismatch_code = result.error.as_ref().is_some_and(|e| e.code.ends_with("_MISMATCH"));
        self.status = if result.ok {
            LayerStatus::Ok
        } else if digest_differs || diff_id_differs || mismatch_code {
            LayerStatus::Mismatch
        } else {
            LayerStatus::Error
        };
        self.index = result.index;
        self.media_type = result.media_type;
        self.digest = result.digest;
        self.size = result.size;
        self.bytes = result.bytes.max(self.bytes);
        self.uncompressed = result.uncompressed_bytes.max(self.uncompressed);
        self.diff_id = result.diff_id;
        self.computed_digest = result.computed_digest;
        self.computed_diff_id = result.computed_diff_id;
        self.error = result.error;
        self.other_errors = result.other_errors;
    }
}

/// The outcome of a verification, for the verdict panel.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// True when everything held.
    pub ok: bool,
    /// `verified`, `failed` or `unverifiable`.
    pub verdict: String,
    /// The canonical reference verified.
    pub reference: String,
    /// The reference pinned to the digest verified: what to pull to get these bytes from anywhere.
    pub pinned_reference: String,
    /// Where the bytes came from, and whether the reference was pinned.
    pub source: Source,
    /// Whether the image ID equals the one the person gave (None when none was given).
    pub image_id_match: Option<bool>,
    /// The index's digest, when there was one.
    pub index_digest: Option<String>,
    /// The image manifest's digest as computed.
    pub manifest_digest: String,
    /// The platform verified.
    pub platform: Option<String>,
    /// The config digest as computed.
    pub image_id: Option<String>,
    /// Every problem found, one sentence each.
    pub problems: Vec<String>,
}

/// A client for one run of the page's options.
pub struct Api {
    client: regsight_wasm::Client,
    platform: String,
}

impl Api {
    /// A client with the page's options, the site's gateway paths and what the person typed to
    /// sign in to `reference`'s registry; layers are verified in Web Workers when the browser has
    /// them.
    pub fn new(
        options: &Options,
        site: Option<&SiteConfig>,
        login: &Login,
        reference: &str,
    ) -> Result<Self, ApiError> {
        let object = Object::new();
        let mut mirrors: BTreeMap<String, String> = site.map(|s| s.mirrors.clone()).unwrap_or_default();
        let mirror = options.mirror.trim();
        if !mirror.is_empty() {
            mirrors.insert("docker.io".into(), mirror.into());
        }
        if !mirrors.is_empty() {
            let object_mirrors = Object::new();
            for (registry, url) in &mirrors {
                set(&object_mirrors, registry, &url.as_str().into());
            }
            set(&object, "mirrors", &object_mirrors);
        }
        // Credentials are keyed by the endpoint that will be contacted: the gateway path or
        // mirror serving the registry, else the registry itself.
        if let (Some(credentials), Ok(parsed)) = (login.to_js(), reference.trim().parse::<Reference>()) {
            let key = mirrors.get(parsed.registry()).cloned().unwrap_or_else(|| parsed.registry().to_owned());
            let keyed = Object::new();
            set(&keyed, &key, &credentials);
            set(&object, "credentials", &keyed);
        }
        let platform = options.platform.trim().to_owned();
        if !platform.is_empty() {
            set(&object, "platform", &platform.as_str().into());
        }
        let has_worker = Reflect::get(&js_sys::global(), &"Worker".into()).is_ok_and(|w| w.is_function());
        let workers: JsValue = if has_worker { WORKER_SCRIPT.into() } else { false.into() };
        set(&object, "workers", &workers);
        let client = regsight_wasm::Client::new(Some(object.into())).map_err(|e| ApiError::from_js(&e))?;
        Ok(Self { client, platform })
    }

    fn call_options(&self, signal: &AbortSignal) -> Object {
        let options = Object::new();
        set(&options, "signal", signal);
        if !self.platform.is_empty() {
            set(&options, "platform", &self.platform.as_str().into());
        }
        options
    }

    /// Every tag of the reference's repository.
    pub async fn tags(&self, reference: &str, signal: &AbortSignal) -> Result<Vec<String>, ApiError> {
        let value =
            settle(self.client.tags(reference.to_owned(), Some(self.call_options(signal).into()))).await?;
        decode("tag list", &value)
    }

    /// The manifest (and for an index, the chosen platform's manifest).
    pub async fn manifest(&self, reference: &str, signal: &AbortSignal) -> Result<ManifestResult, ApiError> {
        let value =
            settle(self.client.manifest(reference.to_owned(), Some(self.call_options(signal).into())))
                .await?;
        decode("manifest", &value)
    }

    /// The image config.
    pub async fn config(&self, reference: &str, signal: &AbortSignal) -> Result<ConfigResult, ApiError> {
        let value =
            settle(self.client.config(reference.to_owned(), Some(self.call_options(signal).into()))).await?;
        decode("config", &value)
    }

    /// Verifies the whole chain (against `image_id` too, when not empty); `on_progress(layer,
    /// bytes, uncompressed)` as layers stream. `layers` gets each layer's final state.
    pub async fn verify(
        &self,
        reference: &str,
        image_id: &str,
        signal: &AbortSignal,
        on_progress: impl Fn(usize, u64, u64) + 'static,
        layers: &mut Vec<LayerRow>,
    ) -> Result<Outcome, ApiError> {
        let callback = Closure::<dyn Fn(JsValue)>::new(move |event: JsValue| {
            let number =
                |name: &str| Reflect::get(&event, &name.into()).ok().and_then(|v| v.as_f64()).unwrap_or(0.0);
            on_progress(number("layer") as usize, number("bytes") as u64, number("uncompressedBytes") as u64);
        });
        let options = self.call_options(signal);
        set(&options, "onProgress", callback.as_ref().unchecked_ref::<Function>());
        if !image_id.trim().is_empty() {
            set(&options, "expectImageId", &image_id.trim().into());
        }
        let value = settle(self.client.verify(reference.to_owned(), Some(options.into()))).await;
        drop(callback);
        let result: VerifyResult = decode("verification", &value?)?;
        for layer in result.layers {
            let index = layer.index;
            if layers.len() <= index {
                layers.resize_with(index + 1, LayerRow::default);
            }
            layers[index].finish(layer);
        }
        Ok(Outcome {
            ok: result.ok,
            verdict: result.verdict,
            reference: result.reference,
            pinned_reference: result.pinned_reference,
            source: result.source,
            image_id_match: result.image_id_match,
            index_digest: result.index_digest,
            manifest_digest: result.manifest_digest,
            platform: result.platform,
            image_id: result.image_id,
            problems: result.problems,
        })
    }
}

fn set(object: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(object, &key.into(), value);
}

async fn settle(promise: Promise) -> Result<JsValue, ApiError> {
    JsFuture::from(promise).await.map_err(|e| ApiError::from_js(&e))
}

/// A JS result into a Rust value, through JSON (the results are plain data).
fn decode<T: for<'de> Deserialize<'de>>(what: &str, value: &JsValue) -> Result<T, ApiError> {
    let text = js_sys::JSON::stringify(value).map_err(|e| ApiError::from_js(&e))?;
    let text = text.as_string().unwrap_or_default();
    serde_json::from_str(&text).map_err(|e| ApiError::decode(what, e))
}

/// `performance.now()`, or 0 where there is none.
pub fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}
