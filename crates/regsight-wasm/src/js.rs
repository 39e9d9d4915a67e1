//! Crossing into JavaScript: options in, result objects out, TypeScript types for both.

use regsight_core::platform::Platform;
use regsight_core::verify::{Check, Progress};
use regsight_core::{ErrorCode, ImageId};
use serde_json::{Value, json};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::client::{FetchedManifest, LayerState, Resolved, Settings, Verification};
use crate::error::ClientError;
use crate::options::{ClientOptions, page_url};
pub use crate::value::to_js;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** A parsed image reference, normalized as `docker pull` does. */
export interface ParsedReference {
  registry: string; repository: string; tag: string | null; digest: string | null;
  familiar: string; canonical: string;
}
/** Credentials for one registry host: a password (exchanged for tokens) or a pre-issued token. */
export type RegistryCredentials = { username: string; password: string } | { token: string };
export interface ClientOptions {
  /**
   * Registry name -> base URL that serves it, e.g. { "docker.io": "https://mirror.example" }; in a
   * page, a relative URL ("/registries/docker.io", a site's same-origin gateway) resolves
   * against the page.
   */
  mirrors?: Record<string, string>;
  /**
   * Credentials, keyed by the endpoint they may be sent to: a host[:port] ("127.0.0.1:5000",
   * "registry.example"; the default port may be omitted), a registry name ("docker.io", used only
   * when that registry is contacted directly), or a base URL ("https://site/registries/ghcr.io").
   * A mirror gets only the credentials keyed by its own host or base URL, never the mirrored
   * registry's. Kept in memory only.
   */
  credentials?: Record<string, RegistryCredentials>;
  /** Platform chosen from multi-arch indexes, default "linux/amd64". */
  platform?: string;
  /** Layers verified at once (default: with workers, one per two cores, each split across two workers; else 3). */
  concurrency?: number;
  /**
   * Caps on what a registry may make the client read; going over one is LIMIT_EXCEEDED. Defaults:
   * maxTags 100,000 (over all pages), maxUncompressedSize 32 GiB per layer, maxRatio 100
   * (uncompressed per compressed byte, past ratioFloor 1 MiB), maxZstdWindow 128 MiB (at most 512 MiB).
   */
  limits?: { maxTags?: number; maxUncompressedSize?: number; maxRatio?: number; ratioFloor?: number; maxZstdWindow?: number };
  /**
   * How long a registry may stay silent, in ms: no response headers for `headersMs` (default
   * 30,000), or no body bytes for `idleMs` (default 60,000), is TIMEOUT, whatever your signal.
   */
  timeouts?: { headersMs?: number; idleMs?: number };
  /**
   * Verify layers in Web Workers: true (default where Worker exists), false, the worker script's
   * URL, or a function returning a new Worker (for bundlers with their own worker syntax). A
   * worker that fails to start, errs or falls silent is stopped and its layer verified in-process.
   */
  workers?: boolean | string | (() => Worker);
}
export interface CallOptions { platform?: string; signal?: AbortSignal }
export interface LayerProgress { layer: number; bytes: number; total: number; uncompressedBytes: number; phase: "downloading" }
export interface VerifyCallOptions extends CallOptions {
  onProgress?: (progress: LayerProgress) => void;
  /** List each layer's files (path, size, type, mode, link target, whiteouts). */
  listFiles?: boolean;
  /**
   * The image ID you have locally: "sha256:<64 hex>", or its first 12+ hex digits as
   * `docker images` shows them. The result's `imageIdMatch` says whether the config hashes to it.
   */
  expectImageId?: string;
}
export interface ManifestDocument {
  mediaType: string; digest: string; headerDigest: string | null; headerMatches: boolean | null;
  size: number; raw: string; json: any; platforms?: string[];
}
export interface ManifestResult extends ManifestDocument {
  /** For an index: the chosen platform and its manifest. */
  platform?: string; resolved?: ManifestDocument;
}
export interface ConfigResult { digest: string; size: number; json: any }
export interface ErrorInfo { code: string; message: string }
export interface LayerResult {
  index: number; mediaType: string; digest: string; size: number; diffId: string | null;
  /** Digest of the bytes received: reported whenever the blob was read to its end, also when it
   * did not decompress. */
  computedDigest: string | null; computedDiffId: string | null; bytes: number; uncompressedBytes: number;
  ok: boolean;
  /** "ok"; "mismatch" when the bytes are not what the manifest or config claims; "error" when
   * the layer could not be checked. */
  status: "ok" | "mismatch" | "error";
  /** The most telling problem: SIZE_MISMATCH, then DIGEST_MISMATCH, then what decompression found. */
  error: ErrorInfo | null;
  /** Further problems, e.g. the CORRUPT_STREAM behind a DIGEST_MISMATCH. */
  otherErrors: ErrorInfo[];
  /** The layer's files, when `listFiles` was asked for. */
  files?: TarListing;
}
/** Where the verified bytes came from, and so what a green verdict proves. */
export interface VerifySource {
  /** scheme://host[:port] the bytes came from (the registry, or the mirror or gateway in use). */
  origin: string;
  /** True when the registry was reached through a configured mirror or gateway. */
  viaMirror: boolean;
  /**
   * True when the reference carried a digest: then "verified" proves the image is the one pinned,
   * whoever served it. Otherwise it proves only that `origin` served a self-consistent image for
   * the tag; pin `pinnedReference` to check it independently of `origin`.
   */
  pinned: boolean;
}
export interface VerifyResult {
  ok: boolean; verdict: "verified" | "failed" | "unverifiable"; reference: string;
  /** The reference pinned to the digest that was verified (the index's, for a multi-arch image). */
  pinnedReference: string;
  source: VerifySource;
  indexDigest: string | null; manifestDigest: string; platform: string | null; imageId: string | null;
  /** Whether the image ID equals `expectImageId` (null when none was given). */
  imageIdMatch: boolean | null;
  config: { digest: string; ok: boolean } | null; layers: LayerResult[]; problems: string[];
  /** Every link of the chain, checked. */
  chain: ChainReport;
}
/** The outcome of one comparison. */
export type Check = "passed" | "failed" | "notChecked" | "incomplete" | "unsupported";
export interface Platform {
  architecture: string; os: string; "os.version"?: string; "os.features"?: string[]; variant?: string;
}
export interface Descriptor {
  mediaType: string; digest: string; size: number; urls?: string[];
  annotations?: Record<string, string>; platform?: Platform; artifactType?: string;
}
/** One document's checks: its digest against the pin or descriptor and the registry's header. */
export interface DocumentCheck {
  computed: string; size: number; headerDigest: string | null; header: Check;
  expectedDigest: string | null; expected: Check; expectedSize: number | null; sizeCheck: Check;
}
export interface LayerLink {
  index: number; descriptor: Descriptor; diffId: string | null;
  status: "verified" | "failed" | "unverifiable"; problem: string | null;
}
export interface ChainReport {
  verdict: "verified" | "failed" | "unverifiable";
  index: DocumentCheck | null; manifest: DocumentCheck; config: DocumentCheck | null;
  /** The config against `expectImageId`. */
  imageId: Check;
  layers: LayerLink[]; problems: string[];
}
export type Whiteout = { kind: "remove"; target: string } | { kind: "opaque"; dir: string };
export interface TarEntry {
  path: string;
  kind: "file" | "dir" | "symlink" | "hardlink" | "charDevice" | "blockDevice" | "fifo" | "other";
  size: number; mode: number; uid: number; gid: number; mtime: number;
  linkTarget: string | null; whiteout: Whiteout | null; sparse: boolean;
}
export interface TarListing {
  entries: TarEntry[]; totalEntries: number; truncated: boolean; endOfArchive: boolean;
  error: ErrorInfo | null;
}
"#;

