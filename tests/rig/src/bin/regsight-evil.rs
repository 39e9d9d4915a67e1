//! The rig's evil registry: an HTTP/1.1 server on raw sockets (one thread per connection, every
//! answer `Connection: close`) that misbehaves in one way per repository, so clients can be shown
//! to turn every bad answer into a specific error, in bounded time and memory, and to recover.
//!
//! Repositories are `evil/<name>` (each `<name>` and what it does is listed in
//! `regsight_rig::evil::REPOSITORIES`, which `rig.json` repeats); `evil/<name>/<anything>` behaves
//! as `evil/<name>` with counters of its own. Every repository that serves an image answers the tag
//! `latest` and its manifest's digest, `tags/list` with `["latest"]`, and any blob of the server by
//! digest. The good image is built here, deterministically: a hand-made tar (`evil/`,
//! `evil/hello.txt`) gzipped by flate2, an OCI config and manifest; every digest the server sends is
//! computed from the bytes it serves (ground truth is computed apart, with curl and `sha256sum`, at
//! rig up).
//!
//! CORS: every answer carries `Access-Control-Allow-Origin` (the request's `Origin`, else `*`) and
//! `Access-Control-Expose-Headers: Docker-Content-Digest, WWW-Authenticate, Link, Content-Length,
//! Retry-After`; any `OPTIONS` is a 204 preflight allowing GET, HEAD, POST and the headers
//! Authorization, Accept and Content-Type. Only `evil/never-headers` sends nothing at all.
//! `GET /v2/` answers 200; `GET /v2/_catalog` lists every `evil/<name>` in lexical order over pages
//! of `n` (default 10, at most 100) after `last`, each page but the last with a relative Link.
//!
//! Retry counters: `status-429-once`, `status-502-once` and `status-503-twice` count requests per
//! method and path (query ignored): the 1st, 3rd, 5th... (`-once`) or the 1st and 2nd of every 3
//! (`-twice`) fail, the others serve the good image. All counters start over when 10,000 paths
//! have been counted.
//!
//! Token endpoints (all on the main origin; tokens last 60 s; service `regsight-evil`):
//! - `/token`, the realm of `evil/redirect-cross` and `evil/oauth-both`: `GET` as in Docker token
//!   auth (`service` required, any number of `scope`, optional Basic credentials of a rig user,
//!   anonymous otherwise, a wrong password is a 401; `offline_token=true` with a user adds a
//!   `refresh_token`), answering `{token, access_token, expires_in, issued_at[, refresh_token]}`;
//!   and `POST` as below.
//! - `/oauth/token`, the realm of `evil/oauth`: `POST` only (`GET` is 404), the distribution OAuth2
//!   flow: `Content-Type: application/x-www-form-urlencoded` (else 400 `invalid_request`) with
//!   `grant_type=password` (`username`, `password`) or `grant_type=refresh_token`
//!   (`refresh_token`), both with `service=regsight-evil` and a non-empty `client_id` (else 400
//!   `invalid_request`), an optional `scope` (space-separated scopes; may repeat); any other
//!   grant is 400 `unsupported_grant_type`, wrong credentials or an unknown refresh token 400
//!   `invalid_grant` (`{"error", "error_description"}`). It answers `{access_token, token_type:
//!   "Bearer", scope, expires_in, issued_at}` plus `refresh_token`: a new one for a password grant
//!   with `access_type=offline`, the same one for a refresh grant (refresh tokens never expire).
//! - `/redirect/token`, the realm of `evil/oauth-redirect`: any method, 307 to the other origin's
//!   `/token` with the query kept (the other origin answers it 404, a POST 405), so its log shows
//!   whether a token POST's form or a Basic header was carried across origins.
//! - `/forever/token`, `/evil-token`, `/dup-a/token`, `/dup-b/token`: any method, 200 with a new
//!   token that no repository accepts.
//! - `/token-not-json`: 200 with an HTML page; `/token-no-token`: 200 with JSON without a token.
//!
//! Scopes granted: `repository:evil/...:pull` for each requested repository scope under `evil/`
//! whose actions include `pull`; nothing else. `evil/oauth` and `evil/oauth-both` want a token of a
//! user with their pull scope, `evil/redirect-cross` any token with its pull scope; a bad or
//! expired token gets `error="invalid_token"`, a short one `error="insufficient_scope"`.
//!
//! The other origin (`otherListen`) serves `GET`/`HEAD /cdn/<digest>`: any blob, no auth, CORS.
//!
//! Redirected tags: `GET /v2/evil/tags-redirect[/...]/tags/list` answers `307` to
//! `/moved/v2/<repo>/tags/list` on the main origin, whose answer lists `r1`, `r2` with the
//! *relative* `Link: <list?page=2>; rel="next"`. Resolved against that final URL it names
//! `/moved/v2/<repo>/tags/list?page=2` (`r3`, the last page); resolved against the URL first
//! requested it names `/v2/<repo>/tags/list?page=2`, which is a 400, so a client that uses the
//! wrong base fails. Other paths under `/moved/v2/` are 404.
//!
//! Log: one line per request, written before the answer, to the `log` file of the config:
//! `<main|other> <METHOD> <target> origin=<Origin|-> auth=<who> [form=<fields>] -> <outcome>`,
//! `<who>` being `-`, `bearer`, `basic:<user>` (never a password) or `?<scheme>`; `form=` the POST
//! body's fields joined by `&`, `password` and `refresh_token` values written `*`; `<outcome>` the
//! status then `drip` or `lie` for those answers, or `hang`. Bytes outside printable ASCII and
//! spaces are written `%XX`. A malformed request is answered 400 (431 for a head over 16 KiB, 413
//! for a body over 64 KiB) and logged as `<main|other> - - origin=- auth=- -> <status> (<why>)`;
//! more than 512 connections at once: `<main|other> - - origin=- auth=- -> 503 busy`.
//!
//! Bounds: 512 connections at once (more get a 503), request heads of 16 KiB, bodies of 64 KiB,
//! 60 s to write, 10 minutes of hanging or dripping; large answers are streamed from small
//! repeated pieces (the 64 MiB manifest from 64 KiB of spaces, the 10 GiB bomb from ~1 KB).
//!
//! Usage: `regsight-evil CONFIG.json` (written by `cargo xtask rig up`).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Read as _, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use flate2::{Compress, Compression, FlushCompress, GzBuilder};
use regsight_rig::evil::{BOMB_INFLATED_SIZE, HOSTILE_IMG, HOSTILE_SCRIPT, REPOSITORIES, SERVICE, TAG};
use regsight_rig::info::User;
use regsight_rig::web::{form_pairs, rfc3339, unix_now};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const MIB: usize = 1 << 20;
/// Largest request head read.
const MAX_HEAD: usize = 16 * 1024;
/// Largest request body read.
const MAX_BODY: usize = 64 * 1024;
/// Most header lines in a request.
const MAX_HEADERS: usize = 100;
/// Most connections served at once.
const MAX_CONNECTIONS: usize = 512;
/// Most paths counted before the counters start over.
const MAX_COUNTED_PATHS: usize = 10_000;
/// How long `never-headers` holds a connection, and `drip` drips, at most.
const HANG_FOR: Duration = Duration::from_secs(600);
/// The pause between two bytes of `drip`.
const DRIP_EVERY: Duration = Duration::from_secs(5);
/// `expires_in` of every token.
const TOKEN_EXPIRES_IN: u64 = 60;
/// The key of the tokens' MACs (a test rig: not a secret).
const MAC_KEY: &[u8] = b"regsight-evil tokens, not a secret";
/// Every file of the good layer carries this modification time (2024-01-01T00:00:00Z).
const MTIME: u64 = 1_704_067_200;
/// A gzip member header: deflate, no flags, no mtime, maximum compression, unknown OS.
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 255];
/// Tags of `tags-many`.
const MANY_TAGS: u64 = 150_000;
/// Tags of `tags-paged`.
const PAGED_TAGS: u64 = 3_500;
/// How long `slow-layer` holds its second layer's body back.
const SLOW_FOR: Duration = Duration::from_secs(4);
/// What a proxy answers when its upstream fails...
const BAD_GATEWAY: &str = "<html><head><title>502 Bad Gateway</title></head>\
    <body><center><h1>502 Bad Gateway</h1></center></body></html>\n";
