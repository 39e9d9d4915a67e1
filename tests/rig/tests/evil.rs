//! The evil registry misbehaves exactly as designed, and only there: each repository is checked
//! with curl (every call with a `--max-time`, so no test hangs), its bytes measured by `sha256sum`,
//! `wc -c` and `gzip`, against the ground truth `rig up` wrote into `rig.json`. The server itself
//! answers a malformed request with a 400, keeps its memory small while it streams 64 MiB and
//! 10 GiB answers, and logs one line per request.

use std::collections::HashSet;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use regsight_rig::RigInfo;
use regsight_rig::cmd::{self, sh_quote};
use regsight_rig::evil::{HOSTILE_IMG, HOSTILE_SCRIPT, REPOSITORIES, SERVICE};
use regsight_rig::info::EvilInfo;
use serde_json::Value;

const MIB: u64 = 1 << 20;

fn rig() -> RigInfo {
    RigInfo::from_env().unwrap_or_else(|e| panic!("{e}"))
}

fn evil(rig: &RigInfo) -> &EvilInfo {
    rig.evil().unwrap_or_else(|e| panic!("{e}"))
}

/// What curl saw: its exit code, the status and headers of the last answer, the body, the time.
struct Curl {
    exit: i32,
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    elapsed: Duration,
}

