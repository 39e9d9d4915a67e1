//! The evil registry's side in the rig: its repositories and what each does (shared by the server,
//! `regsight-evil`, and `rig.json`), its configuration, and its ground truth, computed at rig up
//! from what curl downloads (`sha256sum`, `wc -c`, `gzip -dc`, `tar -t`), never by its own code.

use std::collections::BTreeMap;
use std::fs;
use std::process::Command;

use serde_json::{Value, json};

use crate::cmd::{self, sh_quote};
use crate::info::{EvilInfo, ImageTruth, StreamTruth};
use crate::paths::{RigPaths, port};
use crate::{Result, fixtures, rig_err, services};

/// The `service` named by the evil registry's challenges and expected by its token endpoints.
pub const SERVICE: &str = "regsight-evil";
/// The tag every repository that serves an image answers.
pub const TAG: &str = "latest";
/// What the gzip bomb inflates to: 10 GiB of zeros.
pub const BOMB_INFLATED_SIZE: u64 = 10 << 30;
/// The first hostile string the evil registry puts wherever a registry controls a string.
pub const HOSTILE_SCRIPT: &str = "<script>alert(1)</script>";
/// The second hostile string.
pub const HOSTILE_IMG: &str = "<img src=x onerror=\"window.__pwned=1\">";

