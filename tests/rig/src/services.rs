//! Configuring, starting and stopping the rig's processes: five registries (open, token, basic,
//! hub, pull-through cache), the token server, the evil registry and nginx.

use std::fs;
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::info::{CdnInfo, HubInfo, PullThroughInfo, RegistryInfo, TokenServerInfo, User};
use crate::paths::{RigPaths, port, workspace_root};
use crate::{Result, cmd, evil, fixtures, rig_err};

/// The `service` the token registry and token server agree on.
pub const SERVICE: &str = "regsight-rig";
/// The `iss` claim of rig tokens.
pub const ISSUER: &str = "regsight-rig-tokend";
/// Lifetime of rig tokens in seconds: the minimum clients honour, so expiry is reachable in tests.
pub const TOKEN_EXPIRES_IN: u64 = 60;

/// How to start a rig.
#[derive(Debug, Clone)]
pub struct UpOptions {
    /// Path of the built `regsight-tokend` binary.
    pub tokend: PathBuf,
    /// Path of the built `regsight-evil` binary.
    pub evil: PathBuf,
    /// A directory for nginx to serve as the demo page, and the port to serve it on.
    pub page: Option<(PathBuf, u16)>,
    /// Keep the services running after this process exits (own process group).
    pub detach: bool,
}

/// The rig's running processes.
pub struct Services {
    children: Vec<(String, Child)>,
}

/// The accounts of every rig.
pub fn users() -> Vec<User> {
    vec![
        User {
            username: "alice".into(),
            password: "wonderland-rig".into(),
            note: "may pull public/*, library/* and private/*".into(),
        },
        User {
            username: "stale".into(),
            password: "stale-rig".into(),
            note: "its tokens die at the registry ~2 s after issue though they claim 60 s (tests refresh on invalid_token)"
                .into(),
        },
    ]
}

/// The registry descriptions of a rig, as written to `rig.json`.
pub fn registries(paths: &RigPaths) -> (RegistryInfo, RegistryInfo, RegistryInfo, TokenServerInfo) {
    let registry = |kind: &str, offset, anonymous: &[&str]| RegistryInfo {
        kind: kind.into(),
        url: paths.url(offset),
        host: format!("127.0.0.1:{}", paths.port(offset)),
        anonymous_pull: anonymous.iter().map(|s| (*s).to_owned()).collect(),
    };
    (
        registry("open", port::OPEN, &["public/", "private/"]),
        registry("token", port::TOKEN_FRONT, &["public/", "library/"]),
        registry("basic", port::BASIC_FRONT, &[]),
        TokenServerInfo {
            realm: format!("{}/token", paths.url(port::TOKEN_FRONT)),
            service: SERVICE.into(),
            issuer: ISSUER.into(),
            expires_in: TOKEN_EXPIRES_IN,
            log: paths.logs().join("tokend-requests.log"),
        },
    )
}

/// The redirecting front and its CDN, as written to `rig.json`.
pub fn redirecting(paths: &RigPaths) -> (RegistryInfo, CdnInfo) {
    (
        RegistryInfo {
            kind: "redirect".into(),
            url: paths.url(port::REDIRECT_FRONT),
            host: format!("127.0.0.1:{}", paths.port(port::REDIRECT_FRONT)),
            anonymous_pull: vec!["public/".into(), "library/".into()],
        },
        CdnInfo { url: paths.url(port::CDN), log: paths.logs().join("cdn-access.log") },
    )
}

/// The hub-like registry, as written to `rig.json`.
pub fn hub(paths: &RigPaths) -> HubInfo {
    HubInfo {
        kind: "hub".into(),
        url: paths.url(port::HUB_FRONT),
        host: format!("127.0.0.1:{}", paths.port(port::HUB_FRONT)),
        realm: format!("{}/token", paths.url(port::HUB_AUTH)),
        auth_url: paths.url(port::HUB_AUTH),
        cdn: CdnInfo { url: paths.url(port::HUB_CDN), log: paths.logs().join("hub-cdn-access.log") },
        images: fixtures::hub_images(),
        private: fixtures::hub_private_images(),
    }
}

