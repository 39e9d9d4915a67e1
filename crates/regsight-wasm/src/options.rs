//! A client's options as data: what the JS constructor's object and the page's settings both
//! become, and the one place they turn into [`Settings`] (mirrors and credential keys resolved
//! against the page, credentials checked, defaults filled in).

use std::collections::BTreeMap;

use regsight_core::auth::{BearerToken, CredentialStore, Credentials, Password};
use regsight_core::endpoint::{BaseUrl, Endpoints};
use regsight_core::platform::Platform;
use regsight_core::verify::VerifyOptions;
use serde::Deserialize;

use crate::client::Settings;
use crate::error::ClientError;
use crate::pool::WorkerSource;

/// A client's options (the JS `ClientOptions`, less a `workers` factory function).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct ClientOptions {
    /// Registry name -> base URL serving it; relative URLs resolve against the page.
    pub mirrors: BTreeMap<String, String>,
    /// Endpoint key (host[:port], registry name or base URL) -> credentials sent there.
    pub credentials: BTreeMap<String, CredentialsInput>,
    /// Platform chosen from indexes (default `linux/amd64`).
    pub platform: Option<String>,
    /// Layers verified at once (1 to 16).
    pub concurrency: Option<f64>,
    /// Caps on what a registry may make the client read.
    pub limits: Option<LimitsInput>,
    /// How long a registry may stay silent.
    pub timeouts: Option<TimeoutsInput>,
    /// Whether to use Web Workers, or the worker script's URL.
    pub workers: Option<WorkersOption>,
}

/// `limits`: caps on what a registry may make the client read (each optional).
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LimitsInput {
    /// Most tags a repository may list, over all its pages (default 100,000).
    pub max_tags: Option<f64>,
    /// Most uncompressed bytes of one layer (default 32 GiB).
    pub max_uncompressed_size: Option<f64>,
    /// Most uncompressed bytes per compressed byte of a layer (default 100).
    pub max_ratio: Option<f64>,
    /// Bytes a layer may always inflate to, whatever its ratio (default 1 MiB).
    pub ratio_floor: Option<f64>,
    /// Largest zstd window (decoder memory) accepted (default 128 MiB).
    pub max_zstd_window: Option<f64>,
}

/// `timeouts`: how long a registry may stay silent (each optional, in milliseconds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TimeoutsInput {
    /// Longest wait for response headers (default 30 s).
    pub headers_ms: Option<f64>,
    /// Longest wait for the next body bytes (default 60 s).
    pub idle_ms: Option<f64>,
}

/// How long a registry may stay silent before a request is a `TIMEOUT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Timeouts {
    /// Longest wait for response headers, in milliseconds.
    pub headers_ms: u32,
    /// Longest wait for the next body bytes, in milliseconds.
    pub idle_ms: u32,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self { headers_ms: 30_000, idle_ms: 60_000 }
    }
}

/// Most tags a repository may list by default.
pub const DEFAULT_MAX_TAGS: u64 = 100_000;

/// `value` as a whole number in `range` (`default` when absent), else an `INVALID_ARGUMENT`
/// naming `key`. Numbers come from JavaScript as floats: fractions and negatives are refused here.
fn in_range(
    key: &str,
    value: Option<f64>,
    range: std::ops::RangeInclusive<u64>,
    default: u64,
) -> Result<u64, ClientError> {
    let Some(v) = value else { return Ok(default) };
    let whole = v.fract() == 0.0 && v >= 0.0 && v <= u64::MAX as f64;
    match whole.then_some(v as u64).filter(|n| range.contains(n)) {
        Some(n) => Ok(n),
        None => Err(ClientError::Options(format!(
            "{key} must be a whole number from {} to {}, not {v}",
            range.start(),
            range.end()
        ))),
    }
}

/// [`in_range`] for a number that fits 32 bits (milliseconds).
fn in_range_u32(
    key: &str,
    value: Option<f64>,
    range: std::ops::RangeInclusive<u32>,
    default: u32,
) -> Result<u32, ClientError> {
    let wide = in_range(key, value, u64::from(*range.start())..=u64::from(*range.end()), u64::from(default))?;
    Ok(u32::try_from(wide).unwrap_or(default))
}

impl LimitsInput {
    /// The verifier's options and the tag cap, each checked against its range.
    fn resolve(self) -> Result<(VerifyOptions, u64), ClientError> {
        let d = VerifyOptions::default();
        let verify = VerifyOptions {
            max_uncompressed_size: in_range(
                "limits.maxUncompressedSize",
                self.max_uncompressed_size,
                1..=1 << 50,
                d.max_uncompressed_size,
            )?,
            max_ratio: in_range("limits.maxRatio", self.max_ratio, 1..=1_000_000, d.max_ratio)?,
            ratio_floor: in_range("limits.ratioFloor", self.ratio_floor, 0..=1 << 40, d.ratio_floor)?,
            // The window is decoder memory, allocated in wasm's 4 GiB: 512 MiB at most.
            max_zstd_window: in_range(
                "limits.maxZstdWindow",
                self.max_zstd_window,
                1 << 10..=1 << 29,
                d.max_zstd_window,
            )?,
            ..d
        };
        let max_tags = in_range("limits.maxTags", self.max_tags, 1..=10_000_000, DEFAULT_MAX_TAGS)?;
        Ok((verify, max_tags))
    }
}