/// ...or does not answer in time.
const GATEWAY_TIMEOUT: &str = "<html><head><title>504 Gateway Time-out</title></head>\
    <body><center><h1>504 Gateway Time-out</h1></center></body></html>\n";
/// The headers a page may read from every answer.
const EXPOSE_HEADERS: &str = "Docker-Content-Digest, WWW-Authenticate, Link, Content-Length, Retry-After";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Config {
    listen: String,
    other_listen: String,
    url: String,
    other_url: String,
    log: String,
    users: Vec<User>,
}

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: regsight-evil CONFIG.json");
        std::process::exit(2);
    };
    if let Err(e) = run(&path) {
        eprintln!("regsight-evil: {e}");
        std::process::exit(1);
    }
}

fn run(config_path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let config: Config = serde_json::from_str(&std::fs::read_to_string(config_path)?)?;
    if let Some((name, _)) = REPOSITORIES.iter().find(|(name, _)| Behaviour::from_name(name).is_none()) {
        return Err(format!("repository evil/{name} has no behaviour").into());
    }
    let main = TcpListener::bind(&config.listen).map_err(|e| format!("listen {}: {e}", config.listen))?;
    let other = TcpListener::bind(&config.other_listen)
        .map_err(|e| format!("listen {}: {e}", config.other_listen))?;
    let evil = Arc::new(Evil::new(config)?);
    println!(
        "regsight-evil listening on {} and {}; good manifest {}, gzip bomb {} ({} bytes)",
        evil.url,
        evil.other_url,
        evil.good.digest,
        evil.bomb_layer,
        evil.blobs.get(&evil.bomb_layer).map_or(0, |b| b.body.len())
    );
    let for_other = Arc::clone(&evil);
    std::thread::Builder::new()
        .name("other".into())
        .spawn(move || accept(&for_other, &other, Origin::Other))?;
    accept(&evil, &main, Origin::Main);
    Ok(())
}

/// Which of the two listeners a connection came to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// The registry.
    Main,
    /// The other origin: `/cdn/<digest>`.
    Other,
}

impl Origin {
    fn name(self) -> &'static str {
        match self {
            Self::Main => "main",
            Self::Other => "other",
        }
    }
}

fn accept(evil: &Arc<Evil>, listener: &TcpListener, origin: Origin) {
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        if evil.connections.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            evil.connections.fetch_sub(1, Ordering::SeqCst);
            evil.log(&format!("{} - - origin=- auth=- -> 503 busy", origin.name()));
            let _ = stream.write_all(
                b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            continue;
        }
        let guard = ConnectionGuard(Arc::clone(evil));
        let spawned = std::thread::Builder::new().spawn(move || {
            let guard = guard;
            guard.0.handle(stream, origin);
        });
        if let Err(e) = spawned {
            eprintln!("cannot start a connection thread: {e}");
        }
    }
}

/// Counts a connection until its thread ends (even by a panic).
struct ConnectionGuard(Arc<Evil>);

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A response body: pieces of bytes, each sent `times` times, so large bodies stay small here.
#[derive(Clone, Default)]
struct Body(Vec<Piece>);

#[derive(Clone)]
struct Piece {
    bytes: Arc<[u8]>,
    times: u64,
}

impl Body {
    fn bytes(bytes: impl Into<Arc<[u8]>>) -> Self {
        Self(vec![Piece { bytes: bytes.into(), times: 1 }])
    }

    fn then(mut self, bytes: impl Into<Arc<[u8]>>, times: u64) -> Self {
        self.0.push(Piece { bytes: bytes.into(), times });
        self
    }

    fn len(&self) -> u64 {
        self.0.iter().map(|p| p.bytes.len() as u64 * p.times).sum()
    }

    /// The whole body, for the small ones.
    fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for piece in &self.0 {
            for _ in 0..piece.times {
                out.extend_from_slice(&piece.bytes);
            }
        }
        out
    }

    fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        for piece in &self.0 {
            for _ in 0..piece.times {
                out.write_all(&piece.bytes)?;
            }
        }
        Ok(())
    }

    fn digest(&self) -> String {
        let mut hasher = Sha256::new();
        for piece in &self.0 {
            for _ in 0..piece.times {
                hasher.update(&piece.bytes);
            }
        }
        format!("sha256:{}", hex::encode(hasher.finalize()))
    }
}

/// A manifest or blob as served: its media type, its bytes and their digest.
#[derive(Clone)]
struct Doc {
    media_type: &'static str,
    body: Body,
    digest: String,
}

impl Doc {
    fn new(media_type: &'static str, body: Body) -> Self {
        let digest = body.digest();
        Self { media_type, body, digest }
    }

    fn descriptor(&self) -> Value {
        json!({ "mediaType": self.media_type, "digest": self.digest, "size": self.body.len() })
    }
}

/// What one repository does (see `regsight_rig::evil::REPOSITORIES`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Behaviour {
    Good,
    WrongContentType,
    HugeManifest,
    NotJson,
    DeepJson,
    ShortBlob,
    LongBlob,
    LyingLength,
    GzipBomb,
    BadDeflate,
    TagsEndless,
    TagsLoop,
    TagsMany,
    TagsPaged,
    SlowLayer,
    RedirectLoop,
    RedirectCross,
    NeverHeaders,
    Drip,
    AuthForever,
    RealmJavascript,
    RealmFile,
    RealmData,
    RealmRelative,
    RealmFtp,
    ChallengeUnterminated,
    ChallengeDuplicateRealm,
    ChallengeNoRealm,
    TokenNotJson,
    TokenNoToken,
    OAuth,
    OAuthBoth,
    Status429Once,
    Status429Hour,
    Status500,
    Status502Once,
    Status503Twice,
    Status504,
    Hostile,
    HostileDigest,
    TagsRedirect,
    OAuthRedirect,
}

impl Behaviour {
    fn from_name(name: &str) -> Option<Self> {
        use Behaviour::*;
        Some(match name {
            "good" => Good,
            "wrong-content-type" => WrongContentType,
            "huge-manifest" => HugeManifest,
            "not-json" => NotJson,
            "deep-json" => DeepJson,
            "short-blob" => ShortBlob,
            "long-blob" => LongBlob,
            "lying-length" => LyingLength,
            "gzip-bomb" => GzipBomb,
            "bad-deflate" => BadDeflate,
            "tags-endless" => TagsEndless,
            "tags-loop" => TagsLoop,
            "tags-many" => TagsMany,
            "tags-paged" => TagsPaged,
            "slow-layer" => SlowLayer,
            "redirect-loop" => RedirectLoop,
            "redirect-cross" => RedirectCross,
            "never-headers" => NeverHeaders,
            "drip" => Drip,
            "auth-forever" => AuthForever,
            "realm-javascript" => RealmJavascript,
            "realm-file" => RealmFile,
            "realm-data" => RealmData,
            "realm-relative" => RealmRelative,
            "realm-ftp" => RealmFtp,
            "challenge-unterminated" => ChallengeUnterminated,
            "challenge-duplicate-realm" => ChallengeDuplicateRealm,
            "challenge-no-realm" => ChallengeNoRealm,
            "token-not-json" => TokenNotJson,
            "token-no-token" => TokenNoToken,
            "oauth" => OAuth,
            "oauth-both" => OAuthBoth,
            "status-429-once" => Status429Once,
            "status-429-hour" => Status429Hour,
            "status-500" => Status500,
            "status-502-once" => Status502Once,
            "status-503-twice" => Status503Twice,
            "status-504" => Status504,
            "hostile" => Hostile,
            "hostile-digest" => HostileDigest,
            "tags-redirect" => TagsRedirect,
            "oauth-redirect" => OAuthRedirect,
            _ => return None,
        })
    }
}

/// What a registry path asks for.
#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Manifest(String),
    Blob(String),
    Tags,
}

/// A request as read from the socket.
struct Request {
    method: String,
    target: String,
    path: String,
    query: String,
    /// Names lowercased, values trimmed.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    fn query_value(&self, key: &str) -> Option<String> {
        form_pairs(&self.query).into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The value of `Access-Control-Allow-Origin`: the request's `Origin`, else `*`.
    fn allow_origin(&self) -> &str {
        match self.header("origin") {
            Some(origin) if !origin.is_empty() && origin.bytes().all(|b| (0x21..=0x7e).contains(&b)) => {
                origin
            }
            _ => "*",
        }
    }
}

