//! The client's errors, and the one place they become JavaScript `Error`s with a stable `code`.

use regsight_core::ErrorCode;
use wasm_bindgen::JsValue;

/// Everything that can stop a client operation.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The image reference is malformed.
    #[error(transparent)]
    Reference(#[from] regsight_core::reference::ReferenceError),
    /// A configured registry base URL (mirror) is malformed, or a URL could not be built.
    #[error(transparent)]
    Endpoint(#[from] regsight_core::endpoint::EndpointError),
    /// Authentication failed or cannot proceed.
    #[error(transparent)]
    Auth(#[from] regsight_core::auth::AuthError),
    /// A scope could not be built for the repository.
    #[error(transparent)]
    Scope(#[from] regsight_core::auth::ScopeError),
    /// A manifest is malformed or unsupported.
    #[error(transparent)]
    Manifest(#[from] regsight_core::model::ManifestError),
    /// A config, tag list or other JSON document is malformed.
    #[error(transparent)]
    Decode(#[from] regsight_core::model::DecodeError),
    /// No manifest in the index matches the wanted platform, or the platform is malformed.
    #[error(transparent)]
    Platform(#[from] regsight_core::platform::PlatformError),
    /// A credentials key in the options is neither a host nor a base URL.
    #[error(transparent)]
    CredentialKey(#[from] regsight_core::auth::CredentialKeyError),
    /// An expected image ID in the options is malformed.
    #[error(transparent)]
    ImageId(#[from] regsight_core::image_id::ImageIdError),
    /// A layer could not be verified at all (e.g. unsupported media type).
    #[error(transparent)]
    Verify(#[from] regsight_core::verify::VerifyError),
    /// The registry answered with an error status.
    #[error("{message} (from {url})")]
    Registry {
        /// Stable code from the registry's error body or the status.
        code: ErrorCode,
        /// HTTP status.
        status: u16,
        /// One-line summary of the answer.
        message: String,
        /// The URL that was requested.
        url: String,
    },
    /// The browser reported a bare network failure: most often CORS.
    #[error(
        "could not reach {url}: {detail}. If the registry is up, this is most likely CORS: it must \
         send Access-Control-Allow-Origin, allow the Authorization and Accept request headers, answer \
         preflight (OPTIONS) requests, and expose WWW-Authenticate and Docker-Content-Digest. \
         Registries that do not (Docker Hub, GitLab, ACR...) are reached through a regsight site's \
         same-origin gateway (`cargo xtask site`, see deploy/README.md) or a CORS-enabled mirror"
    )]
    Network {
        /// The URL that failed.
        url: String,
        /// What the browser said.
        detail: String,
    },
    /// The connection broke while the body was being read (the headers had arrived, so this is
    /// not CORS): a registry that closed early, or a network that failed mid-way.
    #[error("the connection to {url} broke after {received} bytes of the body: {detail}")]
    BodyBroken {
        /// The URL.
        url: String,
        /// Body bytes received before it broke.
        received: u64,
        /// What the runtime said.
        detail: String,
    },
    /// The caller aborted the operation.
    #[error("aborted")]
    Aborted,
    /// A document's bytes are not what they were pinned or announced to be.
    #[error("{what}: expected {expected}, computed {computed}")]
    DigestMismatch {
        /// Which document.
        what: String,
        /// The digest it should have.
        expected: String,
        /// The digest its bytes have.
        computed: String,
    },
    /// A response body or a list is larger than we accept.
    #[error("{what} is over the limit: more than {limit} {unit}")]
    TooLarge {
        /// Which body or list.
        what: String,
        /// The limit.
        limit: u64,
        /// What the limit counts: `bytes`, `tags`, `pages`.
        unit: &'static str,
    },
    /// A registry (or the network) sent no response headers, or no body bytes, for too long.
    #[error("{url} sent no {waiting_for} for {ms} ms (the client's `timeouts`)")]
    Timeout {
        /// The URL.
        url: String,
        /// `response headers` or `body bytes`.
        waiting_for: &'static str,
        /// How long it waited.
        ms: u32,
    },
    /// The client was given options it cannot use.
    #[error("invalid options: {0}")]
    Options(String),
    /// Something we understand but do not support.
    #[error("{0}")]
    Unsupported(String),
    /// Something a registry asked for that regsight refuses to do, for safety (credentials to
    /// another origin, a list continuing elsewhere or looping).
    #[error("refused for safety: {0}")]
    Refused(String),
    /// A verification worker reported an error.
    #[error("{message}")]
    Worker {
        /// The code the worker reported.
        code: ErrorCode,
        /// Its message.
        message: String,
    },
    /// A layer-verifying Web Worker could not start, stopped answering, or died.
    #[error("the verification worker {0}")]
    WorkerFailed(String),
    /// A JavaScript value did not have the shape we expected.
    #[error("unexpected value from JavaScript: {0}")]
    Js(String),
}

impl ClientError {
    /// The stable code JS callers switch on.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Reference(e) => e.code(),
            Self::Endpoint(e) => e.code(),
            Self::Auth(e) => e.code(),
            Self::Scope(e) => e.code(),
            Self::Manifest(e) => e.code(),
            Self::Decode(e) => e.code(),
            Self::Platform(e) => e.code(),
            Self::Verify(e) => e.code(),
            Self::CredentialKey(e) => e.code(),
            Self::ImageId(e) => e.code(),
            Self::Registry { code, .. } | Self::Worker { code, .. } => *code,
            Self::Network { .. } | Self::BodyBroken { .. } => ErrorCode::Network,
            Self::Aborted => ErrorCode::Aborted,
            Self::DigestMismatch { .. } => ErrorCode::DigestMismatch,
            Self::TooLarge { .. } => ErrorCode::LimitExceeded,
            Self::Timeout { .. } => ErrorCode::Timeout,
            Self::Options(_) => ErrorCode::InvalidArgument,
            Self::Unsupported(_) | Self::Refused(_) => ErrorCode::Unsupported,
            Self::WorkerFailed(_) => ErrorCode::Worker,
            Self::Js(_) => ErrorCode::InvalidResponse,
        }
    }

    /// `{code, message}` as plain data, for crossing from a Web Worker (an `Error`'s own
    /// properties do not survive `postMessage`).
    pub fn to_data(&self) -> JsValue {
        let data = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&data, &"code".into(), &self.code().as_str().into());
        let _ = js_sys::Reflect::set(&data, &"message".into(), &self.to_string().into());
        data.into()
    }

    /// Classifies a rejected `fetch`: an abort, or a network failure (most often CORS).
    pub fn from_fetch_failure(url: &str, error: &JsValue) -> Self {
        match failure_detail(error) {
            None => Self::Aborted,
            Some(detail) => Self::Network { url: url.to_owned(), detail },
        }
    }

    /// Classifies a rejected read of a body, `received` bytes in: an abort, or a broken connection.
    pub fn from_body_failure(url: &str, received: u64, error: &JsValue) -> Self {
        match failure_detail(error) {
            None => Self::Aborted,
            Some(detail) => Self::BodyBroken { url: url.to_owned(), received, detail },
        }
    }
}

/// What a rejected fetch or read says (its `message` and, in Node, its `cause`), or `None` for
/// an abort.
fn failure_detail(error: &JsValue) -> Option<String> {
    let text = |value: &JsValue, key: &str| {
        js_sys::Reflect::get(value, &key.into()).ok().and_then(|v| v.as_string())
    };
    if text(error, "name").as_deref() == Some("AbortError") {
        return None;
    }
    let mut detail = text(error, "message").unwrap_or_else(|| format!("{error:?}"));
    // Node's fetch says only "fetch failed" or "terminated"; the reason is in `cause`.
    if let Ok(cause) = js_sys::Reflect::get(error, &"cause".into())
        && let Some(reason) = text(&cause, "message").or_else(|| text(&cause, "code"))
    {
        detail = format!("{detail} ({reason})");
    }
    Some(cut(&detail))
}

/// A JS `Error` with `name = "RegsightError"`, the message, and `code`.
impl From<ClientError> for JsValue {
    fn from(error: ClientError) -> Self {
        js_error(error.code(), &error.to_string())
    }
}

/// Builds a JS `Error` carrying a stable `code`.
pub fn js_error(code: ErrorCode, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name("RegsightError");
    // Setting a property on a fresh Error cannot fail.
    let _ = js_sys::Reflect::set(&error, &"code".into(), &code.as_str().into());
    error.into()
}

/// Registry-controlled text (a URL, a header) cut to 200 characters before it goes into a message.
pub fn cut(text: &str) -> String {
    regsight_core::quote::truncate(text, 200)
}
