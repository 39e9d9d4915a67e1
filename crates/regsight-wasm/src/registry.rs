//! One registry as the client sees it: its base URL and the auth session that every request to it
//! goes through. This is the thin adapter that drives the core's [`Session`] over `fetch`.

use std::cell::RefCell;
use std::rc::Rc;

use regsight_core::ErrorCode;
use regsight_core::auth::{Action, Credentials, ScopeSet, Session, TokenForm};
use regsight_core::endpoint::BaseUrl;
use regsight_core::model::summarize_error;
use regsight_core::retry::{self, Retry};
use regsight_core::transcript::{AuthSent, Purpose, RecordedRequest, Transcript};
use web_sys::AbortSignal;

use crate::error::{ClientError, cut};
use crate::fetch::{self, HttpRequest, HttpResponse, now};
use crate::options::Timeouts;
use crate::timer::Delay;

/// Largest token response or error body we read.
const SMALL_BODY_LIMIT: usize = 256 * 1024;

/// A registry endpoint with its authentication state.
pub struct Registry {
    base: BaseUrl,
    session: RefCell<Session>,
    transcript: Rc<RefCell<Transcript>>,
    timeouts: Timeouts,
}

/// A successful response and the `Authorization` value that obtained it (for workers).
pub struct Authorized {
    /// The response (2xx, or an error status that authentication cannot fix).
    pub response: HttpResponse,
    /// The header sent with the request that got this response.
    pub authorization: Option<String>,
}

impl Registry {
    /// The registry at `base` with these credentials; its requests are recorded in `transcript`
    /// and may wait as long as `timeouts` allow.
    pub fn new(
        base: BaseUrl,
        credentials: Credentials,
        transcript: Rc<RefCell<Transcript>>,
        timeouts: Timeouts,
    ) -> Result<Self, ClientError> {
        let session = Session::new(&base.to_string(), credentials)?;
        Ok(Self { base, session: RefCell::new(session), transcript, timeouts })
    }

    /// Records a request made for this registry (also one a worker makes on its behalf); returns
    /// its position, for [`Registry::answered`].
    pub fn record(&self, request: &HttpRequest<'_>, purpose: Purpose) -> Option<usize> {
        self.transcript.borrow_mut().record(RecordedRequest {
            method: request.method.to_owned(),
            url: request.url.to_owned(),
            accept: request.accept.map(str::to_owned),
            auth: AuthSent::of(request.authorization),
            form: request.form.map(TokenForm::shown).unwrap_or_default(),
            purpose,
            status: None,
        })
    }

    /// Notes the status a recorded request got.
    pub fn answered(&self, position: Option<usize>, status: u16) {
        self.transcript.borrow_mut().answered(position, status);
    }

    /// Sends a request and records it.
    async fn fetch(
        &self,
        request: &HttpRequest<'_>,
        purpose: Purpose,
        signal: Option<&AbortSignal>,
    ) -> Result<HttpResponse, ClientError> {
        let position = self.record(request, purpose);
        let response = fetch::send(request, signal, self.timeouts).await?;
        self.answered(position, response.status());
        Ok(response)
    }

    /// The base URL requests are built from.
    pub fn base(&self) -> &BaseUrl {
        &self.base
    }

    /// Sends `method url` with the authentication it needs, fetching tokens as the registry asks,
    /// and tries again where [`retry::decide`] says so (a short `429`, a `502`-`504` to a read).
    ///
    /// Returns the final response whatever its status; see [`Registry::expect_ok`].
    pub async fn send(
        &self,
        method: &str,
        url: &str,
        scopes: ScopeSet,
        accept: Option<&str>,
        purpose: Purpose,
        signal: Option<&AbortSignal>,
    ) -> Result<Authorized, ClientError> {
        let send = || self.send_once(method, url, scopes.clone(), accept, purpose, signal);
        retrying(method, signal, send, |answer| &answer.response).await
    }