/// Client settings from the constructor's options object.
pub fn settings(options: &JsValue) -> Result<Settings, ClientError> {
    // `workers` may be a function, which serde cannot read: take it out first.
    let factory = if options.is_object() {
        js_sys::Reflect::get(options, &"workers".into()).ok().filter(|w| w.is_function())
    } else {
        None
    };
    let data = match &factory {
        Some(_) => {
            let copy = js_sys::Object::assign(&js_sys::Object::new(), options.unchecked_ref());
            let _ = js_sys::Reflect::delete_property(&copy, &"workers".into());
            copy.into()
        }
        None => options.clone(),
    };
    let options: ClientOptions = if data.is_undefined() || data.is_null() {
        ClientOptions::default()
    } else {
        // Through JSON, so that unknown keys are refused (`deny_unknown_fields`) and the error
        // names the key where it is.
        let json: serde_json::Value = serde_wasm_bindgen::from_value(data)
            .map_err(|e| ClientError::Options(format!("the options are not plain data: {e}")))?;
        serde_path_to_error::deserialize(json).map_err(|e| {
            let message: String = e.inner().to_string().chars().take(300).collect();
            ClientError::Options(format!("{}: {message}", e.path()))
        })?
    };
    options.into_settings(page_url().as_deref(), factory.map(JsCast::unchecked_into))
}