/// Each repository of the evil registry, `evil/<name>`, and what it does (realm paths are on the
/// evil registry's own origin).
pub const REPOSITORIES: &[(&str, &str)] = &[
    (
        "good",
        "a valid image (OCI manifest, config, one gzip layer of a tiny tar) served correctly with its \
         Docker-Content-Digest: the control",
    ),
    (
        "wrong-content-type",
        "the good image, its manifest sent as `Content-Type: text/plain; charset=utf-8` though its \
         `mediaType` is right: must work",
    ),
    (
        "huge-manifest",
        "a manifest of 64 MiB plus the good one's size: the good manifest with 64 MiB of JSON whitespace \
         after its `{`, streamed, with its true digest",
    ),
    ("not-json", "a manifest that is an HTML page, sent as an OCI manifest with its true digest"),
    (
        "deep-json",
        "a manifest of 100,000 `[` then 100,000 `]` (valid JSON nested 100,000 deep), sent as an OCI \
         manifest with its true digest",
    ),
    (
        "short-blob",
        "the good image; a GET of its layer answers 200 with the first half of its bytes and a \
         Content-Length saying so (shorter than the manifest's size)",
    ),
    (
        "long-blob",
        "the good image; a GET of its layer answers its bytes then 64 MiB of `x`, with a Content-Length \
         saying so (longer than the manifest's size)",
    ),
    (
        "lying-length",
        "the good image; a GET of its layer answers a Content-Length of its full size, sends the first \
         half, then closes the connection",
    ),
    (
        "gzip-bomb",
        "an image whose one gzip layer (~10 MB, its digest and size right) inflates to 10 GiB of zeros; \
         the config's diff_id is made up",
    ),
    (
        "bad-deflate",
        "an image whose gzip layer (its digest and size right) holds an invalid deflate stream: a block \
         of the reserved type 3 after half the tar",
    ),
    (
        "tags-endless",
        "tags/list answers pages of `n` new tags (default 100, at most 1000), each with a Link to a \
         next page, forever",
    ),
    (
        "tags-loop",
        "tags/list: the first page links to `?last=b`, which links back to the first page's URL \
         (A -> B -> A)",
    ),
    (
        "tags-many",
        "tags/list: 150,000 tags `t000000`..`t149999` over pages of `n` (default 1000, at most 10,000), \
         a Link on every page but the last",
    ),
    (
        "redirect-loop",
        "the good image; a GET of its layer answers 307 to `?loop=b`, which answers 307 back to the \
         blob's URL (A -> B -> A); HEAD answers 200",
    ),
    (
        "redirect-cross",
        "the good image behind Bearer auth (realm `/token`, anonymous tokens work); a blob GET answers \
         307 to the other origin's `/cdn/<digest>`, whose log line says whether `Authorization` \
         followed; HEAD answers 200",
    ),
    (
        "never-headers",
        "every GET and HEAD: reads the request, then sends nothing for 10 minutes or until the client \
         closes",
    ),
    (
        "drip",
        "the good image; every GET answers its headers at once, then one byte of the body every 5 s \
         (for at most 10 minutes)",
    ),
    (
        "auth-forever",
        "401 forever: a Bearer challenge whose realm `/forever/token` issues tokens that never work \
         (`error=\"invalid_token\"` once one is sent)",
    ),
    ("realm-javascript", "401 with `Bearer realm=\"javascript:alert(1)\"`"),
    ("realm-file", "401 with the realm `file:///etc/passwd`"),
    ("realm-data", "401 with the realm `data:text/plain,x`"),
    (
        "realm-relative",
        "401 with the relative realm `/evil-token` (which, if asked, issues tokens that never work)",
    ),
    ("realm-ftp", "401 with the realm `ftp://<evil host>/token`"),
    (
        "challenge-unterminated",
        "401 with `Bearer realm=\"<evil url>/forever/token,service=regsight-evil` (the quote never ends)",
    ),
    (
        "challenge-duplicate-realm",
        "401 with two realms, `/dup-a/token` then `/dup-b/token` (both issue tokens that never work; \
         the log shows which was asked)",
    ),
    ("challenge-no-realm", "401 with `Bearer service=\"regsight-evil\",scope=\"...\"` and no realm"),
    ("token-not-json", "401 with the realm `/token-not-json`, which answers 200 with an HTML page"),
    (
        "token-no-token",
        "401 with the realm `/token-no-token`, which answers 200 with JSON holding neither `token` nor \
         `access_token`",
    ),
    (
        "oauth",
        "the good image behind Bearer auth whose realm `/oauth/token` speaks only OAuth2 (POST \
         application/x-www-form-urlencoded: grant_type=password with username, password, service, \
         client_id, optional scope and access_type=offline for a refresh_token; or \
         grant_type=refresh_token with refresh_token, service, client_id, optional scope); a GET there \
         is 404; only a rig user's token works",
    ),
    (
        "oauth-both",
        "the good image behind Bearer auth whose realm `/token` answers both GET (Docker token auth: \
         service, scope, Basic credentials, offline_token=true for a refresh_token) and the OAuth2 POST \
         of `evil/oauth`; only a rig user's token works",
    ),
    (
        "status-429-once",
        "the good image, but the 1st, 3rd, 5th... request of each method and path answers 429 with \
         `Retry-After: 1`",
    ),
    ("status-429-hour", "every request answers 429 with `Retry-After: 3600`"),
    ("status-500", "every request answers 500 with a registry error body"),
    (
        "status-502-once",
        "the good image, but the 1st, 3rd, 5th... request of each method and path answers 502 with an \
         HTML body, as a proxy does",
    ),
    (
        "status-503-twice",
        "the good image, but the 1st and 2nd of every 3 requests of each method and path answer 503 \
         with `Retry-After: 1`",
    ),
    ("status-504", "every request answers 504 with an HTML body, as a proxy does"),
    (
        "hostile",
        "the good image with `<script>alert(1)</script>` and `<img src=x onerror=\"window.__pwned=1\">` \
         in manifest annotations, in tags/list's tags and in the code, message and detail of every error \
         (any other reference, an unknown blob)",
    ),
    (
        "hostile-digest",
        "the good image, its manifest and blobs sent with hostile HTML as Docker-Content-Digest",
    ),
    (
        "tags-redirect",
        "tags/list answers 307 to /moved/v2/<repo>/tags/list, whose page (tags r1, r2) has the relative \
         `Link: <list?page=2>`: right only against that final URL (page 2: r3); the same query on the \
         requested URL is a 400",
    ),
    (
        "oauth-redirect",
        "the good image behind Bearer auth whose realm `/redirect/token` answers any method 307 to the \
         other origin's `/token` (query kept), which is a 404 (405 to a POST): a token POST followed \
         there would carry the password's form to another origin",
    ),
    (
        "tags-paged",
        "tags/list: 3,500 tags `t000000`..`t003499` over pages of `n` (default 1000, at most 10,000), \
         a relative Link on every page but the last",
    ),
    (
        "slow-layer",
        "a valid image of two gzip layers (the good one, then `evil/slow.txt`); a GET of the second \
         answers its headers at once and its body after 4 s",
    ),
];

/// Note added to `rig.json`'s list: what the repositories share.
const SHARED_NOTE: &str = "every repository also answers as evil/<name>/<anything>, the same behaviour \
    with its own counters; counters are per method and path (query ignored) and start over once \
    10,000 paths are counted";