impl TimeoutsInput {
    /// The timeouts, each checked against its range (1 ms to a day).
    fn resolve(self) -> Result<Timeouts, ClientError> {
        let d = Timeouts::default();
        Ok(Timeouts {
            headers_ms: in_range_u32("timeouts.headersMs", self.headers_ms, 1..=86_400_000, d.headers_ms)?,
            idle_ms: in_range_u32("timeouts.idleMs", self.idle_ms, 1..=86_400_000, d.idle_ms)?,
        })
    }
}

/// Credentials as given: a username and password, or a token.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum CredentialsInput {
    /// Exchanged for tokens, or sent as Basic.
    Password {
        /// The username.
        username: String,
        /// The password or access token.
        password: String,
    },
    /// A bearer token obtained elsewhere.
    Token {
        /// The token.
        token: String,
    },
}

/// Never prints a secret.
impl std::fmt::Debug for CredentialsInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Password { username, .. } => write!(f, "Password({username:?}, ***)"),
            Self::Token { .. } => f.write_str("Token(***)"),
        }
    }
}

/// `workers`: on/off, or the script's URL.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum WorkersOption {
    /// `true` for the default worker (where `Worker` exists), `false` for none.
    Enabled(bool),
    /// `new Worker(url, {type: "module"})`.
    Url(String),
}

impl ClientOptions {
    /// The settings these options describe; `page` is the URL relative ones resolve against, and
    /// `factory` a function creating workers (which wins over `workers`).
    pub fn into_settings(
        self,
        page: Option<&str>,
        factory: Option<js_sys::Function>,
    ) -> Result<Settings, ClientError> {
        let mut endpoints = Endpoints::new();
        for (registry, url) in &self.mirrors {
            endpoints.set_base_url(registry, base_url(url, page)?)?;
        }
        let mut credentials = CredentialStore::new();
        for (key, given) in self.credentials {
            // A relative key names a gateway path of this page's site, like a relative mirror.
            let host = if key.starts_with(['/', '.']) { base_url(&key, page)?.to_string() } else { key };
            let parsed = match given {
                CredentialsInput::Password { username, password } => Credentials::Password(
                    Password::new(&username, &password)
                        .map_err(|e| ClientError::Options(format!("credentials for {host}: {e}")))?,
                ),
                CredentialsInput::Token { token } => Credentials::Token(
                    BearerToken::new(&token)
                        .map_err(|e| ClientError::Options(format!("token for {host}: {e}")))?,
                ),
            };
            credentials.insert(&host, parsed)?;
        }
        let platform = self.platform.as_deref().unwrap_or("linux/amd64").parse::<Platform>()?;
        let workers = match (factory, self.workers) {
            (Some(factory), _) => Some(WorkerSource::Factory(factory)),
            (None, Some(WorkersOption::Enabled(false))) => None,
            (None, Some(WorkersOption::Url(url))) => WorkerSource::url_if_supported(url),
            (None, Some(WorkersOption::Enabled(true)) | None) => WorkerSource::default_source(),
        };
        let fallback = default_concurrency(workers.is_some()) as u64;
        let concurrency = in_range("concurrency", self.concurrency, 1..=16, fallback)? as usize;
        let (verify, max_tags) = self.limits.unwrap_or_default().resolve()?;
        let timeouts = self.timeouts.unwrap_or_default().resolve()?;
        Ok(Settings { endpoints, credentials, platform, concurrency, verify, max_tags, timeouts, workers })
    }
}

/// The URL of the page this client runs in (`location.href`), if it runs in one.
pub fn page_url() -> Option<String> {
    let location = js_sys::Reflect::get(&js_sys::global(), &"location".into()).ok()?;
    js_sys::Reflect::get(&location, &"href".into()).ok()?.as_string()
}

/// A configured base URL: absolute, or relative to the page (a site's same-origin gateway).
fn base_url(url: &str, page: Option<&str>) -> Result<BaseUrl, ClientError> {
    match page {
        Some(page) => Ok(BaseUrl::resolve(url, page)?),
        None if !url.contains("://") => Err(ClientError::Options(format!(
            "{url:?} is a relative URL, and there is no page to resolve it against: give an absolute one"
        ))),
        None => Ok(BaseUrl::parse(url)?),
    }
}

/// The cores this machine has (`navigator.hardwareConcurrency`), where the runtime says.
pub fn cores() -> Option<usize> {
    js_sys::Reflect::get(&js_sys::global(), &"navigator".into())
        .and_then(|n| js_sys::Reflect::get(&n, &"hardwareConcurrency".into()))
        .ok()
        .and_then(|c| c.as_f64())
        .map(|c| (c as usize).max(1))
}

/// Layers verified at once by default. With workers, one per two cores: the pool splits each layer
/// across two workers while it has a core for each (see ARCHITECTURE.md), so every core works and
/// the main thread, which only relays progress, needs none of its own. In-process (Node) the work
/// is one thread anyway and 3 downloads at a time keep it fed.
fn default_concurrency(workers: bool) -> usize {
    match (workers, cores()) {
        (true, Some(cores)) => cores.div_ceil(2).clamp(1, 8),
        _ => 3,
    }
}