/// Why a request could not be read.
enum ReadError {
    /// The client closed or went silent before a request: nothing to answer.
    Gone,
    /// A malformed request: answer this status.
    Bad(u16, &'static str),
}

/// An answer.
struct Response {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Body,
    /// `Content-Length` to announce instead of the body's: a lie, then the connection closes.
    announced: Option<u64>,
    /// Send the body one byte every [`DRIP_EVERY`].
    drip: bool,
    /// Send the headers, then wait this long before the body.
    pause: Option<Duration>,
}

impl Response {
    fn new(status: u16) -> Self {
        Self { status, headers: Vec::new(), body: Body::default(), announced: None, drip: false, pause: None }
    }

    fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.set(name, value);
        self
    }

    /// Sets a header, replacing any of the same name.
    fn set(&mut self, name: &'static str, value: impl Into<String>) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name, value.into()));
    }

    fn body(mut self, content_type: &str, body: Body) -> Self {
        self.set("Content-Type", content_type);
        self.body = body;
        self
    }

    fn json(status: u16, value: &Value) -> Self {
        Self::new(status).body("application/json", Body::bytes(value.to_string().into_bytes()))
    }

    fn html(status: u16, html: &str) -> Self {
        Self::new(status).body("text/html", Body::bytes(html.as_bytes().to_vec()))
    }

    /// A registry error (`{"errors": [{code, message, detail}]}`).
    fn error(status: u16, code: &str, message: &str) -> Self {
        Self::json(status, &json!({ "errors": [{ "code": code, "message": message, "detail": null }] }))
    }

    /// An OAuth2 error (RFC 6749 section 5.2).
    fn oauth_error(error: &str, description: &str) -> Self {
        Self::json(400, &json!({ "error": error, "error_description": description }))
    }

    fn doc(doc: &Doc) -> Self {
        Self::new(200)
            .body(doc.media_type, doc.body.clone())
            .with("Docker-Content-Digest", doc.digest.clone())
    }
}

/// What to do with a request.
enum Outcome {
    Respond(Response),
    /// Send nothing, until the client closes or [`HANG_FOR`] passes.
    Hang,
}

/// A token's claims, once its MAC holds.
struct Claims {
    sub: String,
    exp: u64,
    scope: String,
}

/// The server's state: the documents it serves (built once), counters, the log.
struct Evil {
    url: String,
    other_url: String,
    users: Vec<User>,
    log: Mutex<File>,
    /// The good image's manifest; its layer's digest.
    good: Doc,
    good_layer: String,
    hostile: Doc,
    huge: Doc,
    not_json: Doc,
    deep_json: Doc,
    bomb: Doc,
    bomb_layer: String,
    bad_deflate: Doc,
    /// The two-layer image of `slow-layer`; its second layer's digest.
    slow: Doc,
    slow_layer: String,
    /// Every blob by digest.
    blobs: HashMap<String, Doc>,
    counters: Mutex<HashMap<String, u64>>,
    issued: AtomicU64,
    connections: AtomicUsize,
}

impl Evil {
    fn new(config: Config) -> Result<Self, Box<dyn std::error::Error>> {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&config.log)
            .map_err(|e| format!("open {}: {e}", config.log))?;
        let mut blobs = HashMap::new();
        let mut blob = |doc: Doc| {
            let digest = doc.digest.clone();
            blobs.insert(digest.clone(), doc);
            digest
        };

        let tar = good_tar();
        let tar_digest = Body::bytes(tar.clone()).digest();
        let layer = Doc::new(OCI_GZIP, Body::bytes(gzip(&tar)?));
        let config_doc =
            Doc::new(OCI_CONFIG, Body::bytes(image_config(&tar_digest).to_string().into_bytes()));
        let good = manifest(&config_doc, &[&layer], None);
        let hostile = manifest(
            &config_doc,
            &[&layer],
            Some(json!({
                "org.opencontainers.image.description": HOSTILE_SCRIPT,
                "org.opencontainers.image.title": HOSTILE_IMG,
                HOSTILE_SCRIPT: HOSTILE_IMG,
            })),
        );

        let bomb_layer = Doc::new(OCI_GZIP, gzip_bomb()?);
        let made_up = format!("sha256:{}", hex::encode(Sha256::digest(b"the diff_id of nothing")));
        let bomb_config = Doc::new(OCI_CONFIG, Body::bytes(image_config(&made_up).to_string().into_bytes()));
        let bomb = manifest(&bomb_config, &[&bomb_layer], None);

        let broken_layer = Doc::new(OCI_GZIP, Body::bytes(bad_deflate(&tar)?));
        let bad_deflate = manifest(&config_doc, &[&broken_layer], None);

        let mut slow_tar = Vec::new();
        tar_entry(
            &mut slow_tar,
            "evil/slow.txt",
            b'0',
            0o644,
            b"the slow layer of the regsight rig's evil registry\n",
        );
        slow_tar.extend_from_slice(&[0u8; 1024]);
        let slow_tar_digest = Body::bytes(slow_tar.clone()).digest();
        let slow_layer = Doc::new(OCI_GZIP, Body::bytes(gzip(&slow_tar)?));
        let mut slow_config = image_config(&tar_digest);
        slow_config["rootfs"]["diff_ids"] = json!([tar_digest, slow_tar_digest]);
        slow_config["history"] = json!([
            { "created": rfc3339(MTIME), "created_by": "regsight-evil" },
            { "created": rfc3339(MTIME), "created_by": "regsight-evil, slowly" },
        ]);
        let slow_config = Doc::new(OCI_CONFIG, Body::bytes(slow_config.to_string().into_bytes()));
        let slow = manifest(&slow_config, &[&layer, &slow_layer], None);

        let good_bytes = good.body.to_vec();
        let huge = Doc::new(
            OCI_MANIFEST,
            Body::bytes(b"{".to_vec()).then(vec![b' '; 64 * 1024], 1024).then(good_bytes[1..].to_vec(), 1),
        );
        let not_json = Doc::new(
            OCI_MANIFEST,
            Body::bytes(
                b"<!DOCTYPE html>\n<html><head><title>Welcome</title></head><body><h1>Sign in to continue</h1></body></html>\n"
                    .to_vec(),
            ),
        );
        let deep_json = Doc::new(OCI_MANIFEST, Body::bytes(vec![b'['; 100_000]).then(vec![b']'; 100_000], 1));

