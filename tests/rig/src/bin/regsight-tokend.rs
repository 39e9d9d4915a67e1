//! The rig's token server: Docker token auth (`GET realm?service=&scope=&account=`) issuing ES256
//! JWTs that distribution 2.8 accepts.
//!
//! Policy: anyone may pull `public/*` and `library/*` (as Docker Hub's official images); a known
//! user (Basic credentials) may also pull `private/*` and list the catalog; a wrong password is a
//! 401. The user `stale` gets tokens that the registry accepts for only about 2 seconds
//! (distribution allows 60 s past `exp`), while `expires_in` promises 60: a client that cached one
//! must refresh after `invalid_token`.
//!
//! Every request is logged as one line, to stdout and (when the config names one) to the request
//! log tests read: `token <METHOD> [scope=<value>]... basic=<who> -> <status>`, one `scope=` per
//! `scope` query parameter in order, then per `scope` field of a form body (a POST's, the first 64 KiB
//! read; whitespace inside a value written `%20`), and `<who>` the
//! username of a Basic `Authorization` header (never the password), `none` without the header,
//! `?malformed` for undecodable Basic credentials, `?<scheme>` for another scheme.
//!
//! Usage: `regsight-tokend CONFIG.json` (written by `cargo xtask rig up`).

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;
use regsight_rig::jwt::TokenSigner;
use regsight_rig::web::{no_whitespace, parse_query, rfc3339, unix_now};
use serde::Deserialize;
use tiny_http::{Header, Method, Request, Response, Server};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Config {
    listen: String,
    issuer: String,
    service: String,
    key_file: String,
    expires_in: u64,
    /// Where to append the request log, if anywhere.
    #[serde(default)]
    request_log: Option<String>,
    users: Vec<regsight_rig::info::User>,
}

struct TokenServer {
    config: Config,
    signer: TokenSigner,
    issued: AtomicU64,
}

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: regsight-tokend CONFIG.json");
        std::process::exit(2);
    };
    if let Err(e) = serve(&path) {
        eprintln!("regsight-tokend: {e}");
        std::process::exit(1);
    }
}

fn serve(config_path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let config: Config = serde_json::from_str(&std::fs::read_to_string(config_path)?)?;
    let signer = TokenSigner::from_pkcs8_pem(&std::fs::read_to_string(&config.key_file)?)?;
    let server = Server::http(&config.listen).map_err(|e| format!("listen {}: {e}", config.listen))?;
    println!("regsight-tokend listening on {} (kid {})", config.listen, signer.kid());
    let mut log: Option<File> = match &config.request_log {
        Some(path) => Some(
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| format!("open {path}: {e}"))?,
        ),
        None => None,
    };
    let state = TokenServer { config, signer, issued: AtomicU64::new(0) };
    for mut request in server.incoming_requests() {
        let (status, body) = state.answer(&request);
        let line = log_line(&mut request, status);
        println!("{line}   [{}]", request.url());
        // Written before the answer, so a client holding the answer finds its line in the log.
        if let Some(file) = log.as_mut()
            && let Err(e) = file.write_all(format!("{line}\n").as_bytes())
        {
            eprintln!("request log: {e}");
        }
        let content_type = Header::from_bytes("Content-Type", "application/json").ok();
        let mut response = Response::from_string(body).with_status_code(status);
        if let Some(header) = content_type {
            response = response.with_header(header);
        }
        if let Err(e) = request.respond(response) {
            eprintln!("respond: {e}");
        }
    }
    Ok(())
}