/// Every repository (`evil/<name>`) and what it does, as `rig.json` lists them.
pub fn repositories() -> BTreeMap<String, String> {
    REPOSITORIES
        .iter()
        .map(|(name, what)| (format!("evil/{name}"), (*what).to_owned()))
        .chain(std::iter::once(("evil/<name>/<anything>".to_owned(), SHARED_NOTE.to_owned())))
        .collect()
}

/// The server's configuration (`conf/evil.json`), read by `regsight-evil`.
pub fn server_config(paths: &RigPaths) -> Value {
    json!({
        "listen": format!("127.0.0.1:{}", paths.port(port::EVIL)),
        "otherListen": format!("127.0.0.1:{}", paths.port(port::EVIL_OTHER)),
        "url": paths.url(port::EVIL),
        "otherUrl": paths.url(port::EVIL_OTHER),
        "log": log_file(paths),
        "users": services::users(),
    })
}

/// The evil registry's request log.
pub fn log_file(paths: &RigPaths) -> std::path::PathBuf {
    paths.logs().join("evil-requests.log")
}

/// Describes the running evil registry, its ground truth downloaded with curl into
/// `build/evil/` and computed by independent tools; fails when the server contradicts itself.
pub fn describe(paths: &RigPaths) -> Result<EvilInfo> {
    let url = paths.url(port::EVIL);
    let host = format!("127.0.0.1:{}", paths.port(port::EVIL));
    let dir = paths.build().join("evil");
    fs::create_dir_all(&dir)?;
    let good = fixtures::Builder::new(&dir, &paths.storage(), &host).served_image("evil/good", TAG, &dir)?;
    check_good(&good)?;

    let bomb_manifest =
        cmd::run(Command::new("curl").args(["-sf", &format!("{url}/v2/evil/gzip-bomb/manifests/{TAG}")]))?;
    let bomb_manifest: Value = serde_json::from_slice(&bomb_manifest)?;
    let claimed = bomb_manifest["layers"][0]["digest"].as_str().unwrap_or_default().to_owned();
    let claimed_size = bomb_manifest["layers"][0]["size"].as_u64().unwrap_or_default();
    let blob = sh_quote(format!("{url}/v2/evil/gzip-bomb/blobs/{claimed}"));
    let gzip_bomb = StreamTruth {
        digest: cmd::sha256sum_of(&format!("curl -sf {blob}"))?,
        size: cmd::byte_count_of(&format!("curl -sf {blob}"))?,
        inflated_size: Some(BOMB_INFLATED_SIZE),
    };
    if gzip_bomb.digest != claimed || gzip_bomb.size != claimed_size {
        return Err(rig_err!(
            "evil/gzip-bomb names its layer {claimed} ({claimed_size} bytes) but serves {} ({} bytes)",
            gzip_bomb.digest,
            gzip_bomb.size
        ));
    }

    let huge = sh_quote(format!("{url}/v2/evil/huge-manifest/manifests/{TAG}"));
    let huge_manifest = StreamTruth {
        digest: cmd::sha256sum_of(&format!("curl -sf {huge}"))?,
        size: cmd::byte_count_of(&format!("curl -sf {huge}"))?,
        inflated_size: None,
    };

    Ok(EvilInfo {
        url,
        host,
        other_url: paths.url(port::EVIL_OTHER),
        tag: TAG.to_owned(),
        service: SERVICE.to_owned(),
        log: log_file(paths),
        repositories: repositories(),
        good,
        gzip_bomb,
        huge_manifest,
    })
}

/// Fails unless the good image is what it claims to be, as the tools saw it.
fn check_good(good: &ImageTruth) -> Result<()> {
    let m = &good.manifest;
    let c = &good.config;
    let holds = m.digest == m.claimed_digest
        && c.digest == c.claimed_digest
        && good.layers.len() == 1
        && good.layers.iter().all(|l| {
            l.digest == l.claimed_digest
                && l.size == l.claimed_size
                && l.diff_id.as_deref() == Some(l.claimed_diff_id.as_str())
                && l.files.as_ref().is_some_and(|f| !f.is_empty())
        });
    if !holds {
        return Err(rig_err!("evil/good is not a consistent image: {good:?}"));
    }
    Ok(())
}