        let good_layer = blob(layer);
        blob(config_doc);
        let bomb_layer = blob(bomb_layer);
        blob(bomb_config);
        blob(broken_layer);
        let slow_layer = blob(slow_layer);
        blob(slow_config);
        Ok(Self {
            url: config.url,
            other_url: config.other_url,
            users: config.users,
            log: Mutex::new(log),
            good,
            good_layer,
            hostile,
            huge,
            not_json,
            deep_json,
            bomb,
            bomb_layer,
            bad_deflate,
            slow,
            slow_layer,
            blobs,
            counters: Mutex::new(HashMap::new()),
            issued: AtomicU64::new(0),
            connections: AtomicUsize::new(0),
        })
    }

    fn log(&self, line: &str) {
        let mut file = self.log.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = file.write_all(format!("{line}\n").as_bytes()) {
            eprintln!("request log: {e}");
        }
    }

    /// Reads one request from a new connection, answers it and closes.
    fn handle(&self, mut stream: TcpStream, origin: Origin) {
        let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
        let _ = stream.set_write_timeout(Some(Duration::from_secs(60)));
        let request = match read_request(&mut stream) {
            Ok(request) => request,
            Err(ReadError::Gone) => return,
            Err(ReadError::Bad(status, why)) => {
                self.log(&format!("{} - - origin=- auth=- -> {status} ({why})", origin.name()));
                let head = format!(
                    "HTTP/1.1 {status} {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nAccess-Control-Allow-Origin: *\r\nConnection: close\r\n\r\n{why}\n",
                    reason(status),
                    why.len() + 1
                );
                let _ = stream.write_all(head.as_bytes());
                close(stream);
                return;
            }
        };
        match self.route(&request, origin) {
            Outcome::Hang => {
                self.log(&log_line(origin, &request, "hang"));
                hang(&mut stream);
            }
            Outcome::Respond(response) => {
                let mut outcome = response.status.to_string();
                if response.drip && request.method == "GET" {
                    outcome.push_str(" drip");
                }
                if response.announced.is_some() && request.method == "GET" {
                    outcome.push_str(" lie");
                }
                self.log(&log_line(origin, &request, &outcome));
                if let Err(e) = send(&mut stream, &request, &response) {
                    println!("{} {}: {e}", request.method, sanitize(&request.target));
                }
                if response.announced.is_some() {
                    let _ = stream.shutdown(Shutdown::Both);
                } else {
                    close(stream);
                }
            }
        }
    }

    fn route(&self, req: &Request, origin: Origin) -> Outcome {
        let respond = Outcome::Respond;
        if req.method == "OPTIONS" {
            return respond(
                Response::new(204)
                    .with("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS")
                    .with("Access-Control-Allow-Headers", "Authorization, Accept, Content-Type")
                    .with("Access-Control-Max-Age", "600"),
            );
        }
        if origin == Origin::Other {
            return respond(self.cdn(req));
        }
        match req.path.as_str() {
            "/v2/" | "/v2" => {
                return respond(if matches!(req.method.as_str(), "GET" | "HEAD") {
                    Response::json(200, &json!({})).with("Docker-Distribution-Api-Version", "registry/2.0")
                } else {
                    Response::error(405, "UNSUPPORTED", "GET or HEAD only")
                });
            }
            "/v2/_catalog" => return respond(catalog(req)),
            "/token" => return respond(self.token(req, true)),
            "/redirect/token" => {
                let query = if req.query.is_empty() { String::new() } else { format!("?{}", req.query) };
                return respond(
                    Response::new(307).with("Location", format!("{}/token{query}", self.other_url)),
                );
            }
            "/oauth/token" => return respond(self.token(req, false)),
            "/forever/token" | "/evil-token" | "/dup-a/token" | "/dup-b/token" => {
                return respond(self.useless_token());
            }
            "/token-not-json" => {
                return respond(Response::html(
                    200,
                    "<html><body><h1>Sign in</h1><form></form></body></html>\n",
                ));
            }
            "/token-no-token" => {
                let now = unix_now();
                return respond(Response::json(
                    200,
                    &json!({ "expires_in": TOKEN_EXPIRES_IN, "issued_at": rfc3339(now), "scope": "" }),
                ));
            }
            _ => {}
        }
        if let Some(rest) = req.path.strip_prefix("/moved/v2/") {
            return respond(tags_moved(req, rest));
        }
        let Some((repo, kind)) = req.path.strip_prefix("/v2/").and_then(parse_registry_path) else {
            return respond(Response::error(404, "NOT_FOUND", "no such endpoint"));
        };
        let behaviour =
            repo.strip_prefix("evil/").and_then(|rest| rest.split('/').next()).and_then(Behaviour::from_name);
        let Some(behaviour) = behaviour else {
            return respond(Response::error(404, "NAME_UNKNOWN", "repository name not known to registry"));
        };
        if !matches!(req.method.as_str(), "GET" | "HEAD") {
            return respond(Response::error(405, "UNSUPPORTED", "this registry is read-only"));
        }
        self.behave(req, behaviour, &repo, &kind)
    }

    /// The answer of one behaviour to a registry request (GET or HEAD).
    fn behave(&self, req: &Request, behaviour: Behaviour, repo: &str, kind: &Kind) -> Outcome {
        use Behaviour::*;
        let good = || self.standard(repo, kind, &self.good);
        let is_layer = |digest: &str| matches!(kind, Kind::Blob(d) if d == digest);
        let challenge = |realm: &str| {
            format!("Bearer realm=\"{realm}\",service=\"{SERVICE}\",scope=\"repository:{repo}:pull\"")
        };
        let response = match behaviour {
            Good => good(),
            WrongContentType => {
                let mut response = good();
                if matches!(kind, Kind::Manifest(_)) && response.status == 200 {
                    response.set("Content-Type", "text/plain; charset=utf-8");
                }
                response
            }
            HugeManifest => self.standard(repo, kind, &self.huge),
            NotJson => self.standard(repo, kind, &self.not_json),
            DeepJson => self.standard(repo, kind, &self.deep_json),
            ShortBlob | LongBlob | LyingLength if is_layer(&self.good_layer) => {
                let Some(layer) = self.blobs.get(&self.good_layer) else {
                    return Outcome::Respond(Response::error(404, "BLOB_UNKNOWN", "blob unknown"));
                };
                let bytes = layer.body.to_vec();
                let half = bytes[..bytes.len() / 2].to_vec();
                let mut response = Response::doc(layer);
                match behaviour {
                    ShortBlob => response.body = Body::bytes(half),
                    LongBlob => response.body = Body::bytes(bytes).then(vec![b'x'; 64 * 1024], 1024),
                    _ => {
                        response.announced = Some(bytes.len() as u64);
                        response.body = Body::bytes(half);
                    }
                }
                response
            }
            ShortBlob | LongBlob | LyingLength => good(),
            GzipBomb => self.standard(repo, kind, &self.bomb),
            BadDeflate => self.standard(repo, kind, &self.bad_deflate),
            TagsEndless if *kind == Kind::Tags => tags_endless(req, repo),
            TagsLoop if *kind == Kind::Tags => tags_loop(req, repo),
            TagsMany if *kind == Kind::Tags => tags_numbered(req, repo, MANY_TAGS),
            TagsPaged if *kind == Kind::Tags => tags_numbered(req, repo, PAGED_TAGS),
            TagsEndless | TagsLoop | TagsMany | TagsPaged => good(),
            SlowLayer => {
                let mut response = self.standard(repo, kind, &self.slow);
                if req.method == "GET" && is_layer(&self.slow_layer) {
                    response.pause = Some(SLOW_FOR);
                }
                response
            }
            TagsRedirect if *kind == Kind::Tags => match req.query_value("page") {
                None => Response::new(307).with("Location", format!("/moved/v2/{repo}/tags/list")),
                Some(_) => Response::error(
                    400,
                    "PAGINATION_NUMBER_INVALID",
                    "the Link was resolved against the requested URL, not the final one",
                ),
            },
            TagsRedirect => good(),
            OAuthRedirect => self
                .bearer(req, repo, &challenge(&format!("{}/redirect/token", self.url)), true)
                .unwrap_or_else(good),
            RedirectLoop if req.method == "GET" && is_layer(&self.good_layer) => {
                let blob = format!("/v2/{repo}/blobs/{}", self.good_layer);
                let to = if req.query_value("loop").as_deref() == Some("b") {
                    blob
                } else {
                    format!("{blob}?loop=b")
                };
                Response::new(307).with("Location", to)
            }
            RedirectLoop => good(),
            RedirectCross => {
                match self.bearer(req, repo, &challenge(&format!("{}/token", self.url)), false) {
                    Some(denied) => denied,
                    None => match kind {
                        Kind::Blob(digest) if req.method == "GET" && self.blobs.contains_key(digest) => {
                            Response::new(307).with("Location", format!("{}/cdn/{digest}", self.other_url))
                        }
                        _ => good(),
                    },
                }
            }
            NeverHeaders => return Outcome::Hang,
            Drip => {
                let mut response = good();
                response.drip = true;
                response
            }
            AuthForever => unauthorized(req, challenge(&format!("{}/forever/token", self.url)), true),
            RealmJavascript => unauthorized(req, challenge("javascript:alert(1)"), false),
            RealmFile => unauthorized(req, challenge("file:///etc/passwd"), false),
            RealmData => unauthorized(req, challenge("data:text/plain,x"), false),
            RealmRelative => unauthorized(req, challenge("/evil-token"), false),
            RealmFtp => {
                let host = self.url.trim_start_matches("http://");
                unauthorized(req, challenge(&format!("ftp://{host}/token")), false)
            }
            ChallengeUnterminated => unauthorized(
                req,
                format!("Bearer realm=\"{}/forever/token,service={SERVICE}", self.url),
                false,
            ),
            ChallengeDuplicateRealm => unauthorized(
                req,
                format!(
                    "Bearer realm=\"{url}/dup-a/token\",realm=\"{url}/dup-b/token\",service=\"{SERVICE}\",scope=\"repository:{repo}:pull\"",
                    url = self.url
                ),
                false,
            ),
            ChallengeNoRealm => unauthorized(
                req,
                format!("Bearer service=\"{SERVICE}\",scope=\"repository:{repo}:pull\""),
                false,
            ),
            TokenNotJson => unauthorized(req, challenge(&format!("{}/token-not-json", self.url)), true),
            TokenNoToken => unauthorized(req, challenge(&format!("{}/token-no-token", self.url)), true),
            OAuth => self
                .bearer(req, repo, &challenge(&format!("{}/oauth/token", self.url)), true)
                .unwrap_or_else(good),
            OAuthBoth => {
                self.bearer(req, repo, &challenge(&format!("{}/token", self.url)), true).unwrap_or_else(good)
            }
            // The request's number among those of its method and path decides.
            Status429Once => {
                if self.nth(req).is_multiple_of(2) {
                    good()
                } else {
                    too_many(1)
                }
            }
            Status429Hour => too_many(3600),
            Status500 => Response::error(500, "UNKNOWN", "unknown error"),
            Status502Once => {
                if self.nth(req).is_multiple_of(2) {
                    good()
                } else {
                    Response::html(502, BAD_GATEWAY)
                }
            }
            Status503Twice => {
                if self.nth(req).is_multiple_of(3) {
                    good()
                } else {
                    Response::error(503, "UNAVAILABLE", "service unavailable").with("Retry-After", "1")
                }
            }
            Status504 => Response::html(504, GATEWAY_TIMEOUT),
            Hostile => self.hostile(repo, kind),
            HostileDigest => {
                let mut response = good();
                if response.status == 200 {
                    let garbage =
                        if matches!(kind, Kind::Manifest(_)) { HOSTILE_SCRIPT } else { HOSTILE_IMG };
                    response.set("Docker-Content-Digest", garbage);
                }
                response
            }
        };
        Outcome::Respond(response)
    }

    /// How a plain registry answers for the image whose manifest is `manifest`.
    fn standard(&self, repo: &str, kind: &Kind, manifest: &Doc) -> Response {
        match kind {
            Kind::Manifest(reference) if reference == TAG || *reference == manifest.digest => {
                Response::doc(manifest)
            }
            Kind::Manifest(_) => Response::error(404, "MANIFEST_UNKNOWN", "manifest unknown"),
            Kind::Blob(digest) => match self.blobs.get(digest) {
                Some(blob) => Response::doc(blob),
                None => Response::error(404, "BLOB_UNKNOWN", "blob unknown to registry"),
            },
            Kind::Tags => Response::json(200, &json!({ "name": repo, "tags": [TAG] })),
        }
    }

    fn hostile(&self, repo: &str, kind: &Kind) -> Response {
        match kind {
            Kind::Tags => {
                Response::json(200, &json!({ "name": repo, "tags": [TAG, HOSTILE_SCRIPT, HOSTILE_IMG] }))
            }
            Kind::Manifest(reference) if reference == TAG || *reference == self.hostile.digest => {
                Response::doc(&self.hostile)
            }
            Kind::Blob(digest) if self.blobs.contains_key(digest) => self.standard(repo, kind, &self.hostile),
            Kind::Manifest(_) | Kind::Blob(_) => Response::json(
                404,
                &json!({ "errors": [
                    { "code": "MANIFEST_UNKNOWN", "message": HOSTILE_SCRIPT, "detail": HOSTILE_IMG },
                    { "code": HOSTILE_SCRIPT, "message": HOSTILE_IMG, "detail": { "reason": HOSTILE_SCRIPT } },
                ] }),
            ),
        }
    }

    /// The other origin: any blob under `/cdn/<digest>`, no auth.
    fn cdn(&self, req: &Request) -> Response {
        if !matches!(req.method.as_str(), "GET" | "HEAD") {
            return Response::error(405, "UNSUPPORTED", "GET or HEAD only");
        }
        match req.path.strip_prefix("/cdn/").and_then(|digest| self.blobs.get(digest)) {
            Some(blob) => Response::new(200).body("application/octet-stream", blob.body.clone()),
            None => Response::error(404, "BLOB_UNKNOWN", "no such blob"),
        }
    }

    /// The request's number among those of its method and path (1 for the first).
    fn nth(&self, req: &Request) -> u64 {
        let key = format!("{} {}", req.method, req.path);
        let mut counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        if counters.len() >= MAX_COUNTED_PATHS && !counters.contains_key(&key) {
            counters.clear();
        }
        let n = counters.entry(key).or_insert(0);
        *n += 1;
        *n
    }

    /// `None` when the request carries a token good for `repo` (of a user, if `user` is set),
    /// else the 401 to answer.
    fn bearer(&self, req: &Request, repo: &str, challenge: &str, user: bool) -> Option<Response> {
        let denied = |error: &str| {
            let challenge = if error.is_empty() {
                challenge.to_owned()
            } else {
                format!("{challenge},error=\"{error}\"")
            };
            Some(
                Response::error(401, "UNAUTHORIZED", "authentication required")
                    .with("WWW-Authenticate", challenge),
            )
        };
        let Some(authorization) = req.header("authorization") else { return denied("") };
        let (scheme, token) = authorization.split_once(' ').unwrap_or((authorization, ""));
        if !scheme.eq_ignore_ascii_case("bearer") {
            return denied("invalid_token");
        }
        let Some(claims) = verify(token.trim()) else { return denied("invalid_token") };
        if claims.exp <= unix_now() {
            return denied("invalid_token");
        }
        let wanted = format!("repository:{repo}:pull");
        if (user && claims.sub.is_empty()) || !claims.scope.split(' ').any(|s| s == wanted) {
            return denied("insufficient_scope");
        }
        None
    }

    /// `/token` (`both`: GET and POST) and `/oauth/token` (POST only).
    fn token(&self, req: &Request, both: bool) -> Response {
        match req.method.as_str() {
            "POST" => self.oauth(req),
            "GET" if both => self.docker_token(req),
            "GET" | "HEAD" => {
                Response::error(404, "NOT_FOUND", "this realm answers only OAuth2 POST requests")
            }
            _ => Response::error(405, "UNSUPPORTED", "GET or POST only"),
        }
    }

    /// Docker token auth: `GET realm?service=&scope=...` with optional Basic credentials.
    fn docker_token(&self, req: &Request) -> Response {
        let query = form_pairs(&req.query);
        let values =
            |key: &str| query.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect::<Vec<_>>();
        if values("service").first() != Some(&SERVICE) {
            return Response::error(400, "INVALID_REQUEST", "unknown or missing service");
        }
        let sub = match req.header("authorization") {
            None => String::new(),
            Some(authorization) => match self.basic_user(authorization) {
                Some(user) => user,
                None => return Response::error(401, "UNAUTHORIZED", "invalid credentials"),
            },
        };
        let scope = grant(values("scope").into_iter());
        let now = unix_now();
        let token = mint(&sub, &scope, now + TOKEN_EXPIRES_IN);
        let mut body = json!({
            "token": token,
            "access_token": token,
            "expires_in": TOKEN_EXPIRES_IN,
            "issued_at": rfc3339(now),
        });
        if values("offline_token").first() == Some(&"true") && !sub.is_empty() {
            body["refresh_token"] = json!(refresh_token(&sub));
        }
        Response::json(200, &body)
    }

    /// The distribution OAuth2 token flow (see the module documentation).
    fn oauth(&self, req: &Request) -> Response {
        let form_type = req.header("content-type").unwrap_or_default().to_ascii_lowercase();
        if !form_type.starts_with("application/x-www-form-urlencoded") {
            return Response::oauth_error("invalid_request", "send application/x-www-form-urlencoded");
        }
        let form = form_pairs(&String::from_utf8_lossy(&req.body));
        let value = |key: &str| form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        let Some(grant_type) = value("grant_type") else {
            return Response::oauth_error("invalid_request", "grant_type is required");
        };
        if value("service") != Some(SERVICE) {
            return Response::oauth_error("invalid_request", "unknown or missing service");
        }
        if value("client_id").is_none_or(str::is_empty) {
            return Response::oauth_error("invalid_request", "client_id is required");
        }
        let (sub, refresh) = match grant_type {
            "password" => {
                let (Some(username), Some(password)) = (value("username"), value("password")) else {
                    return Response::oauth_error("invalid_request", "username and password are required");
                };
                if !self.users.iter().any(|u| u.username == username && u.password == password) {
                    return Response::oauth_error("invalid_grant", "invalid username or password");
                }
                let refresh = (value("access_type") == Some("offline")).then(|| refresh_token(username));
                (username.to_owned(), refresh)
            }
            "refresh_token" => {
                let Some(sub) = value("refresh_token").and_then(verify_refresh) else {
                    return Response::oauth_error("invalid_grant", "unknown refresh_token");
                };
                let refresh = refresh_token(&sub);
                (sub, Some(refresh))
            }
            _ => return Response::oauth_error("unsupported_grant_type", "password or refresh_token only"),
        };
        let scope = grant(form.iter().filter(|(k, _)| k == "scope").map(|(_, v)| v.as_str()));
        let now = unix_now();
        let mut body = json!({
            "access_token": mint(&sub, &scope, now + TOKEN_EXPIRES_IN),
            "token_type": "Bearer",
            "scope": scope,
            "expires_in": TOKEN_EXPIRES_IN,
            "issued_at": rfc3339(now),
        });
        if let Some(refresh) = refresh {
            body["refresh_token"] = json!(refresh);
        }
        Response::json(200, &body)
    }

    /// The rig user of valid Basic credentials.
    fn basic_user(&self, authorization: &str) -> Option<String> {
        let (scheme, encoded) = authorization.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
        let (username, password) = decoded.split_once(':')?;
        self.users
            .iter()
            .find(|u| u.username == username && u.password == password)
            .map(|u| u.username.clone())
    }

    /// A fresh token that no repository accepts.
    fn useless_token(&self) -> Response {
        let n = self.issued.fetch_add(1, Ordering::Relaxed);
        let token = format!("never-works-{n}");
        Response::json(
            200,
            &json!({
                "token": token,
                "access_token": token,
                "expires_in": TOKEN_EXPIRES_IN,
                "issued_at": rfc3339(unix_now()),
            }),
        )
    }
}