/// The pull-through cache of the token front, as written to `rig.json`.
pub fn pull_through(paths: &RigPaths) -> PullThroughInfo {
    PullThroughInfo {
        url: paths.url(port::PULL_THROUGH),
        host: format!("127.0.0.1:{}", paths.port(port::PULL_THROUGH)),
        upstream: paths.url(port::TOKEN_FRONT),
        config: paths.conf().join("pull-through.yml"),
    }
}

/// Writes every configuration file and starts every service; returns once all ports answer.
pub fn start(paths: &RigPaths, options: &UpOptions) -> Result<Services> {
    fs::create_dir_all(paths.conf())?;
    fs::create_dir_all(paths.logs())?;
    fs::create_dir_all(paths.storage())?;
    fs::create_dir_all(paths.pull_through_storage())?;
    let conf = paths.conf();
    write_keys(&conf)?;
    write_htpasswd(&conf.join("htpasswd"))?;
    let storage = paths.storage();

    // No line continuations here: they would eat the YAML indentation.
    let open_headers = concat!(
        "  headers:\n",
        "    X-Content-Type-Options: [nosniff]\n",
        "    Access-Control-Allow-Origin: ['*']\n",
        "    Access-Control-Allow-Methods: [HEAD, GET, OPTIONS]\n",
        "    Access-Control-Allow-Headers: [Authorization, Accept, Range, If-None-Match]\n",
        "    Access-Control-Expose-Headers: [WWW-Authenticate, Docker-Content-Digest, ",
        "Docker-Distribution-Api-Version, Link, Content-Length, Content-Range, Accept-Ranges, ETag, ",
        "Retry-After, Warning]\n",
        "    Access-Control-Max-Age: [600]\n",
    );
    let (_, _, _, token_info) = registries(paths);
    let token_auth = format!(
        "auth:\n  token:\n    realm: {}\n    service: {SERVICE}\n    issuer: {ISSUER}\n    rootcertbundle: {}\n",
        token_info.realm,
        conf.join("token-cert.pem").display()
    );
    // The hub's realm is on its own origin, like auth.docker.io for registry-1.docker.io; same
    // service, issuer and certificate, so the one token server serves both.
    let hub_auth = format!(
        "auth:\n  token:\n    realm: {}\n    service: {SERVICE}\n    issuer: {ISSUER}\n    rootcertbundle: {}\n",
        hub(paths).realm,
        conf.join("token-cert.pem").display()
    );
    let basic_auth = format!(
        "auth:\n  htpasswd:\n    realm: regsight-rig-basic\n    path: {}\n",
        conf.join("htpasswd").display()
    );
    write_registry_config(&conf.join("open.yml"), &storage, paths.port(port::OPEN), open_headers, "")?;
    write_registry_config(
        &conf.join("token.yml"),
        &storage,
        paths.port(port::TOKEN_REGISTRY),
        "",
        &token_auth,
    )?;
    write_registry_config(
        &conf.join("basic.yml"),
        &storage,
        paths.port(port::BASIC_REGISTRY),
        "",
        &basic_auth,
    )?;
    // No `http.headers`: the hub sends no CORS header at all.
    write_registry_config(&conf.join("hub.yml"), &storage, paths.port(port::HUB_REGISTRY), "", &hub_auth)?;
    write_pull_through_config(paths, open_headers)?;
    let tokend_config = serde_json::json!({
        "listen": format!("127.0.0.1:{}", paths.port(port::TOKEN_SERVER)),
        "issuer": ISSUER,
        "service": SERVICE,
        "keyFile": conf.join("token-key.pk8.pem"),
        "expiresIn": TOKEN_EXPIRES_IN,
        "requestLog": token_info.log,
        "users": users(),
    });
    fs::write(conf.join("tokend.json"), serde_json::to_vec_pretty(&tokend_config)?)?;
    fs::write(conf.join("evil.json"), serde_json::to_vec_pretty(&evil::server_config(paths))?)?;
    write_nginx_config(paths, options.page.as_ref())?;

    let mut services = Services { children: Vec::new() };
    let registry = |name: &str| {
        let mut c = Command::new("docker-registry");
        c.arg("serve").arg(conf.join(format!("{name}.yml")));
        c
    };
    services.spawn(paths, "registry-open", registry("open"), options.detach)?;
    services.spawn(paths, "registry-token", registry("token"), options.detach)?;
    services.spawn(paths, "registry-basic", registry("basic"), options.detach)?;
    services.spawn(paths, "registry-hub", registry("hub"), options.detach)?;
    let mut tokend = Command::new(&options.tokend);
    tokend.arg(conf.join("tokend.json"));
    services.spawn(paths, "tokend", tokend, options.detach)?;
    let mut evil = Command::new(&options.evil);
    evil.arg(conf.join("evil.json"));
    services.spawn(paths, "evil", evil, options.detach)?;
    let mut nginx = Command::new("nginx");
    nginx
        .arg("-p")
        .arg(paths.root.join("nginx"))
        .arg("-e")
        .arg(paths.logs().join("nginx-error.log"))
        .arg("-c")
        .arg(conf.join("nginx.conf"))
        .args(["-g", "daemon off;"]);
    services.spawn(paths, "nginx", nginx, options.detach)?;
    services.write_pids(paths)?;

    let ports = vec![
        ("registry-open", port::OPEN),
        ("registry-token", port::TOKEN_REGISTRY),
        ("registry-basic", port::BASIC_REGISTRY),
        ("registry-hub", port::HUB_REGISTRY),
        ("tokend", port::TOKEN_SERVER),
        ("evil", port::EVIL),
        ("evil", port::EVIL_OTHER),
        ("nginx", port::TOKEN_FRONT),
        ("nginx", port::BASIC_FRONT),
        ("nginx", port::REDIRECT_FRONT),
        ("nginx", port::CDN),
        ("nginx", port::HUB_FRONT),
        ("nginx", port::HUB_AUTH),
        ("nginx", port::HUB_CDN),
    ];
    let mut ports: Vec<(&str, u16)> =
        ports.into_iter().map(|(name, offset)| (name, paths.port(offset))).collect();
    if let Some((_, page_port)) = &options.page {
        ports.push(("nginx", *page_port));
    }
    for (name, port) in ports {
        services.wait_for_port(paths, name, port)?;
    }
    // Given credentials, distribution 2.8 asks the upstream's /v2/ for its challenge as it starts,
    // and panics if the upstream does not answer: start the cache once the token front listens.
    services.spawn(paths, "registry-pull-through", registry("pull-through"), options.detach)?;
    services.write_pids(paths)?;
    services.wait_for_port(paths, "registry-pull-through", paths.port(port::PULL_THROUGH))?;
    Ok(services)
}