impl Curl {
    /// All values of a header joined with ", ".
    fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// `curl -s -i --max-time 30 ARGS...` (a later `--max-time` in `args` wins); never follows redirects
/// unless `args` say so, and then only the last answer's head is parsed.
fn curl(args: &[&str]) -> Curl {
    let start = Instant::now();
    let out = Command::new("curl")
        .args(["-s", "-i", "--max-time", "30"])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run curl: {e}"));
    let elapsed = start.elapsed();
    let exit = out.status.code().unwrap_or(-1);
    let mut rest: &[u8] = &out.stdout;
    let mut status = 0;
    let mut headers = Vec::new();
    // One head per answer (redirects followed with -L), each ending in a blank line.
    while rest.starts_with(b"HTTP/") {
        let Some(end) = rest.windows(4).position(|w| w == b"\r\n\r\n") else { break };
        let head = String::from_utf8_lossy(&rest[..end]).into_owned();
        rest = &rest[end + 4..];
        let mut lines = head.split("\r\n");
        status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
        headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
            .collect();
    }
    Curl { exit, status, headers, body: rest.to_vec(), elapsed }
}

fn get(url: &str) -> Curl {
    curl(&[url])
}

/// A shell pipeline's trimmed stdout, without `pipefail` (so `head` may close early).
fn sh(script: &str) -> String {
    let out = Command::new("bash")
        .args(["-c", script])
        .output()
        .unwrap_or_else(|e| panic!("cannot run bash for {script}: {e}"));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn sha256sum_of_url(url: &str) -> String {
    cmd::sha256sum_of(&format!("curl -sf --max-time 60 {}", sh_quote(url))).unwrap_or_else(|e| panic!("{e}"))
}

fn bytes_of_url(url: &str) -> u64 {
    cmd::byte_count_of(&format!("curl -sf --max-time 60 {}", sh_quote(url))).unwrap_or_else(|e| panic!("{e}"))
}

/// A name no other run uses, for repositories whose counters a test must own.
fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{prefix}{}n{nanos}", std::process::id())
}

fn manifest_url(evil: &EvilInfo, repo: &str) -> String {
    format!("{}/v2/{repo}/manifests/{}", evil.url, evil.tag)
}

fn blob_url(evil: &EvilInfo, repo: &str, digest: &str) -> String {
    format!("{}/v2/{repo}/blobs/{digest}", evil.url)
}

fn good_layer(evil: &EvilInfo) -> (String, u64) {
    let layer = &evil.good.layers[0];
    (layer.digest.clone(), layer.size)
}

/// The log's lines that contain `marker`, after waiting briefly for them (the server writes a
/// line before it answers, so one is normally there already).
fn log_lines(evil: &EvilInfo, marker: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let text = std::fs::read_to_string(&evil.log).unwrap_or_default();
        let lines: Vec<String> = text.lines().filter(|l| l.contains(marker)).map(str::to_owned).collect();
        if !lines.is_empty() || Instant::now() > deadline {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The Link header's target, resolved against the evil registry.
fn next_page(evil: &EvilInfo, answer: &Curl) -> Option<String> {
    let link = answer.header("Link")?;
    let start = link.find('<')? + 1;
    let end = link.find('>')?;
    assert!(link[end..].contains("rel=\"next\""), "{link}");
    Some(format!("{}{}", evil.url, &link[start..end]))
}

fn tags_of(answer: &Curl) -> Vec<String> {
    answer.json()["tags"]
        .as_array()
        .unwrap_or_else(|| panic!("no tags in {}", answer.text()))
        .iter()
        .map(|t| t.as_str().unwrap_or_default().to_owned())
        .collect()
}

/// A JSON token endpoint answer's `field`.
fn field(answer: &Curl, name: &str) -> String {
    answer.json()[name].as_str().unwrap_or_else(|| panic!("no {name} in {}", answer.text())).to_owned()
}

/// The evil server's peak resident memory in KiB (`VmHWM`), found through the rig's pid file.
fn server_peak_kib(rig: &RigInfo) -> u64 {
    let pids = rig.logs.parent().map(|root| root.join("pids")).unwrap_or_default();
    let text = std::fs::read_to_string(&pids).unwrap_or_else(|e| panic!("{}: {e}", pids.display()));
    let pid = text
        .lines()
        .find_map(|l| l.strip_suffix(" evil"))
        .unwrap_or_else(|| panic!("no evil in {}", pids.display()));
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmHWM for pid {pid}"))
}

#[test]
fn rig_json_describes_every_repository() {
    let rig = rig();
    let evil = evil(&rig);
    assert_eq!(evil.url, format!("http://{}", evil.host));
    assert_ne!(evil.other_url, evil.url);
    assert_eq!(evil.service, SERVICE);
    for (name, _) in REPOSITORIES {
        assert!(evil.repositories.contains_key(&format!("evil/{name}")), "rig.json lacks evil/{name}");
    }
    assert!(evil.log.is_file(), "{}", evil.log.display());
}

#[test]
fn v2_answers_and_cors_is_answered_by_the_server() {
    let rig = rig();
    let evil = evil(&rig);
    let v2 = get(&format!("{}/v2/", evil.url));
    assert_eq!(v2.status, 200, "{}", v2.text());
    assert_eq!(v2.header("Access-Control-Allow-Origin").as_deref(), Some("*"));

    let url = manifest_url(evil, "evil/good");
    let preflight = curl(&[
        "-X",
        "OPTIONS",
        "-H",
        "Origin: http://page.example",
        "-H",
        "Access-Control-Request-Method: GET",
        "-H",
        "Access-Control-Request-Headers: authorization, accept",
        &url,
    ]);
    assert_eq!(preflight.status, 204);
    assert_eq!(preflight.header("Access-Control-Allow-Origin").as_deref(), Some("http://page.example"));
    let allowed = preflight.header("Access-Control-Allow-Headers").unwrap_or_default();
    assert!(allowed.contains("Authorization") && allowed.contains("Accept"), "{allowed}");

    let answer = curl(&["-H", "Origin: http://page.example", &url]);
    assert_eq!(answer.header("Access-Control-Allow-Origin").as_deref(), Some("http://page.example"));
    let exposed = answer.header("Access-Control-Expose-Headers").unwrap_or_default();
    for name in ["Docker-Content-Digest", "WWW-Authenticate", "Link", "Content-Length", "Retry-After"] {
        assert!(exposed.contains(name), "{name} not exposed: {exposed}");
    }
    // Even the 401s and the never-answering repository's preflight carry CORS.
    let challenge = curl(&["-H", "Origin: http://page.example", &manifest_url(evil, "evil/auth-forever")]);
    assert_eq!(challenge.status, 401);
    assert_eq!(challenge.header("Access-Control-Allow-Origin").as_deref(), Some("http://page.example"));
    let never = curl(&[
        "-X",
        "OPTIONS",
        "-H",
        "Origin: http://page.example",
        &manifest_url(evil, "evil/never-headers"),
    ]);
    assert_eq!(never.status, 204);
}

#[test]
fn good_image_is_served_as_its_truth_says() {
    let rig = rig();
    let evil = evil(&rig);
    let good = &evil.good;
    let url = manifest_url(evil, "evil/good");
    let answer = get(&url);
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("Docker-Content-Digest"), Some(good.manifest.digest.clone()));
    assert_eq!(sha256sum_of_url(&url), good.manifest.digest);
    assert_eq!(answer.json()["mediaType"], "application/vnd.oci.image.manifest.v1+json");
    // By digest too.
    let pinned = get(&format!("{}/v2/evil/good/manifests/{}", evil.url, good.manifest.digest));
    assert_eq!(pinned.status, 200);
    assert_eq!(pinned.body, answer.body);

    assert_eq!(sha256sum_of_url(&blob_url(evil, "evil/good", &good.config.digest)), good.config.digest);
    let layer = &good.layers[0];
    let layer_url = blob_url(evil, "evil/good", &layer.digest);
    assert_eq!(sha256sum_of_url(&layer_url), layer.claimed_digest);
    assert_eq!(bytes_of_url(&layer_url), layer.claimed_size);
    let diff_id = cmd::sha256sum_of(&format!("curl -sf --max-time 10 {} | gzip -dc", sh_quote(&layer_url)))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(diff_id, layer.claimed_diff_id);
    assert_eq!(layer.files.as_deref(), Some(&["evil/".to_owned(), "evil/hello.txt".to_owned()][..]));
    let tags = get(&format!("{}/v2/evil/good/tags/list", evil.url));
    assert_eq!(tags_of(&tags), vec![evil.tag.clone()]);
    // Unknown references are registry errors.
    assert_eq!(get(&format!("{}/v2/evil/good/manifests/nope", evil.url)).status, 404);
    assert_eq!(get(&blob_url(evil, "evil/good", &format!("sha256:{}", "0".repeat(64)))).status, 404);
    assert_eq!(get(&manifest_url(evil, "evil/no-such-behaviour")).status, 404);
}

#[test]
fn wrong_content_type_serves_the_good_manifest_as_text() {
    let rig = rig();
    let evil = evil(&rig);
    let answer = get(&manifest_url(evil, "evil/wrong-content-type"));
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("Content-Type").as_deref(), Some("text/plain; charset=utf-8"));
    assert_eq!(answer.json()["mediaType"], "application/vnd.oci.image.manifest.v1+json");
    assert_eq!(answer.header("Docker-Content-Digest"), Some(evil.good.manifest.digest.clone()));
    assert_eq!(sha256sum_of_url(&manifest_url(evil, "evil/wrong-content-type")), evil.good.manifest.digest);
}

#[test]
fn huge_manifest_is_64_mib_of_valid_json_with_its_digest() {
    let rig = rig();
    let evil = evil(&rig);
    let url = manifest_url(evil, "evil/huge-manifest");
    let head = curl(&["-I", &url]);
    let length: u64 = head.header("Content-Length").and_then(|l| l.parse().ok()).unwrap_or_default();
    assert_eq!(length, evil.huge_manifest.size);
    assert_eq!(length, 64 * MIB + evil.good.manifest.size);
    assert_eq!(head.header("Docker-Content-Digest"), Some(evil.huge_manifest.digest.clone()));
    assert_eq!(sha256sum_of_url(&url), evil.huge_manifest.digest);
    let answer = get(&url);
    assert_eq!(answer.body.len() as u64, length);
    let json = answer.json();
    assert_eq!(json["schemaVersion"], 2);
    assert_eq!(json["layers"][0]["digest"].as_str(), Some(evil.good.layers[0].digest.as_str()));
}

#[test]
fn not_json_and_deep_json_manifests_carry_their_true_digests() {
    let rig = rig();
    let evil = evil(&rig);
    let url = manifest_url(evil, "evil/not-json");
    let answer = get(&url);
    assert_eq!(answer.status, 200);
    assert!(serde_json::from_slice::<Value>(&answer.body).is_err());
    assert!(answer.text().contains("<html>"));
    assert_eq!(answer.header("Docker-Content-Digest"), Some(sha256sum_of_url(&url)));

    let url = manifest_url(evil, "evil/deep-json");
    let answer = get(&url);
    assert_eq!(answer.status, 200);
    let mut expected = vec![b'['; 100_000];
    expected.extend(vec![b']'; 100_000]);
    assert!(answer.body == expected, "not 100,000 [ then 100,000 ]");
    assert_eq!(answer.header("Docker-Content-Digest"), Some(sha256sum_of_url(&url)));
}

#[test]
fn layers_shorter_longer_and_lying_about_their_length() {
    let rig = rig();
    let evil = evil(&rig);
    let (digest, size) = good_layer(evil);
    for repo in ["evil/short-blob", "evil/long-blob", "evil/lying-length"] {
        let manifest = get(&manifest_url(evil, repo));
        assert_eq!(
            manifest.header("Docker-Content-Digest"),
            Some(evil.good.manifest.digest.clone()),
            "{repo}"
        );
    }

    let short = get(&blob_url(evil, "evil/short-blob", &digest));
    assert_eq!((short.exit, short.status), (0, 200));
    assert_eq!(short.header("Content-Length"), Some((size / 2).to_string()));
    assert_eq!(short.body.len() as u64, size / 2);

    let long_url = blob_url(evil, "evil/long-blob", &digest);
    let long = curl(&["-I", &long_url]);
    assert_eq!(long.header("Content-Length"), Some((size + 64 * MIB).to_string()));
    assert_eq!(bytes_of_url(&long_url), size + 64 * MIB);
    // Without pipefail: curl fails when head stops reading, as it should.
    let line = sh(&format!("curl -s --max-time 30 {} | head -c {size} | sha256sum", sh_quote(&long_url)));
    let head = format!("sha256:{}", line.split_whitespace().next().unwrap_or_default());
    assert_eq!(head, digest, "the long blob begins with the layer");

    let lying = get(&blob_url(evil, "evil/lying-length", &digest));
    assert_eq!(lying.exit, 18, "curl should report a partial transfer");
    assert_eq!(lying.status, 200);
    assert_eq!(lying.header("Content-Length"), Some(size.to_string()));
    assert_eq!(lying.body.len() as u64, size / 2);
    // The config is served intact.
    assert_eq!(
        sha256sum_of_url(&blob_url(evil, "evil/lying-length", &evil.good.config.digest)),
        evil.good.config.digest
    );
}

#[test]
fn gzip_bomb_has_its_digest_and_inflates_far_past_its_size() {
    let rig = rig();
    let evil = evil(&rig);
    let manifest = get(&manifest_url(evil, "evil/gzip-bomb")).json();
    let layer = &manifest["layers"][0];
    assert_eq!(layer["digest"].as_str(), Some(evil.gzip_bomb.digest.as_str()));
    assert_eq!(layer["size"].as_u64(), Some(evil.gzip_bomb.size));
    assert!(evil.gzip_bomb.size < 16 * MIB, "{}", evil.gzip_bomb.size);
    assert_eq!(evil.gzip_bomb.inflated_size, Some(10 << 30));
    let url = blob_url(evil, "evil/gzip-bomb", &evil.gzip_bomb.digest);
    assert_eq!(sha256sum_of_url(&url), evil.gzip_bomb.digest);
    // 256 MiB of zeros come out of its first ~256 KiB (the whole 10 GiB takes gzip minutes).
    let inflated = sh(&format!(
        "curl -s --max-time 60 {} | gzip -dc 2>/dev/null | head -c {} | tr -d '\\0' | wc -c; \
         curl -s --max-time 60 {} | gzip -dc 2>/dev/null | head -c {} | wc -c",
        sh_quote(&url),
        256 * MIB,
        sh_quote(&url),
        256 * MIB
    ));
    assert_eq!(inflated.split_whitespace().collect::<Vec<_>>(), ["0", &(256 * MIB).to_string()]);
    // The config's diff_id is made up, not the digest of an empty or real tar.
    let config =
        get(&blob_url(evil, "evil/gzip-bomb", manifest["config"]["digest"].as_str().unwrap_or_default()));
    let diff_id = config.json()["rootfs"]["diff_ids"][0].as_str().unwrap_or_default().to_owned();
    assert!(diff_id.starts_with("sha256:") && diff_id != evil.good.layers[0].claimed_diff_id, "{diff_id}");
}

#[test]
fn bad_deflate_layer_has_its_digest_but_does_not_inflate() {
    let rig = rig();
    let evil = evil(&rig);
    let manifest = get(&manifest_url(evil, "evil/bad-deflate")).json();
    let digest = manifest["layers"][0]["digest"].as_str().unwrap_or_default().to_owned();
    let size = manifest["layers"][0]["size"].as_u64().unwrap_or_default();
    let url = blob_url(evil, "evil/bad-deflate", &digest);
    assert_eq!(sha256sum_of_url(&url), digest);
    assert_eq!(bytes_of_url(&url), size);
    let inflates =
        cmd::succeeds(&format!("curl -sf --max-time 10 {} | gzip -dc > /dev/null", sh_quote(&url)))
            .unwrap_or_else(|e| panic!("{e}"));
    assert!(!inflates, "gzip -dc accepted the bad deflate stream");
    let head = sh(&format!("curl -s --max-time 10 {} | head -c 3 | od -An -tx1", sh_quote(&url)));
    assert_eq!(head, "1f 8b 08", "a gzip header");
}

#[test]
fn tags_endless_always_has_a_next_page() {
    let rig = rig();
    let evil = evil(&rig);
    let mut url = format!("{}/v2/evil/tags-endless/tags/list?n=50", evil.url);
    let mut seen = HashSet::new();
    for _ in 0..30 {
        let page = get(&url);
        assert_eq!(page.status, 200);
        let tags = tags_of(&page);
        assert_eq!(tags.len(), 50);
        for tag in tags {
            assert!(seen.insert(tag.clone()), "{tag} came twice");
        }
        url = next_page(evil, &page).unwrap_or_else(|| panic!("page without a next: {url}"));
    }
    assert_eq!(seen.len(), 1500);
}

#[test]
fn tags_loop_links_back_to_its_first_page() {
    let rig = rig();
    let evil = evil(&rig);
    let first = format!("{}/v2/evil/tags-loop/tags/list", evil.url);
    let a = get(&first);
    assert_eq!(tags_of(&a), ["a1", "a2", "a3"]);
    let second = next_page(evil, &a).unwrap_or_else(|| panic!("no next page"));
    assert_ne!(second, first);
    let b = get(&second);
    assert_eq!(tags_of(&b), ["b1", "b2", "b3"]);
    assert_eq!(next_page(evil, &b).as_deref(), Some(first.as_str()));
}

#[test]
fn tags_redirect_has_a_link_that_is_right_only_against_the_final_url() {
    let rig = rig();
    let evil = evil(&rig);
    let repo = unique("evil/tags-redirect/");
    let asked = get(&format!("{}/v2/{repo}/tags/list", evil.url));
    assert_eq!(asked.status, 307, "{}", asked.text());
    let moved = asked.header("Location").unwrap_or_else(|| panic!("no Location"));
    assert_eq!(moved, format!("/moved/v2/{repo}/tags/list"));
    // curl follows it to the same page.
    let followed = curl(&["-L", &format!("{}/v2/{repo}/tags/list", evil.url)]);
    assert_eq!((followed.status, tags_of(&followed)), (200, vec!["r1".to_owned(), "r2".to_owned()]));
    let first = get(&format!("{}{moved}", evil.url));
    assert_eq!(tags_of(&first), ["r1", "r2"]);
    assert_eq!(first.header("Link").as_deref(), Some("<list?page=2>; rel=\"next\""));
    // `list?page=2` replaces the last segment of the final URL's path (RFC 3986, 5.2.3)...
    let last = get(&format!("{}/moved/v2/{repo}/tags/list?page=2", evil.url));
    assert_eq!(tags_of(&last), ["r3"]);
    assert_eq!(last.header("Link"), None);
    // ...while against the URL first asked it names a page that fails.
    let wrong = get(&format!("{}/v2/{repo}/tags/list?page=2", evil.url));
    assert_eq!(wrong.status, 400, "{}", wrong.text());
    assert_eq!(get(&format!("{}/moved/v2/evil/good/tags/list", evil.url)).status, 404);
}

#[test]
fn oauth_redirect_realm_sends_every_method_to_the_other_origin() {
    let rig = rig();
    let evil = evil(&rig);
    let posted = curl(&["--data-urlencode", "grant_type=password", &format!("{}/redirect/token", evil.url)]);
    assert_eq!(posted.status, 307, "{}", posted.text());
    assert_eq!(posted.header("Location"), Some(format!("{}/token", evil.other_url)));
    let got = get(&format!("{}/redirect/token?service=s&scope=x", evil.url));
    assert_eq!(got.header("Location"), Some(format!("{}/token?service=s&scope=x", evil.other_url)));
    assert_eq!(get(&format!("{}/token?service=s", evil.other_url)).status, 404);
    let challenge = get(&format!("{}/v2/evil/oauth-redirect/manifests/latest", evil.url));
    assert_eq!(challenge.status, 401);
    let www = challenge.header("WWW-Authenticate").unwrap_or_default();
    assert!(www.contains(&format!("realm=\"{}/redirect/token\"", evil.url)), "{www}");
}

#[test]
fn tags_many_lists_150000_tags_over_pages() {
    let rig = rig();
    let evil = evil(&rig);
    let first = get(&format!("{}/v2/evil/tags-many/tags/list", evil.url));
    assert_eq!(tags_of(&first).len(), 1000, "1000 tags a page by default");
    let mut url = Some(format!("{}/v2/evil/tags-many/tags/list?n=10000", evil.url));
    let (mut tags, mut pages) = (HashSet::new(), 0);
    while let Some(next) = url {
        let page = get(&next);
        assert_eq!(page.status, 200);
        tags.extend(tags_of(&page));
        pages += 1;
        assert!(pages <= 15, "more pages than 150,000 tags need");
        url = next_page(evil, &page);
    }
    assert_eq!((tags.len(), pages), (150_000, 15));
}

#[test]
fn tags_paged_lists_3500_tags_over_four_pages_with_relative_links() {
    let rig = rig();
    let evil = evil(&rig);
    let mut url = Some(format!("{}/v2/evil/tags-paged/tags/list", evil.url));
    let (mut tags, mut links) = (Vec::new(), Vec::new());
    while let Some(next) = url {
        let page = get(&next);
        assert_eq!(page.status, 200);
        tags.extend(tags_of(&page));
        assert!(links.len() < 4, "more pages than 3,500 tags need");
        links.extend(page.header("Link"));
        url = next_page(evil, &page);
    }
    let expected: Vec<String> = (0..3500).map(|i| format!("t{i:06}")).collect();
    assert_eq!(tags, expected);
    assert_eq!(links.len(), 3, "a Link on every page but the last");
    assert!(links.iter().all(|l| l.starts_with("</v2/evil/tags-paged/tags/list?")), "{links:?}");
}

#[test]
fn catalog_lists_every_repository_over_pages_of_ten() {
    let rig = rig();
    let evil = evil(&rig);
    let mut url = Some(format!("{}/v2/_catalog", evil.url));
    let (mut names, mut pages) = (Vec::new(), 0);
    while let Some(next) = url {
        let page = get(&next);
        assert_eq!(page.status, 200, "{next}: {}", page.text());
        let listed = page.json()["repositories"].as_array().cloned().unwrap_or_default();
        assert!(!listed.is_empty() && listed.len() <= 10, "{next}: {} repositories", listed.len());
        names.extend(listed.iter().map(|n| n.as_str().unwrap_or_default().to_owned()));
        pages += 1;
        assert!(pages <= REPOSITORIES.len(), "more pages than repositories");
        if let Some(link) = page.header("Link") {
            assert!(link.starts_with("</v2/_catalog?"), "a relative Link: {link}");
        }
        url = next_page(evil, &page);
    }
    let mut expected: Vec<String> = REPOSITORIES.iter().map(|(name, _)| format!("evil/{name}")).collect();
    expected.sort();
    assert_eq!(names, expected);
    assert_eq!(pages, expected.len().div_ceil(10));
}

#[test]
fn slow_layer_serves_two_layers_the_second_after_a_pause() {
    let rig = rig();
    let evil = evil(&rig);
    let manifest = get(&manifest_url(evil, "evil/slow-layer"));
    assert_eq!(manifest.status, 200);
    let layers = manifest.json()["layers"].as_array().cloned().unwrap_or_default();
    assert_eq!(layers.len(), 2, "{}", manifest.text());
    let config_digest = manifest.json()["config"]["digest"].as_str().unwrap_or_default().to_owned();
    let config = get(&blob_url(evil, "evil/slow-layer", &config_digest));
    assert_eq!(
        cmd::sha256sum_of(&format!("printf %s {}", sh_quote(config.text()))).ok(),
        Some(config_digest)
    );
    for (i, layer) in layers.iter().enumerate() {
        let digest = layer["digest"].as_str().unwrap_or_default();
        let url = blob_url(evil, "evil/slow-layer", digest);
        let start = Instant::now();
        assert_eq!(sha256sum_of_url(&url), digest, "layer {i}");
        let took = start.elapsed();
        assert_eq!(Some(bytes_of_url(&url)), layer["size"].as_u64(), "layer {i}");
        let diff_id = cmd::sha256sum_of(&format!("curl -sf --max-time 30 {} | gzip -dc", sh_quote(&url)));
        assert_eq!(diff_id.ok().as_deref(), config.json()["rootfs"]["diff_ids"][i].as_str(), "layer {i}");
        let tar = sh(&format!("curl -sf --max-time 30 {} | gzip -dc | tar -tf -", sh_quote(&url)));
        if i == 0 {
            assert!(took < Duration::from_secs(2), "layer 0 took {took:?}");
            assert_eq!(tar, "evil/\nevil/hello.txt");
        } else {
            assert!(
                (Duration::from_secs(4)..Duration::from_secs(20)).contains(&took),
                "layer 1 took {took:?}"
            );
            assert_eq!(tar, "evil/slow.txt");
        }
    }
}

#[test]
fn redirect_loop_goes_from_a_to_b_and_back() {
    let rig = rig();
    let evil = evil(&rig);
    let (digest, size) = good_layer(evil);
    let a = blob_url(evil, "evil/redirect-loop", &digest);
    let first = get(&a);
    assert_eq!(first.status, 307);
    let b = format!("{}{}", evil.url, first.header("Location").unwrap_or_default());
    assert_eq!(b, format!("{a}?loop=b"));
    let second = get(&b);
    assert_eq!(second.status, 307);
    assert_eq!(format!("{}{}", evil.url, second.header("Location").unwrap_or_default()), a);
    let followed = curl(&["-L", "--max-redirs", "10", &a]);
    assert_eq!(followed.exit, 47, "curl should give up after too many redirects");
    let head = curl(&["-I", &a]);
    assert_eq!(head.status, 200);
    assert_eq!(head.header("Content-Length"), Some(size.to_string()));
}

#[test]
fn redirect_cross_sends_blobs_to_the_other_origin_which_logs_authorization() {
    let rig = rig();
    let evil = evil(&rig);
    let (digest, _) = good_layer(evil);
    let repo = "evil/redirect-cross";
    let url = blob_url(evil, repo, &digest);
    let challenge = get(&url);
    assert_eq!(challenge.status, 401);
    let www = challenge.header("WWW-Authenticate").unwrap_or_default();
    assert_eq!(
        www,
        format!("Bearer realm=\"{}/token\",service=\"{SERVICE}\",scope=\"repository:{repo}:pull\"", evil.url)
    );
    let token = get(&format!("{}/token?service={SERVICE}&scope=repository:{repo}:pull", evil.url));
    let auth = format!("Authorization: Bearer {}", field(&token, "token"));
    let redirect = curl(&["-H", &auth, &url]);
    assert_eq!(redirect.status, 307);
    let location = redirect.header("Location").unwrap_or_default();
    assert_eq!(location, format!("{}/cdn/{digest}", evil.other_url));
    assert_eq!(curl(&["-I", "-H", &auth, &url]).status, 200, "HEAD is answered by the registry");

    // The other origin serves the blob to anyone and logs whether Authorization came along.
    let clean = unique("clean");
    let leaked = unique("leaked");
    assert_eq!(sha256sum_of_url(&format!("{location}?probe={clean}")), digest);
    let with_auth =
        curl(&["-H", "Authorization: Bearer leaked-on-purpose", &format!("{location}?probe={leaked}")]);
    assert_eq!(with_auth.status, 200);
    let clean_lines = log_lines(evil, &clean);
    assert_eq!(clean_lines.len(), 1, "{clean_lines:?}");
    assert!(
        clean_lines[0].starts_with("other GET /cdn/") && clean_lines[0].contains(" auth=- "),
        "{clean_lines:?}"
    );
    let leaked_lines = log_lines(evil, &leaked);
    assert!(leaked_lines.iter().all(|l| l.contains(" auth=bearer ")), "{leaked_lines:?}");
    // Followed, the redirect ends at the blob.
    let via = curl(&["-L", "-H", &auth, &url]);
    assert_eq!(via.status, 200);
}

#[test]
fn never_headers_sends_nothing_until_the_client_gives_up() {
    let rig = rig();
    let evil = evil(&rig);
    let marker = unique("never");
    let answer =
        curl(&["--max-time", "3", &format!("{}?probe={marker}", manifest_url(evil, "evil/never-headers"))]);
    assert_eq!(answer.exit, 28, "curl should time out");
    assert!(answer.elapsed >= Duration::from_millis(2900), "{:?}", answer.elapsed);
    assert_eq!((answer.status, answer.body.len()), (0, 0), "nothing at all was sent");
    let lines = log_lines(evil, &marker);
    assert_eq!(lines.len(), 1);
    assert!(lines[0].ends_with("-> hang"), "{lines:?}");
}

#[test]
fn drip_sends_its_headers_then_a_byte_every_five_seconds() {
    let rig = rig();
    let evil = evil(&rig);
    let url = manifest_url(evil, "evil/drip");
    let answer = curl(&["--max-time", "7", &url]);
    assert_eq!(answer.exit, 28, "curl should time out");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("Content-Length"), Some(evil.good.manifest.size.to_string()));
    assert_eq!(answer.header("Docker-Content-Digest"), Some(evil.good.manifest.digest.clone()));
    assert!((1..=2).contains(&answer.body.len()), "{} bytes in 7 s", answer.body.len());
    assert_eq!(answer.body[0], b'{');
}