/// A 401 with `challenge`; with `mark` and a token sent, the challenge says `invalid_token`.
fn unauthorized(req: &Request, challenge: String, mark: bool) -> Response {
    let challenge = if mark && req.header("authorization").is_some() {
        format!("{challenge},error=\"invalid_token\"")
    } else {
        challenge
    };
    Response::error(401, "UNAUTHORIZED", "authentication required").with("WWW-Authenticate", challenge)
}

fn too_many(retry_after: u64) -> Response {
    Response::error(429, "TOOMANYREQUESTS", "too many requests").with("Retry-After", retry_after.to_string())
}

/// The granted scope list (space-separated): `repository:<name>:pull` for each requested
/// repository scope under `evil/` that asks for `pull`.
fn grant<'a>(requested: impl Iterator<Item = &'a str>) -> String {
    let mut granted: Vec<String> = Vec::new();
    for scope in requested.flat_map(|s| s.split(' ')) {
        let Some(rest) = scope.strip_prefix("repository:") else { continue };
        let Some((name, actions)) = rest.rsplit_once(':') else { continue };
        if name.starts_with("evil/") && actions.split(',').any(|a| a == "pull") {
            let entry = format!("repository:{name}:pull");
            if !granted.contains(&entry) {
                granted.push(entry);
            }
        }
    }
    granted.join(" ")
}