/// Per-call options: platform, abort signal, progress callback, file listing.
pub struct CallOptions {
    /// Platform override.
    pub platform: Option<Platform>,
    /// Abort signal.
    pub signal: Option<web_sys::AbortSignal>,
    /// Progress callback.
    pub on_progress: Option<js_sys::Function>,
    /// List files.
    pub list_files: bool,
    /// The image ID the caller expects.
    pub expected_image_id: Option<ImageId>,
}

/// The keys every call takes.
const CALL_KEYS: [&str; 2] = ["platform", "signal"];
/// The keys `verify` takes besides.
const VERIFY_KEYS: [&str; 3] = ["onProgress", "listFiles", "expectImageId"];

impl CallOptions {
    /// Reads a call's options object (undefined means defaults); `verify` allows its own keys.
    /// An unknown key is `INVALID_ARGUMENT` naming it.
    pub fn read(options: &JsValue, verify: bool) -> Result<Self, ClientError> {
        if options.is_object() {
            for key in js_sys::Object::keys(options.unchecked_ref::<js_sys::Object>())
                .iter()
                .filter_map(|k| k.as_string())
            {
                let known =
                    CALL_KEYS.contains(&key.as_str()) || (verify && VERIFY_KEYS.contains(&key.as_str()));
                if !known {
                    let allowed: Vec<&str> = CALL_KEYS
                        .iter()
                        .chain(if verify { &VERIFY_KEYS[..] } else { &[] })
                        .copied()
                        .collect();
                    let shown: String = key.chars().take(64).collect();
                    return Err(ClientError::Options(format!(
                        "unknown option {shown:?}; this call takes {}",
                        allowed.join(", ")
                    )));
                }
            }
        } else if !options.is_undefined() && !options.is_null() {
            return Err(ClientError::Options("options must be an object".into()));
        }
        let get = |name: &str| {
            { if options.is_object() { js_sys::Reflect::get(options, &name.into()).ok() } else { None } }
                .filter(|v| !v.is_undefined() && !v.is_null())
        };
        let platform = match get("platform") {
            Some(v) => Some(
                v.as_string()
                    .ok_or_else(|| {
                        ClientError::Options("platform must be a string like \"linux/arm64\"".into())
                    })?
                    .parse::<Platform>()?,
            ),
            None => None,
        };
        let signal = match get("signal") {
            Some(v) => {
                Some(v.dyn_into().map_err(|_| ClientError::Options("signal must be an AbortSignal".into()))?)
            }
            None => None,
        };
        let on_progress = match get("onProgress") {
            Some(v) => {
                Some(v.dyn_into().map_err(|_| ClientError::Options("onProgress must be a function".into()))?)
            }
            None => None,
        };
        let list_files = get("listFiles").is_some_and(|v| v.is_truthy());
        let expected_image_id = match get("expectImageId") {
            Some(v) => Some(
                v.as_string()
                    .ok_or_else(|| ClientError::Options("expectImageId must be a string".into()))?
                    .parse::<ImageId>()?,
            ),
            None => None,
        };
        Ok(Self { platform, signal, on_progress, list_files, expected_image_id })
    }
}