impl Services {
    fn spawn(&mut self, paths: &RigPaths, name: &str, mut command: Command, detach: bool) -> Result<()> {
        let log = paths.logs().join(format!("{name}.log"));
        let out = fs::File::create(&log)?;
        let err = out.try_clone()?;
        command.stdin(Stdio::null()).stdout(out).stderr(err);
        if detach {
            command.process_group(0);
        }
        let child = command
            .spawn()
            .map_err(|e| rig_err!("cannot start {name} ({command:?}): {e}; run `cargo xtask setup`"))?;
        self.children.push((name.to_owned(), child));
        Ok(())
    }

    /// Records every started service's pid, so `rig down` stops them.
    fn write_pids(&self, paths: &RigPaths) -> Result<()> {
        let pids: Vec<String> = self.children.iter().map(|(name, c)| format!("{} {name}", c.id())).collect();
        fs::write(paths.pids_file(), pids.join("\n") + "\n")?;
        Ok(())
    }

    fn wait_for_port(&mut self, paths: &RigPaths, name: &str, port: u16) -> Result<()> {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if let Some((_, child)) = self.children.iter_mut().find(|(n, _)| n == name)
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(rig_err!(
                    "{name} exited ({status}) before listening on {port}:\n{}",
                    log_tail(paths, name)
                ));
            }
            if Instant::now() > deadline {
                return Err(rig_err!(
                    "{name} does not listen on {port} after 30 s:\n{}",
                    log_tail(paths, name)
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until any service exits (used by the demo, which runs until interrupted).
    pub fn wait_any(&mut self) -> Result<String> {
        loop {
            for (name, child) in &mut self.children {
                if let Ok(Some(status)) = child.try_wait() {
                    return Ok(format!("{name} exited ({status})"));
                }
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

/// The last lines of a service's log, for error messages.
pub fn log_tail(paths: &RigPaths, name: &str) -> String {
    let text = fs::read_to_string(paths.logs().join(format!("{name}.log"))).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Stops the services recorded in the rig's pid file (if any) and waits for them to go.
pub fn stop(paths: &RigPaths) -> Result<()> {
    let Ok(text) = fs::read_to_string(paths.pids_file()) else { return Ok(()) };
    let pids: Vec<&str> = text.lines().filter_map(|l| l.split_whitespace().next()).collect();
    for pid in &pids {
        // A service that already exited is fine.
        let _ = Command::new("kill").arg(pid).stderr(Stdio::null()).status();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while pids.iter().any(|pid| Path::new(&format!("/proc/{pid}")).exists()) {
        if Instant::now() > deadline {
            for pid in &pids {
                let _ = Command::new("kill").args(["-9", pid]).stderr(Stdio::null()).status();
            }
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    fs::remove_file(paths.pids_file())?;
    Ok(())
}

/// One line per recorded service: pid, name, and whether it is alive.
pub fn status(paths: &RigPaths) -> String {
    let Ok(text) = fs::read_to_string(paths.pids_file()) else {
        return format!("rig {:?} is not running", paths.name);
    };
    text.lines()
        .map(|line| {
            let pid = line.split_whitespace().next().unwrap_or_default();
            let alive = Path::new(&format!("/proc/{pid}")).exists();
            format!("{line}: {}", if alive { "running" } else { "gone" })
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn write_registry_config(path: &Path, storage: &Path, port: u16, headers: &str, auth: &str) -> Result<()> {
    let yaml = format!(
        "version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
{auth}http:
  addr: 127.0.0.1:{port}
  secret: regsight-rig-not-a-secret
{headers}",
        storage = storage.display()
    );
    fs::write(path, yaml)?;
    Ok(())
}

/// A P-256 key (PKCS#8 for the token server) and a self-signed certificate for the registry.
fn write_keys(conf: &Path) -> Result<()> {
    let key = conf.join("token-key.pem");
    cmd::run(
        Command::new("openssl")
            .args(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out"])
            .arg(&key),
    )?;
    cmd::run(
        Command::new("openssl")
            .args(["pkcs8", "-topk8", "-nocrypt", "-in"])
            .arg(&key)
            .arg("-out")
            .arg(conf.join("token-key.pk8.pem")),
    )?;
    cmd::run(
        Command::new("openssl")
            .args(["req", "-x509", "-new", "-days", "3650", "-subj", "/CN=regsight rig token signer", "-key"])
            .arg(&key)
            .arg("-out")
            .arg(conf.join("token-cert.pem")),
    )?;
    Ok(())
}

fn write_htpasswd(path: &Path) -> Result<()> {
    let mut lines = String::new();
    for user in users() {
        let line = cmd::run(Command::new("htpasswd").args(["-Bbn", &user.username, &user.password]))?;
        lines.push_str(String::from_utf8_lossy(&line).trim());
        lines.push('\n');
    }
    fs::write(path, lines)?;
    Ok(())
}

/// nginx for the token and basic fronts (rendered from `deploy/nginx`) and, for the demo, the page.
fn write_nginx_config(paths: &RigPaths, page: Option<&(PathBuf, u16)>) -> Result<()> {
    let deploy = workspace_root().join("deploy").join("nginx");
    let template = fs::read_to_string(deploy.join("registry-server.conf"))?;
    let render = |listen: u16, registry: u16, token: Option<u16>| {
        // The header comment documents the placeholders: keep it out of the rendered config.
        let mut text = template[template.find("server {").unwrap_or(0)..].to_owned();
        if token.is_none()
            && let (Some(start), Some(end)) =
                (text.find("    # BEGIN token realm"), text.find("    # END token realm\n"))
        {
            text.replace_range(start..end + "    # END token realm\n".len(), "");
        }
        text.replace("@LISTEN@", &format!("127.0.0.1:{listen}"))
            .replace("@ALLOW_ORIGIN@", "*")
            .replace("@REGISTRY@", &format!("127.0.0.1:{registry}"))
            .replace("@TOKEN_SERVER@", &format!("127.0.0.1:{}", token.unwrap_or_default()))
            .replace("@SNIPPETS@", &deploy.display().to_string())
    };
    let prefix = paths.root.join("nginx");
    for dir in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"] {
        fs::create_dir_all(prefix.join("tmp").join(dir))?;
    }
    let page = page
        .map(|(root, page_port)| {
            format!(
                "server {{\n    listen 127.0.0.1:{};\n    root {};\n    location / {{ try_files $uri $uri/ /index.html; }}\n}}\n",
                page_port,
                root.display()
            )
        })
        .unwrap_or_default();
    let user = if is_root() { "user root;\n" } else { "" };
    let conf = format!(
        "{user}worker_processes 1;
pid {pid};
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    access_log {access};
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;

# token front
{token}
# basic front
{basic}
# redirecting front and its CDN
{redirect}
# hub: registry front, token origin and blob CDN, none with CORS
{hub}
{page}}}
",
        pid = prefix.join("nginx.pid").display(),
        access = paths.logs().join("nginx-access.log").display(),
        tmp = prefix.join("tmp").display(),
        token = render(
            paths.port(port::TOKEN_FRONT),
            paths.port(port::TOKEN_REGISTRY),
            Some(paths.port(port::TOKEN_SERVER))
        ),
        basic = render(paths.port(port::BASIC_FRONT), paths.port(port::BASIC_REGISTRY), None),
        redirect = redirect_servers(paths, &render),
        hub = hub_servers(paths),
    );
    fs::write(paths.conf().join("nginx.conf"), conf)?;
    Ok(())
}

/// A front like the token one whose blob answers are 307s to the CDN origin, and the CDN: it serves
/// blobs from the open registry with CORS and logs every request's `Authorization` header.
fn redirect_servers(paths: &RigPaths, render: &dyn Fn(u16, u16, Option<u16>) -> String) -> String {
    let front = render(
        paths.port(port::REDIRECT_FRONT),
        paths.port(port::TOKEN_REGISTRY),
        Some(paths.port(port::TOKEN_SERVER)),
    );
    let snippets = workspace_root().join("deploy").join("nginx");
    let blobs = format!(
        "    location ~ ^/v2/.+/blobs/sha(256|512):[0-9a-f]+$ {{\n        include {}/regsight-cors.conf;\n        return 307 {}$request_uri;\n    }}\n\n    location /v2/ {{",
        snippets.display(),
        paths.url(port::CDN)
    );
    let front = front.replacen("    location /v2/ {", &blobs, 1);
    format!(
        "{front}
    log_format regsight_auth '$request auth=\"$http_authorization\"';
    server {{
        listen 127.0.0.1:{cdn};
        access_log {log} regsight_auth;
        # The open registry behind it sends the CORS headers (adding ours would double them).
        location /v2/ {{
            proxy_pass http://127.0.0.1:{open};
            proxy_buffering off;
        }}
    }}
",
        cdn = paths.port(port::CDN),
        log = paths.logs().join("cdn-access.log").display(),
        open = paths.port(port::OPEN),
    )
}

/// The hub's three origins, like Docker Hub's (`registry-1.docker.io`, `auth.docker.io` and its
/// blob CDN): none sends an `Access-Control-*` header or answers a preflight itself, so a page
/// cannot read any of their answers. Uses the `regsight_auth` log format of [`redirect_servers`].
///
/// The hub registry sends no CORS header (no `http.headers`), so its front has nothing to drop;
/// the CDN proxies the open registry, whose CORS headers it must drop.
fn hub_servers(paths: &RigPaths) -> String {
    let hide_cors = [
        "Access-Control-Allow-Origin",
        "Access-Control-Allow-Methods",
        "Access-Control-Allow-Headers",
        "Access-Control-Expose-Headers",
        "Access-Control-Max-Age",
        "Access-Control-Allow-Credentials",
    ]
    .map(|h| format!("            proxy_hide_header {h};\n"))
    .concat();
    format!(
        "    # registry front: blob GETs go to the CDN (307), everything else (OPTIONS too) to the registry
    server {{
        listen 127.0.0.1:{front};
        client_max_body_size 0;
        proxy_buffering off;
        proxy_request_buffering off;
        location ~ ^/v2/.+/blobs/sha(256|512):[0-9a-f]+$ {{
            if ($request_method = GET) {{
                return 307 {cdn_url}$request_uri;
            }}
            proxy_pass http://127.0.0.1:{registry};
            proxy_set_header Host $http_host;
        }}
        location /v2/ {{
            proxy_pass http://127.0.0.1:{registry};
            proxy_set_header Host $http_host;
        }}
    }}
    # token origin: the token server as it is (it answers OPTIONS 405)
    server {{
        listen 127.0.0.1:{auth};
        location = /token {{
            proxy_pass http://127.0.0.1:{tokend};
            proxy_set_header Host $http_host;
        }}
    }}
    # blob CDN: the open registry with its CORS headers dropped, logging any Authorization
    server {{
        listen 127.0.0.1:{cdn};
        access_log {log} regsight_auth;
        location /v2/ {{
            proxy_pass http://127.0.0.1:{open};
            proxy_buffering off;
{hide_cors}        }}
    }}
",
        front = paths.port(port::HUB_FRONT),
        cdn_url = paths.url(port::HUB_CDN),
        registry = paths.port(port::HUB_REGISTRY),
        auth = paths.port(port::HUB_AUTH),
        tokend = paths.port(port::TOKEN_SERVER),
        cdn = paths.port(port::HUB_CDN),
        log = paths.logs().join("hub-cdn-access.log").display(),
        open = paths.port(port::OPEN),
    )
}

/// The pull-through cache's `config.yml`, commented so it reads as a recipe (deploy/README.md
/// quotes it): distribution as a `proxy` of the token front with alice's credentials, CORS via
/// `http.headers` (`headers` is the open registry's block) and no `auth:`.
fn write_pull_through_config(paths: &RigPaths, headers: &str) -> Result<()> {
    let alice = users()
        .into_iter()
        .find(|u| u.username == "alice")
        .ok_or_else(|| rig_err!("the rig has no user alice for the pull-through cache"))?;
    let info = pull_through(paths);
    let yaml = format!(
        "# A CORS-enabled pull-through mirror for regsight: distribution 2.8 (`docker-registry serve
# config.yml`) as a cache of one upstream registry that a browser page cannot use itself (no CORS
# on the registry, its token realm or its blob CDN). The mirror does the upstream's token flow and
# follows its blob redirects server-side, and answers the page with CORS headers.
# Names pass through unchanged: ask the mirror for library/alpine to get the upstream's
# library/alpine. Trust does not move: the page still checks every byte against the digest pinned.
# Generated by the regsight test rig (tests/rig/src/services.rs), whose upstream is its token
# registry.
version: 0.1
# distribution 2.8 in proxy mode warns \"Registry does not implement RempositoryRemover\": harmless.
log:
  level: info
  formatter: text
# Its own storage, filled from upstream: never share it with another registry.
storage:
  filesystem:
    rootdirectory: {storage}
# The upstream. With username and password the mirror asks the upstream's token realm (or Basic
# auth) for that account's tokens, for every request: anyone who reaches the mirror pulls what the
# account may pull. Use a read-only account, or leave both out to mirror anonymous pulls only.
# The upstream must answer when the mirror starts: given credentials, distribution 2.8 asks its
# /v2/ for the challenge at startup and exits if it cannot.
proxy:
  remoteurl: {upstream}
  username: {username}
  password: {password}
# No `auth:` section: with one, distribution sends the browser's CORS preflight (OPTIONS) through
# its auth check and answers 401 (distribution/distribution#4458). Without it, the preflight gets
# 200 with the headers below. Restrict who reaches the mirror by network instead.
http:
  addr: 127.0.0.1:{port}
  # Signs upload state: set your own random value (without one, each start makes up its own).
  secret: regsight-rig-not-a-secret
  # Added to every answer of the API, the 401 and 404 included, so the page can read them:
  # Allow-Origin one origin or *; Authorization must be named in Allow-Headers (* never covers it),
  # Accept too (the manifest Accept header is longer than the 128 bytes browsers exempt);
  # Expose-Headers lists what the page reads (digest, challenge, pagination, ranges).
{headers}",
        storage = paths.pull_through_storage().display(),
        upstream = info.upstream,
        username = alice.username,
        password = alice.password,
        port = paths.port(port::PULL_THROUGH),
    );
    fs::write(&info.config, yaml)?;
    Ok(())
}

fn is_root() -> bool {
    cmd::pipeline("id -u").map(|uid| uid == "0").unwrap_or(false)
}