fn mac(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(MAC_KEY);
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hex::encode(&hasher.finalize()[..16])
}

/// An access token: `evil.<sub>.<exp>.<scope>.<mac>` (sub and scope base64url).
fn mint(sub: &str, scope: &str, exp: u64) -> String {
    let exp = exp.to_string();
    format!(
        "evil.{}.{exp}.{}.{}",
        URL_SAFE_NO_PAD.encode(sub),
        URL_SAFE_NO_PAD.encode(scope),
        mac(&["access", sub, &exp, scope])
    )
}

fn verify(token: &str) -> Option<Claims> {
    let mut parts = token.split('.');
    let (Some("evil"), Some(sub), Some(exp), Some(scope), Some(given), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let decode = |s: &str| URL_SAFE_NO_PAD.decode(s).ok().and_then(|b| String::from_utf8(b).ok());
    let (sub, scope) = (decode(sub)?, decode(scope)?);
    (mac(&["access", &sub, exp, &scope]) == given).then_some(Claims { exp: exp.parse().ok()?, sub, scope })
}

/// A refresh token of `sub`: `evilrefresh.<sub>.<mac>`.
fn refresh_token(sub: &str) -> String {
    format!("evilrefresh.{}.{}", URL_SAFE_NO_PAD.encode(sub), mac(&["refresh", sub]))
}

/// The subject of a valid refresh token.
fn verify_refresh(token: &str) -> Option<String> {
    let mut parts = token.split('.');
    let (Some("evilrefresh"), Some(sub), Some(given), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let sub = String::from_utf8(URL_SAFE_NO_PAD.decode(sub).ok()?).ok()?;
    (mac(&["refresh", &sub]) == given).then_some(sub)
}

/// `n` from the query: at most `max`, `default` when absent or not a number, at least 1.
fn page_size(req: &Request, default: u64, max: u64) -> u64 {
    req.query_value("n").and_then(|n| n.parse::<u64>().ok()).unwrap_or(default).clamp(1, max)
}

fn tags_page(repo: &str, tags: &[String], next: Option<String>) -> Response {
    let response = Response::json(200, &json!({ "name": repo, "tags": tags }));
    match next {
        Some(query) => response.with("Link", format!("</v2/{repo}/tags/list{query}>; rel=\"next\"")),
        None => response,
    }
}

fn tags_endless(req: &Request, repo: &str) -> Response {
    let n = page_size(req, 100, 1000);
    let start = req
        .query_value("last")
        .and_then(|last| last.strip_prefix('t').and_then(|d| d.parse::<u64>().ok()))
        .map_or(0, |i| i.saturating_add(1));
    let tags: Vec<String> = (0..n).map(|k| format!("t{:010}", start.saturating_add(k))).collect();
    let last = tags.last().cloned().unwrap_or_default();
    tags_page(repo, &tags, Some(format!("?n={n}&last={last}")))
}

fn tags_loop(req: &Request, repo: &str) -> Response {
    let names = |prefix: &str| (1..=3).map(|i| format!("{prefix}{i}")).collect::<Vec<_>>();
    if req.query_value("last").as_deref() == Some("b") {
        tags_page(repo, &names("b"), Some(String::new()))
    } else {
        tags_page(repo, &names("a"), Some("?last=b".into()))
    }
}

/// `count` tags `t000000`, `t000001`... over pages of `n` (default 1000, at most 10,000), each
/// page but the last with a relative Link to the next.
fn tags_numbered(req: &Request, repo: &str, count: u64) -> Response {
    let n = page_size(req, 1000, 10_000);
    let tag = |i: u64| format!("t{i:06}");
    // The first tag after `last` in lexical order (binary search over the tags).
    let start = match req.query_value("last") {
        None => 0,
        Some(last) => {
            let (mut lo, mut hi) = (0, count);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if tag(mid) <= last { lo = mid + 1 } else { hi = mid }
            }
            lo
        }
    };
    let end = start.saturating_add(n).min(count);
    let tags: Vec<String> = (start..end).map(tag).collect();
    let next = (end < count && end > start).then(|| format!("?n={n}&last={}", tag(end - 1)));
    tags_page(repo, &tags, next)
}

/// Where `tags-redirect`'s tags/list redirects (`rest` follows `/moved/v2/`): page 1 with a Link
/// relative to this URL, or page 2 (`?page=2`).
fn tags_moved(req: &Request, rest: &str) -> Response {
    let tags_redirect = |repo: &str| {
        repo.strip_prefix("evil/").and_then(|r| r.split('/').next()).and_then(Behaviour::from_name)
            == Some(Behaviour::TagsRedirect)
    };
    match parse_registry_path(rest) {
        Some((repo, Kind::Tags)) if tags_redirect(&repo) && req.method == "GET" => {
            let page = |tags: &[&str]| Response::json(200, &json!({ "name": repo, "tags": tags }));
            match req.query_value("page").as_deref() {
                None => page(&["r1", "r2"]).with("Link", "<list?page=2>; rel=\"next\""),
                Some("2") => page(&["r3"]),
                Some(_) => Response::error(400, "PAGINATION_NUMBER_INVALID", "no such page"),
            }
        }
        _ => Response::error(404, "NOT_FOUND", "no such endpoint"),
    }
}

/// `GET /v2/_catalog`: every repository `evil/<name>` in lexical order, over pages of `n`
/// (default 10, at most 100) after `last`, each page but the last with a relative Link to the next.
fn catalog(req: &Request) -> Response {
    if !matches!(req.method.as_str(), "GET" | "HEAD") {
        return Response::error(405, "UNSUPPORTED", "GET or HEAD only");
    }
    let n = page_size(req, 10, 100);
    let mut names: Vec<String> = REPOSITORIES.iter().map(|(name, _)| format!("evil/{name}")).collect();
    names.sort_unstable();
    let last = req.query_value("last").unwrap_or_default();
    let start = names.partition_point(|name| *name <= last);
    let page: Vec<&String> = names.iter().skip(start).take(n as usize).collect();
    let response = Response::json(200, &json!({ "repositories": page }));
    match page.last() {
        Some(last) if start + page.len() < names.len() => {
            response.with("Link", format!("</v2/_catalog?n={n}&last={last}>; rel=\"next\""))
        }
        _ => response,
    }
}

/// `repo` and what is asked of it, from a path after `/v2/`.
fn parse_registry_path(rest: &str) -> Option<(String, Kind)> {
    if let Some(repo) = rest.strip_suffix("/tags/list") {
        return (!repo.is_empty()).then(|| (repo.to_owned(), Kind::Tags));
    }
    let split = |marker: &str| {
        let i = rest.rfind(marker)?;
        let (repo, reference) = (&rest[..i], &rest[i + marker.len()..]);
        (!repo.is_empty() && !reference.is_empty() && !reference.contains('/'))
            .then(|| (repo.to_owned(), reference.to_owned()))
    };
    if let Some((repo, reference)) = split("/manifests/") {
        return Some((repo, Kind::Manifest(reference)));
    }
    split("/blobs/").map(|(repo, digest)| (repo, Kind::Blob(digest)))
}

/// The end of the request head in `buf`: (where the head's text ends, where the body starts).
fn head_end(buf: &[u8]) -> Option<(usize, usize)> {
    (0..buf.len()).find_map(|i| match (buf[i], buf.get(i + 1), buf.get(i + 2)) {
        (b'\n', Some(b'\n'), _) => Some((i, i + 2)),
        (b'\n', Some(b'\r'), Some(b'\n')) => Some((i, i + 3)),
        _ => None,
    })
}

fn read_request(stream: &mut TcpStream) -> Result<Request, ReadError> {
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 4096];
    let (text_end, body_start) = loop {
        if let Some(end) = head_end(&buf) {
            break end;
        }
        if buf.len() > MAX_HEAD {
            return Err(ReadError::Bad(431, "request head over 16 KiB"));
        }
        match stream.read(&mut chunk) {
            Ok(0) if buf.iter().all(|b| b.is_ascii_whitespace()) => return Err(ReadError::Gone),
            Ok(0) => return Err(ReadError::Bad(400, "request head cut short")),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return Err(ReadError::Gone),
        }
    };
    if text_end > MAX_HEAD {
        return Err(ReadError::Bad(431, "request head over 16 KiB"));
    }
    let head = std::str::from_utf8(&buf[..text_end])
        .map_err(|_| ReadError::Bad(400, "request head is not UTF-8"))?;
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).skip_while(|l| l.is_empty());
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ReadError::Bad(400, "malformed request line"));
    };
    if method.is_empty() || method.len() > 16 || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(ReadError::Bad(400, "malformed method"));
    }
    if !target.starts_with('/') || !target.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(ReadError::Bad(400, "malformed request target"));
    }
    if !matches!(version, "HTTP/1.1" | "HTTP/1.0") {
        return Err(ReadError::Bad(400, "not HTTP/1.x"));
    }
    let mut headers = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            return Err(ReadError::Bad(400, "obsolete header line folding"));
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(ReadError::Bad(400, "malformed header line"));
        };
        let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
        if name.is_empty() || !name.bytes().all(token) {
            return Err(ReadError::Bad(400, "malformed header name"));
        }
        if value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(ReadError::Bad(400, "control character in a header value"));
        }
        headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
        if headers.len() > MAX_HEADERS {
            return Err(ReadError::Bad(431, "more than 100 header lines"));
        }
    }
    if headers.iter().any(|(n, _)| n == "transfer-encoding") {
        return Err(ReadError::Bad(400, "Transfer-Encoding request bodies are not supported"));
    }
    let mut lengths = headers.iter().filter(|(n, _)| n == "content-length").map(|(_, v)| v.parse::<usize>());
    let length = match (lengths.next(), lengths.next()) {
        (None, _) => 0,
        (Some(Ok(length)), None) => length,
        _ => return Err(ReadError::Bad(400, "malformed Content-Length")),
    };
    if length > MAX_BODY {
        return Err(ReadError::Bad(413, "request body over 64 KiB"));
    }
    let mut body = buf[body_start..].to_vec();
    while body.len() < length {
        match stream.read(&mut chunk) {
            Ok(0) => return Err(ReadError::Bad(400, "request body shorter than its Content-Length")),
            Ok(n) => body.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return Err(ReadError::Gone),
        }
    }
    body.truncate(length);
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Ok(Request {
        method: method.to_owned(),
        target: target.to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        headers,
        body,
    })
}