impl TokenServer {
    fn answer(&self, request: &Request) -> (u16, String) {
        if *request.method() != Method::Get {
            return error(405, "UNSUPPORTED", "only GET is supported");
        }
        let query = parse_query(request.url().split_once('?').map(|(_, q)| q).unwrap_or(""));
        if query.get("service").and_then(|v| v.first()) != Some(&self.config.service) {
            return error(400, "INVALID_REQUEST", "unknown or missing service");
        }
        let account = match self.authenticate(request) {
            Ok(account) => account,
            Err(message) => return error(401, "UNAUTHORIZED", message),
        };
        let scopes = query.get("scope").cloned().unwrap_or_default();
        let access: Vec<serde_json::Value> = scopes
            .iter()
            .flat_map(|s| s.split(' '))
            .filter_map(|scope| grant(scope, account.as_deref()))
            .collect();
        let now = unix_now();
        let n = self.issued.fetch_add(1, Ordering::Relaxed);
        // The registry accepts a token until 60 s past its `exp`.
        let exp = if account.as_deref() == Some("stale") { now - 58 } else { now + self.config.expires_in };
        let claims = serde_json::json!({
            "iss": self.config.issuer,
            "sub": account.clone().unwrap_or_default(),
            "aud": self.config.service,
            "exp": exp,
            "nbf": now - 10,
            "iat": now,
            "jti": format!("{now}-{n}"),
            "access": access,
        });
        let token = self.signer.sign(&claims);
        let body = serde_json::json!({
            "token": token,
            "access_token": token,
            "expires_in": self.config.expires_in,
            "issued_at": rfc3339(now),
        });
        (200, body.to_string())
    }

    /// The authenticated account, `None` for anonymous, or why the credentials are refused.
    fn authenticate(&self, request: &Request) -> Result<Option<String>, &'static str> {
        let Some(header) = request.headers().iter().find(|h| h.field.equiv("Authorization")) else {
            return Ok(None);
        };
        let value = header.value.as_str();
        let encoded = value
            .strip_prefix("Basic ")
            .or_else(|| value.strip_prefix("basic "))
            .ok_or("only Basic credentials are accepted")?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| "malformed Basic credentials")?;
        let decoded = String::from_utf8(decoded).map_err(|_| "malformed Basic credentials")?;
        let (username, password) = decoded.split_once(':').ok_or("malformed Basic credentials")?;
        self.config
            .users
            .iter()
            .find(|u| u.username == username && u.password == password)
            .map(|u| Some(u.username.clone()))
            .ok_or("invalid username or password")
    }
}

/// The request log line of a request answered with `status` (see the module documentation).
fn log_line(request: &mut Request, status: u16) -> String {
    let query = parse_query(request.url().split_once('?').map(|(_, q)| q).unwrap_or(""));
    let mut form = String::new();
    // Only what the log shows is read: an unreadable body just has no scopes.
    let _ = request.as_reader().take(64 * 1024).read_to_string(&mut form);
    let form = parse_query(&form);
    let mut line = format!("token {}", request.method());
    for scope in query.get("scope").into_iter().flatten().chain(form.get("scope").into_iter().flatten()) {
        line.push_str(" scope=");
        line.push_str(&no_whitespace(scope));
    }
    line.push_str(" basic=");
    line.push_str(&basic_user(request));
    line.push_str(&format!(" -> {status}"));
    line
}

/// Who a request's `Authorization` header claims to be, for the log (never the password).
fn basic_user(request: &Request) -> String {
    let Some(header) = request.headers().iter().find(|h| h.field.equiv("Authorization")) else {
        return "none".into();
    };
    let value = header.value.as_str().trim();
    let (scheme, credentials) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("basic") {
        return format!("?{}", no_whitespace(&scheme.to_ascii_lowercase()));
    }
    base64::engine::general_purpose::STANDARD
        .decode(credentials.trim())
        .ok()
        .and_then(|decoded| String::from_utf8(decoded).ok())
        .and_then(|decoded| decoded.split_once(':').map(|(user, _)| no_whitespace(user)))
        .unwrap_or_else(|| "?malformed".into())
}

/// The access entry granted for one requested scope, if any.
fn grant(scope: &str, account: Option<&str>) -> Option<serde_json::Value> {
    let (kind, rest) = scope.split_once(':')?;
    let (name, actions) = rest.rsplit_once(':')?;
    let allowed: &[&str] = match (kind, account) {
        // Like Docker Hub, whose official images live under library/.
        ("repository", _) if name.starts_with("public/") || name.starts_with("library/") => &["pull"],
        ("repository", Some(_)) if name.starts_with("private/") => &["pull"],
        ("registry", Some(_)) if name == "catalog" => &["*"],
        _ => &[],
    };
    let granted: Vec<&str> = actions.split(',').filter(|a| allowed.contains(a)).collect();
    (!granted.is_empty()).then(|| serde_json::json!({ "type": kind, "name": name, "actions": granted }))
}

fn error(status: u16, code: &str, message: &str) -> (u16, String) {
    let body = serde_json::json!({ "errors": [{ "code": code, "message": message }] });
    (status, body.to_string())
}