/// Calls the progress callback, if any; its exceptions are ignored (they are the caller's).
pub fn report_progress(callback: Option<&js_sys::Function>, layer: usize, progress: Progress) {
    let Some(callback) = callback else { return };
    let event = json!({
        "layer": layer,
        "bytes": progress.received,
        "total": progress.declared,
        "uncompressedBytes": progress.uncompressed,
        "phase": "downloading",
    });
    if let Ok(event) = to_js(&event) {
        let _ = callback.call1(&JsValue::NULL, &event);
    }
}

/// `manifest()`'s result.
pub fn manifest_result(resolved: &Resolved) -> Result<JsValue, JsValue> {
    let top = match &resolved.index {
        Some((index, entry)) => {
            let mut top = document(index)?;
            top["platform"] = entry.platform.as_ref().map(|p| p.to_string()).into();
            top["resolved"] = document(&resolved.manifest)?;
            top
        }
        None => document(&resolved.manifest)?,
    };
    to_js(&top)
}

fn document(m: &FetchedManifest) -> Result<Value, JsValue> {
    serde_json::to_value(m).map_err(|e| ClientError::Js(e.to_string()).into())
}

/// `config()`'s result; the digest is computed in the algorithm of the config's descriptor.
pub fn config_result(resolved: &Resolved, bytes: &[u8]) -> Result<JsValue, JsValue> {
    let json: Value =
        serde_json::from_slice(bytes).map_err(|e| ClientError::Js(format!("config is not JSON: {e}")))?;
    let digest = resolved.config_digest_of(bytes);
    to_js(&json!({ "digest": digest.to_string(), "size": bytes.len(), "json": json }))
}

fn error_info(code: ErrorCode, message: String) -> Value {
    json!({ "code": code.as_str(), "message": message })
}

/// `verify()`'s result.
pub fn verify_result(v: &Verification) -> Result<JsValue, JsValue> {
    let chain = &v.chain;
    let layers: Vec<Value> = v
        .layers
        .iter()
        .map(|l| {
            let summary = l.summary.as_ref();
            let error = match (&l.error, summary.and_then(|r| r.error.as_ref())) {
                (Some(e), _) => error_info(e.code(), e.to_string()),
                // A worker's `ReportedError` already has the `{code, message}` shape.
                (None, Some(e)) => json!(e),
                (None, None) => Value::Null,
            };
            let other_errors = summary.map_or_else(|| json!([]), |r| json!(r.other_errors));
            let state = v.layer_state(l.job.index);
            let mut layer = json!({
                "index": l.job.index,
                "mediaType": l.job.media_type.as_str(),
                "digest": l.job.digest.to_string(),
                "size": l.job.size,
                "diffId": l.job.diff_id.as_ref().map(ToString::to_string),
                "computedDigest": summary.and_then(|r| r.computed_digest.as_ref()).map(ToString::to_string),
                "computedDiffId": summary.and_then(|r| r.computed_diff_id.as_ref()).map(ToString::to_string),
                "bytes": summary.map_or(0, |r| r.compressed_size),
                "uncompressedBytes": summary.map_or(0, |r| r.uncompressed_size),
                "ok": state == LayerState::Ok,
                "status": state.as_str(),
                "error": error,
                "otherErrors": other_errors,
            });
            if let Some(files) = &l.files {
                layer["files"] = json!(files);
            }
            layer
        })
        .collect();
    let config = chain.config.as_ref().map(|c| {
        json!({ "digest": c.computed.to_string(), "ok": c.expected == Check::Passed && c.size_check != Check::Failed })
    });
    let result = json!({
        "ok": v.is_ok(),
        "verdict": chain.verdict,
        "reference": v.resolved.reference.canonical(),
        "pinnedReference": v.resolved.pinned_reference().canonical(),
        "source": v.resolved.source(),
        "imageIdMatch": v.image_id_match(),
        "indexDigest": v.resolved.index.as_ref().map(|(i, _)| i.digest.to_string()),
        "manifestDigest": v.resolved.manifest.digest.to_string(),
        "platform": v.platform(),
        "imageId": chain.image_id().map(ToString::to_string),
        "config": config,
        "layers": layers,
        "problems": v.problems(),
        "chain": chain,
    });
    to_js(&result)
}