/// Writes the answer (its body too, unless the request is a HEAD).
fn send(stream: &mut TcpStream, req: &Request, res: &Response) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", res.status, reason(res.status));
    for (name, value) in &res.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let allow_origin = req.allow_origin();
    head.push_str(&format!("Access-Control-Allow-Origin: {allow_origin}\r\n"));
    if allow_origin != "*" {
        head.push_str("Vary: Origin\r\n");
    }
    head.push_str(&format!("Access-Control-Expose-Headers: {EXPOSE_HEADERS}\r\n"));
    if res.status != 204 {
        head.push_str(&format!("Content-Length: {}\r\n", res.announced.unwrap_or_else(|| res.body.len())));
    }
    head.push_str("Connection: close\r\n\r\n");
    stream.write_all(head.as_bytes())?;
    if req.method == "HEAD" || res.status == 204 {
        return Ok(());
    }
    if res.drip {
        return drip(stream, &res.body);
    }
    if let Some(pause) = res.pause {
        stream.flush()?;
        std::thread::sleep(pause);
    }
    let mut out = BufWriter::with_capacity(64 * 1024, stream);
    res.body.write_to(&mut out)?;
    out.flush()
}

/// Sends `body` one byte every [`DRIP_EVERY`], for at most [`HANG_FOR`].
fn drip(stream: &mut TcpStream, body: &Body) -> io::Result<()> {
    let _ = stream.set_nodelay(true);
    let start = Instant::now();
    for piece in &body.0 {
        for _ in 0..piece.times {
            for byte in piece.bytes.iter() {
                stream.write_all(&[*byte])?;
                if start.elapsed() > HANG_FOR {
                    return Ok(());
                }
                std::thread::sleep(DRIP_EVERY);
            }
        }
    }
    Ok(())
}

/// Sends nothing until the client closes or [`HANG_FOR`] passes.
fn hang(stream: &mut TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let start = Instant::now();
    let mut buf = [0u8; 1024];
    while start.elapsed() < HANG_FOR {
        match stream.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
                ) => {}
            Err(_) => return,
        }
    }
}