#[test]
fn auth_forever_issues_tokens_that_never_work() {
    let rig = rig();
    let evil = evil(&rig);
    let repo = "evil/auth-forever";
    let url = manifest_url(evil, repo);
    let challenge = get(&url);
    assert_eq!(challenge.status, 401);
    let realm = format!("{}/forever/token", evil.url);
    assert_eq!(
        challenge.header("WWW-Authenticate"),
        Some(format!("Bearer realm=\"{realm}\",service=\"{SERVICE}\",scope=\"repository:{repo}:pull\""))
    );
    let mut tokens = HashSet::new();
    for _ in 0..3 {
        let issued = get(&format!("{realm}?service={SERVICE}&scope=repository:{repo}:pull"));
        assert_eq!(issued.status, 200);
        let token = field(&issued, "token");
        assert_eq!(field(&issued, "access_token"), token);
        assert!(tokens.insert(token.clone()), "{token} issued twice");
        let refused = curl(&["-H", &format!("Authorization: Bearer {token}"), &url]);
        assert_eq!(refused.status, 401);
        assert!(refused.header("WWW-Authenticate").unwrap_or_default().ends_with(",error=\"invalid_token\""));
    }
}

#[test]
fn odd_realms_and_malformed_challenges() {
    let rig = rig();
    let evil = evil(&rig);
    let host = &evil.host;
    let url = &evil.url;
    let plain = |repo: &str, realm: &str| {
        format!("Bearer realm=\"{realm}\",service=\"{SERVICE}\",scope=\"repository:{repo}:pull\"")
    };
    let cases = [
        ("evil/realm-javascript", plain("evil/realm-javascript", "javascript:alert(1)")),
        ("evil/realm-file", plain("evil/realm-file", "file:///etc/passwd")),
        ("evil/realm-data", plain("evil/realm-data", "data:text/plain,x")),
        ("evil/realm-relative", plain("evil/realm-relative", "/evil-token")),
        ("evil/realm-ftp", plain("evil/realm-ftp", &format!("ftp://{host}/token"))),
        ("evil/challenge-unterminated", format!("Bearer realm=\"{url}/forever/token,service={SERVICE}")),
        (
            "evil/challenge-duplicate-realm",
            format!(
                "Bearer realm=\"{url}/dup-a/token\",realm=\"{url}/dup-b/token\",service=\"{SERVICE}\",scope=\"repository:evil/challenge-duplicate-realm:pull\""
            ),
        ),
        (
            "evil/challenge-no-realm",
            format!("Bearer service=\"{SERVICE}\",scope=\"repository:evil/challenge-no-realm:pull\""),
        ),
        ("evil/token-not-json", plain("evil/token-not-json", &format!("{url}/token-not-json"))),
        ("evil/token-no-token", plain("evil/token-no-token", &format!("{url}/token-no-token"))),
    ];
    for (repo, expected) in cases {
        for path in [format!("{url}/v2/{repo}/manifests/latest"), format!("{url}/v2/{repo}/tags/list")] {
            let answer = get(&path);
            assert_eq!(answer.status, 401, "{path}");
            assert_eq!(answer.header("WWW-Authenticate"), Some(expected.clone()), "{path}");
        }
    }
    // The realms the odd challenges point at on the server itself issue tokens that do not work.
    for realm in ["/evil-token", "/dup-a/token", "/dup-b/token", "/forever/token"] {
        let issued = get(&format!("{url}{realm}?service={SERVICE}"));
        assert_eq!(issued.status, 200, "{realm}");
        let token = field(&issued, "token");
        let refused = curl(&[
            "-H",
            &format!("Authorization: Bearer {token}"),
            &manifest_url(evil, "evil/realm-relative"),
        ]);
        assert_eq!(refused.status, 401);
    }
}