    /// Sends `method url` once, with the authentication it needs.
    async fn send_once(
        &self,
        method: &str,
        url: &str,
        scopes: ScopeSet,
        accept: Option<&str>,
        purpose: Purpose,
        signal: Option<&AbortSignal>,
    ) -> Result<Authorized, ClientError> {
        let (mut attempt, mut action) = self.session.borrow_mut().start(url, scopes, now())?;
        loop {
            match action {
                Action::Send { authorization } => {
                    let value = match &authorization {
                        Some(header) if !header.may_send_to(attempt.url()) => {
                            return Err(ClientError::Refused(format!(
                                "the registry's credentials would go to {}",
                                cut(attempt.url())
                            )));
                        }
                        Some(header) => Some(header.value().to_owned()),
                        None => None,
                    };
                    let request = HttpRequest {
                        method,
                        url: attempt.url(),
                        accept,
                        authorization: value.as_deref(),
                        form: None,
                    };
                    let response = self.fetch(&request, purpose, signal).await?;
                    let challenge = response.header("WWW-Authenticate");
                    action = self.session.borrow_mut().handle_response(
                        &mut attempt,
                        response.status(),
                        challenge.as_deref(),
                        now(),
                    )?;
                    if action == Action::Done {
                        return Ok(Authorized { response, authorization: value });
                    }
                }
                Action::FetchToken(token_request) => {
                    let authorization = token_request.authorization().map(|h| h.value().to_owned());
                    let request = HttpRequest {
                        method: token_request.method(),
                        url: token_request.url(),
                        accept: Some("application/json"),
                        authorization: authorization.as_deref(),
                        form: token_request.form(),
                    };
                    let response = self.fetch(&request, Purpose::Token, signal).await?;
                    let status = response.status();
                    let body = response.bytes("token response", SMALL_BODY_LIMIT, signal).await?;
                    action = self.session.borrow_mut().handle_token_response(
                        &mut attempt,
                        status,
                        &body,
                        now(),
                    )?;
                }
                Action::Done => {
                    return Err(ClientError::Js("auth session ended before any request was sent".into()));
                }
            }
        }
    }

    /// Turns a non-2xx response into the registry's error; `missing` is the code for a bare 404.
    pub async fn expect_ok(
        response: HttpResponse,
        missing: ErrorCode,
        signal: Option<&AbortSignal>,
    ) -> Result<HttpResponse, ClientError> {
        let status = response.status();
        if (200..300).contains(&status) {
            return Ok(response);
        }
        let url = response.url().to_owned();
        let retry_after = response.header("Retry-After");
        let body = response.bytes("error body", SMALL_BODY_LIMIT, signal).await.unwrap_or_default();
        let summary = summarize_error(status, &body);
        let code = match summary.code {
            ErrorCode::Registry if status == 404 => missing,
            code => code,
        };
        let mut message = summary.message;
        if let Some(value) = retry_after {
            // Registry text, so bounded: seconds as a number, anything else cut short.
            match retry::delay_seconds(&value) {
                Some(seconds) => message.push_str(&format!("; the registry asks to retry after {seconds} s")),
                None => {
                    let shown: String = value.chars().take(40).collect();
                    message.push_str(&format!("; the registry asks to retry after {shown:?}"));
                }
            }
        }
        Err(ClientError::Registry { code, status, message, url })
    }
}

/// Sends with `send` until [`retry::decide`] says the answer (`response_of` it) is final: a short
/// `429` waited out, a `502`-`504` to a read backed off, each a bounded number of times.
pub async fn retrying<T, Fut>(
    method: &str,
    signal: Option<&AbortSignal>,
    mut send: impl FnMut() -> Fut,
    response_of: impl Fn(&T) -> &HttpResponse,
) -> Result<T, ClientError>
where
    Fut: std::future::Future<Output = Result<T, ClientError>>,
{
    let mut retries = 0;
    loop {
        let answer = send().await?;
        let response = response_of(&answer);
        let retry_after = response.header("Retry-After");
        match retry::decide(method, response.status(), retry_after.as_deref(), retries) {
            Retry::No => return Ok(answer),
            Retry::After(ms) => {
                drop(answer);
                wait(ms, signal).await?;
                retries += 1;
            }
        }
    }
}

/// Waits `ms` milliseconds, or less when `signal` aborts (then `Aborted`).
async fn wait(ms: u64, signal: Option<&AbortSignal>) -> Result<(), ClientError> {
    const STEP_MS: u64 = 250;
    let mut left = ms;
    while left > 0 {
        if signal.is_some_and(AbortSignal::aborted) {
            return Err(ClientError::Aborted);
        }
        let step = left.min(STEP_MS);
        Delay::new(u32::try_from(step).unwrap_or(u32::MAX)).await;
        left -= step;
    }
    if signal.is_some_and(AbortSignal::aborted) { Err(ClientError::Aborted) } else { Ok(()) }
}