/// Ends a connection gently: no more writes, then whatever the client still sends is read (a
/// little, briefly), so the answer is not cut by a reset.
fn close(mut stream: TcpStream) {
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let mut buf = [0u8; 4096];
    let mut drained = 0;
    while drained < MAX_BODY {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}

/// The log line of a request (see the module documentation).
fn log_line(origin: Origin, req: &Request, outcome: &str) -> String {
    let origin_header = req.header("origin").map_or_else(|| "-".to_owned(), sanitize);
    let auth = match req.header("authorization") {
        None => "-".to_owned(),
        Some(value) => {
            let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
            match scheme.to_ascii_lowercase().as_str() {
                "bearer" => "bearer".to_owned(),
                "basic" => {
                    let user = STANDARD
                        .decode(rest.trim())
                        .ok()
                        .and_then(|b| String::from_utf8(b).ok())
                        .and_then(|d| d.split_once(':').map(|(u, _)| sanitize(u)));
                    format!("basic:{}", user.unwrap_or_else(|| "?".into()))
                }
                other => format!("?{}", sanitize(other)),
            }
        }
    };
    let form = if req.method == "POST" && !req.body.is_empty() {
        let fields: Vec<String> = form_pairs(&String::from_utf8_lossy(&req.body))
            .into_iter()
            .map(|(k, v)| {
                let v = if k == "password" || k == "refresh_token" { "*".to_owned() } else { v };
                format!("{}={}", sanitize(&k), sanitize(&v))
            })
            .collect();
        format!(" form={}", fields.join("&"))
    } else {
        String::new()
    };
    format!(
        "{} {} {} origin={origin_header} auth={auth}{form} -> {outcome}",
        origin.name(),
        req.method,
        sanitize(&req.target)
    )
}

/// `s` with spaces and bytes outside printable ASCII written `%XX`, at most 1024 bytes of it.
fn sanitize(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes().take(1024) {
        if (0x21..=0x7e).contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if s.len() > 1024 {
        out.push_str("...");
    }
    out
}

/// The good layer's tar, written by hand: a directory `evil/` and a file `evil/hello.txt`.
fn good_tar() -> Vec<u8> {
    let mut tar = Vec::new();
    tar_entry(&mut tar, "evil/", b'5', 0o755, b"");
    tar_entry(&mut tar, "evil/hello.txt", b'0', 0o644, b"served by the regsight rig's evil registry\n");
    tar.extend_from_slice(&[0u8; 1024]);
    tar
}

/// `bytes` as one gzip member: no name, mtime 0, unknown OS, best compression.
fn gzip(bytes: &[u8]) -> io::Result<Vec<u8>> {
    let mut gz = GzBuilder::new().mtime(0).operating_system(255).write(Vec::new(), Compression::best());
    gz.write_all(bytes)?;
    gz.finish()
}

/// One ustar entry (names under 100 bytes), its data padded to 512 bytes.
fn tar_entry(tar: &mut Vec<u8>, name: &str, kind: u8, mode: u64, data: &[u8]) {
    let mut header = [0u8; 512];
    let mut put = |at: usize, bytes: &[u8]| header[at..at + bytes.len()].copy_from_slice(bytes);
    let octal = |width: usize, value: u64| format!("{value:0w$o}\0", w = width - 1);
    put(0, name.as_bytes());
    put(100, octal(8, mode).as_bytes());
    put(108, octal(8, 0).as_bytes());
    put(116, octal(8, 0).as_bytes());
    put(124, octal(12, data.len() as u64).as_bytes());
    put(136, octal(12, MTIME).as_bytes());
    put(148, b"        ");
    put(156, &[kind]);
    put(257, b"ustar\0");
    put(263, b"00");
    put(265, b"root");
    put(297, b"root");
    put(329, octal(8, 0).as_bytes());
    put(337, octal(8, 0).as_bytes());
    let sum: u64 = header.iter().map(|b| u64::from(*b)).sum();
    header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    tar.extend_from_slice(&header);
    tar.extend_from_slice(data);
    tar.resize(tar.len().div_ceil(512) * 512, 0);
}

/// An image config whose one layer has `diff_id`.
fn image_config(diff_id: &str) -> Value {
    json!({
        "architecture": "amd64",
        "os": "linux",
        "created": rfc3339(MTIME),
        "config": { "Cmd": ["/bin/sh"] },
        "rootfs": { "type": "layers", "diff_ids": [diff_id] },
        "history": [{ "created": rfc3339(MTIME), "created_by": "regsight-evil" }],
    })
}

/// An OCI image manifest of a config and its layers.
fn manifest(config: &Doc, layers: &[&Doc], annotations: Option<Value>) -> Doc {
    let layers: Vec<Value> = layers.iter().map(|layer| layer.descriptor()).collect();
    let mut doc = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config.descriptor(),
        "layers": layers,
    });
    if let Some(annotations) = annotations {
        doc["annotations"] = annotations;
    }
    Doc::new(OCI_MANIFEST, Body::bytes(doc.to_string().into_bytes()))
}

/// Raw deflate of `input` ending in a flush of kind `flush`, which must fit in one call.
fn deflate(input: &[u8], flush: FlushCompress) -> io::Result<Vec<u8>> {
    let mut compress = Compress::new(Compression::best(), false);
    let mut out = Vec::with_capacity(input.len() / 2 + 64 * 1024);
    compress.compress_vec(input, &mut out, flush).map_err(io::Error::other)?;
    if compress.total_in() != input.len() as u64 || out.len() == out.capacity() {
        return Err(io::Error::other("deflate did not finish in one call"));
    }
    Ok(out)
}

/// The gzip bomb: 10 GiB of zeros as one gzip member, ~10 MB. One MiB of zeros deflated ending in a
/// full flush (so it refers to nothing before it) is repeated 10,240 times, then an empty final
/// block and the true trailer (CRC-32 and size mod 2^32).
fn gzip_bomb() -> io::Result<Body> {
    let zeros = vec![0u8; MIB];
    let chunk = deflate(&zeros, FlushCompress::Full)?;
    let repeats = BOMB_INFLATED_SIZE / MIB as u64;
    let mut one = crc32fast::Hasher::new();
    one.update(&zeros);
    let mut crc = crc32fast::Hasher::new();
    for _ in 0..repeats {
        crc.combine(&one);
    }
    let mut tail = vec![0x03, 0x00];
    tail.extend_from_slice(&crc.finalize().to_le_bytes());
    tail.extend_from_slice(&((BOMB_INFLATED_SIZE & 0xffff_ffff) as u32).to_le_bytes());
    Ok(Body::bytes(GZIP_HEADER.to_vec()).then(chunk, repeats).then(tail, 1))
}

/// A gzip member whose deflate stream is invalid: half of `tar` deflated (ending in a sync flush),
/// then a final block of the reserved type 3, then eight bytes where a trailer would be.
fn bad_deflate(tar: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = GZIP_HEADER.to_vec();
    out.extend(deflate(&tar[..tar.len() / 2], FlushCompress::Sync)?);
    out.extend_from_slice(&[0x07, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_repository_has_a_behaviour() {
        for (name, _) in REPOSITORIES {
            assert!(Behaviour::from_name(name).is_some(), "evil/{name}");
        }
    }

    #[test]
    fn parses_registry_paths() {
        assert_eq!(parse_registry_path("evil/good/tags/list"), Some(("evil/good".into(), Kind::Tags)));
        assert_eq!(
            parse_registry_path("evil/good/x/manifests/latest"),
            Some(("evil/good/x".into(), Kind::Manifest("latest".into())))
        );
        assert_eq!(
            parse_registry_path("evil/good/blobs/sha256:00"),
            Some(("evil/good".into(), Kind::Blob("sha256:00".into())))
        );
        assert_eq!(parse_registry_path("evil/good/blobs/"), None);
        assert_eq!(parse_registry_path("/manifests/latest"), None);
    }

    #[test]
    fn tokens_hold_only_with_their_mac() {
        let token = mint("alice", "repository:evil/oauth:pull", 10);
        let claims = verify(&token).unwrap_or_else(|| panic!("{token} does not verify"));
        assert_eq!(
            (claims.sub.as_str(), claims.exp, claims.scope.as_str()),
            ("alice", 10, "repository:evil/oauth:pull")
        );
        assert!(verify(&token.replace(".10.", ".11.")).is_none());
        assert!(verify("never-works-1").is_none());
        assert_eq!(verify_refresh(&refresh_token("alice")).as_deref(), Some("alice"));
        assert!(verify_refresh("evilrefresh.YWxpY2U.00").is_none());
        assert_eq!(
            grant(
                ["repository:evil/a:pull,push repository:other:pull", "repository:evil/a:pull"].into_iter()
            ),
            "repository:evil/a:pull"
        );
    }

    #[test]
    fn request_heads_end_at_a_blank_line() {
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nA: b\r\n\r\nbody"), Some((21, 24)));
        assert_eq!(head_end(b"GET / HTTP/1.1\n\nbody"), Some((14, 16)));
        assert_eq!(head_end(b"GET / HTTP/1.1\r\n"), None);
    }

    #[test]
    fn sanitizes_log_fields() {
        assert_eq!(sanitize("a b\u{e9}"), "a%20b%C3%A9");
    }
}