#[test]
fn token_endpoints_that_answer_without_a_token() {
    let rig = rig();
    let evil = evil(&rig);
    let html = get(&format!("{}/token-not-json?service={SERVICE}", evil.url));
    assert_eq!(html.status, 200);
    assert_eq!(html.header("Content-Type").as_deref(), Some("text/html"));
    assert!(serde_json::from_slice::<Value>(&html.body).is_err());
    let empty = get(&format!("{}/token-no-token?service={SERVICE}", evil.url));
    assert_eq!(empty.status, 200);
    let json = empty.json();
    assert!(json.is_object() && json.get("token").is_none() && json.get("access_token").is_none(), "{json}");
}

/// A form POST to a token endpoint.
fn post_form(url: &str, form: &str) -> Curl {
    curl(&["-X", "POST", "-H", "Content-Type: application/x-www-form-urlencoded", "--data-raw", form, url])
}

#[test]
fn oauth_realm_speaks_only_the_post_flow() {
    let rig = rig();
    let evil = evil(&rig);
    let alice = rig.user("alice").unwrap_or_else(|e| panic!("{e}"));
    let realm = format!("{}/oauth/token", evil.url);
    let repo = "evil/oauth";
    let url = manifest_url(evil, repo);
    let challenge = get(&url);
    assert_eq!(challenge.status, 401);
    assert!(challenge.header("WWW-Authenticate").unwrap_or_default().contains(&format!("realm=\"{realm}\"")));
    assert_eq!(get(&format!("{realm}?service={SERVICE}&scope=repository:{repo}:pull")).status, 404);

    let client = unique("client");
    let password_form = format!(
        "grant_type=password&username={}&password={}&service={SERVICE}&client_id={client}&scope=repository%3A{}%3Apull",
        alice.username,
        alice.password,
        repo.replace('/', "%2F")
    );
    // Without access_type=offline: an access token, no refresh token.
    let online = post_form(&realm, &password_form);
    assert_eq!(online.status, 200, "{}", online.text());
    let json = online.json();
    assert!(json.get("refresh_token").is_none(), "{json}");
    assert_eq!(json["scope"], format!("repository:{repo}:pull"));
    assert_eq!(json["expires_in"], 60);
    assert_eq!(json["token_type"], "Bearer");
    let pulled = curl(&["-H", &format!("Authorization: Bearer {}", field(&online, "access_token")), &url]);
    assert_eq!(pulled.status, 200);
    assert_eq!(pulled.header("Docker-Content-Digest"), Some(evil.good.manifest.digest.clone()));

    // With it: a refresh token, which gets new access tokens.
    let offline = post_form(&realm, &format!("{password_form}&access_type=offline"));
    let refresh = field(&offline, "refresh_token");
    let refreshed = post_form(
        &realm,
        &format!(
            "grant_type=refresh_token&refresh_token={refresh}&service={SERVICE}&client_id={client}&scope=repository:{repo}:pull"
        ),
    );
    assert_eq!(refreshed.status, 200, "{}", refreshed.text());
    assert_eq!(field(&refreshed, "refresh_token"), refresh);
    let pulled = curl(&["-H", &format!("Authorization: Bearer {}", field(&refreshed, "access_token")), &url]);
    assert_eq!(pulled.status, 200);

    // What it refuses, and how.
    let refused = |form: &str, content_type: &str| {
        let answer =
            curl(&["-X", "POST", "-H", &format!("Content-Type: {content_type}"), "--data-raw", form, &realm]);
        assert_eq!(answer.status, 400, "{form}: {}", answer.text());
        field(&answer, "error")
    };
    let form = "application/x-www-form-urlencoded";
    assert_eq!(refused(&password_form.replace(&alice.password, "wrong"), form), "invalid_grant");
    assert_eq!(refused(&password_form, "application/json"), "invalid_request");
    assert_eq!(refused(&password_form.replace(&format!("&client_id={client}"), ""), form), "invalid_request");
    assert_eq!(refused(&password_form.replace(SERVICE, "other"), form), "invalid_request");
    assert_eq!(
        refused(&password_form.replace("grant_type=password", "grant_type=client_credentials"), form),
        "unsupported_grant_type"
    );
    assert_eq!(
        refused(
            &format!("grant_type=refresh_token&refresh_token=made-up&service={SERVICE}&client_id={client}"),
            form
        ),
        "invalid_grant"
    );
    // An anonymous token from /token is not enough here.
    let anonymous = get(&format!("{}/token?service={SERVICE}&scope=repository:{repo}:pull", evil.url));
    let answer = curl(&["-H", &format!("Authorization: Bearer {}", field(&anonymous, "token")), &url]);
    assert_eq!(answer.status, 401);
    assert!(answer.header("WWW-Authenticate").unwrap_or_default().contains("insufficient_scope"));
    // The log shows the form, never the password.
    let lines = log_lines(evil, &format!("client_id={client}"));
    assert!(lines.len() >= 6, "{lines:?}");
    assert!(lines.iter().all(|l| !l.contains(&alice.password) && !l.contains(&refresh)), "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("grant_type=password&username=alice&password=*&")), "{lines:?}");
}

#[test]
fn oauth_both_realm_answers_get_and_post() {
    let rig = rig();
    let evil = evil(&rig);
    let alice = rig.user("alice").unwrap_or_else(|e| panic!("{e}"));
    let repo = "evil/oauth-both";
    let realm = format!("{}/token", evil.url);
    let url = manifest_url(evil, repo);
    let basic = format!("{}:{}", alice.username, alice.password);
    let issued = curl(&[
        "-u",
        &basic,
        &format!("{realm}?service={SERVICE}&scope=repository:{repo}:pull&offline_token=true&client_id=t"),
    ]);
    assert_eq!(issued.status, 200, "{}", issued.text());
    let refresh = field(&issued, "refresh_token");
    assert_eq!(
        curl(&["-H", &format!("Authorization: Bearer {}", field(&issued, "token")), &url]).status,
        200
    );
    let posted = post_form(
        &realm,
        &format!(
            "grant_type=refresh_token&refresh_token={refresh}&service={SERVICE}&client_id=t&scope=repository:{repo}:pull"
        ),
    );
    assert_eq!(posted.status, 200, "{}", posted.text());
    assert_eq!(
        curl(&["-H", &format!("Authorization: Bearer {}", field(&posted, "access_token")), &url]).status,
        200
    );
    let wrong = curl(&[
        "-u",
        &format!("{}:wrong", alice.username),
        &format!("{realm}?service={SERVICE}&scope=repository:{repo}:pull"),
    ]);
    assert_eq!(wrong.status, 401);
    // A token for another repository does not open this one.
    let other = curl(&["-u", &basic, &format!("{realm}?service={SERVICE}&scope=repository:evil/oauth:pull")]);
    let answer = curl(&["-H", &format!("Authorization: Bearer {}", field(&other, "token")), &url]);
    assert_eq!(answer.status, 401);
    assert!(answer.header("WWW-Authenticate").unwrap_or_default().contains("insufficient_scope"));
    let garbage = curl(&["-H", "Authorization: Bearer evil.x.1.y.z", &url]);
    assert!(garbage.header("WWW-Authenticate").unwrap_or_default().contains("invalid_token"));
}

#[test]
fn statuses_fail_and_recover_as_counted() {
    let rig = rig();
    let evil = evil(&rig);
    // Each run uses repositories of its own (evil/<name>/<unique>), so its counters start at 1.
    let run = unique("run");
    let statuses = |name: &str, method: &str, times: usize| -> Vec<(u16, Option<String>)> {
        let url = manifest_url(evil, &format!("evil/{name}/{run}"));
        (0..times)
            .map(|_| {
                let answer = if method == "HEAD" { curl(&["-I", &url]) } else { get(&url) };
                (answer.status, answer.header("Retry-After"))
            })
            .collect()
    };
    let one = Some("1".to_owned());
    let hour = Some("3600".to_owned());
    assert_eq!(
        statuses("status-429-once", "GET", 4),
        [(429, one.clone()), (200, None), (429, one.clone()), (200, None)]
    );
    assert_eq!(
        statuses("status-429-once", "HEAD", 2),
        [(429, one.clone()), (200, None)],
        "HEAD counts apart"
    );
    assert_eq!(
        statuses("status-429-hour", "GET", 3),
        [(429, hour.clone()), (429, hour.clone()), (429, hour)]
    );
    assert_eq!(statuses("status-500", "GET", 2), [(500, None), (500, None)]);
    assert_eq!(statuses("status-502-once", "GET", 3), [(502, None), (200, None), (502, None)]);
    assert_eq!(
        statuses("status-503-twice", "GET", 4),
        [(503, one.clone()), (503, one.clone()), (200, None), (503, one)]
    );
    assert_eq!(statuses("status-504", "GET", 2), [(504, None), (504, None)]);
    // A recovered answer is the good image.
    let url = manifest_url(evil, &format!("evil/status-502-once/{run}b"));
    assert_eq!(get(&url).status, 502);
    let answer = get(&url);
    assert_eq!(answer.header("Docker-Content-Digest"), Some(evil.good.manifest.digest.clone()));
    let error = get(&manifest_url(evil, &format!("evil/status-500/{run}"))).json();
    assert_eq!(error["errors"][0]["code"], "UNKNOWN");
}

#[test]
fn hostile_strings_in_every_string_a_registry_controls() {
    let rig = rig();
    let evil = evil(&rig);
    let tags = tags_of(&get(&format!("{}/v2/evil/hostile/tags/list", evil.url)));
    assert!(tags.contains(&HOSTILE_SCRIPT.to_owned()) && tags.contains(&HOSTILE_IMG.to_owned()), "{tags:?}");
    let url = manifest_url(evil, "evil/hostile");
    let manifest = get(&url);
    assert_eq!(manifest.header("Docker-Content-Digest"), Some(sha256sum_of_url(&url)));
    let annotations = manifest.json()["annotations"].clone();
    assert_eq!(annotations["org.opencontainers.image.description"], HOSTILE_SCRIPT);
    assert_eq!(annotations[HOSTILE_SCRIPT], HOSTILE_IMG);
    let missing = get(&format!("{}/v2/evil/hostile/manifests/nope", evil.url));
    assert_eq!(missing.status, 404);
    let errors = missing.json()["errors"].clone();
    assert_eq!(errors[0]["message"], HOSTILE_SCRIPT);
    assert_eq!(errors[0]["detail"], HOSTILE_IMG);
    assert_eq!(errors[1]["code"], HOSTILE_SCRIPT);
    let blob = get(&blob_url(evil, "evil/hostile", &format!("sha256:{}", "1".repeat(64))));
    assert_eq!(
        (blob.status, blob.json()["errors"][0]["message"].clone()),
        (404, Value::from(HOSTILE_SCRIPT))
    );

    let garbage = get(&manifest_url(evil, "evil/hostile-digest"));
    assert_eq!(garbage.status, 200);
    assert_eq!(garbage.header("Docker-Content-Digest").as_deref(), Some(HOSTILE_SCRIPT));
    assert_eq!(sha256sum_of_url(&manifest_url(evil, "evil/hostile-digest")), evil.good.manifest.digest);
    let layer = get(&blob_url(evil, "evil/hostile-digest", &evil.good.layers[0].digest));
    assert_eq!(layer.header("Docker-Content-Digest").as_deref(), Some(HOSTILE_IMG));
}

/// Sends raw bytes to the evil registry and returns what it answers (at most 5 s).
fn raw(evil: &EvilInfo, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(&evil.host).unwrap_or_else(|e| panic!("connect {}: {e}", evil.host));
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap_or_else(|e| panic!("{e}"));
    // The server may answer (and close) before reading all of a too-large request.
    let _ = stream.write_all(request);
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn malformed_requests_get_a_400_and_the_server_carries_on() {
    let rig = rig();
    let evil = evil(&rig);
    let huge_header = format!("GET /v2/ HTTP/1.1\r\nX-Big: {}\r\n\r\n", "a".repeat(20_000));
    let cases: [(&[u8], &str); 10] = [
        (b"GARBAGE\r\n\r\n", "HTTP/1.1 400 "),
        (b"get /v2/ HTTP/1.1\r\n\r\n", "HTTP/1.1 400 "),
        (b"GET /v2/ HTTP/2.0\r\n\r\n", "HTTP/1.1 400 "),
        (b"GET /v2/ HTTP/1.1\r\nHost: \xff\xfe\r\n\r\n", "HTTP/1.1 400 "),
        (b"GET /v2/ HTTP/1.1\r\nno colon\r\n\r\n", "HTTP/1.1 400 "),
        (b"GET /v2/ HTTP/1.1\r\n folded: x\r\n\r\n", "HTTP/1.1 400 "),
        (b"POST /token HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", "HTTP/1.1 400 "),
        (b"POST /token HTTP/1.1\r\nContent-Length: 100000\r\n\r\n", "HTTP/1.1 413 "),
        (b"POST /token HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "HTTP/1.1 400 "),
        (huge_header.as_bytes(), "HTTP/1.1 431 "),
    ];
    for (request, expected) in cases {
        let answer = raw(evil, request);
        assert!(answer.starts_with(expected), "{:?} -> {answer:?}", String::from_utf8_lossy(request));
    }
    // A body shorter than its Content-Length; a head cut short; a client that sends nothing.
    let short = raw(evil, b"POST /token HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
    assert!(short.starts_with("HTTP/1.1 400 "), "{short}");
    assert!(raw(evil, b"GET /v2/ HTTP/1.1\r\nHost: x\r\n").starts_with("HTTP/1.1 400 "));
    assert_eq!(raw(evil, b""), "");
    let answer = raw(evil, b"GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    assert_eq!(get(&manifest_url(evil, "evil/good")).status, 200);
}

#[test]
fn log_has_one_line_per_request() {
    let rig = rig();
    let evil = evil(&rig);
    let marker = unique("logline");
    let answer = curl(&[
        "-H",
        "Origin: http://page.example",
        "-u",
        "alice:secret-never-logged",
        &format!("{}?probe={marker}", manifest_url(evil, "evil/good")),
    ]);
    assert_eq!(answer.status, 200);
    let lines = log_lines(evil, &marker);
    assert_eq!(
        lines,
        [format!(
            "main GET /v2/evil/good/manifests/latest?probe={marker} origin=http://page.example auth=basic:alice -> 200"
        )]
    );
}

#[test]
fn server_memory_stays_small_while_it_streams_large_answers() {
    let rig = rig();
    let evil = evil(&rig);
    let (digest, _) = good_layer(evil);
    for url in [
        manifest_url(evil, "evil/huge-manifest"),
        blob_url(evil, "evil/gzip-bomb", &evil.gzip_bomb.digest),
        blob_url(evil, "evil/long-blob", &digest),
    ] {
        assert!(bytes_of_url(&url) > MIB, "{url}");
    }
    let peak = server_peak_kib(&rig);
    assert!(peak < 64 * 1024, "regsight-evil peaked at {peak} KiB");
}
